// The dispatcher on the real path: JSON /sync bodies → parse (outline + stream) → dispatcher →
// a real SQLite store; assertions read the store.

#include "app/dispatcher.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"

namespace reflexbot::app {
namespace {

using nlohmann::json;
const std::string kBot = "@reflexbot:example.org";
const std::string kRoom = "!krisenstab:example.org";

json message(const std::string& id, const std::string& sender, const std::string& body,
             const std::string& msgtype = "m.text") {
  return {{"type", "m.room.message"},
          {"event_id", id},
          {"sender", sender},
          {"origin_server_ts", 1700000000000},
          {"content", {{"msgtype", msgtype}, {"body", body}}}};
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
    dir_ = std::filesystem::temp_directory_path() /
           ("reflexbot-dispatch-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_.emplace((dir_ / "bot.db").string());
    ReflectionSettings reflection;
    reflection.pseudonym = [](const std::string& user) { return "p" + user.substr(1, 4); };
    reflection.cities[kRoom] = "Köln";
    dispatcher_.emplace(*store_,
                        DispatcherSettings{kBot, core::Language::de,
                                           [](const std::string& inviter) {
                                             return inviter == "@moderation:example.org";
                                           },
                                           reflection},
                        [] { return std::int64_t{1700000000000}; });
  }
  void TearDown() override {
    dispatcher_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
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

  std::filesystem::path dir_;
  std::optional<store::Store> store_;
  std::optional<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, PingQueuesOneNoticeReplyWithEmptyMentions) {
  seed_joined_room();

  sync(body("s1", {{kRoom, joined({message("$ping", "@anna:example.org", "!ping")})}}));

  EXPECT_EQ(store_->sync_token(), "s1");
  EXPECT_TRUE(store_->is_seen("$ping"));
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
  EXPECT_TRUE(store_->is_seen("$old"));
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
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(contents[0]["m.relates_to"]["m.in_reply_to"]["event_id"], "$after");
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

TEST_F(DispatcherTest, AnEncryptedRoomIsToldOnceThatMessagesCannotBeRead) {
  sync(body("s1", {{kRoom, joined({member("$join", kBot, "join")}, {encryption("$enc")})}}));
  sync(body("s2", {{kRoom, joined({message("$m", "@anna:example.org", "hallo")})}}));
  json again = encryption("$enc2");  // the state event sent once more
  sync(body("s3", {{kRoom, joined({again})}}));
  auto contents = sent_contents();
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_NE(contents[0]["body"].get<std::string>().find("verschlüsselt"), std::string::npos);
  EXPECT_FALSE(contents[0].contains("m.relates_to"));
  EXPECT_EQ(contents[0]["m.mentions"], json::object());
  EXPECT_TRUE(store_->room(kRoom)->encrypted);
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
  EXPECT_FALSE(store_->is_seen("$ping"));
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
  sync(body("s1", {{kRoom, joined({message("$a1", "@anna:example.org", "Lage #problem"),
                                   message("$b1", "@bernd:example.org", "Idee #idee")})}}));
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
  EXPECT_EQ(answers[0],
            "Sie haben 1 gespeicherte Beiträge und Stimmen. Wenn Sie „!vergessen bestätigen“ "
            "schreiben, lösche ich sie endgültig aus der Datenbank des Bots. Ihre Nachrichten im "
            "Raum selbst bleiben davon unberührt.");
  EXPECT_EQ(answers[1], "Erledigt: 1 Beiträge und Stimmen von Ihnen sind gelöscht.");
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

}  // namespace
}  // namespace reflexbot::app
