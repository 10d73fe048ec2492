// The outbox against a scripted transport and a real (in-memory) SQLite store: every retry and
// every restart reuses the stored transaction id, rate limits wait what the server asked, a
// permanent failure gives up one row only, and a rejected token stops the bot with status 78.

#include "matrix/outbox.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_machine.hpp"
#include "fake_sleeper.hpp"
#include "fake_transport.hpp"
#include "matrix/content.hpp"
#include "matrix/e2ee.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <boost/asio/detached.hpp>

namespace reflexbot::matrix {
namespace {

using std::chrono::milliseconds;
using test::FakeSleeper;
using test::FakeTransport;
using test::header_of;
using test::run_awaitable;

constexpr const char* kBase = "https://hs.example/_matrix/client/v3";
constexpr const char* kRoom = "!a:b.c";
constexpr const char* kRoomPath = "/rooms/%21a%3Ab.c";
constexpr std::int64_t kNow = 1700000000123;

ClientSettings settings(std::string token = "syt_token", std::string password = "") {
  ClientSettings s;
  s.homeserver = "https://hs.example";
  s.user_id = "@bot:hs.example";
  s.access_token = std::move(token);
  s.password = std::move(password);
  return s;
}

std::string notice(const std::string& text) {
  return nlohmann::json{
      {"msgtype", "m.notice"}, {"body", text}, {"m.mentions", nlohmann::json::object()}}
      .dump();
}

std::string send_url(const std::string& txn_id, const std::string& room_path = kRoomPath) {
  return std::string(kBase) + room_path + "/send/m.room.message/" + txn_id;
}

/// One outbox row as the store holds it.
struct Row {
  std::string kind;
  std::string state;
  std::optional<std::string> remote_event_id;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::optional<std::int64_t> sent_at;
};

class OutboxTest : public ::testing::Test {
 protected:
  net::asio::io_context io;
  FakeTransport transport;
  FakeSleeper sleeper;
  store::Store store{":memory:"};

  Client make_client(std::string token = "syt_token", std::string password = "") {
    return Client(transport, settings(std::move(token), std::move(password)));
  }

  Outbox make_outbox(Client& client) {
    return Outbox(client, store, sleeper,
                  Backoff({milliseconds(500), milliseconds(60000)}, [] { return 0.0; }),
                  [] { return kNow; });
  }

  std::optional<Fatal> flush(Outbox& outbox) { return run_awaitable(io, outbox.flush()); }

  /// Encryption for a room whose members are the bot and Anna, with a scripted machine.
  E2ee make_e2ee(Client& client, test::FakeMachine& machine) {
    return E2ee(
        client, machine, sleeper,
        Backoff({milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
        [](const std::string&) {
          return std::vector<std::string>{"@bot:hs.example", "@anna:hs.example"};
        },
        crypto::SharePolicy::all_devices);
  }
  /// The bot is in kRoom, which is encrypted.
  void join_encrypted_room() {
    store::BatchScope batch(store);
    store::RoomRecord room;
    room.room_id = kRoom;
    room.membership = "join";
    room.encrypted = true;
    batch.put_room(room);
    batch.commit();
  }

  Outbox make_encrypting_outbox(Client& client, OutboxQueue& queue, E2ee& e2ee) {
    return Outbox(
        client, queue, sleeper,
        Backoff({milliseconds(500), milliseconds(60000)}, [] { return 0.0; }), [] { return kNow; },
        &e2ee);
  }

  /// Queues one message in its own committed batch; returns its transaction id.
  std::string queue(const std::string& key, const std::string& content,
                    const std::string& room = kRoom) {
    store::BatchScope batch(store);
    std::string txn_id = batch.queue_send(room, "m.room.message", content, key, kNow - 5);
    batch.commit();
    return txn_id;
  }

  void queue_membership(store::OutboxKind kind, const std::string& room) {
    store::BatchScope batch(store);
    batch.queue_membership(kind, room, kNow - 5);
    batch.commit();
  }

  Row row_by_txn(const std::string& txn_id) {
    store::Statement s(store.connection(),
                       "SELECT kind, state, remote_event_id, attempts, last_error, sent_at "
                       "FROM outbox WHERE txn_id = ?");
    s.bind(1, txn_id);
    Row row;
    EXPECT_TRUE(s.step()) << "no outbox row with txn id " << txn_id;
    row.kind = s.column_text(0);
    row.state = s.column_text(1);
    row.remote_event_id = s.column_optional_text(2);
    row.attempts = s.column_int(3);
    row.last_error = s.column_optional_text(4);
    if (!s.column_is_null(5)) row.sent_at = s.column_int(5);
    EXPECT_FALSE(s.step()) << "more than one row with txn id " << txn_id;
    return row;
  }

  std::int64_t row_count() {
    store::Statement s(store.connection(), "SELECT COUNT(*) FROM outbox");
    s.step();
    return s.column_int(0);
  }

  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const auto& request : transport.requests()) out.push_back(request.url);
    return out;
  }
};

TEST_F(OutboxTest, InMemoryStoreStartsEmptyAndMigrated) {
  EXPECT_EQ(store.schema_version(), store::kSchemaVersion);
  EXPECT_TRUE(store.pending_outbox(64).empty());
}

TEST_F(OutboxTest, QueuedSendIsPutWithItsStoredTxnIdAndContentThenRecordedAsSent) {
  const std::string content = notice("pong");
  const std::string txn = queue("$src:b.c/0", content);
  ASSERT_FALSE(txn.empty());
  transport.respond(200, R"({"event_id":"$reply1"})");

  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, send_url(txn));
  EXPECT_EQ(request.body, content);
  EXPECT_EQ(header_of(request, "Authorization"), "Bearer syt_token");
  EXPECT_TRUE(sleeper.delays().empty());

