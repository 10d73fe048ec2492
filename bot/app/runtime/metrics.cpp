#include "app/runtime/metrics.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace reflexbot::app {
namespace {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxConnections = 4;
constexpr std::size_t kMaxRequestHead = 8 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr int kRequestsPerConnection = 100;

// The exposition format's numbers: the shortest text that reads back as the same double.
std::string number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << number(value) << '\n';
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value << '\n';
  }
  void one(std::string_view name, std::string_view type, std::string_view help, double value) {
    family(name, type, help);
    sample(name, "", value);
  }
  void one(std::string_view name, std::string_view type, std::string_view help,
           std::uint64_t value) {
    family(name, type, help);
    sample(name, "", value);
  }
  void histogram(std::string_view name, std::string_view help, const metrics::Histogram& h) {
    family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < metrics::kSecondsBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      sample(bucket, "le=\"" + number(metrics::kSecondsBuckets[i]) + "\"", cumulative);
    }
    sample(bucket, "le=\"+Inf\"", h.count);
    sample(std::string(name) + "_sum", "", h.sum);
    sample(std::string(name) + "_count", "", h.count);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

constexpr std::array<std::string_view, metrics::kEventKinds> kEventKindNames = {
    "message", "reaction", "redaction", "member", "state", "encrypted", "other", "malformed"};
constexpr std::array<std::string_view, metrics::kOutcomes> kOutcomeNames = {
    "ok", "rate_limited", "client_error", "server_error", "network"};
constexpr std::array<std::string_view, metrics::kCommandOutcomes> kCommandOutcomeNames = {
    "answered", "refused", "rate_limited", "unknown"};

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

ProcessFigures read_process_figures() {
  ProcessFigures figures;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: fields count after ')'.
  const auto close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    std::vector<std::string> values;
    while (fields >> field) values.push_back(field);
    // After ')': state is field 3, so field N is values[N - 3].
    auto at = [&](std::size_t n) -> double {
      return n - 3 < values.size() ? std::strtod(values[n - 3].c_str(), nullptr) : 0.0;
    };
    figures.cpu_seconds = (at(14) + at(15)) / static_cast<double>(ticks);
    figures.virtual_bytes = static_cast<std::int64_t>(at(23));
    figures.resident_bytes = static_cast<std::int64_t>(at(24)) * page;
    std::ifstream boot("/proc/stat");
    std::string line;
    while (std::getline(boot, line)) {
      if (line.starts_with("btime ")) {
        figures.start_time_seconds =
            std::strtod(line.c_str() + 6, nullptr) + at(22) / static_cast<double>(ticks);
        break;
      }
    }
  }
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++figures.open_fds;
  }
  return figures;
}

std::string render_metrics(const metrics::Registry& r, const store::LiveGauges& store,
                           const ProcessFigures& process, std::int64_t now_ms) {
  Exposition out;
  out.one("reflexbot_syncs_total", "counter", "Sync batches committed.", r.syncs);
  out.one("reflexbot_sync_failures_total", "counter",
          "Sync requests that failed (each retry counts).", r.sync_failures);
  out.histogram("reflexbot_sync_processing_seconds",
                "Time from a /sync answer to its batch committed (parse, apply, commit).",
                r.sync_seconds);
  out.one("reflexbot_last_sync_timestamp_seconds", "gauge",
          "When the last sync batch was committed (Unix time); 0 before the first.",
          seconds(store.last_sync_ms.value_or(0)));

  out.family("reflexbot_events_total", "counter",
             "Timeline events new to the bot, by kind (encrypted: its room key had not come).");
  for (std::size_t i = 0; i < kEventKindNames.size(); ++i) {
    out.sample("reflexbot_events_total", "kind=\"" + std::string(kEventKindNames[i]) + "\"",
               r.events[i]);
  }
  out.one("reflexbot_duplicate_events_total", "counter",
          "Timeline events seen before (a replayed batch, an overlapping gap).", r.duplicates);
  out.one("reflexbot_contributions_total", "counter", "Contributions collected.", r.contributions);

  out.family("reflexbot_commands_total", "counter", "Commands, by command and outcome.");
  for (const auto& [name, outcomes] : r.commands) {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i] == 0) continue;
      out.sample(
          "reflexbot_commands_total",
          "command=\"" + name + "\",outcome=\"" + std::string(kCommandOutcomeNames[i]) + "\"",
          outcomes[i]);
    }
  }

  out.family("reflexbot_homeserver_requests_total", "counter",
             "Requests to the homeserver, by outcome (rate_limited: HTTP 429 or M_LIMIT_EXCEEDED; "
             "network: no HTTP answer).");
  for (std::size_t i = 0; i < kOutcomeNames.size(); ++i) {
    out.sample("reflexbot_homeserver_requests_total",
               "outcome=\"" + std::string(kOutcomeNames[i]) + "\"", r.requests[i]);
  }
  out.one("reflexbot_rate_limit_wait_seconds_total", "counter",
          "Time waited because the homeserver asked for it.",
          seconds(static_cast<std::int64_t>(r.rate_limit_wait_ms)));
  out.one("reflexbot_sends_total", "counter", "Outbox rows delivered.", r.sends);
  out.one("reflexbot_send_retries_total", "counter", "Outbox deliveries tried again.",
          r.send_retries);
  out.one("reflexbot_sends_failed_total", "counter", "Outbox rows given up (permanent errors).",
          r.sends_failed);
  out.one("reflexbot_kept_for_keys_total", "counter",
          "Encrypted events kept because their room key had not come.", r.kept_for_keys);

  out.one("reflexbot_outbox_pending", "gauge", "Outbox rows waiting to be sent.",
          static_cast<std::uint64_t>(store.outbox_pending));
  out.one(
      "reflexbot_outbox_oldest_pending_age_seconds", "gauge",
      "Age of the oldest pending outbox row; 0 when none waits.",
      store.oldest_pending_ms ? std::max(0.0, seconds(now_ms - *store.oldest_pending_ms)) : 0.0);
  out.one("reflexbot_outbox_failed", "gauge", "Outbox rows given up and kept.",
          static_cast<std::uint64_t>(store.outbox_failed));
  out.one("reflexbot_quarantined_events", "gauge", "Malformed events kept in the quarantine.",
          static_cast<std::uint64_t>(store.quarantined));
  out.one("reflexbot_undecrypted_events", "gauge", "Encrypted events waiting for their room key.",
          static_cast<std::uint64_t>(store.undecrypted));

  out.histogram("reflexbot_digest_build_seconds",
                "Time to build a digest (read, group, rank, name).", r.digest_seconds);
  if (store.last_weekly_digest_ms) {
    out.one("reflexbot_last_weekly_digest_timestamp_seconds", "gauge",
            "The slot of the last scheduled (weekly) digest (Unix time).",
            seconds(*store.last_weekly_digest_ms));
  }

  out.one("process_cpu_seconds_total", "counter", "User and system CPU time.", process.cpu_seconds);
  out.one("process_resident_memory_bytes", "gauge", "Resident memory.",
          static_cast<std::uint64_t>(process.resident_bytes));
  out.one("process_virtual_memory_bytes", "gauge", "Virtual memory.",
          static_cast<std::uint64_t>(process.virtual_bytes));
  out.one("process_start_time_seconds", "gauge", "Start of the process (Unix time).",
          process.start_time_seconds);
  out.one("process_open_fds", "gauge", "Open file descriptors.",
          static_cast<std::uint64_t>(process.open_fds));
  return out.text();
}

