#pragma once
// The admin's commands beside the running bot: `reflexbot status` reads the store read-only,
// `reflexbot backup FILE` copies it online with SQLite's backup API.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace reflexbot::app {

/// An admin command failed; what() says why in a sentence for the admin.
class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The database a configuration file names (`database`, relative to the file's folder; default
/// reflexbot.db beside it). Reads only that key, so it works where the bot's secrets (systemd
/// credentials) are not at hand. Throws ConfigError.
std::filesystem::path database_from_config(const std::filesystem::path& config_path);

/// What `reflexbot status` reports.
struct StatusReport {
  /// A room the bot is in.
  struct Room {
    std::string room_id;
    std::string name;
    bool direct = false;
    bool encrypted = false;
  };
  /// A round that has not ended.
  struct Round {
    std::int64_t id = 0;
    std::string room_id;
    std::string template_key;
    std::string topic;
    std::string state;                   ///< running or paused
    std::int64_t phase = 1;              ///< 1-based
    std::int64_t phase_deadline_ms = 0;  ///< while running
    std::int64_t remaining_ms = 0;       ///< while paused
  };
  /// A quarantined event (newest first, a few).
  struct Quarantined {
    std::string room_id;
    std::string event_id;
    std::string reason;
    std::int64_t received_at_ms = 0;
  };

  std::filesystem::path database;
  int schema_version = 0;
  bool has_sync_token = false;
  std::optional<std::int64_t> last_sync_ms;  ///< when the last sync batch was committed
  std::vector<Room> rooms;                   ///< joined
  std::int64_t rooms_invited = 0;
  std::vector<Round> rounds;
  std::int64_t contributions = 0;
  std::int64_t outbox_pending = 0;
  std::optional<std::int64_t> oldest_pending_ms;  ///< when the oldest pending row was queued
  std::int64_t outbox_failed = 0;                 ///< given up
  std::int64_t outbox_sent = 0;
  std::int64_t quarantined = 0;
  std::vector<Quarantined> recent_quarantine;
  /// The next scheduled digest (now, if one is due), as the running bot stored its schedule.
  std::optional<std::int64_t> next_digest_ms;
};

/// Reads the report from the database at `database`, opened read-only (the bot may be running).
/// Throws AdminError (no such file) or store::StoreError.
StatusReport read_status(const std::filesystem::path& database, std::int64_t now_ms);

/// The report for people: local times, and how long ago relative to `now_ms`.
std::string format_status(const StatusReport& report, std::int64_t now_ms);

/// What backup_database() wrote.
struct BackupResult {
  std::filesystem::path file;
  std::uintmax_t bytes = 0;
  /// The pseudonymisation key file beside the database, if there is one: not in the backup.
  std::optional<std::filesystem::path> key_file;
};

/// Copies the database online (the bot may keep running) into `target`: written to a temporary
/// file beside it with mode 0600, checked with PRAGMA integrity_check, then renamed into place.
/// An existing `target` is replaced only with `force`. Throws AdminError or store::StoreError.
BackupResult backup_database(const std::filesystem::path& database,
                             const std::filesystem::path& target, bool force);

}  // namespace reflexbot::app
