// Replies without waiting for the disk (issue 17, item 2): a reply caused by a synced event is
// PUT while its batch is still uncommitted, with the transaction id derived from that event, and
// its outbox row commits with the batch as the record. The fake transport records each request
// together with what a second connection to the database sees committed at that moment.

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../matrix/fake_machine.hpp"
#include "../matrix/fake_sleeper.hpp"
#include "../matrix/fake_transport.hpp"
#include "../support/temp_store.hpp"
#include "app/runtime/dispatcher.hpp"
#include "matrix/client.hpp"
#include "matrix/e2ee.hpp"
#include "matrix/outbox.hpp"
#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"

namespace reflexbot::app {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
const std::string kBot = "@reflexbot:example.org";
const std::string kRoom = "!krisenstab:example.org";
const std::string kOther = "!leipzig:example.org";
constexpr std::int64_t kNow = 1700000000000;

json message(const std::string& id, const std::string& body) {
  return {{"type", "m.room.message"},
          {"event_id", id},
          {"sender", "@anna:example.org"},
          {"origin_server_ts", kNow},
          {"content", {{"msgtype", "m.text"}, {"body", body}}}};
}

json batch(const std::string& next_batch, const std::string& room,
           const std::vector<json>& events) {
  json join;
  join[room] = {{"timeline", {{"events", json(events)}, {"limited", false}}},
                {"state", {{"events", json::array()}}}};
  return {{"next_batch", next_batch}, {"rooms", {{"join", join}}}};
}

// What another connection sees committed: the sync token, or "" before the first commit.
class CommittedView {
 public:
  explicit CommittedView(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
  }
  ~CommittedView() { sqlite3_close(db_); }
  CommittedView(const CommittedView&) = delete;
  CommittedView& operator=(const CommittedView&) = delete;

