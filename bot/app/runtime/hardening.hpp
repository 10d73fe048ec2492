#pragma once
// What the process does to itself at start, before it opens a file: nothing it writes is
// readable by others, and its memory (tokens, keys, message texts) never lands in a core dump.

#include <string>
#include <vector>

namespace reflexbot::app {

/// Sets the umask to 077, makes the process non-dumpable (PR_SET_DUMPABLE 0: no core dump, no
/// ptrace by other processes of the same user) and its core size limit 0. Returns what failed,
/// one sentence each (to be logged; the bot runs on).
std::vector<std::string> harden_process();

}  // namespace reflexbot::app
