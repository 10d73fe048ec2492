#include "core/commands.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

#include "core/lesson.hpp"
#include "core/round.hpp"
#include "core/round_text.hpp"
#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

// The help lists the rows in this order: everyone's commands, then the moderators'. A command
// that may not run somewhere says what to answer there (its `elsewhere`).
constexpr std::array<CommandSpec, 26> make_table() {
  using enum CommandKind;
  using F = Feature;
  using H = HelpTexts;
  constexpr unsigned kRoom = in_room;
  constexpr unsigned kDirect = in_direct_chat;
  constexpr unsigned kAnywhere = in_room | in_direct_chat;
  constexpr auto kNotInDirect = &Texts::direct_chat_only_own;
  // Names without the dots too (verlangern, masnahme), as on keyboards without umlauts.
  // clang-format off
  return {{
    // kind           names                                        mod.   places     feature     help line            elsewhere
    {status,           {"status"},                                  false, kAnywhere, F::rounds,  &H::status,           nullptr},
    {templates,        {"vorlagen", "templates"},                   false, kRoom,     F::rounds,  &H::templates,        kNotInDirect},
    {digest,           {"digest", "ueberblick", "uberblick", "overview"},
                                                                    false, kRoom,     F::digests, &H::digest,           kNotInDirect},
    {lessons,          {"lehren", "lessons"},                       false, kRoom,     F::lessons, &H::lessons,          kNotInDirect},
    {my_contributions, {"meine", "mine"},                           false, kDirect,   F::privacy, &H::my_contributions, &Texts::mine_only_direct},
    {forget_me,        {"vergessen", "forgetme", "forget-me"},      false, kAnywhere, F::privacy, &H::forget_me,        nullptr},
    {anonymous,        {"anonym", "anon", "anonymous"},             false, kDirect,   F::privacy, &H::anonymous,        &Texts::anonymous_only_direct},
    {help,             {"hilfe", "help", "h"},                      false, kAnywhere, F::core,    &H::help,             nullptr},
    {ping,             {"ping"},                                    false, kAnywhere, F::core,    &H::ping,             nullptr},
    {start_round,      {"runde", "round", "start"},                 true,  kRoom,     F::rounds,  &H::start_round,      kNotInDirect},
    {next_phase,       {"weiter", "next"},                          true,  kRoom,     F::rounds,  &H::next_phase,       kNotInDirect},
    {pause,            {"pause"},                                   true,  kRoom,     F::rounds,  &H::pause,            kNotInDirect},
    {resume,           {"fortsetzen", "resume"},                    true,  kRoom,     F::rounds,  &H::resume,           kNotInDirect},
    {extend,           {"verlaengern", "extend", "verlangern"},     true,  kRoom,     F::rounds,  &H::extend,           kNotInDirect},
    {end_round,        {"ende", "end", "beenden"},                  true,  kRoom,     F::rounds,  &H::end_round,        kNotInDirect},
    {poll,             {"umfrage", "poll", "abstimmung"},           true,  kRoom,     F::rounds,  &H::poll,             kNotInDirect},
    {lesson,           {"lehre", "lesson"},                         true,  kRoom,     F::lessons, &H::lesson,           kNotInDirect},
    {action,           {"massnahme", "masnahme", "action"},         true,  kRoom,     F::lessons, &H::action,           kNotInDirect},
    {learned,          {"gelernt", "learned", "learnt"},            true,  kRoom,     F::lessons, &H::learned,          kNotInDirect},
    {correct_lesson,   {"korrigieren", "correct", "aendern", "andern"},
                                                                    true,  kRoom,     F::lessons, &H::correct_lesson,   kNotInDirect},
    {remove_lesson,    {"entfernen", "remove", "loeschen", "loschen"},
                                                                    true,  kRoom,     F::lessons, &H::remove_lesson,    kNotInDirect},
    {merge_groups,     {"zusammenfuehren", "zusammenfuhren", "merge"},
                                                                    true,  kRoom,     F::lessons, &H::merge_groups,     kNotInDirect},
    {move_contribution, {"verschieben", "move"},                    true,  kRoom,     F::lessons, &H::move_contribution, kNotInDirect},
    {split_contribution, {"abtrennen", "split"},                    true,  kRoom,     F::lessons, &H::split_contribution, kNotInDirect},
    {rename_group,     {"umbenennen", "rename"},                    true,  kRoom,     F::lessons, &H::rename_group,     kNotInDirect},
    // Whatever follows an unknown '!' is answered by core, wherever it is typed.
    {unknown,          {},                                          false, kAnywhere, F::core,    nullptr,              nullptr},
  }};
  // clang-format on
}

