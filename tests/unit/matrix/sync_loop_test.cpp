// The sync loop against a scripted transport and a recording sink: the filter, the sync query,
// gap filling from /messages, retries and the fatal token error.

#include "matrix/sync_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "fake_sleeper.hpp"
#include "fake_transport.hpp"

namespace reflexbot::matrix {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using test::FakeSleeper;
using test::FakeTransport;
using test::run_awaitable;

constexpr const char* kBase = "https://hs.example/_matrix/client/v3";
const std::string kBot = "@bot:hs.example";
const std::string kRoom = "!room:hs.example";

/// Records what the loop hands over; sync_token and was_joined are set by the test.
class RecordingSink final : public SyncSink {
 public:
  std::optional<std::string> sync_token() override { return token; }
  bool was_joined(const std::string& room_id) override { return joined.contains(room_id); }
  void begin(const SyncBatch& outline, bool is_initial) override {
    log.push_back(std::string("begin") + (is_initial ? " initial" : ""));
    limited_rooms.clear();
    for (const auto& room : outline.joined) {
      if (room.limited) limited_rooms.push_back(room.room_id);
    }
  }
  void room_timeline(const std::string& room_id) override { log.push_back("room " + room_id); }
  void timeline_event(const Event& event) override {
    log.push_back("event " + event.event_id);
    events.push_back(event);
  }
  void malformed(const MalformedEvent& event) override {
    log.push_back("malformed " + event.reason);
    bad.push_back(event);
  }
  void commit(const std::string& next_batch) override {
    log.push_back("commit " + next_batch);
    token = next_batch;
  }
  void abort() override { log.push_back("abort"); }
  void undecryptable(const Event& event, const crypto::Undecryptable&) override {
    log.push_back("keep " + event.event_id);
  }
  std::vector<KeptEvent> kept_events(std::size_t) override { return {}; }
  void drop_kept(const std::string& event_id) override { log.push_back("drop " + event_id); }
  void received(std::size_t body_bytes) override {
    received_sizes.push_back(body_bytes);
    log_when_received.push_back(log.size());
  }

  std::optional<std::string> token;
  std::vector<std::size_t> received_sizes;
  std::vector<std::size_t> log_when_received;  ///< log.size() at each received()
  std::set<std::string> joined;
  std::vector<std::string> log;
  std::vector<Event> events;
  std::vector<MalformedEvent> bad;
  std::vector<std::string> limited_rooms;
};

json message(const std::string& id) {
  return {{"type", "m.room.message"},
          {"event_id", id},
          {"sender", "@anna:hs.example"},
          {"origin_server_ts", 1},
          {"content", {{"msgtype", "m.text"}, {"body", "x"}}}};
}

std::string sync_body(const std::string& next_batch, const std::vector<json>& events,
                      bool limited = false, const std::string& prev_batch = "") {
  json timeline = {{"events", json(events)}, {"limited", limited}};
  if (!prev_batch.empty()) timeline["prev_batch"] = prev_batch;
  return json{{"next_batch", next_batch},
              {"rooms", {{"join", {{kRoom, {{"timeline", timeline}}}}}}}}
      .dump();
}

class SyncLoopTest : public ::testing::Test {
 protected:
  SyncLoop make_loop(BackoffPolicy policy = BackoffPolicy{milliseconds(100), milliseconds(1000)}) {
    return SyncLoop(client_, sink_, sleeper_, Backoff(policy, [] { return 0.0; }),
                    SyncOptions{30000, 10, 2, 100, 2000, 1000}, [this] { ++commits_; });
  }

  ClientSettings settings() {
    ClientSettings s;
    s.homeserver = "https://hs.example";
    s.user_id = kBot;
    s.access_token = "syt_secret";
    return s;
  }

