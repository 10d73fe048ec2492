// The client against a scripted transport: the exact requests it builds, how it maps what the
// homeserver answers into MatrixError, and the one re-login on M_UNKNOWN_TOKEN.

#include "matrix/client.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_transport.hpp"

namespace reflexbot::matrix {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using test::FakeTransport;
using test::header_of;
using test::run_awaitable;

constexpr const char* kBase = "https://hs.example/_matrix/client/v3";
constexpr const char* kToken = "syt_secret_token_123";

ClientSettings settings(std::string password = "") {
  ClientSettings s;
  s.homeserver = "https://hs.example";
  s.user_id = "@bot:hs.example";
  s.access_token = kToken;
  s.password = std::move(password);
  s.device_id = "REFLEXDEV";
  s.request_timeout = milliseconds(12345);
  s.sync_request_timeout = milliseconds(98765);
  return s;
}

std::string url(const std::string& path) { return std::string(kBase) + path; }

// Asserts the token travels only in the Authorization header.
void expect_token_only_in_header(const net::Request& request, const std::string& token) {
  EXPECT_EQ(request.url.find(token), std::string::npos) << request.url;
  EXPECT_EQ(request.body.find(token), std::string::npos) << request.body;
  for (const auto& header : request.headers) {
    if (header.name == "Authorization") continue;
    EXPECT_EQ(header.value.find(token), std::string::npos) << header.name;
  }
}

class ClientTest : public ::testing::Test {
 protected:
  net::asio::io_context io;
  FakeTransport transport;

  template <typename T>
  T run(net::asio::awaitable<T> awaitable) {
    return run_awaitable(io, std::move(awaitable));
  }

  // Sends one message with a fresh client and returns the error the client made of `response`.
  MatrixError error_for(long status, std::string body, std::vector<net::Header> headers = {}) {
    transport.respond(status, std::move(body), std::move(headers));
    Client client(transport, settings());
    auto result = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
    EXPECT_FALSE(result.has_value());
    if (result) return MatrixError{};
    return result.error();
  }
};

TEST(UrlEncode, KeepsUnreservedAndEncodesEverythingElse) {
  EXPECT_EQ(url_encode("!a:b.c"), "%21a%3Ab.c");
  EXPECT_EQ(url_encode("@bot:hs.example"), "%40bot%3Ahs.example");
  EXPECT_EQ(url_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(url_encode("a b/c?d&e=f#g%"), "a%20b%2Fc%3Fd%26e%3Df%23g%25");
  EXPECT_EQ(url_encode("\xC3\xA4"), "%C3%A4");  // ä in UTF-8
  EXPECT_EQ(url_encode(""), "");
}

TEST_F(ClientTest, LoginPostsPasswordIdentifierAndDeviceWithoutAuthorization) {
  transport.respond(
      200, R"({"access_token":"syt_new","user_id":"@bot:hs.example","device_id":"REFLEXDEV"})");
  Client client(transport, settings("hunter2"));
  auto identity = run(client.login());
  ASSERT_TRUE(identity.has_value()) << identity.error().describe();
  EXPECT_EQ(identity->user_id, "@bot:hs.example");
  EXPECT_EQ(identity->device_id, "REFLEXDEV");

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, url("/login"));
  EXPECT_EQ(header_of(request, "Authorization"), std::nullopt);
  EXPECT_EQ(header_of(request, "Content-Type"), "application/json");
  EXPECT_EQ(request.timeout, milliseconds(12345));
  const json expected = {{"type", "m.login.password"},
                         {"identifier", {{"type", "m.id.user"}, {"user", "@bot:hs.example"}}},
                         {"password", "hunter2"},
                         {"device_id", "REFLEXDEV"},
                         {"initial_device_display_name", "Reflexbot"}};
  EXPECT_EQ(json::parse(request.body), expected);
  EXPECT_EQ(request.url.find("hunter2"), std::string::npos);
}

TEST_F(ClientTest, LoginStoresTheNewTokenForLaterRequests) {
  transport.respond(200, R"({"access_token":"syt_new","user_id":"@bot:hs.example"})");
  transport.respond(200, R"({"user_id":"@bot:hs.example","device_id":"D"})");
  Client client(transport, settings("hunter2"));
  auto identity = run(client.login());
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->device_id, "REFLEXDEV");  // the configured one when the server omits it
  ASSERT_TRUE(run(client.whoami()).has_value());
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(header_of(transport.request(1), "Authorization"), "Bearer syt_new");
}

