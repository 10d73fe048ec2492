#include "core/commands.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

struct CommandName {
  std::string_view name;
  CommandKind kind;
};

constexpr std::array<CommandName, 4> kNames = {{
    {"ping", CommandKind::ping},
    {"hilfe", CommandKind::help},
    {"help", CommandKind::help},
    {"h", CommandKind::help},
}};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::optional<Command> parse_command(std::string_view body) {
  if (body.size() < 2 || body[0] != '!') return std::nullopt;
  const char first = ascii_lower(body[1]);
  if (first < 'a' || first > 'z') return std::nullopt;
  Command command;
  std::size_t pos = 1;
  while (pos < body.size() && !is_space(body[pos])) command.name += ascii_lower(body[pos++]);
  while (pos < body.size()) {
    while (pos < body.size() && is_space(body[pos])) ++pos;
    std::string arg;
    while (pos < body.size() && !is_space(body[pos])) arg += body[pos++];
    if (!arg.empty()) command.args.push_back(std::move(arg));
  }
  auto it = std::find_if(kNames.begin(), kNames.end(),
                         [&](const CommandName& n) { return n.name == command.name; });
  command.kind = it == kNames.end() ? CommandKind::unknown : it->kind;
  return command;
}

Notice answer(const Command& command, Language language) {
  const Texts& t = texts(language);
  switch (command.kind) {
    case CommandKind::ping:
      return Notice{std::string(t.pong), html_escape(t.pong)};
    case CommandKind::help: {
      const std::string help = language == Language::en ? "!help" : "!hilfe";
      Notice notice;
      notice.text = std::string(t.help_intro) + "\n" + "!ping – " + std::string(t.help_ping) +
                    "\n" + help + " – " + std::string(t.help_help) + "\n" +
                    std::string(t.help_footer);
      notice.html = "<p>" + html_escape(t.help_intro) + "</p><ul><li><code>!ping</code> – " +
                    html_escape(t.help_ping) + "</li><li><code>" + help + "</code> – " +
                    html_escape(t.help_help) + "</li></ul><p>" + html_escape(t.help_footer) +
                    "</p>";
      return notice;
    }
    case CommandKind::unknown:
      break;
  }
  // The name is user input: cap it and escape it.
  const std::string name(truncate_utf8(command.name, 40));
  return Notice{std::string(t.unknown_command_before) + name + std::string(t.unknown_command_after),
                html_escape(t.unknown_command_before) + html_escape(name) +
                    html_escape(t.unknown_command_after)};
}

}  // namespace reflexbot::core
