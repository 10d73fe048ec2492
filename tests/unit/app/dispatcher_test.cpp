// The dispatcher on the real path: JSON /sync bodies → parse (outline + stream) → dispatcher →
// a real SQLite store; assertions read the store.

#include "app/runtime/dispatcher.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/digests.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"
#include "store/retention.hpp"

#include "../support/temp_store.hpp"

namespace reflexbot::app {
namespace {

using nlohmann::json;
const std::string kBot = "@reflexbot:example.org";
const std::string kRoom = "!krisenstab:example.org";
const std::string kLeipzig = "!leipzig:example.org";
const std::string kNetwork = "!netzwerk:example.org";

json message(const std::string& id, const std::string& sender, const std::string& body,
             const std::string& msgtype = "m.text", std::int64_t ts = 1700000000000) {
  return {{"type", "m.room.message"},
          {"event_id", id},
          {"sender", sender},
          {"origin_server_ts", ts},
          {"content", {{"msgtype", msgtype}, {"body", body}}}};
}

// A moderator's command (`id`, `text`) as a reply to the message `target`.
json moderator_reply(const std::string& id, const std::string& text, const std::string& target) {
  json command = message(id, "@mod:example.org", text);
  command["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", target}}}};
  return command;
}

json member(const std::string& id, const std::string& user, const std::string& membership) {
  return {{"type", "m.room.member"},
          {"event_id", id},
          {"sender", user},
          {"state_key", user},
          {"origin_server_ts", 1700000000000},
          {"content", {{"membership", membership}}}};
}

json encryption(const std::string& id) {
  return {
      {"type", "m.room.encryption"},       {"event_id", id},
      {"sender", "@anna:example.org"},     {"state_key", ""},
      {"origin_server_ts", 1700000000000}, {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}};
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FeatureSettings reflection;
    reflection.pseudonym = [](const std::string& user) { return "p" + user.substr(1, 4); };
    reflection.cities[kRoom] = "Köln";
    reflection.cities[kLeipzig] = "Leipzig";
    digests_.zone = *core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
    digests_.network_room = kNetwork;
    digests_.rooms = {kRoom, kLeipzig};
    digests_.cities = reflection.cities;
    reflection_ = reflection;
    restart();
  }

  // A new dispatcher on the same store, as after a restart of the bot.
  void restart() {
    dispatcher_.reset();
    dispatcher_.emplace(*store_,
                        DispatcherSettings{kBot, core::Language::de,
                                           [](const std::string& inviter) {
                                             return inviter == "@moderation:example.org";
                                           },
                                           reflection_, digests_, command_limit_},
                        [this] { return now_ms_; });
  }

  // Feeds one /sync body through the bot's real ingest path.
  void sync(const json& body_json, bool initial = false, const matrix::GapEvents& gaps = {}) {
    std::string body = body_json.dump();
    auto outline = matrix::parse_sync_outline(body, kBot);
    ASSERT_TRUE(outline) << outline.error().message;
    auto ingested = matrix::ingest(*dispatcher_, body, *outline, gaps, kBot, initial);
    ASSERT_TRUE(ingested);
  }

  // Vectors, not braced json lists: nlohmann reads a one-element brace list as that element.
  static json joined(const std::vector<json>& timeline, const std::vector<json>& state = {}) {
    return {{"timeline", {{"events", json(timeline)}, {"limited", false}}},
            {"state", {{"events", json(state)}}}};
  }

  // A store that was joined to kRoom and synced up to s0.
  void seed_joined_room() {
    store::BatchScope seed(*store_);
    store::RoomRecord room;
    room.room_id = kRoom;
    room.membership = "join";
    seed.put_room(room);
    seed.set_sync_token("s0");
    seed.commit();
  }

  static json body(const std::string& next_batch, const json& join) {
    return {{"next_batch", next_batch}, {"rooms", {{"join", join}}}};
  }

  // The outbox rows as JSON content, in order.
  std::vector<json> sent_contents() {
    std::vector<json> contents;
    for (const auto& item : store_->pending_outbox(1000)) {
      if (item.kind == store::OutboxKind::send) contents.push_back(json::parse(item.content));
    }
    return contents;
  }

  // A joined room with a moderator (power level 100) and a city.
  void seed_room(const std::string& room_id) {
    store::BatchScope seed(*store_);
    store::RoomRecord room;
    room.room_id = room_id;
    room.membership = "join";
    room.authority = {"", {}, true, {{"@mod:example.org", 100}}, 0};
    seed.put_room(room);
    seed.set_sync_token("s0");
    seed.commit();
  }

  // The number digest `digest` (of kRoom) gave the group of exactly `members`, if any.
  std::optional<int> number_in(std::int64_t digest, const std::vector<std::string>& members) {
    const auto record = store::digest_numbered(*store_, kRoom, digest);
    if (!record) return std::nullopt;
    for (int n = 1; n <= 50; ++n) {
      if (store::digest_group(*store_, record->id, n) == members) return n;
    }
    return std::nullopt;
  }

  // The bodies of the queued notices in a room, in order.
  std::vector<std::string> notices_in(const std::string& room_id) {
    std::vector<std::string> out;
    for (const auto& item : store_->pending_outbox(1000)) {
      if (item.event_type == "m.room.message" && item.room_id == room_id) {
        const json content = json::parse(item.content);
        if (content.value("msgtype", "") == "m.image") continue;
        out.push_back(content["body"].get<std::string>());
      }
    }
    return out;
  }

  /// The pictures queued for a room (content and file), in order after everything else queued
  /// before them: their position among the room's rows.
  struct QueuedImage {
    json content;
    std::string bytes;
    std::size_t position = 0;  ///< among the room's pending m.room.message rows
  };
  std::vector<QueuedImage> images_in(const std::string& room_id) {
    std::vector<QueuedImage> out;
    std::size_t position = 0;
    for (const auto& item : store_->pending_outbox(1000)) {
      if (item.event_type != "m.room.message" || item.room_id != room_id) continue;
      const json content = json::parse(item.content);
      if (content.value("msgtype", "") == "m.image") {
        EXPECT_TRUE(item.media);
        const auto media = store_->outbox_media(item.id);
        out.push_back({content, media ? media->bytes : std::string(), position});
      }
      ++position;
    }
    return out;
  }

  test::TempStore store_{"dispatch"};
  FeatureSettings reflection_;
  DigestSettings digests_;
  core::RateLimit command_limit_;
  std::int64_t now_ms_ = 1700000000000;
  std::optional<Dispatcher> dispatcher_;  // last: it uses the members above, so it goes first
};

TEST_F(DispatcherTest, ALargeBodyReleasesTheDictionariesBeforeItIsParsed) {
  // Issue 17: body, parser buffers (0.7x the body) and dictionaries (21 MiB) together were 2.5x a
  // 100k body. The terms are made after the commit, which loads them again.
  store_->index_terms("Die Lagebesprechung mit der Feuerwehr");
  ASSERT_TRUE(store_->dictionaries_loaded());
  dispatcher_->received(64 * 1024);
  EXPECT_TRUE(store_->dictionaries_loaded()) << "a small body keeps them";
  dispatcher_->received(Dispatcher::kLargeBody);
  EXPECT_FALSE(store_->dictionaries_loaded());
  EXPECT_FALSE(store_->index_terms("Die Lagebesprechung mit der Feuerwehr").empty());
  EXPECT_TRUE(store_->dictionaries_loaded());
}

TEST_F(DispatcherTest, ALargeBodysBatchHasALargerPageCacheUntilItsCommit) {
  // Issue 17: a 100k batch's random-key index pages did not fit SQLite's default 2000 KiB; what
  // it pushed out went to the WAL in the transaction and was read back (35 % of the batch).
  seed_joined_room();
  EXPECT_EQ(store_->cache_kib(), store::Store::kCacheKib);
  dispatcher_->received(64 * 1024);
  EXPECT_EQ(store_->cache_kib(), store::Store::kCacheKib) << "a small body keeps the default";
  dispatcher_->received(std::size_t{32} << 20);
  EXPECT_EQ(store_->cache_kib(), 4096) << "an eighth of the body";
  dispatcher_->received(std::size_t{1} << 30);
  EXPECT_EQ(store_->cache_kib(), store::Store::kBatchCacheKibMax);
  sync(body("s1", {{kRoom, joined({message("$m", "@anna:example.org", "#lehre Funk fiel aus")})}}));
  EXPECT_EQ(store_->sync_token(), "s1");
  EXPECT_EQ(store_->cache_kib(), store::Store::kCacheKib) << "the commit gives it back";

  dispatcher_->received(std::size_t{32} << 20);
  dispatcher_->abort();
  EXPECT_EQ(store_->cache_kib(), store::Store::kCacheKib) << "and so does a rollback";
}

TEST_F(DispatcherTest, PingQueuesOneNoticeReplyWithEmptyMentions) {
  seed_joined_room();

  sync(body("s1", {{kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}}));

  EXPECT_EQ(store_->sync_token(), "s1");
  EXPECT_TRUE(store_->is_seen("$ping", kRoom));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(contents[0]["msgtype"], "m.notice");
  EXPECT_EQ(contents[0]["body"], "Pong! Reflexbot ist da und hört zu.");
  EXPECT_EQ(contents[0]["m.mentions"], json::object());
  EXPECT_EQ(contents[0]["m.relates_to"]["m.in_reply_to"]["event_id"], "$ping");
  EXPECT_EQ(contents[0]["format"], "org.matrix.custom.html");
}

TEST_F(DispatcherTest, AReplayedBatchIsNotAnsweredTwice) {
  seed_joined_room();
  const json batch =
      body("s1", {{kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}});
  sync(batch);
  sync(batch);  // e.g. the homeserver repeats events after a restart
  EXPECT_EQ(sent_contents().size(), 1u);
  EXPECT_EQ(dispatcher_->last_stats().duplicates, 1u);
}

TEST_F(DispatcherTest, IgnoresNoticesOwnMessagesEditsAndPlainText) {
  seed_joined_room();
  json edit = message("$edit", "@anna:example.org", "* !ping");
  edit["content"]["m.relates_to"] = {{"rel_type", "m.replace"}, {"event_id", "$x"}};
  sync(body("s1", {{kRoom, joined({message("$n", "@otherbot:example.org", "!ping", "m.notice"),
                                   message("$own", kBot, "!ping"), edit,
                                   message("$t", "@anna:example.org", "Lage ist ruhig")})}}));
  EXPECT_TRUE(sent_contents().empty());
  EXPECT_EQ(dispatcher_->last_stats().events, 4u);
}

// Event ids are de-duplicated per room: a copy of one room's event served first under another
// room must not swallow the real one, and each room is answered once.
TEST_F(DispatcherTest, TheSameEventIdInTwoRoomsIsAnsweredInBothButOnceInEach) {
  seed_room(kRoom);
  seed_room(kLeipzig);
  const json batch =
      body("s1", {{kLeipzig, joined({message("$ping", "@anna:example.org", "!ping")})},
                  {kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}});
  sync(batch);
  sync(body("s2", {{kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}}));
  restart();
  sync(batch);
  EXPECT_EQ(notices_in(kRoom).size(), 1u);
  EXPECT_EQ(notices_in(kLeipzig).size(), 1u);
  EXPECT_TRUE(store_->is_seen("$ping", kRoom));
  EXPECT_TRUE(store_->is_seen("$ping", kLeipzig));
}

TEST_F(DispatcherTest, ReplyGoesIntoTheThreadOfTheCommand) {
  seed_joined_room();
  json threaded = message("$ping", "@anna:example.org", "!ping");
  threaded["content"]["m.relates_to"] = {{"rel_type", "m.thread"}, {"event_id", "$root"}};
  sync(body("s1", {{kRoom, joined({threaded})}}));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(contents[0]["m.relates_to"]["rel_type"], "m.thread");
  EXPECT_EQ(contents[0]["m.relates_to"]["event_id"], "$root");
  EXPECT_EQ(contents[0]["m.relates_to"]["m.in_reply_to"]["event_id"], "$ping");
}

TEST_F(DispatcherTest, TheInitialSyncRecordsHistoryButAnswersNothing) {
  sync(body("s1", {{kRoom, joined({member("$j", kBot, "join"),
                                   message("$old", "@anna:example.org", "!ping")})}}),
       true);
  EXPECT_TRUE(store_->is_seen("$old", kRoom));
  EXPECT_TRUE(sent_contents().empty());
  EXPECT_EQ(store_->room(kRoom)->membership, "join");
}

TEST_F(DispatcherTest, InANewlyJoinedRoomOnlyWhatFollowsOurJoinIsAnswered) {
  store::BatchScope seed(*store_);
  seed.set_sync_token("s0");
  seed.commit();
  sync(body("s1", {{kRoom, joined({message("$before", "@anna:example.org", "!ping"),
                                   member("$join", kBot, "join"),
                                   message("$after", "@anna:example.org", "!ping")})}}));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 2u);
  // The welcome for the room, then the answer to what came after the join.
  EXPECT_TRUE(contents[0]["body"].get<std::string>().starts_with("Guten Tag, ich bin Reflexbot"));
  EXPECT_FALSE(contents[0].contains("m.relates_to"));
  EXPECT_EQ(contents[1]["m.relates_to"]["m.in_reply_to"]["event_id"], "$after");
}

TEST_F(DispatcherTest, AJoinedRoomIsWelcomedOnceButNotAtTheFirstStart) {
  const auto welcomes = [&](const std::string& room_id) {
    int n = 0;
    for (const auto& row : store_->pending_outbox(1000)) {
      if (row.room_id == room_id &&
          json::parse(row.content)["body"].get<std::string>().starts_with(
              "Guten Tag, ich bin Reflexbot. Ich begleite in diesem Raum")) {
        ++n;
      }
    }
    return n;
  };
  // The first start finds the bot in a room already: nothing to announce.
  sync(body("s1", {{kLeipzig, joined({member("$j0", kBot, "join")})}}), true);
  EXPECT_EQ(welcomes(kLeipzig), 0);
  // A room joined while running: one welcome, with the moderators' level; later batches and a
  // restart add none.
  sync(body("s2", {{kRoom, joined({member("$j1", kBot, "join")})}}));
  ASSERT_EQ(welcomes(kRoom), 1);
  const auto text =
      json::parse(store_->pending_outbox(10).back().content)["body"].get<std::string>();
  EXPECT_NE(text.find("Moderation (ab Berechtigungsstufe 50)"), std::string::npos) << text;
  EXPECT_NE(text.find("!hilfe"), std::string::npos) << text;
  sync(body("s3", {{kRoom, joined({message("$m", "@anna:example.org", "hallo")})}}));
  restart();
  sync(body("s4", {{kRoom, joined({message("$m2", "@anna:example.org", "hallo")})}}));
  EXPECT_EQ(welcomes(kRoom), 1);
}

TEST_F(DispatcherTest, InvitesAreAcceptedOnlyFromTheAllowlist) {
  auto invite = [](const std::string& inviter) {
    return json{{"invite_state",
                 {{"events",
                   {{{"type", "m.room.member"},
                     {"sender", inviter},
                     {"state_key", kBot},
                     {"content", {{"membership", "invite"}}}}}}}}};
  };
  json batch = {{"next_batch", "s1"},
                {"rooms",
                 {{"invite",
                   {{"!ok:example.org", invite("@moderation:example.org")},
                    {"!spam:evil.org", invite("@spam:evil.org")}}}}}};
  sync(batch);
  sync(batch);  // still invited in the next sync: no second join
  auto rows = store_->pending_outbox(10);
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, store::OutboxKind> by_room;
  for (const auto& row : rows) by_room[row.room_id] = row.kind;
  EXPECT_EQ(by_room.at("!ok:example.org"), store::OutboxKind::join);
  EXPECT_EQ(by_room.at("!spam:evil.org"), store::OutboxKind::leave);
}

TEST_F(DispatcherTest, AMegolmRoomIsEncryptedAndGetsNoNotice) {
  sync(body("s1", {{kRoom, joined({member("$join", kBot, "join")}, {encryption("$enc")})}}));
  // The welcome waits for the first message: by then the writer's client knows the bot's device.
  EXPECT_TRUE(sent_contents().empty());
  EXPECT_TRUE(store_->room(kRoom)->welcome_due);
  restart();  // kept across a restart
  sync(body("s2", {{kRoom, joined({message("$m", "@anna:example.org", "hallo")})}}));
  EXPECT_FALSE(store_->room(kRoom)->welcome_due);
  // Only the welcome (the outbox encrypts it), no notice about the encryption.
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_TRUE(contents[0]["body"].get<std::string>().starts_with("Guten Tag, ich bin Reflexbot"));
  EXPECT_TRUE(store_->room(kRoom)->encrypted);
}

TEST_F(DispatcherTest, ARoomWithAnUnknownAlgorithmIsToldOnce) {
  json unknown = encryption("$enc");
  unknown["content"]["algorithm"] = "org.example.quantum";
  sync(body("s1", {{kRoom, joined({member("$join", kBot, "join")}, {unknown})}}));
  sync(body("s2", {{kRoom, joined({message("$m", "@anna:example.org", "hallo")})}}));
  json again = unknown;  // the state event sent once more
  again["event_id"] = "$enc2";
  sync(body("s3", {{kRoom, joined({again})}}));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_NE(contents[0]["body"].get<std::string>().find("nicht kenne"), std::string::npos);
  EXPECT_FALSE(contents[0].contains("m.relates_to"));
  EXPECT_EQ(contents[0]["m.mentions"], json::object());
  // Not encrypted by the bot: nobody could read the notice in an algorithm it cannot speak.
  EXPECT_FALSE(store_->room(kRoom)->encrypted);
}

// An encrypted event whose key has not come: kept (not seen) with its batch; when it decrypts
// later it runs once, in a batch of its own, and a replay of it does nothing more.
TEST_F(DispatcherTest, AnEventWaitingForItsKeyIsKeptThenActedOnOnce) {
  seed_joined_room();
  auto parse = [](json event) {
    std::string text = event.dump();
    auto parsed = matrix::parse_event(text, kRoom);
    EXPECT_TRUE(parsed) << text;
    return *parsed;
  };
  json sealed = {{"type", "m.room.encrypted"},
                 {"event_id", "$late"},
                 {"sender", "@anna:example.org"},
                 {"origin_server_ts", 1700000000000},
                 {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}, {"session_id", "S"}}}};
  matrix::SyncBatch outline;
  outline.next_batch = "s1";
  dispatcher_->begin(outline, false);
  dispatcher_->undecryptable(parse(sealed), crypto::Undecryptable{true, "missing key", "S"});
  json own = sealed;
  own["event_id"] = "$echo";
  own["sender"] = kBot;
  dispatcher_->undecryptable(parse(own), crypto::Undecryptable{true, "missing key", "S"});
  dispatcher_->commit("s1");
  EXPECT_FALSE(store_->is_seen("$late", kRoom));
  auto kept = dispatcher_->kept_events(10);
  ASSERT_EQ(kept.size(), 1u);  // not the bot's own echo
  EXPECT_EQ(kept[0].event_id, "$late");

  for (int replay = 0; replay < 2; ++replay) {
    dispatcher_->begin(matrix::SyncBatch{}, false);
    dispatcher_->timeline_event(parse(message("$late", "@anna:example.org", "!ping")));
    dispatcher_->drop_kept("$late");
    dispatcher_->commit("s1");
  }
  EXPECT_TRUE(dispatcher_->kept_events(10).empty());
  EXPECT_EQ(sent_contents().size(), 1u);  // one answer
  EXPECT_EQ(store_->sync_token(), "s1");
}