  std::string sync_token() {
    sqlite3_stmt* statement = nullptr;
    std::string token;
    if (sqlite3_prepare_v2(db_, "SELECT next_batch FROM sync_state WHERE id = 1", -1, &statement,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      token = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return token;
  }

 private:
  sqlite3* db_ = nullptr;
};

// One bot: store, dispatcher, client and outbox over a fake transport, wired as the runtime
// wires them (app/runtime/bot.cpp).
struct Bot {
  /// `crypto`: the outbox encrypts, with a scripted crypto machine (shares need no requests).
  explicit Bot(const char* name, bool crypto = false) : store(name) {
    FeatureSettings features;
    features.pseudonym = [](const std::string& user) { return "p" + user.substr(1, 4); };
    features.cities[kRoom] = "Köln";
    features.cities[kOther] = "Leipzig";
    DigestSettings digests;
    digests.zone = *core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
    digests.rooms = {kRoom, kOther};
    digests.cities = features.cities;
    dispatcher.emplace(
        *store,
        DispatcherSettings{kBot, core::Language::de, [](const std::string&) { return false; },
                           features, digests, core::RateLimit{}},
        [] { return kNow; });
    outbox.emplace(client, *store, sleeper,
                   matrix::Backoff({milliseconds(500), milliseconds(60000)}, [] { return 0.0; }),
                   [] { return kNow; });
    if (crypto) {
      e2ee.emplace(
          client, machine, sleeper,
          matrix::Backoff({milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
          [this](const std::string&) { return members; }, crypto::SharePolicy::all_devices);
      outbox->enable_encryption(*e2ee);
    }
    dispatcher->connect_outbox(
        [this](const std::vector<OutboxItem>& rows) { return outbox->send_early(rows); },
        [this] { outbox->wake(); });
    transport.bind(io);
    view.emplace(store.path());
    transport.on_request([this](const net::Request& request) {
      if (request.method == "PUT") puts.push_back({request.url, view->sync_token()});
    });
  }

  void seed(const std::vector<std::string>& rooms, bool encrypted = false) {
    store::BatchScope seed(*store);
    for (const auto& id : rooms) {
      store::RoomRecord room;
      room.room_id = id;
      room.membership = "join";
      room.encrypted = encrypted;
      seed.put_room(room);
    }
    seed.set_sync_token("s0");
    seed.commit();
    // As at the start of the bot: the drain runs once and finds the queue empty.
    EXPECT_FALSE(test::run_awaitable(io, outbox->flush()));
  }

  // A /sync body through the real ingest path, then what the runtime does after a commit: the
  // outbox drains (early sends finish first).
  void sync(const json& body_json) {
    std::string body = body_json.dump();
    auto outline = matrix::parse_sync_outline(body, kBot);
    ASSERT_TRUE(outline) << outline.error().message;
    ASSERT_TRUE(matrix::ingest(*dispatcher, body, *outline, {}, kBot, false));
    outbox->wake();
    io.restart();
    io.poll();  // the early sends' answers, posted by the transport
    io.restart();
    EXPECT_FALSE(test::run_awaitable(io, outbox->flush()));
  }

  std::string txn_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

  struct Put {
    std::string url;
    std::string committed_token;  ///< what the store had committed when the PUT left
  };

  net::asio::io_context io;
  test::FakeTransport transport;
  test::FakeSleeper sleeper;
  test::TempStore store;
  matrix::Client client{transport, matrix::ClientSettings{"https://hs.example.org", kBot,
                                                          "syt_token", "", "REFLEXBOT"}};
  std::optional<Dispatcher> dispatcher;
  test::FakeMachine machine;
  std::vector<std::string> members{"@anna:example.org", kBot};  ///< the rooms' members (crypto)
  std::optional<matrix::E2ee> e2ee;
  std::optional<matrix::Outbox> outbox;
  std::optional<CommittedView> view;
  std::vector<Put> puts;
};

TEST(EarlySend, AReplyLeavesBeforeItsBatchCommitsAndItsRowIsTheRecord) {
  Bot bot("early");
  bot.seed({kRoom});
  bot.transport.respond(200, R"({"event_id":"$pong"})");

  bot.sync(batch("s1", kRoom, {message("$ping", "!ping")}));

  ASSERT_EQ(bot.puts.size(), 1u);  // once: the drain did not send it again
  EXPECT_NE(bot.puts[0].url.find("/send/m.room.message/"), std::string::npos);
  EXPECT_EQ(bot.puts[0].committed_token, "s0") << "the reply waited for the batch's commit";
  EXPECT_EQ(bot.store->sync_token(), "s1");
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
  EXPECT_EQ(bot.store->counts().outbox_sent, 1);
}

// The next /sync after a batch whose reply went early waits until the reply is answered and a
// pause after it, so that a single-process homeserver delivers the reply to the room before it
// serves the bot's own next long-poll (docs/benchmarks.md, "The next /sync after a reply").
// `settle` starts what the sync loop awaits before its next request; `settled` turns true when
// it returns.
void settle(Bot& bot, bool& settled, milliseconds limit) {
  settled = false;
  net::asio::co_spawn(
      bot.io,
      [&bot, &settled, limit]() -> net::asio::awaitable<void> {
        co_await bot.outbox->settle_early_sends(bot.io, limit, milliseconds(5));
        settled = true;
      },
      net::asio::detached);
  bot.io.restart();
  bot.io.poll();
}

// A batch through the real ingest path, without the drain that Bot::sync runs after it.
void ingest_only(Bot& bot, const json& body_json) {
  std::string body = body_json.dump();
  auto outline = matrix::parse_sync_outline(body, kBot);
  ASSERT_TRUE(outline);
  ASSERT_TRUE(matrix::ingest(*bot.dispatcher, body, *outline, {}, kBot, false));
}

// A "!ping" batch whose early reply's answer the homeserver holds back until release().
void ping_with_held_answer(Bot& bot, const std::string& next_batch, const std::string& event_id) {
  bot.transport.respond_blocked(200, R"({"event_id":"$pong"})");
  ingest_only(bot, batch(next_batch, kRoom, {message(event_id, "!ping")}));
}

TEST(EarlySend, TheNextSyncWaitsUntilTheEarlyReplyIsAnsweredAndAPauseAfter) {
  Bot bot("settle");
  bot.seed({kRoom});
  const std::size_t sleeps = bot.sleeper.delays().size();
  bool settled = false;
  settle(bot, settled, milliseconds(10000));  // nothing went early: at once
  EXPECT_TRUE(settled);
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps);

  ping_with_held_answer(bot, "s1", "$ping");
  ASSERT_EQ(bot.puts.size(), 1u);  // the reply left early; its answer is held back
  settle(bot, settled, milliseconds(10000));
  EXPECT_FALSE(settled) << "the next /sync went before the reply was answered";
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps) << "the pause came before the answer";
  bot.transport.release();
  bot.io.restart();
  bot.io.run();
  EXPECT_TRUE(settled);
  ASSERT_EQ(bot.sleeper.delays().size(), sleeps + 1);
  EXPECT_EQ(bot.sleeper.delays().back(), milliseconds(5));

  settle(bot, settled, milliseconds(10000));  // the same reply counts once
  EXPECT_TRUE(settled);
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps + 1);
}

TEST(EarlySend, AReplyTheHomeserverDoesNotAnswerHoldsTheNextSyncOnlyUpToTheLimit) {
  Bot bot("settle-limit");
  bot.seed({kRoom});
  ping_with_held_answer(bot, "s1", "$ping");
  const std::size_t sleeps = bot.sleeper.delays().size();
  bool settled = false;
  settle(bot, settled, milliseconds(1));
  bot.io.restart();
  bot.io.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(settled) << "a PUT without an answer stopped the sync";
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps) << "no pause: the reply has not landed";

