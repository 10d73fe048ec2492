#pragma once
// What the weekly digest's chart shows, decided in the domain (no drawing here): the period's
// leading themes as rows, the cities as columns, the number of contributions in each cell, and
// the same in words for screen readers (the image's alt text). Drawn by render/chart.cpp.

#include <cstddef>
#include <string>
#include <vector>

#include "core/digest_view.hpp"

namespace reflexbot::core {

struct ChartRow {
  std::string title;        ///< the group's title, as in the digest
  std::string mark;         ///< "neu", "wächst, vorher 2" or empty
  std::vector<int> counts;  ///< per column
  int total = 0;
};

struct ChartData {
  std::string heading;               ///< "Themen nach Städten · 26.11.–03.12.2026"
  std::vector<std::string> columns;  ///< cities, most contributions first; "weitere" last
  std::vector<ChartRow> rows;        ///< themes in the digest's rank order
  std::string alt;                   ///< everything above in sentences
  bool empty() const { return rows.empty() || columns.empty(); }
};

/// The chart of `view`'s digest: its first `max_rows` groups with two contributions or more (the
/// themes that recur), in columns of the `max_columns` cities with the most contributions in
/// them and one column for the rest. Empty when no theme recurs or no contribution has a city.
ChartData digest_chart(const DigestView& view, std::size_t max_rows = 6,
                       std::size_t max_columns = 5);

}  // namespace reflexbot::core
