#include "core/permissions.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace reflexbot::core {
namespace {

const std::string alice = "@alice:stadt-a.de";  // the creator
const std::string bob = "@bob:stadt-a.de";
const std::string carol = "@carol:stadt-b.de";
const std::string dave = "@dave:stadt-b.de";

RoomAuthority v11_with_power_levels() {
  return {"11", {alice}, true, {{alice, 100}, {bob, 50}, {carol, 20}}, 0};
}

TEST(PowerLevel, ExplicitEntriesElseUsersDefault) {
  RoomAuthority room = v11_with_power_levels();
  EXPECT_EQ(power_level(room, alice), 100);
  EXPECT_EQ(power_level(room, bob), 50);
  EXPECT_EQ(power_level(room, carol), 20);
  EXPECT_EQ(power_level(room, dave), 0);
  room.users_default = 10;
  EXPECT_EQ(power_level(room, dave), 10);
  EXPECT_EQ(power_level(room, carol), 20);
}

TEST(PowerLevel, AnExplicitEntryBelowUsersDefaultWins) {
  const RoomAuthority room{"10", {alice}, true, {{bob, 0}}, 50};
  EXPECT_EQ(power_level(room, bob), 0);
  EXPECT_EQ(power_level(room, dave), 50);
  EXPECT_EQ(power_level(room, alice), 50);  // the creator is nobody special once levels exist
}

TEST(PowerLevel, WithoutPowerLevelsEventTheCreatorHas100AndEveryoneElse0) {
  // The `users` map of an absent event must not count.
  const RoomAuthority room{"11", {alice}, false, {{bob, 100}}, 50};
  EXPECT_EQ(power_level(room, alice), 100);
  EXPECT_EQ(power_level(room, bob), 0);
  EXPECT_EQ(power_level(room, dave), 0);
}

TEST(PowerLevel, BeforeV12OnlyTheFirstCreatorCounts) {
  const RoomAuthority room{"11", {alice, bob}, false, {}, 0};
  EXPECT_EQ(power_level(room, alice), 100);
  EXPECT_EQ(power_level(room, bob), 0);
}

TEST(PowerLevel, V11CreatorHasNoSpecialStatusOnceAPowerLevelsEventExists) {
  const RoomAuthority room{"11", {alice}, true, {{alice, 0}, {bob, 100}}, 0};
  EXPECT_EQ(power_level(room, alice), 0);
  EXPECT_EQ(power_level(room, bob), 100);
  EXPECT_FALSE(is_moderator(room, alice, 50));
  EXPECT_TRUE(is_moderator(room, bob, 100));
}

TEST(PowerLevel, V12CreatorsAreAboveEveryLevelAndTheirUsersEntryIsIgnored) {
  const RoomAuthority room{"12", {alice, carol}, true, {{alice, 0}, {bob, 100}}, 0};
  EXPECT_EQ(power_level(room, alice), std::nullopt);
  EXPECT_EQ(power_level(room, carol), std::nullopt);  // an additional creator
  EXPECT_EQ(power_level(room, bob), 100);
  EXPECT_EQ(power_level(room, dave), 0);
}

TEST(PowerLevel, V12WithoutPowerLevelsEvent) {
  const RoomAuthority room{"12", {alice, carol}, false, {{bob, 100}}, 50};
  EXPECT_EQ(power_level(room, alice), std::nullopt);
  EXPECT_EQ(power_level(room, carol), std::nullopt);
  EXPECT_EQ(power_level(room, bob), 0);
  EXPECT_EQ(power_level(room, dave), 0);
}

TEST(CreatorsArePrivileged, FromVersion12AndHydra) {
  for (const char* version :
       {"12", "13", "20", "99", "100", "123456789012345678901234567890", "org.matrix.hydra.11"}) {
    EXPECT_TRUE(creators_are_privileged(version)) << version;
  }
  for (const char* version :
       {"1", "2", "9", "10", "11", "", "012", "1.2", "12a", "org.matrix.msc2176", "v12"}) {
    EXPECT_FALSE(creators_are_privileged(version)) << version;
  }
}

TEST(PowerLevel, HydraRoomsTreatCreatorsAsV12) {
  const RoomAuthority room{"org.matrix.hydra.11", {alice}, true, {{alice, 0}}, 0};
  EXPECT_EQ(power_level(room, alice), std::nullopt);
}

struct Permission {
  RoomAuthority room;
  std::string user;
  std::int64_t required;
  bool moderator;
};

TEST(IsModerator, PermissionTable) {
  const RoomAuthority v11 = v11_with_power_levels();
  const RoomAuthority v11_default_50{"11", {alice}, true, {{carol, 20}}, 50};
  const RoomAuthority v11_no_levels{"11", {alice}, false, {}, 0};
  const RoomAuthority v12{"12", {alice, carol}, true, {{alice, 0}, {bob, 100}}, 0};
  const std::vector<Permission> table = {
      // explicit levels
      {v11, alice, 0, true},
      {v11, alice, 50, true},
      {v11, alice, 100, true},
      {v11, bob, 0, true},
      {v11, bob, 50, true},
      {v11, bob, 100, false},
      {v11, carol, 0, true},
      {v11, carol, 50, false},
      {v11, carol, 100, false},
      {v11, dave, 0, true},
      {v11, dave, 50, false},
      {v11, dave, 100, false},
      // users_default
      {v11_default_50, dave, 50, true},
      {v11_default_50, dave, 100, false},
      {v11_default_50, carol, 50, false},
      // no power-levels event
      {v11_no_levels, alice, 100, true},
      {v11_no_levels, bob, 0, true},
      {v11_no_levels, bob, 50, false},
      // room v12: creators outrank a user with 100
      {v12, alice, 100, true},
      {v12, alice, 1'000'000, true},
      {v12, carol, 1'000'000, true},
      {v12, bob, 100, true},
      {v12, bob, 101, false},
      {v12, dave, 50, false},
  };
  for (const auto& row : table) {
    EXPECT_EQ(is_moderator(row.room, row.user, row.required), row.moderator)
        << row.user << " in v" << row.room.room_version << " at " << row.required;
  }
}

}  // namespace
}  // namespace reflexbot::core
