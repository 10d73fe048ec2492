#include "app/cli/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/digest_view.hpp"
#include "core/lesson.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/texts.hpp"
#include "store/reports.hpp"

namespace reflexbot::app {
namespace {

using core::TimePoint;
using namespace std::chrono_literals;
using Json = nlohmann::ordered_json;

constexpr int kDefaultDays = 7;

// The export's own labels; the digest's texts (headings, counts, quotes) are core::texts().
struct ExportTexts {
  std::string_view period;
  std::string_view exported;
  std::string_view group;  // {n}
  std::string_view heading_groups;
  std::string_view heading_contributions;
  std::string_view no_contributions;
  std::string_view note;
  std::string_view note_event_ids;  // added with --with-event-ids
  std::string_view time;
  std::string_view city;
  std::string_view room;
  std::string_view phase;
  std::string_view via;
  std::string_view tags;
  std::string_view votes;
  std::string_view group_column;
  std::string_view group_title;
  std::string_view author;
  std::string_view text;
  std::string_view event;
  std::string_view rank;
  std::string_view title;
  std::string_view cities;
  std::string_view contributions;
  std::string_view people;
  std::string_view previous;
  std::string_view trend;
  std::string_view anonymous;
  std::string_view via_round;
  std::string_view via_tag;
  std::string_view via_pin;
  std::string_view via_anonymous;
  // The printable report (--format html).
  std::string_view scope;
  std::string_view scope_network;
  std::string_view heading_figures;
  std::string_view per_city;
  std::string_view per_phase;
  std::string_view heading_lesson_table;
  std::string_view lesson;
  std::string_view state;
  std::string_view action;
  std::string_view owner;
  std::string_view due;
  std::string_view no_phase;
  std::string_view person;
  std::string_view chart_label;  // {what}: the chart's text alternative
};

constexpr ExportTexts kGerman{
    .period = "Zeitraum",
    .exported = "Exportiert am",
    .group = "Gruppe {n}",
    .heading_groups = "Alle Gruppen",
    .heading_contributions = "Beiträge",
    .no_contributions = "Keine Beiträge in diesem Zeitraum.",
    .note =
        "Personen erscheinen nur als Nummer, die allein in diesem Export gilt („Person 1“, "
        "„Person 2“ …), oder als anonym. Die Beiträge stehen so da, wie sie geschrieben wurden; "
        "in den Zitaten des Digests sind Matrix-IDs, E-Mail-Adressen und Links entfernt.",
    .note_event_ids =
        "Für eine Prüfung enthält dieser Export die Event-IDs; über sie lassen sich Beiträge "
        "ihren Matrix-Konten zuordnen.",
    .time = "Zeit",
    .city = "Stadt",
    .room = "Raum",
    .phase = "Phase",
    .via = "Weg",
    .tags = "Schlagwörter",
    .votes = "Stimmen",
    .group_column = "Gruppe",
    .group_title = "Gruppentitel",
    .author = "Autor (Pseudonym)",
    .text = "Text",
    .event = "Event-ID",
    .rank = "Nr.",
    .title = "Titel",
    .cities = "Städte",
    .contributions = "Beiträge",
    .people = "Personen",
    .previous = "Vorperiode",
    .trend = "Trend",
    .anonymous = "Anonym",
    .via_round = "Runde",
    .via_tag = "Schlagwort",
    .via_pin = "Pin (📌)",
    .via_anonymous = "Anonym",
    .scope = "Bereich",
    .scope_network = "Netzwerk (alle Städte)",
    .heading_figures = "Zahlen",
    .per_city = "Beiträge je Stadt",
    .per_phase = "Beiträge je Phase",
    .heading_lesson_table = "Lehren und Maßnahmen",
    .lesson = "Lehre",
    .state = "Stand",
    .action = "Maßnahme",
    .owner = "Zuständig",
    .due = "Fällig",
    .no_phase = "außerhalb von Runden",
    .person = "Person",
    .chart_label = "Balkendiagramm: {what}",
};

constexpr ExportTexts kEnglish{
    .period = "Period",
    .exported = "Exported on",
    .group = "group {n}",
    .heading_groups = "All groups",
    .heading_contributions = "Contributions",
    .no_contributions = "No contributions in this period.",
    .note =
        "People appear only as a number that holds in this export alone (“Person 1”, "
        "“Person 2” …) or as anonymous. Contributions are exported as they were written; the "
        "digest's quotes have Matrix ids, e-mail addresses and links removed.",
    .note_event_ids =
        "For an audit this export contains the event ids; they tie contributions to their "
        "Matrix accounts.",
    .time = "Time",
    .city = "City",
    .room = "Room",
    .phase = "Phase",
    .via = "Via",
    .tags = "Tags",
    .votes = "Votes",
    .group_column = "Group",
    .group_title = "Group title",
    .author = "Author (pseudonym)",
    .text = "Text",
    .event = "Event id",
    .rank = "No.",
    .title = "Title",
    .cities = "Cities",
    .contributions = "Contributions",
    .people = "People",
    .previous = "Previous period",
    .trend = "Trend",
    .anonymous = "Anonymous",
    .via_round = "Round",
    .via_tag = "Tag",
    .via_pin = "Pin (📌)",
    .via_anonymous = "Anonymous",
    .scope = "Scope",
    .scope_network = "Network (all cities)",
    .heading_figures = "Figures",
    .per_city = "Contributions per city",
    .per_phase = "Contributions per phase",
    .heading_lesson_table = "Lessons and actions",
    .lesson = "Lesson",
    .state = "State",
    .action = "Action",
    .owner = "Owner",
    .due = "Due",
    .no_phase = "outside rounds",
    .person = "Person",
    .chart_label = "Bar chart: {what}",
};

TimePoint local_midnight(const core::TimeZone& zone, std::chrono::local_days day) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(zone.to_utc(day));
}

struct LocalTime {
  std::chrono::year_month_day date;
  std::chrono::hh_mm_ss<std::chrono::seconds> time{std::chrono::seconds(0)};
  std::chrono::seconds offset{0};
};

LocalTime local_time(TimePoint t, const core::TimeZone& zone) {
  const auto utc = std::chrono::floor<std::chrono::seconds>(t);
  const auto local = zone.to_local(utc);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  return LocalTime{std::chrono::year_month_day{day},
                   std::chrono::hh_mm_ss<std::chrono::seconds>(local - day), zone.offset_at(utc)};
}

// "2026-05-06 10:15"
std::string minute_text(TimePoint t, const core::TimeZone& zone) {
  const LocalTime local = local_time(t, zone);
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s %02d:%02d", core::iso_date(local.date).c_str(),
                static_cast<int>(local.time.hours().count()),
                static_cast<int>(local.time.minutes().count()));
  return buffer;
}