  const Row row = row_by_txn(txn);
  EXPECT_EQ(row.kind, "send");
  EXPECT_EQ(row.state, "sent");
  EXPECT_EQ(row.remote_event_id, "$reply1");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.sent_at, kNow);
  const auto counts = store.counts();
  EXPECT_EQ(counts.outbox_pending, 0);
  EXPECT_EQ(counts.outbox_sent, 1);

  // A second flush has nothing to send (the transport would record any request).
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(transport.requests().size(), 1u);
}

TEST_F(OutboxTest, ServerErrorsAndNetworkErrorsRetryWithTheSameTxnIdAndBackoff) {
  const std::string content = notice("hello");
  const std::string txn = queue("k1", content);
  transport.respond(500, R"({"errcode":"M_UNKNOWN","error":"boom"})");
  transport.respond(502, "<html>Bad Gateway</html>");
  transport.fail(net::TransportErrorKind::connect, "Connection refused");
  transport.fail(net::TransportErrorKind::timeout, "Operation timed out");
  transport.respond(200, R"({"event_id":"$ok"})");

  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  ASSERT_EQ(transport.requests().size(), 5u);
  for (const auto& request : transport.requests()) {
    EXPECT_EQ(request.method, "PUT");
    EXPECT_EQ(request.url, send_url(txn));
    EXPECT_EQ(request.body, content);
  }
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250), milliseconds(500),
                                                         milliseconds(1000), milliseconds(2000)}));
  const Row row = row_by_txn(txn);
  EXPECT_EQ(row.state, "sent");
  EXPECT_EQ(row.remote_event_id, "$ok");
  EXPECT_EQ(row.attempts, 5);
}

TEST_F(OutboxTest, FailedTryIsRecordedWhileTheRowStaysPending) {
  const std::string txn = queue("k1", notice("x"));
  transport.respond(503, R"({"errcode":"M_UNKNOWN","error":"overloaded"})");
  sleeper.stop_after(0);  // the bot stops during the first wait
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  EXPECT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250)}));
  const Row row = row_by_txn(txn);
  EXPECT_EQ(row.state, "pending");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "HTTP 503 M_UNKNOWN: overloaded");
  EXPECT_EQ(row.remote_event_id, std::nullopt);
}

TEST_F(OutboxTest, RateLimitRetryAfterHeaderWaitsExactlyThatLong) {
  const std::string txn = queue("k1", notice("x"));
  transport.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":9000})",
                    {{"Retry-After", "2"}});
  transport.respond(200, R"({"event_id":"$ok"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(2000)}));
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(txn), send_url(txn)}));
  EXPECT_EQ(row_by_txn(txn).state, "sent");
}

TEST_F(OutboxTest, RateLimitRetryAfterMsInBody) {
  const std::string txn = queue("k1", notice("x"));
  transport.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})");
  transport.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})");
  transport.respond(200, R"({"event_id":"$ok"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(1500), milliseconds(1500)}));
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(txn), send_url(txn), send_url(txn)}));
  EXPECT_EQ(row_by_txn(txn).remote_event_id, "$ok");
}

