#pragma once
// A Sleeper that never sleeps: it records each requested delay and answers at once.

#include <chrono>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "matrix/retry.hpp"

namespace reflexbot::test {

/// Records delays; returns true, or false after stop_after(n) sleeps to simulate the bot stopping.
class FakeSleeper final : public matrix::Sleeper {
 public:
  net::asio::awaitable<bool> sleep(std::chrono::milliseconds delay) override {
    delays_.push_back(delay);
    if (delays_.size() > kRunaway) {
      // A retry loop that never ends (e.g. on an exhausted script) fails instead of hanging.
      ADD_FAILURE() << "more than " << kRunaway << " sleeps: runaway retry loop";
      co_return false;
    }
    if (stop_after_ && delays_.size() > *stop_after_) co_return false;
    co_return true;
  }

  /// Lets `count` sleeps succeed; every later one reports that the bot is stopping.
  void stop_after(std::size_t count) { stop_after_ = count; }

  const std::vector<std::chrono::milliseconds>& delays() const { return delays_; }

 private:
  static constexpr std::size_t kRunaway = 10000;
  std::vector<std::chrono::milliseconds> delays_;
  std::optional<std::size_t> stop_after_;
};

}  // namespace reflexbot::test
