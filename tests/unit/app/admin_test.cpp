// `reflexbot status` and `reflexbot backup` against a store filled through its own API.

#include "app/cli/admin.hpp"

#include "store/digests.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/config/config.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include "../support/temp_dir.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using std::chrono::milliseconds;

constexpr std::int64_t kMinute = 60 * 1000;
// 2024-05-06 10:00:00 UTC
constexpr std::int64_t kNow = 1714989600000;

TimePoint at(std::int64_t ms) { return TimePoint(milliseconds(ms)); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::int64_t count(store::Connection& c, const std::string& sql) {
  store::Statement s(c, sql);
  return s.step() ? s.column_int(0) : -1;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = dir_ / "reflexbot.db";
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }

  void TearDown() override {
    store_.reset();
    if (saved_tz_) {
      ::setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

  store::RoomRecord room(const std::string& id, const std::string& name,
                         const std::string& membership = "join") {
    store::RoomRecord record;
    record.room_id = id;
    record.name = name;
    record.membership = membership;
    return record;
  }

  core::Round round(const std::string& room_id, core::RoundState state) {
    core::Round r;
    r.room_id = room_id;
    r.template_key = "panreflex";
    r.topic = "Hochwasser 2024";
    r.started_by = "@moderation:example.org";
    r.phase_index = 1;
    r.state = state;
    r.started_at = at(kNow - 30 * kMinute);
    r.phase_started_at = at(kNow - 10 * kMinute);
    r.phase_deadline = at(kNow + 5 * kMinute);
    if (state == core::RoundState::paused) r.remaining_when_paused = milliseconds(7 * kMinute);
    if (state == core::RoundState::ended) r.ended_at = at(kNow - kMinute);
    return r;
  }

  core::Contribution contribution(const std::string& event_id, std::optional<std::int64_t> round,
                                  std::vector<std::string> tags) {
    core::Contribution c;
    c.event_id = event_id;
    c.room_id = "!koeln:example.org";
    c.city = "Köln";
    c.author = "p-anna";
    c.round = round;
    c.phase_key = round ? "bestandsaufnahme" : "";
    c.body = "Sandsäcke kamen zu spät #lehre";
    c.tags = std::move(tags);
    c.written_at = at(kNow - 20 * kMinute);
    c.collected_at = at(kNow - 20 * kMinute);
    c.via = round ? core::CollectedVia::round : core::CollectedVia::tag;
    return c;
  }

  // What a bot that ran for a while leaves behind: rooms, rounds, contributions with votes,
  // outbox rows in every state, quarantined events and a committed sync.
  store::Store& fill() {
    store_.emplace(database_.string());
    store::Store& s = *store_;
    std::int64_t sent_id = 0;
    std::int64_t failed_id = 0;
    {
      store::BatchScope batch(s);
      batch.put_room(room("!koeln:example.org", "Reflexion Köln"));
      batch.put_room(room("!leipzig:example.org", "Reflexion Leipzig"));
      store::RoomRecord direct = room("!dm:example.org", "");
      direct.direct = true;
      batch.put_room(direct);
      batch.put_room(room("!invite:example.org", "Einladung", "invite"));
      running_id_ = batch.save_round(round("!koeln:example.org", core::RoundState::running));
      paused_id_ = batch.save_round(round("!leipzig:example.org", core::RoundState::paused));
      batch.save_round(round("!dm:example.org", core::RoundState::ended));
      EXPECT_TRUE(batch.mark_seen("$c1", "!koeln:example.org", kNow - 20 * kMinute));
      EXPECT_TRUE(batch.add_contribution(contribution("$c1", running_id_, {"lehre"})));
      EXPECT_TRUE(batch.add_contribution(contribution("$c2", running_id_, {"problem"})));
      EXPECT_TRUE(batch.add_contribution(contribution("$c3", std::nullopt, {"lehre", "idee"})));
      EXPECT_TRUE(batch.add_vote("$v1", "$c1", "p-bernd"));
      batch.queue_send("!koeln:example.org", "m.room.message", R"({"body":"sent"})", "$c1/a",
                       kNow - 19 * kMinute);
      batch.queue_send("!koeln:example.org", "m.room.message", R"({"body":"failed"})", "$c1/b",
                       kNow - 18 * kMinute);
      batch.queue_send("!koeln:example.org", "m.room.message", R"({"body":"one"})", "$c2/a",
                       kNow - 12 * kMinute);
      batch.queue_send("!leipzig:example.org", "m.room.message", R"({"body":"two"})", "$c3/a",
                       kNow - 3 * kMinute);
      batch.queue_membership(store::OutboxKind::join, "!invite:example.org", kNow - 2 * kMinute);
      batch.quarantine(
          {"!koeln:example.org", "$bad1", "", false, "", "{\"type\":1}", "type is not a string"},
          kNow - 9 * kMinute);
      batch.quarantine({"!leipzig:example.org", "$bad2", "", false, "", "{}", "missing event_id"},
                       kNow - 4 * kMinute);
      batch.set_sync_token("s42", kNow - 2 * kMinute);
      batch.commit();
    }
    const auto pending = s.pending_outbox(10);
    EXPECT_EQ(pending.size(), 5U);
    for (const auto& item : pending) {
      if (item.content == R"({"body":"sent"})") sent_id = item.id;
      if (item.content == R"({"body":"failed"})") failed_id = item.id;
    }
    s.outbox_sent(sent_id, "$remote", kNow - 19 * kMinute);
    s.outbox_failed(failed_id, "M_FORBIDDEN", true);
    return s;
  }

  test::TempDir temp_{"admin"};
  const fs::path dir_ = temp_.path();
  fs::path database_;
  std::optional<store::Store> store_;
  std::int64_t running_id_ = 0;
  std::int64_t paused_id_ = 0;
  std::optional<std::string> saved_tz_;
};

TEST_F(AdminTest, TheStoreRecordsWhenTheLastSyncWasCommitted) {
  store::Store& s = fill();
  EXPECT_EQ(s.schema_version(), store::kSchemaVersion);
  EXPECT_EQ(s.last_sync_at(), kNow - 2 * kMinute);
  {
    store::BatchScope batch(s);
    batch.set_sync_token("s43", kNow);
    batch.commit();
  }
  EXPECT_EQ(s.sync_token(), "s43");
  EXPECT_EQ(s.last_sync_at(), kNow);
  {
    store::BatchScope batch(s);
    batch.set_sync_token("s44", kNow + kMinute);
  }  // rolled back with the batch
  EXPECT_EQ(s.last_sync_at(), kNow);
}

TEST_F(AdminTest, StatusReadsEverythingFromTheStore) {
  fill();
  const StatusReport report = read_status(database_, kNow);
  EXPECT_EQ(report.database, database_);
  EXPECT_EQ(report.schema_version, store::kSchemaVersion);
  EXPECT_TRUE(report.has_sync_token);
  EXPECT_EQ(report.last_sync_ms, kNow - 2 * kMinute);

  ASSERT_EQ(report.rooms.size(), 3U);  // named rooms first, by name
  EXPECT_EQ(report.rooms[0].room_id, "!koeln:example.org");
  EXPECT_EQ(report.rooms[0].name, "Reflexion Köln");
  EXPECT_EQ(report.rooms[1].room_id, "!leipzig:example.org");
  EXPECT_EQ(report.rooms[2].room_id, "!dm:example.org");
  EXPECT_TRUE(report.rooms[2].direct);
  EXPECT_EQ(report.rooms_invited, 1);

  ASSERT_EQ(report.rounds.size(), 2U);  // the ended one is not open
  EXPECT_EQ(report.rounds[0].id, running_id_);
  EXPECT_EQ(report.rounds[0].state, "running");
  EXPECT_EQ(report.rounds[0].phase, 2);
  EXPECT_EQ(report.rounds[0].phase_deadline_ms, kNow + 5 * kMinute);
  EXPECT_EQ(report.rounds[1].id, paused_id_);
  EXPECT_EQ(report.rounds[1].state, "paused");
  EXPECT_EQ(report.rounds[1].remaining_ms, 7 * kMinute);

  EXPECT_EQ(report.contributions, 3);
  EXPECT_EQ(report.outbox_pending, 3);  // two messages and the join
  EXPECT_EQ(report.oldest_pending_ms, kNow - 12 * kMinute);
  EXPECT_EQ(report.outbox_failed, 1);
  EXPECT_EQ(report.outbox_sent, 1);

  EXPECT_EQ(report.quarantined, 2);
  ASSERT_EQ(report.recent_quarantine.size(), 2U);
  EXPECT_EQ(report.recent_quarantine[0].event_id, "$bad2");  // newest first
  EXPECT_EQ(report.recent_quarantine[0].reason, "missing event_id");
  EXPECT_EQ(report.recent_quarantine[1].event_id, "$bad1");
  EXPECT_FALSE(report.next_digest_ms);
}

TEST_F(AdminTest, StatusShowsTheNextWeeklyDigestFromTheStoredSchedule) {
  fill();
  // Monday 09:00 in Berlin; the bot stored it an hour ago and posted nothing yet.
  const auto schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9),
                           *core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3")};
  const auto now = core::TimePoint(std::chrono::milliseconds(kNow));
  store::BatchScope scope(*store_);
  scope.activate_schedule(core::schedule_spec(schedule), now - std::chrono::hours(1));
  scope.commit();
  const StatusReport report = read_status(database_, kNow);
  ASSERT_TRUE(report.next_digest_ms);
  EXPECT_EQ(*report.next_digest_ms,
            core::next_slot_after(schedule, now).time_since_epoch().count());
  EXPECT_GT(*report.next_digest_ms, kNow);
}

TEST_F(AdminTest, StatusTextNamesWhatAnAdminLooksFor) {
  fill();
  const std::string text = format_status(read_status(database_, kNow), kNow);
  const std::vector<std::string> lines = {
      "Store:         " + database_.string() + " (schema " + std::to_string(store::kSchemaVersion) +
          ")\n",
      "Last sync:     2024-05-06 09:58:00 UTC (2 min ago)\n",
      "Rooms:         3 joined, 1 invitation pending\n",
      "  !koeln:example.org  Reflexion Köln\n",
      "  !dm:example.org  [direct chat]\n",
      "Rounds:        2 open\n",
      "  #" + std::to_string(running_id_) +
          " panreflex \"Hochwasser 2024\" in Reflexion Köln (!koeln:example.org), phase 2, "
          "phase ends 2024-05-06 10:05:00 UTC (in 5 min)\n",
      "  #" + std::to_string(paused_id_) +
          " panreflex \"Hochwasser 2024\" in Reflexion Leipzig (!leipzig:example.org), phase 2, "
          "paused with 7 min left\n",
      "Contributions: 3\n",
      "Outbox:        3 pending (oldest queued 2024-05-06 09:48:00 UTC (12 min ago)), 1 failed, "
      "1 sent\n",
      "Quarantine:    2 events\n",
      "  2024-05-06 09:56:00 UTC  !leipzig:example.org  $bad2: missing event_id\n",
      "Next digest:   none scheduled\n",
  };
  for (const auto& line : lines) EXPECT_NE(text.find(line), std::string::npos) << line << text;
}

// Issue 14: the bot's device as a participant's client shows it, and the encrypted events
// waiting for their keys.
TEST_F(AdminTest, StatusShowsTheDeviceFingerprintAndTheUndecryptableEvents) {
  store::Store& s = fill();
  {
    store::BatchScope batch(s);
    store::RoomRecord encrypted = room("!koeln:example.org", "Reflexion Köln");
    encrypted.encrypted = true;
    batch.put_room(encrypted);
    batch.set_crypto_identity({"BOTDEVICE", "qUZ3kL0ZtC1rB8dyHlYmYm6gWqJgaE0VZcS7cJf0Clk", true,
                               kNow - kMinute, "identity stored in secret storage (key KEY1)"});
    store::UndecryptedEvent event;
    event.event_id = "$enc1";
    event.room_id = "!koeln:example.org";
    event.sender = "@anna:example.org";
    event.session_id = "s1";
    event.event_json = R"({"type":"m.room.encrypted"})";
    event.received_ms = kNow - 65 * kMinute;
    EXPECT_TRUE(batch.keep_undecrypted(event));
    event.event_id = "$enc2";
    event.received_ms = kNow - 5 * kMinute;
    EXPECT_TRUE(batch.keep_undecrypted(event));
    batch.commit();
  }
  const std::string text = format_status(read_status(database_, kNow), kNow);
  const std::vector<std::string> lines = {
      "  !koeln:example.org  Reflexion Köln  [encrypted]\n",
      "Device:        BOTDEVICE, cross-signed: yes (checked 2024-05-06 09:59:00 UTC (1 min ago))\n",
      "Fingerprint:   qUZ3 kL0Z tC1r B8dy HlYm Ym6g WqJg aE0V ZcS7 cJf0 Clk\n",
      "Recovery:      identity stored in secret storage (key KEY1)\n",
      "Undecryptable: 2 events waiting for a room key (oldest received 1 h 5 min ago)\n",
  };
  for (const auto& line : lines) EXPECT_NE(text.find(line), std::string::npos) << line << text;
  EXPECT_EQ(text.find("not readable"), std::string::npos) << text;

  store_.reset();
  store_.emplace(database_.string());
  {
    store::BatchScope batch(*store_);
    batch.set_crypto_identity(
        {"BOTDEVICE", "qUZ3kL0ZtC1rB8dyHlYmYm6gWqJgaE0VZcS7cJf0Clk", false, kNow, ""});
    batch.drop_undecrypted("$enc1");
    batch.drop_undecrypted("$enc2");
    batch.commit();
  }
  const std::string later = format_status(read_status(database_, kNow), kNow);
  EXPECT_NE(later.find(", cross-signed: no ("), std::string::npos) << later;
  EXPECT_NE(later.find("Undecryptable: 0 events waiting for a room key\n"), std::string::npos)
      << later;
}

TEST_F(AdminTest, StatusOfAFreshStoreSaysNever) {
  store_.emplace(database_.string());
  const std::string text = format_status(read_status(database_, kNow), kNow);
  EXPECT_NE(text.find("Last sync:     never\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Rooms:         0 joined\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Outbox:        0 pending, 0 failed, 0 sent\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Quarantine:    0 events\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Device:        none recorded"), std::string::npos) << text;
}

// The bot holds the write lock mid-batch: status and backup see the last commit and wait for
// nothing (WAL readers never block on the writer).
TEST_F(AdminTest, StatusAndBackupWorkWhileTheBotWrites) {
  store::Store& s = fill();
  store::BatchScope open_batch(s);
  open_batch.quarantine({"!koeln:example.org", "$uncommitted", "", false, "", "{}", "not yet"},
                        kNow);
  open_batch.set_sync_token("s99", kNow);

  const StatusReport report = read_status(database_, kNow);
  EXPECT_EQ(report.quarantined, 2);
  EXPECT_EQ(report.last_sync_ms, kNow - 2 * kMinute);

  const fs::path target = dir_ / "backup.db";
  backup_database(database_, target, false);
  const StatusReport copy = read_status(target, kNow);
  EXPECT_EQ(copy.quarantined, 2);
  EXPECT_EQ(copy.last_sync_ms, kNow - 2 * kMinute);
}

TEST_F(AdminTest, ABackupIsAWholeCheckedPrivateCopy) {
  fill();
  const fs::path target = dir_ / "backups" / "reflexbot-2024-05-06.db";
  fs::create_directories(target.parent_path());
  const BackupResult result = backup_database(database_, target, false);
  EXPECT_EQ(result.file, target);
  EXPECT_EQ(result.bytes, fs::file_size(target));
  EXPECT_FALSE(result.key_file);

  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  // One self-contained file: nothing else in the folder, no temporary file left.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(target.parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"reflexbot-2024-05-06.db"});

  store_.reset();  // the copy must stand on its own
  {
    store::Connection copy(target.string(), store::OpenMode::read_only);
    {
      store::Statement check(copy, "PRAGMA integrity_check");
      ASSERT_TRUE(check.step());
      EXPECT_EQ(check.column_text(0), "ok");
      store::Statement mode(copy, "PRAGMA journal_mode");
      ASSERT_TRUE(mode.step());
      EXPECT_EQ(mode.column_text(0), "delete");
    }
    EXPECT_EQ(count(copy, "PRAGMA user_version"), store::kSchemaVersion);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM contributions"), 3);
    EXPECT_EQ(count(copy,
                    "SELECT SUM(LENGTH(tags) - LENGTH(REPLACE(tags, ',', '')) + 1) "
                    "FROM contributions WHERE tags <> ''"),
              4);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM votes"), 1);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM rounds"), 3);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM outbox"), 5);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM quarantine"), 2);
    EXPECT_EQ(count(copy, "SELECT COUNT(*) FROM seen_events"), 1);
  }

  // A restored copy is a store the bot opens as it is.
  store::Store restored(target.string());
  EXPECT_EQ(restored.sync_token(), "s42");
  EXPECT_EQ(restored.open_rounds().size(), 2U);
  ASSERT_TRUE(restored.contribution("$c1"));
  EXPECT_EQ(restored.votes("$c1"), 1);
}