// "2026-05-06T10:15:00+02:00"
std::string iso_instant(TimePoint t, const core::TimeZone& zone) {
  const LocalTime local = local_time(t, zone);
  const long long offset = local.offset.count();
  const long long magnitude = offset < 0 ? -offset : offset;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%sT%02d:%02d:%02d%c%02lld:%02lld",
                core::iso_date(local.date).c_str(), static_cast<int>(local.time.hours().count()),
                static_cast<int>(local.time.minutes().count()),
                static_cast<int>(local.time.seconds().count()), offset < 0 ? '-' : '+',
                magnitude / 3600, magnitude % 3600 / 60);
  return buffer;
}

// Text for Markdown (CommonMark with GFM tables) that stays text: characters that start
// emphasis, code, links, raw HTML, entities, headings, block quotes, lists or table cells are
// backslash-escaped, line breaks become " ↵ " (a table cell is one line), other control and
// bidi-override characters are dropped. `line_start`: the text begins a line (or a table cell),
// where "-", "+", "=" and "1." or "1)" would begin a list or a heading underline.
std::string md(std::string_view text, bool line_start = false) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  if (!line_start || text.empty()) {
    // Mid-line these characters are text.
  } else if (text[0] == '-' || text[0] == '+' || text[0] == '=') {
    out += '\\';
  } else {
    std::size_t digits = 0;
    while (digits < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9') {
      ++digits;
    }
    if (digits > 0 && digits < text.size() && (text[digits] == '.' || text[digits] == ')')) {
      out.append(text.substr(0, digits));
      out += '\\';
      i = digits;
    }
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += " ↵ ";
      continue;
    }
    if (c == '\t') {
      out += ' ';
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) continue;
    if (core::is_bidi_control(text, i)) {
      i += 2;
      continue;
    }
    if (std::string_view("\\`*_[]<>#|~&").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// One CSV field (RFC 4180): quoted if it has the separator, a quote or a line break, quotes
// doubled. A field starting with =, +, -, @, tab or CR gets a leading ' so spreadsheets do not
// run it as a formula (OWASP, "CSV Injection").
std::string csv(std::string_view value, char separator) {
  std::string field;
  if (!value.empty() &&
      std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
    field += '\'';
  }
  field.append(value);
  const char special[] = {separator, '"', '\r', '\n', '\0'};
  if (field.find_first_of(special) == std::string::npos) return field;
  std::string quoted = "\"";
  for (const char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The tags as the contribution spelled them ("#föderal", not the key "#foederal"); a tag its text
// does not spell (given by a round's phase, or the text changed) by its key.
std::string tags_text(const std::vector<std::string>& tags, std::string_view body,
                      const core::TagVocabulary& vocabulary) {
  const auto written = core::parse_written_tags(body, vocabulary);
  std::string out;
  for (const auto& tag : tags) {
    if (!out.empty()) out += ' ';
    const auto spelled = std::find_if(written.begin(), written.end(),
                                      [&](const core::WrittenTag& w) { return w.key == tag; });
    out += spelled != written.end() ? spelled->written : "#" + tag;
  }
  return out;
}

// The room the export is about: empty for the whole network.
std::string resolve_room(store::Store& store, const DigestSettings& settings,
                         const std::string& wanted) {
  if (wanted.empty() || wanted == settings.network_room) return {};
  if (wanted.starts_with('!')) {
    if (settings.cities.contains(wanted) || store.room(wanted)) return wanted;
    throw ExportError("unknown room " + wanted);
  }
  // Without regard to case, for ASCII letters and Ä, Ö, Ü.
  auto fold = [](std::string_view text) {
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto c = static_cast<unsigned char>(out[i]);
      if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c + 32);
      if (c == 0xC3 && i + 1 < out.size()) {
        const auto next = static_cast<unsigned char>(out[i + 1]);
        if (next == 0x84 || next == 0x96 || next == 0x9C) out[i + 1] = static_cast<char>(next + 32);
      }
    }
    return out;
  };
  std::vector<std::string> matches;
  std::set<std::string> cities;
  for (const auto& room : settings.rooms) {
    const auto city = settings.cities.find(room);
    if (city == settings.cities.end() || city->second.empty()) continue;
    cities.insert(city->second);
    if (fold(city->second) == fold(wanted)) matches.push_back(room);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    std::vector<std::string> known(cities.begin(), cities.end());
    throw ExportError("no configured room belongs to the city '" + wanted + "'" +
                      (known.empty() ? std::string(" (no cities are configured)")
                                     : "; configured cities: " + core::join_list(known, ", ")));
  }
  throw ExportError("the city '" + wanted + "' has several rooms (" +
                    core::join_list(matches, ", ") + "); give one room id");
}

// A contribution of the period with everything the export shows.
struct ExportRow {
  const core::DigestItem* item = nullptr;
  const store::ReportSource* source = nullptr;
  std::optional<std::uint32_t> group;  // rank - 1
  std::string author;                  // "Person n", numbered in this export; empty: anonymous
};

// Everything the three formats are made of: the digest (built once, for the period read once),
// its view, and the contributions numbered for this export.
struct ExportData {
  const DigestSettings& settings;
  const ExportTexts& e;
  ExportPeriod period;
  std::string room;  // empty: the network
  bool with_event_ids = false;
  DigestBuilder::Result result;
  std::vector<store::ReportSource> sources;  // per item of the period, index for index
  std::vector<ExportRow> contributions;      // numbered from 1 in this order
  std::unordered_map<std::size_t, std::size_t> number_of_item;  // digest item → contribution

  core::DigestView view() const { return core::DigestView(result.digest, result.items); }
  const core::Digest& digest() const { return result.digest; }
  const std::vector<core::DigestItem>& items() const { return result.items; }

  // The contribution's number in this export; nullopt if it is not one of the rows.
  std::optional<std::size_t> number(std::size_t item) const {
    const auto found = number_of_item.find(item);
    if (found == number_of_item.end()) return std::nullopt;
    return found->second;
  }
  std::string author(const ExportRow& row) const {
    return row.author.empty() ? std::string(e.anonymous) : row.author;
  }
  std::string group_ref(std::uint32_t id) const {
    return core::fill(e.group, {core::plain("n", std::to_string(id + 1))}).text;
  }
  std::string via_text(const std::string& via) const {
    if (via == "round") return std::string(e.via_round);
    if (via == "tag") return std::string(e.via_tag);
    if (via == "pin") return std::string(e.via_pin);
    if (via == "anonymous") return std::string(e.via_anonymous);
    return via;
  }
};

// Reads the period once (with the sources the digest does not need) and the period before it,
// and builds the digest with keywords for every group. The digest refers to the builder's
// settings (its tag vocabulary): the builder outlives the rendering.
void build(ExportData& data, store::Store& store, const DigestBuilder& builder,
           core::TimePoint now) {
  const std::string scope = builder.scope_room(data.room);
  store::PeriodReport report = store::period_report(
      store, scope, data.period.from, data.period.to,
      [&builder](std::string_view template_key, std::string_view phase_key) {
        return builder.phase_title(template_key, phase_key);
      },
      scope.empty() ? builder.network_rooms() : std::vector<std::string>{}, &builder.places());
  data.sources = std::move(report.sources);
  builder.load_previous(scope, data.period.from, data.period.to, report.items);
  data.result = builder.build_from(scope, std::move(report.items), data.period.from, data.period.to,
                                   now, true);
}

// The period's contributions of the export's room, numbered, with their group and author.
void number_contributions(ExportData& data) {
  const core::DigestTexts& t = core::texts(data.settings.language).digest;
  // People are numbered in the order of their first contribution here: a label means nothing
  // outside this export (the stored pseudonym is the same in every room and period).
  std::unordered_map<std::string_view, std::string> person_of;
  for (std::size_t i = 0; i < data.sources.size(); ++i) {
    const store::ReportSource& source = data.sources[i];
    // The network room asked for by its city: its digest covers the network, the list the room.
    if (!data.room.empty() && source.room_id != data.room) continue;
    const core::DigestItem& item = data.result.items[i];
    ExportRow entry{&item, &source, std::nullopt, {}};
    const std::uint32_t group = data.result.digest.group_of[i];
    if (group != core::kNoGroup) entry.group = group;
    if (!item.author.empty()) {
      auto [person, added] = person_of.try_emplace(item.author);
      if (added) {
        person->second =
            core::fill(t.person, {core::plain("n", std::to_string(person_of.size()))}).text;
      }
      entry.author = person->second;
    }
    data.number_of_item.emplace(i, data.contributions.size() + 1);
    data.contributions.push_back(std::move(entry));
  }
}

// A row of a Markdown table; each cell escaped as text.
std::string table_row(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (const auto& cell : cells) row += " " + md(cell, true) + " |";
  return row + "\n";
}

// Title, period, time of export and overview.
std::string markdown_head(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  const core::TimePoint now = view.digest().request.now;
  std::string out = "# " + md(view.title()) + "\n\n";
  out += "**" + md(e.period) + ":** " + md(view.period()) + "\\\n";
  out += "**" + md(e.exported) + ":** " +
         md(view.date(view.today()) + minute_text(now, data.settings.zone).substr(10)) + "\n\n";
  out += md(view.overview().text, true) + "\n";
  return out;
}

std::string markdown_lessons(const ExportData& data, const core::DigestView& view) {
  const auto& t = view.texts();
  const core::Digest& digest = view.digest();
  std::string out = "\n## " + md(t.heading_lessons) + "\n\n";
  if (digest.lessons.empty()) out += md(t.no_lessons, true) + "\n";
  for (std::size_t n = 0; n < digest.lessons.size(); ++n) {
    const core::DigestGroup& group = digest.groups[digest.lessons[n]];
    const std::string marker = std::to_string(n + 1) + ". ";
    const std::string indent(marker.size(), ' ');
    const std::string mark = view.mark(group);
    out += marker + "**" + md(view.group_title(group)) + "**" +
           (mark.empty() ? "" : " (" + md(mark) + ")") + " · " + md(data.group_ref(group.id));
    out += "\\\n" + indent + md(view.group_line(group, view.signals(group)), true);
    for (const std::size_t q : group.quotes) {
      out += "\\\n" + indent + md(view.quote(q).text, true);
    }
    out += "\n";
  }
  return out;
}

std::string markdown_tagged(const ExportData& data, const core::DigestView& view,
                            std::string_view heading, const std::vector<std::uint32_t>& ids,
                            const std::set<std::string, std::less<>>& tags) {
  if (ids.empty()) return {};
  std::string out = "\n## " + md(heading) + "\n\n";
  for (const std::uint32_t id : ids) {
    const core::DigestGroup& group = view.digest().groups[id];
    const std::string quote = view.quote(core::section_quote(group, view.items(), tags)).text;
    if (group.shown_as_quote()) {
      out += "- " + md(quote) + " · " + md(data.group_ref(id)) + "\n";
      continue;
    }
    std::string extra = view.signals(group, &tags);
    const std::string note = view.tagged_note(group, tags);
    if (!note.empty()) extra += (extra.empty() ? "" : " · ") + note;
    out += "- **" + md(view.group_title(group)) + "**: " + md(view.group_line(group, extra)) +
           " · " + md(data.group_ref(id)) + "\\\n  " + md(quote, true) + "\n";
  }
  return out;
}

// Open actions; with contributions also the numbers and the table of all groups.
std::string markdown_actions_and_numbers(const ExportData& data, const core::DigestView& view) {
  const auto& t = view.texts();
  const auto& e = data.e;
  const core::Digest& digest = view.digest();
  std::string out = "\n## " + md(t.heading_actions) + "\n\n";
  if (digest.open_actions.empty()) out += md(t.no_actions, true) + "\n";
  for (const core::Lesson& lesson : digest.open_actions) {
    out += "- " + md(view.action(lesson).text) + "\n";
  }
  if (digest.contributions == 0) return out;
  out += "\n## " + md(t.heading_numbers) + "\n\n" + md(view.phase_line().text, true) + "\n";
  if (!digest.per_topic.empty()) out += "\n" + md(view.topic_line().text, true) + "\n";
  out += "\n## " + md(e.heading_groups) + "\n\n";
  out += table_row({std::string(e.rank), std::string(e.title), std::string(e.cities),
                    std::string(e.contributions), std::string(e.people), std::string(e.votes),
                    std::string(e.previous), std::string(e.trend)});
  out += "| ---: | --- | --- | ---: | ---: | ---: | ---: | --- |\n";
  for (const core::DigestGroup& group : digest.groups) {
    out += table_row({std::to_string(group.id + 1), view.group_title(group),
                      core::join_list(group.cities, ", "), std::to_string(group.current),
                      std::to_string(group.participants), std::to_string(group.votes),
                      std::to_string(group.previous), view.mark(group)});
  }
  return out;
}

// The columns of the contribution tables (Markdown, CSV); CSV adds the group's title.
std::vector<std::string> contribution_header(const ExportData& data, bool group_title) {
  const auto& e = data.e;
  std::vector<std::string> header = {
      std::string(e.time), std::string(e.city), std::string(e.room),  std::string(e.phase),
      std::string(e.via),  std::string(e.tags), std::string(e.votes), std::string(e.group_column)};
  if (group_title) header.emplace_back(e.group_title);
  header.emplace_back(e.author);
  header.emplace_back(e.text);
  if (data.with_event_ids) header.emplace_back(e.event);
  return header;
}

std::vector<std::string> contribution_cells(const ExportData& data, const core::DigestView& view,
                                            const ExportRow& row, bool group_title) {
  const core::DigestItem& item = *row.item;
  std::vector<std::string> cells = {
      minute_text(item.written_at, data.settings.zone),
      item.city,
      row.source->room_id,
      item.phase,
      data.via_text(row.source->via),
      tags_text(item.tags, item.body, view.digest().request.tag_vocabulary()),
      std::to_string(item.votes),
      row.group ? std::to_string(*row.group + 1) : std::string()};
  if (group_title) {
    cells.push_back(row.group ? view.group_title(view.digest().groups[*row.group]) : std::string());
  }
  cells.push_back(data.author(row));
  cells.push_back(item.body);
  if (data.with_event_ids) cells.push_back(item.id);
  return cells;
}

std::string markdown_contributions(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  std::string out = "\n## " + md(e.heading_contributions) + "\n\n";
  if (data.contributions.empty()) return out + md(e.no_contributions, true) + "\n";
  out += table_row(contribution_header(data, false));
  out += "| --- | --- | --- | --- | --- | --- | ---: | ---: | --- | --- |";
  out += data.with_event_ids ? " --- |\n" : "\n";
  for (const ExportRow& row : data.contributions) {
    out += table_row(contribution_cells(data, view, row, false));
  }
  return out;
}

std::string render_markdown(const ExportData& data) {
  const core::DigestView view = data.view();
  const auto& t = view.texts();
  const core::Digest& digest = view.digest();
  std::string out = markdown_head(data, view);
  if (digest.contributions > 0) {
    out += markdown_lessons(data, view);
    out += markdown_tagged(data, view, t.heading_marked_lessons, digest.marked_lessons,
                           core::kLessonTags);
    out += markdown_tagged(data, view, t.heading_went_well, digest.went_well, core::kWentWellTags);
    out += markdown_tagged(data, view, t.heading_was_hard, digest.was_hard, core::kWasHardTags);
    out += markdown_tagged(data, view, t.heading_ideas, digest.ideas, core::kIdeaTags);
  }
  out += markdown_actions_and_numbers(data, view);
  out += markdown_contributions(data, view);
  const auto& e = data.e;
  out += "\n_" + md(e.note) + (data.with_event_ids ? " " + md(e.note_event_ids) : "") + "_\n";
  return out;
}

std::string render_csv(const ExportData& data, CsvDialect dialect) {
  const core::DigestView view = data.view();
  const bool excel = dialect == CsvDialect::excel_de;
  const char separator = excel ? ';' : ',';
  // Excel takes a file as UTF-8 only with the byte order mark; with German settings it splits
  // columns at semicolons.
  std::string out = excel ? "\xEF\xBB\xBF" : "";
  auto line = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += separator;
      out += csv(fields[i], separator);
    }
    out += "\r\n";
  };
  line(contribution_header(data, true));
  for (const ExportRow& row : data.contributions) line(contribution_cells(data, view, row, true));
  return out;
}

