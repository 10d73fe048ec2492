// CurlTransport over HTTPS against a tiny TLS server (OpenSSL, on a thread of its own) whose
// certificate a test CA signed (tests/fixtures/tls, valid until 2126): the transport verifies the
// server against the certificate authorities OpenSSL names, which SSL_CERT_FILE overrides.

#include "net/curl_transport.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "../support/scoped_env.hpp"

namespace reflexbot::net {
namespace {

// Only a hang guard: a test that is still running after this long has failed.
constexpr auto hang_guard = std::chrono::seconds(60);

std::string fixture(const char* name) { return std::string(REFLEXBOT_FIXTURES) + "/tls/" + name; }

// Answers every request on every connection with 200 "secure", one connection at a time.
class TlsServer {
 public:
  explicit TlsServer(const char* host = "127.0.0.1")
      : host_(host), ctx_(SSL_CTX_new(TLS_server_method())) {
    // OpenSSL writes with write(): a client that hangs up must not kill the test with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    if (ctx_ == nullptr ||
        SSL_CTX_use_certificate_chain_file(ctx_, fixture("server.pem").c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, fixture("server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("the test server's certificate or key does not load");
    }
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host, &address.sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 address");
    }
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("the test server cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~TlsServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(listener_);
    SSL_CTX_free(ctx_);
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::string url() const { return "https://" + host_ + ":" + std::to_string(port_) + "/secret"; }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) answer(ssl);
      SSL_free(ssl);
      ::close(fd);
    }
  }

  void answer(SSL* ssl) {
    std::string request;
    char buffer[4096];
    while (true) {
      const int n = SSL_read(ssl, buffer, sizeof buffer);
      if (n <= 0) return;
      request.append(buffer, static_cast<std::size_t>(n));
      if (request.find("\r\n\r\n") == std::string::npos) continue;
      request.clear();
      ++requests_;
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
      if (SSL_write(ssl, reply.data(), static_cast<int>(reply.size())) <= 0) return;
    }
  }

  std::string host_;
  SSL_CTX* ctx_;
  int listener_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

Result fetch(const std::string& url) {
  asio::io_context io;
  CurlTransport transport(io);
  std::optional<Result> result;
  Request request;
  request.url = url;
  transport.start(std::move(request), [&](Result r) { result = std::move(r); });
  io.run_for(hang_guard);
  if (!result) throw std::runtime_error("the request never completed");
  return std::move(*result);
}

// A libcurl with a CA bundle of its own (Debian's, with REFLEXBOT_SYSTEM_CURL) ignores
// SSL_CERT_FILE, as it always did; these tests are about the bot's own libcurl.
bool curl_has_its_own_bundle() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  return info->cainfo != nullptr || info->capath != nullptr;
}

TEST(CurlTransportTls, TrustsAServerThatTheNamedAuthoritySigned) {
  if (curl_has_its_own_bundle()) GTEST_SKIP() << "this libcurl has a CA bundle built in";
  TlsServer server;
  const test::ScopedEnv ca("SSL_CERT_FILE", fixture("ca.pem"));

  const Result result = fetch(server.url());

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "secure");
}

TEST(CurlTransportTls, RefusesAServerThatAnotherAuthoritySigned) {
  if (curl_has_its_own_bundle()) GTEST_SKIP() << "this libcurl has a CA bundle built in";
  TlsServer server;
  const test::ScopedEnv ca("SSL_CERT_FILE", fixture("other-ca.pem"));

  const Result result = fetch(server.url());

  ASSERT_FALSE(result.has_value()) << "a server no trusted authority signed was accepted";
  EXPECT_EQ(result.error().curl_code, CURLE_PEER_FAILED_VERIFICATION) << result.error().message;
  EXPECT_EQ(server.requests(), 0) << "the request went out before the server was verified";
}

TEST(CurlTransportTls, RefusesACertificateForAnotherName) {
  if (curl_has_its_own_bundle()) GTEST_SKIP() << "this libcurl has a CA bundle built in";
  TlsServer server("127.0.0.2");  // the certificate names 127.0.0.1 and localhost only
  const test::ScopedEnv ca("SSL_CERT_FILE", fixture("ca.pem"));

  const Result result = fetch(server.url());

  ASSERT_FALSE(result.has_value()) << "a certificate for another name was accepted";
  EXPECT_EQ(result.error().curl_code, CURLE_PEER_FAILED_VERIFICATION) << result.error().message;
}

}  // namespace
}  // namespace reflexbot::net
