// Chat commands: any message body, as raw bytes, through parse_command and every argument parser,
// and the bot's own answer. Nothing may crash, and the answer's HTML may only hold our own tags.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "core/commands.hpp"
#include "core/lesson.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace std::chrono_literals;
using reflexbot::fuzz::check_html;
using reflexbot::fuzz::violation;
namespace core = reflexbot::core;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::chrono::year_month_day today{2026y, std::chrono::November, 15d};

  core::parse_date(body, today);
  const auto command = core::parse_command(body);
  if (!command) return 0;
  if (body.empty() || body[0] != '!') violation("a command that does not start with '!'");
  for (const auto& arg : command->args) {
    if (arg.empty()) violation("empty argument");
    for (const char c : arg) {
      if (is_space(c)) violation("argument with whitespace", arg);
    }
  }

  core::is_moderator_command(*command);
  core::is_confirmation(*command);
  if (const auto start = core::parse_start_args(*command)) {
    if (start->template_key.empty()) violation("!runde without a template accepted");
    if (start->phase_length < 0min) violation("negative phase length", body);
  }
  if (const auto minutes = core::parse_minutes(*command)) {
    if (*minutes <= 0min) violation("!verlängern accepted a non-positive time", body);
  }
  if (const auto anonymous = core::parse_anonymous(*command)) {
    if (anonymous->room.empty() || anonymous->text.empty()) violation("!anonym without room/text");
  }
  if (const auto digest = core::parse_digest_args(*command, today)) {
    if (digest->kind == core::DigestArgs::Kind::days && (digest->days < 1 || digest->days > 366)) {
      violation("!digest days outside 1–366", body);
    }
    if (digest->kind == core::DigestArgs::Kind::since && !digest->since.ok()) {
      violation("!digest seit with an invalid date", body);
    }
  }
  core::parse_lesson_args(*command);
  const auto action = core::parse_action_args(*command, today);
  if (const auto* args = std::get_if<core::ActionArgs>(&action)) {
    if (!args->due.ok()) violation("!maßnahme with an invalid due date", body);
  }
  core::parse_learned_args(*command);

  for (const auto language : {core::Language::de, core::Language::en}) {
    const core::Notice notice = core::answer(*command, language);
    check_html(notice.html, {"p", "ul", "li", "code"});
  }
  return 0;
}
