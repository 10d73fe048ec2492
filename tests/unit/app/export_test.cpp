// `reflexbot export`: a real store in two cities, exported as Markdown, CSV and JSON.

#include "app/cli/export.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/config/templates.hpp"
#include "store/digests.hpp"

#include "../support/temp_store.hpp"

namespace reflexbot::app {
namespace {

using namespace std::chrono_literals;
using std::chrono::April;
using std::chrono::May;
using Json = nlohmann::json;

// An instant given in UTC; Berlin is UTC+2 in May.
core::TimePoint utc(std::chrono::year_month_day day, int hours, int minutes) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_days{day} + std::chrono::hours(hours) + std::chrono::minutes(minutes));
}

constexpr std::chrono::year_month_day day(int d, std::chrono::month m = May) {
  return std::chrono::year_month_day{std::chrono::year{2026}, m,
                                     std::chrono::day{static_cast<unsigned>(d)}};
}

const std::string kAnna = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const std::string kBen = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const std::string kCarla = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
const std::string kTricky =
    "=SUMME(A1:A9), \"Zitat\"\nzweite Zeile | Pipe *fett* <b>x</b> & [Link](x) #tag";

// RFC 4180: fields separated by commas, records by CRLF, quoted fields may hold both.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      EXPECT_TRUE(field.empty()) << "a quote inside an unquoted field at " << i;
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\r') {
      EXPECT_EQ(text[i + 1], '\n') << "a bare CR at " << i;
      ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      EXPECT_NE(c, '\n') << "a bare LF outside quotes at " << i;
      field += c;
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_TRUE(field.empty() && record.empty()) << "the last record has no CRLF";
  return records;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The cells of a Markdown table row: separators are " | "; a '|' in a cell is escaped ("\|").
std::vector<std::string> cells_of(const std::string& row) {
  EXPECT_TRUE(row.starts_with("| ") && row.ends_with(" |")) << row;
  const std::string inner = row.substr(2, row.size() - 4);
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (auto bar = inner.find(" | "); bar != std::string::npos; bar = inner.find(" | ", start)) {
    cells.push_back(inner.substr(start, bar - start));
    start = bar + 3;
  }
  cells.push_back(inner.substr(start));
  return cells;
}

// The rows of the Markdown table under `heading`, without the header and the delimiter row.
std::vector<std::vector<std::string>> table_under(const std::string& markdown,
                                                  const std::string& heading,
                                                  std::vector<std::string>* header = nullptr) {
  const auto lines = lines_of(markdown);
  auto it = std::find(lines.begin(), lines.end(), heading);
  EXPECT_NE(it, lines.end()) << heading;
  std::vector<std::vector<std::string>> rows;
  if (it == lines.end()) return rows;
  it += 2;  // the heading and a blank line
  if (it == lines.end() || !it->starts_with("| ")) return rows;
  if (header != nullptr) *header = cells_of(*it);
  it += 2;
  for (; it != lines.end() && it->starts_with("| "); ++it) rows.push_back(cells_of(*it));
  return rows;
}

const Json* contribution(const Json& export_json, const std::string& event_id) {
  for (const Json& entry : export_json.at("contributions")) {
    if (entry.at("event_id").get<std::string>() == event_id) return &entry;
  }
  return nullptr;
}