TEST_F(OutboxTest, RateLimitDoesNotAdvanceTheBackoffAndSuccessResetsIt) {
  const std::string first = queue("k1", notice("one"));
  const std::string second = queue("k2", notice("two"));
  transport.respond(500, "{}");                                                       // backoff 250
  transport.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})");  // 1500
  transport.respond(500, "{}");                                                       // backoff 500
  transport.respond(200, R"({"event_id":"$1"})");                                     // reset
  transport.respond(503, "{}");  // backoff 250 again
  transport.respond(200, R"({"event_id":"$2"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250), milliseconds(1500),
                                                         milliseconds(500), milliseconds(250)}));
  EXPECT_EQ(urls(),
            (std::vector<std::string>{send_url(first), send_url(first), send_url(first),
                                      send_url(first), send_url(second), send_url(second)}));
  EXPECT_EQ(row_by_txn(first).remote_event_id, "$1");
  EXPECT_EQ(row_by_txn(second).remote_event_id, "$2");
}

TEST_F(OutboxTest, UnreadableSuccessBodyIsRetriedWithTheSameTxnId) {
  // The server may have stored the event; the same txn id makes the retry idempotent.
  const std::string txn = queue("k1", notice("x"));
  transport.respond(200, "not json");
  transport.respond(200, R"({"event_id":"$ok"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(txn), send_url(txn)}));
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250)}));
  EXPECT_EQ(row_by_txn(txn).remote_event_id, "$ok");
}

TEST_F(OutboxTest, PermanentErrorFailsTheRowAndTheNextRowStillGoesOut) {
  const std::string refused = queue("k1", notice("to a room we were kicked from"));
  const std::string next = queue("k2", notice("next"));
  transport.respond(403, R"({"errcode":"M_FORBIDDEN","error":"not in room"})");
  transport.respond(200, R"({"event_id":"$next"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(refused), send_url(next)}));
  EXPECT_TRUE(sleeper.delays().empty());
  const Row failed = row_by_txn(refused);
  EXPECT_EQ(failed.state, "failed");
  EXPECT_EQ(failed.last_error, "HTTP 403 M_FORBIDDEN: not in room");
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.remote_event_id, std::nullopt);
  EXPECT_EQ(row_by_txn(next).state, "sent");
  const auto counts = store.counts();
  EXPECT_EQ(counts.outbox_failed, 1);
  EXPECT_EQ(counts.outbox_sent, 1);
  EXPECT_EQ(counts.outbox_pending, 0);

  EXPECT_EQ(flush(outbox), std::nullopt);  // a failed row is not tried again
  EXPECT_EQ(transport.requests().size(), 2u);
}

TEST_F(OutboxTest, RowsGoOutInInsertionOrder) {
  // Keys chosen so that txn ids (hashes) do not sort like the insertion order matters not.
  std::vector<std::string> txns;
  std::vector<std::string> contents;
  const char* keys[] = {"zeta", "alpha", "mu", "beta", "omega"};
  {
    store::BatchScope batch(store);
    for (int i = 0; i < 3; ++i) {
      contents.push_back(notice("message " + std::to_string(i)));
      txns.push_back(batch.queue_send(kRoom, "m.room.message", contents.back(), keys[i], kNow));
    }
    batch.commit();
  }
  for (int i = 3; i < 5; ++i) {
    contents.push_back(notice("message " + std::to_string(i)));
    txns.push_back(queue(keys[i], contents.back()));
  }
  for (int i = 0; i < 5; ++i)
    transport.respond(200, R"({"event_id":"$e)" + std::to_string(i) + "\"}");

  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  ASSERT_EQ(transport.requests().size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(transport.request(i).url, send_url(txns[i])) << i;
    EXPECT_EQ(transport.request(i).body, contents[i]) << i;
    EXPECT_EQ(row_by_txn(txns[i]).remote_event_id, "$e" + std::to_string(i)) << i;
  }
}

TEST_F(OutboxTest, MoreRowsThanOnePageAreAllSentInOrder) {
  std::vector<std::string> txns;
  for (int i = 0; i < 150; ++i) {
    txns.push_back(queue("bulk/" + std::to_string(i), notice(std::to_string(i))));
    transport.respond(200, R"({"event_id":"$b)" + std::to_string(i) + "\"}");
  }
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  ASSERT_EQ(transport.requests().size(), 150u);
  for (std::size_t i = 0; i < txns.size(); ++i)
    EXPECT_EQ(transport.request(i).url, send_url(txns[i]));
  EXPECT_EQ(store.counts().outbox_sent, 150);
}

