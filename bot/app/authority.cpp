#include "app/authority.hpp"

#include <nlohmann/json.hpp>

#include "core/permissions.hpp"

namespace reflexbot::app {
namespace {

core::RoomAuthority authority_of(const store::RoomRecord& room) {
  core::RoomAuthority authority;
  authority.room_version = room.room_version;
  const auto creators = nlohmann::json::parse(room.creators_json, nullptr, false);
  if (creators.is_array()) {
    for (const auto& creator : creators) {
      if (creator.is_string() && !creator.get<std::string>().empty()) {
        authority.creators.push_back(creator.get<std::string>());
      }
    }
  }
  const auto levels = nlohmann::json::parse(room.power_levels_json, nullptr, false);
  authority.has_power_levels = levels.is_object();
  if (authority.has_power_levels) {
    authority.users_default = levels.value("users_default", std::int64_t{0});
    if (auto users = levels.find("users"); users != levels.end() && users->is_object()) {
      for (const auto& [user, level] : users->items()) {
        if (level.is_number_integer()) authority.users[user] = level.get<std::int64_t>();
      }
    }
  }
  return authority;
}

}  // namespace

bool Authority::is_moderator(const store::RoomRecord& room, const std::string& user_id) const {
  return core::is_moderator(authority_of(room), user_id, moderator_level_);
}

}  // namespace reflexbot::app