TEST_F(DispatcherTest, MalformedEventsAreQuarantinedAndTheBatchGoesOn) {
  seed_joined_room();
  json broken = message("$broken", "@anna:example.org", "x");
  broken["sender"] = 42;
  sync(body("s1", {{kRoom, joined({broken, message("$ping", "@anna:example.org", "!ping")})}}));
  EXPECT_EQ(store_->counts().quarantined, 1);
  EXPECT_EQ(sent_contents().size(), 1u);
  EXPECT_EQ(store_->sync_token(), "s1");
}

// A flood of malformed events from one sender: a few outlines are kept, every event is seen
// (none is retried), and the commands among them are still answered.
TEST_F(DispatcherTest, AFloodOfMalformedEventsKeepsOnlyTheQuarantineCap) {
  seed_joined_room();
  std::vector<json> timeline;
  for (int i = 0; i < 30; ++i) {
    json broken = message("$bad" + std::to_string(i), "@anna:example.org", "Geheimer Text");
    broken["content"]["body"] = json::array({"Geheimer Text"});  // a required field, broken
    timeline.push_back(broken);
  }
  timeline.push_back(message("$ping", "@anna:example.org", "!ping"));
  sync(body("s1", {{kRoom, joined(timeline)}}));
  EXPECT_EQ(store_->counts().quarantined, store::kQuarantinePerSender);
  EXPECT_EQ(store_->counts().quarantine_refused, 30 - store::kQuarantinePerSender);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(store_->is_seen("$bad" + std::to_string(i), kRoom));
  EXPECT_EQ(sent_contents().size(), 1u);
  sync(body("s2", {{kRoom, joined(timeline)}}));  // served again: seen, not counted again
  EXPECT_EQ(store_->counts().quarantine_refused, 30 - store::kQuarantinePerSender);
}

TEST_F(DispatcherTest, MissedEventsOfALimitedTimelineComeFirstAndAreAnswered) {
  seed_joined_room();
  std::string gap_body =
      json{{"chunk", json::array({message("$gap2", "@anna:example.org", "!hilfe"),
                                  message("$gap1", "@anna:example.org", "!ping")})}}
          .dump();
  auto page = matrix::parse_messages(gap_body, kRoom);
  ASSERT_TRUE(page);
  matrix::GapEvents gaps{{kRoom, {page->chunk.rbegin(), page->chunk.rend()}}};
  json limited = joined({message("$new", "@anna:example.org", "!ping")});
  limited["timeline"]["limited"] = true;
  sync(body("s1", {{kRoom, limited}}), false, gaps);
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_EQ(contents[0]["m.relates_to"]["m.in_reply_to"]["event_id"], "$gap1");
  EXPECT_EQ(contents[1]["m.relates_to"]["m.in_reply_to"]["event_id"], "$gap2");
  EXPECT_EQ(contents[2]["m.relates_to"]["m.in_reply_to"]["event_id"], "$new");
}

TEST_F(DispatcherTest, ABodyThatBreaksMidStreamIsRolledBack) {
  seed_joined_room();
  std::string good =
      body("s1", {{kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}}).dump();
  auto outline = matrix::parse_sync_outline(good, kBot);
  ASSERT_TRUE(outline);
  std::string truncated = good.substr(0, good.size() - 5);
  auto ingested = matrix::ingest(*dispatcher_, truncated, *outline, {}, kBot, false);
  EXPECT_FALSE(ingested);
  EXPECT_EQ(store_->sync_token(), "s0");
  EXPECT_FALSE(store_->is_seen("$ping", kRoom));
  EXPECT_TRUE(sent_contents().empty());
}

TEST_F(DispatcherTest, ATaggedMessageOutsideARoundIsCollectedAcknowledgedAndRedactable) {
  seed_joined_room();
  sync(body("s1", {{kRoom, joined({message("$t", "@anna:example.org", "Funk fiel aus #Problem"),
                                   message("$u", "@anna:example.org", "ohne Schlagwort")})}}));
  auto stored = store_->contribution("$t");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->city, "Köln");
  EXPECT_EQ(stored->author, "panna");
  EXPECT_EQ(stored->tags, std::vector<std::string>{"problem"});
  EXPECT_EQ(stored->via, core::CollectedVia::tag);
  EXPECT_FALSE(store_->contribution("$u"));
  std::vector<json> reactions;
  for (const auto& item : store_->pending_outbox(100)) {
    if (item.event_type == "m.reaction") reactions.push_back(json::parse(item.content));
  }
  ASSERT_EQ(reactions.size(), 1u);
  EXPECT_EQ(reactions[0]["m.relates_to"]["event_id"], "$t");
  EXPECT_EQ(reactions[0]["m.relates_to"]["key"], "✅");

  json redaction = {{"type", "m.room.redaction"},
                    {"event_id", "$red"},
                    {"sender", "@anna:example.org"},
                    {"origin_server_ts", 1700000000000},
                    {"content", {{"redacts", "$t"}}}};
  sync(body("s2", {{kRoom, joined({redaction})}}));
  EXPECT_FALSE(store_->contribution("$t"));
}

// A two-phase template of ten minutes each, for the round tests.
core::Template two_phases() {
  core::Template tmpl;
  tmpl.key = "kurz";
  tmpl.title = {"Kurz", "Short"};
  tmpl.phases = {
      {"eins", {"Eins", "One"}, {"Erste Frage?", "First question?"}, std::chrono::minutes(10)},
      {"zwei", {"Zwei", "Two"}, {"Zweite Frage?", "Second question?"}, std::chrono::minutes(10)}};
  return tmpl;
}

// A message the bot sees only after an outage counts for the phase that was open when it was
// written (its origin_server_ts), not for the one open when the bot got to it; what was written
// before the round began belongs to none of its phases.
TEST_F(DispatcherTest, AMessageProcessedLateCountsForThePhaseOpenWhenItWasWritten) {
  reflection_.templates = {two_phases()};
  restart();
  seed_room(kRoom);
  const std::int64_t t0 = now_ms_;
  const std::int64_t minute = 60'000;
  sync(body(
      "s1",
      {{kRoom, joined({message("$start", "@mod:example.org", "!runde kurz", "m.text", t0)})}}));
  ASSERT_TRUE(store_->open_round(kRoom));
  // The bot goes down; phase 1 ends while it is away. Back at t0 + 15 min, the timer runs first.
  now_ms_ = t0 + 15 * minute;
  restart();
  dispatcher_->tick();
  ASSERT_EQ(store_->open_round(kRoom)->phase_index, 1u);
  sync(body(
      "s2",
      {{kRoom,
        joined({message("$before", "@anna:example.org", "vor der Runde", "m.text", t0 - minute),
                message("$late", "@anna:example.org", "Funk fiel aus", "m.text", t0 + 5 * minute),
                message("$now", "@anna:example.org", "Jetzt in Phase 2", "m.text",
                        t0 + 15 * minute)})}}));
  EXPECT_FALSE(store_->contribution("$before"));
  const auto late = store_->contribution("$late");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->phase_key, "eins");
  EXPECT_EQ(late->via, core::CollectedVia::round);
  const auto current = store_->contribution("$now");
  ASSERT_TRUE(current);
  EXPECT_EQ(current->phase_key, "zwei");
}

// A pause is a break: what is said then is not filed as a contribution, unless it is tagged, and
// a tagged message counts for the paused phase. The pause notice says so.
TEST_F(DispatcherTest, DuringAPauseOnlyTaggedMessagesAreCollected) {
  reflection_.templates = {two_phases()};
  restart();
  seed_room(kRoom);
  const std::int64_t t0 = now_ms_;
  sync(body("s1",
            {{kRoom, joined({message("$start", "@mod:example.org", "!runde kurz", "m.text", t0),
                             message("$pause", "@mod:example.org", "!pause", "m.text", t0)})}}));
  sync(body("s2", {{kRoom, joined({message("$coffee", "@anna:example.org", "Kaffee?", "m.text", t0),
                                   message("$idea", "@anna:example.org", "Sirenen testen #idee",
                                           "m.text", t0)})}}));
  EXPECT_FALSE(store_->contribution("$coffee"));
  const auto idea = store_->contribution("$idea");
  ASSERT_TRUE(idea);
  EXPECT_EQ(idea->phase_key, "eins");
  const auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 2u);
  EXPECT_NE(notices.back().find("Schlagwort"), std::string::npos) << notices.back();
  sync(body(
      "s3",
      {{kRoom, joined({message("$resume", "@mod:example.org", "!fortsetzen", "m.text", t0),
                       message("$again", "@anna:example.org", "Weiter geht's", "m.text", t0)})}}));
  ASSERT_TRUE(store_->contribution("$again"));
  EXPECT_EQ(store_->contribution("$again")->phase_key, "eins");
}

