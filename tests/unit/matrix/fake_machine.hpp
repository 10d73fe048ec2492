#pragma once
// A scripted crypto::Machine for the matrix layer's tests: it "decrypts" a ciphertext that names
// its plaintext (ciphertext "PLAIN:<json>") once its session's key has been given, hands out the
// requests the test queued and records what was marked sent, shared and encrypted.

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/machine.hpp"

namespace reflexbot::test {

class FakeMachine final : public crypto::Machine {
 public:
  crypto::Result<std::vector<crypto::RoomKey>> receive_sync_changes(
      const crypto::SyncChanges& changes) override {
    received.push_back(changes);
    if (fail_receive) return Unexpected(crypto::Error{"the crypto store is locked"});
    std::vector<crypto::RoomKey> keys;
    for (const auto& session : arriving_keys) {
      known_sessions.insert(session);
      keys.push_back({"!room:hs.example", session});
    }
    arriving_keys.clear();
    return keys;
  }
  crypto::Result<std::vector<crypto::Request>> outgoing_requests() override {
    std::vector<crypto::Request> open;
    for (const auto& request : queued) {
      if (!marked.contains(request.id)) open.push_back(request);
    }
    return open;
  }
  crypto::Result<void> mark_request_as_sent(const crypto::Request& request,
                                            const std::string& response) override {
    marked.insert(request.id);
    log.push_back("mark " + request.id + " " + response);
    return {};
  }
  crypto::Result<void> update_tracked_users(const std::vector<std::string>& users) override {
    for (const auto& user : users) log.push_back("track " + user);
    return {};
  }
  crypto::Result<void> refresh_tracked_users() override {
    log.push_back("refresh");
    return {};
  }
  crypto::Result<std::optional<crypto::Request>> missing_sessions(
      const std::vector<std::string>&) override {
    if (!claim || marked.contains(claim->id)) return std::optional<crypto::Request>();
    return claim;
  }
  crypto::Result<std::vector<crypto::Request>> share_room_key(const std::string& room_id,
                                                              const std::vector<std::string>&,
                                                              crypto::SharePolicy) override {
    log.push_back("share " + room_id);
    std::vector<crypto::Request> open;
    for (const auto& request : shares) {
      if (!marked.contains(request.id)) open.push_back(request);
    }
    return open;
  }
  crypto::Result<std::string> encrypt(const std::string& room_id, const std::string& type,
                                      const std::string& content) override {
    if (fail_encrypt) return Unexpected(crypto::Error{"no room key"});
    if (refuse_encryptions > 0) {
      --refuse_encryptions;
      return Unexpected(crypto::Error{"no current room key for this room"});
    }
    ++encryptions;
    log.push_back("encrypt " + room_id + " " + type);
    return nlohmann::json{{"algorithm", "m.megolm.v1.aes-sha2"},
                          {"ciphertext", "SEALED" + std::to_string(encryptions) + ":" + content}}
        .dump();
  }
  /// "Encrypts" by flipping every bit; the key names the count so far.
  crypto::Result<std::string> encrypt_attachment(std::string& bytes) override {
    if (fail_encrypt) return Unexpected(crypto::Error{"no attachment key"});
    ++attachments;
    log.push_back("encrypt attachment " + std::to_string(bytes.size()));
    for (char& c : bytes) c = static_cast<char>(~c);
    return nlohmann::json{{"v", "v2"},
                          {"key", {{"k", "K" + std::to_string(attachments)}}},
                          {"iv", "IV"},
                          {"hashes", {{"sha256", "H"}}}}
        .dump();
  }
  crypto::Result<crypto::Decryption> decrypt(const std::string&,
                                             const std::string& event_json) override {
    ++decryptions;
    const auto event = nlohmann::json::parse(event_json);
    const auto& content = event["content"];
    const std::string session = content.value("session_id", "");
    const std::string ciphertext = content.value("ciphertext", "");
    if (!ciphertext.starts_with("PLAIN:"))
      return crypto::Decryption{crypto::Undecryptable{false, "bad ciphertext", session}};
    if (!known_sessions.contains(session))
      return crypto::Decryption{crypto::Undecryptable{true, "missing room key", session}};
    const auto plain = nlohmann::json::parse(ciphertext.substr(6));
    return crypto::Decryption{
        crypto::Decrypted{plain["type"].get<std::string>(), plain["content"].dump(), true}};
  }
  crypto::Result<crypto::Identity> identity() override { return own; }
  crypto::Result<crypto::CrossSigningBootstrap> bootstrap_cross_signing() override {
    ++bootstraps;
    own.has_master = own.has_self_signing = own.has_user_signing = true;
    own.device_cross_signed = true;
    return crypto::CrossSigningBootstrap{
        std::nullopt,
        {"/_matrix/client/v3/keys/device_signing/upload", R"({"master_key":{}})"},
        {"/_matrix/client/v3/keys/signatures/upload", R"({"@bot:hs.example":{}})"}};
  }
  /// Opens only `recovery_key`'s key (id "KEY1" when new), stores the three secrets.
  crypto::Result<crypto::SecretStorageExport> secret_storage_export(
      const std::string& key, const std::optional<crypto::SecretStorageKey>& current) override {
    if (key != recovery_key || (current && current->id != recovery_key_id))
      return Unexpected(
          crypto::Error{"the recovery key does not open the account's secret storage"});
    log.push_back("export " + (current ? current->id : std::string("new")));
    const std::string id = current ? current->id : recovery_key_id;
    crypto::SecretStorageExport out{{id, R"({"algorithm":"m.secret_storage.v1.aes-hmac-sha2"})"},
                                    {}};
    for (const char* type :
         {"m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"})
      out.secrets.emplace_back(type,
                               nlohmann::json{{"encrypted", {{id, {{"ciphertext", "X"}}}}}}.dump());
    return out;
  }
  crypto::Result<crypto::Upload> secret_storage_import(
      const std::string& key, const crypto::SecretStorageKey& stored,
      const std::vector<std::pair<std::string, std::string>>& secrets) override {
    if (key != recovery_key || stored.id != recovery_key_id)
      return Unexpected(
          crypto::Error{"the recovery key does not open the account's secret storage"});
    log.push_back("import " + stored.id + " " + std::to_string(secrets.size()));
    own.has_master = own.has_self_signing = own.has_user_signing = true;
    return crypto::Upload{"/_matrix/client/v3/keys/signatures/upload",
                          R"({"@bot:hs.example":{"BOTDEVICE":{}}})"};
  }

