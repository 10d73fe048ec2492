// CurlTransport against a tiny scripted HTTP/1.1 server that runs on the same io_context.

#include "net/curl_transport.hpp"

// net/asio.hpp (through curl_transport.hpp) comes first, so <utility> precedes these Asio headers.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::net {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Only a hang guard: a test that is still running after this long has failed.
constexpr auto hang_guard = std::chrono::seconds(60);

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A request as the test server received it; header names lower-cased.
struct ServerRequest {
  int connection = 0;
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const Header& h : headers) {
      if (h.name == name) return h.value;
    }
    return std::nullopt;
  }
};

// What the server does with one request.
struct Reply {
  enum class Kind { respond, never_answer, close_mid_body, chunked };
  Kind kind = Kind::respond;
  int status = 200;
  std::vector<Header> headers;
  std::string body;
};

using Script = std::function<Reply(const ServerRequest&)>;

struct ServerState {
  explicit ServerState(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  Script script;
  std::vector<ServerRequest> requests;
  int connections = 0;
  std::vector<std::weak_ptr<tcp::socket>> sockets;
};

ServerRequest parse_head(std::string_view head, int connection) {
  ServerRequest request;
  request.connection = connection;
  auto next_line = [&head]() {
    const auto end = head.find("\r\n");
    std::string_view line = head.substr(0, end);
    head.remove_prefix(end == std::string_view::npos ? head.size() : end + 2);
    return line;
  };
  const std::string_view start = next_line();
  const auto first_space = start.find(' ');
  const auto second_space = start.find(' ', first_space + 1);
  request.method = std::string(start.substr(0, first_space));
  request.target = std::string(start.substr(first_space + 1, second_space - first_space - 1));
  for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
    const auto colon = line.find(':');
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.push_back({lower(line.substr(0, colon)), std::string(value)});
  }
  return request;
}

std::string format_head(int status, const std::vector<Header>& headers,
                        std::size_t content_length) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\n";
  for (const Header& h : headers) out += h.name + ": " + h.value + "\r\n";
  out += "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
  return out;
}

