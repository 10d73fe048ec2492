#include "core/concepts.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace reflexbot::core {

// data/concepts.txt as text (generated into the build by CMake).
extern const std::string_view kBuiltinConcepts;

namespace {

// A concept of the domain lexicon (data/concepts.txt, built into the program, plus what an
// administrator adds): its key and its patterns, separated by spaces.
struct Concept {
  std::string key;
  std::string patterns;
};

// Parses lines "key: pattern pattern …" into `out` (a key already there gets the patterns
// added); "" or the first error.
std::string parse_concepts(std::string_view text, std::vector<Concept>& out) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return "line " + std::to_string(line_number) + ": expected \"concept: pattern pattern …\"";
    }
    std::string_view key = line.substr(0, colon);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    std::string patterns;
    std::string_view rest = line.substr(colon + 1);
    while (!rest.empty()) {
      const auto space = rest.find_first_of(" \t");
      const std::string_view pattern = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
      if (pattern.empty()) continue;
      for (const char c : pattern) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 'A' && byte <= 'Z') {
          return "line " + std::to_string(line_number) + ": pattern \"" + std::string(pattern) +
                 "\" must be lower case, with umlauts written as a, o, u and ß as ss";
        }
      }
      const std::string_view bare = pattern.find_first_not_of("=^!") == std::string_view::npos
                                        ? std::string_view{}
                                        : pattern.substr(pattern.find_first_not_of("=^!"));
      if (bare.size() < 2) {
        return "line " + std::to_string(line_number) + ": pattern \"" + std::string(pattern) +
               "\" is too short";
      }
      if (!patterns.empty()) patterns += ' ';
      patterns += pattern;
    }
    if (patterns.empty()) {
      return "line " + std::to_string(line_number) + ": concept \"" + std::string(key) +
             "\" has no patterns";
    }
    const auto same =
        std::find_if(out.begin(), out.end(), [&](const Concept& c) { return c.key == key; });
    if (same != out.end()) {
      same->patterns += ' ' + patterns;
    } else {
      out.push_back(Concept{std::string(key), std::move(patterns)});
    }
  }
  return {};
}

// The lexicon: the built-in one, once parsed, plus what add_concepts() added.
std::vector<Concept>& concept_table() {
  static std::vector<Concept> table = [] {
    std::vector<Concept> out;
    const std::string error = parse_concepts(kBuiltinConcepts, out);
    if (!error.empty()) throw std::logic_error("data/concepts.txt, " + error);
    return out;
  }();
  return table;
}

bool contains_word(std::string_view word, std::string_view pattern) {
  if (pattern.starts_with('!')) pattern.remove_prefix(1);
  if (pattern.starts_with('=')) return word == pattern.substr(1);
  if (pattern.starts_with('^')) return word.starts_with(pattern.substr(1));
  if (word.starts_with(pattern)) return true;
  return pattern.size() >= 6 && word.find(pattern) != std::string_view::npos;
}

// Whether a '!' pattern of the concept excludes the word.
bool excluded_from(std::string_view word, std::size_t concept_index) {
  std::string_view rest = concept_table()[concept_index].patterns;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    const std::string_view pattern = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (pattern.starts_with('!') && contains_word(word, pattern)) return true;
  }
  return false;
}

// Typing errors are forgiven only in patterns this long: shorter ones differ from other words
// by one letter too often ("abgeordnet" / "angeordnet", "beschaff" / "beschaft").
constexpr std::size_t kMinTypoPattern = 9;

// Whether `pattern` occurs in `word` at `at` with one typing error: a letter changed, left out,
// added, or two neighbours swapped, after the first three letters (which must be as typed, so
// that "ab-"/"an-" or "be-"/"ge-" words do not meet).
bool one_edit_at(std::string_view word, std::size_t at, std::string_view pattern) {
  const std::string_view rest = word.substr(at);
  const std::size_t m = pattern.size();
  std::size_t same = 0;
  while (same < m && same < rest.size() && rest[same] == pattern[same]) ++same;
  if (same < 3 || same >= m) return false;
  // Whether the pattern from `from_pattern` on follows in the word at `from_word`.
  const auto rest_is = [&](std::size_t from_word, std::size_t from_pattern) {
    return from_word <= rest.size() &&
           rest.substr(from_word).starts_with(pattern.substr(from_pattern));
  };
  if (rest_is(same + 1, same + 1) || rest_is(same, same + 1) || rest_is(same + 1, same)) {
    return true;
  }
  return same + 1 < m && same + 1 < rest.size() && rest[same] == pattern[same + 1] &&
         rest[same + 1] == pattern[same] && rest_is(same + 2, same + 2);
}