// Closing a phase names its strongest points: the voted one first, quoted without its hashtag
// and without anyone's name; a lone remark that nobody voted for and nobody echoed is not among
// them.
TEST_F(DispatcherTest, APhaseSummaryNamesItsStrongestPointsWithoutNames) {
  reflection_.templates = {two_phases()};
  restart();
  seed_room(kRoom);
  json vote = {
      {"type", "m.reaction"},
      {"event_id", "$vote"},
      {"sender", "@bernd:example.org"},
      {"origin_server_ts", now_ms_},
      {"content",
       {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", "$c"}, {"key", "👍"}}}}}};
  json second_vote = vote;
  second_vote["event_id"] = "$vote2";
  second_vote["sender"] = "@dora:example.org";
  sync(
      body("s1",
           {{kRoom,
             joined({message("$start", "@mod:example.org", "!runde kurz"),
                     message("$a", "@anna:example.org", "Kaffee war alle"),
                     message("$b", "@bernd:example.org", "Der Funk im Keller fiel aus #problem"),
                     message("$c", "@carla:example.org", "Sirenen vorher testen #idee"),
                     message("$d", "@anna:example.org", "Auch bei uns fiel der Funk im Keller aus"),
                     vote, second_vote, message("$next", "@mod:example.org", "!weiter")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 3U);
  const std::string& summary = notices[1];
  EXPECT_NE(summary.find("Die stärksten Punkte:\n• „Sirenen vorher testen“ (2 👍)\n• „Der Funk im "
                         "Keller fiel aus“\n• „Auch bei uns fiel der Funk im Keller aus“"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("Kaffee"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("anna"), std::string::npos) << summary;
}

// Ending the round in its last phase (!ende, or !weiter there) closes the phase and the round at
// once: one notice says both and lists the round's strongest points once, not two notices with
// the same points one after the other, and no count of the last phase that repeats the total.
TEST_F(DispatcherTest, EndingTheRoundInItsLastPhaseListsTheStrongestPointsOnce) {
  reflection_.templates = {two_phases()};
  restart();
  seed_room(kRoom);
  auto vote = [&](const std::string& id, const std::string& on, const std::string& sender) {
    return json{
        {"type", "m.reaction"},
        {"event_id", id},
        {"sender", sender},
        {"origin_server_ts", now_ms_},
        {"content",
         {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", on}, {"key", "👍"}}}}}};
  };
  for (const std::string ending : {"!ende", "!weiter"}) {
    sync(body("s-" + ending,
              {{kRoom,
                joined({message("$start" + ending, "@mod:example.org", "!runde kurz"),
                        message("$a" + ending, "@anna:example.org", "Funk fiel aus #problem"),
                        vote("$va" + ending, "$a" + ending, "@dora:example.org"),
                        message("$n" + ending, "@mod:example.org", "!weiter"),
                        message("$b" + ending, "@bernd:example.org", "Sirenen vorher testen #idee"),
                        vote("$vb" + ending, "$b" + ending, "@dora:example.org"),
                        message("$e" + ending, "@mod:example.org", ending)})}}));
    const auto notices = notices_in(kRoom);
    ASSERT_GE(notices.size(), 1U);
    const std::string& last = notices.back();
    EXPECT_NE(last.find("Reflexionsrunde"), std::string::npos) << last;
    EXPECT_NE(last.find("ist abgeschlossen"), std::string::npos) << last;  // the phase's line
    const auto first = last.find("Die stärksten Punkte:");
    ASSERT_NE(first, std::string::npos) << last;
    EXPECT_EQ(last.find("Die stärksten Punkte:", first + 1), std::string::npos) << last;
    EXPECT_NE(last.find("„Funk fiel aus“"), std::string::npos) << last;  // the round's, both phases
    EXPECT_NE(last.find("Insgesamt: 2 Beiträge"), std::string::npos) << last;
    EXPECT_EQ(last.find("1 Beitrag"), std::string::npos) << last;  // no count of the last phase
    // The notice before it is the last phase's prompt, not a second summary.
    ASSERT_GE(notices.size(), 2U);
    EXPECT_EQ(notices[notices.size() - 2].find("Die stärksten Punkte:"), std::string::npos)
        << notices[notices.size() - 2];
    EXPECT_FALSE(store_->open_round(kRoom));
  }
}

// A round can run in a thread of its own (Element's threads, m.thread): the moderator's !runde is
// the thread's root, and the bot's prompts and notices for the round go into it, the timer's too
// after a restart; what is written in the thread is collected for the round, as is what is
// written in the main timeline.
TEST_F(DispatcherTest, ARoundInAThreadPostsItsNoticesThereAndCollectsFromIt) {
  reflection_.templates = {two_phases()};
  restart();
  seed_room(kRoom);
  const std::int64_t t0 = now_ms_;
  json in_thread = message("$t1", "@anna:example.org", "Funk fiel aus", "m.text", t0);
  in_thread["content"]["m.relates_to"] = {{"rel_type", "m.thread"},
                                          {"event_id", "$start"},
                                          {"is_falling_back", true},
                                          {"m.in_reply_to", {{"event_id", "$start"}}}};
  sync(body(
      "s1",
      {{kRoom,
        joined({message("$start", "@mod:example.org", "!runde kurz Übung thread", "m.text", t0),
                in_thread,
                message("$main", "@bernd:example.org", "Im Hauptverlauf", "m.text", t0)})}}));
  ASSERT_TRUE(store_->open_round(kRoom));
  EXPECT_EQ(store_->open_round(kRoom)->topic, "Übung");
  now_ms_ = t0 + 11 * 60'000;
  restart();
  dispatcher_->tick();
  std::vector<json> notices;
  for (const auto& content : sent_contents()) {
    if (content.value("msgtype", "") == "m.notice") notices.push_back(content);
  }
  ASSERT_GE(notices.size(), 3U);  // the first prompt, then phase 1's end and phase 2's prompt
  for (const auto& notice : notices) {
    ASSERT_TRUE(notice.contains("m.relates_to")) << notice.dump();
    EXPECT_EQ(notice["m.relates_to"]["rel_type"], "m.thread") << notice.dump();
    EXPECT_EQ(notice["m.relates_to"]["event_id"], "$start") << notice.dump();
  }
  ASSERT_TRUE(store_->contribution("$t1"));
  EXPECT_EQ(store_->contribution("$t1")->phase_key, "eins");
  ASSERT_TRUE(store_->contribution("$main"));
  EXPECT_EQ(store_->contribution("$main")->phase_key, "eins");
}

// Without "thread" (and without the template's option) a round stays in the main timeline.
TEST_F(DispatcherTest, ATemplateCanPutItsRoundsInAThread) {
  core::Template tmpl = two_phases();
  tmpl.thread = true;
  reflection_.templates = {tmpl};
  restart();
  seed_room(kRoom);
  seed_room(kLeipzig);
  sync(body("s1", {{kRoom, joined({message("$start", "@mod:example.org", "!runde kurz")})},
                   {kLeipzig,
                    joined({message("$other", "@mod:example.org", "!runde kurz ohne-thread")})}}));
  for (const auto& item : store_->pending_outbox(100)) {
    const json content = json::parse(item.content);
    if (item.room_id == kRoom) {
      EXPECT_EQ(content["m.relates_to"].value("rel_type", ""), "m.thread") << content.dump();
    } else {
      EXPECT_EQ(content["m.relates_to"].value("rel_type", ""), "") << content.dump();
    }
  }
  EXPECT_EQ(store_->open_round(kLeipzig)->topic, "");
}

TEST_F(DispatcherTest, ANonModeratorCannotStartARound) {
  seed_joined_room();
  sync(body("s1", {{kRoom, joined({message("$r", "@anna:example.org", "!runde panreflex")})}}));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_NE(contents[0]["body"].get<std::string>().find("Moderation"), std::string::npos);
  EXPECT_FALSE(store_->open_round(kRoom));
}

TEST_F(DispatcherTest, ForgetMeAsksFirstThenDeletesOnlyThatPersonsData) {
  seed_joined_room();
  const json vote = {
      {"type", "m.reaction"},
      {"event_id", "$v1"},
      {"sender", "@anna:example.org"},
      {"origin_server_ts", 1700000000000},
      {"content",
       {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", "$b1"}, {"key", "👍"}}}}}};
  sync(body("s1", {{kRoom, joined({message("$a1", "@anna:example.org", "Lage #problem"),
                                   message("$b1", "@bernd:example.org", "Idee #idee"), vote})}}));
  sync(body("s2", {{kRoom, joined({message("$ask", "@anna:example.org", "!vergessen")})}}));
  EXPECT_TRUE(store_->contribution("$a1"));  // nothing deleted before the confirmation
  sync(body("s3",
            {{kRoom, joined({message("$yes", "@anna:example.org", "!vergessen bestätigen")})}}));
  EXPECT_FALSE(store_->contribution("$a1"));
  EXPECT_TRUE(store_->contribution("$b1"));
  std::vector<std::string> answers;
  for (const auto& item : store_->pending_outbox(100)) {
    if (item.event_type == "m.room.message") {
      answers.push_back(json::parse(item.content)["body"].get<std::string>());
    }
  }
  ASSERT_EQ(answers.size(), 2u);
  // Both counts, each named: not "2 gespeicherte Beiträge und Stimmen".
  EXPECT_EQ(answers[0],
            "Von Ihnen gespeichert sind: 1 Beitrag und 1 Stimme. Wenn Sie „!vergessen "
            "bestätigen“ schreiben, lösche ich das endgültig aus meiner Datenbank. Ihre "
            "Nachrichten im Raum selbst bleiben davon unberührt.");
  EXPECT_EQ(answers[1], "Erledigt. Gelöscht sind: 1 Beitrag und 1 Stimme.");
  EXPECT_EQ(store_->votes("$b1"), 0);
}

TEST_F(DispatcherTest, APinAsksForTheMessageAndCollectsItWithItsOwnAuthorAndTime) {
  seed_joined_room();
  json pin = {
      {"type", "m.reaction"},
      {"event_id", "$pin"},
      {"sender", "@bernd:example.org"},
      {"origin_server_ts", 1700000000000},
      {"content",
       {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", "$old"}, {"key", "📌"}}}}}};
  sync(body("s1", {{kRoom, joined({pin})}}));
  using Pin = std::pair<std::string, std::string>;
  EXPECT_EQ(dispatcher_->pending_pins(), (std::vector<Pin>{{kRoom, "$old"}}));

  std::string fetched = message("$old", "@anna:example.org", "Wir brauchen Ersatzgeräte").dump();
  auto event = matrix::parse_event(fetched, kRoom);
  ASSERT_TRUE(event);
  dispatcher_->collect_pinned(*event);
  auto stored = store_->contribution("$old");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->via, core::CollectedVia::pin);
  EXPECT_EQ(stored->author, "panna");
  EXPECT_EQ(stored->written_at, core::TimePoint(std::chrono::milliseconds(1700000000000)));
  EXPECT_TRUE(dispatcher_->pending_pins().empty());
}

// The messages the bot queued as replies to `event_id`.
std::vector<json> replies_to(const std::vector<json>& contents, const std::string& event_id) {
  std::vector<json> out;
  for (const auto& content : contents) {
    if (content.contains("m.relates_to") &&
        content["m.relates_to"].value("m.in_reply_to", json::object()).value("event_id", "") ==
            event_id) {
      out.push_back(content);
    }
  }
  return out;
}

TEST_F(DispatcherTest, AFloodOfCommandsFromOnePersonIsAnsweredAtABoundedRateOthersAtOnce) {
  command_limit_ = core::RateLimit{5, std::chrono::seconds(3)};
  restart();
  seed_joined_room();
  const std::int64_t start = now_ms_;
  std::vector<std::string> flood;
  std::optional<std::size_t> bert_answered_after;  // rows queued when bert's ping was answered
  for (int i = 0; i < 100; ++i) {                  // 100 commands in 59.4 s, one batch each
    now_ms_ = start + 600 * i;
    std::vector<json> timeline;
    flood.push_back("$flood" + std::to_string(i));
    timeline.push_back(message(flood.back(), "@anna:example.org", i % 2 == 0 ? "!ping" : "!hilfe"));
    if (i == 50) {
      timeline.push_back(message("$bert", "@bert:example.org", "!ping"));
      timeline.push_back(message("$tagged", "@anna:example.org", "Funk fiel aus #problem"));
    }
    sync(body("s" + std::to_string(i + 1), {{kRoom, joined(timeline)}}));
    if (i == 50) bert_answered_after = replies_to(sent_contents(), "$bert").size();
  }
  const auto contents = sent_contents();
  int answers = 0;
  int notices = 0;
  for (const auto& id : flood) {
    for (const auto& reply : replies_to(contents, id)) {
      const auto text = reply["body"].get<std::string>();
      if (text.find("zu viele Befehle") != std::string::npos) {
        ++notices;
        EXPECT_EQ(text,
                  "Sie senden zu viele Befehle auf einmal. In etwa 3 Sekunden antworte ich Ihnen "
                  "wieder; bis dahin bleiben weitere Befehle unbeantwortet. Beiträge mit "
                  "Schlagwort sammle ich weiterhin.");
        EXPECT_EQ(reply["m.mentions"], json::object());
      } else {
        ++answers;
      }
    }
  }
  EXPECT_LE(answers, 5 + 60 / 3);
  EXPECT_EQ(answers, 5 + 19);  // the burst, then one every 3 s from 3.0 s to 57.0 s
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(bert_answered_after, 1U);            // in the very batch it came in
  EXPECT_TRUE(store_->contribution("$tagged"));  // collection is never limited

  // A minute later anna is answered again.
  now_ms_ = start + 120000;
  sync(body("s200", {{kRoom, joined({message("$later", "@anna:example.org", "!ping")})}}));
  const auto later = replies_to(sent_contents(), "$later");
  ASSERT_EQ(later.size(), 1U);
  EXPECT_EQ(later[0]["body"], "Pong! Reflexbot ist da und hört zu.");
}

TEST_F(DispatcherTest, ADroppedCommandDoesNothing) {
  command_limit_ = core::RateLimit{1, std::chrono::minutes(1)};
  restart();
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined({message("$1", "@mod:example.org", "!status"),
                                   message("$2", "@mod:example.org", "!status"),
                                   message("$3", "@mod:example.org", "!runde aar")})}}));
  EXPECT_FALSE(store_->open_round(kRoom));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 2U);  // the status, the one notice; nothing for the third
  EXPECT_NE(notices[1].find("In etwa 60 Sekunden"), std::string::npos) << notices[1];
}

TEST_F(DispatcherTest, TheSlowDownNoticeIsInEnglishWhenConfigured) {
  command_limit_ = core::RateLimit{1, std::chrono::seconds(10)};
  dispatcher_.reset();
  dispatcher_.emplace(
      *store_,
      DispatcherSettings{kBot, core::Language::en, {}, reflection_, digests_, command_limit_},
      [this] { return now_ms_; });
  seed_joined_room();
  sync(body("s1", {{kRoom, joined({message("$1", "@anna:example.org", "!ping"),
                                   message("$2", "@anna:example.org", "!ping")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 2U);
  EXPECT_EQ(notices[1],
            "You are sending too many commands at once. I will answer you again in about 10 "
            "seconds; until then further commands go unanswered. Tagged contributions are still "
            "collected.");
}

TEST_F(DispatcherTest, BurstZeroSwitchesTheCommandLimitOff) {
  command_limit_ = core::RateLimit{0, std::chrono::seconds(3)};
  restart();
  seed_joined_room();
  std::vector<json> timeline;
  for (int i = 0; i < 50; ++i) {
    timeline.push_back(message("$p" + std::to_string(i), "@anna:example.org", "!ping"));
  }
  sync(body("s1", {{kRoom, joined(timeline)}}));
  EXPECT_EQ(notices_in(kRoom).size(), 50U);
}

// 2023-11-14 (Tuesday) 22:13 UTC is the fixture's clock; the week after it has a Monday
// 2023-11-20, 09:00 CET = 08:00 UTC.
constexpr std::int64_t kMonday0900 = 1700467200000;
constexpr std::int64_t kHour = 3600000;

TEST_F(DispatcherTest, ADigestOnDemandSummarisesTheRoomAndNamesNoOne) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$c", "@carla:example.org", "!digest")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0].rfind("Digest für Köln · ", 0), 0U) << notices[0];
  EXPECT_NE(notices[0].find("2 Beiträge von 2 Personen aus 1 Stadt: Köln."), std::string::npos);
  EXPECT_NE(notices[0].find("1. Masken\n"), std::string::npos) << notices[0];
  for (const char* name : {"anna", "bernd", "carla", "@"}) {
    EXPECT_EQ(notices[0].find(name), std::string::npos) << name;
  }
  const auto digests = store::latest_digests(*store_, kRoom, 1);
  ASSERT_EQ(digests.size(), 1U);
  EXPECT_EQ(digests[0].number, 1);
  EXPECT_NE(notices[0].find(" · D1\n"), std::string::npos) << notices[0];
  EXPECT_EQ(store::digest_group(*store_, digests[0].id, 1), (std::vector<std::string>{"$a", "$b"}));
}

// Only configured rooms are cities: the network room's contributions count, under the network,
// and a room without a configured city is no city either.
TEST_F(DispatcherTest, TheNetworkRoomAndRoomsWithoutACityAreNoCities) {
  const std::string unconfigured = "!fremd:example.org";
  seed_room(kRoom);
  seed_room(kNetwork);
  seed_room(unconfigured);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org", "Schutzausrüstung fehlte #problem")})},
       {kNetwork, joined({message("$n", "@nora:example.org",
                                  "Masken und Schutzausrüstung zu spät bestellt #lehre"),
                          message("$d", "@carla:example.org", "!digest")})},
       {unconfigured, joined({message("$f", "@fritz:example.org", "Funk fiel aus #problem"),
                              message("$g", "@fritz:example.org", "!digest")})}}));
  const auto network = notices_in(kNetwork);
  ASSERT_EQ(network.size(), 1U);
  EXPECT_NE(network[0].find("3 Beiträge (davon 1 aus dem Netzwerkraum) von 3 Personen aus 1 "
                            "Stadt: Köln."),
            std::string::npos)
      << network[0];
  EXPECT_NE(network[0].find("(Netzwerkraum)"), std::string::npos) << network[0];
  EXPECT_EQ(network[0].find("netzwerk:example.org"), std::string::npos) << network[0];
  const auto other = notices_in(unconfigured);
  ASSERT_EQ(other.size(), 1U);
  EXPECT_NE(other[0].find("1 Beitrag von 1 Person.\n"), std::string::npos) << other[0];
  EXPECT_EQ(other[0].find("Stadt"), std::string::npos) << other[0];
  // A lesson from the network's group names the city of its sources, not the network room.
  sync(body("s2", {{kNetwork, joined({message("$l", "@mod:example.org", "!lehre 1")})}}));
  const DigestBuilder builder(*store_, digests_);
  const auto lessons = store::lessons(*store_, "", {kRoom, kLeipzig, kNetwork}, &builder.places());
  ASSERT_EQ(lessons.size(), 1U);
  EXPECT_EQ(lessons[0].sources, 3);
  EXPECT_EQ(lessons[0].cities, std::vector<std::string>{"Köln"});
  // So does the network room's list of lessons.
  sync(body("s3", {{kNetwork, joined({message("$ls", "@nora:example.org", "!lehren")})}}));
  const std::string listed = notices_in(kNetwork).back();
  EXPECT_EQ(listed.rfind("Lehren im Netzwerk:", 0), 0U) << listed;
  EXPECT_NE(listed.find(" (Köln)"), std::string::npos) << listed;
}

// A room with neither a configured city nor a name is never shown by its id: not in the digest's
// title, not as the city of what it collected.
TEST_F(DispatcherTest, ARoomWithoutANameIsNeverShownByItsId) {
  const std::string unnamed = "!lIBQikCxyz:example.org";
  seed_room(unnamed);
  sync(body("s1", {{unnamed, joined({message("$f", "@fritz:example.org", "Funk fiel aus #problem"),
                                     message("$g", "@fritz:example.org", "!digest")})}}));
  const auto answers = notices_in(unnamed);
  ASSERT_EQ(answers.size(), 1U);
  EXPECT_EQ(answers[0].find("lIBQikCxyz"), std::string::npos) << answers[0];
  EXPECT_NE(answers[0].find("Digest für diesen Raum"), std::string::npos) << answers[0];
  const auto stored = store_->contribution("$f");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->city.find("lIBQikCxyz"), std::string::npos) << stored->city;
}

// A contribution in no group and without a signal tag is not in the short digest; it is
// counted there, and "!digest D1" shows D1's period complete, with it.
TEST_F(DispatcherTest, TheCompleteDigestIsOneCommandAway) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$c", "@carla:example.org", "Erlasse kamen immer freitags #recht"),
                       message("$d", "@anna:example.org", "!digest")})}}));
  now_ms_ += 3 * 24 * kHour;  // later, with more written since: D1's period stays D1's
  sync(body("s2", {{kRoom, joined({message("$e", "@bernd:example.org", "Funk fiel aus #problem",
                                           "m.text", now_ms_ - 1000),
                                   message("$f", "@carla:example.org", "!digest D1"),
                                   message("$g", "@carla:example.org", "!digest D7")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 3U);
  EXPECT_NE(notices[0].find("Nicht gezeigt: 1 einzelner Beitrag. Alles zeigt !digest D1."),
            std::string::npos)
      << notices[0];
  EXPECT_EQ(notices[0].find("freitags"), std::string::npos) << notices[0];
  EXPECT_NE(notices[1].find(" · D2 · vollständig\n"), std::string::npos) << notices[1];
  EXPECT_NE(notices[1].find("\nEinzelne Beiträge\n2. „Erlasse kamen immer freitags“"),
            std::string::npos)
      << notices[1];
  EXPECT_EQ(notices[1].find("Funk"), std::string::npos) << notices[1];
  EXPECT_EQ(notices[2], "Einen Digest D7 gibt es in diesem Raum nicht (mehr).");
  const auto d2 = store::digest_numbered(*store_, kRoom, 2);
  const auto d1 = store::digest_numbered(*store_, kRoom, 1);
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(d2->from, d1->from);
  EXPECT_EQ(d2->to, d1->to);
}

TEST_F(DispatcherTest, DigestUsageErrorsAreAnswered) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined({message("$d", "@anna:example.org", "!digest gestern")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0], "So geht es: !digest [seit <Datum> | runde [Nr.] | <Tage> Tage | D<Nr.>]");
}

TEST_F(DispatcherTest, ALessonGoesFromGroupToActionToLearnedAndOnlyModeratorsMayDoIt) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$d", "@anna:example.org", "!digest")})}}));
  sync(body("s2", {{kRoom, joined({message("$l0", "@anna:example.org", "!lehre 1")})}}));
  EXPECT_TRUE(store::lessons(*store_, kRoom).empty());
  sync(body("s3", {{kRoom, joined({message("$l1", "@mod:example.org", "!lehre 1")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U);
  EXPECT_EQ(lessons[0].state, core::LessonState::identified);
  EXPECT_EQ(lessons[0].sources, 2);
  EXPECT_EQ(lessons[0].cities, std::vector<std::string>{"Köln"});
  const std::string id = std::to_string(lessons[0].id);
  sync(body("s4", {{kRoom, joined({message("$m", "@mod:example.org",
                                           "!maßnahme L" + id +
                                               " 15.12.2026 Gesundheitsamt: Lager anlegen")})}}));
  lessons = store::lessons(*store_, kRoom);
  EXPECT_EQ(lessons[0].state, core::LessonState::action);
  EXPECT_EQ(lessons[0].owner, "Gesundheitsamt");
  EXPECT_EQ(lessons[0].action, "Lager anlegen");
  EXPECT_EQ(lessons[0].due,
            std::chrono::year_month_day{std::chrono::year{2026} / std::chrono::December / 15});
  sync(body(
      "s5",
      {{kRoom, joined({message("$g", "@mod:example.org", "!gelernt L" + id),
                       message("$g2", "@mod:example.org", "!gelernt L" + id),
                       message("$x", "@mod:example.org", "!maßnahme L" + id + " morgen Amt: x"),
                       message("$ls", "@anna:example.org", "!lehren")})}}));
  EXPECT_EQ(store::lesson(*store_, lessons[0].id)->state, core::LessonState::learned);
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 8U);
  EXPECT_NE(notices[1].find("Moderation"), std::string::npos);  // anna's !lehre refused
  EXPECT_EQ(notices[2].rfind("Lehre L" + id + " festgehalten: „Masken“", 0), 0U) << notices[2];
  EXPECT_EQ(notices[3],
            "Maßnahme für L" + id + ": Lager anlegen – Gesundheitsamt, bis 15.12.2026.");
  EXPECT_NE(notices[4].find("ist jetzt als gelernt vermerkt"), std::string::npos);
  EXPECT_EQ(notices[5], "L" + id + " ist schon als gelernt vermerkt.");
  EXPECT_EQ(notices[6], "„morgen“ ist kein Datum. Bitte so: 15.12.2026, 15.12. oder 2026-12-15.");
  EXPECT_NE(notices[7].find("– gelernt"), std::string::npos) << notices[7];
}

// A digest keeps its numbers: a moderator's !digest (D1), then the weekly digest (D2) of the
// same room. "!lehre D1-1" and a reply to D2 say which digest is meant; a plain number is
// refused while two digests came close together, never taken from the wrong one.
TEST_F(DispatcherTest, LessonNumbersStayWithTheirDigestWhenTheWeeklyDigestComesInBetween) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  digests_.room_digests = true;
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  const std::int64_t written = kMonday0900 - 47 * kHour;
  sync(body("s1",
            {{kRoom, joined({message("$a", "@anna:example.org",
                                     "Masken viel zu spät bestellt #problem", "m.text", written),
                             message("$b", "@bernd:example.org",
                                     "Schutzausrüstung und Masken früher beschaffen #lehre",
                                     "m.text", written + 1000)})}}));
  // Monday 08:50: a moderator asks.
  now_ms_ = kMonday0900 - 10 * 60000;
  sync(body("s2", {{kRoom, joined({message("$m", "@anna:example.org", "!digest 3 Tage", "m.text",
                                           now_ms_)})}}));
  now_ms_ = kMonday0900;
  dispatcher_->tick();
  auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 2U);
  EXPECT_NE(notices[0].find(" · D1\n"), std::string::npos) << notices[0];
  EXPECT_NE(notices[1].find(" · D2\n"), std::string::npos) << notices[1];
  const auto d1 = *store::digest_numbered(*store_, kRoom, 1);
  const auto d2 = *store::digest_numbered(*store_, kRoom, 2);

  sync(body("s3", {{kRoom, joined({message("$l1", "@mod:example.org", "!lehre 1")})}}));
  notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 3U);
  EXPECT_NE(notices[2].find("D1 und D2"), std::string::npos) << notices[2];
  EXPECT_NE(notices[2].find("!lehre D2-1"), std::string::npos) << notices[2];
  EXPECT_TRUE(store::lessons(*store_, kRoom).empty());

  sync(body("s4", {{kRoom, joined({message("$l2", "@mod:example.org", "!lehre D1-1 Masken")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U) << notices_in(kRoom).back();
  EXPECT_EQ(lessons[0].sources, static_cast<int>(store::digest_group(*store_, d1.id, 1).size()));
  notices = notices_in(kRoom);
  EXPECT_NE(notices.back().find("(D1 Nr. 1, "), std::string::npos) << notices.back();

  // A reply to the weekly digest's message takes its numbers.
  for (const auto& item : store_->pending_outbox(1000)) {
    if (item.room_id == kRoom) store_->outbox_sent(item.id, "$sent-" + item.txn_id, now_ms_);
  }
  std::string weekly_event;
  {
    store::Statement find(store_->connection(),
                          "SELECT o.remote_event_id FROM outbox o JOIN digest_messages m "
                          "ON m.txn_id = o.txn_id WHERE m.digest_id = ?");
    find.bind(1, d2.id);
    ASSERT_TRUE(find.step());
    weekly_event = find.column_text(0);
  }
  const json reply = moderator_reply("$l3", "!lehre 1 Masken im Wochenbericht", weekly_event);
  sync(body("s5", {{kRoom, joined({reply})}}));
  lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 2U);
  EXPECT_EQ(lessons[1].title, "Masken im Wochenbericht");
  notices = notices_in(kRoom);
  EXPECT_NE(notices.back().find("(D2 Nr. 1, "), std::string::npos) << notices.back();
  // A digest number that does not exist here.
  sync(body("s6", {{kRoom, joined({message("$l4", "@mod:example.org", "!lehre D9-1")})}}));
  EXPECT_EQ(notices_in(kRoom).back(), "Einen Digest D9 gibt es in diesem Raum nicht (mehr).");
}

// With one digest in the room a plain number is clear.
TEST_F(DispatcherTest, APlainNumberTakesTheRoomsOnlyRecentDigest) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$d", "@anna:example.org", "!digest")})}}));
  sync(body("s2", {{kRoom, joined({message("$l", "@mod:example.org", "!lehre 1"),
                                   message("$x", "@mod:example.org", "!lehre 7")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 3U);
  EXPECT_EQ(notices[1].rfind("Lehre L", 0), 0U) << notices[1];
  EXPECT_NE(notices[1].find("(D1 Nr. 1, 2 Beiträge)."), std::string::npos) << notices[1];
  EXPECT_EQ(notices[2], "Der Digest D1 hat keine Nr. 7.");
}

// Moderators correct a digest's groups and the bot remembers: merged and renamed, the next
// digest shows one group under the new name; others may not; bad numbers are answered.
std::vector<json> two_themes_with_digest() {
  return {
      message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
      message("$b", "@bernd:example.org", "Schutzausrüstung und Masken früher beschaffen #lehre"),
      message("$c", "@carl:example.org", "Die Hotline war völlig überlastet #problem"),
      message("$e", "@dora:example.org", "Hotline und Bürgertelefon dauernd überlastet #lehre"),
      message("$d", "@anna:example.org", "!digest")};
}

TEST_F(DispatcherTest, MergedAndRenamedGroupsStayThatWayInTheNextDigest) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const auto d1 = *store::digest_numbered(*store_, kRoom, 1);
  ASSERT_EQ(store::digest_group(*store_, d1.id, 1), (std::vector<std::string>{"$a", "$b"}));
  ASSERT_EQ(store::digest_group(*store_, d1.id, 2), (std::vector<std::string>{"$c", "$e"}));

  sync(body("s2", {{kRoom, joined({message("$x", "@anna:example.org", "!merge D1-1 D1-2")})}}));
  EXPECT_NE(notices_in(kRoom).back().find("Moderation"), std::string::npos);
  EXPECT_TRUE(store::curated_groups(*store_, kRoom).empty());

  sync(body("s3",
            {{kRoom, joined({message("$m1", "@mod:example.org", "!zusammenführen D1-1 D1-2")})}}));
  auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 1U);
  EXPECT_EQ(curated[0].members, (std::vector<std::string>{"$a", "$b", "$c", "$e"}));
  auto answer = notices_in(kRoom).back();
  EXPECT_EQ(answer.rfind("D1-1 und D1-2 sind jetzt eine Gruppe:\n„", 0), 0U) << answer;
  EXPECT_NE(answer.find("4 Beiträge von 4 Personen"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Spätere Digests behalten das bei."), std::string::npos) << answer;

  sync(body("s4", {{kRoom, joined({message("$m2", "@mod:example.org",
                                           "!umbenennen D1-1 Beschaffung und Erreichbarkeit")})}}));
  curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 1U);
  EXPECT_EQ(curated[0].name, "Beschaffung und Erreichbarkeit");
  answer = notices_in(kRoom).back();
  EXPECT_EQ(answer.rfind("D1-1 heißt jetzt so:\n„Beschaffung und Erreichbarkeit“ · 4 Beiträge", 0),
            0U)
      << answer;

  sync(body("s5", {{kRoom, joined({message("$m3", "@mod:example.org", "!zusammenführen D1-1 D1-9"),
                                   message("$m4", "@mod:example.org", "!umbenennen D1-1"),
                                   message("$m5", "@mod:example.org", "!merge 1 1"),
                                   message("$m6", "@mod:example.org", "!rename D7-1 x")})}}));
  auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 4U);
  EXPECT_EQ(notices[notices.size() - 4], "Der Digest D1 hat keine Nr. 9.");
  EXPECT_EQ(notices[notices.size() - 3].rfind("So geht es: !umbenennen", 0), 0U);
  EXPECT_EQ(notices[notices.size() - 2],
            "Nennen Sie zwei verschiedene Gruppen, z. B. !zusammenführen D1-1 D1-2.");
  EXPECT_EQ(notices.back(), "Einen Digest D7 gibt es in diesem Raum nicht (mehr).");

  sync(body("s6", {{kRoom, joined({message("$d2", "@anna:example.org", "!digest")})}}));
  const std::string digest = notices_in(kRoom).back();
  EXPECT_NE(digest.find(" · D2\n"), std::string::npos) << digest;
  EXPECT_NE(digest.find("1. Beschaffung und Erreichbarkeit"), std::string::npos) << digest;
  const auto d2 = *store::digest_numbered(*store_, kRoom, 2);
  EXPECT_EQ(store::digest_group(*store_, d2.id, 1).size(), 4U);
  // A lesson from the corrected group: D2's number.
  sync(body("s7", {{kRoom, joined({message("$l", "@mod:example.org", "!lehre D2-1")})}}));
  const auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U);
  EXPECT_EQ(lessons[0].title, "Beschaffung und Erreichbarkeit");
  EXPECT_EQ(lessons[0].sources, 4);
}

TEST_F(DispatcherTest, AContributionMovesToAnotherGroupOrBecomesOneOfItsOwn) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const json move = moderator_reply("$v", "!verschieben D1-2", "$a");
  sync(body("s2", {{kRoom, joined({move})}}));
  auto answer = notices_in(kRoom).back();
  EXPECT_EQ(answer.rfind("Der Beitrag gehört jetzt zu D1-2:\n„", 0), 0U) << answer;
  EXPECT_NE(answer.find("3 Beiträge von 3 Personen"), std::string::npos) << answer;
  auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 2U);
  // The group it left is pinned without it; the one it joined holds it.
  EXPECT_EQ(curated[0].members, std::vector<std::string>{"$b"});
  EXPECT_EQ(curated[1].members, (std::vector<std::string>{"$a", "$c", "$e"}));

  const json split = moderator_reply("$s", "!split", "$e");
  sync(body("s3", {{kRoom, joined({split})}}));
  answer = notices_in(kRoom).back();
  EXPECT_EQ(answer.rfind("The contribution", 0), std::string::npos);
  EXPECT_EQ(answer.rfind("Der Beitrag ist jetzt eine eigene Gruppe:\n„", 0), 0U) << answer;
  EXPECT_NE(answer.find("1 Beitrag"), std::string::npos) << answer;
  curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 3U);
  EXPECT_EQ(curated[2].members, std::vector<std::string>{"$e"});

  // Errors: not a reply, not a contribution, refused for others.
  const json nowhere = moderator_reply("$v2", "!verschieben D1-1", "$nothing");
  json others = message("$v3", "@anna:example.org", "!abtrennen");
  others["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", "$b"}}}};
  sync(body("s4", {{kRoom,
                    joined({message("$s2", "@mod:example.org", "!abtrennen"), nowhere, others})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 3U);
  EXPECT_EQ(notices[notices.size() - 3], "So geht es: als Antwort auf einen Beitrag !abtrennen");
  EXPECT_EQ(notices[notices.size() - 2],
            "Die Nachricht, auf die Sie antworten, ist kein gesammelter Beitrag.");
  EXPECT_NE(notices.back().find("Moderation"), std::string::npos) << notices.back();
  EXPECT_EQ(store::curated_groups(*store_, kRoom).size(), 3U);
}

// A digest's number names its group as it is now: a correction made after that digest (a
// split, a move) is not undone by a later command that uses the same number.
TEST_F(DispatcherTest, ACommandWithAnOlderNumberKeepsTheCorrectionsMadeSince) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const json split = moderator_reply("$s", "!abtrennen", "$e");
  sync(body("s2", {{kRoom, joined({split})}}));
  sync(body("s3", {{kRoom, joined({message("$r", "@mod:example.org",
                                           "!umbenennen D1-2 Überlastete Hotline")})}}));
  auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 2U);
  // $e stays a group of its own; the renamed group is D1-2 without it.
  EXPECT_EQ(curated[0].members, std::vector<std::string>{"$c"});
  EXPECT_EQ(curated[0].name, "Überlastete Hotline");
  EXPECT_EQ(curated[1].members, std::vector<std::string>{"$e"});
  EXPECT_EQ(curated[1].name, "");

  // Moved away, then its old group moved elsewhere by the old number: it stays where it went.
  const json move = moderator_reply("$v", "!verschieben D1-2", "$a");
  sync(body("s4", {{kRoom, joined({move})}}));
  sync(body("s5",
            {{kRoom, joined({message("$m", "@mod:example.org", "!zusammenführen D1-1 D1-2")})}}));
  // D1-1 is $b now, D1-2 is $c with $a moved into it: one group; $e stays alone.
  std::vector<std::vector<std::string>> groups;
  for (auto group : store::curated_groups(*store_, kRoom)) {
    std::sort(group.members.begin(), group.members.end());
    groups.push_back(group.members);
  }
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"$a", "$b", "$c"}, {"$e"}}));

  // A group whose contributions were all moved out since is answered so.
  const json split_b = moderator_reply("$v2", "!abtrennen", "$b");
  sync(body("s6", {{kRoom, joined({split_b})}}));
  sync(body("s7", {{kRoom, joined({message("$r2", "@mod:example.org", "!umbenennen D1-1 x")})}}));
  EXPECT_EQ(notices_in(kRoom).back(),
            "Die Beiträge von D1-1 sind inzwischen alle in anderen Gruppen. Ein neuer Digest "
            "(!digest) zeigt die Gruppen, wie sie jetzt sind.");
}

// Pins made before a digest are part of its groups: a later digest's group of a corrected group
// and new contributions is renamed as one, not taken apart.
TEST_F(DispatcherTest, AGroupOfACorrectedGroupAndNewContributionsStaysOne) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2",
            {{kRoom, joined({message("$m", "@mod:example.org", "!umbenennen D1-1 Masken")})}}));
  now_ms_ += 60'000;
  sync(body(
      "s3",
      {{kRoom,
        joined(
            {message("$n1", "@carl:example.org", "Masken und Schutzausrüstung fehlten #problem"),
             message("$n2", "@dora:example.org", "Wieder zu wenige Masken bestellt #problem"),
             message("$n3", "@emil:example.org", "Masken zu spät, Schutzausrüstung knapp #lehre"),
             message("$d2", "@anna:example.org", "!digest")})}}));
  const auto d2 = *store::digest_numbered(*store_, kRoom, 2);
  ASSERT_EQ(store::digest_group(*store_, d2.id, 1).size(), 5U) << notices_in(kRoom).back();
  now_ms_ += 60'000;
  sync(body("s4", {{kRoom, joined({message("$r", "@mod:example.org",
                                           "!umbenennen D2-1 Masken und Schutzausrüstung")})}}));
  const auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 1U);
  EXPECT_EQ(curated[0].members.size(), 5U);
  EXPECT_EQ(curated[0].name, "Masken und Schutzausrüstung");
}

// A merge made by mistake is undone: the contributions that should not have joined are split
// off, the complete digest numbers them, and one is moved to the other by that number.
TEST_F(DispatcherTest, AMistakenMergeIsUndoneBySplittingAndMoving) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2",
            {{kRoom, joined({message("$m", "@mod:example.org", "!zusammenführen D1-1 D1-2")})}}));
  for (const std::string event : {"$b", "$a"}) {
    json split = message("$s" + event, "@mod:example.org", "!abtrennen");
    split["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", event}}}};
    sync(body("s3" + event, {{kRoom, joined({split})}}));
  }
  sync(body("s4", {{kRoom, joined({message("$all", "@mod:example.org", "!digest D1")})}}));
  const std::optional<int> number_of_a = number_in(2, {"$a"});
  ASSERT_TRUE(number_of_a.has_value()) << notices_in(kRoom).back();
  const json move = moderator_reply("$v", "!verschieben D2-" + std::to_string(*number_of_a), "$b");
  sync(body("s5", {{kRoom, joined({move})}}));
  const auto answer = notices_in(kRoom).back();
  EXPECT_EQ(answer.rfind("Der Beitrag gehört jetzt zu D2-", 0), 0U) << answer;
  std::vector<std::vector<std::string>> groups;
  for (auto group : store::curated_groups(*store_, kRoom)) {
    std::sort(group.members.begin(), group.members.end());
    groups.push_back(group.members);
  }
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"$a", "$b"}, {"$c", "$e"}}));
}