// ---- The printable report (--format html) ----
// One self-contained page: no scripts, no external resources, inline SVG charts, a print style
// sheet for A4. Every text that comes from people, rooms or configuration goes through html();
// the digest's own pieces come as the chat digest's HTML (core/digest_view.hpp), escaped there.

// Text as HTML text or attribute value: the five special characters as entities; control and
// bidi-override characters dropped (as the chat digest does).
std::string html(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (core::is_bidi_control(text, i)) {
      i += 2;
      continue;
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) continue;
    clean += static_cast<char>(c);
  }
  return core::html_escape(clean);
}

constexpr std::string_view kReportStyle = R"(
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #c9c9c9; --bar: #2f6f8f; --soft: #eef3f6; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  font-size: 10pt; line-height: 1.4; color: var(--ink); }
body { margin: 0 auto; max-width: 180mm; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 0 0 3mm; border-bottom: 1.5pt solid var(--bar); padding-bottom: 1mm;
  break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
p, li, td, th, blockquote, h1, h2, h3, dd { overflow-wrap: anywhere; hyphens: auto; }
.meta { color: var(--muted); margin: 0 0 3mm; }
.meta dt { font-weight: bold; float: left; clear: left; margin-right: 1.5mm; }
.meta dd { margin: 0; }
section { margin-top: 8mm; }
.group { break-inside: avoid; margin: 0 0 4mm; }
.group .line { color: var(--muted); margin: 0; }
blockquote { margin: 1mm 0 0 4mm; padding-left: 3mm; border-left: 2pt solid var(--rule);
  break-inside: avoid; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 2mm 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 0.5pt solid var(--rule); }
th { background: var(--soft); white-space: nowrap; overflow-wrap: normal; }
table { font-size: 9pt; }
.nowrap { white-space: nowrap; }
table.auto { table-layout: auto; }
table.auto td { overflow-wrap: break-word; }
table.auto td.long { overflow-wrap: anywhere; }
.where { color: var(--muted); }
td.n, th.n { text-align: right; white-space: nowrap; }
.contributions { font-size: 8.5pt; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 1mm; }
svg { display: block; width: 100%; height: auto; }
.note { color: var(--muted); font-size: 8.5pt; margin-top: 6mm; }
@page { size: A4; margin: 15mm 15mm 18mm; }
@media print {
  body { max-width: none; padding: 0; }
  section.page { break-before: page; margin-top: 0; }
}
)";

