#pragma once
// Events → core → effects → store: applies one sync batch in one transaction, together with the
// batch's next_batch token.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/text.hpp"
#include "matrix/events.hpp"
#include "matrix/sync_loop.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// What the dispatcher needs to know about the bot.
struct DispatcherSettings {
  std::string own_user_id;
  core::Language language = core::Language::de;
  std::function<bool(const std::string& inviter)> invite_allowed;
};

/// Counts of one applied batch, for logs and tests.
struct BatchStats {
  std::size_t events = 0;      ///< timeline events new to the store
  std::size_t duplicates = 0;  ///< timeline events seen before
  std::size_t queued = 0;      ///< outbox rows queued
  std::size_t quarantined = 0;
};

/// The SyncSink of the running bot.
class Dispatcher final : public matrix::SyncSink {
 public:
  Dispatcher(store::Store& store, DispatcherSettings settings, std::function<std::int64_t()> now_ms);

  std::optional<std::string> sync_token() override;
  bool was_joined(const std::string& room_id) override;
  void apply(matrix::SyncBatch& batch, bool initial) override;
  /// Counts of the last applied batch.
  const BatchStats& last_stats() const { return stats_; }

 private:
  store::RoomRecord& room_record(const std::string& room_id);
  void apply_state(store::BatchScope& scope, store::RoomRecord& room, const matrix::Event& event);
  void handle_message(store::BatchScope& scope, const matrix::Event& event,
                      const matrix::RoomMessage& message);
  void queue_notice(store::BatchScope& scope, const std::string& room_id, const core::Notice& notice,
                    const matrix::Event* reply_to, const std::string& key);

  store::Store& store_;
  DispatcherSettings settings_;
  std::function<std::int64_t()> now_ms_;
  std::map<std::string, store::RoomRecord> rooms_;  ///< rooms touched by the current batch
  std::int64_t now_ = 0;
  BatchStats stats_;
};

}  // namespace reflexbot::app