TEST_F(ClientTest, LoginResponseWithoutTokenIsABadBody) {
  transport.respond(200, R"({"user_id":"@bot:hs.example"})");
  Client client(transport, settings("hunter2"));
  auto identity = run(client.login());
  ASSERT_FALSE(identity.has_value());
  EXPECT_EQ(identity.error().errcode, "R_BAD_BODY");
  EXPECT_EQ(identity.error().http_status, 0);
}

TEST_F(ClientTest, WhoamiIsAnAuthenticatedGetWithoutBody) {
  transport.respond(200, R"({"user_id":"@bot:hs.example","device_id":"DEV1"})");
  Client client(transport, settings());
  auto identity = run(client.whoami());
  ASSERT_TRUE(identity.has_value()) << identity.error().describe();
  EXPECT_EQ(identity->user_id, "@bot:hs.example");
  EXPECT_EQ(identity->device_id, "DEV1");

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, url("/account/whoami"));
  EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(header_of(request, "Content-Type"), std::nullopt);
  EXPECT_EQ(request.body, "");
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, UploadFilterPostsTheFilterUnderTheEncodedUserId) {
  transport.respond(200, R"({"filter_id":"66"})");
  Client client(transport, settings());
  const std::string filter = R"({"room":{"timeline":{"limit":50,"types":["m.room.message"]}}})";
  auto id = run(client.upload_filter(filter));
  ASSERT_TRUE(id.has_value()) << id.error().describe();
  EXPECT_EQ(*id, "66");

  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, url("/user/%40bot%3Ahs.example/filter"));
  EXPECT_EQ(request.body, filter);
  EXPECT_EQ(header_of(request, "Content-Type"), "application/json");
  EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, UploadFilterWithoutFilterIdIsABadBody) {
  transport.respond(200, R"({"id":"66"})");
  Client client(transport, settings());
  auto id = run(client.upload_filter("{}"));
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().errcode, "R_BAD_BODY");
  EXPECT_TRUE(id.error().transient());
}

TEST_F(ClientTest, SyncQueryCarriesTimeoutPresenceFilterAndEncodedSince) {
  transport.respond(200, R"({"next_batch":"s2_next"})");
  Client client(transport, settings());
  SyncRequest sync;
  sync.since = "s1/72594_4483 x";
  sync.filter_id = "7";
  sync.timeout_ms = 30000;
  auto batch = run(client.sync(sync));
  ASSERT_TRUE(batch.has_value()) << batch.error().describe();
  EXPECT_EQ(*batch, R"({"next_batch":"s2_next"})");  // the raw body, for the sync loop to parse

  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url,
            url("/sync?timeout=30000&set_presence=offline&filter=7&since=s1%2F72594_4483%20x"));
  EXPECT_EQ(request.timeout, milliseconds(98765));  // longer than the long-poll itself
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, FirstSyncHasNeitherSinceNorFilter) {
  transport.respond(200, R"({"next_batch":"s1"})");
  Client client(transport, settings());
  SyncRequest sync;
  sync.timeout_ms = 0;
  auto batch = run(client.sync(sync));
  ASSERT_TRUE(batch.has_value()) << batch.error().describe();
  EXPECT_EQ(transport.request(0).url, url("/sync?timeout=0&set_presence=offline"));
}

TEST_F(ClientTest, MessagesQueryGoesBackwardsFromToWithLimit) {
  transport.respond(200, R"({"chunk":[],"start":"t9","end":"t5"})");
  Client client(transport, settings());
  auto page = run(client.messages("!a:b.c", "t9/x", "t1", 50));
  ASSERT_TRUE(page.has_value()) << page.error().describe();
  EXPECT_EQ(page->start, "t9");
  EXPECT_EQ(page->end, "t5");
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, url("/rooms/%21a%3Ab.c/messages?dir=b&limit=50&from=t9%2Fx&to=t1"));
}