  // Its late answer must not end the wait for the next batch's reply.
  bot.transport.release();
  bot.io.restart();
  bot.io.poll();
  EXPECT_FALSE(test::run_awaitable(bot.io, bot.outbox->flush()));  // the drain, as after a commit
  ping_with_held_answer(bot, "s2", "$ping2");
  ASSERT_EQ(bot.puts.size(), 2u);
  settle(bot, settled, milliseconds(10000));
  EXPECT_FALSE(settled) << "the first reply's late answer ended the wait for the second";
  bot.transport.release();
  bot.io.restart();
  bot.io.run();
  EXPECT_TRUE(settled);
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps + 1);
}

TEST(EarlySend, AFailedEarlyReplyEndsTheWaitWithoutAPause) {
  Bot bot("settle-failed");
  bot.seed({kRoom});
  bot.transport.respond(500, R"({"errcode":"M_UNKNOWN","error":"down"})");
  ingest_only(bot, batch("s1", kRoom, {message("$ping", "!ping")}));
  ASSERT_EQ(bot.puts.size(), 1u);
  const std::size_t sleeps = bot.sleeper.delays().size();
  bool settled = false;
  settle(bot, settled, milliseconds(10000));
  bot.io.restart();
  bot.io.run();
  EXPECT_TRUE(settled);
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps) << "a pause for a reply that did not land";
}

TEST(EarlySend, StoppingEndsTheWaitForAnEarlyReply) {
  Bot bot("settle-stop");
  bot.seed({kRoom});
  ping_with_held_answer(bot, "s1", "$ping");
  const std::size_t sleeps = bot.sleeper.delays().size();
  bool settled = false;
  settle(bot, settled, milliseconds(10000));
  EXPECT_FALSE(settled);
  bot.outbox->stop();
  bot.io.restart();
  bot.io.poll();
  EXPECT_TRUE(settled) << "a stopping bot kept waiting for an answer";
  EXPECT_EQ(bot.sleeper.delays().size(), sleeps);
  bot.transport.shutdown();
  bot.io.restart();
  bot.io.run();
}