constexpr auto kTable = make_table();

/// The command name a typo most likely meant ("weiterr" → "weiter"), if one that `asker` may
/// use there is close.
std::optional<std::string> closest_command(std::string_view typed, Asker asker) {
  if (typed.size() < 3 || typed.size() > 40) return std::nullopt;  // "!a" is no typo of "!h"
  std::vector<std::string> names;
  for (const CommandSpec& spec : kTable) {
    if (!spec.runs_in(asker.place) || (spec.moderator && !asker.moderator)) continue;
    for (std::string_view name : spec.names) {
      if (!name.empty()) names.emplace_back(name);
    }
  }
  return closest_word(typed, names);
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// ASCII and Latin-1 capitals (Ä Ö Ü …, UTF-8 C3 80–9E except ×) lower-cased.
std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      out += text[i];
      out += (next >= 0x80 && next <= 0x9E && next != 0x97) ? static_cast<char>(next + 0x20)
                                                            : text[i + 1];
      ++i;
    } else {
      out += ascii_lower(text[i]);
    }
  }
  return out;
}

/// A lower-cased word with ä ö ü ß written as ae oe ue ss (decomposed umlauts too).
std::string fold(std::string_view lowered) {
  std::string out;
  out.reserve(lowered.size() + 4);
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    const auto c = static_cast<unsigned char>(lowered[i]);
    const auto next = i + 1 < lowered.size() ? static_cast<unsigned char>(lowered[i + 1]) : 0;
    if (c == 0xC3 && (next == 0xA4 || next == 0xB6 || next == 0xBC)) {
      out += next == 0xA4 ? "ae" : next == 0xB6 ? "oe" : "ue";
      ++i;
    } else if (c == 0xC3 && next == 0x9F) {
      out += "ss";
      ++i;
    } else if (c == 0xCC && next == 0x88 && !out.empty() &&
               (out.back() == 'a' || out.back() == 'o' || out.back() == 'u')) {
      out += 'e';  // U+0308 COMBINING DIAERESIS after a, o or u
      ++i;
    } else {
      out += lowered[i];
    }
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

/// "Minuten", "min" …: a unit written as a word of its own after the number.
bool is_minutes_word(std::string_view lowered) {
  return lowered == "min" || lowered == "min." || lowered == "minute" || lowered == "minuten" ||
         lowered == "minutes";
}

/// "20", "20min", "20m", "20Minuten": the number, or nullopt if `word` is no whole number of
/// minutes. A number too large for the counter comes back as INT64_MAX, still out of range.
std::optional<std::int64_t> minutes_value(std::string_view word) {
  const std::string lowered = lower(word);
  const std::string_view text = lowered;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  if (!unit.empty() && unit != "m" && !is_minutes_word(unit)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + digits, value);
  if (error == std::errc::result_out_of_range) return INT64_MAX;
  if (error != std::errc{} || end != text.data() + digits) return std::nullopt;
  return value;
}

/// Whether the last one or two of `args[first…]` are a number of minutes; how many they are.
struct TrailingMinutes {
  std::size_t words = 0;  ///< 0: no minutes at the end
  std::int64_t value = 0;
};

TrailingMinutes trailing_minutes(const std::vector<std::string>& args, std::size_t first) {
  const std::size_t n = args.size();
  if (n >= first + 2 && is_minutes_word(lower(args[n - 1]))) {
    const std::string& number = args[n - 2];
    if (std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (auto value = minutes_value(number)) return {2, *value};
    }
  }
  if (n >= first + 1) {
    if (auto value = minutes_value(args[n - 1])) return {1, *value};
  }
  return {};
}

bool in_range(std::int64_t value, std::chrono::minutes max) {
  return value >= 1 && value <= max.count();
}

std::string help_line(const HelpEntry& entry) {
  return std::string(entry.usage) + " – " + std::string(entry.description);
}

std::string help_item(const HelpEntry& entry) {
  return "<li><code>" + html_escape(entry.usage) + "</code> – " + html_escape(entry.description) +
         "</li>";
}

// One list per audience, in the table's order. A room's help names the direct chat's commands
// too (that is how people learn of !anonym); a direct chat's only its own.
void add_help_list(Notice& notice, const HelpTexts& h, bool moderators, Place place) {
  for (const CommandSpec& spec : kTable) {
    if (spec.help == nullptr || spec.moderator != moderators) continue;
    if (place == in_direct_chat && !spec.runs_in(place)) continue;
    const HelpEntry& entry = h.*spec.help;
    notice.text += "\n" + help_line(entry);
    notice.html += help_item(entry);
  }
}

// In a direct chat only what runs there: no moderators' commands, nothing about rooms.
Notice render_help(Language language, Place place) {
  const Texts& t = texts(language);
  const HelpTexts& h = t.help;
  Notice notice;
  notice.text = std::string(t.help_intro) + "\n\n" + std::string(h.for_everyone);
  notice.html =
      "<p>" + html_escape(t.help_intro) + "</p><p>" + html_escape(h.for_everyone) + "</p><ul>";
  add_help_list(notice, h, false, place);
  if (place == in_direct_chat) {
    notice.text += "\n\n" + std::string(t.help_footer);
    notice.html += "</ul><p>" + html_escape(t.help_footer) + "</p>";
    return notice;
  }
  notice.text += "\n\n" + std::string(h.for_moderators);
  notice.html += "</ul><p>" + html_escape(h.for_moderators) + "</p><ul>";
  add_help_list(notice, h, true, place);
  notice.text += "\n\n" + std::string(h.collecting) + "\n\n" + std::string(t.help_footer);
  notice.html +=
      "</ul><p>" + html_escape(h.collecting) + "</p><p>" + html_escape(t.help_footer) + "</p>";
  return notice;
}

}  // namespace

