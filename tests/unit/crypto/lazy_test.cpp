// The crypto library (matrix-sdk-crypto) is a shared object that the first OlmMachine loads: until
// then the process has none of it mapped. Its own test binary, so that nothing has loaded it
// before.

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../support/temp_dir.hpp"
#include "crypto/library.hpp"
#include "crypto/olm_machine.hpp"

namespace reflexbot::crypto {
namespace {

/// True if a mapped file of this process is named `file`.
bool mapped(const std::string& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() > file.size() && line.ends_with("/" + file)) return true;
  }
  return false;
}

TEST(CryptoLibrary, IsLoadedWhenTheFirstMachineOpens) {
  EXPECT_FALSE(mapped(kCryptoLibraryFile)) << "loaded before any machine";
  test::TempDir dir("crypto-lazy");
  auto machine = OlmMachine::open("@bot:example.org", "BOTDEVICE", (dir.path() / "crypto").string(),
                                  "0123456789abcdef");
  ASSERT_TRUE(machine) << machine.error().message;
  EXPECT_TRUE(mapped(kCryptoLibraryFile));
  auto identity = (*machine)->identity();
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->device_id, "BOTDEVICE");
  EXPECT_FALSE(identity->ed25519.empty());
}

}  // namespace
}  // namespace reflexbot::crypto
