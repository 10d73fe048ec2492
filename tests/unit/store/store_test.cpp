#include "store/store.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/digests.hpp"
#include "store/retention.hpp"

#include "../support/temp_dir.hpp"

namespace reflexbot::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  std::int64_t count(Store& store, const std::string& sql) {
    Statement statement(store.connection(), sql);
    statement.step();
    return statement.column_int(0);
  }

  /// The raw bytes of the database and its -wal and -shm, as anyone with the disk reads them.
  std::string file_bytes() const {
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::ifstream file(path_ + suffix, std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    return bytes;
  }

  /// The permission bits of the file, or -1 if it does not exist.
  static int mode_of(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return -1;
    return static_cast<int>(info.st_mode & 07777);
  }

  // Each test opens its own stores on path_ (some write the file raw first).
  test::TempDir dir_{"store"};
  const std::string path_ = (dir_.path() / "bot.db").string();
};

/// Sets the umask for a scope.
struct UmaskScope {
  explicit UmaskScope(mode_t mask) : previous(::umask(mask)) {}
  ~UmaskScope() { ::umask(previous); }
  mode_t previous;
};

constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
// 2025-06-01 12:00 UTC.
constexpr std::int64_t kNoon = 1748779200000;

/// A malformed m.room.message with a text, as a sender's client may send it.
QuarantineEntry malformed_message(const std::string& event_id, const std::string& sender,
                                  const std::string& room_id, const std::string& text) {
  nlohmann::json raw = {{"type", "m.room.message"},
                        {"event_id", event_id},
                        {"sender", sender},
                        {"origin_server_ts", 1748779200000},
                        {"content",
                         {{"msgtype", "m.text"},
                          {"body", text},
                          {"formatted_body", "<b>" + text + "</b>"},
                          {"m.mentions", {{"user_ids", {"@bert:example.org"}}}},
                          {"m.relates_to", "x"},
                          {text, 1}}}};
  return QuarantineEntry{
      room_id, event_id, "", false, "", raw.dump(), "content.m.relates_to is not an object"};
}

