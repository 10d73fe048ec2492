#include "app/admin.hpp"

#include "core/text.hpp"
#include "core/zone.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "app/config.hpp"
#include "store/sqlite.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;
using store::Connection;
using store::OpenMode;
using store::Statement;

std::string errno_text() { return std::generic_category().message(errno); }

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

void require_database(const fs::path& database) {
  std::error_code ec;
  if (!fs::exists(database, ec)) {
    throw AdminError("there is no database at " + database.string() +
                     " (has the bot been started yet? is `database` in the configuration right?)");
  }
  if (!fs::is_regular_file(database, ec)) {
    throw AdminError(database.string() + " is not a database file");
  }
}

std::string local_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  ::localtime_r(&seconds, &parts);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &parts);
  return std::string(text, length);
}

std::string span(std::int64_t ms) {
  const std::int64_t seconds = ms / 1000;
  if (seconds < 60) return std::to_string(seconds) + " s";
  const std::int64_t minutes = seconds / 60;
  if (minutes < 60) return std::to_string(minutes) + " min";
  const std::int64_t hours = minutes / 60;
  if (hours < 48) {
    std::string text = std::to_string(hours) + " h";
    if (minutes % 60 != 0) text += " " + std::to_string(minutes % 60) + " min";
    return text;
  }
  return std::to_string(hours / 24) + " days";
}

// "2024-05-01 12:00:00 CEST (3 min ago)" or "(in 3 min)".
std::string when(std::int64_t ms, std::int64_t now_ms) {
  const std::int64_t delta = now_ms - ms;
  return local_time(ms) +
         (delta >= 0 ? " (" + span(delta) + " ago)" : " (in " + span(-delta) + ")");
}

std::string plural(std::int64_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw AdminError("cannot open " + path.string() + ": " + errno_text());
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    throw AdminError("cannot flush " + path.string() + ": " +
                     std::generic_category().message(error));
  }
}

