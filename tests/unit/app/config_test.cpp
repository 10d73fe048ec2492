#include "app/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/scoped_env.hpp"
#include "../support/temp_dir.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;

/// A valid configuration to which the tests append or in which they replace lines.
constexpr const char* minimal = R"(homeserver: https://matrix.example.org/
user_id: "@reflexbot:example.org"
access_token_file: token
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_ / "reflexbot.yaml";
    write("token", "  syt_secret_token\n\n");
  }

  void write(const fs::path& name, const std::string& content) const {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }

  /// The error message parse_config gives for this text, or "no error".
  std::string error_of(const std::string& yaml) const {
    try {
      parse_config(yaml, file_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }

  /// The "FILE:LINE: " prefix of an error on this line.
  std::string at(int line) const { return file_.string() + ":" + std::to_string(line) + ": "; }

  test::TempDir temp_{"config"};
  const fs::path dir_ = temp_.path();
  fs::path file_;
  // Unset for each test (some set it), and put back as it was after it.
  test::ScopedEnv credentials_{"CREDENTIALS_DIRECTORY", std::nullopt};
};

std::string read_example() {
  std::ifstream in(REFLEXBOT_EXAMPLE_CONFIG, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example is written for the systemd unit: token and key come in as credentials.
TEST_F(ConfigTest, ExampleConfigLoadsWithItsCredentials) {
  write("creds/access_token", "syt_secret_token\n");
  write("creds/pseudonym_key", "0123456789abcdef0123456789abcdef\n");
  write("creds/crypto_key", "fedcba9876543210fedcba9876543210\n");
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
  const Config config = parse_config(read_example(), file_);
  EXPECT_EQ(config.crypto_key, "fedcba9876543210fedcba9876543210");
  EXPECT_FALSE(config.encryption.cross_signed_only);
  EXPECT_EQ(config.encryption.undecryptable_hours, 24);
  EXPECT_EQ(config.path, file_);
  EXPECT_EQ(config.homeserver, "https://matrix.example.org");
  EXPECT_EQ(config.user_id, "@reflexbot:example.org");
  EXPECT_EQ(config.device_id, "REFLEXBOT");
  EXPECT_EQ(config.access_token, "syt_secret_token");
  EXPECT_EQ(config.password, "");
  EXPECT_EQ(config.pseudonym_key, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(config.database, fs::path("/var/lib/reflexbot/reflexbot.db"));
  EXPECT_EQ(config.language, core::Language::de);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.moderator_level, 50);
  EXPECT_EQ(config.invite_allowlist,
            (std::vector<std::string>{"@moderation:example.org", "example.org"}));
  EXPECT_EQ(config.sync.timeout_ms, 30000);
  EXPECT_EQ(config.sync.timeline_limit, 50);
  EXPECT_EQ(config.sync.request_timeout_ms, 90000);
  EXPECT_EQ(config.retry.initial_ms, 500);
  EXPECT_EQ(config.retry.max_ms, 60000);
  ASSERT_EQ(config.rooms.size(), 2U);
  EXPECT_EQ(config.rooms[0].room_id, "!koeln:example.org");
  EXPECT_EQ(config.rooms[0].city, "Köln");
  EXPECT_EQ(config.rooms[1].room_id, "!leipzig:example.org");
  EXPECT_EQ(config.rooms[1].city, "Leipzig");
  EXPECT_EQ(config.network_room, "!netzwerk:example.org");
  EXPECT_EQ(config.retention_days, 365);
}

TEST_F(ConfigTest, ExampleConfigOutsideSystemdFailsOnlyOnItsCredentials) {
  try {
    load_config(REFLEXBOT_EXAMPLE_CONFIG);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              std::string(REFLEXBOT_EXAMPLE_CONFIG) +
                  ":12: access_token_credential: CREDENTIALS_DIRECTORY is not set; run the bot "
                  "as a systemd service with LoadCredential=access_token:/path/to/file, or use "
                  "access_token_file instead");
  }
}

TEST_F(ConfigTest, MinimalConfigGetsDefaults) {
  const Config config = parse_config(minimal, file_);
  EXPECT_EQ(config.homeserver, "https://matrix.example.org");
  EXPECT_EQ(config.access_token, "syt_secret_token");
  EXPECT_EQ(config.device_id, "REFLEXBOT");
  EXPECT_EQ(config.database, dir_ / "reflexbot.db");
  EXPECT_EQ(config.language, core::Language::de);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.moderator_level, 50);
  EXPECT_TRUE(config.invite_allowlist.empty());
  EXPECT_EQ(config.sync.timeout_ms, 30000);
  EXPECT_EQ(config.sync.timeline_limit, 50);
  EXPECT_EQ(config.sync.request_timeout_ms, 90000);
  EXPECT_EQ(config.retry.initial_ms, 500);
  EXPECT_EQ(config.retry.max_ms, 60000);
  EXPECT_TRUE(config.rooms.empty());
  EXPECT_EQ(config.network_room, "");
}

TEST_F(ConfigTest, OptionalValuesAreRead) {
  const Config config = parse_config(std::string(minimal) + R"(language: en
log_level: debug
moderator_level: 100
device_id: BOT2
)",
                                     file_);
  EXPECT_EQ(config.language, core::Language::en);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.moderator_level, 100);
  EXPECT_EQ(config.device_id, "BOT2");
}

