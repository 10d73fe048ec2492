// The backoff schedule with a fixed random source, and which errors are retried after how long.

#include "matrix/retry.hpp"

#include <gtest/gtest.h>

#include <random>

#include "fake_sleeper.hpp"
#include "fake_transport.hpp"
#include "net/asio.hpp"

#include <boost/asio/post.hpp>

namespace reflexbot::matrix {
namespace {

using std::chrono::milliseconds;

std::function<double()> fixed(double value) {
  return [value] { return value; };
}

std::vector<long long> schedule(Backoff& backoff, int count) {
  std::vector<long long> delays;
  for (int i = 0; i < count; ++i) delays.push_back(backoff.next().count());
  return delays;
}

MatrixError http_error(long status, std::string errcode = "") {
  MatrixError error;
  error.http_status = status;
  error.errcode = std::move(errcode);
  return error;
}

TEST(Backoff, LowestJitterIsHalfOfADoublingDelayCappedAtMax) {
  Backoff backoff({milliseconds(500), milliseconds(4000)}, fixed(0.0));
  EXPECT_EQ(schedule(backoff, 7), (std::vector<long long>{250, 500, 1000, 2000, 2000, 2000, 2000}));
  EXPECT_EQ(backoff.attempt(), 7);
}

TEST(Backoff, HighestJitterIsJustBelowTheFullDelay) {
  Backoff backoff({milliseconds(500), milliseconds(4000)}, fixed(0.999));
  // d/2 + d/2 * 0.999, truncated: 249.75 + 250 -> 499, ...
  EXPECT_EQ(schedule(backoff, 6), (std::vector<long long>{499, 999, 1999, 3998, 3998, 3998}));
}

TEST(Backoff, MidJitter) {
  Backoff backoff({milliseconds(1000), milliseconds(60000)}, fixed(0.5));
  EXPECT_EQ(schedule(backoff, 8),
            (std::vector<long long>{750, 1500, 3000, 6000, 12000, 24000, 45000, 45000}));
}

TEST(Backoff, CapThatIsNotAPowerOfTwoMultipleOfInitial) {
  Backoff backoff({milliseconds(500), milliseconds(3000)}, fixed(0.0));
  EXPECT_EQ(schedule(backoff, 6), (std::vector<long long>{250, 500, 1000, 1500, 1500, 1500}));
}

TEST(Backoff, DefaultPolicyStartsAt500AndCapsAtOneMinute) {
  Backoff backoff(BackoffPolicy{}, fixed(0.0));
  EXPECT_EQ(backoff.next(), milliseconds(250));
  for (int i = 0; i < 200; ++i) backoff.next();  // many attempts must neither overflow nor grow
  EXPECT_EQ(backoff.next(), milliseconds(30000));
}

TEST(Backoff, ResetStartsTheScheduleOver) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  EXPECT_EQ(schedule(backoff, 3), (std::vector<long long>{250, 500, 1000}));
  backoff.reset();
  EXPECT_EQ(backoff.attempt(), 0);
  EXPECT_EQ(schedule(backoff, 2), (std::vector<long long>{250, 500}));
}

TEST(Backoff, EveryDelayLiesWithinHalfAndFullOfItsStep) {
  std::mt19937_64 engine(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Backoff backoff({milliseconds(100), milliseconds(10000)}, [&] { return uniform(engine); });
  long long d = 100;
  for (int i = 0; i < 30; ++i) {
    const long long delay = backoff.next().count();
    EXPECT_GE(delay, d / 2) << "attempt " << i;
    EXPECT_LE(delay, d) << "attempt " << i;
    d = std::min<long long>(d * 2, 10000);
  }
}

TEST(Backoff, DefaultRandomSourceIsInTheUnitInterval) {
  auto random01 = default_random01();
  for (int i = 0; i < 1000; ++i) {
    const double value = random01();
    ASSERT_GE(value, 0.0);
    ASSERT_LT(value, 1.0);
  }
}

TEST(RetryDelay, RateLimitWaitsExactlyRetryAfterAndLeavesBackoffAlone) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  MatrixError error = http_error(429, "M_LIMIT_EXCEEDED");
  error.retry_after = milliseconds(2000);
  EXPECT_EQ(retry_delay(error, backoff), milliseconds(2000));
  EXPECT_EQ(backoff.attempt(), 0);
  error.retry_after = milliseconds(0);
  EXPECT_EQ(retry_delay(error, backoff), milliseconds(0));
}

TEST(RetryDelay, LimitExceededErrcodeWithoutStatus429UsesRetryAfter) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  MatrixError error = http_error(400, "M_LIMIT_EXCEEDED");
  error.retry_after = milliseconds(1500);
  EXPECT_EQ(retry_delay(error, backoff), milliseconds(1500));
}

