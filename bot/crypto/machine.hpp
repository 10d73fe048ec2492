#pragma once
// The end-to-end encryption machine as the bot sees it: a sans-I/O state machine (Olm/Megolm
// sessions, device keys, cross-signing) that takes what /sync brings, hands back the requests it
// needs sent and encrypts and decrypts room events. The real one is matrix-sdk-crypto behind the
// C ABI in rb_crypto.h (olm_machine.hpp); unit tests use a fake. Bodies and contents are JSON text.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/expected.hpp"

namespace reflexbot::crypto {

/// Why an operation of the machine failed (never holds plaintext or key material).
struct Error {
  std::string message;
};

template <typename T>
using Result = Expected<T, Error>;

/// A request the machine needs sent to the homeserver; `path` is complete and encoded.
struct Request {
  std::string id;
  std::string kind;  ///< keys_upload, keys_query, keys_claim, to_device, signature_upload
  std::string method;
  std::string path;
  std::string body;  ///< JSON object
};

/// The encryption parts of one /sync response.
struct SyncChanges {
  std::string to_device_events = "[]";              ///< JSON array, as synced
  std::vector<std::string> changed;                 ///< device_lists.changed
  std::vector<std::string> left;                    ///< device_lists.left
  std::string one_time_key_counts = "{}";           ///< JSON object
  std::optional<std::string> unused_fallback_keys;  ///< JSON array, when the server sent it
  std::string next_batch;

  bool empty() const {
    return !has_to_device_events() && changed.empty() && left.empty() &&
           one_time_key_counts == "{}" && !unused_fallback_keys;
  }
  /// Whether the array of to-device events holds any (it may be spaced: "[ ]").
  bool has_to_device_events() const {
    const auto first = to_device_events.find_first_not_of(" \t\r\n[");
    return first != std::string::npos && to_device_events[first] != ']';
  }
};

/// A room key that arrived; events of this session may decrypt now.
struct RoomKey {
  std::string room_id;
  std::string session_id;
};

/// A decrypted room event: its real type and content.
struct Decrypted {
  std::string type;
  std::string content;   ///< JSON object
  bool trusted = false;  ///< the sender's device is cross-signed by its owner (or verified)
};

/// An event that did not decrypt.
struct Undecryptable {
  bool retry = false;  ///< the room key (or its index) is missing: it may still arrive
  std::string reason;
  std::string session_id;
};

using Decryption = std::variant<Decrypted, Undecryptable>;

/// The bot's own device and cross-signing state.
struct Identity {
  std::string user_id;
  std::string device_id;
  std::string ed25519;
  std::string curve25519;
  bool has_master = false;
  bool has_self_signing = false;
  bool has_user_signing = false;
  bool device_cross_signed = false;
};

/// A plain request of the cross-signing bootstrap (sent once, not tracked by the machine).
struct Upload {
  std::string path;
  std::string body;  ///< JSON object
};

/// What bootstrapping cross-signing needs sent, in this order.
struct CrossSigningBootstrap {
  std::optional<Request> upload_keys;  ///< send and mark first, if any
  Upload signing_keys;                 ///< needs user-interactive auth added
  Upload signatures;
};

/// The account's secret storage key: its id and description (account data
/// m.secret_storage.key.<id>, JSON object).
struct SecretStorageKey {
  std::string id;
  std::string description;
};

/// Account data that stores the private cross-signing keys under a recovery key: the key and
/// one content (JSON object) per m.cross_signing.* type.
struct SecretStorageExport {
  SecretStorageKey key;
  std::vector<std::pair<std::string, std::string>> secrets;  ///< (type, content)
};

/// Which devices of a room's members get its room keys.
enum class SharePolicy { all_devices, cross_signed_only };

/// The machine. Calls are synchronous and cheap except where noted; one thread at a time.
class Machine {
 public:
  virtual ~Machine() = default;
  /// Feeds a sync's to-device events, device-list changes and key counts; the crypto store has
  /// committed them when this returns.
  virtual Result<std::vector<RoomKey>> receive_sync_changes(const SyncChanges& changes) = 0;
  virtual Result<std::vector<Request>> outgoing_requests() = 0;
  virtual Result<void> mark_request_as_sent(const Request& request,
                                            const std::string& response_body) = 0;
  virtual Result<void> update_tracked_users(const std::vector<std::string>& users) = 0;
  /// Queries every tracked user's keys again (the next outgoing_requests has the query).
  virtual Result<void> refresh_tracked_users() = 0;
  /// A keys/claim request for members' devices without an Olm session, if any.
  virtual Result<std::optional<Request>> missing_sessions(
      const std::vector<std::string>& users) = 0;
  /// To-device requests that share the room's current key with `users`' devices.
  virtual Result<std::vector<Request>> share_room_key(const std::string& room_id,
                                                      const std::vector<std::string>& users,
                                                      SharePolicy policy) = 0;
  /// The m.room.encrypted content for an event (needs the room key shared first).
  virtual Result<std::string> encrypt(const std::string& room_id, const std::string& type,
                                      const std::string& content) = 0;
  /// Encrypts an attachment in place with a fresh key (AES-256-CTR) and returns the event's
  /// `file` object without its url: {"v", "key", "iv", "hashes"} as JSON.
  virtual Result<std::string> encrypt_attachment(std::string& bytes) = 0;
  /// Decrypts an m.room.encrypted event given as the JSON the homeserver sent.
  virtual Result<Decryption> decrypt(const std::string& room_id, const std::string& event_json) = 0;
  virtual Result<Identity> identity() = 0;
  virtual Result<CrossSigningBootstrap> bootstrap_cross_signing() = 0;
  /// The account data that stores the private cross-signing keys under `recovery_key`: with the
  /// account's current key (which the recovery key must open), or a new key description.
  virtual Result<SecretStorageExport> secret_storage_export(
      const std::string& recovery_key, const std::optional<SecretStorageKey>& current) = 0;
  /// Takes the private cross-signing keys back from secret storage (the own user's keys must be
  /// queried first) and returns the upload that signs this device with them.
  virtual Result<Upload> secret_storage_import(
      const std::string& recovery_key, const SecretStorageKey& key,
      const std::vector<std::pair<std::string, std::string>>& secrets) = 0;
};

}  // namespace reflexbot::crypto
