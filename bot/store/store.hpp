#pragma once
// The bot's state in SQLite: sync token, seen events, rooms, outbox, quarantine, and the
// encrypted events waiting for their room keys. A sync batch is applied inside one BatchScope, so
// its events, effects and the new sync token commit together.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/outbox_queue.hpp"
#include "core/analyzer.hpp"
#include "core/contribution.hpp"
#include "core/permissions.hpp"
#include "core/round.hpp"
#include "core/time.hpp"
#include "lang/lexicon.hpp"
#include "store/sqlite.hpp"

namespace reflexbot::store {

/// The schema version a migrated database has.
inline constexpr int kSchemaVersion = 25;

/// A contribution's index terms (core::TextAnalyzer::keys()) as stored in `contributions.terms`:
/// 8 bytes per key, little-endian.
std::string encode_term_keys(const std::vector<std::uint64_t>& keys);
/// Appends the keys of a stored `terms` value; false (nothing appended) if its length is not a
/// multiple of 8, i.e. it was not written by encode_term_keys().
bool decode_term_keys(std::span<const std::byte> bytes, std::vector<std::uint64_t>& out);

// The outbox's row types belong to the drain (matrix); the store queues and keeps the rows.
using reflexbot::OutboxItem;
using reflexbot::OutboxKind;

/// What the bot knows about a room from synced state.
struct RoomRecord {
  std::string room_id;
  std::string membership;  ///< join, invite, leave
  std::string name;
  /// Room version, creators and power levels (stored as the `room_version`, `creators` and
  /// `power_levels` columns; the JSON stays inside the store).
  core::RoomAuthority authority;
  bool encrypted = false;
  bool encryption_notice_sent = false;
  bool direct = false;  ///< a direct chat with one person (invited with is_direct)
  /// An encrypted room joined: its welcome waits for the first message of someone else.
  bool welcome_due = false;
};

/// An encrypted event whose room key has not arrived yet; kept until it decrypts or is given up.
struct UndecryptedEvent {
  std::string event_id;
  std::string room_id;
  std::string sender;
  std::string session_id;
  std::string event_json;  ///< the m.room.encrypted event as synced (ciphertext only)
  std::int64_t received_ms = 0;
};

/// The bot's own device as the crypto layer last saw it (shown by `reflexbot status`).
struct CryptoIdentity {
  std::string device_id;
  std::string ed25519;        ///< unpadded base64 Ed25519 key of the device
  bool cross_signed = false;  ///< the device is signed by the account's self-signing key
  std::int64_t checked_ms = 0;
  std::string recovery;  ///< what secret storage holds for the identity (a short English line)
};

/// The quarantine keeps so many malformed events per day (UTC) from one sender, in one room and
/// in all; more are counted (StoreCounts::quarantine_refused) and dropped.
inline constexpr std::int64_t kQuarantinePerSender = 5;
inline constexpr std::int64_t kQuarantinePerRoom = 20;
inline constexpr std::int64_t kQuarantinePerDay = 200;
/// The most bytes a quarantined event's outline and its reason take.
inline constexpr std::size_t kQuarantineOutlineMax = 384;
inline constexpr std::size_t kQuarantineReasonMax = 160;

/// A malformed event offered to the quarantine. Only its outline is stored: the event type, the
/// event id and the key names with their JSON types, never a value, the sender or a state key.
struct QuarantineEntry {
  std::string room_id;
  std::string event_id;
  std::string type;      ///< empty: read from raw_json where it can be
  bool state = false;    ///< it has a state key (the key itself may be a user id: not stored)
  std::string sender;    ///< empty: read from raw_json; counted against the cap, never stored
  std::string raw_json;  ///< outlined, never stored
  std::string reason;    ///< stored capped, with Matrix user ids replaced by "@…"
};

/// What the quarantine did with a malformed event.
struct QuarantineOutcome {
  bool stored = false;
  /// Refused, and the first event refused in this room today: worth one log line.
  bool first_refusal = false;
  std::string_view cap;  ///< the cap that refused it: "sender", "room" or "day"; empty if stored
  std::string reason;    ///< the reason as stored (safe to log)
};

/// The outline the quarantine stores for an event: JSON with its type, whether it is a state
/// event, its keys and those of its content with their JSON types, at most
/// kQuarantineOutlineMax bytes. Key names other than [A-Za-z0-9._-]{1,32} are only counted.
std::string quarantine_outline(std::string_view raw_json, std::string_view type, bool state);

/// Counts for `reflexbot status` and tests.
struct StoreCounts {
  std::int64_t seen_events = 0;
  std::int64_t outbox_pending = 0;
  std::int64_t outbox_sent = 0;
  std::int64_t outbox_failed = 0;
  std::int64_t quarantined = 0;
  std::int64_t quarantine_refused = 0;  ///< over a daily cap, within the quarantine's retention
  std::int64_t rooms_joined = 0;
};

/// A stretch of a round's history: one phase, running or paused, from `since` until the next
/// change (table round_spans; BatchScope::save_round writes it).
struct PhaseSpan {
  std::int64_t round_id = 0;
  std::string template_key;
  std::size_t phase_index = 0;
  bool paused = false;
};

/// A digest posted in a room, as "!lehre D3-2", a reply to it and "!digest D3" name it.
struct DigestRecord {
  std::int64_t id = 0;      ///< the store's own id
  std::int64_t number = 0;  ///< D<number>, counted in its room
  std::string room_id;      ///< where it was posted
  std::string scope_room;   ///< what it covers: that room, or empty for the network
  core::TimePoint from{};   ///< its period [from, to); from == to: not known (before schema 16)
  core::TimePoint to{};
  core::TimePoint posted_at{};
};

/// Digests a room keeps (with their groups, for !lehre); older ones are dropped.
inline constexpr std::size_t kKeptDigests = 20;

class Store;

/// The unit of work: an open write transaction for one sync batch, one command or one job. All
/// writes of that batch or command commit together or not at all; destroyed without commit() it
/// rolls back. Every write to the store's state goes through here (reads are Store's); the only
/// writes outside are the outbox drain's marks (reflexbot::OutboxQueue) and the store's own
/// maintenance (migration, indexing, purge_expired(), the Scrubber), each in a transaction it
/// names.
/// The transaction id of the ✅ on a collected message: the one an outbox row queued with the key
/// "<event id>/ack" has (BatchScope::queue_send), whether it is sent from such a row (queued
/// before schema 24) or from its contribution's state.
std::string ack_txn_id(const std::string& room_id, const std::string& event_id);

class BatchScope {
 public:
  explicit BatchScope(Store& store);

