#include "core/lesson.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace reflexbot::core {
namespace {

std::optional<int> number(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::chrono::year_month_day> make(int year, int month, int day) {
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (month < 1 || month > 12 || day < 1 || day > 31 || !date.ok()) return std::nullopt;
  return date;
}

}  // namespace

std::string_view state_name(LessonState state) {
  switch (state) {
    case LessonState::identified:
      return "identified";
    case LessonState::action:
      return "action";
    case LessonState::learned:
      return "learned";
  }
  return "identified";
}

std::optional<LessonState> parse_state(std::string_view name) {
  if (name == "identified") return LessonState::identified;
  if (name == "action") return LessonState::action;
  if (name == "learned") return LessonState::learned;
  return std::nullopt;
}

namespace {

/// A date as written, not yet checked against the calendar.
struct DateParts {
  int year = 0;  ///< 0: written without a year ("15.12.")
  int month = 0;
  int day = 0;
};

// ISO YYYY-MM-DD, or German D.M.YYYY, D.M.YY, D.M.
std::optional<DateParts> date_parts(std::string_view text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    const auto y = number(text.substr(0, 4));
    const auto m = number(text.substr(5, 2));
    const auto d = number(text.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    return DateParts{*y, *m, *d};
  }
  const auto first = text.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto d = number(text.substr(0, first));
  const auto m = number(text.substr(first + 1, second - first - 1));
  if (!d || !m || first > 2 || second - first - 1 > 2) return std::nullopt;
  const std::string_view year_text = text.substr(second + 1);
  if (year_text.empty()) return DateParts{0, *m, *d};
  const auto y = number(year_text);
  if (!y) return std::nullopt;
  if (year_text.size() == 2) return DateParts{2000 + *y, *m, *d};
  if (year_text.size() == 4) return DateParts{*y, *m, *d};
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::year_month_day> parse_date(std::string_view text,
                                                      std::chrono::year_month_day today) {
  const auto parts = date_parts(text);
  if (!parts) return std::nullopt;
  if (parts->year != 0) return make(parts->year, parts->month, parts->day);
  // The next such day on or after today (29.02. may be up to eight years away).
  const int this_year = static_cast<int>(today.year());
  std::optional<std::chrono::year_month_day> date;
  for (int year = this_year; year <= this_year + 8 && !date; ++year) {
    date = make(year, parts->month, parts->day);
    if (date && std::chrono::sys_days{*date} < std::chrono::sys_days{today}) date.reset();
  }
  return date;
}

std::optional<std::chrono::year_month_day> nearest_date(std::string_view text,
                                                        std::chrono::year_month_day today) {
  const auto parts = date_parts(text);
  if (!parts || parts->month < 1 || parts->month > 12 || parts->day < 1 || parts->day > 31 ||
      parts->year > 9999) {
    return std::nullopt;
  }
  const int year = parts->year != 0 ? parts->year : static_cast<int>(today.year());
  const std::chrono::year_month_day_last last{
      std::chrono::year{year},
      std::chrono::month_day_last{std::chrono::month{static_cast<unsigned>(parts->month)}}};
  const auto day = std::min(static_cast<unsigned>(parts->day), unsigned{last.day()});
  return std::chrono::year_month_day{last.year(), last.month(), std::chrono::day{day}};
}

std::string iso_date(std::chrono::year_month_day date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string german_date(std::chrono::year_month_day date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02u.%02u.%04d", static_cast<unsigned>(date.day()),
                static_cast<unsigned>(date.month()), static_cast<int>(date.year()));
  return buffer;
}

std::optional<std::int64_t> parse_lesson_ref(std::string_view text) {
  if (!text.empty() && (text.front() == 'L' || text.front() == 'l')) text.remove_prefix(1);
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

bool is_overdue(const Lesson& lesson, std::chrono::year_month_day today) {
  return lesson.state == LessonState::action && lesson.due &&
         std::chrono::sys_days{*lesson.due} < std::chrono::sys_days{today};
}

}  // namespace reflexbot::core