std::string_view without_reply_fallback(std::string_view body) {
  if (!body.starts_with("> ")) return body;
  std::size_t line = 0;
  while (line < body.size() && body[line] == '>') {
    const auto end = body.find('\n', line);
    if (end == std::string_view::npos) return body;
    line = end + 1;
  }
  if (line >= body.size() || body[line] != '\n') return body;
  return body.substr(line + 1);
}

std::optional<Command> parse_command(std::string_view body) {
  if (body.size() < 2 || body[0] != '!') return std::nullopt;
  // A letter: ASCII, or a Latin-1 one in UTF-8 (C3 80–BF without × and ÷), as in !Überblick.
  const char first = ascii_lower(body[1]);
  const auto lead = static_cast<unsigned char>(body[1]);
  const auto second = body.size() > 2 ? static_cast<unsigned char>(body[2]) : 0;
  const bool latin1_letter =
      lead == 0xC3 && second >= 0x80 && second <= 0xBF && second != 0x97 && second != 0xB7;
  if ((first < 'a' || first > 'z') && !latin1_letter) return std::nullopt;
  std::size_t pos = 1;
  while (pos < body.size() && !is_space(body[pos])) ++pos;
  Command command;
  command.name = lower(body.substr(1, pos - 1));
  command.rest = std::string(trim(body.substr(pos)));
  while (pos < body.size()) {
    while (pos < body.size() && is_space(body[pos])) ++pos;
    std::string arg;
    while (pos < body.size() && !is_space(body[pos])) arg += body[pos++];
    if (!arg.empty()) command.args.push_back(std::move(arg));
  }
  const std::string folded = fold(command.name);
  auto it = std::find_if(kTable.begin(), kTable.end(), [&](const CommandSpec& spec) {
    return std::find(spec.names.begin(), spec.names.end(), folded) != spec.names.end();
  });
  command.kind = it == kTable.end() ? CommandKind::unknown : it->kind;
  return command;
}

std::span<const CommandSpec> command_table() { return kTable; }

const CommandSpec& command_spec(CommandKind kind) {
  for (const CommandSpec& spec : kTable) {
    if (spec.kind == kind) return spec;
  }
  return kTable.back();  // unknown
}

bool is_moderator_command(const Command& command) { return command_spec(command.kind).moderator; }

bool is_direct_chat_command(const Command& command) {
  return command_spec(command.kind).runs_in(in_direct_chat);
}