// Removes the temporary backup file unless it was moved into place.
struct TemporaryFile {
  fs::path path;
  bool keep = false;
  ~TemporaryFile() {
    if (keep) return;
    std::error_code ec;
    fs::remove(path, ec);
    for (const char* suffix : {"-journal", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
  }
};

[[noreturn]] void sqlite_fail(const std::string& what, int code) {
  throw store::StoreError(what + ": " + sqlite3_errstr(code), code);
}

void copy_pages(Connection& source, Connection& target) {
  sqlite3_backup* backup = sqlite3_backup_init(target.handle(), "main", source.handle(), "main");
  if (backup == nullptr) {
    throw store::StoreError(std::string("backup: ") + sqlite3_errmsg(target.handle()),
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

fs::path database_from_config(const fs::path& config_path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(config_path.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(config_path.string() +
                      ": cannot read the configuration file: " + errno_text());
  } catch (const YAML::Exception& error) {
    throw ConfigError(config_path.string() + ":" + std::to_string(error.mark.line + 1) +
                      ": cannot read the YAML: " + error.msg);
  }
  fs::path database = "reflexbot.db";
  if (root.IsMap() && root["database"]) {
    const YAML::Node value = root["database"];
    if (!value.IsScalar() || value.Scalar().empty()) {
      throw ConfigError(config_path.string() + ":" + std::to_string(value.Mark().line + 1) +
                        ": database: expected a file path");
    }
    database = value.Scalar();
  }
  if (database.is_absolute()) return database.lexically_normal();
  return (config_path.parent_path() / database).lexically_normal();
}

StatusReport read_status(const fs::path& database, std::int64_t now_ms) {
  require_database(database);
  StatusReport report;
  report.database = database;
  // Run as root beside a stopped DynamicUser service, SQLite creates the -wal and -shm files
  // with the database file's owner, so the service can open them again (tested).
  Connection c(database.string(), OpenMode::read_only);
  c.exec("BEGIN");  // one snapshot, while the bot goes on writing
  report.schema_version = static_cast<int>(scalar(c, "PRAGMA user_version"));
  if (report.schema_version < 1 || !has_table(c, "sync_state")) {
    throw AdminError(database.string() + " is not a Reflexbot database");
  }
  report.has_sync_token = scalar(c, "SELECT COUNT(*) FROM sync_state") > 0;
  if (has_table(c, "sync_progress")) {
    report.last_sync_ms = optional_scalar(c, "SELECT committed_at FROM sync_progress WHERE id = 1");
  }

  const std::string direct = report.schema_version >= 4 ? "direct" : "0";
  Statement rooms(c, "SELECT room_id, name, " + direct +
                         ", encrypted FROM rooms WHERE membership = 'join' "
                         "ORDER BY name = '', name, room_id");
  while (rooms.step()) {
    report.rooms.push_back({rooms.column_text(0), rooms.column_text(1), rooms.column_int(2) != 0,
                            rooms.column_int(3) != 0});
  }
  report.rooms_invited = scalar(c, "SELECT COUNT(*) FROM rooms WHERE membership = 'invite'");

  if (has_table(c, "rounds")) {
    Statement rounds(c,
                     "SELECT id, room_id, template_key, topic, state, phase_index, phase_deadline, "
                     "remaining_when_paused_ms FROM rounds WHERE state <> 'ended' ORDER BY id");
    while (rounds.step()) {
      report.rounds.push_back({rounds.column_int(0), rounds.column_text(1), rounds.column_text(2),
                               rounds.column_text(3), rounds.column_text(4),
                               rounds.column_int(5) + 1, rounds.column_int(6),
                               rounds.column_int(7)});
    }
  }
  if (has_table(c, "contributions")) {
    report.contributions = scalar(c, "SELECT COUNT(*) FROM contributions");
  }

  report.outbox_pending = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
  report.oldest_pending_ms =
      optional_scalar(c, "SELECT MIN(created_at) FROM outbox WHERE state = 'pending'");
  report.outbox_failed = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'");
  report.outbox_sent = scalar(c, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'");

  report.quarantined = scalar(c, "SELECT COUNT(*) FROM quarantine");
  Statement quarantine(c,
                       "SELECT room_id, event_id, reason, received_at FROM quarantine "
                       "ORDER BY id DESC LIMIT 5");
  while (quarantine.step()) {
    report.recent_quarantine.push_back({quarantine.column_text(0), quarantine.column_text(1),
                                        quarantine.column_text(2), quarantine.column_int(3)});
  }

  // The next scheduled digest, from the schedule the running bot stored (migration 6).
  if (has_table(c, "digest_schedule")) {
    Statement schedule(c, "SELECT spec, active_since FROM digest_schedule WHERE id = 1");
    if (schedule.step()) {
      if (const auto parsed = core::parse_schedule(schedule.column_text(0))) {
        const auto last = optional_scalar(c, "SELECT MAX(slot) FROM digest_runs");
        const auto ms = [](std::int64_t v) {
          return core::TimePoint(std::chrono::milliseconds(v));
        };
        const auto now = ms(now_ms);
        const auto next = core::next_digest_time(
            *parsed, now, last ? std::optional<core::TimePoint>(ms(*last)) : std::nullopt,
            ms(schedule.column_int(1)));
        report.next_digest_ms = next.time_since_epoch().count();
      }
    }
  }

  c.exec("COMMIT");
  return report;
}

std::string format_status(const StatusReport& report, std::int64_t now_ms) {
  std::map<std::string, std::string> room_names;
  for (const auto& room : report.rooms) room_names[room.room_id] = room.name;
  auto room_label = [&room_names](const std::string& room_id) {
    const auto found = room_names.find(room_id);
    if (found == room_names.end() || found->second.empty()) return room_id;
    return found->second + " (" + room_id + ")";
  };

  std::ostringstream out;
  out << "Store:         " << report.database.string() << " (schema " << report.schema_version
      << ")\n";

  out << "Last sync:     ";
  if (report.last_sync_ms) {
    out << when(*report.last_sync_ms, now_ms) << "\n";
  } else if (report.has_sync_token) {
    out << "not recorded yet (the bot has not synced since its upgrade)\n";
  } else {
    out << "never\n";
  }

  out << "Rooms:         "
      << plural(static_cast<std::int64_t>(report.rooms.size()), "joined", "joined");
  if (report.rooms_invited > 0) {
    out << ", " << plural(report.rooms_invited, "invitation", "invitations") << " pending";
  }
  out << "\n";
  for (const auto& room : report.rooms) {
    // Names, topics and ids are chosen by others: printed without control characters, so no
    // one can send escape sequences to an administrator's terminal.
    out << "  " << core::printable(room.room_id);
    if (!room.name.empty()) out << "  " << core::printable(room.name);
    if (room.direct) out << "  [direct chat]";
    if (room.encrypted) out << "  [encrypted: not readable]";
    out << "\n";
  }

  out << "Rounds:        "
      << plural(static_cast<std::int64_t>(report.rounds.size()), "open", "open") << "\n";
  for (const auto& round : report.rounds) {
    out << "  #" << round.id << " " << core::printable(round.template_key);
    if (!round.topic.empty()) out << " \"" << core::printable(round.topic) << "\"";
    out << " in " << core::printable(room_label(round.room_id)) << ", phase " << round.phase
        << ", ";
    if (round.state == "paused") {
      out << "paused with " << span(round.remaining_ms) << " left";
    } else {
      out << "phase ends " << when(round.phase_deadline_ms, now_ms);
    }
    out << "\n";
  }

  out << "Contributions: " << report.contributions << "\n";

  out << "Outbox:        " << report.outbox_pending << " pending";
  if (report.oldest_pending_ms)
    out << " (oldest queued " << when(*report.oldest_pending_ms, now_ms) << ")";
  out << ", " << report.outbox_failed << " failed, " << report.outbox_sent << " sent\n";

  out << "Quarantine:    " << plural(report.quarantined, "event", "events") << "\n";
  for (const auto& event : report.recent_quarantine) {
    out << "  " << local_time(event.received_at_ms) << "  " << core::printable(event.room_id)
        << "  " << core::printable(event.event_id) << ": " << core::printable(event.reason) << "\n";
  }

  out << "Next digest:   ";
  if (report.next_digest_ms) {
    out << when(*report.next_digest_ms, now_ms) << "\n";
  } else {
    out << "none scheduled\n";
  }
  return out.str();
}

BackupResult backup_database(const fs::path& database, const fs::path& target, bool force) {
  require_database(database);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (fs::equivalent(target, database, ec)) {
      throw AdminError("refusing to write the backup over the database itself");
    }
    if (fs::is_directory(target, ec)) {
      throw AdminError(target.string() + " is a folder; name the backup file");
    }
    if (!force) {
      throw AdminError(target.string() + " exists; give --force to replace it");
    }
  }
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string pattern = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());  // mode 0600: the backup holds what the bot collected
  if (fd < 0) {
    throw AdminError("cannot create a file in " + folder.string() + ": " + errno_text());
  }
  ::close(fd);
  TemporaryFile temporary{pattern};

  {
    Connection source(database.string(), OpenMode::read_only);
    Connection copy(temporary.path.string(), OpenMode::read_write);
    copy_pages(source, copy);
    copy.exec("PRAGMA journal_mode = DELETE");  // one self-contained file, no -wal beside it
    Statement check(copy, "PRAGMA integrity_check");
    const std::string verdict = check.step() ? check.column_text(0) : "no answer";
    if (verdict != "ok") {
      throw AdminError("the copy fails PRAGMA integrity_check: " + verdict +
                       "; check the database with sqlite3 " + database.string() +
                       " 'PRAGMA integrity_check'");
    }
  }
  fsync_path(temporary.path, O_RDONLY);

  // Without --force, link() refuses to replace a file that appeared in the meantime.
  if (force) {
    if (::rename(temporary.path.c_str(), target.c_str()) != 0) {
      throw AdminError("cannot rename the copy to " + target.string() + ": " + errno_text());
    }
  } else {
    if (::link(temporary.path.c_str(), target.c_str()) != 0) {
      throw AdminError("cannot write " + target.string() + ": " + errno_text());
    }
    fs::remove(temporary.path, ec);
  }
  temporary.keep = true;
  fsync_path(folder, O_RDONLY | O_DIRECTORY);

  BackupResult result;
  result.file = target;
  result.bytes = fs::file_size(target, ec);
  const fs::path key = database.string() + ".key";
  if (fs::exists(key, ec)) result.key_file = key;
  return result;
}

}  // namespace reflexbot::app