// Corrections answer wrong numbers in their own terms: a bare number after two digests asks
// for the digest (not with !lehre), two digests' groups cannot merge, a contribution already in
// the group stays.
TEST_F(DispatcherTest, CorrectionsExplainWhatIsWrongWithTheirNumbers) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2", {{kRoom, joined({message("$d2", "@anna:example.org", "!digest")})}}));
  const json move = moderator_reply("$v", "!verschieben D1-2", "$c");
  sync(body("s3", {{kRoom, joined({message("$m1", "@mod:example.org", "!zusammenführen 1 2"),
                                   message("$m2", "@mod:example.org", "!zusammenführen D1-1 D2-2"),
                                   move})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 3U);
  const std::string& which = notices[notices.size() - 3];
  EXPECT_EQ(which.find("!lehre"), std::string::npos) << which;
  EXPECT_NE(which.find("D2-1"), std::string::npos) << which;
  EXPECT_EQ(notices[notices.size() - 2],
            "Beide Gruppen müssen aus demselben Digest sein, z. B. !zusammenführen D2-1 D2-2.");
  EXPECT_EQ(notices.back(), "Der Beitrag gehört schon zu D1-2.");
  EXPECT_TRUE(store::curated_groups(*store_, kRoom).empty());
}

// A group's new name is shown as a quote is: one line, no Matrix id, cut at a word with "…";
// a name with nothing readable left is refused.
TEST_F(DispatcherTest, AGroupsNameIsCleanedAsQuotesAre) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  std::string long_name = "Hotline";
  for (int i = 0; i < 100; ++i) long_name += " und Telefon";
  sync(body(
      "s2",
      {{kRoom, joined({message("$r1", "@mod:example.org",
                               "!umbenennen D1-2 Hotline, fragt @ben:example.org "
                               "#raum:example.org\nZeile zwei"),
                       message("$r2", "@mod:example.org", "!umbenennen D1-1 @ben:example.org"),
                       message("$r3", "@mod:example.org", "!umbenennen D1-1 " + long_name)})}}));
  const auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 2U);
  const auto& hotline = curated[0].members.front() == "$c" ? curated[0] : curated[1];
  const auto& masks = curated[0].members.front() == "$c" ? curated[1] : curated[0];
  EXPECT_EQ(hotline.name.find("@ben"), std::string::npos) << hotline.name;
  EXPECT_EQ(hotline.name.find("example.org"), std::string::npos) << hotline.name;
  EXPECT_EQ(hotline.name.find('\n'), std::string::npos) << hotline.name;
  EXPECT_NE(hotline.name.find("Zeile zwei"), std::string::npos) << hotline.name;
  EXPECT_LE(masks.name.size(), 203U);
  EXPECT_TRUE(masks.name.ends_with("…")) << masks.name;
  const auto notices = notices_in(kRoom);
  EXPECT_EQ(notices[notices.size() - 2].rfind("So geht es: !umbenennen", 0), 0U)
      << notices[notices.size() - 2] << "|" << notices.back();
}

// A complete digest numbers every entry, single contributions too, so that a moderator can
// put two single contributions together (or take a lesson from one).
TEST_F(DispatcherTest, ACompleteDigestNumbersSingleContributionsForCorrections) {
  seed_room(kRoom);
  auto messages = two_themes_with_digest();
  messages.insert(
      messages.end() - 1,
      {message("$k", "@anna:example.org", "Die Kantine im Rathaus war zwei Jahre zu #personal"),
       message("$f", "@bernd:example.org",
               "Die Stadtbibliothek führte einen Abholservice ein #kommunikation")});
  sync(body("s1", {{kRoom, joined(messages)}}));
  sync(body("s2", {{kRoom, joined({message("$all", "@mod:example.org", "!digest D1")})}}));
  const std::string complete = notices_in(kRoom).back();
  ASSERT_NE(complete.find("vollständig"), std::string::npos) << complete;
  const auto d2 = *store::digest_numbered(*store_, kRoom, 2);
  std::optional<int> kantine;
  for (int n = 1; n <= 6; ++n) {
    if (store::digest_group(*store_, d2.id, n) == std::vector<std::string>{"$k"}) kantine = n;
    EXPECT_LE(store::digest_group(*store_, d2.id, n).size(), 2U) << n << "\n" << complete;
  }
  ASSERT_TRUE(kantine.has_value()) << complete;
  EXPECT_NE(complete.find(std::to_string(*kantine) + ". „Die Kantine im Rathaus"),
            std::string::npos)
      << complete;
  const json move = moderator_reply("$v", "!verschieben D2-" + std::to_string(*kantine), "$f");
  sync(body("s3", {{kRoom, joined({move})}}));
  const auto curated = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(curated.size(), 1U) << notices_in(kRoom).back();
  auto members = curated[0].members;
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"$f", "$k"}));
}

