#include "core/analyzer.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>

#include "core/concepts.hpp"

namespace reflexbot::core {
namespace {

// Function words of German and English (lower case, umlauts as typed) plus the chat filler that
// says nothing about a topic. Content words stay, even frequent ones: TF-IDF weighs those.
constexpr std::array kStopWordsDe = {
    "aber",    "alle",   "allem",      "allen",    "aller",   "alles",    "als",     "also",
    "am",      "an",     "ander",      "andere",   "anderen", "auch",     "auf",     "aus",
    "bei",     "beim",   "bin",        "bis",      "bisher",  "bist",     "da",      "dabei",
    "dafür",   "damit",  "dann",       "das",      "dass",    "daß",      "dem",     "den",
    "denn",    "der",    "des",        "dessen",   "deshalb", "die",      "dies",    "diese",
    "diesem",  "diesen", "dieser",     "dieses",   "doch",    "dort",     "du",      "durch",
    "ein",     "eine",   "einem",      "einen",    "einer",   "eines",    "einfach", "einige",
    "er",      "es",     "etwas",      "euch",     "euer",    "eure",     "für",     "gab",
    "ganz",    "gar",    "gibt",       "gut",      "hab",     "habe",     "haben",   "hat",
    "hatte",   "hatten", "hier",       "hin",      "hätte",   "hätten",   "ich",     "ihm",
    "ihn",     "ihnen",  "ihr",        "ihre",     "ihrem",   "ihren",    "ihrer",   "im",
    "immer",   "in",     "ins",        "ist",      "ja",      "jede",     "jedem",   "jeden",
    "jeder",   "jedes",  "jetzt",      "kann",     "kein",    "keine",    "keinem",  "keinen",
    "keiner",  "können", "könnte",     "man",      "manche",  "mal",      "mehr",    "mein",
    "meine",   "mich",   "mir",        "mit",      "muss",    "musste",   "mussten", "müssen",
    "nach",    "nicht",  "nichts",     "noch",     "nun",     "nur",      "ob",      "oder",
    "ohne",    "schon",  "sehr",       "sein",     "seine",   "seit",     "selbst",  "sich",
    "sie",     "sind",   "so",         "sollte",   "sollten", "sondern",  "sowie",   "um",
    "und",     "uns",    "unser",      "unsere",   "unserem", "unseren",  "unserer", "unter",
    "viel",    "viele",  "vom",        "von",      "vor",     "war",      "waren",   "warum",
    "was",     "weil",   "welche",     "wenn",     "wer",     "werden",   "wie",     "wieder",
    "will",    "wir",    "wird",       "wirklich", "wo",      "wollen",   "wurde",   "wurden",
    "während", "wäre",   "wären",      "zu",       "zum",     "zur",      "zwar",    "über",
    "eher",    "echt",   "eigentlich", "ehrlich",  "gesagt",  "halt",     "eben",    "leider",
    "zb",      "bzw",    "usw",        "ca",       "etc",     "dito",     "okay",    "ok",
    "erst",    "erste",  "ersten",     "erster",   "völlig",  "komplett", "total",   "gerade",
    "oft",     "nie",    "wenig",      "weniger",  "danach",  "heute",    "damals",  "später",
};

constexpr std::array kStopWordsEn = {
    "a",     "about",  "after", "again", "all",     "also",  "an",     "and",    "any",
    "are",   "as",     "at",    "be",    "because", "been",  "before", "being",  "but",
    "by",    "can",    "could", "did",   "do",      "does",  "doing",  "during", "each",
    "even",  "every",  "few",   "for",   "from",    "get",   "got",    "had",    "has",
    "have",  "having", "he",    "her",   "here",    "him",   "his",    "how",    "i",
    "if",    "in",     "into",  "is",    "it",      "its",   "just",   "let",    "like",
    "lot",   "made",   "make",  "many",  "me",      "more",  "most",   "much",   "must",
    "my",    "no",     "not",   "now",   "of",      "off",   "on",     "once",   "only",
    "or",    "other",  "our",   "ours",  "out",     "over",  "own",    "really", "same",
    "she",   "should", "so",    "some",  "still",   "such",  "than",   "that",   "the",
    "their", "them",   "then",  "there", "these",   "they",  "this",   "those",  "through",
    "to",    "too",    "under", "until", "up",      "us",    "very",   "was",    "we",
    "were",  "what",   "when",  "where", "which",   "while", "who",    "why",    "will",
    "with",  "would",  "you",   "your",  "yes",     "way",   "well",   "next",   "time",
};

const std::unordered_set<std::string_view>& stop_words(bool english) {
  static const std::unordered_set<std::string_view> de(kStopWordsDe.begin(), kStopWordsDe.end());
  static const std::unordered_set<std::string_view> en(kStopWordsEn.begin(), kStopWordsEn.end());
  return english ? en : de;
}

bool is_ascii_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

bool is_lower_ascii(char c) { return c >= 'a' && c <= 'z'; }

// Length of the word character starting at text[i] (a letter or digit), 0 if it is none. Letters
// beyond ASCII: Latin-1 Supplement letters (not × ÷) and Latin Extended-A; anything else (quotes,
// dashes, emoji, invalid UTF-8) separates words.
std::size_t word_char(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (is_ascii_letter(c) || (c >= '0' && c <= '9')) return 1;
  if (i + 1 >= text.size()) return 0;
  const auto d = static_cast<unsigned char>(text[i + 1]);
  if ((d & 0xC0) != 0x80) return 0;
  if (c == 0xC3) return (d == 0x97 || d == 0xB7) ? 0 : 2;
  if (c == 0xC4 || c == 0xC5) return 2;
  return 0;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Lower-cases ASCII and Latin-1 capitals (Ä → ä); other bytes stay.
std::string lower(std::string_view word) {
  std::string out(word);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < out.size()) {
      const auto d = static_cast<unsigned char>(out[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) out[i + 1] = static_cast<char>(d + 32);
      ++i;
    }
  }
  return out;
}

// ä ö ü → a o u, ß → ss, é è ê → e (what is left after stemming; the German stemmer does most).
std::string fold(std::string_view stem) {
  std::string out;
  out.reserve(stem.size());
  for (std::size_t i = 0; i < stem.size(); ++i) {
    const auto c = static_cast<unsigned char>(stem[i]);
    if (c == 0xC3 && i + 1 < stem.size()) {
      const auto d = static_cast<unsigned char>(stem[i + 1]);
      const char* replacement = nullptr;
      switch (d) {
        case 0xA4:
          replacement = "a";
          break;
        case 0xB6:
          replacement = "o";
          break;
        case 0xBC:
          replacement = "u";
          break;
        case 0x9F:
          replacement = "ss";
          break;
        case 0xA9:
        case 0xA8:
        case 0xAA:
          replacement = "e";
          break;
        default:
          break;
      }
      if (replacement != nullptr) {
        out += replacement;
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

// ae oe ue typed for umlauts ("Schutzausruestung") → a o u, as the German stemmer's output has
// them; only when followed by a consonant or at the end, so "neue", "Steuer", "Feuer" keep theirs.
std::string fold_typed_umlauts(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if ((c == 'a' || c == 'o' || c == 'u') && i + 1 < word.size() && word[i + 1] == 'e' && i > 0 &&
        word[i - 1] != 'e' && word[i - 1] != 'a' && word[i - 1] != 'q') {
      const bool next_is_vowel = i + 2 < word.size() && std::string_view("aeiouy").find(
                                                            word[i + 2]) != std::string_view::npos;
      if (!next_is_vowel && i + 2 < word.size()) {
        out += c;
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

bool all_digits(std::string_view word) {
  return std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_caps_ascii(std::string_view word) {
  return std::all_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Characters (not bytes) in a word of ASCII and two-byte letters.
std::size_t char_count(std::string_view word) {
  std::size_t n = 0;
  for (const char c : word) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Gendered forms count as the word without the suffix: "Kolleg*innen", "Bürger:innen",
// "Helfer_in", "Ärzt/-innen" (the suffix is skipped: returns where it ends, else `i`, the end of
// the word) and "MitarbeiterInnen" (a capital I after a small letter: cut off by
// without_capital_suffix()), so no term "innen" links unrelated messages.
std::size_t past_gender_suffix(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size() || std::string_view("*:_/").find(text[i]) == std::string_view::npos) {
    return i;
  }
  std::size_t suffix = i + 1;
  if (text[i] == '/' && text[suffix] == '-') ++suffix;
  for (const std::string_view ending : {std::string_view("innen"), std::string_view("in")}) {
    const std::size_t end = suffix + ending.size();
    if (text.substr(suffix, ending.size()) == ending &&
        (end == text.size() || word_char(text, end) == 0)) {
      return end;
    }
  }
  return i;
}

std::string_view without_capital_suffix(std::string_view word) {
  for (const std::string_view ending : {std::string_view("Innen"), std::string_view("In")}) {
    if (word.size() > ending.size() + 2 && word.ends_with(ending) &&
        is_lower_ascii(word[word.size() - ending.size() - 1])) {
      word.remove_suffix(ending.size());
      break;
    }
  }
  return word;
}

}  // namespace

struct TextAnalyzer::Stemmers {
  sb_stemmer* german = sb_stemmer_new("german", "UTF_8");
  sb_stemmer* english = sb_stemmer_new("english", "UTF_8");
  ~Stemmers() {
    sb_stemmer_delete(german);
    sb_stemmer_delete(english);
  }
};

TextAnalyzer::TextAnalyzer(Lexicon* lexicon)
    : stemmers_(std::make_unique<Stemmers>()), lexicon_(lexicon) {}
TextAnalyzer::~TextAnalyzer() = default;

std::string lower_case(std::string_view word) { return lower(word); }

std::string upper_first(std::string_view text) {
  std::string out(text);
  if (out.empty()) return out;
  const auto c = static_cast<unsigned char>(out[0]);
  if (c >= 'a' && c <= 'z') {
    out[0] = static_cast<char>(c - 32);
  } else if (c == 0xC3 && out.size() > 1) {
    // The mirror of lower(): à–þ → À–Þ, not ÷ (0xB7); ß and ÿ have no capital here.
    const auto d = static_cast<unsigned char>(out[1]);
    if (d >= 0xA0 && d <= 0xBE && d != 0xB7) out[1] = static_cast<char>(d - 32);
  }
  return out;
}

std::vector<TypedWord> typed_words(std::string_view text) {
  std::vector<TypedWord> out;
  bool joined = false;  // only spaces since the last word
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '`') {
      const auto close = text.find('`', i + 1);
      i = close == std::string_view::npos ? text.size() : close + 1;
      joined = false;
      continue;
    }
    if (c == '@' || c == '#' ||
        ((c == 'h' || c == 'w') &&
         (text.substr(i, 7) == "http://" || text.substr(i, 8) == "https://" ||
          text.substr(i, 4) == "www."))) {
      while (i < text.size() && !is_space(text[i])) ++i;
      joined = false;
      continue;
    }
    if (word_char(text, i) == 0) {
      ++i;
      joined = false;
      continue;
    }
    const std::size_t begin = i;
    while (i < text.size()) {
      const std::size_t n = word_char(text, i);
      if (n == 0) break;
      i += n;
    }
    if (i < text.size() && text[i] == '@') {  // an e-mail address
      while (i < text.size() && !is_space(text[i])) ++i;
      joined = false;
      continue;
    }
    const std::size_t end = past_gender_suffix(text, i);
    out.push_back(TypedWord{without_capital_suffix(text.substr(begin, i - begin)), joined});
    joined = end == i;  // a gender suffix ("Kolleg*innen") ends a phrase
    i = end;
  }
  return out;
}

bool is_stop_word(std::string_view word) {
  return stop_words(false).contains(word) || stop_words(true).contains(word);
}

namespace {

// Bump when a rule of the analysis changes (word splitting, folding, stemming); stop words and
// concepts are hashed into the fingerprint by themselves.
// 2: gendered forms without their suffix, concepts of words with one typing error.
// 3: synonym sets marked by bit 62; compound parts and synonym sets from a lexicon.
constexpr std::uint64_t kAnalysisRevision = 3;

constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

}  // namespace

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

std::uint64_t term_key(std::string_view stem) {
  const std::uint64_t hash = fnv1a(stem) & ~(kConceptKeyBit | kSynonymKeyBit);
  if (!stem.empty() && stem.front() == '\x02') return hash | kConceptKeyBit;
  if (!stem.empty() && stem.front() == '\x03') return hash | kSynonymKeyBit;
  return hash;
}

std::uint64_t feature_key(std::string_view name) {
  std::string stem(1, '\x01');
  stem.append(name);
  return term_key(stem);
}

std::uint64_t analysis_fingerprint(const Lexicon* lexicon) {
  std::uint64_t hash = fnv1a(std::to_string(kAnalysisRevision));
  if (lexicon != nullptr) hash = fnv1a(std::to_string(lexicon->fingerprint()), fnv1a("\x03", hash));
  for (const std::string_view word : kStopWordsDe) hash = fnv1a(word, fnv1a("\n", hash));
  hash = fnv1a("\x01", hash);
  for (const std::string_view word : kStopWordsEn) hash = fnv1a(word, fnv1a("\n", hash));
  return fnv1a(concepts_fingerprint(), fnv1a("\x02", hash)) & ~(kConceptKeyBit | kSynonymKeyBit);
}

void TextAnalyzer::keys(std::string_view text, std::vector<std::uint64_t>& out) {
  scratch_terms_.clear();
  terms(text, scratch_terms_);
  for (const TermId term : scratch_terms_) out.push_back(keys_[term]);
}

TermId TextAnalyzer::intern_stem(std::string_view stem) {
  const auto it = by_stem_.find(stem);
  if (it != by_stem_.end()) return it->second;
  const auto term = static_cast<TermId>(stems_.size());
  by_stem_.emplace(std::string(stem), term);
  stems_.emplace_back(stem);
  keys_.push_back(term_key(stem));
  surfaces_dirty_ = true;
  return term;
}

TermId TextAnalyzer::feature(std::string_view name) {
  // Features start with a character no stem has, so they never collide with words.
  return intern_stem("\x01" + std::string(name));
}

std::uint32_t TextAnalyzer::typed_id(std::string_view word) {
  const auto hash = static_cast<std::uint32_t>(std::hash<std::string_view>{}(word));
  std::size_t mask = slots_.size() - 1;
  std::size_t at = hash & mask;
  for (; slots_[at].id != 0; at = (at + 1) & mask) {
    if (slots_[at].hash != hash) continue;
    const auto [offset, length] = typed_text_[slots_[at].id - 1];
    if (std::string_view(arena_).substr(offset, length) == word) return slots_[at].id - 1;
  }
  // New: its lower case (shared by "Masken" and "MASKEN") and whether it is a stop word.
  std::string lowered = lower(word);
  auto lower_it = lower_ids_.find(lowered);
  if (lower_it == lower_ids_.end()) {
    Lower entry;
    entry.stop = stop_words(false).contains(lowered) || stop_words(true).contains(lowered);
    entry.text = lowered;
    lower_it =
        lower_ids_.emplace(std::move(lowered), static_cast<std::uint32_t>(lowers_.size())).first;
    lowers_.push_back(std::move(entry));
  }
  Typed typed;
  typed.lower = lower_it->second;
  const std::string& lower_text = lowers_[typed.lower].text;
  typed.abbreviation = word.size() == 2 && all_caps_ascii(word);
  typed.stop_in = {stop_words(false).contains(lower_text), stop_words(true).contains(lower_text)};
  const auto id = static_cast<std::uint32_t>(typed_.size());
  typed_.push_back(typed);
  typed_text_.emplace_back(static_cast<std::uint32_t>(arena_.size()),
                           static_cast<std::uint32_t>(word.size()));
  arena_.append(word);
  slots_[at] = Slot{hash, id + 1};
  if (typed_.size() * 2 > slots_.size()) {
    // Grow at half full; the stored hashes place every word again without rehashing it.
    std::vector<Slot> grown(slots_.size() * 2);
    mask = grown.size() - 1;
    for (const Slot& slot : slots_) {
      if (slot.id == 0) continue;
      std::size_t to = slot.hash & mask;
      while (grown[to].id != 0) to = (to + 1) & mask;
      grown[to] = slot;
    }
    slots_.swap(grown);
  }
  return id;
}

// The stem and the concepts of a lower-case word in a language (0 German, 1 English).
std::string TextAnalyzer::stem_of(std::string_view lower_text, int language) {
  const bool is_english = language == 1;
  sb_stemmer* stemmer = is_english ? stemmers_->english : stemmers_->german;
  const std::string input =
      is_english ? std::string(lower_text) : fold_typed_umlauts(std::string(lower_text));
  const sb_symbol* stemmed =
      stemmer == nullptr
          ? nullptr
          : sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(input.data()),
                            static_cast<int>(input.size()));
  std::string stem =
      stemmed == nullptr
          ? fold(input)
          : fold(std::string_view(reinterpret_cast<const char*>(stemmed),
                                  static_cast<std::size_t>(sb_stemmer_length(stemmer))));
  if (stem.size() < 2) stem = fold(input);
  return stem;
}

void TextAnalyzer::analyse(Lower& lower_word, int language) {
  const bool is_english = language == 1;
  const std::string input = is_english ? lower_word.text : fold_typed_umlauts(lower_word.text);
  // intern_stem() may grow nothing that `lower_word` lives in: lowers_ is not touched here.
  lower_word.term[language] = intern_stem(stem_of(lower_word.text, language));
  lower_word.concepts_begin[language] = static_cast<std::uint32_t>(concept_pool_.size());
  // A word with no concept may be one with a typing error ("Bürgertelfon"): its long patterns
  // are tried again with one edit allowed (once per distinct word, as all of this).
  const std::string folded = fold(input);
  std::vector<std::string_view> found = concepts_of(folded);
  if (found.empty()) found = concepts_of_with_one_edit(folded);
  for (const std::string_view key_name : found) {
    const TermId concept_term = intern_stem("\x02" + std::string(key_name));
    if (concept_term >= concept_flags_.size()) concept_flags_.resize(concept_term + 1, false);
    concept_flags_[concept_term] = true;
    concept_pool_.push_back(concept_term);
  }
  if (lexicon_ != nullptr) {
    // The dictionaries: a compound's parts as words of their own ("Hitzeschutzräume" also
    // says Hitze, Schutz, Raum), and the synonym sets of the word, or else of its head.
    const Language lang = language == 1 ? Language::en : Language::de;
    const std::vector<std::string> parts = lexicon_->compound_parts(lower_word.text, lang);
    for (const std::string& part : parts) {
      const TermId part_term = intern_stem(stem_of(part, language));
      if (part_term != lower_word.term[language]) concept_pool_.push_back(part_term);
    }
    std::vector<std::uint64_t> sets = lexicon_->synonym_sets(lower_word.text, lang);
    if (sets.empty() && !parts.empty()) sets = lexicon_->synonym_sets(parts.back(), lang);
    for (const std::uint64_t set : sets) {
      concept_pool_.push_back(intern_stem("\x03" + std::to_string(set)));
    }
  }
  lower_word.concepts_end[language] = static_cast<std::uint32_t>(concept_pool_.size());
  lower_word.analysed[language] = true;
}

void TextAnalyzer::rank_surfaces() const {
  // Per (term, typed word): how often, and when first counted for any of its languages.
  struct Seen {
    std::uint64_t count = 0;
    std::uint64_t first = UINT64_MAX;
  };
  std::unordered_map<std::uint64_t, Seen> seen;
  for (std::uint32_t id = 0; id < typed_.size(); ++id) {
    const Typed& typed = typed_[id];
    const Lower& lower_word = lowers_[typed.lower];
    for (int language = 0; language < 2; ++language) {
      if (typed.count[language] == 0) continue;
      auto add = [&](TermId term) {
        Seen& entry = seen[(static_cast<std::uint64_t>(term) << 32) | id];
        entry.count += typed.count[language];
        entry.first = std::min(entry.first, typed.first[language]);
      };
      add(lower_word.term[language]);
      for (std::uint32_t c = lower_word.concepts_begin[language];
           c < lower_word.concepts_end[language]; ++c) {
        add(concept_pool_[c]);
      }
    }
  }
  surface_of_.assign(stems_.size(), -1);
  std::vector<Seen> best(stems_.size());
  for (const auto& [key, entry] : seen) {
    const auto term = static_cast<TermId>(key >> 32);
    const auto id = static_cast<std::int64_t>(key & 0xFFFFFFFFU);
    Seen& current = best[term];
    if (surface_of_[term] < 0 || entry.count > current.count ||
        (entry.count == current.count && entry.first < current.first)) {
      current = entry;
      surface_of_[term] = id;
    }
  }
  surfaces_dirty_ = false;
}

std::string_view TextAnalyzer::surface(TermId term) const {
  if (surfaces_dirty_) rank_surfaces();
  if (term >= surface_of_.size() || surface_of_[term] < 0) return stems_[term];
  const auto [offset, length] = typed_text_[static_cast<std::size_t>(surface_of_[term])];
  return std::string_view(arena_).substr(offset, length);
}

void TextAnalyzer::terms(std::string_view text, std::vector<TermId>& out) {
  collect_words(text);
  stem_words(out);
}

// 1. Splits into words, skipping URLs, Matrix ids / mentions / e-mail and `code`.
void TextAnalyzer::collect_words(std::string_view text) {
  scratch_words_.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '`') {
      const auto close = text.find('`', i + 1);
      i = close == std::string_view::npos ? i + 1 : close + 1;
      continue;
    }
    if (c == '@' || ((c == 'h' || c == 'w') &&
                     (text.substr(i, 7) == "http://" || text.substr(i, 8) == "https://" ||
                      text.substr(i, 4) == "www."))) {
      while (i < text.size() && !is_space(text[i])) ++i;
      continue;
    }
    const std::size_t first = word_char(text, i);
    if (first == 0) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    i += first;
    while (i < text.size()) {
      const std::size_t n = word_char(text, i);
      if (n == 0) break;
      i += n;
    }
    if (i < text.size() && text[i] == '@') {
      // an e-mail address: skip to its end
      while (i < text.size() && !is_space(text[i])) ++i;
      continue;
    }
    // The word without a gender suffix, which is skipped.
    const std::string_view word = without_capital_suffix(text.substr(begin, i - begin));
    i = past_gender_suffix(text, i);
    // Hashtags are tags (the vocabulary's become features in the digest), not words.
    if (begin > 0 && text[begin - 1] == '#') continue;
    if (all_digits(word)) continue;
    const std::size_t chars = char_count(word);
    if (chars < 2 || (chars == 2 && !all_caps_ascii(word)) || word.size() > 64) continue;
    scratch_words_.push_back(typed_id(word));
  }
}

// 2. Guesses the language from stop words, drops them, stems the rest (once per word).
void TextAnalyzer::stem_words(std::vector<TermId>& out) {
  int german = 0;
  int english = 0;
  for (const std::uint32_t id : scratch_words_) {
    german += typed_[id].stop_in[0] ? 1 : 0;
    english += typed_[id].stop_in[1] ? 1 : 0;
  }
  const int language = english > german ? 1 : 0;
  last_english_ = language == 1;
  for (const std::uint32_t id : scratch_words_) {
    Typed& typed = typed_[id];
    Lower& lower_word = lowers_[typed.lower];
    if (!typed.abbreviation && lower_word.stop) continue;
    if (!lower_word.analysed[language]) analyse(lower_word, language);
    out.push_back(lower_word.term[language]);
    out.insert(out.end(), concept_pool_.begin() + lower_word.concepts_begin[language],
               concept_pool_.begin() + lower_word.concepts_end[language]);
    if (typed.count[language]++ == 0) typed.first[language] = ++counted_;
    surfaces_dirty_ = true;
  }
}

}  // namespace reflexbot::core
