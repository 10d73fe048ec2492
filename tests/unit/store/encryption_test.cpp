// The store's side of end-to-end encryption (issue 14): undecryptable events kept until their key
// arrives, encrypted outbox rows, the bot's crypto identity, and what `reflexbot status` reads.

#include <string>
#include <vector>

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "store/retention.hpp"
#include "store/status.hpp"
#include "store/store.hpp"

#include "../support/temp_store.hpp"

namespace reflexbot::store {
namespace {

constexpr std::int64_t kHour = 60LL * 60 * 1000;
// 2025-06-01 12:00 UTC.
constexpr std::int64_t kNoon = 1748779200000;

UndecryptedEvent undecrypted_event(const std::string& event_id, const std::string& sender,
                                   std::int64_t received_ms, const std::string& room_id = "!r:x") {
  UndecryptedEvent event;
  event.event_id = event_id;
  event.room_id = room_id;
  event.sender = sender;
  event.session_id = "session-" + event_id;
  event.event_json =
      R"({"type":"m.room.encrypted","content":{"ciphertext":"AwgA)" + event_id + R"("}})";
  event.received_ms = received_ms;
  return event;
}

std::vector<std::string> ids(const std::vector<UndecryptedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& event : events) out.push_back(event.event_id);
  return out;
}

RoomRecord room(const std::string& id, bool encrypted, bool direct = false) {
  RoomRecord record;
  record.room_id = id;
  record.membership = "join";
  record.encrypted = encrypted;
  record.direct = direct;
  return record;
}

class EncryptionStoreTest : public ::testing::Test {
 protected:
  Store& store() { return temp_.store(); }

  std::int64_t count(const std::string& sql) {
    Statement statement(store().connection(), sql);
    statement.step();
    return statement.column_int(0);
  }

  test::TempStore temp_{"encryption"};
};

TEST_F(EncryptionStoreTest, KeepsListsAndDropsUndecryptableEventsOldestFirst) {
  EXPECT_TRUE(store().undecrypted(10).empty());
  EXPECT_FALSE(store().oldest_undecrypted_ms());
  {
    BatchScope scope(store());
    EXPECT_TRUE(scope.keep_undecrypted(undecrypted_event("$b", "@bea:x", kNoon + 2)));
    EXPECT_TRUE(scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon + 1)));
    EXPECT_TRUE(scope.keep_undecrypted(undecrypted_event("$c", "@anna:x", kNoon + 3, "!s:x")));
    scope.commit();
  }
  const auto kept = store().undecrypted(10);
  EXPECT_EQ(ids(kept), (std::vector<std::string>{"$a", "$b", "$c"}));
  ASSERT_EQ(kept.size(), 3U);
  const UndecryptedEvent expected = undecrypted_event("$c", "@anna:x", kNoon + 3, "!s:x");
  EXPECT_EQ(kept[2].room_id, expected.room_id);
  EXPECT_EQ(kept[2].sender, expected.sender);
  EXPECT_EQ(kept[2].session_id, expected.session_id);
  EXPECT_EQ(kept[2].event_json, expected.event_json);
  EXPECT_EQ(kept[2].received_ms, expected.received_ms);
  EXPECT_EQ(ids(store().undecrypted(2)), (std::vector<std::string>{"$a", "$b"}));
  EXPECT_EQ(store().oldest_undecrypted_ms(), kNoon + 1);

  {
    BatchScope scope(store());
    scope.drop_undecrypted("$a");
    scope.drop_undecrypted("$never-kept");
    scope.commit();
  }
  EXPECT_EQ(ids(store().undecrypted(10)), (std::vector<std::string>{"$b", "$c"}));
  EXPECT_EQ(store().oldest_undecrypted_ms(), kNoon + 2);
  {
    BatchScope scope(store());
    scope.drop_undecrypted("$b");
  }  // rolled back with its unit of work
  EXPECT_EQ(ids(store().undecrypted(10)), (std::vector<std::string>{"$b", "$c"}));
}

TEST_F(EncryptionStoreTest, KeepingAnEventTwiceKeepsTheFirstAndSaysSo) {
  BatchScope scope(store());
  EXPECT_TRUE(scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon)));
  UndecryptedEvent again = undecrypted_event("$a", "@anna:x", kNoon + kHour);
  again.event_json = "{}";
  EXPECT_FALSE(scope.keep_undecrypted(again));
  scope.commit();
  const auto kept = store().undecrypted(10);
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(kept[0].received_ms, kNoon);
  EXPECT_NE(kept[0].event_json, "{}");
}

