// Retention purge, erasure helpers and the scrubber. Rarely run: statements are prepared per call.

#include "store/retention.hpp"

#include <algorithm>

namespace reflexbot::store {
namespace {

using core::to_ms;

// Temporary (per connection, never in the database file): a one-row table that says "something
// was erased", set by triggers. A note written inside a transaction commits or rolls back with it.
constexpr std::string_view kWatch = R"sql(
CREATE TEMP TABLE IF NOT EXISTS reflexbot_erasure (id INTEGER PRIMARY KEY CHECK (id = 1));
CREATE TEMP TRIGGER IF NOT EXISTS reflexbot_erased_contribution AFTER DELETE ON main.contributions
BEGIN INSERT OR IGNORE INTO reflexbot_erasure (id) VALUES (1); END;
CREATE TEMP TRIGGER IF NOT EXISTS reflexbot_edited_contribution
AFTER UPDATE OF body ON main.contributions
BEGIN INSERT OR IGNORE INTO reflexbot_erasure (id) VALUES (1); END;
CREATE TEMP TRIGGER IF NOT EXISTS reflexbot_erased_vote AFTER DELETE ON main.votes
BEGIN INSERT OR IGNORE INTO reflexbot_erasure (id) VALUES (1); END;
CREATE TEMP TRIGGER IF NOT EXISTS reflexbot_erased_quarantine AFTER DELETE ON main.quarantine
BEGIN INSERT OR IGNORE INTO reflexbot_erasure (id) VALUES (1); END;
)sql";

void mark_erased(Connection& connection) {
  connection.exec(kWatch);
  connection.exec("INSERT OR IGNORE INTO reflexbot_erasure (id) VALUES (1)");
}

// The Scrubber's setting, made before the temporary objects exist: changing temp_store drops
// them (setting the same value again does not).
constexpr std::string_view kTempStore = "PRAGMA temp_store = MEMORY";

// Runs a statement with up to one bound integer and returns the rows it changed.
std::int64_t changed(Connection& connection, std::string_view sql) {
  Statement statement(connection, sql);
  statement.run();
  return connection.changes();
}

std::int64_t changed(Connection& connection, std::string_view sql, std::int64_t value) {
  Statement statement(connection, sql);
  statement.bind(1, value).run();
  return connection.changes();
}

}  // namespace

RetentionPolicy retention_policy(int retention_days) {
  RetentionPolicy policy;
  policy.contributions = std::chrono::days(retention_days);
  policy.quarantine = std::min(policy.quarantine, policy.contributions);
  return policy;
}

PurgeCounts purge_expired(Store& store, const RetentionPolicy& policy, core::TimePoint now) {
  Connection& c = store.connection();
  const std::int64_t cutoff = to_ms(now - policy.contributions);
  const std::int64_t quarantine_cutoff = to_ms(now - policy.quarantine);
  PurgeCounts counts;
  BatchScope scope(store);
  // Tags, votes, lesson sources and digest groups go with their contribution (ON DELETE CASCADE).
  counts.contributions = changed(c, "DELETE FROM contributions WHERE written_at < ?", cutoff);
  counts.rounds = changed(c, "DELETE FROM rounds WHERE state = 'ended' AND ended_at < ?", cutoff);
  counts.quarantined =
      changed(c, "DELETE FROM quarantine WHERE received_at < ?", quarantine_cutoff);
  // Counts only, no personal data: not counted as an erasure.
  Statement refused(c, "DELETE FROM quarantine_refused WHERE day < ?");
  refused.bind(1, quarantine_cutoff / (24LL * 60 * 60 * 1000)).run();
  counts.outbox_rows = changed(c,
                               "DELETE FROM outbox WHERE state <> 'pending' AND "
                               "COALESCE(sent_at, created_at) < ?",
                               cutoff);
  // Delivery empties the content already; this catches rows delivered by older versions.
  counts.outbox_contents =
      changed(c, "UPDATE outbox SET content = '' WHERE state <> 'pending' AND content <> ''");
  counts.seen_events = changed(c, "DELETE FROM seen_events WHERE received_at < ?", cutoff);
  // Requests are done within seconds; one that was never done (the bot stopped for good) goes.
  changed(c, "DELETE FROM edit_requests WHERE requested_at < ?", cutoff);
  // A poll's answers go with their contributions; the poll itself with its time.
  changed(c, "DELETE FROM polls WHERE created_at < ?", cutoff);
  counts.undecrypted = changed(c, "DELETE FROM undecrypted WHERE received_ms < ?", cutoff);
  // Messages older than the retention period are not collected anyway.
  changed(c, "DELETE FROM forgotten_authors WHERE forgotten_at < ?", cutoff);
  if (counts.total() > 0) mark_erased(c);
  scope.commit();
  return counts;
}