  /// Records the event as seen in its room; false if it was seen there before (then it must not be
  /// acted on again). The same event id in another room is another event.
  bool mark_seen(const std::string& event_id, const std::string& room_id, std::int64_t now_ms);
  /// Queues an outgoing event. Its transaction id is derived from the room and `key` (e.g. the
  /// source event id and the effect's index), so queueing the same key for a room twice stores it
  /// once and a replayed batch reuses the id the homeserver already knows. Returns the
  /// transaction id.
  std::string queue_send(const std::string& room_id, const std::string& event_type,
                         const std::string& content_json, const std::string& key,
                         std::int64_t now_ms);
  /// Whether the last queue_send() added a row (false: its key was queued before).
  bool queued_new() const { return queued_new_; }
  /// Queues an anonymous post: a random transaction id (from the system's CSPRNG, derived from
  /// nothing the sender wrote), hour-coarse times, and a row the log never names. Returns the id.
  std::string queue_anonymous_post(const std::string& room_id, const std::string& content_json,
                                   std::int64_t now_ms);
  /// Queues an event that carries a file (an m.image): like queue_send, and the file (`bytes`,
  /// its `mimetype` and `filename`) is kept beside the row until it is uploaded and its URI put
  /// into the event's content (`url`, or `file` in an encrypted room). Returns the transaction id.
  std::string queue_media_send(const std::string& room_id, const std::string& event_type,
                               const std::string& content_json, const std::string& key,
                               std::int64_t now_ms, const std::string& bytes,
                               const std::string& mimetype, const std::string& filename);
  /// Queues a join or leave unless one for the room is already pending.
  void queue_membership(OutboxKind kind, const std::string& room_id, std::int64_t now_ms);
  /// Inserts or replaces the room's record.
  void put_room(const RoomRecord& room);
  /// Applies an m.room.member event: `user_id` is a joined member of the room or no longer one.
  void set_member(const std::string& room_id, const std::string& user_id, bool joined);
  /// Replaces the room's member list with one fetched from the homeserver.
  void replace_members(const std::string& room_id, const std::vector<std::string>& user_ids);
  /// Forgets the members of a room the bot left.
  void forget_members(const std::string& room_id);
  /// Deletes the seen rows of direct chats received before `before_ms`: they are needed only to
  /// de-duplicate the next batch, and kept longer they would say when a person wrote to the bot.
  /// Returns the rows deleted.
  std::int64_t forget_direct_seen(std::int64_t before_ms);
  /// Stores the outline of an event that could not be parsed, unless a daily cap is reached
  /// (then counts it). The caller marks the event seen either way, so it is never retried.
  QuarantineOutcome quarantine(const QuarantineEntry& entry, std::int64_t now_ms);
  /// Keeps an event that cannot be decrypted yet; false if it is kept already.
  bool keep_undecrypted(const UndecryptedEvent& event);
  /// Drops a kept event (it decrypted, or was given up).
  void drop_undecrypted(const std::string& event_id);
  /// Records the bot's device as the crypto layer sees it now.
  void set_crypto_identity(const CryptoIdentity& identity);
  /// Inserts the round (id 0: gets a new id) or updates it; returns its id. A change of phase or
  /// state (at round.changed_at) closes the round's open span of history and opens the next.
  std::int64_t save_round(const core::Round& round);
  /// Stores a contribution with its tags; false if the event was collected before. With `ack`
  /// the contribution is owed the ✅ reaction (Store::set_ack_reaction): it goes out through
  /// Store::pending_outbox after every outbox row queued before it, with the transaction id an
  /// outbox row keyed "<event id>/ack" would have; deleting the contribution before then
  /// (redaction, forget-me, retention, an edit) deletes the ✅ owed with it.
  bool add_contribution(const core::Contribution& contribution, bool ack = false);
  /// Replaces body and tags (an edit by the author); false if there is no such contribution or
  /// (with `edited_at_ms`, the edit's origin_server_ts) a later edit was applied already.
  bool edit_contribution(const std::string& event_id, const std::string& body,
                         const std::vector<std::string>& tags,
                         std::optional<std::int64_t> edited_at_ms = std::nullopt);
  /// Deletes a contribution with its tags and votes (a redaction); false if there was none.
  bool remove_contribution(const std::string& event_id);
  /// Deletes a contribution an edit made no contribution any more (its tag removed); false if
  /// there was none. If its ✅ went out already, the outbox keeps a sent row under the ✅'s
  /// transaction id (Store::ack_recorded), so that an edit adding the tag again sends no
  /// second one.
  bool withdraw_contribution(const std::string& event_id);
  /// Counts a 👍: false if the voter already voted for it or it is no contribution.
  bool add_vote(const std::string& reaction_event_id, const std::string& event_id,
                const std::string& voter);
  /// Takes back the vote made by this reaction; false if it counted nothing.
  bool remove_vote(const std::string& reaction_event_id);
  /// Deletes every contribution by and every vote of this pseudonym; returns how many rows went.
  std::int64_t forget_author(const std::string& author);
  /// Remembers that `author` asked to be forgotten at `now_ms`, so that nobody can collect their
  /// earlier messages again (a 📌 on an old message); kept for the retention period.
  void remember_forgotten(const std::string& author, std::int64_t now_ms);
  /// Asks for the original of an edit to be fetched: the edit may make it a contribution.
  void request_edit(const std::string& room_id, const std::string& original_event_id,
                    const std::string& edit_event_id, std::int64_t now_ms);
  /// A poll queued with `txn_id` in `room_id`: its answers stand for these contributions.
  void create_poll(const std::string& txn_id, const std::string& room_id,
                   const std::vector<std::pair<std::string, std::string>>& answers,
                   std::int64_t now_ms);
  /// `voter`'s answer to the poll: their earlier answer goes, `event_id` (if any, and if they
  /// did not vote for it otherwise) gets their vote. False if the vote did not change.
  bool set_poll_vote(const std::string& txn_id, const std::string& voter,
                     const std::optional<std::string>& event_id);
  /// Closes the poll at `at_ms` (answers sent later count nothing).
  void close_poll(const std::string& txn_id, std::int64_t at_ms);
  /// Ends an edit request (done, or given up).
  void finish_edit(const std::string& edit_event_id);
  /// Asks for the message `target_event_id` to be fetched and collected (a 📌 reaction).
  void request_pin(const std::string& room_id, const std::string& target_event_id,
                   std::int64_t now_ms);
  /// The pin request is done (collected, or the message cannot be had).
  void finish_pin(const std::string& target_event_id);
  // Lessons and digests (written in store/digests.cpp).