TEST_F(EncryptionStoreTest, ARedactionDropsAKeptEventOfItsRoom) {
  {
    BatchScope scope(store());
    scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon));
    scope.keep_undecrypted(undecrypted_event("$b", "@anna:x", kNoon));
    scope.commit();
  }
  {
    BatchScope scope(store());
    // A redaction in another room names no event of this one.
    EXPECT_EQ(scope.erase_redacted("$a", "!other:x", false), 0);
    EXPECT_EQ(scope.erase_redacted("$a", "!r:x", false), 1);
    scope.commit();
  }
  EXPECT_EQ(ids(store().undecrypted(10)), (std::vector<std::string>{"$b"}));
}

TEST_F(EncryptionStoreTest, ForgetMeDropsEveryKeptEventOfTheSender) {
  {
    BatchScope scope(store());
    scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon));
    scope.keep_undecrypted(undecrypted_event("$b", "@bea:x", kNoon + 1));
    scope.keep_undecrypted(undecrypted_event("$c", "@anna:x", kNoon + 2, "!s:x"));
    scope.commit();
  }
  Scrubber scrubber(store());
  {
    BatchScope scope(store());
    EXPECT_EQ(scope.drop_undecrypted_from("@anna:x"), 2);
    EXPECT_EQ(scope.drop_undecrypted_from("@anna:x"), 0);
    EXPECT_EQ(scope.drop_undecrypted_from(""), 0);
    scope.commit();
  }
  EXPECT_EQ(ids(store().undecrypted(10)), (std::vector<std::string>{"$b"}));
  EXPECT_TRUE(scrubber.pending()) << "the sender id must be wiped from the files too";
}

TEST_F(EncryptionStoreTest, TheRetentionPurgeDropsKeptEventsOlderThanThePeriod) {
  const RetentionPolicy policy = retention_policy(30);
  const std::int64_t now = kNoon + 40 * 24 * kHour;
  {
    BatchScope scope(store());
    scope.keep_undecrypted(undecrypted_event("$old", "@anna:x", kNoon));
    scope.keep_undecrypted(undecrypted_event("$new", "@anna:x", now - kHour));
    scope.commit();
  }
  const PurgeCounts purged = purge_expired(store(), policy, core::from_ms(now));
  EXPECT_EQ(purged.undecrypted, 1);
  EXPECT_GE(purged.total(), 1);
  EXPECT_EQ(ids(store().undecrypted(10)), (std::vector<std::string>{"$new"}));
}

TEST_F(EncryptionStoreTest, JoinedMembersAreTheRecordedOnes) {
  {
    BatchScope scope(store());
    scope.put_room(room("!r:x", true));
    scope.set_member("!r:x", "@bea:x", true);
    scope.set_member("!r:x", "@anna:x", true);
    scope.set_member("!r:x", "@carl:x", true);
    scope.set_member("!r:x", "@carl:x", false);
    scope.set_member("!s:x", "@dora:x", true);
    scope.commit();
  }
  EXPECT_EQ(store().joined_members("!r:x"), (std::vector<std::string>{"@anna:x", "@bea:x"}));
  EXPECT_EQ(store().joined_members("!s:x"), (std::vector<std::string>{"@dora:x"}));
  EXPECT_TRUE(store().joined_members("!unknown:x").empty());
}

TEST_F(EncryptionStoreTest, PendingRowsSayWhetherTheirRoomIsEncrypted) {
  {
    BatchScope scope(store());
    scope.put_room(room("!enc:x", true));
    scope.put_room(room("!clear:x", false));
    scope.put_room(room("!dm:x", true, true));
    scope.queue_send("!enc:x", "m.room.message", R"({"body":"a"})", "k1", kNoon);
    scope.queue_send("!clear:x", "m.room.message", R"({"body":"b"})", "k2", kNoon);
    scope.queue_send("!dm:x", "m.room.message", R"({"body":"c"})", "k3", kNoon);
    scope.queue_send("!unknown:x", "m.room.message", R"({"body":"d"})", "k4", kNoon);
    scope.queue_membership(OutboxKind::leave, "!enc:x", kNoon);
    scope.commit();
  }
  auto flags = [this] {
    std::vector<std::pair<std::string, bool>> out;
    for (const auto& item : store().pending_outbox(10)) {
      out.emplace_back(item.room_id + (item.kind == OutboxKind::leave ? "/leave" : ""),
                       item.encrypted);
    }
    return out;
  };
  EXPECT_EQ(flags(), (std::vector<std::pair<std::string, bool>>{{"!enc:x", true},
                                                                {"!clear:x", false},
                                                                {"!dm:x", true},
                                                                {"!unknown:x", false},
                                                                {"!enc:x/leave", false}}));
  const auto items = store().pending_outbox(10);
  EXPECT_TRUE(items[2].confidential);  // the direct chat's row stays confidential
  EXPECT_FALSE(items[0].confidential);

  // The flag follows the room: encryption switched on later applies to rows still pending.
  {
    BatchScope scope(store());
    scope.put_room(room("!clear:x", true));
    scope.commit();
  }
  EXPECT_TRUE(store().pending_outbox(10)[1].encrypted);
}