TEST_F(AdminTest, ABackupReplacesAFileOnlyWithForce) {
  fill();
  const fs::path target = dir_ / "backup.db";
  std::ofstream(target) << "an older backup";
  try {
    backup_database(database_, target, false);
    FAIL() << "an existing file was overwritten";
  } catch (const AdminError& error) {
    EXPECT_NE(std::string(error.what()).find("--force"), std::string::npos) << error.what();
  }
  EXPECT_EQ(read_file(target), "an older backup");

  backup_database(database_, target, true);
  EXPECT_EQ(read_status(target, kNow).contributions, 3);
}

TEST_F(AdminTest, ABackupNeverOverwritesTheDatabase) {
  fill();
  EXPECT_THROW(backup_database(database_, database_, true), AdminError);
  EXPECT_THROW(backup_database(database_, dir_ / "." / "reflexbot.db", true), AdminError);
  EXPECT_THROW(backup_database(database_, dir_, true), AdminError);  // a folder
  EXPECT_EQ(read_status(database_, kNow).contributions, 3);
}

TEST_F(AdminTest, ABackupNamesThePseudonymKeyItDoesNotContain) {
  fill();
  std::ofstream(database_.string() + ".key") << "0123456789abcdef0123456789abcdef";
  const BackupResult result = backup_database(database_, dir_ / "backup.db", false);
  ASSERT_TRUE(result.key_file);
  EXPECT_EQ(*result.key_file, fs::path(database_.string() + ".key"));
}

