#pragma once
// Time zones from POSIX TZ rule strings (the footer of a TZif v2+ file, RFC 8536 §3.3) and the
// arithmetic of weekly slots such as "every Monday 09:00 Europe/Berlin". libstdc++ 12 has the
// chrono calendar but no tz database, so the rules are parsed here. Nothing here reads a clock or
// a file.
//
// Slot rules:
// - A slot is a weekday and a local time of day. It lands on the same local time every week, so
//   its UTC instant moves by an hour across a DST change.
// - A slot in the spring-forward gap (02:30 on the day clocks jump from 02:00 to 03:00) happens
//   at the local time moved forward by the gap (03:30); a slot in the autumn overlap happens at
//   the earlier of its two instants, so each week has exactly one slot instant.
// - due_slot: after an outage the bot posts the latest missed slot on restart; several missed
//   slots give one post; a slot older than the schedule itself is never posted. The app stores
//   the slot it posted and passes it back as `last_posted`.
// - A slot stands for its week (Monday to Sunday, local; slot_week): a week is posted once,
//   whatever the schedule's time of day or weekday was when it was posted. A schedule changed
//   after the week's post waits for the next week; one changed to an earlier time before the
//   week's post posts the week at once.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace reflexbot::core {

/// A time zone's rules from a POSIX TZ string: a standard offset and optionally a yearly DST rule.
class TimeZone {
 public:
  /// Parses `spec`: `std offset [dst [offset] ,start[/time],end[/time]]`, names alphabetic or
  /// quoted (`<+03>`), offsets hh[:mm[:ss]] west-positive up to 24h, rules Jn, n or Mm.w.d, times
  /// up to ±167h. A DST name without rules is refused (POSIX leaves them to the implementation).
  /// nullopt if it is not such a string; safe for any input.
  static std::optional<TimeZone> from_posix(std::string_view spec);

  /// Coordinated Universal Time ("UTC0").
  static TimeZone utc();

  /// The POSIX string it was parsed from.
  const std::string& spec() const { return spec_; }

  /// True if the zone has a DST rule.
  bool has_dst() const { return has_dst_; }

  /// The UTC offset in effect at `utc` (DST included), east of Greenwich positive.
  std::chrono::seconds offset_at(std::chrono::sys_seconds utc) const;

  /// The local civil time at `utc`.
  std::chrono::local_seconds to_local(std::chrono::sys_seconds utc) const;

  /// Local civil time → UTC. A time in the spring-forward gap is moved forward by the gap
  /// (02:30 → 03:30 CEST); an ambiguous time in the autumn overlap gives the earlier instant.
  std::chrono::sys_seconds to_utc(std::chrono::local_seconds local) const;

  /// Equal if parsed from the same string.
  bool operator==(const TimeZone&) const = default;

 private:
  // How a POSIX rule names the day of a change.
  enum class DayKind {
    julian,          // Jn: day 1–365, February 29 never counted
    zero_based,      // n: day 0–365, February 29 counted in leap years
    month_week_day,  // Mm.w.d: weekday d (0 = Sunday) of week w (5 = last) of month m
  };

  // When a change happens: a day of the year and a local time of the offset before it.
  struct Rule {
    DayKind kind = DayKind::month_week_day;
    int day = 0;                      // n for Jn and n, weekday 0–6 for Mm.w.d
    int month = 0;                    // Mm.w.d only
    int week = 0;                     // Mm.w.d only
    std::chrono::seconds time{7200};  // may be negative or beyond 24h (RFC 8536)
    bool operator==(const Rule&) const = default;
  };

  struct Parser;  // reads POSIX strings; defined in zone.cpp

  TimeZone() = default;

  // The instant DST starts (or ends) in `year`.
  std::chrono::sys_seconds change_in(std::chrono::year year, bool to_dst) const;

  std::string spec_;
  std::chrono::seconds std_offset_{0};  // east positive
  std::chrono::seconds dst_offset_{0};
  bool has_dst_ = false;
  Rule dst_start_;
  Rule dst_end_;
};

/// A weekly slot: weekday and local time of day in a zone.
struct WeeklySchedule {
  std::chrono::weekday weekday = std::chrono::Monday;
  std::chrono::minutes time_of_day{0};  ///< since local midnight, 0 ≤ time_of_day < 24h
  TimeZone zone = TimeZone::utc();

  /// True if the weekday is valid and the time of day within a day; the slot functions need it.
  bool ok() const;

  bool operator==(const WeeklySchedule&) const = default;
};

/// The first slot strictly after `t`. Requires schedule.ok() (else t + 1 week).
TimePoint next_slot_after(const WeeklySchedule& schedule, TimePoint t);

/// The latest slot at or before `t`. Requires schedule.ok() (else t − 1 week).
TimePoint last_slot_at_or_before(const WeeklySchedule& schedule, TimePoint t);

/// The week a slot (or any instant) belongs to: the local Monday on or before its local day.
std::chrono::local_days slot_week(const WeeklySchedule& schedule, TimePoint t);

/// The slot that should be posted now: the latest slot ≤ `now`, if its week is later than the
/// week of `last_posted` (the slot last posted, or when it was posted; nullopt: never) and it is
/// not earlier than `active_since` (when the schedule was first seen, so a fresh install does not
/// post last week's digest) — or, for a schedule changed after something was posted, in the
/// week it was changed in. Several missed slots give only the latest one; nullopt if nothing is
/// due or the schedule is not ok().
std::optional<TimePoint> due_slot(const WeeklySchedule& schedule, TimePoint now,
                                  std::optional<TimePoint> last_posted, TimePoint active_since);

/// The schedule as one line, "1 540 CET-1CEST,M3.5.0,M10.5.0/3" (weekday 0 = Sunday, minutes
/// since midnight, POSIX TZ), as the store keeps it; parse_schedule() reads it back.
std::string schedule_spec(const WeeklySchedule& schedule);
std::optional<WeeklySchedule> parse_schedule(std::string_view spec);

/// What a stored schedule does next: now if a slot is due (see due_slot), else the next slot of
/// a week not posted yet.
TimePoint next_digest_time(const WeeklySchedule& schedule, TimePoint now,
                           std::optional<TimePoint> last_posted, TimePoint active_since);

}  // namespace reflexbot::core
