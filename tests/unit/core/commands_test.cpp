#include "core/commands.hpp"
#include "core/lesson.hpp"

#include <set>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

TEST(ParseCommand, RecognisesGermanAndEnglishNames) {
  EXPECT_EQ(parse_command("!ping")->kind, CommandKind::ping);
  EXPECT_EQ(parse_command("!hilfe")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!help")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!HILFE")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!Ping")->name, "ping");
}

TEST(ParseCommand, SplitsArgumentsOnAnyWhitespace) {
  auto command = parse_command("!runde  panreflex\tKrisenstab\n 30");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->kind, CommandKind::start_round);
  EXPECT_EQ(command->name, "runde");
  EXPECT_EQ(command->args, (std::vector<std::string>{"panreflex", "Krisenstab", "30"}));
}

TEST(ParseCommand, IgnoresTextThatIsNoCommand) {
  EXPECT_FALSE(parse_command(""));
  EXPECT_FALSE(parse_command("!"));
  EXPECT_FALSE(parse_command("ping"));
  EXPECT_FALSE(parse_command(" !ping"));
  EXPECT_FALSE(parse_command("!!!"));
  EXPECT_FALSE(parse_command("! ping"));
  EXPECT_FALSE(parse_command("!1"));
}

TEST(ParseCommand, RecognisesEveryRoundCommandAndAlias) {
  const std::vector<std::pair<std::string, CommandKind>> cases = {
      {"!ping", CommandKind::ping},
      {"!hilfe", CommandKind::help},
      {"!help", CommandKind::help},
      {"!h", CommandKind::help},
      {"!runde", CommandKind::start_round},
      {"!round", CommandKind::start_round},
      {"!start", CommandKind::start_round},
      {"!weiter", CommandKind::next_phase},
      {"!next", CommandKind::next_phase},
      {"!pause", CommandKind::pause},
      {"!fortsetzen", CommandKind::resume},
      {"!resume", CommandKind::resume},
      {"!verlängern", CommandKind::extend},
      {"!verlaengern", CommandKind::extend},
      {"!verlangern", CommandKind::extend},
      {"!extend", CommandKind::extend},
      {"!ende", CommandKind::end_round},
      {"!end", CommandKind::end_round},
      {"!beenden", CommandKind::end_round},
      {"!status", CommandKind::status},
      {"!vorlagen", CommandKind::templates},
      {"!templates", CommandKind::templates},
      {"!vergessen", CommandKind::forget_me},
      {"!forgetme", CommandKind::forget_me},
      {"!forget-me", CommandKind::forget_me},
      {"!meine", CommandKind::my_contributions},
      {"!mine", CommandKind::my_contributions},
      {"!anonym", CommandKind::anonymous},
      {"!anon", CommandKind::anonymous},
      {"!anonymous", CommandKind::anonymous},
      {"!runden", CommandKind::unknown},
      {"!weiter?", CommandKind::unknown},
      {"!forget_me", CommandKind::unknown},
  };
  for (const auto& [body, kind] : cases) {
    const auto command = parse_command(body);
    ASSERT_TRUE(command) << body;
    EXPECT_EQ(command->kind, kind) << body;
  }
}

TEST(ParseCommand, IgnoresCaseAndAcceptsEveryUmlautSpelling) {
  EXPECT_EQ(parse_command("!RUNDE aar")->kind, CommandKind::start_round);
  EXPECT_EQ(parse_command("!Weiter")->kind, CommandKind::next_phase);
  EXPECT_EQ(parse_command("!VERLÄNGERN 5")->kind, CommandKind::extend);
  EXPECT_EQ(parse_command("!VERLÄNGERN 5")->name, "verlängern");
  EXPECT_EQ(parse_command("!Verlaengern 5")->kind, CommandKind::extend);
  // "a" followed by U+0308 COMBINING DIAERESIS, as some keyboards send it.
  EXPECT_EQ(parse_command("!verla\u0308ngern 5")->kind, CommandKind::extend);
  EXPECT_EQ(parse_command("!ForgetMe")->kind, CommandKind::forget_me);
}

TEST(ParseCommand, KeepsTheRestWithItsSpacingAndLineBreaks) {
  const auto command = parse_command(
      "!anonym  #krisenstab:example.org Erste Zeile\n\n  - Punkt  eins\n- Punkt zwei\n");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->kind, CommandKind::anonymous);
  EXPECT_EQ(command->rest, "#krisenstab:example.org Erste Zeile\n\n  - Punkt  eins\n- Punkt zwei");
  EXPECT_EQ(command->args, (std::vector<std::string>{"#krisenstab:example.org", "Erste", "Zeile",
                                                     "-", "Punkt", "eins", "-", "Punkt", "zwei"}));
  EXPECT_EQ(parse_command("!status")->rest, "");
  EXPECT_TRUE(parse_command("!status \n ")->args.empty());
  EXPECT_EQ(parse_command("!status\nnächste Zeile")->rest, "nächste Zeile");
  EXPECT_EQ(parse_command("!status\nnächste Zeile")->name, "status");
}

TEST(ParseCommand, OnlyRoundControlIsForModerators) {
  for (const char* body :
       {"!runde aar", "!weiter", "!pause", "!fortsetzen", "!verlängern 5", "!ende"}) {
    EXPECT_TRUE(is_moderator_command(*parse_command(body))) << body;
  }
  for (const char* body : {"!ping", "!hilfe", "!status", "!vorlagen", "!meine", "!vergessen",
                           "!anonym raum text", "!unbekannt"}) {
    EXPECT_FALSE(is_moderator_command(*parse_command(body))) << body;
  }
}

std::optional<StartArgs> start(std::string_view body) {
  return parse_start_args(*parse_command(body));
}

TEST(ParseStartArgs, TakesTemplateTopicAndTrailingMinutes) {
  auto args = start("!runde PanReflex Hochwasser Juli 2024 20");
  ASSERT_TRUE(args);
  EXPECT_EQ(args->template_key, "panreflex");
  EXPECT_EQ(args->topic, "Hochwasser Juli 2024");
  EXPECT_EQ(args->phase_length, std::chrono::minutes(20));

  args = start("!round aar  Stabsrahmenübung\tKreis Ahrweiler");
  ASSERT_TRUE(args);
  EXPECT_EQ(args->template_key, "aar");
  EXPECT_EQ(args->topic, "Stabsrahmenübung Kreis Ahrweiler");
  EXPECT_EQ(args->phase_length, std::chrono::minutes(0));

  args = start("!runde design-thinking");
  ASSERT_TRUE(args);
  EXPECT_EQ(args->template_key, "design-thinking");
  EXPECT_EQ(args->topic, "");
  EXPECT_EQ(args->phase_length, std::chrono::minutes(0));
}