TEST_F(StoreTest, MigratesAFreshDatabaseAndReopensIt) {
  {
    Store store(path_);
    EXPECT_EQ(store.schema_version(), store::kSchemaVersion);
    EXPECT_FALSE(store.sync_token());
  }
  Store again(path_);
  EXPECT_EQ(again.schema_version(), store::kSchemaVersion);
  Statement mode(again.connection(), "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  Statement secure(again.connection(), "PRAGMA secure_delete");
  ASSERT_TRUE(secure.step());
  EXPECT_EQ(secure.column_int(0), 1);
}

// A real store of schema version 6 (tests/fixtures/store/schema-v6.sql) migrates to the
// time-ordered contributions table: nothing lost, tags and votes on the row, and every reference
// still cascades.
TEST_F(StoreTest, MigratesAVersion6StoreWithItsContributionsTagsAndVotes) {
  {
    std::ifstream in(std::string(REFLEXBOT_FIXTURES) + "/store/schema-v6.sql");
    ASSERT_TRUE(in) << "fixture missing";
    const std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Connection raw(path_);
    raw.exec(sql);
  }
  Store store(path_);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  const auto rows =
      digest_rows(store, "", core::TimePoint{}, core::TimePoint{std::chrono::hours(24 * 365 * 60)});
  ASSERT_EQ(rows.size(), 3U);
  // Time order, not the order of insertion; the anonymous contribution's time is kept to the
  // hour since migration 11, which puts it first.
  EXPECT_EQ(rows[0].item.id, "$c");
  EXPECT_TRUE(rows[0].item.tags.empty());
  EXPECT_EQ(rows[0].via, "anonymous");
  EXPECT_EQ(rows[0].item.written_at.time_since_epoch().count() % 3600000, 0);
  EXPECT_EQ(rows[1].item.id, "$a");
  EXPECT_EQ(rows[1].item.body, "Früher: Hotline #problem #recht");
  EXPECT_EQ(rows[1].item.tags, (std::vector<std::string>{"problem", "recht"}));
  EXPECT_EQ(rows[1].item.votes, 2);
  EXPECT_EQ(rows[1].round, 1);
  EXPECT_EQ(rows[1].template_key, "rueckschau");
  EXPECT_EQ(rows[2].item.id, "$b");
  EXPECT_EQ(rows[2].item.votes, 1);

  // Migration 16: the room's last digest groups belong to a digest D1 of that room.
  const auto digests = latest_digests(store, "!koeln:hs", 5);
  ASSERT_EQ(digests.size(), 1U);
  EXPECT_EQ(digests[0].number, 1);
  EXPECT_EQ(digest_group(store, digests[0].id, 1), std::vector<std::string>{"$a"});

  // Migration 8: no index terms yet (digests analyse those bodies), until the bot indexes them.
  EXPECT_FALSE(rows[0].item.indexed);
  EXPECT_EQ(store.index_contributions(), 3);
  std::vector<core::DigestItem> items;
  std::vector<std::pair<std::string, std::string>> asked;
  const auto title = [&](std::string_view template_key, std::string_view phase_key) {
    asked.emplace_back(template_key, phase_key);
    return std::string(template_key) + "/" + std::string(phase_key);
  };
  const core::TimePoint end{std::chrono::hours(24 * 365 * 60)};
  digest_items(store, "", core::TimePoint{}, end, true, title, items);
  ASSERT_EQ(items.size(), rows.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    SCOPED_TRACE(rows[i].item.id);
    EXPECT_EQ(items[i].id, rows[i].item.id);
    EXPECT_EQ(items[i].city, rows[i].item.city);
    EXPECT_EQ(items[i].author, rows[i].item.author);
    EXPECT_EQ(items[i].body, rows[i].item.body);
    EXPECT_EQ(items[i].tags, rows[i].item.tags);
    EXPECT_EQ(items[i].votes, rows[i].item.votes);
    EXPECT_EQ(items[i].written_at, rows[i].item.written_at);
    EXPECT_TRUE(items[i].current);
    EXPECT_EQ(items[i].phase, rows[i].phase_key.empty()
                                  ? std::string()
                                  : rows[i].template_key + "/" + rows[i].phase_key);
    ASSERT_TRUE(items[i].indexed);
    lang::DebianLexicon lexicon;  // the store's own dictionaries
    core::TextAnalyzer analyzer(&lexicon);
    std::vector<std::uint64_t> keys;
    analyzer.keys(items[i].body, keys);
    EXPECT_EQ(items[i].term_keys, keys);
  }
  // Each distinct (template, phase) is titled once.
  auto distinct = asked;
  std::sort(distinct.begin(), distinct.end());
  EXPECT_EQ(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_FALSE(asked.empty());
  // Read in two halves at once (from one row on, not 20,000): the same items, the phases
  // titled the same, each distinct one asked once (on this thread: `asked` has no lock).
  {
    const auto asked_before = asked.size();
    std::vector<core::DigestItem> halves;
    digest_items(store, "", core::TimePoint{}, end, true, title, halves, {}, nullptr, 1);
    ASSERT_EQ(halves.size(), items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      SCOPED_TRACE(items[i].id);
      EXPECT_EQ(halves[i].id, items[i].id);
      EXPECT_EQ(halves[i].city, items[i].city);
      EXPECT_EQ(halves[i].author, items[i].author);
      EXPECT_EQ(halves[i].body, items[i].body);
      EXPECT_EQ(halves[i].tags, items[i].tags);
      EXPECT_EQ(halves[i].votes, items[i].votes);
      EXPECT_EQ(halves[i].written_at, items[i].written_at);
      EXPECT_EQ(halves[i].phase, items[i].phase);
      EXPECT_EQ(halves[i].phase_index, items[i].phase_index);
      EXPECT_EQ(halves[i].round_template, items[i].round_template);
      EXPECT_EQ(halves[i].term_keys, items[i].term_keys);
      EXPECT_EQ(halves[i].indexed, items[i].indexed);
      EXPECT_TRUE(halves[i].current);
    }
    std::vector<std::pair<std::string, std::string>> again(asked.begin() + asked_before,
                                                           asked.end());
    std::sort(again.begin(), again.end());
    EXPECT_EQ(again, distinct);
  }
  // As the previous period: only what growth needs; the text only where there are no keys.
  std::vector<core::DigestItem> previous;
  store.connection().exec("UPDATE contributions SET terms = NULL WHERE event_id = '$c'");
  digest_items(store, "", core::TimePoint{}, end, false, title, previous);
  ASSERT_EQ(previous.size(), rows.size());
  for (std::size_t i = 0; i < previous.size(); ++i) {
    SCOPED_TRACE(rows[i].item.id);
    EXPECT_EQ(previous[i].id, rows[i].item.id);
    EXPECT_EQ(previous[i].tags, rows[i].item.tags);
    EXPECT_EQ(previous[i].written_at, rows[i].item.written_at);
    EXPECT_FALSE(previous[i].current);
    EXPECT_TRUE(previous[i].city.empty());
    EXPECT_TRUE(previous[i].author.empty());
    EXPECT_TRUE(previous[i].phase.empty());
    EXPECT_EQ(previous[i].indexed, rows[i].item.id != "$c");
    EXPECT_EQ(previous[i].body, previous[i].indexed ? "" : rows[i].item.body);
    EXPECT_EQ(previous[i].term_keys,
              previous[i].indexed ? items[i].term_keys : std::vector<std::uint64_t>{});
  }
  EXPECT_EQ(store.index_contributions(), 1);

  // The triggers keep votes on the row; the tags are the row's (migration 23 emptied the table
  // of tag rows, after it made the column from them once more).
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM contribution_tags"), 0);
  {
    BatchScope scope(store);
    EXPECT_TRUE(scope.add_vote("$v4", "$b", "p5"));
    EXPECT_TRUE(scope.remove_vote("$v1"));
    scope.commit();
  }
  const auto after =
      digest_rows(store, "", core::TimePoint{}, core::TimePoint{std::chrono::hours(24 * 365 * 60)});
  ASSERT_EQ(after.size(), 3U);
  EXPECT_EQ(after[1].item.votes, 1);  // $a
  EXPECT_EQ(after[1].item.tags, (std::vector<std::string>{"problem", "recht"}));
  EXPECT_TRUE(after[0].item.tags.empty());  // $c
  EXPECT_EQ(after[2].item.votes, 2);
  EXPECT_EQ(store.contribution("$a")->tags, (std::vector<std::string>{"problem", "recht"}));

  // Deleting a contribution still cascades into its votes, lesson sources and digest groups.
  store.connection().exec("DELETE FROM contributions WHERE event_id = '$a'");
  EXPECT_EQ(count(store, "SELECT count(*) FROM votes WHERE event_id = '$a'"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM lesson_sources"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM digest_members"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM lessons"), 1);
  // And a vote for a contribution that does not exist is refused.
  EXPECT_THROW(
      store.connection().exec(
          "INSERT INTO votes (reaction_event_id, event_id, voter) VALUES ('$x', '$zz', 'p')"),
      StoreError);
}

TEST_F(StoreTest, ABatchCommitsEventsEffectsAndTokenTogether) {
  Store store(path_);
  {
    BatchScope batch(store);
    EXPECT_TRUE(batch.mark_seen("$a", "!r:x", 1));
    batch.queue_send("!r:x", "m.room.message", R"({"body":"pong"})", "$a/reply", 1);
    batch.set_sync_token("s1");
    batch.commit();
  }
  EXPECT_EQ(store.sync_token(), "s1");
  EXPECT_TRUE(store.is_seen("$a", "!r:x"));
  auto pending = store.pending_outbox(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].content, R"({"body":"pong"})");
  EXPECT_EQ(pending[0].room_id, "!r:x");
  EXPECT_EQ(pending[0].kind, OutboxKind::send);
}

// A commit writes the WAL only: its pages reach the database file by checkpoint_if_due() (the bot
// calls it after a commit's follow-up work), once the WAL holds kWalCheckpointPages, not in the
// commit as SQLite's automatic checkpoint would.
TEST_F(StoreTest, TheCheckpointComesAfterTheCommit) {
  Store store(path_);
  EXPECT_FALSE(store.checkpoint_if_due());
  const auto file_size = [this] { return std::filesystem::file_size(path_); };
  const auto before = file_size();
  {
    BatchScope batch(store);
    store.connection().exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
        "INSERT INTO seen_events (event_id, room_id, received_at) "
        "SELECT '$' || i, '!' || hex(randomblob(400)), i FROM n");
    batch.commit();
  }
  EXPECT_GE(store.wal_pages(), Store::kWalCheckpointPages);
  EXPECT_EQ(file_size(), before) << "the commit checkpointed";
  EXPECT_TRUE(store.checkpoint_if_due());
  EXPECT_EQ(store.wal_pages(), 0);
  EXPECT_GT(file_size(), before + 4'000'000);
  EXPECT_FALSE(store.checkpoint_if_due());
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM seen_events"), 5000);
}

TEST_F(StoreTest, ABatchThatIsNotCommittedLeavesNothingBehind) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.mark_seen("$a", "!r:x", 1);
    batch.queue_send("!r:x", "m.room.message", "{}", "$a/reply", 1);
    batch.set_sync_token("s1");
  }  // no commit: a crash or parse error mid-batch
  EXPECT_FALSE(store.sync_token());
  EXPECT_FALSE(store.is_seen("$a", "!r:x"));
  EXPECT_TRUE(store.pending_outbox(10).empty());
}

TEST_F(StoreTest, AnEventIsSeenOnlyOnce) {
  Store store(path_);
  BatchScope batch(store);
  EXPECT_TRUE(batch.mark_seen("$a", "!r:x", 1));
  EXPECT_FALSE(batch.mark_seen("$a", "!r:x", 2));
  EXPECT_TRUE(batch.mark_seen("$b", "!r:x", 2));
  batch.commit();
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM seen_events"), 2);
}

// An event id is unique only within its room: a copy of one room's event served first under
// another room must not make the real one look seen.
TEST_F(StoreTest, AnEventIsSeenOncePerRoom) {
  Store store(path_);
  {
    BatchScope batch(store);
    EXPECT_TRUE(batch.mark_seen("$a", "!copy:x", 1));
    EXPECT_TRUE(batch.mark_seen("$a", "!real:x", 2));
    EXPECT_FALSE(batch.mark_seen("$a", "!real:x", 3));
    EXPECT_FALSE(batch.mark_seen("$a", "!copy:x", 3));
    batch.commit();
  }
  EXPECT_TRUE(store.is_seen("$a", "!copy:x"));
  EXPECT_TRUE(store.is_seen("$a", "!real:x"));
  EXPECT_FALSE(store.is_seen("$a", "!other:x"));
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM seen_events"), 2);
}

