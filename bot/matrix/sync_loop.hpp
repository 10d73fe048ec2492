#pragma once
// The /sync long-poll loop: fills gaps of `limited` timelines from /messages, hands each batch to
// the sink (which commits it together with next_batch), then wakes the outbox.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "matrix/client.hpp"
#include "matrix/e2ee.hpp"
#include "matrix/outbox.hpp"
#include "matrix/parse.hpp"
#include "matrix/retry.hpp"

namespace reflexbot::matrix {

/// An encrypted event kept until its room key arrives.
struct KeptEvent {
  std::string event_id;
  std::string room_id;
  std::string event_json;  ///< the m.room.encrypted event (encrypted_event_json())
  std::int64_t kept_ms = 0;
};

/// Where synced batches go; implemented by the app's dispatcher over the store. A batch is
/// begin(), then its timeline events (per room: room_timeline(), missed events first), then
/// commit() with next_batch — all in one transaction — or abort().
class SyncSink {
 public:
  virtual ~SyncSink() = default;
  /// The stored next_batch of the last committed batch, if any.
  virtual std::optional<std::string> sync_token() = 0;
  /// A /sync body of this size arrived and is parsed next (its outline, then begin()): what the
  /// sink can free for a large one is not held beside it and the parser's buffers.
  virtual void received(std::size_t body_bytes) { (void)body_bytes; }
  /// True if the bot was already joined to the room before this batch (gaps are filled only then).
  virtual bool was_joined(const std::string& room_id) = 0;
  /// Opens the batch: invites, left rooms and each joined room's state block. `initial` is the
  /// first sync ever (no token): history is recorded but not acted on.
  virtual void begin(const SyncBatch& outline, bool initial) = 0;
  /// The timeline of this joined room follows.
  virtual void room_timeline(const std::string& room_id) = 0;
  virtual void timeline_event(const Event& event) = 0;
  virtual void malformed(const MalformedEvent& event) = 0;
  /// Commits everything since begin() together with the new sync token.
  virtual void commit(const std::string& next_batch) = 0;
  /// Rolls back everything since begin().
  virtual void abort() = 0;

  // Encrypted events whose room key has not arrived yet.
  /// Keeps `event` (m.room.encrypted, not yet seen) with this batch, to be decrypted later.
  virtual void undecryptable(const Event& event, const crypto::Undecryptable& why) = 0;
  /// Kept events, oldest first.
  virtual std::vector<KeptEvent> kept_events(std::size_t limit) = 0;
  /// Drops a kept event within the open batch (it decrypted, or was given up).
  virtual void drop_kept(const std::string& event_id) = 0;
};

/// Missed events of limited rooms, chronological, by room id.
using GapEvents = std::map<std::string, std::vector<Event>>;

/// Streams a /sync body whose outline was parsed already into the sink and commits it: the real
/// path of every batch (also used by the benchmark). `gap_malformed` are the malformed events of
/// the gap fill's /messages pages; they are quarantined in the same batch. With `e2ee`, each
/// m.room.encrypted event is decrypted and goes on as the event it carries; one whose key has not
/// arrived is kept by the sink. Without, `met_encryption` (if given) is set when a timeline held
/// an m.room.encryption or m.room.encrypted event. On a parse error the batch is rolled back.
Expected<void, ParseError> ingest(SyncSink& sink, std::string& body, const SyncBatch& outline,
                                  const GapEvents& gaps, const std::string& own_user_id,
                                  bool initial,
                                  const std::vector<MalformedEvent>& gap_malformed = {},
                                  E2ee* e2ee = nullptr, bool* met_encryption = nullptr);

/// True if a batch's outline needs the crypto machine before its timelines are read: to-device
/// events, an invite to an encrypted room (the bot's keys must be on the server before it joins,
/// or the first messages there are not encrypted for it), a joined room whose state says it is
/// encrypted.
bool outline_needs_encryption(const SyncBatch& outline);

/// Decrypts what it can of the sink's kept events in one batch of their own (the sync token
/// stays), gives up those older than `give_up_after` or that can never decrypt. Returns how many
/// decrypted.
std::size_t retry_kept(SyncSink& sink, E2ee& e2ee, std::chrono::milliseconds give_up_after,
                       std::int64_t now_ms);

/// Tuning of the loop.
struct SyncOptions {
  int timeout_ms = 30000;
  int timeline_limit = 50;
  int gap_page_size = 100;
  int gap_max_pages = 100;  ///< a larger gap is filled up to this many pages, with a warning
  /// While a backoff wait after a network error or a 5xx runs, GET /versions is tried this often;
  /// the wait ends once the homeserver is seen back (0: no probes).
  int probe_interval_ms = 2000;
  int probe_timeout_ms = 1000;  ///< the timeout of each probe
  /// An encrypted event whose key has not arrived is kept this long, then given up.
  std::chrono::milliseconds undecryptable_give_up{std::chrono::hours(24)};
};

/// The sync filter: only the event types the bot uses, members lazy-loaded.
std::string sync_filter_json(int timeline_limit);

/// Opens the crypto machine the first time a batch needs it and enables it on the loop (and the
/// outbox); a Fatal if it cannot.
using EncryptionStarter = std::function<net::asio::awaitable<std::optional<Fatal>>()>;

/// Runs /sync until stopped or a fatal error.
class SyncLoop {
 public:
  /// `e2ee` (may be null: no encryption) gets each sync's encryption parts: before its timeline
  /// when they carry to-device events or device-list changes, otherwise after the commit (and the
  /// machine only when they bring it news; E2ee::needed_before_batch, news_for_machine).
  SyncLoop(Client& client, SyncSink& sink, Sleeper& sleeper, Backoff backoff, SyncOptions options,
           std::function<void()> after_commit, E2ee* e2ee = nullptr);

