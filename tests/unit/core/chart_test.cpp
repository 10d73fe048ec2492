// The digest's chart: what it shows (core/chart.cpp) and that Cairo and Pango draw it
// (render/chart.cpp) as a PNG of the size it says.

#include "core/chart.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "core/digest.hpp"
#include "render/chart.hpp"

namespace reflexbot::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TimePoint at(sys_days day, hours h = 0h, minutes m = 0min) {
  return time_point_cast<milliseconds>(sys_time<milliseconds>{day + h + m});
}

DigestItem item(std::string id, std::string city, std::string author, std::string body,
                TimePoint when, bool current = true) {
  return DigestItem{std::move(id), std::move(city), std::move(author), std::move(body), {}, "", 0,
                    when,          current};
}

DigestRequest request() {
  DigestRequest r;
  r.from = at(sys_days{2026y / November / 18}, 23h);
  r.to = at(sys_days{2026y / November / 25}, 23h);
  r.now = at(sys_days{2026y / November / 26}, 8h);
  r.zone = *TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
  return r;
}

std::vector<DigestItem> items() {
  const sys_days day = 2026y / November / 20;
  return {
      item("$1", "Köln", "p1", "Die FFP2-Masken waren viel zu spät bestellt.", at(day, 9h)),
      item("$2", "Mülheim an der Ruhr", "p2", "Masken und Schutzausrüstung kamen zu spät.",
           at(day, 10h)),
      item("$3", "Köln", "p3", "Schutzausrüstung und Masken fehlten wochenlang.", at(day, 11h)),
      item("$4", "Leipzig", "p4", "Das Bürgertelefon war völlig überlastet.", at(day, 12h)),
      item("$5", "Köln", "p5", "Unser Bürgertelefon war tagelang überlastet.", at(day, 13h)),
      item("$6", "Leipzig", "p6", "Ein einzelner Gedanke zum Wetter.", at(day, 14h)),
  };
}

TEST(Chart, ThemesAsRowsCitiesAsColumnsAndTheSameInWords) {
  const auto all = items();
  const Digest digest = build_digest(all, {}, request());
  const ChartData chart = digest_chart(DigestView(digest, all));
  ASSERT_EQ(chart.rows.size(), 2u);          // the single thought is no theme
  EXPECT_EQ(chart.columns.front(), "Köln");  // most contributions first
  int total = 0;
  for (const auto& row : chart.rows) {
    ASSERT_EQ(row.counts.size(), chart.columns.size());
    for (const int n : row.counts) total += n;
  }
  EXPECT_EQ(total, 5);
  EXPECT_NE(chart.heading.find("Themen nach Städten"), std::string::npos) << chart.heading;
  // The alt text says what the picture shows: every theme and its cities with their counts.
  for (const auto& row : chart.rows) {
    EXPECT_NE(chart.alt.find(row.title), std::string::npos) << chart.alt;
  }
  EXPECT_NE(chart.alt.find("Köln 2"), std::string::npos) << chart.alt;
  EXPECT_NE(chart.alt.find("Mülheim an der Ruhr 1"), std::string::npos) << chart.alt;
  EXPECT_EQ(chart.alt.find("p1"), std::string::npos) << "no person in the alt text";
}

TEST(Chart, CitiesBeyondTheColumnsGoToOthers) {
  auto all = items();
  const Digest digest = build_digest(all, {}, request());
  const ChartData chart = digest_chart(DigestView(digest, all), 6, 1);
  ASSERT_EQ(chart.columns.size(), 2u);
  EXPECT_EQ(chart.columns.back(), "weitere");
}

TEST(Chart, OneThemeIsSaidInTheSingular) {
  auto all = items();
  all.erase(all.begin() + 3, all.begin() + 5);  // the Bürgertelefon theme
  const Digest digest = build_digest(all, {}, request());
  const ChartData chart = digest_chart(DigestView(digest, all));
  ASSERT_EQ(chart.rows.size(), 1u);
  EXPECT_EQ(chart.alt.rfind("Diagramm: das häufigste Thema im Zeitraum", 0), 0u) << chart.alt;
  EXPECT_EQ(chart.alt.find("die 1 "), std::string::npos) << chart.alt;
}

TEST(Chart, NothingToShowIsEmptyAndNotDrawn) {
  std::vector<DigestItem> one = {items()[5]};
  const Digest digest = build_digest(one, {}, request());
  const ChartData chart = digest_chart(DigestView(digest, one));
  EXPECT_TRUE(chart.empty());
  EXPECT_FALSE(render::chart_png(chart));
}

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

TEST(Chart, DrawnAsAPngOfAtMost800PixelsWithALongCityName) {
  auto all = items();
  for (auto& i : all) {
    if (i.city == "Leipzig") i.city = "Hansestadt Lüneburg an der Ilmenau mit sehr langem Namen";
  }
  const Digest digest = build_digest(all, {}, request());
  const ChartData chart = digest_chart(DigestView(digest, all));
  auto png = render::chart_png(chart);
  ASSERT_TRUE(png) << png.error();
  ASSERT_GT(png->bytes.size(), 24u);
  EXPECT_EQ(png->bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(big_endian(png->bytes, 16), static_cast<std::uint32_t>(png->width));
  EXPECT_EQ(big_endian(png->bytes, 20), static_cast<std::uint32_t>(png->height));
  if (const char* out = std::getenv("REFLEXBOT_CHART_OUT")) {  // to look at it
    std::ofstream(out, std::ios::binary) << png->bytes;
  }
  EXPECT_EQ(png->width, 800);
  EXPECT_GT(png->height, 150);
  EXPECT_LT(png->height, 800);
}

}  // namespace
}  // namespace reflexbot::core
