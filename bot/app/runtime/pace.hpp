#pragma once
// Holds the next /sync request back after a large body until the work after its commit is done.
//
// After each commit the bot makes the index terms of the new contributions (app/runtime/bot.cpp,
// run_indexing), with the text analysis' dictionaries loaded (about 27 MiB for German and
// English). A /sync request made meanwhile lets the next body arrive beside them; for a large
// body (a catch-up after an outage: tens of MiB) that is the bot's highest peak, the body plus
// the dictionaries plus what the batch left. The indexing runs on the same thread as the batch,
// so waiting for it costs the next body's transfer time, not its processing.

#include <cstddef>

#include "matrix/retry.hpp"
#include "net/asio.hpp"

namespace reflexbot::app {

class IndexingPace {
 public:
  /// A batch committed: its index terms are due.
  void committed() { due_ = true; }
  /// The index terms of everything committed so far are made.
  void indexed() {
    due_ = false;
    done_.notify();
  }
  /// Waiting ends; the bot is stopping.
  void stop() { done_.stop(); }

  /// Before a /sync request: after a body of `large_body` bytes or more, until indexed() (or
  /// stop()); after a smaller one at once.
  net::asio::awaitable<void> before_request(net::asio::io_context& io,
                                            std::size_t previous_body_bytes,
                                            std::size_t large_body) {
    if (previous_body_bytes < large_body) co_return;
    while (due_ && !done_.stopped()) co_await done_.wait(io);
  }

  bool due() const { return due_; }

 private:
  bool due_ = false;
  matrix::Wakeup done_;
};

}  // namespace reflexbot::app
