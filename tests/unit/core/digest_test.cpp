#include "core/digest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/lesson.hpp"

namespace reflexbot::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TimePoint at(sys_days day, hours h = 0h, minutes m = 0min) {
  return time_point_cast<milliseconds>(sys_time<milliseconds>{day + h + m});
}

const TimeZone& berlin() {
  static const TimeZone zone = *TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
  return zone;
}

DigestItem item(std::string id, std::string city, std::string author, std::string body,
                std::vector<std::string> tags, std::string phase, int votes, TimePoint when,
                bool current = true) {
  return DigestItem{std::move(id),
                    std::move(city),
                    std::move(author),
                    std::move(body),
                    std::move(tags),
                    std::move(phase),
                    votes,
                    when,
                    current};
}

// The period 19.11.–25.11.2026 in Berlin: [18.11. 23:00 UTC, 25.11. 23:00 UTC).
DigestRequest november_request() {
  DigestRequest request;
  request.from = at(sys_days{2026y / November / 18}, 23h);
  request.to = at(sys_days{2026y / November / 25}, 23h);
  request.now = at(sys_days{2026y / November / 26}, 8h);
  request.zone = berlin();
  return request;
}

std::vector<DigestItem> november_items() {
  const sys_days day = 2026y / November / 20;
  return {
      item("$1", "Köln", "p1",
           "Die FFP2-Masken waren viel zu spät bestellt, die Preise explodierten. #problem",
           {"problem"}, "Rückschau", 2, at(day, 9h)),
      item("$2", "Leipzig", "p2",
           "Masken und Schutzausrüstung hätten wir früher zentral beschaffen müssen. #lehre",
           {"lehre"}, "Rückschau", 1, at(day, 9h, 5min)),
      item("$3", "Dresden", "p3",
           "Schutzausrüstung: wir haben Masken bei dubiosen Händlern bestellt, teuer und schlecht.",
           {}, "Bestandsaufnahme", 0, at(day, 9h, 10min)),
      item("$4", "Köln", "p4",
           "Das Bürgertelefon war in der ersten Woche völlig überlastet. #frust", {"frust"},
           "Bestandsaufnahme", 0, at(day, 9h, 15min)),
      item("$5", "Leipzig", "p5",
           "Unsere Hotline brauchte doppelt so viel Personal, die Anrufe stapelten sich.", {}, "",
           0, at(day, 9h, 20min)),
      item("$6", "Köln", "p1",
           "Stolz auf das Team im Gesundheitsamt: alle haben zusammengehalten. #stolz", {"stolz"},
           "Ausblick", 3, at(day, 9h, 25min)),
      item("$7", "Leipzig", "",
           "#idee Ein gemeinsamer Vorrat an Schutzausrüstung und Masken für die ganze Region.",
           {"idee"}, "Ausblick", 0, at(day, 9h, 30min)),
      item("$8", "Dresden", "p6", "Hotline überlastet, keiner kam beim Bürgertelefon durch.", {},
           "", 0, at(sys_days{2026y / November / 12}, 10h), false),
  };
}

std::vector<Lesson> november_lessons() {
  Lesson overdue;
  overdue.id = 3;
  overdue.title = "Schutzausrüstung zentral lagern";
  overdue.state = LessonState::action;
  overdue.action = "Lager für acht Wochen anlegen";
  overdue.owner = "Gesundheitsamt";
  overdue.due = 2026y / November / 20;
  overdue.cities = {"Köln", "Leipzig"};
  Lesson identified;
  identified.id = 5;
  identified.title = "Bürgertelefon skalieren";
  Lesson learned;
  learned.id = 1;
  learned.title = "Krisenstab früh einberufen";
  learned.state = LessonState::learned;
  return {identified, learned, overdue};
}

TEST(Digest, GoldenNetworkDigestInGerman) {
  const auto items = november_items();
  const auto lessons = november_lessons();
  const Digest digest = build_digest(items, lessons, november_request());
  const auto notices = render_digest(digest, items);
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0].text,
            R"(Digest des Netzwerks · 19.11.2026 – 25.11.2026
7 Beiträge (davon 1 anonym) von 5 Personen aus 3 Städten: Dresden, Köln und Leipzig.

Mehrfach genannt
1. Masken und Schutzausrüstung (neu)
   Leipzig, Dresden und Köln · 4 Beiträge (davon 1 anonym) von 3 Personen · 3 👍 · 1 × Lehre, 1 × Problem, 1 × Idee
   „Die FFP2-Masken waren viel zu spät bestellt, die Preise explodierten.“ (Köln)
   „Masken und Schutzausrüstung hätten wir früher zentral beschaffen müssen.“ (Leipzig)
2. Bürgertelefon (wächst, vorher 1)
   Köln und Leipzig · 2 Beiträge von 2 Personen · 1 × Frust
   „Unsere Hotline brauchte doppelt so viel Personal, die Anrufe stapelten sich.“ (Leipzig)
   „Das Bürgertelefon war in der ersten Woche völlig überlastet.“ (Köln)

Was gut lief
– „Stolz auf das Team im Gesundheitsamt: alle haben zusammengehalten.“ (Köln)

Offene Maßnahmen
– L3 Schutzausrüstung zentral lagern: Lager für acht Wochen anlegen – Gesundheitsamt, bis 20.11.2026 (überfällig) (Köln und Leipzig)
– L5 Bürgertelefon skalieren: noch ohne Maßnahme

Zahlen
Nach Phase: „Rückschau“ 2, „Bestandsaufnahme“ 2, „Ausblick“ 2; außerhalb von Runden 1

Moderation: !lehre <Nr.> hält eine Gruppe als Lehre fest.)");
}

// A group appears once: a group the numbered section lists is not listed again under "Was schwer
// war" or "Ideen" (its signals are on its line); those sections show other groups, each in the
// one section most of its tagged members belong to.
TEST(Digest, AGroupAppearsOnceWithItsSignalsOnItsLine) {
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items = november_items();
  // A group that is not among the top one, with a #problem and two #idee members.
  items.push_back(item("$9", "Kiel", "q1", "Sirenen stumm, die Warnung kam nicht an. #idee",
                       {"idee"}, "", 0, at(day, 11h)));
  items.push_back(item("$10", "Mainz", "q2", "Sirenen stumm, die Warnung kam nicht an #problem",
                       {"problem"}, "", 0, at(day, 11h, 5min)));
  items.push_back(item("$11", "Kiel", "q3", "#idee Sirenen stumm: Warnung per App", {"idee"}, "", 0,
                       at(day, 11h, 10min)));
  DigestRequest request = november_request();
  request.top = 1;
  const Digest digest = build_digest(items, {}, request);
  ASSERT_EQ(digest.lessons.size(), 1U);
  std::set<std::uint32_t> listed(digest.lessons.begin(), digest.lessons.end());
  for (const auto* section : {&digest.went_well, &digest.was_hard, &digest.ideas}) {
    for (const std::uint32_t id : *section) {
      EXPECT_TRUE(listed.insert(id).second) << "group " << id << " listed twice";
    }
  }
  const std::string text = render_digest(digest, items)[0].text;
  const DigestGroup& sirens = digest.groups[digest.ideas.at(0)];
  EXPECT_EQ(sirens.current, 3);
  EXPECT_EQ(std::count(digest.was_hard.begin(), digest.was_hard.end(), sirens.id), 0);
  for (const std::string& quoted :
       {std::string("Die FFP2-Masken waren viel zu spät bestellt"),
        std::string("Masken und Schutzausrüstung hätten wir früher"), sirens.title()}) {
    const auto first = text.find(quoted);
    ASSERT_NE(first, std::string::npos) << quoted << "\n" << text;
    EXPECT_EQ(text.find(quoted, first + 1), std::string::npos) << quoted << "\n" << text;
  }
  // Under "Ideen" the line names the group's other signal; its own heading is not repeated.
  EXPECT_NE(text.find("\nIdeen\n– " + sirens.title() +
                      ": Kiel und Mainz · 3 Beiträge von 3 "
                      "Personen · 1 × Problem · 2 davon als Idee markiert\n"),
            std::string::npos)
      << text;
}