TEST(EarlySend, AReplayAfterACrashBeforeTheCommitSendsTheSameTransactionId) {
  // The first bot sends early and "crashes" before its commit: its store stays at s0. A second bot
  // from the same state gets the same batch again (the homeserver repeats it from s0).
  Bot first("crash-a");
  first.seed({kRoom});
  first.transport.respond(200, R"({"event_id":"$pong"})");
  first.sync(batch("s1", kRoom, {message("$ping", "!ping")}));
  ASSERT_EQ(first.puts.size(), 1u);

  Bot replay("crash-b");
  replay.seed({kRoom});
  replay.transport.respond(200, R"({"event_id":"$pong"})");
  replay.sync(batch("s1", kRoom, {message("$ping", "!ping")}));
  ASSERT_EQ(replay.puts.size(), 1u);
  EXPECT_EQ(replay.txn_of(replay.puts[0].url), first.txn_of(first.puts[0].url));
}

TEST(EarlySend, AFailedEarlySendIsRetriedByTheDrainWithTheSameTransactionId) {
  Bot bot("retry");
  bot.seed({kRoom});
  bot.transport.fail(net::TransportErrorKind::connect);
  bot.transport.respond(200, R"({"event_id":"$pong"})");

  bot.sync(batch("s1", kRoom, {message("$ping", "!ping")}));

  ASSERT_EQ(bot.puts.size(), 2u);
  EXPECT_EQ(bot.puts[0].committed_token, "s0");
  EXPECT_EQ(bot.puts[1].committed_token, "s1");
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), bot.txn_of(bot.puts[1].url));
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

// The ✅ on a collected message is state of its contribution (schema 24), sent by the drain (or
// early) with the transaction id derived from the room and the message.
json edit(const std::string& id, const std::string& original, const std::string& body) {
  json event = message(id, "* " + body);
  event["content"]["m.new_content"] = {{"msgtype", "m.text"}, {"body", body}};
  event["content"]["m.relates_to"] = {{"rel_type", "m.replace"}, {"event_id", original}};
  return event;
}

