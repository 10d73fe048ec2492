// End-to-end encryption in the matrix layer, against a fake machine: the sync's key parts reach
// the machine before the timeline, encrypted events go on as what they carry or wait for their
// keys, sends share the room key first, and cross-signing is set up with the password.

#include "matrix/e2ee.hpp"

#include <algorithm>
#include <functional>
#include <optional>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_machine.hpp"
#include "fake_sleeper.hpp"
#include "fake_transport.hpp"
#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"

namespace reflexbot::matrix {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using test::FakeMachine;
using test::FakeSleeper;
using test::FakeTransport;
using test::run_awaitable;
using test::sealed_content;

const std::string kBot = "@bot:hs.example";
const std::string kRoom = "!room:hs.example";
const std::string kAnna = "@anna:hs.example";
/// A room key's share with Anna's device, as the machine asks for it.
const crypto::Request kShare{"t1", "to_device", "PUT",
                             "/_matrix/client/v3/sendToDevice/m.room.encrypted/t1", "{}"};

/// Records events, kept events and batches; keeps kept events like the store would.
class KeepingSink final : public SyncSink {
 public:
  std::optional<std::string> sync_token() override { return token; }
  bool was_joined(const std::string&) override { return true; }
  void begin(const SyncBatch&, bool) override { log.push_back("begin"); }
  void room_timeline(const std::string&) override {}
  void timeline_event(const Event& event) override {
    log.push_back("event " + event.event_id + " " + event.type);
    events.push_back(event);
  }
  void malformed(const MalformedEvent& event) override {
    log.push_back("malformed " + event.reason);
  }
  void commit(const std::string& next_batch) override {
    log.push_back("commit " + next_batch);
    token = next_batch;
    if (on_commit) on_commit();
  }
  void abort() override { log.push_back("abort"); }
  void undecryptable(const Event& event, const crypto::Undecryptable& why) override {
    log.push_back("keep " + event.event_id + " " + why.session_id);
    kept.push_back({event.event_id, event.room_id, encrypted_event_json(event), kept_at});
  }
  std::vector<KeptEvent> kept_events(std::size_t) override { return kept; }
  void drop_kept(const std::string& event_id) override {
    log.push_back("drop " + event_id);
    std::erase_if(kept, [&](const KeptEvent& k) { return k.event_id == event_id; });
  }

  std::optional<std::string> token;
  std::vector<std::string> log;
  std::vector<Event> events;
  std::vector<KeptEvent> kept;
  std::int64_t kept_at = 1000;
  std::function<void()> on_commit;  ///< runs at each commit (after the batch's replies left)
};

json encrypted(const std::string& id, const json& content) {
  return {{"type", "m.room.encrypted"},
          {"event_id", id},
          {"sender", kAnna},
          {"origin_server_ts", 1700000000000},
          {"content", content}};
}

std::string sync_body(const std::string& next_batch, const std::vector<json>& events,
                      const json& extra = json::object()) {
  json body = {
      {"next_batch", next_batch},
      {"rooms", {{"join", {{kRoom, {{"timeline", {{"events", events}, {"limited", false}}}}}}}}}};
  body.update(extra);
  return body.dump();
}

class E2eeTest : public ::testing::Test {
 protected:
  ClientSettings settings() {
    ClientSettings s;
    s.homeserver = "https://hs.example";
    s.user_id = kBot;
    s.access_token = "syt_secret";
    s.password = "bot-password";
    return s;
  }