std::vector<std::string> event_ids(const Json& export_json) {
  std::vector<std::string> ids;
  for (const Json& entry : export_json.at("contributions")) {
    ids.push_back(entry.at("event_id").get<std::string>());
  }
  return ids;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.zone = *core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
    settings_.network_room = "!netz:x";
    settings_.rooms = {"!koeln:x", "!leipzig:x", "!netz:x"};
    settings_.cities = {{"!koeln:x", "Köln"}, {"!leipzig:x", "Leipzig"}, {"!netz:x", ""}};
    settings_.templates = load_templates(REFLEXBOT_TEMPLATES_DIR);
    fill_store();
  }

  core::Contribution make(const std::string& id, const std::string& room, const std::string& city,
                          const std::string& author, core::CollectedVia via,
                          const std::string& body, std::vector<std::string> tags,
                          core::TimePoint written_at) {
    core::Contribution c;
    c.event_id = id;
    c.room_id = room;
    c.city = city;
    c.author = author;
    c.via = via;
    c.body = body;
    c.tags = std::move(tags);
    c.written_at = written_at;
    c.collected_at = written_at + 1s;
    return c;
  }

  // Two cities; rooms whose state names Matrix users (which no export may show).
  void fill_store() {
    store::BatchScope batch(*store_);
    for (const auto& [id, name] :
         {std::pair{"!koeln:x", "Reflexion Köln"}, std::pair{"!leipzig:x", "Reflexion Leipzig"}}) {
      store::RoomRecord room;
      room.room_id = id;
      room.membership = "join";
      room.name = name;
      room.authority = {"", {"@creator:example.org"}, true, {{"@mod:example.org", 100}}, 0};
      batch.put_room(room);
    }
    core::Round round;
    round.room_id = "!koeln:x";
    round.template_key = "panreflex";
    round.started_by = kAnna;
    round.started_at = utc(day(6), 8, 0);
    round.phase_started_at = round.started_at;
    round.phase_deadline = round.started_at + 15min;
    round.ended_at = utc(day(6), 9, 0);
    const std::int64_t round_id = batch.save_round(round);
    ASSERT_EQ(round_id, 1);

    using V = core::CollectedVia;
    auto k1 = make("$k1", "!koeln:x", "Köln", kAnna, V::round,
                   "Die Schutzausrüstung im Lager war knapp, die Beschaffung dauerte zu lange. "
                   "#problem",
                   {"problem"}, utc(day(6), 8, 15));
    k1.round = round_id;
    k1.phase_key = "rueckschau";
    ASSERT_TRUE(batch.add_contribution(k1));
    ASSERT_TRUE(batch.add_contribution(
        make("$l1", "!leipzig:x", "Leipzig", kBen, V::tag,
             "Schutzausrüstung: die Beschaffung über das zentrale Lager hat gut geklappt #erfolg",
             {"erfolg"}, utc(day(7), 12, 30))));
    ASSERT_TRUE(batch.add_contribution(
        make("$k2", "!koeln:x", "Köln", "", V::anonymous, kTricky, {"idee"}, utc(day(8), 7, 0))));
    ASSERT_TRUE(batch.add_contribution(
        make("$l2", "!leipzig:x", "Leipzig", kCarla, V::pin,
             "- Die Pressearbeit lief über einen festen Sprecher. #idee #kommunikation",
             {"idee", "kommunikation"}, utc(day(9), 10, 0))));
    // 23:30 on 11 May in Berlin, and 00:30 on 12 May in Berlin (still 11 May in UTC).
    ASSERT_TRUE(batch.add_contribution(make("$l3", "!leipzig:x", "Leipzig", kBen, V::tag,
                                            "Spät am Abend: Lagebild aktualisiert #lehre",
                                            {"lehre"}, utc(day(11), 21, 30))));
    ASSERT_TRUE(batch.add_contribution(make("$l4", "!leipzig:x", "Leipzig", kBen, V::tag,
                                            "Nach Mitternacht: Schichtwechsel geplant #lehre",
                                            {"lehre"}, utc(day(11), 22, 30))));
    // Before the default period: on 20 April.
    ASSERT_TRUE(batch.add_contribution(make("$k0", "!koeln:x", "Köln", kAnna, V::tag,
                                            "Alte Erkenntnis zur Sirenenwarnung #lehre", {"lehre"},
                                            utc(day(20, April), 10, 0))));
    ASSERT_TRUE(batch.add_vote("$v1", "$k1", kBen));
    ASSERT_TRUE(batch.add_vote("$v2", "$k1", kCarla));

    const std::int64_t lesson = batch.create_lesson("!koeln:x", "Schutzausrüstung zentral lagern",
                                                    {"$k1", "$l1"}, utc(day(10), 9, 0));
    batch.set_action(lesson, "Lager zentral einrichten", "Gesundheitsamt",
                     std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December,
                                                 std::chrono::day{15}},
                     utc(day(10), 9, 5));
    batch.create_lesson("!leipzig:x", "Pressesprecher festlegen", {"$l2"}, utc(day(10), 10, 0));
    batch.commit();
  }

  std::string run(ExportFormat format, std::string room = "",
                  std::optional<std::chrono::year_month_day> since = std::nullopt,
                  std::optional<std::chrono::year_month_day> until = std::nullopt) {
    ExportOptions options;
    options.format = format;
    options.room = std::move(room);
    options.since = since;
    options.until = until;
    options.with_event_ids = with_event_ids_;
    options.now = now_;
    return export_digest(*store_, settings_, options);
  }
  Json run_json(std::string room = "",
                std::optional<std::chrono::year_month_day> since = std::nullopt,
                std::optional<std::chrono::year_month_day> until = std::nullopt) {
    return Json::parse(run(ExportFormat::json, std::move(room), since, until));
  }

  test::TempStore store_{"export"};
  DigestSettings settings_;
  bool with_event_ids_ = false;  // --with-event-ids: the tests that pick contributions by id
  const core::TimePoint now_ = utc(day(12), 8, 0);  // Tuesday 12 May 2026, 10:00 in Berlin
};

