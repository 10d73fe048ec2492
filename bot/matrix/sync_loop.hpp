#pragma once
// The /sync long-poll loop: fills gaps of `limited` timelines from /messages, hands each batch to
// the sink (which commits it together with next_batch), then wakes the outbox.

#include <functional>
#include <optional>
#include <string>

#include "matrix/client.hpp"
#include "matrix/outbox.hpp"
#include "matrix/retry.hpp"

namespace reflexbot::matrix {

/// Where synced batches go; implemented by the app's dispatcher over the store.
class SyncSink {
 public:
  virtual ~SyncSink() = default;
  /// The stored next_batch of the last committed batch, if any.
  virtual std::optional<std::string> sync_token() = 0;
  /// True if the bot was already joined to the room before this batch (gaps are filled only then).
  virtual bool was_joined(const std::string& room_id) = 0;
  /// Applies the batch and commits it with batch.next_batch in one transaction. `initial` is the
  /// first sync ever (no token): history is recorded but not acted on.
  virtual void apply(SyncBatch& batch, bool initial) = 0;
};

/// Tuning of the loop.
struct SyncOptions {
  int timeout_ms = 30000;
  int timeline_limit = 50;
  int gap_page_size = 100;
  int gap_max_pages = 100;  ///< a larger gap is filled up to this many pages, with a warning
};

/// The sync filter: only the event types the bot uses, members lazy-loaded.
std::string sync_filter_json(int timeline_limit);

/// Runs /sync until stopped or a fatal error.
class SyncLoop {
 public:
  SyncLoop(Client& client, SyncSink& sink, Sleeper& sleeper, Backoff backoff, SyncOptions options,
           std::function<void()> after_commit);

  /// Uploads the filter, then syncs until stop() or a fatal error.
  net::asio::awaitable<std::optional<Fatal>> run();
  /// Uploads the filter (with retries).
  net::asio::awaitable<std::optional<Fatal>> prepare();
  /// One successful /sync (retrying errors), gap fill, apply and commit.
  net::asio::awaitable<std::optional<Fatal>> step();
  void stop() { stopped_ = true; }

 private:
  net::asio::awaitable<std::optional<Fatal>> fill_gap(JoinedRoom& room, std::string since);

  Client& client_;
  SyncSink& sink_;
  Sleeper& sleeper_;
  Backoff backoff_;
  SyncOptions options_;
  std::function<void()> after_commit_;
  std::string filter_id_;
  bool stopped_ = false;
};

}  // namespace reflexbot::matrix
