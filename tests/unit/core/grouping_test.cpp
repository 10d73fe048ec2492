// Text analysis and grouping: unit cases, and the grouping quality on the labelled fixture
// tests/fixtures/digest/grouping_labelled.tsv (contributions as municipal staff write them, with
// the group a human reader assigned).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/digest.hpp"
#include "core/grouping.hpp"

namespace reflexbot::core {
namespace {

std::vector<std::string> stems(TextAnalyzer& analyzer, std::string_view text) {
  std::vector<TermId> terms;
  analyzer.terms(text, terms);
  std::vector<std::string> out;
  for (const TermId term : terms) {
    if (!analyzer.is_concept(term)) out.push_back(analyzer.stem(term));
  }
  return out;
}

std::vector<std::string> concepts(TextAnalyzer& analyzer, std::string_view text) {
  std::vector<TermId> terms;
  analyzer.terms(text, terms);
  std::vector<std::string> out;
  for (const TermId term : terms) {
    if (analyzer.is_concept(term)) out.push_back(analyzer.stem(term).substr(1));
  }
  return out;
}

TEST(TextAnalyzer, AddsDomainConceptsSoThatWordsWithoutACommonStemMeet) {
  TextAnalyzer analyzer;
  EXPECT_EQ(concepts(analyzer, "FFP2-Masken"),
            (std::vector<std::string>{"schutzausruestung", "schutzausruestung"}));
  EXPECT_EQ(concepts(analyzer, "Schutzausrüstung"),
            (std::vector<std::string>{"schutzausruestung"}));
  EXPECT_EQ(concepts(analyzer, "Die Hotline war überlastet"), concepts(analyzer, "Bürgertelefon"));
  EXPECT_EQ(concepts(analyzer, "Quarantaene"), (std::vector<std::string>{"quarantaene"}));
  EXPECT_TRUE(concepts(analyzer, "Heute scheint die Sonne").empty());
}

// A pattern inside a longer word can mean something else: training is not school, a service
// agreement is no club, and "improvisiert" holds no face shield.
TEST(TextAnalyzer, ConceptsSkipWordsThatOnlyContainAPattern) {
  TextAnalyzer analyzer;
  EXPECT_EQ(concepts(analyzer, "Schulen"), (std::vector<std::string>{"schule"}));
  EXPECT_EQ(concepts(analyzer, "Schulung"), (std::vector<std::string>{"einarbeitung"}));
  EXPECT_EQ(concepts(analyzer, "Sportverein"), (std::vector<std::string>{"ehrenamt"}));
  EXPECT_EQ(concepts(analyzer, "Dienstvereinbarung"), (std::vector<std::string>{"it"}));
  EXPECT_EQ(concepts(analyzer, "Visiere"), (std::vector<std::string>{"schutzausruestung"}));
  EXPECT_TRUE(concepts(analyzer, "improvisiert").empty());
  EXPECT_TRUE(concepts(analyzer, "eingerichtet").empty());
  EXPECT_EQ(concepts(analyzer, "Gerichte"), (std::vector<std::string>{"recht"}));
}

// One typing error in a long word still finds its concept; a short or early difference does not
// ("angeordnet" is not "abgeordnet", "Beschäftigte" not "beschaffen").
TEST(TextAnalyzer, ConceptsForgiveOneTypingErrorInLongWords) {
  TextAnalyzer analyzer;
  EXPECT_EQ(concepts(analyzer, "Bürgertelfon"), (std::vector<std::string>{"buergertelefon"}));
  EXPECT_EQ(concepts(analyzer, "Kontaktnachverfolung"),
            (std::vector<std::string>{"kontaktverfolgung"}));
  EXPECT_EQ(concepts(analyzer, "Schutzausrüsutng"),
            (std::vector<std::string>{"schutzausruestung"}));
  EXPECT_EQ(concepts(analyzer, "Katastrophenschtuz"), (std::vector<std::string>{"krisenstab"}));
  EXPECT_TRUE(concepts(analyzer, "angeordnet").empty());
  EXPECT_TRUE(concepts(analyzer, "Beschäftigte").empty());
  EXPECT_TRUE(concepts(analyzer, "Administration").empty());
}

// "Kolleg*innen" is about colleagues, not about "innen"; all spellings meet the plain form.
TEST(TextAnalyzer, GenderedFormsCountAsTheWordWithoutTheSuffix) {
  TextAnalyzer analyzer;
  const auto plain = stems(analyzer, "Kollegen");
  ASSERT_EQ(plain.size(), 1U);
  for (const char* text : {"Kolleg*innen", "Kolleg:innen", "Kolleg_innen", "Kolleg/innen",
                           "Kolleg/-innen", "KollegInnen"}) {
    EXPECT_EQ(stems(analyzer, text), plain) << text;
  }
  EXPECT_EQ(stems(analyzer, "Mitarbeiter*in"), stems(analyzer, "Mitarbeiter"));
  EXPECT_EQ(stems(analyzer, "Bürger:innen fragen"), stems(analyzer, "Bürger fragen"));
  EXPECT_EQ(stems(analyzer, "Innenstadt drinnen"),
            (std::vector<std::string>{"innenstadt", "drinn"}));
}

TEST(TextAnalyzer, FoldsInflectionsUmlautsAndTypedUmlautsIntoOneTerm) {
  TextAnalyzer analyzer;
  const auto a = stems(analyzer, "Schutzausrüstung");
  const auto b = stems(analyzer, "Schutzausrüstungen");
  const auto c = stems(analyzer, "SCHUTZAUSRUESTUNG");
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(stems(analyzer, "Gesundheitsämter"), stems(analyzer, "Gesundheitsamt"));
}

TEST(TextAnalyzer, DropsStopWordsNumbersLinksMentionsAndCode) {
  TextAnalyzer analyzer;
  const auto terms =
      stems(analyzer,
            "Wir haben das 2020 bei https://example.org/x?y=1 mit @alice:example.org "
            "und `rm -rf` gelernt, mail an a.b@stadt.de");
  EXPECT_EQ(terms, (std::vector<std::string>{"gelernt", "mail"}));
}

TEST(TextAnalyzer, StemsEnglishTextsWithTheEnglishStemmer) {
  TextAnalyzer analyzer;
  EXPECT_EQ(stems(analyzer, "the hotlines were overloaded and the callers waited"),
            (std::vector<std::string>{"hotlin", "overload", "caller", "wait"}));
}

TEST(TextAnalyzer, KeepsUpperCaseAbbreviationsOfTwoLetters) {
  TextAnalyzer analyzer;
  EXPECT_EQ(stems(analyzer, "Das GA und die IT"), (std::vector<std::string>{"ga", "it"}));
  EXPECT_TRUE(stems(analyzer, "ab zu im").empty());
}

TEST(TextAnalyzer, SurfaceIsTheFormWrittenMostOften) {
  TextAnalyzer analyzer;
  std::vector<TermId> terms;
  analyzer.terms("Impfzentrum Impfzentrums Impfzentrum impfzentrum", terms);
  std::erase_if(terms, [&](TermId t) { return analyzer.is_concept(t); });
  ASSERT_EQ(terms.size(), 4U);
  EXPECT_EQ(terms[0], terms[1]);
  EXPECT_EQ(analyzer.surface(terms[0]), "Impfzentrum");
}

TEST(TextAnalyzer, SurvivesHostileBytes) {
  TextAnalyzer analyzer;
  std::string hostile = "\xC3\x28 \xE2\x82 \xFF\xFE abc\0def \xC3";
  hostile.push_back('\0');
  hostile += std::string(100000, 'a') + " #tag @ http:// `";
  std::vector<TermId> terms;
  analyzer.terms(hostile, terms);
  for (const TermId term : terms) EXPECT_LT(term, analyzer.size());
}

TEST(Grouping, SimilarTextsShareAGroupAndUnrelatedOnesDoNot) {
  TextAnalyzer analyzer;
  std::vector<std::vector<TermId>> docs(4);
  analyzer.terms("Masken und Schutzausrüstung zu spät bestellt, Preise explodiert", docs[0]);
  analyzer.terms("Hotline des Bürgertelefons völlig überlastet", docs[1]);
  analyzer.terms("Schutzausrüstung hätten wir früher bestellen müssen, Masken fehlten", docs[2]);
  analyzer.terms("Bürgertelefon: Hotline brauchte mehr Personal", docs[3]);
  const auto groups = group_documents(tfidf_vectors(docs));
  EXPECT_EQ(groups, (std::vector<std::uint32_t>{0, 1, 0, 1}));
}

// The previous period's contributions follow the groups of the period; they form none.
TEST(Grouping, FollowersJoinTheMostSimilarGroupAndFormNone) {
  TextAnalyzer analyzer;
  std::vector<std::vector<TermId>> docs(6);
  analyzer.terms("Masken und Schutzausrüstung zu spät bestellt, Preise explodiert", docs[0]);
  analyzer.terms("Hotline des Bürgertelefons völlig überlastet", docs[1]);
  // followers
  analyzer.terms("Bürgertelefon: Hotline brauchte mehr Personal", docs[2]);
  analyzer.terms("Schulen geschlossen, Kinder ohne Betreuung", docs[3]);
  analyzer.terms("Schulen: Betreuung der Kinder fehlte", docs[4]);
  analyzer.terms("Schutzausrüstung hätten wir früher bestellen müssen, Masken fehlten", docs[5]);
  const auto vectors = tfidf_vectors(docs);
  EXPECT_EQ(group_documents(vectors, {}, 2),
            (std::vector<std::uint32_t>{0, 1, 1, kNoGroupFound, kNoGroupFound, 0}));
  // As leaders, the two about schools would have formed a group of their own.
  EXPECT_EQ(group_documents(vectors), (std::vector<std::uint32_t>{0, 1, 1, 2, 2, 0}));
}

TEST(Grouping, EmptyDocumentsAreGroupsOfTheirOwn) {
  const std::vector<SparseVector> docs(3);
  EXPECT_EQ(group_documents(docs), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_TRUE(group_documents(std::vector<SparseVector>{}).empty());
}

TEST(Grouping, TfidfVectorsHaveUnitLengthAndBoostZeroDropsATerm) {
  const std::vector<std::vector<TermId>> docs = {{0, 1, 1}, {1, 2}};
  const std::vector<float> boost = {1.0F, 0.0F};
  const auto vectors = tfidf_vectors(docs, boost);
  ASSERT_EQ(vectors.size(), 2U);
  EXPECT_EQ(vectors[0].size(), 1U);  // term 1 dropped
  EXPECT_NEAR(cosine(vectors[0], vectors[0]), 1.0, 1e-6);
  double norm = 0;
  for (const auto& [term, weight] : vectors[1]) norm += weight * weight;
  EXPECT_NEAR(norm, 1.0, 1e-6);
}

// Just below the figures of the defaults, so that a change that makes grouping worse fails.
constexpr double kPrecisionFloor = 0.665;
constexpr double kRecallFloor = 0.700;
constexpr double kHeldOutPrecisionFloor = 0.495;
constexpr double kHeldOutRecallFloor = 0.555;

// The labelled fixture: one contribution per line, "group city tags lang text".
struct Labelled {
  std::vector<DigestItem> items;
  std::vector<std::string> labels;
};

Labelled load_fixture(const std::string& name = "grouping_labelled.tsv") {
  std::ifstream in(std::string(REFLEXBOT_FIXTURES) + "/digest/" + name);
  Labelled out;
  std::string line;
  std::getline(in, line);  // header
  int n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, '\t')) fields.push_back(field);
    if (fields.size() != 5) continue;
    DigestItem item;
    item.id = "$" + std::to_string(n);
    item.city = fields[1];
    item.author = "p" + std::to_string(n % 37);
    std::stringstream tags(fields[2]);
    while (std::getline(tags, field, ',')) {
      if (!field.empty()) item.tags.push_back(field);
    }
    item.body = fields[4];
    item.written_at = TimePoint{std::chrono::minutes(n)};
    out.items.push_back(std::move(item));
    out.labels.push_back(fields[0]);
    ++n;
  }
  return out;
}

