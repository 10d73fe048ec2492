// Chat commands: any message body, as raw bytes, through parse_command and every argument parser,
// and the bot's own answer. Nothing may crash, and the answer's HTML may only hold our own tags.
// The parse results are checked against the body they came from: no byte of the arguments is
// lost or invented, a normalised command parses to itself, and every argument parser stays
// inside the ranges its header promises and takes its texts from the command line.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/commands.hpp"
#include "core/lesson.hpp"
#include "core/round.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace std::chrono_literals;
using reflexbot::fuzz::check_html;
using reflexbot::fuzz::violation;
namespace core = reflexbot::core;

// The parser's own whitespace (core/commands.cpp).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_trimmed(std::string_view text) {
  return text.empty() || (!is_space(text.front()) && !is_space(text.back()));
}

bool has_ascii_capital(std::string_view text) {
  for (const char c : text) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

std::string without_spaces(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (!is_space(c)) out += c;
  }
  return out;
}

std::string joined(const core::Command& command, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < command.args.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += command.args[i];
  }
  return out;
}

/// A text an argument parser returned must be a trimmed, non-empty piece of the command line.
void check_piece(std::string_view piece, std::string_view rest, std::string_view what) {
  if (piece.empty() || !is_trimmed(piece)) violation("empty or untrimmed", what);
  if (rest.find(piece) == std::string_view::npos) violation("text not from the command", what);
}

/// name, args and rest against the body: the same words, nothing lost, nothing added.
void check_command(std::string_view body, const core::Command& command) {
  if (body.size() < 2 || body[0] != '!') violation("a command that does not start with '!'");
  std::size_t word_end = 1;
  while (word_end < body.size() && !is_space(body[word_end])) ++word_end;
  const std::string_view word = body.substr(1, word_end - 1);
  // lower() promises lower case for text, not for invalid UTF-8 ("\xC3A" keeps its 'A').
  if (command.name.size() != word.size() ||
      (reflexbot::fuzz::valid_utf8(word) && has_ascii_capital(command.name))) {
    violation("name is not the lower-cased command word", body);
  }
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c < 0x80 && !(c >= 'A' && c <= 'Z') && command.name[i] != word[i]) {
      violation("name changed a byte that is no capital", body);
    }
  }
  std::string arguments;
  for (const auto& arg : command.args) arguments += arg;
  if (arguments != without_spaces(body.substr(word_end))) {
    violation("the arguments lost or invented bytes", body);
  }
  if (!is_trimmed(command.rest) || without_spaces(command.rest) != arguments ||
      body.find(command.rest) == std::string_view::npos) {
    violation("rest is not the trimmed text after the command word", body);
  }
  // A normalised command line is a fixed point of the parser.
  std::string normal = "!" + command.name;
  if (!command.args.empty()) normal += " " + joined(command, 0);
  const auto again = core::parse_command(normal);
  if (!again || again->kind != command.kind || again->name != command.name ||
      again->args != command.args) {
    violation("the normalised command parses differently", normal);
  }
}

void check_round_args(std::string_view body, const core::Command& command) {
  if (const auto start = core::parse_start_args(command)) {
    const std::string& first = command.args.front();
    if (start->template_key.size() != first.size() ||
        (reflexbot::fuzz::valid_utf8(first) && has_ascii_capital(start->template_key))) {
      violation("!runde template key is not the lower-cased first argument", body);
    }
    if (start->phase_length != 0min &&
        (start->phase_length < 1min || start->phase_length > core::kMaxPhaseLength)) {
      violation("!runde phase length outside 1–kMaxPhaseLength", body);
    }
    if (!joined(command, 1).starts_with(start->topic)) {
      violation("!runde topic is not the arguments after the template", body);
    }
  }
  if (const auto minutes = core::parse_minutes(command)) {
    if (*minutes < 1min || *minutes > core::kMaxExtension) {
      violation("!verlängern outside 1–kMaxExtension", body);
    }
  }
  if (const auto anonymous = core::parse_anonymous(command)) {
    check_piece(anonymous->room, command.rest, "!anonym room");
    check_piece(anonymous->text, command.rest, "!anonym text");
  }
}

void check_digest_args(std::string_view body, const core::Command& command,
                       std::chrono::year_month_day today) {
  const auto digest = core::parse_digest_args(command, today);
  if (!digest) return;
  if (digest->kind == core::DigestArgs::Kind::days && (digest->days < 1 || digest->days > 366)) {
    violation("!digest days outside 1–366", body);
  }
  if (digest->kind == core::DigestArgs::Kind::since &&
      (!digest->since.ok() ||
       std::chrono::sys_days{digest->since} > std::chrono::sys_days{today})) {
    violation("!digest seit with an invalid or future date", body);
  }
  if (digest->round && *digest->round <= 0) violation("!digest runde with a round id <= 0", body);
}

void check_lesson_args(std::string_view body, const core::Command& command,
                       std::chrono::year_month_day today) {
  const auto lesson = core::parse_lesson_args(command);
  if (lesson.group && (*lesson.group < 0 || *lesson.group > 999)) {
    violation("!lehre group number outside 0–999", body);
  }
  if (!lesson.title.empty()) check_piece(lesson.title, command.rest, "!lehre title");
  const auto action = core::parse_action_args(command, today);
  if (const auto* args = std::get_if<core::ActionArgs>(&action)) {
    if (args->lesson <= 0 || !args->due.ok())
      violation("!maßnahme with a bad lesson or date", body);
    check_piece(args->owner, command.rest, "!maßnahme owner");
    check_piece(args->action, command.rest, "!maßnahme action");
  }
  if (const auto learned = core::parse_learned_args(command)) {
    if (*learned <= 0) violation("!gelernt with a lesson id <= 0", body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::chrono::year_month_day today{2026y, std::chrono::November, 15d};

  if (const auto date = core::parse_date(body, today); date && !date->ok()) {
    violation("parse_date returned an invalid date", body);
  }
  const auto command = core::parse_command(body);
  if (!command) return 0;
  check_command(body, *command);
  core::is_moderator_command(*command);
  core::is_confirmation(*command);
  check_round_args(body, *command);
  check_digest_args(body, *command, today);
  check_lesson_args(body, *command, today);

  for (const auto language : {core::Language::de, core::Language::en}) {
    const core::Notice notice = core::answer(*command, language);
    check_html(notice.html, {"p", "ul", "li", "code"});
  }
  return 0;
}
