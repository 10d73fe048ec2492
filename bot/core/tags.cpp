#include "core/tags.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/text.hpp"

namespace reflexbot::core {
namespace {

constexpr std::size_t npos = std::string_view::npos;

unsigned char byte_at(std::string_view text, std::size_t i) {
  return static_cast<unsigned char>(text[i]);
}

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/// One decoded UTF-8 character; an invalid sequence decodes as U+FFFD of one byte.
struct Decoded {
  std::uint32_t code_point;
  std::size_t size;
};

Decoded decode(std::string_view text, std::size_t i) {
  constexpr Decoded invalid{0xFFFD, 1};
  const unsigned char lead = byte_at(text, i);
  if (lead < 0x80) return {lead, 1};
  std::size_t size = 0;
  std::uint32_t code_point = 0;
  unsigned char low = 0x80;  // bounds of the second byte: no overlong forms, surrogates, > U+10FFFF
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    size = 2;
    code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    size = 3;
    code_point = lead & 0x0Fu;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    size = 4;
    code_point = lead & 0x07u;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return invalid;
  }
  if (text.size() - i < size) return invalid;
  for (std::size_t k = 1; k < size; ++k) {
    const unsigned char next = byte_at(text, i + k);
    if (k == 1 ? (next < low || next > high) : (next & 0xC0) != 0x80) return invalid;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  return {code_point, size};
}

bool is_space(std::uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

// After these a '#' starts a tag: brackets, quotes (German „…“ and ‚…‘, »…« and «…»), and
// Markdown emphasis, so **#lehre** counts.
bool is_opening(std::uint32_t c) {
  switch (c) {
    case '(':
    case '[':
    case '{':
    case '"':
    case '\'':
    case '*':
    case '_':
    case 0xAB:    // «
    case 0xBB:    // »
    case 0x2018:  // ‘
    case 0x201A:  // ‚
    case 0x201C:  // “
    case 0x201E:  // „
    case 0x2039:  // ‹
    case 0x203A:  // ›
      return true;
    default:
      return false;
  }
}

// A rough letter test for non-ASCII characters, without Unicode tables: the blocks of scripts
// count as letters; Latin-1 punctuation, general punctuation, symbols, variation selectors and
// emoji do not, so "#erfolg…", "#idee“" and "#erfolg🎉" end where a reader expects.
bool is_non_ascii_letter(std::uint32_t c) {
  if (c < 0xC0) return false;
  if (c == 0xD7 || c == 0xF7) return false;    // × ÷
  if (c < 0x2000) return true;                 // Latin … Greek Extended
  if (c < 0x2C00) return false;                // punctuation, symbols
  if (c < 0x2E00) return true;                 // Glagolitic, Coptic, …
  if (c < 0x3040) return false;                // CJK punctuation
  if (c < 0xD800) return true;                 // Kana, CJK, Hangul
  if (c >= 0xF900 && c < 0xFE00) return true;  // compatibility ideographs
  if (c >= 0xFE70 && c < 0xFEFF) return true;  // Arabic forms
  if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) return true;  // fullwidth
  if (c >= 0xFF66 && c <= 0xFFDC) return true;   // halfwidth Kana, Hangul
  if (c >= 0x10000 && c < 0x1F000) return true;  // historic scripts
  return c >= 0x20000 && c < 0x40000;            // CJK extensions
}

bool is_tag_start(std::uint32_t c) {
  return c < 0x80 ? is_ascii_letter(static_cast<unsigned char>(c)) : is_non_ascii_letter(c);
}

bool is_tag_char(std::uint32_t c) {
  if (c < 0x80) {
    const auto b = static_cast<unsigned char>(c);
    return is_ascii_letter(b) || is_ascii_digit(b) || b == '_' || b == '-';
  }
  return is_non_ascii_letter(c);
}

// Folds `word` (see fold_tag) onto `out`; where an umlaut became a vowel plus 'e', records the
// position of that 'e' in `umlaut_e`, so the plain-vowel spelling can be derived.
void fold_into(std::string_view word, std::string& out, std::vector<std::size_t>* umlaut_e) {
  const auto umlaut = [&](char vowel) {
    out += vowel;
    if (umlaut_e) umlaut_e->push_back(out.size());
    out += 'e';
  };
  for (std::size_t i = 0; i < word.size();) {
    const unsigned char c = byte_at(word, i);
    if (c < 0x80) {
      ++i;
      if (c == '-' || c == '_') continue;
      const char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      // A decomposed umlaut (NFD, as macOS keyboards may send it): vowel + U+0308.
      if ((lower == 'a' || lower == 'o' || lower == 'u') && word.substr(i, 2) == "\xCC\x88") {
        umlaut(lower);
        i += 2;
      } else {
        out += lower;
      }
      continue;
    }
    if (c == 0xC3 && i + 1 < word.size()) {
      const unsigned char next = byte_at(word, i + 1);
      i += 2;
      switch (next) {
        case 0x84:  // Ä
        case 0xA4:  // ä
          umlaut('a');
          continue;
        case 0x96:  // Ö
        case 0xB6:  // ö
          umlaut('o');
          continue;
        case 0x9C:  // Ü
        case 0xBC:  // ü
          umlaut('u');
          continue;
        case 0x9F:  // ß
          out += "ss";
          continue;
        default:
          break;
      }
      out += '\xC3';
      // Other Latin-1 capitals (À…Þ except ×) lie 0x20 below their small letters.
      out += static_cast<char>(next >= 0x80 && next <= 0x9E && next != 0x97 ? next + 0x20 : next);
      continue;
    }
    if (word.substr(i, 3) == "\xE1\xBA\x9E") {  // ẞ
      out += "ss";
      i += 3;
      continue;
    }
    out += word[i];
    ++i;
  }
}

// Every spelling `spelling` stands for: the folded form and, for each umlaut in it, the plain
// vowel instead of vowel + 'e'. With many umlauts only the all-digraph and all-plain forms.
std::vector<std::string> spelling_variants(std::string_view spelling) {
  std::string folded;
  std::vector<std::size_t> umlaut_e;
  fold_into(spelling, folded, &umlaut_e);
  if (folded.empty()) return {};
  const std::size_t count = umlaut_e.size();
  std::vector<std::uint32_t> masks;
  if (count <= 4) {
    for (std::uint32_t mask = 0; mask < (1u << count); ++mask) masks.push_back(mask);
  } else {
    masks = {0u, ~0u};
  }
  std::vector<std::string> variants;
  for (const std::uint32_t mask : masks) {
    std::string variant;
    std::size_t from = 0;
    for (std::size_t k = 0; k < count; ++k) {
      const bool plain = count <= 4 ? ((mask >> k) & 1u) != 0 : mask != 0;
      if (!plain) continue;
      variant.append(folded, from, umlaut_e[k] - from);
      from = umlaut_e[k] + 1;
    }
    variant.append(folded, from);
    variants.push_back(std::move(variant));
  }
  return variants;
}

/// A line of the message: [begin, end) without the line break; content starts after any
/// block-quote markers ("> ").
struct Line {
  std::size_t content;
  std::size_t end;
};

/// A run of backticks in a paragraph, which may open or close an inline code span.
struct BacktickRun {
  std::size_t line;  // index into the paragraph's lines
  std::size_t pos;
  std::size_t length;
};

/// Finds the tags in the prose of one paragraph (no code blocks, no blank lines).
class ParagraphScanner {
 public:
  ParagraphScanner(std::string_view text, const TagVocabulary& vocabulary,
                   std::vector<std::string>& found, std::vector<bool>& seen,
                   std::vector<std::string>* unknown, std::vector<std::string>* written = nullptr)
      : text_(text),
        vocabulary_(vocabulary),
        found_(found),
        seen_(seen),
        unknown_(unknown),
        written_(written) {}

