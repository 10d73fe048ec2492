#pragma once
// The analysis' dictionaries from Debian packages: compounds split with Hunspell's German
// dictionary (hunspell-de-de, igerman98), synonyms from OpenThesaurus (mythes-de) and from the
// English WordNet thesaurus (mythes-en-us), read with libhunspell and libmythes. Nothing is
// loaded until the first question, each language when a text of it needs it, and release()
// frees it all again; a dictionary that is missing answers nothing (the analysis
// then works as without it, and available() says so).

#include <chrono>
#include <memory>
#include <string>

#include "core/lexicon.hpp"

namespace reflexbot::lang {

/// Where the data files are: Debian's paths by default.
struct LexiconPaths {
  std::string hunspell_dir = "/usr/share/hunspell";  ///< de_DE.aff/.dic, en_US.aff/.dic
  std::string mythes_dir = "/usr/share/mythes";      ///< th_de_DE_v2.idx/.dat, th_en_US_v2.*
};

class DebianLexicon final : public core::Lexicon {
 public:
  explicit DebianLexicon(LexiconPaths paths = {});
  ~DebianLexicon() override;
  DebianLexicon(const DebianLexicon&) = delete;
  DebianLexicon& operator=(const DebianLexicon&) = delete;

  std::vector<std::string> compound_parts(std::string_view word, core::Language language) override;
  std::vector<std::uint64_t> synonym_sets(std::string_view word, core::Language language) override;
  bool is_noun(std::string_view word, core::Language language) override;
  bool is_modifier(std::string_view word, core::Language language) override;
  bool knows(std::string_view word, core::Language language) override;
  std::string base_form(std::string_view word, core::Language language) override;
  std::uint64_t fingerprint() const override;

  /// Whether the German dictionary and thesaurus were found (loads them if not yet loaded).
  bool available();

  /// Reads a language's dictionary and thesaurus now, if not yet (as its first question would).
  void preload(core::Language language);

  /// Whether anything is loaded now.
  bool loaded() const;

  /// Frees the dictionaries and the answers kept (an idle bot need not hold ~14 MiB per
  /// language); the next question loads them again. The answers do not change.
  void release();

  /// release() if nothing was asked for `idle` (steady clock); whether it did.
  bool release_if_idle(std::chrono::steady_clock::duration idle);

 private:
  struct Data;
  Data& data();
  std::vector<std::string> split_compound(std::string_view word, core::Language language);
  std::vector<std::uint64_t> look_up_synonyms(std::string_view word, core::Language language);
  // How many of an English word's meanings in WordNet are nouns, verbs, adjectives, adverbs:
  // its own, and its Hunspell stems' (WordNet lists base forms).
  struct WordClasses {
    int nouns = 0;
    int verbs = 0;
    int adjectives = 0;
    int adverbs = 0;
    int total() const { return nouns + verbs + adjectives + adverbs; }
  };
  struct EnglishSenses {
    WordClasses own;
    WordClasses stems;
  };
  EnglishSenses english_senses(std::string_view word);
  EnglishSenses english_senses_cached(std::string_view word);
  LexiconPaths paths_;
  std::unique_ptr<Data> data_;
  mutable std::uint64_t fingerprint_ = 0;
  std::chrono::steady_clock::time_point last_used_{};
};

}  // namespace reflexbot::lang
