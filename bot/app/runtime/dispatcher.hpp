#pragma once
// Events → core → effects → store: applies one sync batch in one transaction, together with the
// batch's next_batch token. The runtime's unit of work: a sync batch (begin … commit), or a unit
// of its own (in_transaction) for the round and digest timers, a fetched 📌 message and a member
// list. Commands are routed here by the command table (core/commands.hpp), which also says who
// may run them and where; the features (rounds, collection, privacy, digests) do the rest.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/features/authority.hpp"
#include "app/features/collection.hpp"
#include "app/features/digests.hpp"
#include "app/features/feature.hpp"
#include "app/features/outgoing.hpp"
#include "app/features/privacy.hpp"
#include "app/features/rounds.hpp"
#include "common/metrics.hpp"
#include "core/commands.hpp"
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
  FeatureSettings features;       ///< own_user_id and language are taken from above
  DigestSettings digests;         ///< language is taken from above
  core::RateLimit command_limit;  ///< per person, over all rooms; collection is not limited
};

/// Counts of one applied batch, for logs and tests.
struct BatchStats {
  std::size_t events = 0;      ///< timeline events new to the store
  std::size_t duplicates = 0;  ///< timeline events seen before
  std::size_t queued = 0;      ///< outbox rows queued
  std::size_t quarantined = 0;
  std::size_t undecryptable = 0;  ///< encrypted events kept until their room keys arrive
};

/// What one unit of work adds to the operators' metrics (common/metrics.hpp). Added when the unit
/// commits, so a batch that rolls back and comes again counts once.
struct MetricsTally {
  std::array<std::uint64_t, metrics::kEventKinds> events{};
  std::uint64_t duplicates = 0;
  std::uint64_t undecryptable = 0;
  std::vector<std::pair<std::string_view, metrics::CommandOutcome>> commands;  ///< canonical names

  void count(metrics::EventKind kind) { ++events[static_cast<std::size_t>(kind)]; }
  /// Adds this tally and the unit's stored contributions to the registry.
  void add_to(metrics::Registry& registry, std::size_t contributions) const;
};

/// The SyncSink of the running bot.
class Dispatcher final : public matrix::SyncSink {
 public:
  Dispatcher(store::Store& store, DispatcherSettings settings,
             std::function<std::int64_t()> now_ms);

  std::optional<std::string> sync_token() override;
  bool was_joined(const std::string& room_id) override;
  /// A body from kLargeBody on releases the text analysis' dictionaries if they are loaded: the
  /// batch does not use them (its terms are made after the commit, which loads them again), and
  /// the body and the parser's buffers (0.7x the body) need the room (issue 17).
  void received(std::size_t body_bytes) override;
  static constexpr std::size_t kLargeBody = std::size_t{8} << 20;
  /// The size of the last /sync body received (0 before the first).
  std::size_t last_body_bytes() const { return last_body_bytes_; }
  void begin(const matrix::SyncBatch& outline, bool initial) override;
  void room_timeline(const std::string& room_id) override;
  void timeline_event(const matrix::Event& event) override;
  void malformed(const matrix::MalformedEvent& event) override;
  void commit(const std::string& next_batch) override;
  void abort() override;
  void undecryptable(const matrix::Event& event, const crypto::Undecryptable& why) override;
  std::vector<matrix::KeptEvent> kept_events(std::size_t limit) override;
  void drop_kept(const std::string& event_id) override;

  /// Connects the outbox. `wake` is called after every unit of work that queued rows commits (so
  /// that the drain knows rows wait, whoever committed them). `send_early` lets the replies of a
  /// sync batch go out before it commits: at the commit, after everything is written and before
  /// COMMIT, it gets the first new row of each joined room (with their room's `encrypted` and, for
  /// direct chats, `confidential` set) and starts what it may (matrix::Outbox::send_early). Timer
  /// units and anonymous posts never go early.
  void connect_outbox(std::function<std::size_t(const std::vector<OutboxItem>&)> send_early,
                      std::function<void()> wake) {
    early_sender_ = std::move(send_early);
    wake_outbox_ = std::move(wake);
  }

  /// Counts of the last committed batch.
  const BatchStats& last_stats() const { return stats_; }