asio::awaitable<void> serve_connection(std::shared_ptr<ServerState> state,
                                       std::shared_ptr<tcp::socket> socket, int connection) {
  std::string buffer;
  boost::system::error_code ec;
  for (;;) {
    const std::size_t head_size =
        co_await asio::async_read_until(*socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ServerRequest request = parse_head(std::string_view(buffer).substr(0, head_size), connection);
    buffer.erase(0, head_size);
    const std::size_t length = std::stoul(request.header("content-length").value_or("0"));
    if (buffer.size() < length) {
      co_await asio::async_read(*socket, asio::dynamic_buffer(buffer),
                                asio::transfer_exactly(length - buffer.size()),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    request.body = buffer.substr(0, length);
    buffer.erase(0, length);
    state->requests.push_back(request);
    Reply reply = state->script(request);
    switch (reply.kind) {
      case Reply::Kind::respond: {
        std::string out = format_head(reply.status, reply.headers, reply.body.size()) + reply.body;
        co_await asio::async_write(*socket, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        break;
      }
      case Reply::Kind::never_answer:
        break;  // the next read ends when the client gives up and closes
      case Reply::Kind::chunked: {
        // No Content-Length: the size is known only at the end (as with a streaming server).
        std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
        for (const Header& h : reply.headers) out += h.name + ": " + h.value + "\r\n";
        out += "Transfer-Encoding: chunked\r\n\r\n";
        constexpr std::size_t chunk = 4096;
        for (std::size_t at = 0; at < reply.body.size(); at += chunk) {
          const std::string piece = reply.body.substr(at, chunk);
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
          out += size + piece + "\r\n";
        }
        out += "0\r\n\r\n";
        co_await asio::async_write(*socket, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        break;
      }
      case Reply::Kind::close_mid_body: {
        std::string out =
            format_head(reply.status, reply.headers, reply.body.size() + 1000) + reply.body;
        co_await asio::async_write(*socket, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        socket->close(ec);
        co_return;
      }
    }
  }
}

asio::awaitable<void> accept_connections(std::shared_ptr<ServerState> state) {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(state->acceptor.get_executor());
    boost::system::error_code ec;
    co_await state->acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const int connection = ++state->connections;
    state->sockets.push_back(socket);
    asio::co_spawn(state->acceptor.get_executor(), serve_connection(state, socket, connection),
                   asio::detached);
  }
}

// A scripted HTTP/1.1 server on 127.0.0.1 and an ephemeral port.
class TestServer {
 public:
  TestServer(asio::io_context& io, Script script) : state_(std::make_shared<ServerState>(io)) {
    state_->script = std::move(script);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    state_->acceptor.open(endpoint.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(endpoint);
    state_->acceptor.listen();
    port_ = state_->acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_connections(state_), asio::detached);
  }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
  }

  /// Stops accepting; open connections stay open.
  void stop_accepting() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
  }

  /// Stops accepting and closes every connection.
  void stop() {
    stop_accepting();
    for (const auto& weak : state_->sockets) {
      if (auto socket = weak.lock()) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    }
  }

  const std::vector<ServerRequest>& requests() const { return state_->requests; }
  int connections() const { return state_->connections; }

  /// Whether bytes wait unread on an accepted connection (looked at with poll, not read).
  bool bytes_waiting() const {
    for (const auto& weak : state_->sockets) {
      auto socket = weak.lock();
      if (!socket || !socket->is_open()) continue;
      pollfd probe{socket->native_handle(), POLLIN, 0};
      if (::poll(&probe, 1, 0) > 0 && (probe.revents & POLLIN) != 0) return true;
    }
    return false;
  }

 private:
  std::shared_ptr<ServerState> state_;
  unsigned short port_ = 0;
};

using Results = std::vector<std::optional<Result>>;

// Performs the chain's requests one after another, storing result i in (*results)[first + i].
asio::awaitable<void> run_chain(Transport* transport, std::vector<Request> chain,
                                std::shared_ptr<Results> results, std::size_t first,
                                std::shared_ptr<std::size_t> remaining,
                                std::function<void()> on_all_done) {
  for (std::size_t i = 0; i < chain.size(); ++i) {
    (*results)[first + i] = co_await transport->perform(std::move(chain[i]));
  }
  if (--*remaining == 0) on_all_done();
}

// Runs the chains concurrently (each one sequentially); calls on_all_done after the last result.
Results run_chains(asio::io_context& io, Transport& transport,
                   std::vector<std::vector<Request>> chains, std::function<void()> on_all_done) {
  std::size_t total = 0;
  for (const auto& chain : chains) total += chain.size();
  auto results = std::make_shared<Results>(total);
  auto remaining = std::make_shared<std::size_t>(chains.size());
  std::size_t first = 0;
  for (auto& chain : chains) {
    const std::size_t size = chain.size();
    asio::co_spawn(io,
                   run_chain(&transport, std::move(chain), results, first, remaining, on_all_done),
                   asio::detached);
    first += size;
  }
  io.run_for(hang_guard);
  return std::move(*results);
}

// Runs the requests concurrently, stops the server when all completed and expects io to run dry.
Results run_all(asio::io_context& io, TestServer& server, Transport& transport,
                std::vector<Request> requests) {
  std::vector<std::vector<Request>> chains;
  for (auto& request : requests) chains.push_back({std::move(request)});
  Results results = run_chains(io, transport, std::move(chains), [&server] { server.stop(); });
  EXPECT_TRUE(io.stopped()) << "io_context still had work: a watch or timer was left behind";
  return results;
}

Result run_one(asio::io_context& io, TestServer& server, Transport& transport, Request request) {
  std::vector<Request> requests;
  requests.push_back(std::move(request));
  Results results = run_all(io, server, transport, std::move(requests));
  if (!results[0]) {
    ADD_FAILURE() << "request never completed";
    return Unexpected{TransportError{TransportErrorKind::other, 0, "never completed"}};
  }
  return std::move(*results[0]);
}

Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 1024) % 26);
  return out;
}

Reply ok(std::string body, std::vector<Header> headers = {}) {
  Reply reply;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

Reply never_answer() {
  Reply reply;
  reply.kind = Reply::Kind::never_answer;
  return reply;
}

TEST(CurlTransport, GetReturnsStatusBodyAndHeaders) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) {
    return ok("hello", {{"X-Custom-Thing", "  some value "}, {"Retry-After", "7"}});
  });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get(server.url("/path?q=1")));

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "hello");
  EXPECT_GE(result->body.capacity(), result->body.size() + response_body_padding);
  EXPECT_EQ(result->header("x-custom-thing"), "some value");
  EXPECT_EQ(result->header("X-CUSTOM-THING"), "some value");
  EXPECT_EQ(result->header("Retry-After"), "7");
  EXPECT_EQ(result->header("content-length"), "5");
  EXPECT_FALSE(result->header("x-missing").has_value());
  for (const Header& h : result->headers) EXPECT_EQ(h.name, lower(h.name));
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].target, "/path?q=1");
}