// A lesson by an older number takes the group as it is now: a contribution moved out since is
// not its source, and the title is not the name of the group it went to.
TEST_F(DispatcherTest, ALessonByAnOlderNumberKeepsTheCorrectionsMadeSince) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const json move = moderator_reply("$v", "!verschieben D1-2", "$a");
  sync(body("s2", {{kRoom, joined({move})}}));
  sync(body("s3",
            {{kRoom, joined({message("$r", "@mod:example.org", "!umbenennen D1-2 Hotline")})}}));
  sync(body("s4", {{kRoom, joined({message("$l", "@mod:example.org", "!lehre D1-1")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U) << notices_in(kRoom).back();
  EXPECT_EQ(lessons[0].sources, 1);
  EXPECT_NE(lessons[0].title, "Hotline");

  // All of D1-1 moved away since: said so, no lesson.
  const json move_b = moderator_reply("$v2", "!verschieben D1-2", "$b");
  sync(body("s5", {{kRoom, joined({move_b})}}));
  sync(body("s6", {{kRoom, joined({message("$l2", "@mod:example.org", "!lehre D1-1")})}}));
  EXPECT_EQ(store::lessons(*store_, kRoom).size(), 1U);
  EXPECT_EQ(notices_in(kRoom).back(),
            "Die Beiträge von D1-1 sind inzwischen alle in anderen Gruppen. Ein neuer Digest "
            "(!digest) zeigt die Gruppen, wie sie jetzt sind.");
}

// A contribution that is a group of its own already stays as it is: said so, and no move is
// recorded (its number in a digest since stays valid).
TEST_F(DispatcherTest, SplittingAContributionThatIsAloneAlreadyChangesNothing) {
  seed_room(kRoom);
  auto messages = two_themes_with_digest();
  messages.insert(
      messages.end() - 1,
      message("$k", "@anna:example.org", "Die Kantine im Rathaus war zwei Jahre zu #personal"));
  sync(body("s1", {{kRoom, joined(messages)}}));
  const json split = moderator_reply("$s", "!abtrennen", "$e");
  sync(body("s2", {{kRoom, joined({split})}}));
  now_ms_ += 60'000;
  sync(body("s3", {{kRoom, joined({message("$all", "@mod:example.org", "!digest D1")})}}));
  const std::optional<int> number_of_e = number_in(2, {"$e"});
  ASSERT_TRUE(number_of_e.has_value()) << notices_in(kRoom).back();
  const auto before = store::curated_groups(*store_, kRoom);

  now_ms_ += 60'000;
  const json again = moderator_reply("$s2", "!abtrennen", "$e");
  const json alone = moderator_reply("$s3", "!abtrennen", "$k");
  sync(body("s4", {{kRoom, joined({again, alone})}}));
  auto notices = notices_in(kRoom);
  EXPECT_EQ(notices[notices.size() - 2], "Der Beitrag ist schon eine eigene Gruppe.");
  EXPECT_EQ(notices.back(), "Der Beitrag ist schon eine eigene Gruppe.");
  // No move recorded: for D2, $e was not moved since.
  EXPECT_TRUE(
      store::moved_since(*store_, *store::digest_numbered(*store_, kRoom, 2), {"$e"}).empty());
  const auto after = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].members, before[i].members);

  sync(body("s5", {{kRoom, joined({message("$r", "@mod:example.org",
                                           "!umbenennen D2-" + std::to_string(*number_of_e) +
                                               " Erreichbarkeit der Verwaltung")})}}));
  EXPECT_EQ(
      notices_in(kRoom).back().rfind("D2-" + std::to_string(*number_of_e) + " heißt jetzt", 0), 0U)
      << notices_in(kRoom).back();
}

// Moving a contribution into the group it is in, or merging groups that are one already,
// changes nothing and says so.
TEST_F(DispatcherTest, MovingOrMergingWhatIsTogetherAlreadyChangesNothing) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const json move = moderator_reply("$v", "!verschieben D1-2", "$a");
  sync(body("s2", {{kRoom, joined({move})}}));
  const auto moved = store::curated_groups(*store_, kRoom);
  now_ms_ += 60'000;
  const json again = moderator_reply("$v2", "!verschieben D1-2", "$a");
  sync(body("s3", {{kRoom, joined({again})}}));
  EXPECT_EQ(notices_in(kRoom).back(), "Der Beitrag gehört schon zu D1-2.");
  const auto unchanged = store::curated_groups(*store_, kRoom);
  ASSERT_EQ(unchanged.size(), moved.size());
  for (std::size_t i = 0; i < moved.size(); ++i) EXPECT_EQ(unchanged[i].members, moved[i].members);

  sync(body("s4",
            {{kRoom, joined({message("$m1", "@mod:example.org", "!zusammenführen D1-1 D1-2")})}}));
  EXPECT_EQ(notices_in(kRoom).back().rfind("D1-1 und D1-2 sind jetzt eine Gruppe", 0), 0U);
  sync(body("s5",
            {{kRoom, joined({message("$m2", "@mod:example.org", "!zusammenführen D1-1 D1-2")})}}));
  EXPECT_EQ(notices_in(kRoom).back(), "D1-1 und D1-2 sind schon eine Gruppe.");
  // $b was listed in D1-1 and is in the merged group: it belongs to D1-2 already.
  const json into = moderator_reply("$v3", "!verschieben D1-2", "$b");
  sync(body("s6", {{kRoom, joined({into})}}));
  EXPECT_EQ(notices_in(kRoom).back(), "Der Beitrag gehört schon zu D1-2.");
  ASSERT_EQ(store::curated_groups(*store_, kRoom).size(), 1U);
  EXPECT_EQ(store::curated_groups(*store_, kRoom)[0].members.size(), 4U);
}

// Numbers a digest does not have, and one group named twice, are answered in those terms.
TEST_F(DispatcherTest, AGroupZeroAndOneGroupNamedTwiceAreAnsweredSo) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2", {{kRoom, joined({message("$r", "@mod:example.org", "!umbenennen D1-0 Masken"),
                                   message("$m", "@mod:example.org", "!zusammenführen D1-1 D1-1"),
                                   message("$l", "@mod:example.org", "!lehre D1-0")})}}));
  const auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 3U);
  EXPECT_EQ(notices[notices.size() - 3], "Der Digest D1 hat keine Nr. 0.");
  EXPECT_EQ(notices[notices.size() - 2],
            "Nennen Sie zwei verschiedene Gruppen, z. B. !zusammenführen D1-1 D1-2.");
  EXPECT_EQ(notices.back(), "Der Digest D1 hat keine Nr. 0.");
  EXPECT_TRUE(store::curated_groups(*store_, kRoom).empty());
  EXPECT_TRUE(store::lessons(*store_, kRoom).empty());
}

// A single contribution a moderator named shows its name in the next digests; one without a
// name is titled by its own words, not by a pair of its nouns; a name typed as a hashtag starts
// with a capital letter.
TEST_F(DispatcherTest, SingleContributionsAreTitledByTheirNameOrTheirWords) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  const json split = moderator_reply("$s", "!abtrennen", "$e");
  sync(body("s2", {{kRoom, joined({split})}}));
  EXPECT_EQ(notices_in(kRoom).back().rfind(
                "Der Beitrag ist jetzt eine eigene Gruppe:\n„Hotline und Bürgertelefon dauernd "
                "überlastet“ · ",
                0),
            0U)
      << notices_in(kRoom).back();
  now_ms_ += 60'000;
  sync(body("s3", {{kRoom, joined({message("$all", "@mod:example.org", "!digest D1")})}}));
  const std::optional<int> number_of_e = number_in(2, {"$e"});
  ASSERT_TRUE(number_of_e.has_value()) << notices_in(kRoom).back();
  sync(body("s4", {{kRoom, joined({message("$r", "@mod:example.org",
                                           "!umbenennen D2-" + std::to_string(*number_of_e) +
                                               " #erreichbarkeit der Verwaltung")})}}));
  const auto curated = store::curated_groups(*store_, kRoom);
  const auto named = std::find_if(curated.begin(), curated.end(), [](const auto& group) {
    return group.members == std::vector<std::string>{"$e"};
  });
  ASSERT_NE(named, curated.end());
  EXPECT_EQ(named->name, "Erreichbarkeit der Verwaltung");
  now_ms_ += 60'000;
  sync(body("s5", {{kRoom, joined({message("$d3", "@anna:example.org", "!digest")})}}));
  const std::string digest = notices_in(kRoom).back();
  // Its name above its quote, as in the complete digest's single contributions (no count line:
  // it is one contribution).
  EXPECT_NE(digest.find("Erreichbarkeit der Verwaltung\n   „Hotline und Bürgertelefon"),
            std::string::npos)
      << digest;
}

// A number names its group as it is now also for a lesson: what was moved or merged into the
// group since is one of its sources (as the answer to the correction showed it).
TEST_F(DispatcherTest, ALessonByANumberTakesWhatWasMovedOrMergedIntoItSince) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2", {{kRoom, joined({moderator_reply("$v", "!verschieben D1-2", "$a")})}}));
  ASSERT_EQ(notices_in(kRoom).back().rfind("Der Beitrag gehört jetzt zu D1-2:", 0), 0U);
  sync(body("s3", {{kRoom, joined({message("$l", "@mod:example.org", "!lehre D1-2")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U) << notices_in(kRoom).back();
  EXPECT_EQ(lessons[0].sources, 3);
  sync(body("s4", {{kRoom, joined({message("$m", "@mod:example.org", "!zusammenführen D1-1 D1-2"),
                                   message("$l2", "@mod:example.org", "!lehre D1-1")})}}));
  lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 2U) << notices_in(kRoom).back();
  const auto merged = lessons[0].id > lessons[1].id ? lessons[0] : lessons[1];
  EXPECT_EQ(merged.sources, 4);
}

// A name or a lesson title typed in quotation marks loses them (the answers quote it); a
// lesson from one contribution takes the name a moderator gave it alone, never its sentence (a
// lesson outlives its sources: forget-me must not leave a person's words in it).
TEST_F(DispatcherTest, NamesTypedInQuotesAndLessonsFromOneContribution) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  {
    store::BatchScope batch(*store_);
    const std::int64_t alone = batch.curate_alone(kRoom, "$e", core::TimePoint{});
    batch.rename_curated(alone, "Erreichbarkeit", core::TimePoint{});
    batch.commit();
  }
  sync(body(
      "s2",
      {{kRoom,
        joined(
            {message("$r1", "@mod:example.org", "!umbenennen D1-1 „Masken und Schutzausrüstung“"),
             message("$r2", "@mod:example.org", "!umbenennen D1-2 \"Hotline\""),
             message("$l1", "@mod:example.org", "!lehre D1-1 “Masken früher bestellen”"),
             moderator_reply("$l2", "!lehre", "$a"), moderator_reply("$l3", "!lehre", "$e")})}}));
  std::vector<std::string> names;
  for (const auto& group : store::curated_groups(*store_, kRoom)) names.push_back(group.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"Erreichbarkeit", "Hotline", "Masken und Schutzausrüstung"}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 3U);
  std::sort(lessons.begin(), lessons.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(lessons[0].title, "Masken früher bestellen");
  // $a is in the renamed group with $b: not that group's name, and not its own sentence.
  EXPECT_NE(lessons[1].title, "Masken und Schutzausrüstung");
  EXPECT_EQ(lessons[1].title.find("viel zu spät"), std::string::npos) << lessons[1].title;
  EXPECT_EQ(lessons[2].title, "Erreichbarkeit");
}

// A lesson recorded a second time under a title the room has (the same group twice, or the
// same words): recorded, with a hint at the other one and how to remove the new one.
TEST_F(DispatcherTest, ALessonWithATitleTheRoomHasAlreadyIsPointedOut) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2", {{kRoom, joined({message("$l1", "@mod:example.org", "!lehre D1-1 Masken"),
                                   message("$l2", "@mod:example.org", "!lehre D1-2 Hotline"),
                                   message("$l3", "@mod:example.org", "!lehre D1-1 masken")})}}));
  const auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 3U);
  const auto notices = notices_in(kRoom);
  EXPECT_EQ(notices[notices.size() - 2], "Lehre L" + std::to_string(lessons[1].id) +
                                             " festgehalten: „Hotline“ (D1 Nr. 2, 2 Beiträge).");
  EXPECT_EQ(notices.back(), "Lehre L" + std::to_string(lessons[2].id) +
                                " festgehalten: „masken“ (D1 Nr. 1, 2 Beiträge).\nL" +
                                std::to_string(lessons[0].id) +
                                " hat denselben Titel. Falls doppelt: !entfernen L" +
                                std::to_string(lessons[2].id));
}

// A curated group lasts across digests: a lesson by an older number takes what was moved into
// the group later only if it was written in that digest's period.
TEST_F(DispatcherTest, ALessonByANumberTakesOnlyItsDigestsPeriod) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2",
            {{kRoom, joined({message("$r", "@mod:example.org", "!umbenennen D1-1 Masken")})}}));
  now_ms_ += 8 * 24 * kHour;
  sync(body(
      "s3",
      {{kRoom, joined({message("$n", "@emil:example.org", "Wieder fehlten Masken im Lager #problem",
                               "m.text", now_ms_)})}}));
  sync(body("s4", {{kRoom, joined({moderator_reply("$v", "!verschieben D1-1", "$n")})}}));
  ASSERT_EQ(notices_in(kRoom).back().rfind("Der Beitrag gehört jetzt zu D1-1", 0), 0U)
      << notices_in(kRoom).back();
  sync(body("s5", {{kRoom, joined({message("$l", "@mod:example.org", "!lehre D1-1")})}}));
  const auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U) << notices_in(kRoom).back();
  EXPECT_EQ(lessons[0].sources, 2);
}

// A new contribution that a digest lists alone by its number may still sit in a corrected group
// (through that group's older members): splitting it off is a change, not "schon".
TEST_F(DispatcherTest, SplittingOffANewContributionOfACorrectedGroupIsAChange) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined(two_themes_with_digest())}}));
  sync(body("s2", {{kRoom, joined({message("$r", "@mod:example.org",
                                           "!umbenennen D1-1 Beschaffungsproblem")})}}));
  now_ms_ += 8 * 24 * kHour;
  sync(body("s3", {{kRoom, joined({message("$w", "@emil:example.org",
                                           "Masken und Schutzausrüstung wieder zu spät beschafft "
                                           "#problem",
                                           "m.text", now_ms_),
                                   message("$d2", "@anna:example.org", "!digest")})}}));
  sync(body("s4", {{kRoom, joined({message("$all", "@mod:example.org", "!digest D2")})}}));
  const std::string complete = notices_in(kRoom).back();
  ASSERT_NE(complete.find("Beschaffungsproblem"), std::string::npos) << complete;
  ASSERT_TRUE(number_in(3, {"$w"}).has_value()) << complete;
  sync(body("s5", {{kRoom, joined({moderator_reply("$s", "!abtrennen", "$w")})}}));
  EXPECT_EQ(notices_in(kRoom).back().rfind("Der Beitrag ist jetzt eine eigene Gruppe", 0), 0U)
      << notices_in(kRoom).back();
}

TEST_F(DispatcherTest, ALessonFromAReplyToAContribution) {
  seed_room(kRoom);
  sync(body("s1", {{kRoom, joined({message("$a", "@anna:example.org",
                                           "Bürgertelefon war völlig überlastet #problem")})}}));
  const json reply = moderator_reply("$r", "!lehre Hotline skalieren", "$a");
  const json not_collected = moderator_reply("$r2", "!lehre", "$nothing");
  sync(body("s2", {{kRoom, joined({reply, not_collected})}}));
  const auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U);
  EXPECT_EQ(lessons[0].title, "Hotline skalieren");
  const auto notices = notices_in(kRoom);
  ASSERT_EQ(notices.size(), 2U);
  EXPECT_EQ(notices[1], "Die Nachricht, auf die Sie antworten, ist kein gesammelter Beitrag.");
}

TEST_F(DispatcherTest, TheWeeklyDigestIsPostedOnceAtItsTimeAndNotAgainAfterARestart) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;  // Saturday: the schedule is seen for the first time
  ASSERT_EQ(dispatcher_->next_wakeup(), core::TimePoint(std::chrono::milliseconds(kMonday0900)));
  sync(body("s1", {{kRoom, joined({message("$a", "@anna:example.org", "Funk fiel aus #problem",
                                           "m.text", kMonday0900 - 47 * kHour)})}}));
  now_ms_ = kMonday0900 - 1;
  dispatcher_->tick();
  EXPECT_TRUE(notices_in(kNetwork).empty());
  now_ms_ = kMonday0900;
  dispatcher_->tick();
  auto notices = notices_in(kNetwork);
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0].rfind("Digest des Netzwerks · 13.11.2023 – 19.11.2023", 0), 0U)
      << notices[0];
  EXPECT_NE(notices[0].find("1 Beitrag von 1 Person aus 1 Stadt: Köln."), std::string::npos);
  EXPECT_TRUE(notices_in(kRoom).empty());  // room digests are not configured
  dispatcher_->tick();
  restart();
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 1U);
  EXPECT_EQ(dispatcher_->next_wakeup(),
            core::TimePoint(std::chrono::milliseconds(kMonday0900 + 7 * 24 * kHour)));
}

TEST_F(DispatcherTest, AWeeklyDigestMissedDuringAnOutageIsPostedOnceOnRestart) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  digests_.room_digests = true;
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  sync(body("s1", {{kRoom, joined({message("$a", "@anna:example.org", "Funk fiel aus #problem",
                                           "m.text", kMonday0900 - 47 * kHour)})}}));
  // Down from Sunday to Wednesday after the slot.
  now_ms_ = kMonday0900 + 50 * kHour;
  restart();
  EXPECT_EQ(dispatcher_->next_wakeup(), core::TimePoint(std::chrono::milliseconds(now_ms_)));
  dispatcher_->tick();
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 1U);
  ASSERT_EQ(notices_in(kRoom).size(), 1U);
  EXPECT_EQ(notices_in(kRoom)[0].rfind("Digest für Köln · 13.11.2023 – 19.11.2023", 0), 0U);
  EXPECT_TRUE(notices_in(kLeipzig).empty());  // nothing was collected there
}

// The weekly digest's chart: a PNG after the text, with its size and an alt text in words. A
// theme that recurs across cities is drawn; a week of single contributions gets text only.
TEST_F(DispatcherTest, TheWeeklyDigestIsFollowedByItsChartWhenAThemeRecurs) {
  seed_room(kRoom);
  seed_room(kLeipzig);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  digests_.room_digests = true;
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  const std::int64_t at = kMonday0900 - 47 * kHour;
  sync(body("s1",
            {{kRoom, joined({message("$a", "@anna:example.org",
                                     "Die Einarbeitung neuer Kolleginnen im Krisenstab dauerte zu "
                                     "lange #personal",
                                     "m.text", at),
                             message("$b", "@ben:example.org",
                                     "Neue Kolleginnen im Krisenstab brauchten Wochen zur "
                                     "Einarbeitung #personal",
                                     "m.text", at + 1000)})},
             {kLeipzig, joined({message("$c", "@cem:example.org",
                                        "Einarbeitung der neuen Kolleginnen: viel zu lange "
                                        "#personal",
                                        "m.text", at + 2000)})}}));
  now_ms_ = kMonday0900;
  dispatcher_->tick();

  const auto notices = notices_in(kNetwork);
  ASSERT_FALSE(notices.empty());
  const auto images = images_in(kNetwork);
  ASSERT_EQ(images.size(), 1U);
  const QueuedImage& image = images[0];
  EXPECT_EQ(image.position, notices.size());  // after the digest's text
  EXPECT_EQ(image.content["msgtype"], "m.image");
  EXPECT_EQ(image.content["filename"], "themen-2023-11-13.png");
  EXPECT_EQ(image.content["info"]["mimetype"], "image/png");
  EXPECT_EQ(image.content["info"]["size"], image.bytes.size());
  ASSERT_GT(image.bytes.size(), 24U);
  EXPECT_EQ(image.bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Width and height as the PNG's header says them.
  const auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(image.bytes[at]) << 24) |
           (static_cast<unsigned char>(image.bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(image.bytes[at + 2]) << 8) |
           static_cast<unsigned char>(image.bytes[at + 3]);
  };
  EXPECT_EQ(image.content["info"]["w"], be32(16));
  EXPECT_EQ(image.content["info"]["h"], be32(20));
  EXPECT_LE(be32(16), 1000U);
  const auto alt = image.content["body"].get<std::string>();
  EXPECT_NE(alt.find("Köln"), std::string::npos) << alt;
  EXPECT_NE(alt.find("Leipzig"), std::string::npos) << alt;
  EXPECT_FALSE(image.content.contains("url"));  // the outbox adds it after the upload

  // Each room's own weekly digest has its chart too; the week is posted once, with one picture.
  EXPECT_EQ(images_in(kRoom).size(), 1U);
  dispatcher_->tick();
  restart();
  dispatcher_->tick();
  EXPECT_EQ(images_in(kNetwork).size(), 1U);
}