  E2ee make_e2ee() {
    return E2ee(
        client_, machine_, sleeper_,
        Backoff(BackoffPolicy{milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
        [](const std::string&) {
          return std::vector<std::string>{kAnna, kBot};
        },
        crypto::SharePolicy::all_devices);
  }

  /// Parses and ingests a body as the sync loop would.
  void ingest_body(std::string body, E2ee& e2ee) {
    auto outline = parse_sync_outline(body, kBot);
    ASSERT_TRUE(outline);
    ASSERT_TRUE(ingest(sink_, body, *outline, {}, kBot, false, {}, &e2ee));
  }

  net::asio::io_context io_;
  FakeTransport transport_;
  Client client_{transport_, settings()};
  FakeMachine machine_;
  FakeSleeper sleeper_;
  KeepingSink sink_;
};

TEST(SyncEncryptionParts, ToDeviceEventsDeviceListsAndKeyCountsAreRead) {
  std::string body =
      sync_body("s2", {},
                {{"to_device", {{"events", json::array({{{"type", "m.room.encrypted"}}})}}},
                 {"device_lists", {{"changed", {kAnna}}, {"left", {"@olaf:hs.example"}}}},
                 {"device_one_time_keys_count", {{"signed_curve25519", 12}}},
                 {"device_unused_fallback_key_types", {"signed_curve25519"}}});
  auto outline = parse_sync_outline(body, kBot);
  ASSERT_TRUE(outline);
  const auto& parts = outline->encryption;
  EXPECT_EQ(json::parse(parts.to_device_events).size(), 1u);
  EXPECT_EQ(parts.changed, std::vector<std::string>{kAnna});
  EXPECT_EQ(parts.left, std::vector<std::string>{"@olaf:hs.example"});
  EXPECT_EQ(json::parse(parts.one_time_key_counts)["signed_curve25519"], 12);
  ASSERT_TRUE(parts.unused_fallback_keys);
  EXPECT_EQ(parts.next_batch, "s2");
  EXPECT_FALSE(parts.empty());
}

TEST(SyncEncryptionParts, MalformedPartsAreIgnoredNotFatal) {
  std::string body = sync_body("s2", {}, {{"to_device", 5}, {"device_lists", {{"changed", 7}}}});
  auto outline = parse_sync_outline(body, kBot);
  ASSERT_TRUE(outline);
  EXPECT_TRUE(outline->encryption.empty());
}

TEST_F(E2eeTest, AnEncryptedMessageGoesOnAsTheMessageItCarries) {
  machine_.known_sessions.insert("S1");
  auto e2ee = make_e2ee();
  ingest_body(
      sync_body("s2", {encrypted("$e1", sealed_content("S1", "m.room.message",
                                                       {{"msgtype", "m.text"},
                                                        {"body", "Lage unklar #problem"}}))}),
      e2ee);
  ASSERT_EQ(sink_.events.size(), 1u);
  const Event& event = sink_.events.front();
  EXPECT_EQ(event.event_id, "$e1");
  EXPECT_EQ(event.sender, kAnna);
  EXPECT_EQ(event.room_id, kRoom);
  EXPECT_EQ(event.origin_server_ts, 1700000000000);
  EXPECT_EQ(event.type, "m.room.message");
  const auto* message = std::get_if<RoomMessage>(&event.content);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->body, "Lage unklar #problem");
}

TEST_F(E2eeTest, TheBotsOwnEncryptedEventsAreNotDecrypted) {
  // The echo of the bot's own ✅ and replies: never acted on, so never read.
  machine_.known_sessions.insert("S1");
  auto e2ee = make_e2ee();
  json own = encrypted(
      "$mine", sealed_content("S1", "m.room.message", {{"msgtype", "m.notice"}, {"body", "Pong"}}));
  own["sender"] = kBot;
  ingest_body(sync_body("s2", {own, encrypted("$e1", sealed_content("S1", "m.room.message",
                                                                    {{"msgtype", "m.text"},
                                                                     {"body", "!ping"}}))}),
              e2ee);
  EXPECT_EQ(machine_.decryptions, 1);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].event_id, "$mine");
  EXPECT_TRUE(std::holds_alternative<Encrypted>(sink_.events[0].content));
  EXPECT_TRUE(sink_.kept.empty());
  EXPECT_TRUE(std::holds_alternative<RoomMessage>(sink_.events[1].content));
}

TEST_F(E2eeTest, AReactionsRelationComesFromTheClearEnvelope) {
  machine_.known_sessions.insert("S1");
  auto e2ee = make_e2ee();
  json content = sealed_content("S1", "m.reaction", json::object());
  content["m.relates_to"] = {{"rel_type", "m.annotation"}, {"event_id", "$target"}, {"key", "👍"}};
  ingest_body(sync_body("s2", {encrypted("$r1", content)}), e2ee);
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto* reaction = std::get_if<Reaction>(&sink_.events.front().content);
  ASSERT_NE(reaction, nullptr);
  EXPECT_EQ(reaction->relates_to.event_id, "$target");
  EXPECT_EQ(reaction->relates_to.key, "👍");
}

