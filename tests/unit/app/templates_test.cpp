#include "app/config/templates.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/markdown.hpp"
#include "core/round.hpp"
#include "core/round_text.hpp"

#include "../support/temp_dir.hpp"

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;

/// A valid template; the tests replace parts of it. Line numbers matter.
constexpr const char* valid = R"(key: test
title: {de: Test, en: Test}
phases:
  - key: eins
    title: {de: Eins}
    duration_minutes: 10
    question:
      de: Frage eins
      en: Question one
  - key: zwei_b
    title: {de: Zwei}
    question:
      de: |
        Frage **zwei**
)";

class TemplatesTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }

  /// The error for a folder holding just test.yaml with this content, or "no error".
  std::string error_of(const std::string& yaml) const {
    write("test.yaml", yaml);
    return error_of_folder();
  }

  std::string error_of_folder() const {
    try {
      load_templates(dir_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }

  /// `valid` with the first occurrence of `from` replaced by `to`.
  static std::string with(const std::string& from, const std::string& to) {
    std::string text = valid;
    const auto position = text.find(from);
    EXPECT_NE(position, std::string::npos) << from;
    if (position != std::string::npos) text.replace(position, from.size(), to);
    return text;
  }

  /// The "FILE:LINE: " prefix of an error in test.yaml.
  std::string at(int line) const {
    return (dir_ / "test.yaml").string() + ":" + std::to_string(line) + ": ";
  }

  test::TempDir temp_{"templates"};
  const fs::path dir_ = temp_.path();
};

TEST(ShippedTemplates, LoadWithTheirPhasesAndDurations) {
  const auto templates = load_templates(REFLEXBOT_TEMPLATES_DIR);
  ASSERT_EQ(templates.size(), 3u);
  EXPECT_EQ(templates[0].key, "aar");
  EXPECT_EQ(templates[1].key, "design-thinking");
  EXPECT_EQ(templates[2].key, "panreflex");

  auto keys = [](const core::Template& t) {
    std::vector<std::string> result;
    for (const auto& phase : t.phases) result.push_back(phase.key);
    return result;
  };
  auto durations = [](const core::Template& t) {
    std::vector<long> result;
    for (const auto& phase : t.phases) result.push_back(static_cast<long>(phase.duration.count()));
    return result;
  };
  using Keys = std::vector<std::string>;
  using Durations = std::vector<long>;
  EXPECT_EQ(keys(templates[0]), (Keys{"geplant", "passiert", "abweichungen", "konsequenzen"}));
  EXPECT_EQ(durations(templates[0]), (Durations{10, 15, 15, 15}));
  EXPECT_EQ(templates[0].phases[1].title.de, "Was ist tatsächlich passiert?");
  EXPECT_EQ(templates[0].phases[3].title.de, "Was behalten wir bei, was verbessern wir?");
  EXPECT_EQ(keys(templates[1]),
            (Keys{"verstehen", "beobachten", "sichtweise", "ideen", "prototyp", "testen"}));
  EXPECT_EQ(durations(templates[1]), (Durations{15, 15, 15, 20, 20, 15}));
  EXPECT_EQ(templates[1].phases[2].title.de, "Sichtweise definieren");
  EXPECT_EQ(keys(templates[2]), (Keys{"rueckschau", "bestandsaufnahme", "erfahrungsaustausch",
                                      "ausblick", "brainstorming"}));
  EXPECT_EQ(durations(templates[2]), (Durations{20, 15, 20, 15, 20}));
  EXPECT_EQ(templates[2].phases[0].title.de, "Rückschau");
  EXPECT_EQ(templates[2].phases[0].title.en, "Looking back");
}

TEST(ShippedTemplates, EveryPhaseHasAGermanAndEnglishQuestionWithSubPrompts) {
  for (const auto& t : load_templates(REFLEXBOT_TEMPLATES_DIR)) {
    EXPECT_FALSE(t.title.en.empty()) << t.key;
    EXPECT_FALSE(t.description.de.empty()) << t.key;
    EXPECT_FALSE(t.description.en.empty()) << t.key;
    for (const auto& phase : t.phases) {
      for (const auto* question : {&phase.question.de, &phase.question.en}) {
        ASSERT_FALSE(question->empty()) << t.key << "." << phase.key;
        const std::string html = core::markdown_to_html(*question);
        // One paragraph, then a list of 1 to 3 sub-prompts, and no hard-wrapped lines.
        EXPECT_TRUE(html.starts_with("<p>")) << html;
        EXPECT_NE(html.find("</p><ul><li>"), std::string::npos) << html;
        std::size_t items = 0;
        for (auto at = html.find("<li>"); at != std::string::npos; at = html.find("<li>", at + 1)) {
          ++items;
        }
        EXPECT_GE(items, 1u) << html;
        EXPECT_LE(items, 3u) << html;
        EXPECT_EQ(html.find("<br>"), std::string::npos) << html;
      }
      EXPECT_FALSE(phase.title.en.empty()) << t.key << "." << phase.key;
    }
  }
}

// The prompt's heading names the phase ("Phase 1 von 4: Was war geplant?"); the question under it
// does not begin with the title again, however the template emphasises it.
TEST(ShippedTemplates, NoPhasePromptRepeatsItsTitle) {
  for (const auto& t : load_templates(REFLEXBOT_TEMPLATES_DIR)) {
    core::Round round = core::start_round(t, "!r:x", "", "@m:x", minutes{0}, {}).value().round;
    for (std::size_t i = 0; i < t.phases.size(); ++i) {
      round.phase_index = i;
      for (const auto language : {core::Language::de, core::Language::en}) {
        const std::string title = t.phases[i].title.in(language);
        const std::string text = core::render_phase_start(round, t, language).text;
        const std::string heading = ": " + title + "\n";
        const auto at = text.find(heading);
        ASSERT_NE(at, std::string::npos) << text;
        const std::string next = text.substr(at + heading.size());
        // The title without its final punctuation, so "**Warum gab es Abweichungen** zwischen …"
        // counts as a repeat of "Warum gab es Abweichungen?" too.
        std::string stem = title;
        while (!stem.empty() && (stem.back() == '?' || stem.back() == '.')) stem.pop_back();
        EXPECT_FALSE(next.starts_with(stem)) << t.key << "." << t.phases[i].key << ":\n" << text;
      }
    }
  }
}

// `thread: true` runs the template's rounds in a thread of their own; anything but true or false
// is an error that names the line.
TEST_F(TemplatesTest, ThreadOptionIsABoolean) {
  write("test.yaml", std::string(valid) + "thread: true\n");
  ASSERT_EQ(load_templates(dir_).size(), 1u);
  EXPECT_TRUE(load_templates(dir_)[0].thread);
  write("test.yaml", std::string(valid) + "thread: vielleicht\n");
  try {
    load_templates(dir_);
    FAIL() << "accepted thread: vielleicht";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("thread"), std::string::npos) << e.what();
  }
}