TEST_F(DispatcherTest, AWeekOfSingleContributionsGetsItsDigestWithoutAChart) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  sync(body("s1", {{kRoom, joined({message("$a", "@anna:example.org", "Funk fiel aus #problem",
                                           "m.text", kMonday0900 - 47 * kHour)})}}));
  now_ms_ = kMonday0900;
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 1U);
  EXPECT_TRUE(images_in(kNetwork).empty());
}

// !digest in a city's room answers with text only; in the network room with the chart too, once
// per digest (not again with its complete text).
TEST_F(DispatcherTest, OnlyTheNetworkRoomsDigestOnRequestHasAChart) {
  seed_room(kRoom);
  seed_room(kNetwork);
  const std::int64_t at = now_ms_ - 3600000;
  sync(body("s1", {{kRoom,
                    joined({message("$a", "@anna:example.org",
                                    "Die Einarbeitung neuer Kolleginnen dauerte zu lange #personal",
                                    "m.text", at),
                            message("$b", "@ben:example.org",
                                    "Neue Kolleginnen brauchten Wochen zur Einarbeitung #personal",
                                    "m.text", at + 1000)})}}));
  sync(body("s2", {{kRoom, joined({message("$d1", "@mod:example.org", "!digest")})}}));
  EXPECT_FALSE(notices_in(kRoom).empty());
  EXPECT_TRUE(images_in(kRoom).empty());
  sync(body("s3", {{kNetwork, joined({message("$d2", "@mod:example.org", "!digest")})}}));
  EXPECT_FALSE(notices_in(kNetwork).empty());
  EXPECT_EQ(images_in(kNetwork).size(), 1U);

  // The complete text of that digest (!digest D1) has no second picture of the same period.
  sync(body("s3b", {{kNetwork, joined({message("$d2b", "@mod:example.org", "!digest D1")})}}));
  EXPECT_EQ(images_in(kNetwork).size(), 1U);

  // Switched off (digest.chart: false): text only.
  digests_.chart = false;
  restart();
  sync(body("s4", {{kNetwork, joined({message("$d3", "@mod:example.org", "!digest")})}}));
  EXPECT_EQ(images_in(kNetwork).size(), 1U);
}

// A week with nothing collected: no room gets a digest, the network room one line saying so.
TEST_F(DispatcherTest, AnEmptyWeekPostsNoRoomDigestsAndOneLineToTheNetwork) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  digests_.room_digests = true;
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  now_ms_ = kMonday0900;
  dispatcher_->tick();
  EXPECT_TRUE(notices_in(kRoom).empty());
  EXPECT_TRUE(notices_in(kLeipzig).empty());
  const auto network = notices_in(kNetwork);
  ASSERT_EQ(network.size(), 1U);
  EXPECT_EQ(network[0],
            "Digest des Netzwerks · 13.11.2023 – 19.11.2023\n"
            "In diesem Zeitraum wurde nichts gesammelt.");
  // The week counts as posted.
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 1U);
}

// The admin moves the weekly digest from 09:00 to 10:00 after this week's was posted: the week
// is not posted again.
TEST_F(DispatcherTest, MovingTheDigestsTimeDoesNotPostTheWeekAgain) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  restart();
  now_ms_ = kMonday0900 - 48 * kHour;
  dispatcher_->next_wakeup();
  sync(body("s1", {{kRoom, joined({message("$a", "@anna:example.org", "Funk fiel aus #problem",
                                           "m.text", kMonday0900 - 47 * kHour)})}}));
  now_ms_ = kMonday0900;
  dispatcher_->tick();
  ASSERT_EQ(notices_in(kNetwork).size(), 1U);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(10), digests_.zone};
  now_ms_ = kMonday0900 + kHour / 2;
  restart();
  EXPECT_EQ(dispatcher_->next_wakeup(),
            core::TimePoint(std::chrono::milliseconds(kMonday0900 + kHour + 7 * 24 * kHour)));
  now_ms_ = kMonday0900 + kHour;
  dispatcher_->tick();
  now_ms_ = kMonday0900 + 3 * kHour;
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 1U);
  now_ms_ = kMonday0900 + kHour + 7 * 24 * kHour;
  dispatcher_->tick();
  EXPECT_EQ(notices_in(kNetwork).size(), 2U);
}

TEST_F(DispatcherTest, AFreshInstallDoesNotPostLastWeeksDigest) {
  seed_room(kRoom);
  digests_.schedule =
      core::WeeklySchedule{std::chrono::Monday, std::chrono::hours(9), digests_.zone};
  restart();
  now_ms_ = kMonday0900 + 2 * kHour;  // first start, two hours after a slot
  dispatcher_->tick();
  EXPECT_TRUE(notices_in(kNetwork).empty());
  EXPECT_EQ(dispatcher_->next_wakeup(),
            core::TimePoint(std::chrono::milliseconds(kMonday0900 + 7 * 24 * kHour)));
}

// --- Direct chats, anonymous posts and the rooms they may reach (issue 12) ---

const std::string kDirect = "!direkt-anna:example.org";
const std::string kAnna = "@anna:example.org";
const std::string kUnconfigured = "!fremd:example.org";

json direct_invite(const std::string& inviter) {
  return json{{"invite_state",
               {{"events",
                 {{{"type", "m.room.member"},
                   {"sender", inviter},
                   {"state_key", kBot},
                   {"content", {{"membership", "invite"}, {"is_direct", true}}}}}}}}};
}

class DirectChatTest : public DispatcherTest {
 protected:
  // Joined rooms with their members, as the synced state and the fetched member lists give them.
  void seed_members(const std::string& room_id, const std::vector<std::string>& members,
                    bool direct = false, const std::string& name = "") {
    store::BatchScope seed(*store_);
    store::RoomRecord room;
    room.room_id = room_id;
    room.membership = "join";
    room.direct = direct;
    room.name = name;
    room.authority = {"", {}, true, {{"@mod:example.org", 100}}, 0};
    seed.put_room(room);
    seed.replace_members(room_id, members);
    seed.set_sync_token("s0");
    seed.commit();
  }

  void seed_network() {
    seed_members(kRoom, {kBot, kAnna, "@mod:example.org"});
    seed_members(kLeipzig, {kBot, "@bert:example.org"});
    seed_members(kDirect, {kBot, kAnna}, true);
  }

  // Every row of every table, as text, with the table's name first.
  std::vector<std::string> all_rows() {
    std::vector<std::string> tables;
    store::Statement list(store_->connection(),
                          "SELECT name FROM sqlite_master WHERE type = 'table'");
    while (list.step()) tables.push_back(list.column_text(0));
    std::vector<std::string> rows;
    for (const auto& table : tables) {
      store::Statement select(store_->connection(), "SELECT * FROM \"" + table + "\"");
      while (select.step()) {
        std::string row = table;
        for (int i = 0; i < select.column_count(); ++i) row += "|" + select.column_text(i);
        rows.push_back(row);
      }
    }
    return rows;
  }

  // Every number in the store that could be a time (ms since the epoch), by table.
  std::vector<std::pair<std::string, std::int64_t>> all_times() {
    std::vector<std::pair<std::string, std::int64_t>> times;
    for (const auto& row : all_rows()) {
      const std::string table = row.substr(0, row.find('|'));
      std::size_t at = row.find('|');
      while (at != std::string::npos) {
        const std::size_t next = row.find('|', at + 1);
        const std::string cell =
            row.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
        if (cell.size() == 13 && cell.find_first_not_of("0123456789") == std::string::npos) {
          times.emplace_back(table, std::stoll(cell));
        }
        at = next;
      }
    }
    return times;
  }

  std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

TEST_F(DirectChatTest, APlainMessageInADirectChatIsAnsweredOnceADay) {
  seed_network();
  now_ms_ = 1699963200000;  // 14.11.2023, 12:00 UTC
  const auto hellos = [&](const std::string& room_id) {
    std::vector<std::string> replied_to;
    for (const auto& row : store_->pending_outbox(1000)) {
      const json content = json::parse(row.content);
      if (row.room_id == room_id &&
          content["body"].get<std::string>().find("Hier können Sie:") != std::string::npos) {
        replied_to.push_back(
            content["m.relates_to"]["m.in_reply_to"]["event_id"].get<std::string>());
      }
    }
    return replied_to;
  };
  sync(body("s1", {{kDirect, joined({message("$h1", kAnna, "Hallo"),
                                     message("$h2", kAnna, "Was kann ich hier tun?")})}}));
  EXPECT_EQ(hellos(kDirect), (std::vector<std::string>{"$h1"}));
  const std::string text =
      json::parse(store_->pending_outbox(10).front().content)["body"].get<std::string>();
  EXPECT_NE(text.find("!anonym <Raum> <Text>"), std::string::npos) << text;
  EXPECT_EQ(text.find("!runde"), std::string::npos) << text;
  // The same day: no second answer, and nothing stored says when she wrote.
  now_ms_ += 3 * 60 * 60 * 1000;
  sync(body("s2", {{kDirect, joined({message("$h3", kAnna, "Hallo?")})}}));
  EXPECT_EQ(hellos(kDirect).size(), 1u);
  // The next day: once more.
  now_ms_ += 24 * 60 * 60 * 1000;
  sync(body("s3", {{kDirect, joined({message("$h4", kAnna, "Guten Morgen")})}}));
  EXPECT_EQ(hellos(kDirect), (std::vector<std::string>{"$h1", "$h4"}));
  // A plain message in a room is no question to the bot.
  sync(body("s4", {{kRoom, joined({message("$r1", kAnna, "Hallo zusammen")})}}));
  EXPECT_TRUE(hellos(kRoom).empty());
}

TEST_F(DirectChatTest, AnAnonymousPostLeavesNothingThatLinksItToTheDirectChat) {
  seed_network();
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  capture->set_level(spdlog::level::debug);
  spdlog::set_default_logger(capture);

  const std::int64_t posted_at = 1700000123456;
  now_ms_ = posted_at;
  sync(body("s1", {{kDirect, joined({message("$dm-anon", kAnna,
                                             "!anonym Köln Die Lage war unklar #problem")})}}));
  // The outbox delivers: the post in Köln, the confirmation in the direct chat.
  std::string txn_id;
  for (const auto& item : store_->pending_outbox(10)) {
    if (item.room_id == kRoom) txn_id = item.txn_id;
    store_->outbox_sent(item.id, item.room_id == kRoom ? "$posted" : "$confirm", now_ms_ + 40);
  }
  ASSERT_FALSE(txn_id.empty());
  // The next batches hold the echoes of both, then nothing.
  now_ms_ += 2000;
  sync(body("s2", {{kRoom, joined({message("$posted", kBot, "Anonymer Beitrag: …", "m.notice")})},
                   {kDirect, joined({message("$confirm", kBot, "Danke.", "m.notice")})}}));
  EXPECT_TRUE(dispatcher_->erased_direct_traces());
  now_ms_ += 30000;
  sync(body("s3", json::object()));
  ASSERT_TRUE(store::checkpoint_truncate(*store_));  // what the bot does after such a commit
  spdlog::set_default_logger(previous);

  const auto rows = all_rows();
  std::string contribution;
  for (const auto& row : rows) {
    if (row.starts_with("contributions|") && row.find("anonymous") != std::string::npos) {
      contribution = row;
    }
  }
  ASSERT_FALSE(contribution.empty()) << "the anonymous contribution is stored";
  // No row but the room's own record and its member list names the direct chat; no row holds
  // the direct chat's event ids.
  for (const auto& row : rows) {
    if (row.find(kDirect) != std::string::npos) {
      EXPECT_TRUE(row.starts_with("rooms|") || row.starts_with("room_members|") ||
                  row.starts_with("member_lists|"))
          << row;
    }
    EXPECT_EQ(row.find("$dm-anon"), std::string::npos) << row;
    EXPECT_EQ(row.find("$confirm"), std::string::npos) << row;
  }
  // The post's id is random, not made from the direct chat's event.
  EXPECT_NE(contribution.find("anon:" + txn_id), std::string::npos);
  // No time in the store is the time the direct chat's message was handled or delivered, and
  // the post's own times are coarse: nothing can be matched with the direct chat by time.
  for (const auto& [table, time] : all_times()) {
    EXPECT_FALSE(time >= posted_at && time <= posted_at + 1000) << table << " " << time;
    if (table == "contributions" || table == "outbox") {
      EXPECT_EQ(time % 3600000, 0) << table << " " << time;
    }
  }
  // Nor do the files, with freed pages and the WAL.
  for (const char* suffix : {"", "-wal"}) {
    const std::string bytes = file_bytes(store_.path() + suffix);
    EXPECT_EQ(bytes.find("$dm-anon"), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find("$confirm"), std::string::npos) << suffix;
  }
  // The log pairs nothing: neither the direct chat nor anna nor the posted event is named.
  const std::string text = log.str();
  for (const std::string& secret :
       {kDirect, kAnna, std::string("$dm-anon"), std::string("$posted"), txn_id}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in\n" << text;
  }
}

// A malformed event of a direct chat leaves a seen row like every other event there: it goes with
// the next batch, even when that batch holds nothing of the direct chat.
TEST_F(DirectChatTest, AMalformedEventOfADirectChatLeavesNoSeenRowBehind) {
  seed_network();
  sync(body("s1", json::object()));
  json broken = message("$dm-broken", kAnna, "x");
  broken["content"]["body"] = json::array({"x"});  // a required field, broken
  now_ms_ += 1000;
  sync(body("s2", {{kDirect, joined({broken})}}));
  EXPECT_TRUE(store_->is_seen("$dm-broken", kDirect));  // not retried within the next batch
  now_ms_ += 1000;
  sync(body("s3", json::object()));
  EXPECT_TRUE(dispatcher_->erased_direct_traces());
  EXPECT_FALSE(store_->is_seen("$dm-broken", kDirect));
}

TEST_F(DirectChatTest, AnonymousPostsGoOnlyToConfiguredRoomsTheSenderIsIn) {
  seed_network();
  // A room that is not configured, named like a city.
  seed_members(kUnconfigured, {kBot, kAnna}, false, "KÖLN");
  sync(body("s1", {{kDirect,
                    joined({message("$a1", kAnna, "!anonym KÖLN Text eins"),
                            message("$a2", kAnna, "!anonym Leipzig Text zwei"),
                            message("$a3", kAnna, "!anonym Hamburg Text drei"),
                            message("$a4", kAnna, "!anonym " + kUnconfigured + " Text vier")})}}));
  const auto in_room = notices_in(kRoom);
  ASSERT_EQ(in_room.size(), 1u);  // KÖLN: the configured Köln, not the room named so
  EXPECT_NE(in_room[0].find("Text eins"), std::string::npos);
  EXPECT_TRUE(notices_in(kLeipzig).empty()) << "anna is no member of Leipzig";
  EXPECT_TRUE(notices_in(kUnconfigured).empty());
  const auto answers = notices_in(kDirect);
  ASSERT_EQ(answers.size(), 4u);
  // Refusals list only configured rooms anna is a member of.
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_NE(answers[i].find("Möglich sind: Köln."), std::string::npos) << answers[i];
    EXPECT_EQ(answers[i].find("Leipzig."), std::string::npos) << answers[i];
    const std::string listed = answers[i].substr(answers[i].find("Möglich sind:"));
    EXPECT_EQ(listed.find(kUnconfigured), std::string::npos) << answers[i];
  }
}

TEST_F(DirectChatTest, AmbiguousNamesAreRefusedAndQuotedNamesWork) {
  reflection_.cities[kLeipzig] = "Köln";  // two rooms of one city
  restart();
  seed_members(kRoom, {kBot, kAnna}, false, "Krisenstab Köln");
  seed_members(kLeipzig, {kBot, kAnna}, false, "Stab für außergewöhnliche Ereignisse");
  seed_members(kDirect, {kBot, kAnna}, true);
  sync(body("s1", {{kDirect, joined({message("$a1", kAnna, "!anonym Köln Text eins"),
                                     message("$a2", kAnna,
                                             "!anonym „Stab für außergewöhnliche Ereignisse“ "
                                             "Text zwei")})}}));
  EXPECT_TRUE(notices_in(kRoom).empty());
  ASSERT_EQ(notices_in(kLeipzig).size(), 1u);
  EXPECT_NE(notices_in(kLeipzig)[0].find("Text zwei"), std::string::npos);
  const auto answers = notices_in(kDirect);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_NE(answers[0].find("passt auf mehrere Räume"), std::string::npos) << answers[0];
}

TEST_F(DirectChatTest, ARoomWithMoreThanTwoMembersIsNoDirectChat) {
  seed_members(kRoom, {kBot, kAnna});
  seed_members(kDirect, {kBot, kAnna, "@eve:example.org"}, true);  // invited as direct
  sync(body("s1", {{kDirect, joined({message("$a1", kAnna, "!anonym Köln Text"),
                                     message("$m1", kAnna, "!meine")})}}));
  EXPECT_TRUE(notices_in(kRoom).empty());
  const auto answers = notices_in(kDirect);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_NE(answers[0].find("nur in einer Direktnachricht"), std::string::npos) << answers[0];
  EXPECT_NE(answers[1].find("nur in einer Direktnachricht"), std::string::npos) << answers[1];
}

TEST_F(DirectChatTest, MembersOfConfiguredRoomsMayOpenADirectChatStrangersMayNot) {
  seed_network();
  json batch = {{"next_batch", "s1"},
                {"rooms",
                 {{"invite",
                   {{"!dm-anna:example.org", direct_invite(kAnna)},
                    {"!dm-eve:evil.org", direct_invite("@eve:evil.org")},
                    {"!group-anna:example.org", [] {
                       json invite = direct_invite(kAnna);
                       invite["invite_state"]["events"][0]["content"].erase("is_direct");
                       return invite;
                     }()}}}}}};
  sync(batch);
  std::map<std::string, store::OutboxKind> by_room;
  for (const auto& row : store_->pending_outbox(10)) by_room[row.room_id] = row.kind;
  EXPECT_EQ(by_room.at("!dm-anna:example.org"), store::OutboxKind::join);
  EXPECT_EQ(by_room.at("!dm-eve:evil.org"), store::OutboxKind::leave);
  EXPECT_EQ(by_room.at("!group-anna:example.org"), store::OutboxKind::leave);
  EXPECT_EQ(sent_contents().size(), 0u) << "a declined inviter is told nothing";
}