// Replies are keyed by the event they answer: the same key in two rooms is two messages.
TEST_F(StoreTest, TheSameKeyInTwoRoomsQueuesTwoMessages) {
  Store store(path_);
  BatchScope batch(store);
  const std::string first = batch.queue_send("!a:x", "m.room.message", "{}", "$e/reply", 1);
  const std::string second = batch.queue_send("!b:x", "m.room.message", "{}", "$e/reply", 1);
  EXPECT_NE(first, second);
  EXPECT_EQ(batch.queue_send("!b:x", "m.room.message", "{}", "$e/reply", 2), second);
  batch.commit();
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM outbox"), 2);
}

TEST_F(StoreTest, TransactionIdsAreStableAndQueueingAKeyTwiceStoresItOnce) {
  Store store(path_);
  std::string first;
  {
    BatchScope batch(store);
    first = batch.queue_send("!r:x", "m.room.message", "{}", "$a/reply", 1);
    EXPECT_EQ(batch.queue_send("!r:x", "m.room.message", "{}", "$a/reply", 1), first);
    EXPECT_NE(batch.queue_send("!r:x", "m.room.message", "{}", "$b/reply", 1), first);
    batch.commit();
  }
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM outbox"), 2);
  EXPECT_EQ(first.size(), 34u);  // "rb" + 32 hex digits
  EXPECT_EQ(store.pending_outbox(10)[0].txn_id, first);
}

TEST_F(StoreTest, OutboxRowsMoveFromPendingToSentOrFailed) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.queue_send("!r:x", "m.room.message", "{}", "k1", 1);
    batch.queue_send("!r:x", "m.room.message", "{}", "k2", 1);
    batch.queue_send("!r:x", "m.room.message", "{}", "k3", 1);
    batch.commit();
  }
  auto rows = store.pending_outbox(10);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_LT(rows[0].id, rows[1].id);
  store.outbox_failed(rows[0].id, "HTTP 500", false);  // a retry: stays pending
  store.outbox_sent(rows[1].id, "$sent", 5);
  store.outbox_failed(rows[2].id, "HTTP 403 M_FORBIDDEN", true);
  auto pending = store.pending_outbox(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, rows[0].id);
  EXPECT_EQ(pending[0].attempts, 1);
  auto counts = store.counts();
  EXPECT_EQ(counts.outbox_pending, 1);
  EXPECT_EQ(counts.outbox_sent, 1);
  EXPECT_EQ(counts.outbox_failed, 1);
  Statement sent(store.connection(), "SELECT remote_event_id FROM outbox WHERE id = ?");
  sent.bind(1, rows[1].id);
  ASSERT_TRUE(sent.step());
  EXPECT_EQ(sent.column_text(0), "$sent");
}

// Declined invites (leaves) go after replies and joins, so an invite flood cannot hold them back.
TEST_F(StoreTest, PendingLeavesComeAfterSendsAndJoins) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.queue_membership(OutboxKind::leave, "!spam1:x", 1);
    batch.queue_membership(OutboxKind::leave, "!spam2:x", 1);
    batch.queue_send("!r:x", "m.room.message", "{}", "reply", 2);
    batch.queue_membership(OutboxKind::join, "!new:x", 3);
    batch.queue_membership(OutboxKind::leave, "!spam3:x", 4);
    batch.queue_send("!r:x", "m.room.message", "{}", "reply2", 5);
    batch.commit();
  }
  const auto rows = store.pending_outbox(10);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].kind, OutboxKind::send);
  EXPECT_EQ(rows[1].kind, OutboxKind::join);
  EXPECT_EQ(rows[2].kind, OutboxKind::send);
  EXPECT_EQ(rows[3].room_id, "!spam1:x");
  EXPECT_EQ(rows[4].room_id, "!spam2:x");
  EXPECT_EQ(rows[5].room_id, "!spam3:x");
  EXPECT_EQ(store.pending_outbox(1)[0].kind, OutboxKind::send);
}

TEST_F(StoreTest, OnlyOneMembershipChangePerRoomIsPending) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.queue_membership(OutboxKind::join, "!r:x", 1);
    batch.queue_membership(OutboxKind::join, "!r:x", 2);  // the invite is still in the next sync
    batch.queue_membership(OutboxKind::leave, "!other:x", 2);
    batch.commit();
  }
  auto rows = store.pending_outbox(10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, OutboxKind::join);
  EXPECT_EQ(rows[0].event_type, "");
  EXPECT_EQ(rows[1].kind, OutboxKind::leave);
  store.outbox_sent(rows[0].id, "", 3);
  {
    BatchScope batch(store);
    batch.queue_membership(OutboxKind::join, "!r:x", 4);  // invited again after leaving
    batch.commit();
  }
  EXPECT_EQ(store.pending_outbox(10).size(), 2u);
}

TEST_F(StoreTest, RoomsAndQuarantineRoundTrip) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.put_room(
        RoomRecord{"!r:x", "join", "Krisenstab Köln", {"12", {"@a:x"}, true, {}, 0}, true, true});
    batch.quarantine(
        QuarantineEntry{"!r:x", "$bad", "", false, "", R"({"event_id":"$bad"})", "sender missing"},
        7);
    batch.commit();
  }
  auto room = store.room("!r:x");
  ASSERT_TRUE(room);
  EXPECT_EQ(room->name, "Krisenstab Köln");
  EXPECT_EQ(room->authority.room_version, "12");
  EXPECT_EQ(room->authority.creators, std::vector<std::string>{"@a:x"});
  EXPECT_TRUE(room->encrypted);
  EXPECT_TRUE(room->encryption_notice_sent);
  EXPECT_FALSE(store.room("!none:x"));
  EXPECT_EQ(store.counts().quarantined, 1);
}