TEST_F(ConfigTest, DigestScheduleIsRead) {
  const Config config = parse_config(std::string(minimal) + R"(network_room: "!netz:example.org"
digest:
  weekday: Montag
  time: "09:30"
  timezone: Europe/Berlin
  rooms: true
  chart: false
  period_days: 14
  top: 3
)",
                                     file_);
  EXPECT_FALSE(config.digest.chart);
  ASSERT_TRUE(config.digest.schedule);
  EXPECT_EQ(config.digest.schedule->weekday, std::chrono::Monday);
  EXPECT_EQ(config.digest.schedule->time_of_day, std::chrono::minutes(9 * 60 + 30));
  EXPECT_EQ(config.digest.zone.spec(), "CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_TRUE(config.digest.rooms);
  EXPECT_TRUE(parse_config(std::string(minimal), file_).digest.chart);  // on unless switched off
  EXPECT_EQ(config.digest.period_days, 14);
  EXPECT_EQ(config.digest.top, 3);
}

// The administrator's additions to the domain lexicon: read relative to the configuration file
// and checked at load, with the file's line in the error.
TEST_F(ConfigTest, DigestConceptsFileIsReadAndChecked) {
  write("concepts.txt", "# Gesundheitsamt und Pandemie\nkats: =kats katastrophenschutz\n");
  const Config config =
      parse_config(std::string(minimal) + "digest:\n  concepts_file: concepts.txt\n", file_);
  EXPECT_EQ(config.digest.concepts_file, dir_ / "concepts.txt");
  EXPECT_NE(config.digest.concepts.find("kats:"), std::string::npos);
  write("bad.txt", "kats: =kats\nHochwasser Pegel\n");
  EXPECT_EQ(error_of(std::string(minimal) + "digest:\n  concepts_file: bad.txt\n"),
            at(5) + "digest.concepts_file: " + (dir_ / "bad.txt").string() +
                ", line 2: expected \"concept: pattern pattern …\"");
  write("upper.txt", "hochwasser: Pegel\n");
  EXPECT_NE(error_of(std::string(minimal) + "digest:\n  concepts_file: upper.txt\n")
                .find("line 1: pattern \"Pegel\" must be lower case"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(minimal) + "digest:\n  concepts_file: missing.txt\n")
                .find("digest.concepts_file: cannot read "),
            std::string::npos);
}

TEST_F(ConfigTest, WithoutADigestSectionThereIsNoScheduleAndDatesAreInBerlin) {
  const Config config = parse_config(minimal, file_);
  EXPECT_FALSE(config.digest.schedule);
  EXPECT_EQ(config.digest.zone.spec(), "CET-1CEST,M3.5.0,M10.5.0/3");
}

TEST_F(ConfigTest, DigestErrorsNameKeyAndLine) {
  const std::string room = "network_room: \"!netz:example.org\"\n";  // line 4
  EXPECT_EQ(
      error_of(std::string(minimal) + room + "digest:\n  weekday: funday\n  time: \"09:00\"\n"),
      at(6) +
          "digest.weekday: expected a weekday (montag … sonntag or monday … sunday), "
          "got \"funday\"");
  EXPECT_EQ(
      error_of(std::string(minimal) + room + "digest:\n  weekday: montag\n  time: \"9 Uhr\"\n"),
      at(7) +
          "digest.time: expected a time HH:MM such as \"09:00\" (in quotes), got "
          "\"9 Uhr\"");
  EXPECT_EQ(
      error_of(std::string(minimal) + room + "digest:\n  weekday: montag\n  time: \"24:00\"\n"),
      at(7) +
          "digest.time: expected a time HH:MM such as \"09:00\" (in quotes), got "
          "\"24:00\"");
  EXPECT_EQ(error_of(std::string(minimal) + room + "digest:\n  weekday: montag\n"),
            at(6) + "digest.time: missing: a weekly digest needs a time such as \"09:00\"");
  EXPECT_NE(error_of(std::string(minimal) + room + "digest:\n  timezone: Europe/Berln\n")
                .find(at(6) + "digest.timezone: "),
            std::string::npos);
  EXPECT_EQ(error_of(std::string(minimal) + "digest:\n  weekday: montag\n  time: \"09:00\"\n"),
            at(4) +
                "digest: a weekly digest needs somewhere to go: set network_room, or "
                "digest.rooms: true");
  EXPECT_EQ(error_of(std::string(minimal) + room + "digest:\n  wekday: montag\n"),
            at(6) + "digest.wekday: unknown key; did you mean weekday?");
}

TEST_F(ConfigTest, RequestTimeoutDefaultFollowsTimeout) {
  const Config config = parse_config(std::string(minimal) + R"(sync:
  timeout_ms: 80000
retry:
  initial_ms: 120000
)",
                                     file_);
  EXPECT_EQ(config.sync.request_timeout_ms, 110000);
  EXPECT_EQ(config.retry.max_ms, 120000);
}

TEST_F(ConfigTest, HomeserverKeepsPortAndPathButLosesTrailingSlashes) {
  const Config config = parse_config(R"(homeserver: HTTP://localhost:8008/matrix//
user_id: "@bot:localhost:8008"
access_token_file: token
)",
                                     file_);
  EXPECT_EQ(config.homeserver, "http://localhost:8008/matrix");
  EXPECT_EQ(config.user_id, "@bot:localhost:8008");
}