TEST_F(E2eeTest, AStateEventInsideAnEncryptedOneChangesNoState) {
  machine_.known_sessions.insert("S1");
  auto e2ee = make_e2ee();
  ingest_body(sync_body("s2", {encrypted("$p1", sealed_content("S1", "m.room.power_levels",
                                                               {{"users", {{kAnna, 100}}}}))}),
              e2ee);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_FALSE(sink_.events.front().state_key.has_value());
}

TEST_F(E2eeTest, AnEventWithoutItsKeyWaitsAndGoesOnOnceTheKeyArrives) {
  auto e2ee = make_e2ee();
  ingest_body(sync_body("s2", {encrypted("$e1", sealed_content("LATE", "m.room.message",
                                                               {{"msgtype", "m.text"},
                                                                {"body", "spät #idee"}}))}),
              e2ee);
  EXPECT_TRUE(sink_.events.empty());
  ASSERT_EQ(sink_.kept.size(), 1u);
  EXPECT_EQ(retry_kept(sink_, e2ee, std::chrono::hours(24), 2000), 0u);  // still no key
  EXPECT_EQ(sink_.kept.size(), 1u);

  machine_.arriving_keys = {"LATE"};
  crypto::SyncChanges changes;
  changes.to_device_events = R"([{"type":"m.room.encrypted"}])";  // the key, Olm-encrypted
  auto keys = run_awaitable(io_, e2ee.receive(changes));
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 1u);
  sink_.log.clear();
  EXPECT_EQ(retry_kept(sink_, e2ee, std::chrono::hours(24), 3000), 1u);
  EXPECT_TRUE(sink_.kept.empty());
  // Its own batch, the sync token unchanged.
  EXPECT_EQ(sink_.log, (std::vector<std::string>{"begin", "event $e1 m.room.message", "drop $e1",
                                                 "commit s2"}));
}

TEST_F(E2eeTest, AKeptEventIsGivenUpAfterTheStatedTime) {
  auto e2ee = make_e2ee();
  ingest_body(
      sync_body("s2", {encrypted("$e1", sealed_content("NEVER", "m.room.message",
                                                       {{"msgtype", "m.text"}, {"body", "x"}}))}),
      e2ee);
  const auto day = std::chrono::hours(24);
  retry_kept(sink_, e2ee, day, sink_.kept_at + 3600000);
  EXPECT_EQ(sink_.kept.size(), 1u);
  retry_kept(sink_, e2ee, day, sink_.kept_at + 24 * 3600000);
  EXPECT_TRUE(sink_.kept.empty());
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(E2eeTest, AnEventThatCanNeverDecryptIsSeenNotKept) {
  auto e2ee = make_e2ee();
  json content = sealed_content("S1", "m.room.message", json::object());
  content["ciphertext"] = "garbage";
  ingest_body(sync_body("s2", {encrypted("$bad", content)}), e2ee);
  EXPECT_TRUE(sink_.kept.empty());
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Encrypted>(sink_.events.front().content));
}

TEST_F(E2eeTest, SendingSharesTheRoomKeyWithTheMembersDevicesFirst) {
  machine_.queued = {{"q1", "keys_query", "POST", "/_matrix/client/v3/keys/query", "{}"}};
  machine_.claim =
      crypto::Request{"c1", "keys_claim", "POST", "/_matrix/client/v3/keys/claim", "{}"};
  machine_.shares = {kShare};
  transport_.respond(200, R"({"device_keys":{}})");
  transport_.respond(200, R"({"one_time_keys":{}})");
  transport_.respond(200, "{}");
  auto e2ee = make_e2ee();
  auto sealed = run_awaitable(io_, e2ee.encrypt(kRoom, "m.room.message", R"({"body":"hi"})"));
  ASSERT_TRUE(sealed) << sealed.error().describe();
  EXPECT_NE(sealed->find("SEALED1"), std::string::npos);
  ASSERT_EQ(transport_.requests().size(), 3u);
  EXPECT_EQ(transport_.request(0).url, "https://hs.example/_matrix/client/v3/keys/query");
  EXPECT_EQ(transport_.request(1).url, "https://hs.example/_matrix/client/v3/keys/claim");
  EXPECT_EQ(transport_.request(2).method, "PUT");
  EXPECT_EQ(transport_.request(2).url,
            "https://hs.example/_matrix/client/v3/sendToDevice/m.room.encrypted/t1");
  EXPECT_EQ(machine_.marked, (std::set<std::string>{"q1", "c1", "t1"}));
  EXPECT_EQ(machine_.log.back(), "encrypt " + kRoom + " m.room.message");
}