  net::asio::io_context io_;
  FakeTransport transport_;
  Client client_{transport_, settings()};
  RecordingSink sink_;
  FakeSleeper sleeper_;
  int commits_ = 0;
};

TEST_F(SyncLoopTest, UploadsAFilterForTheEventsTheBotUses) {
  transport_.respond(200, R"({"filter_id":"7"})");
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.prepare()));
  const auto& request = transport_.request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, std::string(kBase) + "/user/%40bot%3Ahs.example/filter");
  auto filter = json::parse(request.body);
  EXPECT_EQ(filter["room"]["timeline"]["limit"], 10);
  EXPECT_EQ(filter["room"]["state"]["lazy_load_members"], true);
  const auto& types = filter["room"]["timeline"]["types"];
  for (const char* type :
       {"m.room.message", "m.reaction", "m.room.redaction", "m.room.member", "m.room.power_levels",
        "m.room.encryption", "m.room.name", "m.room.create"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), type), types.end()) << type;
  }
}

TEST_F(SyncLoopTest, TheFirstSyncIsInitialAndLaterOnesLongPollFromTheStoredToken) {
  transport_.respond(200, R"({"filter_id":"7"})");
  transport_.respond(200, sync_body("s1", {message("$a")}));
  transport_.respond(200, sync_body("s2", {message("$b")}));
  auto loop = make_loop();
  run_awaitable(io_, loop.prepare());
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(transport_.request(1).url,
            std::string(kBase) + "/sync?timeout=0&set_presence=offline&filter=7");
  EXPECT_EQ(transport_.request(2).url,
            std::string(kBase) + "/sync?timeout=30000&set_presence=offline&filter=7&since=s1");
  EXPECT_EQ(sink_.log,
            (std::vector<std::string>{"begin initial", "room " + kRoom, "event $a", "commit s1",
                                      "begin", "room " + kRoom, "event $b", "commit s2"}));
  EXPECT_EQ(commits_, 2);
}

TEST_F(SyncLoopTest, TheSinkHearsABodysSizeBeforeTheBodyIsParsed) {
  // So that the app can make room before a large body's parse (issue 17: a bot with its
  // dictionaries loaded held them beside the body and the parser's buffers).
  const std::string body = sync_body("s1", {message("$a")});
  transport_.respond(200, R"({"filter_id":"7"})");
  transport_.respond(200, body);
  auto loop = make_loop();
  run_awaitable(io_, loop.prepare());
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sink_.received_sizes, (std::vector<std::size_t>{body.size()}));
  EXPECT_EQ(sink_.log_when_received, (std::vector<std::size_t>{0}));  // before begin
  EXPECT_EQ(sink_.log.back(), "commit s1");
}

// The app may hold a /sync request back (after a large body, until the indexing that followed
// its commit is done): the pace is awaited before each step's request, not after it.
TEST_F(SyncLoopTest, ThePaceIsAwaitedBeforeEachSyncRequest) {
  transport_.respond(200, R"({"filter_id":"7"})");
  transport_.respond(200, sync_body("s1", {message("$a")}));
  transport_.respond(200, sync_body("s2", {message("$b")}));
  auto loop = make_loop();
  std::vector<std::size_t> requests_when_paced;
  loop.pace_requests([&]() -> net::asio::awaitable<void> {
    requests_when_paced.push_back(transport_.requests().size());
    co_return;
  });
  run_awaitable(io_, loop.prepare());
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  // The filter upload, then each /sync after its pace.
  EXPECT_EQ(requests_when_paced, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(sink_.log.back(), "commit s2");
}

// Without encryption yet, the loop asks for it when a batch first needs it (the app then loads
// the crypto library): before the batch when its outline does, after the commit when only a
// timeline says a room is encrypted. The starter here only records when it is called.
class LazyEncryptionTest : public SyncLoopTest {
 protected:
  std::vector<std::string> step_with(const std::string& body) {
    transport_.respond(200, R"({"filter_id":"7"})");
    transport_.respond(200, body);
    auto loop = make_loop();
    loop.start_encryption_when_needed([this]() -> net::asio::awaitable<std::optional<Fatal>> {
      sink_.log.push_back("start encryption");
      co_return std::nullopt;
    });
    run_awaitable(io_, loop.prepare());
    EXPECT_FALSE(run_awaitable(io_, loop.step()));
    return sink_.log;
  }
};

json invite(bool encrypted) {
  json events = json::array();
  if (encrypted) {
    events.push_back({{"type", "m.room.encryption"},
                      {"state_key", ""},
                      {"sender", "@anna:hs.example"},
                      {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}});
  }
  events.push_back({{"type", "m.room.member"},
                    {"state_key", kBot},
                    {"sender", "@anna:hs.example"},
                    {"content", {{"membership", "invite"}}}});
  return {{"invite_state", {{"events", events}}}};
}

json encryption_event(const std::string& id) {
  return {{"type", "m.room.encryption"},
          {"event_id", id},
          {"state_key", ""},
          {"sender", "@anna:hs.example"},
          {"origin_server_ts", 1},
          {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}};
}

TEST_F(LazyEncryptionTest, AnInviteToAnEncryptedRoomStartsEncryptionBeforeTheBatch) {
  const auto log = step_with(
      json{{"next_batch", "s1"}, {"rooms", {{"invite", {{"!new:hs.example", invite(true)}}}}}}
          .dump());
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "start encryption");
  EXPECT_EQ(std::count(log.begin(), log.end(), "start encryption"), 1);
}

