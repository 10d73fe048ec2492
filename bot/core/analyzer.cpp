#include "core/analyzer.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <array>
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

}  // namespace

struct TextAnalyzer::Stemmers {
  sb_stemmer* german = sb_stemmer_new("german", "UTF_8");
  sb_stemmer* english = sb_stemmer_new("english", "UTF_8");
  ~Stemmers() {
    sb_stemmer_delete(german);
    sb_stemmer_delete(english);
  }
};

TextAnalyzer::TextAnalyzer() : stemmers_(std::make_unique<Stemmers>()) {}
TextAnalyzer::~TextAnalyzer() = default;

bool is_stop_word(std::string_view word) {
  return stop_words(false).contains(word) || stop_words(true).contains(word);
}

TermId TextAnalyzer::intern_stem(const std::string& stem) {
  const auto [it, inserted] = by_stem_.try_emplace(stem, static_cast<TermId>(stems_.size()));
  if (inserted) {
    stems_.push_back(stem);
    surfaces_.emplace_back();
  }
  return it->second;
}

TermId TextAnalyzer::feature(std::string_view name) {
  // Features start with a character no stem has, so they never collide with words.
  return intern_stem("\x01" + std::string(name));
}

void TextAnalyzer::count_surface(TermId term, const std::string& word) {
  auto& forms = surfaces_[term];
  for (auto& [form, count] : forms) {
    if (form == word) {
      ++count;
      return;
    }
  }
  if (forms.size() < 8) forms.emplace_back(word, 1);
}

const std::string& TextAnalyzer::surface(TermId term) const {
  const auto& forms = surfaces_[term];
  if (forms.empty()) return stems_[term];
  const auto* best = &forms.front();
  for (const auto& form : forms) {
    if (form.second > best->second) best = &form;
  }
  return best->first;
}

void TextAnalyzer::terms(std::string_view text, std::vector<TermId>& out) {
  // 1. Split into words, skipping URLs, Matrix ids / mentions / e-mail and `code`.
  scratch_words_.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '`') {
      const auto close = text.find('`', i + 1);
      i = close == std::string_view::npos ? i + 1 : close + 1;
      continue;
    }
    if (c == '@' || text.substr(i, 7) == "http://" || text.substr(i, 8) == "https://" ||
        text.substr(i, 4) == "www.") {
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
    const std::string_view word = text.substr(begin, i - begin);
    // Hashtags are tags (the vocabulary's become features in the digest), not words.
    if (begin > 0 && text[begin - 1] == '#') continue;
    if (all_digits(word)) continue;
    const std::size_t chars = char_count(word);
    if (chars < 2 || (chars == 2 && !all_caps_ascii(word)) || word.size() > 64) continue;
    scratch_words_.push_back(word);
  }

  // 2. Guess the language from stop words, drop them, stem the rest.
  scratch_lower_.clear();
  int german = 0;
  int english = 0;
  for (const auto word : scratch_words_) {
    scratch_lower_.push_back(lower(word));
    german += stop_words(false).contains(scratch_lower_.back()) ? 1 : 0;
    english += stop_words(true).contains(scratch_lower_.back()) ? 1 : 0;
  }
  const bool is_english = english > german;
  sb_stemmer* stemmer = is_english ? stemmers_->english : stemmers_->german;
  std::string key;
  for (std::size_t w = 0; w < scratch_words_.size(); ++w) {
    const std::string& word = scratch_lower_[w];
    const bool abbreviation = scratch_words_[w].size() == 2 && all_caps_ascii(scratch_words_[w]);
    if (!abbreviation &&
        (stop_words(is_english).contains(word) || stop_words(!is_english).contains(word))) {
      continue;
    }
    key.assign(1, is_english ? 'e' : 'd');
    key += word;
    auto it = words_.find(key);
    if (it == words_.end()) {
      const std::string input = is_english ? word : fold_typed_umlauts(word);
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
      WordInfo info{intern_stem(stem), {}};
      for (const std::string_view key_name : concepts_of(fold(input))) {
        const TermId concept_term = intern_stem("\x02" + std::string(key_name));
        if (concept_term >= concept_flags_.size()) concept_flags_.resize(concept_term + 1, false);
        concept_flags_[concept_term] = true;
        info.concepts.push_back(concept_term);
      }
      it = words_.emplace(key, std::move(info)).first;
    }
    out.push_back(it->second.term);
    out.insert(out.end(), it->second.concepts.begin(), it->second.concepts.end());
    const std::string surface(scratch_words_[w]);
    count_surface(it->second.term, surface);
    for (const TermId concept_term : it->second.concepts) count_surface(concept_term, surface);
  }
}

}  // namespace reflexbot::core
