#include "app/runtime/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace reflexbot::app {

std::vector<std::string> harden_process() {
  std::vector<std::string> failures;
  ::umask(S_IRWXG | S_IRWXO);
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    failures.push_back(std::string("cannot make the process non-dumpable (prctl): ") +
                       std::strerror(errno));
  }
  // Under systemd LimitCORE=0 has done it already, and the unit's system call filter refuses
  // setrlimit: only lower what is not zero yet.
  rlimit core{};
  if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0) {
      failures.push_back(std::string("cannot set the core dump size limit to 0 (setrlimit): ") +
                         std::strerror(errno));
    }
  }
  return failures;
}

}  // namespace reflexbot::app