// The preparation before an encryption (members tracked, their keys queried and sessions
// claimed, the room key shared) runs again only when something it depends on may have changed.
class E2eePreparedTest : public E2eeTest {
 protected:
  std::size_t shares() const {
    return static_cast<std::size_t>(
        std::count(machine_.log.begin(), machine_.log.end(), "share " + kRoom));
  }
  void send(E2ee& e2ee) {
    auto sealed = run_awaitable(io_, e2ee.encrypt(kRoom, "m.room.message", R"({"body":"hi"})"));
    ASSERT_TRUE(sealed) << sealed.error().describe();
  }
  std::vector<std::string> members_ = {kAnna, kBot};

  E2ee make() {
    return E2ee(
        client_, machine_, sleeper_,
        Backoff(BackoffPolicy{milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
        [this](const std::string&) { return members_; }, crypto::SharePolicy::all_devices);
  }
};

TEST_F(E2eePreparedTest, ASecondSendWithNothingChangedIsOnlyEncrypted) {
  auto e2ee = make();
  send(e2ee);
  send(e2ee);
  send(e2ee);
  EXPECT_EQ(shares(), 1u);
  EXPECT_EQ(machine_.encryptions, 3);
}

TEST_F(E2eePreparedTest, ANewDeviceInTheSyncMakesTheNextSendShareAgain) {
  auto e2ee = make();
  send(e2ee);
  crypto::SyncChanges changes;
  changes.changed = {kAnna};  // Anna logged in on a new device
  ASSERT_TRUE(run_awaitable(io_, e2ee.receive(changes)));
  send(e2ee);
  EXPECT_EQ(shares(), 2u);
}

TEST_F(E2eePreparedTest, AnAnsweredKeyQueryMakesTheNextSendShareAgain) {
  auto e2ee = make();
  send(e2ee);
  machine_.queued = {{"q1", "keys_query", "POST", "/_matrix/client/v3/keys/query", "{}"}};
  transport_.respond(200, R"({"device_keys":{}})");
  ASSERT_EQ(run_awaitable(io_, e2ee.send_requests()), std::nullopt);
  send(e2ee);
  EXPECT_EQ(shares(), 2u);
}

TEST_F(E2eePreparedTest, ANewDeviceSyncedWhileTheRoomKeyIsSentMakesTheNextSendShareAgain) {
  // The sync loop runs beside the drain: a device that arrives while the shares are on their
  // way was not among the devices the machine chose, so the room is not taken as prepared.
  machine_.shares = {kShare};
  transport_.respond_blocked(200, "{}");
  auto e2ee = make();
  std::optional<MatrixResult<std::string>> sealed;
  net::asio::co_spawn(
      io_,
      [&]() -> net::asio::awaitable<void> {
        sealed = co_await e2ee.encrypt(kRoom, "m.room.message", R"({"body":"hi"})");
      },
      net::asio::detached);
  io_.poll();  // up to the share, whose answer is held back
  ASSERT_FALSE(sealed.has_value());
  bool received = false;
  crypto::SyncChanges changes;
  changes.changed = {kAnna};  // Anna's new device
  net::asio::co_spawn(
      io_,
      [&]() -> net::asio::awaitable<void> {
        received = (co_await e2ee.receive(changes)).has_value();
      },
      net::asio::detached);
  io_.restart();
  io_.poll();
  ASSERT_TRUE(received);
  transport_.release();
  io_.restart();
  io_.run();
  ASSERT_TRUE(sealed.has_value() && sealed->has_value());
  send(e2ee);
  EXPECT_EQ(shares(), 2u);
}

TEST_F(E2eePreparedTest, ASharedRoomKeyDoesNotCountAsNews) {
  // The share's own answers are no news: a second send needs no second share.
  machine_.shares = {kShare};
  transport_.respond(200, "{}");
  auto e2ee = make();
  send(e2ee);
  send(e2ee);
  EXPECT_EQ(shares(), 1u);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(E2eePreparedTest, AShareThatFailedLeavesTheRoomUnprepared) {
  members_.push_back("@olaf:hs.example");
  auto e2ee = make();
  send(e2ee);
  members_.pop_back();  // Olaf left: a new room key, whose share fails
  machine_.shares = {kShare};
  transport_.respond(403, R"({"errcode":"M_FORBIDDEN","error":"no"})");
  auto failed = run_awaitable(io_, e2ee.encrypt(kRoom, "m.room.message", R"({"body":"hi"})"));
  ASSERT_FALSE(failed);
  members_.push_back("@olaf:hs.example");  // back, as at the first send
  transport_.respond(200, "{}");
  send(e2ee);  // must not take the first send's preparation for this key's
  EXPECT_EQ(shares(), 3u);
}

TEST_F(E2eePreparedTest, OtherMembersMakeTheNextSendShareAgain) {
  auto e2ee = make();
  send(e2ee);
  members_.push_back("@olaf:hs.example");
  send(e2ee);
  EXPECT_EQ(shares(), 2u);
  members_.pop_back();  // Olaf left: the key must not reach him any more
  send(e2ee);
  EXPECT_EQ(shares(), 3u);
}

TEST_F(E2eePreparedTest, ARoomKeyNoLongerInUseMakesTheSendPrepareInFull) {
  auto e2ee = make();
  send(e2ee);
  machine_.refuse_encryptions = 1;  // rotated after its messages: share_room_key makes a new one
  send(e2ee);
  EXPECT_EQ(shares(), 2u);
  EXPECT_EQ(machine_.encryptions, 2);
}

TEST_F(E2eeTest, AMessageThatCannotBeEncryptedWaitsAndIsNeverSentInClear) {
  machine_.fail_encrypt = true;
  auto e2ee = make_e2ee();
  auto sealed = run_awaitable(io_, e2ee.encrypt(kRoom, "m.room.message", R"({"body":"hi"})"));
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().errcode, "R_CRYPTO");
  EXPECT_TRUE(sealed.error().transient());
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(E2eeTest, CrossSigningIsSetUpOnceWithThePasswordAndTheServersSession) {
  transport_.respond(401, R"({"session":"uia-1","flows":[{"stages":["m.login.password"]}]})");
  transport_.respond(200, "{}");
  transport_.respond(200, R"({"failures":{}})");
  auto e2ee = make_e2ee();
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(machine_.bootstraps, 1);
  ASSERT_EQ(transport_.requests().size(), 3u);
  EXPECT_EQ(transport_.request(0).url,
            "https://hs.example/_matrix/client/v3/keys/device_signing/upload");
  EXPECT_FALSE(json::parse(transport_.request(0).body).contains("auth"));
  const auto auth = json::parse(transport_.request(1).body)["auth"];
  EXPECT_EQ(auth["type"], "m.login.password");
  EXPECT_EQ(auth["session"], "uia-1");
  EXPECT_EQ(auth["identifier"]["user"], kBot);
  EXPECT_EQ(transport_.request(2).url,
            "https://hs.example/_matrix/client/v3/keys/signatures/upload");
  // Signed now: a restart does not set it up again.
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(machine_.bootstraps, 1);
}

namespace {
constexpr const char* kAccountData =
    "https://hs.example/_matrix/client/v3/user/%40bot%3Ahs.example/account_data/";
constexpr const char* kNotFound = R"({"errcode":"M_NOT_FOUND","error":"Account data not found"})";
}  // namespace

TEST_F(E2eeTest, WithARecoveryKeyANewIdentityIsStoredInSecretStorageDefaultKeyLast) {
  transport_.respond(404, kNotFound);  // restore: no default key
  transport_.respond(401, R"({"session":"uia-1","flows":[{"stages":["m.login.password"]}]})");
  transport_.respond(200, "{}");                              // signing keys, with auth
  transport_.respond(200, R"({"failures":{}})");              // signatures
  transport_.respond(404, kNotFound);                         // store: still none
  for (int i = 0; i < 5; ++i) transport_.respond(200, "{}");  // key, 3 secrets, default key
  auto e2ee = make_e2ee();
  e2ee.use_recovery_key(machine_.recovery_key);
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(machine_.bootstraps, 1);
  const auto& requests = transport_.requests();
  ASSERT_EQ(requests.size(), 10u);
  // Looked for a stored identity before making a new one.
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url, std::string(kAccountData) + "m.secret_storage.default_key");
  EXPECT_EQ(requests[1].url, "https://hs.example/_matrix/client/v3/keys/device_signing/upload");
  std::vector<std::string> written;
  for (std::size_t i = 5; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].method, "PUT");
    written.push_back(requests[i].url.substr(std::string(kAccountData).size()));
  }
  EXPECT_EQ(written, (std::vector<std::string>{
                         "m.secret_storage.key.KEY1", "m.cross_signing.master",
                         "m.cross_signing.self_signing", "m.cross_signing.user_signing",
                         "m.secret_storage.default_key"}));
  EXPECT_EQ(json::parse(requests.back().body), json({{"key", "KEY1"}}));
  EXPECT_NE(e2ee.recovery_state().find("stored in secret storage"), std::string::npos);
}