TEST_F(ExportTest, MarkdownHasTheDigestSectionsAndATableOfEveryContribution) {
  const std::string md = run(ExportFormat::markdown);
  const auto lines = lines_of(md);
  ASSERT_GE(lines.size(), 6U);
  EXPECT_EQ(lines[0], "# Digest des Netzwerks");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "**Zeitraum:** 05.05.2026 – 12.05.2026\\");
  EXPECT_EQ(lines[3], "**Exportiert am:** 12.05.2026 10:00");
  EXPECT_EQ(lines[5],
            "6 Beiträge (davon 1 anonym) von 3 Personen aus 2 Städten: Köln und Leipzig.");

  // The sections of the chat digest, in its order, then the export's own.
  std::vector<std::string> headings;
  for (const auto& line : lines) {
    if (line.starts_with("## ")) headings.push_back(line);
  }
  // A group is listed once: the tagged groups of this period are all in the first section but
  // the single contributions tagged as lessons and one single idea.
  const std::vector<std::string> expected_headings = {
      "## Mehrfach genannt", "## Als Lehre markiert", "## Ideen",   "## Offene Maßnahmen",
      "## Zahlen",           "## Alle Gruppen",       "## Beiträge"};
  EXPECT_EQ(headings, expected_headings);

  EXPECT_NE(md.find("\n- L1 Schutzausrüstung zentral lagern: Lager zentral einrichten – "
                    "Gesundheitsamt, bis 15.12.2026 (Köln und Leipzig)\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("\n- L2 Pressesprecher festlegen: noch ohne Maßnahme (Leipzig)\n"),
            std::string::npos);
  EXPECT_NE(md.find("\nNach Phase: „Rückschau“ 1; außerhalb von Runden 5\n"), std::string::npos);
  EXPECT_NE(md.find("\nNach Thema: Kommunikation 1\n"), std::string::npos);

  std::vector<std::string> header;
  const auto rows = table_under(md, "## Beiträge", &header);
  const std::vector<std::string> expected_header = {"Zeit",    "Stadt",  "Raum",
                                                    "Phase",   "Weg",    "Schlagwörter",
                                                    "Stimmen", "Gruppe", "Autor (Pseudonym)",
                                                    "Text"};
  EXPECT_EQ(header, expected_header);
  ASSERT_EQ(rows.size(), 6U);
  for (const auto& row : rows) EXPECT_EQ(row.size(), 10U);
  EXPECT_EQ(rows[0][0], "2026-05-06 10:15");
  EXPECT_EQ(rows[0][1], "Köln");
  EXPECT_EQ(rows[0][2], "!koeln:x");
  EXPECT_EQ(rows[0][3], "Rückschau");
  EXPECT_EQ(rows[0][4], "Runde");
  EXPECT_EQ(rows[0][5], "\\#problem");
  EXPECT_EQ(rows[0][6], "2");
  EXPECT_EQ(rows[0][8], "Person 1");  // numbered in this export, not the stored pseudonym
  EXPECT_EQ(rows[1][4], "Schlagwort");
  // The anonymous contribution: markup escaped, the line break shown, no raw HTML.
  EXPECT_EQ(rows[2][0], "2026-05-08 09:00");
  EXPECT_EQ(rows[2][4], "Anonym");
  EXPECT_EQ(rows[2][8], "Anonym");
  EXPECT_EQ(rows[2][9],
            "\\=SUMME(A1:A9), \"Zitat\" ↵ zweite Zeile \\| Pipe \\*fett\\* \\<b\\>x\\</b\\> \\& "
            "\\[Link\\](x) \\#tag");
  EXPECT_EQ(rows[3][4], "Pin (📌)");
  EXPECT_EQ(rows[3][5], "\\#idee \\#kommunikation");
  EXPECT_EQ(rows[3][9],
            "\\- Die Pressearbeit lief über einen festen Sprecher. \\#idee "
            "\\#kommunikation");
  EXPECT_EQ(rows[4][0], "2026-05-11 23:30");
  EXPECT_EQ(rows[5][0], "2026-05-12 00:30");

  // Every contribution's group is a row of "Alle Gruppen".
  const auto groups = table_under(md, "## Alle Gruppen");
  ASSERT_FALSE(groups.empty());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    ASSERT_EQ(groups[g].size(), 8U);
    EXPECT_EQ(groups[g][0], std::to_string(g + 1));
  }
  int members = 0;
  for (const auto& group : groups) members += std::stoi(group[3]);
  EXPECT_EQ(members, 6);
  for (const auto& row : rows) {
    const int group = std::stoi(row[7]);
    EXPECT_GE(group, 1);
    EXPECT_LE(group, static_cast<int>(groups.size()));
  }

  // No HTML: every '<' is escaped; the contribution from April is not in the period.
  for (std::size_t at = md.find('<'); at != std::string::npos; at = md.find('<', at + 1)) {
    EXPECT_EQ(md[at - 1], '\\') << md.substr(at > 20 ? at - 20 : 0, 40);
  }
  EXPECT_EQ(md.find("Sirenenwarnung"), std::string::npos);
  EXPECT_TRUE(md.ends_with("_\n"));
}