struct Quality {
  double precision = 0;
  double recall = 0;
  std::size_t groups = 0;
};

Quality evaluate(const Labelled& fixture, const DigestRequest& request) {
  const Digest digest = build_digest(fixture.items, {}, request);
  long true_positive = 0;
  long predicted = 0;
  long actual = 0;
  for (std::size_t i = 0; i < fixture.items.size(); ++i) {
    for (std::size_t j = i + 1; j < fixture.items.size(); ++j) {
      const bool same_group = digest.group_of[i] == digest.group_of[j];
      const bool same_label = fixture.labels[i] == fixture.labels[j];
      predicted += same_group ? 1 : 0;
      actual += same_label ? 1 : 0;
      true_positive += same_group && same_label ? 1 : 0;
    }
  }
  Quality q;
  q.groups = digest.groups.size();
  q.precision =
      predicted == 0 ? 0 : static_cast<double>(true_positive) / static_cast<double>(predicted);
  q.recall = actual == 0 ? 0 : static_cast<double>(true_positive) / static_cast<double>(actual);
  return q;
}

// Grouping of a labelled fixture with the default settings, printed, recorded, and checked
// against its floors.
void check_quality(const std::string& file, const char* what, std::size_t min_items,
                   double precision_floor, double recall_floor) {
  const Labelled fixture = load_fixture(file);
  ASSERT_GE(fixture.items.size(), min_items);
  const Quality q = evaluate(fixture, DigestRequest{});
  std::printf(
      "grouping on %zu %s contributions: %zu groups, pairwise precision %.3f, recall %.3f\n",
      fixture.items.size(), what, q.groups, q.precision, q.recall);
  ::testing::Test::RecordProperty("precision", std::to_string(q.precision));
  ::testing::Test::RecordProperty("recall", std::to_string(q.recall));
  EXPECT_GE(q.precision, precision_floor);
  EXPECT_GE(q.recall, recall_floor);
}

