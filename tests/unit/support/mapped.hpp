#pragma once
// Whether this process has a file mapped: for the tests that check a shared object is loaded only
// when first needed.

#include <fstream>
#include <string>

namespace reflexbot::test {

/// True if a file mapped into this process has `name` in its file name ("libpango" matches
/// libpango-1.0.so.0).
inline bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.rfind('/');
    if (slash != std::string::npos && line.find(name, slash) != std::string::npos) return true;
  }
  return false;
}

}  // namespace reflexbot::test