TEST_F(ExportTest, CsvIsRfc4180WithGroupsAndGuardsAgainstFormulas) {
  const std::string text = run(ExportFormat::csv);
  const auto records = read_csv(text);
  ASSERT_EQ(records.size(), 7U);
  const std::vector<std::string> header = {
      "Zeit",         "Stadt",   "Raum",   "Phase",        "Weg",
      "Schlagwörter", "Stimmen", "Gruppe", "Gruppentitel", "Autor (Pseudonym)",
      "Text"};
  EXPECT_EQ(records[0], header);
  for (const auto& record : records) EXPECT_EQ(record.size(), header.size());

  EXPECT_EQ(records[1][0], "2026-05-06 10:15");
  EXPECT_EQ(records[1][3], "Rückschau");
  EXPECT_EQ(records[1][4], "Runde");
  EXPECT_EQ(records[1][5], "#problem");
  EXPECT_EQ(records[1][6], "2");
  EXPECT_EQ(records[1][9], "Person 1");
  // Commas, quotes and the line break survive; the leading '=' is neutralised with a "'".
  EXPECT_EQ(records[3][10], "'" + kTricky);
  EXPECT_EQ(records[3][9], "Anonym");
  EXPECT_EQ(records[4][10],
            "'- Die Pressearbeit lief über einen festen Sprecher. #idee "
            "#kommunikation");
  EXPECT_NE(text.find("\"'=SUMME(A1:A9), \"\"Zitat\"\"\nzweite Zeile"), std::string::npos);

  // Group number and title agree with the JSON export (same rows in the same order).
  const Json json = run_json();
  const Json& groups = json.at("groups");
  ASSERT_EQ(json.at("contributions").size(), records.size() - 1);
  for (std::size_t r = 1; r < records.size(); ++r) {
    const std::size_t rank = std::stoul(records[r][7]);
    ASSERT_GE(rank, 1U);
    ASSERT_LE(rank, groups.size());
    // A single contribution is titled by its words, so a title may start as a formula does: the
    // CSV field is guarded as the text's is.
    const std::string title = groups[rank - 1].at("title").get<std::string>();
    const bool formula =
        !title.empty() && std::string_view("=+-@").find(title[0]) != std::string_view::npos;
    EXPECT_EQ(records[r][8], (formula ? "'" : "") + title);
    const Json& entry = json.at("contributions")[r - 1];
    EXPECT_EQ(entry.at("number").get<std::size_t>(), r);
    EXPECT_EQ(entry.at("group").get<std::size_t>(), rank);
  }
}

