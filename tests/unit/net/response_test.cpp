#include "net/transport.hpp"

#include <gtest/gtest.h>

namespace reflexbot::net {
namespace {

TEST(Response, HeaderLookupIgnoresCase) {
  Response response;
  response.headers = {
      {"content-type", "application/json"}, {"retry-after", "3"}, {"retry-after", "9"}};

  EXPECT_EQ(response.header("Content-Type"), "application/json");
  EXPECT_EQ(response.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(response.header("retry-after"), "3");  // the first one wins
  EXPECT_FALSE(response.header("content").has_value());
  EXPECT_FALSE(response.header("content-type-x").has_value());
  EXPECT_FALSE(Response{}.header("content-type").has_value());
}

}  // namespace
}  // namespace reflexbot::net