TEST_F(LazyEncryptionTest, ToDeviceEventsStartEncryptionBeforeTheBatch) {
  json body = json::parse(sync_body("s1", {message("$a")}));
  json request = {{"type", "m.room_key_request"},
                  {"sender", "@anna:hs.example"},
                  {"content", {{"action", "request"}}}};
  body["to_device"] = {{"events", json::array({request})}};
  const auto log = step_with(body.dump());
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "start encryption");
}

TEST_F(LazyEncryptionTest, AnEncryptedRoomsStateStartsEncryptionBeforeTheBatch) {
  json body = json::parse(sync_body("s1", {message("$a")}));
  body["rooms"]["join"][kRoom]["state"] = {{"events", {encryption_event("$enc")}}};
  const auto log = step_with(body.dump());
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "start encryption");
}

TEST_F(LazyEncryptionTest, ARoomThatSwitchesEncryptionOnInItsTimelineStartsItAfterTheCommit) {
  const auto log = step_with(sync_body("s1", {message("$a"), encryption_event("$enc")}));
  EXPECT_EQ(log, (std::vector<std::string>{"begin initial", "room " + kRoom, "event $a",
                                           "event $enc", "commit s1", "start encryption"}));
}

TEST_F(LazyEncryptionTest, ClearBatchesStartNothing) {
  json body = json::parse(sync_body("s1", {message("$a")}));
  body["rooms"]["invite"] = {{"!clear:hs.example", invite(false)}};
  body["to_device"] = {{"events", json::array()}};
  body["device_lists"] = {{"changed", {"@anna:hs.example"}}};
  const auto log = step_with(body.dump());
  EXPECT_EQ(std::count(log.begin(), log.end(), "start encryption"), 0) << log.size();
  EXPECT_EQ(log.back(), "commit s1");
}

TEST_F(SyncLoopTest, ALimitedTimelineIsFilledFromMessagesBeforeItsEvents) {
  sink_.token = "s0";
  sink_.joined.insert(kRoom);
  transport_.respond(200, sync_body("s1", {message("$e5")}, true, "p5"));
  // dir=b: newest first; page size 2 from SyncOptions.
  transport_.respond(
      200,
      json{{"chunk", json::array({message("$e4"), message("$e3")})}, {"start", "p5"}, {"end", "p3"}}
          .dump());
  transport_.respond(200, json{{"chunk", json::array({message("$e2")})}, {"start", "p3"}}.dump());
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  const std::string messages =
      std::string(kBase) + "/rooms/%21room%3Ahs.example/messages?dir=b&limit=2";
  EXPECT_EQ(transport_.request(1).url, messages + "&from=p5&to=s0");
  EXPECT_EQ(transport_.request(2).url, messages + "&from=p3&to=s0");
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"begin", "room " + kRoom, "event $e2", "event $e3",
                                                 "event $e4", "event $e5", "commit s1"}));
}

