#pragma once
// Our own shared objects (the crypto library, the chart renderer), loaded with dlopen() only when
// first needed: the idle bot then keeps none of their code, nor the libraries they pull in,
// resident (docs/benchmarks.md, issue 17 item 3). They are looked up by absolute path only, beside
// the running program (the build tree) and in the folder `cmake --install` puts them in, named
// relative to the program (REFLEXBOT_LIBDIR_FROM_BIN, e.g. ../lib/x86_64-linux-gnu/reflexbot):
// never through LD_LIBRARY_PATH or any other variable of the environment.

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "common/expected.hpp"

#ifndef REFLEXBOT_LIBDIR_FROM_BIN
#define REFLEXBOT_LIBDIR_FROM_BIN "../lib/reflexbot"
#endif

namespace reflexbot {

/// The folders searched for our shared objects, in order: the program's own, then the installed
/// one relative to it. Empty if the program's path cannot be read.
inline std::vector<std::filesystem::path> shared_object_dirs() {
  std::error_code error;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error || !program.is_absolute()) return {};
  const std::filesystem::path dir = program.parent_path();
  return {dir, (dir / REFLEXBOT_LIBDIR_FROM_BIN).lexically_normal()};
}

/// dlopen()s `file` (e.g. "libreflexbot_crypto.so") from the first of shared_object_dirs() that
/// has it, with every symbol bound now. The handle stays open until the process ends (the crypto
/// library runs threads; unloading it under them would crash). The error names the file, the
/// folders tried and what the loader said.
inline Expected<void*, std::string> open_shared_object(const std::string& file) {
  std::string tried;
  for (const auto& dir : shared_object_dirs()) {
    const std::filesystem::path path = dir / file;
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      tried += (tried.empty() ? "" : ", ") + dir.string();
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) return handle;
    const char* why = ::dlerror();
    return Unexpected(path.string() + " cannot be loaded: " + (why != nullptr ? why : "unknown"));
  }
  return Unexpected(
      file + " is not installed (looked in " +
      (tried.empty() ? std::string("no folder: /proc/self/exe is unreadable") : tried) + ")");
}

}  // namespace reflexbot
