#pragma once
// What a room's create and power-levels events say about who may moderate, in core's terms
// (core::RoomAuthority): the dispatcher applies each synced state event here, the store keeps
// the result, core::is_moderator() decides. Typed all the way, no JSON in between.

#include "core/permissions.hpp"
#include "matrix/events.hpp"

namespace reflexbot::matrix {

/// m.room.create: the room version and its creators (the sender or `creator`, then
/// additional_creators; empty ids are no creators).
void apply_create(core::RoomAuthority& authority, const RoomCreate& create);

/// m.room.power_levels: the users' levels and the default.
void apply_power_levels(core::RoomAuthority& authority, const PowerLevels& levels);

/// A power-levels event that could not be read: the old levels must not stay in force, so the
/// room has none (only its creators keep their power) until a readable one arrives.
void drop_power_levels(core::RoomAuthority& authority);

}  // namespace reflexbot::matrix