TEST_F(ClientTest, EditsAreTheReplaceRelationsOfTheEventNewestFirst) {
  transport.respond(200, R"({"chunk":[{"type":"m.room.message","event_id":"$e2","sender":"@a:b.c",
    "origin_server_ts":2,"content":{"msgtype":"m.text","body":"* neu",
    "m.new_content":{"msgtype":"m.text","body":"neu"},
    "m.relates_to":{"rel_type":"m.replace","event_id":"$x"}}}],"next_batch":"n1"})");
  Client client(transport, settings());
  auto edits = run(client.edits("!a:b.c", "$x"));
  ASSERT_TRUE(edits.has_value()) << edits.error().describe();
  ASSERT_EQ(edits->size(), 1U);
  EXPECT_EQ((*edits)[0].event_id, "$e2");
  EXPECT_EQ(std::get<RoomMessage>((*edits)[0].content).new_body, "neu");
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url,
            "https://hs.example/_matrix/client/v1/rooms/%21a%3Ab.c/relations/%24x/m.replace"
            "?dir=b&limit=50");
}

TEST_F(ClientTest, SendPutsTheContentAsGivenUnderEncodedRoomTypeAndTxn) {
  transport.respond(200, R"({"event_id":"$ev1:b.c"})");
  Client client(transport, settings());
  const std::string content = R"({"msgtype":"m.notice","body":"pong ä","m.mentions":{}})";
  auto event_id = run(client.send("!a:b.c", "m.room.message", "rb/1 2", content));
  ASSERT_TRUE(event_id.has_value()) << event_id.error().describe();
  EXPECT_EQ(*event_id, "$ev1:b.c");

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, url("/rooms/%21a%3Ab.c/send/m.room.message/rb%2F1%202"));
  EXPECT_EQ(request.body, content);  // byte for byte
  EXPECT_EQ(header_of(request, "Content-Type"), "application/json");
  EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(request.timeout, milliseconds(12345));
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, SendWithoutEventIdIsATransientBadBody) {
  transport.respond(200, "<html>ok</html>");
  Client client(transport, settings());
  auto event_id = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
  ASSERT_FALSE(event_id.has_value());
  EXPECT_EQ(event_id.error().errcode, "R_BAD_BODY");
  EXPECT_TRUE(event_id.error().transient());
}

TEST_F(ClientTest, JoinAndLeavePostAnEmptyObject) {
  transport.respond(200, R"({"room_id":"!a:b.c"})");
  transport.respond(200, "{}");
  Client client(transport, settings());
  ASSERT_TRUE(run(client.join("!a:b.c")).has_value());
  ASSERT_TRUE(run(client.leave("#alias:b.c")).has_value());
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.request(0).method, "POST");
  EXPECT_EQ(transport.request(0).url, url("/rooms/%21a%3Ab.c/join"));
  EXPECT_EQ(transport.request(0).body, "{}");
  EXPECT_EQ(header_of(transport.request(0), "Content-Type"), "application/json");
  EXPECT_EQ(transport.request(1).method, "POST");
  EXPECT_EQ(transport.request(1).url, url("/rooms/%23alias%3Ab.c/leave"));
  for (const auto& request : transport.requests()) {
    EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
    expect_token_only_in_header(request, kToken);
  }
}

TEST_F(ClientTest, JoinedMembersListsTheUserIdsOfTheEncodedRoom) {
  transport.respond(200, R"({"joined":{"@anna:hs.example":{"display_name":"Anna","avatar_url":null},
      "@bot:hs.example":{}}})");
  Client client(transport, settings());
  auto members = run(client.joined_members("!a/b:hs.example"));
  ASSERT_TRUE(members.has_value()) << members.error().describe();
  std::sort(members->begin(), members->end());
  EXPECT_EQ(*members, (std::vector<std::string>{"@anna:hs.example", "@bot:hs.example"}));

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, url("/rooms/%21a%2Fb%3Ahs.example/joined_members"));
  EXPECT_EQ(request.timeout, milliseconds(12345));
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(header_of(request, "Authorization"), std::string("Bearer ") + kToken);
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, JoinedMembersWithABadBodyIsATransientBadBody) {
  for (const char* body : {"<html>ok</html>", R"({"chunk":[]})", R"({"joined":["@a:x"]})",
                           R"({"joined":null})", "[]"}) {
    SCOPED_TRACE(body);
    transport.respond(200, body);
    Client client(transport, settings());
    auto members = run(client.joined_members("!a:b.c"));
    ASSERT_FALSE(members.has_value());
    EXPECT_EQ(members.error().errcode, "R_BAD_BODY");
    EXPECT_TRUE(members.error().transient());
  }
}

