#include "core/lesson.hpp"

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

std::optional<std::chrono::year_month_day> parse_date(std::string_view text,
                                                      std::chrono::year_month_day today) {
  // ISO: YYYY-MM-DD
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    const auto y = number(text.substr(0, 4));
    const auto m = number(text.substr(5, 2));
    const auto d = number(text.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    return make(*y, *m, *d);
  }
  // German: D.M.YYYY, D.M.YY, D.M.
  const auto first = text.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto d = number(text.substr(0, first));
  const auto m = number(text.substr(first + 1, second - first - 1));
  if (!d || !m || first > 2 || second - first - 1 > 2) return std::nullopt;
  const std::string_view year_text = text.substr(second + 1);
  if (year_text.empty()) {
    // The next such day on or after today (29.02. may be up to eight years away).
    const int this_year = static_cast<int>(today.year());
    std::optional<std::chrono::year_month_day> date;
    for (int year = this_year; year <= this_year + 8 && !date; ++year) {
      date = make(year, *m, *d);
      if (date && std::chrono::sys_days{*date} < std::chrono::sys_days{today}) date.reset();
    }
    return date;
  }
  const auto y = number(year_text);
  if (!y) return std::nullopt;
  if (year_text.size() == 2) return make(2000 + *y, *m, *d);
  if (year_text.size() == 4) return make(*y, *m, *d);
  return std::nullopt;
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