  // Every change of a lesson is also an entry of its history (lesson_history): who (`by`, a
  // moderator's pseudonym) changed what when, from which value to which.

  /// A new lesson identified from `sources` (contributions; ids that are gone are skipped).
  std::int64_t create_lesson(const std::string& room, const std::string& title,
                             const std::vector<std::string>& sources, core::TimePoint now,
                             const std::string& by = {});
  /// Gives the lesson an action (state "action").
  void set_action(std::int64_t id, const std::string& action, const std::string& owner,
                  std::chrono::year_month_day due, core::TimePoint now, const std::string& by = {});
  /// Marks the lesson learned.
  void mark_learned(std::int64_t id, core::TimePoint now, const std::string& by = {});
  /// A new title for the lesson.
  void retitle_lesson(std::int64_t id, const std::string& title, core::TimePoint now,
                      const std::string& by);
  /// A new owner for the lesson's action.
  void set_action_owner(std::int64_t id, const std::string& owner, core::TimePoint now,
                        const std::string& by);
  /// A new due date for the lesson's action.
  void set_action_due(std::int64_t id, std::chrono::year_month_day due, core::TimePoint now,
                      const std::string& by);
  /// Takes the action away: the lesson is "identified" again (the action stays in the history).
  void remove_action(std::int64_t id, core::TimePoint now, const std::string& by);
  /// Removes the lesson: no longer read (listed, exported); its row and history stay.
  void remove_lesson(std::int64_t id, core::TimePoint now, const std::string& by);
  /// A digest posted in `room` now: its number there (the room's last plus one), its scope (a
  /// room, or empty for the network) and period. A room keeps its last kKeptDigests digests;
  /// older ones go with their groups and messages.
  DigestRecord create_digest(const std::string& room, const std::string& scope_room,
                             core::TimePoint from, core::TimePoint to, core::TimePoint now);
  /// The digest's numbered groups: group n (1-based) has groups[n-1] (ids that are gone are
  /// skipped).
  void save_digest_groups(std::int64_t digest_id,
                          const std::vector<std::vector<std::string>>& groups);
  /// Pins `events` (contributions of the scope; unknown ids are skipped) to one curated group
  /// of `scope_room` and returns its id: the curated group one of them is pinned to already
  /// (the oldest, if several; the others' members and name move into it, so two corrected
  /// groups merged stay one), else a new one. Empty `events`: a new, empty group is not made (0).
  std::int64_t curate(const std::string& scope_room, const std::vector<std::string>& events,
                      core::TimePoint now);
  /// Pins `event_id` alone to a new curated group of `scope_room`, as moved by a moderator
  /// (store::moved_since()); returns its id (0 if the contribution is gone).
  std::int64_t curate_alone(const std::string& scope_room, const std::string& event_id,
                            core::TimePoint now);
  /// Pins `event_id` to the curated group `group_id` of `scope_room` (moved out of any other
  /// by a moderator: store::moved_since()).
  void pin_curated(const std::string& scope_room, const std::string& event_id,
                   std::int64_t group_id, core::TimePoint now);
  /// Names a curated group.
  void rename_curated(std::int64_t group_id, const std::string& name, core::TimePoint now);
  /// One of the digest's messages, by the transaction id it is sent with.
  void add_digest_message(std::int64_t digest_id, const std::string& txn_id);
  /// Records that the digest of `slot` was queued (with its notices, in this unit of work).
  void record_digest_slot(core::TimePoint slot, core::TimePoint now);
  /// Stores `spec` as the digest schedule, active since `now` (a new or changed schedule: its
  /// slots before `now` never come due).
  void activate_schedule(const std::string& spec, core::TimePoint now);

