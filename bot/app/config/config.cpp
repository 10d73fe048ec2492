#include "app/config/config.hpp"

#include "app/config/timezone.hpp"
#include "app/config/yaml.hpp"

#include "core/concepts.hpp"
#include "core/tags.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;

using yaml::describe;
using yaml::Entry;
using yaml::find;
using yaml::is_control;
using yaml::line_of;
using yaml::quote;
using yaml::to_lower;
using yaml::trim;

/// Reads a whole file; on failure returns nullopt and sets `reason` to an English description.
std::optional<std::string> read_whole_file(const fs::path& file, std::string& reason) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    reason = "it is a directory";
    return std::nullopt;
  }
  std::FILE* handle = std::fopen(file.c_str(), "rb");
  if (handle == nullptr) {
    reason = std::generic_category().message(errno);
    return std::nullopt;
  }
  std::string content;
  char buffer[8192];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, handle)) > 0) {
    content.append(buffer, count);
  }
  const bool failed = std::ferror(handle) != 0;
  const int error = errno;
  std::fclose(handle);
  if (failed) {
    reason = std::generic_category().message(error);
    return std::nullopt;
  }
  return content;
}

/// The line where a second YAML document starts, if the text has one. Not YAML::LoadAll: on some
/// malformed input (a "," alone on the first line) yaml-cpp 0.7 returns empty documents without
/// end, and the bot would fill its memory instead of naming the error (found by fuzz/config).
std::optional<int> second_document_line(const std::string& text) {
  // Counts documents and remembers where the first node of the second one is.
  class Documents : public YAML::EventHandler {
   public:
    int count = 0;
    int second_line = 0;

    void OnDocumentStart(const YAML::Mark& /*mark*/) override { ++count; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { note(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { note(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  const std::string& /*value*/) override {
      note(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                         YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
      note(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                    YAML::EmitterStyle::value /*style*/) override {
      note(mark);
    }
    void OnMapEnd() override {}

   private:
    void note(const YAML::Mark& mark) {
      if (count == 2 && second_line == 0) second_line = mark.line >= 0 ? mark.line + 1 : 1;
    }
  };
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  Documents documents;
  for (int i = 0; i < 2 && parser.HandleNextDocument(documents); ++i) {
  }
  if (documents.count < 2) return std::nullopt;
  return documents.second_line > 0 ? documents.second_line : 1;
}

/// Matrix server name: DNS name, IPv4 or [IPv6], optionally followed by :port.
bool is_server_name(std::string_view name) {
  std::string_view host = name;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : name.substr(1, close - 1)) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
    }
    host = name.substr(0, close + 1);
    name.remove_prefix(close + 1);
    if (!name.empty() && name.front() != ':') return false;
  } else {
    const auto colon = name.find(':');
    host = name.substr(0, colon);
    name = colon == std::string_view::npos ? std::string_view{} : name.substr(colon);
    if (host.empty() || host.size() > 255) return false;
    std::size_t label = 0;
    for (char c : host) {
      if (c == '.') {
        if (label == 0) return false;
        label = 0;
        continue;
      }
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
      ++label;
    }
    if (label == 0) return false;
  }
  if (name.empty()) return true;
  const std::string_view port = name.substr(1);
  if (port.empty() || port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "@localpart:server" with a printable localpart and a valid server name.
bool is_user_id(std::string_view id) {
  if (id.size() < 4 || id.size() > 255 || id.front() != '@') return false;
  const auto colon = id.find(':');
  if (colon == std::string_view::npos || colon == 1) return false;
  for (char c : id.substr(1, colon - 1)) {
    if (is_control(c) || c == ' ' || static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return is_server_name(id.substr(colon + 1));
}

/// "!opaque" or "!opaque:server" (room version 12 ids carry no server name).
bool is_room_id(std::string_view id) {
  if (id.size() < 2 || id.front() != '!') return false;
  return std::none_of(id.begin(), id.end(), [](char c) { return is_control(c) || c == ' '; });
}

/// Whether a server name (host[:port], checked by is_server_name) names this machine:
/// localhost, 127.x.x.x or [::1].
bool is_loopback(std::string_view server) {
  if (server.starts_with("[")) {
    const std::string address(server.substr(1, server.find(']') - 1));
    in6_addr v6{};
    return ::inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  const std::string host(server.substr(0, server.find(':')));
  if (to_lower(host) == "localhost") return true;
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

/// Collects what the loader knows about a file and formats errors for it.
class Loader : public yaml::FileErrors {
 public:
  using FileErrors::FileErrors;

  /// Reads the keys of a mapping; rejects duplicate and unknown keys.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& prefix,
                             const std::vector<std::string>& known) const {
    std::vector<Entry> result;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      const int key_line = line_of(key_node, 1);
      if (!key_node.IsScalar()) {
        fail(key_line, prefix.empty() ? "(key)" : prefix,
             "expected a key name, got " + describe(key_node));
      }
      const std::string key = key_node.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      for (const auto& seen : result) {
        if (seen.key == key) {
          fail(key_line, path,
               "duplicate key, already set on line " + std::to_string(line_of(seen.key_node, 1)));
        }
      }
      result.push_back(Entry{key, key_node, it->second});
    }
    for (const auto& entry : result) {
      if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
      const std::string path = prefix.empty() ? entry.key : prefix + "." + entry.key;
      std::string message = "unknown key";
      if (auto suggestion = yaml::closest_key(to_lower(entry.key), known)) {
        message += "; did you mean " + *suggestion + "?";
      }
      fail(line_of(entry.key_node, 1), path, message);
    }
    return result;
  }

  int integer(const Entry& entry, const std::string& path, std::int64_t min,
              std::int64_t max) const {
    return static_cast<int>(integer_value(entry.value, line_of(entry), path, min, max));
  }

  /// A path from the file, relative to the config file's folder.
  fs::path resolve(const std::string& value) const {
    const fs::path given(value);
    if (given.is_absolute()) return given.lexically_normal();
    return (path_.parent_path() / given).lexically_normal();
  }

  /// Reads a token or password file: trimmed, never empty; its content never appears in errors.
  std::string secret_from_file(const Entry& entry, const fs::path& file,
                               const std::string& what) const {
    std::string reason;
    const auto content = read_whole_file(file, reason);
    if (!content)
      fail(line_of(entry), entry.key,
           "cannot read the " + what + " " + file.string() + ": " + reason);
    std::string secret = trim(*content);
    if (secret.empty())
      fail(line_of(entry), entry.key, "the " + what + " " + file.string() + " is empty");
    return secret;
  }

  /// Reads the secret named by `<base>_file` or `<base>_credential`; empty if neither is set.
  std::string secret(const std::vector<Entry>& root, const std::string& base,
                     const std::string& noun) const {
    const Entry* file_entry = find(root, base + "_file");
    const Entry* credential_entry = find(root, base + "_credential");
    if (file_entry && credential_entry) {
      const Entry* later =
          line_of(*file_entry) > line_of(*credential_entry) ? file_entry : credential_entry;
      fail(line_of(*later), later->key,
           "set either " + base + "_file or " + base + "_credential, not both");
    }
    if (file_entry) {
      const std::string value = scalar(*file_entry, file_entry->key, "a file path");
      if (value.empty())
        fail(line_of(*file_entry), file_entry->key, "expected a file path, got \"\"");
      return secret_from_file(*file_entry, resolve(value), noun + " file");
    }
    if (credential_entry) {
      const std::string name =
          scalar(*credential_entry, credential_entry->key, "a systemd credential name");
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        fail(
            line_of(*credential_entry), credential_entry->key,
            "expected a systemd credential name (as in LoadCredential=NAME:…), got " + quote(name));
      }
      const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
      if (directory == nullptr || *directory == '\0') {
        fail(line_of(*credential_entry), credential_entry->key,
             "CREDENTIALS_DIRECTORY is not set; run the bot as a systemd service with "
             "LoadCredential=" +
                 name + ":/path/to/file, or use " + base + "_file instead");
      }
      return secret_from_file(*credential_entry, fs::path(directory) / name, noun + " credential");
    }
    return {};
  }

  Config load(const std::string& text) {
    const YAML::Node root = parse_root(text);
    const int root_line = root.IsMap() ? line_of(root, 1) : 1;
    const std::vector<Entry> keys =
        root.IsMap() ? entries(root, "", root_keys()) : std::vector<Entry>{};
    reject_inline_secrets(keys);

    Config config;
    config.path = path_;
    parse_account(keys, root_line, config);
    parse_credentials(keys, root_line, config);
    parse_storage(keys, config);
    parse_behaviour(keys, config);
    parse_sections(keys, config);
    parse_destinations(keys, config);
    config.digest = parse_digest(find(keys, "digest"));
    if (config.digest.schedule && config.network_room.empty() && !config.digest.rooms) {
      const Entry* digest = find(keys, "digest");
      fail(line_of(digest->key_node, 1), "digest",
           "a weekly digest needs somewhere to go: set network_room, or digest.rooms: true");
    }
    return config;
  }

 private:
  /// The one YAML document of the file: a mapping, or empty (then every required key is missing).
  YAML::Node parse_root(const std::string& text) const {
    YAML::Node root;
    std::optional<int> second_document;
    try {
      root = YAML::Load(text);
      second_document = second_document_line(text);
    } catch (const YAML::ParserException& e) {
      fail_syntax(e);
    }
    if (second_document) {
      fail_at(*second_document,
              "only one YAML document is allowed; remove the \"---\" separator and what follows");
    }
    if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
      fail_at(line_of(root, 1),
              "expected a mapping of settings (key: value), got " + describe(root));
    }
    return root;
  }

  static const std::vector<std::string>& root_keys() {
    static const std::vector<std::string> keys = {"homeserver",
                                                  "user_id",
                                                  "device_id",
                                                  "access_token_file",
                                                  "access_token_credential",
                                                  "password_file",
                                                  "password_credential",
                                                  "pseudonym_key_file",
                                                  "pseudonym_key_credential",
                                                  "crypto_key_file",
                                                  "crypto_key_credential",
                                                  "recovery_key_file",
                                                  "recovery_key_credential",
                                                  "encryption",
                                                  "metrics",
                                                  "database",
                                                  "retention_days",
                                                  "language",
                                                  "log_level",
                                                  "moderator_level",
                                                  "invite_allowlist",
                                                  "sync",
                                                  "retry",
                                                  "command_limit",
                                                  "rooms",
                                                  "network_room",
                                                  "templates_dir",
                                                  "ack_reaction",
                                                  "tags",
                                                  "digest",
                                                  "access_token",
                                                  "password",
                                                  "pseudonym_key",
                                                  "crypto_key",
                                                  "recovery_key"};
    return keys;
  }

  /// access_token, password and pseudonym_key are known keys only to say where secrets belong.
  void reject_inline_secrets(const std::vector<Entry>& keys) const {
    for (const auto& [inline_secret, noun] :
         {std::pair<std::string, std::string>{"access_token", "access token"},
          {"password", "password"},
          {"pseudonym_key", "pseudonymisation key"},
          {"crypto_key", "crypto store key"},
          {"recovery_key", "recovery key"}}) {
      if (const Entry* entry = find(keys, inline_secret)) {
        fail(line_of(entry->key_node, 1), inline_secret,
             "never write the " + noun +
                 " into the configuration; put it in a file readable only by the bot and set " +
                 inline_secret + "_file, or use " + inline_secret +
                 "_credential (systemd LoadCredential)");
      }
    }
  }

  /// homeserver, user_id, device_id.
  void parse_account(const std::vector<Entry>& keys, int root_line, Config& config) const {
    const Entry* homeserver = find(keys, "homeserver");
    if (!homeserver)
      fail(root_line, "homeserver", "missing required key (the homeserver's base URL, https://…)");
    config.homeserver = parse_homeserver(*homeserver);

    const Entry* user_id = find(keys, "user_id");
    if (!user_id)
      fail(root_line, "user_id", "missing required key (the bot's Matrix id, @localpart:server)");
    config.user_id =
        scalar(*user_id, "user_id", "a Matrix user id such as \"@reflexbot:example.org\"");
    if (!is_user_id(config.user_id)) {
      fail(line_of(*user_id), "user_id",
           "expected a Matrix user id such as \"@reflexbot:example.org\", got " +
               quote(config.user_id));
    }

    if (const Entry* device = find(keys, "device_id")) {
      config.device_id = scalar(*device, "device_id", "a non-empty device id");
      if (config.device_id.empty() ||
          std::any_of(config.device_id.begin(), config.device_id.end(),
                      [](char c) { return is_control(c) || c == ' '; })) {
        fail(line_of(*device), "device_id",
             "expected a non-empty device id without spaces, got " + quote(config.device_id));
      }
    }
  }

  /// The access token or password (one is required) and the pseudonymisation key.
  void parse_credentials(const std::vector<Entry>& keys, int root_line, Config& config) const {
    config.access_token = secret(keys, "access_token", "access token");
    if (std::any_of(config.access_token.begin(), config.access_token.end(),
                    [](char c) { return is_control(c) || c == ' '; })) {
      const Entry* source = find(keys, "access_token_file");
      if (!source) source = find(keys, "access_token_credential");
      fail(
          line_of(*source), source->key,
          "the access token must be a single word; the file contains spaces or line breaks inside");
    }
    config.password = secret(keys, "password", "password");
    if (config.access_token.empty() && config.password.empty()) {
      fail(root_line, "access_token_file",
           "missing required key; set access_token_file or access_token_credential "
           "(or password_file / password_credential to log in with a password)");
    }

    config.pseudonym_key = secret(keys, "pseudonym_key", "pseudonymisation key");
    if (!config.pseudonym_key.empty() && config.pseudonym_key.size() < 16) {
      const Entry* source = find(keys, "pseudonym_key_file");
      if (!source) source = find(keys, "pseudonym_key_credential");
      fail(line_of(*source), source->key,
           "the pseudonymisation key must be at least 16 bytes (e.g. head -c 32 /dev/urandom)");
    }
    config.crypto_key = secret(keys, "crypto_key", "crypto store key");
    if (!config.crypto_key.empty() && config.crypto_key.size() < 16) {
      const Entry* source = find(keys, "crypto_key_file");
      if (!source) source = find(keys, "crypto_key_credential");
      fail(line_of(*source), source->key,
           "the crypto store key must be at least 16 bytes (e.g. openssl rand -hex 32)");
    }
    // Checked against the spec's form when encryption starts (by the crypto library).
    config.recovery_key = secret(keys, "recovery_key", "recovery key");
  }

  /// database, retention_days.
  void parse_storage(const std::vector<Entry>& keys, Config& config) const {
    if (const Entry* database = find(keys, "database")) {
      const std::string value = scalar(*database, "database", "a file path");
      if (value.empty()) fail(line_of(*database), "database", "expected a file path, got \"\"");
      config.database = resolve(value);
    } else {
      config.database = resolve("reflexbot.db");
    }
    if (const Entry* retention = find(keys, "retention_days")) {
      config.retention_days = integer(*retention, "retention_days", 1, 3650);
    }
  }

  /// language, log_level, moderator_level, invite_allowlist.
  void parse_behaviour(const std::vector<Entry>& keys, Config& config) const {
    if (const Entry* language = find(keys, "language")) {
      const std::string value = scalar(*language, "language", "de or en");
      if (value == "de") {
        config.language = core::Language::de;
      } else if (value == "en") {
        config.language = core::Language::en;
      } else {
        fail(line_of(*language), "language", "expected de or en, got " + quote(value));
      }
    }

    if (const Entry* log_level = find(keys, "log_level")) {
      static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};
      const std::string expected = "one of trace, debug, info, warn, error, critical, off";
      const std::string value = scalar(*log_level, "log_level", expected);
      if (std::find(levels.begin(), levels.end(), value) == levels.end()) {
        fail(line_of(*log_level), "log_level", "expected " + expected + ", got " + quote(value));
      }
      config.log_level = value;
    }

    if (const Entry* level = find(keys, "moderator_level")) {
      config.moderator_level = integer(*level, "moderator_level", 0, 1000000);
    }

    if (const Entry* allowlist = find(keys, "invite_allowlist")) {
      config.invite_allowlist = parse_allowlist(*allowlist);
    }
  }

  /// The sections sync, retry, command_limit, rooms and tags.
  void parse_sections(const std::vector<Entry>& keys, Config& config) const {
    if (const Entry* sync = find(keys, "sync")) config.sync = parse_sync(*sync);
    if (const Entry* retry = find(keys, "retry")) config.retry = parse_retry(*retry);
    if (const Entry* limit = find(keys, "command_limit")) {
      config.command_limit = parse_command_limit(*limit);
    }
    if (const Entry* rooms = find(keys, "rooms")) config.rooms = parse_rooms(*rooms);
    if (const Entry* encryption = find(keys, "encryption"))
      config.encryption = parse_encryption(*encryption);
    if (const Entry* metrics = find(keys, "metrics")) config.metrics = parse_metrics(*metrics);
    config.vocabulary = core::default_vocabulary();
    if (const Entry* tags = find(keys, "tags")) add_tags(*tags, config.vocabulary);
  }

  /// network_room, templates_dir, ack_reaction.
  void parse_destinations(const std::vector<Entry>& keys, Config& config) const {
    if (const Entry* network_room = find(keys, "network_room")) {
      const std::string expected = "a room id such as \"!abc:example.org\"";
      config.network_room = scalar(*network_room, "network_room", expected);
      if (!is_room_id(config.network_room)) {
        fail(line_of(*network_room), "network_room",
             "expected " + expected + ", got " + quote(config.network_room));
      }
    }
    if (const Entry* templates = find(keys, "templates_dir")) {
      const std::string value = scalar(*templates, "templates_dir", "a folder path");
      if (value.empty())
        fail(line_of(*templates), "templates_dir", "expected a folder path, got \"\"");
      config.templates_dir = resolve(value);
    }
    if (const Entry* ack = find(keys, "ack_reaction")) {
      config.ack_reaction = scalar(*ack, "ack_reaction", "an emoji, or \"\" for none");
      if (config.ack_reaction.size() > 32) {
        fail(line_of(*ack), "ack_reaction",
             "expected one emoji (or \"\" to switch acknowledgements off), got " +
                 quote(config.ack_reaction));
      }
    }
  }

  DigestConfig parse_digest(const Entry* entry) const {
    DigestConfig digest;
    std::vector<Entry> keys;
    if (entry != nullptr) {
      keys = section(*entry, {"weekday", "time", "timezone", "rooms", "chart", "period_days", "top",
                              "concepts_file"});
    }
    if (const Entry* concepts = find(keys, "concepts_file")) {
      digest.concepts_file =
          resolve(scalar(*concepts, "digest.concepts_file", "the path of a concepts file"));
      std::string reason;
      const auto text = read_whole_file(digest.concepts_file, reason);
      if (!text) {
        fail(line_of(*concepts), "digest.concepts_file",
             "cannot read " + digest.concepts_file.string() + ": " + reason);
      }
      if (const std::string error = core::check_concepts(*text); !error.empty()) {
        fail(line_of(*concepts), "digest.concepts_file",
             digest.concepts_file.string() + ", " + error);
      }
      digest.concepts = *text;
    }
    if (const Entry* zone = find(keys, "timezone")) {
      digest.timezone =
          scalar(*zone, "digest.timezone", "an IANA time zone such as \"Europe/Berlin\"");
    }
    auto found = find_time_zone(digest.timezone);
    if (!found) {
      const Entry* zone = find(keys, "timezone");
      if (zone == nullptr)
        throw ConfigError(path_.string() + ": digest.timezone: " + found.error());
      fail(line_of(*zone), "digest.timezone", found.error());
    }
    digest.zone = *found;
    if (const Entry* rooms = find(keys, "rooms")) {
      const std::string value = to_lower(scalar(*rooms, "digest.rooms", "true or false"));
      if (value != "true" && value != "false") {
        fail(line_of(*rooms), "digest.rooms", "expected true or false, got " + quote(value));
      }
      digest.rooms = value == "true";
    }
    if (const Entry* chart = find(keys, "chart")) {
      const std::string value = to_lower(scalar(*chart, "digest.chart", "true or false"));
      if (value != "true" && value != "false") {
        fail(line_of(*chart), "digest.chart", "expected true or false, got " + quote(value));
      }
      digest.chart = value == "true";
    }
    if (const Entry* days = find(keys, "period_days")) {
      digest.period_days = integer(*days, "digest.period_days", 1, 366);
    }
    if (const Entry* top = find(keys, "top")) digest.top = integer(*top, "digest.top", 1, 50);
    const Entry* weekday = find(keys, "weekday");
    const Entry* time = find(keys, "time");
    if ((weekday == nullptr) != (time == nullptr)) {
      const Entry* given = weekday != nullptr ? weekday : time;
      fail(line_of(*given), weekday != nullptr ? "digest.time" : "digest.weekday",
           weekday != nullptr ? "missing: a weekly digest needs a time such as \"09:00\""
                              : "missing: a weekly digest needs a weekday such as montag");
    }
    if (weekday == nullptr) return digest;
    static const std::vector<std::pair<std::string, unsigned>> days = {
        {"sonntag", 0},   {"montag", 1},   {"dienstag", 2}, {"mittwoch", 3}, {"donnerstag", 4},
        {"freitag", 5},   {"samstag", 6},  {"sunday", 0},   {"monday", 1},   {"tuesday", 2},
        {"wednesday", 3}, {"thursday", 4}, {"friday", 5},   {"saturday", 6}};
    const std::string day = to_lower(scalar(*weekday, "digest.weekday", "a weekday"));
    auto it = std::find_if(days.begin(), days.end(), [&](const auto& d) { return d.first == day; });
    if (it == days.end()) {
      fail(line_of(*weekday), "digest.weekday",
           "expected a weekday (montag … sonntag or monday … sunday), got " + quote(day));
    }
    const std::string clock = scalar(*time, "digest.time", "a time such as \"09:00\"");
    int hours = -1;
    int minutes = -1;
    if (clock.size() == 5 && clock[2] == ':' && std::all_of(clock.begin(), clock.end(), [](char c) {
          return c == ':' || (c >= '0' && c <= '9');
        })) {
      hours = (clock[0] - '0') * 10 + (clock[1] - '0');
      minutes = (clock[3] - '0') * 10 + (clock[4] - '0');
    }
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
      fail(line_of(*time), "digest.time",
           "expected a time HH:MM such as \"09:00\" (in quotes), got " + quote(clock));
    }
    core::WeeklySchedule schedule;
    schedule.weekday = std::chrono::weekday{it->second};
    schedule.time_of_day = std::chrono::hours(hours) + std::chrono::minutes(minutes);
    schedule.zone = digest.zone;
    digest.schedule = schedule;
    return digest;
  }

  std::string parse_homeserver(const Entry& entry) const {
    const std::string expected =
        "an http:// or https:// URL such as \"https://matrix.example.org\"";
    std::string url = scalar(entry, "homeserver", expected);
    const std::string lower = to_lower(url);
    std::size_t scheme_end = 0;
    if (lower.starts_with("https://")) {
      scheme_end = 8;
    } else if (lower.starts_with("http://")) {
      scheme_end = 7;
    }
    const bool bad_chars = std::any_of(url.begin(), url.end(), [](char c) {
      return is_control(c) || c == ' ' || c == '?' || c == '#';
    });
    while (url.size() > scheme_end && url.back() == '/') url.pop_back();
    const std::size_t host_end = url.find('/', scheme_end);
    const std::string host = url.substr(
        scheme_end, host_end == std::string::npos ? std::string::npos : host_end - scheme_end);
    if (scheme_end == 0 || bad_chars || !is_server_name(host)) {
      fail(line_of(entry), "homeserver",
           "expected " + expected + ", got " + quote(entry.value.Scalar()));
    }
    if (scheme_end == 7 && !is_loopback(host)) {
      fail(line_of(entry), "homeserver",
           "plain http:// sends the access token in clear; use https:// (http:// only to this "
           "machine: localhost, 127.x.x.x or [::1]), got " +
               quote(entry.value.Scalar()));
    }
    return lower.substr(0, scheme_end) + url.substr(scheme_end);
  }

  std::vector<std::string> parse_allowlist(const Entry& entry) const {
    std::vector<std::string> result;
    if (entry.value.IsNull()) return result;
    if (!entry.value.IsSequence()) {
      fail(line_of(entry), "invite_allowlist",
           "expected a list of user ids (@user:server) and server names, got " +
               describe(entry.value));
    }
    const int list_line = line_of(entry);
    std::size_t index = 0;
    for (const auto& item : entry.value) {
      const std::string path = "invite_allowlist[" + std::to_string(index++) + "]";
      const int line = line_of(item, list_line);
      const std::string expected =
          "expected a user id such as \"@moderation:example.org\" or a server "
          "name such as \"example.org\"";
      if (!item.IsScalar()) fail(line, path, expected + ", got " + describe(item));
      const std::string& value = item.Scalar();
      const bool valid = value.starts_with("@") ? is_user_id(value) : is_server_name(value);
      if (!valid) fail(line, path, expected + ", got " + quote(value));
      result.push_back(value);
    }
    return result;
  }

  /// A section that must be a mapping; null (an empty section) means all defaults.
  std::vector<Entry> section(const Entry& entry, const std::vector<std::string>& known) const {
    if (entry.value.IsNull()) return {};
    if (!entry.value.IsMap()) {
      fail(line_of(entry), entry.key,
           "expected a mapping (key: value), got " + describe(entry.value));
    }
    return entries(entry.value, entry.key, known);
  }

  SyncConfig parse_sync(const Entry& entry) const {
    const auto keys = section(entry, {"timeout_ms", "timeline_limit", "request_timeout_ms"});
    SyncConfig sync;
    if (const Entry* timeout = find(keys, "timeout_ms")) {
      sync.timeout_ms = integer(*timeout, "sync.timeout_ms", 0, 600000);
    }
    if (const Entry* limit = find(keys, "timeline_limit")) {
      sync.timeline_limit = integer(*limit, "sync.timeline_limit", 1, 1000);
    }
    if (const Entry* request = find(keys, "request_timeout_ms")) {
      sync.request_timeout_ms =
          integer(*request, "sync.request_timeout_ms", std::int64_t{sync.timeout_ms} + 1, 900000);
    } else {
      sync.request_timeout_ms = std::max(90000, sync.timeout_ms + 30000);
    }
    return sync;
  }

  RetryConfig parse_retry(const Entry& entry) const {
    const auto keys = section(entry, {"initial_ms", "max_ms"});
    RetryConfig retry;
    if (const Entry* initial = find(keys, "initial_ms")) {
      retry.initial_ms = integer(*initial, "retry.initial_ms", 1, 600000);
    }
    if (const Entry* max = find(keys, "max_ms")) {
      retry.max_ms = integer(*max, "retry.max_ms", retry.initial_ms, 3600000);
    } else {
      retry.max_ms = std::max(retry.max_ms, retry.initial_ms);
    }
    return retry;
  }

  CommandLimitConfig parse_command_limit(const Entry& entry) const {
    const auto keys = section(entry, {"burst", "refill_seconds"});
    CommandLimitConfig limit;
    if (const Entry* burst = find(keys, "burst")) {
      limit.burst = integer(*burst, "command_limit.burst", 0, 1000);
    }
    if (const Entry* refill = find(keys, "refill_seconds")) {
      limit.refill_seconds = integer(*refill, "command_limit.refill_seconds", 1, 3600);
    }
    return limit;
  }

  // "127.0.0.1:9464", "[::1]:9464", or a port alone (then loopback): an address other than
  // loopback only when the administrator writes one.
  MetricsConfig parse_metrics(const Entry& entry) const {
    const auto keys = section(entry, {"listen"});
    MetricsConfig metrics;
    const Entry* listen = find(keys, "listen");
    if (listen == nullptr) return metrics;
    const std::string expected = "a port, or ADDRESS:PORT such as 127.0.0.1:9464 or [::1]:9464";
    const std::string value = scalar(*listen, "metrics.listen", expected);
    std::string host = "127.0.0.1";
    std::string port = value;
    if (const auto colon = value.rfind(':'); colon != std::string::npos) {
      host = value.substr(0, colon);
      port = value.substr(colon + 1);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      } else if (host.find(':') != std::string::npos) {
        fail(line_of(*listen), "metrics.listen",
             "an IPv6 address goes in brackets ([::1]:9464), got " + quote(value));
      }
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    unsigned number = 0;
    const auto [end, parsed] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec || parsed != std::errc{} || end != port.data() + port.size() || number == 0 ||
        number > 65535) {
      fail(line_of(*listen), "metrics.listen", "expected " + expected + ", got " + quote(value));
    }
    metrics.address = address.to_string();
    metrics.port = static_cast<unsigned short>(number);
    return metrics;
  }

  EncryptionConfig parse_encryption(const Entry& entry) const {
    const auto keys = section(entry, {"store", "share_keys_with", "undecryptable_hours"});
    EncryptionConfig encryption;
    if (const Entry* store = find(keys, "store")) {
      const std::string value = scalar(*store, "encryption.store", "a folder path");
      if (value.empty())
        fail(line_of(*store), "encryption.store", "expected a folder path, got \"\"");
      encryption.store = resolve(value);
    }
    if (const Entry* share = find(keys, "share_keys_with")) {
      const std::string expected = "all_devices or cross_signed";
      const std::string value = scalar(*share, "encryption.share_keys_with", expected);
      if (value != "all_devices" && value != "cross_signed") {
        fail(line_of(*share), "encryption.share_keys_with",
             "expected " + expected + ", got " + quote(value));
      }
      encryption.cross_signed_only = value == "cross_signed";
    }
    if (const Entry* hours = find(keys, "undecryptable_hours")) {
      encryption.undecryptable_hours = integer(*hours, "encryption.undecryptable_hours", 1, 720);
    }
    return encryption;
  }

  // Further tags on top of the built-in vocabulary (core::default_vocabulary()).
  void add_tags(const Entry& entry, core::TagVocabulary& vocabulary) const {
    if (entry.value.IsNull()) return;
    if (!entry.value.IsSequence()) {
      fail(line_of(entry), "tags",
           "expected a list of tags (- key: …, aliases: […]), got " + describe(entry.value));
    }
    std::size_t index = 0;
    for (const auto& item : entry.value) {
      const std::string path = "tags[" + std::to_string(index++) + "]";
      const int item_line = line_of(item, line_of(entry));
      if (!item.IsMap())
        fail(item_line, path, "expected a mapping with key, got " + describe(item));
      const auto keys = entries(item, path, {"key", "kind", "label_de", "label_en", "aliases"});
      core::Tag tag;
      const Entry* key = find(keys, "key");
      if (!key) fail(item_line, path + ".key", "missing required key (the tag without '#')");
      tag.key = core::fold_tag(scalar(*key, path + ".key", "a word such as \"hitze\""));
      if (tag.key.empty() || !std::all_of(tag.key.begin(), tag.key.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
          })) {
        fail(line_of(*key), path + ".key",
             "expected a word of letters and digits (umlauts allowed), got " +
                 quote(scalar(*key, path + ".key", "a word")));
      }
      tag.kind = core::TagKind::topic;
      if (const Entry* kind = find(keys, "kind")) {
        const std::string value = scalar(*kind, path + ".kind", "signal or topic");
        if (value == "signal") {
          tag.kind = core::TagKind::signal;
        } else if (value != "topic") {
          fail(line_of(*kind), path + ".kind", "expected signal or topic, got " + quote(value));
        }
      }
      tag.label.de = tag.key;
      if (const Entry* de = find(keys, "label_de"))
        tag.label.de = scalar(*de, path + ".label_de", "a text");
      if (const Entry* en = find(keys, "label_en"))
        tag.label.en = scalar(*en, path + ".label_en", "a text");
      const Entry* aliases = find(keys, "aliases");
      if (aliases && !aliases->value.IsNull()) {
        if (!aliases->value.IsSequence()) {
          fail(line_of(*aliases), path + ".aliases",
               "expected a list of words, got " + describe(aliases->value));
        }
        for (const auto& alias : aliases->value) {
          if (!alias.IsScalar() || alias.Scalar().empty()) {
            fail(line_of(alias, line_of(*aliases)), path + ".aliases",
                 "expected a word, got " + describe(alias));
          }
          tag.aliases.push_back(alias.Scalar());
        }
      }
      if (auto clash = vocabulary.add(tag)) {
        const core::Tag* owner = vocabulary.match(*clash);
        fail(line_of(*key), path,
             "#" + *clash + " is already a spelling of the tag " +
                 quote(owner != nullptr ? owner->key : *clash));
      }
    }
  }

  std::vector<RoomConfig> parse_rooms(const Entry& entry) const {
    std::vector<RoomConfig> rooms;
    if (entry.value.IsNull()) return rooms;
    if (!entry.value.IsSequence()) {
      fail(
          line_of(entry), "rooms",
          "expected a list of rooms (- room_id: \"!…\" and city: …), got " + describe(entry.value));
    }
    const int list_line = line_of(entry);
    std::vector<int> room_lines;
    std::size_t index = 0;
    for (const auto& item : entry.value) {
      const std::string path = "rooms[" + std::to_string(index++) + "]";
      const int item_line = line_of(item, list_line);
      if (!item.IsMap()) {
        fail(item_line, path, "expected a mapping with room_id and city, got " + describe(item));
      }
      const auto keys = entries(item, path, {"room_id", "city"});
      RoomConfig room;

      const Entry* room_id = find(keys, "room_id");
      if (!room_id)
        fail(item_line, path + ".room_id", "missing required key (the room id, \"!…\")");
      const std::string expected = "a room id such as \"!abc:example.org\"";
      room.room_id = scalar(*room_id, path + ".room_id", expected);
      if (!is_room_id(room.room_id)) {
        std::string message = "expected " + expected + ", got " + quote(room.room_id);
        if (room.room_id.starts_with("#"))
          message += " (a room alias; use the room id from the room settings)";
        fail(line_of(*room_id), path + ".room_id", message);
      }
      for (std::size_t other = 0; other < rooms.size(); ++other) {
        if (rooms[other].room_id == room.room_id) {
          fail(line_of(*room_id), path + ".room_id",
               "duplicate room id " + quote(room.room_id) + ", already listed as rooms[" +
                   std::to_string(other) + "] on line " + std::to_string(room_lines[other]));
        }
      }

      const Entry* city = find(keys, "city");
      if (!city)
        fail(item_line, path + ".city", "missing required key (the city the room belongs to)");
      room.city = trim(scalar(*city, path + ".city", "a city name"));
      if (room.city.empty())
        fail(line_of(*city), path + ".city", "expected a city name, got an empty text");

      room_lines.push_back(line_of(*room_id));
      rooms.push_back(std::move(room));
    }
    return rooms;
  }
};

}  // namespace

