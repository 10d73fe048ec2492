#include "core/chart.hpp"

#include <algorithm>
#include <map>

#include "core/text.hpp"

namespace reflexbot::core {
namespace {

struct ChartTexts {
  std::string_view heading;  // {period}
  std::string_view others;
  std::string_view alt_one;   // {period}: one theme
  std::string_view alt_many;  // {rows}, {period}
  std::string_view none;      // a theme's cell without contributions, in the alt text
};

constexpr ChartTexts kGerman{
    "Themen nach Städten · {period}", "weitere",
    "Diagramm: das häufigste Thema im Zeitraum {period}, mit der Zahl der Beiträge je Stadt.",
    "Diagramm: die {rows} häufigsten Themen im Zeitraum {period}, mit der Zahl der Beiträge je "
    "Stadt.",
    "keine"};
constexpr ChartTexts kEnglish{
    "Themes by city · {period}", "others",
    "Chart: the most frequent theme of {period}, with the number of contributions per city.",
    "Chart: the {rows} most frequent themes of {period}, with the number of contributions per "
    "city.",
    "none"};

}  // namespace

ChartData digest_chart(const DigestView& view, std::size_t max_rows, std::size_t max_columns) {
  const ChartTexts& t = view.language() == Language::en ? kEnglish : kGerman;
  const Digest& digest = view.digest();
  const auto items = view.items();
  ChartData chart;

  // The themes: groups of two or more in the period, by rank, each with its counts per city.
  std::vector<const DigestGroup*> groups;
  for (const DigestGroup& group : digest.groups) {
    if (group.current >= 2) groups.push_back(&group);
    if (groups.size() == max_rows) break;
  }
  std::vector<std::map<std::string, int>> per_city(groups.size());
  std::map<std::string, int> city_total;
  for (std::size_t r = 0; r < groups.size(); ++r) {
    for (const std::size_t m : groups[r]->members) {
      const DigestItem& item = items[m];
      if (!item.current || item.city.empty()) continue;
      ++per_city[r][item.city];
      ++city_total[item.city];
    }
  }
  if (city_total.empty()) return chart;

  std::vector<std::pair<std::string, int>> cities(city_total.begin(), city_total.end());
  std::stable_sort(cities.begin(), cities.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  const bool others = cities.size() > max_columns;
  const std::size_t shown = others ? max_columns : cities.size();
  for (std::size_t c = 0; c < shown; ++c) chart.columns.push_back(cities[c].first);
  if (others) chart.columns.emplace_back(t.others);

  for (std::size_t r = 0; r < groups.size(); ++r) {
    ChartRow row;
    row.title = view.group_title(*groups[r]);
    row.mark = view.mark(*groups[r]);
    row.counts.assign(chart.columns.size(), 0);
    for (const auto& [city, count] : per_city[r]) {
      std::size_t c = 0;
      while (c < shown && chart.columns[c] != city) ++c;
      row.counts[c < shown ? c : shown] += count;  // not shown: "weitere"
      row.total += count;
    }
    if (row.total > 0) chart.rows.push_back(std::move(row));
  }
  if (chart.rows.empty()) {
    chart.columns.clear();
    return chart;
  }

  const std::string period = view.period();
  chart.heading = fill(t.heading, {plain("period", period)}).text;
  chart.alt = fill(chart.rows.size() == 1 ? t.alt_one : t.alt_many,
                   {plain("rows", std::to_string(chart.rows.size())), plain("period", period)})
                  .text;
  for (const ChartRow& row : chart.rows) {
    std::string cells;
    for (std::size_t c = 0; c < chart.columns.size(); ++c) {
      if (row.counts[c] == 0) continue;
      cells += (cells.empty() ? "" : ", ") + chart.columns[c] + " " + std::to_string(row.counts[c]);
    }
    chart.alt += " " + row.title + (row.mark.empty() ? "" : " (" + row.mark + ")") + ": " +
                 (cells.empty() ? std::string(t.none) : cells) + ".";
  }
  return chart;
}

}  // namespace reflexbot::core