TEST_F(AdminTest, AFailedBackupLeavesNothingBehind) {
  const fs::path garbage = dir_ / "garbage.db";
  std::ofstream(garbage) << std::string(8192, 'x');
  EXPECT_THROW(backup_database(garbage, dir_ / "backup.db", false), store::StoreError);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"garbage.db"});
}

TEST_F(AdminTest, NoDatabaseIsAnErrorAndStaysMissing) {
  EXPECT_THROW(read_status(database_, kNow), AdminError);
  EXPECT_THROW(backup_database(database_, dir_ / "backup.db", false), AdminError);
  EXPECT_FALSE(fs::exists(database_));
  EXPECT_FALSE(fs::exists(dir_ / "backup.db"));
}

TEST_F(AdminTest, AnotherSqliteFileIsNoReflexbotStore) {
  {
    store::Connection other(database_.string());
    other.exec("CREATE TABLE notes (text TEXT)");
  }
  EXPECT_THROW(read_status(database_, kNow), AdminError);
}

// After the upgrade to migration 5, before the bot ran again: no sync time yet.
TEST_F(AdminTest, AStoreFromBeforeMigrationFiveHasNoSyncTime) {
  fill();
  store_.reset();
  {
    store::Connection c(database_.string());
    c.exec("DROP TABLE sync_progress; PRAGMA user_version = 4;");
  }
  const StatusReport old = read_status(database_, kNow);
  EXPECT_EQ(old.schema_version, 4);
  EXPECT_TRUE(old.has_sync_token);
  EXPECT_FALSE(old.last_sync_ms);
  EXPECT_EQ(old.contributions, 3);
  EXPECT_NE(format_status(old, kNow).find("Last sync:     not recorded yet"), std::string::npos);
}