TEST_F(ClientTest, JoinedMembersOfAnEmptyRoomIsAnEmptyList) {
  transport.respond(200, R"({"joined":{}})");
  Client client(transport, settings());
  auto members = run(client.joined_members("!a:b.c"));
  ASSERT_TRUE(members.has_value());
  EXPECT_TRUE(members->empty());
}

TEST_F(ClientTest, JoinedMembersErrorsAreMatrixErrors) {
  transport.respond(403, R"({"errcode":"M_FORBIDDEN","error":"not in room"})");
  Client client(transport, settings());
  auto members = run(client.joined_members("!a:b.c"));
  ASSERT_FALSE(members.has_value());
  EXPECT_EQ(members.error().http_status, 403);
  EXPECT_EQ(members.error().errcode, "M_FORBIDDEN");
  EXPECT_FALSE(members.error().transient());
}

TEST_F(ClientTest, VersionsIsAnUnauthenticatedGetWithItsOwnTimeout) {
  transport.respond(200, R"({"versions":["v1.11","v1.12"],"unstable_features":{}})");
  Client client(transport, settings());
  auto answered = run(client.versions(milliseconds(1500)));
  ASSERT_TRUE(answered.has_value()) << answered.error().describe();
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "https://hs.example/_matrix/client/versions");
  EXPECT_EQ(request.timeout, milliseconds(1500));
  EXPECT_EQ(header_of(request, "Authorization"), std::nullopt);
}

TEST_F(ClientTest, VersionsAnswerThatIsNotTheVersionsObjectIsABadBody) {
  // e.g. a proxy's maintenance page served with 200
  transport.respond(200, "<html>Wartungsarbeiten</html>");
  transport.respond(502, "<html>bad gateway</html>");
  Client client(transport, settings());
  auto answered = run(client.versions(milliseconds(1000)));
  ASSERT_FALSE(answered.has_value());
  EXPECT_EQ(answered.error().errcode, "R_BAD_BODY");
  answered = run(client.versions(milliseconds(1000)));
  ASSERT_FALSE(answered.has_value());
  EXPECT_EQ(answered.error().http_status, 502);
}

// --- error mapping ---

TEST_F(ClientTest, RateLimitRetryAfterHeaderInSecondsWinsOverBody) {
  auto error =
      error_for(429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many","retry_after_ms":5000})",
                {{"Retry-After", "2"}});
  EXPECT_EQ(error.http_status, 429);
  EXPECT_EQ(error.errcode, "M_LIMIT_EXCEEDED");
  EXPECT_EQ(error.message, "Too many");
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, milliseconds(2000));
  EXPECT_TRUE(error.rate_limited());
  EXPECT_TRUE(error.transient());
  EXPECT_FALSE(error.transport.has_value());
}

TEST_F(ClientTest, RateLimitBodyRetryAfterMs) {
  auto error = error_for(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})");
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, milliseconds(1500));
  EXPECT_TRUE(error.rate_limited());
}

TEST_F(ClientTest, RateLimitHeaderAloneOnANonJsonBody) {
  auto error = error_for(429, "Too Many Requests", {{"Retry-After", "7"}});
  EXPECT_EQ(error.http_status, 429);
  EXPECT_EQ(error.errcode, "");
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, milliseconds(7000));
  EXPECT_TRUE(error.rate_limited());
}

TEST_F(ClientTest, UnparsableRetryAfterHeaderFallsBackToBody) {
  auto error = error_for(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})",
                         {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}});
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, milliseconds(1500));
}

