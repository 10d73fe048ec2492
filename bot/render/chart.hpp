#pragma once
// Draws the digest's chart (core::ChartData) as a PNG with Cairo and Pango: text laid out by
// Pango with a font from a Debian package (DejaVu Sans, fonts-dejavu-core), so umlauts and long
// city names wrap instead of running into each other. An opaque light card, readable on Element's
// light and dark themes, at most 800 px wide (a phone shows it whole).

#include <string>

#include "common/expected.hpp"
#include "core/chart.hpp"

namespace reflexbot::render {

struct Png {
  std::string bytes;
  int width = 0;
  int height = 0;
};

/// The chart as PNG; an error text (never an exception) when it cannot be drawn: nothing to
/// draw, or Cairo/Pango failed (e.g. no font). The digest's text never waits for it.
Expected<Png, std::string> chart_png(const core::ChartData& chart);

}  // namespace reflexbot::render
