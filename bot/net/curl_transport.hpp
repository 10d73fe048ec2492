#pragma once
// The libcurl implementation of Transport: one curl multi handle driven by the caller's io_context.
// curl's sockets are watched with posix::stream_descriptor, its timeout with one steady_timer; all
// of it runs on the io_context's single thread, so nothing is locked.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/asio.hpp"
#include "net/transport.hpp"

namespace reflexbot::net {

/// Spare capacity every successful Response::body has beyond its size (simdjson's padding).
inline constexpr std::size_t response_body_padding = 64;

/// The largest response body a transfer accepts by default (decoded): room for the initial /sync
/// of a bot in many big rooms, far below what would exhaust the unit's memory.
inline constexpr std::size_t default_max_response_body = std::size_t{64} << 20;

/// Appends a chunk of a response body as it arrives (the write callback), keeping
/// response_body_padding spare. A body past its first MiB gets a buffer of `reserve_limit`
/// (+ padding) at once, whose unwritten pages take no memory: a body of unknown length is not
/// copied again while it grows, so it is never resident twice (beyond `reserve_limit` it doubles).
void append_response_body(std::string& body, std::string_view chunk, std::size_t reserve_limit);

/// Performs requests with libcurl's multi interface on one io_context thread.
class CurlTransport final : public Transport {
 public:
  /// Creates the transport on io, which must outlive it; throws std::runtime_error if curl fails.
  /// A response whose (decoded) body exceeds `max_response_body` bytes is aborted and completes
  /// with a TransportError "response larger than N bytes".
  explicit CurlTransport(asio::io_context& io,
                         std::size_t max_response_body = default_max_response_body);
  /// Aborts transfers still in flight (they complete with cancelled) and frees every curl handle.
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  /// Sends the request; completes with the response or a transport error, never throws.
  asio::awaitable<Result> perform(Request request) override;
  /// Adds the transfer and lets curl work on it at once (instead of at the next turn of the
  /// io_context), so that a reused connection carries the request before start() returns.
  void start(Request request, std::function<void(Result)> done) override;
  /// Aborts every transfer in flight and refuses new ones; both complete with cancelled.
  void shutdown() override;

 private:
  class Engine;
  std::shared_ptr<Engine> engine_;
};

}  // namespace reflexbot::net