  /// Uploads the filter, then syncs until stop() or a fatal error.
  net::asio::awaitable<std::optional<Fatal>> run();
  /// Uploads the filter (with retries).
  net::asio::awaitable<std::optional<Fatal>> prepare();
  /// One successful /sync (retrying errors), gap fill, apply and commit.
  net::asio::awaitable<std::optional<Fatal>> step();
  void stop() { stopped_ = true; }
  /// From now on, with encryption (set once the crypto machine is open).
  void enable_encryption(E2ee& e2ee) { e2ee_ = &e2ee; }
  /// Without encryption yet: `start` is called when a batch first needs it — before the batch
  /// when its outline does (outline_needs_encryption), after its commit when only its timeline
  /// does (a room switched encryption on; what was encrypted there was not encrypted for a bot
  /// that had no keys yet) — and must call enable_encryption.
  void start_encryption_when_needed(EncryptionStarter start) {
    start_encryption_ = std::move(start);
  }
  /// `pace` is awaited before each step's /sync request: the app may hold the next request back
  /// (after a large body, until the work that followed its commit is done, so that the next
  /// body is not received while that work holds its memory).
  void pace_requests(std::function<net::asio::awaitable<void>()> pace) { pace_ = std::move(pace); }

 private:
  /// What a gap fill fetched: the missed events and the malformed ones, each chronologically.
  struct Gap {
    std::vector<Event> events;
    std::vector<MalformedEvent> malformed;
  };

  /// Retries the kept encrypted events when keys came or it is time to.
  void retry_kept_if_due(bool keys_arrived);
  /// Fetches what a limited timeline left out, from prev_batch back to `since`.
  net::asio::awaitable<Expected<Gap, Fatal>> fill_gap(std::string room_id, std::string prev_batch,
                                                      std::string since);

  /// Waits `delay` before retrying after `error`; after a network error or a 5xx the wait ends
  /// early once /versions shows the homeserver back. False if the bot is stopping.
  net::asio::awaitable<bool> wait_before_retry(MatrixError error, std::chrono::milliseconds delay);

  Client& client_;
  SyncSink& sink_;
  Sleeper& sleeper_;
  Backoff backoff_;
  SyncOptions options_;
  std::function<void()> after_commit_;
  E2ee* e2ee_;
  EncryptionStarter start_encryption_;
  std::function<net::asio::awaitable<void>()> pace_;
  int batches_since_retry_ = -1;  ///< -1: kept events not retried since the start
  std::string filter_id_;
  bool stopped_ = false;
};

}  // namespace reflexbot::matrix
