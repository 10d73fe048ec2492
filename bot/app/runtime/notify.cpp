#include "app/runtime/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

namespace reflexbot::app {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// A status line must stay one assignment: line breaks would start new ones.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

std::optional<std::uint64_t> parse_number(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  const char* end = text + std::strlen(text);
  std::uint64_t value = 0;
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// Closes the descriptor on every path out of notify().
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

ServiceNotifier::ServiceNotifier(std::string socket) : socket_(std::move(socket)) {}

ServiceNotifier ServiceNotifier::from_environment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return ServiceNotifier(socket != nullptr ? socket : "");
}

std::error_code ServiceNotifier::notify(std::string_view state) const {
  if (socket_.empty()) return {};
  // systemd hands out absolute paths or abstract names ("@…"); nothing else is a socket for us.
  if (socket_.front() != '/' && socket_.front() != '@') {
    return std::make_error_code(std::errc::invalid_argument);
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(address.sun_path)) {
    return std::make_error_code(std::errc::filename_too_long);
  }
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  // An abstract name starts with a NUL byte and its length counts no terminating NUL.
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_.front() == '@') {
    address.sun_path[0] = '\0';
  } else {
    length = static_cast<socklen_t>(length + 1);
  }

  const Descriptor socket{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (socket.fd < 0) return last_error();
  const ssize_t sent = ::sendto(socket.fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  if (sent < 0) return last_error();
  if (static_cast<std::size_t>(sent) != state.size()) {
    return std::make_error_code(std::errc::message_size);
  }
  return {};
}

std::error_code ServiceNotifier::ready(std::string_view status) const {
  if (status.empty()) return notify("READY=1");
  return notify("READY=1\nSTATUS=" + one_line(status));
}

std::error_code ServiceNotifier::status(std::string_view text) const {
  return notify("STATUS=" + one_line(text));
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid,
                                                           long self_pid) {
  const auto interval = parse_number(usec);
  if (!interval || *interval == 0) return std::nullopt;
  if (pid != nullptr && *pid != '\0') {
    const auto owner = parse_number(pid);
    if (!owner || *owner != static_cast<std::uint64_t>(self_pid)) return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*interval));
}

std::optional<std::chrono::microseconds> watchdog_interval_from_environment() {
  return watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                           static_cast<long>(::getpid()));
}

SystemdLink::SystemdLink(net::asio::io_context& io, ServiceNotifier notifier,
                         std::optional<std::chrono::microseconds> watchdog)
    : notifier_(std::move(notifier)), watchdog_(watchdog), timer_(io) {
  if (!notifier_.enabled()) return;
  if (watchdog_) {
    spdlog::debug("systemd watchdog: {} s, pinged every {} ms",
                  std::chrono::duration_cast<std::chrono::seconds>(*watchdog_).count(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_ / 2).count());
    ping();
  }
}

SystemdLink::SystemdLink(net::asio::io_context& io)
    : SystemdLink(io, ServiceNotifier::from_environment(), watchdog_interval_from_environment()) {}

void SystemdLink::ready(std::string_view status) {
  if (stopped_) return;
  report(notifier_.ready(status), "READY=1");
}

void SystemdLink::stopping() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  report(notifier_.stopping(), "STOPPING=1");
}

void SystemdLink::ping() {
  if (stopped_) return;
  report(notifier_.watchdog(), "WATCHDOG=1");
  // Half the interval, as sd_watchdog_enabled(3) advises; never a busy loop.
  timer_.expires_after(std::max(*watchdog_ / 2, std::chrono::microseconds(1000)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

void SystemdLink::report(std::error_code error, std::string_view what) {
  if (!error || warned_) return;
  warned_ = true;  // a broken socket would otherwise fill the journal every half interval
  spdlog::warn("cannot send {} to systemd: {}", what, error.message());
}

}  // namespace reflexbot::app