// The room's authority is typed; its columns keep JSON, and rows written by older versions (the
// whole power-levels content) read the same.
TEST_F(StoreTest, RoomAuthorityRoundTripsThroughItsColumns) {
  Store store(path_);
  {
    BatchScope batch(store);
    batch.put_room(
        RoomRecord{"!levels:x", "join", "", {"11", {"@a:x"}, true, {{"@m:x", 100}}, 20}});
    batch.put_room(RoomRecord{"!none:x", "join", "", {"12", {"@a:x", "@b:x"}, false, {}, 0}});
    batch.commit();
  }
  const auto levels = store.room("!levels:x");
  ASSERT_TRUE(levels);
  EXPECT_TRUE(levels->authority.has_power_levels);
  EXPECT_EQ(levels->authority.users, (std::map<std::string, std::int64_t>{{"@m:x", 100}}));
  EXPECT_EQ(levels->authority.users_default, 20);
  const auto none = store.room("!none:x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->authority.has_power_levels);
  EXPECT_EQ(none->authority.creators, (std::vector<std::string>{"@a:x", "@b:x"}));

  Statement old(store.connection(),
                "UPDATE rooms SET creators = '[\"\", \"@c:x\", 7]', power_levels = "
                "'{\"users\": {\"@m:x\": 50, \"@n:x\": \"x\"}, \"users_default\": 10, "
                "\"events\": {}, \"state_default\": 50}' WHERE room_id = '!none:x'");
  old.run();
  const auto upgraded = store.room("!none:x");
  ASSERT_TRUE(upgraded);
  EXPECT_EQ(upgraded->authority.creators, std::vector<std::string>{"@c:x"});
  EXPECT_TRUE(upgraded->authority.has_power_levels);
  EXPECT_EQ(upgraded->authority.users, (std::map<std::string, std::int64_t>{{"@m:x", 50}}));
  EXPECT_EQ(upgraded->authority.users_default, 10);
}

// The quarantine keeps what helps to find a bug (type, event id, key names and JSON types, the
// reason) and nothing a person wrote or is known by.
TEST_F(StoreTest, TheQuarantineKeepsAnOutlineWithoutTextOrSender) {
  const std::string text = "Anna hat Angst vor dem Hochwasser KANARIE-7f3a";
  QuarantineEntry entry = malformed_message("$bad:example.org", "@anna:example.org", "!r:x", text);
  entry.reason = "content.users.@anna:example.org is not an integer";
  Store store(path_);
  {
    BatchScope batch(store);
    const QuarantineOutcome outcome = batch.quarantine(entry, kNoon);
    EXPECT_TRUE(outcome.stored);
    EXPECT_EQ(outcome.reason, "content.users.@… is not an integer");
    batch.commit();
  }
  Statement row(store.connection(),
                "SELECT room_id, event_id, outline, reason, received_at FROM quarantine");
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.column_text(0), "!r:x");
  EXPECT_EQ(row.column_text(1), "$bad:example.org");
  const std::string outline = row.column_text(2);
  EXPECT_LE(outline.size(), kQuarantineOutlineMax);
  const auto parsed = nlohmann::json::parse(outline);
  EXPECT_EQ(parsed["type"], "m.room.message");
  EXPECT_EQ(parsed["state"], false);
  EXPECT_EQ(parsed["keys"]["sender"], "string");
  EXPECT_EQ(parsed["keys"]["content"], "object");
  EXPECT_EQ(parsed["keys"]["origin_server_ts"], "number");
  EXPECT_EQ(parsed["content"]["body"], "string");
  EXPECT_EQ(parsed["content"]["m.relates_to"], "string");
  EXPECT_EQ(parsed["content"]["m.mentions"], "object");
  EXPECT_EQ(parsed["content_unnamed"], 1) << "the key made of text is only counted";
  EXPECT_EQ(row.column_text(3), "content.users.@… is not an integer");
  EXPECT_EQ(row.column_int(4), kNoon);
  EXPECT_FALSE(row.step());
  checkpoint_truncate(store);
  for (const std::string& needle : {std::string("KANARIE-7f3a"), std::string("Hochwasser"),
                                    std::string("anna"), std::string("bert")}) {
    EXPECT_EQ(file_bytes().find(needle), std::string::npos) << needle;
  }
}

TEST_F(StoreTest, AnOutlineStaysSmallWhateverTheEvent) {
  nlohmann::json raw = {{"type", std::string(500, 't')}, {"content", nlohmann::json::object()}};
  for (int i = 0; i < 200; ++i) raw["content"]["key_number_" + std::to_string(i)] = i;
  const std::string outline = quarantine_outline(raw.dump(), "", true);
  EXPECT_LE(outline.size(), kQuarantineOutlineMax);
  const auto parsed = nlohmann::json::parse(outline);
  EXPECT_EQ(parsed["state"], true);
  EXPECT_EQ(parsed["type"], "?") << "an event type that is no name is not kept";
  EXPECT_GT(parsed["content_omitted"].get<int>(), 100);
  // A truncated (64 KiB) event is not JSON: the outline says so and keeps the type it was given.
  const std::string cut = R"({"type":"m.room.message","content":{"body":"Anna)";
  const auto broken = nlohmann::json::parse(quarantine_outline(cut, "m.room.message", false));
  EXPECT_EQ(broken["type"], "m.room.message");
  EXPECT_EQ(broken["unreadable_bytes"], cut.size());
  EXPECT_FALSE(broken.contains("content"));
}

// 200 malformed events from one sender in one room were 12 MB of raw JSON; now the quarantine
// keeps a few small outlines, marks the rest as counted and says so once.
TEST_F(StoreTest, TwoHundredMalformedEventsFromOneSenderStoreOnlyTheCap) {
  const std::string text = "Sehr langer Text KANARIE-91b0 " + std::string(60000, 'x');
  Store store(path_);
  int stored = 0;
  int first_refusals = 0;
  {
    BatchScope batch(store);
    for (int i = 0; i < 200; ++i) {
      const auto outcome = batch.quarantine(
          malformed_message("$e" + std::to_string(i), "@anna:example.org", "!r:x", text),
          kNoon + i);
      stored += outcome.stored ? 1 : 0;
      if (!outcome.stored) {
        EXPECT_EQ(outcome.cap, "sender");
      }
      first_refusals += outcome.first_refusal ? 1 : 0;
    }
    batch.commit();
  }
  EXPECT_EQ(stored, kQuarantinePerSender);
  EXPECT_EQ(first_refusals, 1);
  const StoreCounts counts = store.counts();
  EXPECT_EQ(counts.quarantined, kQuarantinePerSender);
  EXPECT_EQ(counts.quarantine_refused, 200 - kQuarantinePerSender);
  EXPECT_LE(count(store,
                  "SELECT MAX(length(CAST(event_id AS BLOB)) + length(CAST(outline AS BLOB)) + "
                  "length(CAST(reason AS BLOB))) FROM quarantine"),
            static_cast<std::int64_t>(kQuarantineOutlineMax + kQuarantineReasonMax + 16));
  checkpoint_truncate(store);
  // The empty schema alone is some 40 tables and indexes of at least a page (4 KiB) each.
  EXPECT_LT(std::filesystem::file_size(path_), 320U * 1024);
  EXPECT_EQ(file_bytes().find("KANARIE-91b0"), std::string::npos);
  EXPECT_EQ(file_bytes().find("anna"), std::string::npos);
}

TEST_F(StoreTest, TheQuarantineIsCappedPerRoomPerDayAndInAll) {
  Store store(path_);
  auto offer = [&](const std::string& room, const std::string& sender, int n, std::int64_t now) {
    int stored = 0;
    BatchScope batch(store);
    for (int i = 0; i < n; ++i) {
      QuarantineEntry entry = malformed_message(
          "$" + room + sender + std::to_string(i) + "-" + std::to_string(now), sender, room, "t");
      stored += batch.quarantine(entry, now).stored ? 1 : 0;
    }
    batch.commit();
    return stored;
  };
  // Many senders in one room: the room's cap.
  int in_room = 0;
  for (int s = 0; s < 30; ++s) in_room += offer("!r:x", "@p" + std::to_string(s) + ":x", 1, kNoon);
  EXPECT_EQ(in_room, kQuarantinePerRoom);
  // Events without a sender share one bucket.
  EXPECT_EQ(offer("!other:x", "", 9, kNoon), kQuarantinePerSender);
  // Many rooms and senders: the day's cap.
  int in_all = in_room + kQuarantinePerSender;
  for (int r = 0; r < 100; ++r) {
    in_all += offer("!room" + std::to_string(r) + ":x", "@q" + std::to_string(r) + ":x", 3, kNoon);
  }
  EXPECT_EQ(in_all, kQuarantinePerDay);
  EXPECT_EQ(store.counts().quarantined, kQuarantinePerDay);
  // The next day (UTC) starts afresh.
  EXPECT_EQ(offer("!r:x", "@p0:x", 9, kNoon + kDay), kQuarantinePerSender);
}