TEST_F(ExportTest, JsonHasPeriodScopeGroupsSectionsActionsAndContributions) {
  const Json json = run_json();
  EXPECT_EQ(json.at("title"), "Digest des Netzwerks");
  EXPECT_EQ(json.at("language"), "de");
  EXPECT_EQ(json.at("generated_at"), "2026-05-12T10:00:00+02:00");
  EXPECT_EQ(json.at("period").at("from"), "2026-05-05");
  EXPECT_EQ(json.at("period").at("to"), "2026-05-12");
  EXPECT_EQ(json.at("scope").at("network"), true);
  EXPECT_TRUE(json.at("scope").at("room_id").is_null());
  EXPECT_EQ(json.at("overview").at("contributions"), 6);
  EXPECT_EQ(json.at("overview").at("participants"), 3);  // the anonymous one is no person
  EXPECT_EQ(json.at("overview").at("anonymous"), 1);
  EXPECT_EQ(json.at("overview").at("cities"), Json::array({"Köln", "Leipzig"}));

  const Json& groups = json.at("groups");
  ASSERT_FALSE(groups.empty());
  int members = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Json& group = groups[g];
    EXPECT_EQ(group.at("rank"), g + 1);
    EXPECT_FALSE(group.at("title").get<std::string>().empty());
    EXPECT_TRUE(group.at("keywords").is_array());
    EXPECT_EQ(group.at("contributions").get<std::size_t>(), group.at("members").size());
    EXPECT_LE(group.at("participants").get<int>() + group.at("anonymous").get<int>(),
              group.at("contributions").get<int>());
    EXPECT_EQ(group.at("new"), true);  // nothing in the previous period
    EXPECT_EQ(group.at("growing"), false);
    members += group.at("contributions").get<int>();
    for (const Json& quote : group.at("quotes")) {
      const auto number = quote.at("contribution").get<std::size_t>();
      EXPECT_NE(std::find(group.at("members").begin(), group.at("members").end(), Json(number)),
                group.at("members").end());
      EXPECT_EQ(json.at("contributions")[number - 1].at("group"), group.at("rank"));
      EXPECT_FALSE(quote.at("text").get<std::string>().empty());
    }
  }
  EXPECT_EQ(members, 6);

  std::vector<std::string> keys;
  for (const Json& section : json.at("sections")) {
    keys.push_back(section.at("key").get<std::string>());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"lessons", "marked_lessons", "went_well", "was_hard",
                                            "ideas"}));
  EXPECT_EQ(json.at("sections")[0].at("heading"), "Mehrfach genannt");

  const Json& actions = json.at("open_actions");
  ASSERT_EQ(actions.size(), 2U);
  EXPECT_EQ(actions[0].at("lesson"), 1);
  EXPECT_EQ(actions[0].at("title"), "Schutzausrüstung zentral lagern");
  EXPECT_EQ(actions[0].at("state"), "action");
  EXPECT_EQ(actions[0].at("action"), "Lager zentral einrichten");
  EXPECT_EQ(actions[0].at("owner"), "Gesundheitsamt");
  EXPECT_EQ(actions[0].at("due"), "2026-12-15");
  EXPECT_EQ(actions[0].at("overdue"), false);
  EXPECT_EQ(actions[0].at("cities"), Json::array({"Köln", "Leipzig"}));
  EXPECT_EQ(actions[1].at("lesson"), 2);
  EXPECT_EQ(actions[1].at("state"), "identified");
  EXPECT_TRUE(actions[1].at("due").is_null());
  EXPECT_TRUE(actions[1].at("owner").is_null());

  EXPECT_EQ(
      json.at("per_phase"),
      Json::parse(
          R"([{"template":"panreflex","phase":"Rückschau","label":"Rückschau","contributions":1},
                            {"template":null,"phase":null,"label":"außerhalb von Runden","contributions":5}])"));
  EXPECT_EQ(json.at("per_topic"),
            Json::parse(R"([{"tag":"kommunikation","label":"Kommunikation","contributions":1}])"));

  const Json& all = json.at("contributions");
  ASSERT_EQ(all.size(), 6U);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].at("number"), i + 1);
  const Json& k1 = all[0];
  EXPECT_EQ(k1.at("time"), "2026-05-06T10:15:00+02:00");
  EXPECT_EQ(k1.at("city"), "Köln");
  EXPECT_EQ(k1.at("room_id"), "!koeln:x");
  EXPECT_EQ(k1.at("round"), 1);
  EXPECT_EQ(k1.at("phase"), "Rückschau");
  EXPECT_EQ(k1.at("phase_key"), "rueckschau");
  EXPECT_EQ(k1.at("via"), "round");
  EXPECT_EQ(k1.at("tags"), Json::array({"problem"}));
  EXPECT_EQ(k1.at("votes"), 2);
  EXPECT_EQ(k1.at("author"), "Person 1");
  const Json& k2 = all[2];
  EXPECT_TRUE(k2.at("author").is_null());
  EXPECT_TRUE(k2.at("round").is_null());
  EXPECT_TRUE(k2.at("phase").is_null());
  EXPECT_EQ(k2.at("via"), "anonymous");
  EXPECT_EQ(k2.at("text"), kTricky);
  EXPECT_EQ(k2.at("group_title"),
            groups[k2.at("group").get<std::size_t>() - 1].at("title").get<std::string>());
}

// Exports keep the moderators' corrections: two contributions pinned to one curated group of
// the network are one group, titled by its name.
TEST_F(ExportTest, ExportsKeepTheModeratorsCorrections) {
  {
    store::BatchScope batch(*store_);
    const std::int64_t id = batch.curate("", {"$l3", "$l4"}, utc(day(12), 7, 0));
    batch.rename_curated(id, "Nachtdienst", utc(day(12), 7, 0));
    batch.commit();
  }
  const Json json = run_json();
  const Json* named = nullptr;
  for (const Json& group : json.at("groups")) {
    if (group.at("title") == "Nachtdienst") named = &group;
  }
  ASSERT_NE(named, nullptr) << json.at("groups").dump();
  EXPECT_EQ(named->at("contributions"), 2);
  EXPECT_NE(run(ExportFormat::markdown).find("Nachtdienst"), std::string::npos);
  // A city's own export is another scope: the network's correction is not its.
  EXPECT_EQ(run(ExportFormat::markdown, "Leipzig").find("Nachtdienst"), std::string::npos);
}

