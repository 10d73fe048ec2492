#include "matrix/retry.hpp"

#include <algorithm>
#include <random>

#include "common/metrics.hpp"

namespace reflexbot::matrix {

std::string MatrixError::describe() const {
  std::string text;
  if (transport) {
    text = "network error: " + message;
  } else {
    text = "HTTP " + std::to_string(http_status);
    if (!errcode.empty()) text += " " + errcode;
    if (!message.empty()) text += ": " + message;
  }
  return text;
}

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random01)
    : policy_(policy), random01_(std::move(random01)) {}

std::chrono::milliseconds Backoff::next() {
  const auto max = policy_.max.count();
  long long delay = std::max<long long>(1, policy_.initial.count());
  for (int i = 0; i < attempt_ && delay < max; ++i) delay *= 2;
  delay = std::min<long long>(delay, max);
  ++attempt_;
  const double half = static_cast<double>(delay) / 2.0;
  return std::chrono::milliseconds(static_cast<long long>(half + half * random01_()));
}

std::optional<std::chrono::milliseconds> retry_delay(const MatrixError& error, Backoff& backoff) {
  if (error.rate_limited() && error.retry_after) {
    // Every wait the homeserver asks for is decided here, and slept right after.
    metrics::registry().rate_limit_wait_ms +=
        static_cast<std::uint64_t>(error.retry_after->count());
    return *error.retry_after;
  }
  if (error.transient()) return backoff.next();
  return std::nullopt;
}

std::chrono::milliseconds retry_or_backoff(const MatrixError& error, Backoff& backoff) {
  if (auto delay = retry_delay(error, backoff)) return *delay;
  return backoff.next();
}

net::asio::awaitable<bool> TimerSleeper::sleep(std::chrono::milliseconds delay) {
  if (stopped_) co_return false;
  net::asio::steady_timer timer(io_, delay);
  timers_.push_back(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(net::asio::redirect_error(net::asio::use_awaitable, ec));
  timers_.erase(std::find(timers_.begin(), timers_.end(), &timer));
  co_return !stopped_;
}

void TimerSleeper::stop() {
  stopped_ = true;
  for (auto* timer : timers_) timer->cancel();
}

net::asio::awaitable<void> Wakeup::wait(net::asio::io_context& io) {
  co_await wait_until(io, std::chrono::steady_clock::time_point::max());
}

net::asio::awaitable<bool> Wakeup::wait_until(net::asio::io_context& io,
                                              std::chrono::steady_clock::time_point deadline) {
  if (!pending_ && !stopped_) {
    net::asio::steady_timer timer(io, deadline);
    timer_ = &timer;
    boost::system::error_code ec;
    co_await timer.async_wait(net::asio::redirect_error(net::asio::use_awaitable, ec));
    timer_ = nullptr;
  }
  const bool woken = pending_ || stopped_;
  pending_ = false;
  co_return woken;
}

void Wakeup::notify() {
  pending_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

void Wakeup::stop() {
  stopped_ = true;
  if (timer_ != nullptr) timer_->cancel();
}

std::function<double()> default_random01() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace reflexbot::matrix
