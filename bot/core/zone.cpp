#include "core/zone.hpp"

#include <charconv>

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

namespace reflexbot::core {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::local_days;
using std::chrono::local_seconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using std::chrono::year;

namespace {

constexpr hours kMaxOffsetHours{24};     // POSIX: the hour of an offset is 0–24
constexpr hours kMaxRuleTimeHours{167};  // RFC 8536 §3.3.1: rule times from −167 to 167 hours

// Years are clamped so the calendar arithmetic stays within std::chrono::year for any instant.
constexpr int kMinYear = -32000;
constexpr int kMaxYear = 32000;

year clamped_year(local_days day) {
  const int y = static_cast<int>(std::chrono::year_month_day{day}.year());
  return year{std::clamp(y, kMinYear, kMaxYear)};
}

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// A recursive-descent reader of RFC 8536 §3.3 / POSIX TZ strings; every step fails softly.
struct TimeZone::Parser {
  std::string_view text;
  std::size_t pos = 0;

  bool at_end() const { return pos >= text.size(); }
  char peek() const { return at_end() ? '\0' : text[pos]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }

  // `<` [A-Za-z0-9+-]{3,} `>` or [A-Za-z]{3,}.
  bool name() {
    std::size_t length = 0;
    if (accept('<')) {
      while (!at_end() &&
             (is_alpha(peek()) || is_digit(peek()) || peek() == '+' || peek() == '-')) {
        ++pos;
        ++length;
      }
      return length >= 3 && accept('>');
    }
    while (!at_end() && is_alpha(peek())) {
      ++pos;
      ++length;
    }
    return length >= 3;
  }

  // 1 to `max_digits` decimal digits; more digits fail, so huge numbers never overflow.
  std::optional<int> number(int max_digits) {
    int value = 0;
    int digits = 0;
    while (!at_end() && is_digit(peek())) {
      if (++digits > max_digits) return std::nullopt;
      value = value * 10 + (peek() - '0');
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]] with hh ≤ max_hours, mm and ss ≤ 59.
  std::optional<seconds> duration(hours max_hours) {
    const bool negative = accept('-');
    if (!negative) accept('+');
    const auto h = number(3);
    if (!h || hours{*h} > max_hours) return std::nullopt;
    seconds total = hours{*h};
    for (int part = 0; part < 2 && accept(':'); ++part) {
      const auto n = number(2);
      if (!n || *n > 59) return std::nullopt;
      total += part == 0 ? seconds{minutes{*n}} : seconds{*n};
    }
    return negative ? -total : total;
  }

  // Jn, n or Mm.w.d, then an optional /time.
  std::optional<Rule> rule() {
    Rule rule;
    if (accept('J')) {
      const auto n = number(3);
      if (!n || *n < 1 || *n > 365) return std::nullopt;
      rule.kind = DayKind::julian;
      rule.day = *n;
    } else if (accept('M')) {
      const auto m = number(2);
      if (!m || *m < 1 || *m > 12 || !accept('.')) return std::nullopt;
      const auto w = number(1);
      if (!w || *w < 1 || *w > 5 || !accept('.')) return std::nullopt;
      const auto d = number(1);
      if (!d || *d > 6) return std::nullopt;
      rule.kind = DayKind::month_week_day;
      rule.month = *m;
      rule.week = *w;
      rule.day = *d;
    } else {
      const auto n = number(3);
      if (!n || *n > 365) return std::nullopt;
      rule.kind = DayKind::zero_based;
      rule.day = *n;
    }
    if (accept('/')) {
      const auto time = duration(kMaxRuleTimeHours);
      if (!time) return std::nullopt;
      rule.time = *time;
    }
    return rule;
  }