// A single contribution is shown as its quote, once: the report gives it no heading that repeats
// the quote. One a moderator named shows its name, in the report and in Markdown.
TEST_F(ExportTest, ASingleContributionIsItsQuoteUnlessAModeratorNamedIt) {
  std::vector<std::string> headings;
  const auto read_headings = [&](const std::string& html) {
    headings.clear();
    for (std::size_t at = html.find("<h3>"); at != std::string::npos;
         at = html.find("<h3>", at + 4)) {
      headings.push_back(html.substr(at + 4, html.find("</h3>", at) - at - 4));
    }
  };
  const std::string before = run(ExportFormat::html);
  ASSERT_NE(before.find("Die Pressearbeit lief über einen festen Sprecher."), std::string::npos);
  read_headings(before);
  for (const auto& heading : headings) {
    EXPECT_EQ(heading.find("Pressearbeit"), std::string::npos) << heading;
  }
  {
    store::BatchScope batch(*store_);
    const std::int64_t id = batch.curate_alone("", "$l2", utc(day(12), 7, 0));
    batch.rename_curated(id, "Pressesprecher", utc(day(12), 7, 0));
    batch.commit();
  }
  read_headings(run(ExportFormat::html));
  EXPECT_TRUE(std::any_of(headings.begin(), headings.end(), [](const std::string& heading) {
    return heading.starts_with("Pressesprecher");
  })) << ::testing::PrintToString(headings);
  EXPECT_NE(run(ExportFormat::markdown).find("**Pressesprecher**"), std::string::npos);
}

TEST_F(ExportTest, PeriodIsWholeLocalDaysBothIncluded) {
  with_event_ids_ = true;
  // 11 May in Berlin ends at 22:00 UTC: $l4 (00:30 on 12 May) is not in it.
  Json json = run_json("", day(11), day(11));
  EXPECT_EQ(event_ids(json), std::vector<std::string>{"$l3"});
  EXPECT_EQ(json.at("period").at("from"), "2026-05-11");
  EXPECT_EQ(json.at("period").at("to"), "2026-05-11");
  EXPECT_EQ(json.at("period").at("start"), "2026-05-11T00:00:00+02:00");
  EXPECT_EQ(json.at("period").at("end"), "2026-05-12T00:00:00+02:00");

  json = run_json("", day(20, April), day(20, April));
  EXPECT_EQ(event_ids(json), std::vector<std::string>{"$k0"});

  // Only --until: the 7 days ending with it.
  json = run_json("", std::nullopt, day(10));
  EXPECT_EQ(json.at("period").at("from"), "2026-05-04");
  EXPECT_EQ(event_ids(json), (std::vector<std::string>{"$k1", "$l1", "$k2", "$l2"}));

  // Only --since: up to now.
  json = run_json("", day(9));
  EXPECT_EQ(event_ids(json), (std::vector<std::string>{"$l2", "$l3", "$l4"}));
  EXPECT_EQ(json.at("period").at("to"), "2026-05-12");

  EXPECT_THROW(run(ExportFormat::json, "", day(10), day(9)), ExportError);
  EXPECT_THROW(run(ExportFormat::json, "", day(13)), ExportError);
}

TEST_F(ExportTest, RoomIsARoomIdOrAConfiguredCity) {
  with_event_ids_ = true;
  Json json = run_json("Leipzig");
  EXPECT_EQ(event_ids(json), (std::vector<std::string>{"$l1", "$l2", "$l3", "$l4"}));
  EXPECT_EQ(json.at("title"), "Digest für Leipzig");
  EXPECT_EQ(json.at("scope").at("network"), false);
  EXPECT_EQ(json.at("scope").at("room_id"), "!leipzig:x");
  EXPECT_EQ(json.at("scope").at("city"), "Leipzig");
  ASSERT_EQ(json.at("open_actions").size(), 1U);
  EXPECT_EQ(json.at("open_actions")[0].at("lesson"), 2);

  json = run_json("!koeln:x");
  EXPECT_EQ(event_ids(json), (std::vector<std::string>{"$k1", "$k2"}));
  EXPECT_EQ(event_ids(run_json("KÖLN")), event_ids(json));  // the case does not matter

  EXPECT_EQ(event_ids(run_json("!netz:x")).size(), 6U);  // the network room: every room
  EXPECT_THROW(run(ExportFormat::json, "Bonn"), ExportError);
  EXPECT_THROW(run(ExportFormat::json, "!bonn:x"), ExportError);

  const std::string md = run(ExportFormat::markdown, "Leipzig");
  EXPECT_TRUE(md.starts_with("# Digest für Leipzig\n")) << md;
  EXPECT_EQ(table_under(md, "## Beiträge").size(), 4U);
}

TEST_F(ExportTest, NoMatrixUserIdAppearsInAnyFormat) {
  for (const auto format : {ExportFormat::markdown, ExportFormat::csv, ExportFormat::json}) {
    const std::string text = run(format);
    EXPECT_EQ(text.find('@'), std::string::npos) << text;
    EXPECT_EQ(text.find("example.org"), std::string::npos);
  }
}