struct MetricsServer::State {
  State(asio::io_context& context, std::function<std::string()> answer)
      : io(context), acceptor(context), scrape(std::move(answer)) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  std::function<std::string()> scrape;
  std::set<beast::tcp_stream*> streams;  ///< open connections, closed by stop()
  bool stopped = false;
};

namespace {

http::response<http::string_body> answer(const http::request<http::empty_body>& request,
                                         const std::function<std::string()>& scrape) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::server, "reflexbot");
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "Not found: the metrics are at /metrics\n";
  } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "Only GET and HEAD\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    std::string text;
    try {
      text = scrape();
    } catch (const std::exception& error) {
      spdlog::error("metrics could not be read: {}", error.what());
      response.result(http::status::internal_server_error);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      text = "The metrics could not be read; the bot's log says why.\n";
    }
    if (request.method() == http::verb::head) {
      response.content_length(text.size());  // the head only: the body's size, no body
      return response;
    }
    response.body() = std::move(text);
  }
  response.prepare_payload();
  return response;
}

asio::awaitable<void> serve(std::shared_ptr<MetricsServer::State> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  state->streams.insert(&stream);
  beast::flat_buffer buffer(kMaxRequestHead);
  for (int served = 0; served < kRequestsPerConnection && !state->stopped; ++served) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxRequestHead);
    parser.body_limit(0);
    stream.expires_after(kRequestTimeout);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::operation_aborted && !state->stopped) {
        // A bad request gets a plain 400; the connection ends.
        http::response<http::string_body> bad{http::status::bad_request, 11};
        bad.set(http::field::content_type, "text/plain; charset=utf-8");
        bad.keep_alive(false);
        bad.body() = "Bad request\n";
        bad.prepare_payload();
        boost::system::error_code ignored;
        co_await http::async_write(stream, bad, asio::redirect_error(asio::use_awaitable, ignored));
      }
      break;
    }
    auto response = answer(parser.get(), state->scrape);
    const bool keep = response.keep_alive();
    if (parser.get().method() == http::verb::head) {
      http::response_serializer<http::string_body> head(response);
      co_await http::async_write_header(stream, head,
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || !keep) break;
  }
  state->streams.erase(&stream);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<MetricsServer::State> state) {
  while (!state->stopped) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("metrics endpoint: accept failed ({})", ec.message());
      continue;
    }
    if (state->streams.size() >= kMaxConnections) {
      socket.close(ec);  // a scraper needs one; more are not served
      continue;
    }
    asio::co_spawn(state->io, serve(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, std::function<std::string()> scrape)
    : state_(std::make_shared<State>(io, std::move(scrape))) {}

MetricsServer::~MetricsServer() { stop(); }

std::optional<std::string> MetricsServer::start(const std::string& address, unsigned short port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return "not an IP address: " + address;
  const tcp::endpoint endpoint(ip, port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.close();
    return ec.message();
  }
  asio::co_spawn(state_->io, accept_loop(state_), asio::detached);
  return std::nullopt;
}

unsigned short MetricsServer::port() const {
  boost::system::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void MetricsServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ec;
  state_->acceptor.close(ec);
  for (auto* stream : state_->streams) stream->cancel();
}

}  // namespace reflexbot::app