// A horizontal bar chart as inline SVG: each row's label on a line of its own above its bar, so
// no label of any length runs into a bar; the count at the bar's end.
std::string bar_chart(const ExportTexts& e, std::string_view caption,
                      const std::vector<std::pair<std::string, int>>& rows) {
  if (rows.empty()) return {};
  constexpr int kWidth = 640;
  constexpr int kRow = 36;
  constexpr int kBarHeight = 12;
  constexpr std::size_t kLabelMax = 160;  // bytes: beyond that the label is cut with "…"
  int most = 1;
  for (const auto& row : rows) most = std::max(most, row.second);
  const int height = static_cast<int>(rows.size()) * kRow + 4;
  std::string description;
  for (const auto& [label, count] : rows) {
    description += (description.empty() ? "" : ", ") + label + ": " + std::to_string(count);
  }
  const std::string alt =
      core::fill(e.chart_label,
                 {core::plain("what", std::string(caption) + " (" + description + ")")})
          .text;
  std::string out = "<figure>\n<figcaption>" + html(caption) + "</figcaption>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
         std::to_string(height) + "\" role=\"img\" aria-label=\"" + html(alt) + "\">\n";
  out += "<title>" + html(alt) + "</title>\n";
  const int bar_space = kWidth - 60;  // room for the count after the longest bar
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [label, count] = rows[i];
    const int y = static_cast<int>(i) * kRow;
    std::string shown = label;
    if (shown.size() > kLabelMax) shown = std::string(core::truncate_utf8(shown, kLabelMax)) + "…";
    const int bar = std::max(2, bar_space * count / most);
    out += "<text x=\"0\" y=\"" + std::to_string(y + 13) + "\" font-size=\"13\" fill=\"#1b1b1b\">" +
           html(shown) + "</text>\n";
    out += "<rect x=\"0\" y=\"" + std::to_string(y + 18) + "\" width=\"" + std::to_string(bar) +
           "\" height=\"" + std::to_string(kBarHeight) + "\" fill=\"#2f6f8f\"/>\n";
    out += "<text x=\"" + std::to_string(bar + 6) + "\" y=\"" + std::to_string(y + 29) +
           "\" font-size=\"12\" fill=\"#1b1b1b\">" + std::to_string(count) + "</text>\n";
  }
  return out + "</svg>\n</figure>\n";
}

