#pragma once
// Retention and erasure: what is deleted when, and how deleted text is made to vanish from the
// database file and its write-ahead log, not only from the tables.
//
// secure_delete zeroes deleted cells and freed pages, but that is not enough on its own:
// - the WAL keeps the old page images (with the text) until a checkpoint copies it back;
// - when SQLite rebalances a b-tree page it rewrites the page without clearing the gap between the
//   cell pointers and the cells, so a stale copy of a cell that moved to a sibling page can stay in
//   that gap after the cell itself is deleted (seen with SQLite 3.40: one of 31 deleted texts among
//   3000 rows survived a delete and a checkpoint).
// So after every erasure the Scrubber rewrites the database (VACUUM, its temporary copy kept in
// memory) and truncates the WAL (checkpoint TRUNCATE).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "store/store.hpp"

namespace reflexbot::store {

/// How long the store keeps what it holds.
struct RetentionPolicy {
  /// Contributions (with their tags, votes, lesson sources and digest groups), ended rounds, seen
  /// event ids, delivered or given-up outbox rows, and encrypted events kept undecryptable.
  std::chrono::days contributions{365};
  /// Quarantined events' outlines (type, key names and JSON types; no values, no sender), and
  /// the per-day counts of events the quarantine's caps refused.
  std::chrono::days quarantine{30};
};

/// The policy for `retention_days`: contributions that many days, quarantine at most 30 days.
RetentionPolicy retention_policy(int retention_days);

/// What a purge deleted (or emptied).
struct PurgeCounts {
  std::int64_t contributions = 0;
  std::int64_t rounds = 0;
  std::int64_t quarantined = 0;
  std::int64_t outbox_rows = 0;      ///< delivered or given-up rows older than the policy
  std::int64_t outbox_contents = 0;  ///< delivered or given-up rows that still had content
  std::int64_t seen_events = 0;
  std::int64_t undecrypted = 0;  ///< kept undecryptable events (a backstop: sync gives up sooner)

  std::int64_t total() const {
    return contributions + rounds + quarantined + outbox_rows + outbox_contents + seen_events +
           undecrypted;
  }
};

/// Deletes what is older than the policy allows, in a unit of work (BatchScope) of its own, and
/// marks the store for a scrub if anything went. Pending outbox rows are never touched. The
/// erasures inside a batch (BatchScope::erase_redacted(), forget_sender(),
/// drop_undecrypted_from()) are in retention.cpp.
PurgeCounts purge_expired(Store& store, const RetentionPolicy& policy, core::TimePoint now);

/// What a scrub did.
struct ScrubResult {
  bool ran = false;       ///< something was erased since the last complete scrub
  bool complete = false;  ///< the WAL is truncated: nothing erased survives in the files
};

/// Notes every erasure on the store's connection and wipes erased data from the files.
class Scrubber {
 public:
  /// Keeps temporary data in memory (so VACUUM writes no temporary file) and installs temporary
  /// triggers that note every deleted contribution, vote or quarantined event and every edited
  /// contribution text. The notes commit or roll back with the transaction that made them.
  /// `vacuum_interval`: the least time between two VACUUMs (see scrub()).
  explicit Scrubber(Store& store,
                    std::chrono::steady_clock::duration vacuum_interval = std::chrono::minutes(5));

  /// Whether something was erased and is not yet wiped from the files.
  bool pending();
  /// If pending: checkpoint(TRUNCATE) at once — secure_delete has already overwritten what was
  /// erased in the database file, so this wipes the last copies, in the WAL. The VACUUM that
  /// also rewrites the file runs at most once per `vacuum_interval` (then at the first call after
  /// it): rewriting a large store after every edit or taken-back vote would let any member stall
  /// the bot. Runs outside any transaction, with no statement in progress. A checkpoint that a
  /// reader blocks (`reflexbot status`, `backup`) is retried by the next call. Throws StoreError.
  ScrubResult scrub();

 private:
  Store& store_;
  std::chrono::steady_clock::duration vacuum_interval_;
  std::optional<std::chrono::steady_clock::time_point> last_vacuum_;
  bool vacuum_due_ = false;      ///< erased since the last VACUUM
  bool checkpoint_due_ = false;  ///< erased or rewritten, but the WAL is not yet truncated
};

/// Notes on the connection that something was erased outside a Scrubber's watch (a migration
/// that dropped data), so that the next Scrubber::scrub() wipes it from the files.
void note_erasure(Connection& connection);

/// Copies the WAL into the database and truncates it; false if a reader kept it from finishing.
bool checkpoint_truncate(Store& store);

}  // namespace reflexbot::store
