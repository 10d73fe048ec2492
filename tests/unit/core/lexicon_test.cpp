// The dictionaries from Debian's packages (bot/lang): compounds, synonyms, and what the analysis
// makes of them. Needs hunspell-de-de, hunspell-en-us, mythes-de and mythes-en-us (installed by
// scripts/setup.sh).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/concepts.hpp"
#include "lang/lexicon.hpp"

namespace reflexbot::core {
namespace {

lang::DebianLexicon& lexicon() {
  static lang::DebianLexicon instance;
  return instance;
}

bool share(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&](std::uint64_t x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

TEST(Lexicon, TheDebianDictionariesAreInstalled) { EXPECT_TRUE(lexicon().available()); }

TEST(Lexicon, SplitsGermanCompoundsIntoWordsTheDictionaryKnows) {
  EXPECT_EQ(lexicon().compound_parts("kontaktnachverfolgung", Language::de),
            (std::vector<std::string>{"kontakt", "nachverfolgung"}));
  const auto parts = lexicon().compound_parts("krisenstabsleitungen", Language::de);
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.back(), "leitungen");
  EXPECT_NE(std::find(parts.begin(), parts.end(), "stab"), parts.end());
  // Words that only look like compounds stay whole.
  EXPECT_TRUE(lexicon().compound_parts("verordnung", Language::de).empty());
  EXPECT_TRUE(lexicon().compound_parts("bevölkerung", Language::de).empty());
  EXPECT_TRUE(lexicon().compound_parts("blackout", Language::en).empty());
}

// Titles name nouns in the nominative ("Pflegeheimen" → "Pflegeheime", "Krisenstabs" →
// "Krisenstab"), also compounds the dictionary lacks (their head's form), in the number the
// members wrote ("Masken", "Verordnungen", "Senioren" stay plurals), and never another word the
// dictionary derives them from ("Liste" from "List", "Zahlung" from "Zahl").
TEST(Lexicon, ABaseFormIsTheNominativeAlsoOfCompoundsTheDictionaryLacks) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Masken", "Masken"},
      {"Maske", "Maske"},
      {"Listen", "Liste"},
      {"Liste", "Liste"},
      {"Kontaktlisten", "Kontaktliste"},
      {"Pflegeheimen", "Pflegeheime"},
      {"Terminen", "Termine"},
      {"Quarantänebescheiden", "Quarantänebescheide"},
      {"Krisenstabs", "Krisenstab"},
      {"Krisenstabes", "Krisenstab"},
      {"Landes", "Land"},
      {"Verordnungen", "Verordnungen"},
      {"Trauungen", "Trauungen"},
      {"Zahlung", "Zahlung"},
      {"Zahlen", "Zahlen"},
      {"Kartenzahlung", "Kartenzahlung"},
      {"Senioren", "Senioren"},
      {"Patienten", "Patienten"},
      {"Kontaktpersonen", "Kontaktpersonen"},
      {"Fotos", "Fotos"},
      {"Haus", "Haus"},
      {"Dörfern", "Dörfer"},
      {"Hygienegründen", "Hygienegründe"},
      {"Hausärzten", "Hausärzte"},
      {"Fahrgemeinschaften", "Fahrgemeinschaften"},
      {"Botschaften", "Botschaften"},
      {"Fachverfahren", "Fachverfahren"},
      {"Dienstwagen", "Dienstwagen"},
      {"Intensivbetten", "Intensivbetten"},
      {"Überstunden", "Überstunden"},
      {"Sprachmittlerinnen", "Sprachmittlerinnen"},
      {"Kontaktnachverfolgung", "Kontaktnachverfolgung"},
  };
  for (const auto& [word, base] : expected) {
    EXPECT_EQ(lexicon().base_form(word, Language::de), base) << word;
  }
}

// English word classes come from WordNet (the English thesaurus): a noun is a word it knows
// mostly as one, as itself or by its stems; a word it lacks is a noun only if the spelling
// dictionary lacks it too (a name, a new word), never a function word.
TEST(Lexicon, EnglishNounsAndModifiersComeFromWordNet) {
  for (const char* noun : {"health", "evacuation", "communication", "backlog", "births", "classes",
                           "authorities", "sormas"}) {
    EXPECT_TRUE(lexicon().is_noun(noun, Language::en)) << noun;
  }
  for (const char* other : {"set", "daily", "several", "against", "anyone", "depending"}) {
    EXPECT_FALSE(lexicon().is_noun(other, Language::en)) << other;
  }
  for (const char* modifier : {"emergency", "social", "welcome", "elderly", "registration"}) {
    EXPECT_TRUE(lexicon().is_modifier(modifier, Language::en)) << modifier;
  }
  for (const char* other : {"tried", "against", "quickly"}) {
    EXPECT_FALSE(lexicon().is_modifier(other, Language::en)) << other;
  }
  EXPECT_FALSE(lexicon().is_modifier("emergency", Language::de));
}

TEST(Lexicon, SynonymsShareASetAlsoInflected) {
  EXPECT_TRUE(share(lexicon().synonym_sets("stromausfall", Language::de),
                    lexicon().synonym_sets("blackout", Language::de)));
  EXPECT_TRUE(share(lexicon().synonym_sets("erschöpfung", Language::de),
                    lexicon().synonym_sets("burnout", Language::de)));
  // An inflected form is looked up by its base form.
  EXPECT_FALSE(lexicon().synonym_sets("verordnungen", Language::de).empty());
  EXPECT_FALSE(share(lexicon().synonym_sets("stromausfall", Language::de),
                     lexicon().synonym_sets("schule", Language::de)));
  EXPECT_TRUE(lexicon().synonym_sets("", Language::de).empty());
  EXPECT_TRUE(lexicon().synonym_sets("xqzzyv", Language::de).empty());
}