// A contribution its author tagged as a lesson is shown, also alone: under "Als Lehre markiert",
// before the other tagged sections; one tagged as a lesson and a problem is a lesson there.
TEST(Digest, AContributionTaggedAsALessonIsShownEvenAlone) {
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items = november_items();
  items.push_back(item("$9", "Kiel", "q1",
                       "Schichtplan für den Stab ab Stunde 8 fest einplanen #lehre", {"lehre"}, "",
                       0, at(day, 11h)));
  items.push_back(item("$10", "Mainz", "q2",
                       "Der Deich hielt nur dank privater Pumpen #problem #lehre",
                       {"problem", "lehre"}, "", 0, at(day, 11h, 5min)));
  DigestRequest request = november_request();
  request.top = 2;  // entries per section
  const Digest digest = build_digest(items, {}, request);
  const std::string text = render_digest(digest, items)[0].text;
  const auto heading = text.find("\nAls Lehre markiert\n");
  ASSERT_NE(heading, std::string::npos) << text;
  // Both under that heading, before the next one ("Was gut lief": the section after it here).
  const auto next = text.find("\n\n", heading + 1);
  ASSERT_NE(next, std::string::npos) << text;
  EXPECT_EQ(text.substr(next, 14), "\n\nWas gut lief") << text;
  const auto shift = text.find("Schichtplan für den Stab ab Stunde 8 fest einplanen");
  const auto dike = text.find("Der Deich hielt nur dank privater Pumpen");
  ASSERT_NE(shift, std::string::npos) << text;
  ASSERT_NE(dike, std::string::npos) << text;
  EXPECT_TRUE(heading < shift && shift < next) << text;
  EXPECT_TRUE(heading < dike && dike < next) << text;
  EXPECT_EQ(text.find("Der Deich hielt nur dank privater Pumpen", dike + 1), std::string::npos);
  EXPECT_EQ(text.find("\nWas schwer war\n"), std::string::npos) << text;
  DigestRequest english = request;
  english.language = Language::en;
  const std::string en = render_digest(build_digest(items, {}, english), items)[0].text;
  EXPECT_NE(en.find("\nMarked as lessons\n"), std::string::npos) << en;
}

// Marks say what the heading does not: none if the previous period had nothing to compare with,
// none on the lines if all listed groups are new (the heading says so once).
TEST(Digest, MarksSayWhatTheHeadingDoesNot) {
  auto items = november_items();
  std::erase_if(items, [](const DigestItem& i) { return !i.current; });
  const std::string first_week =
      render_digest(build_digest(items, {}, november_request()), items)[0].text;
  EXPECT_NE(first_week.find("\nMehrfach genannt\n1. Masken und Schutzausrüstung\n"),
            std::string::npos)
      << first_week;
  EXPECT_EQ(first_week.find("(neu)"), std::string::npos) << first_week;
  // Something before, but not like either group: both are new, said once.
  items.push_back(item("$0", "Kiel", "z", "Hochwasser im Keller des Rathauses", {}, "", 0,
                       at(sys_days{2026y / November / 12}, 10h), false));
  const std::string all_new =
      render_digest(build_digest(items, {}, november_request()), items)[0].text;
  EXPECT_NE(all_new.find("\nMehrfach genannt (alle neu)\n1. Masken und Schutzausrüstung\n"),
            std::string::npos)
      << all_new;
  EXPECT_EQ(all_new.find("(neu)"), std::string::npos) << all_new;
}