std::string html_head(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  const core::TimePoint now = view.digest().request.now;
  std::string scope = std::string(e.scope_network);
  if (!data.room.empty()) {
    const auto city = data.settings.cities.find(data.room);
    scope = city != data.settings.cities.end() && !city->second.empty() ? city->second
                                                                        : std::string(e.room);
  }
  std::string out = "<header>\n<h1>" + html(view.title()) + "</h1>\n<dl class=\"meta\">\n";
  out += "<dt>" + html(e.period) + ":</dt><dd>" + html(view.period()) + "</dd>\n";
  out += "<dt>" + html(e.scope) + ":</dt><dd>" + html(scope) + "</dd>\n";
  out += "<dt>" + html(e.exported) + ":</dt><dd>" +
         html(view.date(view.today()) + minute_text(now, data.settings.zone).substr(10)) +
         "</dd>\n</dl>\n";
  out += "<p>" + view.overview().html + "</p>\n</header>\n";
  return out;
}

// Contributions per city and per phase: charts and the digest's own lines.
std::string html_figures(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  const core::Digest& digest = view.digest();
  std::string out = "<section>\n<h2>" + html(e.heading_figures) + "</h2>\n";
  if (digest.contributions == 0)
    return out + "<p>" + html(e.no_contributions) + "</p>\n</section>\n";
  std::map<std::string, int> per_city;
  for (const ExportRow& row : data.contributions) {
    ++per_city[row.item->city.empty() ? std::string(e.scope_network) : row.item->city];
  }
  std::vector<std::pair<std::string, int>> cities(per_city.begin(), per_city.end());
  std::stable_sort(cities.begin(), cities.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  out += bar_chart(e, e.per_city, cities);
  std::vector<std::pair<std::string, int>> phases;
  for (const core::PhaseCount& entry : digest.per_phase) {
    phases.emplace_back(entry.phase.empty() ? std::string(e.no_phase) : entry.phase, entry.count);
  }
  out += bar_chart(e, e.per_phase, phases);
  out += "<p>" + view.phase_line().html + "</p>\n";
  if (!digest.per_topic.empty()) out += "<p>" + view.topic_line().html + "</p>\n";
  return out + "</section>\n";
}

std::string html_group(const ExportData& data, const core::DigestView& view,
                       const core::DigestGroup& group, std::string_view line,
                       const std::vector<std::size_t>& quotes) {
  const std::string mark = view.mark(group);
  std::string blockquotes;
  for (const std::size_t q : quotes) {
    blockquotes += "<blockquote>" + view.quote(q).html + "</blockquote>\n";
  }
  // A single contribution without a moderator's name: its quote, then its line (a heading would
  // repeat the quote, which is its title).
  if (group.shown_as_quote()) {
    return "<div class=\"group\">\n" + blockquotes + "<p class=\"line\">" + html(line) +
           (mark.empty() ? "" : " (" + html(mark) + ")") + " · " + html(data.group_ref(group.id)) +
           "</p>\n</div>\n";
  }
  return "<div class=\"group\">\n<h3>" + html(view.group_title(group)) +
         (mark.empty() ? "" : " <small>(" + html(mark) + ")</small>") + " <small>· " +
         html(data.group_ref(group.id)) + "</small></h3>\n<p class=\"line\">" + html(line) +
         "</p>\n" + blockquotes + "</div>\n";
}

std::string html_themes(const ExportData& data, const core::DigestView& view) {
  const auto& t = view.texts();
  const core::Digest& digest = view.digest();
  std::string out = "<section class=\"page\">\n<h2>" + html(t.heading_lessons) + "</h2>\n";
  if (digest.lessons.empty()) out += "<p>" + html(t.no_lessons) + "</p>\n";
  for (const std::uint32_t id : digest.lessons) {
    const core::DigestGroup& group = digest.groups[id];
    out += html_group(data, view, group, view.group_line(group, view.signals(group)), group.quotes);
  }
  auto tagged = [&](std::string_view heading, const std::vector<std::uint32_t>& ids,
                    const std::set<std::string, std::less<>>& tags) {
    if (ids.empty()) return;
    out += "<h2>" + html(heading) + "</h2>\n";
    for (const std::uint32_t id : ids) {
      const core::DigestGroup& group = digest.groups[id];
      std::string extra = view.signals(group, &tags);
      const std::string note = view.tagged_note(group, tags);
      if (!note.empty()) extra += (extra.empty() ? "" : " · ") + note;
      out += html_group(data, view, group, view.group_line(group, extra),
                        {core::section_quote(group, view.items(), tags)});
    }
  };
  tagged(t.heading_marked_lessons, digest.marked_lessons, core::kLessonTags);
  tagged(t.heading_went_well, digest.went_well, core::kWentWellTags);
  tagged(t.heading_was_hard, digest.was_hard, core::kWasHardTags);
  tagged(t.heading_ideas, digest.ideas, core::kIdeaTags);
  return out + "</section>\n";
}

std::string html_lessons(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  const auto& t = view.texts();
  const core::LessonTexts& l = core::texts(data.settings.language).lesson;
  const core::Digest& digest = view.digest();
  std::string out = "<section class=\"page\">\n<h2>" + html(e.heading_lesson_table) + "</h2>\n";
  if (digest.open_actions.empty()) return out + "<p>" + html(t.no_actions) + "</p>\n</section>\n";
  // Column widths by content (auto layout): dates and states never wrap, long words may.
  out += "<table class=\"auto\">\n<thead><tr><th>" + html(e.lesson) + "</th><th>" + html(e.state) +
         "</th><th>" + html(e.action) + "</th><th>" + html(e.owner) + "</th><th>" + html(e.due) +
         "</th><th>" + html(e.cities) + "</th></tr></thead>\n<tbody>\n";
  for (const core::Lesson& lesson : digest.open_actions) {
    const std::string_view state = lesson.state == core::LessonState::identified
                                       ? l.state_identified
                                   : lesson.state == core::LessonState::action ? l.state_action
                                                                               : l.state_learned;
    out += "<tr><td class=\"long\">L" + std::to_string(lesson.id) + " " + html(lesson.title) +
           "</td><td>" + html(state) + "</td><td class=\"long\">" + html(lesson.action) +
           "</td><td>" + html(lesson.owner) + "</td><td class=\"nowrap\">" +
           (lesson.due ? html(view.date(*lesson.due)) : std::string()) + "</td><td>" +
           html(core::join_list(lesson.cities, ", ")) + "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string html_all_groups(const ExportData& data, const core::DigestView& view) {
  const auto& e = data.e;
  const core::Digest& digest = view.digest();
  if (digest.groups.empty()) return {};
  std::string out = "<section class=\"page\">\n<h2>" + html(e.heading_groups) + "</h2>\n";
  out +=
      "<table class=\"auto\">\n<thead><tr>"
      "<th class=\"n\">" +
      html(e.rank) + "</th><th>" + html(e.title) + "</th><th>" + html(e.cities) +
      "</th><th class=\"n\">" + html(e.contributions) + "</th><th class=\"n\">" + html(e.people) +
      "</th><th class=\"n\">" + html(e.votes) + "</th><th>" + html(e.trend) +
      "</th></tr></thead>\n<tbody>\n";
  for (const core::DigestGroup& group : digest.groups) {
    out += "<tr><td class=\"n\">" + std::to_string(group.id + 1) + "</td><td class=\"long\">" +
           html(view.group_title(group)) + "</td><td>" + html(core::join_list(group.cities, ", ")) +
           "</td><td class=\"n\">" + std::to_string(group.current) + "</td><td class=\"n\">" +
           std::to_string(group.participants) + "</td><td class=\"n\">" +
           std::to_string(group.votes) + "</td><td>" + html(view.mark(group)) + "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string html_contributions(const ExportData& data) {
  const auto& e = data.e;
  std::string out = "<section class=\"page\">\n<h2>" + html(e.heading_contributions) + "</h2>\n";
  if (data.contributions.empty())
    return out + "<p>" + html(e.no_contributions) + "</p>\n</section>\n";
  const bool ids = data.with_event_ids;
  // Time, city and phase share a column: nine narrow columns do not fit a portrait page.
  out +=
      "<table class=\"contributions\">\n<colgroup><col style=\"width:6%\">"
      "<col style=\"width:17%\"><col style=\"width:15%\"><col style=\"width:10%\">"
      "<col style=\"width:9%\"><col style=\"width:9%\">";
  out += ids ? "<col style=\"width:22%\"><col style=\"width:12%\">" : "<col style=\"width:34%\">";
  out += "</colgroup>\n<thead><tr><th class=\"n\">" + html(e.rank) + "</th><th>" + html(e.time) +
         " · " + html(e.city) + "</th><th>" + html(e.tags) + "</th><th class=\"n\">" +
         html(e.votes) + "</th><th class=\"n\">" + html(e.group_column) + "</th><th>" +
         html(e.person) + "</th><th>" + html(e.text) + "</th>" +
         (ids ? "<th>" + html(e.event) + "</th>" : std::string()) + "</tr></thead>\n<tbody>\n";
  for (std::size_t n = 0; n < data.contributions.size(); ++n) {
    const ExportRow& row = data.contributions[n];
    const core::DigestItem& item = *row.item;
    const std::string when = minute_text(item.written_at, data.settings.zone);
    const std::size_t space = when.find(' ');
    std::string where = "<span class=\"nowrap\">" + html(when.substr(0, space)) + "</span>";
    if (space != std::string::npos) {
      where += " <span class=\"nowrap\">" + html(when.substr(space + 1)) + "</span>";
    }
    where += "<br>" + html(item.city);
    if (!item.phase.empty()) where += "<br><span class=\"where\">" + html(item.phase) + "</span>";
    out += "<tr><td class=\"n\">" + std::to_string(n + 1) + "</td><td>" + where + "</td><td>" +
           html(tags_text(item.tags, item.body, data.digest().request.tag_vocabulary())) +
           "</td><td class=\"n\">" + std::to_string(item.votes) + "</td><td class=\"n\">" +
           (row.group ? std::to_string(*row.group + 1) : std::string()) + "</td><td>" +
           html(data.author(row)) + "</td><td>" + html(item.body) + "</td>" +
           (ids ? "<td>" + html(item.id) + "</td>" : std::string()) + "</tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string render_html(const ExportData& data) {
  const core::DigestView view = data.view();
  const auto& e = data.e;
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += data.settings.language == core::Language::en ? "en" : "de";
  out +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"Reflexbot\">\n<title>" +
      html(view.title() + " · " + view.period()) + "</title>\n<style>" + std::string(kReportStyle) +
      "</style>\n</head>\n<body>\n";
  out += html_head(data, view);
  out += html_figures(data, view);
  if (view.digest().contributions > 0) out += html_themes(data, view);
  out += html_lessons(data, view);
  out += html_all_groups(data, view);
  out += html_contributions(data);
  out += "<p class=\"note\">" + html(e.note) +
         (data.with_event_ids ? " " + html(e.note_event_ids) : std::string()) + "</p>\n";
  return out + "</body>\n</html>\n";
}

Json or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

Json or_null(std::optional<std::size_t> number) { return number ? Json(*number) : Json(nullptr); }

// Title, language, time of export, period, scope and overview.
void json_head(Json& out, const ExportData& data, const core::DigestView& view) {
  const core::Digest& digest = view.digest();
  const core::TimeZone& zone = data.settings.zone;
  out["title"] = view.title();
  out["language"] = view.language() == core::Language::en ? "en" : "de";
  out["generated_at"] = iso_instant(digest.request.now, zone);
  out["period"] = {{"from", core::iso_date(view.first_day())},
                   {"to", core::iso_date(view.last_day())},
                   {"start", iso_instant(data.period.from, zone)},
                   {"end", iso_instant(data.period.to, zone)},
                   {"label", view.period()}};
  Json scope;
  scope["network"] = data.room.empty();
  scope["room_id"] = or_null(data.room);
  scope["city"] = or_null(digest.request.scope);
  out["scope"] = std::move(scope);
  out["overview"] = {{"contributions", digest.contributions}, {"participants", digest.participants},
                     {"anonymous", digest.anonymous},         {"cities", digest.cities},
                     {"groups", digest.groups.size()},        {"text", view.overview().text}};
}

Json json_group(const ExportData& data, const core::DigestView& view,
                const core::DigestGroup& group) {
  const auto& items = view.items();
  Json members = Json::array();
  for (const std::size_t index : group.members) {
    if (const auto number = data.number(index)) members.push_back(*number);
  }
  Json quotes = Json::array();
  for (const std::size_t index : group.quotes) {
    Json quote;
    quote["contribution"] = or_null(data.number(index));
    if (data.with_event_ids) quote["event_id"] = items[index].id;
    quote["city"] = items[index].city;
    quote["text"] = core::quote_text(items[index].body);
    quotes.push_back(std::move(quote));
  }
  Json entry;
  entry["rank"] = group.id + 1;
  entry["title"] = view.group_title(group);
  entry["keywords"] = group.keywords;
  entry["cities"] = group.cities;
  entry["contributions"] = group.current;
  entry["previous"] = group.previous;
  entry["participants"] = group.participants;
  entry["anonymous"] = group.anonymous;
  entry["votes"] = group.votes;
  entry["new"] = group.is_new();
  entry["growing"] = group.growing();
  entry["members"] = std::move(members);
  entry["quotes"] = std::move(quotes);
  return entry;
}

// The sections as lists of group ranks.
Json json_sections(const core::DigestView& view) {
  const auto& t = view.texts();
  const core::Digest& digest = view.digest();
  Json sections = Json::array();
  auto section = [&](std::string_view key, std::string_view heading,
                     const std::vector<std::uint32_t>& ids) {
    Json ranks = Json::array();
    for (const std::uint32_t id : ids) ranks.push_back(id + 1);
    sections.push_back({{"key", key}, {"heading", heading}, {"groups", std::move(ranks)}});
  };
  section("lessons", t.heading_lessons, digest.lessons);
  section("marked_lessons", t.heading_marked_lessons, digest.marked_lessons);
  section("went_well", t.heading_went_well, digest.went_well);
  section("was_hard", t.heading_was_hard, digest.was_hard);
  section("ideas", t.heading_ideas, digest.ideas);
  return sections;
}

Json json_actions(const core::DigestView& view) {
  Json actions = Json::array();
  const auto today = view.today();
  for (const core::Lesson& lesson : view.digest().open_actions) {
    Json entry;
    entry["lesson"] = lesson.id;
    entry["title"] = lesson.title;
    entry["state"] = core::state_name(lesson.state);
    entry["action"] = or_null(lesson.action);
    entry["owner"] = or_null(lesson.owner);
    entry["due"] = lesson.due ? Json(core::iso_date(*lesson.due)) : Json(nullptr);
    entry["overdue"] = core::is_overdue(lesson, today);
    entry["cities"] = lesson.cities;
    entry["sources"] = lesson.sources;
    entry["text"] = view.action(lesson).text;
    actions.push_back(std::move(entry));
  }
  return actions;
}

// Contributions per phase and per topic.
void json_counts(Json& out, const core::DigestView& view) {
  Json phases = Json::array();
  for (const auto& [tmpl, phase, count] : view.digest().per_phase) {
    phases.push_back({{"template", or_null(tmpl)},
                      {"phase", or_null(phase)},
                      {"label", view.phase_label(phase)},
                      {"contributions", count}});
  }
  out["per_phase"] = std::move(phases);
  Json topics = Json::array();
  for (const auto& [tag, count] : view.digest().per_topic) {
    topics.push_back({{"tag", tag}, {"label", view.tag_label(tag)}, {"contributions", count}});
  }
  out["per_topic"] = std::move(topics);
}

Json json_contributions(const ExportData& data, const core::DigestView& view) {
  Json contributions = Json::array();
  for (std::size_t n = 0; n < data.contributions.size(); ++n) {
    const ExportRow& row = data.contributions[n];
    const core::DigestItem& item = *row.item;
    Json entry;
    entry["number"] = n + 1;
    if (data.with_event_ids) entry["event_id"] = item.id;
    entry["time"] = iso_instant(item.written_at, data.settings.zone);
    entry["city"] = item.city;
    entry["room_id"] = row.source->room_id;
    entry["round"] = row.source->round ? Json(*row.source->round) : Json(nullptr);
    entry["phase"] = or_null(item.phase);
    entry["phase_key"] = or_null(row.source->phase_key);
    entry["via"] = row.source->via;
    entry["tags"] = item.tags;
    entry["votes"] = item.votes;
    entry["group"] = row.group ? Json(*row.group + 1) : Json(nullptr);
    entry["group_title"] =
        row.group ? Json(view.group_title(view.digest().groups[*row.group])) : Json(nullptr);
    entry["author"] = or_null(row.author);
    entry["text"] = item.body;
    contributions.push_back(std::move(entry));
  }
  return contributions;
}

std::string render_json(const ExportData& data) {
  const core::DigestView view = data.view();
  Json out;
  json_head(out, data, view);
  Json groups = Json::array();
  for (const core::DigestGroup& group : view.digest().groups) {
    groups.push_back(json_group(data, view, group));
  }
  out["groups"] = std::move(groups);
  out["sections"] = json_sections(view);
  out["open_actions"] = json_actions(view);
  json_counts(out, view);
  out["contributions"] = json_contributions(data, view);
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

std::optional<ExportFormat> parse_export_format(std::string_view text) {
  if (text == "markdown" || text == "md") return ExportFormat::markdown;
  if (text == "csv") return ExportFormat::csv;
  if (text == "json") return ExportFormat::json;
  if (text == "html") return ExportFormat::html;
  return std::nullopt;
}

std::optional<CsvDialect> parse_csv_dialect(std::string_view text) {
  if (text == "rfc4180") return CsvDialect::rfc4180;
  if (text == "excel-de") return CsvDialect::excel_de;
  return std::nullopt;
}

std::optional<std::chrono::year_month_day> parse_export_date(std::string_view text) {
  // Only full dates: the short forms of core::parse_date ("15.12.") look forward from today.
  const bool iso = text.size() == 10 && text[4] == '-' && text[7] == '-';
  const bool german = text.size() == 10 && text[2] == '.' && text[5] == '.';
  if (!iso && !german) return std::nullopt;
  return core::parse_date(text,
                          std::chrono::year_month_day{std::chrono::year{2000}, std::chrono::January,
                                                      std::chrono::day{1}});
}

ExportPeriod export_period(const DigestSettings& settings, const ExportOptions& options) {
  const core::TimeZone& zone = settings.zone;
  ExportPeriod period;
  if (options.until) {
    period.to =
        local_midnight(zone, std::chrono::local_days{*options.until} + std::chrono::days(1));
  } else {
    period.to = options.now + 1ms;
  }
  if (options.since) {
    period.from = local_midnight(zone, std::chrono::local_days{*options.since});
  } else if (options.until) {
    period.from = local_midnight(
        zone, std::chrono::local_days{*options.until} + std::chrono::days(1 - kDefaultDays));
  } else {
    period.from = options.now - std::chrono::days(kDefaultDays);
  }
  if (period.from >= period.to) {
    if (options.since && options.until) {
      throw ExportError("the period is empty: since " + core::iso_date(*options.since) +
                        " is after until " + core::iso_date(*options.until));
    }
    // Without both, only a --since after today leaves the period empty.
    throw ExportError("the period is empty: since " + core::iso_date(options.since.value()) +
                      " lies in the future");
  }
  return period;
}

std::string export_digest(store::Store& store, const DigestSettings& settings,
                          const ExportOptions& options) {
  const ExportPeriod period = export_period(settings, options);
  const bool english = settings.language == core::Language::en;
  store::ReadSnapshot snapshot(store);
  ExportData data{settings,
                  english ? kEnglish : kGerman,
                  period,
                  resolve_room(store, settings, options.room),
                  options.with_event_ids,
                  {},
                  {},
                  {},
                  {}};
  const DigestBuilder builder(store, settings);
  build(data, store, builder, options.now);
  number_contributions(data);
  switch (options.format) {
    case ExportFormat::markdown:
      return render_markdown(data);
    case ExportFormat::csv:
      return render_csv(data, options.csv_dialect);
    case ExportFormat::json:
      return render_json(data);
    case ExportFormat::html:
      return render_html(data);
  }
  return {};
}

void write_private_file(const std::filesystem::path& file, std::string_view content) {
  const auto fail = [&](const std::string& what, int error) {
    throw std::runtime_error("cannot write " + file.string() + ": " + what + ": " +
                             std::strerror(error));
  };
  const std::filesystem::path folder =
      file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::string pattern = (folder / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());  // mode 0600
  if (fd < 0) fail("cannot create a temporary file in " + folder.string(), errno);
  const std::string temporary = pattern;
  auto abandon = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(what, error);
  };
  if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) abandon("fchmod");
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) abandon("write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail("close", error);
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail("rename", error);
  }
}

}  // namespace reflexbot::app
