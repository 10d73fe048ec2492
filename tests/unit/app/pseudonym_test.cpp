#include "app/runtime/pseudonym.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"

namespace reflexbot::app {
namespace {

TEST(Pseudonymizer, IsHmacSha256TruncatedTo128Bits) {
  // RFC 4231, test case 2.
  Pseudonymizer pseudonym("Jefe");
  EXPECT_EQ(pseudonym("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c7");
}

TEST(Pseudonymizer, DependsOnKeyAndUser) {
  Pseudonymizer a("0123456789abcdef-key-a");
  Pseudonymizer b("0123456789abcdef-key-b");
  EXPECT_EQ(a("@anna:koeln.de"), a("@anna:koeln.de"));
  EXPECT_NE(a("@anna:koeln.de"), a("@ben:leipzig.de"));
  EXPECT_NE(a("@anna:koeln.de"), b("@anna:koeln.de"));
  EXPECT_EQ(a("@anna:koeln.de").find("anna"), std::string::npos);
}

// The keyed context is re-initialised for every id: a long key (hashed first, RFC 4231 case 6),
// ids one after another, copies and moved-to objects all give the one-shot HMAC's values.
TEST(Pseudonymizer, ReusedCopiedAndMovedContextsGiveTheSameDigests) {
  const std::string long_key(131, '\xaa');
  Pseudonymizer pseudonym(long_key);
  const Pseudonymizer unused_copy = pseudonym;  // copied before its first id
  const std::string rfc = "Test Using Larger Than Block-Size Key - Hash Key First";
  EXPECT_EQ(unused_copy(rfc), "60e431591ee0b67f0d8a26aacbf5b77f");
  EXPECT_EQ(pseudonym(rfc), "60e431591ee0b67f0d8a26aacbf5b77f");
  const std::string anna = pseudonym("@anna:koeln.de");
  EXPECT_EQ(pseudonym(rfc), "60e431591ee0b67f0d8a26aacbf5b77f");
  Pseudonymizer copy = pseudonym;
  EXPECT_EQ(copy("@anna:koeln.de"), anna);
  EXPECT_EQ(pseudonym(""), copy(""));
  Pseudonymizer moved = std::move(copy);
  EXPECT_EQ(moved(rfc), "60e431591ee0b67f0d8a26aacbf5b77f");
  Pseudonymizer other("0123456789abcdef-key-b");
  other = moved;
  EXPECT_EQ(other("@anna:koeln.de"), anna);
}

class PseudonymKeyTest : public ::testing::Test {
 protected:
  test::TempDir temp_{"key"};
  const std::filesystem::path dir_ = temp_.path();
};

TEST_F(PseudonymKeyTest, CreatesAPrivateKeyFileOnceAndReusesIt) {
  const auto database = dir_ / "bot.db";
  const std::string first = load_or_create_pseudonym_key("", database);
  EXPECT_EQ(first.size(), 32u);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "bot.db.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_pseudonym_key("", database), first);
}

TEST_F(PseudonymKeyTest, AConfiguredKeyWinsAndNoFileIsWritten) {
  EXPECT_EQ(load_or_create_pseudonym_key("configured-key-0123456789", dir_ / "bot.db"),
            "configured-key-0123456789");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bot.db.key"));
}

TEST_F(PseudonymKeyTest, AShortKeyFileIsAnErrorNamingTheFile) {
  std::ofstream(dir_ / "bot.db.key") << "short";
  try {
    load_or_create_pseudonym_key("", dir_ / "bot.db");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find((dir_ / "bot.db.key").string()), std::string::npos);
  }
}

}  // namespace
}  // namespace reflexbot::app