// A malformed event that arrives through the gap fill is quarantined like one on /sync, in the
// same batch: it used to vanish (no quarantine row, no seen row, no log line).
TEST_F(SyncLoopTest, MalformedEventsOfAGapPageReachTheSinkInTheSameBatch) {
  sink_.token = "s0";
  sink_.joined.insert(kRoom);
  transport_.respond(200, sync_body("s1", {message("$e4")}, true, "p4"));
  json reference = message("$ref");
  reference["type"] = "m.reaction";
  reference["content"] = {{"m.relates_to", {{"rel_type", "m.reference"}, {"event_id", "$e2"}}}};
  json no_body = message("$nobody");
  no_body["content"].erase("body");
  transport_.respond(
      200, json{{"chunk", json::array({message("$e3"), reference})}, {"start", "p4"}, {"end", "p2"}}
               .dump());
  transport_.respond(
      200, json{{"chunk", json::array({no_body, message("$e2")})}, {"start", "p2"}}.dump());
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sink_.log,
            (std::vector<std::string>{"begin", "room " + kRoom, "event $e2", "event $e3",
                                      "event $e4", "malformed content.body missing",
                                      "malformed content.m.relates_to.rel_type is not m.annotation",
                                      "commit s1"}));
  ASSERT_EQ(sink_.bad.size(), 2u);  // chronologically, as the events
  EXPECT_EQ(sink_.bad[0].event_id, "$nobody");
  EXPECT_NE(sink_.bad[0].raw_json.find("$nobody"), std::string::npos);
  EXPECT_EQ(sink_.bad[1].event_id, "$ref");
  EXPECT_EQ(sink_.bad[1].room_id, kRoom);
  EXPECT_EQ(sink_.bad[1].type, "m.reaction");
  EXPECT_EQ(sink_.bad[1].sender, "@anna:hs.example");
}

// A wrong optional field in a gap page costs the field, not the message.
TEST_F(SyncLoopTest, AGapMessageWithAWrongOptionalFieldIsKept) {
  sink_.token = "s0";
  sink_.joined.insert(kRoom);
  transport_.respond(200, sync_body("s1", {message("$e3")}, true, "p3"));
  json odd = message("$e2");
  odd["content"]["m.relates_to"] = "x";
  odd["content"]["m.new_content"] = 5;
  transport_.respond(200, json{{"chunk", json::array({odd})}, {"start", "p3"}}.dump());
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"begin", "room " + kRoom, "event $e2", "event $e3",
                                                 "commit s1"}));
}

TEST_F(SyncLoopTest, GapsAreNotFilledInRoomsTheBotWasNotJoinedTo) {
  sink_.token = "s0";
  transport_.respond(200, sync_body("s1", {message("$e5")}, true, "p5"));
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(sink_.log.back(), "commit s1");
}

TEST_F(SyncLoopTest, ServerErrorsAndRateLimitsAreRetriedWithTheRightDelays) {
  sink_.token = "s0";
  transport_.respond(502, "<html>bad gateway</html>");
  transport_.fail(net::TransportErrorKind::connect, "connection refused");
  transport_.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})");
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  // Backoff 100 ms, then 200 ms (jitter source 0 → the lower half), then what the server asked.
  EXPECT_EQ(sleeper_.delays(),
            (std::vector<milliseconds>{milliseconds(50), milliseconds(100), milliseconds(1500)}));
  EXPECT_EQ(sink_.token, "s1");
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NE(transport_.request(i).url.find("since=s0"), std::string::npos);
  }
}

// --- probes while a long backoff runs -------------------------------------------------------
// After a 90 s outage the first /sync came 31.8 s after the homeserver was back: the backoff had
// grown to tens of seconds. While such a wait runs, GET /versions is tried every 2 s and the wait
// ends once the homeserver is seen back.

