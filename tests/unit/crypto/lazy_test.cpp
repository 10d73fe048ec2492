// The crypto library (matrix-sdk-crypto) is a shared object that the first OlmMachine loads: until
// then the process has none of it mapped. Its own test binary, so that nothing has loaded it
// before.

#include <gtest/gtest.h>

#include <string>

#include "../support/mapped.hpp"
#include "../support/temp_dir.hpp"
#include "crypto/library.hpp"
#include "crypto/olm_machine.hpp"

namespace reflexbot::crypto {
namespace {

using test::mapped;

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
