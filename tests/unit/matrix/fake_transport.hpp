#pragma once
// A scripted net::Transport for unit tests (tgbot-cpp's sequenced, failing and blocking fakes in
// one): each perform() records the request and answers with the next scripted response or
// transport error; a request beyond the script fails the test and answers with a transport error.

#include <cctype>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "net/asio.hpp"
#include "net/transport.hpp"

namespace reflexbot::test {

namespace asio = net::asio;

/// Answers requests from a queue and records every request it was given.
class FakeTransport final : public net::Transport {
 public:
  /// Queues an HTTP response; header names are lower-cased as the real transport does.
  void respond(long status, std::string body, std::vector<net::Header> headers = {}) {
    for (auto& header : headers) {
      for (auto& c : header.name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    net::Response response;
    response.status = status;
    response.headers = std::move(headers);
    response.body = std::move(body);
    script_.push_back(Step{net::Result(std::move(response)), false});
  }

  /// Queues a failure below HTTP.
  void fail(net::TransportErrorKind kind, std::string message = "scripted failure",
            int curl_code = 7) {
    script_.push_back(Step{
        net::Result(Unexpected{net::TransportError{kind, curl_code, std::move(message)}}), false});
  }

  /// Queues a response that is held back until release() (or shutdown(): cancelled); a
  /// release() before it does not count for it.
  void respond_blocked(long status, std::string body) {
    respond(status, std::move(body));
    script_.back().blocked = true;
    released_ = false;
  }

  /// Lets a blocked request complete.
  void release() {
    released_ = true;
    if (gate_ != nullptr) gate_->cancel();
  }

  /// Called with each request as it arrives (before it is answered).
  void on_request(std::function<void(const net::Request&)> hook) { hook_ = std::move(hook); }

  asio::awaitable<net::Result> perform(net::Request request) override {
    auto step = take(std::move(request));
    co_return co_await answer(std::move(step));
  }

  /// Records the request at once (the hook sees it before start() returns) and answers it on the
  /// io_context given to bind().
  void start(net::Request request, std::function<void(net::Result)> done) override {
    auto step = take(std::move(request));
    if (io_ == nullptr) {
      ADD_FAILURE() << "FakeTransport::start without bind(io)";
      return;
    }
    asio::co_spawn(
        *io_,
        [this, step = std::move(step), done = std::move(done)]() mutable -> asio::awaitable<void> {
          done(co_await answer(std::move(step)));
        },
        asio::detached);
  }

  /// The io_context on which start() answers.
  void bind(asio::io_context& io) { io_ = &io; }

  void shutdown() override {
    shut_down_ = true;
    if (gate_ != nullptr) gate_->cancel();
  }

  const std::vector<net::Request>& requests() const { return requests_; }
  const net::Request& request(std::size_t index) const { return requests_.at(index); }
  std::size_t remaining() const { return script_.size(); }
  bool was_shut_down() const { return shut_down_; }

 private:
  struct Step {
    net::Result result;
    bool blocked = false;
  };

  // Records the request and takes its scripted answer (a transport error beyond the script).
  Step take(net::Request request) {
    requests_.push_back(std::move(request));
    if (hook_) hook_(requests_.back());
    if (script_.empty()) {
      ADD_FAILURE() << "unscripted request: " << requests_.back().method << " "
                    << requests_.back().url;
      return Step{net::Result(Unexpected{
                      net::TransportError{net::TransportErrorKind::other, 0, "script exhausted"}}),
                  false};
    }
    Step step = std::move(script_.front());
    script_.pop_front();
    return step;
  }

  asio::awaitable<net::Result> answer(Step step) {
    if (step.blocked && !released_ && !shut_down_) {
      asio::steady_timer gate(co_await asio::this_coro::executor,
                              asio::steady_timer::time_point::max());
      gate_ = &gate;
      boost::system::error_code ec;
      co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      gate_ = nullptr;
    }
    if (shut_down_) {
      co_return net::Result(Unexpected{
          net::TransportError{net::TransportErrorKind::cancelled, 0, "transport shut down"}});
    }
    co_return std::move(step.result);
  }

  std::deque<Step> script_;
  std::vector<net::Request> requests_;
  std::function<void(const net::Request&)> hook_;
  asio::steady_timer* gate_ = nullptr;
  asio::io_context* io_ = nullptr;
  bool released_ = false;
  bool shut_down_ = false;
};

/// The value of the first request header with this name (case-insensitive), if any.
inline std::optional<std::string> header_of(const net::Request& request, std::string_view name) {
  for (const auto& header : request.headers) {
    if (header.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header.name[i])) !=
          std::tolower(static_cast<unsigned char>(name[i]))) {
        same = false;
        break;
      }
    }
    if (same) return header.value;
  }
  return std::nullopt;
}

namespace detail {
template <typename T>
asio::awaitable<void> store_into(asio::awaitable<T> awaitable, std::optional<T>* out) {
  T value = co_await std::move(awaitable);
  out->emplace(std::move(value));
}
}  // namespace detail

/// Runs the awaitable to completion on `io` and returns its result (rethrows its exception).
template <typename T>
T run_awaitable(asio::io_context& io, asio::awaitable<T> awaitable) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, detail::store_into(std::move(awaitable), &result),
                 [&failure](std::exception_ptr e) { failure = e; });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("awaitable did not complete");
  return std::move(*result);
}

}  // namespace reflexbot::test