  std::optional<TimeZone> zone() {
    TimeZone zone;
    zone.spec_ = std::string(text);
    if (!name()) return std::nullopt;
    // POSIX offsets are west of Greenwich; ours are east.
    const auto std_offset = duration(kMaxOffsetHours);
    if (!std_offset) return std::nullopt;
    zone.std_offset_ = -*std_offset;
    zone.dst_offset_ = zone.std_offset_;
    if (at_end()) return zone;

    if (!name()) return std::nullopt;
    zone.has_dst_ = true;
    zone.dst_offset_ = zone.std_offset_ + hours{1};
    if (peek() != ',') {
      const auto dst_offset = duration(kMaxOffsetHours);
      if (!dst_offset) return std::nullopt;
      zone.dst_offset_ = -*dst_offset;
    }
    if (!accept(',')) return std::nullopt;
    auto start = rule();
    if (!start || !accept(',')) return std::nullopt;
    auto end = rule();
    if (!end || !at_end()) return std::nullopt;
    zone.dst_start_ = *start;
    zone.dst_end_ = *end;
    return zone;
  }
};

std::optional<TimeZone> TimeZone::from_posix(std::string_view spec) { return Parser{spec}.zone(); }

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.spec_ = "UTC0";
  return zone;
}

sys_seconds TimeZone::change_in(year y, bool to_dst) const {
  const Rule& rule = to_dst ? dst_start_ : dst_end_;
  local_days day;
  switch (rule.kind) {
    case DayKind::julian:
      // Day 60 is March 1 in every year: February 29 is never counted.
      day = local_days{y / std::chrono::January / 1} + days{rule.day - 1} +
            days{y.is_leap() && rule.day >= 60 ? 1 : 0};
      break;
    case DayKind::zero_based:
      day = local_days{y / std::chrono::January / 1} + days{rule.day};
      break;
    case DayKind::month_week_day: {
      const auto month = std::chrono::month{static_cast<unsigned>(rule.month)};
      const auto weekday = std::chrono::weekday{static_cast<unsigned>(rule.day)};
      day = rule.week == 5 ? local_days{y / month / weekday[std::chrono::last]}
                           : local_days{y / month / weekday[static_cast<unsigned>(rule.week)]};
      break;
    }
  }
  // The rule's time is local time of the offset in effect before the change.
  const seconds before = to_dst ? std_offset_ : dst_offset_;
  return sys_seconds{(day + rule.time).time_since_epoch() - before};
}

seconds TimeZone::offset_at(sys_seconds utc) const {
  if (!has_dst_) return std_offset_;
  // The changes of the years around `utc`, in order; the last one at or before it wins. Rule
  // times of up to a week move a change across the new year, so two years back always hold one.
  const year y =
      clamped_year(std::chrono::floor<days>(local_seconds{utc.time_since_epoch()} + std_offset_));
  std::array<std::pair<sys_seconds, bool>, 8> changes;
  std::size_t n = 0;
  for (year each = y - std::chrono::years{2}; each <= y + std::chrono::years{1}; ++each) {
    changes[n++] = {change_in(each, true), true};
    changes[n++] = {change_in(each, false), false};
  }
  // Stable: at equal instants the later year's change wins (year-round DST, RFC 8536 §3.3.1).
  std::stable_sort(changes.begin(), changes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  bool dst = !changes.front().second;
  for (const auto& [at, to_dst] : changes) {
    if (at > utc) break;
    dst = to_dst;
  }
  return dst ? dst_offset_ : std_offset_;
}

local_seconds TimeZone::to_local(sys_seconds utc) const {
  return local_seconds{utc.time_since_epoch() + offset_at(utc)};
}

sys_seconds TimeZone::to_utc(local_seconds local) const {
  const auto at = [&](seconds offset) { return sys_seconds{local.time_since_epoch() - offset}; };
  const sys_seconds as_std = at(std_offset_);
  if (!has_dst_ || dst_offset_ == std_offset_) return as_std;
  const sys_seconds as_dst = at(dst_offset_);
  const bool std_fits = offset_at(as_std) == std_offset_;
  const bool dst_fits = offset_at(as_dst) == dst_offset_;
  if (std_fits && dst_fits) return std::min(as_std, as_dst);  // overlap
  if (std_fits) return as_std;
  if (dst_fits) return as_dst;
  // A gap: the offset before the change applies, which moves the time forward by the gap.
  return at(offset_at(std::min(as_std, as_dst)));
}

bool WeeklySchedule::ok() const {
  return weekday.ok() && time_of_day >= minutes{0} && time_of_day < days{1};
}

namespace {

// The slot on local day `day` (the schedule's weekday), as UTC.
TimePoint slot_on(const WeeklySchedule& schedule, local_days day) {
  return schedule.zone.to_utc(day + schedule.time_of_day);
}

// The local day `t` falls on, in the schedule's zone.
local_days local_day(const WeeklySchedule& schedule, TimePoint t) {
  return std::chrono::floor<days>(schedule.zone.to_local(std::chrono::floor<seconds>(t)));
}

// The schedule's weekday on or before `day`.
local_days weekday_on_or_before(const WeeklySchedule& schedule, local_days day) {
  return day - (std::chrono::weekday{day} - schedule.weekday);
}

}  // namespace

TimePoint next_slot_after(const WeeklySchedule& schedule, TimePoint t) {
  assert(schedule.ok());
  if (!schedule.ok()) return t + std::chrono::weeks{1};
  // Start over a week before and step forward a week at a time: offsets of up to ±25h keep the
  // first candidate before `t`, and each week's slot is later than the one before.
  local_days day = weekday_on_or_before(schedule, local_day(schedule, t)) - std::chrono::weeks{1};
  while (slot_on(schedule, day) <= t) day += std::chrono::weeks{1};
  return slot_on(schedule, day);
}

TimePoint last_slot_at_or_before(const WeeklySchedule& schedule, TimePoint t) {
  assert(schedule.ok());
  if (!schedule.ok()) return t - std::chrono::weeks{1};
  // Start over a week after and step back, mirroring next_slot_after.
  local_days day = weekday_on_or_before(schedule, local_day(schedule, t)) + std::chrono::weeks{2};
  while (slot_on(schedule, day) > t) day -= std::chrono::weeks{1};
  return slot_on(schedule, day);
}

local_days slot_week(const WeeklySchedule& schedule, TimePoint t) {
  const local_days day = local_day(schedule, t);
  return day - (std::chrono::weekday{day} - std::chrono::Monday);
}

std::optional<TimePoint> due_slot(const WeeklySchedule& schedule, TimePoint now,
                                  std::optional<TimePoint> last_posted, TimePoint active_since) {
  if (!schedule.ok()) return std::nullopt;
  const TimePoint slot = last_slot_at_or_before(schedule, now);
  const local_days week = slot_week(schedule, slot);
  if (last_posted && week <= slot_week(schedule, *last_posted)) return std::nullopt;
  // A slot before the schedule was seen: never on a fresh install (last week is over); for a
  // changed schedule, the week it was changed in is still due if it was not posted.
  if (slot < active_since && (!last_posted || week != slot_week(schedule, active_since))) {
    return std::nullopt;
  }
  return slot;
}

std::string schedule_spec(const WeeklySchedule& schedule) {
  return std::to_string(schedule.weekday.c_encoding()) + " " +
         std::to_string(schedule.time_of_day.count()) + " " + schedule.zone.spec();
}

std::optional<WeeklySchedule> parse_schedule(std::string_view spec) {
  const auto first = spec.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = spec.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  unsigned weekday = 0;
  long minute_count = 0;
  const auto day_text = spec.substr(0, first);
  const auto minute_text = spec.substr(first + 1, second - first - 1);
  if (std::from_chars(day_text.data(), day_text.data() + day_text.size(), weekday).ec !=
          std::errc{} ||
      std::from_chars(minute_text.data(), minute_text.data() + minute_text.size(), minute_count)
              .ec != std::errc{}) {
    return std::nullopt;
  }
  auto zone = TimeZone::from_posix(spec.substr(second + 1));
  if (!zone) return std::nullopt;
  WeeklySchedule schedule{std::chrono::weekday{weekday}, std::chrono::minutes{minute_count}, *zone};
  if (!schedule.ok()) return std::nullopt;
  return schedule;
}

TimePoint next_digest_time(const WeeklySchedule& schedule, TimePoint now,
                           std::optional<TimePoint> last_posted, TimePoint active_since) {
  if (due_slot(schedule, now, last_posted, active_since)) return now;
  TimePoint next = next_slot_after(schedule, now);
  // A slot in a week already posted (the time was moved later) is skipped.
  while (last_posted && slot_week(schedule, next) <= slot_week(schedule, *last_posted)) {
    next = next_slot_after(schedule, next);
  }
  return next;
}

}  // namespace reflexbot::core
