#pragma once
// Reading a database beside the running bot, for the admin's commands: `reflexbot status` (one
// read snapshot of what the store holds), the schema version probe of `reflexbot export`, and
// the online copy of `reflexbot backup`. Opened read-only: nothing here migrates or writes the
// bot's database. The SQL stays in the store; the app formats.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reflexbot::store {

class Store;

/// What the store holds, as `reflexbot status` reports it; read in one snapshot.
struct StatusSnapshot {
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
  /// The digest schedule the running bot stored (migration 6).
  struct Schedule {
    std::string spec;
    std::int64_t active_since_ms = 0;
    std::optional<std::int64_t> last_slot_ms;  ///< the latest scheduled digest posted
  };

  /// The bot's own device as the crypto layer last recorded it (migration 13).
  struct Crypto {
    std::string device_id;
    std::string ed25519;  ///< unpadded base64
    bool cross_signed = false;
    std::int64_t checked_ms = 0;
    std::string recovery;  ///< empty before schema 14 or before the first start with it
  };

  int schema_version = 0;
  bool has_sync_token = false;
  std::optional<std::int64_t> last_sync_ms;  ///< when the last sync batch was committed
  std::vector<Room> rooms;                   ///< joined; named rooms first, by name
  std::int64_t rooms_invited = 0;
  std::vector<Round> rounds;
  std::int64_t contributions = 0;
  std::int64_t outbox_pending = 0;
  std::optional<std::int64_t> oldest_pending_ms;  ///< when the oldest pending row was queued
  std::int64_t outbox_failed = 0;                 ///< given up
  std::int64_t outbox_sent = 0;
  std::int64_t quarantined = 0;
  std::vector<Quarantined> recent_quarantine;
  std::optional<Schedule> schedule;
  std::optional<Crypto> crypto;
  std::int64_t undecrypted = 0;  ///< encrypted events kept until their room key arrives
  std::optional<std::int64_t> oldest_undecrypted_ms;  ///< when the oldest of them was received
};

/// What the operators' metrics read from the running bot's own store when they are scraped:
/// indexed counts and minima, nothing about a room or a person.
struct LiveGauges {
  std::optional<std::int64_t> last_sync_ms;  ///< when the last sync batch was committed
  std::int64_t outbox_pending = 0;
  std::optional<std::int64_t> oldest_pending_ms;  ///< when the oldest pending row was queued
  std::int64_t outbox_failed = 0;
  std::int64_t quarantined = 0;
  std::int64_t undecrypted = 0;
  std::optional<std::int64_t> last_weekly_digest_ms;  ///< the slot of the last scheduled digest
};

/// Reads the gauges on the running bot's connection (between units of work). Throws StoreError.
LiveGauges read_live_gauges(Store& store);

/// Reads the snapshot from the database at `path`, opened read-only (the bot may be writing);
/// nullopt if the file is no Reflexbot database. Reads every schema version since 1. Throws
/// StoreError.
std::optional<StatusSnapshot> read_status_snapshot(const std::string& path);

/// The schema version of the database at `path`, opened read-only: unlike opening a Store, this
/// never migrates it behind the running bot's back. Throws StoreError.
int schema_version(const std::string& path);

/// Copies the database at `source` online (the bot may keep running) into the file `target`
/// (which exists, empty), as one self-contained file (no -wal beside it), and checks the copy:
/// returns PRAGMA integrity_check's verdict ("ok" if sound). Throws StoreError.
std::string copy_database(const std::string& source, const std::string& target);

}  // namespace reflexbot::store