TEST(ParseStartArgs, ANumberAloneAfterTheTemplateIsThePhaseLength) {
  const auto args = start("!runde aar 15");
  ASSERT_TRUE(args);
  EXPECT_EQ(args->template_key, "aar");
  EXPECT_EQ(args->topic, "");
  EXPECT_EQ(args->phase_length, std::chrono::minutes(15));
  // The first argument is always the template, even if it looks like a number.
  EXPECT_EQ(start("!runde 15")->template_key, "15");
  EXPECT_EQ(start("!runde 15")->phase_length, std::chrono::minutes(0));
}

TEST(ParseStartArgs, AcceptsMinuteUnits) {
  for (const char* body :
       {"!runde aar Thema 20min", "!runde aar Thema 20m", "!runde aar Thema 20MIN",
        "!runde aar Thema 20 min", "!runde aar Thema 20 Minuten", "!runde aar Thema 20 minutes",
        "!runde aar Thema 20Minuten"}) {
    const auto args = start(body);
    ASSERT_TRUE(args) << body;
    EXPECT_EQ(args->topic, "Thema") << body;
    EXPECT_EQ(args->phase_length, std::chrono::minutes(20)) << body;
  }
  // Only a whole number is a length; anything else belongs to the topic.
  EXPECT_EQ(start("!runde aar Phase 2b")->topic, "Phase 2b");
  EXPECT_EQ(start("!runde aar Lage 12.5")->topic, "Lage 12.5");
  EXPECT_EQ(start("!runde aar Lage -5")->topic, "Lage -5");
  EXPECT_EQ(start("!runde aar Thema min")->topic, "Thema min");
  EXPECT_EQ(start("!runde aar Thema min")->phase_length, std::chrono::minutes(0));
}

TEST(ParseStartArgs, RefusesMissingTemplateAndLengthsOutOfRange) {
  EXPECT_FALSE(start("!runde"));
  EXPECT_FALSE(start("!runde   \n"));
  EXPECT_FALSE(start("!runde aar Thema 0"));
  EXPECT_FALSE(start("!runde aar 0min"));
  EXPECT_FALSE(start("!runde aar Thema 241"));
  EXPECT_FALSE(start("!runde aar Thema 99999999999999999999999"));
  EXPECT_EQ(start("!runde aar 240")->phase_length, std::chrono::minutes(240));
  EXPECT_EQ(start("!runde aar 1")->phase_length, std::chrono::minutes(1));
}

std::optional<std::chrono::minutes> minutes(std::string_view body) {
  return parse_minutes(*parse_command(body));
}

TEST(ParseMinutes, TakesOneWholeNumberOfMinutes) {
  EXPECT_EQ(minutes("!verlängern 10"), std::chrono::minutes(10));
  EXPECT_EQ(minutes("!extend 5min"), std::chrono::minutes(5));
  EXPECT_EQ(minutes("!verlängern 5 Minuten"), std::chrono::minutes(5));
  EXPECT_EQ(minutes("!verlängern 240"), std::chrono::minutes(240));
  EXPECT_FALSE(minutes("!verlängern"));
  EXPECT_FALSE(minutes("!verlängern 0"));
  EXPECT_FALSE(minutes("!verlängern 241"));
  EXPECT_FALSE(minutes("!verlängern zehn"));
  EXPECT_FALSE(minutes("!verlängern 10 20"));
  EXPECT_FALSE(minutes("!verlängern 1.5"));
  EXPECT_FALSE(minutes("!verlängern -5"));
  EXPECT_FALSE(minutes("!verlängern Minuten"));
}

TEST(IsConfirmation, OnlyForgetMeWithTheConfirmingWord) {
  EXPECT_TRUE(is_confirmation(*parse_command("!vergessen bestätigen")));
  EXPECT_TRUE(is_confirmation(*parse_command("!vergessen bestaetigen")));
  EXPECT_TRUE(is_confirmation(*parse_command("!Vergessen BESTÄTIGEN")));
  EXPECT_TRUE(is_confirmation(*parse_command("!forgetme confirm")));
  EXPECT_TRUE(is_confirmation(*parse_command("!forget-me Confirm")));
  EXPECT_FALSE(is_confirmation(*parse_command("!vergessen")));
  EXPECT_FALSE(is_confirmation(*parse_command("!vergessen bitte")));
  EXPECT_FALSE(is_confirmation(*parse_command("!vergessen bestätigen nicht")));
  EXPECT_FALSE(is_confirmation(*parse_command("!status bestätigen")));
}

TEST(ParseAnonymous, SplitsRoomAndTextKeepingLines) {
  const auto args = parse_anonymous(
      *parse_command("!anonym #stab:example.org\nDie Lagemeldung kam zu spät.\n\nZweiter Absatz"));
  ASSERT_TRUE(args);
  EXPECT_EQ(args->room, "#stab:example.org");
  EXPECT_EQ(args->text, "Die Lagemeldung kam zu spät.\n\nZweiter Absatz");
  EXPECT_FALSE(parse_anonymous(*parse_command("!anonym")));
  EXPECT_FALSE(parse_anonymous(*parse_command("!anonym #stab:example.org  \n")));
}

TEST(Answer, PingAnswersPongInTheConfiguredLanguage) {
  const auto german = answer(*parse_command("!ping"), Language::de);
  EXPECT_EQ(german.text, "Pong! Reflexbot ist da und hört zu.");
  EXPECT_EQ(german.html, "Pong! Reflexbot ist da und hört zu.");
  const auto english = answer(*parse_command("!ping"), Language::en);
  EXPECT_EQ(english.text, "Pong! Reflexbot is here and listening.");
}