TEST(RetryDelay, RateLimitWithoutHintUsesTheBackoff) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  const MatrixError error = http_error(429);
  EXPECT_EQ(retry_delay(error, backoff), milliseconds(250));
  EXPECT_EQ(retry_delay(error, backoff), milliseconds(500));
  EXPECT_EQ(backoff.attempt(), 2);
}

TEST(RetryDelay, TransientErrorsUseTheBackoffSchedule) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  MatrixError network;
  network.transport = net::TransportErrorKind::timeout;
  MatrixError bad_body;
  bad_body.errcode = "R_BAD_BODY";
  EXPECT_EQ(retry_delay(http_error(500), backoff), milliseconds(250));
  EXPECT_EQ(retry_delay(http_error(503), backoff), milliseconds(500));
  EXPECT_EQ(retry_delay(network, backoff), milliseconds(1000));
  EXPECT_EQ(retry_delay(bad_body, backoff), milliseconds(2000));
}

TEST(RetryDelay, ClientErrorsAreNotRetried) {
  Backoff backoff({milliseconds(500), milliseconds(60000)}, fixed(0.0));
  for (long status : {400L, 401L, 403L, 404L, 413L}) {
    EXPECT_EQ(retry_delay(http_error(status), backoff), std::nullopt) << status;
  }
  EXPECT_EQ(retry_delay(http_error(403, "M_FORBIDDEN"), backoff), std::nullopt);
  EXPECT_EQ(retry_delay(http_error(401, "M_UNKNOWN_TOKEN"), backoff), std::nullopt);
  EXPECT_EQ(backoff.attempt(), 0);
}

TEST(MatrixErrorDescribe, NamesStatusCodeAndMessage) {
  MatrixError error = http_error(429, "M_LIMIT_EXCEEDED");
  error.message = "Too many requests";
  EXPECT_EQ(error.describe(), "HTTP 429 M_LIMIT_EXCEEDED: Too many requests");
  EXPECT_EQ(http_error(503).describe(), "HTTP 503");
  MatrixError network;
  network.transport = net::TransportErrorKind::connect;
  network.message = "Connection refused";
  EXPECT_EQ(network.describe(), "network error: Connection refused");
}

TEST(FakeSleeper, RecordsDelaysAndCanSimulateStop) {
  net::asio::io_context io;
  test::FakeSleeper sleeper;
  sleeper.stop_after(1);
  EXPECT_TRUE(test::run_awaitable(io, sleeper.sleep(milliseconds(10))));
  EXPECT_FALSE(test::run_awaitable(io, sleeper.sleep(milliseconds(20))));
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(10), milliseconds(20)}));
}

TEST(TimerSleeper, StopWakesAWaitingSleeperWithFalse) {
  net::asio::io_context io;
  TimerSleeper sleeper(io);
  // An hour-long sleep ends as soon as stop() runs; the test never waits for the timer.
  net::asio::post(io, [&sleeper] { sleeper.stop(); });
  EXPECT_FALSE(test::run_awaitable(io, sleeper.sleep(std::chrono::hours(1))));
  EXPECT_TRUE(sleeper.stopped());
  EXPECT_FALSE(test::run_awaitable(io, sleeper.sleep(milliseconds(0))));
}

TEST(TimerSleeper, ZeroDelayReturnsTrue) {
  net::asio::io_context io;
  TimerSleeper sleeper(io);
  EXPECT_TRUE(test::run_awaitable(io, sleeper.sleep(milliseconds(0))));
}

}  // namespace
}  // namespace reflexbot::matrix
