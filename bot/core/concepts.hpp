#pragma once
// A small domain lexicon for grouping: words of municipal crisis management mapped to concepts,
// so that "FFP2-Masken" and "Schutzausrüstung", or "Hotline" and "Bürgertelefon", count as the
// same topic although they share no stem. Used by the text analyzer as extra terms. The lexicon
// is data/concepts.txt (its format is described there), built into the program; administrators
// add to it with a file of the same form (add_concepts(), at start).

#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::core {

/// Adds concepts (or patterns to existing ones) from text in the form of data/concepts.txt; ""
/// or what is wrong, with its line ("line 3: pattern \"Maske\" must be lower case …"), and then
/// nothing is added. Call before any text is analysed: views from concepts_of() stay valid only
/// until the next call.
std::string add_concepts(std::string_view text);

/// What add_concepts() would say, without adding anything (for checking a configuration).
std::string check_concepts(std::string_view text);

/// The concepts a word belongs to (`folded_word`: lower case, ä ö ü → a o u, ß → ss); usually
/// none or one. The returned views point into the lexicon.
std::vector<std::string_view> concepts_of(std::string_view folded_word);

/// The concepts a word belongs to if one typing error is forgiven ("burgertelfon"): a pattern of
/// nine letters or more occurs in the word with one letter changed, left out, added, or two
/// neighbours swapped, its first three letters as typed. For words concepts_of() finds nothing in.
std::vector<std::string_view> concepts_of_with_one_edit(std::string_view folded_word);

/// The whole lexicon as text, for core::analysis_fingerprint(): stored index terms are made again
/// when it changes.
std::string concepts_fingerprint();

}  // namespace reflexbot::core