// What the short digest does not list is counted, with the command that shows it all; the
// complete digest lists every group and the single contributions no tag puts anywhere.
TEST(Digest, WhatIsNotListedIsCountedAndOneCommandAway) {
  const sys_days day = 2026y / November / 20;
  auto items = november_items();
  items.push_back(
      item("$s1", "Kiel", "q1", "Die Lage im Stab war unübersichtlich.", {}, "", 0, at(day, 12h)));
  items.push_back(item("$s2", "Mainz", "q2", "Erlasse kamen immer freitags #recht", {"recht"}, "",
                       0, at(day, 12h, 5min)));
  DigestRequest request = november_request();
  request.top = 1;
  request.label = "D4";
  const Digest digest = build_digest(items, {}, request);
  // Bürgertelefon is the second group, listed under "Was schwer war" for its #frust.
  EXPECT_EQ(digest.more_groups, 0);
  EXPECT_EQ(digest.more_singles, 2);
  const std::string text = render_digest(digest, items)[0].text;
  EXPECT_EQ(text.rfind("Digest des Netzwerks · 19.11.2026 – 25.11.2026 · D4\n", 0), 0U) << text;
  EXPECT_NE(text.find("\nNicht gezeigt: 2 einzelne Beiträge. Alles zeigt !digest D4.\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("unübersichtlich"), std::string::npos) << text;
  EXPECT_NE(text.find("Moderation: !lehre D4-<Nr.> hält eine Gruppe als Lehre fest; als Antwort "
                      "auf diesen Digest genügt !lehre <Nr.>."),
            std::string::npos)
      << text;

  request.complete = true;
  request.label = "D5";
  const Digest complete = build_digest(items, {}, request);
  EXPECT_EQ(complete.lessons.size(), 2U);
  EXPECT_EQ(complete.more_groups + complete.more_singles, 0);
  const std::string all = render_digest(complete, items)[0].text;
  EXPECT_EQ(all.rfind("Digest des Netzwerks · 19.11.2026 – 25.11.2026 · D5 · vollständig\n", 0), 0U)
      << all;
  // Numbered on from the groups and the tagged sections, so that each can be named (D5-4).
  EXPECT_NE(all.find("\nWas gut lief\n3. „Stolz auf das Team"), std::string::npos) << all;
  EXPECT_NE(all.find("\nEinzelne Beiträge\n4. „Die Lage im Stab war unübersichtlich.“ (Kiel)\n"
                     "5. „Erlasse kamen immer freitags“ (Mainz)\n"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("Nicht gezeigt"), std::string::npos) << all;
}

// A name a moderator typed: quotation marks around all of it go (a matching pair, neither mark
// inside), a hashtag keeps its word and a leading one a capital letter (also in quotes, also an
// umlaut), the rest as quotes are (no Matrix id, no room alias).
TEST(Digest, TypedNamesAreShownAsModeratorsMeantThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"„Sirenen und Lautsprecher“", "Sirenen und Lautsprecher"},
      {"  \"Hotline\" ", "Hotline"},
      {"“Masken früher bestellen”", "Masken früher bestellen"},
      {"»Warnung«", "Warnung"},
      {"\"Masken\" und \"Kittel\"", "\"Masken\" und \"Kittel\""},
      {"„Masken“ oder „Kittel“", "„Masken“ oder „Kittel“"},
      {"'Masken\"", "'Masken\""},
      {"#warnung der Bevölkerung", "Warnung der Bevölkerung"},
      {"„#warnung der Bevölkerung“", "Warnung der Bevölkerung"},
      {"#ärzte fehlen", "Ärzte fehlen"},
      {"Ärzte und #personal", "Ärzte und personal"},
      {"#raum:example.org Hotline", "… Hotline"},
      {"@ben:example.org", ""},
      {"„“", ""},
  };
  for (const auto& [typed, shown] : cases) {
    EXPECT_EQ(typed_name(typed, 200), shown) << typed;
  }
}

// The complete digest quotes every contribution of the period once, each under its group, so
// that a moderator sees what a group holds (to split off or move what does not belong); the
// short digest quotes up to two per group.
TEST(Digest, TheCompleteDigestQuotesEveryContributionOnce) {
  const auto items = november_items();
  DigestRequest request = november_request();
  request.label = "D4";
  const std::vector<std::string> fragments = {
      "viel zu spät bestellt", "früher zentral beschaffen", "dubiosen Händlern",
      "völlig überlastet",     "doppelt so viel Personal",  "zusammengehalten",
      "gemeinsamer Vorrat"};
  const auto count = [](const std::string& text, const std::string& fragment) {
    std::size_t n = 0;
    for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + 1)) {
      ++n;
    }
    return n;
  };
  const std::string short_text = render_digest(build_digest(items, {}, request), items)[0].text;
  std::size_t quoted = 0;
  for (const auto& fragment : fragments) quoted += count(short_text, fragment) > 0 ? 1 : 0;
  EXPECT_LT(quoted, fragments.size()) << short_text;

  request.complete = true;
  const std::string all = render_digest(build_digest(items, {}, request), items)[0].text;
  for (const auto& fragment : fragments)
    EXPECT_EQ(count(all, fragment), 1U) << fragment << "\n" << all;
  // The period before is not quoted.
  EXPECT_EQ(count(all, "keiner kam beim Bürgertelefon durch"), 0U) << all;

  // A large group: kCompleteQuotes of its contributions, the rest counted.
  std::vector<DigestItem> many;
  const sys_days day = 2026y / November / 21;
  for (int i = 0; i < 25; ++i) {
    many.push_back(item("$m" + std::to_string(i), i % 2 == 0 ? "Köln" : "Leipzig",
                        "p" + std::to_string(i),
                        "Das Bürgertelefon war überlastet, Anrufe blieben liegen, Fall " +
                            std::to_string(i) + ". #problem",
                        {"problem"}, "", 0, at(day, 10h, minutes(i))));
  }
  const Digest large = build_digest(many, {}, request);
  ASSERT_EQ(large.lessons.size(), 1U);
  const std::string large_text = render_digest(large, many)[0].text;
  EXPECT_EQ(count(large_text, "Anrufe blieben liegen"), kCompleteQuotes) << large_text;
  EXPECT_NE(large_text.find("… und 15 weitere Beiträge"), std::string::npos) << large_text;
}