TEST(CurlTransport, ErrorStatusIsAResponse) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) {
    Reply reply = ok(R"({"errcode":"M_NOT_FOUND"})");
    reply.status = 404;
    return reply;
  });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get(server.url("/missing")));

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(result->body, R"({"errcode":"M_NOT_FOUND"})");
}

TEST(CurlTransport, PostBodyAndMethodArriveIntact) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest& r) { return ok("echo:" + r.body); });
  CurlTransport transport(io);
  Request request;
  request.method = "POST";
  request.url = server.url("/_matrix/client/v3/login");
  request.headers = {{"Content-Type", "application/json"}};
  request.body =
      std::string(R"({"type":"m.login.password","nul":")") + std::string(1, '\0') + "\"}";
  const std::string body = request.body;

  const Result result = run_one(io, server, transport, request);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body, "echo:" + body);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, "POST");
  EXPECT_EQ(server.requests()[0].body, body);
  EXPECT_EQ(server.requests()[0].header("content-type"), "application/json");
}

TEST(CurlTransport, PutBodyAndMethodArriveIntact) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok(R"({"event_id":"$e"})"); });
  CurlTransport transport(io);
  Request request;
  request.method = "PUT";
  request.url = server.url("/_matrix/client/v3/rooms/!r/send/m.room.message/txn1");
  request.headers = {{"Content-Type", "application/json"}};
  request.body = pattern(3 * 1024 * 1024);  // large enough for many writes and curl's Expect rule

  const Result result = run_one(io, server, transport, request);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body, R"({"event_id":"$e"})");
  ASSERT_EQ(server.requests().size(), 1U);
  const ServerRequest& seen = server.requests()[0];
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/_matrix/client/v3/rooms/!r/send/m.room.message/txn1");
  EXPECT_EQ(seen.body.size(), request.body.size());
  EXPECT_TRUE(seen.body == request.body);
  EXPECT_FALSE(seen.header("expect").has_value());
}

TEST(CurlTransport, DeleteWithoutBody) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok("{}"); });
  CurlTransport transport(io);
  Request request = get(server.url("/thing"));
  request.method = "DELETE";

  const Result result = run_one(io, server, transport, request);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, "DELETE");
  EXPECT_EQ(server.requests()[0].body, "");
}

TEST(CurlTransport, RequestHeadersAreSent) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok("{}"); });
  CurlTransport transport(io);
  Request request = get(server.url("/sync"));
  request.headers = {{"Authorization", "Bearer secret-token"}, {"X-Trace", "abc 123"}};

  const Result result = run_one(io, server, transport, request);

  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(server.requests().size(), 1U);
  const ServerRequest& seen = server.requests()[0];
  EXPECT_EQ(seen.header("authorization"), "Bearer secret-token");
  EXPECT_EQ(seen.header("x-trace"), "abc 123");
  ASSERT_TRUE(seen.header("accept-encoding").has_value());
  EXPECT_NE(seen.header("accept-encoding")->find("gzip"), std::string::npos);
}

TEST(CurlTransport, GzipResponseIsDecoded) {
  // printf 'hello gzip, hello gzip, hello gzip' | gzip -n -9
  static constexpr unsigned char gzipped[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                              0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x48, 0xaf,
                                              0xca, 0x2c, 0xd0, 0x51, 0xc8, 0xc0, 0xca, 0x06, 0x00,
                                              0xba, 0x31, 0x8e, 0x26, 0x22, 0x00, 0x00, 0x00};
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) {
    return ok(std::string(reinterpret_cast<const char*>(gzipped), sizeof gzipped),
              {{"Content-Encoding", "gzip"}});
  });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get(server.url("/gz")));

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body, "hello gzip, hello gzip, hello gzip");
  EXPECT_GE(result->body.capacity(), result->body.size() + response_body_padding);
}

