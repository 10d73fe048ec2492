#include "crypto/olm_machine.hpp"

#include <nlohmann/json.hpp>

#include "crypto/library.hpp"

namespace reflexbot::crypto {
namespace {

using json = nlohmann::json;

/// Owns a string returned by the C ABI.
struct RustString {
  explicit RustString(const CryptoLibrary& library, char* owned = nullptr)
      : free(library.free_string), text(owned) {}
  ~RustString() { free(text); }
  RustString(const RustString&) = delete;
  RustString& operator=(const RustString&) = delete;
  decltype(&rb_crypto_free_string) free;
  char* text;
};

Result<json> parse_answer(const std::string& answer) {
  json parsed = json::parse(answer, nullptr, false);
  if (!parsed.is_object()) return Unexpected(Error{"the crypto library answered no JSON object"});
  if (parsed.value("ok", false) != true) {
    const auto error = parsed.find("error");
    return Unexpected(Error{error != parsed.end() && error->is_string()
                                ? error->get<std::string>()
                                : std::string("the crypto library failed without a reason")});
  }
  return parsed;
}

std::string text_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

Result<Request> request_of(const json& object) {
  if (!object.is_object()) return Unexpected(Error{"a request of the crypto library is no object"});
  Request request{text_of(object, "id"), text_of(object, "kind"), text_of(object, "method"),
                  text_of(object, "path"), object.contains("body") ? object["body"].dump() : "{}"};
  if (request.id.empty() || request.path.empty() || request.method.empty())
    return Unexpected(Error{"a request of the crypto library lacks its id, method or path"});
  return request;
}

Result<std::vector<Request>> requests_of(const json& array) {
  std::vector<Request> requests;
  if (!array.is_array()) return requests;
  for (const auto& item : array) {
    auto request = request_of(item);
    if (!request) return Unexpected(request.error());
    requests.push_back(std::move(request).value());
  }
  return requests;
}

/// A JSON object given as text (account data as the homeserver returned it), or null.
json object_of(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json();
}

Upload upload_of(const json& object) {
  if (!object.is_object()) return {};
  return Upload{text_of(object, "path"), object.contains("body") ? object["body"].dump() : "{}"};
}

}  // namespace

Result<std::unique_ptr<OlmMachine>> OlmMachine::open(const std::string& user_id,
                                                     const std::string& device_id,
                                                     const std::string& store_dir,
                                                     const std::string& pickle_key) {
  auto library = crypto_library();
  if (!library) return Unexpected(Error{library.error()});
  RustString error(**library);
  RbCrypto* handle = (*library)->open(user_id.c_str(), device_id.c_str(), store_dir.c_str(),
                                      reinterpret_cast<const std::uint8_t*>(pickle_key.data()),
                                      pickle_key.size(), &error.text);
  if (handle == nullptr) {
    return Unexpected(Error{error.text != nullptr ? std::string(error.text)
                                                  : std::string("the crypto store did not open")});
  }
  return std::unique_ptr<OlmMachine>(new OlmMachine(**library, handle));
}

OlmMachine::~OlmMachine() { library_.close(handle_); }

static Result<json> run_on(const CryptoLibrary& library, RbCrypto* handle, const json& request) {
  RustString answer(library, library.call(handle, request.dump().c_str()));
  if (answer.text == nullptr) return Unexpected(Error{"the crypto library returned nothing"});
  return parse_answer(answer.text);
}

Result<json> OlmMachine::run(const json& request) { return run_on(library_, handle_, request); }

Result<std::string> OlmMachine::new_recovery_key() {
  auto library = crypto_library();
  if (!library) return Unexpected(Error{library.error()});
  auto answer = run_on(**library, nullptr, json({{"op", "new_recovery_key"}}));
  if (!answer) return Unexpected(answer.error());
  std::string key = text_of(*answer, "recovery_key");
  if (key.empty()) return Unexpected(Error{"the crypto library made no recovery key"});
  return key;
}

Result<std::vector<RoomKey>> OlmMachine::receive_sync_changes(const SyncChanges& changes) {
  json request = {{"op", "receive_sync_changes"},
                  {"to_device", json::parse(changes.to_device_events, nullptr, false)},
                  {"changed", changes.changed},
                  {"left", changes.left},
                  {"one_time_key_counts", json::parse(changes.one_time_key_counts, nullptr, false)},
                  {"unused_fallback_key_types", nullptr},
                  {"next_batch", changes.next_batch}};
  if (changes.unused_fallback_keys)
    request["unused_fallback_key_types"] =
        json::parse(*changes.unused_fallback_keys, nullptr, false);
  if (!request["to_device"].is_array()) request["to_device"] = json::array();
  if (!request["one_time_key_counts"].is_object()) request["one_time_key_counts"] = json::object();
  auto answer = run(request);
  if (!answer) return Unexpected(answer.error());
  std::vector<RoomKey> keys;
  for (const auto& key : answer->value("room_keys", json::array())) {
    if (key.is_object()) keys.push_back({text_of(key, "room_id"), text_of(key, "session_id")});
  }
  return keys;
}

Result<std::vector<Request>> OlmMachine::outgoing_requests() {
  auto answer = run(json({{"op", "outgoing_requests"}}));
  if (!answer) return Unexpected(answer.error());
  return requests_of(answer->value("requests", json::array()));
}

Result<void> OlmMachine::mark_request_as_sent(const Request& request,
                                              const std::string& response_body) {
  json body = json::parse(response_body, nullptr, false);
  if (!body.is_object()) body = json::object();
  auto answer = run(json({{"op", "mark_request_as_sent"},
                          {"id", request.id},
                          {"kind", request.kind},
                          {"body", std::move(body)}}));
  if (!answer) return Unexpected(answer.error());
  return {};
}

Result<void> OlmMachine::update_tracked_users(const std::vector<std::string>& users) {
  auto answer = run(json({{"op", "update_tracked_users"}, {"users", users}}));
  if (!answer) return Unexpected(answer.error());
  return {};
}

Result<void> OlmMachine::refresh_tracked_users() {
  auto answer = run(json({{"op", "refresh_tracked_users"}}));
  if (!answer) return Unexpected(answer.error());
  return {};
}

Result<std::optional<Request>> OlmMachine::missing_sessions(const std::vector<std::string>& users) {
  auto answer = run(json({{"op", "missing_sessions"}, {"users", users}}));
  if (!answer) return Unexpected(answer.error());
  const auto it = answer->find("request");
  if (it == answer->end() || it->is_null()) return std::optional<Request>();
  auto request = request_of(*it);
  if (!request) return Unexpected(request.error());
  return std::optional<Request>(std::move(request).value());
}

Result<std::vector<Request>> OlmMachine::share_room_key(const std::string& room_id,
                                                        const std::vector<std::string>& users,
                                                        SharePolicy policy) {
  auto answer = run(json({{"op", "share_room_key"},
                          {"room_id", room_id},
                          {"users", users},
                          {"only_cross_signed", policy == SharePolicy::cross_signed_only}}));
  if (!answer) return Unexpected(answer.error());
  return requests_of(answer->value("requests", json::array()));
}

Result<std::string> OlmMachine::encrypt(const std::string& room_id, const std::string& type,
                                        const std::string& content) {
  json parsed = json::parse(content, nullptr, false);
  if (!parsed.is_object()) return Unexpected(Error{"the content to encrypt is no JSON object"});
  auto answer = run(json(
      {{"op", "encrypt"}, {"room_id", room_id}, {"type", type}, {"content", std::move(parsed)}}));
  if (!answer) return Unexpected(answer.error());
  const auto it = answer->find("content");
  if (it == answer->end() || !it->is_object())
    return Unexpected(Error{"the crypto library returned no encrypted content"});
  return it->dump();
}

Result<std::string> OlmMachine::encrypt_attachment(std::string& bytes) {
  RustString answer(library_, library_.encrypt_attachment(
                                  reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()));
  if (answer.text == nullptr) return Unexpected(Error{"the crypto library returned nothing"});
  auto parsed = parse_answer(answer.text);
  if (!parsed) return Unexpected(parsed.error());
  parsed->erase("ok");
  if (!parsed->contains("key") || !parsed->contains("iv") || !parsed->contains("hashes"))
    return Unexpected(Error{"the crypto library returned no attachment key"});
  return parsed->dump();
}

Result<Decryption> OlmMachine::decrypt(const std::string& room_id, const std::string& event_json) {
  json event = json::parse(event_json, nullptr, false);
  if (!event.is_object()) return Decryption{Undecryptable{false, "not a JSON object", {}}};
  auto answer = run(json({{"op", "decrypt"}, {"room_id", room_id}, {"event", std::move(event)}}));
  if (!answer) return Unexpected(answer.error());
  if (flag_of(*answer, "decrypted")) {
    const auto content = answer->find("content");
    if (content == answer->end() || !content->is_object())
      return Decryption{Undecryptable{false, "the decrypted event has no content", {}}};
    return Decryption{
        Decrypted{text_of(*answer, "type"), content->dump(), flag_of(*answer, "trusted")}};
  }
  return Decryption{Undecryptable{flag_of(*answer, "retry"), text_of(*answer, "reason"),
                                  text_of(*answer, "session_id")}};
}

Result<Identity> OlmMachine::identity() {
  auto answer = run(json({{"op", "identity"}}));
  if (!answer) return Unexpected(answer.error());
  const json signing = answer->value("cross_signing", json::object());
  return Identity{text_of(*answer, "user_id"),          text_of(*answer, "device_id"),
                  text_of(*answer, "ed25519"),          text_of(*answer, "curve25519"),
                  flag_of(signing, "has_master"),       flag_of(signing, "has_self_signing"),
                  flag_of(signing, "has_user_signing"), flag_of(*answer, "device_cross_signed")};
}

Result<CrossSigningBootstrap> OlmMachine::bootstrap_cross_signing() {
  auto answer = run(json({{"op", "bootstrap_cross_signing"}, {"reset", false}}));
  if (!answer) return Unexpected(answer.error());
  CrossSigningBootstrap bootstrap;
  const auto keys = answer->find("upload_keys");
  if (keys != answer->end() && !keys->is_null()) {
    auto request = request_of(*keys);
    if (!request) return Unexpected(request.error());
    bootstrap.upload_keys = std::move(request).value();
  }
  bootstrap.signing_keys = upload_of(answer->value("upload_signing_keys", json::object()));
  bootstrap.signatures = upload_of(answer->value("upload_signatures", json::object()));
  if (bootstrap.signing_keys.path.empty() || bootstrap.signatures.path.empty())
    return Unexpected(Error{"the cross-signing bootstrap lacks a request"});
  return bootstrap;
}

Result<SecretStorageExport> OlmMachine::secret_storage_export(
    const std::string& recovery_key, const std::optional<SecretStorageKey>& current) {
  json request = {{"op", "secret_storage_export"}, {"recovery_key", recovery_key}};
  if (current) {
    request["key_id"] = current->id;
    request["key"] = object_of(current->description);
  }
  auto answer = run(request);
  if (!answer) return Unexpected(answer.error());
  SecretStorageExport stored{{text_of(*answer, "key_id"), answer->value("key", json()).dump()}, {}};
  // Named: items() of a temporary would outlive it.
  const json secrets = answer->value("secrets", json::object());
  for (const auto& [type, content] : secrets.items())
    stored.secrets.emplace_back(type, content.dump());
  if (stored.key.id.empty() || stored.secrets.empty())
    return Unexpected(Error{"the crypto library returned no secrets to store"});
  return stored;
}

Result<Upload> OlmMachine::secret_storage_import(
    const std::string& recovery_key, const SecretStorageKey& key,
    const std::vector<std::pair<std::string, std::string>>& secrets) {
  json contents = json::object();
  for (const auto& [type, content] : secrets) contents[type] = object_of(content);
  auto answer = run(json({{"op", "secret_storage_import"},
                          {"recovery_key", recovery_key},
                          {"key_id", key.id},
                          {"key", object_of(key.description)},
                          {"secrets", std::move(contents)}}));
  if (!answer) return Unexpected(answer.error());
  Upload signatures = upload_of(answer->value("upload_signatures", json::object()));
  if (signatures.path.empty())
    return Unexpected(Error{"the crypto library returned no signature upload"});
  return signatures;
}

}  // namespace reflexbot::crypto
