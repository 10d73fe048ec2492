#include "net/curl_transport.hpp"

// net/asio.hpp (through curl_transport.hpp) comes first, so <utility> precedes these Asio headers.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <curl/curl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace reflexbot::net {

namespace {

using IoExecutor = asio::io_context::executor_type;

// A larger Content-Length is not reserved up front: a hostile header must not allocate gigabytes.
constexpr std::size_t max_reserved_body = std::size_t{64} << 20;
constexpr std::chrono::milliseconds max_connect_timeout{std::chrono::seconds(10)};

void init_curl_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(code));
  }
}

// Where TLS finds the certificate authorities it trusts. Debian's libcurl has Debian's bundle
// built in and leaves both empty. The HTTP-only libcurl of bot/net/curl has none built in, so the
// bot names OpenSSL's defaults, which SSL_CERT_FILE and SSL_CERT_DIR override as for every OpenSSL
// program (on Debian /usr/lib/ssl/cert.pem, the system bundle, and /usr/lib/ssl/certs).
struct TrustStore {
  std::string file;  // empty: curl's own
  std::string dir;
};

TrustStore trust_store() {
  TrustStore store;
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info->cainfo != nullptr || info->capath != nullptr) return store;
  auto chosen = [](const char* env_name, const char* fallback) {
    const char* from_env = std::getenv(env_name);
    return std::string(from_env != nullptr && *from_env != '\0' ? from_env : fallback);
  };
  store.file = chosen(X509_get_default_cert_file_env(), X509_get_default_cert_file());
  store.dir = chosen(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
  if (::access(store.file.c_str(), R_OK) != 0) store.file.clear();
  if (::access(store.dir.c_str(), R_OK | X_OK) != 0) store.dir.clear();
  return store;
}

TransportError make_error(TransportErrorKind kind, int curl_code, std::string message) {
  TransportError error;
  error.kind = kind;
  error.curl_code = curl_code;
  error.message = std::move(message);
  return error;
}

TransportError cancelled_error() {
  return make_error(TransportErrorKind::cancelled, 0, "request cancelled: transport shut down");
}

TransportErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportErrorKind::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportErrorKind::timeout;
    default:
      return TransportErrorKind::other;
  }
}

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && c != ':' && c != '(' && c != ')' && c != '"' && c != ',' &&
           c != ';' && c != '\\' && c != '/' && c != '[' && c != ']' && c != '?' && c != '=' &&
           c != '{' && c != '}' && c != '<' && c != '>' && c != '@';
  });
}

bool is_header_value(std::string_view text) {
  return text.find_first_of("\r\n", 0, 3) == std::string_view::npos;  // also rejects NUL
}

// A move-only, type-erased completion handler of one transfer.
class Completion {
 public:
  template <typename Handler>
  explicit Completion(Handler handler)
      : model_(std::make_unique<Model<Handler>>(std::move(handler))) {}

  // Posts the handler with the result to its associated executor (or fallback); call at most once.
  void complete(Result result, const IoExecutor& fallback) {
    auto model = std::move(model_);
    if (model) model->complete(std::move(result), fallback);
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void complete(Result result, const IoExecutor& fallback) = 0;
  };

  template <typename Handler>
  struct Model final : Concept {
    explicit Model(Handler h) : handler(std::move(h)) {}
    void complete(Result result, const IoExecutor& fallback) override {
      auto executor = asio::get_associated_executor(handler, fallback);
      asio::post(executor, [h = std::move(handler), r = std::move(result)]() mutable {
        std::move(h)(std::move(r));
      });
    }
    Handler handler;
  };

  std::unique_ptr<Concept> model_;
};