// Event ids would let anyone who can read the room tie a row to a Matrix account, and with it
// every other row of the same author.
TEST_F(ExportTest, NoEventIdsByDefaultInAnyFormat) {
  for (const auto format : {ExportFormat::markdown, ExportFormat::csv, ExportFormat::json}) {
    for (const std::string room : {"", "Leipzig"}) {
      const std::string text = run(format, room);
      EXPECT_EQ(text.find('$'), std::string::npos) << text;  // every event id starts with '$'
    }
  }
  const Json json = run_json();
  for (const Json& entry : json.at("contributions")) EXPECT_FALSE(entry.contains("event_id"));
  for (const Json& group : json.at("groups")) {
    for (const Json& quote : group.at("quotes")) EXPECT_FALSE(quote.contains("event_id"));
  }
}

std::vector<Json> authors_of(const Json& export_json) {
  std::vector<Json> authors;
  for (const Json& entry : export_json.at("contributions")) authors.push_back(entry.at("author"));
  return authors;
}

// The stored pseudonym is the same in every room and period, so two exports could be joined by
// it; each export numbers the people it shows instead, in order of their first contribution.
TEST_F(ExportTest, AuthorsAreNumberedPerExportNotByTheStoredPseudonym) {
  for (const auto format : {ExportFormat::markdown, ExportFormat::csv, ExportFormat::json}) {
    for (const std::string room : {"", "Köln", "Leipzig"}) {
      const std::string text = run(format, room);
      for (const std::string& pseudonym : {kAnna, kBen, kCarla}) {
        EXPECT_EQ(text.find(pseudonym), std::string::npos) << text;
        EXPECT_EQ(text.find(pseudonym.substr(0, 8)), std::string::npos) << text;
      }
    }
  }
  // Network: Anna, Ben, anonymous, Carla, Ben, Ben.
  EXPECT_EQ(authors_of(run_json()), (std::vector<Json>{"Person 1", "Person 2", nullptr, "Person 3",
                                                       "Person 2", "Person 2"}));
  // Leipzig alone: Ben is now the first person, so the two exports cannot be joined by author.
  EXPECT_EQ(authors_of(run_json("Leipzig")),
            (std::vector<Json>{"Person 1", "Person 2", "Person 1", "Person 1"}));
  EXPECT_EQ(authors_of(run_json("", day(9))),
            (std::vector<Json>{"Person 1", "Person 2", "Person 2"}));

  const auto records = read_csv(run(ExportFormat::csv, "Leipzig"));
  ASSERT_EQ(records.size(), 5U);
  EXPECT_EQ(records[1][9], "Person 1");
  EXPECT_EQ(records[2][9], "Person 2");
  const auto rows = table_under(run(ExportFormat::markdown), "## Beiträge");
  ASSERT_EQ(rows.size(), 6U);
  EXPECT_EQ(rows[1][8], "Person 2");
  EXPECT_EQ(rows[2][8], "Anonym");
}

// --with-event-ids, for audits: the event ids come back in every format; people stay numbered.
TEST_F(ExportTest, WithEventIdsAddsThemBackForAudits) {
  with_event_ids_ = true;
  const auto records = read_csv(run(ExportFormat::csv));
  ASSERT_EQ(records.size(), 7U);
  ASSERT_EQ(records[0].size(), 12U);
  EXPECT_EQ(records[0][11], "Event-ID");
  EXPECT_EQ(records[1][11], "$k1");
  EXPECT_EQ(records[1][9], "Person 1");
  EXPECT_EQ(records[3][11], "$k2");

  const Json json = run_json();
  EXPECT_EQ(event_ids(json), (std::vector<std::string>{"$k1", "$l1", "$k2", "$l2", "$l3", "$l4"}));
  EXPECT_EQ(contribution(json, "$l1")->at("author"), "Person 2");
  for (const Json& group : json.at("groups")) {
    for (const Json& quote : group.at("quotes")) {
      const auto number = quote.at("contribution").get<std::size_t>();
      EXPECT_EQ(quote.at("event_id"), json.at("contributions")[number - 1].at("event_id"));
    }
  }

  std::vector<std::string> header;
  const auto rows = table_under(run(ExportFormat::markdown), "## Beiträge", &header);
  ASSERT_EQ(header.size(), 11U);
  EXPECT_EQ(header[10], "Event-ID");
  ASSERT_EQ(rows.size(), 6U);
  EXPECT_EQ(rows[0][10], "$k1");
  EXPECT_EQ(rows[0][8], "Person 1");
  for (const auto format : {ExportFormat::markdown, ExportFormat::csv, ExportFormat::json}) {
    EXPECT_EQ(run(format).find(kAnna), std::string::npos);
  }
}

