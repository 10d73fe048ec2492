#pragma once
// What the text analysis may ask of a language's dictionaries: the parts of a compound word and
// the synonym sets a word belongs to. The core only sees this interface; bot/lang answers it from
// Debian's Hunspell and OpenThesaurus (MyThes) data, and tests may answer it from a table.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

namespace reflexbot::core {

class Lexicon {
 public:
  virtual ~Lexicon() = default;

  /// The parts of a compound word (lower case, as typed), modifiers first and the head last:
  /// "kontaktnachverfolgung" → {"kontakt", "nachverfolgung"}, "krisenstabsleitungen" →
  /// {"krise", "stab", "leitungen"}. Empty if the word is no compound the dictionary knows.
  virtual std::vector<std::string> compound_parts(std::string_view word, Language language) = 0;

  /// Ids of the synonym sets (meanings) the word belongs to, the same id for every member of a
  /// set: "stromausfall" and "blackout" share one. Empty if the thesaurus does not know it.
  virtual std::vector<std::uint64_t> synonym_sets(std::string_view word, Language language) = 0;

  /// Whether a word as typed is a noun: for German, the dictionary knows it capitalised but not
  /// in lower case ("Verordnungen" yes, "Neue" and "kurzfristigen" no); a capitalised word it
  /// does not know at all counts as a noun (compounds, names). For English, the thesaurus
  /// (WordNet) knows it mostly as a noun ("classes", "backlog"; not "set", "daily").
  virtual bool is_noun(std::string_view word, Language language) = 0;

  /// Whether the language's spelling dictionary knows the word as typed ("Cell" is no German
  /// word, "cell" an English one).
  virtual bool knows(std::string_view word, Language language) = 0;

  /// English: whether a word may stand before a noun in a noun phrase, as an adjective or a
  /// noun ("welcome classes", "emergency generators", "social benefits"). German: false.
  virtual bool is_modifier(std::string_view word, Language language) = 0;

  /// The nominative of a noun as typed, for titles, in the number it was written:
  /// "Pflegeheimen" → "Pflegeheime", "Krisenstabs" → "Krisenstab", "Masken" stays.
  virtual std::string base_form(std::string_view word, Language language) = 0;

  /// Changes when the data would give other answers (the dictionaries' versions).
  virtual std::uint64_t fingerprint() const = 0;
};

}  // namespace reflexbot::core