TEST(EarlySend, AnAckCommittedButNotSentGoesOutOnceAfterARestart) {
  // A crash between the commit and the ✅'s send: the store holds the ✅ owed; after the restart
  // the drain sends it once, with the derived transaction id.
  Bot bot("ack-crash");
  bot.seed({kRoom});
  bot.dispatcher->connect_outbox([](const std::vector<OutboxItem>&) { return std::size_t{0}; },
                                 [] {});
  std::string body = batch("s1", kRoom, {message("$c", "Sandsäcke früher bestellen #idee")}).dump();
  auto outline = matrix::parse_sync_outline(body, kBot);
  ASSERT_TRUE(outline);
  ASSERT_TRUE(matrix::ingest(*bot.dispatcher, body, *outline, {}, kBot, false));
  ASSERT_TRUE(bot.puts.empty());
  EXPECT_EQ(bot.view->sync_token(), "s1");

  bot.store.close();  // the restart: a new store and drain on the same file
  bot.store.open();
  bot.outbox.emplace(bot.client, *bot.store, bot.sleeper,
                     matrix::Backoff({milliseconds(500), milliseconds(60000)}, [] { return 0.0; }),
                     [] { return kNow; });
  bot.transport.respond(200, R"({"event_id":"$ack"})");
  EXPECT_FALSE(test::run_awaitable(bot.io, bot.outbox->flush()));
  EXPECT_FALSE(test::run_awaitable(bot.io, bot.outbox->flush()));
  ASSERT_EQ(bot.puts.size(), 1u);
  EXPECT_NE(bot.puts[0].url.find("/send/m.reaction/"), std::string::npos);
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), store::ack_txn_id(kRoom, "$c"));
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, AnAckGoesEarlyAndIsMarkedByItsAnswer) {
  Bot bot("ack-early");
  bot.seed({kRoom});
  bot.transport.respond(200, R"({"event_id":"$ack"})");
  bot.sync(batch("s1", kRoom, {message("$c", "Sandsäcke früher bestellen #idee")}));
  ASSERT_EQ(bot.puts.size(), 1u);
  EXPECT_EQ(bot.puts[0].committed_token, "s0");
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), store::ack_txn_id(kRoom, "$c"));
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, AMessageWithdrawnByAnEditAndCollectedAgainGetsNoSecondAck) {
  Bot bot("ack-edit");
  bot.seed({kRoom});
  bot.transport.respond(200, R"({"event_id":"$ack"})");
  const json original = message("$c", "Sandsäcke früher bestellen #idee");
  bot.sync(batch("s1", kRoom, {original}));
  ASSERT_EQ(bot.puts.size(), 1u);
  // The tag edited away (no longer a contribution), then added again.
  bot.sync(batch("s2", kRoom, {edit("$e1", "$c", "Sandsäcke früher bestellen")}));
  ASSERT_FALSE(bot.store->contribution("$c"));
  const json again = edit("$e2", "$c", "Sandsäcke viel früher bestellen #idee");
  bot.sync(batch("s3", kRoom, {again}));
  std::string original_text = original.dump();
  std::string again_text = again.dump();
  auto original_event = matrix::parse_event(original_text, kRoom);
  auto again_event = matrix::parse_event(again_text, kRoom);
  ASSERT_TRUE(original_event && again_event);
  bot.dispatcher->collect_edited(*original_event, *again_event);
  ASSERT_TRUE(bot.store->contribution("$c"));
  EXPECT_FALSE(test::run_awaitable(bot.io, bot.outbox->flush()));
  EXPECT_EQ(bot.puts.size(), 1u) << "one ✅ per message, whatever its edits";
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, InAnEncryptedRoomTheAckIsEncrypted) {
  Bot bot("ack-encrypted", true);
  bot.seed({kRoom}, true);
  bot.transport.respond(200, R"({"event_id":"$ack1"})");
  bot.transport.respond(200, R"({"event_id":"$ack2"})");
  bot.sync(batch("s1", kRoom, {message("$c1", "Sandsäcke früher bestellen #idee")}));
  bot.sync(batch("s2", kRoom, {message("$c2", "Funk fiel aus #problem")}));
  ASSERT_EQ(bot.puts.size(), 2u);
  EXPECT_NE(bot.puts[0].url.find("/send/m.room.encrypted/"), std::string::npos);
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), store::ack_txn_id(kRoom, "$c1"));
  EXPECT_EQ(bot.puts[1].committed_token, "s1") << "the second went early, encrypted";
  EXPECT_NE(bot.puts[1].url.find("/send/m.room.encrypted/"), std::string::npos);
  EXPECT_EQ(bot.txn_of(bot.puts[1].url), store::ack_txn_id(kRoom, "$c2"));
  EXPECT_EQ(bot.machine.encryptions, 2);
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, AnEncryptedRoomsReplyWaitsForTheCommit) {
  // Without encryption running, nothing goes out (never in clear). With it, the first reply in a
  // room waits too: its room key is shared by the drain (next test).
  Bot bot("encrypted");
  bot.seed({kRoom}, true);

  std::string body = batch("s1", kRoom, {message("$ping", "!ping")}).dump();
  auto outline = matrix::parse_sync_outline(body, kBot);
  ASSERT_TRUE(outline);
  ASSERT_TRUE(matrix::ingest(*bot.dispatcher, body, *outline, {}, kBot, false));
  EXPECT_TRUE(bot.puts.empty());
  EXPECT_EQ(bot.store->pending_outbox(10).size(), 1u);
}