TEST_F(E2eeTest, ALostDatabaseTakesTheStoredIdentityBackInsteadOfMakingANewOne) {
  transport_.respond(200, R"({"key":"KEY1"})");
  transport_.respond(200, R"({"algorithm":"m.secret_storage.v1.aes-hmac-sha2"})");
  for (const char* secret : {"master", "self_signing", "user_signing"}) {
    (void)secret;
    transport_.respond(200, R"({"encrypted":{"KEY1":{"ciphertext":"X"}}})");
  }
  machine_.queued.push_back({"q1", "keys_query", "POST", "/_matrix/client/v3/keys/query", "{}"});
  transport_.respond(200, R"({"device_keys":{}})");  // the own keys, before the import
  transport_.respond(200, R"({"failures":{}})");     // the new device's signature
  auto e2ee = make_e2ee();
  e2ee.use_recovery_key(machine_.recovery_key);
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(machine_.bootstraps, 0) << "no new identity";
  const auto& log = machine_.log;
  const auto at = [&](const std::string& entry) {
    return std::find(log.begin(), log.end(), entry) - log.begin();
  };
  ASSERT_LT(at("import KEY1 3"), static_cast<long>(log.size()));
  EXPECT_LT(at("mark q1 {\"device_keys\":{}}"), at("import KEY1 3")) << "queried first";
  EXPECT_GT(at("refresh"), at("import KEY1 3")) << "queried again once signed";
  ASSERT_EQ(transport_.requests().size(), 7u);
  EXPECT_EQ(transport_.request(6).url,
            "https://hs.example/_matrix/client/v3/keys/signatures/upload");
  EXPECT_NE(e2ee.recovery_state().find("restored"), std::string::npos);
}