// The figures with the default settings are in docs/digests.md. The floor guards against
// regressions; the aim (0.8 each) is not reached by lexical grouping on this fixture, whose
// groups are paraphrases that often share no word (see the note there).
TEST(GroupingQuality, PairwisePrecisionAndRecallOnTheLabelledFixture) {
  check_quality("grouping_labelled.tsv", "labelled", 200, kPrecisionFloor, kRecallFloor);
}

// A second labelled fixture, written after the first and never used for tuning: contributions
// from other cities with fresh wording, some topics the first one lacks, and singletons. If a
// change helps the first fixture but not this one, it is overfitting.
TEST(GroupingQuality, PairwisePrecisionAndRecallOnTheHeldOutFixture) {
  check_quality("grouping_heldout.tsv", "held-out", 120, kHeldOutPrecisionFloor,
                kHeldOutRecallFloor);
}

// A grid over the thresholds and boosts, to tune the defaults:
//   core_tests --gtest_also_run_disabled_tests --gtest_filter='*Sweep*'
TEST(GroupingQuality, DISABLED_Sweep) {
  const Labelled tuned = load_fixture();
  const Labelled held_out = load_fixture("grouping_heldout.tsv");
  for (const double prior : {0.0, 5.0, 20.0, 50.0}) {
    for (const double join : {0.25, 0.3, 0.35, 0.4, 0.45, 0.5}) {
      for (const double merge : {0.5, 0.6, 0.7}) {
        DigestRequest request;
        request.idf_prior = prior;
        request.grouping.join_threshold = join;
        request.grouping.merge_threshold = merge;
        const Quality q = evaluate(tuned, request);
        const Quality h = evaluate(held_out, request);
        std::printf(
            "prior %2.0f join %.2f merge %.2f: tuned P %.3f R %.3f F1 %.3f | held-out P %.3f "
            "R %.3f F1 %.3f\n",
            prior, join, merge, q.precision, q.recall,
            2 * q.precision * q.recall / std::max(q.precision + q.recall, 1e-9), h.precision,
            h.recall, 2 * h.precision * h.recall / std::max(h.precision + h.recall, 1e-9));
      }
    }
  }
}