// The drain reads pending rows on every pass: the rows by index, each row's room by its key.
TEST_F(EncryptionStoreTest, ThePendingQueryLooksUpEachRoomByItsKey) {
  store().pending_outbox(1);  // prepares the statement
  std::string sql;
  for (sqlite3_stmt* s = sqlite3_next_stmt(store().connection().handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(store().connection().handle(), s)) {
    const std::string text = sqlite3_sql(s);
    if (text.find("FROM outbox") != std::string::npos &&
        text.find("state = 'pending' ORDER BY") != std::string::npos) {
      sql = text;
    }
  }
  ASSERT_FALSE(sql.empty());
  Statement plan(store().connection(), "EXPLAIN QUERY PLAN " + sql);
  std::string details;
  while (plan.step()) details += plan.column_text(3) + "\n";
  EXPECT_NE(details.find("USING INDEX outbox_pending (state=?)"), std::string::npos) << details;
  EXPECT_NE(details.find("SEARCH r USING PRIMARY KEY (room_id=?)"), std::string::npos) << details;
  EXPECT_EQ(details.find("SCAN r"), std::string::npos) << details;
}

TEST_F(EncryptionStoreTest, AnEncryptedRowKeepsItsTransactionIdAndCiphertextAcrossARestart) {
  std::string txn_id;
  {
    BatchScope scope(store());
    scope.put_room(room("!enc:x", true));
    txn_id = scope.queue_send("!enc:x", "m.room.message", R"({"body":"Klartext"})", "k", kNoon);
    scope.commit();
  }
  auto pending = store().pending_outbox(10);
  ASSERT_EQ(pending.size(), 1U);
  const std::string ciphertext =
      R"({"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AwgAEn","session_id":"s1"})";
  store().outbox_encrypted(pending[0].id, "m.room.encrypted", ciphertext);
  store().outbox_failed(pending[0].id, "timeout", false);  // the first send fails

  temp_.close();
  temp_.open();
  pending = store().pending_outbox(10);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].txn_id, txn_id);
  EXPECT_EQ(pending[0].event_type, "m.room.encrypted");
  EXPECT_EQ(pending[0].content, ciphertext);
  EXPECT_TRUE(pending[0].encrypted);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE content LIKE '%Klartext%'"), 0);

  // A delivered row is not rewritten.
  store().outbox_sent(pending[0].id, "$remote", kNoon + 1);
  store().outbox_encrypted(pending[0].id, "m.room.encrypted", "{}");
  EXPECT_EQ(count("SELECT count(*) FROM outbox WHERE content = '{}'"), 0);
}

TEST_F(EncryptionStoreTest, TheCryptoIdentityRoundTripsAndIsReplaced) {
  EXPECT_FALSE(store().crypto_identity());
  CryptoIdentity identity{"BOTDEVICE", "qUZ3kL0ZtC1rB8dyHlYmYm6gWqJgaE0VZcS7cJf0Clk", false, kNoon,
                          "no recovery key configured"};
  {
    BatchScope scope(store());
    scope.set_crypto_identity(identity);
    scope.commit();
  }
  auto stored = store().crypto_identity();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->device_id, identity.device_id);
  EXPECT_EQ(stored->ed25519, identity.ed25519);
  EXPECT_FALSE(stored->cross_signed);
  EXPECT_EQ(stored->checked_ms, kNoon);
  EXPECT_EQ(stored->recovery, "no recovery key configured");

  identity.cross_signed = true;
  identity.checked_ms = kNoon + kHour;
  identity.recovery = "identity stored in secret storage (key K)";
  {
    BatchScope scope(store());
    scope.set_crypto_identity(identity);
    scope.commit();
  }
  temp_.close();
  temp_.open();
  stored = store().crypto_identity();
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->cross_signed);
  EXPECT_EQ(stored->checked_ms, kNoon + kHour);
  EXPECT_EQ(stored->recovery, "identity stored in secret storage (key K)");
  EXPECT_EQ(count("SELECT count(*) FROM crypto_identity"), 1);
}

