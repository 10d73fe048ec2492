#pragma once
// End-to-end encryption on the wire. Feeds each /sync's to-device events, device lists and key
// counts to the crypto machine, sends the requests it asks for (key upload, query and claim,
// to-device, signatures), shares a room's key with its members' devices before a message goes
// out, turns m.room.encrypted events back into the events they carry, and bootstraps the bot's
// cross-signing identity. The machine itself is sans-I/O (crypto/machine.hpp).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/fatal.hpp"
#include "crypto/machine.hpp"
#include "matrix/client.hpp"
#include "matrix/events.hpp"
#include "matrix/retry.hpp"

namespace reflexbot::matrix {

/// The joined members of a room as the bot knows them (whose devices get its room key).
using MembersOf = std::function<std::vector<std::string>(const std::string& room_id)>;

/// The m.room.encrypted event as the machine reads it, rebuilt from what the parser kept.
std::string encrypted_event_json(const Event& event);

/// The encryption layer of one bot.
class E2ee {
 public:
  E2ee(Client& client, crypto::Machine& machine, Sleeper& sleeper, Backoff backoff,
       MembersOf members, crypto::SharePolicy policy);

  /// How often the machine is fed a sync that brings it nothing new, for what it does by the
  /// clock (a fallback key older than a week is replaced; expired verifications are dropped).
  static constexpr std::chrono::minutes kRefeedInterval{60};

  /// Whether the machine must take a sync's encryption parts before its batch is handled and
  /// committed: when it carries to-device events (room keys for this very batch) or device-list
  /// changes (said once: a commit of the sync token before the machine has them could lose them).
  /// Everything else in them (key counts, unused fallback key types) comes again with every sync
  /// and may go to the machine after the commit, off the replies' path.
  static bool needed_before_batch(const crypto::SyncChanges& changes);
  /// Whether a sync brings the machine anything it has not been fed: see needed_before_batch, or
  /// key counts or fallback key types unlike those it was last fed, or kRefeedInterval passed
  /// since it was last fed. A sync with nothing new is not fed: the machine would only rewrite
  /// its account and the sync token it keeps (and fsync its store twice); the bot never reads that
  /// token, and which keys the account makes depends on the counts, the fallback key types and
  /// the clock (docs/reliability.md, section 8).
  bool news_for_machine(const crypto::SyncChanges& changes) const;
  /// Feeds the encryption parts of a sync to the machine if they bring it news (its store has
  /// committed them when this returns) and sends what the machine asks for. Called before the
  /// bot's store commits the batch when needed_before_batch (a replay after a crash is harmless),
  /// otherwise after. Returns the room keys that arrived.
  net::asio::awaitable<Expected<std::vector<crypto::RoomKey>, Fatal>> receive(
      const crypto::SyncChanges& changes);
  /// The clock of kRefeedInterval (tests set their own).
  void set_clock(std::function<std::chrono::steady_clock::time_point()> clock) {
    clock_ = std::move(clock);
  }
  /// Sends every request the machine has queued; a request that fails for good is tried again
  /// the next time.
  net::asio::awaitable<std::optional<Fatal>> send_requests();
  /// The m.room.encrypted content of an event for the room, once its room key is shared with the
  /// devices of the room's members. Errors of the machine are R_CRYPTO (transient: the outbox
  /// waits and tries again, it never sends in clear).
  /// The preparation (tracking the members, their device keys and Olm sessions, sharing the room
  /// key: five calls into the machine, a third of an encrypted reply's time) is skipped while
  /// nothing it depends on changed since it last ran for the room: the same members, and no
  /// sync changes fed to the machine and no request of it answered since (a new device or a new
  /// member always comes that way). A room key the machine no longer uses (rotated after its
  /// messages or its week) makes the send prepare in full.
  net::asio::awaitable<MatrixResult<std::string>> encrypt(std::string room_id, std::string type,
                                                          std::string content);
  /// encrypt() without its preparation, at once, while the room's last preparation still holds
  /// (the same members, nothing new for the machine since); nothing otherwise, or when the
  /// machine refuses (then the next encrypt() prepares in full). For a reply sent before its
  /// batch commits (Outbox::send_early).
  std::optional<std::string> encrypt_prepared(const std::string& room_id, const std::string& type,
                                              const std::string& content);
  /// Encrypts an attachment in place (fresh key) and returns the event's `file` object without
  /// its url, as JSON. Errors are R_CRYPTO, like encrypt's.
  MatrixResult<std::string> encrypt_attachment(std::string& bytes);
  /// The event an m.room.encrypted event carries: type and content from the plaintext; id,
  /// sender, room and time from the envelope. Never a state event.
  Expected<Event, crypto::Undecryptable> decrypt(const Event& encrypted);
  /// The operator's recovery key (the spec's secret storage key, as Element shows it): with it,
  /// ensure_cross_signed keeps the private cross-signing keys in the account's secret storage and
  /// a bot whose database was lost takes its identity back from there.
  void use_recovery_key(std::string recovery_key) { recovery_key_ = std::move(recovery_key); }
  /// Cross-signs the bot's device if it is not yet: with the identity from secret storage when
  /// there is one and the recovery key opens it, otherwise with a new identity (needs the
  /// account's password). Then stores the identity in secret storage if a recovery key is set.
  net::asio::awaitable<std::optional<Fatal>> ensure_cross_signed();
  /// What secret storage holds for the identity, as the last ensure_cross_signed found it.
  const std::string& recovery_state() const { return recovery_state_; }
  crypto::Result<crypto::Identity> identity() { return machine_.identity(); }