constexpr const char* kVersions = "https://hs.example/_matrix/client/versions";
const std::string kVersionsBody = R"({"versions":["v1.11"]})";
// A first backoff delay of 10 s (jitter source 0 → the lower half of 20 s).
const BackoffPolicy kLongBackoff{milliseconds(20000), milliseconds(60000)};

TEST_F(SyncLoopTest, ABackoffAfterAnOutageEndsOnceVersionsAnswers) {
  sink_.token = "s0";
  transport_.fail(net::TransportErrorKind::connect, "connection refused");  // /sync
  transport_.fail(net::TransportErrorKind::connect, "connection refused");  // probe 1
  transport_.respond(502, "<html>bad gateway</html>");                      // probe 2
  transport_.respond(200, kVersionsBody);                                   // probe 3
  transport_.respond(200, sync_body("s1", {message("$a")}));
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  // Three probe intervals instead of the whole 10 s.
  EXPECT_EQ(sleeper_.delays(), (std::vector<milliseconds>{milliseconds(2000), milliseconds(2000),
                                                          milliseconds(2000)}));
  ASSERT_EQ(transport_.requests().size(), 5u);
  for (std::size_t i = 1; i <= 3; ++i) {
    const auto& probe = transport_.request(i);
    EXPECT_EQ(probe.method, "GET");
    EXPECT_EQ(probe.url, kVersions);
    EXPECT_EQ(probe.timeout, milliseconds(1000));
    EXPECT_EQ(test::header_of(probe, "Authorization"), std::nullopt);
  }
  EXPECT_NE(transport_.request(4).url.find("/sync?"), std::string::npos);
  EXPECT_EQ(sink_.token, "s1");
}

TEST_F(SyncLoopTest, ProbesAreBoundedByTheBackoffDelay) {
  sink_.token = "s0";
  transport_.respond(503, "{}");
  for (int i = 0; i < 4; ++i) transport_.fail(net::TransportErrorKind::timeout, "timed out");
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  // 10 s in all: four probes, one after each 2 s but the last.
  EXPECT_EQ(sleeper_.delays(),
            (std::vector<milliseconds>{milliseconds(2000), milliseconds(2000), milliseconds(2000),
                                       milliseconds(2000), milliseconds(2000)}));
  EXPECT_EQ(transport_.requests().size(), 6u);
  EXPECT_EQ(transport_.remaining(), 0u);
}

// A homeserver that answers /versions at once was not away: its 5xx is its own trouble, and the
// backoff must not be cut short (that would hammer it every 2 s).
TEST_F(SyncLoopTest, AServerErrorWhileTheHomeserverAnswersWaitsTheWholeBackoff) {
  sink_.token = "s0";
  transport_.respond(500, R"({"errcode":"M_UNKNOWN","error":"Internal server error"})");
  transport_.respond(200, kVersionsBody);
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays(), (std::vector<milliseconds>{milliseconds(2000), milliseconds(8000)}));
  EXPECT_EQ(transport_.requests().size(), 3u);
}

// A 200 that is not the versions object (a proxy's maintenance page) does not count as back.
TEST_F(SyncLoopTest, AMaintenancePageIsNotTheHomeserverBack) {
  sink_.token = "s0";
  transport_.fail(net::TransportErrorKind::connect, "connection refused");
  transport_.respond(200, "<html>Wartung</html>");
  transport_.respond(200, kVersionsBody);
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays(), (std::vector<milliseconds>{milliseconds(2000), milliseconds(2000)}));
}

TEST_F(SyncLoopTest, RateLimitsAndUnreadableBodiesAreNotProbed) {
  sink_.token = "s0";
  transport_.respond(429, R"({"errcode":"M_LIMIT_EXCEEDED"})", {{"Retry-After", "10"}});
  transport_.respond(200, "{\"next_batch\": ");
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays(),
            (std::vector<milliseconds>{milliseconds(10000), milliseconds(10000)}));
  EXPECT_EQ(transport_.requests().size(), 3u);  // no /versions in between
}

