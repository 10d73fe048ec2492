#pragma once
// Time zones by IANA name ("Europe/Berlin"): the POSIX rule in the footer of the system's TZif
// file (RFC 8536, version 2 or later), or a built-in rule when the file is missing (containers
// without tzdata). Only the footer is used, so a zone is exact from its current rules on, which is
// all a weekly schedule needs.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "core/zone.hpp"

namespace reflexbot::app {

/// Where the system keeps its TZif files.
inline constexpr const char* kSystemZoneinfo = "/usr/share/zoneinfo";

/// A time zone, or an English sentence for the config loader saying why the name gives none
/// (e.g. `unknown time zone "Europe/Berln" (no /usr/share/zoneinfo/Europe/Berln, not built in)`).
using TimeZoneResult = Expected<core::TimeZone, std::string>;

/// Looks `name` up: it must be an IANA name (letters, digits, `/ _ - +`, no empty or relative
/// parts, not absolute); then `zoneinfo`/name must be a TZif file of version 2 or later with a
/// valid POSIX footer. Only if that file does not exist, the built-in table answers (UTC,
/// Etc/UTC, Europe/Berlin, Europe/Vienna, Europe/Zurich). A broken file is an error, not a
/// reason to fall back.
TimeZoneResult find_time_zone(std::string_view name,
                              const std::filesystem::path& zoneinfo = kSystemZoneinfo);

/// find_time_zone without the reason.
std::optional<core::TimeZone> load_time_zone(
    std::string_view name, const std::filesystem::path& zoneinfo = kSystemZoneinfo);

/// The POSIX rule in the footer of TZif file contents; the error names `source` (a path).
TimeZoneResult parse_tzif(std::string_view contents, std::string_view source);

}  // namespace reflexbot::app