  // Erasure (written in store/retention.cpp).

  /// After the redaction of `event_id` in `room_id`: deletes quarantined copies of the event and
  /// a kept undecryptable copy (a redacted event is never processed later) and, if `bot_posts` (the
  /// redaction's sender may remove the bot's notices there), the anonymous contribution that a
  /// redacted bot notice of that room carried (the contribution and votes themselves go by
  /// remove_contribution() / remove_vote()). Returns the rows deleted.
  std::int64_t erase_redacted(const std::string& event_id, const std::string& room_id,
                              bool bot_posts);
  /// For "forget me": removes `pseudonym` as the starter of rounds (contributions and votes go
  /// by forget_author(); the quarantine keeps no sender). Returns the rows changed.
  std::int64_t forget_sender(const std::string& pseudonym);
  /// Drops every kept event of this sender (forget-me); returns how many.
  std::int64_t drop_undecrypted_from(const std::string& sender);

  /// Sets the sync token this batch advances to.
  void set_sync_token(const std::string& next_batch);
  /// Sets the sync token and records `now_ms` as the time of the last successful sync.
  void set_sync_token(const std::string& next_batch, std::int64_t now_ms);
  void commit();
  /// Contributions this unit of work stored so far (for the operators' metrics).
  std::size_t contributions_added() const { return contributions_added_; }