TEST_F(SyncLoopTest, StoppingWhileProbingEndsTheStep) {
  sink_.token = "s0";
  transport_.fail(net::TransportErrorKind::connect, "connection refused");
  transport_.fail(net::TransportErrorKind::connect, "connection refused");
  sleeper_.stop_after(1);
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays().size(), 2u);
  EXPECT_TRUE(sink_.log.empty());
  EXPECT_EQ(transport_.requests().size(), 2u);
}

// The filter upload and the gap fill wait the same way.
TEST_F(SyncLoopTest, TheFilterUploadAndTheGapFillAlsoEndTheirWaitOnceVersionsAnswers) {
  transport_.fail(net::TransportErrorKind::connect, "connection refused");  // filter
  transport_.respond(200, kVersionsBody);                                   // probe
  transport_.respond(200, R"({"filter_id":"7"})");
  auto loop = make_loop(kLongBackoff);
  EXPECT_FALSE(run_awaitable(io_, loop.prepare()));
  EXPECT_EQ(sleeper_.delays(), (std::vector<milliseconds>{milliseconds(2000)}));

  sink_.token = "s0";
  sink_.joined.insert(kRoom);
  transport_.respond(200, sync_body("s1", {message("$e3")}, true, "p3"));
  transport_.fail(net::TransportErrorKind::connect, "connection refused");  // /messages
  transport_.fail(net::TransportErrorKind::connect, "connection refused");  // probe
  transport_.respond(200, kVersionsBody);                                   // probe
  transport_.respond(200, json{{"chunk", json::array({message("$e2")})}, {"start", "p3"}}.dump());
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays(), (std::vector<milliseconds>{milliseconds(2000), milliseconds(2000),
                                                          milliseconds(2000)}));
  EXPECT_EQ(sink_.log.back(), "commit s1");
  EXPECT_EQ(transport_.remaining(), 0u);
}

TEST_F(SyncLoopTest, ABodyThatIsNotJsonIsRetriedAndNothingIsCommitted) {
  sink_.token = "s0";
  transport_.respond(200, "{\"next_batch\": ");
  transport_.respond(200, sync_body("s1", {}));
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays().size(), 1u);
  EXPECT_EQ(sink_.log.front(), "begin");
  EXPECT_EQ(sink_.token, "s1");
}

TEST_F(SyncLoopTest, ARejectedTokenIsFatalWithStatus78) {
  sink_.token = "s0";
  transport_.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  auto loop = make_loop();
  auto fatal = run_awaitable(io_, loop.step());
  ASSERT_TRUE(fatal);
  EXPECT_EQ(fatal->exit_code, 78);
  EXPECT_NE(fatal->message.find("M_UNKNOWN_TOKEN"), std::string::npos);
  EXPECT_EQ(fatal->message.find("syt_secret"), std::string::npos);
  EXPECT_TRUE(sink_.log.empty());
}

TEST_F(SyncLoopTest, StoppingDuringABackoffEndsTheStepWithoutCommitting) {
  sink_.token = "s0";
  transport_.respond(503, "{}");
  sleeper_.stop_after(0);
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_TRUE(sink_.log.empty());
  EXPECT_EQ(sink_.token, "s0");
}