 private:
  /// Sends one request with retries; marks it sent.
  net::asio::awaitable<MatrixResult<void>> send_one(const crypto::Request& request);
  /// One request with retries of transient errors; the response body.
  net::asio::awaitable<MatrixResult<std::string>> retried(std::string method, std::string path,
                                                          std::string body);
  /// The content of the account's global account data of `type`; nullopt when it has none.
  net::asio::awaitable<MatrixResult<std::optional<std::string>>> account_data(std::string user_id,
                                                                              std::string type);
  /// The account's default secret storage key: its id (empty when the default names none) and
  /// its description (none when the account has none for that id).
  struct StorageKey {
    std::string id;
    std::optional<std::string> description;
  };
  /// nullopt when the account has no default secret storage key.
  net::asio::awaitable<MatrixResult<std::optional<StorageKey>>> default_storage_key(
      std::string user_id);
  enum class Restore { done, nothing_stored, refused };
  /// Takes the cross-signing identity back from secret storage and signs this device.
  net::asio::awaitable<Restore> restore_identity(crypto::Identity own);
  /// Puts the private cross-signing keys into secret storage under the recovery key.
  net::asio::awaitable<void> store_identity(std::string user_id);

  Client& client_;
  crypto::Machine& machine_;
  Sleeper& sleeper_;
  Backoff backoff_;
  MembersOf members_;
  crypto::SharePolicy policy_;
  std::string recovery_key_;
  std::string recovery_state_;
  /// What the machine was last fed of what every sync repeats, and when.
  struct Fed {
    std::string one_time_key_counts;
    std::optional<std::string> unused_fallback_keys;
    std::chrono::steady_clock::time_point at;
  };
  std::optional<Fed> fed_;  ///< none before the first sync since the start: it is always fed
  /// Counts what may change whose devices a room key must reach: sync changes fed to the machine,
  /// requests of it answered (key queries, claims, uploads, shares), cross-signing set up.
  std::uint64_t machine_news_ = 0;
  /// Per room: the members and machine_news_ when encrypt() last prepared in full.
  struct Prepared {
    std::vector<std::string> members;
    std::uint64_t news = 0;
  };
  std::unordered_map<std::string, Prepared> prepared_;
  std::function<std::chrono::steady_clock::time_point()> clock_ = [] {
    return std::chrono::steady_clock::now();
  };
};

}  // namespace reflexbot::matrix
