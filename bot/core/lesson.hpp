#pragma once
// The lesson lifecycle: an observation (a contribution) becomes a lesson identified when a
// moderator promotes it or a group of them, gets an action with an owner and a due date, and is a
// lesson learned once the action is validated.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace reflexbot::core {

/// Where a lesson stands.
enum class LessonState { identified, action, learned };

/// A lesson as stored.
struct Lesson {
  std::int64_t id = 0;  ///< shown as "L<id>"
  std::string room_id;
  std::string city;   ///< of the room it was promoted in (network room: empty)
  std::string title;  ///< given by the moderator, else the key words of its sources
  LessonState state = LessonState::identified;
  std::string action;  ///< what is to be done
  std::string owner;   ///< who does it: a role or office ("Gesundheitsamt"), as typed
  std::optional<std::chrono::year_month_day> due;
  std::vector<std::string> cities;  ///< of its source contributions, for the digest
  int sources = 0;                  ///< contributions it was promoted from (still stored)
  TimePoint created_at{};
  TimePoint updated_at{};

  bool operator==(const Lesson&) const = default;
};

/// "identified", "action", "learned" (as stored).
std::string_view state_name(LessonState state);
std::optional<LessonState> parse_state(std::string_view name);

/// A due date as typed: 2026-12-15, 15.12.2026, 15.12.26 or 15.12. (the next such day on or
/// after `today`). nullopt for anything else, including days that do not exist (31.02.).
std::optional<std::chrono::year_month_day> parse_date(std::string_view text,
                                                      std::chrono::year_month_day today);

/// A text written as a date whose day its month does not have (31.02.2026, 2026-04-31): the
/// month's last day (of today's year when no year is written); a real date as it is; nullopt for
/// a text that is no date at all (no month 1–12, no day 1–31).
std::optional<std::chrono::year_month_day> nearest_date(std::string_view text,
                                                        std::chrono::year_month_day today);

/// "2026-12-15" (as stored) and "15.12.2026" (as shown).
std::string iso_date(std::chrono::year_month_day date);
std::string german_date(std::chrono::year_month_day date);

/// A lesson reference as typed: "L7", "l7", "7" → 7; nullopt otherwise.
std::optional<std::int64_t> parse_lesson_ref(std::string_view text);

/// Whether an open action is past its due date on `today` (due today is not overdue).
bool is_overdue(const Lesson& lesson, std::chrono::year_month_day today);

}  // namespace reflexbot::core
