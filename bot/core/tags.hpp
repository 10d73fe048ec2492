#pragma once
// Hashtags in contributions: a vocabulary of canonical tags with German and English spellings, and
// the parser that finds them in a message body (plain text or Markdown as Matrix clients send it).
//
// Spellings are compared folded (fold_tag): ASCII case is ignored, ä ö ü ß (and Ä Ö Ü ẞ, and a/o/u
// followed by a combining diaeresis) become ae oe ue ss, and '-' and '_' are dropped, so
// #Lessons-Learned matches the alias "lessonslearned". A spelling written with umlauts also matches
// with the plain vowel that people type on foreign keyboards: "föderal" matches #föderal,
// #foederal, #Foederal and #Foderal. Only umlauts in the spelling are expanded that way, never "ae"
// typed as such, so "issue" does not turn into "issu".
//
// A hashtag is '#' at the start of the text or after whitespace or opening punctuation
// ( ( [ { " ' „ “ ‚ ‘ « » ), followed by a letter and then letters, digits, '_' and '-'. Anything
// else ends it (punctuation, quotes, emoji), so "#lehre." and "(#idee)" are tags. Not tags: '#' in
// a URL or a Markdown link target, in `inline code`, in fenced (``` or ~~~) and indented code
// blocks, "##lehre", "#123", a lone '#', and hashtags the vocabulary does not know.
//
// The parser is linear in the input and safe for any bytes (invalid UTF-8, NUL).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/template.hpp"

namespace reflexbot::core {

/// Whether a tag marks what a contribution is (a lesson, a problem…) or what it is about.
enum class TagKind { signal, topic };

/// One canonical tag.
struct Tag {
  std::string key;  ///< canonical, lower-case ASCII, e.g. "lehre"; also a spelling
  TagKind kind = TagKind::topic;
  LocalizedText label;               ///< for summaries, e.g. "Lehre" / "Lesson"; not a spelling
  std::vector<std::string> aliases;  ///< further spellings, German and English
};

/// The tags a deployment knows, looked up by any of their spellings.
class TagVocabulary {
 public:
  /// Adds `tag`; if one of its spellings folds to another tag's spelling, adds nothing and returns
  /// that spelling (for the config error).
  std::optional<std::string> add(Tag tag);

  /// The tag with this canonical key, or nullptr.
  const Tag* find(std::string_view key) const;

  /// The tag one of whose spellings `word` (without '#') matches after folding, or nullptr.
  const Tag* match(std::string_view word) const;

  /// All tags in the order they were added.
  const std::vector<Tag>& tags() const { return tags_; }

 private:
  std::vector<Tag> tags_;
  std::unordered_map<std::string, std::size_t> by_spelling_;  // folded spelling → index in tags_
};

/// The built-in vocabulary.
///
/// Signals: lehre, problem, erfolg, idee, frust, stolz. Topics: entscheidung, recht, information,
/// personal, selbstschutz, verwaltung, kommunikation, vulnerabel, foederal. Aliases (tags.cpp) are
/// plurals, the English words, and what crisis staff write anyway: #lessonslearned, #erkenntnis,
/// #gutgelaufen, #bewährt, #vorschlag, #ärger, #rechtslage, #behörde, #öffentlichkeitsarbeit,
/// #krisenkommunikation, #personalmangel, #selbsthilfe, #vulnerablegruppen, #mehrebenen.
TagVocabulary default_vocabulary();

/// The form in which spellings are compared: ASCII lower case, ä ö ü ß → ae oe ue ss (upper case
/// and decomposed umlauts too), other Latin-1 capitals lower-cased, '-' and '_' removed.
std::string fold_tag(std::string_view word);

/// The canonical keys of the vocabulary's tags in `message`, each once, in order of first
/// appearance.
std::vector<std::string> parse_tags(std::string_view message, const TagVocabulary& vocabulary);

/// The most unknown hashtags unknown_hashtags() gives of one message.
inline constexpr std::size_t kMaxUnknownHashtags = 32;

/// The hashtags of `message` the vocabulary does not know (as typed, each once, in order, the
/// first kMaxUnknownHashtags), found where parse_tags() looks for tags.
std::vector<std::string> unknown_hashtags(std::string_view message,
                                          const TagVocabulary& vocabulary);

/// The spelling of a known tag (folded, see fold_tag) that `word` most likely meant ("problme" →
/// "problem"), if one is close enough to be a typo (core::closest_word).
std::optional<std::string> nearest_tag(std::string_view word, const TagVocabulary& vocabulary);

/// A tag of a message: its canonical key and how the message spelled it ("#Föderal").
struct WrittenTag {
  std::string key;
  std::string written;  ///< with its '#', as typed where it first appears
};
/// parse_tags() with each tag's spelling as written, for showing tags as people wrote them.
std::vector<WrittenTag> parse_written_tags(std::string_view message,
                                           const TagVocabulary& vocabulary);

}  // namespace reflexbot::core