TEST_F(ConfigTest, RelativePathsAreRelativeToTheConfigFolder) {
  write("secrets/token", "syt_other\n");
  write("secrets/password", "  correct horse battery staple \n");
  const Config config = parse_config(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_file: secrets/token
password_file: ./secrets/../secrets/password
database: data/bot.db
)",
                                     file_);
  EXPECT_EQ(config.access_token, "syt_other");
  EXPECT_EQ(config.password, "correct horse battery staple");
  EXPECT_EQ(config.database, dir_ / "data" / "bot.db");
}

TEST_F(ConfigTest, AbsolutePathsStayAbsolute) {
  const Config config =
      parse_config(std::string(minimal) + "database: /srv/bot/../db/bot.db\n", file_);
  EXPECT_EQ(config.database, fs::path("/srv/db/bot.db"));
}

TEST_F(ConfigTest, PasswordAloneIsEnough) {
  write("password", "hunter2");
  const Config config = parse_config(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
password_file: password
)",
                                     file_);
  EXPECT_EQ(config.access_token, "");
  EXPECT_EQ(config.password, "hunter2");
}

TEST_F(ConfigTest, TokenFromSystemdCredential) {
  write("creds/access_token", "syt_from_systemd\n");
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
  const Config config = parse_config(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_credential: access_token
)",
                                     file_);
  EXPECT_EQ(config.access_token, "syt_from_systemd");
}

TEST_F(ConfigTest, CredentialWithoutCredentialsDirectoryIsAnError) {
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_credential: access_token
)"),
            at(3) +
                "access_token_credential: CREDENTIALS_DIRECTORY is not set; run the bot as a "
                "systemd service with LoadCredential=access_token:/path/to/file, or use "
                "access_token_file instead");
}

TEST_F(ConfigTest, MissingCredentialIsAnError) {
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
password_credential: password
)"),
            at(3) + "password_credential: cannot read the password credential " +
                (dir_ / "creds" / "password").string() + ": No such file or directory");
}

TEST_F(ConfigTest, CredentialNameMustNotBeAPath) {
  ::setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_credential: ../token
)"),
            at(3) +
                "access_token_credential: expected a systemd credential name (as in "
                "LoadCredential=NAME:…), got \"../token\"");
}

TEST_F(ConfigTest, LoadConfigReadsTheFile) {
  write("reflexbot.yaml", minimal);
  EXPECT_EQ(load_config(file_).access_token, "syt_secret_token");
}

TEST_F(ConfigTest, LoadConfigNamesAnUnreadableFile) {
  const fs::path missing = dir_ / "missing.yaml";
  try {
    load_config(missing);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              missing.string() + ": cannot read the configuration file: No such file or directory");
  }
}

TEST_F(ConfigTest, InlineAccessTokenIsRejected) {
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token: syt_do_not_print_me
)"),
            at(3) +
                "access_token: never write the access token into the configuration; put it in "
                "a file readable only by the bot and set access_token_file, or use "
                "access_token_credential (systemd LoadCredential)");
}

TEST_F(ConfigTest, InlinePasswordIsRejected) {
  const std::string error = error_of(std::string(minimal) + "password: hunter2\n");
  EXPECT_EQ(error, at(4) +
                       "password: never write the password into the configuration; put it in a "
                       "file readable only by the bot and set password_file, or use "
                       "password_credential (systemd LoadCredential)");
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, InlinePseudonymKeyIsRejected) {
  const std::string error = error_of(std::string(minimal) + "pseudonym_key: geheim\n");
  EXPECT_EQ(error, at(4) +
                       "pseudonym_key: never write the pseudonymisation key into the "
                       "configuration; put it in a file readable only by the bot and set "
                       "pseudonym_key_file, or use pseudonym_key_credential (systemd "
                       "LoadCredential)");
  EXPECT_EQ(error.find("geheim"), std::string::npos);
}

