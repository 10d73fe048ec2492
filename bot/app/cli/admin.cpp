#include "app/cli/admin.hpp"

#include "core/text.hpp"
#include "core/time.hpp"
#include "core/zone.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "app/config/config.hpp"
#include "store/status.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::generic_category().message(errno); }

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

// A device key as Element shows it: groups of four characters ("qUZ3 kL0Z tC1r ..."), so an
// admin can compare it with what a participant's client shows for the bot's session.
std::string fingerprint(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); i += 4) {
    if (i > 0) out += ' ';
    out += key.substr(i, 4);
  }
  return out;
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
  auto snapshot = store::read_status_snapshot(database.string());
  if (!snapshot) throw AdminError(database.string() + " is not a Reflexbot database");
  StatusReport report;
  static_cast<store::StatusSnapshot&>(report) = std::move(*snapshot);
  report.database = database;
  // The next scheduled digest, from the schedule the running bot stored.
  if (report.schedule) {
    if (const auto parsed = core::parse_schedule(report.schedule->spec)) {
      const auto last = report.schedule->last_slot_ms;
      const auto next = core::next_digest_time(
          *parsed, core::from_ms(now_ms),
          last ? std::optional<core::TimePoint>(core::from_ms(*last)) : std::nullopt,
          core::from_ms(report.schedule->active_since_ms));
      report.next_digest_ms = core::to_ms(next);
    }
  }
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
    if (room.encrypted) out << "  [encrypted]";
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

  out << "Device:        ";
  if (report.crypto) {
    // The crypto layer's own values, printed like every other stored text.
    out << core::printable(report.crypto->device_id)
        << ", cross-signed: " << (report.crypto->cross_signed ? "yes" : "no") << " (checked "
        << when(report.crypto->checked_ms, now_ms) << ")\n";
    out << "Fingerprint:   " << core::printable(fingerprint(report.crypto->ed25519)) << "\n";
    if (!report.crypto->recovery.empty())
      out << "Recovery:      " << core::printable(report.crypto->recovery) << "\n";
  } else {
    out << "none recorded (encryption has not started yet)\n";
  }
  out << "Undecryptable: " << plural(report.undecrypted, "event", "events")
      << " waiting for a room key";
  if (report.oldest_undecrypted_ms) {
    out << " (oldest received "
        << span(std::max<std::int64_t>(0, now_ms - *report.oldest_undecrypted_ms)) << " ago)";
  }
  out << "\n";

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
    const std::string verdict = store::copy_database(database.string(), temporary.path.string());
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
