// The chart renderer (Cairo, Pango, fontconfig) is a shared object of its own that
// render::chart_png loads when it draws the first chart: until then the process has none of it
// mapped. Its own test binary, so that no other test has drawn a chart before.

#include <gtest/gtest.h>

#include <string>

#include "../support/mapped.hpp"

#include "core/chart.hpp"
#include "render/chart.hpp"

namespace reflexbot::render {
namespace {

using test::mapped;

TEST(Renderer, IsLoadedOnlyWhenAChartIsDrawn) {
  EXPECT_FALSE(mapped("libreflexbot_render")) << "loaded before any chart";
  EXPECT_FALSE(mapped("libpango")) << "Pango mapped before any chart";
  EXPECT_FALSE(mapped("libcairo")) << "Cairo mapped before any chart";

  // Nothing to draw: answered without loading anything.
  EXPECT_FALSE(chart_png(core::ChartData{}));
  EXPECT_FALSE(mapped("libreflexbot_render"));

  core::ChartData chart;
  chart.heading = "Themen nach Städten";
  chart.columns = {"Köln", "Münster"};
  chart.rows = {core::ChartRow{"Warnung der Bevölkerung", "neu", {2, 1}, 3}};
  auto png = chart_png(chart);
  ASSERT_TRUE(png) << png.error();
  EXPECT_EQ(png->bytes.substr(1, 3), "PNG");
  EXPECT_EQ(png->width, 800);
  EXPECT_GT(png->height, 0);
  EXPECT_TRUE(mapped("libreflexbot_render"));
  EXPECT_TRUE(mapped("libpango"));
}

}  // namespace
}  // namespace reflexbot::render