// The short digest lists a few open actions, overdue first; the rest is one command away.
TEST(Digest, OpenActionsBeyondTheTopAreCounted) {
  auto lessons = november_lessons();
  Lesson third;
  third.id = 7;
  third.title = "Funkgeräte prüfen";
  lessons.push_back(third);
  DigestRequest request = november_request();
  request.top = 2;
  const auto items = november_items();
  const std::string text = render_digest(build_digest(items, lessons, request), items)[0].text;
  EXPECT_NE(text.find("\n– L3 Schutzausrüstung"), std::string::npos) << text;
  EXPECT_NE(text.find("\n– L5 Bürgertelefon skalieren: noch ohne Maßnahme\n– … und 1 weitere "
                      "(!lehren)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("L7"), std::string::npos) << text;
}

// The store keeps each contribution's term keys (made when it was collected); a digest from
// those keys is the digest from the bodies, titles included.
TEST(Digest, StoredTermKeysGiveTheSameDigestAsTheBodies) {
  auto items = november_items();
  const auto lessons = november_lessons();
  const auto from_bodies = render_digest(build_digest(items, lessons, november_request()), items);
  TextAnalyzer collector;  // another analyzer than the digest's, as in the bot
  for (auto& item : items) {
    collector.keys(item.body, item.term_keys);
    item.indexed = true;
  }
  const Digest digest = build_digest(items, lessons, november_request());
  const auto from_keys = render_digest(digest, items);
  ASSERT_EQ(from_keys.size(), from_bodies.size());
  for (std::size_t i = 0; i < from_keys.size(); ++i) {
    EXPECT_EQ(from_keys[i].text, from_bodies[i].text);
    EXPECT_EQ(from_keys[i].html, from_bodies[i].html);
  }
  ASSERT_FALSE(digest.lessons.empty());
  EXPECT_EQ(digest.groups[digest.lessons[0]].title(), "Masken und Schutzausrüstung");

  // Keys are what the digest groups by: empty keys make every text a group of its own.
  for (auto& item : items) item.term_keys.clear();
  const Digest keyless = build_digest(items, lessons, november_request());
  EXPECT_TRUE(keyless.lessons.empty());
}

// Stored keys must mean the same in every run and on every machine: FNV-1a of the stem, the top
// bit marking concepts, the next one synonym sets.
TEST(Digest, TermKeysAreStable) {
  EXPECT_EQ(term_key("schutzausrust"), 0x20a34df4b148be5bULL);
  EXPECT_EQ(term_key("\x02"
                     "beschaffung"),
            0xb0104c874b4df313ULL);
  EXPECT_TRUE(
      is_synonym_key(term_key("\x03"
                              "12345")));
  EXPECT_FALSE(is_synonym_key(term_key("schutzausrust")));
  EXPECT_TRUE(
      is_concept_key(term_key("\x02"
                              "beschaffung")));
  EXPECT_FALSE(is_concept_key(term_key("schutzausrust")));
  TextAnalyzer analyzer;
  std::vector<std::uint64_t> keys;
  analyzer.keys("Schutzausrüstungen", keys);
  ASSERT_EQ(keys.size(), 2U);  // the stem and the concept
  EXPECT_EQ(keys[0], term_key("schutzausrust"));
  EXPECT_TRUE(is_concept_key(keys[1]));
  EXPECT_NE(analysis_fingerprint(), 0U);
}

TEST(Digest, GoldenRoomDigestInEnglishHasTheRoomsTitleAndNoCityListOnActions) {
  auto items = november_items();
  std::erase_if(items, [](const DigestItem& i) { return i.city != "Köln"; });
  DigestRequest request = november_request();
  request.language = Language::en;
  request.scope = "Köln";
  const auto lessons = november_lessons();
  const Digest digest = build_digest(items, lessons, request);
  const auto notices = render_digest(digest, items);
  ASSERT_EQ(notices.size(), 1U);
  // One city: the quotes do not repeat it; no group of two: no numbered section, no footer.
  EXPECT_EQ(notices[0].text, R"(Digest for Köln · 2026-11-19 – 2026-11-25
3 contributions from 2 people in 1 city: Köln.

What went well
– “Stolz auf das Team im Gesundheitsamt: alle haben zusammengehalten.”

What was hard
– “Die FFP2-Masken waren viel zu spät bestellt, die Preise explodierten.”
– “Das Bürgertelefon war in der ersten Woche völlig überlastet.”

Open actions
– L3 Schutzausrüstung zentral lagern: Lager für acht Wochen anlegen – Gesundheitsamt, due 2026-11-20 (overdue)
– L5 Bürgertelefon skalieren: no action yet

Figures
By phase: “Rückschau” 1, “Bestandsaufnahme” 1, “Ausblick” 1)");
}

// A Köln contribution of 20.11.2026, 9:`minute`, in a round's phase (its place `index`).
DigestItem round_item(std::string id, std::string phase, std::string tmpl, int index, int minute) {
  DigestItem entry =
      item(id, "Köln", "p" + std::to_string(minute), "Beitrag " + id, {}, std::move(phase), 0,
           at(sys_days{2026y / November / 20}, 9h, std::chrono::minutes(minute)));
  entry.round_template = std::move(tmpl);
  entry.phase_index = index;
  return entry;
}

// The first message of the German digest of `items` in november_request()'s week.
std::string first_text(const std::vector<DigestItem>& items) {
  return render_digest(build_digest(items, {}, november_request()), items)[0].text;
}

// Phase titles may be questions: quoted, so the list reads as one; two templates' phases are not
// mixed, each template named; what came outside rounds comes last.
TEST(Digest, ThePhaseLineQuotesTitlesAndKeepsEachTemplatesPhasesTogether) {
  auto in_round = [](std::string id, std::string phase, std::string tmpl, int minute) {
    return round_item(std::move(id), std::move(phase), std::move(tmpl), -1, minute);
  };
  std::vector<DigestItem> items = {
      in_round("$1", "Was war geplant?", "aar", 1), in_round("$2", "", "", 2),
      in_round("$3", "Rückschau", "panreflex", 3),  in_round("$4", "Was ist passiert?", "aar", 4),
      in_round("$5", "Was war geplant?", "aar", 5), in_round("$6", "", "", 6),
  };
  const std::string text = first_text(items);
  EXPECT_NE(text.find("\nNach Phase: aar – „Was war geplant?“ 2, „Was ist passiert?“ 1; panreflex "
                      "– „Rückschau“ 1; außerhalb von Runden 2\n"),
            std::string::npos)
      << text;
  // One template: no need to name it.
  items.erase(items.begin() + 2);
  const std::string one_text = first_text(items);
  EXPECT_NE(one_text.find("\nNach Phase: „Was war geplant?“ 2, „Was ist passiert?“ 1; außerhalb "
                          "von Runden 2\n"),
            std::string::npos)
      << one_text;
}

// The phases in their template's order, not in the order their first contribution was written:
// an anonymous contribution's time is coarse (the hour it came in), so one in phase 2 can sort
// before everything of phase 1.
TEST(Digest, ThePhaseLineFollowsTheTemplatesOrderOfPhases) {
  std::vector<DigestItem> items = {
      round_item("$anon", "Was ist passiert?", "aar", 1, 0),
      round_item("$1", "Was war geplant?", "aar", 0, 41),
      round_item("$2", "Was ist passiert?", "aar", 1, 42),
      round_item("$3", "Was lernen wir?", "aar", 2, 43),
  };
  items[0].author.clear();
  const std::string text = first_text(items);
  EXPECT_NE(text.find("\nNach Phase: „Was war geplant?“ 1, „Was ist passiert?“ 2, „Was lernen "
                      "wir?“ 1\n"),
            std::string::npos)
      << text;
}

// Nothing collected: one line, and how many lessons are open (the list is one command away).
TEST(Digest, AnEmptyPeriodSaysSoInOneLineAndCountsTheOpenActions) {
  const auto lessons = november_lessons();
  const Digest digest = build_digest({}, lessons, november_request());
  const auto notices = render_digest(digest, {});
  ASSERT_EQ(notices.size(), 1U);
  EXPECT_EQ(notices[0].text,
            "Digest des Netzwerks · 19.11.2026 – 25.11.2026\n"
            "In diesem Zeitraum wurde nichts gesammelt. Offen: 2 Lehren, 1 davon überfällig "
            "(!lehren).");
  DigestRequest english = november_request();
  english.language = Language::en;
  EXPECT_EQ(render_digest(build_digest({}, {}, english), {})[0].text,
            "Network digest · 2026-11-19 – 2026-11-25\nNothing was collected in this period.");
}

TEST(Digest, RanksByCitiesThenParticipantsThenVotesThenGrowth) {
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items;
  int n = 0;
  auto add = [&](std::string city, std::string author, std::string body, int votes,
                 bool current = true) {
    items.push_back(item("$" + std::to_string(++n), std::move(city), std::move(author),
                         std::move(body), {}, "", votes, at(day, 10h, minutes(n)), current));
  };
  // Two cities, many contributions and votes.
  for (int i = 0; i < 6; ++i)
    add(i % 2 ? "Kiel" : "Mainz", "a" + std::to_string(i),
        "Impfzentrum Termine Buchung Impfzentrum", 5);
  // Three cities, few contributions: ranks first (breadth).
  add("Kiel", "b1", "Schulen Kitas Notbetreuung Schulen", 0);
  add("Mainz", "b2", "Schulen Kitas Notbetreuung Eltern", 0);
  add("Erfurt", "b3", "Kitas Schulen Notbetreuung", 0);
  // Two cities, same participants as the next, more votes.
  add("Kiel", "c1", "Obdachlose Unterkunft Hotel Obdachlose", 1);
  add("Mainz", "c2", "Obdachlose Unterkunft Hotel", 1);
  add("Kiel", "d1", "Datenschutz Gästelisten Datenschutz", 0);
  add("Mainz", "d2", "Datenschutz Gästelisten", 0);
  add("Erfurt", "d0", "Datenschutz Gästelisten Datenschutz", 0, false);
  const Digest digest = build_digest(items, {}, november_request());
  ASSERT_EQ(digest.groups.size(), 4U);
  EXPECT_EQ(digest.groups[0].keywords.front(), "Schulen");
  EXPECT_EQ(digest.groups[0].cities.size(), 3U);
  EXPECT_EQ(digest.groups[1].keywords.front(), "Impfzentrum");  // 6 participants
  EXPECT_EQ(digest.groups[2].keywords.front(), "Obdachlose");   // 2 participants, 2 votes
  EXPECT_EQ(digest.groups[3].keywords.front(), "Datenschutz");  // 2 participants, 0 votes
  EXPECT_TRUE(digest.groups[0].is_new());
  EXPECT_FALSE(digest.groups[3].is_new());
  EXPECT_TRUE(digest.groups[3].growing());  // 2 now, 1 before
  EXPECT_EQ(digest.lessons, (std::vector<std::uint32_t>{0, 1, 2, 3}));
}

// An anonymous contribution has no author: it is one more contribution, never one more person,
// and a group of anonymous posts (perhaps all from one person) does not outrank people.
TEST(Digest, AnonymousPostsCountAsContributionsNotAsPeople) {
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items;
  int n = 0;
  auto add = [&](std::string city, std::string author, std::string body) {
    items.push_back(item("$" + std::to_string(++n), std::move(city), std::move(author),
                         std::move(body), {}, "", 0, at(day, 10h, minutes(n))));
  };
  add("Kiel", "", "Impfzentrum Termine Buchung Impfzentrum");
  add("Mainz", "", "Impfzentrum Termine Buchung");
  add("Kiel", "", "Impfzentrum Buchung Termine Chaos");
  add("Mainz", "a1", "Impfzentrum Termine Buchung Impfzentrum");
  add("Kiel", "b1", "Datenschutz Gästelisten Datenschutz");
  add("Mainz", "b2", "Datenschutz Gästelisten");
  const Digest digest = build_digest(items, {}, november_request());
  EXPECT_EQ(digest.contributions, 6);
  EXPECT_EQ(digest.participants, 3);
  EXPECT_EQ(digest.anonymous, 3);
  ASSERT_EQ(digest.groups.size(), 2U);
  EXPECT_EQ(digest.groups[0].keywords.front(), "Datenschutz");  // 2 people before 1
  EXPECT_EQ(digest.groups[0].participants, 2);
  EXPECT_EQ(digest.groups[1].participants, 1);
  EXPECT_EQ(digest.groups[1].anonymous, 3);
  const std::string text = render_digest(digest, items)[0].text;
  EXPECT_NE(text.find("6 Beiträge (davon 3 anonym) von 3 Personen aus 2 Städten: Kiel und Mainz."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Kiel und Mainz · 4 Beiträge (davon 3 anonym) von 1 Person"),
            std::string::npos)
      << text;
  // Only anonymous contributions: no people to count.
  std::erase_if(items, [](const DigestItem& i) { return !i.author.empty(); });
  const std::string anonymous =
      render_digest(build_digest(items, {}, november_request()), items)[0].text;
  EXPECT_NE(anonymous.find("3 Beiträge (alle anonym) aus 2 Städten: Kiel und Mainz."),
            std::string::npos)
      << anonymous;
  EXPECT_NE(anonymous.find("· 3 Beiträge (alle anonym)\n"), std::string::npos) << anonymous;
}

// A contribution without a city (the network room's) counts as a contribution, not as a city.
TEST(Digest, OnlyConfiguredCitiesAreCitiesAndTheNetworkRoomIsNamedAsSuch) {
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items = {
      item("$1", "Köln", "a", "Masken zu spät bestellt", {}, "", 0, at(day, 10h)),
      item("$2", "", "b", "Masken bestellt, viel zu spät", {}, "", 0, at(day, 11h)),
      item("$3", "Kiel", "c", "Masken zu spät bestellt, Preise zu hoch", {}, "", 0, at(day, 12h)),
  };
  items[1].network_room = true;
  const Digest digest = build_digest(items, {}, november_request());
  EXPECT_EQ(digest.cities, (std::vector<std::string>{"Kiel", "Köln"}));
  ASSERT_EQ(digest.groups.size(), 1U);
  EXPECT_EQ(digest.groups[0].cities, (std::vector<std::string>{"Kiel", "Köln"}));
  const std::string text = render_digest(digest, items)[0].text;
  EXPECT_NE(text.find("3 Beiträge (davon 1 aus dem Netzwerkraum) von 3 Personen aus 2 Städten: "
                      "Kiel und Köln."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("„Masken bestellt, viel zu spät“ (Netzwerkraum)"), std::string::npos) << text;
  // Without any city (a room digest of a room without one): no city at all.
  for (auto& i : items) {
    i.city.clear();
    i.network_room = false;
  }
  DigestRequest request = november_request();
  request.scope = "Lagezentrum";
  const std::string room = render_digest(build_digest(items, {}, request), items)[0].text;
  EXPECT_NE(room.find("3 Beiträge von 3 Personen.\n"), std::string::npos) << room;
  EXPECT_EQ(room.find("“ ("), std::string::npos) << room;
}

TEST(Digest, QuotesComeFromDifferentCitiesAndNameNoOne) {
  const sys_days day = 2026y / November / 20;
  const std::vector<DigestItem> items = {
      item("$1", "Kiel", "a", "@alice:example.org sagt: Masken zu spät bestellt https://x.y/z", {},
           "", 0, at(day, 10h)),
      item("$2", "Kiel", "b", "Masken zu spät bestellt, Preise zu hoch", {}, "", 4, at(day, 11h)),
      item("$3", "Mainz", "c", "Masken bestellt, viel zu spät", {}, "", 0, at(day, 12h)),
  };
  const Digest digest = build_digest(items, {}, november_request());
  ASSERT_EQ(digest.groups.size(), 1U);
  ASSERT_EQ(digest.groups[0].quotes.size(), 2U);
  EXPECT_EQ(digest.groups[0].quotes[0], 1U);  // most votes
  EXPECT_EQ(digest.groups[0].quotes[1], 2U);  // another city
  EXPECT_EQ(quote_text(items[0].body), "… sagt: Masken zu spät bestellt …");
  for (const Notice& notice : render_digest(digest, items)) {
    EXPECT_EQ(notice.text.find("alice"), std::string::npos);
    EXPECT_EQ(notice.html.find("alice"), std::string::npos);
  }
}

// Matrix ids and links are removed wherever they start: after quotes, brackets, a colon or other
// punctuation too, not only at the start of a word.
TEST(Digest, QuoteTextRemovesMatrixIdsAndLinksWhereverTheyStart) {
  EXPECT_EQ(quote_text("Frag „@anna:example.org“ dazu"), "Frag „…“ dazu");
  EXPECT_EQ(quote_text("Frag \"@anna:example.org\" dazu"), "Frag \"…\" dazu");
  EXPECT_EQ(quote_text("Frag (@anna:example.org) dazu"), "Frag (…) dazu");
  EXPECT_EQ(quote_text("Danke,@anna:example.org!"), "Danke,…!");
  EXPECT_EQ(quote_text("@anna:example.org: bitte prüfen"), "…: bitte prüfen");
  EXPECT_EQ(quote_text("Link:https://example.org/x"), "Link:…");
  EXPECT_EQ(quote_text("Link:HTTPS://example.org/x."), "Link:….");
  EXPECT_EQ(quote_text("siehe:matrix.to/#/@a:b"), "siehe:…");
  EXPECT_EQ(quote_text("siehe „https://matrix.to/#/@anna:example.org“."), "siehe „…“.");
  EXPECT_EQ(quote_text("(www.example.org/lage)"), "(…)");
  EXPECT_EQ(quote_text("Karte:www.example.org, Stand 10 Uhr"), "Karte:…, Stand 10 Uhr");
  EXPECT_EQ(quote_text("ftp://files.example.org/a und mxc://example.org/abc"), "… und …");
  EXPECT_EQ(quote_text("mehr unter matrix:u/anna:example.org"), "mehr unter …");
  // Room ids and aliases: a sigil, a local part and ":server".
  EXPECT_EQ(quote_text("im Raum #lage-koeln:example.org besprochen"), "im Raum … besprochen");
  EXPECT_EQ(quote_text("(!AbCdEf:example.org)"), "(…)");
  EXPECT_EQ(quote_text("Raum:#lage:example.org:8448."), "Raum:….");
  // Exclamation marks and colons stay (hashtags go: QuoteTextLeavesOutHashtags).
  EXPECT_EQ(quote_text("Sirenen testen! Sofort!"), "Sirenen testen! Sofort!");
  EXPECT_EQ(quote_text("Achtung!Wichtig"), "Achtung!Wichtig");
  EXPECT_EQ(quote_text("Uhrzeit 10:30, Verhältnis 3:1"), "Uhrzeit 10:30, Verhältnis 3:1");
  EXPECT_EQ(quote_text("Treffen @ 10 Uhr"), "Treffen @ 10 Uhr");
  // E-mail addresses name people too: removed whole, local part included.
  EXPECT_EQ(quote_text("Mail an anna.schmidt@example.org bitte"), "Mail an … bitte");
  EXPECT_EQ(quote_text("Mail:anna.schmidt@example.org."), "Mail:….");
  EXPECT_EQ(quote_text("(jürgen@stadt.example)"), "(…)");
  EXPECT_EQ(quote_text("„anna@example.org“"), "„…“");
  // Mentions without a server, and several in a row, become one "…".
  EXPECT_EQ(quote_text("@anna @ben:example.org danke"), "… … danke");
  EXPECT_EQ(quote_text("an:@anna,@ben"), "an:…,…");
  for (const std::string body :
       {"„@anna:example.org“", "(@anna:example.org)", "Link:https://example.org/x",
        "siehe:matrix.to/#/@a:b", "x:www.example.org", "»anna@example.org«"}) {
    const std::string quote = quote_text(body);
    EXPECT_EQ(quote.find("anna"), std::string::npos) << quote;
    EXPECT_EQ(quote.find("example"), std::string::npos) << quote;
    EXPECT_EQ(quote.find('@'), std::string::npos) << quote;
  }
}

// The tags were read when the contribution was collected; in a quote they are noise. Tags
// before or after the text, several in a row and tags in brackets go with their punctuation; a
// single tag inside a sentence is a word there and keeps it without the '#'.
TEST(Digest, QuoteTextLeavesOutHashtags) {
  EXPECT_EQ(quote_text("Die Preise explodierten. #problem"), "Die Preise explodierten.");
  EXPECT_EQ(quote_text("#idee Ein gemeinsamer Vorrat für die Region."),
            "Ein gemeinsamer Vorrat für die Region.");
  EXPECT_EQ(quote_text("#lehre #Maßnahme: Sirenen testen! Sofort!"), "Sirenen testen! Sofort!");
  EXPECT_EQ(quote_text("#lehre: Sirenen testen"), "Sirenen testen");
  EXPECT_EQ(quote_text("#Lehre – Sirenen testen"), "Sirenen testen");
  EXPECT_EQ(quote_text("Erlasse kamen freitags #recht."), "Erlasse kamen freitags.");
  EXPECT_EQ(quote_text("Masken kamen zu spät – #problem #frust"), "Masken kamen zu spät");
  EXPECT_EQ(quote_text("Masken kamen zu spät #problem #frust, die Preise stiegen."),
            "Masken kamen zu spät, die Preise stiegen.");
  EXPECT_EQ(quote_text("Masken (#problem) kamen zu spät"), "Masken kamen zu spät");
  EXPECT_EQ(quote_text("Masken kamen zu spät (#problem, #frust)."), "Masken kamen zu spät.");
  EXPECT_EQ(quote_text("„#lehre“ (#idee) Achtung!Wichtig"), "Achtung!Wichtig");
  EXPECT_EQ(quote_text("Die #Hotline war überlastet #frust"), "Die Hotline war überlastet");
  EXPECT_EQ(quote_text("Das #Bürgertelefon, die #Hotline: überlastet"),
            "Das Bürgertelefon, die Hotline: überlastet");
  EXPECT_EQ(quote_text("im Raum #lage-koeln:example.org besprochen #problem"),
            "im Raum … besprochen");
  // Not tags: a number, a lone '#'.
  EXPECT_EQ(quote_text("Platz #1 im Ranking"), "Platz #1 im Ranking");
  EXPECT_EQ(quote_text("Taste # drücken"), "Taste # drücken");
  // Nothing but tags: kept as written rather than quoting nothing.
  EXPECT_EQ(quote_text("#lehre #idee"), "#lehre #idee");
  for (const std::string body :
       {"a #problem  b", "#problem  a  b #frust", " #x a ", "a #x #y . b"}) {
    const std::string quote = quote_text(body);
    EXPECT_EQ(quote.find("  "), std::string::npos) << quote;
    EXPECT_NE(quote.front(), ' ') << quote;
    EXPECT_NE(quote.back(), ' ') << quote;
  }
}

TEST(Digest, QuoteTextIsOneLineWithoutBidiControlsAndCutAtAWord) {
  EXPECT_EQ(quote_text("a\n\nb\tc  d"), "a b c d");
  EXPECT_EQ(quote_text("x\u202Eevil\u202C y"), "xevil y");
  EXPECT_EQ(quote_text(std::string("a\0b", 3)), "ab");
  const std::string long_text(50, 'x');
  const std::string words = "eins zwei drei vier fünf sechs sieben acht neun zehn";
  const std::string cut = quote_text(words, 30);
  EXPECT_LE(cut.size(), 30U);
  EXPECT_EQ(cut, "eins zwei drei vier fünf …");
  EXPECT_LE(quote_text(std::string(1000, 'y') + "ä", 160).size(), 160U);
}

// Every tag in the HTML is one the renderer writes itself.
void expect_only_own_tags(const std::string& html) {
  static const std::set<std::string> allowed = {"h3",     "/h3",     "h4", "/h4", "p",  "/p",
                                                "ol",     "/ol",     "ul", "/ul", "li", "/li",
                                                "strong", "/strong", "em", "/em", "br"};
  for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
    std::size_t end = i + 1;
    while (end < html.size() && html[end] != '>' && html[end] != ' ') ++end;
    const std::string name = html.substr(i + 1, end - i - 1);
    EXPECT_TRUE(allowed.contains(name)) << "tag <" << name << "> in " << html.substr(i, 80);
    if (name == "ol" && end < html.size() && html[end] == ' ') {
      const std::size_t close = html.find('>', end);
      const std::string attributes = html.substr(end, close - end);
      EXPECT_EQ(attributes.rfind(" start=\"", 0), 0U) << attributes;
    }
  }
}

TEST(Digest, HostileTextIsEscapedEverywhere) {
  const sys_days day = 2026y / November / 20;
  const std::string hostile =
      "<script>alert(1)</script><img src=x onerror=alert(2)> \"'& <a href=\"javascript:x\">"
      "Masken</a> <mx-reply>quote</mx-reply> @room &lt;b&gt;";
  std::vector<DigestItem> items;
  for (int i = 0; i < 4; ++i) {
    items.push_back(item("$" + std::to_string(i), "<b>Stadt" + std::to_string(i % 2) + "</b>",
                         "p" + std::to_string(i), hostile + " Masken bestellt", {"problem", "idee"},
                         "<i>Phase</i>", i, at(day, 10h, minutes(i))));
  }
  Lesson lesson;
  lesson.id = 9;
  lesson.title = "<script>x</script>";
  lesson.state = LessonState::action;
  lesson.action = "<iframe>";
  lesson.owner = "\"><svg onload=1>";
  const std::vector<Lesson> lessons = {lesson};
  DigestRequest request = november_request();
  request.scope = "<em>Köln</em>";
  const Digest digest = build_digest(items, lessons, request);
  for (const Notice& notice : render_digest(digest, items)) {
    expect_only_own_tags(notice.html);
    EXPECT_NE(notice.html.find("&lt;script&gt;"), std::string::npos);
    EXPECT_EQ(notice.html.find("<script"), std::string::npos);
    EXPECT_NE(notice.html.find("&amp;lt;b&amp;gt;"), std::string::npos);
  }
}

TEST(Digest, LargeDigestsAreSplitBelowTheLimitWithContinuedNumbering) {
  std::vector<Lesson> lessons;
  for (int i = 1; i <= 400; ++i) {
    Lesson lesson;
    lesson.id = i;
    lesson.title = "Lehre Nummer " + std::to_string(i) + " " + std::string(150, 'x');
    lesson.state = LessonState::action;
    lesson.action = std::string(200, '"');  // escapes double in JSON
    lesson.owner = "Amt";
    lessons.push_back(lesson);
  }
  std::vector<DigestItem> items;
  const sys_days day = 2026y / November / 20;
  const std::vector<std::string> topics = {"Masken",  "Hotline",  "Impfzentrum", "Schulen",
                                           "Laptops", "Soldaten", "Pflegeheime", "Datenschutz"};
  for (std::size_t t = 0; t < topics.size(); ++t) {
    for (int k = 0; k < 2; ++k) {
      items.push_back(item("$" + std::to_string(t) + "-" + std::to_string(k), k ? "Kiel" : "Mainz",
                           "p" + std::to_string(t * 2 + k),
                           topics[t] + " " + topics[t] + " " + std::string(300, 'z'), {}, "", 0,
                           at(day, 10h, minutes(t * 2 + k))));
    }
  }
  DigestRequest request = november_request();
  request.complete = true;  // every open action
  const Digest digest = build_digest(items, lessons, request);
  constexpr std::size_t kLimit = 30000;
  const auto notices = render_digest(digest, items, kLimit);
  ASSERT_GE(notices.size(), 4U);
  std::set<int> seen;
  for (std::size_t i = 0; i < notices.size(); ++i) {
    const Notice& notice = notices[i];
    EXPECT_LT(json_escaped_size(notice.text) + json_escaped_size(notice.html) + 4096, kLimit);
    EXPECT_NE(
        notice.text.find("Teil " + std::to_string(i + 1) + "/" + std::to_string(notices.size())),
        std::string::npos);
    expect_only_own_tags(notice.html);
    // Balanced lists in every part.
    auto count = [&](const std::string& s) {
      std::size_t n = 0;
      for (std::size_t p = notice.html.find(s); p != std::string::npos;
           p = notice.html.find(s, p + 1)) {
        ++n;
      }
      return n;
    };
    EXPECT_EQ(count("<ul>"), count("</ul>"));
    EXPECT_EQ(count("<ol"), count("</ol>"));
    EXPECT_EQ(count("<li>"), count("</li>"));
    for (std::size_t p = notice.text.find("– L"); p != std::string::npos;
         p = notice.text.find("– L", p + 1)) {
      const int id = std::stoi(notice.text.substr(p + 5));  // "– L" is five bytes
      EXPECT_TRUE(seen.insert(id).second) << "L" << id << " twice";
    }
  }
  EXPECT_EQ(seen.size(), 400U);
}

TEST(Digest, AThousandGroupsOfOneAreNoLessons) {
  std::vector<DigestItem> items;
  const sys_days day = 2026y / November / 20;
  for (int i = 0; i < 1000; ++i) {
    items.push_back(item("$" + std::to_string(i), "Kiel", "p", "wort" + std::to_string(i * 7919),
                         {}, "", 0, at(day, 10h, minutes(i % 600))));
  }
  const Digest digest = build_digest(items, {}, november_request());
  EXPECT_TRUE(digest.lessons.empty());
  EXPECT_EQ(digest.contributions, 1000);
  EXPECT_EQ(digest.participants, 1);
}

// Moderators' corrections: members of one curated group are one group, titled by its name,
// however little their words share; different curated groups never merge.
DigestItem curated(DigestItem item, std::int64_t group, bool anchor = false) {
  item.curated = group;
  item.anchor = anchor;
  if (anchor) item.current = false;
  return item;
}

std::vector<DigestItem> two_themes() {
  const sys_days day = 2026y / November / 20;
  return {
      item("$m1", "Köln", "p1", "Die FFP2-Masken waren viel zu spät bestellt.", {}, "", 0,
           at(day, 9h)),
      item("$m2", "Bonn", "p2", "Masken hätten wir früher zentral bestellen müssen.", {}, "", 0,
           at(day, 10h)),
      item("$h1", "Essen", "p3", "Die Hotline war am ersten Tag völlig überlastet.", {}, "", 0,
           at(day, 11h)),
      item("$h2", "Kiel", "p4", "Bürgertelefon und Hotline waren dauernd besetzt, überlastet.", {},
           "", 0, at(day, 12h)),
  };
}

const DigestGroup* group_with(const Digest& digest, std::span<const DigestItem> items,
                              std::string_view id) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].id == id && digest.group_of[i] != kNoGroup) {
      return &digest.groups[digest.group_of[i]];
    }
  }
  return nullptr;
}