// Files 0600 whatever the umask: the database, and the -wal and -shm that SQLite makes later
// (it gives them the database's mode), also when an older version left them readable.
TEST_F(StoreTest, TheDatabaseAndItsWalAndShmAreOnlyForTheOwnerWhateverTheUmask) {
  const UmaskScope umask(022);
  {
    Store store(path_);
    BatchScope batch(store);
    batch.mark_seen("$a", "!r:x", 1);
    batch.commit();
    for (const char* suffix : {"", "-wal", "-shm"}) {
      EXPECT_EQ(mode_of(path_ + suffix), 0600) << "bot.db" << suffix;
    }
  }
  Connection older(path_);  // keeps the -wal and -shm in place
  older.exec("INSERT INTO sync_state (id, next_batch) VALUES (1, 's1')");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    ASSERT_EQ(::chmod((path_ + suffix).c_str(), 0644), 0) << suffix;
  }
  Store store(path_);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(mode_of(path_ + suffix), 0600) << "bot.db" << suffix;
  }
}

// Migration 10: seen event ids keep their room, and the raw JSON of quarantined events (which
// held message texts and sender ids) is gone from the tables and, after a scrub, from the files.
TEST_F(StoreTest, MigrationTenKeysSeenEventsByRoomAndEmptiesTheQuarantine) {
  const std::string canary = "KANARIE-ALT-QUARANTAENE-4c2d";
  {
    std::ifstream in(std::string(REFLEXBOT_FIXTURES) + "/store/schema-v6.sql");
    ASSERT_TRUE(in) << "fixture missing";
    const std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Connection raw(path_);
    raw.exec(sql);
    raw.exec("DELETE FROM seen_events; DELETE FROM quarantine;");
    raw.exec(
        "INSERT INTO seen_events (event_id, room_id, received_at) VALUES ('$s1', '!a:x', 5), "
        "('$s2', '!b:x', 6)");
    raw.exec(
        "INSERT INTO quarantine (room_id, event_id, raw, reason, received_at) VALUES "
        "('!a:x', '$q', '{\"sender\":\"@anna:example.org\",\"body\":\"" +
        canary + "\"}', 'content.users.@anna:example.org is not an integer', 7)");
  }
  Store store(path_);
  Scrubber scrubber(store);  // as the bot does at start
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_TRUE(store.is_seen("$s1", "!a:x"));
  EXPECT_TRUE(store.is_seen("$s2", "!b:x"));
  EXPECT_FALSE(store.is_seen("$s1", "!b:x"));
  Statement row(store.connection(),
                "SELECT event_id, outline, reason, received_at FROM quarantine");
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.column_text(0), "$q");
  EXPECT_EQ(row.column_text(1), "");
  EXPECT_EQ(row.column_text(2), "content.users.@…");
  EXPECT_EQ(row.column_int(3), 7);
  row.reset();
  EXPECT_TRUE(scrubber.pending()) << "the old raw JSON must be wiped from the files";
  const ScrubResult result = scrubber.scrub();
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(file_bytes().find(canary), std::string::npos);
  EXPECT_EQ(file_bytes().find("@anna"), std::string::npos);
}

// Each posted digest has a number in its room (D1, D2 …), its groups and its messages; a reply
// to any of its messages finds it; a room keeps its last kKeptDigests digests.
TEST_F(StoreTest, DigestsAreNumberedPerRoomAndFoundByTheirMessages) {
  Store store(path_);
  const core::TimePoint t0{std::chrono::hours(24 * 365 * 56)};
  {
    BatchScope batch(store);
    batch.add_contribution(core::Contribution{
        "$a", "!k:x", "Köln", "p1", std::nullopt, "", "a", {}, t0, t0, core::CollectedVia::tag});
    batch.commit();
  }
  std::vector<DigestRecord> made;
  for (int i = 0; i < 3; ++i) {
    BatchScope batch(store);
    const DigestRecord record =
        batch.create_digest(i == 1 ? "!l:x" : "!k:x", "", t0 - std::chrono::hours(168), t0,
                            t0 + std::chrono::minutes(i));
    batch.save_digest_groups(record.id, {{"$a"}, {"$gone"}});
    batch.add_digest_message(record.id, batch.queue_send(record.room_id, "m.room.message", "{}",
                                                         "digest/" + std::to_string(i), 1));
    batch.commit();
    made.push_back(record);
  }
  EXPECT_EQ(made[0].number, 1);
  EXPECT_EQ(made[1].number, 1);  // another room counts on its own
  EXPECT_EQ(made[2].number, 2);
  EXPECT_EQ(digest_group(store, made[2].id, 1), std::vector<std::string>{"$a"});
  EXPECT_TRUE(digest_group(store, made[2].id, 2).empty());  // the contribution does not exist
  const auto latest = latest_digests(store, "!k:x", 2);
  ASSERT_EQ(latest.size(), 2U);
  EXPECT_EQ(latest[0].number, 2);
  EXPECT_EQ(latest[1].number, 1);
  EXPECT_EQ(latest[0].from, t0 - std::chrono::hours(168));
  EXPECT_EQ(latest[0].to, t0);
  EXPECT_EQ(digest_numbered(store, "!k:x", 1)->id, made[0].id);
  EXPECT_FALSE(digest_numbered(store, "!k:x", 3));
  EXPECT_FALSE(digest_numbered(store, "!l:x", 2));
  // A reply names the digest's message by the event id the outbox recorded at delivery.
  for (const auto& item : store.pending_outbox(10)) {
    store.outbox_sent(item.id, "$sent-" + item.txn_id.substr(0, 6) + item.room_id, 1);
  }
  for (const auto& record : made) {
    Statement txn(store.connection(),
                  "SELECT o.remote_event_id FROM outbox o JOIN digest_messages m "
                  "ON m.txn_id = o.txn_id WHERE m.digest_id = ?");
    txn.bind(1, record.id);
    ASSERT_TRUE(txn.step());
    const auto found = digest_replied_to(store, record.room_id, txn.column_text(0));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, record.id);
    EXPECT_FALSE(
        digest_replied_to(store, record.room_id == "!k:x" ? "!l:x" : "!k:x", txn.column_text(0)));
  }
  EXPECT_FALSE(digest_replied_to(store, "!k:x", "$other"));
  // Older digests go, with their groups and messages.
  for (std::size_t i = 0; i < kKeptDigests; ++i) {
    BatchScope batch(store);
    batch.create_digest("!k:x", "!k:x", t0, t0, t0 + std::chrono::hours(1 + i));
    batch.commit();
  }
  EXPECT_FALSE(digest_numbered(store, "!k:x", 1));
  EXPECT_FALSE(digest_numbered(store, "!k:x", 2));
  EXPECT_TRUE(digest_numbered(store, "!k:x", 3));
  EXPECT_TRUE(digest_numbered(store, "!l:x", 1));
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM digest_messages"), 1);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM digest_members"), 1);
}