std::optional<StartArgs> parse_start_args(const Command& command) {
  if (command.args.empty()) return std::nullopt;
  StartArgs start;
  start.template_key = lower(command.args.front());
  std::vector<std::string> args = command.args;
  if (args.size() > 1) {
    const std::string word = fold(lower(args.back()));
    if (word == "thread" || word == "im-thread") {
      start.thread = true;
      args.pop_back();
    } else if (word == "ohne-thread" || word == "no-thread" || word == "nothread") {
      start.thread = false;
      args.pop_back();
    }
  }
  TrailingMinutes minutes = trailing_minutes(args, 1);
  // "Hochwasser 2021": a bare year after topic words belongs to the topic, it is no phase length.
  const std::string& last = args.back();
  if (minutes.words == 1 && args.size() > 2 && minutes.value >= 1900 && minutes.value <= 2199 &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    minutes.words = 0;
  }
  if (minutes.words > 0) {
    if (!in_range(minutes.value, kMaxPhaseLength)) return std::nullopt;
    start.phase_length = std::chrono::minutes(minutes.value);
  }
  for (std::size_t i = 1; i + minutes.words < args.size(); ++i) {
    if (!start.topic.empty()) start.topic += ' ';
    start.topic += args[i];
  }
  return start;
}

std::optional<std::chrono::minutes> parse_minutes(const Command& command) {
  const TrailingMinutes minutes = trailing_minutes(command.args, 0);
  if (minutes.words == 0 || minutes.words != command.args.size()) return std::nullopt;
  if (!in_range(minutes.value, kMaxExtension)) return std::nullopt;
  return std::chrono::minutes(minutes.value);
}

bool is_confirmation(const Command& command) {
  if (command.kind != CommandKind::forget_me || command.args.size() != 1) return false;
  const std::string word = fold(lower(command.args.front()));
  return word == "bestaetigen" || word == "confirm";
}

std::optional<AnonymousArgs> parse_anonymous(const Command& command) {
  std::string_view rest = trim(command.rest);
  // A room name with spaces is quoted: "Bad Homburg", „Bad Homburg“ or “Bad Homburg”.
  static constexpr std::pair<std::string_view, std::string_view> kQuotes[] = {
      {"\"", "\""},
      {"\xE2\x80\x9E", "\xE2\x80\x9C"},
      {"\xE2\x80\x9C", "\xE2\x80\x9D"},
      {"\xC2\xBB", "\xC2\xAB"},
      {"\xC2\xAB", "\xC2\xBB"}};
  for (const auto& [open, close] : kQuotes) {
    if (!rest.starts_with(open)) continue;
    const std::size_t end = rest.find(close, open.size());
    if (end == std::string_view::npos) return std::nullopt;
    AnonymousArgs anonymous{std::string(trim(rest.substr(open.size(), end - open.size()))),
                            std::string(trim(rest.substr(end + close.size())))};
    if (anonymous.room.empty() || anonymous.text.empty()) return std::nullopt;
    return anonymous;
  }
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  AnonymousArgs anonymous{std::string(rest.substr(0, end)), std::string(trim(rest.substr(end)))};
  if (anonymous.room.empty() || anonymous.text.empty()) return std::nullopt;
  return anonymous;
}