 private:
  void record_span(const core::Round& round, std::int64_t round_id);

  Store& store_;
  Transaction transaction_;
  bool queued_new_ = false;
  std::size_t contributions_added_ = 0;
};

/// The SQLite store. One instance, used from the bot's one thread. It is the outbox's queue: the
/// drain (matrix::Outbox) reads pending rows and marks them through reflexbot::OutboxQueue.
class Store final : public reflexbot::OutboxQueue {
 public:
  /// Opens (creating if needed) and migrates the database, and makes it and its -wal and -shm
  /// readable for the owner only (0600, whatever the umask). Throws StoreError.
  explicit Store(const std::string& path);
  ~Store();

  /// The dictionaries the store indexes contributions with (Debian's Hunspell and
  /// OpenThesaurus); a digest of unindexed texts must analyse them with the same.
  core::Lexicon* lexicon() { return &lexicon_; }

  /// Frees the dictionaries (and the analysis' word cache) if they were not used for `idle`:
  /// a bot between rounds need not hold them. Whether it freed them.
  bool release_dictionaries_if_idle(std::chrono::steady_clock::duration idle);
  /// Whether the dictionaries are loaded now.
  bool dictionaries_loaded() const { return lexicon_.loaded(); }
  /// Reads a language's dictionaries now, if not yet: a digest has them read on another thread
  /// while it reads the store (which does not use them).
  void load_dictionaries(core::Language language) { lexicon_.preload(language); }

