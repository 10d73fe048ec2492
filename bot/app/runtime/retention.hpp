#pragma once
// Retention in the running bot: the purge at start and then daily, and wiping erased data from the
// database file and its WAL after every batch that erased something (see store/retention.hpp).

#include <chrono>
#include <cstdint>
#include <functional>

#include "net/asio.hpp"
#include "store/retention.hpp"

namespace reflexbot::app {

/// Keeps the store within its retention period and free of erased text.
class Retention {
 public:
  /// `retention_days`: the configured period (1–3650).
  Retention(store::Store& store, int retention_days, net::asio::io_context& io,
            std::function<std::int64_t()> now_ms);

  /// Purges now, then once a day until stop().
  void start();
  /// After every committed sync batch: wipes from the files what the batch erased (redactions,
  /// "forget me", edits), and finishes a wipe that a reader held up before. `direct_traces`: the
  /// batch deleted a direct chat's traces, whose old pages the WAL still holds: it is truncated
  /// (no VACUUM: secure_delete has zeroed them in the database file).
  void after_commit(bool direct_traces = false);
  void stop();

  /// Deletes what is expired, in a transaction of its own, then wipes it from the files.
  store::PurgeCounts purge();

 private:
  void arm(std::chrono::steady_clock::duration delay);
  void scrub();

  store::Store& store_;
  store::RetentionPolicy policy_;
  int days_;
  store::Scrubber scrubber_;
  net::asio::steady_timer timer_;
  std::function<std::int64_t()> now_ms_;
  bool stopped_ = false;
};

}  // namespace reflexbot::app
