#include "app/config/timezone.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std::chrono;

constexpr const char* kBerlin = "CET-1CEST,M3.5.0,M10.5.0/3";

std::string big_endian32(std::uint32_t value) {
  std::string bytes;
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>(value >> shift & 0xff);
  return bytes;
}

/// A header (RFC 8536 §3.1) and its data block: no transitions, one type "CET" at +1 h.
std::string block(char version) {
  std::string header = "TZif";
  header += version;
  header += std::string(15, '\0');
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  for (const std::uint32_t count : {0u, 0u, 0u, 0u, 1u, 4u}) header += big_endian32(count);
  const std::string type = big_endian32(3600) + std::string{'\0', '\0'};
  return header + type + std::string("CET\0", 4);
}

/// A TZif file of `version` ('2', '3', …) with `footer` as its POSIX rule.
std::string tzif(const std::string& footer, char version = '2') {
  return block(version) + block(version) + "\n" + footer + "\n";
}

class TimeZoneFile : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& contents) const {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << contents;
  }

  /// The error for `name` in the temp zoneinfo, or "no error".
  std::string error_of(std::string_view name) const {
    const auto result = find_time_zone(name, dir_);
    return result ? "no error" : result.error();
  }

  test::TempDir temp_{"zoneinfo"};
  const fs::path dir_ = temp_.path();
};

TEST_F(TimeZoneFile, SystemEuropeBerlin) {
  if (!fs::exists(fs::path(kSystemZoneinfo) / "Europe/Berlin")) {
    GTEST_SKIP() << "no tzdata on this host";
  }
  const auto zone = load_time_zone("Europe/Berlin");
  ASSERT_TRUE(zone);
  EXPECT_EQ(zone->offset_at(sys_days{2026y / March / 29} + 1h - 1s), 1h);
  EXPECT_EQ(zone->offset_at(sys_days{2026y / March / 29} + 1h), 2h);
  EXPECT_EQ(zone->offset_at(sys_days{2026y / October / 25} + 1h - 1s), 2h);
  EXPECT_EQ(zone->offset_at(sys_days{2026y / October / 25} + 1h), 1h);
}

TEST_F(TimeZoneFile, ConstructedVersion2File) {
  write("Test/Zone", tzif(kBerlin));
  const auto result = find_time_zone("Test/Zone", dir_);
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result->spec(), kBerlin);
  EXPECT_EQ(result->offset_at(sys_days{2026y / July / 1}), 2h);
}

TEST_F(TimeZoneFile, LaterVersionsAndSouthernRules) {
  write("Australia/Sydney", tzif("AEST-10AEDT,M10.1.0,M4.1.0/3", '3'));
  write("America/Nuuk", tzif("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", '4'));
  const auto sydney = load_time_zone("Australia/Sydney", dir_);
  ASSERT_TRUE(sydney);
  EXPECT_EQ(sydney->offset_at(sys_days{2026y / January / 1}), 11h);
  const auto nuuk = load_time_zone("America/Nuuk", dir_);
  ASSERT_TRUE(nuuk);
  EXPECT_EQ(nuuk->offset_at(sys_days{2026y / January / 1}), -2h);
}

TEST_F(TimeZoneFile, Version1FileHasNoRule) {
  write("Old/Zone", block('\0'));
  EXPECT_EQ(error_of("Old/Zone"),
            (dir_ / "Old/Zone").string() + " is a version 1 TZif file, which has no POSIX rule");
}

TEST_F(TimeZoneFile, TruncatedFile) {
  const std::string full = tzif(kBerlin);
  write("Cut/Zone", full.substr(0, full.size() - 10));
  EXPECT_EQ(error_of("Cut/Zone"), (dir_ / "Cut/Zone").string() + " is truncated");
  EXPECT_EQ(load_time_zone("Cut/Zone", dir_), std::nullopt);
}

TEST_F(TimeZoneFile, EveryTruncationIsAnError) {
  const std::string full = tzif(kBerlin);
  ASSERT_TRUE(parse_tzif(full, "zone"));
  for (std::size_t length = 0; length < full.size(); ++length) {
    const auto result = parse_tzif(full.substr(0, length), "zone");
    EXPECT_FALSE(result) << length;
  }
}