TEST(CurlTransport, LargeResponseBodyIntact) {
  const std::string big = pattern(10 * 1024 * 1024);
  asio::io_context io;
  TestServer server(io, [&big](const ServerRequest&) { return ok(big); });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get(server.url("/big")));

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body.size(), big.size());
  EXPECT_TRUE(result->body == big);
  EXPECT_GE(result->body.capacity(), big.size() + response_body_padding);
}

// A body of unknown length (chunked or compressed: Synapse's gzip sends no Content-Length) grows
// as it arrives. Doubling copies it at every step, and while it copies the old and the new buffer
// are both resident: up to 2x the body (issue 17). Past its first MiB it is copied once more at
// most, and it keeps the padding without a copy at the end.
TEST(ResponseBody, ABodyOfUnknownLengthMovesAtMostOnceAfterItsFirstMebibyte) {
  const std::string chunk = pattern(16 * 1024);
  const std::size_t total = 10 * 1024 * 1024 + 5;
  std::string body;
  std::string expected;
  int moves = 0;
  const char* data = nullptr;
  while (body.size() < total) {
    const std::string_view part(chunk.data(), std::min(chunk.size(), total - body.size()));
    append_response_body(body, part, default_max_response_body);
    expected.append(part);
    if (body.size() > 1024 * 1024) {
      if (data != nullptr && body.data() != data) ++moves;
      data = body.data();
    }
  }
  EXPECT_TRUE(body == expected);
  EXPECT_LE(moves, 1);
  EXPECT_GE(body.capacity(), body.size() + response_body_padding);
}

TEST(ResponseBody, ABodyBeyondTheReserveLimitStillGrowsIntact) {
  const std::string chunk = pattern(100 * 1000);
  std::string body;
  std::string expected;
  for (int i = 0; i < 40; ++i) {  // 4 MB against a limit of 1.5 MiB
    append_response_body(body, chunk, 3 * 512 * 1024);
    expected += chunk;
  }
  EXPECT_TRUE(body == expected);
  EXPECT_GE(body.capacity(), body.size() + response_body_padding);
}

// A homeserver (or whatever answers in its place) must not make the bot hold a body of any size:
// beyond the cap the transfer is aborted with a clear error, which the sync loop retries.
constexpr std::size_t small_cap = 64 * 1024;

void expect_too_large(const Result& result, std::size_t cap) {
  ASSERT_FALSE(result.has_value()) << "a body over the cap was accepted";
  EXPECT_EQ(result.error().kind, TransportErrorKind::other);
  EXPECT_EQ(result.error().message, "response larger than " + std::to_string(cap) + " bytes");
}

TEST(CurlTransport, ABodyOverTheCapIsAnErrorWhenItsLengthIsAnnounced) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok(pattern(small_cap + 1)); });
  CurlTransport transport(io, small_cap);
  expect_too_large(run_one(io, server, transport, get(server.url("/big"))), small_cap);
}

TEST(CurlTransport, AChunkedBodyOverTheCapIsAbortedWhileItArrives) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) {
    Reply reply = ok(pattern(4 * small_cap));
    reply.kind = Reply::Kind::chunked;
    return reply;
  });
  CurlTransport transport(io, small_cap);
  expect_too_large(run_one(io, server, transport, get(server.url("/stream"))), small_cap);
}

TEST(CurlTransport, TheCapCountsTheDecodedBody) {
  // 239 bytes of gzip that decode to {"x":"aaa…"} of 200,008 bytes (python3 zlib, level 9).
  static constexpr unsigned char head[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                           0x03, 0xed, 0xc1, 0x41, 0x0d, 0x00, 0x30, 0x08, 0x04,
                                           0x30, 0x2f, 0x27, 0x03, 0x37, 0x73, 0x41, 0x42, 0xf0,
                                           0x3e, 0x0d, 0xfc, 0xdb, 0x4e, 0x3a, 0x95, 0x07};
  static constexpr unsigned char tail[] = {0x9c, 0x65, 0x3f, 0x1d, 0xbc, 0x59,
                                           0x3f, 0x48, 0x0d, 0x03, 0x00};
  const std::string gzipped = std::string(reinterpret_cast<const char*>(head), sizeof head) +
                              std::string(193, '\0') +
                              std::string(reinterpret_cast<const char*>(tail), sizeof tail);
  {
    asio::io_context io;
    TestServer server(io, [&](const ServerRequest&) {
      return ok(gzipped, {{"Content-Encoding", "gzip"}});
    });
    CurlTransport transport(io, small_cap);
    expect_too_large(run_one(io, server, transport, get(server.url("/bomb"))), small_cap);
  }
  asio::io_context io;
  TestServer server(io, [&](const ServerRequest&) {
    return ok(gzipped, {{"Content-Encoding", "gzip"}});
  });
  CurlTransport transport(io, 200008);
  const Result result = run_one(io, server, transport, get(server.url("/fits")));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body.size(), 200008u);
}

