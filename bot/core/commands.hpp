#pragma once
// Chat commands: `!name args…`, German names with English aliases. Names are matched
// case-insensitively, and an umlaut may be written as such or as ae/oe/ue (!verlängern,
// !verlaengern, !VERLÄNGERN).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/text.hpp"
#include "core/time.hpp"

namespace reflexbot::core {

/// The commands the bot knows.
enum class CommandKind {
  ping,
  help,
  start_round,
  next_phase,
  pause,
  resume,
  extend,
  end_round,
  status,
  templates,
  forget_me,
  my_contributions,
  anonymous,
  digest,
  lessons,
  lesson,
  action,
  learned,
  unknown
};

/// A parsed command line.
struct Command {
  CommandKind kind = CommandKind::unknown;
  std::string name;               ///< as typed, lower-cased (umlauts too), without '!'
  std::vector<std::string> args;  ///< whitespace-separated
  std::string rest;  ///< text after the command word, trimmed, inner spacing and lines kept
};

/// Parses a message body; nullopt unless it starts with '!' followed by a letter.
std::optional<Command> parse_command(std::string_view body);

/// Whether `command` is a moderator command (start, next, pause, resume, extend, end, and the
/// lesson lifecycle: lesson, action, learned).
bool is_moderator_command(const Command& command);

/// Whether the command is one of a direct chat's own (!anonym, !meine, !vergessen, !hilfe,
/// !ping): everything else belongs to rooms, and a direct chat answers it with a hint.
bool is_direct_chat_command(const Command& command);

/// The arguments of !runde.
struct StartArgs {
  std::string template_key;              ///< lower-cased
  std::string topic;                     ///< arguments joined by single spaces; may be empty
  std::chrono::minutes phase_length{0};  ///< 0: the template's own durations
};

/// `!runde <Vorlage> [Thema] [Minuten]`: the last argument is the phase length if it is a whole
/// number, optionally with a unit ("20", "20min", "20m", "20 Minuten"). nullopt (a usage error)
/// without a template or with a phase length outside 1–kMaxPhaseLength minutes.
std::optional<StartArgs> parse_start_args(const Command& command);

/// `!verlängern <Minuten>`: the minutes, 1–kMaxExtension; nullopt is a usage error.
std::optional<std::chrono::minutes> parse_minutes(const Command& command);

/// Whether `command` is "!vergessen bestätigen" (or bestaetigen, or "!forgetme confirm").
bool is_confirmation(const Command& command);

/// The arguments of !anonym.
struct AnonymousArgs {
  std::string room;  ///< the first argument as typed, or the quoted words ("Bad Homburg", „…“)
  std::string text;  ///< everything after it, inner spacing and line breaks kept
};

/// `!anonym <Raum> <Text>`; nullopt (a usage error) unless both are there.
std::optional<AnonymousArgs> parse_anonymous(const Command& command);

/// What `!digest` covers.
struct DigestArgs {
  enum class Kind { days, since, round } kind = Kind::days;
  int days = 7;                         ///< kind days: the last `days` days, 1–366
  std::chrono::year_month_day since{};  ///< kind since: from this local day on
  std::optional<std::int64_t> round;    ///< kind round: this round; nullopt: the last one
};

/// `!digest`, `!digest seit 1.11.2026` / `since 2026-11-01`, `!digest runde [Nr]` / `round`,
/// `!digest 14 Tage` / `14 days` / `14`. nullopt is a usage error. `today` completes "1.11.".
std::optional<DigestArgs> parse_digest_args(const Command& command,
                                            std::chrono::year_month_day today);

/// `!lehre [Nr] [Titel]`: the number of a group in the room's last digest (if the first argument
/// is a number) and the title (the rest, may be empty).
struct LessonArgs {
  std::optional<int> group;
  std::string title;
};
LessonArgs parse_lesson_args(const Command& command);

/// `!maßnahme L3 15.12.2026 Gesundheitsamt: Schutzausrüstung zentral lagern`.
struct ActionArgs {
  std::int64_t lesson = 0;
  std::chrono::year_month_day due{};
  std::string owner;
  std::string action;
};
/// Why `!maßnahme` was not understood: a usage error, or a due date that is no date.
struct ActionError {
  std::string bad_date;  ///< the argument that should have been a date; empty: usage error
};
/// Parses `!maßnahme`; the date may be ISO or German (core/lesson.hpp).
std::variant<ActionArgs, ActionError> parse_action_args(const Command& command,
                                                        std::chrono::year_month_day today);

/// `!gelernt L3`: the lesson id, or nullopt (usage error).
std::optional<std::int64_t> parse_learned_args(const Command& command);

/// The bot's answer to ping, help and unknown commands (the others are answered by the app).
Notice answer(const Command& command, Language language);

}  // namespace reflexbot::core