TEST_F(ConfigTest, TheCryptoKeyIsNeverInlineAndComesFromAFileOfAtLeast16Bytes) {
  const std::string error = error_of(std::string(minimal) + "crypto_key: geheim\n");
  EXPECT_NE(error.find("never write the crypto store key into the configuration"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("geheim"), std::string::npos);
  write("ckey", "0123456789abcdef0123\n");
  EXPECT_EQ(parse_config(std::string(minimal) + "crypto_key_file: ckey\n", file_).crypto_key,
            "0123456789abcdef0123");
  write("short", "kurz\n");
  EXPECT_NE(error_of(std::string(minimal) + "crypto_key_file: short\n").find("at least 16 bytes"),
            std::string::npos);
}

TEST_F(ConfigTest, TheRecoveryKeyIsNeverInlineAndKeepsItsInnerSpaces) {
  const std::string error = error_of(std::string(minimal) + "recovery_key: EsTc LW2K PGiF wKEA\n");
  EXPECT_NE(error.find("never write the recovery key into the configuration"), std::string::npos)
      << error;
  EXPECT_EQ(error.find("EsTc"), std::string::npos);
  EXPECT_EQ(parse_config(minimal, file_).recovery_key, "");
  write("rkey", "EsTc LW2K PGiF wKEA 3Pc4 Kx9k\n");
  EXPECT_EQ(parse_config(std::string(minimal) + "recovery_key_file: rkey\n", file_).recovery_key,
            "EsTc LW2K PGiF wKEA 3Pc4 Kx9k");
  write("empty", "\n");
  EXPECT_NE(error_of(std::string(minimal) + "recovery_key_file: empty\n").find("is empty"),
            std::string::npos);
}

TEST_F(ConfigTest, EncryptionSettingsAreCheckedWithTheirLine) {
  const Config defaults = parse_config(minimal, file_);
  EXPECT_TRUE(defaults.encryption.store.empty());
  EXPECT_FALSE(defaults.encryption.cross_signed_only);
  EXPECT_EQ(defaults.encryption.undecryptable_hours, 24);
  const Config set = parse_config(std::string(minimal) + R"(encryption:
  store: krypto
  share_keys_with: cross_signed
  undecryptable_hours: 6
)",
                                  file_);
  EXPECT_EQ(set.encryption.store, dir_ / "krypto");
  EXPECT_TRUE(set.encryption.cross_signed_only);
  EXPECT_EQ(set.encryption.undecryptable_hours, 6);
  EXPECT_EQ(
      error_of(std::string(minimal) + "encryption:\n  share_keys_with: alle\n"),
      at(5) + "encryption.share_keys_with: expected all_devices or cross_signed, got \"alle\"");
  EXPECT_NE(error_of(std::string(minimal) + "encryption:\n  undecryptable_hours: 0\n")
                .find(at(5) + "encryption.undecryptable_hours"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(minimal) + "encryption:\n  algorithm: rot13\n").find("algorithm"),
            std::string::npos);
}

TEST_F(ConfigTest, PseudonymKeyComesFromAFileAndMustBeLongEnough) {
  write("key", "0123456789abcdef0123\n");
  EXPECT_EQ(parse_config(std::string(minimal) + "pseudonym_key_file: key\n", file_).pseudonym_key,
            "0123456789abcdef0123");
  EXPECT_EQ(parse_config(minimal, file_).pseudonym_key, "");
  write("short", "kurz");
  EXPECT_EQ(error_of(std::string(minimal) + "pseudonym_key_file: short\n"),
            at(4) +
                "pseudonym_key_file: the pseudonymisation key must be at least 16 bytes (e.g. "
                "head -c 32 /dev/urandom)");
}

TEST_F(ConfigTest, TemplatesFolderAndAcknowledgementReaction) {
  const Config defaults = parse_config(minimal, file_);
  EXPECT_TRUE(defaults.templates_dir.empty());
  EXPECT_EQ(defaults.ack_reaction, "✅");
  const Config set =
      parse_config(std::string(minimal) + "templates_dir: vorlagen\nack_reaction: \"\"\n", file_);
  EXPECT_EQ(set.templates_dir, dir_ / "vorlagen");
  EXPECT_EQ(set.ack_reaction, "");
  EXPECT_EQ(error_of(std::string(minimal) + "templates_dir: \"\"\n"),
            at(4) + "templates_dir: expected a folder path, got \"\"");
}

TEST_F(ConfigTest, TagsExtendTheBuiltInVocabulary) {
  const Config config = parse_config(std::string(minimal) + R"(tags:
  - key: Hitze
    kind: topic
    label_de: Hitze
    label_en: Heat
    aliases: [hitzewelle, heatwave]
)",
                                     file_);
  EXPECT_EQ(core::parse_tags("#Hitzewelle und #lehre", config.vocabulary),
            (std::vector<std::string>{"hitze", "lehre"}));
  EXPECT_EQ(core::parse_tags("#heatwave", parse_config(minimal, file_).vocabulary),
            std::vector<std::string>{});
}

TEST_F(ConfigTest, ATagSpellingTakenByAnotherTagIsAnError) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(tags:
  - key: hitze
    aliases: [lesson]
)"),
            at(5) + "tags[0]: #lesson is already a spelling of the tag \"lehre\"");
  EXPECT_EQ(error_of(std::string(minimal) + "tags:\n  - key: hitze\n    kind: wetter\n"),
            at(6) + "tags[0].kind: expected signal or topic, got \"wetter\"");
}

TEST_F(ConfigTest, TokenFileAndCredentialTogetherAreRejected) {
  EXPECT_EQ(error_of(std::string(minimal) + "access_token_credential: access_token\n"),
            at(4) +
                "access_token_credential: set either access_token_file or "
                "access_token_credential, not both");
}

TEST_F(ConfigTest, NoCredentialIsAnError) {
  EXPECT_EQ(error_of(R"(# the bot
homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
)"),
            at(2) +
                "access_token_file: missing required key; set access_token_file or "
                "access_token_credential (or password_file / password_credential to log in "
                "with a password)");
}

TEST_F(ConfigTest, MissingTokenFileIsAnError) {
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_file: /nonexistent/reflexbot/token
)"),
            at(3) +
                "access_token_file: cannot read the access token file "
                "/nonexistent/reflexbot/token: No such file or directory");
}

TEST_F(ConfigTest, EmptyTokenFileIsAnError) {
  write("blank", " \n\t\n");
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_file: blank
)"),
            at(3) + "access_token_file: the access token file " + (dir_ / "blank").string() +
                " is empty");
}