TEST(DigestCuration, ACuratedGroupIsOneGroupWithItsName) {
  auto items = two_themes();
  const Digest plain = build_digest(items, {}, november_request());
  ASSERT_NE(group_with(plain, items, "$m1"), group_with(plain, items, "$h1"));
  for (auto& i : items) i.curated = 7;
  DigestRequest request = november_request();
  request.curated_names = {{7, "Beschaffung und Erreichbarkeit"}};
  const Digest merged = build_digest(items, {}, request);
  const DigestGroup* group = group_with(merged, items, "$m1");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group, group_with(merged, items, "$h2"));
  EXPECT_EQ(group->current, 4);
  EXPECT_EQ(group->curated, 7);
  EXPECT_EQ(group->title(), "Beschaffung und Erreichbarkeit");
  const std::string text = render_digest(merged, items)[0].text;
  EXPECT_NE(text.find("1. Beschaffung und Erreichbarkeit"), std::string::npos) << text;
}

TEST(DigestCuration, DifferentCuratedGroupsNeverMergeAndAnUnnamedOneKeepsItsKeyWords) {
  auto items = two_themes();
  items[0] = curated(items[0], 1);
  items[1] = curated(items[1], 2);
  DigestRequest request = november_request();
  request.name_all_groups = true;
  const Digest digest = build_digest(items, {}, request);
  const DigestGroup* first = group_with(digest, items, "$m1");
  const DigestGroup* second = group_with(digest, items, "$m2");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first, second);
  EXPECT_EQ(first->curated, 1);
  EXPECT_EQ(second->curated, 2);
  EXPECT_FALSE(second->title().empty());
}