TEST_F(ClientTest, RateLimitWithoutHintsHasNoRetryAfter) {
  auto error = error_for(429, R"({"errcode":"M_LIMIT_EXCEEDED"})");
  EXPECT_FALSE(error.retry_after.has_value());
  EXPECT_TRUE(error.rate_limited());
}

TEST_F(ClientTest, LimitExceededErrcodeIsARateLimitWhateverTheStatus) {
  auto error = error_for(400, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":300})");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_TRUE(error.rate_limited());
  EXPECT_TRUE(error.transient());
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, milliseconds(300));
}

TEST_F(ClientTest, ServerErrorWithHtmlBodyIsTransient) {
  auto error = error_for(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(error.http_status, 502);
  EXPECT_EQ(error.errcode, "");
  EXPECT_EQ(error.message, "");
  EXPECT_FALSE(error.retry_after.has_value());
  EXPECT_FALSE(error.rate_limited());
  EXPECT_TRUE(error.transient());
  EXPECT_EQ(error.describe(), "HTTP 502");
}

TEST_F(ClientTest, ServerErrorWithMatrixBody) {
  auto error = error_for(500, R"({"errcode":"M_UNKNOWN","error":"Internal server error"})");
  EXPECT_EQ(error.http_status, 500);
  EXPECT_EQ(error.errcode, "M_UNKNOWN");
  EXPECT_TRUE(error.transient());
  EXPECT_EQ(error.describe(), "HTTP 500 M_UNKNOWN: Internal server error");
}

TEST_F(ClientTest, ForbiddenIsPermanent) {
  auto error = error_for(403, R"({"errcode":"M_FORBIDDEN","error":"not in room"})");
  EXPECT_EQ(error.http_status, 403);
  EXPECT_EQ(error.errcode, "M_FORBIDDEN");
  EXPECT_EQ(error.message, "not in room");
  EXPECT_FALSE(error.transient());
  EXPECT_FALSE(error.rate_limited());
  EXPECT_FALSE(error.unknown_token());
}

TEST_F(ClientTest, NonObjectJsonErrorBodyKeepsTheStatus) {
  auto error = error_for(404, R"(["M_NOT_FOUND"])");
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.errcode, "");
  EXPECT_FALSE(error.transient());
}

TEST_F(ClientTest, TransportErrorKindAndMessageArePreserved) {
  const std::pair<net::TransportErrorKind, const char*> cases[] = {
      {net::TransportErrorKind::connect, "Could not connect"},
      {net::TransportErrorKind::timeout, "Operation timed out"},
      {net::TransportErrorKind::cancelled, "shutdown"},
      {net::TransportErrorKind::other, "SSL error"},
  };
  for (const auto& [kind, message] : cases) {
    transport.fail(kind, message);
    Client client(transport, settings());
    auto result = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
    ASSERT_FALSE(result.has_value());
    const auto& error = result.error();
    ASSERT_TRUE(error.transport.has_value());
    EXPECT_EQ(*error.transport, kind);
    EXPECT_EQ(error.http_status, 0);
    EXPECT_EQ(error.message, message);
    EXPECT_TRUE(error.transient());
    EXPECT_EQ(error.describe(), std::string("network error: ") + message);
  }
  EXPECT_EQ(transport.requests().size(), 4u);
}

// --- M_UNKNOWN_TOKEN ---

