#pragma once
// Chat commands: `!name args…`, German names with English aliases. Names are matched
// case-insensitively, and an umlaut may be written as such or as ae/oe/ue (!verlängern,
// !verlaengern, !VERLÄNGERN). The command table (command_spec) is the one place that says, per
// command, its names, who may run it, where, which feature answers it and its help line: adding
// a command is one CommandKind and one row there, and the feature's handler.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/expected.hpp"
#include "core/text.hpp"
#include "core/texts.hpp"
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
  poll,
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
  correct_lesson,
  remove_lesson,
  merge_groups,
  move_contribution,
  split_contribution,
  rename_group,
  unknown
};

/// A parsed command line.
struct Command {
  CommandKind kind = CommandKind::unknown;
  std::string name;               ///< as typed, lower-cased (umlauts too), without '!'
  std::vector<std::string> args;  ///< whitespace-separated
  std::string rest;  ///< text after the command word, trimmed, inner spacing and lines kept
};

/// Where a command may run (a set of these, as bits).
enum Place : unsigned {
  in_room = 1,         ///< a room of the network (configured rooms, the network room, others)
  in_direct_chat = 2,  ///< a direct chat with the bot
};

/// Which feature of the running bot answers a command (core: answer() below).
enum class Feature { core, rounds, privacy, digests, lessons };

/// One row of the command table.
struct CommandSpec {
  CommandKind kind;
  std::array<std::string_view, 4> names;  ///< folded (lower case, umlauts as ae/oe/ue); "" unused
  bool moderator;                         ///< only a room's moderators may run it
  unsigned places;                        ///< Place bits
  Feature feature;
  HelpEntry HelpTexts::*help;  ///< its help line; nullptr: not in the help
  /// The answer when it is typed where it may not run.
  std::string_view Texts::*elsewhere;

  bool runs_in(Place place) const { return (places & place) != 0; }
};

/// The command table, in the help's order (everyone's commands, then the moderators').
std::span<const CommandSpec> command_table();

/// The row of `kind`; CommandKind::unknown has one too (runs anywhere, answered by core).
const CommandSpec& command_spec(CommandKind kind);

/// Parses a message body; nullopt unless it starts with '!' followed by a letter.
std::optional<Command> parse_command(std::string_view body);

/// A reply's body without the quote of the message it answers that older clients put first
/// ("> <@bot:x> Digest …" lines, then an empty line); other bodies as they are.
std::string_view without_reply_fallback(std::string_view body);

/// Whether `command` is a moderator command (the table's flag).
bool is_moderator_command(const Command& command);

/// Whether the command may run in a direct chat (!anonym, !meine, !vergessen, !status, !hilfe,
/// !ping, and unknown ones): everything else belongs to rooms, and a direct chat answers it with a
/// hint.
bool is_direct_chat_command(const Command& command);

/// The arguments of !runde.
struct StartArgs {
  std::string template_key;              ///< lower-cased
  std::string topic;                     ///< arguments joined by single spaces; may be empty
  std::chrono::minutes phase_length{0};  ///< 0: the template's own durations
  std::optional<bool> thread;  ///< "thread" / "ohne-thread" as the last word; else the template's
};

/// `!runde <Vorlage> [Thema] [Minuten] [thread | ohne-thread]`: a last word "thread" runs the round
/// in a thread of its own, "ohne-thread" in the main timeline; before it, the last argument is the
/// phase length if it is a whole number, optionally with a unit ("20", "20min", "20 Minuten").
/// nullopt (a usage error) without a template or with a phase length outside 1–kMaxPhaseLength
/// minutes.
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
  enum class Kind { days, since, round, digest } kind = Kind::days;
  int days = 7;                         ///< kind days: the last `days` days, 1–366
  std::chrono::year_month_day since{};  ///< kind since: from this local day on
  std::optional<std::int64_t> round;    ///< kind round: this round; nullopt: the last one
  std::int64_t digest = 0;              ///< kind digest: the room's digest D<digest>, complete
};

/// `!digest`, `!digest seit 1.11.2026` / `since 2026-11-01`, `!digest runde [Nr]` / `round`,
/// `!digest 14 Tage` / `14 days` / `14`, `!digest D4` (everything of digest D4). nullopt is a
/// usage error. `today` completes "1.11.".
std::optional<DigestArgs> parse_digest_args(const Command& command,
                                            std::chrono::year_month_day today);

/// `!lehre [D<Digest>-][Nr] [Titel]`: the number of a group (if the first argument is a number),
/// of the digest it names ("D4-2", also "D4.2" and "D4/2"; without one: the digest replied to or
/// the room's latest), and the title (the rest, may be empty).
struct LessonArgs {
  std::optional<std::int64_t> digest;
  std::optional<int> group;
  std::string title;
};
LessonArgs parse_lesson_args(const Command& command);

