// Synced create and power-levels events as core::RoomAuthority, with no JSON in between.

#include "matrix/authority.hpp"

#include <gtest/gtest.h>

namespace reflexbot::matrix {
namespace {

TEST(Authority, CreateSetsVersionAndCreatorsSkippingEmptyIds) {
  core::RoomAuthority authority;
  authority.creators = {"@old:x"};
  apply_create(authority, RoomCreate{"12", "@a:x", {"", "@b:x"}});
  EXPECT_EQ(authority.room_version, "12");
  EXPECT_EQ(authority.creators, (std::vector<std::string>{"@a:x", "@b:x"}));
  apply_create(authority, RoomCreate{"11", "", {"@c:x"}});
  EXPECT_EQ(authority.creators, std::vector<std::string>{"@c:x"});
}

TEST(Authority, PowerLevelsReplaceTheOldOnesAndAnUnreadableEventDropsThem) {
  core::RoomAuthority authority;
  apply_create(authority, RoomCreate{"11", "@a:x", {}});
  apply_power_levels(authority, PowerLevels{{{"@m:x", 100}}, 10, {}, 0, 50});
  EXPECT_TRUE(authority.has_power_levels);
  EXPECT_TRUE(core::is_moderator(authority, "@m:x", 50));
  EXPECT_FALSE(core::is_moderator(authority, "@a:x", 50));
  EXPECT_EQ(authority.users_default, 10);
  drop_power_levels(authority);
  EXPECT_FALSE(authority.has_power_levels);
  EXPECT_TRUE(authority.users.empty());
  EXPECT_EQ(authority.users_default, 0);
  // Creators only: the creator of a room before v12 has level 100.
  EXPECT_FALSE(core::is_moderator(authority, "@m:x", 50));
  EXPECT_TRUE(core::is_moderator(authority, "@a:x", 50));
}

}  // namespace
}  // namespace reflexbot::matrix