TEST_F(OutboxTest, JoinAndLeaveRowsPostToTheRoomEndpoints) {
  const std::string before = queue("k1", notice("before"));
  queue_membership(store::OutboxKind::join, "!j:b.c");
  queue_membership(store::OutboxKind::leave, "!l:b.c");
  transport.respond(200, R"({"event_id":"$before"})");
  transport.respond(200, R"({"room_id":"!j:b.c"})");
  transport.respond(200, "{}");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  ASSERT_EQ(transport.requests().size(), 3u);
  EXPECT_EQ(transport.request(0).url, send_url(before));
  EXPECT_EQ(transport.request(1).method, "POST");
  EXPECT_EQ(transport.request(1).url, std::string(kBase) + "/rooms/%21j%3Ab.c/join");
  EXPECT_EQ(transport.request(2).method, "POST");
  EXPECT_EQ(transport.request(2).url, std::string(kBase) + "/rooms/%21l%3Ab.c/leave");

  store::Statement s(store.connection(),
                     "SELECT kind, state, remote_event_id FROM outbox ORDER BY id");
  std::vector<std::tuple<std::string, std::string, std::optional<std::string>>> rows;
  while (s.step()) rows.emplace_back(s.column_text(0), s.column_text(1), s.column_optional_text(2));
  using RowTuple = std::tuple<std::string, std::string, std::optional<std::string>>;
  EXPECT_EQ(rows, (std::vector<RowTuple>{
                      {"send", "sent", "$before"}, {"join", "sent", ""}, {"leave", "sent", ""}}));
}

TEST_F(OutboxTest, JoinIsRetriedOnServerErrors) {
  queue_membership(store::OutboxKind::join, "!j:b.c");
  transport.respond(502, "");
  transport.respond(200, "{}");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  const std::string join_url = std::string(kBase) + "/rooms/%21j%3Ab.c/join";
  EXPECT_EQ(urls(), (std::vector<std::string>{join_url, join_url}));
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250)}));
  EXPECT_EQ(store.counts().outbox_sent, 1);
}

TEST_F(OutboxTest, UnknownTokenWithoutPasswordIsFatal78AndTheRowSurvivesForARestart) {
  const std::string content = notice("survives");
  const std::string txn = queue("k1", content);
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  {
    Client client = make_client("syt_revoked");
    Outbox outbox = make_outbox(client);
    const auto fatal = flush(outbox);
    ASSERT_TRUE(fatal.has_value());
    EXPECT_EQ(fatal->exit_code, 78);
    EXPECT_EQ(fatal->exit_code, kExitConfig);
    EXPECT_NE(fatal->message.find("M_UNKNOWN_TOKEN"), std::string::npos) << fatal->message;
    EXPECT_NE(fatal->message.find("token"), std::string::npos);
    EXPECT_EQ(fatal->message.find("syt_revoked"), std::string::npos) << "token leaked into message";
  }
  EXPECT_EQ(transport.requests().size(), 1u);  // no login attempt without a password
  EXPECT_TRUE(sleeper.delays().empty());
  EXPECT_EQ(row_by_txn(txn).state, "pending");

  // "Restart" with a new token: the same row goes out with the same txn id.
  transport.respond(200, R"({"event_id":"$after_restart"})");
  Client client = make_client("syt_new");
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.request(1).url, transport.request(0).url);
  EXPECT_EQ(transport.request(1).url, send_url(txn));
  EXPECT_EQ(transport.request(1).body, content);
  EXPECT_EQ(header_of(transport.request(1), "Authorization"), "Bearer syt_new");
  const Row row = row_by_txn(txn);
  EXPECT_EQ(row.state, "sent");
  EXPECT_EQ(row.remote_event_id, "$after_restart");
}