// The network's period is read as a range of rowids (issue 15): rows inserted out of time order,
// rows of other periods inside that range, and equal times must still give the period's rows,
// oldest first, ties by event id — what the ordered query over the time index gives.
// Rows whose rowids follow their time but for a few (ties of the same minute inserted in reverse
// order of their event ids), and rows in reverse time order (a run collected late): both read in
// the order of time and event id, as the ordered query gives them, in one piece and in halves.
TEST_F(StoreTest, ThePeriodsRowsAreSortedHoweverFarTheyAreOutOfOrder) {
  Store store(path_);
  const core::TimePoint t0{std::chrono::hours(24 * 365 * 56)};
  const auto at = [&](int minutes) { return t0 + std::chrono::minutes(minutes); };
  std::vector<std::pair<std::string, int>> rows;  // (event id, minute), in insertion order
  for (int minute = 0; minute < 100; ++minute) {
    // Three rows a minute, the later ids first: a few out of order.
    for (int k = 2; k >= 0; --k)
      rows.emplace_back("$t" + std::to_string(1000 + 3 * minute + k), minute);
  }
  for (int k = 0; k < 300; ++k) rows.emplace_back("$r" + std::to_string(1000 + k), 500 - k);
  {
    BatchScope batch(store);
    for (const auto& [id, minute] : rows) {
      batch.add_contribution(core::Contribution{id,
                                                "!k:x",
                                                "Köln",
                                                "p1",
                                                std::nullopt,
                                                "",
                                                "Text " + id,
                                                {},
                                                at(minute),
                                                at(minute),
                                                core::CollectedVia::tag});
    }
    batch.commit();
  }
  const auto title = [](std::string_view, std::string_view) { return std::string(); };
  const auto ids = [](const std::vector<core::DigestItem>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) out.push_back(item.id);
    return out;
  };
  // The first 300 rows alone (a few out of order), and all 600 (half of them reversed).
  for (const int last : {100, 501}) {
    SCOPED_TRACE(last);
    std::vector<std::string> expected;
    for (const auto& row : digest_rows(store, "", at(0), at(last))) expected.push_back(row.item.id);
    ASSERT_EQ(expected.size(), last == 100 ? 300U : 600U);
    for (std::size_t split : {0, 1}) {
      std::vector<core::DigestItem> items;
      digest_items(store, "", at(0), at(last), true, title, items, {}, nullptr, split);
      EXPECT_EQ(ids(items), expected) << "split " << split;
    }
  }
}

TEST_F(StoreTest, TheNetworksPeriodIsReadInTimeOrderWhateverTheOrderOfInsertion) {
  Store store(path_);
  const core::TimePoint t0{std::chrono::hours(24 * 365 * 56)};
  const auto at = [&](int hours) { return t0 + std::chrono::hours(hours); };
  {
    BatchScope batch(store);
    // (event id, hour), in the order of insertion
    for (const auto& [id, hour] : std::vector<std::pair<std::string, int>>{
             {"$a", 5}, {"$y", 9}, {"$b", 1}, {"$z", 3}, {"$x", 0}, {"$m", 3}, {"$c", 2}}) {
      batch.add_contribution(core::Contribution{id,
                                                id == "$c" ? "!l:x" : "!k:x",
                                                "Köln",
                                                "p1",
                                                std::nullopt,
                                                "",
                                                "Text " + id,
                                                {},
                                                at(hour),
                                                at(hour),
                                                core::CollectedVia::tag});
    }
    batch.commit();
  }
  const auto title = [](std::string_view, std::string_view) { return std::string(); };
  const auto ids = [](const std::vector<core::DigestItem>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) out.push_back(item.id);
    return out;
  };
  for (const bool current : {true, false}) {
    std::vector<core::DigestItem> items;
    digest_items(store, "", at(1), at(6), current, title, items);
    EXPECT_EQ(ids(items), (std::vector<std::string>{"$b", "$c", "$m", "$z", "$a"}));
    // Read in two halves at once (from one row on): the same rows in the same order, appended
    // after what the vector holds; the listed rooms only, if there is a list.
    for (std::size_t split : {1, 2, 5, 6}) {
      SCOPED_TRACE(split);
      std::vector<core::DigestItem> halves(1);
      halves[0].id = "$before";
      digest_items(store, "", at(1), at(6), current, title, halves, {}, nullptr, split);
      EXPECT_EQ(ids(halves), (std::vector<std::string>{"$before", "$b", "$c", "$m", "$z", "$a"}));
      halves.clear();
      digest_items(store, "", at(1), at(6), current, title, halves, {"!l:x"}, nullptr, split);
      EXPECT_EQ(ids(halves), std::vector<std::string>{"$c"});
      halves.clear();
      digest_items(store, "", at(0), at(3), current, title, halves, {}, nullptr, split);
      EXPECT_EQ(ids(halves), (std::vector<std::string>{"$x", "$b", "$c"}));
    }
    // The same as the ordered query of digest_rows().
    std::vector<std::string> expected;
    for (const auto& row : digest_rows(store, "", at(1), at(6))) expected.push_back(row.item.id);
    EXPECT_EQ(ids(items), expected);
    // Only the listed rooms, when there is a list.
    items.clear();
    digest_items(store, "", at(1), at(6), current, title, items, {"!l:x"});
    EXPECT_EQ(ids(items), std::vector<std::string>{"$c"});
  }
  // In a batch that has added a contribution (not committed yet), the period is read in one
  // piece: a second connection would not see the new row, and it comes last in rowid order.
  {
    BatchScope batch(store);
    batch.add_contribution(core::Contribution{"$new",
                                              "!k:x",
                                              "Köln",
                                              "p1",
                                              std::nullopt,
                                              "",
                                              "Text $new",
                                              {},
                                              at(4),
                                              at(4),
                                              core::CollectedVia::tag});
    for (std::size_t split : {0, 1, 2}) {
      SCOPED_TRACE(split);
      std::vector<core::DigestItem> halves;
      digest_items(store, "", at(1), at(6), true, title, halves, {}, nullptr, split);
      EXPECT_EQ(ids(halves), (std::vector<std::string>{"$b", "$c", "$m", "$z", "$new", "$a"}));
    }
  }  // (rolled back)
  // Appended after what the vector holds already (the previous period after the period's).
  std::vector<core::DigestItem> items;
  digest_items(store, "", at(6), at(10), true, title, items);
  digest_items(store, "", at(0), at(3), false, title, items);
  EXPECT_EQ(ids(items), (std::vector<std::string>{"$y", "$x", "$b", "$c"}));
  // A period whose rows are sparse in their run of rowids ($b third, $c last of seven) is read
  // through the time index instead: the same rows in the same order.
  items.clear();
  digest_items(store, "", at(1), at(3), true, title, items);
  EXPECT_EQ(ids(items), (std::vector<std::string>{"$b", "$c"}));
  // An empty period.
  items.clear();
  digest_items(store, "", at(20), at(30), true, title, items);
  EXPECT_TRUE(items.empty());
}

