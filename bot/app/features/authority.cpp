#include "app/features/authority.hpp"

#include "core/permissions.hpp"

namespace reflexbot::app {

bool Authority::is_moderator(const store::RoomRecord& room, const std::string& user_id) const {
  return core::is_moderator(room.authority, user_id, moderator_level_);
}

}  // namespace reflexbot::app