TEST_F(ConfigTest, TokenWithInnerWhitespaceIsRejectedWithoutPrintingIt) {
  write("two_lines", "syt_first_secret\nsyt_second_secret\n");
  const std::string error = error_of(R"(homeserver: https://matrix.example.org
user_id: "@reflexbot:example.org"
access_token_file: two_lines
)");
  EXPECT_EQ(error, at(3) +
                       "access_token_file: the access token must be a single word; the file "
                       "contains spaces or line breaks inside");
  EXPECT_EQ(error.find("secret"), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosestKnownKey) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(sync:
  timeout_ms: 30000
  timline_limit: 20
)"),
            at(6) + "sync.timline_limit: unknown key; did you mean timeline_limit?");
  EXPECT_EQ(error_of(std::string(minimal) + "Language: en\n"),
            at(4) + "Language: unknown key; did you mean language?");
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyKnownKeyHasNoSuggestion) {
  EXPECT_EQ(error_of(std::string(minimal) + "colour: blue\n"), at(4) + "colour: unknown key");
}

TEST_F(ConfigTest, UnknownKeyInARoom) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(rooms:
  - room_id: "!a:example.org"
    city: Köln
  - room_id: "!b:example.org"
    ctiy: Leipzig
)"),
            at(8) + "rooms[1].ctiy: unknown key; did you mean city?");
}

TEST_F(ConfigTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(error_of(std::string(minimal) + "language: en\nlanguage: de\n"),
            at(5) + "language: duplicate key, already set on line 4");
}

TEST_F(ConfigTest, SyntaxErrorNamesFileAndLine) {
  EXPECT_EQ(error_of(std::string(minimal) + "invite_allowlist: [example.org\nlanguage: de\n"),
            at(5) + "YAML syntax error: end of sequence flow not found (column 9)");
}

TEST_F(ConfigTest, SecondDocumentIsAnError) {
  EXPECT_EQ(
      error_of(std::string(minimal) + "---\nlanguage: en\n"),
      at(5) + "only one YAML document is allowed; remove the \"---\" separator and what follows");
}

TEST_F(ConfigTest, DocumentMustBeAMapping) {
  EXPECT_EQ(error_of("\n- homeserver\n"),
            at(2) + "expected a mapping of settings (key: value), got a list");
}

TEST_F(ConfigTest, EmptyFileLacksTheHomeserverOnLineOne) {
  EXPECT_EQ(error_of("# nothing yet\n"),
            at(1) + "homeserver: missing required key (the homeserver's base URL, https://…)");
}

TEST_F(ConfigTest, MissingRequiredKeyNamesTheEnclosingMapping) {
  EXPECT_EQ(error_of(R"(# the bot

user_id: "@reflexbot:example.org"
access_token_file: token
)"),
            at(3) + "homeserver: missing required key (the homeserver's base URL, https://…)");
  EXPECT_EQ(error_of("homeserver: https://matrix.example.org\naccess_token_file: token\n"),
            at(1) + "user_id: missing required key (the bot's Matrix id, @localpart:server)");
}

TEST_F(ConfigTest, HomeserverMustBeAnHttpUrl) {
  EXPECT_EQ(error_of(R"(homeserver: matrix.example.org
user_id: "@reflexbot:example.org"
access_token_file: token
)"),
            at(1) +
                "homeserver: expected an http:// or https:// URL such as "
                "\"https://matrix.example.org\", got \"matrix.example.org\"");
  EXPECT_EQ(error_of(R"(homeserver: "https://"
user_id: "@reflexbot:example.org"
access_token_file: token
)"),
            at(1) +
                "homeserver: expected an http:// or https:// URL such as "
                "\"https://matrix.example.org\", got \"https://\"");
}

// The access token goes with every request: in clear only to this machine.
TEST_F(ConfigTest, PlainHttpIsRefusedExceptToLoopback) {
  auto with = [](const std::string& url) {
    return "user_id: \"@reflexbot:example.org\"\naccess_token_file: token\nhomeserver: " + url +
           "\n";
  };
  for (const std::string url :
       {"http://matrix.example.org", "http://10.0.0.5:8008", "http://128.0.0.1",
        "http://127.example.org", "http://localhost.example.org", "http://[::2]:8008",
        "http://[::ffff:127.0.0.1]", "HTTP://Matrix.Example.Org/"}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(error_of(with(url)),
              at(3) +
                  "homeserver: plain http:// sends the access token in clear; use https:// "
                  "(http:// only to this machine: localhost, 127.x.x.x or [::1]), got \"" +
                  url + "\"");
  }
  for (const std::string url : {"https://matrix.example.org", "http://127.0.0.1:8008",
                                "http://127.1.2.3", "http://localhost:8008/", "HTTP://LocalHost",
                                "http://[::1]:8008", "http://[::1]", "https://10.0.0.5"}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(error_of(with(url)), "no error");
  }
}

TEST_F(ConfigTest, UserIdMustHaveLocalpartAndServer) {
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: reflexbot
access_token_file: token
)"),
            at(2) +
                "user_id: expected a Matrix user id such as \"@reflexbot:example.org\", got "
                "\"reflexbot\"");
  EXPECT_EQ(error_of(R"(homeserver: https://matrix.example.org
user_id: "@:example.org"
access_token_file: token
)"),
            at(2) +
                "user_id: expected a Matrix user id such as \"@reflexbot:example.org\", got "
                "\"@:example.org\"");
}