// With the lexicon, texts that share no word but a compound's part or a synonym share a term.
TEST(Lexicon, TheAnalysisAddsCompoundPartsAndSynonymSets) {
  TextAnalyzer with(&lexicon());
  std::vector<TermId> a;
  std::vector<TermId> b;
  with.terms("Die Hitzeschutzräume waren leer", a);
  with.terms("Kühle Räume für Ältere", b);
  EXPECT_TRUE(std::any_of(a.begin(), a.end(),
                          [&](TermId t) { return std::find(b.begin(), b.end(), t) != b.end(); }));
  std::vector<TermId> c;
  std::vector<TermId> d;
  with.terms("Drei Tage Stromausfall", c);
  with.terms("Der Blackout kam nachts", d);
  EXPECT_TRUE(std::any_of(c.begin(), c.end(),
                          [&](TermId t) { return std::find(d.begin(), d.end(), t) != d.end(); }));
  // Without it, they do not.
  TextAnalyzer without;
  c.clear();
  d.clear();
  without.terms("Drei Tage Stromausfall", c);
  without.terms("Der Blackout kam nachts", d);
  EXPECT_FALSE(std::any_of(c.begin(), c.end(),
                           [&](TermId t) { return std::find(d.begin(), d.end(), t) != d.end(); }));
  // The fingerprint of stored keys changes with the lexicon.
  EXPECT_NE(analysis_fingerprint(&lexicon()), analysis_fingerprint());
}

// An idle bot frees the dictionaries; they come back with the same answers.
TEST(Lexicon, ReleasedDictionariesComeBackWithTheSameAnswers) {
  lang::DebianLexicon lexicon;
  EXPECT_FALSE(lexicon.loaded());  // nothing is read before the first question
  const auto fingerprint = lexicon.fingerprint();
  EXPECT_FALSE(lexicon.loaded());  // nor for the fingerprint
  const auto before = lexicon.synonym_sets("stromausfall", Language::de);
  EXPECT_TRUE(lexicon.loaded());
  EXPECT_FALSE(lexicon.release_if_idle(std::chrono::hours(1)));  // just used
  EXPECT_TRUE(lexicon.release_if_idle(std::chrono::seconds(0)));
  EXPECT_FALSE(lexicon.loaded());
  EXPECT_EQ(lexicon.synonym_sets("stromausfall", Language::de), before);
  EXPECT_EQ(lexicon.fingerprint(), fingerprint);
}

// A digest has the dictionaries read ahead on another thread (while it reads the store): the
// same answers as when the first question reads them.
TEST(Lexicon, DictionariesReadAheadGiveTheSameAnswers) {
  lang::DebianLexicon lexicon;
  lexicon.preload(Language::de);
  EXPECT_TRUE(lexicon.loaded());
  lang::DebianLexicon lazy;
  EXPECT_EQ(lexicon.compound_parts("kontaktnachverfolgung", Language::de),
            lazy.compound_parts("kontaktnachverfolgung", Language::de));
  EXPECT_EQ(lexicon.synonym_sets("stromausfall", Language::de),
            lazy.synonym_sets("stromausfall", Language::de));
  lexicon.preload(Language::de);  // again: nothing changes
  EXPECT_EQ(lexicon.base_form("Masken", Language::de), lazy.base_form("Masken", Language::de));
}

// The domain lexicon is data: an administrator's file adds a concept (or patterns to one), and
// two words that share no stem then share the concept's term.
TEST(Lexicon, AdministratorsExtendTheDomainLexicon) {
  EXPECT_NE(check_concepts("zzqflut Pegel\n"), "");  // no colon: nothing added
  EXPECT_EQ(check_concepts("zzqflut Pegel\n"), "line 1: expected \"concept: pattern pattern …\"");
  EXPECT_EQ(check_concepts("zzqflut:\n"), "line 1: concept \"zzqflut\" has no patterns");
  const auto shares = [](std::string_view a, std::string_view b) {
    TextAnalyzer analyzer;
    std::vector<TermId> x;
    std::vector<TermId> y;
    analyzer.terms(a, x);
    analyzer.terms(b, y);
    return std::any_of(x.begin(), x.end(),
                       [&](TermId t) { return std::find(y.begin(), y.end(), t) != y.end(); });
  };
  EXPECT_FALSE(shares("Der Zzqpegel stieg", "Die Zzqsandsäcke fehlten"));
  const auto before = analysis_fingerprint();
  EXPECT_EQ(add_concepts("# Hochwasser (test)\nzzqflut: zzqpegel zzqsandsack\n"), "");
  EXPECT_TRUE(shares("Der Zzqpegel stieg", "Die Zzqsandsäcke fehlten"));
  EXPECT_NE(analysis_fingerprint(), before);  // stored keys are made again
}

TEST(Lexicon, MissingDataAnswersNothing) {
  lang::DebianLexicon missing(lang::LexiconPaths{"/nonexistent", "/nonexistent"});
  EXPECT_FALSE(missing.available());
  EXPECT_TRUE(missing.compound_parts("kontaktnachverfolgung", Language::de).empty());
  EXPECT_TRUE(missing.synonym_sets("stromausfall", Language::de).empty());
}

TEST(Lexicon, SurvivesHostileWords) {
  for (const std::string word : {std::string("\xff\xfe\xfd"), std::string(500, 'a'),
                                 std::string("a\0b", 3), std::string("ü")}) {
    (void)lexicon().compound_parts(word, Language::de);
    (void)lexicon().synonym_sets(word, Language::de);
  }
}

}  // namespace
}  // namespace reflexbot::core
