#pragma once
// Chat commands: `!name args…`, German names with English aliases.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

namespace reflexbot::core {

/// The commands the bot knows.
enum class CommandKind { ping, help, unknown };

/// A parsed command line.
struct Command {
  CommandKind kind = CommandKind::unknown;
  std::string name;               ///< as typed, lower-cased, without '!'
  std::vector<std::string> args;  ///< whitespace-separated
};

/// Parses a message body; nullopt unless it starts with '!' followed by a letter.
std::optional<Command> parse_command(std::string_view body);

/// The bot's answer to a command.
Notice answer(const Command& command, Language language);

}  // namespace reflexbot::core