TEST_F(ClientTest, UnknownTokenWithPasswordLogsInAndRetriesOnceWithTheNewToken) {
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  transport.respond(
      200, R"({"access_token":"syt_fresh","user_id":"@bot:hs.example","device_id":"REFLEXDEV"})");
  transport.respond(200, R"({"event_id":"$ev2"})");
  Client client(transport, settings("hunter2"));
  const std::string content = R"({"msgtype":"m.notice","body":"hi"})";
  auto event_id = run(client.send("!a:b.c", "m.room.message", "txn7", content));
  ASSERT_TRUE(event_id.has_value()) << event_id.error().describe();
  EXPECT_EQ(*event_id, "$ev2");

  ASSERT_EQ(transport.requests().size(), 3u);
  const auto& first = transport.request(0);
  const auto& login = transport.request(1);
  const auto& retry = transport.request(2);
  EXPECT_EQ(first.method, "PUT");
  EXPECT_EQ(header_of(first, "Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(login.method, "POST");
  EXPECT_EQ(login.url, url("/login"));
  EXPECT_EQ(header_of(login, "Authorization"), std::nullopt);
  EXPECT_EQ(json::parse(login.body).at("password"), "hunter2");
  EXPECT_EQ(retry.method, "PUT");
  EXPECT_EQ(retry.url, first.url);
  EXPECT_EQ(retry.url, url("/rooms/%21a%3Ab.c/send/m.room.message/txn7"));
  EXPECT_EQ(retry.body, content);
  EXPECT_EQ(header_of(retry, "Authorization"), "Bearer syt_fresh");
  expect_token_only_in_header(retry, "syt_fresh");
}

TEST_F(ClientTest, UnknownTokenAfterReloginIsReturnedNotLooped) {
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  transport.respond(200, R"({"access_token":"syt_fresh","user_id":"@bot:hs.example"})");
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  Client client(transport, settings("hunter2"));
  auto result = run(client.whoami());
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().unknown_token());
  EXPECT_EQ(transport.requests().size(), 3u);
}

TEST_F(ClientTest, RefusedReloginIsReportedAsTheTokenError) {
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"})");
  transport.respond(403, R"({"errcode":"M_FORBIDDEN","error":"Invalid password"})");
  Client client(transport, settings("wrong"));
  auto result = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().unknown_token());
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_FALSE(result.error().transient());
  EXPECT_NE(result.error().message.find("M_FORBIDDEN"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(result.error().message.find("wrong"), std::string::npos) << "password leaked";
  ASSERT_EQ(transport.requests().size(), 2u);  // the original request is not sent again
  EXPECT_EQ(transport.request(1).url, url("/login"));
}

TEST_F(ClientTest, ReloginThatCannotReachTheServerIsTransient) {
  transport.respond(401, R"({"errcode":"M_UNKNOWN_TOKEN"})");
  transport.fail(net::TransportErrorKind::timeout, "Operation timed out");
  Client client(transport, settings("hunter2"));
  auto result = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().transport, net::TransportErrorKind::timeout);
  EXPECT_TRUE(result.error().transient());
  EXPECT_FALSE(result.error().unknown_token());
  EXPECT_EQ(transport.requests().size(), 2u);
}

TEST_F(ClientTest, UnknownTokenWithoutPasswordIsReturned) {
  transport.respond(
      401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token","soft_logout":false})");
  Client client(transport, settings());
  EXPECT_FALSE(client.has_password());
  auto result = run(client.send("!a:b.c", "m.room.message", "t1", "{}"));
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().unknown_token());
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_FALSE(result.error().transient());
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(result.error().describe().find(kToken), std::string::npos);
}

TEST_F(ClientTest, UploadPostsTheBytesWithTheirTypeAndReturnsTheContentUri) {
  transport.respond(200, R"({"content_uri":"mxc://hs.example/AbC123"})");
  Client client(transport, settings());
  const std::string png("\x89PNG\r\n\x1a\n\0\x01", 10);
  auto uri = run(client.upload(png, "image/png", "Themen nach Städten.png"));
  ASSERT_TRUE(uri.has_value()) << uri.error().describe();
  EXPECT_EQ(*uri, "mxc://hs.example/AbC123");
  const auto& request = transport.request(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url,
            "https://hs.example/_matrix/media/v3/upload?filename=Themen%20nach%20St%C3%A4dten.png");
  EXPECT_EQ(header_of(request, "Content-Type"), "image/png");
  EXPECT_EQ(request.body, png);  // binary, as it is
  expect_token_only_in_header(request, kToken);
}

TEST_F(ClientTest, AnUploadAnswerWithoutAnMxcUriIsABadBody) {
  transport.respond(200, R"({"content_uri":"https://evil.example/x.png"})");
  Client client(transport, settings());
  auto uri = run(client.upload("x", "image/png", "a.png"));
  ASSERT_FALSE(uri.has_value());
  EXPECT_EQ(uri.error().errcode, "R_BAD_BODY");
}

}  // namespace
}  // namespace reflexbot::matrix