// Next week: the curated group's members from before are anchors, never counted or quoted, but a
// new similar contribution joins their group and takes its name; one of the period before that
// belongs to it makes the group grow, not new.
TEST(DigestCuration, AnchorsCarryACuratedGroupIntoTheNextDigest) {
  const sys_days before = 2026y / November / 13;
  const sys_days day = 2026y / November / 20;
  std::vector<DigestItem> items = {
      item("$n1", "Köln", "p1", "Wieder fehlen FFP2-Masken im Lager.", {}, "", 0, at(day, 9h)),
      item("$n2", "Bonn", "p2", "Masken sind schon wieder knapp geworden.", {}, "", 0,
           at(day, 10h)),
      curated(item("$a1", "Essen", "p3", "Die FFP2-Masken waren viel zu spät bestellt.", {}, "", 0,
                   at(before, 9h)),
              3, true),
      curated(item("$a2", "Kiel", "p4", "Masken kamen zu spät, das Lager war leer.", {}, "", 0,
                   at(before, 10h)),
              3, true),
      curated(item("$a1", "", "", "Die FFP2-Masken waren viel zu spät bestellt.", {}, "", 0,
                   at(before, 9h), false),
              3),
  };
  DigestRequest request = november_request();
  request.curated_names = {{3, "Beschaffung"}};
  const Digest digest = build_digest(items, {}, request);
  const DigestGroup* group = group_with(digest, items, "$n1");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group, group_with(digest, items, "$n2"));
  EXPECT_EQ(group->curated, 3);
  EXPECT_EQ(group->title(), "Beschaffung");
  EXPECT_EQ(group->current, 2);
  EXPECT_EQ(group->previous, 1);
  EXPECT_TRUE(group->growing());
  EXPECT_EQ(digest.contributions, 2);
  EXPECT_EQ(digest.previous_contributions, 1);
  EXPECT_EQ(digest.groups.size(), 1U);
  for (const std::size_t q : group->quotes) EXPECT_TRUE(items[q].current);
  for (const std::size_t m : group->members) EXPECT_FALSE(items[m].anchor);
  const std::string text = render_digest(digest, items)[0].text;
  EXPECT_EQ(text.find("Essen"), std::string::npos) << text;
  EXPECT_EQ(text.find("Kiel"), std::string::npos) << text;
}

