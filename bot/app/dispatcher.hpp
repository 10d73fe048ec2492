#pragma once
// Events → core → effects → store: applies one sync batch in one transaction, together with the
// batch's next_batch token.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "app/digests.hpp"
#include "app/outgoing.hpp"
#include "app/reflection.hpp"
#include "core/ratelimit.hpp"
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
  ReflectionSettings reflection;  ///< own_user_id and language are taken from above
  DigestSettings digests;         ///< is_moderator is the reflection's rule
  core::RateLimit command_limit;  ///< per person, over all rooms; collection is not limited
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
  Dispatcher(store::Store& store, DispatcherSettings settings,
             std::function<std::int64_t()> now_ms);

  std::optional<std::string> sync_token() override;
  bool was_joined(const std::string& room_id) override;
  void begin(const matrix::SyncBatch& outline, bool initial) override;
  void room_timeline(const std::string& room_id) override;
  void timeline_event(const matrix::Event& event) override;
  void malformed(const matrix::MalformedEvent& event) override;
  void commit(const std::string& next_batch) override;
  void abort() override;

  /// Counts of the last committed batch.
  const BatchStats& last_stats() const { return stats_; }

  /// Collects a message fetched for a 📌, in a transaction of its own.
  void collect_pinned(const matrix::Event& event);
  /// Gives up a 📌 request whose message cannot be fetched.
  void drop_pin(const std::string& target_event_id);
  /// Pin requests waiting to be fetched: (room id, event id).
  std::vector<std::pair<std::string, std::string>> pending_pins() {
    return store_.pending_pins(16);
  }
  /// Runs the round timers and the weekly digest that are due, in a transaction of their own.
  void tick();
  /// When tick() has work next.
  std::optional<core::TimePoint> next_wakeup();
  /// The digests (for export and tests).
  Digests& digests() { return digests_; }
  /// Joined rooms whose member list is still to be fetched.
  std::vector<std::string> rooms_without_members() { return store_.rooms_without_members(16); }
  /// Stores a room's fetched member list, in a transaction of its own.
  void set_members(const std::string& room_id, const std::vector<std::string>& user_ids);
  /// Whether the last commit erased traces of a direct chat (the WAL should be truncated soon).
  bool erased_direct_traces() const { return erased_direct_traces_; }

 private:
  store::RoomRecord& room_record(const std::string& room_id);
  void apply_state(store::RoomRecord& room, const matrix::Event& event);
  void handle_message(const matrix::Event& event, const matrix::RoomMessage& message);
  /// Whether the sender's command may be answered; tells the sender once when it may not.
  bool within_limit(const matrix::Event& event);
  /// Whether an invite is accepted: from the allowlist, or a direct chat opened by a joined
  /// member of a configured room or the network room.
  bool accepts_invite(const matrix::Invite& invite);
  /// A configured room or the network room.
  bool is_network_room(const std::string& room_id) const;
  BatchContext context();

  store::Store& store_;
  DispatcherSettings settings_;
  std::function<std::int64_t()> now_ms_;
  Reflection reflection_;
  Digests digests_;
  Outgoing out_;
  core::SenderRateLimiter command_limiter_;
  std::optional<store::BatchScope> scope_;          ///< open between begin() and commit()
  std::map<std::string, store::RoomRecord> rooms_;  ///< rooms touched by the current batch
  std::set<std::string> newly_joined_;              ///< joined rooms that were not joined before
  store::RoomRecord* room_ = nullptr;               ///< the room whose timeline is streaming
  bool acting_ = false;  ///< whether events of the current timeline are acted on
  bool initial_ = false;
  bool direct_seen_ = true;  ///< seen rows of direct chats may exist from an earlier batch
  bool direct_seen_now_ = false;
  bool erased_direct_traces_ = false;
  std::int64_t now_ = 0;
  BatchStats stats_;
};

}  // namespace reflexbot::app