  void scan(const std::vector<Line>& lines) {
    if (lines.empty()) return;
    find_code_spans(lines);
    std::size_t line = 0;
    std::size_t pos = lines[0].content;
    bool boundary = true;  // the character before pos lets a '#' start a tag
    bool in_url = false;   // in a URL or a Markdown link target: no tags until whitespace
    bool in_link_target = false;
    std::size_t run = 0;
    while (line < lines.size()) {
      const std::size_t end = lines[line].end;
      if (pos >= end) {
        if (++line < lines.size()) pos = lines[line].content;
        boundary = true;
        in_url = in_link_target = false;
        continue;
      }
      const unsigned char c = byte_at(text_, pos);
      if (c == '`' && !in_url && !in_link_target) {
        while (runs_[run].line < line || (runs_[run].line == line && runs_[run].pos < pos)) ++run;
        if (runs_[run].line != line || runs_[run].pos != pos) {
          ++pos;  // inside a run that began in a URL; cannot happen, but never loop on it
        } else if (const std::size_t closer = closer_[run]; closer == npos) {
          pos += runs_[run].length;
          ++run;
        } else {
          line = runs_[closer].line;
          pos = runs_[closer].pos + runs_[closer].length;
          run = closer + 1;
        }
        boundary = false;
        continue;
      }
      const Decoded decoded = decode(text_, pos);
      if (in_url || in_link_target) {
        if (is_space(decoded.code_point)) {
          in_url = in_link_target = false;
          boundary = true;
        } else if (in_link_target && c == ')') {
          in_link_target = false;
          boundary = false;
        }
        pos += decoded.size;
        continue;
      }
      if (c == '#') {
        pos = boundary ? read_hashtag(pos, end) : pos + 1;
        boundary = false;
        continue;
      }
      if (c == ':' && text_.substr(pos + 1, 2) == "//" && pos > lines[line].content &&
          is_ascii_letter(byte_at(text_, pos - 1))) {
        in_url = true;
        pos += 3;
        continue;
      }
      if (boundary && (c == 'w' || c == 'W') && end - pos > 4 && is_www(text_.substr(pos, 4))) {
        in_url = true;
        pos += 4;
        continue;
      }
      if (c == ']' && pos + 1 < end && text_[pos + 1] == '(') {
        in_link_target = true;
        pos += 2;
        continue;
      }
      boundary = is_space(decoded.code_point) || is_opening(decoded.code_point);
      pos += decoded.size;
    }
  }

