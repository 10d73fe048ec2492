#include "app/config/timezone.hpp"

#include "app/config/yaml.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxNameLength = 255;
constexpr std::uintmax_t kMaxFileSize = 1 << 20;  // real TZif files have a few KiB
constexpr std::size_t kHeaderSize = 44;           // RFC 8536 §3.1

struct BuiltInZone {
  std::string_view name;
  std::string_view spec;
};

// For hosts without tzdata; the rules as of tzdata 2024.
constexpr std::array<BuiltInZone, 5> kBuiltIn{{
    {"UTC", "UTC0"},
    {"Etc/UTC", "UTC0"},
    {"Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"},
    {"Europe/Vienna", "CET-1CEST,M3.5.0,M10.5.0/3"},
    {"Europe/Zurich", "CET-1CEST,M3.5.0,M10.5.0/3"},
}};

/// A value for an error message: escaped, shortened to 60 bytes with `…` inside the quotes.
std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 60;
  return "\"" + yaml::escape(text.substr(0, kMaxShown)) + (text.size() > kMaxShown ? "…" : "") +
         "\"";
}

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+';
}

// Letters, digits and `_ - +` in parts separated by single slashes; no dots, so no `..` either.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  bool part_empty = true;
  for (const char c : name) {
    if (c == '/') {
      if (part_empty) return false;
      part_empty = true;
    } else if (name_char(c)) {
      part_empty = false;
    } else {
      return false;
    }
  }
  return !part_empty;
}

std::uint64_t big_endian32(std::string_view data, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(data[at + i]);
  return value;
}

// The size of the data block after the header at `at`, whose times are `time_size` bytes wide.
std::uint64_t data_size(std::string_view data, std::size_t at, std::uint64_t time_size) {
  const std::uint64_t isutcnt = big_endian32(data, at + 20);
  const std::uint64_t isstdcnt = big_endian32(data, at + 24);
  const std::uint64_t leapcnt = big_endian32(data, at + 28);
  const std::uint64_t timecnt = big_endian32(data, at + 32);
  const std::uint64_t typecnt = big_endian32(data, at + 36);
  const std::uint64_t charcnt = big_endian32(data, at + 40);
  return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
         isstdcnt + isutcnt;
}

bool has_magic(std::string_view data, std::size_t at) {
  return data.size() >= at + 4 && data.substr(at, 4) == "TZif";
}

}  // namespace

TimeZoneResult parse_tzif(std::string_view contents, std::string_view source) {
  const std::string file(source);
  if (!has_magic(contents, 0)) return Unexpected{file + " is not a TZif file"};
  if (contents.size() < kHeaderSize) return Unexpected{file + " is truncated"};
  if (contents[4] == '\0') {
    return Unexpected{file + " is a version 1 TZif file, which has no POSIX rule"};
  }
  if (contents[4] < '2') return Unexpected{file + " has an unknown TZif version"};

  // Skip the version 1 block (32-bit times), then the version 2+ block (64-bit times).
  const std::uint64_t second_header = kHeaderSize + data_size(contents, 0, 4);
  if (second_header + kHeaderSize > contents.size()) return Unexpected{file + " is truncated"};
  if (!has_magic(contents, second_header)) return Unexpected{file + " is not a TZif file"};
  const std::uint64_t footer = second_header + kHeaderSize + data_size(contents, second_header, 8);
  if (footer >= contents.size()) return Unexpected{file + " is truncated"};
  if (contents[footer] != '\n') return Unexpected{file + " has no footer after its data"};
  const std::size_t end = contents.find('\n', footer + 1);
  if (end == std::string_view::npos) return Unexpected{file + " is truncated"};

  const std::string_view spec = contents.substr(footer + 1, end - footer - 1);
  if (spec.empty()) return Unexpected{file + " has no POSIX rule in its footer"};
  auto zone = core::TimeZone::from_posix(spec);
  if (!zone) return Unexpected{file + " has an invalid POSIX rule " + quote(spec)};
  return *zone;
}

TimeZoneResult find_time_zone(std::string_view name, const fs::path& zoneinfo) {
  if (!valid_name(name)) {
    return Unexpected{"invalid time zone name " + quote(name) +
                      ": expected an IANA name such as Europe/Berlin"};
  }
  const fs::path path = zoneinfo / std::string(name);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    for (const auto& zone : kBuiltIn) {
      if (zone.name == name) return *core::TimeZone::from_posix(zone.spec);
    }
    return Unexpected{"unknown time zone " + quote(name) + " (no " + path.string() +
                      ", not built in)"};
  }
  if (ec) return Unexpected{"cannot read " + path.string() + ": " + ec.message()};
  if (!fs::is_regular_file(status)) return Unexpected{path.string() + " is not a TZif file"};
  const auto size = fs::file_size(path, ec);
  if (ec) return Unexpected{"cannot read " + path.string() + ": " + ec.message()};
  if (size > kMaxFileSize) return Unexpected{path.string() + " is too large for a TZif file"};

  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected{"cannot read " + path.string()};
  const std::string contents(std::istreambuf_iterator<char>(in), {});
  return parse_tzif(contents, path.string());
}

std::optional<core::TimeZone> load_time_zone(std::string_view name, const fs::path& zoneinfo) {
  auto result = find_time_zone(name, zoneinfo);
  if (!result) return std::nullopt;
  return std::move(*result);
}

}  // namespace reflexbot::app