TEST_F(ConfigTest, LanguageAndLogLevelAreChecked) {
  EXPECT_EQ(error_of(std::string(minimal) + "language: fr\n"),
            at(4) + "language: expected de or en, got \"fr\"");
  EXPECT_EQ(error_of(std::string(minimal) + "log_level: verbose\n"),
            at(4) +
                "log_level: expected one of trace, debug, info, warn, error, critical, off, got "
                "\"verbose\"");
  EXPECT_EQ(error_of(std::string(minimal) + "language:\n"),
            at(4) + "language: expected de or en, got nothing");
}

TEST_F(ConfigTest, IntegersAreRangeChecked) {
  EXPECT_EQ(error_of(std::string(minimal) + "sync:\n  timeout_ms: abc\n"),
            at(5) + "sync.timeout_ms: expected an integer between 0 and 600000, got \"abc\"");
  EXPECT_EQ(error_of(std::string(minimal) + "sync:\n  timeline_limit: 0\n"),
            at(5) + "sync.timeline_limit: expected an integer between 1 and 1000, got \"0\"");
  EXPECT_EQ(error_of(std::string(minimal) + "moderator_level: -1\n"),
            at(4) + "moderator_level: expected an integer between 0 and 1000000, got \"-1\"");
  EXPECT_EQ(error_of(std::string(minimal) + "moderator_level: 99999999999999999999\n"),
            at(4) +
                "moderator_level: expected an integer between 0 and 1000000, got "
                "\"99999999999999999999\"");
  EXPECT_EQ(error_of(std::string(minimal) + "moderator_level: 5.5\n"),
            at(4) + "moderator_level: expected an integer between 0 and 1000000, got \"5.5\"");
  EXPECT_EQ(error_of(std::string(minimal) + "moderator_level: [50]\n"),
            at(4) + "moderator_level: expected an integer between 0 and 1000000, got a list");
}

TEST_F(ConfigTest, RetentionDaysDefaultTo365AndAreRangeChecked) {
  EXPECT_EQ(parse_config(minimal, file_).retention_days, 365);
  EXPECT_EQ(parse_config(std::string(minimal) + "retention_days: 1\n", file_).retention_days, 1);
  EXPECT_EQ(parse_config(std::string(minimal) + "retention_days: 3650\n", file_).retention_days,
            3650);
  EXPECT_EQ(error_of(std::string(minimal) + "retention_days: 0\n"),
            at(4) + "retention_days: expected an integer between 1 and 3650, got \"0\"");
  EXPECT_EQ(error_of(std::string(minimal) + "retention_days: 3651\n"),
            at(4) + "retention_days: expected an integer between 1 and 3650, got \"3651\"");
  EXPECT_EQ(error_of(std::string(minimal) + "retention_days: ein Jahr\n"),
            at(4) + "retention_days: expected an integer between 1 and 3650, got \"ein Jahr\"");
}

TEST_F(ConfigTest, RequestTimeoutMustExceedTheSyncTimeout) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(sync:
  request_timeout_ms: 60000
  timeout_ms: 60000
)"),
            at(5) +
                "sync.request_timeout_ms: expected an integer between 60001 and 900000, got "
                "\"60000\"");
}

TEST_F(ConfigTest, RetryMaxMustNotBeBelowInitial) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(retry:
  initial_ms: 2000
  max_ms: 1000
)"),
            at(6) + "retry.max_ms: expected an integer between 2000 and 3600000, got \"1000\"");
  EXPECT_EQ(error_of(std::string(minimal) + "retry:\n  initial_ms: 0\n"),
            at(5) + "retry.initial_ms: expected an integer between 1 and 600000, got \"0\"");
}

TEST_F(ConfigTest, CommandLimitDefaultsAndValues) {
  const Config defaults = parse_config(minimal, file_);
  EXPECT_EQ(defaults.command_limit.burst, 10);
  EXPECT_EQ(defaults.command_limit.refill_seconds, 3);
  const Config example = [&] {
    write("creds/access_token", "syt_secret_token\n");
    write("creds/pseudonym_key", "0123456789abcdef0123456789abcdef\n");
    write("creds/crypto_key", "fedcba9876543210fedcba9876543210\n");
    ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
    return parse_config(read_example(), file_);
  }();
  EXPECT_EQ(example.command_limit.burst, 10);
  EXPECT_EQ(example.command_limit.refill_seconds, 3);

  const Config block = parse_config(std::string(minimal) + R"(command_limit:
  burst: 4
  refill_seconds: 60
)",
                                    file_);
  EXPECT_EQ(block.command_limit.burst, 4);
  EXPECT_EQ(block.command_limit.refill_seconds, 60);
  // Flow style, one key alone: the other keeps its default.
  const Config flow =
      parse_config(std::string(minimal) + "command_limit: {refill_seconds: 3600}\n", file_);
  EXPECT_EQ(flow.command_limit.burst, 10);
  EXPECT_EQ(flow.command_limit.refill_seconds, 3600);
  const Config empty = parse_config(std::string(minimal) + "command_limit:\n", file_);
  EXPECT_EQ(empty.command_limit.burst, 10);
  EXPECT_EQ(empty.command_limit.refill_seconds, 3);
}

TEST_F(ConfigTest, CommandLimitBurstZeroSwitchesItOff) {
  const Config off =
      parse_config(std::string(minimal) + "command_limit: {burst: 0, refill_seconds: 1}\n", file_);
  EXPECT_EQ(off.command_limit.burst, 0);
  EXPECT_EQ(off.command_limit.refill_seconds, 1);
  EXPECT_EQ(parse_config(std::string(minimal) + "command_limit:\n  burst: 1000\n", file_)
                .command_limit.burst,
            1000);
}