TEST(EarlySend, InAnEncryptedRoomAReplyGoesEarlyOnceTheRoomKeyReachedTheMembers) {
  Bot bot("encrypted-early", true);
  bot.seed({kRoom}, true);
  bot.transport.respond(200, R"({"event_id":"$pong1"})");
  bot.transport.respond(200, R"({"event_id":"$pong2"})");
  bot.transport.respond(200, R"({"event_id":"$pong3"})");

  // The first reply prepares the room (members, keys, the room key shared): through the drain.
  bot.sync(batch("s1", kRoom, {message("$ping1", "!ping")}));
  ASSERT_EQ(bot.puts.size(), 1u);
  EXPECT_EQ(bot.puts[0].committed_token, "s1");
  // Then, with nothing changed, the next reply is encrypted and sent before its batch commits.
  bot.sync(batch("s2", kRoom, {message("$ping2", "!ping")}));
  ASSERT_EQ(bot.puts.size(), 2u);
  EXPECT_EQ(bot.puts[1].committed_token, "s1");
  EXPECT_NE(bot.puts[1].url.find("/send/m.room.encrypted/"), std::string::npos);
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());  // marked sent by its transaction id

  // A member joined: the room key must reach their devices first, so the reply waits again.
  const auto shares = std::count(bot.machine.log.begin(), bot.machine.log.end(), "share " + kRoom);
  bot.members.push_back("@olaf:example.org");
  bot.sync(batch("s3", kRoom, {message("$ping3", "!ping")}));
  ASSERT_EQ(bot.puts.size(), 3u);
  EXPECT_EQ(bot.puts[2].committed_token, "s3");
  EXPECT_EQ(std::count(bot.machine.log.begin(), bot.machine.log.end(), "share " + kRoom),
            shares + 1);
  EXPECT_EQ(bot.machine.encryptions, 3);
}

TEST(EarlySend, OnlyTheFirstReplyInARoomGoesEarlyTheRestFollowInOrder) {
  Bot bot("order");
  bot.seed({kRoom, kOther});
  bot.transport.respond(200, R"({"event_id":"$a"})");
  bot.transport.respond(200, R"({"event_id":"$b"})");
  bot.transport.respond(200, R"({"event_id":"$c"})");

  json body = batch("s1", kRoom, {message("$p1", "!ping"), message("$p2", "!ping")});
  body["rooms"]["join"][kOther] =
      batch("s1", kOther, {message("$p3", "!ping")})["rooms"]["join"][kOther];
  bot.sync(body);

  ASSERT_EQ(bot.puts.size(), 3u);
  // One early PUT per room, then the drain after the commit with the second reply of kRoom.
  EXPECT_EQ(bot.puts[0].committed_token, "s0");
  EXPECT_EQ(bot.puts[1].committed_token, "s0");
  EXPECT_EQ(bot.puts[2].committed_token, "s1");
  EXPECT_NE(bot.puts[2].url.find(matrix::url_encode(kRoom)), std::string::npos);
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, NoRowPassesAnAnonymousPostOrAPictureQueuedBeforeItInItsRoom) {
  // Neither goes early (a random transaction id; a file uploaded first), so a later row of the
  // same room in the same batch must wait for the drain too, or it would arrive first.
  test::TempStore store("order-kinds");
  store::BatchScope scope(*store);
  Outgoing out;
  out.start(scope, kNow);
  out.anonymous_post(kRoom, core::Notice{"Ein Beitrag ohne Namen", ""});
  out.reaction(kRoom, "$c1", "✅", "$c1/ack");
  out.image(kOther, matrix::Image{"Grafik", "themen.png", "image/png", 10, 10, 3}, "PNG", nullptr,
            "chart");
  out.reaction(kOther, "$c2", "✅", "$c2/ack");
  out.reaction("!dritter:example.org", "$c3", "✅", "$c3/ack");
  ASSERT_EQ(out.fresh().size(), 1u);
  EXPECT_EQ(out.fresh()[0].room_id, "!dritter:example.org");
  out.finish();
}