TEST_F(E2eeTest, ARecoveryKeyThatDoesNotOpenTheStorageMakesNoNewIdentity) {
  transport_.respond(200, R"({"key":"KEY1"})");
  transport_.respond(200, R"({"algorithm":"m.secret_storage.v1.aes-hmac-sha2"})");
  for (int i = 0; i < 3; ++i)
    transport_.respond(200, R"({"encrypted":{"KEY1":{"ciphertext":"X"}}})");
  auto e2ee = make_e2ee();
  e2ee.use_recovery_key("EsTY popo");
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(machine_.bootstraps, 0);
  for (const auto& request : transport_.requests()) EXPECT_EQ(request.method, "GET") << request.url;
  EXPECT_NE(e2ee.recovery_state().find("not restored"), std::string::npos);
  EXPECT_EQ(e2ee.recovery_state().find("EsTY"), std::string::npos) << "never the key itself";
}

TEST_F(E2eeTest, AnIdentityAlreadyStoredUnderTheKeyIsNotWrittenAgain) {
  machine_.own.has_master = machine_.own.has_self_signing = true;
  machine_.own.device_cross_signed = true;
  transport_.respond(200, R"({"key":"KEY1"})");
  transport_.respond(200, R"({"algorithm":"m.secret_storage.v1.aes-hmac-sha2"})");
  transport_.respond(200, R"({"encrypted":{"KEY1":{"ciphertext":"X"}}})");
  auto e2ee = make_e2ee();
  e2ee.use_recovery_key(machine_.recovery_key);
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_NE(e2ee.recovery_state().find("stored in secret storage (key KEY1)"), std::string::npos);
}