// Token revoked while running and the configured password refused too: the rows must not be
// given up as if the send had failed (a restart never resends 'failed' rows); the bot exits 78.
TEST_F(OutboxTest, UnknownTokenWithRejectedPasswordIsFatal78AndTheRowStaysPending) {
  const std::string txn = queue("k1", notice("must not be lost"));
  const std::string later = queue("k2", notice("nor this one"));
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  transport.respond(403, R"({"errcode":"M_FORBIDDEN","error":"Invalid username or password"})");
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  transport.respond(403, R"({"errcode":"M_FORBIDDEN","error":"Invalid username or password"})");
  Client client = make_client("syt_revoked", "changed-password");
  Outbox outbox = make_outbox(client);
  const auto fatal = flush(outbox);
  ASSERT_TRUE(fatal.has_value()) << "pending rows were given up instead";
  EXPECT_EQ(fatal->exit_code, kExitConfig);
  EXPECT_EQ(row_by_txn(txn).state, "pending");
  EXPECT_EQ(row_by_txn(later).state, "pending");
}

TEST_F(OutboxTest, UnknownTokenWithPasswordLogsInAndSendsTheSameTxn) {
  const std::string txn = queue("k1", notice("x"));
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  transport.respond(200, R"({"access_token":"syt_fresh","user_id":"@bot:hs.example"})");
  transport.respond(200, R"({"event_id":"$ok"})");
  Client client = make_client("syt_old", "hunter2");
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(txn), std::string(kBase) + "/login",
                                              send_url(txn)}));
  EXPECT_EQ(header_of(transport.request(2), "Authorization"), "Bearer syt_fresh");
  EXPECT_EQ(row_by_txn(txn).remote_event_id, "$ok");
}

TEST_F(OutboxTest, ReloginOutageIsWaitedOutWithTheSameTxn) {
  const std::string txn = queue("k1", notice("x"));
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  transport.fail(net::TransportErrorKind::connect, "Connection refused");  // the login
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  transport.respond(200, R"({"access_token":"syt_fresh","user_id":"@bot:hs.example"})");
  transport.respond(200, R"({"event_id":"$ok"})");
  Client client = make_client("syt_old", "hunter2");
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  const std::string login = std::string(kBase) + "/login";
  EXPECT_EQ(urls(),
            (std::vector<std::string>{send_url(txn), login, send_url(txn), login, send_url(txn)}));
  EXPECT_EQ(sleeper.delays(), (std::vector<milliseconds>{milliseconds(250)}));
  EXPECT_EQ(row_by_txn(txn).remote_event_id, "$ok");
}

TEST_F(OutboxTest, SameKeyQueuedTwiceIsOneRowAndOneSend) {
  std::string first;
  std::string second;
  {
    store::BatchScope batch(store);
    first = batch.queue_send(kRoom, "m.room.message", notice("once"), "$src/0", kNow);
    second = batch.queue_send(kRoom, "m.room.message", notice("once"), "$src/0", kNow);
    batch.commit();
  }
  EXPECT_EQ(first, second);
  EXPECT_EQ(row_count(), 1);
  // A replayed batch (e.g. after a crash before the sync token was saved) queues it again.
  EXPECT_EQ(queue("$src/0", notice("once")), first);
  EXPECT_EQ(row_count(), 1);
  EXPECT_NE(queue("$src/1", notice("twice")), first);
  EXPECT_EQ(row_count(), 2);

  transport.respond(200, R"({"event_id":"$a"})");
  transport.respond(200, R"({"event_id":"$b"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(transport.requests().size(), 2u);

  // Replayed once more after it was sent: still no second row, nothing goes out.
  EXPECT_EQ(queue("$src/0", notice("once")), first);
  EXPECT_EQ(row_count(), 2);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(transport.requests().size(), 2u);
}

TEST_F(OutboxTest, TxnIdDependsOnlyOnTheRoomAndTheKey) {
  // Two stores (two bot runs) derive the same id for the same room and key.
  store::Store other(":memory:");
  store::BatchScope batch(other);
  const std::string there = batch.queue_send(kRoom, "m.reaction", "{}", "$src/0", 1);
  batch.commit();
  EXPECT_EQ(queue("$src/0", notice("here")), there);
}

TEST_F(OutboxTest, StopDuringFlushLeavesLaterRowsPending) {
  const std::string first = queue("k1", notice("1"));
  const std::string second = queue("k2", notice("2"));
  transport.respond(200, R"({"event_id":"$1"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  transport.on_request([&outbox](const net::Request&) { outbox.stop(); });
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(first)}));
  EXPECT_EQ(row_by_txn(first).state, "sent");
  EXPECT_EQ(row_by_txn(second).state, "pending");
}