TEST(Answer, HelpListsTheCommandsInBothForms) {
  const auto help = answer(*parse_command("!hilfe"), Language::de);
  EXPECT_NE(help.text.find("!ping – prüft, ob der Bot erreichbar ist"), std::string::npos);
  EXPECT_NE(help.text.find("!hilfe – zeigt alle Befehle"), std::string::npos);
  EXPECT_NE(help.html.find("<li><code>!ping</code> – prüft, ob der Bot erreichbar ist</li>"),
            std::string::npos);
  const auto english = answer(*parse_command("!help"), Language::en);
  EXPECT_NE(english.text.find("!help – shows all commands"), std::string::npos);
}

TEST(ParseCommand, CorrectionsOfDigestGroupsInGermanAndEnglish) {
  const std::vector<std::pair<std::string, CommandKind>> cases = {
      {"!zusammenführen D4-2 D4-5", CommandKind::merge_groups},
      {"!zusammenfuehren 2 5", CommandKind::merge_groups},
      {"!merge D4-2 D4-5", CommandKind::merge_groups},
      {"!verschieben D4-3", CommandKind::move_contribution},
      {"!move D4-3", CommandKind::move_contribution},
      {"!abtrennen", CommandKind::split_contribution},
      {"!split", CommandKind::split_contribution},
      {"!umbenennen D4-2 Neuer Titel", CommandKind::rename_group},
      {"!rename D4-2 New title", CommandKind::rename_group},
  };
  for (const auto& [body, kind] : cases) {
    SCOPED_TRACE(body);
    const auto command = parse_command(body);
    ASSERT_TRUE(command);
    EXPECT_EQ(command->kind, kind);
    EXPECT_TRUE(is_moderator_command(*command));
    EXPECT_FALSE(is_direct_chat_command(*command));
    EXPECT_TRUE(parse_curation_args(*command)) << body;
  }
  const auto merge = parse_curation_args(*parse_command("!merge D4-2 5"));
  ASSERT_TRUE(merge);
  ASSERT_EQ(merge->groups.size(), 2U);
  EXPECT_EQ(merge->groups[1].digest, 4);
  EXPECT_EQ(merge->groups[1].group, 5);
  const auto rename = parse_curation_args(*parse_command("!umbenennen D4.2  Masken und Lager "));
  ASSERT_TRUE(rename);
  EXPECT_EQ(rename->groups[0].digest, 4);
  EXPECT_EQ(rename->groups[0].group, 2);
  EXPECT_EQ(rename->name, "Masken und Lager");
  for (const char* bad : {"!merge D4-2", "!merge D4-2 x", "!move", "!move -1", "!split D4-2",
                          "!rename D4-2", "!rename Titel", "!merge 1 2 3", "!merge D4-2 D5-3 x"}) {
    SCOPED_TRACE(bad);
    const auto args = parse_curation_args(*parse_command(bad));
    ASSERT_FALSE(args);
    EXPECT_FALSE(args.error().other_digest);
  }
  // Two digests' groups: the problem names the second digest.
  const auto two = parse_curation_args(*parse_command("!merge D4-2 D5-3"));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().other_digest, 5);
  // "1 D5-3": the first of the second's digest, as "D5-1 3" takes the second from the first.
  const auto first_bare = parse_curation_args(*parse_command("!merge 1 D5-3"));
  ASSERT_TRUE(first_bare);
  EXPECT_EQ(first_bare->groups[0].digest, 5);
  EXPECT_EQ(first_bare->groups[0].group, 1);
  EXPECT_EQ(first_bare->groups[1].digest, 5);
  // Group 0 is a number like any other; the digest says it has none.
  const auto zero = parse_curation_args(*parse_command("!move D4-0"));
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->groups[0].group, 0);
}

TEST(Commands, LessonCorrectionsAndRemovalsAreModeratorCommandsInBothLanguages) {
  using namespace std::chrono;
  const year_month_day today = 2026y / November / 26;
  const auto title = parse_command("!korrigieren L3 Titel  Masken und   Lager ");
  ASSERT_TRUE(title);
  EXPECT_EQ(title->kind, CommandKind::correct_lesson);
  EXPECT_TRUE(is_moderator_command(*title));
  auto parsed = parse_correction_args(*title, today);
  ASSERT_TRUE(std::holds_alternative<CorrectionArgs>(parsed));
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).lesson, 3);
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).field, LessonField::title);
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).value, "Masken und   Lager");
  parsed = parse_correction_args(*parse_command("!correct L3 owner Health office"), today);
  ASSERT_TRUE(std::holds_alternative<CorrectionArgs>(parsed));
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).field, LessonField::owner);
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).value, "Health office");
  parsed = parse_correction_args(*parse_command("!ändern 3 Frist 15.12."), today);
  ASSERT_TRUE(std::holds_alternative<CorrectionArgs>(parsed));
  EXPECT_EQ(std::get<CorrectionArgs>(parsed).due, 2026y / December / 15);
  parsed = parse_correction_args(*parse_command("!korrigieren L3 frist 25.11.2026"), today);
  ASSERT_TRUE(std::holds_alternative<ActionError>(parsed));
  EXPECT_TRUE(std::get<ActionError>(parsed).in_the_past);
  parsed = parse_correction_args(*parse_command("!korrigieren L3 frist bald"), today);
  ASSERT_TRUE(std::holds_alternative<ActionError>(parsed));
  EXPECT_EQ(std::get<ActionError>(parsed).bad_date, "bald");
  for (const char* usage :
       {"!korrigieren", "!korrigieren L3", "!korrigieren L3 titel", "!korrigieren L3 farbe blau",
        "!korrigieren X titel Y", "!korrigieren L3 frist 15.12. 16.12."}) {
    SCOPED_TRACE(usage);
    parsed = parse_correction_args(*parse_command(usage), today);
    ASSERT_TRUE(std::holds_alternative<ActionError>(parsed));
    EXPECT_TRUE(std::get<ActionError>(parsed).bad_date.empty());
  }

  const auto remove = parse_command("!entfernen L4");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->kind, CommandKind::remove_lesson);
  EXPECT_TRUE(is_moderator_command(*remove));
  EXPECT_FALSE(is_direct_chat_command(*remove));
  ASSERT_TRUE(parse_removal_args(*remove));
  EXPECT_EQ(parse_removal_args(*remove)->lesson, 4);
  EXPECT_FALSE(parse_removal_args(*remove)->action_only);
  for (const char* action :
       {"!entfernen L4 Maßnahme", "!remove 4 action", "!löschen L4 MASSNAHME"}) {
    SCOPED_TRACE(action);
    const auto args = parse_removal_args(*parse_command(action));
    ASSERT_TRUE(args);
    EXPECT_TRUE(args->action_only);
  }
  for (const char* usage :
       {"!entfernen", "!entfernen X", "!entfernen L4 titel", "!remove L4 a b"}) {
    SCOPED_TRACE(usage);
    EXPECT_FALSE(parse_removal_args(*parse_command(usage)));
  }
}

