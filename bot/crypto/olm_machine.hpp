#pragma once
// The real machine: matrix-sdk-crypto (Rust) through the C ABI of rb_crypto.h, with its SQLite
// crypto store in a folder of its own, encrypted with the pickle key. The library is a shared
// object loaded when the first machine opens (crypto/library.hpp).

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "crypto/machine.hpp"

struct RbCrypto;

namespace reflexbot::crypto {

struct CryptoLibrary;

class OlmMachine final : public Machine {
 public:
  /// Opens (or creates) the crypto store in `store_dir` for this account and device; loads the
  /// crypto library first (an error says so if it is not installed).
  static Result<std::unique_ptr<OlmMachine>> open(const std::string& user_id,
                                                  const std::string& device_id,
                                                  const std::string& store_dir,
                                                  const std::string& pickle_key);
  ~OlmMachine() override;
  OlmMachine(const OlmMachine&) = delete;
  OlmMachine& operator=(const OlmMachine&) = delete;

  Result<std::vector<RoomKey>> receive_sync_changes(const SyncChanges& changes) override;
  Result<std::vector<Request>> outgoing_requests() override;
  Result<void> mark_request_as_sent(const Request& request,
                                    const std::string& response_body) override;
  Result<void> update_tracked_users(const std::vector<std::string>& users) override;
  Result<void> refresh_tracked_users() override;
  Result<std::optional<Request>> missing_sessions(const std::vector<std::string>& users) override;
  Result<std::vector<Request>> share_room_key(const std::string& room_id,
                                              const std::vector<std::string>& users,
                                              SharePolicy policy) override;
  Result<std::string> encrypt(const std::string& room_id, const std::string& type,
                              const std::string& content) override;
  Result<std::string> encrypt_attachment(std::string& bytes) override;
  Result<Decryption> decrypt(const std::string& room_id, const std::string& event_json) override;
  Result<Identity> identity() override;
  Result<CrossSigningBootstrap> bootstrap_cross_signing() override;
  Result<SecretStorageExport> secret_storage_export(
      const std::string& recovery_key, const std::optional<SecretStorageKey>& current) override;
  Result<Upload> secret_storage_import(
      const std::string& recovery_key, const SecretStorageKey& key,
      const std::vector<std::pair<std::string, std::string>>& secrets) override;

  /// A new recovery key (base58 in groups of four, as Element shows it); needs no store (but the
  /// crypto library).
  static Result<std::string> new_recovery_key();

 private:
  OlmMachine(const CryptoLibrary& library, RbCrypto* handle) : library_(library), handle_(handle) {}
  /// One call of the C ABI: the request object in, the answer object out (or its error).
  Result<nlohmann::json> run(const nlohmann::json& request);

  const CryptoLibrary& library_;
  RbCrypto* handle_;
};

}  // namespace reflexbot::crypto