TEST_F(ConfigTest, CommandLimitErrorsNameFileKeyAndLine) {
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  burst: -1\n"),
            at(5) + "command_limit.burst: expected an integer between 0 and 1000, got \"-1\"");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  burst: 1001\n"),
            at(5) + "command_limit.burst: expected an integer between 0 and 1000, got \"1001\"");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  burst: viele\n"),
            at(5) + "command_limit.burst: expected an integer between 0 and 1000, got \"viele\"");
  EXPECT_EQ(
      error_of(std::string(minimal) + R"(command_limit:
  burst: 10
  refill_seconds: 0
)"),
      at(6) + "command_limit.refill_seconds: expected an integer between 1 and 3600, got \"0\"");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  refill_seconds: 3601\n"),
            at(5) +
                "command_limit.refill_seconds: expected an integer between 1 and 3600, got "
                "\"3601\"");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  refill_seconds: 2.5\n"),
            at(5) +
                "command_limit.refill_seconds: expected an integer between 1 and 3600, got "
                "\"2.5\"");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  burst: [10]\n"),
            at(5) + "command_limit.burst: expected an integer between 0 and 1000, got a list");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit:\n  refil_seconds: 5\n"),
            at(5) + "command_limit.refil_seconds: unknown key; did you mean refill_seconds?");
  EXPECT_EQ(error_of(std::string(minimal) + "command_limit: 10\n"),
            at(4) + "command_limit: expected a mapping (key: value), got \"10\"");
  EXPECT_EQ(error_of(std::string(minimal) + "comand_limit:\n  burst: 5\n"),
            at(4) + "comand_limit: unknown key; did you mean command_limit?");
}

TEST_F(ConfigTest, SectionMustBeAMapping) {
  EXPECT_EQ(error_of(std::string(minimal) + "sync: 30000\n"),
            at(4) + "sync: expected a mapping (key: value), got \"30000\"");
}

TEST_F(ConfigTest, RoomsAreValidated) {
  const std::string rooms = std::string(minimal) + R"(rooms:
  - room_id: "!a:example.org"
    city: Köln
)";
  EXPECT_EQ(error_of(rooms + "  - room_id: \"!b:example.org\"\n"),
            at(7) + "rooms[1].city: missing required key (the city the room belongs to)");
  EXPECT_EQ(error_of(rooms + "  - city: Leipzig\n"),
            at(7) + "rooms[1].room_id: missing required key (the room id, \"!…\")");
  EXPECT_EQ(error_of(rooms + "  - room_id: \"!b:example.org\"\n    city: \" \"\n"),
            at(8) + "rooms[1].city: expected a city name, got an empty text");
  EXPECT_EQ(error_of(rooms + "  - room_id: \"#leipzig:example.org\"\n    city: Leipzig\n"),
            at(7) +
                "rooms[1].room_id: expected a room id such as \"!abc:example.org\", got "
                "\"#leipzig:example.org\" (a room alias; use the room id from the room settings)");
  EXPECT_EQ(error_of(rooms + "  - \"!b:example.org\"\n"),
            at(7) + "rooms[1]: expected a mapping with room_id and city, got \"!b:example.org\"");
}

TEST_F(ConfigTest, DuplicateRoomIdsAreRejected) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(rooms:
  - room_id: "!a:example.org"
    city: Köln
  - room_id: "!a:example.org"
    city: Leipzig
)"),
            at(7) +
                "rooms[1].room_id: duplicate room id \"!a:example.org\", already listed as "
                "rooms[0] on line 5");
}

TEST_F(ConfigTest, RoomVersion12IdsWithoutServerAreAccepted) {
  const Config config = parse_config(std::string(minimal) + R"(rooms:
  - room_id: "!Nhl3kJjN0Vhd4VzrXHJHr8zXmDQ0BxrOjf-TT6oBi8U"
    city: Dresden
network_room: "!net:example.org"
)",
                                     file_);
  ASSERT_EQ(config.rooms.size(), 1U);
  EXPECT_EQ(config.rooms[0].city, "Dresden");
}

TEST_F(ConfigTest, NetworkRoomMustBeARoomId) {
  EXPECT_EQ(error_of(std::string(minimal) + "network_room: \"#netz:example.org\"\n"),
            at(4) +
                "network_room: expected a room id such as \"!abc:example.org\", got "
                "\"#netz:example.org\"");
}

TEST_F(ConfigTest, DeviceIdMustNotBeEmpty) {
  EXPECT_EQ(error_of(std::string(minimal) + "device_id: \"\"\n"),
            at(4) + "device_id: expected a non-empty device id without spaces, got \"\"");
}

TEST_F(ConfigTest, AllowlistEntriesAreValidated) {
  EXPECT_EQ(error_of(std::string(minimal) + R"(invite_allowlist:
  - example.org
  - "*.example.org"
)"),
            at(6) +
                "invite_allowlist[1]: expected a user id such as \"@moderation:example.org\" or "
                "a server name such as \"example.org\", got \"*.example.org\"");
  EXPECT_EQ(error_of(std::string(minimal) + "invite_allowlist:\n  - \"@:example.org\"\n"),
            at(5) +
                "invite_allowlist[0]: expected a user id such as \"@moderation:example.org\" or "
                "a server name such as \"example.org\", got \"@:example.org\"");
  EXPECT_EQ(error_of(std::string(minimal) + "invite_allowlist: example.org\n"),
            at(4) +
                "invite_allowlist: expected a list of user ids (@user:server) and server names, "
                "got \"example.org\"");
}