TEST(Answer, GermanHelpListsEveryCommandByGroup) {
  const auto help = answer(*parse_command("!hilfe"), Language::de);
  EXPECT_EQ(help.text,
            "Reflexbot begleitet Reflexionsrunden in den Räumen des Netzwerks. Befehle:\n"
            "\n"
            "Für alle:\n"
            "!status – zeigt, welche Runde läuft, in welcher Phase sie ist und wie viel Zeit noch "
            "bleibt\n"
            "!vorlagen – listet die verfügbaren Vorlagen für Reflexionsrunden auf\n"
            "!digest [seit <Datum> | runde | <Tage> Tage | D<Nr.>] – fasst zusammen, was "
            "gesammelt wurde (Standard: die letzten 7 Tage); im Netzwerkraum für alle Städte; D4 "
            "zeigt alles aus Digest D4\n"
            "!lehren – listet die festgehaltenen Lehren und ihre Maßnahmen auf\n"
            "!meine – zeigt Ihnen Ihre Beiträge (in einer Direktnachricht an den Bot)\n"
            "!vergessen – löscht nach Ihrer Bestätigung (!vergessen bestätigen) alle Ihre "
            "Beiträge und Stimmen\n"
            "!anonym <Raum> <Text> – in einer Direktnachricht an den Bot: stellt Ihren Text als "
            "anonymen Beitrag in den genannten Raum (Stadt, oder der Raumname in "
            "Anführungszeichen; in seine laufende Runde, wenn eine läuft), wenn Sie dort Mitglied "
            "sind; der Bot speichert nicht, von wem er stammt\n"
            "!hilfe – zeigt alle Befehle\n"
            "!ping – prüft, ob der Bot erreichbar ist\n"
            "\n"
            "Für die Moderation:\n"
            "!runde <Vorlage> [Thema] [Minuten je Phase] [thread] – startet eine Reflexionsrunde\n"
            "!weiter – schließt die aktuelle Phase ab und beginnt die nächste\n"
            "!pause – hält die Runde an; die Zeit der Phase läuft so lange nicht weiter\n"
            "!fortsetzen – setzt eine pausierte Runde fort\n"
            "!verlängern <Minuten> – verlängert die laufende Phase\n"
            "!ende – beendet die Runde und fasst die Beiträge zusammen\n"
            "!umfrage [ende] – stellt die Beiträge der laufenden Phase zur Abstimmung (eine "
            "Stimme je Person, zählt wie 👍); !umfrage ende schließt sie\n"
            "!lehre D<Digest>-<Nr.> [Titel] – hält eine Gruppe eines Digests als Lehre fest (als "
            "Antwort auf den Digest genügt !lehre <Nr.>, als Antwort auf einen Beitrag !lehre)\n"
            "!maßnahme L<Nr> <Datum> <Verantwortlich>: <Maßnahme> – gibt einer Lehre eine "
            "Maßnahme mit Verantwortlichen und Termin\n"
            "!gelernt L<Nr> – vermerkt eine Lehre als gelernt (Maßnahme geprüft)\n"
            "!korrigieren L<Nr> titel|verantwortlich|frist <Neu> – ändert den Titel einer "
            "Lehre, die Verantwortlichen oder den Termin ihrer Maßnahme (der Verlauf bleibt "
            "gespeichert)\n"
            "!entfernen L<Nr> [maßnahme] – entfernt eine falsche Lehre (oder nur ihre Maßnahme) "
            "aus Liste und Export\n"
            "!zusammenführen D<Digest>-<Nr.> D<Digest>-<Nr.> – führt zwei Gruppen eines Digests "
            "zusammen; der Bot merkt es sich für spätere Digests\n"
            "!verschieben D<Digest>-<Nr.> – als Antwort auf einen Beitrag: verschiebt ihn in "
            "diese Gruppe\n"
            "!abtrennen – als Antwort auf einen Beitrag: löst ihn aus seiner Gruppe, er wird eine "
            "eigene\n"
            "!umbenennen D<Digest>-<Nr.> <Titel> – gibt einer Gruppe einen Titel, auch in "
            "späteren Digests\n"
            "\n"
            "Beiträge sammeln: Während einer Runde zählt jede Nachricht in diesem Raum als "
            "Beitrag. Außerhalb einer Runde sammelt der Bot Nachrichten mit einem Schlagwort wie "
            "#lehre, #problem, #erfolg oder #idee. Mit der Reaktion 📌 lässt sich jede Nachricht "
            "nachträglich sammeln, mit 👍 geben Sie einem Beitrag Ihre Stimme.\n"
            "\n"
            "Englische Befehle (!help …) funktionieren ebenso.");
  EXPECT_NE(help.html.find("<p>Für alle:</p><ul><li><code>!status</code> – "), std::string::npos);
  EXPECT_NE(help.html.find(
                "<li><code>!runde &lt;Vorlage&gt; [Thema] [Minuten je Phase] [thread]</code> – "
                "startet eine Reflexionsrunde</li>"),
            std::string::npos);
  EXPECT_NE(help.html.find("</ul><p>Für die Moderation:</p><ul>"), std::string::npos);
  EXPECT_NE(help.html.find("<li><code>!anonym &lt;Raum&gt; &lt;Text&gt;</code>"),
            std::string::npos);
}

