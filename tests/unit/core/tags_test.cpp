#include "core/tags.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reflexbot::core {
namespace {

using Tags = std::vector<std::string>;

Tags parse(std::string_view message) {
  static const TagVocabulary vocabulary = default_vocabulary();
  return parse_tags(message, vocabulary);
}

TEST(DefaultVocabulary, HasTheSignalsAndTopicsInOrder) {
  const TagVocabulary vocabulary = default_vocabulary();
  Tags signals;
  Tags topics;
  for (const auto& tag : vocabulary.tags()) {
    (tag.kind == TagKind::signal ? signals : topics).push_back(tag.key);
  }
  EXPECT_EQ(signals, (Tags{"lehre", "problem", "erfolg", "idee", "frust", "stolz"}));
  EXPECT_EQ(topics, (Tags{"entscheidung", "recht", "information", "personal", "selbstschutz",
                          "verwaltung", "kommunikation", "vulnerabel", "foederal"}));
}

TEST(DefaultVocabulary, LabelsInBothLanguages) {
  const TagVocabulary vocabulary = default_vocabulary();
  const Tag* federal = vocabulary.find("foederal");
  ASSERT_NE(federal, nullptr);
  EXPECT_EQ(federal->label.in(Language::de), "Föderal");
  EXPECT_EQ(federal->label.in(Language::en), "Federal");
  EXPECT_EQ(vocabulary.find("lehre")->label.in(Language::en), "Lesson");
  EXPECT_EQ(vocabulary.find("Lehre"), nullptr);  // find takes the canonical key
  EXPECT_EQ(vocabulary.find("lesson"), nullptr);
  EXPECT_EQ(vocabulary.match("lesson"), vocabulary.find("lehre"));
  EXPECT_EQ(vocabulary.match("unbekannt"), nullptr);
}

TEST(FoldTag, CaseUmlautsSharpSAndSeparators) {
  EXPECT_EQ(fold_tag("Föderal"), "foederal");
  EXPECT_EQ(fold_tag("FÖDERAL"), "foederal");
  EXPECT_EQ(fold_tag("ÄrgerÜbelÖde"), "aergeruebeloede");
  EXPECT_EQ(fold_tag("Straße"), "strasse");
  EXPECT_EQ(fold_tag("STRAẞE"), "strasse");
  EXPECT_EQ(fold_tag("fo\xCC\x88"
                     "deral"),
            "foederal");  // decomposed ö
  EXPECT_EQ(fold_tag("Lessons-Learned_2"), "lessonslearned2");
  EXPECT_EQ(fold_tag("ÉCOLE"), "école");
  EXPECT_EQ(fold_tag(""), "");
}

TEST(ParseTags, CanonicalTagsInAnyCase) {
  EXPECT_EQ(parse("#Lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#LEHRE"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#LeHrE"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#Problem"), (Tags{"problem"}));
  EXPECT_EQ(parse("#ERFOLG"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("#Idee #Frust #Stolz"), (Tags{"idee", "frust", "stolz"}));
}

TEST(ParseWrittenTags, KeepTheSpellingAsTyped) {
  const TagVocabulary vocabulary = default_vocabulary();
  const auto tags = parse_written_tags(
      "Bund und Land #Föderal, dazu #PROBLEM und `#idee` im Code, #foederal noch einmal",
      vocabulary);
  ASSERT_EQ(tags.size(), 2U);
  EXPECT_EQ(tags[0].key, "foederal");
  EXPECT_EQ(tags[0].written, "#Föderal");  // the first spelling; the key stays the same
  EXPECT_EQ(tags[1].key, "problem");
  EXPECT_EQ(tags[1].written, "#PROBLEM");
  // The keys are parse_tags()'s, in its order.
  const std::string message = "#Rechtslage und #föderal #stolz";
  std::vector<std::string> keys;
  for (const auto& tag : parse_written_tags(message, vocabulary)) keys.push_back(tag.key);
  EXPECT_EQ(keys, parse_tags(message, vocabulary));
}

TEST(ParseTags, GermanAndEnglishAliases) {
  EXPECT_EQ(parse("#lesson"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#LessonLearned"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#lessons-learned"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#lessons_learned"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#Erkenntnis"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#lehren"), (Tags{"lehre"}));
  EXPECT_EQ(parse("#issue #Probleme #Schwierigkeit"), (Tags{"problem"}));
  EXPECT_EQ(parse("#success"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("#gutgelaufen"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("#win"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("#idea"), (Tags{"idee"}));
  EXPECT_EQ(parse("#Vorschlag"), (Tags{"idee"}));
  EXPECT_EQ(parse("#frustration"), (Tags{"frust"}));
  EXPECT_EQ(parse("#pride #proud"), (Tags{"stolz"}));
  EXPECT_EQ(parse("#decision"), (Tags{"entscheidung"}));
  EXPECT_EQ(parse("#legal #Rechtslage"), (Tags{"recht"}));
  EXPECT_EQ(parse("#info"), (Tags{"information"}));
  EXPECT_EQ(parse("#staff #Personalgewinnung"), (Tags{"personal"}));
  EXPECT_EQ(parse("#selfprotection #schutz #self-protection"), (Tags{"selbstschutz"}));
  EXPECT_EQ(parse("#administration"), (Tags{"verwaltung"}));
  EXPECT_EQ(parse("#communication"), (Tags{"kommunikation"}));
  EXPECT_EQ(parse("#vulnerable #VulnerableGruppen"), (Tags{"vulnerabel"}));
  EXPECT_EQ(parse("#federal #Mehrebenen"), (Tags{"foederal"}));
}

TEST(ParseTags, UmlautsInEverySpelling) {
  EXPECT_EQ(parse("#föderal"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#Föderal"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#FÖDERAL"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#foederal"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#FOEDERAL"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#Foderal"), (Tags{"foederal"}));
  EXPECT_EQ(parse("#fo\xCC\x88"
                  "deral"),
            (Tags{"foederal"}));
  EXPECT_EQ(parse("#ärger"), (Tags{"frust"}));
  EXPECT_EQ(parse("#Ärger"), (Tags{"frust"}));
  EXPECT_EQ(parse("#aerger"), (Tags{"frust"}));
  EXPECT_EQ(parse("#Arger"), (Tags{"frust"}));
  EXPECT_EQ(parse("#Öffentlichkeitsarbeit"), (Tags{"kommunikation"}));
  EXPECT_EQ(parse("#Oeffentlichkeitsarbeit"), (Tags{"kommunikation"}));
  EXPECT_EQ(parse("#offentlichkeitsarbeit"), (Tags{"kommunikation"}));
  EXPECT_EQ(parse("#Behörde #behoerde #Behorde"), (Tags{"verwaltung"}));
  // Only real umlauts have a plain-vowel spelling: "issue" does not become "issu".
  EXPECT_EQ(parse("#issu #lehr #föderale"), (Tags{}));
}

TEST(ParseTags, SharpSAndEveryUmlautCombination) {
  TagVocabulary vocabulary;
  ASSERT_EQ(vocabulary.add({"strasse", TagKind::topic, {"Straße", "Road"}, {"straße"}}),
            std::nullopt);
  ASSERT_EQ(vocabulary.add({"pruefung", TagKind::topic, {"Prüfung", "Review"}, {"Überprüfung"}}),
            std::nullopt);
  for (const char* spelling : {"#Straße", "#STRASSE", "#STRAẞE", "#strasse"}) {
    EXPECT_EQ(parse_tags(spelling, vocabulary), (Tags{"strasse"})) << spelling;
  }
  for (const char* spelling : {"#überprüfung", "#UEBERPRUEFUNG", "#uberprufung", "#Uberpruefung",
                               "#ueberprufung", "#Prüfung"}) {
    EXPECT_EQ(parse_tags(spelling, vocabulary), (Tags{"pruefung"})) << spelling;
  }
  // The key "pruefung" is written without an umlaut, so it has no plain spelling; an alias
  // "prüfung" would give it one.
  EXPECT_EQ(parse_tags("#prufung #strase #berprufung", vocabulary), (Tags{}));
}

TEST(ParseTags, TrailingPunctuationEndsTheTag) {
  EXPECT_EQ(parse("Das war eine #Lehre."), (Tags{"lehre"}));
  EXPECT_EQ(parse("#problem, #erfolg; #idee: #frust! #stolz? #recht"),
            (Tags{"problem", "erfolg", "idee", "frust", "stolz", "recht"}));
  EXPECT_EQ(parse("(#idee) [#recht] {#personal}"), (Tags{"idee", "recht", "personal"}));
  EXPECT_EQ(parse("\"#info\" '#verwaltung'"), (Tags{"information", "verwaltung"}));
  EXPECT_EQ(parse("„#erfolg“ ‚#idee‘ »#lehre« «#frust»"),
            (Tags{"erfolg", "idee", "lehre", "frust"}));
  EXPECT_EQ(parse("#erfolg… #stolz🎉 #idee💡 #lehre✌️"),
            (Tags{"erfolg", "stolz", "idee", "lehre"}));
  EXPECT_EQ(parse("**#lehre** und _#idee_"), (Tags{"lehre", "idee"}));
  EXPECT_EQ(parse("#lehre's #problem-"), (Tags{"lehre", "problem"}));
  EXPECT_EQ(parse("#lehre/#idee"), (Tags{"lehre"}));  // '/' does not start a tag
}

TEST(ParseTags, WhereATagMayStart) {
  EXPECT_EQ(parse("#lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text #lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text\t#lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text\n#lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text\r\n#lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text\xC2\xA0#lehre"), (Tags{"lehre"}));  // no-break space
  EXPECT_EQ(parse("> #lehre aus dem Zitat"), (Tags{"lehre"}));
  EXPECT_EQ(parse("Text#lehre"), (Tags{}));
  EXPECT_EQ(parse("a.#lehre"), (Tags{}));
  EXPECT_EQ(parse("&#lehre;"), (Tags{}));
}

TEST(ParseTags, WhatIsNoTag) {
  EXPECT_EQ(parse("##lehre"), (Tags{}));
  EXPECT_EQ(parse("#"), (Tags{}));
  EXPECT_EQ(parse("# "), (Tags{}));
  EXPECT_EQ(parse("# Lehre"), (Tags{}));  // a Markdown heading
  EXPECT_EQ(parse("#123"), (Tags{}));
  EXPECT_EQ(parse("#1lehre"), (Tags{}));
  EXPECT_EQ(parse("#-lehre #_lehre"), (Tags{}));
  EXPECT_EQ(parse("#lehre2 #lehrreich #unbekannt #krisenstab"), (Tags{}));
  EXPECT_EQ(parse("Nichts getaggt."), (Tags{}));
  EXPECT_EQ(parse(""), (Tags{}));
}

TEST(ParseTags, RoomAliasesAreNoTags) {
  EXPECT_EQ(parse("Kommt in #kommunikation:stadt-a.de"), (Tags{}));
  EXPECT_EQ(parse("#kommunikation: bitte früher informieren"), (Tags{"kommunikation"}));
  EXPECT_EQ(parse("#kommunikation:"), (Tags{"kommunikation"}));
}

TEST(ParseTags, HashesInUrlsAreNoTags) {
  EXPECT_EQ(parse("https://x.de/#lehre"), (Tags{}));
  EXPECT_EQ(parse("Siehe https://x.de/seite#lehre"), (Tags{}));
  EXPECT_EQ(parse("www.example.org/#lehre"), (Tags{}));
  EXPECT_EQ(parse("WWW.example.org/#lehre"), (Tags{}));
  EXPECT_EQ(parse("http://example.org/?a=(#lehre)&b=#idee"), (Tags{}));
  EXPECT_EQ(parse("<https://x.de/#lehre>"), (Tags{}));
  EXPECT_EQ(parse("https://matrix.to/#/#krisenstab:example.org"), (Tags{}));
  EXPECT_EQ(parse("[Protokoll](https://x.de/#lehre) #idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("[Anker](#lehre) und [#erfolg](https://x.de)"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("https://x.de/#lehre #problem\nhttps://y.de/#idee\n#erfolg"),
            (Tags{"problem", "erfolg"}));
}

TEST(ParseTags, InlineCodeIsNoTag) {
  EXPECT_EQ(parse("`#lehre`"), (Tags{}));
  EXPECT_EQ(parse("Schreibt `#lehre` dazu, etwa so: #idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("``a ` #lehre`` #erfolg"), (Tags{"erfolg"}));
  EXPECT_EQ(parse("`mehrzeilig\n#lehre` #idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("```#lehre``` #idee"), (Tags{"idee"}));  // inline, not a fence
  // An unmatched backtick is literal text.
  EXPECT_EQ(parse("` #lehre"), (Tags{"lehre"}));
  EXPECT_EQ(parse("`` #lehre ` #idee"), (Tags{"lehre", "idee"}));
  EXPECT_EQ(parse("`a` #lehre `b`"), (Tags{"lehre"}));
}

TEST(ParseTags, FencedCodeBlocksAreNoTags) {
  EXPECT_EQ(parse("```\n#lehre\n```\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("~~~\n#lehre\n~~~\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("Vorher #problem\n```bash\n# Kommentar #lehre\n```\nNachher #erfolg"),
            (Tags{"problem", "erfolg"}));
  EXPECT_EQ(parse("````\n#lehre\n```\n#frust\n````\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("~~~\n#lehre\n```\n#frust\n~~~\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("```\n#lehre"), (Tags{}));  // unclosed: code to the end
  EXPECT_EQ(parse("  ```\n#lehre\n  ```\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("> ```\n> #lehre\n> ```\n> #idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("``\n#lehre\n``"), (Tags{}));  // two backticks: an inline span over the line
}

TEST(ParseTags, IndentedCodeBlocksAreNoTags) {
  EXPECT_EQ(parse("    #lehre"), (Tags{}));
  EXPECT_EQ(parse("\t#lehre"), (Tags{}));
  EXPECT_EQ(parse("Beispiel:\n\n    #lehre\n\n    #frust\n#idee"), (Tags{"idee"}));
  EXPECT_EQ(parse("  \t#lehre"), (Tags{}));
  EXPECT_EQ(parse("   #lehre"), (Tags{"lehre"}));  // three spaces are not yet code
  // An indented line right after text continues the paragraph (CommonMark), so it is prose.
  EXPECT_EQ(parse("Text\n    #lehre"), (Tags{"lehre"}));
}

TEST(ParseTags, SeveralTagsEachOnceInOrderOfFirstAppearance) {
  EXPECT_EQ(parse("#problem Die Lage war lange unklar. #Lehre: früher warnen. #idee #Problem "
                  "#lesson #föderal #issue"),
            (Tags{"problem", "lehre", "idee", "foederal"}));
  EXPECT_EQ(parse("#erfolg\n#erfolg\n#success"), (Tags{"erfolg"}));
}

TEST(ParseTags, CustomVocabulary) {
  TagVocabulary vocabulary;
  ASSERT_EQ(vocabulary.add({"hochwasser", TagKind::topic, {"Hochwasser", "Flood"}, {"flood"}}),
            std::nullopt);
  EXPECT_EQ(parse_tags("#Flood #lehre #hochwasser", vocabulary), (Tags{"hochwasser"}));
}

TEST(TagVocabulary, RejectsASpellingAnotherTagHas) {
  TagVocabulary vocabulary = default_vocabulary();
  const std::size_t before = vocabulary.tags().size();
  EXPECT_EQ(vocabulary.add({"neu", TagKind::topic, {"Neu", "New"}, {"frisch", "Lesson"}}),
            "Lesson");
  EXPECT_EQ(vocabulary.add({"arger", TagKind::signal, {"Arger", "Anger"}, {}}), "arger");
  EXPECT_EQ(vocabulary.add({"Lehre", TagKind::signal, {"Lehre", "Lesson"}, {}}), "Lehre");
  EXPECT_EQ(vocabulary.tags().size(), before);
  EXPECT_EQ(parse_tags("#frisch", vocabulary), (Tags{}));  // nothing of the rejected tag stays
  EXPECT_EQ(vocabulary.add({"neu", TagKind::topic, {"Neu", "New"}, {"frisch", "neu"}}),
            std::nullopt);  // its own key again as an alias is fine
  EXPECT_EQ(parse_tags("#Frisch", vocabulary), (Tags{"neu"}));
}

TEST(ParseTags, SurvivesInvalidUtf8AndNul) {
  EXPECT_EQ(parse("\xFF #lehre\xC3 #idee\x80 \xE2\x80 #erfolg\xF0\x9F"),
            (Tags{"lehre", "idee", "erfolg"}));
  EXPECT_EQ(parse("\xC3#lehre"), (Tags{}));
  EXPECT_EQ(parse("#f\xC3"), (Tags{}));
  EXPECT_EQ(parse("#\xED\xA0\x80lehre"), (Tags{}));  // a surrogate is no letter
  const std::string with_nul("#lehre\0#idee \0 #erfolg", 22);
  EXPECT_EQ(parse(with_nul), (Tags{"lehre", "erfolg"}));
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (int i = 0; i < 256; ++i) {
    EXPECT_NO_THROW(parse(bytes.substr(static_cast<std::size_t>(i))));
  }
}

// Speed is measured in benchmarks, never asserted here.
TEST(ParseTags, HugeAndPathologicalInputs) {
  EXPECT_EQ(parse("#" + std::string(70'000, 'a')), (Tags{}));
  EXPECT_EQ(parse(std::string(70'000, '#')), (Tags{}));
  EXPECT_EQ(parse(std::string(70'000, '`') + " #lehre"), (Tags{}));  // a fence, info " #lehre"
  EXPECT_EQ(parse("x" + std::string(70'000, '`') + " #lehre"), (Tags{"lehre"}));
  std::string runs;  // backtick runs of every length, none closed
  for (std::size_t n = 1; runs.size() < 70'000; ++n) runs += std::string(n, '`') + " #x ";
  EXPECT_EQ(parse(runs + "#lehre"), (Tags{"lehre"}));
  std::string many;
  while (many.size() < 70'000) many += "#lehre #Idee\n\n    #frust\n\n```\n#stolz\n```\n`#x` ";
  EXPECT_EQ(parse(many), (Tags{"lehre", "idee"}));
  std::string lines;
  while (lines.size() < 70'000) lines += "> ~~~\n";
  EXPECT_EQ(parse(lines + "#lehre"), (Tags{}));
}

TEST(UnknownHashtags, AreFoundWhereTagsAreAndMatchedToTheNearestKnownTag) {
  const TagVocabulary vocabulary = default_vocabulary();
  EXPECT_EQ(unknown_hashtags("Es war #hitze und #problme, #Problem, `#code`, #krisenstab:x.org "
                             "https://x.org/#anker #hitze",
                             vocabulary),
            (std::vector<std::string>{"hitze", "problme"}));
  EXPECT_TRUE(unknown_hashtags("#lehre #Idee #föderal", vocabulary).empty());
  EXPECT_EQ(nearest_tag("problme", vocabulary), "problem");
  EXPECT_EQ(nearest_tag("Lehr", vocabulary), "lehre");
  EXPECT_EQ(nearest_tag("idde", vocabulary), "idee");
  EXPECT_FALSE(nearest_tag("hitze", vocabulary).has_value());
  EXPECT_FALSE(nearest_tag("x", vocabulary).has_value());
}

}  // namespace
}  // namespace reflexbot::core