TEST(Lesson, ParsesDueDatesAsTyped) {
  const year_month_day today = 2026y / November / 26;
  EXPECT_EQ(parse_date("2026-12-15", today), 2026y / December / 15);
  EXPECT_EQ(parse_date("15.12.2026", today), 2026y / December / 15);
  EXPECT_EQ(parse_date("1.2.27", today), 2027y / February / 1);
  EXPECT_EQ(parse_date("15.12.", today), 2026y / December / 15);
  EXPECT_EQ(parse_date("01.03.", today), 2027y / March / 1);  // already past this year
  EXPECT_EQ(parse_date("26.11.", today), 2026y / November / 26);
  EXPECT_EQ(parse_date("29.02.", today), 2028y / February / 29);
  for (const char* bad : {"", "morgen", "31.02.2027", "2026-13-01", "15.12", "1.1.1", "a.b.c",
                          "99999-01-01", "15..2026", "-1.2.2026", "2026-1-5"}) {
    EXPECT_FALSE(parse_date(bad, today).has_value()) << bad;
  }
  EXPECT_EQ(iso_date(2026y / December / 5), "2026-12-05");
  EXPECT_EQ(german_date(2026y / December / 5), "05.12.2026");
}

TEST(Lesson, ReferencesAndStatesAndOverdue) {
  EXPECT_EQ(parse_lesson_ref("L7"), 7);
  EXPECT_EQ(parse_lesson_ref("l12"), 12);
  EXPECT_EQ(parse_lesson_ref("3"), 3);
  for (const char* bad : {"", "L", "L0", "L-1", "x3", "L3a", "99999999999999999999"}) {
    EXPECT_FALSE(parse_lesson_ref(bad).has_value()) << bad;
  }
  for (const LessonState s : {LessonState::identified, LessonState::action, LessonState::learned}) {
    EXPECT_EQ(parse_state(state_name(s)), s);
  }
  EXPECT_FALSE(parse_state("done").has_value());
  Lesson lesson;
  lesson.state = LessonState::action;
  lesson.due = 2026y / November / 26;
  EXPECT_FALSE(is_overdue(lesson, 2026y / November / 26));
  EXPECT_TRUE(is_overdue(lesson, 2026y / November / 27));
  lesson.state = LessonState::learned;
  EXPECT_FALSE(is_overdue(lesson, 2026y / November / 27));
}

}  // namespace
}  // namespace reflexbot::core