TEST_F(OutboxTest, RunFlushesWhenWokenAndEndsOnStop) {
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  std::optional<std::optional<Fatal>> result;
  net::asio::co_spawn(io, test::detail::store_into(outbox.run(io), &result), net::asio::detached);
  io.poll();  // run() flushes the empty outbox, then waits for wake()
  EXPECT_TRUE(transport.requests().empty());
  EXPECT_FALSE(result.has_value());

  const std::string txn = queue("k1", notice("late"));
  transport.respond(200, R"({"event_id":"$woken"})");
  outbox.wake();
  io.poll();
  EXPECT_EQ(urls(), (std::vector<std::string>{send_url(txn)}));
  EXPECT_EQ(row_by_txn(txn).state, "sent");
  EXPECT_FALSE(result.has_value());  // waiting again

  outbox.stop();
  io.poll();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, std::nullopt);
}

// A picture (the digest's chart): its file is uploaded first, its URI stored at once, then the
// event goes out with it. A restart after the upload reuses the URI: one image, one upload.
class OutboxMediaTest : public OutboxTest {
 protected:
  static constexpr const char* kUploadUrl = "https://hs.example/_matrix/media/v3/upload";
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, '\x07');

  std::string queue_image(const std::string& key, const std::string& room = kRoom) {
    const OutgoingEvent event = image_event(
        {"Die Grafik zeigt zwei Themen.", "themen.png", "image/png", 800, 400, png.size()});
    store::BatchScope batch(store);
    std::string txn_id = batch.queue_media_send(room, event.type, event.content, key, kNow - 5, png,
                                                "image/png", "themen.png");
    batch.commit();
    return txn_id;
  }

  std::int64_t media_rows() {
    store::Statement s(store.connection(), "SELECT COUNT(*) FROM outbox_media");
    s.step();
    return s.column_int(0);
  }
};