TEST_F(TemplatesTest, ValidTemplateLoadsWithDefaults) {
  write("test.yaml", valid);
  write("notes.txt", "not a template");
  const auto templates = load_templates(dir_);
  ASSERT_EQ(templates.size(), 1u);
  const auto& t = templates[0];
  EXPECT_EQ(t.key, "test");
  EXPECT_EQ(t.title.de, "Test");
  EXPECT_TRUE(t.description.de.empty());
  ASSERT_EQ(t.phases.size(), 2u);
  EXPECT_EQ(t.phases[0].duration, minutes(10));
  EXPECT_EQ(t.phases[0].question.in(core::Language::en), "Question one");
  EXPECT_EQ(t.phases[1].key, "zwei_b");
  EXPECT_EQ(t.phases[1].duration, minutes(15));
  EXPECT_EQ(t.phases[1].question.de, "Frage **zwei**");
  EXPECT_EQ(t.phases[1].question.in(core::Language::en), "Frage **zwei**");
  EXPECT_EQ(t.phases[1].title.in(core::Language::en), "Zwei");
}

TEST_F(TemplatesTest, FilesLoadSortedByName) {
  write("b.yaml", with("key: test", "key: bbb"));
  write("a.yaml", with("key: test", "key: aaa"));
  const auto templates = load_templates(dir_);
  ASSERT_EQ(templates.size(), 2u);
  EXPECT_EQ(templates[0].key, "aaa");
  EXPECT_EQ(templates[1].key, "bbb");
}