double f1(const Quality& q) {
  return 2 * q.precision * q.recall / std::max(q.precision + q.recall, 1e-9);
}

// The fixture without its hashtags: the tags column emptied and every "#word" cut from the text,
// to see what the words alone achieve.
Labelled without_hashtags(Labelled fixture) {
  for (DigestItem& item : fixture.items) {
    item.tags.clear();
    std::string body;
    for (std::size_t i = 0; i < item.body.size();) {
      if (item.body[i] == '#') {
        std::size_t j = i + 1;
        while (j < item.body.size() && item.body[j] != ' ' && item.body[j] != ',' &&
               item.body[j] != '.' && item.body[j] != '!' && item.body[j] != '?') {
          ++j;
        }
        i = j;
      } else {
        body += item.body[i++];
      }
    }
    item.body = body;
  }
  return fixture;
}

// The mean over ten fixed shuffles (time order as shuffled).
Quality shuffled_quality(const Labelled& fixture, const DigestRequest& request) {
  std::mt19937 random(42);  // the engine's output is fixed by the standard; % is too
  constexpr int kShuffles = 10;
  Quality mean;
  for (int round = 0; round < kShuffles; ++round) {
    Labelled shuffled = fixture;
    for (std::size_t i = shuffled.items.size(); i > 1; --i) {
      const std::size_t j = random() % i;
      std::swap(shuffled.items[i - 1], shuffled.items[j]);
      std::swap(shuffled.labels[i - 1], shuffled.labels[j]);
    }
    for (std::size_t i = 0; i < shuffled.items.size(); ++i) {
      shuffled.items[i].written_at = TimePoint{std::chrono::minutes(i)};
    }
    const Quality q = evaluate(shuffled, request);
    mean.precision += q.precision / kShuffles;
    mean.recall += q.recall / kShuffles;
    mean.groups += q.groups;
  }
  mean.groups /= kShuffles;
  return mean;
}

