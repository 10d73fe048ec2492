#pragma once
// Text helpers for what the bot writes: HTML escaping and the plain/HTML pair of a notice.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::core {

/// The language of everything users read.
enum class Language { de, en };

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

/// Whether a Unicode bidirectional control (U+200E/F, U+202A–U+202E, U+2066–U+2069, three bytes
/// in UTF-8) starts at byte `i`: it can reorder what a reader sees.
bool is_bidi_control(std::string_view text, std::size_t i);

/// `text` safe to print on a terminal or in a one-line log: control characters (C0, DEL, C1, which
/// start terminal escape sequences or forge new lines) and Unicode's bidirectional controls
/// become U+FFFD. For names and ids that others chose (room names, topics, remote inviters).
std::string printable(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on a UTF-8 character
/// boundary.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes);

/// A message the bot writes: plain text and HTML built only from our own escaped text.
struct Notice {
  std::string text;
  std::string html;
};

/// A placeholder's value as plain text and as HTML.
struct Arg {
  std::string_view name;
  std::string text;
  std::string html;
};

/// A placeholder filled with user or config text: escaped in the HTML.
Arg plain(std::string_view name, std::string value);

/// Replaces each {name} of `pattern` (one of our texts) in one pass, so braces inside values are
/// never expanded again; the HTML is the escaped pattern with the values' HTML. Unknown
/// placeholders stay as they are.
Notice fill(std::string_view pattern, const std::vector<Arg>& args = {});

/// "a, b und c": items joined by ", ", the last two by `last_separator` (" und ", " and ").
std::string join_list(const std::vector<std::string>& items, std::string_view last_separator);

/// The byte length of the letter or digit at `at` in `text` (ASCII, or a two-byte Latin letter
/// such as ä, ß, é), 0 if none is there: typographic quotes, dashes and symbols are no letters.
std::size_t letter_at(std::string_view text, std::size_t at);

/// `one` for 1, else `many` with {n} filled ("1 Beitrag", "3 Beiträge").
std::string count_text(int n, std::string_view one, std::string_view many);

/// Edit distance counting insertions, deletions, substitutions and swaps of neighbours (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The first of `known` closest to `word`, if it is close enough to be a likely typo: at most one
/// edit per three bytes of `word`, at least one, at most three.
std::optional<std::string> closest_word(std::string_view word,
                                        const std::vector<std::string>& known);

}  // namespace reflexbot::core