// One request in flight: the easy handle and everything curl points into while it runs.
struct Transfer {
  Transfer(Completion c, asio::io_context& io, std::size_t max)
      : max_body(max), completion(std::move(c)), work(io.get_executor()) {}
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string method;
  std::string request_body;
  Response response;
  std::size_t max_body;    // the decoded body may not grow beyond this
  bool too_large = false;  // on_body refused a body beyond max_body
  std::array<char, CURL_ERROR_SIZE> error{};
  Completion completion;
  // Keeps io_context::run() going while the request is in flight, whatever curl is waiting for.
  asio::executor_work_guard<IoExecutor> work;
};

// A socket curl asked us to watch. curl owns the descriptor: it is released, never closed, here.
struct Watch {
  Watch(asio::io_context& io, curl_socket_t s) : descriptor(io), fd(s) {}
  ~Watch() { release(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  void release() {
    if (descriptor.is_open()) descriptor.release();
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool reading = false;
  bool writing = false;
  bool failed = false;
  // Bumped whenever pending waits become stale (cancelled or removed); stale handlers do nothing.
  unsigned generation = 0;
};

enum class Direction { read, write };

size_t on_body(char* data, size_t size, size_t count, void* userp) {
  auto* transfer = static_cast<Transfer*>(userp);
  const size_t length = size * count;
  // A chunked (or compressed) body announces no size that curl could check up front.
  if (length > transfer->max_body - transfer->response.body.size()) {
    transfer->too_large = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  try {
    append_response_body(transfer->response.body, std::string_view(data, length),
                         std::min(transfer->max_body, max_reserved_body));
  } catch (const std::exception&) {
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  return length;
}

size_t on_header(char* data, size_t size, size_t count, void* userp) {
  auto* transfer = static_cast<Transfer*>(userp);
  const size_t length = size * count;
  try {
    std::string_view line(data, length);
    Response& response = transfer->response;
    if (line.starts_with("HTTP/")) {
      response.headers.clear();  // a new response begins (after 1xx)
      return length;
    }
    if ((line.starts_with(' ') || line.starts_with('\t')) && !response.headers.empty()) {
      const std::string_view folded = trim(line);  // obsolete line folding
      if (!folded.empty()) {
        response.headers.back().value.append(" ").append(folded);
      }
      return length;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return length;
    Header header{lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))};
    if (header.name == "content-length") {
      std::size_t expected = 0;
      const char* end = header.value.data() + header.value.size();
      if (std::from_chars(header.value.data(), end, expected).ec == std::errc{}) {
        response.body.reserve(std::min({expected, max_reserved_body, transfer->max_body}) +
                              response_body_padding);
      }
    }
    response.headers.push_back(std::move(header));
  } catch (const std::exception&) {
    return 0;
  }
  return length;
}

}  // namespace

void append_response_body(std::string& body, std::string_view chunk, std::size_t reserve_limit) {
  const std::size_t needed = body.size() + chunk.size() + response_body_padding;
  if (needed > body.capacity()) {
    // Doubling copies the body at every step, and while it copies, the old and the new buffer
    // are both resident: just past a power of two that is 2x the body. Past its first MiB the
    // buffer is reserved up to `reserve_limit` at once instead: the pages not written yet take
    // no memory, and the body is not copied again (nor for its padding at the end).
    constexpr std::size_t reserve_whole_after = std::size_t{1} << 20;
    std::size_t capacity = std::max(needed, 2 * body.capacity());
    if (needed > reserve_whole_after) {
      capacity = std::max(capacity, reserve_limit + response_body_padding);
    }
    try {
      body.reserve(capacity);
    } catch (const std::bad_alloc&) {
      body.reserve(needed);
    }
  }
  body.append(chunk);
}

class CurlTransport::Engine : public std::enable_shared_from_this<Engine> {
 public:
  Engine(asio::io_context& io, std::size_t max_body) : io_(io), timer_(io), max_body_(max_body) {
    init_curl_once();
    trust_ = trust_store();
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Engine::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Engine::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  ~Engine() { shutdown(); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Adds the request to the multi handle; completion is always completed exactly once.
  void start(Request request, Completion completion) {
    if (shut_down_) {
      completion.complete(Unexpected{cancelled_error()}, io_.get_executor());
      return;
    }
    auto transfer = std::make_unique<Transfer>(std::move(completion), io_, max_body_);
    try {
      if (auto error = configure(*transfer, std::move(request))) {
        transfer->completion.complete(Unexpected{std::move(*error)}, io_.get_executor());
        return;
      }
      CURL* easy = transfer->easy;
      transfers_.emplace(easy, std::move(transfer));
      const CURLMcode code = curl_multi_add_handle(multi_, easy);
      if (code != CURLM_OK) {
        auto failed = take(easy);
        failed->completion.complete(Unexpected{make_error(TransportErrorKind::other, 0,
                                                          std::string("curl_multi_add_handle: ") +
                                                              curl_multi_strerror(code))},
                                    io_.get_executor());
      }
    } catch (const std::exception& e) {
      if (transfer) {
        transfer->completion.complete(
            Unexpected{make_error(TransportErrorKind::other, 0,
                                  std::string("request setup: ") + e.what())},
            io_.get_executor());
      }
    }
  }

  // Lets curl act on what is due now (a transfer just added) without waiting for the timer.
  void kick() { on_timeout(); }

  void shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    auto transfers = std::move(transfers_);
    transfers_.clear();
    for (auto& [easy, transfer] : transfers) {
      curl_multi_remove_handle(multi_, easy);
      transfer->completion.complete(Unexpected{cancelled_error()}, io_.get_executor());
    }
    transfers.clear();
    curl_multi_cleanup(multi_);  // closes cached connections; may call on_socket / on_close_socket
    multi_ = nullptr;
    for (auto& [fd, watch] : watches_) {
      ++watch->generation;
      watch->release();
    }
    watches_.clear();
    timer_.cancel();
  }

 private:
  static int on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* clientp,
                       void* /*socketp*/) {
    auto* engine = static_cast<Engine*>(clientp);
    try {
      if (what == CURL_POLL_REMOVE) {
        engine->forget(fd);
      } else if (!engine->shut_down_) {
        engine->watch(fd, what);
      }
    } catch (const std::exception&) {
      return -1;
    }
    return 0;
  }

  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* clientp) {
    auto* engine = static_cast<Engine*>(clientp);
    if (engine->shut_down_ || timeout_ms < 0) {
      engine->timer_.cancel();
      return 0;
    }
    try {
      engine->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
      engine->timer_.async_wait(
          [weak = engine->weak_from_this()](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted) return;
            if (auto self = weak.lock()) self->on_timeout();
          });
    } catch (const std::exception&) {
      return -1;
    }
    return 0;
  }

  // Installed on every easy handle so that a descriptor is never closed while we still watch it.
  static int on_close_socket(void* clientp, curl_socket_t fd) {
    static_cast<Engine*>(clientp)->forget(fd);
    return ::close(fd);
  }

  std::optional<TransportError> configure(Transfer& transfer, Request request) {
    if (!is_token(request.method)) {
      return make_error(TransportErrorKind::other, 0, "invalid HTTP method");
    }
    for (const Header& header : request.headers) {
      if (!is_token(header.name) || !is_header_value(header.value)) {
        return make_error(TransportErrorKind::other, 0, "invalid request header");
      }
    }
    transfer.easy = curl_easy_init();
    if (transfer.easy == nullptr) {
      return make_error(TransportErrorKind::other, 0, "curl_easy_init failed");
    }
    CURL* easy = transfer.easy;
    CURLcode code = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (code == CURLE_OK) code = curl_easy_setopt(easy, option, value);
    };

    const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
    const long connect_ms =
        std::min<long>(timeout_ms, static_cast<long>(max_connect_timeout.count()));
    set(CURLOPT_ERRORBUFFER, transfer.error.data());
    set(CURLOPT_PRIVATE, static_cast<void*>(&transfer));
    set(CURLOPT_URL, request.url.c_str());
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_TIMEOUT_MS, timeout_ms);
    set(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    set(CURLOPT_ACCEPT_ENCODING, "");
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    // Refuses an announced Content-Length over the cap before the body comes; on_body checks the
    // decoded bytes as they arrive.
    set(CURLOPT_MAXFILESIZE_LARGE,
        static_cast<curl_off_t>(std::min<std::size_t>(
            transfer.max_body, static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max()))));
    set(CURLOPT_CLOSESOCKETFUNCTION, &Engine::on_close_socket);
    set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
    if (!trust_.file.empty()) set(CURLOPT_CAINFO, trust_.file.c_str());
    if (!trust_.dir.empty()) set(CURLOPT_CAPATH, trust_.dir.c_str());