// Every labelled fixture in tests/fixtures/digest, in file order and shuffled, with and without
// hashtags (precision / recall / F1, groups):
//   core_tests --gtest_also_run_disabled_tests --gtest_filter='*Report*'
TEST(GroupingQuality, DISABLED_Report) {
  for (const char* name : {"grouping_labelled.tsv", "grouping_heldout.tsv",
                           "grouping_crises.tsv", "grouping_workshop.tsv"}) {
    const Labelled fixture = load_fixture(name);
    if (fixture.items.empty()) continue;
    const Labelled bare = without_hashtags(fixture);
    const DigestRequest request;
    const Quality q[4] = {evaluate(fixture, request), shuffled_quality(fixture, request),
                          evaluate(bare, request), shuffled_quality(bare, request)};
    std::printf("%-22s %3zu |", name, fixture.items.size());
    for (const Quality& x : q) {
      std::printf(" %.2f/%.2f/%.2f %3zu |", x.precision, x.recall, f1(x), x.groups);
    }
    std::printf("\n");
  }
  std::printf("%-26s | file order             | shuffled               | no hashtags, file      | no hashtags, shuffled\n", "");
}

// The stored keys per contribution (what the store keeps for each one), mean over a fixture:
//   core_tests --gtest_also_run_disabled_tests --gtest_filter='*KeysPerContribution*'
TEST(GroupingQuality, DISABLED_KeysPerContribution) {
  for (const char* name : {"grouping_labelled.tsv", "grouping_heldout.tsv"}) {
    const Labelled fixture = load_fixture(name);
    TextAnalyzer analyzer;
    std::vector<std::uint64_t> keys;
    for (const DigestItem& item : fixture.items) analyzer.keys(item.body, keys);
    std::printf("%s: %.2f keys per contribution\n", name,
                static_cast<double>(keys.size()) / static_cast<double>(fixture.items.size()));
  }
}

// Which labels each group mixes, to improve the lexicon:
//   core_tests --gtest_also_run_disabled_tests --gtest_filter='*Confusion*'
TEST(GroupingQuality, DISABLED_Confusion) {
  for (const char* name : {"grouping_labelled.tsv", "grouping_heldout.tsv"}) {
    std::printf("== %s\n", name);
    const Labelled fixture = load_fixture(name);
    const Digest digest = build_digest(fixture.items, {}, DigestRequest{});
    for (const auto& group : digest.groups) {
      std::map<std::string, int> labels;
      for (const std::size_t index : group.members) ++labels[fixture.labels[index]];
      std::printf("%-40s", group.title().substr(0, 40).c_str());
      for (const auto& [label, n] : labels) std::printf(" %s:%d", label.c_str(), n);
      std::printf("\n");
    }
  }
}

}  // namespace
}  // namespace reflexbot::core