 private:
  static bool is_www(std::string_view four) {
    for (std::size_t i = 0; i < 3; ++i) {
      if (four[i] != 'w' && four[i] != 'W') return false;
    }
    return four[3] == '.';
  }

  // Pairs backtick runs as CommonMark does: a run opens a code span that the next run of exactly
  // the same length closes; a run without such a partner is literal text.
  void find_code_spans(const std::vector<Line>& lines) {
    runs_.clear();
    for (std::size_t l = 0; l < lines.size(); ++l) {
      for (std::size_t p = lines[l].content; p < lines[l].end;) {
        if (text_[p] != '`') {
          ++p;
          continue;
        }
        const std::size_t start = p;
        while (p < lines[l].end && text_[p] == '`') ++p;
        runs_.push_back({l, start, p - start});
      }
    }
    closer_.assign(runs_.size(), npos);
    next_of_length_.clear();
    for (std::size_t r = runs_.size(); r-- > 0;) {
      auto [it, inserted] = next_of_length_.try_emplace(runs_[r].length, r);
      if (!inserted) {
        closer_[r] = it->second;
        it->second = r;
      }
    }
    // closer_[r] is the next run of the same length; whether r opens or closes is decided while
    // scanning, which always skips from an opener to its closer.
    runs_.push_back({npos, npos, 0});  // sentinel for the catch-up loop in scan()
  }

