#include "matrix/e2ee.hpp"

#include <array>
#include <set>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "matrix/outbox.hpp"
#include "matrix/parse.hpp"

namespace reflexbot::matrix {
namespace {

using json = nlohmann::json;

MatrixError crypto_error(const crypto::Error& error) {
  MatrixError out;
  out.errcode = "R_CRYPTO";
  out.message = error.message;
  return out;
}

// The plaintext's content with the envelope's relation where the plaintext has none: relations
// of encrypted events travel in the clear (spec: "m.relates_to" of m.room.encrypted).
json decrypted_content(const std::string& plaintext, const json& envelope) {
  json content = json::parse(plaintext, nullptr, false);
  if (!content.is_object()) return json::object();
  const auto relation = envelope.find("m.relates_to");
  if (relation != envelope.end() && !content.contains("m.relates_to"))
    content["m.relates_to"] = *relation;
  return content;
}

}  // namespace

std::string encrypted_event_json(const Event& event) {
  const auto* encrypted = std::get_if<Encrypted>(&event.content);
  json content = encrypted == nullptr || encrypted->content_json.empty()
                     ? json::object()
                     : json::parse(encrypted->content_json, nullptr, false);
  if (!content.is_object()) content = json::object();
  return json{{"type", "m.room.encrypted"},
              {"event_id", event.event_id},
              {"sender", event.sender},
              {"room_id", event.room_id},
              {"origin_server_ts", event.origin_server_ts},
              {"content", std::move(content)}}
      .dump();
}

E2ee::E2ee(Client& client, crypto::Machine& machine, Sleeper& sleeper, Backoff backoff,
           MembersOf members, crypto::SharePolicy policy)
    : client_(client),
      machine_(machine),
      sleeper_(sleeper),
      backoff_(std::move(backoff)),
      members_(std::move(members)),
      policy_(policy) {}

net::asio::awaitable<MatrixResult<std::string>> E2ee::retried(std::string method, std::string path,
                                                              std::string body) {
  Backoff backoff = backoff_;
  backoff.reset();
  for (;;) {
    auto answer = co_await client_.request(method, path, body);
    if (answer) co_return answer;
    auto delay = retry_delay(answer.error(), backoff);
    if (!delay || answer.error().unknown_token()) co_return answer;
    spdlog::warn("crypto request {} {} failed ({}), retrying in {} ms", method,
                 path.substr(0, path.find('?')), answer.error().describe(), delay->count());
    if (!co_await sleeper_.sleep(*delay)) co_return answer;
  }
}

net::asio::awaitable<MatrixResult<void>> E2ee::send_one(const crypto::Request& request) {
  auto answer = co_await retried(request.method, request.path, request.body);
  if (!answer) co_return Unexpected{answer.error()};
  // The answer may name new devices (a query) or sessions (a claim); a to-device message (a
  // room key share) changes nobody's devices.
  if (request.kind != "to_device") ++machine_news_;
  auto marked = machine_.mark_request_as_sent(request, *answer);
  if (!marked) co_return Unexpected{crypto_error(marked.error())};
  co_return MatrixResult<void>{};
}

net::asio::awaitable<std::optional<Fatal>> E2ee::send_requests() {
  std::set<std::string> failed;  // given up in this round; the machine offers them again later
  for (;;) {
    auto requests = machine_.outgoing_requests();
    if (!requests) {
      spdlog::error("the crypto machine has no requests to give: {}", requests.error().message);
      co_return std::nullopt;
    }
    bool sent_any = false;
    for (const auto& request : *requests) {
      if (failed.contains(request.id)) continue;
      auto sent = co_await send_one(request);
      if (!sent && sent.error().unknown_token()) co_return token_rejected(sent.error());
      if (!sent) {
        spdlog::error("crypto request {} failed: {}", request.kind, sent.error().describe());
        failed.insert(request.id);
        continue;
      }
      sent_any = true;
    }
    if (!sent_any) co_return std::nullopt;
  }
}

bool E2ee::needed_before_batch(const crypto::SyncChanges& changes) {
  return changes.has_to_device_events() || !changes.changed.empty() || !changes.left.empty();
}

bool E2ee::news_for_machine(const crypto::SyncChanges& changes) const {
  if (changes.empty()) return false;
  if (needed_before_batch(changes) || !fed_) return true;
  return changes.one_time_key_counts != fed_->one_time_key_counts ||
         changes.unused_fallback_keys != fed_->unused_fallback_keys ||
         clock_() - fed_->at >= kRefeedInterval;
}

net::asio::awaitable<Expected<std::vector<crypto::RoomKey>, Fatal>> E2ee::receive(
    const crypto::SyncChanges& changes) {
  std::vector<crypto::RoomKey> keys;
  if (news_for_machine(changes)) {
    ++machine_news_;
    auto received = machine_.receive_sync_changes(changes);
    if (!received) {
      // The machine keeps what it could; the batch goes on (its events wait for their keys).
      // Not noted as fed: the next sync's counts go to the machine again.
      spdlog::error("the crypto machine could not take the sync's keys: {}",
                    received.error().message);
      fed_.reset();
    } else {
      keys = std::move(received).value();
      fed_ = Fed{changes.one_time_key_counts, changes.unused_fallback_keys, clock_()};
    }
  }
  if (auto fatal = co_await send_requests()) co_return Unexpected{std::move(*fatal)};
  co_return keys;
}

net::asio::awaitable<MatrixResult<std::string>> E2ee::encrypt(std::string room_id, std::string type,
                                                              std::string content) {
  if (auto sealed = encrypt_prepared(room_id, type, content)) co_return std::move(*sealed);
  // Prepared in full from here; until that succeeds the room has no preparation to rely on (a
  // share that failed half-way must not be taken for done).
  prepared_.erase(room_id);
  std::vector<std::string> members = members_(room_id);
  const std::vector<std::string> members_asked = members;
  if (members.size() < 2) {
    // A room just joined whose member list has not been fetched yet: a key shared with nobody
    // would make the message unreadable to everyone, so ask the homeserver.
    auto joined = co_await client_.joined_members(room_id);
    if (!joined) co_return Unexpected{joined.error()};
    members = std::move(joined).value();
  }
  if (auto tracked = machine_.update_tracked_users(members); !tracked)
    co_return Unexpected{crypto_error(tracked.error())};
  if (auto fatal = co_await send_requests()) {  // device lists of members not queried yet
    MatrixError error;
    error.errcode = "M_UNKNOWN_TOKEN";
    error.message = fatal->message;
    co_return Unexpected{std::move(error)};
  }
  auto claim = machine_.missing_sessions(members);
  if (!claim) co_return Unexpected{crypto_error(claim.error())};
  if (*claim) {
    auto claimed = co_await send_one(**claim);
    if (!claimed) co_return Unexpected{claimed.error()};
  }
  // What the machine knew when it chose the devices: news arriving while the shares are sent
  // (a sync with a new device, runs beside this) must make the next send prepare again.
  const std::uint64_t news_at_share = machine_news_;
  auto shares = machine_.share_room_key(room_id, members, policy_);
  if (!shares) co_return Unexpected{crypto_error(shares.error())};
  for (const auto& share : *shares) {
    auto shared = co_await send_one(share);
    if (!shared) co_return Unexpected{shared.error()};
  }
  if (machine_news_ == news_at_share) prepared_[room_id] = Prepared{members_asked, news_at_share};
  auto encrypted = machine_.encrypt(room_id, type, content);
  if (!encrypted) co_return Unexpected{crypto_error(encrypted.error())};
  co_return std::move(encrypted).value();
}

std::optional<std::string> E2ee::encrypt_prepared(const std::string& room_id,
                                                  const std::string& type,
                                                  const std::string& content) {
  const auto prepared = prepared_.find(room_id);
  if (prepared == prepared_.end() || prepared->second.news != machine_news_ ||
      prepared->second.members != members_(room_id)) {
    return std::nullopt;
  }
  auto encrypted = machine_.encrypt(room_id, type, content);
  if (!encrypted) {
    prepared_.erase(prepared);  // e.g. the room key rotated: the next send prepares in full
    return std::nullopt;
  }
  return std::move(encrypted).value();
}

MatrixResult<std::string> E2ee::encrypt_attachment(std::string& bytes) {
  auto file = machine_.encrypt_attachment(bytes);
  if (!file) return Unexpected{crypto_error(file.error())};
  return std::move(file).value();
}

Expected<Event, crypto::Undecryptable> E2ee::decrypt(const Event& encrypted) {
  const auto* envelope = std::get_if<Encrypted>(&encrypted.content);
  if (envelope == nullptr || envelope->content_json.empty())
    return Unexpected(crypto::Undecryptable{false, "no ciphertext (redacted)", {}});
  auto result = machine_.decrypt(encrypted.room_id, encrypted_event_json(encrypted));
  if (!result) return Unexpected(crypto::Undecryptable{true, result.error().message, {}});
  if (auto* failure = std::get_if<crypto::Undecryptable>(&*result)) return Unexpected(*failure);
  const auto& plain = std::get<crypto::Decrypted>(*result);
  const json outer = json::parse(envelope->content_json, nullptr, false);
  // No state_key: a state event inside an encrypted one changes no state.
  std::string body =
      json{
          {"type", plain.type},
          {"event_id", encrypted.event_id},
          {"sender", encrypted.sender},
          {"origin_server_ts", encrypted.origin_server_ts},
          {"content", decrypted_content(plain.content, outer.is_object() ? outer : json::object())}}
          .dump();
  auto event = parse_event(body, encrypted.room_id);
  if (!event) {
    return Unexpected(crypto::Undecryptable{
        false, "the decrypted event is malformed: " + event.error().message, {}});
  }
  return std::move(event).value();
}

namespace {

constexpr const char* kDefaultKey = "m.secret_storage.default_key";
constexpr std::array<const char*, 3> kCrossSigningSecrets = {
    "m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"};

std::string account_data_path(const std::string& user_id, const std::string& type) {
  return "/_matrix/client/v3/user/" + url_encode(user_id) + "/account_data/" + url_encode(type);
}

/// The key id of an m.secret_storage.default_key content; empty if it names none.
std::string default_key_id(const std::string& content) {
  const json parsed = json::parse(content, nullptr, false);
  if (!parsed.is_object()) return {};
  const auto key = parsed.find("key");
  return key != parsed.end() && key->is_string() ? key->get<std::string>() : std::string();
}

/// Whether an m.cross_signing.* content holds a secret encrypted with `key_id`.
bool encrypted_with(const std::string& content, const std::string& key_id) {
  const json parsed = json::parse(content, nullptr, false);
  if (!parsed.is_object()) return false;
  const auto encrypted = parsed.find("encrypted");
  return encrypted != parsed.end() && encrypted->is_object() && encrypted->contains(key_id);
}

}  // namespace

net::asio::awaitable<MatrixResult<std::optional<std::string>>> E2ee::account_data(
    std::string user_id, std::string type) {
  auto answer = co_await retried("GET", account_data_path(user_id, type), "");
  if (!answer) {
    if (answer.error().errcode == "M_NOT_FOUND" || answer.error().http_status == 404)
      co_return std::optional<std::string>{};
    co_return Unexpected{answer.error()};
  }
  co_return std::optional<std::string>{std::move(answer).value()};
}

net::asio::awaitable<MatrixResult<std::optional<E2ee::StorageKey>>> E2ee::default_storage_key(
    std::string user_id) {
  auto pointer = co_await account_data(user_id, kDefaultKey);
  if (!pointer) co_return Unexpected{pointer.error()};
  if (!*pointer) co_return std::optional<StorageKey>{};
  StorageKey key{default_key_id(**pointer), std::nullopt};
  if (!key.id.empty()) {
    auto description = co_await account_data(user_id, "m.secret_storage.key." + key.id);
    if (!description) co_return Unexpected{description.error()};
    key.description = std::move(description).value();
  }
  co_return std::optional<StorageKey>{std::move(key)};
}

net::asio::awaitable<E2ee::Restore> E2ee::restore_identity(crypto::Identity own) {
  auto refuse = [&](const std::string& why) {
    // No new identity: it would replace the one every room trusts.
    spdlog::error(
        "the cross-signing identity was not restored from secret storage: {}; device "
        "{} stays unsigned (docs/operations.md, \"Recovery\")",
        why, own.device_id);
    recovery_state_ = "not restored: " + why;
    return Restore::refused;
  };
  const auto unreadable = [&](const MatrixError& error) {
    return refuse("secret storage could not be read (" + error.describe() + ")");
  };
  auto stored = co_await default_storage_key(own.user_id);
  if (!stored) co_return unreadable(stored.error());
  if (!*stored) co_return Restore::nothing_stored;
  const std::string key_id = (*stored)->id;
  if (key_id.empty()) co_return refuse("the account's default secret storage key is malformed");
  if (!(*stored)->description)
    co_return refuse("the account's default secret storage key has no description");
  // Without the master key under this key, secret storage holds no cross-signing identity.
  auto master = co_await account_data(own.user_id, kCrossSigningSecrets[0]);
  if (!master) co_return unreadable(master.error());
  if (!*master || !encrypted_with(**master, key_id)) co_return Restore::nothing_stored;
  std::vector<std::pair<std::string, std::string>> secrets{{kCrossSigningSecrets[0], **master}};
  for (const char* type : {kCrossSigningSecrets[1], kCrossSigningSecrets[2]}) {
    auto secret = co_await account_data(own.user_id, type);
    if (!secret) co_return unreadable(secret.error());
    if (*secret) secrets.emplace_back(type, **secret);
  }
  // The import checks the keys against the account's published identity: query it first.
  if (auto tracked = machine_.update_tracked_users({own.user_id}); !tracked)
    co_return refuse(tracked.error().message);
  if (auto fatal = co_await send_requests()) co_return refuse("the own keys could not be queried");
  auto signatures =
      machine_.secret_storage_import(recovery_key_, {key_id, *(*stored)->description}, secrets);
  if (!signatures) co_return refuse(signatures.error().message);
  auto sent = co_await retried("POST", signatures->path, signatures->body);
  if (!sent)
    co_return refuse("the device's signature was not uploaded (" + sent.error().describe() + ")");
  spdlog::info(
      "cross-signing identity restored from secret storage with the recovery key: "
      "device {} is signed by its account",
      own.device_id);
  recovery_state_ = "identity restored from secret storage (key " + key_id + ")";
  // Query the own keys again, so the machine sees the signed device.
  if (auto refreshed = machine_.refresh_tracked_users(); !refreshed)
    spdlog::warn("cannot query the bot's own keys again: {}", refreshed.error().message);
  co_return Restore::done;
}

net::asio::awaitable<void> E2ee::store_identity(std::string user_id) {
  auto stored_key = co_await default_storage_key(user_id);
  if (!stored_key) {
    spdlog::warn("secret storage could not be read ({}); the identity is stored at the next start",
                 stored_key.error().describe());
    recovery_state_ = "not stored yet: secret storage could not be read";
    co_return;
  }
  std::optional<crypto::SecretStorageKey> current;
  if (*stored_key && (*stored_key)->description) {
    const std::string key_id = (*stored_key)->id;
    current = crypto::SecretStorageKey{key_id, *(*stored_key)->description};
    auto master = co_await account_data(user_id, kCrossSigningSecrets[0]);
    if (master && *master && encrypted_with(**master, key_id)) {
      recovery_state_ = "identity stored in secret storage (key " + key_id + ")";
      co_return;
    }
  }
  auto stored = machine_.secret_storage_export(recovery_key_, current);
  if (!stored) {
    // A key that does not open the account's secret storage is not replaced: it may be the one
    // an operator set up in Element for this account.
    spdlog::error("the identity was not stored in secret storage: {}", stored.error().message);
    recovery_state_ = "not stored: " + stored.error().message;
    co_return;
  }
  // The key description and the secrets first, the default key last: a crash in between leaves
  // no default that points at a key without secrets.
  std::vector<std::pair<std::string, std::string>> writes;
  if (!current)
    writes.emplace_back("m.secret_storage.key." + stored->key.id, stored->key.description);
  for (const auto& secret : stored->secrets) writes.push_back(secret);
  if (!current) writes.emplace_back(kDefaultKey, json{{"key", stored->key.id}}.dump());
  for (const auto& [type, content] : writes) {
    auto put = co_await retried("PUT", account_data_path(user_id, type), content);
    if (!put) {
      spdlog::error("the identity was not stored in secret storage: writing {} failed ({})", type,
                    put.error().describe());
      recovery_state_ = "not stored yet: writing to secret storage failed";
      co_return;
    }
  }
  spdlog::info("cross-signing identity stored in secret storage under the recovery key (key {})",
               stored->key.id);
  recovery_state_ = "identity stored in secret storage (key " + stored->key.id + ")";
}

net::asio::awaitable<std::optional<Fatal>> E2ee::ensure_cross_signed() {
  ++machine_news_;  // identities may change: rooms' sends prepare in full again
  auto own = machine_.identity();
  if (!own) {
    spdlog::error("the crypto machine has no identity: {}", own.error().message);
    co_return std::nullopt;
  }
  recovery_state_ = recovery_key_.empty()
                        ? "no recovery key configured: a lost database loses the identity"
                        : std::string();
  // The private master key is here: set up before (the signature shows once our own keys are
  // queried back). Bootstrapping again would replace the account's identity.
  if (own->has_master) {
    if (!recovery_key_.empty()) co_await store_identity(own->user_id);
    if (!own->device_cross_signed) {
      if (auto tracked = machine_.update_tracked_users({own->user_id}); !tracked)
        spdlog::warn("cannot track the bot's own keys: {}", tracked.error().message);
      co_return co_await send_requests();
    }
    co_return std::nullopt;
  }
  if (!recovery_key_.empty()) {
    switch (co_await restore_identity(*own)) {
      case Restore::done:
        co_return co_await send_requests();
      case Restore::refused:
        co_return std::nullopt;
      case Restore::nothing_stored:
        break;  // a new identity, stored below
    }
  }
  if (!client_.has_password()) {
    spdlog::warn(
        "device {} is not cross-signed: configure the account's password (password_file or "
        "password_credential) so the bot can sign it; Element may exclude it from encrypted rooms",
        own->device_id);
    co_return std::nullopt;
  }
  auto bootstrap = machine_.bootstrap_cross_signing();
  if (!bootstrap) {
    spdlog::error("cross-signing could not be set up: {}", bootstrap.error().message);
    co_return std::nullopt;
  }
  if (bootstrap->upload_keys) {
    auto sent = co_await send_one(*bootstrap->upload_keys);
    if (!sent) spdlog::error("uploading the device keys failed: {}", sent.error().describe());
  }
  auto signing = co_await client_.request_with_password(bootstrap->signing_keys.path,
                                                        bootstrap->signing_keys.body);
  if (!signing) {
    if (signing.error().unknown_token()) co_return token_rejected(signing.error());
    spdlog::error("uploading the cross-signing keys failed: {}", signing.error().describe());
    co_return std::nullopt;
  }
  // The machine records its cross-signing keys as published.
  if (auto marked = machine_.mark_request_as_sent(
          {"signing-keys", "signing_keys_upload", "POST", bootstrap->signing_keys.path, "{}"},
          *signing);
      !marked) {
    spdlog::warn("the crypto machine did not take the cross-signing upload: {}",
                 marked.error().message);
  }
  auto signatures =
      co_await client_.request("POST", bootstrap->signatures.path, bootstrap->signatures.body);
  if (!signatures) {
    spdlog::error("uploading the device's signature failed: {}", signatures.error().describe());
    co_return std::nullopt;
  }
  spdlog::info("cross-signing set up: device {} is signed by its account", own->device_id);
  if (!recovery_key_.empty()) co_await store_identity(own->user_id);
  // Query our own keys back, so the machine sees the signed device.
  if (auto tracked = machine_.update_tracked_users({own->user_id}); !tracked)
    spdlog::warn("cannot track the bot's own keys: {}", tracked.error().message);
  co_return co_await send_requests();
}

}  // namespace reflexbot::matrix