TEST(CurlTransport, ABodyOfExactlyTheCapArrives) {
  const std::string body = pattern(small_cap);
  asio::io_context io;
  TestServer server(io, [&](const ServerRequest& r) {
    Reply reply = ok(body);
    if (r.target == "/chunked") reply.kind = Reply::Kind::chunked;
    return reply;
  });
  CurlTransport transport(io, small_cap);
  const Results results =
      run_all(io, server, transport, {get(server.url("/plain")), get(server.url("/chunked"))});
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value() && result->has_value());
    EXPECT_TRUE(result->value().body == body);
  }
}

TEST(CurlTransport, ManyConcurrentRequestsComplete) {
  constexpr std::size_t count = 50;
  asio::io_context io;
  TestServer server(io, [](const ServerRequest& r) { return ok("body of " + r.target); });
  CurlTransport transport(io);
  std::vector<Request> requests;
  for (std::size_t i = 0; i < count; ++i)
    requests.push_back(get(server.url("/item/" + std::to_string(i))));

  const Results results = run_all(io, server, transport, std::move(requests));

  ASSERT_EQ(results.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(results[i].has_value()) << "request " << i << " never completed";
    ASSERT_TRUE(results[i]->has_value()) << results[i]->error().message;
    EXPECT_EQ(results[i]->value().body, "body of /item/" + std::to_string(i));
  }
  EXPECT_EQ(server.requests().size(), count);
}

TEST(CurlTransport, TimeoutWhenServerNeverAnswers) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return never_answer(); });
  CurlTransport transport(io);
  Request request = get(server.url("/sync"));
  request.headers = {{"Authorization", "Bearer secret-token"}};
  request.timeout = 300ms;

  const Result result = run_one(io, server, transport, request);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::timeout) << result.error().message;
  EXPECT_EQ(result.error().curl_code, 28);  // CURLE_OPERATION_TIMEDOUT
  EXPECT_FALSE(result.error().message.empty());
  EXPECT_EQ(result.error().message.find("secret-token"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(CurlTransport, ConnectionRefused) {
  asio::io_context io;
  // The server binds first: the port freed below can then not become the server's (it did, now
  // and then, when the server was bound after it and the kernel handed out the same port again).
  TestServer server(io, [](const ServerRequest&) { return ok("unexpected"); });
  unsigned short closed_port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  CurlTransport transport(io);

  const Result result =
      run_one(io, server, transport, get("http://127.0.0.1:" + std::to_string(closed_port) + "/"));

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::connect) << result.error().message;
}

TEST(CurlTransport, ServerClosingMidResponseIsAnError) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) {
    Reply reply = ok("{\"partial\":");
    reply.kind = Reply::Kind::close_mid_body;
    return reply;
  });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get(server.url("/cut")));

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::other) << result.error().message;
  EXPECT_NE(result.error().curl_code, 0);
}

TEST(CurlTransport, ShutdownCancelsRequestsInFlight) {
  constexpr std::size_t count = 5;
  asio::io_context io;
  CurlTransport* transport_ptr = nullptr;
  std::unique_ptr<TestServer> server;
  server = std::make_unique<TestServer>(io, [&](const ServerRequest&) {
    if (server->requests().size() == count) {
      // Every request has reached the server and waits for an answer that never comes.
      server->stop_accepting();
      transport_ptr->shutdown();
    }
    return never_answer();
  });
  CurlTransport transport(io);
  transport_ptr = &transport;
  std::vector<std::vector<Request>> chains;
  for (std::size_t i = 0; i < count; ++i) chains.push_back({get(server->url("/wait"))});

  // The server's connections end only when curl closes them: io runs dry only if shutdown did it
  // all.
  const Results results = run_chains(io, transport, std::move(chains), [] {});

  EXPECT_TRUE(io.stopped()) << "io_context.run() did not return after shutdown()";
  ASSERT_EQ(results.size(), count);
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << "request never completed";
    ASSERT_FALSE(result->has_value());
    EXPECT_EQ(result->error().kind, TransportErrorKind::cancelled);
  }
}