// Moderators' corrections: curated groups per scope, merged when their members meet, read with
// the digest's items (the pin), as names and anchors (one query), and gone with the person.
TEST_F(StoreTest, CuratedGroupsPinContributionsPerScopeAndGoWithThem) {
  Store store(path_);
  const core::TimePoint t0{std::chrono::hours(24 * 365 * 56)};
  const auto at = [&](int hours) { return t0 + std::chrono::hours(hours); };
  {
    BatchScope batch(store);
    int h = 0;
    for (const char* id : {"$a", "$b", "$c", "$d", "$e"}) {
      batch.add_contribution(core::Contribution{id,
                                                "!k:x",
                                                "Köln",
                                                id[1] == 'e' ? "p2" : "p1",
                                                std::nullopt,
                                                "",
                                                std::string("Text ") + id,
                                                {},
                                                at(h),
                                                at(h),
                                                core::CollectedVia::tag});
      ++h;
    }
    batch.commit();
  }
  {
    BatchScope batch(store);
    const std::int64_t first = batch.curate("!k:x", {"$a", "$b"}, at(10));
    const std::int64_t second = batch.curate("!k:x", {"$c"}, at(10));
    EXPECT_NE(first, second);
    batch.rename_curated(second, "Hotline", at(11));
    // Merging two curated groups keeps the older one, with the other's members and name.
    EXPECT_EQ(batch.curate("!k:x", {"$b", "$c", "$d", "$gone"}, at(12)), first);
    // Another scope (the network) has its own.
    const std::int64_t network = batch.curate("", {"$a"}, at(12));
    EXPECT_NE(network, first);
    EXPECT_EQ(batch.curate_alone("!k:x", "$e", at(13)) > 0, true);
    EXPECT_EQ(batch.curate("!k:x", {"$gone"}, at(13)), 0);
    batch.commit();
  }
  auto groups = curated_groups(store, "!k:x");
  ASSERT_EQ(groups.size(), 2U);  // the emptied one went with its last member
  EXPECT_EQ(groups[0].name, "Hotline");
  EXPECT_EQ(groups[0].members, (std::vector<std::string>{"$a", "$b", "$c", "$d"}));
  EXPECT_EQ(groups[1].members, std::vector<std::string>{"$e"});
  ASSERT_EQ(curated_groups(store, "").size(), 1U);

  // The digest's read carries the pin of its scope.
  const auto title = [](std::string_view, std::string_view) { return std::string(); };
  std::vector<core::DigestItem> items;
  digest_items(store, "!k:x", at(2), at(5), true, title, items);
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(items[0].curated, groups[0].id);
  EXPECT_EQ(items[2].curated, groups[1].id);
  std::vector<core::DigestItem> network_items;
  digest_items(store, "", at(0), at(5), true, title, network_items);
  ASSERT_EQ(network_items.size(), 5U);
  EXPECT_NE(network_items[0].curated, 0);
  EXPECT_EQ(network_items[1].curated, 0);
  const auto rows = digest_rows(store, "!k:x", at(0), at(5));
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[3].item.curated, groups[0].id);

  // Names and anchors: the newest members before the period, at most per_group of each.
  std::vector<core::DigestItem> anchors;
  const auto names = curated_context(store, "!k:x", at(3), 2, anchors);
  EXPECT_EQ(names.size(), 2U);
  EXPECT_EQ(names.at(groups[0].id), "Hotline");
  EXPECT_EQ(names.at(groups[1].id), "");
  ASSERT_EQ(anchors.size(), 2U);
  EXPECT_EQ(anchors[0].id, "$b");
  EXPECT_EQ(anchors[1].id, "$c");
  for (const auto& anchor : anchors) {
    EXPECT_TRUE(anchor.anchor);
    EXPECT_FALSE(anchor.current);
    EXPECT_EQ(anchor.curated, groups[0].id);
    EXPECT_TRUE(anchor.author.empty());
  }

  // Forget-me: the person's pins go with their contributions, and a group left empty with them.
  {
    BatchScope batch(store);
    EXPECT_EQ(batch.forget_author("p2"), 1);
    batch.commit();
  }
  EXPECT_EQ(curated_groups(store, "!k:x").size(), 1U);
  EXPECT_EQ(count(store, "SELECT count(*) FROM curated_members WHERE event_id = '$e'"), 0);
  store.connection().exec("DELETE FROM contributions WHERE event_id IN ('$a', '$b', '$c', '$d')");
  EXPECT_EQ(count(store, "SELECT count(*) FROM curated_members"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM curated_groups"), 0);
}

TEST_F(StoreTest, OpeningAnUnwritablePathFailsWithItsName) {
  try {
    Store store("/nonexistent-dir/sub/bot.db");
    FAIL() << "expected StoreError";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-dir/sub/bot.db"), std::string::npos);
  }
}

// A CHECK (x IN (a, b, c)) makes SQLite build a temporary b-tree on every write of the row
// (OpenEphemeral); the tables written for every collected message must not have one.
TEST_F(StoreTest, ThePerMessageWritesBuildNoTemporaryBtree) {
  Store store(path_);
  for (const char* sql :
       {"INSERT INTO outbox (kind, room_id, event_type, txn_id, content, created_at) "
        "VALUES ('send', '!r:x', 'm.reaction', 'rb1', '{}', 1)",
        "UPDATE outbox SET state = 'sent' WHERE id = 1",
        "INSERT INTO contributions (event_id, room_id, body, written_at, collected_at, via) "
        "VALUES ('$e', '!r:x', 'text', 1, 1, 'tag')"}) {
    Statement plan(store.connection(), std::string("EXPLAIN ") + sql);
    while (plan.step()) EXPECT_NE(plan.column_text(1), "OpenEphemeral") << sql;
  }
  // The constraints still hold.
  EXPECT_THROW(store.connection().exec("INSERT INTO outbox (kind, room_id, txn_id, created_at) "
                                       "VALUES ('teleport', '!r:x', 'rb2', 1)"),
               StoreError);
  EXPECT_THROW(store.connection().exec(
                   "INSERT INTO contributions (event_id, room_id, body, written_at, collected_at, "
                   "via) VALUES ('$f', '!r:x', 't', 1, 1, 'mail')"),
               StoreError);
}

// Migration 15 rebuilds the outbox and contributions tables. Run again over a store (as over one
// of version 14), it keeps every row, the outbox's high-water mark (an id, and so a transaction
// id, is never given out twice) and the triggers that keep votes on a contribution.
TEST_F(StoreTest, RebuildingTheTablesKeepsRowsIdsAndTriggers) {
  {
    Store store(path_);
    BatchScope batch(store);
    for (const char* key : {"$a/reply", "$b/reply", "$c/reply"})
      batch.queue_send("!r:x", "m.room.message", "{}", key, 1);
    batch.commit();
    store.connection().exec("DELETE FROM outbox WHERE id = 3");
    store.connection().exec(
        "INSERT INTO contributions (event_id, room_id, body, written_at, collected_at, via) "
        "VALUES ('$e', '!r:x', 'text', 1, 1, 'tag')");
  }
  {
    Connection raw(path_);
    raw.exec("PRAGMA user_version = 14");
  }
  Store store(path_);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM outbox"), 2);
  {
    BatchScope batch(store);
    batch.queue_send("!r:x", "m.room.message", "{}", "$d/reply", 1);
    batch.commit();
  }
  EXPECT_EQ(count(store, "SELECT MAX(id) FROM outbox"), 4) << "id 3 was given out before";
  store.connection().exec(
      "INSERT INTO votes (reaction_event_id, event_id, voter) VALUES ('$v', '$e', 'p1')");
  EXPECT_EQ(count(store, "SELECT votes FROM contributions WHERE event_id = '$e'"), 1);
  EXPECT_EQ(count(store,
                  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                  "tbl_name IN ('outbox', 'contributions')"),
            10)
      << "outbox_pending, outbox_remote, the UNIQUEs on txn_id and event_id, and six on "
         "contributions (with contributions_ack, schema 24)";
}

// No CHECK constraint of any table is written as `x IN (…)`: with three values or more SQLite
// tests it through a temporary b-tree on every write of the row (migrations 15 and 22 rewrote
// them as OR chains).
TEST_F(StoreTest, NoCheckConstraintIsAnInList) {
  Store store(path_);
  Statement tables(store.connection(),
                   "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL");
  int checks = 0;
  while (tables.step()) {
    const std::string sql = tables.column_text(1);
    for (auto at = sql.find("CHECK"); at != std::string::npos; at = sql.find("CHECK", at + 1)) {
      const auto open = sql.find('(', at);
      ASSERT_NE(open, std::string::npos) << sql;
      std::size_t close = open;
      for (int depth = 0; close < sql.size(); ++close) {
        if (sql[close] == '(') ++depth;
        if (sql[close] == ')' && --depth == 0) break;
      }
      std::string check = sql.substr(at, close - at + 1);
      std::transform(check.begin(), check.end(), check.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      EXPECT_EQ(check.find(" IN ("), std::string::npos) << tables.column_text(0) << ": " << check;
      ++checks;
    }
  }
  EXPECT_GE(checks, 7) << "the enumerations and the single-row tables' id = 1";
}

// The rounds, lessons and their history refuse what their constraints refused before, and a write
// of them opens no temporary b-tree.
TEST_F(StoreTest, RoundAndLessonWritesBuildNoTemporaryBtreeAndStillRefuseBadValues) {
  Store store(path_);
  store.connection().exec(
      "INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
      "phase_started_at, phase_deadline) VALUES ('!r:x', 'aar', 0, 'running', 1, 1, 2)");
  store.connection().exec(
      "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
      "VALUES ('!r:x', 'Funk', 'identified', 1, 1)");
  for (const char* sql :
       {"INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
        "phase_started_at, phase_deadline) VALUES ('!s:x', 'aar', 0, 'running', 1, 1, 2)",
        "UPDATE rounds SET state = 'paused' WHERE id = 1",
        "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
        "VALUES ('!r:x', 'Lage', 'identified', 1, 1)",
        "UPDATE lessons SET state = 'learned' WHERE id = 1",
        "INSERT INTO lesson_history (lesson_id, change, changed_at) VALUES (1, 'created', 1)"}) {
    Statement plan(store.connection(), std::string("EXPLAIN ") + sql);
    while (plan.step()) EXPECT_NE(plan.column_text(1), "OpenEphemeral") << sql;
    store.connection().exec(sql);
  }
  for (const char* sql :
       {"INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
        "phase_started_at, phase_deadline) VALUES ('!t:x', 'aar', 0, 'sleeping', 1, 1, 2)",
        "UPDATE rounds SET state = 'Running' WHERE id = 1",
        "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
        "VALUES ('!r:x', 'x', 'forgotten', 1, 1)",
        "INSERT INTO lesson_history (lesson_id, change, changed_at) VALUES (1, 'renamed', 1)",
        "INSERT INTO lesson_history (lesson_id, change, changed_at) VALUES (1, NULL, 1)"}) {
    EXPECT_THROW(store.connection().exec(sql), StoreError) << sql;
  }
  for (const char* change :
       {"created", "action", "learned", "title", "owner", "due", "action_removed", "removed"}) {
    store.connection().exec(
        std::string("INSERT INTO lesson_history (lesson_id, change, changed_at) VALUES (1, '") +
        change + "', 2)");
  }
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM lesson_history"), 9);
}

// Migration 22 rebuilds rounds, lessons and lesson_history. Run again over a store (as over one
// of version 20), it keeps every row and id, the AUTOINCREMENT high-water marks (a deleted id is
// not given out again), the one-open-round-per-room index, and the references to them: a
// contribution still loses its round when the round goes, a lesson's history goes with it.
TEST_F(StoreTest, RebuildingRoundsAndLessonsKeepsRowsIdsAndReferences) {
  {
    Store store(path_);
    auto& c = store.connection();
    c.exec(
        "INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
        "phase_started_at, phase_deadline) VALUES ('!r:x', 'aar', 1, 'ended', 1, 1, 2), "
        "('!r:x', 'aar', 2, 'paused', 3, 3, 4), ('!s:x', 'aar', 0, 'running', 5, 5, 6)");
    c.exec("DELETE FROM rounds WHERE id = 3");
    c.exec(
        "INSERT INTO contributions (event_id, room_id, round_id, body, written_at, collected_at, "
        "via) VALUES ('$e', '!r:x', 2, 'text', 1, 1, 'round')");
    c.exec(
        "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
        "VALUES ('!r:x', 'Funk', 'action', 1, 1), ('!r:x', 'Lage', 'learned', 1, 1)");
    c.exec("DELETE FROM lessons WHERE id = 2");
    c.exec(
        "INSERT INTO lesson_history (lesson_id, change, changed_by, old_value, new_value, "
        "changed_at) VALUES (1, 'created', 'p1', '', 'Funk', 1), (1, 'action', 'p1', '', 'x', 2)");
    c.exec("INSERT INTO lesson_sources (lesson_id, event_id) VALUES (1, '$e')");
  }
  {
    Connection raw(path_);
    raw.exec("PRAGMA user_version = 20");
  }
  Store store(path_);
  auto& c = store.connection();
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM rounds"), 2);
  EXPECT_EQ(count(store, "SELECT phase_index FROM rounds WHERE id = 2 AND state = 'paused'"), 2);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM lesson_history WHERE lesson_id = 1"), 2);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM lesson_sources WHERE lesson_id = 1"), 1);
  c.exec(
      "INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
      "phase_started_at, phase_deadline) VALUES ('!t:x', 'aar', 0, 'running', 7, 7, 8)");
  EXPECT_EQ(count(store, "SELECT MAX(id) FROM rounds"), 4) << "id 3 was given out before";
  c.exec(
      "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
      "VALUES ('!r:x', 'Neu', 'identified', 3, 3)");
  EXPECT_EQ(count(store, "SELECT MAX(id) FROM lessons"), 3) << "id 2 was given out before";
  c.exec("INSERT INTO lesson_history (lesson_id, change, changed_at) VALUES (3, 'created', 3)");
  EXPECT_EQ(count(store, "SELECT MAX(id) FROM lesson_history"), 3);
  EXPECT_THROW(c.exec("INSERT INTO rounds (room_id, template_key, phase_index, state, started_at, "
                      "phase_started_at, phase_deadline) "
                      "VALUES ('!r:x', 'aar', 0, 'running', 9, 9, 9)"),
               StoreError)
      << "room !r:x has an open (paused) round";
  c.exec("DELETE FROM rounds WHERE id = 2");
  EXPECT_EQ(count(store,
                  "SELECT COUNT(*) FROM contributions WHERE event_id = '$e' AND "
                  "round_id IS NULL"),
            1);
  c.exec("DELETE FROM lessons WHERE id = 1");
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM lesson_history WHERE lesson_id = 1"), 0);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM lesson_sources"), 0);
}

}  // namespace
}  // namespace reflexbot::store
