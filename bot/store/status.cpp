// The admin's reads and the online copy. Run once per command: statements are prepared per call.

#include "store/status.hpp"

#include <sqlite3.h>

#include <string_view>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace reflexbot::store {
namespace {

std::int64_t scalar(Connection& c, std::string_view sql) {
  Statement s(c, sql);
  return s.step() ? s.column_int(0) : 0;
}

std::optional<std::int64_t> optional_scalar(Connection& c, std::string_view sql) {
  Statement s(c, sql);
  if (!s.step() || s.column_is_null(0)) return std::nullopt;
  return s.column_int(0);
}

bool has_table(Connection& c, std::string_view name) {
  Statement s(c, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

void read_rooms_and_rounds(Connection& c, StatusSnapshot& snapshot) {
  const std::string direct = snapshot.schema_version >= 4 ? "direct" : "0";
  Statement rooms(c, "SELECT room_id, name, " + direct +
                         ", encrypted FROM rooms WHERE membership = 'join' "
                         "ORDER BY name = '', name, room_id");
  while (rooms.step()) {
    snapshot.rooms.push_back({rooms.column_text(0), rooms.column_text(1), rooms.column_int(2) != 0,
                              rooms.column_int(3) != 0});
  }
  snapshot.rooms_invited = scalar(c, "SELECT COUNT(*) FROM rooms WHERE membership = 'invite'");

  if (has_table(c, "rounds")) {
    Statement rounds(c,
                     "SELECT id, room_id, template_key, topic, state, phase_index, phase_deadline, "
                     "remaining_when_paused_ms FROM rounds WHERE state <> 'ended' ORDER BY id");
    while (rounds.step()) {
      snapshot.rounds.push_back({rounds.column_int(0), rounds.column_text(1), rounds.column_text(2),
                                 rounds.column_text(3), rounds.column_text(4),
                                 rounds.column_int(5) + 1, rounds.column_int(6),
                                 rounds.column_int(7)});
    }
  }
  if (has_table(c, "contributions")) {
    snapshot.contributions = scalar(c, "SELECT COUNT(*) FROM contributions");
  }
}

// The outbox's pending rows (how many, since when) and failed rows, and the quarantine's size:
// `reflexbot status` and the metrics endpoint read the same.
// `acks`: the store has schema 24's ✅ owed by contributions, which count as pending rows.
template <class Figures>
void read_queue_figures(Connection& c, Figures& figures, bool acks) {
  figures.outbox_pending = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
  figures.oldest_pending_ms =
      optional_scalar(c, "SELECT MIN(created_at) FROM outbox WHERE state = 'pending'");
  if (acks) {
    // By their partial index: no scan of the table.
    figures.outbox_pending += scalar(c, "SELECT COUNT(*) FROM contributions WHERE ack >= 0");
    const auto oldest = optional_scalar(
        c, "SELECT collected_at FROM contributions WHERE ack >= 0 ORDER BY id LIMIT 1");
    if (oldest && (!figures.oldest_pending_ms || *oldest < *figures.oldest_pending_ms)) {
      figures.oldest_pending_ms = oldest;
    }
  }
  figures.outbox_failed = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'");
  figures.quarantined = scalar(c, "SELECT COUNT(*) FROM quarantine");
}

void read_outbox_and_quarantine(Connection& c, StatusSnapshot& snapshot) {
  read_queue_figures(c, snapshot, snapshot.schema_version >= 24);
  snapshot.outbox_sent = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'");
  Statement quarantine(c,
                       "SELECT room_id, event_id, reason, received_at FROM quarantine "
                       "ORDER BY id DESC LIMIT 5");
  while (quarantine.step()) {
    snapshot.recent_quarantine.push_back({quarantine.column_text(0), quarantine.column_text(1),
                                          quarantine.column_text(2), quarantine.column_int(3)});
  }

  if (has_table(c, "digest_schedule")) {
    Statement schedule(c, "SELECT spec, active_since FROM digest_schedule WHERE id = 1");
    if (schedule.step()) {
      snapshot.schedule =
          StatusSnapshot::Schedule{schedule.column_text(0), schedule.column_int(1),
                                   optional_scalar(c, "SELECT MAX(slot) FROM digest_runs")};
    }
  }
}

void read_crypto(Connection& c, StatusSnapshot& snapshot) {
  if (has_table(c, "crypto_identity")) {
    const std::string recovery = snapshot.schema_version >= 14 ? "recovery" : "''";
    Statement identity(c, "SELECT device_id, ed25519, cross_signed, checked_at, " + recovery +
                              " FROM crypto_identity WHERE id = 1");
    if (identity.step()) {
      snapshot.crypto = StatusSnapshot::Crypto{identity.column_text(0), identity.column_text(1),
                                               identity.column_int(2) != 0, identity.column_int(3),
                                               identity.column_text(4)};
    }
  }
  if (has_table(c, "undecrypted")) {
    snapshot.undecrypted = scalar(c, "SELECT COUNT(*) FROM undecrypted");
    snapshot.oldest_undecrypted_ms = optional_scalar(c, "SELECT MIN(received_ms) FROM undecrypted");
  }
}

[[noreturn]] void sqlite_fail(const std::string& what, int code) {
  throw StoreError(what + ": " + sqlite3_errstr(code), code);
}

void copy_pages(Connection& source, Connection& target) {
  sqlite3_backup* backup = sqlite3_backup_init(target.handle(), "main", source.handle(), "main");
  if (backup == nullptr) {
    throw StoreError(std::string("backup: ") + sqlite3_errmsg(target.handle()),
                     sqlite3_errcode(target.handle()));
  }
  // All pages in one step: one read transaction on the source, which in WAL mode never blocks
  // the bot's writes. Busy or locked happens only around a checkpoint; wait and try again.
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 100; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    const int primary = rc & 0xFF;
    if (primary != SQLITE_BUSY && primary != SQLITE_LOCKED && primary != SQLITE_OK) break;
    if (primary != SQLITE_OK) sqlite3_sleep(100);
  }
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) sqlite_fail("backup", rc);
  if (finished != SQLITE_OK) sqlite_fail("backup", finished);
}

}  // namespace

