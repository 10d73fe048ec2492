#pragma once
// The libcurl implementation of Transport: one curl multi handle driven by the caller's io_context.
// curl's sockets are watched with posix::stream_descriptor, its timeout with one steady_timer; all
// of it runs on the io_context's single thread, so nothing is locked.

#include <cstddef>
#include <memory>

#include "net/asio.hpp"
#include "net/transport.hpp"

namespace reflexbot::net {

/// Spare capacity every successful Response::body has beyond its size (simdjson's padding).
inline constexpr std::size_t response_body_padding = 64;

/// Performs requests with libcurl's multi interface on one io_context thread.
class CurlTransport final : public Transport {
 public:
  /// Creates the transport on io, which must outlive it; throws std::runtime_error if curl fails.
  explicit CurlTransport(asio::io_context& io);
  /// Aborts transfers still in flight (they complete with cancelled) and frees every curl handle.
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  /// Sends the request; completes with the response or a transport error, never throws.
  asio::awaitable<Result> perform(Request request) override;
  /// Aborts every transfer in flight and refuses new ones; both complete with cancelled.
  void shutdown() override;

 private:
  class Engine;
  std::shared_ptr<Engine> engine_;
};

}  // namespace reflexbot::net