  // Reads "#word" at `hash`; returns where scanning goes on.
  std::size_t read_hashtag(std::size_t hash, std::size_t end) {
    std::size_t pos = hash + 1;
    if (pos >= end) return pos;
    const Decoded first = decode(text_, pos);
    if (!is_tag_start(first.code_point)) return pos;
    pos += first.size;
    while (pos < end) {
      const Decoded next = decode(text_, pos);
      if (!is_tag_char(next.code_point)) break;
      pos += next.size;
    }
    // "#krisenstab:example.org" is a Matrix room alias, not a tag.
    const bool room_alias =
        pos + 1 < end && text_[pos] == ':' &&
        (is_ascii_letter(byte_at(text_, pos + 1)) || is_ascii_digit(byte_at(text_, pos + 1)));
    if (!room_alias) {
      const std::string_view word = text_.substr(hash + 1, pos - hash - 1);
      if (const Tag* tag = vocabulary_.match(word)) {
        const auto index = static_cast<std::size_t>(tag - vocabulary_.tags().data());
        if (!seen_[index]) {
          seen_[index] = true;
          found_.push_back(tag->key);
          if (written_ != nullptr) written_->emplace_back(text_.substr(hash, pos - hash));
        }
      } else if (unknown_ != nullptr && unknown_->size() < kMaxUnknownHashtags &&
                 std::find(unknown_->begin(), unknown_->end(), word) == unknown_->end()) {
        unknown_->emplace_back(word);
      }
    }
    return pos;
  }