TEST_F(TemplatesTest, MissingOrEmptyFolder) {
  EXPECT_EQ(error_of_folder(), dir_.string() + ": no templates (*.yaml files) in this folder");
  write("README.md", "# nothing");
  write("old.yml", valid);
  EXPECT_EQ(error_of_folder(), dir_.string() + ": no templates (*.yaml files) in this folder");
  const fs::path missing = dir_ / "missing";
  try {
    load_templates(missing);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": the templates folder does not exist");
  }
}

TEST_F(TemplatesTest, TemplateKey) {
  EXPECT_EQ(error_of(with("key: test", "key: Design Thinking")),
            at(1) +
                "key: expected lowercase letters, digits and \"-\" (e.g. \"design-thinking\"), "
                "got \"Design Thinking\"");
  EXPECT_EQ(error_of(with("key: test", "key: a_b")),
            at(1) +
                "key: expected lowercase letters, digits and \"-\" (e.g. \"design-thinking\"), "
                "got \"a_b\"");
  EXPECT_EQ(error_of(with("key: test\n", "")),
            at(1) + "key: missing required key (the template's name, e.g. \"aar\")");
  EXPECT_EQ(error_of(with("key: test", "key:")),
            at(1) + "key: expected a template name, got nothing");
}

TEST_F(TemplatesTest, DuplicateKeyAcrossFiles) {
  write("a.yaml", valid);
  write("b.yaml", "\n" + std::string(valid));
  EXPECT_EQ(error_of_folder(), (dir_ / "b.yaml").string() +
                                   ":2: key: duplicate template key \"test\", already defined in " +
                                   (dir_ / "a.yaml").string() + ":1");
}

TEST_F(TemplatesTest, Titles) {
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title: {en: Test}")),
            at(2) + "title.de: missing required key (the German text)");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title:\n  de:\n  en: Test")),
            at(3) + "title.de: expected a non-empty text, got nothing");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title:\n  de: \"  \"")),
            at(3) + "title.de: expected a non-empty text, got \"  \"");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title: Test")),
            at(2) + "title: expected a mapping with de and en (de: …, en: …), got \"Test\"");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}\n", "")),
            at(1) + "title: missing required key (the template's title)");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title: {de: Test, fr: Test}")),
            at(2) + "title.fr: unknown key");
  EXPECT_EQ(error_of(with("title: {de: Test, en: Test}", "title: {de: Test, en: [a]}")),
            at(2) + "title.en: expected a non-empty text, got a list");
}

TEST_F(TemplatesTest, PhasesList) {
  EXPECT_EQ(error_of("key: test\ntitle: {de: Test}\nphases: []\n"),
            at(3) + "phases: expected a list of 1 to 20 phases, got 0");
  EXPECT_EQ(error_of("key: test\ntitle: {de: Test}\nphases:\n"),
            at(3) + "phases: expected a list of 1 to 20 phases, got nothing");
  EXPECT_EQ(error_of("key: test\ntitle: {de: Test}\n"),
            at(1) + "phases: missing required key (a list of phases)");
  std::string many = "key: test\ntitle: {de: Test}\nphases:\n";
  for (int i = 0; i < 21; ++i) {
    many += "  - {key: p" + std::to_string(i) + ", title: {de: T}, question: {de: F}}\n";
  }
  EXPECT_EQ(error_of(many), at(4) + "phases: expected a list of 1 to 20 phases, got 21");
  EXPECT_EQ(error_of(with("  - key: zwei_b", "  - 42\n  - key: zwei_b")),
            at(10) +
                "phases[1]: expected a mapping with key, title, question and "
                "duration_minutes, got \"42\"");
}

