#pragma once
// The Matrix client-server API calls the bot makes, over a net::Transport. Each call is one HTTP
// request (plus one re-login where a password allows it); retrying is the caller's choice.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "matrix/error.hpp"
#include "matrix/events.hpp"
#include "net/transport.hpp"

namespace reflexbot::matrix {

/// Result of /account/whoami and /login.
struct Identity {
  std::string user_id;
  std::string device_id;
};

/// How to reach and authenticate with the homeserver.
struct ClientSettings {
  std::string homeserver;  ///< base URL without trailing slash
  std::string user_id;
  std::string access_token;
  std::string password;  ///< optional: allows (re-)login
  std::string device_id = "REFLEXBOT";
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds sync_request_timeout{std::chrono::seconds(90)};
};

/// Percent-encodes one URL path segment or query value.
std::string url_encode(std::string_view text);

/// Parameters of one /sync call.
struct SyncRequest {
  std::optional<std::string> since;
  std::string filter_id;
  int timeout_ms = 30000;
};

/// The client-server API (v3) as used by the bot.
class Client {
 public:
  Client(net::Transport& transport, ClientSettings settings);

  /// Logs in with the password; stores the new access token.
  net::asio::awaitable<MatrixResult<Identity>> login();
  net::asio::awaitable<MatrixResult<Identity>> whoami();
  /// Uploads a filter for our user; returns its id.
  net::asio::awaitable<MatrixResult<std::string>> upload_filter(std::string filter_json);
  /// GET /sync; returns the raw body, which the sync loop parses in two streaming passes.
  net::asio::awaitable<MatrixResult<std::string>> sync(SyncRequest request);
  /// GET /rooms/{id}/messages.
  net::asio::awaitable<MatrixResult<MessagesPage>> messages(std::string room_id, std::string from,
                                                            std::string to, int limit);
  /// GET /rooms/{id}/event/{eventId}.
  net::asio::awaitable<MatrixResult<Event>> event(std::string room_id, std::string event_id);
  /// GET /rooms/{id}/relations/{eventId}/m.replace (v1): the edits of an event, newest first (at
  /// most 50: a message edited more often is judged by its latest 50 edits).
  net::asio::awaitable<MatrixResult<std::vector<Event>>> edits(std::string room_id,
                                                               std::string event_id);
  /// PUT /rooms/{id}/send/{type}/{txnId}; returns the event id.
  net::asio::awaitable<MatrixResult<std::string>> send(std::string room_id, std::string event_type,
                                                       std::string txn_id,
                                                       std::string content_json);
  /// The same PUT, started at once from outside a coroutine (net::Transport::start): `done` gets
  /// the event id or the error later, on the io_context. No re-login on a rejected token: the
  /// caller leaves that to its ordinary path.
  void start_send(const std::string& room_id, const std::string& event_type,
                  const std::string& txn_id, std::string content_json,
                  std::function<void(MatrixResult<std::string>)> done);
  /// A request whose path is complete (/_matrix/...), e.g. one the crypto machine asked for;
  /// returns the response body.
  net::asio::awaitable<MatrixResult<std::string>> request(std::string method, std::string path,
                                                          std::string body);
  /// POST with user-interactive auth by the configured password (e.g. uploading cross-signing
  /// keys): tried without auth first, then with the password and the homeserver's session.
  net::asio::awaitable<MatrixResult<std::string>> request_with_password(std::string path,
                                                                        std::string body);
  /// POST /_matrix/media/v3/upload: the bytes as they are, with their content type; returns the
  /// mxc:// content URI. The file name is only a hint for clients that save it.
  net::asio::awaitable<MatrixResult<std::string>> upload(std::string bytes,
                                                         std::string content_type,
                                                         std::string filename);
  net::asio::awaitable<MatrixResult<void>> join(std::string room_id);
  net::asio::awaitable<MatrixResult<void>> leave(std::string room_id);
  /// GET /rooms/{id}/joined_members; the user ids of the room's joined members.
  net::asio::awaitable<MatrixResult<std::vector<std::string>>> joined_members(std::string room_id);
  /// GET /_matrix/client/versions without the token: succeeds when the homeserver answers with
  /// its versions object (a cheap probe whether it is reachable again).
  net::asio::awaitable<MatrixResult<void>> versions(std::chrono::milliseconds timeout);

  bool has_password() const { return !settings_.password.empty(); }
  bool has_access_token() const { return !settings_.access_token.empty(); }
  const std::string& user_id() const { return settings_.user_id; }

 private:
  net::Request make_request(std::string method, const std::string& path, std::string body,
                            std::chrono::milliseconds timeout, bool authenticated,
                            std::string content_type) const;
  /// Sends an authenticated request; on M_UNKNOWN_TOKEN with a password, logs in and tries once
  /// more.
  net::asio::awaitable<MatrixResult<net::Response>> call(
      std::string method, std::string path, std::string body, std::chrono::milliseconds timeout,
      std::string content_type = "application/json");
  net::asio::awaitable<MatrixResult<net::Response>> call_once(
      std::string method, std::string path, std::string body, std::chrono::milliseconds timeout,
      bool authenticated, std::string content_type = "application/json");

  net::Transport& transport_;
  ClientSettings settings_;
};

/// Builds a MatrixError from a non-2xx response (errcode, error, retry_after_ms, Retry-After).
MatrixError error_from_response(const net::Response& response);

}  // namespace reflexbot::matrix