  /// The schema version after migration.
  int schema_version();
  std::optional<std::string> sync_token();
  /// When the last sync batch was committed (ms since the epoch), if ever.
  std::optional<std::int64_t> last_sync_at();
  std::optional<RoomRecord> room(const std::string& room_id);
  /// Rooms the bot is joined to, by room id.
  std::vector<RoomRecord> joined_rooms();
  /// Whether the event was seen in this room (event ids are de-duplicated per room).
  bool is_seen(const std::string& event_id, const std::string& room_id);
  /// Whether `user_id` is a joined member of the room, as far as synced state and fetched member
  /// lists tell.
  bool is_member(const std::string& room_id, const std::string& user_id);
  /// How many joined members the room has, as far as the store knows.
  std::int64_t member_count(const std::string& room_id);
  /// The joined members of a room as recorded (user ids), for sharing room keys.
  std::vector<std::string> joined_members(const std::string& room_id);
  /// Joined rooms whose member list has not been fetched yet.
  std::vector<std::string> rooms_without_members(std::size_t limit);
  /// Pending outbox rows, oldest first, leaves (declined invites) after everything else: a flood
  /// of invites must not hold back replies. Order within a room is kept, as a room has at most
  /// one pending membership change and nothing is queued for a room the bot is leaving. A send
  /// row is `encrypted` if its room is encrypted now.
  std::vector<OutboxItem> pending_outbox(std::size_t limit) override;
  /// Records a delivered row with the homeserver's event id (empty for join/leave) and empties
  /// its content; a direct chat's row is deleted instead.
  void outbox_sent(std::int64_t id, const std::string& remote_event_id,
                   std::int64_t now_ms) override;
  /// Records a failed try; `permanent` gives the row up and empties its content (a direct chat's
  /// row is deleted instead).
  void outbox_failed(std::int64_t id, const std::string& error, bool permanent) override;
  void outbox_sent_txn(const std::string& txn_id, const std::string& remote_event_id,
                       std::int64_t now_ms) override;
  /// Records a contribution's ✅ (an item with `ack_of`) as sent or given up.
  void outbox_ack_done(const std::string& room_id, const std::string& event_id) override;
  /// The reaction a contribution's ✅ is sent as (default ✅).
  void set_ack_reaction(std::string emoji) { ack_reaction_ = std::move(emoji); }
  /// Whether the outbox holds a row under the transaction id of the ✅ for this message (queued
  /// before schema 24, or kept by withdraw_contribution): then it was acknowledged before.
  bool ack_recorded(const std::string& room_id, const std::string& event_id);
  /// Replaces a pending row's type and content by its ciphertext before its first send, so that a
  /// retry or a restart re-sends the same ciphertext with the same transaction id. A row that is
  /// no longer pending is left as it is.
  void outbox_encrypted(std::int64_t id, const std::string& event_type,
                        const std::string& content) override;
  /// The file of a pending media row (outbox_media table) until it is attached to its event.
  std::optional<OutboxMedia> outbox_media(std::int64_t id) override;
  void outbox_media_encrypted(std::int64_t id, const std::string& ciphertext,
                              const std::string& file_info) override;
  void outbox_media_uploaded(std::int64_t id, const std::string& content_uri) override;
  void outbox_media_attached(std::int64_t id, const std::string& content) override;
  /// Kept undecryptable events, oldest first.
  std::vector<UndecryptedEvent> undecrypted(std::size_t limit);
  /// received_ms of the oldest kept event, if any.
  std::optional<std::int64_t> oldest_undecrypted_ms();
  /// The bot's device as last recorded, if the crypto layer has recorded it.
  std::optional<CryptoIdentity> crypto_identity();
  /// The round of the room that has not ended, if any.
  std::optional<core::Round> open_round(const std::string& room_id);
  /// The round and phase that were open in `room_id` at `at` (from the rounds' history), if any.
  std::optional<PhaseSpan> round_span_at(const std::string& room_id, core::TimePoint at);
  /// Every round that has not ended (their timers are re-armed at start).
  std::vector<core::Round> open_rounds();
  std::optional<core::Contribution> contribution(const std::string& event_id);
  /// A phase's contributions, most votes first, then oldest first; at most `limit`.
  std::vector<core::Contribution> phase_contributions(std::int64_t round_id,
                                                      const std::string& phase_key,
                                                      std::size_t limit);
  /// The author's contributions, oldest first.
  std::vector<core::Contribution> contributions_by(const std::string& author);
  /// What a round collected, in one phase or (phase_key empty) in all.
  core::PhaseSummary summarize(std::int64_t round_id, const std::string& phase_key);
  /// An edit waiting for its original to be fetched.
  struct EditRequest {
    std::string room_id;
    std::string original_event_id;
    std::string edit_event_id;
    bool operator==(const EditRequest&) const = default;
  };
  /// Edit requests, in the order the edits came.
  std::vector<EditRequest> pending_edits(std::size_t limit);
  /// A poll the bot posted, as its event (`event_id`, delivered in `room_id`) finds it.
  struct Poll {
    std::string txn_id;
    std::string event_id;  ///< empty while it is not delivered
    std::optional<std::int64_t> closed_at;
  };
  std::optional<Poll> poll_shown_as(const std::string& room_id, const std::string& event_id);
  /// The room's newest poll that is not closed.
  std::optional<Poll> open_poll(const std::string& room_id);
  /// The contribution a poll's answer stands for.
  std::optional<std::string> poll_answer(const std::string& txn_id, const std::string& answer_id);
  /// The contribution a reaction in `room_id` on `event_id` is about: a collected message of that
  /// room, or the bot's notice that carries an anonymous contribution there.
  std::optional<core::Contribution> contribution_shown_as(const std::string& room_id,
                                                          const std::string& event_id);
  /// Pin requests waiting to be fetched: (room id, target event id), oldest first.
  std::vector<std::pair<std::string, std::string>> pending_pins(std::size_t limit);
  /// When `author` last asked to be forgotten, if they did.
  std::optional<std::int64_t> forgotten_at(const std::string& author);
  /// Contributions by and votes of this pseudonym: what forget_author() would delete.
  core::AuthorCounts count_by_author(const std::string& author);
  /// Votes for a contribution.
  std::int64_t votes(const std::string& event_id);
  /// A vote as the reaction that made it: the voted contribution's room and the voter.
  struct Vote {
    std::string room_id;
    std::string voter;
  };
  /// The vote `reaction_event_id` made, if it counts.
  std::optional<Vote> vote(const std::string& reaction_event_id);
  StoreCounts counts();
  Connection& connection() { return connection_; }

