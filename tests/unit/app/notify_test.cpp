// The sd_notify protocol against a real datagram socket, as systemd listens on one.

#include "app/runtime/notify.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::microseconds;

// A bound AF_UNIX datagram socket, in a temporary folder or in the abstract namespace.
class Listener {
 public:
  explicit Listener(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    timeval timeout{5, 0};  // a missing message fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length = 0;
    if (abstract) {
      name_ = "@reflexbot-notify-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(reinterpret_cast<std::uintptr_t>(this));
      std::memcpy(address.sun_path, name_.data(), name_.size());
      address.sun_path[0] = '\0';
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    } else {
      std::string pattern = (fs::temp_directory_path() / "reflexbot-notify-XXXXXX").string();
      EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
      name_ = (dir_ / "notify").string();
      std::memcpy(address.sun_path, name_.c_str(), name_.size() + 1);
      length = static_cast<socklen_t>(sizeof address);
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length), 0)
        << std::strerror(errno);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() {
    ::close(fd_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  const std::string& name() const { return name_; }

  /// The next datagram, or nullopt after the receive timeout.
  std::optional<std::string> receive() const {
    char buffer[4096];
    const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
    if (size < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(size));
  }

  /// True if no datagram is waiting.
  bool empty() const {
    char buffer[16];
    return ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) < 0;
  }

 private:
  int fd_ = -1;
  fs::path dir_;
  std::string name_;
};

::testing::AssertionResult sent(std::error_code error) {
  if (!error) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << error.message();
}

TEST(ServiceNotifier, SendsEachMessageAsOneDatagramToAPathSocket) {
  Listener systemd(false);
  const ServiceNotifier notifier(systemd.name());
  ASSERT_TRUE(notifier.enabled());
  EXPECT_TRUE(sent(notifier.ready("logged in as @bot:x")));
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=logged in as @bot:x");
  EXPECT_TRUE(sent(notifier.watchdog()));
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
  EXPECT_TRUE(sent(notifier.stopping()));
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
  EXPECT_TRUE(sent(notifier.status("waiting for the homeserver")));
  EXPECT_EQ(systemd.receive(), "STATUS=waiting for the homeserver");
  EXPECT_TRUE(sent(notifier.ready()));
  EXPECT_EQ(systemd.receive(), "READY=1");
  EXPECT_TRUE(systemd.empty());
}

TEST(ServiceNotifier, ReachesAnAbstractSocketNamedWithAnAt) {
  Listener systemd(true);
  ASSERT_EQ(systemd.name().front(), '@');
  const ServiceNotifier notifier(systemd.name());
  EXPECT_TRUE(sent(notifier.watchdog()));
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
}

TEST(ServiceNotifier, AStatusStaysOneAssignment) {
  Listener systemd(false);
  const ServiceNotifier notifier(systemd.name());
  EXPECT_TRUE(sent(notifier.status("two\nlines")));
  EXPECT_EQ(systemd.receive(), "STATUS=two lines");
}

TEST(ServiceNotifier, WithoutASocketDoesNothing) {
  const ServiceNotifier none;
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(sent(none.ready()));
  EXPECT_TRUE(sent(none.watchdog()));
  EXPECT_TRUE(sent(none.stopping()));
}

TEST(ServiceNotifier, ReadsTheSocketFromTheEnvironment) {
  Listener systemd(false);
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  const ServiceNotifier from_env = ServiceNotifier::from_environment();
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(from_env.enabled());
  EXPECT_TRUE(sent(from_env.stopping()));
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
  EXPECT_FALSE(ServiceNotifier::from_environment().enabled());
}

TEST(ServiceNotifier, ReportsASocketNobodyListensOn) {
  fs::path missing = fs::temp_directory_path() / "reflexbot-notify-missing" / "notify";
  EXPECT_FALSE(sent(ServiceNotifier(missing.string()).ready()));
  EXPECT_FALSE(sent(ServiceNotifier("relative/notify").ready()));
}

TEST(WatchdogInterval, IsTheUsecValueForThisProcess) {
  EXPECT_EQ(watchdog_interval("60000000", nullptr, 42), microseconds(60'000'000));
  EXPECT_EQ(watchdog_interval("60000000", "", 42), microseconds(60'000'000));
  EXPECT_EQ(watchdog_interval("60000000", "42", 42), microseconds(60'000'000));
}

TEST(WatchdogInterval, IsNoneForAnotherProcessOrWithoutAValue) {
  EXPECT_EQ(watchdog_interval("60000000", "43", 42), std::nullopt);
  EXPECT_EQ(watchdog_interval(nullptr, nullptr, 42), std::nullopt);
  EXPECT_EQ(watchdog_interval("0", nullptr, 42), std::nullopt);
  EXPECT_EQ(watchdog_interval("60s", nullptr, 42), std::nullopt);
  EXPECT_EQ(watchdog_interval("-5", nullptr, 42), std::nullopt);
  EXPECT_EQ(watchdog_interval("60000000", "x", 42), std::nullopt);
}

TEST(WatchdogInterval, ComesFromTheEnvironment) {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(watchdog_interval_from_environment(), microseconds(30'000'000));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_EQ(watchdog_interval_from_environment(), std::nullopt);
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_EQ(watchdog_interval_from_environment(), std::nullopt);
}

// The pings come from a timer on the io_context: each run of a handler is one more ping, and
// stopping ends the timer so the io_context runs out of work.
TEST(SystemdLink, PingsFromTheEventLoopUntilStopping) {
  Listener systemd(false);
  net::asio::io_context io;
  SystemdLink link(io, ServiceNotifier(systemd.name()), microseconds(2000));
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");  // at once
  EXPECT_TRUE(systemd.empty());
  ASSERT_EQ(io.run_one(), 1U);  // the timer fires
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
  ASSERT_EQ(io.run_one(), 1U);
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");

  link.ready("syncing");
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=syncing");
  link.stopping();
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
  io.run();  // returns: the cancelled timer was the only work
  EXPECT_TRUE(io.stopped());
  EXPECT_TRUE(systemd.empty());  // no ping after STOPPING=1
  link.stopping();
  link.ready("late");
  EXPECT_TRUE(systemd.empty());
}

TEST(SystemdLink, WithoutAWatchdogOnlyReports) {
  Listener systemd(false);
  net::asio::io_context io;
  SystemdLink link(io, ServiceNotifier(systemd.name()), std::nullopt);
  EXPECT_TRUE(systemd.empty());
  EXPECT_EQ(io.run(), 0U);
  link.ready("");
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(SystemdLink, WithoutSystemdSchedulesNothing) {
  net::asio::io_context io;
  SystemdLink link(io, ServiceNotifier(), microseconds(2000));
  EXPECT_EQ(io.run(), 0U);
  link.ready("x");
  link.stopping();
}

}  // namespace
}  // namespace reflexbot::app