TEST_F(OutboxMediaTest, TheFileIsUploadedThenTheEventCarriesItsUri) {
  const std::string txn = queue_image("digest/chart");
  EXPECT_EQ(media_rows(), 1);
  transport.respond(200, R"({"content_uri":"mxc://hs.example/chart1"})");
  transport.respond(200, R"({"event_id":"$image"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);

  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.request(0).method, "POST");
  EXPECT_EQ(transport.request(0).url, std::string(kUploadUrl) + "?filename=themen.png");
  EXPECT_EQ(transport.request(0).body, png);
  EXPECT_EQ(header_of(transport.request(0), "Content-Type"), "image/png");
  EXPECT_EQ(transport.request(1).url, send_url(txn));
  const auto content = nlohmann::json::parse(transport.request(1).body);
  EXPECT_EQ(content["msgtype"], "m.image");
  EXPECT_EQ(content["url"], "mxc://hs.example/chart1");
  EXPECT_EQ(content["body"], "Die Grafik zeigt zwei Themen.");
  EXPECT_EQ(content["filename"], "themen.png");
  EXPECT_EQ(content["info"]["w"], 800);
  EXPECT_EQ(content["info"]["h"], 400);
  EXPECT_EQ(content["info"]["mimetype"], "image/png");
  EXPECT_EQ(content["info"]["size"], png.size());
  EXPECT_EQ(row_by_txn(txn).state, "sent");
  EXPECT_EQ(media_rows(), 0);  // the file is not kept once the event names it
}

TEST_F(OutboxMediaTest, AfterTheUploadARetryAndARestartReuseTheStoredUri) {
  const std::string txn = queue_image("digest/chart");
  transport.respond(200, R"({"content_uri":"mxc://hs.example/once"})");
  transport.respond(502, "bad gateway");  // the send fails once
  transport.respond(200, R"({"event_id":"$image"})");
  {
    Client client = make_client();
    Outbox outbox = make_outbox(client);
    EXPECT_EQ(flush(outbox), std::nullopt);
  }
  ASSERT_EQ(transport.requests().size(), 3u);
  EXPECT_EQ(transport.request(1).url, send_url(txn));
  EXPECT_EQ(transport.request(2).url, send_url(txn));
  EXPECT_EQ(transport.request(1).body, transport.request(2).body);

  // The bot stopped after the upload, before the send (the row is still pending with the URI):
  // the next start sends with the URI it has, without a second upload.
  const std::string second = queue_image("digest/chart-2");
  {
    auto pending = store.pending_outbox(10);
    ASSERT_EQ(pending.size(), 1u);
    ASSERT_TRUE(pending[0].media);
    store.outbox_media_uploaded(pending[0].id, "mxc://hs.example/stored");
  }
  transport.respond(200, R"({"event_id":"$image2"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  ASSERT_EQ(transport.requests().size(), 4u);
  EXPECT_EQ(transport.request(3).url, send_url(second));
  EXPECT_EQ(nlohmann::json::parse(transport.request(3).body)["url"], "mxc://hs.example/stored");
}

TEST_F(OutboxMediaTest, AFailedUploadIsRetriedAndAPermanentRefusalGivesOnlyThatRowUp) {
  const std::string image = queue_image("digest/chart");
  const std::string after = queue("later", notice("weiter"));
  transport.fail(net::TransportErrorKind::connect);
  transport.respond(413, R"({"errcode":"M_TOO_LARGE","error":"too big"})");
  transport.respond(200, R"({"event_id":"$later"})");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(urls(), (std::vector<std::string>{std::string(kUploadUrl) + "?filename=themen.png",
                                              std::string(kUploadUrl) + "?filename=themen.png",
                                              send_url(after)}));
  EXPECT_EQ(row_by_txn(image).state, "failed");
  EXPECT_EQ(row_by_txn(after).state, "sent");
  EXPECT_EQ(media_rows(), 0);
}

TEST_F(OutboxMediaTest, QueueingTheSameKeyAgainKeepsOneRowAndOneFile) {
  const std::string first = queue_image("digest/chart");
  const std::string again = queue_image("digest/chart");
  EXPECT_EQ(first, again);
  EXPECT_EQ(row_count(), 1);
  EXPECT_EQ(media_rows(), 1);
}

TEST_F(OutboxMediaTest, InAnEncryptedRoomOnlyCiphertextIsUploadedAndTheKeyTravelsEncrypted) {
  test::FakeMachine machine;
  join_encrypted_room();
  const std::string txn = queue_image("digest/chart");
  transport.respond(200, R"({"content_uri":"mxc://hs.example/sealed"})");
  transport.respond(200, R"({"event_id":"$image"})");
  Client client = make_client();
  E2ee e2ee = make_e2ee(client, machine);
  Outbox outbox = make_encrypting_outbox(client, store, e2ee);
  EXPECT_EQ(flush(outbox), std::nullopt);

  ASSERT_EQ(transport.requests().size(), 2u);
  // No name, no type, not the picture's bytes.
  EXPECT_EQ(transport.request(0).url, kUploadUrl);
  EXPECT_EQ(header_of(transport.request(0), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(transport.request(0).body.size(), png.size());
  EXPECT_NE(transport.request(0).body, png);
  EXPECT_EQ(machine.attachments, 1);
  // The event itself is encrypted; its plaintext names the file with its key.
  EXPECT_EQ(transport.request(1).url,
            std::string(kBase) + kRoomPath + "/send/m.room.encrypted/" + txn);
  const auto sealed = nlohmann::json::parse(transport.request(1).body);
  const auto ciphertext = sealed["ciphertext"].get<std::string>();
  const auto plain = nlohmann::json::parse(ciphertext.substr(ciphertext.find(':') + 1));
  EXPECT_FALSE(plain.contains("url"));
  EXPECT_EQ(plain["file"]["url"], "mxc://hs.example/sealed");
  EXPECT_EQ(plain["file"]["key"]["k"], "K1");
  EXPECT_EQ(plain["file"]["v"], "v2");
  EXPECT_EQ(plain["info"]["mimetype"], "image/png");
  EXPECT_EQ(row_by_txn(txn).state, "sent");
}

TEST_F(OutboxMediaTest, WithoutEncryptionAnEncryptedRoomsPictureWaitsAndNothingIsUploaded) {
  join_encrypted_room();
  const std::string txn = queue_image("digest/chart");
  Client client = make_client();
  Outbox outbox = make_outbox(client);
  sleeper.stop_after(2);  // three tries, then the bot stops
  EXPECT_EQ(flush(outbox), std::nullopt);
  EXPECT_EQ(sleeper.delays().size(), 3u);
  EXPECT_TRUE(transport.requests().empty());
  EXPECT_EQ(row_by_txn(txn).state, "pending");
  EXPECT_EQ(media_rows(), 1);
}

// A row in an encrypted room: encrypted by the drain before its first try. The store is given the
// ciphertext only when a try fails, so that the retry and a restart send it again under the same
// transaction id; a row delivered at once costs no write (and no fsync) of its own.
class OutboxEncryptedTest : public OutboxTest {
 protected:
  /// The store as the outbox's queue, counting the ciphertext writes.
  class CountingQueue final : public OutboxQueue {
   public:
    explicit CountingQueue(store::Store& store) : store_(store) {}
    std::vector<OutboxItem> pending_outbox(std::size_t limit) override {
      return store_.pending_outbox(limit);
    }
    void outbox_sent(std::int64_t id, const std::string& remote, std::int64_t now) override {
      store_.outbox_sent(id, remote, now);
    }
    void outbox_sent_txn(const std::string& txn, const std::string& remote,
                         std::int64_t now) override {
      store_.outbox_sent_txn(txn, remote, now);
    }
    void outbox_ack_done(const std::string& room_id, const std::string& event_id) override {
      store_.outbox_ack_done(room_id, event_id);
    }
    void outbox_failed(std::int64_t id, const std::string& error, bool permanent) override {
      store_.outbox_failed(id, error, permanent);
    }
    void outbox_encrypted(std::int64_t id, const std::string& type,
                          const std::string& content) override {
      ++ciphertext_writes;
      store_.outbox_encrypted(id, type, content);
    }
    std::optional<OutboxMedia> outbox_media(std::int64_t id) override {
      return store_.outbox_media(id);
    }
    void outbox_media_encrypted(std::int64_t id, const std::string& ciphertext,
                                const std::string& file_info) override {
      store_.outbox_media_encrypted(id, ciphertext, file_info);
    }
    void outbox_media_uploaded(std::int64_t id, const std::string& uri) override {
      store_.outbox_media_uploaded(id, uri);
    }
    void outbox_media_attached(std::int64_t id, const std::string& content) override {
      store_.outbox_media_attached(id, content);
    }
    int ciphertext_writes = 0;

   private:
    store::Store& store_;
  };

  void SetUp() override { join_encrypted_room(); }

  /// Drains the outbox once as a freshly started bot would.
  void drain() {
    Client client = make_client();
    E2ee e2ee = make_e2ee(client, machine);
    Outbox outbox = make_encrypting_outbox(client, queue_, e2ee);
    EXPECT_EQ(flush(outbox), std::nullopt);
  }

  std::string encrypted_send_url(const std::string& txn_id) {
    return std::string(kBase) + kRoomPath + "/send/m.room.encrypted/" + txn_id;
  }

  test::FakeMachine machine;
  CountingQueue queue_{store};
};

TEST_F(OutboxEncryptedTest, ARowDeliveredAtOnceIsNotRewrittenWithItsCiphertext) {
  const std::string txn = queue("reply", notice("Pong"));
  transport.respond(200, R"({"event_id":"$pong"})");
  drain();
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.request(0).url, encrypted_send_url(txn));
  EXPECT_NE(transport.request(0).body.find("SEALED1"), std::string::npos);
  EXPECT_EQ(queue_.ciphertext_writes, 0);
  EXPECT_EQ(row_by_txn(txn).state, "sent");
}

TEST_F(OutboxEncryptedTest, AFailedTryKeepsItsCiphertextForTheRetryAndTheNextStart) {
  const std::string txn = queue("reply", notice("Pong"));
  transport.respond(502, "bad gateway");  // the first try fails, the retry too
  transport.respond(502, "bad gateway");
  sleeper.stop_after(1);  // then the bot stops
  drain();
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.request(0).body, transport.request(1).body);
  EXPECT_EQ(queue_.ciphertext_writes, 1);
  EXPECT_EQ(row_by_txn(txn).state, "pending");
  {
    store::Statement s(store.connection(), "SELECT event_type FROM outbox WHERE txn_id = ?");
    s.bind(1, txn);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_text(0), "m.room.encrypted");  // the ciphertext, not the plaintext
  }

  transport.respond(200, R"({"event_id":"$pong"})");  // the next start
  drain();
  ASSERT_EQ(transport.requests().size(), 3u);
  EXPECT_EQ(transport.request(2).url, encrypted_send_url(txn));
  EXPECT_EQ(transport.request(2).body, transport.request(0).body);
  EXPECT_EQ(machine.encryptions, 1);
  EXPECT_EQ(row_by_txn(txn).state, "sent");
}

}  // namespace
}  // namespace reflexbot::matrix
