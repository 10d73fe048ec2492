#pragma once
// Every text users read, in one place per language (German is the default).

#include <string>
#include <string_view>

#include "core/text.hpp"

namespace reflexbot::core {

/// The texts of one language.
struct Texts {
  std::string_view pong;
  std::string_view help_intro;
  std::string_view help_ping;
  std::string_view help_help;
  std::string_view help_footer;
  std::string_view unknown_command_before;  ///< text before the command name
  std::string_view unknown_command_after;   ///< text after it
  std::string_view encrypted_room;
};

/// The texts for `language`.
const Texts& texts(Language language);

}  // namespace reflexbot::core
