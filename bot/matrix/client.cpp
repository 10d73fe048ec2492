#include "matrix/client.hpp"

#include <charconv>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/metrics.hpp"
#include "matrix/parse.hpp"

namespace reflexbot::matrix {
namespace {

using json = nlohmann::json;
constexpr std::string_view kApi = "/_matrix/client/v3";

MatrixError bad_body(const std::string& what) {
  MatrixError error;
  error.errcode = "R_BAD_BODY";
  error.message = what;
  return error;
}

// Parses a small JSON response body; nullopt if it is not a JSON object.
std::optional<json> parse_object(const std::string& body) {
  json value = json::parse(body, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

std::optional<std::string> string_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The field `key` of a parsed body, or null when the body or the field is missing.
const json* field_of(const std::optional<json>& object, const char* key) {
  if (!object) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

MatrixError error_from_response(const net::Response& response) {
  MatrixError error;
  error.http_status = response.status;
  if (auto body = parse_object(response.body)) {
    error.errcode = string_field(*body, "errcode").value_or("");
    error.message = string_field(*body, "error").value_or("");
    if (response.status == 401) error.auth_session = string_field(*body, "session").value_or("");
    auto it = body->find("retry_after_ms");
    if (it != body->end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      error.retry_after = std::chrono::milliseconds(it->get<std::int64_t>());
    }
  }
  // Retry-After (seconds) wins over the deprecated body field, as the spec says since v1.10.
  if (auto header = response.header("retry-after")) {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), seconds);
    if (ec == std::errc{} && end == header->data() + header->size() && seconds >= 0) {
      error.retry_after = std::chrono::seconds(seconds);
    }
  }
  return error;
}

Client::Client(net::Transport& transport, ClientSettings settings)
    : transport_(transport), settings_(std::move(settings)) {}

namespace {

// A transport's result as the API sees it: a 2xx response, or the error it stands for (counted).
MatrixResult<net::Response> judge(net::Result result) {
  if (!result) {
    metrics::count_request(metrics::Outcome::network);
    MatrixError error;
    error.transport = result.error().kind;
    error.message = result.error().message;
    return Unexpected{std::move(error)};
  }
  if (result->status < 200 || result->status >= 300) {
    MatrixError error = error_from_response(*result);
    metrics::count_request(error.rate_limited()    ? metrics::Outcome::rate_limited
                           : result->status >= 500 ? metrics::Outcome::server_error
                                                   : metrics::Outcome::client_error);
    return Unexpected{std::move(error)};
  }
  metrics::count_request(metrics::Outcome::ok);
  return std::move(result).value();
}

// The event id of a send's response.
MatrixResult<std::string> sent_event_id(MatrixResult<net::Response> response) {
  if (!response) return Unexpected{response.error()};
  auto object = parse_object(response->body);
  auto id = object ? string_field(*object, "event_id") : std::nullopt;
  if (!id) return Unexpected{bad_body("send response lacks event_id")};
  return *id;
}

std::string send_path(const std::string& room_id, const std::string& event_type,
                      const std::string& txn_id) {
  return "/rooms/" + url_encode(room_id) + "/send/" + url_encode(event_type) + "/" +
         url_encode(txn_id);
}

}  // namespace

net::Request Client::make_request(std::string method, const std::string& path, std::string body,
                                  std::chrono::milliseconds timeout, bool authenticated,
                                  std::string content_type) const {
  net::Request request;
  // A path that starts with /_matrix/ is outside the versioned API (e.g. /_matrix/client/versions).
  request.url =
      settings_.homeserver + (path.starts_with("/_matrix/") ? "" : std::string(kApi)) + path;
  request.timeout = timeout;
  if (authenticated)
    request.headers.push_back({"Authorization", "Bearer " + settings_.access_token});
  if (method != "GET") {
    request.headers.push_back({"Content-Type", std::move(content_type)});
    request.body = std::move(body);
  }
  request.method = std::move(method);
  return request;
}

net::asio::awaitable<MatrixResult<net::Response>> Client::call_once(
    std::string method, std::string path, std::string body, std::chrono::milliseconds timeout,
    bool authenticated, std::string content_type) {
  net::Request request = make_request(std::move(method), path, std::move(body), timeout,
                                      authenticated, std::move(content_type));
  co_return judge(co_await transport_.perform(std::move(request)));
}

net::asio::awaitable<MatrixResult<net::Response>> Client::call(std::string method, std::string path,
                                                               std::string body,
                                                               std::chrono::milliseconds timeout,
                                                               std::string content_type) {
  auto result = co_await call_once(method, path, body, timeout, true, content_type);
  if (!result && result.error().unknown_token() && has_password()) {
    spdlog::warn("the homeserver rejected the access token; logging in again with the password");
    auto login_result = co_await login();
    if (!login_result) {
      if (login_result.error().transient()) co_return Unexpected{login_result.error()};
      // A refused password leaves us without a usable token: report it as such, never as a
      // failure of the request itself (which would give up outbox rows).
      MatrixError rejected = result.error();
      rejected.message =
          "the token was rejected and logging in with the configured password "
          "failed (" +
          login_result.error().describe() + ")";
      co_return Unexpected{std::move(rejected)};
    }
    spdlog::info("logged in again as {} (device {})", login_result->user_id,
                 login_result->device_id);
    result = co_await call_once(method, path, body, timeout, true, content_type);
  }
  co_return result;
}

net::asio::awaitable<MatrixResult<Identity>> Client::login() {
  json body = {{"type", "m.login.password"},
               {"identifier", {{"type", "m.id.user"}, {"user", settings_.user_id}}},
               {"password", settings_.password},
               {"device_id", settings_.device_id},
               {"initial_device_display_name", "Reflexbot"}};
  auto response =
      co_await call_once("POST", "/login", body.dump(), settings_.request_timeout, false);
  if (!response) co_return Unexpected{response.error()};
  auto object = parse_object(response->body);
  if (!object) co_return Unexpected{bad_body("login response is not a JSON object")};
  auto token = string_field(*object, "access_token");
  auto user = string_field(*object, "user_id");
  if (!token || !user)
    co_return Unexpected{bad_body("login response lacks access_token or user_id")};
  settings_.access_token = *token;
  co_return Identity{*user, string_field(*object, "device_id").value_or(settings_.device_id)};
}

net::asio::awaitable<MatrixResult<Identity>> Client::whoami() {
  auto response = co_await call("GET", "/account/whoami", "", settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  auto object = parse_object(response->body);
  if (!object) co_return Unexpected{bad_body("whoami response is not a JSON object")};
  auto user = string_field(*object, "user_id");
  if (!user) co_return Unexpected{bad_body("whoami response lacks user_id")};
  co_return Identity{*user, string_field(*object, "device_id").value_or("")};
}

net::asio::awaitable<MatrixResult<std::string>> Client::upload_filter(std::string filter_json) {
  auto response = co_await call("POST", "/user/" + url_encode(settings_.user_id) + "/filter",
                                std::move(filter_json), settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  auto object = parse_object(response->body);
  auto id = object ? string_field(*object, "filter_id") : std::nullopt;
  if (!id) co_return Unexpected{bad_body("filter response lacks filter_id")};
  co_return *id;
}

net::asio::awaitable<MatrixResult<std::string>> Client::sync(SyncRequest request) {
  std::string path =
      "/sync?timeout=" + std::to_string(request.timeout_ms) + "&set_presence=offline";
  if (!request.filter_id.empty()) path += "&filter=" + url_encode(request.filter_id);
  if (request.since) path += "&since=" + url_encode(*request.since);
  auto response = co_await call("GET", path, "", settings_.sync_request_timeout);
  if (!response) co_return Unexpected{response.error()};
  co_return std::move(response->body);
}

net::asio::awaitable<MatrixResult<MessagesPage>> Client::messages(std::string room_id,
                                                                  std::string from, std::string to,
                                                                  int limit) {
  std::string path = "/rooms/" + url_encode(room_id) +
                     "/messages?dir=b&limit=" + std::to_string(limit) + "&from=" + url_encode(from);
  if (!to.empty()) path += "&to=" + url_encode(to);
  auto response = co_await call("GET", path, "", settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  auto page = parse_messages(response->body, room_id);
  if (!page) co_return Unexpected{bad_body("messages: " + page.error().message)};
  co_return std::move(page).value();
}

net::asio::awaitable<MatrixResult<Event>> Client::event(std::string room_id, std::string event_id) {
  auto response =
      co_await call("GET", "/rooms/" + url_encode(room_id) + "/event/" + url_encode(event_id), "",
                    settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  auto event = parse_event(response->body, room_id);
  if (!event) co_return Unexpected{bad_body("event: " + event.error().message)};
  co_return std::move(event).value();
}

net::asio::awaitable<MatrixResult<std::vector<Event>>> Client::edits(std::string room_id,
                                                                     std::string event_id) {
  auto response = co_await call("GET",
                                "/_matrix/client/v1/rooms/" + url_encode(room_id) + "/relations/" +
                                    url_encode(event_id) + "/m.replace?dir=b&limit=50",
                                "", settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  auto page = parse_messages(response->body, room_id);
  if (!page) co_return Unexpected{bad_body("relations: " + page.error().message)};
  co_return std::move(page->chunk);
}

net::asio::awaitable<MatrixResult<std::string>> Client::send(std::string room_id,
                                                             std::string event_type,
                                                             std::string txn_id,
                                                             std::string content_json) {
  co_return sent_event_id(co_await call("PUT", send_path(room_id, event_type, txn_id),
                                        std::move(content_json), settings_.request_timeout));
}

void Client::start_send(const std::string& room_id, const std::string& event_type,
                        const std::string& txn_id, std::string content_json,
                        std::function<void(MatrixResult<std::string>)> done) {
  transport_.start(
      make_request("PUT", send_path(room_id, event_type, txn_id), std::move(content_json),
                   settings_.request_timeout, true, "application/json"),
      [done = std::move(done)](net::Result result) {
        done(sent_event_id(judge(std::move(result))));
      });
}

net::asio::awaitable<MatrixResult<std::string>> Client::request(std::string method,
                                                                std::string path,
                                                                std::string body) {
  auto response =
      co_await call(std::move(method), std::move(path), std::move(body), settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  co_return std::move(response->body);
}

net::asio::awaitable<MatrixResult<std::string>> Client::request_with_password(std::string path,
                                                                              std::string body) {
  auto first = co_await call("POST", path, body, settings_.request_timeout);
  if (first) co_return std::move(first->body);
  if (first.error().http_status != 401 || first.error().auth_session.empty() || !has_password())
    co_return Unexpected{first.error()};
  json object = parse_object(body).value_or(json::object());
  object["auth"] = {{"type", "m.login.password"},
                    {"identifier", {{"type", "m.id.user"}, {"user", settings_.user_id}}},
                    {"password", settings_.password},
                    {"session", first.error().auth_session}};
  auto second = co_await call("POST", std::move(path), object.dump(), settings_.request_timeout);
  if (!second) co_return Unexpected{second.error()};
  co_return std::move(second->body);
}

net::asio::awaitable<MatrixResult<std::string>> Client::upload(std::string bytes,
                                                               std::string content_type,
                                                               std::string filename) {
  // No name for an encrypted attachment: the homeserver would learn it.
  std::string path = "/_matrix/media/v3/upload";
  if (!filename.empty()) path += "?filename=" + url_encode(filename);
  auto response =
      co_await call("POST", path, std::move(bytes), settings_.request_timeout, content_type);
  if (!response) co_return Unexpected{response.error()};
  auto object = parse_object(response->body);
  auto uri = object ? string_field(*object, "content_uri") : std::nullopt;
  if (!uri || !uri->starts_with("mxc://")) {
    co_return Unexpected{bad_body("upload response lacks an mxc:// content_uri")};
  }
  co_return *uri;
}

net::asio::awaitable<MatrixResult<void>> Client::join(std::string room_id) {
  auto response = co_await call("POST", "/rooms/" + url_encode(room_id) + "/join", "{}",
                                settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  co_return MatrixResult<void>{};
}

net::asio::awaitable<MatrixResult<void>> Client::leave(std::string room_id) {
  auto response = co_await call("POST", "/rooms/" + url_encode(room_id) + "/leave", "{}",
                                settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  co_return MatrixResult<void>{};
}

net::asio::awaitable<MatrixResult<std::vector<std::string>>> Client::joined_members(
    std::string room_id) {
  auto response = co_await call("GET", "/rooms/" + url_encode(room_id) + "/joined_members", "",
                                settings_.request_timeout);
  if (!response) co_return Unexpected{response.error()};
  const auto object = parse_object(response->body);
  const json* joined = field_of(object, "joined");
  if (joined == nullptr || !joined->is_object()) {
    co_return Unexpected{bad_body("joined_members response lacks the joined object")};
  }
  std::vector<std::string> members;
  members.reserve(joined->size());
  for (const auto& [user_id, profile] : joined->items()) members.push_back(user_id);
  co_return members;
}

net::asio::awaitable<MatrixResult<void>> Client::versions(std::chrono::milliseconds timeout) {
  auto response = co_await call_once("GET", "/_matrix/client/versions", "", timeout, false);
  if (!response) co_return Unexpected{response.error()};
  const auto object = parse_object(response->body);
  const json* list = field_of(object, "versions");
  if (list == nullptr || !list->is_array()) {
    co_return Unexpected{bad_body("versions response lacks the versions list")};
  }
  co_return MatrixResult<void>{};
}

}  // namespace reflexbot::matrix
