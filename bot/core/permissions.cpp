#include "core/permissions.hpp"

#include <algorithm>

namespace reflexbot::core {

bool creators_are_privileged(const std::string& room_version) {
  if (room_version == "org.matrix.hydra.11") return true;
  if (room_version.empty() || room_version.front() == '0') return false;
  if (!std::all_of(room_version.begin(), room_version.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  // Compared as digits, so a version too long for an integer still counts as later than 12.
  return room_version.size() > 2 || (room_version.size() == 2 && room_version >= "12");
}

std::optional<std::int64_t> power_level(const RoomAuthority& room, const std::string& user_id) {
  if (creators_are_privileged(room.room_version)) {
    // Room v12: creators outrank everyone, and a `users` entry for them is ignored.
    if (std::find(room.creators.begin(), room.creators.end(), user_id) != room.creators.end()) {
      return std::nullopt;
    }
    if (!room.has_power_levels) return 0;
  } else if (!room.has_power_levels) {
    // Before v12 there is one creator, and additional_creators mean nothing.
    return !room.creators.empty() && room.creators.front() == user_id ? 100 : 0;
  }
  const auto it = room.users.find(user_id);
  return it != room.users.end() ? it->second : room.users_default;
}

bool is_moderator(const RoomAuthority& room, const std::string& user_id,
                  std::int64_t required_level) {
  const auto level = power_level(room, user_id);
  return !level || *level >= required_level;
}

}  // namespace reflexbot::core
