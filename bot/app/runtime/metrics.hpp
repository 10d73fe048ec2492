#pragma once
// The operators' Prometheus endpoint: the counters of common/metrics.hpp, the store's gauges and
// the process's own figures, in the text exposition format (version 0.0.4), served over HTTP on
// the bot's io_context (config `metrics.listen`; off by default, loopback unless configured).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/metrics.hpp"
#include "net/asio.hpp"
#include "store/status.hpp"

namespace reflexbot::app {

/// The process's own figures (from /proc/self), as every Prometheus client library exports them.
struct ProcessFigures {
  double cpu_seconds = 0;
  std::int64_t resident_bytes = 0;
  std::int64_t virtual_bytes = 0;
  double start_time_seconds = 0;  ///< since the Unix epoch
  std::int64_t open_fds = 0;
};

/// Reads them; zeros where /proc cannot be read.
ProcessFigures read_process_figures();

/// The exposition text. `now_ms` is the wall clock, for the ages.
std::string render_metrics(const metrics::Registry& registry, const store::LiveGauges& store,
                           const ProcessFigures& process, std::int64_t now_ms);

/// The HTTP endpoint: GET /metrics answers with `scrape()`; any other path 404, any other method
/// 405. At most a few connections at once, small request heads, a timeout per request: a
/// scraper is served, a slow or hostile client is dropped.
class MetricsServer {
 public:
  MetricsServer(net::asio::io_context& io, std::function<std::string()> scrape);
  ~MetricsServer();

  /// Binds and starts accepting; an error text if the address cannot be bound.
  std::optional<std::string> start(const std::string& address, unsigned short port);
  /// The bound port (useful with port 0 in tests).
  unsigned short port() const;
  void stop();

  struct State;  ///< shared with the connections' coroutines

 private:
  std::shared_ptr<State> state_;
};

}  // namespace reflexbot::app