  /// Indexes contributions whose terms are missing, in batches of `batch` rows, each its own
  /// transaction; returns how many. Opening a store drops terms made by another analysis (see
  /// core::analysis_fingerprint()), so after an upgrade this makes them all again. The bot runs
  /// it at start; a crash in between leaves the rest for the next time, and until then digests
  /// analyse those bodies themselves.
  std::int64_t index_contributions(std::size_t batch = 2000);
  /// Indexes at most `limit` contributions whose terms are missing (the oldest first), in one
  /// transaction; returns how many. New and edited contributions are stored without their terms
  /// (the analysis stays off the sync batch): the bot runs this after each commit, a slice at a
  /// time, until it returns less than `limit`.
  std::int64_t index_pending(std::size_t limit);
  /// The index terms of a body, encoded for `contributions.terms`.
  std::string index_terms(std::string_view body);

  /// A commit leaves its pages in the WAL; a checkpoint copies them into the database file (and
  /// syncs it). The store does that itself only when the WAL holds kWalBackstopPages, so a sync
  /// batch's commit writes and syncs the WAL alone; the bot calls this after a commit's follow-up
  /// work (SQLite's own default would checkpoint in the commit at 1000 pages). PASSIVE: it waits
  /// for no reader. Whether it checkpointed.
  bool checkpoint_if_due();
  /// Pages in the WAL at the last commit since the last checkpoint.
  int wal_pages() const { return *wal_pages_; }

  /// The page cache for a sync batch of `body_bytes` (issue 17): an eighth of the body, at least
  /// SQLite's default (kCacheKib) and at most kBatchCacheKibMax. A large batch writes more
  /// random-key index pages than the default cache holds; the pages it pushes out go to the WAL
  /// in the transaction and are read back and written again. An eighth keeps the batch's peak
  /// below 2x the body; a quarter was about 6 % faster at 100k (docs/benchmarks.md).
  void size_cache_for(std::size_t body_bytes);
  /// Back to the default cache, its pages beyond that freed (after the batch's commit or
  /// rollback).
  void release_batch_cache();
  /// The page cache's size in KiB now (PRAGMA cache_size).
  std::int64_t cache_kib();
  static constexpr std::int64_t kCacheKib = 2000;  // SQLite's default
  static constexpr std::int64_t kBatchCacheKibMax = 16384;
  static constexpr int kWalCheckpointPages = 1000;
  static constexpr int kWalBackstopPages = 16384;

 private:
  friend class BatchScope;
  void migrate();
  void forget_stale_terms();
  static void make_private(const std::string& path);

  Connection connection_;
  // Used for every collected message during a round: prepared once, on first use.
  std::unique_ptr<Statement> open_round_;
  std::unique_ptr<Statement> round_span_at_;
  /// The event a round's thread hangs from; empty for a round in the main timeline.
  std::string thread_root(std::int64_t round_id);
  std::unique_ptr<Statement> insert_contribution_;
  std::string ack_reaction_ = "✅";
  std::unique_ptr<Statement> insert_vote_;
  std::unique_ptr<Statement> contribution_by_id_;
  std::unique_ptr<Statement> anonymous_notice_;
  std::unique_ptr<Statement> index_missing_;
  std::unique_ptr<Statement> index_update_;
  /// The statement in `slot`, prepared from `sql` on first use.
  Statement& cached(std::unique_ptr<Statement>& slot, const std::string& sql);
  struct Statements;
  std::unique_ptr<Statements> statements_;
  // Analyses collected messages; replaced when its caches grow large (hostile vocabulary).
  lang::DebianLexicon lexicon_;  // loaded when the first text is analysed
  // Set by SQLite's WAL hook at each commit (on the heap: the hook keeps its address).
  std::unique_ptr<int> wal_pages_ = std::make_unique<int>(0);
  bool batch_cache_ = false;  // size_cache_for raised the cache
  std::unique_ptr<core::TextAnalyzer> analyzer_;
  std::vector<std::uint64_t> scratch_keys_;
  // The quarantine's caps of the current day (UTC). Per sender in memory only, so that no sender
  // id is ever written; bounded: senders beyond kTrackedSenders share one count.
  struct QuarantineDay {
    std::int64_t day = -1;
    std::unordered_map<std::string, std::int64_t> per_sender;
    std::unordered_set<std::string> refused_rooms;  ///< logged once today
  };
  QuarantineDay quarantine_day_;
};

}  // namespace reflexbot::store