TEST_F(ExportTest, EnglishLabelsWhenTheConfigSaysEn) {
  settings_.language = core::Language::en;
  const std::string md = run(ExportFormat::markdown);
  EXPECT_TRUE(md.starts_with("# Network digest\n\n**Period:** 2026-05-05 – 2026-05-12\\\n")) << md;
  EXPECT_NE(md.find("\n## Raised more than once\n"), std::string::npos);
  EXPECT_NE(md.find("\n## Open actions\n"), std::string::npos);
  EXPECT_NE(md.find("\n## All groups\n"), std::string::npos);
  std::vector<std::string> header;
  const auto rows = table_under(md, "## Contributions", &header);
  EXPECT_EQ(header, (std::vector<std::string>{"Time", "City", "Room", "Phase", "Via", "Tags",
                                              "Votes", "Group", "Author (pseudonym)", "Text"}));
  ASSERT_EQ(rows.size(), 6U);
  EXPECT_EQ(rows[0][3], "Looking back");
  EXPECT_EQ(rows[0][8], "Person 1");
  EXPECT_EQ(rows[0][4], "Round");
  EXPECT_EQ(rows[2][8], "Anonymous");
  EXPECT_NE(md.find("due 2026-12-15"), std::string::npos);

  const auto records = read_csv(run(ExportFormat::csv));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0][0], "Time");
  EXPECT_EQ(records[0][8], "Group title");
  const Json json = run_json();
  EXPECT_EQ(json.at("language"), "en");
  EXPECT_EQ(json.at("sections")[0].at("heading"), "Raised more than once");
}

TEST_F(ExportTest, EmptyPeriodStillHasTitleActionsAndAnEmptyTable) {
  const std::string md = run(ExportFormat::markdown, "", day(1, April), day(2, April));
  EXPECT_NE(md.find("In diesem Zeitraum wurde nichts gesammelt."), std::string::npos);
  EXPECT_NE(md.find("## Offene Maßnahmen"), std::string::npos);
  EXPECT_NE(md.find("## Beiträge\n\nKeine Beiträge in diesem Zeitraum.\n"), std::string::npos);
  EXPECT_EQ(read_csv(run(ExportFormat::csv, "", day(1, April), day(2, April))).size(), 1U);
  const Json json = run_json("", day(1, April), day(2, April));
  EXPECT_TRUE(json.at("contributions").empty());
  EXPECT_TRUE(json.at("groups").empty());
}

TEST_F(ExportTest, ReadsBesideTheBotsOpenWriteTransaction) {
  with_event_ids_ = true;
  store::Store bot(store_.path());
  store::BatchScope batch(bot);  // BEGIN IMMEDIATE, as the bot's sync batches
  ASSERT_TRUE(batch.add_contribution(make("$uncommitted", "!koeln:x", "Köln", kAnna,
                                          core::CollectedVia::tag, "Noch offen #lehre", {"lehre"},
                                          utc(day(11), 10, 0))));
  const Json json = run_json();
  EXPECT_EQ(event_ids(json).size(), 6U);
  EXPECT_EQ(contribution(json, "$uncommitted"), nullptr);
}

TEST_F(ExportTest, InvalidUtf8IsReplacedInJson) {
  with_event_ids_ = true;
  {
    store::BatchScope batch(*store_);
    ASSERT_TRUE(
        batch.add_contribution(make("$bad", "!koeln:x", "Köln", kAnna, core::CollectedVia::tag,
                                    "kaputt \xff\xfe #lehre", {"lehre"}, utc(day(11), 10, 0))));
    batch.commit();
  }
  const Json json = run_json();
  EXPECT_EQ(contribution(json, "$bad")->at("text"), "kaputt \xEF\xBF\xBD\xEF\xBF\xBD #lehre");
}

TEST(ExportOptions, FormatsAndDates) {
  EXPECT_EQ(parse_export_format("markdown"), ExportFormat::markdown);
  EXPECT_EQ(parse_export_format("md"), ExportFormat::markdown);
  EXPECT_EQ(parse_export_format("csv"), ExportFormat::csv);
  EXPECT_EQ(parse_export_format("json"), ExportFormat::json);
  EXPECT_EQ(parse_export_format("xlsx"), std::nullopt);
  EXPECT_EQ(parse_export_date("2026-05-04"), day(4));
  EXPECT_EQ(parse_export_date("04.05.2026"), day(4));
  EXPECT_EQ(parse_export_date("4.5."), std::nullopt);
  EXPECT_EQ(parse_export_date("2026-02-30"), std::nullopt);
  EXPECT_EQ(parse_export_date("gestern"), std::nullopt);
}

TEST(ExportFile, IsWrittenWithMode0600ThroughARename) {
  const test::TempDir temp("export-file");
  const auto& dir = temp.path();
  const auto file = dir / "bericht.md";
  {
    std::ofstream old(file);
    old << "old and longer content";
  }
  std::filesystem::permissions(file, std::filesystem::perms(0644));
  write_private_file(file, "neu\n");
  std::ifstream in(file);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "neu\n");
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator{}),
            1);  // no temporary file left
  EXPECT_THROW(write_private_file(dir / "missing" / "x.md", "x"), std::runtime_error);
}

}  // namespace
}  // namespace reflexbot::app