LiveGauges read_live_gauges(Store& store) {
  Connection& c = store.connection();
  LiveGauges gauges;
  gauges.last_sync_ms = optional_scalar(c, "SELECT committed_at FROM sync_progress WHERE id = 1");
  read_queue_figures(c, gauges, true);
  gauges.undecrypted = scalar(c, "SELECT COUNT(*) FROM undecrypted");
  gauges.last_weekly_digest_ms = optional_scalar(c, "SELECT MAX(slot) FROM digest_runs");
  return gauges;
}

std::optional<StatusSnapshot> read_status_snapshot(const std::string& path) {
  StatusSnapshot snapshot;
  // Run as root beside a stopped DynamicUser service, SQLite creates the -wal and -shm files
  // with the database file's owner, so the service can open them again (tested).
  Connection c(path, OpenMode::read_only);
  c.exec("BEGIN");  // one snapshot, while the bot goes on writing
  snapshot.schema_version = static_cast<int>(scalar(c, "PRAGMA user_version"));
  if (snapshot.schema_version < 1 || !has_table(c, "sync_state")) return std::nullopt;
  snapshot.has_sync_token = scalar(c, "SELECT COUNT(*) FROM sync_state") > 0;
  if (has_table(c, "sync_progress")) {
    snapshot.last_sync_ms =
        optional_scalar(c, "SELECT committed_at FROM sync_progress WHERE id = 1");
  }
  read_rooms_and_rounds(c, snapshot);
  read_outbox_and_quarantine(c, snapshot);
  read_crypto(c, snapshot);
  c.exec("COMMIT");
  return snapshot;
}

int schema_version(const std::string& path) {
  Connection probe(path, OpenMode::read_only);
  Statement version(probe, "PRAGMA user_version");
  version.step();
  return static_cast<int>(version.column_int(0));
}

std::string copy_database(const std::string& source, const std::string& target) {
  Connection from(source, OpenMode::read_only);
  Connection copy(target, OpenMode::read_write);
  copy_pages(from, copy);
  copy.exec("PRAGMA journal_mode = DELETE");  // one self-contained file, no -wal beside it
  Statement check(copy, "PRAGMA integrity_check");
  return check.step() ? check.column_text(0) : "no answer";
}

}  // namespace reflexbot::store
