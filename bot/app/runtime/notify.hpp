#pragma once
// The service manager's side channel (sd_notify(3)), implemented directly: one AF_UNIX datagram
// per message to $NOTIFY_SOCKET. READY=1 once the bot can work, WATCHDOG=1 from a timer on the
// event loop (so a ping proves the loop runs), STOPPING=1 on shutdown. Without systemd, nothing.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "net/asio.hpp"

namespace reflexbot::app {

/// Sends sd_notify messages to one socket; with no socket every call does nothing.
class ServiceNotifier {
 public:
  /// No socket: every message is dropped.
  ServiceNotifier() = default;
  /// A path, or "@name" for a name in the abstract namespace.
  explicit ServiceNotifier(std::string socket);
  /// The socket named by $NOTIFY_SOCKET, if set.
  static ServiceNotifier from_environment();

  /// True if messages go anywhere.
  bool enabled() const { return !socket_.empty(); }
  /// Sends newline-separated assignments such as "READY=1\nSTATUS=…"; no error when disabled.
  std::error_code notify(std::string_view state) const;
  std::error_code ready(std::string_view status = {}) const;
  std::error_code watchdog() const { return notify("WATCHDOG=1"); }
  std::error_code stopping() const { return notify("STOPPING=1"); }
  std::error_code status(std::string_view text) const;

 private:
  std::string socket_;
};

/// The watchdog interval systemd asks for: WATCHDOG_USEC, if WATCHDOG_PID is unset or names
/// `self_pid`. Null arguments mean unset; an unparsable or zero value means no watchdog.
std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid,
                                                           long self_pid);
/// watchdog_interval() from this process's environment.
std::optional<std::chrono::microseconds> watchdog_interval_from_environment();

/// The running bot's link to systemd: pings the watchdog from a timer on the io_context at half
/// the interval (from construction on, also while the bot backs off from an outage), and reports
/// ready and stopping. Failed sends are logged once, never fatal.
class SystemdLink {
 public:
  SystemdLink(net::asio::io_context& io, ServiceNotifier notifier,
              std::optional<std::chrono::microseconds> watchdog);
  /// From the environment ($NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID).
  explicit SystemdLink(net::asio::io_context& io);

  /// READY=1 with a status line.
  void ready(std::string_view status);
  /// STOPPING=1; stops the watchdog timer so the io_context can run out of work.
  void stopping();

 private:
  void ping();
  void report(std::error_code error, std::string_view what);

  ServiceNotifier notifier_;
  std::optional<std::chrono::microseconds> watchdog_;
  net::asio::steady_timer timer_;
  bool stopped_ = false;
  bool warned_ = false;
};

}  // namespace reflexbot::app