// Root running `reflexbot status` must not leave -wal/-shm files the service's own (dynamic)
// user could not open. A read-only connection leaves them behind; SQLite gives them the owner of
// the database file.
TEST_F(AdminTest, RootLeavesTheSidecarFilesToTheDatabaseOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  fill();
  store_.reset();  // the bot stopped: its -wal and -shm are gone
  constexpr uid_t kServiceUser = 61234;
  ASSERT_EQ(::chown(database_.c_str(), kServiceUser, kServiceUser), 0);
  read_status(database_, kNow);
  backup_database(database_, dir_ / "backup.db", false);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string sidecar = database_.string() + suffix;
    struct stat info {};
    ASSERT_EQ(::stat(sidecar.c_str(), &info), 0) << sidecar;
    EXPECT_EQ(info.st_uid, kServiceUser) << sidecar;
    EXPECT_EQ(info.st_gid, kServiceUser) << sidecar;
  }
}

TEST_F(AdminTest, TheDatabaseComesFromTheConfigWithoutItsSecrets) {
  const fs::path config = dir_ / "reflexbot.yaml";
  ::unsetenv("CREDENTIALS_DIRECTORY");
  std::ofstream(config) << "homeserver: https://matrix.example.org\n"
                           "access_token_credential: access_token\n"
                           "database: /var/lib/reflexbot/reflexbot.db\n";
  EXPECT_EQ(database_from_config(config), fs::path("/var/lib/reflexbot/reflexbot.db"));
  std::ofstream(config) << "database: state/../bot.db\n";
  EXPECT_EQ(database_from_config(config), dir_ / "bot.db");
  std::ofstream(config) << "homeserver: https://matrix.example.org\n";
  EXPECT_EQ(database_from_config(config), dir_ / "reflexbot.db");
  std::ofstream(config) << "homeserver: https://matrix.example.org\ndatabase: [a, b]\n";
  try {
    database_from_config(config);
    FAIL() << "a list was taken for a path";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), config.string() + ":2: database: expected a file path");
  }
  EXPECT_THROW(database_from_config(dir_ / "missing.yaml"), ConfigError);
}

}  // namespace
}  // namespace reflexbot::app