TEST_F(DirectChatTest, DirectChatsHaveNoRoundsLessonsOrDigests) {
  seed_network();
  // In her own direct chat anna is its creator with power 100.
  {
    store::BatchScope scope(*store_);
    auto room = *store_->room(kDirect);
    room.authority = {room.authority.room_version,
                      room.authority.creators,
                      true,
                      {{"@anna:example.org", 100}},
                      0};
    scope.put_room(room);
    scope.commit();
  }
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem")})}}));
  json lesson = message("$l1", kAnna, "!lehre Lagebild");
  lesson["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", "$c1"}}}};
  sync(body("s2", {{kDirect, joined({message("$r1", kAnna, "!runde aar Test"), lesson,
                                     message("$d1", kAnna, "!digest")})}}));
  EXPECT_TRUE(store::lessons(*store_, "").empty());
  EXPECT_FALSE(store_->open_round(kDirect));
  const auto answers = notices_in(kDirect);
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& answer : answers) {
    EXPECT_NE(answer.find("nicht in eine Direktnachricht"), std::string::npos) << answer;
  }
}

// !status in a direct chat tells the person where the rounds of their rooms stand, each room by
// its name (or city), never "in diesem Raum" and never a room id.
TEST_F(DirectChatTest, StatusInADirectChatListsTheRoundsOfTheSendersRooms) {
  reflection_.templates = {two_phases()};
  restart();
  seed_network();
  sync(body("s1", {{kDirect, joined({message("$s0", kAnna, "!status")})}}));
  sync(body("s2", {{kRoom, joined({message("$r1", "@mod:example.org", "!runde kurz Hochwasser")})},
                   {kLeipzig, joined({message("$r2", "@mod:example.org", "!runde kurz")})}}));
  sync(body("s3", {{kDirect, joined({message("$s1", kAnna, "!status")})}}));
  const auto answers = notices_in(kDirect);
  ASSERT_EQ(answers.size(), 2U);
  EXPECT_NE(answers[0].find("In Ihren Räumen"), std::string::npos) << answers[0];
  EXPECT_EQ(answers[1].find("In diesem Raum"), std::string::npos) << answers[1];
  EXPECT_NE(answers[1].find("Köln"), std::string::npos) << answers[1];
  EXPECT_NE(answers[1].find("Phase 1 von 2"), std::string::npos) << answers[1];
  // Anna is no member of Leipzig: its round is not hers to see.
  EXPECT_EQ(answers[1].find("Leipzig"), std::string::npos) << answers[1];
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.find(":example.org"), std::string::npos) << answer;
  }
}

// !hilfe in a direct chat lists what runs there, not the rooms' or the moderators' commands.
TEST_F(DirectChatTest, HelpInADirectChatListsOnlyItsOwnCommands) {
  seed_network();
  sync(body("s1", {{kDirect, joined({message("$h", kAnna, "!hilfe")})},
                   {kRoom, joined({message("$h2", kAnna, "!hilfe")})}}));
  const auto direct = notices_in(kDirect);
  ASSERT_EQ(direct.size(), 1U);
  for (const char* own : {"!anonym", "!meine", "!vergessen", "!status", "!hilfe"}) {
    EXPECT_NE(direct[0].find(own), std::string::npos) << own << "\n" << direct[0];
  }
  for (const char* other : {"!runde", "!digest", "!lehre", "Moderation", "!vorlagen"}) {
    EXPECT_EQ(direct[0].find(other), std::string::npos) << other << "\n" << direct[0];
  }
  const auto room = notices_in(kRoom);
  ASSERT_EQ(room.size(), 1U);
  EXPECT_NE(room[0].find("!runde"), std::string::npos) << room[0];
}

TEST_F(DirectChatTest, LessonSourcesComeFromTheSameRoomOrTheNetwork) {
  seed_network();
  seed_members(kNetwork, {kBot, "@mod:example.org"});
  sync(body(
      "s1",
      {{kLeipzig, joined({message("$c1", "@bert:example.org", "Die Lage war unklar #problem")})}}));
  auto lesson_reply = [](const std::string& id) {
    json lesson = message(id, "@mod:example.org", "!lehre Lagebild");
    lesson["content"]["m.relates_to"] = {{"m.in_reply_to", {{"event_id", "$c1"}}}};
    return lesson;
  };
  // A moderator of Köln cannot turn a Leipzig contribution into a Köln lesson ...
  sync(body("s2", {{kRoom, joined({lesson_reply("$l1")})}}));
  EXPECT_TRUE(store::lessons(*store_, kRoom).empty());
  // ... the network room can.
  sync(body("s3", {{kNetwork, joined({lesson_reply("$l2")})}}));
  EXPECT_EQ(store::lessons(*store_, kNetwork).size(), 1u);
}

TEST_F(DirectChatTest, VotesAndRedactionsCountOnlyInTheirOwnRoom) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem")})}}));
  auto reaction = [](const std::string& id, const std::string& sender, const std::string& target) {
    return json{
        {"type", "m.reaction"},
        {"event_id", id},
        {"sender", sender},
        {"origin_server_ts", 1700000000000},
        {"content",
         {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", target}, {"key", "👍"}}}}}};
  };
  auto redaction = [](const std::string& id, const std::string& sender, const std::string& target) {
    return json{{"type", "m.room.redaction"}, {"event_id", id},
                {"sender", sender},           {"origin_server_ts", 1700000000000},
                {"redacts", target},          {"content", {{"redacts", target}}}};
  };
  // A vote from another room does not count; one from Köln does.
  sync(body("s2", {{kLeipzig, joined({reaction("$v1", "@bert:example.org", "$c1")})},
                   {kRoom, joined({reaction("$v2", "@mod:example.org", "$c1")})}}));
  EXPECT_EQ(store_->votes("$c1"), 1);
  // Redactions from another room, or from someone who is neither author nor moderator, remove
  // nothing.
  sync(body("s3", {{kLeipzig, joined({redaction("$x1", "@bert:example.org", "$c1")})},
                   {kRoom, joined({redaction("$x2", "@eve:example.org", "$c1"),
                                   redaction("$x3", "@eve:example.org", "$v2")})}}));
  EXPECT_TRUE(store_->contribution("$c1"));
  EXPECT_EQ(store_->votes("$c1"), 1);
  // The voter takes the vote back; the author removes the contribution.
  sync(body("s4", {{kRoom, joined({redaction("$x4", "@mod:example.org", "$v2"),
                                   redaction("$x5", kAnna, "$c1")})}}));
  EXPECT_EQ(store_->votes("$c1"), 0);
  EXPECT_FALSE(store_->contribution("$c1"));
}

TEST_F(DirectChatTest, UnreadablePowerLevelsLeaveOnlyTheCreators) {
  seed_network();
  json levels = {{"type", "m.room.power_levels"},
                 {"event_id", "$pl"},
                 {"sender", "@mod:example.org"},
                 {"state_key", ""},
                 {"origin_server_ts", 1700000000000},
                 {"content", {{"users", {{"@mod:example.org", "hundert"}}}}}};
  sync(body("s1",
            {{kRoom, joined({levels, message("$r1", "@mod:example.org", "!runde aar Test")})}}));
  EXPECT_FALSE(store_->open_round(kRoom)) << "the old levels no longer make @mod a moderator";
}

TEST_F(DirectChatTest, ANetworkRoomNeverBecomesADirectChatAndAGrowingOneStopsBeingOne) {
  seed_network();
  // A member invites the bot into a configured room it has not joined yet, claiming is_direct.
  json batch = {{"next_batch", "s1"}, {"rooms", {{"invite", {{kNetwork, direct_invite(kAnna)}}}}}};
  sync(batch);
  EXPECT_FALSE(store_->room(kNetwork)->direct);
  // A third person joins anna's direct chat: from now on it is a group room.
  sync(body("s2", {{kDirect, joined({member("$eve", "@eve:example.org", "join")})}}));
  EXPECT_FALSE(store_->room(kDirect)->direct);
}

TEST_F(DirectChatTest, NothingOfADirectChatIsCollectedVotedOrPinned) {
  seed_network();
  auto reaction = [](const std::string& id, const std::string& key) {
    return json{
        {"type", "m.reaction"},
        {"event_id", id},
        {"sender", kAnna},
        {"origin_server_ts", 1700000000000},
        {"content",
         {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", "$dm1"}, {"key", key}}}}}};
  };
  sync(body("s1", {{kDirect, joined({message("$dm1", kAnna, "Meine Notiz #lehre"),
                                     reaction("$p1", "📌"), reaction("$v1", "👍")})}}));
  EXPECT_FALSE(store_->contribution("$dm1"));
  EXPECT_TRUE(store_->pending_pins(10).empty());
}

TEST_F(DirectChatTest, EditsCountOnlyFromTheContributionsRoom) {
  seed_network();
  seed_members(kLeipzig, {kBot, kAnna});
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Erste Fassung #problem")})}}));
  json edit = message("$e1", kAnna, "* Geändert #problem");
  edit["content"]["m.relates_to"] = {{"rel_type", "m.replace"}, {"event_id", "$c1"}};
  edit["content"]["m.new_content"] = {{"msgtype", "m.text"}, {"body", "Geändert #problem"}};
  sync(body("s2", {{kLeipzig, joined({edit})}}));
  EXPECT_EQ(store_->contribution("$c1")->body, "Erste Fassung #problem");
}

TEST_F(DirectChatTest, AContributionFromTheFutureIsDatedWhenItArrived) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Später #problem", "m.text",
                                           253402300799000)})}}));  // 9999-12-31
  EXPECT_EQ(store_->contribution("$c1")->written_at,
            core::TimePoint(std::chrono::milliseconds(now_ms_)));
}

TEST_F(DirectChatTest, PowerLevelsUnderAnotherStateKeyAreIgnored) {
  seed_network();
  json levels = {{"type", "m.room.power_levels"},
                 {"event_id", "$pl"},
                 {"sender", kAnna},
                 {"state_key", "nebenbei"},
                 {"origin_server_ts", 1700000000000},
                 {"content", {{"users", {{kAnna, 100}}}}}};
  sync(body("s1", {{kRoom, joined({levels, message("$r1", kAnna, "!runde aar Test")})}}));
  EXPECT_FALSE(store_->open_round(kRoom));
}

TEST_F(DirectChatTest, AnonymousPostsAreLimitedAndGoIntoEncryptedRoomsToo) {
  seed_network();
  sync(body("s1", {{kDirect, joined({message("$a1", kAnna, "!anonym Köln eins"),
                                     message("$a2", kAnna, "!anonym Köln zwei"),
                                     message("$a3", kAnna, "!anonym Köln drei"),
                                     message("$a4", kAnna, "!anonym Köln vier")})}}));
  EXPECT_EQ(notices_in(kRoom).size(), 3u);
  EXPECT_NE(notices_in(kDirect).back().find("in etwa 10 Minuten"), std::string::npos)
      << notices_in(kDirect).back();
  {
    store::BatchScope scope(*store_);
    auto room = *store_->room(kRoom);
    room.encrypted = true;
    scope.put_room(room);
    scope.commit();
  }
  now_ms_ += 3600000;
  // An encrypted room gets them as well: the outbox encrypts them (never in clear).
  sync(body("s2", {{kDirect, joined({message("$a5", kAnna, "!anonym Köln fünf")})}}));
  EXPECT_EQ(notices_in(kRoom).size(), 4u);
}

TEST_F(DirectChatTest, APinCannotBringBackWhatSomeoneAskedToForget) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem")})}}));
  ASSERT_TRUE(store_->contribution("$c1"));
  sync(body("s2", {{kDirect, joined({message("$f1", kAnna, "!vergessen bestätigen")})}}));
  ASSERT_FALSE(store_->contribution("$c1"));
  // A colleague pins anna's old message; the bot fetches it and would collect it.
  now_ms_ += 60000;
  std::string pinned =
      json{{"chunk", json::array({message("$c1", kAnna, "Die Lage war unklar #problem")})}}.dump();
  const auto page = matrix::parse_messages(pinned, kRoom);
  ASSERT_TRUE(page);
  dispatcher_->collect_pinned(page->chunk.front());
  EXPECT_FALSE(store_->contribution("$c1"));
  // What she writes afterwards is collected as usual.
  sync(body(
      "s3",
      {{kRoom, joined({message("$c2", kAnna, "Neu #idee", "m.text", 1700000000000 + 3600000)})}}));
  EXPECT_TRUE(store_->contribution("$c2"));
}

// The operators' metrics count what a batch did when it commits: a batch that breaks and comes
// again counts once; labels are the command table's names, never what was typed.
TEST_F(DispatcherTest, MetricsCountCommittedWorkOnce) {
  seed_room(kRoom);
  const metrics::Registry before = metrics::registry();
  auto commands = [](const metrics::Registry& r, std::string_view name,
                     metrics::CommandOutcome outcome) -> std::uint64_t {
    auto it = r.commands.find(name);
    return it == r.commands.end() ? 0 : it->second[static_cast<std::size_t>(outcome)];
  };

  std::string good =
      body("s1", {{kRoom,
                   joined({message("$p", "@anna:example.org", "!ping"),
                           message("$x", "@anna:example.org", "!gibtsnicht"),
                           message("$r", "@anna:example.org", "!runde x"),
                           message("$t", "@anna:example.org", "Sandsäcke kamen zu spät #lehre")})}})
          .dump();
  auto outline = matrix::parse_sync_outline(good, kBot);
  ASSERT_TRUE(outline);
  std::string truncated = good.substr(0, good.size() - 5);
  ASSERT_FALSE(matrix::ingest(*dispatcher_, truncated, *outline, {}, kBot, false));
  const metrics::Registry& after_abort = metrics::registry();
  EXPECT_EQ(commands(after_abort, "ping", metrics::CommandOutcome::answered),
            commands(before, "ping", metrics::CommandOutcome::answered));
  EXPECT_EQ(after_abort.contributions, before.contributions);

  ASSERT_TRUE(matrix::ingest(*dispatcher_, good, *outline, {}, kBot, false));
  const metrics::Registry& after = metrics::registry();
  EXPECT_EQ(commands(after, "ping", metrics::CommandOutcome::answered),
            commands(before, "ping", metrics::CommandOutcome::answered) + 1);
  EXPECT_EQ(commands(after, "unknown", metrics::CommandOutcome::unknown),
            commands(before, "unknown", metrics::CommandOutcome::unknown) + 1);
  EXPECT_EQ(commands(after, "runde", metrics::CommandOutcome::refused),
            commands(before, "runde", metrics::CommandOutcome::refused) + 1);
  EXPECT_EQ(after.contributions, before.contributions + 1);
  const auto messages = static_cast<std::size_t>(metrics::EventKind::message);
  EXPECT_EQ(after.events[messages], before.events[messages] + 4);
  EXPECT_FALSE(after.commands.contains("gibtsnicht"));

  sync(body("s2", {{kRoom, joined({message("$p", "@anna:example.org", "!ping")})}}));
  EXPECT_EQ(metrics::registry().duplicates, before.duplicates + 1);
  EXPECT_EQ(commands(metrics::registry(), "ping", metrics::CommandOutcome::answered),
            commands(before, "ping", metrics::CommandOutcome::answered) + 1);
}

// The bot's own encrypted echoes are not decrypted (matrix::ingest): they count as the reply or ✅
// their clear envelope says they are, not as events whose room key is missing.
TEST_F(DispatcherTest, TheBotsOwnEncryptedEchoesCountAsWhatTheyAre) {
  seed_room(kRoom);
  const metrics::Registry before = metrics::registry();
  const auto count = [](const metrics::Registry& r, metrics::EventKind kind) {
    return r.events[static_cast<std::size_t>(kind)];
  };
  const json sealed = {{"algorithm", "m.megolm.v1.aes-sha2"},
                       {"ciphertext", "AwgAEnABm+bAse64/Text=="},
                       {"session_id", "S"},
                       {"sender_key", "K"},
                       {"device_id", "BOTDEVICE"}};
  json reaction_content = sealed;
  reaction_content["m.relates_to"] = {
      {"rel_type", "m.annotation"}, {"event_id", "$c"}, {"key", "✅"}};
  const auto own = [&](const std::string& id, const json& content) {
    return json{{"type", "m.room.encrypted"},
                {"event_id", id},
                {"sender", kBot},
                {"origin_server_ts", 1700000000000},
                {"content", content}};
  };
  sync(body("s1", {{kRoom, joined({own("$ack", reaction_content), own("$reply", sealed)})}}));
  const metrics::Registry& after = metrics::registry();
  EXPECT_EQ(count(after, metrics::EventKind::encrypted),
            count(before, metrics::EventKind::encrypted));
  EXPECT_EQ(count(after, metrics::EventKind::reaction),
            count(before, metrics::EventKind::reaction) + 1);
  EXPECT_EQ(count(after, metrics::EventKind::message),
            count(before, metrics::EventKind::message) + 1);
}

// --- Edits, votes and lessons (issue 16) ---

