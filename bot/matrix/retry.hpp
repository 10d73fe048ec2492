#pragma once
// Backoff with jitter and an injectable sleep, so the schedule is tested without sleeping.

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "matrix/error.hpp"
#include "net/asio.hpp"

namespace reflexbot::matrix {

/// Bounds of the exponential backoff.
struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{60000};
};

/// Exponential backoff with "equal jitter": the n-th delay lies in [d/2, d] with
/// d = min(max, initial * 2^n).
class Backoff {
 public:
  /// `random01` returns a uniform value in [0, 1).
  Backoff(BackoffPolicy policy, std::function<double()> random01);
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  std::function<double()> random01_;
  int attempt_ = 0;
};

/// How long to wait before retrying after `error`, or nullopt if it must not be retried.
/// A rate limit waits exactly what the server asked for (else the backoff's next delay).
std::optional<std::chrono::milliseconds> retry_delay(const MatrixError& error, Backoff& backoff);

/// retry_delay(), or else the backoff's next delay: for loops that must never give up (sync,
/// start-up). Unlike value_or(backoff.next()), it advances the backoff only once.
std::chrono::milliseconds retry_or_backoff(const MatrixError& error, Backoff& backoff);

/// Waits; the bot's implementation is a timer, tests record the delays.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  /// Returns false if the wait was interrupted because the bot is stopping.
  virtual net::asio::awaitable<bool> sleep(std::chrono::milliseconds delay) = 0;
};

/// Sleeps on steady_timers of an io_context; stop() wakes every sleeper with false.
class TimerSleeper final : public Sleeper {
 public:
  explicit TimerSleeper(net::asio::io_context& io) : io_(io) {}
  net::asio::awaitable<bool> sleep(std::chrono::milliseconds delay) override;
  void stop();
  bool stopped() const { return stopped_; }

 private:
  net::asio::io_context& io_;
  std::vector<net::asio::steady_timer*> timers_;
  bool stopped_ = false;
};

/// Wakes a worker coroutine when there is new work; a notify() before wait() is not lost.
class Wakeup {
 public:
  /// Waits until notify() or stop() (returns at once if notified since the last wait).
  net::asio::awaitable<void> wait(net::asio::io_context& io);
  /// The same, but at most until `deadline`: false if it passed without notify() or stop().
  net::asio::awaitable<bool> wait_until(net::asio::io_context& io,
                                        std::chrono::steady_clock::time_point deadline);
  void notify();
  void stop();
  bool stopped() const { return stopped_; }

 private:
  net::asio::steady_timer* timer_ = nullptr;
  bool pending_ = true;  ///< the first wait returns at once: start-up work may be waiting
  bool stopped_ = false;
};

/// A uniform [0, 1) source seeded from std::random_device.
std::function<double()> default_random01();

}  // namespace reflexbot::matrix