std::int64_t BatchScope::erase_redacted(const std::string& event_id, const std::string& room_id,
                                        bool bot_posts) {
  Connection& c = store_.connection();
  std::int64_t deleted = 0;
  if (bot_posts) {
    // An anonymous contribution is keyed by its notice's transaction id; the redaction names the
    // notice's event id, which the outbox recorded at delivery.
    Statement anonymous(c,
                        "DELETE FROM contributions WHERE via = 'anonymous' AND room_id = ?2 AND "
                        "event_id = (SELECT 'anon:' || txn_id FROM outbox WHERE "
                        "remote_event_id = ?1 AND room_id = ?2 AND kind = 'send' LIMIT 1)");
    anonymous.bind(1, event_id).bind(2, room_id).run();
    deleted = c.changes();
  }
  Statement quarantined(c, "DELETE FROM quarantine WHERE event_id = ? AND room_id = ?");
  quarantined.bind(1, event_id).bind(2, room_id).run();
  deleted += c.changes();
  // Its key may still come: the redacted event must not be processed then. Only in the
  // redaction's room: a redaction elsewhere names no event of this room.
  Statement kept(c, "DELETE FROM undecrypted WHERE event_id = ? AND room_id = ?");
  kept.bind(1, event_id).bind(2, room_id).run();
  if (c.changes() > 0) {
    deleted += c.changes();
    mark_erased(c);
  }
  return deleted;
}

std::int64_t BatchScope::drop_undecrypted_from(const std::string& sender) {
  if (sender.empty()) return 0;
  Connection& c = store_.connection();
  Statement kept(c, "DELETE FROM undecrypted WHERE sender = ?");
  kept.bind(1, sender).run();
  const std::int64_t dropped = c.changes();
  // The sender id stays in the WAL until a scrub.
  if (dropped > 0) mark_erased(c);
  return dropped;
}

std::int64_t BatchScope::forget_sender(const std::string& pseudonym) {
  Connection& c = store_.connection();
  std::int64_t changes = 0;
  if (!pseudonym.empty()) {
    Statement rounds(c, "UPDATE rounds SET started_by = '' WHERE started_by = ?");
    rounds.bind(1, pseudonym).run();
    changes += c.changes();
  }
  if (changes > 0) mark_erased(c);
  return changes;
}

void note_erasure(Connection& connection) {
  connection.exec(kTempStore);
  mark_erased(connection);
}

Scrubber::Scrubber(Store& store, std::chrono::steady_clock::duration vacuum_interval)
    : store_(store), vacuum_interval_(vacuum_interval) {
  store_.connection().exec(kTempStore);
  store_.connection().exec(kWatch);
}

bool Scrubber::pending() {
  Statement s(store_.connection(), "SELECT 1 FROM reflexbot_erasure");
  return s.step();
}

ScrubResult Scrubber::scrub() {
  ScrubResult result;
  if (pending()) {
    result.ran = true;
    store_.connection().exec("DELETE FROM reflexbot_erasure");
    checkpoint_due_ = true;
    vacuum_due_ = true;
  }
  const auto now = std::chrono::steady_clock::now();
  if (vacuum_due_ && (!last_vacuum_ || now - *last_vacuum_ >= vacuum_interval_)) {
    result.ran = true;
    store_.connection().exec("VACUUM");
    last_vacuum_ = now;
    vacuum_due_ = false;
    checkpoint_due_ = true;
  }
  if (checkpoint_due_) {
    result.ran = true;
    if (checkpoint_truncate(store_)) checkpoint_due_ = false;
  }
  result.complete = result.ran && !checkpoint_due_;
  return result;
}

bool checkpoint_truncate(Store& store) {
  Statement checkpoint(store.connection(), "PRAGMA main.wal_checkpoint(TRUNCATE)");
  return checkpoint.step() && checkpoint.column_int(0) == 0;
}

}  // namespace reflexbot::store