// Version 13 had no recovery column: the device row survives the migration, and `status` reads a
// store of version 13 too (an admin may run the new binary's status before the bot migrates).
TEST_F(EncryptionStoreTest, TheRecoveryColumnArrivesWithoutLosingTheDevice) {
  {
    BatchScope scope(store());
    scope.set_crypto_identity({"BOTDEVICE", "ed", true, kNoon, "stored"});
    scope.commit();
  }
  temp_.close();
  {
    Connection raw(temp_.path());
    raw.exec("ALTER TABLE crypto_identity DROP COLUMN recovery; PRAGMA user_version = 13;");
  }
  const auto old = read_status_snapshot(temp_.path());
  ASSERT_TRUE(old && old->crypto);
  EXPECT_EQ(old->crypto->device_id, "BOTDEVICE");
  EXPECT_EQ(old->crypto->recovery, "");
  temp_.open();
  const auto stored = store().crypto_identity();
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->cross_signed);
  EXPECT_EQ(stored->recovery, "");
}

// A store of the previous schema version (as version 12 shipped: no undecrypted or
// crypto_identity table) migrates without losing its rows.
TEST_F(EncryptionStoreTest, MigratesAStoreOfThePreviousVersionKeepingItsData) {
  std::string txn_id;
  {
    BatchScope scope(store());
    scope.put_room(room("!enc:x", true));
    scope.set_member("!enc:x", "@anna:x", true);
    EXPECT_TRUE(scope.mark_seen("$seen", "!enc:x", kNoon));
    txn_id = scope.queue_send("!enc:x", "m.room.message", R"({"body":"a"})", "k", kNoon);
    scope.set_sync_token("s12", kNoon);
    scope.commit();
  }
  temp_.close();
  {
    Connection raw(temp_.path());
    raw.exec("DROP TABLE undecrypted; DROP TABLE crypto_identity; PRAGMA user_version = 12;");
  }
  temp_.open();
  EXPECT_EQ(store().schema_version(), kSchemaVersion);
  EXPECT_EQ(kSchemaVersion, 25);
  EXPECT_EQ(store().sync_token(), "s12");
  EXPECT_TRUE(store().is_seen("$seen", "!enc:x"));
  EXPECT_EQ(store().joined_members("!enc:x"), (std::vector<std::string>{"@anna:x"}));
  const auto pending = store().pending_outbox(10);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].txn_id, txn_id);
  EXPECT_TRUE(pending[0].encrypted);
  EXPECT_TRUE(store().undecrypted(10).empty());
  EXPECT_FALSE(store().crypto_identity());
  BatchScope scope(store());
  EXPECT_TRUE(scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon)));
  scope.commit();
}

TEST_F(EncryptionStoreTest, TheStatusSnapshotHasTheDeviceAndTheKeptEvents) {
  {
    BatchScope scope(store());
    scope.put_room(room("!enc:x", true));
    scope.keep_undecrypted(undecrypted_event("$a", "@anna:x", kNoon - 3 * kHour));
    scope.keep_undecrypted(undecrypted_event("$b", "@anna:x", kNoon - kHour));
    scope.set_crypto_identity(
        {"BOTDEVICE", "qUZ3kL0ZtC1rB8dyHlYmYm6gWqJgaE0VZcS7cJf0Clk", true, kNoon - 60000, ""});
    scope.commit();
  }
  const auto snapshot = read_status_snapshot(temp_.path());
  ASSERT_TRUE(snapshot);
  ASSERT_TRUE(snapshot->crypto);
  EXPECT_EQ(snapshot->crypto->device_id, "BOTDEVICE");
  EXPECT_EQ(snapshot->crypto->ed25519, "qUZ3kL0ZtC1rB8dyHlYmYm6gWqJgaE0VZcS7cJf0Clk");
  EXPECT_TRUE(snapshot->crypto->cross_signed);
  EXPECT_EQ(snapshot->crypto->checked_ms, kNoon - 60000);
  EXPECT_EQ(snapshot->undecrypted, 2);
  EXPECT_EQ(snapshot->oldest_undecrypted_ms, kNoon - 3 * kHour);
  ASSERT_EQ(snapshot->rooms.size(), 1U);
  EXPECT_TRUE(snapshot->rooms[0].encrypted);
}

TEST_F(EncryptionStoreTest, TheStatusSnapshotOfAnOlderStoreHasNoDevice) {
  temp_.close();
  {
    Connection raw(temp_.path());
    raw.exec("DROP TABLE undecrypted; DROP TABLE crypto_identity; PRAGMA user_version = 12;");
  }
  const auto snapshot = read_status_snapshot(temp_.path());
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->schema_version, 12);
  EXPECT_FALSE(snapshot->crypto);
  EXPECT_EQ(snapshot->undecrypted, 0);
  EXPECT_FALSE(snapshot->oldest_undecrypted_ms);
}

}  // namespace
}  // namespace reflexbot::store
