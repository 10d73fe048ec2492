#include "matrix/authority.hpp"

namespace reflexbot::matrix {

void apply_create(core::RoomAuthority& authority, const RoomCreate& create) {
  authority.room_version = create.room_version;
  authority.creators.clear();
  if (!create.creator.empty()) authority.creators.push_back(create.creator);
  for (const auto& creator : create.additional_creators) {
    if (!creator.empty()) authority.creators.push_back(creator);
  }
}

void apply_power_levels(core::RoomAuthority& authority, const PowerLevels& levels) {
  authority.has_power_levels = true;
  authority.users = levels.users;
  authority.users_default = levels.users_default;
}

void drop_power_levels(core::RoomAuthority& authority) {
  authority.has_power_levels = false;
  authority.users.clear();
  authority.users_default = 0;
}

}  // namespace reflexbot::matrix
