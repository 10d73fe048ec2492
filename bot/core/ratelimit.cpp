#include "core/ratelimit.hpp"

#include <algorithm>

namespace reflexbot::core {

SenderRateLimiter::SenderRateLimiter(RateLimit limit) : limit_(limit) {
  limit_.burst = std::max(limit_.burst, 0);
  limit_.refill = std::max(limit_.refill, std::chrono::milliseconds(1));
  limit_.max_senders = std::max<std::size_t>(limit_.max_senders, 1);
}

RateVerdict SenderRateLimiter::take(const std::string& sender, TimePoint now) {
  if (limit_.burst == 0) return {};
  auto found = index_.find(sender);
  if (found == index_.end()) {
    buckets_.push_front(Bucket{sender, now, false});
    found = index_.emplace(sender, buckets_.begin()).first;
  } else {
    buckets_.splice(buckets_.begin(), buckets_, found->second);
  }
  Bucket& bucket = *found->second;
  if (bucket.full_at <= now) {  // full again: a new episode
    bucket.full_at = now;
    bucket.notified = false;
  }

  RateVerdict verdict;
  const auto capacity = limit_.refill * limit_.burst;
  if (bucket.full_at + limit_.refill - now <= capacity) {
    bucket.full_at += limit_.refill;
  } else {
    verdict.retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(
        bucket.full_at + limit_.refill - capacity - now);
    verdict.decision = bucket.notified ? RateDecision::drop : RateDecision::notify;
    bucket.notified = true;
  }
  forget_idle(now);
  return verdict;
}

void SenderRateLimiter::forget_idle(TimePoint now) {
  // The sender just served is at the front with full_at > now, so it is never forgotten here.
  while (!buckets_.empty() &&
         (index_.size() > limit_.max_senders || buckets_.back().full_at <= now)) {
    index_.erase(buckets_.back().sender);
    buckets_.pop_back();
  }
}

}  // namespace reflexbot::core