    transfer.method = std::move(request.method);
    const std::string& method = transfer.method;
    bool has_body = false;
    if (method == "GET") {
      set(CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else {
      has_body = !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
      if (has_body) {
        transfer.request_body = std::move(request.body);
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer.request_body.size()));
        set(CURLOPT_POSTFIELDS, transfer.request_body.data());
      }
      if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    bool has_expect = false;
    bool has_content_type = false;
    for (const Header& header : request.headers) {
      const std::string name = lower(header.name);
      has_expect = has_expect || name == "expect";
      has_content_type = has_content_type || name == "content-type";
      // curl sends "Name:" as "remove this header"; "Name;" sends it with an empty value.
      append_header(transfer,
                    header.value.empty() ? header.name + ";" : header.name + ": " + header.value);
    }
    if (!has_expect) append_header(transfer, "Expect:");  // no 100-continue round trip
    if (has_body && !has_content_type) append_header(transfer, "Content-Type:");  // no form default
    set(CURLOPT_HTTPHEADER, transfer.headers);

    if (code != CURLE_OK) {
      return make_error(TransportErrorKind::other, code,
                        std::string("curl_easy_setopt: ") + curl_easy_strerror(code));
    }
    return std::nullopt;
  }

  static void append_header(Transfer& transfer, const std::string& line) {
    curl_slist* appended = curl_slist_append(transfer.headers, line.c_str());
    if (appended == nullptr) throw std::bad_alloc();
    transfer.headers = appended;
  }

