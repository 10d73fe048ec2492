#include "core/round_text.hpp"

#include <gtest/gtest.h>

#include <map>

#include <array>

#include "core/markdown.hpp"
#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::milliseconds{1'750'000'000'000}};

Template panreflex() {
  Template tmpl;
  tmpl.key = "panreflex";
  tmpl.title = {"PanReflex", "PanReflex"};
  tmpl.phases = {
      {"rueckschau",
       {"Rückschau", "Looking back"},
       {"Was ist seit dem letzten Treffen passiert?", "What has happened since we last met?"},
       15min},
      {"bestandsaufnahme",
       {"Bestandsaufnahme", "Taking stock"},
       {"Wo stehen wir heute?", "Where do we stand today?"},
       20min},
  };
  return tmpl;
}

Round round_in(const Template& tmpl, std::string topic, std::size_t phase = 0) {
  Round round = start_round(tmpl, "!r:x", std::move(topic), "@m:x", 0min, t0)->round;
  for (std::size_t i = 0; i < phase; ++i) round = next_phase(round, tmpl, t0)->round;
  return round;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(RenderPhaseStart, FirstPhaseAnnouncesTheRoundInGerman) {
  const Template tmpl = panreflex();
  const Notice notice = render_phase_start(round_in(tmpl, "Hochwasser Juli"), tmpl, Language::de);
  EXPECT_EQ(notice.text,
            "Die Reflexionsrunde „PanReflex“ zum Thema „Hochwasser Juli“ beginnt. Bis zum Ende der "
            "Runde wird jede Nachricht in diesem Raum als Beitrag zur laufenden Phase gesammelt.\n"
            "Phase 1 von 2: Rückschau\n"
            "Was ist seit dem letzten Treffen passiert?\n"
            "Zeit für diese Phase: 15 Minuten.");
  EXPECT_EQ(notice.html,
            "<p>Die Reflexionsrunde „PanReflex“ zum Thema „Hochwasser Juli“ beginnt. Bis zum Ende "
            "der Runde wird jede Nachricht in diesem Raum als Beitrag zur laufenden Phase "
            "gesammelt.</p><p><strong>Phase 1 von 2: Rückschau</strong></p>" +
                markdown_to_html("Was ist seit dem letzten Treffen passiert?") +
                "<p>Zeit für diese Phase: 15 Minuten.</p>");
}

TEST(RenderPhaseStart, LaterPhasesShowOnlyThePhase) {
  const Template tmpl = panreflex();
  const Notice notice = render_phase_start(round_in(tmpl, "", 1), tmpl, Language::de);
  EXPECT_EQ(notice.text,
            "Phase 2 von 2: Bestandsaufnahme\nWo stehen wir heute?\n"
            "Zeit für diese Phase: 20 Minuten.");
  const Notice english = render_phase_start(round_in(tmpl, "", 1), tmpl, Language::en);
  EXPECT_EQ(english.text,
            "Phase 2 of 2: Taking stock\nWhere do we stand today?\nTime for this phase: 20 "
            "minutes.");
}

// The heading names the phase; a question that begins with the same words does not say them twice
// ("Phase 1 von 4: Was war geplant?" then "Was war geplant? Beschreiben Sie …").
TEST(RenderPhaseStart, AQuestionThatRepeatsTheTitleStartsAfterIt) {
  Template tmpl = panreflex();
  tmpl.phases[0].title.de = "Was war geplant?";
  tmpl.phases[0].question.de = "Was war geplant? Beschreiben Sie Auftrag und Ziel.\n\n- Wer?";
  tmpl.phases[1].title.de = "Wo stehen wir?";
  tmpl.phases[1].question.de = "Wo stehen wir?";
  const Notice first = render_phase_start(round_in(tmpl, ""), tmpl, Language::de);
  EXPECT_TRUE(
      contains(first.text, "Phase 1 von 2: Was war geplant?\nBeschreiben Sie Auftrag und Ziel."))
      << first.text;
  EXPECT_FALSE(contains(first.text, "geplant?\nWas war geplant?")) << first.text;
  EXPECT_TRUE(contains(first.text, "- Wer?")) << first.text;
  const Notice only_title = render_phase_start(round_in(tmpl, "", 1), tmpl, Language::de);
  EXPECT_EQ(only_title.text, "Phase 2 von 2: Wo stehen wir?\nZeit für diese Phase: 20 Minuten.");
  // Only whole words: a question that merely starts like the title stays as written.
  tmpl.phases[1].title.de = "Wo";
  tmpl.phases[1].question.de = "Wohin geht es?";
  EXPECT_TRUE(contains(render_phase_start(round_in(tmpl, "", 1), tmpl, Language::de).text,
                       "Phase 2 von 2: Wo\nWohin geht es?"));
}

// Templates emphasise the title at the start of the question ("**Was war geplant?** Beschreiben
// Sie …"): that is the same repeat.
TEST(RenderPhaseStart, AnEmphasisedTitleAtTheQuestionsStartIsNotRepeated) {
  Template tmpl = panreflex();
  tmpl.phases[0].title.de = "Was war geplant?";
  tmpl.phases[0].question.de = "**Was war geplant?** Beschreiben Sie Auftrag und Ziel.\n- Wer?";
  tmpl.phases[1].title.de = "Wo stehen wir?";
  tmpl.phases[1].question.de = "*Wo stehen wir?*";
  const Notice first = render_phase_start(round_in(tmpl, ""), tmpl, Language::de);
  EXPECT_TRUE(
      contains(first.text, "Phase 1 von 2: Was war geplant?\nBeschreiben Sie Auftrag und Ziel."))
      << first.text;
  EXPECT_FALSE(contains(first.html, "<strong>Was war geplant?</strong> Beschreiben")) << first.html;
  EXPECT_EQ(render_phase_start(round_in(tmpl, "", 1), tmpl, Language::de).text,
            "Phase 2 von 2: Wo stehen wir?\nZeit für diese Phase: 20 Minuten.");
  // Emphasis that is only part of the title's words stays.
  tmpl.phases[1].question.de = "**Wo** stehen wir?";
  EXPECT_TRUE(contains(render_phase_start(round_in(tmpl, "", 1), tmpl, Language::de).text,
                       "Wo stehen wir?\nWo stehen wir?"));
}

TEST(RenderPhaseStart, QuestionIsRenderedAsMarkdown) {
  Template tmpl = panreflex();
  tmpl.phases[0].question.de = "Was lief **gut**?";
  const Notice notice = render_phase_start(round_in(tmpl, ""), tmpl, Language::de);
  EXPECT_TRUE(contains(notice.html, markdown_to_html("Was lief **gut**?")));
  EXPECT_TRUE(contains(notice.text, markdown_to_plain("Was lief **gut**?")));
}

TEST(RenderPhaseStart, HostileTopicAndTitlesAreEscaped) {
  Template tmpl = panreflex();
  tmpl.title.de = "<b>Vorlage</b>";
  tmpl.phases[0].title.de = "Rück<script>schau";
  const Notice notice = render_phase_start(round_in(tmpl, "<img src=x onerror=alert(1)> & {phase}"),
                                           tmpl, Language::de);
  EXPECT_FALSE(contains(notice.html, "<img"));
  EXPECT_FALSE(contains(notice.html, "<script"));
  EXPECT_FALSE(contains(notice.html, "<b>"));
  EXPECT_TRUE(contains(notice.html, "„&lt;img src=x onerror=alert(1)&gt; &amp; {phase}“"));
  EXPECT_TRUE(contains(notice.html, "Rück&lt;script&gt;schau"));
  EXPECT_TRUE(contains(notice.html, "„&lt;b&gt;Vorlage&lt;/b&gt;“"));
  // The plain text keeps the topic as typed; a placeholder in it is not expanded.
  EXPECT_TRUE(contains(notice.text, "„<img src=x onerror=alert(1)> & {phase}“"));
}

TEST(RenderPhaseEnd, SummaryInGerman) {
  const Template tmpl = panreflex();
  PhaseSummary summary;
  summary.contributions = 12;
  summary.participants = 5;
  summary.cities = {"Bonn", "Köln", "Siegburg"};
  summary.per_tag = {{"idee", 2}, {"lehre", 4}, {"problem", 4}, {"frust", 0}};
  const Notice notice = render_phase_end(tmpl, PhaseEnded{0, false}, summary, Language::de);
  EXPECT_EQ(notice.text,
            "Die Phase „Rückschau“ ist abgeschlossen.\n"
            "12 Beiträge von 5 Personen aus Bonn, Köln und Siegburg.\n"
            "Nach Schlagwort: #lehre: 4, #problem: 4, #idee: 2");
  EXPECT_EQ(notice.html,
            "<p>Die Phase „Rückschau“ ist abgeschlossen.</p>"
            "<p>12 Beiträge von 5 Personen aus Bonn, Köln und Siegburg.</p>"
            "<p>Nach Schlagwort: #lehre: 4, #problem: 4, #idee: 2</p>");
}

TEST(RenderPhaseEnd, SingularsEmptyPhasesAndAnonymousContributions) {
  const Template tmpl = panreflex();
  PhaseSummary one;
  one.contributions = 1;
  one.participants = 1;
  one.cities = {"Bonn"};
  EXPECT_EQ(render_phase_end(tmpl, PhaseEnded{1, false}, one, Language::de).text,
            "Die Phase „Bestandsaufnahme“ ist abgeschlossen.\n1 Beitrag von 1 Person aus Bonn.");
  EXPECT_EQ(render_phase_end(tmpl, PhaseEnded{1, false}, one, Language::en).text,
            "The \"Taking stock\" phase is over.\n1 contribution from 1 person in Bonn.");

  EXPECT_EQ(render_phase_end(tmpl, PhaseEnded{0, false}, PhaseSummary{}, Language::de).text,
            "Die Phase „Rückschau“ ist abgeschlossen.\n"
            "In dieser Phase sind keine Beiträge eingegangen.");

  PhaseSummary anonymous;
  anonymous.contributions = 2;
  EXPECT_EQ(render_phase_end(tmpl, PhaseEnded{0, false}, anonymous, Language::de).text,
            "Die Phase „Rückschau“ ist abgeschlossen.\n2 Beiträge.");
}

TEST(RenderPhaseEnd, ClosedWhileOfflineSaysSo) {
  const Template tmpl = panreflex();
  const Notice notice = render_phase_end(tmpl, PhaseEnded{0, true}, PhaseSummary{}, Language::de);
  EXPECT_EQ(notice.text,
            "Die Phase „Rückschau“ ist abgelaufen, während ich nicht erreichbar war. Ich schließe "
            "sie hiermit nachträglich ab.\n"
            "In dieser Phase sind keine Beiträge eingegangen.");
}

TEST(RenderPhaseEnd, HostileCitiesAndTagsAreEscaped) {
  const Template tmpl = panreflex();
  PhaseSummary summary;
  summary.contributions = 3;
  summary.participants = 2;
  summary.cities = {"<i>Bonn</i>"};
  summary.per_tag = {{"<x>", 1}};
  const Notice notice = render_phase_end(tmpl, PhaseEnded{0, false}, summary, Language::de);
  EXPECT_TRUE(contains(notice.html, "aus &lt;i&gt;Bonn&lt;/i&gt;."));
  EXPECT_TRUE(contains(notice.html, "#&lt;x&gt;: 1"));
}

TEST(RenderRoundEnd, ThanksAndTotals) {
  const Template tmpl = panreflex();
  PhaseSummary summary;
  summary.contributions = 30;
  summary.participants = 8;
  summary.cities = {"Bonn", "Köln"};
  EXPECT_EQ(render_round_end(tmpl, RoundEnded{false}, summary, Language::de).text,
            "Die Reflexionsrunde „PanReflex“ ist abgeschlossen. Vielen Dank für Ihre Beiträge!\n"
            "Insgesamt: 30 Beiträge von 8 Personen aus Bonn und Köln.");
  EXPECT_EQ(render_round_end(tmpl, RoundEnded{true}, PhaseSummary{}, Language::en).text,
            "The moderators have ended the reflection round \"PanReflex\". Thank you for your "
            "contributions!\nNo contributions came in during this round.");
}

TEST(RenderTimer, ReminderPausedResumedExtended) {
  const Template tmpl = panreflex();
  EXPECT_EQ(render_reminder(tmpl, ReminderDue{0, 5min}, Language::de).text,
            "Noch 5 Minuten in der Phase „Rückschau“. Wer noch etwas beitragen möchte, hat jetzt "
            "Gelegenheit dazu.");
  // A timer that fires late rounds up to whole minutes; one minute is singular.
  EXPECT_EQ(render_reminder(tmpl, ReminderDue{0, 4min + 58s}, Language::de).text,
            render_reminder(tmpl, ReminderDue{0, 5min}, Language::de).text);
  EXPECT_EQ(render_reminder(tmpl, ReminderDue{0, 1min}, Language::en).text,
            "1 minute left in the \"Looking back\" phase. If you'd still like to contribute, now "
            "is a good time.");
  EXPECT_EQ(render_paused(tmpl, Paused{0, 7min}, Language::de).text,
            "Die Runde ist pausiert. In der Phase „Rückschau“ bleiben noch 7 Minuten; die Zeit "
            "läuft erst weiter, wenn die Runde fortgesetzt wird. In der Pause wird nur gesammelt, "
            "was ein Schlagwort trägt (etwa #idee); es zählt zur Phase „Rückschau“.");
  EXPECT_EQ(render_resumed(tmpl, Resumed{0, 7min}, Language::de).text,
            "Es geht weiter: Die Phase „Rückschau“ läuft noch 7 Minuten.");
  EXPECT_EQ(render_extended(tmpl, Extended{1, 10min, 1min}, Language::de).text,
            "Die Phase „Bestandsaufnahme“ wurde um 10 Minuten verlängert. Verbleibende Zeit: 1 "
            "Minute.");
}

TEST(RenderStatus, RunningAndPaused) {
  const Template tmpl = panreflex();
  Round round = round_in(tmpl, "Hochwasser", 1);
  EXPECT_EQ(render_status(round, tmpl, t0 + 5min, Language::de).text,
            "Laufende Reflexionsrunde: „PanReflex“, Phase 2 von 2 („Bestandsaufnahme“), noch 15 "
            "Minuten.\nThema: Hochwasser");
  round = pause(round, tmpl, t0 + 5min)->round;
  EXPECT_EQ(render_status(round, tmpl, t0 + 2h, Language::en).text,
            "Reflection round \"PanReflex\" is paused in phase 2 of 2 (\"Taking stock\") with 15 "
            "minutes left.\nTopic: Hochwasser");
}

TEST(RenderRefusals, NameWhatWasTypedAndEscapeIt) {
  const Template tmpl = panreflex();
  const std::array<std::string, 3> keys = {"panreflex", "aar", "design-thinking"};
  const Notice unknown = render_unknown_template("<panik>", keys, Language::de);
  EXPECT_EQ(
      unknown.text,
      "Die Vorlage „<panik>“ gibt es nicht. Verfügbar sind: panreflex, aar, design-thinking.");
  EXPECT_EQ(unknown.html,
            "Die Vorlage „&lt;panik&gt;“ gibt es nicht. Verfügbar sind: panreflex, aar, "
            "design-thinking.");
  EXPECT_TRUE(contains(render_unknown_template("x", {}, Language::de).text, "keine Vorlagen"));

  EXPECT_EQ(render_bad_duration("500", Language::de).text,
            "„500“ Minuten je Phase gehen nicht: Eine Phase dauert 1 bis 240 Minuten, zum Beispiel "
            "!runde aar Hochwasser 20.");
  const Notice long_duration = render_bad_duration(std::string(100, '9'), Language::de);
  EXPECT_TRUE(contains(long_duration.text, "„" + std::string(40, '9') + "“"));

  EXPECT_EQ(render_round_already_running(round_in(tmpl, ""), tmpl, Language::de).text,
            "In diesem Raum läuft bereits eine Reflexionsrunde („PanReflex“, Phase 1 von 2). Pro "
            "Raum ist immer nur eine Runde möglich; bitte beenden Sie die laufende zuerst mit "
            "!ende.");
  EXPECT_EQ(render_no_round(Language::de).html,
            "In diesem Raum läuft derzeit keine Reflexionsrunde. Die Moderation kann mit !runde "
            "&lt;Vorlage&gt; eine starten.");
  EXPECT_EQ(render_round_error(RoundError::bad_extension, Language::de).text,
            "Eine Phase lässt sich um 1 bis 240 Minuten verlängern.");
}

// A moderator closing a phase sees its strongest points: most votes and most in common with the
// other contributions first, at most three, quoted as in the digest (no hashtags, no ids, short).
TEST(StrongestPoints, VotesAndSimilarityToTheOthersRankThem) {
  std::vector<SummaryCandidate> candidates = {
      {"Kaffee war alle #frust", 0, {901}},
      {"Funk fiel im Keller aus #problem", 0, {1, 2, 3}},
      {"Der Funk im Keller war tot", 0, {1, 2, 4}},
      {"Funk im Keller ausgefallen, @anna:example.org wusste es", 0, {1, 5}},
      {"Sirenen testen", 3, {700}},
  };
  // Votes count most; then what shares most with the others (three Funk messages); ties: older.
  EXPECT_EQ(strongest_points(candidates, 3), (std::vector<std::size_t>{4, 1, 2}));
  EXPECT_EQ(strongest_points(candidates, 1), (std::vector<std::size_t>{4}));
  // Nothing voted and nothing shared: no point stands out, none is named.
  const std::vector<SummaryCandidate> apart = {{"a", 0, {1}}, {"b", 0, {2}}};
  EXPECT_TRUE(strongest_points(apart, 3).empty());
  EXPECT_TRUE(strongest_points({}, 3).empty());

  PhaseSummary summary;
  summary.contributions = 5;
  summary.participants = 3;
  summary.candidates = candidates;
  const Template tmpl = panreflex();
  const Notice notice = render_phase_end(tmpl, PhaseEnded{0, false}, summary, Language::de);
  EXPECT_TRUE(contains(notice.text,
                       "Die stärksten Punkte:\n• „Sirenen testen“ (3 👍)\n"
                       "• „Funk fiel im Keller aus“\n• „Der Funk im Keller war tot“"))
      << notice.text;
  EXPECT_FALSE(contains(notice.text, "#problem")) << notice.text;
  EXPECT_FALSE(contains(notice.text, "Kaffee")) << notice.text;
  EXPECT_TRUE(contains(notice.html, "<li>„Sirenen testen“ (3 👍)</li>")) << notice.html;
  // The round's summary names them too, in English as well.
  const Notice end = render_round_end(tmpl, RoundEnded{false}, summary, Language::en);
  EXPECT_TRUE(contains(end.text, "The strongest points:\n• \"Sirenen testen\" (3 👍)")) << end.text;
  // A long contribution is cut short, and ids never show.
  summary.candidates = {{std::string(300, 'x') + " Funk", 2, {1}},
                        {"@anna:example.org Funk", 1, {1}}};
  const Notice cut = render_phase_end(tmpl, PhaseEnded{0, false}, summary, Language::de);
  EXPECT_FALSE(contains(cut.text, std::string(150, 'x'))) << cut.text;
  EXPECT_FALSE(contains(cut.text, "anna")) << cut.text;
}

// "#foederal" where the participant wrote "#föderal": a summary shows tags as they were written.
TEST(RoundTexts, TheSummaryShowsTagsAsTheyWereWritten) {
  PhaseSummary summary;
  summary.contributions = 3;
  summary.participants = 2;
  summary.per_tag = {{"foederal", 2}, {"problem", 1}};
  summary.candidates = {{"Zuständigkeiten unklar #föderal", 0, {1}},
                        {"Land und Bund stritten #Föderalismus #problem", 0, {2}},
                        {"Kein Tag hier", 0, {3}}};
  const PhaseSummary shown = with_written_tags(summary, default_vocabulary());
  EXPECT_EQ(shown.per_tag, (std::map<std::string, int>{{"#föderal", 2}, {"#problem", 1}}));
  const Notice notice = render_phase_end(panreflex(), PhaseEnded{0, false}, shown, Language::de);
  EXPECT_TRUE(contains(notice.text, "#föderal: 2")) << notice.text;
  EXPECT_FALSE(contains(notice.text, "foederal")) << notice.text;
}

TEST(RoundTexts, ForgetMeNamesContributionsAndVotesApart) {
  EXPECT_TRUE(render_forget_ask({7, 3}, Language::de)
                  .text.starts_with("Von Ihnen gespeichert sind: 7 Beiträge und 3 Stimmen."));
  EXPECT_EQ(render_forget_done({1, 0}, Language::de).text, "Erledigt. Gelöscht sind: 1 Beitrag.");
  EXPECT_EQ(render_forget_done({0, 1}, Language::de).text, "Erledigt. Gelöscht sind: 1 Stimme.");
  EXPECT_EQ(render_forget_done({2, 5}, Language::en).text,
            "Done. Deleted: 2 contributions and 5 votes.");
  EXPECT_EQ(render_forget_ask({0, 0}, Language::de).text, "Von Ihnen ist nichts gespeichert.");
}

TEST(RoundTexts, EveryTextExistsInBothLanguagesAndDiffers) {
  const RoundTexts& de = texts(Language::de).round;
  const RoundTexts& en = texts(Language::en).round;
  const auto all = [](const RoundTexts& t) {
    return std::array{t.round_begins,
                      t.round_begins_topic,
                      t.collection_note,
                      t.phase_heading,
                      t.phase_time,
                      t.minutes_one,
                      t.minutes_many,
                      t.reminder,
                      t.phase_ended,
                      t.phase_closed_offline,
                      t.contributions_one,
                      t.contributions_many,
                      t.people_one,
                      t.people_many,
                      t.summary_people,
                      t.summary_cities,
                      t.list_and,
                      t.summary_tags,
                      t.strongest_points,
                      t.strongest_point,
                      t.strongest_point_votes,
                      t.no_contributions_phase,
                      t.no_contributions_round,
                      t.round_ended,
                      t.round_ended_by_command,
                      t.round_total,
                      t.paused,
                      t.resumed,
                      t.extended,
                      t.status_running,
                      t.status_paused,
                      t.status_topic,
                      t.status_direct_room,
                      t.status_direct_none,
                      t.not_moderator,
                      t.no_round,
                      t.round_already_running,
                      t.unknown_template,
                      t.no_templates,
                      t.bad_duration,
                      t.usage_start,
                      t.usage_extend,
                      t.bad_extension_given,
                      t.error_no_phases,
                      t.error_bad_phase_length,
                      t.error_bad_extension,
                      t.error_round_ended,
                      t.error_already_paused,
                      t.error_not_paused};
  };
  static_assert(sizeof(RoundTexts) == 49 * sizeof(std::string_view),
                "a text was added: list it here too");
  const auto german = all(de);
  const auto english = all(en);
  for (std::size_t i = 0; i < german.size(); ++i) {
    EXPECT_FALSE(german[i].empty()) << i;
    EXPECT_FALSE(english[i].empty()) << i;
    EXPECT_NE(german[i], english[i]) << i;
  }

  // Every notice renders in both languages, and differently.
  const Template tmpl = panreflex();
  const Round round = round_in(tmpl, "Thema");
  for (auto error : {RoundError::no_phases, RoundError::bad_phase_length, RoundError::bad_extension,
                     RoundError::round_ended, RoundError::already_paused, RoundError::not_paused}) {
    EXPECT_NE(render_round_error(error, Language::de).text,
              render_round_error(error, Language::en).text);
  }
  EXPECT_NE(render_not_moderator(Language::de).text, render_not_moderator(Language::en).text);
  EXPECT_NE(render_usage_start(Language::de).text, render_usage_start(Language::en).text);
  EXPECT_NE(render_usage_extend(Language::de).text, render_usage_extend(Language::en).text);
  EXPECT_NE(render_phase_start(round, tmpl, Language::de).text,
            render_phase_start(round, tmpl, Language::en).text);
}

TEST(PrivacyText, AnAnonymousContributionIsEscapedAndNamesNoOne) {
  const Notice notice =
      render_anonymous_contribution("<b>Lage</b> war unklar\nzweite Zeile", Language::de);
  EXPECT_EQ(notice.text, "Anonymer Beitrag:\n<b>Lage</b> war unklar\nzweite Zeile");
  EXPECT_EQ(notice.html,
            "<p><strong>Anonymer Beitrag:</strong></p><p>&lt;b&gt;Lage&lt;/b&gt; war "
            "unklar<br>zweite Zeile</p>");
}

TEST(PrivacyText, OwnContributionsNewestFirstWithDateCityAndPhase) {
  Contribution older;
  older.city = "Köln";
  older.phase_key = "rueckschau";
  older.body = "Funk <fiel> aus";
  older.written_at = TimePoint(std::chrono::milliseconds(1718100000000));  // 11.06.2024
  Contribution newer = older;
  newer.phase_key.clear();
  newer.body = std::string(400, 'x');
  newer.written_at = TimePoint(std::chrono::milliseconds(1720000000000));  // 03.07.2024
  const std::array<Contribution, 2> list{older, newer};
  const Notice notice = render_mine(list, Language::de);
  EXPECT_EQ(notice.text,
            "Diese 2 Beiträge von Ihnen sind gespeichert (anonyme Beiträge sind nicht dabei, sie "
            "sind niemandem zugeordnet):\n• 03.07.2024 (Köln): " +
                std::string(300, 'x') + " …\n• 11.06.2024 (Köln, rueckschau): Funk <fiel> aus");
  EXPECT_NE(notice.html.find("Funk &lt;fiel&gt; aus"), std::string::npos);
  EXPECT_EQ(render_mine({}, Language::de).text, "Von Ihnen ist kein Beitrag gespeichert.");
}

}  // namespace
}  // namespace reflexbot::core