// The injection test's finding: raw bytes that are not UTF-8 in one event used to fail the whole
// body, and the loop retried the same `since` forever. Now they become U+FFFD and the batch goes
// through; the token advances.
TEST_F(SyncLoopTest, InvalidUtf8InOneEventNeitherStallsTheLoopNorLosesTheOthers) {
  sink_.token = "s0";
  std::string bad = sync_body("s1", {message("$a"), message("$bad"), message("$c")});
  const std::string marker = R"("event_id":"$bad")";
  const auto at = bad.find(marker);
  ASSERT_NE(at, std::string::npos);
  const auto content_at = bad.rfind(R"("content")", at);  // dump() sorts keys: content first
  ASSERT_NE(content_at, std::string::npos);
  const auto field = bad.find(R"("body":"x")", content_at);
  ASSERT_LT(field, at);
  bad.replace(field, 10, "\"body\":\"\xFF #erfolg\"");
  transport_.respond(200, bad);
  transport_.respond(200, sync_body("s2", {message("$d")}));
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_TRUE(sleeper_.delays().empty());  // nothing was retried
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"begin", "room " + kRoom, "event $a", "event $bad",
                                                 "event $c", "commit s1", "begin", "room " + kRoom,
                                                 "event $d", "commit s2"}));
  ASSERT_EQ(sink_.events.size(), 4u);
  EXPECT_EQ(std::get<RoomMessage>(sink_.events[1].content).body, "\xEF\xBF\xBD #erfolg");
  EXPECT_EQ(std::get<RoomMessage>(sink_.events[0].content).body, "x");
  EXPECT_NE(transport_.request(1).url.find("since=s1"), std::string::npos);
  EXPECT_EQ(sink_.token, "s2");
}

TEST_F(SyncLoopTest, InvalidUtf8InAGapPageIsRepairedToo) {
  sink_.token = "s0";
  sink_.joined.insert(kRoom);
  transport_.respond(200, sync_body("s1", {message("$e3")}, true, "p3"));
  std::string page =
      json{{"chunk", json::array({message("$e2")})}, {"start", "p3"}, {"end", "p2"}}.dump();
  const auto field = page.find(R"("body":"x")");
  ASSERT_NE(field, std::string::npos);
  page.replace(field, 10, "\"body\":\"\xC0\xAF\"");
  transport_.respond(200, page);
  transport_.respond(200, json{{"chunk", json::array()}, {"start", "p2"}}.dump());
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"begin", "room " + kRoom, "event $e2", "event $e3",
                                                 "commit s1"}));
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(std::get<RoomMessage>(sink_.events[0].content).body, "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(sleeper_.delays().empty());
}

// A body that is not JSON at all (e.g. cut off) cannot be skipped: without next_batch there is
// no way past it. The loop keeps the token and retries with a growing, capped backoff, never hot.
TEST_F(SyncLoopTest, ABodyThatStaysBrokenIsRetriedWithGrowingCappedBackoff) {
  sink_.token = "s0";
  const std::string truncated = sync_body("s1", {message("$a")}).substr(0, 40);
  for (int i = 0; i < 7; ++i) transport_.respond(200, truncated);
  transport_.respond(200, sync_body("s1", {message("$a")}));
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  // Policy 100 ms .. 1000 ms, jitter source 0 → the lower half of each step.
  EXPECT_EQ(sleeper_.delays(),
            (std::vector<milliseconds>{milliseconds(50), milliseconds(100), milliseconds(200),
                                       milliseconds(400), milliseconds(500), milliseconds(500),
                                       milliseconds(500)}));
  ASSERT_EQ(transport_.requests().size(), 8u);  // no filter re-upload in between: only /sync
  for (const auto& request : transport_.requests()) {
    EXPECT_NE(request.url.find("/sync?"), std::string::npos);
    EXPECT_NE(request.url.find("since=s0"), std::string::npos);
  }
  EXPECT_EQ(sink_.log,
            (std::vector<std::string>{"begin", "room " + kRoom, "event $a", "commit s1"}));
}

TEST_F(SyncLoopTest, ABrokenBodyDoesNotKeepTheLoopFromStopping) {
  sink_.token = "s0";
  transport_.respond(200, "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{");
  sleeper_.stop_after(0);
  auto loop = make_loop();
  EXPECT_FALSE(run_awaitable(io_, loop.step()));
  EXPECT_EQ(sleeper_.delays().size(), 1u);
  EXPECT_TRUE(sink_.log.empty());
  EXPECT_EQ(sink_.token, "s0");
}

}  // namespace
}  // namespace reflexbot::matrix