TEST(Answer, HelpNamesEveryCommandInBothLanguages) {
  const auto german = answer(*parse_command("!hilfe"), Language::de);
  for (const char* name :
       {"!status", "!vorlagen", "!meine", "!vergessen", "!anonym", "!hilfe", "!ping", "!runde",
        "!weiter", "!pause", "!fortsetzen", "!verlängern", "!ende", "📌", "👍", "#lehre"}) {
    EXPECT_NE(german.text.find(name), std::string::npos) << name;
    EXPECT_NE(german.html.find(name), std::string::npos) << name;
  }
  const auto english = answer(*parse_command("!help"), Language::en);
  for (const char* name : {"!status", "!templates", "!mine", "!forgetme", "!anonymous", "!help",
                           "!ping", "!round", "!next", "!pause", "!resume", "!extend", "!end",
                           "For everyone:", "For moderators:", "📌", "👍", "#lesson"}) {
    EXPECT_NE(english.text.find(name), std::string::npos) << name;
    EXPECT_NE(english.html.find(name), std::string::npos) << name;
  }
  // Every name the help shows is parsed as the command it describes.
  for (const char* body : {"!status", "!vorlagen",  "!meine",  "!vergessen",  "!anonym",
                           "!runde",  "!weiter",    "!pause",  "!fortsetzen", "!verlängern",
                           "!ende",   "!templates", "!mine",   "!forgetme",   "!anonymous",
                           "!round",  "!next",      "!resume", "!extend",     "!end"}) {
    EXPECT_NE(parse_command(body)->kind, CommandKind::unknown) << body;
  }
  // The HTML is our own text, escaped: the only tags are the ones we write.
  for (const auto& html : {german.html, english.html}) {
    EXPECT_EQ(html.find("<Vorlage>"), std::string::npos);
    EXPECT_EQ(html.find("<template>"), std::string::npos);
  }
}

TEST(Answer, RoundCommandsFallBackToTheirHelpLine) {
  const auto reply = answer(*parse_command("!verlängern"), Language::de);
  EXPECT_EQ(reply.text, "!verlängern <Minuten> – verlängert die laufende Phase");
  EXPECT_EQ(reply.html, "<code>!verlängern &lt;Minuten&gt;</code> – verlängert die laufende Phase");
}