TEST_F(E2eeTest, AnotherKeysSecretStorageIsNotOverwritten) {
  machine_.own.has_master = machine_.own.has_self_signing = true;
  machine_.own.device_cross_signed = true;
  transport_.respond(200, R"({"key":"ELEMENTS"})");
  transport_.respond(200, R"({"algorithm":"m.secret_storage.v1.aes-hmac-sha2"})");
  transport_.respond(404, kNotFound);
  auto e2ee = make_e2ee();
  e2ee.use_recovery_key(machine_.recovery_key);
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  for (const auto& request : transport_.requests()) EXPECT_EQ(request.method, "GET") << request.url;
  EXPECT_NE(e2ee.recovery_state().find("not stored"), std::string::npos);
}

TEST_F(E2eeTest, WithoutARecoveryKeyTheStatusSaysWhatALostDatabaseMeans) {
  machine_.own.has_master = machine_.own.device_cross_signed = true;
  auto e2ee = make_e2ee();
  EXPECT_FALSE(run_awaitable(io_, e2ee.ensure_cross_signed()));
  EXPECT_TRUE(transport_.requests().empty());
  EXPECT_NE(e2ee.recovery_state().find("no recovery key"), std::string::npos);
}

TEST_F(E2eeTest, TheSyncsKeysReachTheMachineBeforeItsTimeline) {
  transport_.respond(200, R"({"filter_id":"7"})");
  machine_.arriving_keys = {"S1"};
  transport_.respond(
      200, sync_body("s1",
                     {encrypted("$e1", sealed_content("S1", "m.room.message",
                                                      {{"msgtype", "m.text"}, {"body", "x"}}))},
                     {{"to_device", {{"events", json::array({{{"type", "m.room.encrypted"}}})}}}}));
  auto e2ee = make_e2ee();
  SyncLoop loop(client_, sink_, sleeper_,
                Backoff(BackoffPolicy{milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
                SyncOptions{30000, 10, 2, 100, 2000, 1000}, nullptr, &e2ee);
  ASSERT_FALSE(run_awaitable(io_, loop.prepare()));
  ASSERT_FALSE(run_awaitable(io_, loop.step()));
  ASSERT_EQ(machine_.received.size(), 1u);
  ASSERT_EQ(sink_.events.size(), 1u);  // the key came with the same sync: decrypted at once
  EXPECT_EQ(sink_.events.front().type, "m.room.message");
  EXPECT_TRUE(sink_.kept.empty());
}

// What every sync repeats (the key counts) is fed to the machine after the batch, and only when it
// differs from what the machine was last fed or an hour passed; to-device events and device-list
// changes still reach it before the batch.
class CryptoStepTest : public E2eeTest {
 protected:
  CryptoStepTest() {
    transport_.respond(200, R"({"filter_id":"7"})");
    // How many syncs the machine had been fed when each batch committed.
    sink_.on_commit = [this] { fed_at_commit.push_back(machine_.received.size()); };
  }

  /// One /sync of the loop with this body (a message in the room and these encryption parts);
  /// `then` answers the requests that follow it.
  void sync(SyncLoop& loop, const std::string& next_batch, const json& parts,
            const std::vector<std::string>& then = {}) {
    transport_.respond(200, sync_body(next_batch,
                                      {{{"type", "m.room.message"},
                                        {"event_id", "$" + next_batch},
                                        {"sender", kAnna},
                                        {"origin_server_ts", 1},
                                        {"content", {{"msgtype", "m.text"}, {"body", "x"}}}}},
                                      parts));
    for (const auto& body : then) transport_.respond(200, body);
    ASSERT_FALSE(run_awaitable(io_, loop.step()));
  }

  SyncLoop make_loop(E2ee& e2ee) {
    SyncLoop loop(client_, sink_, sleeper_,
                  Backoff(BackoffPolicy{milliseconds(100), milliseconds(1000)}, [] { return 0.0; }),
                  SyncOptions{30000, 10, 2, 100, 2000, 1000}, nullptr, &e2ee);
    EXPECT_FALSE(run_awaitable(io_, loop.prepare()));
    return loop;
  }

  static json counts(int signed_curve25519) {
    return {{"device_one_time_keys_count", {{"signed_curve25519", signed_curve25519}}},
            {"device_unused_fallback_key_types", {"signed_curve25519"}}};
  }

  std::vector<std::size_t> fed_at_commit;
  std::chrono::steady_clock::time_point now;
};

TEST_F(CryptoStepTest, KeyCountsReachTheMachineAfterTheBatchHasCommitted) {
  auto e2ee = make_e2ee();
  auto loop = make_loop(e2ee);
  sync(loop, "s1", counts(50));
  ASSERT_EQ(machine_.received.size(), 1u);
  EXPECT_EQ(machine_.received[0].one_time_key_counts, R"({"signed_curve25519":50})");
  EXPECT_EQ(machine_.received[0].next_batch, "s1");
  EXPECT_EQ(fed_at_commit, (std::vector<std::size_t>{0}));  // committed (and replied) first
}

TEST_F(CryptoStepTest, ASyncWithNothingNewForTheMachineDoesNotReachItButItsRequestsAreSent) {
  auto e2ee = make_e2ee();
  e2ee.set_clock([this] { return now; });
  auto loop = make_loop(e2ee);
  sync(loop, "s1", counts(50));
  machine_.queued.push_back({"q1", "keys_query", "POST", "/_matrix/client/v3/keys/query", "{}"});
  now += std::chrono::minutes(59);
  sync(loop, "s2", counts(50), {R"({"device_keys":{}})"});
  EXPECT_EQ(machine_.received.size(), 1u);
  EXPECT_EQ(sink_.token, "s2");
  EXPECT_TRUE(machine_.marked.contains("q1"));  // the machine's queued request went out
  // Other counts are news again.
  sync(loop, "s3", counts(49));
  ASSERT_EQ(machine_.received.size(), 2u);
  EXPECT_EQ(machine_.received[1].next_batch, "s3");
}

TEST_F(CryptoStepTest, TheSameCountsReachTheMachineAgainAfterAnHour) {
  auto e2ee = make_e2ee();
  e2ee.set_clock([this] { return now; });
  auto loop = make_loop(e2ee);
  sync(loop, "s1", counts(50));
  now += E2ee::kRefeedInterval - std::chrono::seconds(1);
  sync(loop, "s2", counts(50));
  EXPECT_EQ(machine_.received.size(), 1u);
  now += std::chrono::seconds(1);
  sync(loop, "s3", counts(50));  // a fallback key older than a week is replaced by the clock
  ASSERT_EQ(machine_.received.size(), 2u);
  EXPECT_EQ(machine_.received[1].next_batch, "s3");
  sync(loop, "s4", counts(50));
  EXPECT_EQ(machine_.received.size(), 2u);
}

TEST_F(CryptoStepTest, AFallbackKeyUsedUpIsNews) {
  auto e2ee = make_e2ee();
  auto loop = make_loop(e2ee);
  sync(loop, "s1", counts(50));
  json used = counts(50);
  used["device_unused_fallback_key_types"] = json::array();
  sync(loop, "s2", used);
  EXPECT_EQ(machine_.received.size(), 2u);
}

TEST_F(CryptoStepTest, ToDeviceEventsAndDeviceListChangesReachTheMachineBeforeTheBatch) {
  auto e2ee = make_e2ee();
  auto loop = make_loop(e2ee);
  sync(loop, "s1", counts(50));
  json changed = counts(50);
  changed["device_lists"] = {{"changed", {kAnna}}};
  sync(loop, "s2", changed);
  json left = counts(50);
  left["device_lists"] = {{"left", {kAnna}}};
  sync(loop, "s3", left);
  json to_device = counts(50);
  to_device["to_device"] = {{"events", json::array({{{"type", "m.room.encrypted"}}})}};
  sync(loop, "s4", to_device);
  ASSERT_EQ(machine_.received.size(), 4u);
  EXPECT_EQ(machine_.received[1].changed, (std::vector<std::string>{kAnna}));
  EXPECT_EQ(machine_.received[2].left, (std::vector<std::string>{kAnna}));
  // s1's counts after its commit; s2, s3 and s4 before theirs.
  EXPECT_EQ(fed_at_commit, (std::vector<std::size_t>{0, 2, 3, 4}));
}

TEST_F(CryptoStepTest, CountsTheMachineCouldNotTakeAreFedAgain) {
  auto e2ee = make_e2ee();
  auto loop = make_loop(e2ee);
  machine_.fail_receive = true;
  sync(loop, "s1", counts(50));
  machine_.fail_receive = false;
  sync(loop, "s2", counts(50));
  EXPECT_EQ(machine_.received.size(), 2u);
  EXPECT_EQ(sink_.token, "s2");
}

}  // namespace
}  // namespace reflexbot::matrix