TEST(CurlTransport, PerformAfterShutdownIsCancelled) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok("unexpected"); });
  CurlTransport transport(io);
  transport.shutdown();

  const Result result = run_one(io, server, transport, get(server.url("/")));

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::cancelled);
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlTransport, DestroyingTransportCancelsRequestsInFlight) {
  constexpr std::size_t count = 3;
  asio::io_context io;
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<TestServer> server;
  server = std::make_unique<TestServer>(io, [&](const ServerRequest&) {
    if (server->requests().size() == count) {
      server->stop_accepting();
      transport.reset();
    }
    return never_answer();
  });
  transport = std::make_unique<CurlTransport>(io);
  std::vector<std::vector<Request>> chains;
  for (std::size_t i = 0; i < count; ++i) chains.push_back({get(server->url("/wait"))});

  const Results results = run_chains(io, *transport, std::move(chains), [] {});

  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(transport, nullptr);
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << "request never completed";
    ASSERT_FALSE(result->has_value());
    EXPECT_EQ(result->error().kind, TransportErrorKind::cancelled);
  }
}

TEST(CurlTransport, KeepAliveReusesConnection) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest& r) { return ok(r.target); });
  CurlTransport transport(io);
  std::vector<std::vector<Request>> chains(1);
  chains[0].push_back(get(server.url("/first")));
  chains[0].push_back(get(server.url("/second")));

  const Results results =
      run_chains(io, transport, std::move(chains), [&server] { server.stop(); });

  EXPECT_TRUE(io.stopped());
  ASSERT_EQ(results.size(), 2U);
  ASSERT_TRUE(results[0].has_value() && results[0]->has_value());
  ASSERT_TRUE(results[1].has_value() && results[1]->has_value());
  EXPECT_EQ(results[0]->value().body, "/first");
  EXPECT_EQ(results[1]->value().body, "/second");
  ASSERT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests()[0].connection, server.requests()[1].connection);
}

TEST(CurlTransport, UnsupportedSchemeIsRejected) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok("unexpected"); });
  CurlTransport transport(io);

  const Result result = run_one(io, server, transport, get("file:///etc/hostname"));

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::other);
}

TEST(CurlTransport, HeaderInjectionIsRejectedWithoutEchoingTheHeader) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok("unexpected"); });
  CurlTransport transport(io);
  Request request = get(server.url("/"));
  request.headers = {{"Authorization", "Bearer secret-token\r\nX-Evil: 1"}};

  const Result result = run_one(io, server, transport, request);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, TransportErrorKind::other);
  EXPECT_EQ(result.error().message.find("secret-token"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlTransport, StartWritesTheRequestOverAKeptAliveConnectionBeforeItReturns) {
  asio::io_context io;
  TestServer server(io, [](const ServerRequest&) { return ok(R"({"event_id":"$e"})"); });
  CurlTransport transport(io);
  std::optional<Result> first;
  transport.start(get(server.url("/first")), [&](Result result) {
    first = std::move(result);
    io.stop();
  });
  io.run_for(hang_guard);
  ASSERT_TRUE(first && first->has_value());
  io.restart();

  Request request;
  request.method = "PUT";
  request.url = server.url("/_matrix/client/v3/rooms/!r/send/m.room.message/txn2");
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"msgtype":"m.notice","body":"pong"})";
  std::optional<Result> second;
  bool answered_inside_start = false;
  transport.start(request, [&](Result result) {
    second = std::move(result);
    io.stop();
  });
  answered_inside_start = second.has_value();
  // Nothing of the io_context ran since start(): the bytes are on the server's socket already.
  EXPECT_TRUE(server.bytes_waiting());
  EXPECT_FALSE(answered_inside_start);

  io.run_for(hang_guard);
  ASSERT_TRUE(second && second->has_value()) << (second ? second->error().message : "no answer");
  EXPECT_EQ((*second)->body, R"({"event_id":"$e"})");
  ASSERT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.requests()[1].method, "PUT");
  EXPECT_EQ(server.requests()[1].connection, server.requests()[0].connection);  // reused
  server.stop();
}

}  // namespace
}  // namespace reflexbot::net