TEST_F(TimeZoneFile, HugeCountsAreTruncationNotACrash) {
  std::string contents = tzif(kBerlin);
  contents.replace(32, 4, big_endian32(0xffffffff));  // timecnt of the version 1 block
  EXPECT_EQ(parse_tzif(contents, "zone").error(), "zone is truncated");
}

TEST_F(TimeZoneFile, BadFooters) {
  EXPECT_EQ(parse_tzif(tzif(""), "zone").error(), "zone has no POSIX rule in its footer");
  EXPECT_EQ(parse_tzif(tzif("CET-1CEST"), "zone").error(),
            "zone has an invalid POSIX rule \"CET-1CEST\"");
  EXPECT_EQ(parse_tzif(tzif(std::string("CET\x01-1", 6)), "zone").error(),
            "zone has an invalid POSIX rule \"CET\\x01-1\"");
  EXPECT_EQ(parse_tzif(block('2') + block('2') + "CET-1\n", "zone").error(),
            "zone has no footer after its data");
}

TEST_F(TimeZoneFile, NotTzif) {
  write("Text/Zone", "CET-1CEST,M3.5.0,M10.5.0/3\n");
  EXPECT_EQ(error_of("Text/Zone"), (dir_ / "Text/Zone").string() + " is not a TZif file");
  fs::create_directories(dir_ / "Folder");
  EXPECT_EQ(error_of("Folder"), (dir_ / "Folder").string() + " is not a TZif file");
  std::string second_magic_broken = tzif(kBerlin);
  second_magic_broken[block('2').size()] = 'X';
  EXPECT_EQ(parse_tzif(second_magic_broken, "zone").error(), "zone is not a TZif file");
  std::string bad_version = tzif(kBerlin);
  bad_version[4] = '1';
  EXPECT_EQ(parse_tzif(bad_version, "zone").error(), "zone has an unknown TZif version");
}

TEST_F(TimeZoneFile, BadNamesAreRefusedBeforeAnyFileIsRead) {
  // A valid TZif file where a path escape would land.
  write("inner/x", tzif(kBerlin));
  const std::vector<std::string> names = {
      "../etc/passwd",
      "/etc/passwd",
      "Europe/../../etc/passwd",
      "inner/../inner/x",
      "./inner/x",
      "",
      "Europe//Berlin",
      "Europe/Berlin/",
      "/",
      "Europe/Ber lin",
      "Europe\\Berlin",
      "Europe/Berlin\n",
      std::string("Europe/Berlin\0x", 15),
      std::string(300, 'A'),
  };
  for (const auto& name : names) {
    EXPECT_EQ(load_time_zone(name, dir_), std::nullopt) << name;
    EXPECT_EQ(error_of(name).rfind("invalid time zone name ", 0), 0u) << error_of(name);
  }
  EXPECT_EQ(error_of("../etc/passwd"),
            "invalid time zone name \"../etc/passwd\": expected an IANA name such as "
            "Europe/Berlin");
  EXPECT_EQ(error_of("a\"b\n"),
            "invalid time zone name \"a\\\"b\\x0a\": expected an IANA name such as Europe/Berlin");
  EXPECT_TRUE(load_time_zone("inner/x", dir_));
  EXPECT_TRUE(load_time_zone("Etc/GMT+5", dir_ / "missing") == std::nullopt);
}

TEST_F(TimeZoneFile, BuiltInFallbackWithAnEmptyZoneinfo) {
  const auto berlin = load_time_zone("Europe/Berlin", dir_);
  ASSERT_TRUE(berlin);
  EXPECT_EQ(berlin->spec(), kBerlin);
  const auto utc = load_time_zone("UTC", dir_);
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->offset_at(sys_days{2026y / July / 1}), 0s);
  EXPECT_TRUE(load_time_zone("Europe/Berlin", dir_ / "no-such-folder"));
  EXPECT_EQ(error_of("Europe/Berln"), "unknown time zone \"Europe/Berln\" (no " +
                                          (dir_ / "Europe/Berln").string() + ", not built in)");
}

TEST_F(TimeZoneFile, ABrokenFileIsNotReplacedByTheBuiltIn) {
  write("Europe/Berlin", block('\0'));
  EXPECT_EQ(load_time_zone("Europe/Berlin", dir_), std::nullopt);
}

}  // namespace
}  // namespace reflexbot::app