  /// Collects a message fetched for a 📌, in a transaction of its own. Not a timeline event: it
  /// is not marked seen, changes no state and runs no command (a pinned "!ende" ends nothing).
  /// `edits`: the message's edits as fetched (any order); the author's latest one counts.
  void collect_pinned(const matrix::Event& event, const std::vector<matrix::Event>& edits = {});
  /// Gives up a 📌 request whose message cannot be fetched.
  void drop_pin(const std::string& target_event_id);
  /// Pin requests waiting to be fetched: (room id, event id).
  std::vector<std::pair<std::string, std::string>> pending_pins() {
    return store_.pending_pins(16);
  }
  /// Judges an edit whose original was fetched (both fetched after the commit, in a transaction
  /// of their own): it may make the original a contribution. Like a 📌, not a timeline event.
  void collect_edited(const matrix::Event& original, const matrix::Event& edit);
  /// Gives up an edit request whose events cannot be fetched.
  void drop_edit(const std::string& edit_event_id);
  /// Edits waiting for their original to be fetched, in the order they came.
  std::vector<store::Store::EditRequest> pending_edits() { return store_.pending_edits(16); }
  /// Runs the round timers and the weekly digest that are due, in a transaction of their own;
  /// returns the outbox rows queued.
  std::size_t tick();
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
  std::size_t last_body_bytes_ = 0;
  /// Opens the unit of work: the store's transaction and the outbox queue inside it, at now.
  void open_unit();
  /// Commits the unit of work; returns the outbox rows queued in it.
  std::size_t commit_unit();
  /// Rolls the unit of work back.
  void abort_unit();
  /// Hands the open batch's new rows to the early sender (connect_outbox).
  void send_early();
  /// Runs `work(BatchContext)` in a unit of work of its own (outside a sync batch) and commits
  /// it; rolls back if `work` throws. Returns the outbox rows queued.
  template <class Work>
  std::size_t in_transaction(Work&& work);

  /// The room as stored (or a new record), not yet touched by this batch.
  store::RoomRecord stored_room(const std::string& room_id);
  /// The room as this batch has it so far.
  store::RoomRecord& room_record(const std::string& room_id);
  /// Whether the room is a direct chat, as this batch has it so far (adds no record to it).
  bool is_direct(const std::string& room_id);
  void apply_state(store::RoomRecord& room, const matrix::Event& event);
  void handle_message(const matrix::Event& event, const matrix::RoomMessage& message);
  /// Runs a command where the table allows it, for whom it allows it, in its feature.
  void run_command(const core::Command& command, const matrix::Event& event);
  /// Hands the command to the feature the table names.
  void route(const core::CommandSpec& spec, const core::Command& command,
             const matrix::Event& event);
  /// Whether the sender's command may be answered; tells the sender once when it may not.
  /// Answers a plain message in a direct chat with what can be done there, once a day per person.
  void hello(const matrix::Event& event);
  /// Posts the welcome into a room the bot has just joined (once: a stable outbox key).
  void welcome(const store::RoomRecord& room);
  bool within_limit(const matrix::Event& event);
  void count_command(const core::Command& command, metrics::CommandOutcome outcome);
  /// Whether an invite is accepted: from the allowlist, or a direct chat opened by a joined
  /// member of a configured room or the network room.
  bool accepts_invite(const matrix::Invite& invite);
  /// A configured room or the network room.
  bool is_network_room(const std::string& room_id) const;
  BatchContext context();

  store::Store& store_;
  DispatcherSettings settings_;
  std::function<std::int64_t()> now_ms_;
  FeatureSettings features_;  ///< what the features below read (they keep a reference)
  Authority authority_;
  Rounds rounds_;
  Collection collection_;
  Privacy privacy_;
  Digests digests_;
  Outgoing out_;
  std::function<std::size_t(const std::vector<OutboxItem>&)> early_sender_;
  std::function<void()> wake_outbox_;
  core::SenderRateLimiter command_limiter_;
  std::optional<store::BatchScope> scope_;          ///< the open unit of work
  std::map<std::string, store::RoomRecord> rooms_;  ///< rooms touched by the current batch
  std::set<std::string> newly_joined_;              ///< joined rooms that were not joined before
  store::RoomRecord* room_ = nullptr;               ///< the room whose timeline is streaming
  bool acting_ = false;  ///< whether events of the current timeline are acted on
  bool initial_ = false;
  bool direct_seen_ = true;  ///< seen rows of direct chats may exist from an earlier batch
  bool direct_seen_now_ = false;
  bool erased_direct_traces_ = false;
  /// Who was answered a plain direct-chat message, and on which UTC day (by sender): in memory
  /// only, as the store keeps no trace of when someone wrote to the bot. A restart may say it once
  /// more.
  std::map<std::string, std::int64_t> hello_day_;
  std::vector<std::string> hello_now_;  ///< answered in the open batch (into hello_day_ at commit)
  std::int64_t now_ = 0;
  BatchStats stats_;
  MetricsTally tally_;  ///< of the open unit of work
};

}  // namespace reflexbot::app