/// A digest's group as a moderator names it: "D4-2" (also "D4.2", "D4/2") or "2" (the digest
/// replied to, else the room's latest).
struct GroupRef {
  std::optional<std::int64_t> digest;
  int group = 0;
};
/// "D4-2" or "2" (0–999: a group 0 is answered as a number the digest does not have); nullopt
/// otherwise.
std::optional<GroupRef> parse_group_ref(std::string_view word);

/// The moderators' corrections of a digest's groups: `!zusammenführen D4-2 D4-5` (two groups of
/// one digest; a plain number is of the other's digest), `!verschieben D4-3` (one group,
/// as a reply to a contribution), `!abtrennen` (none, as a reply to a contribution),
/// `!umbenennen D4-2 Neuer Titel` (one group and the name).
struct CurationArgs {
  std::vector<GroupRef> groups;
  std::string name;
};
/// Why a correction's arguments are refused: a usage error (wrong number of groups, no name), or
/// a merge of groups of two digests (`other_digest`: the second's, for the answer's example).
struct CurationProblem {
  std::optional<std::int64_t> other_digest;
};
Expected<CurationArgs, CurationProblem> parse_curation_args(const Command& command);

/// `!maßnahme L3 15.12.2026 Gesundheitsamt: Schutzausrüstung zentral lagern`.
struct ActionArgs {
  std::int64_t lesson = 0;
  std::chrono::year_month_day due{};
  std::string owner;
  std::string action;
};
/// Why `!maßnahme` was not understood: a usage error, or a due date that is no date.
struct ActionError {
  std::string bad_date;      ///< the argument that should have been a date; empty: usage error
  bool in_the_past = false;  ///< bad_date is a date, but before today
};
/// Parses `!maßnahme`; the date may be ISO or German (core/lesson.hpp).
std::variant<ActionArgs, ActionError> parse_action_args(const Command& command,
                                                        std::chrono::year_month_day today);

/// `!gelernt L3`: the lesson id, or nullopt (usage error).
std::optional<std::int64_t> parse_learned_args(const Command& command);

/// What `!korrigieren` changes of a lesson.
enum class LessonField { title, owner, due };
/// `!korrigieren L3 titel Neuer Titel`, `… verantwortlich Ordnungsamt`, `… frist 15.12.2026`.
struct CorrectionArgs {
  std::int64_t lesson = 0;
  LessonField field = LessonField::title;
  std::string value;                               ///< the title or owner
  std::optional<std::chrono::year_month_day> due;  ///< for LessonField::due
};
/// Parses `!korrigieren`; a due date is refused like `!maßnahme`'s (not a date, in the past).
std::variant<CorrectionArgs, ActionError> parse_correction_args(const Command& command,
                                                                std::chrono::year_month_day today);

/// `!entfernen L3` (the lesson) or `!entfernen L3 maßnahme` (only its action).
struct RemovalArgs {
  std::int64_t lesson = 0;
  bool action_only = false;
};
/// nullopt: a usage error.
std::optional<RemovalArgs> parse_removal_args(const Command& command);

/// What was wrong with a command's arguments when its parse function said no: the whole line
/// (a usage error), or one argument that is out of range or no (existing, past) date.
struct ArgumentProblem {
  enum class Kind { usage, out_of_range, not_a_date, no_such_date, future_date } kind = Kind::usage;
  std::string given;                      ///< the argument as typed (capped)
  std::int64_t max = 0;                   ///< out_of_range: 1–max is allowed
  std::chrono::year_month_day nearest{};  ///< no_such_date: the nearest day that exists
  std::chrono::year_month_day today{};    ///< dates: the day they were read on
};
/// Why parse_start_args(command) said no.
ArgumentProblem start_args_problem(const Command& command);
/// Why parse_minutes(command) said no.
ArgumentProblem minutes_problem(const Command& command);
/// Why parse_digest_args(command, today) said no.
ArgumentProblem digest_args_problem(const Command& command, std::chrono::year_month_day today);
/// The answer to `kind` (!runde, !verlängern, !digest) when its arguments were not understood:
/// what is wrong and what would be right, or the command's usage line.
Notice render_argument_problem(CommandKind kind, const ArgumentProblem& problem, Language language);

/// The notice the bot posts once when it joins a room: what it does, who steers (power level
/// `moderator_level` and above), what it stores, and !hilfe.
Notice render_welcome(Language language, std::int64_t moderator_level);

/// The answer to a plain message in a direct chat: what can be done there (the table's
/// direct-chat commands with their help lines).
Notice render_direct_chat_hello(Language language);

/// Who typed a command where: an unknown command's suggestion names only a command they may use.
struct Asker {
  Place place = in_room;
  bool moderator = false;
};

/// The bot's answer to ping, help and unknown commands (the others are answered by the app); the
/// help lists what runs at the asker's place.
Notice answer(const Command& command, Language language, Asker asker = {});

}  // namespace reflexbot::core