Config parse_config(const std::string& yaml_text, const std::filesystem::path& path) {
  Loader loader(path);
  try {
    return loader.load(yaml_text);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    loader.fail_at(line_of(e.mark), "cannot read the YAML: " + e.msg);
  } catch (const std::filesystem::filesystem_error& e) {
    loader.fail_at(1, std::string("file system error: ") + e.what());
  }
}

Config load_config(const std::filesystem::path& path) {
  std::string reason;
  const auto text = read_whole_file(path, reason);
  if (!text) throw ConfigError(path.string() + ": cannot read the configuration file: " + reason);
  return parse_config(*text, path);
}

namespace {

/// The server of a user id ("@anna:example.org" → "example.org"); nullopt if it is none.
std::optional<std::string_view> server_of(std::string_view user_id) {
  if (!user_id.starts_with("@")) return std::nullopt;
  const auto colon = user_id.find(':');
  if (colon == std::string_view::npos || colon == 1 || colon + 1 == user_id.size()) {
    return std::nullopt;
  }
  return user_id.substr(colon + 1);
}

}  // namespace

bool invite_allowed(const Config& config, const std::string& inviter) {
  const auto server = server_of(inviter);
  if (!server) return false;
  for (const auto& entry : config.invite_allowlist) {
    if (entry.starts_with("@") ? entry == inviter : entry == *server) return true;
  }
  return false;
}

std::vector<std::string> allowlist_entries_for(const std::string& inviter) {
  const auto server = server_of(inviter);
  if (!server) return {};
  return {inviter, std::string(*server)};
}

}  // namespace reflexbot::app