TEST(EarlySend, TheOutboxIsHandedOnlyTheFirstNewRowOfEachRoom) {
  // Only one row per room may go before the commit (the rest follow it in order through the
  // drain), so the dispatcher hands over no more: a large batch's replies are not held in memory
  // a second and a third time for the early send (issue 17: 75,563 ✅ at 100k events).
  Bot bot("handed");
  bot.seed({kRoom, kOther});
  std::vector<OutboxItem> handed;
  bot.dispatcher->connect_outbox(
      [&](const std::vector<OutboxItem>& rows) {
        handed = rows;
        return bot.outbox->send_early(rows);
      },
      [&] { bot.outbox->wake(); });
  for (const char* id : {"$a", "$b", "$c", "$d"})
    bot.transport.respond(200, std::string(R"({"event_id":")") + id + "\"}");

  json body = batch("s1", kRoom, {message("$p1", "!ping"), message("$p2", "!ping")});
  body["rooms"]["join"][kOther] = batch(
      "s1", kOther, {message("$p3", "!ping"), message("$p4", "!ping")})["rooms"]["join"][kOther];
  bot.sync(body);

  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(handed[0].room_id, kRoom);
  EXPECT_EQ(handed[1].room_id, kOther);
  ASSERT_EQ(bot.puts.size(), 4u);  // every reply left: two early, two by the drain in order
  EXPECT_EQ(bot.puts[0].committed_token, "s0");
  EXPECT_EQ(bot.puts[1].committed_token, "s0");
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), handed[0].txn_id);
  EXPECT_EQ(bot.txn_of(bot.puts[1].url), handed[1].txn_id);
  EXPECT_EQ(bot.puts[2].committed_token, "s1");
  EXPECT_EQ(bot.puts[3].committed_token, "s1");
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, NothingGoesEarlyWhileARowOfAnotherUnitWaits) {
  // A 📌-collected message's ✅, committed in a unit of its own (not a sync batch) and not drained
  // yet: a reply in the next batch must not pass it. The dispatcher tells the outbox itself that
  // rows wait, whoever committed them.
  Bot bot("unit");
  bot.seed({kRoom});
  std::string fetched = message("$old", "#idee Sandsäcke früher bestellen").dump();
  auto event = matrix::parse_event(fetched, kRoom);
  ASSERT_TRUE(event);
  bot.dispatcher->collect_pinned(*event);
  bot.transport.respond(200, R"({"event_id":"$ack"})");
  bot.transport.respond(200, R"({"event_id":"$pong"})");

  bot.sync(batch("s1", kRoom, {message("$ping", "!ping")}));

  ASSERT_EQ(bot.puts.size(), 2u);
  EXPECT_NE(bot.puts[0].url.find("/send/m.reaction/"), std::string::npos);
  EXPECT_EQ(bot.puts[0].committed_token, "s1");
  EXPECT_EQ(bot.puts[1].committed_token, "s1");
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

TEST(EarlySend, NothingGoesEarlyWhileOlderRowsWait) {
  // A reply queued earlier still waits (e.g. the homeserver was down): a new one must not pass it.
  Bot bot("busy");
  bot.seed({kRoom});
  std::string older_txn;
  {
    store::BatchScope older(*bot.store);
    older_txn = older.queue_send(kRoom, "m.room.message", R"({"msgtype":"m.notice","body":"alt"})",
                                 "older", kNow);
    older.commit();
  }
  bot.outbox->wake();  // as after the commit that queued it
  bot.transport.respond(200, R"({"event_id":"$old"})");
  bot.transport.respond(200, R"({"event_id":"$pong"})");

  bot.sync(batch("s1", kRoom, {message("$ping", "!ping")}));

  ASSERT_EQ(bot.puts.size(), 2u);
  EXPECT_EQ(bot.txn_of(bot.puts[0].url), older_txn);
  EXPECT_EQ(bot.puts[0].committed_token, "s1");
  EXPECT_EQ(bot.puts[1].committed_token, "s1");
  EXPECT_TRUE(bot.store->pending_outbox(10).empty());
}

}  // namespace
}  // namespace reflexbot::app