TEST_F(DispatcherTest, ModeratorsCorrectAndRemoveLessonsAndTheHistoryKeepsWhoDidWhatWhen) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$d", "@anna:example.org", "!digest")})}}));
  sync(body("s2", {{kRoom, joined({message("$l1", "@mod:example.org", "!lehre 1 Masken")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U);
  const std::int64_t lesson_id = lessons[0].id;
  const std::string id = std::to_string(lesson_id);
  const std::string mod = "@mod:example.org";
  sync(body("s3",
            {{kRoom, joined({message("$m", mod,
                                     "!maßnahme L" + id + " 15.12.2026 Amt: Lager anlegen")})}}));
  now_ms_ += 60000;
  sync(body(
      "s4",
      {{kRoom, joined({message("$c0", "@anna:example.org", "!korrigieren L" + id + " titel X"),
                       message("$c1", mod, "!korrigieren L" + id + " titel Schutzmasken"),
                       message("$c2", mod, "!korrigieren L" + id + " verantwortlich Ordnungsamt"),
                       message("$c3", mod, "!korrigieren L" + id + " frist 01.01.2020"),
                       message("$c4", mod, "!correct L" + id + " due 2027-01-31"),
                       message("$c5", mod, "!korrigieren L" + id + " farbe blau")})}}));
  auto lesson = store::lesson(*store_, lesson_id);
  ASSERT_TRUE(lesson);
  EXPECT_EQ(lesson->title, "Schutzmasken");
  EXPECT_EQ(lesson->owner, "Ordnungsamt");
  EXPECT_EQ(lesson->due,
            std::chrono::year_month_day{std::chrono::year{2027} / std::chrono::January / 31});
  auto notices = notices_in(kRoom);
  ASSERT_GE(notices.size(), 6U);
  const std::vector<std::string> last(notices.end() - 6, notices.end());
  EXPECT_NE(last[0].find("Moderation"), std::string::npos) << last[0];
  EXPECT_EQ(last[1], "L" + id + " heißt jetzt „Schutzmasken“.");
  EXPECT_EQ(last[2], "Verantwortlich für die Maßnahme von L" + id + ": Ordnungsamt.");
  EXPECT_EQ(last[3],
            "Der 01.01.2020 liegt in der Vergangenheit. Bitte ein Datum ab heute angeben.");
  EXPECT_EQ(last[4], "Die Maßnahme von L" + id + " ist jetzt am 31.01.2027 fällig.");
  EXPECT_EQ(last[5].rfind("So geht es: !korrigieren", 0), 0U) << last[5];

  // The action goes, then the lesson: no longer listed, the history keeps everything.
  sync(body("s5", {{kRoom, joined({message("$r1", mod, "!entfernen L" + id + " maßnahme")})}}));
  lesson = store::lesson(*store_, lesson_id);
  ASSERT_TRUE(lesson);
  EXPECT_EQ(lesson->state, core::LessonState::identified);
  EXPECT_TRUE(lesson->owner.empty());
  sync(body("s6", {{kRoom, joined({message("$r2", mod, "!remove L" + id),
                                   message("$ls", "@anna:example.org", "!lehren")})}}));
  EXPECT_FALSE(store::lesson(*store_, lesson_id));
  EXPECT_TRUE(store::lessons(*store_, kRoom).empty());
  EXPECT_TRUE(store::lessons(*store_, "").empty());
  notices = notices_in(kRoom);
  EXPECT_NE(notices.back().find("Noch keine Lehren"), std::string::npos) << notices.back();

  const auto history = store::lesson_history(*store_, lesson_id);
  std::vector<std::string> changes;
  for (const auto& change : history) changes.push_back(change.change);
  EXPECT_EQ(changes, (std::vector<std::string>{"created", "action", "title", "owner", "due",
                                               "action_removed", "removed"}));
  EXPECT_EQ(history[2].old_value, "Masken");
  EXPECT_EQ(history[2].new_value, "Schutzmasken");
  EXPECT_EQ(history[3].old_value, "Amt");
  EXPECT_EQ(history[4].old_value, "2026-12-15");
  EXPECT_EQ(history[4].new_value, "2027-01-31");
  EXPECT_EQ(history[2].changed_by, "pmod:");
  EXPECT_EQ(history[2].changed_at, core::TimePoint(std::chrono::milliseconds(now_ms_)));
}

json edit_of(const std::string& id, const std::string& sender, const std::string& original,
             const std::string& new_body, std::int64_t ts = 1700000060000) {
  json edit = message(id, sender, "* " + new_body, "m.text", ts);
  edit["content"]["m.relates_to"] = {{"rel_type", "m.replace"}, {"event_id", original}};
  edit["content"]["m.new_content"] = {{"msgtype", "m.text"}, {"body", new_body}};
  return edit;
}

json thumbs_up(const std::string& id, const std::string& sender, const std::string& target) {
  return json{
      {"type", "m.reaction"},
      {"event_id", id},
      {"sender", sender},
      {"origin_server_ts", 1700000000000},
      {"content",
       {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", target}, {"key", "👍"}}}}}};
}

json redaction_of(const std::string& id, const std::string& sender, const std::string& target) {
  return json{{"type", "m.room.redaction"}, {"event_id", id},
              {"sender", sender},           {"origin_server_ts", 1700000000000},
              {"redacts", target},          {"content", {{"redacts", target}}}};
}

matrix::Event event_from(const json& event, const std::string& room) {
  std::string text = event.dump();
  auto parsed = matrix::parse_event(text, room);
  EXPECT_TRUE(parsed);
  return *parsed;
}

TEST_F(DirectChatTest, AnEditThatRemovesTheLastTagWithdrawsTheContribution) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem"),
                                   message("$c2", kAnna, "Funk fiel aus #problem #idee")})}}));
  ASSERT_TRUE(store_->contribution("$c1"));
  sync(body("s2", {{kRoom, joined({edit_of("$e1", kAnna, "$c1", "Die Lage war unklar"),
                                   edit_of("$e2", kAnna, "$c2", "Funk fiel aus #idee")})}}));
  EXPECT_FALSE(store_->contribution("$c1")) << "no tag, no round: no longer a contribution";
  ASSERT_TRUE(store_->contribution("$c2"));
  EXPECT_EQ(store_->contribution("$c2")->body, "Funk fiel aus #idee");
  EXPECT_EQ(store_->contribution("$c2")->tags, std::vector<std::string>{"idee"});
}

TEST_F(DirectChatTest, AContributionRedactedOrWithdrawnBeforeItsAckWentOutGetsNone) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem"),
                                   message("$c2", kAnna, "Funk fiel aus #problem"),
                                   message("$c3", kAnna, "Sandsäcke früher bestellen #idee")})}}));
  auto acks = [this] {
    std::vector<std::string> targets;
    for (const auto& item : store_->pending_outbox(100)) {
      if (item.event_type == "m.reaction") {
        targets.push_back(json::parse(item.content)["m.relates_to"]["event_id"].get<std::string>());
      }
    }
    return targets;
  };
  ASSERT_EQ(acks(), (std::vector<std::string>{"$c1", "$c2", "$c3"}));
  sync(body("s2", {{kRoom, joined({redaction_of("$x1", kAnna, "$c1"),
                                   edit_of("$e2", kAnna, "$c2", "Funk fiel aus")})}}));
  EXPECT_FALSE(store_->contribution("$c1"));
  EXPECT_FALSE(store_->contribution("$c2"));
  EXPECT_EQ(acks(), std::vector<std::string>{"$c3"}) << "the ✅ owed went with the contribution";
}

TEST_F(DirectChatTest, AnEditWithoutNewContentOrBySomeoneElseChangesNothing) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Die Lage war unklar #problem")})}}));
  json fallback_only = message("$e1", kAnna, "* Etwas anderes #idee");
  fallback_only["content"]["m.relates_to"] = {{"rel_type", "m.replace"}, {"event_id", "$c1"}};
  sync(body("s2", {{kRoom, joined({fallback_only, edit_of("$e2", "@mod:example.org", "$c1",
                                                          "Übernommen #idee")})}}));
  EXPECT_EQ(store_->contribution("$c1")->body, "Die Lage war unklar #problem");
  EXPECT_TRUE(dispatcher_->pending_edits().empty()) << "an edit of a contribution asks for nothing";
}

TEST_F(DirectChatTest, AnEditThatAddsATagCollectsTheMessageWithItsLatestText) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$m1", kAnna, "Die Lage war unklar"),
                                   message("$m2", kAnna, "Niemand wusste Bescheid")})}}));
  ASSERT_FALSE(store_->contribution("$m1"));
  // Anna adds a tag to $m1 twice; someone else "edits" $m2. The originals are not stored: the
  // bot asks for them after the commit, in the order the edits came.
  const json first = edit_of("$e1", kAnna, "$m1", "Die Lage war unklar #problem");
  const json second =
      edit_of("$e2", kAnna, "$m1", "Die Lage war lange unklar #problem", 1700000070000);
  const json foreign = edit_of("$e3", "@mod:example.org", "$m2", "Niemand wusste Bescheid #lehre");
  sync(body("s2", {{kRoom, joined({first, second, foreign})}}));
  const auto pending = dispatcher_->pending_edits();
  ASSERT_EQ(pending.size(), 3U);
  EXPECT_EQ(pending[0].edit_event_id, "$e1");
  EXPECT_EQ(pending[0].original_event_id, "$m1");
  EXPECT_EQ(pending[2].edit_event_id, "$e3");

  const matrix::Event m1 = event_from(message("$m1", kAnna, "Die Lage war unklar"), kRoom);
  const matrix::Event m2 = event_from(message("$m2", kAnna, "Niemand wusste Bescheid"), kRoom);
  dispatcher_->collect_edited(m1, event_from(first, kRoom));
  dispatcher_->collect_edited(m1, event_from(second, kRoom));
  dispatcher_->collect_edited(m2, event_from(foreign, kRoom));
  const auto stored = store_->contribution("$m1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, "Die Lage war lange unklar #problem");
  EXPECT_EQ(stored->tags, std::vector<std::string>{"problem"});
  EXPECT_EQ(stored->author, "panna");
  EXPECT_EQ(stored->written_at, core::TimePoint(std::chrono::milliseconds(1700000000000)));
  EXPECT_FALSE(store_->contribution("$m2")) << "only the author's edits count";
  EXPECT_TRUE(dispatcher_->pending_edits().empty());
  // A later edit (it came before the originals were fetched) cannot bring back an older text.
  dispatcher_->collect_edited(m1, event_from(first, kRoom));
  EXPECT_EQ(store_->contribution("$m1")->body, "Die Lage war lange unklar #problem");
}

TEST_F(DirectChatTest, AnAuthorsOwnVoteDoesNotCountAndEachPersonCountsOnce) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$c1", kAnna, "Mehr Funkgeräte #idee")})}}));
  sync(body("s2", {{kRoom, joined({thumbs_up("$v1", kAnna, "$c1"),
                                   thumbs_up("$v2", "@mod:example.org", "$c1"),
                                   thumbs_up("$v3", "@mod:example.org", "$c1")})}}));
  EXPECT_EQ(store_->votes("$c1"), 1);
  EXPECT_FALSE(store_->vote("$v1")) << "anna's own 👍 is not stored";
}

TEST_F(DirectChatTest, AVoteOnAnAnonymousPostCountsAndGoesWithItsRedaction) {
  seed_network();
  sync(body("s1",
            {{kDirect, joined({message("$dm1", kAnna, "!anonym Köln Mehr Funkgeräte #idee")})}}));
  std::string txn_id;
  for (const auto& item : store_->pending_outbox(10)) {
    if (item.room_id == kRoom) txn_id = item.txn_id;
    store_->outbox_sent(item.id, item.room_id == kRoom ? "$posted" : "$confirm", now_ms_ + 40);
  }
  ASSERT_FALSE(txn_id.empty());
  const std::string anonymous = "anon:" + txn_id;
  sync(body("s2", {{kRoom, joined({thumbs_up("$v1", "@mod:example.org", "$posted"),
                                   thumbs_up("$v2", "@mod:example.org", "$posted")})},
                   {kLeipzig, joined({thumbs_up("$v3", "@bert:example.org", "$posted")})}}));
  EXPECT_EQ(store_->votes(anonymous), 1) << "one per person, and only from its room";
  sync(body("s3", {{kRoom, joined({redaction_of("$x1", "@mod:example.org", "$v1")})}}));
  EXPECT_EQ(store_->votes(anonymous), 0);
}

TEST_F(DispatcherTest, ADueDateInThePastIsRefused) {
  seed_room(kRoom);
  sync(body(
      "s1",
      {{kRoom, joined({message("$a", "@anna:example.org", "Masken viel zu spät bestellt #problem"),
                       message("$b", "@bernd:example.org",
                               "Schutzausrüstung und Masken früher beschaffen #lehre"),
                       message("$d", "@anna:example.org", "!digest")})}}));
  sync(body("s2", {{kRoom, joined({message("$l1", "@mod:example.org", "!lehre 1")})}}));
  auto lessons = store::lessons(*store_, kRoom);
  ASSERT_EQ(lessons.size(), 1U);
  const std::string id = std::to_string(lessons[0].id);
  sync(body("s3",
            {{kRoom, joined({message("$m", "@mod:example.org",
                                     "!maßnahme L" + id + " 01.03.2020 Amt: Lager anlegen")})}}));
  EXPECT_EQ(store::lesson(*store_, lessons[0].id)->state, core::LessonState::identified);
  EXPECT_EQ(notices_in(kRoom).back(),
            "Der 01.03.2020 liegt in der Vergangenheit. Bitte ein Datum ab heute angeben.");
}

TEST_F(DirectChatTest, AnUnknownTagGetsAHintInItsThreadOncePerPersonAndDay) {
  seed_network();
  sync(body("s1",
            {{kRoom, joined({message("$t1", kAnna, "Die Lage war unklar #problme"),
                             message("$t2", kAnna, "Es war #hitze"),
                             message("$t3", "@mod:example.org", "Es war #hitze"),
                             message("$t4", "@bert:example.org", "Sandsäcke #idee #sandsack")})}}));
  EXPECT_FALSE(store_->contribution("$t1"));
  EXPECT_TRUE(store_->contribution("$t4"));
  std::vector<json> hints;
  for (const auto& content : sent_contents()) {
    if (content.value("msgtype", "") == "m.notice") hints.push_back(content);
  }
  ASSERT_EQ(hints.size(), 2U) << "anna once, the moderator once, bert's message was collected";
  EXPECT_EQ(hints[0]["body"],
            "#problme ist kein Schlagwort des Bots; meinten Sie #problem? Wenn "
            "Sie Ihre Nachricht so bearbeiten, wird sie gesammelt.");
  EXPECT_EQ(hints[0]["m.relates_to"]["rel_type"], "m.thread");
  EXPECT_EQ(hints[0]["m.relates_to"]["event_id"], "$t1");
  EXPECT_EQ(hints[0]["m.mentions"], json::object());
  EXPECT_EQ(hints[1]["m.relates_to"]["event_id"], "$t3");
  EXPECT_NE(hints[1]["body"].get<std::string>().find("#hitze ist kein Schlagwort"),
            std::string::npos);
  EXPECT_NE(hints[1]["body"].get<std::string>().find("#lehre, #problem"), std::string::npos)
      << hints[1]["body"];
  // The next day anna may get one again.
  now_ms_ += 24LL * 3600 * 1000;
  sync(body("s2", {{kRoom, joined({message("$t5", kAnna, "Wieder #hitze")})}}));
  std::size_t count = 0;
  for (const auto& content : sent_contents()) {
    if (content.value("msgtype", "") == "m.notice") ++count;
  }
  EXPECT_EQ(count, 3U);
}

TEST_F(DirectChatTest, APinnedMessageIsCollectedAsItsAuthorsLatestEditMadeIt) {
  seed_network();
  sync(body("s1", {{kRoom, joined({message("$pin", "@mod:example.org", "Später")})}}));
  const matrix::Event original = event_from(message("$old", kAnna, "Erste Fassung"), kRoom);
  const std::vector<matrix::Event> edits = {
      event_from(edit_of("$e2", kAnna, "$old", "Dritte Fassung", 1700000090000), kRoom),
      event_from(edit_of("$e1", kAnna, "$old", "Zweite Fassung", 1700000080000), kRoom),
      event_from(edit_of("$e3", "@mod:example.org", "$old", "Fremde Fassung", 1700000095000),
                 kRoom),
      event_from(edit_of("$e4", kAnna, "$other", "Andere Nachricht", 1700000099000), kRoom)};
  dispatcher_->collect_pinned(original, edits);
  const auto stored = store_->contribution("$old");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, "Dritte Fassung");
  EXPECT_EQ(stored->via, core::CollectedVia::pin);
  EXPECT_EQ(stored->author, "panna");
}

TEST_F(DirectChatTest, APollOfThePhasesContributionsCountsEachPersonsLastAnswerAsAVote) {
  core::Template brainstorming;
  brainstorming.key = "ideen";
  brainstorming.phases.push_back({"brainstorming", {}, {}, std::chrono::minutes(30)});
  reflection_.templates = {brainstorming};
  restart();
  seed_network();
  const std::string mod = "@mod:example.org";
  const std::string bert = "@bert:example.org";
  seed_members(kRoom, {kBot, kAnna, mod, bert});
  sync(body("s1", {{kRoom, joined({message("$r", mod, "!runde ideen")})}}));
  ASSERT_TRUE(store_->open_round(kRoom));
  sync(body("s2", {{kRoom, joined({message("$i1", kAnna, "Mehr Funkgeräte"),
                                   message("$i2", bert, "Ein gemeinsames Lagebild"),
                                   message("$p", mod, "!umfrage")})}}));
  json poll;
  std::string poll_txn;
  for (const auto& item : store_->pending_outbox(100)) {
    if (item.event_type == "org.matrix.msc3381.poll.start") {
      poll = json::parse(item.content);
      poll_txn = item.txn_id;
      store_->outbox_sent(item.id, "$poll", now_ms_);
    }
  }
  ASSERT_FALSE(poll_txn.empty()) << "the poll goes through the outbox";
  const json& start = poll["org.matrix.msc3381.poll.start"];
  ASSERT_EQ(start["answers"].size(), 2U);
  EXPECT_EQ(start["answers"][0]["org.matrix.msc1767.text"], "Mehr Funkgeräte");
  EXPECT_EQ(start["answers"][1]["org.matrix.msc1767.text"], "Ein gemeinsames Lagebild");
  EXPECT_EQ(start["max_selections"], 1);
  EXPECT_EQ(poll["m.mentions"], json::object());

  auto response = [](const std::string& id, const std::string& sender, const std::string& answer,
                     bool stable, std::int64_t ts) {
    json content = {{"m.relates_to", {{"rel_type", "m.reference"}, {"event_id", "$poll"}}}};
    if (stable) {
      content["m.selections"] = json::array({answer});
    } else {
      content["org.matrix.msc3381.poll.response"] = {{"answers", json::array({answer})}};
    }
    return json{{"type", stable ? "m.poll.response" : "org.matrix.msc3381.poll.response"},
                {"event_id", id},
                {"sender", sender},
                {"origin_server_ts", ts},
                {"content", content}};
  };
  // bert first chooses anna's idea, then his own (no vote: his own); mod chooses anna's twice;
  // anna chooses bert's idea (stable format).
  sync(body("s3", {{kRoom, joined({response("$a1", bert, "1", false, 1700000001000),
                                   response("$a2", mod, "1", false, 1700000002000),
                                   response("$a3", mod, "1", true, 1700000003000),
                                   response("$a4", kAnna, "2", true, 1700000004000)})}}));
  EXPECT_EQ(store_->votes("$i1"), 2);
  EXPECT_EQ(store_->votes("$i2"), 1);
  sync(body("s4", {{kRoom, joined({response("$a5", bert, "2", false, 1700000005000)})}}));
  EXPECT_EQ(store_->votes("$i1"), 1) << "bert's last answer counts";
  EXPECT_EQ(store_->votes("$i2"), 1) << "and his own idea gets no vote from him";
  // A moderator closes it; later answers count nothing. A 👍 from someone who answered the
  // poll for the same contribution is still one vote.
  json end = {
      {"type", "org.matrix.msc3381.poll.end"},
      {"event_id", "$end"},
      {"sender", mod},
      {"origin_server_ts", 1700000006000},
      {"content", {{"m.relates_to", {{"rel_type", "m.reference"}, {"event_id", "$poll"}}}}}};
  sync(body("s5", {{kRoom, joined({end, response("$a6", kAnna, "1", false, 1700000007000),
                                   thumbs_up("$v1", mod, "$i1")})}}));
  EXPECT_EQ(store_->votes("$i1"), 1);
  EXPECT_EQ(store_->votes("$i2"), 1);
}

}  // namespace
}  // namespace reflexbot::app