  std::string_view text_;
  const TagVocabulary& vocabulary_;
  std::vector<std::string>& found_;
  std::vector<bool>& seen_;
  std::vector<std::string>* unknown_;  ///< hashtags the vocabulary does not know, if wanted
  std::vector<std::string>* written_;  // the spellings as typed, parallel to found_; optional
  std::vector<BacktickRun> runs_;
  std::vector<std::size_t> closer_;
  std::unordered_map<std::size_t, std::size_t> next_of_length_;
};

/// Where a code fence opened: its character and length.
struct Fence {
  char marker = 0;
  std::size_t length = 0;
};

// Columns of leading spaces and tabs (a tab advances to the next multiple of 4) and where the
// first other character is.
std::pair<std::size_t, std::size_t> indentation(std::string_view text, std::size_t begin,
                                                std::size_t end) {
  std::size_t columns = 0;
  std::size_t pos = begin;
  for (; pos < end; ++pos) {
    if (text[pos] == ' ') {
      ++columns;
    } else if (text[pos] == '\t') {
      columns += 4 - columns % 4;
    } else {
      break;
    }
  }
  return {columns, pos};
}

std::size_t run_length(std::string_view text, std::size_t pos, std::size_t end, char c) {
  std::size_t length = 0;
  while (pos + length < end && text[pos + length] == c) ++length;
  return length;
}

// A line (from `pos`, its first non-blank character) that opens a fenced code block.
std::optional<Fence> opening_fence(std::string_view text, std::size_t pos, std::size_t end) {
  if (pos >= end || (text[pos] != '`' && text[pos] != '~')) return std::nullopt;
  const char marker = text[pos];
  const std::size_t length = run_length(text, pos, end, marker);
  if (length < 3) return std::nullopt;
  // The info string of a backtick fence has no backtick ("```a```" is inline code).
  if (marker == '`' && text.substr(pos + length, end - pos - length).find('`') != npos) {
    return std::nullopt;
  }
  return Fence{marker, length};
}

bool closes_fence(std::string_view text, std::size_t pos, std::size_t end, const Fence& fence) {
  const std::size_t length = run_length(text, pos, end, fence.marker);
  if (length < fence.length) return false;
  for (std::size_t p = pos + length; p < end; ++p) {
    if (text[p] != ' ' && text[p] != '\t') return false;
  }
  return true;
}

// Skips block-quote markers: up to three spaces, '>', an optional space; repeatedly.
std::size_t after_quote_markers(std::string_view text, std::size_t pos, std::size_t end) {
  for (;;) {
    std::size_t p = pos;
    while (p < end && p - pos < 3 && text[p] == ' ') ++p;
    if (p >= end || text[p] != '>') return pos;
    ++p;
    if (p < end && text[p] == ' ') ++p;
    pos = p;
  }
}

}  // namespace

std::optional<std::string> TagVocabulary::add(Tag tag) {
  std::vector<std::pair<std::string, const std::string*>> spellings;  // folded, as written
  const auto collect = [&](const std::string& written) {
    for (auto& variant : spelling_variants(written)) spellings.emplace_back(variant, &written);
  };
  collect(tag.key);
  for (const auto& alias : tag.aliases) collect(alias);
  for (const auto& [folded, written] : spellings) {
    if (by_spelling_.count(folded) != 0) return *written;
  }
  const std::size_t index = tags_.size();
  for (auto& spelling : spellings) by_spelling_.emplace(std::move(spelling.first), index);
  tags_.push_back(std::move(tag));
  return std::nullopt;
}

const Tag* TagVocabulary::find(std::string_view key) const {
  for (const auto& tag : tags_) {
    if (tag.key == key) return &tag;
  }
  return nullptr;
}

const Tag* TagVocabulary::match(std::string_view word) const {
  const auto it = by_spelling_.find(fold_tag(word));
  return it == by_spelling_.end() ? nullptr : &tags_[it->second];
}

std::string fold_tag(std::string_view word) {
  std::string folded;
  folded.reserve(word.size() + 4);
  fold_into(word, folded, nullptr);
  return folded;
}

TagVocabulary default_vocabulary() {
  using K = TagKind;
  const std::vector<Tag> tags = {
      {"lehre",
       K::signal,
       {"Lehre", "Lesson"},
       {"lehren", "lesson", "lessons", "lessonlearned", "lessonslearned", "lessonidentified",
        "erkenntnis", "erkenntnisse", "learning", "learnings"}},
      {"problem",
       K::signal,
       {"Problem", "Problem"},
       {"probleme", "problems", "schwierigkeit", "schwierigkeiten", "issue", "issues",
        "herausforderung", "challenge"}},
      {"erfolg",
       K::signal,
       {"Erfolg", "Success"},
       {"erfolge", "success", "gutgelaufen", "lief-gut", "win", "wentwell", "bewährt"}},
      {"idee",
       K::signal,
       {"Idee", "Idea"},
       {"ideen", "idea", "ideas", "vorschlag", "vorschläge", "verbesserungsvorschlag",
        "suggestion"}},
      {"frust",
       K::signal,
       {"Frust", "Frustration"},
       {"frustration", "frustriert", "frustrated", "ärger", "ärgerlich"}},
      {"stolz", K::signal, {"Stolz", "Pride"}, {"pride", "proud"}},
      {"entscheidung",
       K::topic,
       {"Entscheidung", "Decision"},
       {"entscheidungen", "entscheidungsfindung", "decision", "decisions", "decisionmaking"}},
      {"recht",
       K::topic,
       {"Recht", "Law"},
       {"rechtslage", "rechtsgrundlage", "rechtsfragen", "rechtlich", "legal", "law"}},
      {"information",
       K::topic,
       {"Information", "Information"},
       {"info", "infos", "informationen", "informationsfluss", "informationsmanagement"}},
      {"personal",
       K::topic,
       {"Personal", "Staff"},
       {"personalgewinnung", "personalmangel", "personaleinsatz", "staff", "staffing",
        "personnel"}},
      {"selbstschutz",
       K::topic,
       {"Selbstschutz", "Self-protection"},
       {"selbsthilfe", "schutz", "selfprotection", "selfhelp"}},
      {"verwaltung",
       K::topic,
       {"Verwaltung", "Administration"},
       {"administration", "behörde", "behörden", "bürokratie", "bureaucracy"}},
      {"kommunikation",
       K::topic,
       {"Kommunikation", "Communication"},
       {"communication", "krisenkommunikation", "risikokommunikation", "öffentlichkeitsarbeit",
        "pressearbeit"}},
      {"vulnerabel",
       K::topic,
       {"Vulnerable Gruppen", "Vulnerable groups"},
       {"vulnerable", "vulnerablegruppen", "vulnerablegroups", "vulnerabilität", "vulnerability",
        "schutzbedürftig"}},
      {"foederal",
       K::topic,
       {"Föderal", "Federal"},
       {"föderal", "föderalismus", "federal", "federalism", "mehrebenen", "multilevel"}},
  };
  TagVocabulary vocabulary;
  for (const auto& tag : tags) vocabulary.add(tag);
  return vocabulary;
}

namespace {

// The known tags of `message` (parse_tags); the unknown hashtags if `unknown` is given, and the
// known ones as written if `written` is.
std::vector<std::string> scan_tags(std::string_view message, const TagVocabulary& vocabulary,
                                   std::vector<std::string>* unknown,
                                   std::vector<std::string>* written) {
  std::vector<std::string> found;
  std::vector<bool> seen(vocabulary.tags().size(), false);
  ParagraphScanner scanner(message, vocabulary, found, seen, unknown, written);
  std::vector<Line> paragraph;
  std::optional<Fence> fence;
  bool in_indented_code = false;
  bool may_start_indented_code = true;  // an indented code block cannot interrupt a paragraph
  const auto flush = [&] {
    scanner.scan(paragraph);
    paragraph.clear();
  };
  for (std::size_t begin = 0; begin <= message.size();) {
    std::size_t next = message.find('\n', begin);
    if (next == npos) next = message.size();
    std::size_t end = next;
    if (end > begin && message[end - 1] == '\r') --end;
    const std::size_t content = after_quote_markers(message, begin, end);
    const auto [columns, first] = indentation(message, content, end);
    begin = next + 1;

    if (fence) {
      if (columns < 4 && closes_fence(message, first, end, *fence)) {
        fence.reset();
        may_start_indented_code = true;
      }
      continue;
    }
    if (first == end) {  // blank
      flush();
      may_start_indented_code = true;
      continue;
    }
    if (columns >= 4 && (in_indented_code || may_start_indented_code)) {
      flush();
      in_indented_code = true;
      continue;
    }
    in_indented_code = false;
    if (columns < 4) {
      if ((fence = opening_fence(message, first, end))) {
        flush();
        continue;
      }
    }
    paragraph.push_back({content, end});
    may_start_indented_code = false;
  }
  flush();
  return found;
}

}  // namespace

std::vector<std::string> parse_tags(std::string_view message, const TagVocabulary& vocabulary) {
  return scan_tags(message, vocabulary, nullptr, nullptr);
}

std::vector<std::string> unknown_hashtags(std::string_view message,
                                          const TagVocabulary& vocabulary) {
  std::vector<std::string> unknown;
  scan_tags(message, vocabulary, &unknown, nullptr);
  return unknown;
}

std::optional<std::string> nearest_tag(std::string_view word, const TagVocabulary& vocabulary) {
  std::vector<std::string> spellings;
  for (const Tag& tag : vocabulary.tags()) {
    spellings.push_back(fold_tag(tag.key));
    for (const auto& alias : tag.aliases) spellings.push_back(fold_tag(alias));
  }
  return closest_word(fold_tag(word), spellings);
}

std::vector<WrittenTag> parse_written_tags(std::string_view message,
                                           const TagVocabulary& vocabulary) {
  std::vector<std::string> written;
  std::vector<std::string> keys = scan_tags(message, vocabulary, nullptr, &written);
  std::vector<WrittenTag> tags;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    tags.push_back({std::move(keys[i]), std::move(written[i])});
  }
  return tags;
}

}  // namespace reflexbot::core
