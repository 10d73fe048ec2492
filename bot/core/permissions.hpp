#pragma once
// Who may run moderator commands: power levels as the Matrix spec defines them, from the room
// state that matrix/ has synced, in core's own terms (core does not depend on bot/matrix).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace reflexbot::core {

/// What decides a user's power in a room: the create event and the m.room.power_levels event.
struct RoomAuthority {
  std::string room_version;           ///< the create event's room_version ("1" when absent)
  std::vector<std::string> creators;  ///< the create event's sender, then additional_creators
  bool has_power_levels = false;      ///< whether the room has an m.room.power_levels event
  std::map<std::string, std::int64_t> users;  ///< its `users`
  std::int64_t users_default = 0;             ///< its `users_default`
};

/// Whether the room's creators have infinite power (room version 12 and later,
/// org.matrix.hydra.11).
bool creators_are_privileged(const std::string& room_version);

/// The user's power level; nullopt means above every level (a creator in a room version 12 room).
std::optional<std::int64_t> power_level(const RoomAuthority& room, const std::string& user_id);

/// Whether the user's power level is at least `required_level`.
bool is_moderator(const RoomAuthority& room, const std::string& user_id,
                  std::int64_t required_level);

}  // namespace reflexbot::core
