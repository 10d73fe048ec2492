#pragma once
// The admin's commands beside the running bot: `reflexbot status` reads the store read-only,
// `reflexbot backup FILE` copies it online with SQLite's backup API.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/status.hpp"

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

/// What `reflexbot status` reports: the store's read snapshot (store::StatusSnapshot), and what
/// follows from it.
struct StatusReport : store::StatusSnapshot {
  std::filesystem::path database;
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