// The patterns long enough for typing errors, with their concept.
struct TypoPattern {
  std::size_t concept_index = 0;
  std::string_view text;
  bool anchored = false;
};

// The long patterns by their first three letters (which a typing error must leave alone), so a
// word is checked only against the patterns that start somewhere in it.
struct TypoIndex {
  std::vector<TypoPattern> patterns;
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_prefix;
};

// Made again when concepts are added (the views point into the table's strings).
std::unique_ptr<TypoIndex>& typo_index_slot() {
  static std::unique_ptr<TypoIndex> slot;
  return slot;
}

const TypoIndex& typo_index() {
  auto& slot = typo_index_slot();
  if (!slot) {
    slot = std::make_unique<TypoIndex>();
    TypoIndex& out_index = *slot;
    std::vector<TypoPattern>& out = out_index.patterns;
    const std::vector<Concept>& table = concept_table();
    for (std::size_t c = 0; c < table.size(); ++c) {
      std::string_view rest = table[c].patterns;
      while (!rest.empty()) {
        const auto space = rest.find(' ');
        std::string_view pattern = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        if (pattern.starts_with('=') || pattern.starts_with('!')) continue;
        const bool anchored = pattern.starts_with('^');
        if (anchored) pattern.remove_prefix(1);
        if (pattern.size() >= kMinTypoPattern) out.push_back({c, pattern, anchored});
      }
    }
    for (std::uint32_t p = 0; p < out.size(); ++p) {
      out_index.by_prefix[out[p].text.substr(0, 3)].push_back(p);
    }
  }
  return *slot;
}

}  // namespace

std::string check_concepts(std::string_view text) {
  std::vector<Concept> scratch = concept_table();
  return parse_concepts(text, scratch);
}

std::string add_concepts(std::string_view text) {
  std::vector<Concept> table = concept_table();
  std::string error = parse_concepts(text, table);
  if (!error.empty()) return error;
  concept_table() = std::move(table);
  typo_index_slot().reset();
  return {};
}

std::vector<std::string_view> concepts_of(std::string_view folded_word) {
  std::vector<std::string_view> out;
  for (const Concept& concept_entry : concept_table()) {
    std::string_view patterns = concept_entry.patterns;
    bool matched = false;
    bool excluded = false;
    while (!patterns.empty() && !excluded) {
      const auto space = patterns.find(' ');
      const std::string_view pattern = patterns.substr(0, space);
      patterns = space == std::string_view::npos ? std::string_view{} : patterns.substr(space + 1);
      if (pattern.empty() || !contains_word(folded_word, pattern)) continue;
      if (pattern.starts_with('!')) {
        excluded = true;
      } else {
        matched = true;
      }
    }
    if (matched && !excluded) out.push_back(concept_entry.key);
  }
  return out;
}

std::vector<std::string_view> concepts_of_with_one_edit(std::string_view folded_word) {
  std::vector<std::string_view> out;
  const TypoIndex& index = typo_index();
  // The patterns that occur with one typing error, in the table's order.
  std::vector<std::uint32_t> hits;
  for (std::size_t at = 0; at + 3 <= folded_word.size(); ++at) {
    const auto found = index.by_prefix.find(folded_word.substr(at, 3));
    if (found == index.by_prefix.end()) continue;
    for (const std::uint32_t p : found->second) {
      const TypoPattern& pattern = index.patterns[p];
      if ((at == 0 || !pattern.anchored) && one_edit_at(folded_word, at, pattern.text)) {
        hits.push_back(p);
      }
    }
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  for (const std::uint32_t p : hits) {
    const TypoPattern& pattern = index.patterns[p];
    const std::string_view key = concept_table()[pattern.concept_index].key;
    if (!out.empty() && out.back() == key) continue;
    if (!excluded_from(folded_word, pattern.concept_index)) out.push_back(key);
  }
  return out;
}

std::string concepts_fingerprint() {
  std::string out;
  for (const Concept& concept_entry : concept_table()) {
    out.append(concept_entry.key).append(":").append(concept_entry.patterns).append("\n");
  }
  return out;
}

}  // namespace reflexbot::core