  std::vector<crypto::SyncChanges> received;
  std::vector<std::string> arriving_keys;  ///< sessions whose keys the next sync brings
  std::set<std::string> known_sessions;
  std::vector<crypto::Request> queued;
  std::optional<crypto::Request> claim;
  std::vector<crypto::Request> shares;
  std::set<std::string> marked;
  std::vector<std::string> log;
  bool fail_encrypt = false;
  bool fail_receive = false;
  int decryptions = 0;
  int refuse_encryptions = 0;  ///< the next so many encrypt() calls fail (e.g. a rotated key)
  int encryptions = 0;
  int attachments = 0;
  int bootstraps = 0;
  std::string recovery_key = "EsTR ecov ery";  ///< the one key that opens the fake's storage
  std::string recovery_key_id = "KEY1";
  crypto::Identity own{"@bot:hs.example", "BOTDEVICE", "ed25519key", "curvekey"};
};

/// The content of an m.room.encrypted event whose plaintext the fake can read.
inline nlohmann::json sealed_content(const std::string& session, const std::string& type,
                                     const nlohmann::json& content) {
  return {{"algorithm", "m.megolm.v1.aes-sha2"},
          {"sender_key", "curve"},
          {"device_id", "PHONE"},
          {"session_id", session},
          {"ciphertext", "PLAIN:" + nlohmann::json{{"type", type}, {"content", content}}.dump()}};
}

}  // namespace reflexbot::test
