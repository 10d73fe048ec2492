// harden_process() in a child process, so the test runner itself keeps its settings.

#include "app/runtime/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace reflexbot::app {
namespace {

// Exit codes of the child: which check failed.
enum Check { kOk = 0, kReported = 10, kDumpable, kCoreLimit, kUmask };

int check_in_child() {
  ::umask(022);
  const rlimit some{RLIM_INFINITY, RLIM_INFINITY};
  ::setrlimit(RLIMIT_CORE, &some);  // may fail for the hard limit; the soft one is what counts
  if (!harden_process().empty()) return kReported;
  if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return kDumpable;
  rlimit core{};
  if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) {
    return kCoreLimit;
  }
  if (::umask(0) != 077) return kUmask;
  return kOk;
}

TEST(HardeningTest, TheProcessIsNotDumpableHasNoCoreLimitAndAPrivateUmask) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(check_in_child());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kOk)
      << "10 failure reported, 11 still dumpable, 12 core limit not 0, 13 umask not 077";
}

}  // namespace
}  // namespace reflexbot::app