Config with_allowlist(std::vector<std::string> allowlist) {
  Config config;
  config.invite_allowlist = std::move(allowlist);
  return config;
}

TEST(InviteAllowed, MatchesListedUsersExactly) {
  const Config config = with_allowlist({"@moderation:example.org"});
  EXPECT_TRUE(invite_allowed(config, "@moderation:example.org"));
  EXPECT_FALSE(invite_allowed(config, "@other:example.org"));
  EXPECT_FALSE(invite_allowed(config, "@moderation:example.org.evil.net"));
  EXPECT_FALSE(invite_allowed(config, "@moderation:evil.net"));
}

TEST(InviteAllowed, NamesTheEntriesThatWouldAdmitAnInviter) {
  EXPECT_EQ(allowlist_entries_for("@mallory:evil.net"),
            (std::vector<std::string>{"@mallory:evil.net", "evil.net"}));
  // Each entry admits the inviter, and nothing else does.
  for (const auto& entry : allowlist_entries_for("@mallory:evil.net")) {
    EXPECT_TRUE(invite_allowed(with_allowlist({entry}), "@mallory:evil.net")) << entry;
  }
  EXPECT_TRUE(allowlist_entries_for("").empty());
  EXPECT_TRUE(allowlist_entries_for("mallory").empty());
  EXPECT_TRUE(allowlist_entries_for("@:evil.net").empty());
  EXPECT_TRUE(allowlist_entries_for("@mallory:").empty());
}

TEST(InviteAllowed, MatchesWholeServerNames) {
  const Config config = with_allowlist({"example.org"});
  EXPECT_TRUE(invite_allowed(config, "@anyone:example.org"));
  EXPECT_FALSE(invite_allowed(config, "@anyone:evil-example.org"));
  EXPECT_FALSE(invite_allowed(config, "@anyone:sub.example.org"));
  EXPECT_FALSE(invite_allowed(config, "@anyone:example.org.evil.net"));
  EXPECT_FALSE(invite_allowed(config, "@anyone:example.org:8448"));
  EXPECT_FALSE(invite_allowed(config, "@example.org:evil.net"));
  EXPECT_FALSE(invite_allowed(config, "example.org"));
  EXPECT_FALSE(invite_allowed(config, ""));
}

TEST(InviteAllowed, ServerWithPortMatchesOnlyThatPort) {
  const Config config = with_allowlist({"localhost:8008"});
  EXPECT_TRUE(invite_allowed(config, "@alice:localhost:8008"));
  EXPECT_FALSE(invite_allowed(config, "@alice:localhost"));
}

TEST(InviteAllowed, EmptyAllowlistAllowsNobody) {
  const Config config = with_allowlist({});
  EXPECT_FALSE(invite_allowed(config, "@moderation:example.org"));
}

TEST_F(ConfigTest, AllowlistFromYamlDrivesInvites) {
  const Config config = parse_config(std::string(minimal) + R"(invite_allowlist:
  - "@moderation:example.org"
  - partner.example
)",
                                     file_);
  EXPECT_TRUE(invite_allowed(config, "@moderation:example.org"));
  EXPECT_TRUE(invite_allowed(config, "@x:partner.example"));
  EXPECT_FALSE(invite_allowed(config, "@reflexbot:example.org"));
  EXPECT_FALSE(invite_allowed(config, "@x:evil-partner.example"));
}

// The Prometheus endpoint is off by default; a port alone means loopback; any other address only
// when the administrator writes it; a wrong value names its line.
TEST_F(ConfigTest, MetricsListenIsOffByDefaultAndLoopbackUnlessWritten) {
  EXPECT_FALSE(parse_config(minimal, file_).metrics.enabled());

  auto listen = [&](const std::string& value) {
    return parse_config(std::string(minimal) + "metrics:\n  listen: \"" + value + "\"\n", file_)
        .metrics;
  };
  EXPECT_EQ(listen("9464").address, "127.0.0.1");
  EXPECT_EQ(listen("9464").port, 9464);
  EXPECT_EQ(listen("127.0.0.1:9100").port, 9100);
  EXPECT_EQ(listen("[::1]:9464").address, "::1");
  EXPECT_EQ(listen("0.0.0.0:9464").address, "0.0.0.0");

  const int line = 4;  // minimal has three lines; "metrics:" is the fourth, listen the fifth
  for (const std::string bad :
       {"localhost:9464", "127.0.0.1:0", "127.0.0.1:70000", "::1:9464", "127.0.0.1:", "port"}) {
    const std::string error =
        error_of(std::string(minimal) + "metrics:\n  listen: \"" + bad + "\"\n");
    EXPECT_NE(error.find(at(line + 1) + "metrics.listen"), std::string::npos)
        << bad << ": " << error;
  }
  EXPECT_NE(error_of(std::string(minimal) + "metrics:\n  port: 9464\n").find("metrics"),
            std::string::npos);
}

}  // namespace
}  // namespace reflexbot::app