TEST_F(TemplatesTest, PhaseKeys) {
  EXPECT_EQ(error_of(with("key: zwei_b", "key: Zwei")),
            at(10) +
                "phases[1].key: expected lowercase letters, digits, \"-\" and \"_\" (e.g. "
                "\"rueckschau\"), got \"Zwei\"");
  EXPECT_EQ(error_of(with("key: zwei_b", "key: eins")),
            at(10) +
                "phases[1].key: duplicate phase key \"eins\", already used by phases[0] on "
                "line 4");
  // The phase's mapping starts on the line after the dash.
  EXPECT_EQ(error_of(with("  - key: zwei_b\n", "  -\n")),
            at(11) + "phases[1].key: missing required key (the phase's name, e.g. \"rueckschau\")");
}

TEST_F(TemplatesTest, Questions) {
  EXPECT_EQ(error_of(with("      de: Frage eins\n", "")),
            at(8) + "phases[0].question.de: missing required key (the German text)");
  EXPECT_EQ(error_of(with("    question:\n      de: Frage eins\n      en: Question one\n", "")),
            at(4) + "phases[0].question: missing required key (the guiding question)");
  EXPECT_EQ(error_of(with("de: Frage eins", "de:")),
            at(8) + "phases[0].question.de: expected a non-empty text, got nothing");
  EXPECT_EQ(error_of(with("Frage **zwei**", std::string(4000, 'x'))), "no error");
  EXPECT_EQ(error_of(with("Frage **zwei**", std::string(4001, 'x'))),
            at(13) +
                "phases[1].question.de: the text is 4001 bytes long; at most 4000 are "
                "allowed");
  EXPECT_EQ(error_of(with("    title: {de: Eins}\n", "")),
            at(4) + "phases[0].title: missing required key (the phase's title)");
}

TEST_F(TemplatesTest, Durations) {
  const std::string expected =
      "phases[0].duration_minutes: expected an integer between 1 and 1440, got ";
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: zehn")),
            at(6) + expected + "\"zehn\"");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: 0")),
            at(6) + expected + "\"0\"");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: 1441")),
            at(6) + expected + "\"1441\"");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: 7.5")),
            at(6) + expected + "\"7.5\"");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes:")),
            at(6) + expected + "nothing");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: [10]")),
            at(6) + expected + "a list");
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duration_minutes: 1440")), "no error");
}

TEST_F(TemplatesTest, UnknownKeys) {
  EXPECT_EQ(error_of(with("duration_minutes: 10", "duraton_minutes: 10")),
            at(6) + "phases[0].duraton_minutes: unknown key; did you mean duration_minutes?");
  EXPECT_EQ(error_of(with("key: test", "key: test\ntitel: x")),
            at(2) + "titel: unknown key; did you mean title?");
  EXPECT_EQ(error_of(with("key: test", "key: test\nfarbe: blau")), at(2) + "farbe: unknown key");
  EXPECT_EQ(error_of(with("      en: Question one", "      en: Question one\n      en: again")),
            at(10) + "phases[0].question.en: duplicate key, already set on line 9");
}

TEST_F(TemplatesTest, BrokenFiles) {
  EXPECT_EQ(error_of(""), at(1) + "expected a mapping with key, title and phases, got nothing");
  EXPECT_EQ(error_of("- a\n- b\n"),
            at(1) + "expected a mapping with key, title and phases, got a list");
  EXPECT_EQ(error_of(std::string(valid) + "---\nkey: other\n"),
            at(16) + "only one template per file; remove the \"---\" separator");
  const std::string syntax = error_of("key: test\ntitle: {de: Test\n");
  EXPECT_TRUE(syntax.starts_with(at(3) + "YAML syntax error: ")) << syntax;
}

}  // namespace
}  // namespace reflexbot::app