TEST(Answer, UnknownCommandIsNamedEscapedAndCapped) {
  const auto command = parse_command("!x<script>alert(1)</script>");
  ASSERT_TRUE(command);
  const auto reply = answer(*command, Language::de);
  EXPECT_EQ(reply.text,
            "Den Befehl „!x<script>alert(1)</script>“ kenne ich nicht. Mit !hilfe sehen Sie alle "
            "Befehle.");
  EXPECT_EQ(reply.html.find('<'), std::string::npos);
  EXPECT_NE(reply.html.find("x&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);

  // "a" and 30 two-byte characters: the 40-byte cap must not split one.
  std::string long_name = "!a";
  for (int i = 0; i < 30; ++i) long_name += "ä";
  const auto long_command = parse_command(long_name);
  ASSERT_TRUE(long_command);
  const auto capped = answer(*long_command, Language::de);
  std::string expected_name = "a";
  for (int i = 0; i < 19; ++i) expected_name += "ä";
  EXPECT_NE(capped.text.find("„!" + expected_name + "“"), std::string::npos);
}

TEST(Answer, ATypoOfAKnownCommandGetsASuggestion) {
  const Asker moderator{in_room, true};
  EXPECT_EQ(answer(*parse_command("!weiterr"), Language::de, moderator).text,
            "Den Befehl „!weiterr“ kenne ich nicht. Meinten Sie !weiter? Mit !hilfe sehen Sie alle "
            "Befehle.");
  EXPECT_EQ(answer(*parse_command("!hlife"), Language::de).text,
            "Den Befehl „!hlife“ kenne ich nicht. Meinten Sie !hilfe? Mit !hilfe sehen Sie alle "
            "Befehle.");
  EXPECT_EQ(answer(*parse_command("!stauts"), Language::en).text,
            "I don't know the command \"!stauts\". Did you mean !status? Send !help to see all "
            "commands.");
  // Too far from every command: no guess.
  for (const char* body : {"!xyzzy", "!runden-statistik", "!a"}) {
    const auto reply = answer(*parse_command(body), Language::de);
    EXPECT_EQ(reply.text.find("Meinten Sie"), std::string::npos) << body << ": " << reply.text;
  }
  // The typed name stays escaped next to the guess.
  const auto html = answer(*parse_command("!weiter<"), Language::de, moderator).html;
  EXPECT_NE(html.find("weiter&lt;“ kenne ich nicht. Meinten Sie !weiter?"), std::string::npos)
      << html;
}

TEST(Answer, ASuggestionNamesOnlyACommandThePersonMayUseThere) {
  const auto guess = [](const char* body, Asker asker) {
    const std::string text = answer(*parse_command(body), Language::de, asker).text;
    const auto at = text.find("Meinten Sie !");
    if (at == std::string::npos) return std::string();
    const auto begin = at + std::string_view("Meinten Sie !").size();
    return text.substr(begin, text.find('?', begin) - begin);
  };
  const Asker participant{in_room, false};
  const Asker moderator{in_room, true};
  const Asker direct{in_direct_chat, false};
  // !weiter is the moderators': a participant is not sent to a command that refuses them.
  EXPECT_EQ(guess("!weiterr", moderator), "weiter");
  EXPECT_EQ(guess("!weiterr", participant), "");
  // Named as the help writes it, with its umlaut.
  EXPECT_EQ(guess("!verlaengernn", moderator), "verlängern");
  EXPECT_EQ(guess("!verlängernn", moderator), "verlängern");
  EXPECT_EQ(guess("!zusammenfuehrn", moderator), "zusammenführen");
  // A direct chat has its own commands: !anonym and !meine are its own, !status runs in both;
  // !weiter is no direct chat's.
  EXPECT_EQ(guess("!statsu", direct), "status");
  EXPECT_EQ(guess("!weiterr", Asker{in_direct_chat, true}), "");
  EXPECT_EQ(guess("!statsu", participant), "status");
  EXPECT_EQ(guess("!anonmy", direct), "anonym");
  EXPECT_EQ(guess("!mein", direct), "meine");
  EXPECT_EQ(guess("!anonmy", participant), "");
}

TEST(ArgumentProblems, RoundAndExtendSayTheAllowedRange) {
  const auto start = [](const char* line) {
    const Command command = *parse_command(line);
    EXPECT_FALSE(parse_start_args(command)) << line;
    return render_argument_problem(CommandKind::start_round, start_args_problem(command),
                                   Language::de)
        .text;
  };
  EXPECT_EQ(start("!runde aar Hochwasser 0"),
            "„0“ Minuten je Phase gehen nicht: Eine Phase dauert 1 bis 240 Minuten, zum Beispiel "
            "!runde aar Hochwasser 20.");
  EXPECT_EQ(start("!runde aar 500min"),
            "„500“ Minuten je Phase gehen nicht: Eine Phase dauert 1 bis 240 Minuten, zum "
            "Beispiel !runde aar Hochwasser 20.");
  EXPECT_EQ(start("!runde aar 99999999999999999999999 Minuten").find("„99999999999999999999“"), 0u);
  // No template at all: the usage line is the right answer.
  EXPECT_EQ(start("!runde"), std::string(texts(Language::de).round.usage_start));

  const auto extend = [](const char* line, Language language) {
    const Command command = *parse_command(line);
    EXPECT_FALSE(parse_minutes(command)) << line;
    return render_argument_problem(CommandKind::extend, minutes_problem(command), language).text;
  };
  EXPECT_EQ(extend("!verlängern 100000", Language::de),
            "Um „100000“ Minuten lässt sich eine Phase nicht verlängern: Möglich sind 1 bis 240 "
            "Minuten, zum Beispiel !verlängern 10.");
  EXPECT_EQ(extend("!extend 0", Language::en),
            "A phase cannot be extended by \"0\" minutes: 1 to 240 minutes are possible, for "
            "example !extend 10.");
  EXPECT_EQ(extend("!verlängern zehn", Language::de),
            std::string(texts(Language::de).round.usage_extend));
  EXPECT_EQ(extend("!verlängern", Language::de),
            std::string(texts(Language::de).round.usage_extend));
}

TEST(ArgumentProblems, DigestSaysTheRangeTheDateFormatAndTheNearestDay) {
  using namespace std::chrono;
  const year_month_day today = 2026y / November / 26;
  const auto digest = [&](const char* line, Language language = Language::de) {
    const Command command = *parse_command(line);
    EXPECT_FALSE(parse_digest_args(command, today)) << line;
    return render_argument_problem(CommandKind::digest, digest_args_problem(command, today),
                                   language)
        .text;
  };
  EXPECT_EQ(digest("!digest 400 Tage"),
            "„400“ Tage gehen nicht: !digest fasst 1 bis 366 Tage zusammen, zum Beispiel !digest "
            "14 Tage.");
  EXPECT_EQ(digest("!digest 0"),
            "„0“ Tage gehen nicht: !digest fasst 1 bis 366 Tage zusammen, zum Beispiel !digest 14 "
            "Tage.");
  EXPECT_EQ(digest("!digest 5000d").find("„5000“ Tage gehen nicht"), 0u);
  EXPECT_EQ(digest("!digest seit 31.02.2026"),
            "Den 31.02.2026 gibt es nicht. Der nächste gültige Tag ist der 28.02.2026: !digest "
            "seit 28.02.2026");
  EXPECT_EQ(digest("!digest seit 2026-04-31"),
            "Den 2026-04-31 gibt es nicht. Der nächste gültige Tag ist der 30.04.2026: !digest "
            "seit 30.04.2026");
  // Without a year: the last such month that has begun (2024 was a leap year, 2026 is not).
  EXPECT_EQ(digest("!digest seit 30.2."),
            "Den 30.2. gibt es nicht. Der nächste gültige Tag ist der 28.02.2026: !digest seit "
            "28.02.2026");
  EXPECT_EQ(digest("!digest since 2026-02-30", Language::en),
            "There is no 2026-02-30. The nearest valid day is 2026-02-28: !digest since "
            "2026-02-28");
  EXPECT_EQ(digest("!digest seit gestern"),
            "„gestern“ ist kein Datum. Schreiben Sie es als TT.MM.JJJJ oder JJJJ-MM-TT, zum "
            "Beispiel !digest seit 19.11.2026.");
  EXPECT_EQ(digest("!digest seit 13.13.2026").find("„13.13.2026“ ist kein Datum"), 0u);
  EXPECT_EQ(digest("!digest seit 1.12.2026"),
            "Der 1.12.2026 liegt in der Zukunft. !digest seit <Datum> fasst ab einem Tag bis "
            "heute (26.11.2026) zusammen.");
  EXPECT_EQ(digest("!digest seit 31.12.2026").find("Der 31.12.2026 liegt in der Zukunft"), 0u);
  // What is no single wrong argument keeps the usage line.
  const std::string usage(texts(Language::de).lesson.usage_digest);
  EXPECT_EQ(digest("!digest seit"), usage);
  EXPECT_EQ(digest("!digest 14 Wochen"), usage);
  EXPECT_EQ(digest("!digest blau"), usage);
}

TEST(Texts, EveryTextExistsInBothLanguages) {
  for (auto language : {Language::de, Language::en}) {
    const Texts& t = texts(language);
    for (auto text : {t.pong,
                      t.help_intro,
                      t.help.ping.description,
                      t.help.help.description,
                      t.help_footer,
                      t.unknown_command_before,
                      t.unknown_command_after,
                      t.unknown_command_guess,
                      t.unsupported_encryption,
                      t.welcome_room,
                      t.direct_chat_hello,
                      t.direct_chat_hello_footer,
                      t.votes_one,
                      t.votes_many,
                      t.round.bad_extension_given,
                      t.lesson.digest_bad_days,
                      t.lesson.digest_not_a_date,
                      t.lesson.digest_no_such_date,
                      t.lesson.digest_future_date,
                      t.digest.list_or,
                      t.digest.phase_count,
                      t.digest.phases_of_template}) {
      EXPECT_FALSE(text.empty());
    }
    const HelpTexts& h = t.help;
    for (auto text : {h.for_everyone, h.for_moderators, h.collecting}) EXPECT_FALSE(text.empty());
    for (const HelpEntry* entry :
         {&h.status, &h.templates, &h.my_contributions, &h.forget_me, &h.anonymous, &h.start_round,
          &h.next_phase, &h.pause, &h.resume, &h.extend, &h.end_round}) {
      EXPECT_EQ(entry->usage.substr(0, 1), "!");
      EXPECT_FALSE(entry->description.empty());
    }
  }
  EXPECT_NE(texts(Language::de).unsupported_encryption, texts(Language::en).unsupported_encryption);
}

// The command table is the one source of names, places, authority and help: every command has
// one row, every name parses to its row's command, and every row's help line is in the help.
TEST(CommandTable, EachCommandHasOneRowAndEachNameParsesToIt) {
  std::set<CommandKind> kinds;
  std::set<std::string_view> names;
  for (const CommandSpec& spec : command_table()) {
    EXPECT_TRUE(kinds.insert(spec.kind).second) << static_cast<int>(spec.kind);
    EXPECT_NE(spec.places, 0u);
    // Where a command may not run, the table says what to answer.
    if (!spec.runs_in(in_room) || !spec.runs_in(in_direct_chat)) {
      EXPECT_NE(spec.elsewhere, nullptr);
    }
    // Moderators have no power in a direct chat with the bot.
    if (spec.moderator) {
      EXPECT_FALSE(spec.runs_in(in_direct_chat));
    }
    EXPECT_EQ(&command_spec(spec.kind), &spec);
    for (std::string_view name : spec.names) {
      if (name.empty()) continue;
      EXPECT_TRUE(names.insert(name).second) << name;
      const auto command = parse_command("!" + std::string(name));
      ASSERT_TRUE(command) << name;
      EXPECT_EQ(command->kind, spec.kind) << name;
    }
    if (spec.help == nullptr) continue;
    for (auto language : {Language::de, Language::en}) {
      const std::string help = answer(*parse_command("!hilfe"), language).text;
      EXPECT_NE(help.find(std::string((texts(language).help.*spec.help).usage)), std::string::npos);
    }
  }
  EXPECT_TRUE(kinds.contains(CommandKind::unknown));
  EXPECT_EQ(command_spec(CommandKind::unknown).feature, Feature::core);
}

TEST(ParseStartArgs, ABareYearEndsTheTopicNotThePhaseLength) {
  auto start = parse_start_args(*parse_command("!runde panreflex Hochwasser 2021"));
  ASSERT_TRUE(start);
  EXPECT_EQ(start->topic, "Hochwasser 2021");
  EXPECT_EQ(start->phase_length, std::chrono::minutes(0));
  auto with_length = parse_start_args(*parse_command("!runde panreflex Hochwasser 2021 20"));
  ASSERT_TRUE(with_length);
  EXPECT_EQ(with_length->topic, "Hochwasser 2021");
  EXPECT_EQ(with_length->phase_length, std::chrono::minutes(20));
  EXPECT_FALSE(parse_start_args(*parse_command("!runde aar 2021")));  // no topic: a bad length
}

// "thread" (or "ohne-thread") as the last word chooses where the round runs; the rest parses as
// before. A topic that only is "thread" is no topic.
TEST(ParseStartArgs, ALastWordThreadChoosesTheThread) {
  auto start = parse_start_args(*parse_command("!runde aar Hochwasser 20 Thread"));
  ASSERT_TRUE(start);
  EXPECT_EQ(start->topic, "Hochwasser");
  EXPECT_EQ(start->phase_length, std::chrono::minutes(20));
  EXPECT_EQ(start->thread, std::optional<bool>(true));
  auto main = parse_start_args(*parse_command("!runde aar Hochwasser ohne-thread"));
  ASSERT_TRUE(main);
  EXPECT_EQ(main->topic, "Hochwasser");
  EXPECT_EQ(main->thread, std::optional<bool>(false));
  auto plain = parse_start_args(*parse_command("!runde aar Threads im Krisenstab"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->topic, "Threads im Krisenstab");
  EXPECT_FALSE(plain->thread);
  auto only = parse_start_args(*parse_command("!runde aar thread"));
  ASSERT_TRUE(only);
  EXPECT_EQ(only->topic, "");
  EXPECT_EQ(only->thread, std::optional<bool>(true));
}

// The kind of a command, none if it does not parse (so a failed parse fails the comparison).
std::optional<CommandKind> kind_of(std::string_view text) {
  const auto command = parse_command(text);
  return command ? std::optional<CommandKind>(command->kind) : std::nullopt;
}

TEST(DigestCommands, NamesInGermanAndEnglishWithAndWithoutUmlauts) {
  EXPECT_EQ(kind_of("!digest"), CommandKind::digest);
  EXPECT_EQ(kind_of("!Überblick"), CommandKind::digest);
  EXPECT_EQ(kind_of("!ueberblick"), CommandKind::digest);
  EXPECT_EQ(kind_of("!lehren"), CommandKind::lessons);
  EXPECT_EQ(kind_of("!lessons"), CommandKind::lessons);
  EXPECT_EQ(kind_of("!lehre 2"), CommandKind::lesson);
  EXPECT_EQ(kind_of("!Maßnahme"), CommandKind::action);
  EXPECT_EQ(kind_of("!massnahme"), CommandKind::action);
  EXPECT_EQ(kind_of("!action"), CommandKind::action);
  EXPECT_EQ(kind_of("!gelernt L2"), CommandKind::learned);
  EXPECT_EQ(kind_of("!learned L2"), CommandKind::learned);
  for (const char* moderator : {"!lehre 1", "!maßnahme", "!gelernt L1"}) {
    const auto command = parse_command(moderator);
    ASSERT_TRUE(command) << moderator;
    EXPECT_TRUE(is_moderator_command(*command)) << moderator;
  }
  for (const char* everyone : {"!digest", "!lehren"}) {
    const auto command = parse_command(everyone);
    ASSERT_TRUE(command) << everyone;
    EXPECT_FALSE(is_moderator_command(*command)) << everyone;
  }
}

TEST(DigestCommands, DigestArguments) {
  using namespace std::chrono;
  const year_month_day today = 2026y / November / 26;
  auto args = [&](const char* line) { return parse_digest_args(*parse_command(line), today); };
  EXPECT_EQ(args("!digest")->kind, DigestArgs::Kind::days);
  EXPECT_EQ(args("!digest")->days, 7);
  EXPECT_EQ(args("!digest 14 Tage")->days, 14);
  EXPECT_EQ(args("!digest 30 days")->days, 30);
  EXPECT_EQ(args("!digest 3")->days, 3);
  EXPECT_EQ(args("!digest 21d")->days, 21);
  ASSERT_TRUE(args("!digest seit 1.11.2026").has_value());
  EXPECT_EQ(args("!digest seit 1.11.2026")->kind, DigestArgs::Kind::since);
  EXPECT_EQ(args("!digest since 2026-11-01")->since, 2026y / November / 1);
  ASSERT_TRUE(args("!digest seit 1.11.").has_value());
  EXPECT_EQ(args("!digest seit 1.11.")->since, 2026y / November / 1);
  ASSERT_TRUE(args("!digest seit 27.11.").has_value());
  EXPECT_EQ(args("!digest seit 27.11.")->since, 2025y / November / 27);
  EXPECT_EQ(args("!digest runde")->kind, DigestArgs::Kind::round);
  EXPECT_FALSE(args("!digest runde")->round.has_value());
  EXPECT_EQ(args("!digest round 12")->round, 12);
  // A digest by its number: everything in it.
  ASSERT_TRUE(args("!digest D4").has_value());
  EXPECT_EQ(args("!digest D4")->kind, DigestArgs::Kind::digest);
  EXPECT_EQ(args("!digest d12")->digest, 12);
  for (const char* bad :
       {"!digest gestern", "!digest 0", "!digest 400", "!digest 5 Wochen", "!digest seit",
        "!digest seit morgen", "!digest seit 1.12.2026", "!digest runde x", "!digest 1 2 3",
        "!digest 5x", "!digest D", "!digest D4 D5", "!digest Dx"}) {
    EXPECT_FALSE(args(bad).has_value()) << bad;
  }
}

// Older clients start a reply with a quote of the message it answers.
TEST(DigestCommands, AReplysQuoteOfTheDigestIsNoPartOfTheCommand) {
  EXPECT_EQ(without_reply_fallback("> <@bot:x> Digest des Netzwerks · D4\n> 1. Masken\n\n"
                                   "!lehre 2 Masken"),
            "!lehre 2 Masken");
  EXPECT_EQ(parse_command(without_reply_fallback("> <@bot:x> Digest\n\n!lehre 2"))->kind,
            CommandKind::lesson);
  for (const char* body : {"!lehre 2", "> zitiert\nohne Leerzeile", "> nur ein Zitat", ""}) {
    EXPECT_EQ(without_reply_fallback(body), body);
  }
}

TEST(DigestCommands, LessonActionAndLearnedArguments) {
  using namespace std::chrono;
  const year_month_day today = 2026y / November / 26;
  auto lesson = parse_lesson_args(*parse_command("!lehre 2 Schutzausrüstung  zentral lagern"));
  EXPECT_EQ(lesson.group, 2);
  EXPECT_EQ(lesson.title, "Schutzausrüstung  zentral lagern");
  EXPECT_FALSE(lesson.digest.has_value());
  lesson = parse_lesson_args(*parse_command("!lehre Hotline skalieren"));
  EXPECT_FALSE(lesson.group.has_value());
  EXPECT_EQ(lesson.title, "Hotline skalieren");
  // A number qualified by its digest stays valid whatever digest came after it.
  for (const char* qualified : {"!lehre D12-3 Funk", "!lehre d12.3 Funk", "!lesson D12/3 Funk"}) {
    lesson = parse_lesson_args(*parse_command(qualified));
    EXPECT_EQ(lesson.digest, 12) << qualified;
    EXPECT_EQ(lesson.group, 3) << qualified;
    EXPECT_EQ(lesson.title, "Funk") << qualified;
  }
  for (const char* title : {"!lehre D12 Funk", "!lehre D-3", "!lehre Dx-3 Funk", "!lehre D12-x"}) {
    lesson = parse_lesson_args(*parse_command(title));
    EXPECT_FALSE(lesson.group.has_value()) << title;
    EXPECT_FALSE(lesson.digest.has_value()) << title;
  }

  const auto action = parse_action_args(
      *parse_command("!maßnahme L3 15.12.2026 Gesundheitsamt Köln: Lager für acht Wochen"), today);
  ASSERT_TRUE(std::holds_alternative<ActionArgs>(action));
  const auto& a = std::get<ActionArgs>(action);
  EXPECT_EQ(a.lesson, 3);
  EXPECT_EQ(a.due, 2026y / December / 15);
  EXPECT_EQ(a.owner, "Gesundheitsamt Köln");
  EXPECT_EQ(a.action, "Lager für acht Wochen");
  const auto bad_date =
      parse_action_args(*parse_command("!maßnahme L3 nächste-Woche Amt: x"), today);
  ASSERT_TRUE(std::holds_alternative<ActionError>(bad_date));
  EXPECT_EQ(std::get<ActionError>(bad_date).bad_date, "nächste-Woche");
  // A due date before today is refused (a typo in the year, usually); today itself is fine.
  const auto past = parse_action_args(*parse_command("!maßnahme L3 01.03.2020 Amt: x"), today);
  ASSERT_TRUE(std::holds_alternative<ActionError>(past));
  EXPECT_EQ(std::get<ActionError>(past).bad_date, "01.03.2020");
  EXPECT_TRUE(std::get<ActionError>(past).in_the_past);
  EXPECT_FALSE(std::get<ActionError>(bad_date).in_the_past);
  const auto on_today =
      parse_action_args(*parse_command("!maßnahme L3 " + iso_date(today) + " Amt: x"), today);
  EXPECT_TRUE(std::holds_alternative<ActionArgs>(on_today));
  for (const char* usage : {"!maßnahme", "!maßnahme L3", "!maßnahme X 15.12.2026 Amt: x",
                            "!maßnahme L3 15.12.2026 Amt x", "!maßnahme L3 15.12.2026 : x",
                            "!maßnahme L3 15.12.2026 Amt:"}) {
    const auto parsed = parse_action_args(*parse_command(usage), today);
    ASSERT_TRUE(std::holds_alternative<ActionError>(parsed)) << usage;
    EXPECT_TRUE(std::get<ActionError>(parsed).bad_date.empty()) << usage;
  }
  EXPECT_EQ(parse_learned_args(*parse_command("!gelernt L4")), 4);
  EXPECT_FALSE(parse_learned_args(*parse_command("!gelernt")).has_value());
  EXPECT_FALSE(parse_learned_args(*parse_command("!gelernt L4 L5")).has_value());
}

}  // namespace
}  // namespace reflexbot::core
