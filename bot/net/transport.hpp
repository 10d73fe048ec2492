#pragma once
// The HTTP seam: bot/matrix speaks to the homeserver only through Transport, so unit tests can
// script it and end-to-end tests run the libcurl implementation against Synapse.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "net/asio.hpp"

namespace reflexbot::net {

/// One HTTP header; names of response headers are lower-cased.
struct Header {
  std::string name;
  std::string value;
};

/// An HTTP request; every request carries a timeout.
struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<Header> headers;
  std::string body;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

/// A complete HTTP response of any status.
struct Response {
  long status = 0;
  std::vector<Header> headers;
  std::string body;

  /// The value of the first header with this (case-insensitive) name.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// Why a request produced no HTTP response at all.
enum class TransportErrorKind { connect, timeout, cancelled, other };

/// A request that failed below HTTP (DNS, connect, reset, timeout, shutdown).
struct TransportError {
  TransportErrorKind kind = TransportErrorKind::other;
  int curl_code = 0;
  std::string message;
};

using Result = Expected<Response, TransportError>;

/// Performs HTTP requests on the caller's io_context.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends the request; completes with the response or a transport error, never throws.
  virtual asio::awaitable<Result> perform(Request request) = 0;
  /// Starts the request now, from outside a coroutine: over an idle kept-alive connection its
  /// bytes are written before this returns. `done` gets the response or the error later, on the
  /// io_context, never from inside start().
  virtual void start(Request request, std::function<void(Result)> done) = 0;
  /// Aborts every request in flight (they complete with TransportErrorKind::cancelled).
  virtual void shutdown() = 0;
};

}  // namespace reflexbot::net
