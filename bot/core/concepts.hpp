#pragma once
// A small domain lexicon for grouping: words of municipal crisis management mapped to concepts,
// so that "FFP2-Masken" and "Schutzausrüstung", or "Hotline" and "Bürgertelefon", count as the
// same topic although they share no stem. Used by the text analyzer as extra terms.

#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::core {

/// The concepts a word belongs to (`folded_word`: lower case, ä ö ü → a o u, ß → ss); usually
/// none or one. The returned views point to static storage.
std::vector<std::string_view> concepts_of(std::string_view folded_word);

/// The concepts a word belongs to if one typing error is forgiven ("burgertelfon"): a pattern of
/// nine letters or more occurs in the word with one letter changed, left out, added, or two
/// neighbours swapped, its first three letters as typed. For words concepts_of() finds nothing in.
std::vector<std::string_view> concepts_of_with_one_edit(std::string_view folded_word);

/// The whole lexicon as text, for core::analysis_fingerprint(): stored index terms are made again
/// when it changes.
std::string concepts_fingerprint();

}  // namespace reflexbot::core
