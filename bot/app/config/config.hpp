#pragma once
// The bot's configuration, loaded from YAML. Every error names the file, the key and the line.

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/zone.hpp"

namespace reflexbot::app {

/// How the bot long-polls /sync.
struct SyncConfig {
  int timeout_ms = 30000;          ///< server-side long-poll timeout
  int timeline_limit = 50;         ///< timeline events per room and sync (filter)
  int request_timeout_ms = 90000;  ///< client-side timeout of every request; > timeout_ms
};

/// Backoff after network errors and 5xx.
struct RetryConfig {
  int initial_ms = 500;
  int max_ms = 60000;
};

/// The per-person command limit: `burst` commands at once, then one every `refill_seconds`.
/// Commands over it get one short notice, then no answer until the limit allows again;
/// collection is never limited.
struct CommandLimitConfig {
  int burst = 10;  ///< 0 switches the limit off
  int refill_seconds = 3;
};

/// The optional Prometheus endpoint (off unless `metrics.listen` is set).
struct MetricsConfig {
  std::string address;  ///< IP address to listen on; empty: no endpoint
  unsigned short port = 9464;
  bool enabled() const { return !address.empty(); }
};

/// End-to-end encryption (always on; these tune it).
struct EncryptionConfig {
  std::filesystem::path store;  ///< folder of the crypto store; empty: <database>.crypto beside it
  bool cross_signed_only =
      false;                     ///< share room keys only with devices cross-signed by their owner
  int undecryptable_hours = 24;  ///< an event whose key never comes is given up after this
};

/// A room of the network and the city it belongs to.
struct RoomConfig {
  std::string room_id;
  std::string city;
};

/// Digests: the time zone for dates, and the optional weekly schedule.
struct DigestConfig {
  std::string timezone = "Europe/Berlin";        ///< IANA name
  core::TimeZone zone = core::TimeZone::utc();   ///< its rules (set by the loader)
  std::optional<core::WeeklySchedule> schedule;  ///< set when `weekday` and `time` are given
  bool rooms = false;  ///< the schedule also posts each configured room's own digest
  /// Weekly digests and !digest in the network room are followed by their chart (a PNG).
  bool chart = true;
  int period_days = 7;  ///< length of a scheduled digest's period
  int top = 5;          ///< groups per section
  /// The administrator's additions to the domain lexicon (data/concepts.txt's form), read from
  /// `concepts_file` and checked; applied with core::add_concepts() before the store opens.
  std::filesystem::path concepts_file;
  std::string concepts;
};

/// The validated configuration.
struct Config {
  std::filesystem::path path;           ///< the file it was loaded from
  std::string homeserver;               ///< base URL without trailing slash, http(s)://
  std::string user_id;                  ///< @localpart:server
  std::string device_id = "REFLEXBOT";  ///< used for password login
  std::string access_token;             ///< from access_token_file / access_token_credential
  std::string password;                 ///< from password_file / password_credential (optional)
  std::string pseudonym_key;  ///< from pseudonym_key_file / _credential; empty: a key file
                              ///< beside the database is created on first start
  std::string crypto_key;     ///< the crypto store's key, from crypto_key_file / _credential;
                              ///< empty: a key file beside the database, as above
  std::string recovery_key;   ///< secret storage key (base58), from recovery_key_file /
                              ///< _credential; empty: none (a lost database loses the identity)
  std::filesystem::path database;  ///< SQLite file; relative paths are relative to the config file
  int retention_days = 365;        ///< contributions are deleted this many days after they were
                                   ///< written (1–3650); quarantined events after 30 at most
  core::Language language = core::Language::de;
  std::string log_level = "info";  ///< trace, debug, info, warn, error, critical, off
  int moderator_level = 50;
  std::vector<std::string> invite_allowlist;  ///< "@user:server" entries or bare server names
  SyncConfig sync;
  RetryConfig retry;
  CommandLimitConfig command_limit;
  std::vector<RoomConfig> rooms;
  std::string network_room;             ///< room id that receives network digests (optional)
  std::filesystem::path templates_dir;  ///< round templates (*.yaml); empty: the first of
                                        ///< templates/ beside the config, the installed ones
  core::TagVocabulary vocabulary;       ///< the built-in tags plus those under `tags:`
  std::string ack_reaction = "✅";       ///< reaction on collected messages; empty: none
  DigestConfig digest;
  EncryptionConfig encryption;
  MetricsConfig metrics;
};

/// A configuration error; what() reads "FILE:LINE: KEY: what is wrong".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Loads and validates the file. Credentials named by *_credential are read from
/// $CREDENTIALS_DIRECTORY (systemd LoadCredential). Throws ConfigError.
Config load_config(const std::filesystem::path& path);

/// Parses YAML text as if it came from `path` (used by load_config and tests). Throws ConfigError.
Config parse_config(const std::string& yaml_text, const std::filesystem::path& path);

/// True if an invite from this user may be accepted under the allowlist.
bool invite_allowed(const Config& config, const std::string& inviter);

/// The invite_allowlist entries that would admit `inviter`: the user id itself and its server;
/// none for a text that is no user id.
std::vector<std::string> allowlist_entries_for(const std::string& inviter);

}  // namespace reflexbot::app
