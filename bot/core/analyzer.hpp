#pragma once
// Turns contributions into index terms for grouping: words lower-cased (umlauts too), URLs, Matrix
// ids, code and numbers dropped, German and English stop words removed, each word stemmed with the
// Snowball stemmer (libstemmer) of the text's language and its umlauts folded (ä → a, ß → ss), so
// "Schutzausrüstungen", "Schutzausrüstung" and "schutzausruestung" are one term.
//
// The language of a text is guessed from its stop words: English if it has more English than
// German ones, else German (the network's language). Words are stemmed once and cached, so the
// cost of a large digest is dominated by hashing, not by the stemmer. Safe for any bytes.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/lexicon.hpp"

namespace reflexbot::core {

/// A term of the analyzer's dictionary.
using TermId = std::uint32_t;

/// Words → term ids. Not thread-safe (libstemmer keeps state); one per digest run.
class TextAnalyzer {
 public:
  /// With a lexicon (not owned, outliving the analyzer), each word also gives the parts of a
  /// compound and its synonym sets (core/lexicon.hpp); without one, stems and concepts only.
  explicit TextAnalyzer(Lexicon* lexicon = nullptr);
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

  /// The word seen most often for a term, as typed (valid until the next terms() call), e.g.
  /// "Schutzausrüstung" (for a concept: the word that named it most often); for titles. Ties go to
  /// the form seen first.
  std::string_view surface(TermId term) const;

  /// Whether the last text given to terms() was taken for English.
  bool last_was_english() const { return last_english_; }

  /// Number of distinct terms so far.
  std::size_t size() const { return stems_.size(); }

  /// The stable key of a term (term_key() of its stem), which the store keeps per contribution.
  std::uint64_t key(TermId term) const { return keys_[term]; }

  /// Appends the keys of the terms of `text` (terms() mapped through key()).
  void keys(std::string_view text, std::vector<std::uint64_t>& out);

 private:
  /// terms() in two steps: the words of `text` into scratch_words_, then their terms into `out`.
  void collect_words(std::string_view text);
  void stem_words(std::vector<TermId>& out);

  struct Stemmers;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  template <class T>
  using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

  // A word in lower case, with what it means in each language (0 German, 1 English), analysed
  // the first time a text of that language has it.
  struct Lower {
    std::string text;
    bool stop = false;  // a stop word of either language
    std::array<bool, 2> analysed{};
    std::array<TermId, 2> term{};
    std::array<std::uint32_t, 2> concepts_begin{};  // into concept_pool_
    std::array<std::uint32_t, 2> concepts_end{};
  };
  // A word as typed: how often it was counted in each language, and when first (for surface()).
  struct Typed {
    std::uint32_t lower = 0;
    bool abbreviation = false;  // two capitals ("EU"): kept even if its lower case is a stop word
    std::array<bool, 2> stop_in{};  // a stop word of German / English (for the language guess)
    std::array<std::uint32_t, 2> count{};
    std::array<std::uint64_t, 2> first{};
  };

  TermId intern_stem(std::string_view stem);
  std::uint32_t typed_id(std::string_view word);
  void analyse(Lower& lower, int language);
  std::string stem_of(std::string_view lower_text, int language);
  void rank_surfaces() const;

  std::unique_ptr<Stemmers> stemmers_;
  Lexicon* lexicon_ = nullptr;
  bool last_english_ = false;
  // Typed words: an open-addressing table of (hash, id + 1) with the words in one arena, so a
  // lookup is one probe sequence in a flat array and one comparison (the hot path of a digest).
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t id = 0;  // typed_ index + 1; 0: empty
  };
  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  std::vector<Typed> typed_;
  std::string arena_;  // the typed words, one after another
  std::vector<std::pair<std::uint32_t, std::uint32_t>> typed_text_;  // (offset, length) in arena_
  StringMap<std::uint32_t> lower_ids_;
  std::vector<Lower> lowers_;
  std::vector<TermId> concept_pool_;
  std::vector<bool> concept_flags_;
  StringMap<TermId> by_stem_;
  std::vector<std::string> stems_;
  std::vector<std::uint64_t> keys_;  // per term
  std::vector<TermId> scratch_terms_;
  std::uint64_t counted_ = 0;
  std::vector<std::uint32_t> scratch_words_;
  // surface(): per term the typed word counted most often, recomputed when counts changed.
  mutable std::vector<std::int64_t> surface_of_;
  mutable bool surfaces_dirty_ = true;
};

/// A term's key: 64-bit FNV-1a of its stem, the same on every machine and in every run, with the
/// top bit set for domain concepts. Contributions are indexed once, when collected, and a digest
/// reads the keys instead of analysing every text again.
std::uint64_t term_key(std::string_view stem);
inline constexpr std::uint64_t kConceptKeyBit = std::uint64_t{1} << 63;
inline bool is_concept_key(std::uint64_t key) { return (key & kConceptKeyBit) != 0; }
/// Set in the key of a synonym set (core/lexicon.hpp) instead of a stem.
inline constexpr std::uint64_t kSynonymKeyBit = std::uint64_t{1} << 62;
inline bool is_synonym_key(std::uint64_t key) { return (key & kSynonymKeyBit) != 0; }

/// 64-bit FNV-1a of `text`, continuing from `hash` (the offset basis by default): the same on
/// every machine and in every run.
std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 14695981039346656037ULL);

/// The key of a feature that is not a word (TextAnalyzer::feature()).
std::uint64_t feature_key(std::string_view name);

/// Changes whenever the analysis would give other keys for the same text (stop words, concepts,
/// a new revision of the rules): stored keys made under another fingerprint are made again.
std::uint64_t analysis_fingerprint(const Lexicon* lexicon = nullptr);

/// A word of a text as typed, and whether only spaces (no punctuation, line break, tag, link or
/// code) separate it from the word before: what a phrase may be made of (digest titles).
struct TypedWord {
  std::string_view text;
  bool follows = false;
};

/// The words of `text` as typed, in text order, as terms() finds them (hashtags, links, Matrix
/// ids, e-mail addresses and inline code are no words and break a phrase; numbers are words).
std::vector<TypedWord> typed_words(std::string_view text);

/// `word` in lower case: ASCII and Latin-1 capitals ("Ärzte" → "ärzte"); other bytes stay.
std::string lower_case(std::string_view word);
/// `text` with its first letter capitalised: ASCII and Latin-1 ("ärzte" → "Ärzte").
std::string upper_first(std::string_view text);

/// Whether `word` (lower case, umlauts as typed) is a German or English stop word.
bool is_stop_word(std::string_view word);

}  // namespace reflexbot::core
