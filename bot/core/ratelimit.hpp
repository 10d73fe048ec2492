#pragma once
// Per-person command rate limit: a token bucket per sender, so a flood of commands from one
// person is answered at a bounded rate while everyone else is answered at once. Time is passed
// in; the limiter never reads a clock.

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

#include "core/time.hpp"

namespace reflexbot::core {

/// How many commands one person may send: `burst` at once, then one more every `refill`.
struct RateLimit {
  int burst = 10;                          ///< bucket size; 0 switches the limit off
  std::chrono::milliseconds refill{3000};  ///< time for one token to come back
  std::size_t max_senders = 10000;         ///< buckets kept at most; the longest unused go first
};

/// What to do with one command.
enum class RateDecision {
  allow,   ///< answer it
  notify,  ///< the first command over the limit: answer once that the person is too fast
  drop,    ///< over the limit and already told: ignore silently
};

/// The decision on one command and, when limited, how long until the next one is allowed.
struct RateVerdict {
  RateDecision decision = RateDecision::allow;
  std::chrono::milliseconds retry_after{0};
};

/// Token buckets for every sender seen recently. A bucket that has filled up again is the same
/// as no bucket, so it is forgotten; beyond `max_senders` the least recently used are forgotten
/// too, which keeps memory bounded whatever the number of distinct senders.
class SenderRateLimiter {
 public:
  explicit SenderRateLimiter(RateLimit limit = {});

  /// Takes a token from `sender`'s bucket at `now`. A refused command takes nothing. The notice
  /// is given once per episode: only after the bucket has filled up completely again can the
  /// next refusal be `notify` instead of `drop`.
  RateVerdict take(const std::string& sender, TimePoint now);

  /// Buckets currently kept.
  std::size_t tracked() const { return index_.size(); }
  const RateLimit& limit() const { return limit_; }

 private:
  // The bucket is kept as the time at which it is full again (the "theoretical arrival time" of
  // the generic cell rate algorithm): tokens = burst − ceil((full_at − now) / refill).
  struct Bucket {
    std::string sender;
    TimePoint full_at;
    bool notified = false;  ///< the person was told in the current episode
  };

  void forget_idle(TimePoint now);

  RateLimit limit_;
  std::list<Bucket> buckets_;  ///< most recently used first
  std::unordered_map<std::string, std::list<Bucket>::iterator> index_;
};

}  // namespace reflexbot::core
