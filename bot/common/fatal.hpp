#pragma once
// How the process ends: the fatal error any layer may report and the exit statuses main returns.
// One owner, so that systemd's "do not restart" status means the same thing wherever it comes from.

#include <string>

namespace reflexbot {

/// A condition the bot cannot recover from; main exits with `exit_code`.
struct Fatal {
  int exit_code = 1;
  std::string message;
};

/// Stopped cleanly.
inline constexpr int kExitOk = 0;
/// A runtime error (store, network, anything unexpected): systemd may restart.
inline constexpr int kExitRuntime = 1;
/// A usage error on the command line.
inline constexpr int kExitUsage = 2;
/// Exit status for "fix the configuration" (sysexits EX_CONFIG); systemd must not restart on it.
inline constexpr int kExitConfig = 78;

}  // namespace reflexbot