std::optional<DigestArgs> parse_digest_args(const Command& command,
                                            std::chrono::year_month_day today) {
  DigestArgs args;
  const auto& a = command.args;
  if (a.empty()) return args;
  const std::string first = fold(lower(a[0]));
  if (first == "seit" || first == "since" || first == "ab" || first == "from") {
    if (a.size() != 2) return std::nullopt;
    auto date = parse_date(a[1], today);
    // "seit 1.11." means the last 1 November, not the next one a due date would mean.
    if (date && a[1].ends_with('.') &&
        std::chrono::sys_days{*date} > std::chrono::sys_days{today}) {
      for (int back = 1; back <= 8 && std::chrono::sys_days{*date} > std::chrono::sys_days{today};
           ++back) {
        const std::chrono::year_month_day earlier{date->year() - std::chrono::years(back),
                                                  date->month(), date->day()};
        if (earlier.ok() && std::chrono::sys_days{earlier} <= std::chrono::sys_days{today}) {
          date = earlier;
        }
      }
    }
    if (!date || std::chrono::sys_days{*date} > std::chrono::sys_days{today}) return std::nullopt;
    args.kind = DigestArgs::Kind::since;
    args.since = *date;
    return args;
  }
  // "D4": the digest D4 of this room, complete.
  if (a.size() == 1 && first.size() >= 2 && first.size() <= 7 && first[0] == 'd' &&
      std::all_of(first.begin() + 1, first.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    args.kind = DigestArgs::Kind::digest;
    std::from_chars(first.data() + 1, first.data() + first.size(), args.digest);
    return args;
  }
  if (first == "runde" || first == "round") {
    args.kind = DigestArgs::Kind::round;
    if (a.size() == 1) return args;
    if (a.size() != 2) return std::nullopt;
    const auto id = parse_lesson_ref(a[1]);
    if (!id) return std::nullopt;
    args.round = *id;
    return args;
  }
  // "14", "14 Tage", "14 days", "14d"
  std::string_view number = a[0];
  std::string unit = a.size() == 2 ? fold(lower(a[1])) : std::string();
  if (a.size() > 2) return std::nullopt;
  std::size_t digits = 0;
  while (digits < number.size() && number[digits] >= '0' && number[digits] <= '9') ++digits;
  if (digits == 0 || digits > 3) return std::nullopt;
  if (digits < number.size()) {
    if (!unit.empty()) return std::nullopt;
    unit = fold(lower(number.substr(digits)));
  }
  if (!unit.empty() && unit != "tage" && unit != "tag" && unit != "days" && unit != "day" &&
      unit != "d" && unit != "t") {
    return std::nullopt;
  }
  int days = 0;
  std::from_chars(number.data(), number.data() + digits, days);
  if (days < 1 || days > 366) return std::nullopt;
  args.days = days;
  return args;
}

namespace {

/// The digits a number argument starts with ("100000min" → "100000"), capped for the answer.
std::string number_as_typed(std::string_view word) {
  std::size_t digits = 0;
  while (digits < word.size() && word[digits] >= '0' && word[digits] <= '9') ++digits;
  return std::string(truncate_utf8(digits > 0 ? word.substr(0, digits) : word, 20));
}

ArgumentProblem out_of_range(std::string_view word, std::int64_t max) {
  return {ArgumentProblem::Kind::out_of_range, number_as_typed(word), max, {}};
}

}  // namespace

ArgumentProblem start_args_problem(const Command& command) {
  if (command.args.empty()) return {};
  const TrailingMinutes minutes = trailing_minutes(command.args, 1);
  if (minutes.words > 0 && !in_range(minutes.value, kMaxPhaseLength)) {
    return out_of_range(command.args[command.args.size() - minutes.words], kMaxPhaseLength.count());
  }
  return {};
}

ArgumentProblem minutes_problem(const Command& command) {
  const TrailingMinutes minutes = trailing_minutes(command.args, 0);
  if (minutes.words == 0 || minutes.words != command.args.size()) return {};
  if (!in_range(minutes.value, kMaxExtension)) {
    return out_of_range(command.args.front(), kMaxExtension.count());
  }
  return {};
}

ArgumentProblem digest_args_problem(const Command& command, std::chrono::year_month_day today) {
  using Kind = ArgumentProblem::Kind;
  const auto& a = command.args;
  if (a.empty()) return {};
  const std::string first = fold(lower(a[0]));
  if (first == "seit" || first == "since" || first == "ab" || first == "from") {
    if (a.size() != 2) return {};
    ArgumentProblem problem;
    problem.given = std::string(truncate_utf8(a[1], 40));
    problem.today = today;
    if (parse_date(a[1], today)) {
      problem.kind = Kind::future_date;
      return problem;
    }
    auto nearest = nearest_date(a[1], today);
    if (!nearest) {
      problem.kind = Kind::not_a_date;
      return problem;
    }
    // "31.02." without a year means the last such month that has begun.
    if (a[1].ends_with('.') && std::chrono::sys_days{*nearest} > std::chrono::sys_days{today}) {
      const std::chrono::year_month_day_last last{nearest->year() - std::chrono::years(1),
                                                  std::chrono::month_day_last{nearest->month()}};
      nearest = std::chrono::year_month_day{last.year(), last.month(),
                                            std::min(nearest->day(), last.day())};
    }
    problem.kind = std::chrono::sys_days{*nearest} > std::chrono::sys_days{today}
                       ? Kind::future_date
                       : Kind::no_such_date;
    problem.nearest = *nearest;
    return problem;
  }
  // "400", "400 Tage", "0d": a number of days with a known unit, only out of range.
  if (a.size() > 2) return {};
  const std::string_view number = a[0];
  std::size_t digits = 0;
  while (digits < number.size() && number[digits] >= '0' && number[digits] <= '9') ++digits;
  if (digits == 0) return {};
  std::string unit = a.size() == 2 ? fold(lower(a[1])) : fold(lower(number.substr(digits)));
  if (a.size() == 2 && digits < number.size()) return {};
  if (!unit.empty() && unit != "tage" && unit != "tag" && unit != "days" && unit != "day" &&
      unit != "d" && unit != "t") {
    return {};
  }
  return out_of_range(number, 366);
}

Notice render_argument_problem(CommandKind kind, const ArgumentProblem& problem,
                               Language language) {
  const std::chrono::year_month_day today = problem.today;
  using Kind = ArgumentProblem::Kind;
  const Texts& t = texts(language);
  const bool german = language == Language::de;
  const auto date = [&](std::chrono::year_month_day day) {
    return german ? german_date(day) : iso_date(day);
  };
  const std::string max = std::to_string(problem.max);
  switch (kind) {
    case CommandKind::start_round:
      if (problem.kind == Kind::out_of_range) return render_bad_duration(problem.given, language);
      return fill(t.round.usage_start);
    case CommandKind::extend:
      if (problem.kind == Kind::out_of_range) {
        return fill(t.round.bad_extension_given,
                    {plain("given", problem.given), plain("max", max)});
      }
      return fill(t.round.usage_extend);
    case CommandKind::digest:
      switch (problem.kind) {
        case Kind::out_of_range:
          return fill(t.lesson.digest_bad_days, {plain("given", problem.given), plain("max", max)});
        case Kind::not_a_date: {
          const auto example = std::chrono::sys_days{today} - std::chrono::days(7);
          return fill(t.lesson.digest_not_a_date,
                      {plain("given", problem.given),
                       plain("example", date(std::chrono::year_month_day{example}))});
        }
        case Kind::no_such_date:
          return fill(t.lesson.digest_no_such_date,
                      {plain("given", problem.given), plain("nearest", date(problem.nearest))});
        case Kind::future_date:
          return fill(t.lesson.digest_future_date,
                      {plain("given", problem.given), plain("today", date(today))});
        case Kind::usage:
          break;
      }
      return fill(t.lesson.usage_digest);
    default:
      break;
  }
  return answer(Command{kind, {}, {}, {}}, language);
}

LessonArgs parse_lesson_args(const Command& command) {
  LessonArgs args;
  std::string_view rest = command.rest;
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string_view first = rest.substr(0, end);
  const auto digits = [](std::string_view text, std::size_t max) {
    return !text.empty() && text.size() <= max &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  // "D4-2": digest 4, group 2.
  std::optional<std::int64_t> digest;
  if (first.size() >= 4 && (first[0] == 'D' || first[0] == 'd')) {
    const auto separator = first.find_first_of("-./");
    if (separator != std::string_view::npos && digits(first.substr(1, separator - 1), 6)) {
      std::int64_t d = 0;
      std::from_chars(first.data() + 1, first.data() + separator, d);
      digest = d;
      first = first.substr(separator + 1);
    }
  }
  if (digits(first, 3)) {
    int n = 0;
    std::from_chars(first.data(), first.data() + first.size(), n);
    args.group = n;
    args.digest = digest;
    rest = rest.substr(end);
  }
  args.title = std::string(trim(rest));
  return args;
}

std::optional<GroupRef> parse_group_ref(std::string_view word) {
  const auto digits = [](std::string_view text, std::size_t max) {
    return !text.empty() && text.size() <= max &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  GroupRef ref;
  if (!word.empty() && (word[0] == 'D' || word[0] == 'd')) {
    const auto separator = word.find_first_of("-./");
    if (separator == std::string_view::npos || !digits(word.substr(1, separator - 1), 6)) {
      return std::nullopt;
    }
    std::int64_t d = 0;
    std::from_chars(word.data() + 1, word.data() + separator, d);
    ref.digest = d;
    word = word.substr(separator + 1);
  }
  if (!digits(word, 3)) return std::nullopt;
  std::from_chars(word.data(), word.data() + word.size(), ref.group);
  return ref;
}

Expected<CurationArgs, CurationProblem> parse_curation_args(const Command& command) {
  const Unexpected usage{CurationProblem{}};
  CurationArgs args;
  std::string_view rest = trim(command.rest);
  const auto next_word = [&]() {
    std::size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    const std::string_view word = rest.substr(0, end);
    rest = trim(rest.substr(end));
    return word;
  };
  std::size_t wanted = 0;
  switch (command.kind) {
    case CommandKind::merge_groups:
      wanted = 2;
      break;
    case CommandKind::move_contribution:
    case CommandKind::rename_group:
      wanted = 1;
      break;
    case CommandKind::split_contribution:
      if (!rest.empty()) return usage;
      return args;
    default:
      return usage;
  }
  for (std::size_t i = 0; i < wanted; ++i) {
    auto ref = parse_group_ref(next_word());
    if (!ref) return usage;
    if (i > 0) {
      // "!zusammenführen D4-2 5": the second of the first's digest ("2 D4-5": the first of the
      // second's); two digests: no.
      if (!ref->digest) ref->digest = args.groups.front().digest;
      if (!args.groups.front().digest) args.groups.front().digest = ref->digest;
      if (ref->digest != args.groups.front().digest) {
        // "D1-3 D4-2": said so (unless more follows).
        if (!rest.empty()) return usage;
        return Unexpected{CurationProblem{ref->digest}};
      }
    }
    args.groups.push_back(*ref);
  }
  if (command.kind == CommandKind::rename_group) {
    args.name = std::string(rest);
    if (args.name.empty()) return usage;
  } else if (!rest.empty()) {
    return usage;
  }
  return args;
}

std::variant<ActionArgs, ActionError> parse_action_args(const Command& command,
                                                        std::chrono::year_month_day today) {
  // L3 <date> <owner…>: <action…>
  std::string_view rest = command.rest;
  auto next_word = [&]() {
    std::size_t begin = 0;
    while (begin < rest.size() && is_space(rest[begin])) ++begin;
    std::size_t end = begin;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    const std::string_view word = rest.substr(begin, end - begin);
    rest = rest.substr(end);
    return word;
  };
  const auto lesson = parse_lesson_ref(next_word());
  if (!lesson) return ActionError{};
  const std::string_view date_text = next_word();
  if (date_text.empty()) return ActionError{};
  const auto due = parse_date(date_text, today);
  if (!due) return ActionError{std::string(truncate_utf8(date_text, 40))};
  if (*due < today) return ActionError{std::string(truncate_utf8(date_text, 40)), true};
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return ActionError{};
  ActionArgs args;
  args.lesson = *lesson;
  args.due = *due;
  args.owner = std::string(trim(rest.substr(0, colon)));
  args.action = std::string(trim(rest.substr(colon + 1)));
  if (args.owner.empty() || args.action.empty()) return ActionError{};
  return args;
}

std::optional<std::int64_t> parse_learned_args(const Command& command) {
  if (command.args.size() != 1) return std::nullopt;
  return parse_lesson_ref(command.args.front());
}

namespace {

// "Maßnahme", "massnahme", "Action" … as typed, lower-cased ASCII and the German letters.
bool is_word(std::string_view typed, std::initializer_list<std::string_view> words) {
  std::string lower;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    const auto c = static_cast<unsigned char>(typed[i]);
    if (c == 0xC3 && i + 1 < typed.size()) {
      // Ä Ö Ü (U+00C4, U+00D6, U+00DC) → ä ö ü; ß stays.
      const auto next = static_cast<unsigned char>(typed[i + 1]);
      lower += static_cast<char>(c);
      lower += static_cast<char>(next == 0x84 || next == 0x96 || next == 0x9C ? next + 0x20 : next);
      ++i;
    } else {
      lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
  }
  return std::find(words.begin(), words.end(), lower) != words.end();
}

}  // namespace

std::variant<CorrectionArgs, ActionError> parse_correction_args(const Command& command,
                                                                std::chrono::year_month_day today) {
  // L3 <field> <value…>
  if (command.args.size() < 3) return ActionError{};
  const auto lesson = parse_lesson_ref(command.args[0]);
  if (!lesson) return ActionError{};
  CorrectionArgs args;
  args.lesson = *lesson;
  const std::string_view field = command.args[1];
  if (is_word(field, {"titel", "title", "name"})) {
    args.field = LessonField::title;
  } else if (is_word(field, {"verantwortlich", "verantwortliche", "verantwortlicher", "owner",
                             "zuständig", "zustandig", "zustaendig"})) {
    args.field = LessonField::owner;
  } else if (is_word(field, {"frist", "datum", "termin", "due", "date"})) {
    args.field = LessonField::due;
  } else {
    return ActionError{};
  }
  // The value: the rest after the lesson and the field, inner spacing kept.
  std::string_view rest = command.rest;
  for (int word = 0; word < 2; ++word) {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    while (!rest.empty() && !is_space(rest.front())) rest.remove_prefix(1);
  }
  args.value = std::string(trim(rest));
  if (args.value.empty()) return ActionError{};
  if (args.field == LessonField::due) {
    if (command.args.size() != 3) return ActionError{};
    args.due = parse_date(args.value, today);
    if (!args.due) return ActionError{std::string(truncate_utf8(args.value, 40))};
    if (*args.due < today) return ActionError{std::string(truncate_utf8(args.value, 40)), true};
  }
  return args;
}

std::optional<RemovalArgs> parse_removal_args(const Command& command) {
  if (command.args.empty() || command.args.size() > 2) return std::nullopt;
  const auto lesson = parse_lesson_ref(command.args[0]);
  if (!lesson) return std::nullopt;
  RemovalArgs args;
  args.lesson = *lesson;
  if (command.args.size() == 2) {
    if (!is_word(command.args[1], {"maßnahme", "massnahme", "masnahme", "action"})) {
      return std::nullopt;
    }
    args.action_only = true;
  }
  return args;
}

Notice render_welcome(Language language, std::int64_t moderator_level) {
  return fill(texts(language).welcome_room, {plain("level", std::to_string(moderator_level))});
}

Notice render_direct_chat_hello(Language language) {
  const Texts& t = texts(language);
  Notice notice;
  notice.text = std::string(t.direct_chat_hello);
  notice.html = "<p>" + html_escape(t.direct_chat_hello) + "</p><ul>";
  for (const CommandSpec& spec : kTable) {
    if (spec.help == nullptr || !spec.runs_in(in_direct_chat) || spec.kind == CommandKind::ping) {
      continue;
    }
    const HelpEntry& entry = t.help.*spec.help;
    notice.text += "\n" + help_line(entry);
    notice.html += help_item(entry);
  }
  notice.text += "\n\n" + std::string(t.direct_chat_hello_footer);
  notice.html += "</ul><p>" + html_escape(t.direct_chat_hello_footer) + "</p>";
  return notice;
}

Notice answer(const Command& command, Language language, Asker asker) {
  const Place place = asker.place;
  const Texts& t = texts(language);
  switch (command.kind) {
    case CommandKind::ping:
      return Notice{std::string(t.pong), html_escape(t.pong)};
    case CommandKind::help:
      return render_help(language, place);
    case CommandKind::unknown:
      break;
    default:
      // The app answers these; if one ends up here, its help line is the honest answer.
      if (const auto line = command_spec(command.kind).help) {
        const HelpEntry& entry = t.help.*line;
        return Notice{help_line(entry), "<code>" + html_escape(entry.usage) + "</code> – " +
                                            html_escape(entry.description)};
      }
      break;
  }
  // The name is user input: cap it and escape it.
  const std::string name(truncate_utf8(command.name, 40));
  if (auto guess = closest_command(fold(command.name), asker)) {
    // Named as the help writes it ("verlängern", not the folded "verlaengern").
    for (const CommandSpec& spec : kTable) {
      if (spec.help == nullptr ||
          std::find(spec.names.begin(), spec.names.end(), *guess) == spec.names.end()) {
        continue;
      }
      std::string_view usage = (t.help.*spec.help).usage;
      usage.remove_prefix(usage.starts_with('!') ? 1 : 0);
      const std::string_view word = usage.substr(0, usage.find(' '));
      if (fold(lower(word)) == *guess) guess = std::string(word);
    }
    Notice rest = fill(t.unknown_command_guess, {plain("command", *guess)});
    return Notice{std::string(t.unknown_command_before) + name + rest.text,
                  html_escape(t.unknown_command_before) + html_escape(name) + rest.html};
  }
  return Notice{std::string(t.unknown_command_before) + name + std::string(t.unknown_command_after),
                html_escape(t.unknown_command_before) + html_escape(name) +
                    html_escape(t.unknown_command_after)};
}

}  // namespace reflexbot::core
