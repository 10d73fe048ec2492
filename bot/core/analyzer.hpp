#pragma once
// Turns contributions into index terms for grouping: words lower-cased (umlauts too), URLs, Matrix
// ids, code and numbers dropped, German and English stop words removed, each word stemmed with the
// Snowball stemmer (libstemmer) of the text's language and its umlauts folded (ä → a, ß → ss), so
// "Schutzausrüstungen", "Schutzausrüstung" and "schutzausruestung" are one term.
//
// The language of a text is guessed from its stop words: English if it has more English than
// German ones, else German (the network's language). Words are stemmed once and cached, so the
// cost of a large digest is dominated by hashing, not by the stemmer. Safe for any bytes.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reflexbot::core {

/// A term of the analyzer's dictionary.
using TermId = std::uint32_t;

/// Words → term ids. Not thread-safe (libstemmer keeps state); one per digest run.
class TextAnalyzer {
 public:
  TextAnalyzer();
  ~TextAnalyzer();
  TextAnalyzer(const TextAnalyzer&) = delete;
  TextAnalyzer& operator=(const TextAnalyzer&) = delete;

  /// Appends the terms of `text` to `out`, in text order (repeats kept: they are term frequency):
  /// each word's stem, followed by the domain concepts the word belongs to (core/concepts.hpp).
  void terms(std::string_view text, std::vector<TermId>& out);

  /// Whether a term is a domain concept (not a stem); concepts weigh more in grouping.
  bool is_concept(TermId term) const {
    return term < concept_flags_.size() && concept_flags_[term];
  }

  /// The id of a feature that is not a word (a tag, "#recht"); same id for the same name.
  TermId feature(std::string_view name);

  /// The stem of a term as stored (folded), e.g. "schutzausrust".
  const std::string& stem(TermId term) const { return stems_[term]; }

  /// The word seen most often for a term, as typed, e.g. "Schutzausrüstung" (for a concept: the
  /// word that named it most often); for titles. Ties go to the form seen first.
  const std::string& surface(TermId term) const;

  /// Number of distinct terms so far.
  std::size_t size() const { return stems_.size(); }

 private:
  struct Stemmers;
  struct WordInfo {
    TermId term;
    std::vector<TermId> concepts;
  };
  TermId intern_stem(const std::string& stem);
  void count_surface(TermId term, const std::string& word);

  std::unique_ptr<Stemmers> stemmers_;
  // (language, lower-case word) → term; kLanguageMark + word for English.
  std::unordered_map<std::string, WordInfo> words_;
  std::vector<bool> concept_flags_;
  std::unordered_map<std::string, TermId> by_stem_;
  std::vector<std::string> stems_;
  // Per term: surface forms and how often each was seen (few per term).
  std::vector<std::vector<std::pair<std::string, std::uint32_t>>> surfaces_;
  std::vector<std::string_view> scratch_words_;
  std::vector<std::string> scratch_lower_;
};

/// Whether `word` (lower case, umlauts as typed) is a German or English stop word.
bool is_stop_word(std::string_view word);

}  // namespace reflexbot::core
