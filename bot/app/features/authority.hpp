#pragma once
// Who is a moderator of a room: the one place the app decides it. The dispatcher asks before it
// runs a command the command table (core/commands.hpp) marks as a moderator's; collection asks
// whether a redaction may delete someone else's contribution.

#include <cstdint>
#include <string>

#include "store/store.hpp"

namespace reflexbot::app {

/// The moderator rule of the running bot: a power level from synced room state.
class Authority {
 public:
  explicit Authority(std::int64_t moderator_level) : moderator_level_(moderator_level) {}

  /// Whether the user may run moderator commands in the room.
  bool is_moderator(const store::RoomRecord& room, const std::string& user_id) const;

 private:
  std::int64_t moderator_level_;
};

}  // namespace reflexbot::app
