#include "core/ratelimit.hpp"

#include <gtest/gtest.h>

#include <string>

namespace reflexbot::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart{milliseconds(1700000000000)};

RateLimit limit(int burst, milliseconds refill, std::size_t max_senders = 10000) {
  return RateLimit{burst, refill, max_senders};
}

TEST(SenderRateLimiter, ABurstIsAllowedThenTheFirstExcessIsNotifiedAndTheRestDropped) {
  SenderRateLimiter limiter(limit(5, seconds(3)));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.take("@anna:x", kStart).decision, RateDecision::allow) << i;
  }
  const auto first = limiter.take("@anna:x", kStart);
  EXPECT_EQ(first.decision, RateDecision::notify);
  EXPECT_EQ(first.retry_after, seconds(3));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(limiter.take("@anna:x", kStart).decision, RateDecision::drop) << i;
  }
}

TEST(SenderRateLimiter, OneTokenComesBackPerRefillAndARefusalTakesNone) {
  SenderRateLimiter limiter(limit(5, seconds(3)));
  for (int i = 0; i < 5; ++i) limiter.take("@anna:x", kStart);
  EXPECT_EQ(limiter.take("@anna:x", kStart + milliseconds(2999)).retry_after, milliseconds(1));
  EXPECT_EQ(limiter.take("@anna:x", kStart + seconds(3)).decision, RateDecision::allow);
  const auto refused = limiter.take("@anna:x", kStart + seconds(3));
  EXPECT_EQ(refused.decision, RateDecision::drop);  // the episode's notice was given already
  EXPECT_EQ(refused.retry_after, seconds(3));
  // Nine seconds later three tokens are back, not fewer: refusals took none.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.take("@anna:x", kStart + seconds(12)).decision, RateDecision::allow) << i;
  }
  EXPECT_EQ(limiter.take("@anna:x", kStart + seconds(12)).decision, RateDecision::drop);
}

TEST(SenderRateLimiter, AHundredCommandsInAMinuteGiveBurstPlusRefillAnswers) {
  SenderRateLimiter limiter(limit(5, seconds(3)));
  int allowed = 0;
  int notified = 0;
  for (int i = 0; i < 100; ++i) {
    const auto verdict = limiter.take("@flood:x", kStart + milliseconds(600 * i));
    allowed += verdict.decision == RateDecision::allow;
    notified += verdict.decision == RateDecision::notify;
  }
  EXPECT_EQ(allowed, 5 + 59400 / 3000);  // burst + one per 3 s over 59.4 s
  EXPECT_EQ(notified, 1);
}

TEST(SenderRateLimiter, SendersAreIndependent) {
  SenderRateLimiter limiter(limit(2, seconds(10)));
  limiter.take("@anna:x", kStart);
  limiter.take("@anna:x", kStart);
  EXPECT_EQ(limiter.take("@anna:x", kStart).decision, RateDecision::notify);
  EXPECT_EQ(limiter.take("@bert:x", kStart).decision, RateDecision::allow);
  EXPECT_EQ(limiter.take("@bert:x", kStart).decision, RateDecision::allow);
  EXPECT_EQ(limiter.take("@bert:x", kStart).decision, RateDecision::notify);
}

TEST(SenderRateLimiter, TheNoticeComesAgainOnlyAfterTheBucketFilledUp) {
  SenderRateLimiter limiter(limit(2, seconds(10)));
  limiter.take("@anna:x", kStart);
  limiter.take("@anna:x", kStart);
  EXPECT_EQ(limiter.take("@anna:x", kStart).decision, RateDecision::notify);
  // One token back: allowed, and the next refusal stays silent (same episode).
  EXPECT_EQ(limiter.take("@anna:x", kStart + seconds(10)).decision, RateDecision::allow);
  EXPECT_EQ(limiter.take("@anna:x", kStart + seconds(10)).decision, RateDecision::drop);
  // Full at kStart + 30 s: a new episode with its own notice.
  const TimePoint later = kStart + seconds(30);
  EXPECT_EQ(limiter.take("@anna:x", later).decision, RateDecision::allow);
  EXPECT_EQ(limiter.take("@anna:x", later).decision, RateDecision::allow);
  EXPECT_EQ(limiter.take("@anna:x", later).decision, RateDecision::notify);
}

TEST(SenderRateLimiter, BurstZeroSwitchesTheLimitOff) {
  SenderRateLimiter limiter(limit(0, seconds(3)));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limiter.take("@anna:x", kStart).decision, RateDecision::allow);
  }
  EXPECT_EQ(limiter.tracked(), 0U);
}

TEST(SenderRateLimiter, FullBucketsAreForgotten) {
  SenderRateLimiter limiter(limit(5, seconds(3)));
  limiter.take("@anna:x", kStart);
  limiter.take("@bert:x", kStart + seconds(1));
  EXPECT_EQ(limiter.tracked(), 2U);
  // anna's bucket is full again at +3 s, bert's at +4 s.
  limiter.take("@carla:x", kStart + seconds(3));
  EXPECT_EQ(limiter.tracked(), 2U);
  limiter.take("@dora:x", kStart + seconds(10));
  EXPECT_EQ(limiter.tracked(), 1U);
}

TEST(SenderRateLimiter, AFloodOfDistinctSendersStaysBounded) {
  SenderRateLimiter limiter(limit(1, std::chrono::hours(1), 100));
  for (int i = 0; i < 100000; ++i) {
    limiter.take("@spam" + std::to_string(i) + ":x", kStart + milliseconds(i));
    ASSERT_LE(limiter.tracked(), 100U);
  }
  // The most recent senders are still limited; the oldest were forgotten.
  EXPECT_EQ(limiter.take("@spam99999:x", kStart + seconds(100)).decision, RateDecision::notify);
  EXPECT_EQ(limiter.take("@spam0:x", kStart + seconds(100)).decision, RateDecision::allow);
}

}  // namespace
}  // namespace reflexbot::core
