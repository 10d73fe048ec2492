#include "app/runtime/pace.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reflexbot::app {
namespace {

namespace asio = net::asio;

constexpr std::size_t kLarge = 8 << 20;

// After a large body, the next /sync request waits for the indexing of what its batch
// committed; the indexing's end lets it go.
TEST(IndexingPace, AfterALargeBodyTheNextRequestWaitsForTheIndexing) {
  asio::io_context io;
  IndexingPace pace;
  std::vector<std::string> log;
  pace.committed();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pace.before_request(io, kLarge, kLarge);
        log.push_back("request");
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int slice = 0; slice < 3; ++slice) {
          log.push_back("slice");
          co_await asio::post(io, asio::use_awaitable);
        }
        pace.indexed();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"slice", "slice", "slice", "request"}));
  EXPECT_FALSE(pace.due());
}

// A /sync request after a body of `body_bytes`: `requested` once the pace lets it go.
void request_after(asio::io_context& io, IndexingPace& pace, std::size_t body_bytes,
                   bool& requested) {
  asio::co_spawn(
      io,
      [&io, &pace, body_bytes, &requested]() -> asio::awaitable<void> {
        co_await pace.before_request(io, body_bytes, kLarge);
        requested = true;
      },
      asio::detached);
}

// After a smaller body, or with nothing due, the request goes at once.
TEST(IndexingPace, ASmallBodyOrNothingDueDoesNotWait) {
  asio::io_context io;
  IndexingPace pace;
  bool requested = false;
  pace.committed();
  request_after(io, pace, kLarge - 1, requested);
  io.run();
  EXPECT_TRUE(requested);

  IndexingPace idle;
  requested = false;
  io.restart();
  request_after(io, idle, kLarge, requested);
  io.run();
  EXPECT_TRUE(requested);
}

// Stopping the bot ends the wait.
TEST(IndexingPace, StoppingEndsTheWait) {
  asio::io_context io;
  IndexingPace pace;
  bool requested = false;
  pace.committed();
  request_after(io, pace, kLarge, requested);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await asio::post(io, asio::use_awaitable);
        EXPECT_FALSE(requested);
        pace.stop();
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(requested);
}

}  // namespace
}  // namespace reflexbot::app