  // Removes a transfer from our table and from the multi handle; the caller completes it.
  std::unique_ptr<Transfer> take(CURL* easy) {
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) return nullptr;
    auto transfer = std::move(it->second);
    transfers_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    return transfer;
  }

  void watch(curl_socket_t fd, int what) {
    auto& slot = watches_[fd];
    if (!slot) {
      slot = std::make_shared<Watch>(io_, fd);
      boost::system::error_code ec;
      slot->descriptor.assign(fd, ec);
      slot->failed = static_cast<bool>(ec);
    }
    const std::shared_ptr<Watch> watch = slot;
    const int wanted = what & (CURL_POLL_IN | CURL_POLL_OUT);
    const bool stale = (watch->reading && (wanted & CURL_POLL_IN) == 0) ||
                       (watch->writing && (wanted & CURL_POLL_OUT) == 0);
    watch->wanted = wanted;
    if (stale) {
      ++watch->generation;
      watch->reading = false;
      watch->writing = false;
      boost::system::error_code ignored;
      watch->descriptor.cancel(ignored);
    }
    arm(watch);
  }

  void forget(curl_socket_t fd) {
    auto it = watches_.find(fd);
    if (it == watches_.end()) return;
    ++it->second->generation;
    it->second->release();  // pending waits complete with operation_aborted
    watches_.erase(it);
  }

  void arm(const std::shared_ptr<Watch>& watch) {
    if (shut_down_) return;
    if ((watch->wanted & CURL_POLL_IN) != 0 && !watch->reading) wait(watch, Direction::read);
    if ((watch->wanted & CURL_POLL_OUT) != 0 && !watch->writing) wait(watch, Direction::write);
  }

  void wait(const std::shared_ptr<Watch>& watch, Direction direction) {
    (direction == Direction::read ? watch->reading : watch->writing) = true;
    auto handler = [weak = weak_from_this(), watch, direction,
                    generation = watch->generation](const boost::system::error_code& ec) {
      if (generation != watch->generation) return;
      (direction == Direction::read ? watch->reading : watch->writing) = false;
      if (auto self = weak.lock()) self->on_ready(watch, direction, ec);
    };
    // Asio's epoll reactor is edge-triggered: readiness that curl left unconsumed would never be
    // reported again, so a descriptor that is ready already is handed back to curl right away.
    pollfd probe{watch->fd, static_cast<short>(direction == Direction::read ? POLLIN : POLLOUT), 0};
    if (watch->failed || ::poll(&probe, 1, 0) > 0) {
      asio::post(
          io_, [handler = std::move(handler)]() mutable { handler(boost::system::error_code{}); });
      return;
    }
    watch->descriptor.async_wait(direction == Direction::read
                                     ? asio::posix::stream_descriptor::wait_read
                                     : asio::posix::stream_descriptor::wait_write,
                                 std::move(handler));
  }

  void on_ready(const std::shared_ptr<Watch>& watch, Direction direction,
                const boost::system::error_code& ec) {
    if (shut_down_) return;
    const int wanted_bit = direction == Direction::read ? CURL_POLL_IN : CURL_POLL_OUT;
    if ((watch->wanted & wanted_bit) == 0) return;
    int bits = direction == Direction::read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (ec || watch->failed) bits = CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi_, watch->fd, bits, &running);
    collect_done();
    // curl may have removed the socket (and reused its number) during the action.
    const auto it = watches_.find(watch->fd);
    if (bits != CURL_CSELECT_ERR && it != watches_.end() && it->second == watch) arm(watch);
  }

  void on_timeout() {
    if (shut_down_) return;
    int running = 0;
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done();
  }

  void collect_done() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      if (auto transfer = take(easy)) finish(*transfer, code);
    }
  }

  void finish(Transfer& transfer, CURLcode code) {
    if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      transfer.completion.complete(
          Unexpected{
              make_error(TransportErrorKind::other, code,
                         "response larger than " + std::to_string(transfer.max_body) + " bytes")},
          io_.get_executor());
      return;
    }
    if (code != CURLE_OK) {
      std::string message = curl_easy_strerror(code);
      if (transfer.error[0] != '\0') {
        message.append(": ").append(transfer.error.data());
      }
      transfer.completion.complete(Unexpected{make_error(kind_of(code), code, std::move(message))},
                                   io_.get_executor());
      return;
    }
    Response response = std::move(transfer.response);
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.body.capacity() < response.body.size() + response_body_padding) {
      response.body.reserve(response.body.size() + response_body_padding);
    }
    transfer.completion.complete(std::move(response), io_.get_executor());
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::size_t max_body_;
  TrustStore trust_;
  CURLM* multi_ = nullptr;
  bool shut_down_ = false;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches_;
};

CurlTransport::CurlTransport(asio::io_context& io, std::size_t max_response_body)
    : engine_(std::make_shared<Engine>(io, max_response_body)) {}

CurlTransport::~CurlTransport() { engine_->shutdown(); }

asio::awaitable<Result> CurlTransport::perform(Request request) {
  Engine* engine = engine_.get();
  try {
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(
        [engine](auto handler, Request r) {
          engine->start(std::move(r), Completion(std::move(handler)));
        },
        asio::use_awaitable, std::move(request));
  } catch (const std::exception& e) {
    co_return Unexpected{
        make_error(TransportErrorKind::other, 0, std::string("request failed: ") + e.what())};
  }
}

void CurlTransport::start(Request request, std::function<void(Result)> done) {
  engine_->start(std::move(request), Completion(std::move(done)));
  engine_->kick();
}

void CurlTransport::shutdown() { engine_->shutdown(); }

}  // namespace reflexbot::net
