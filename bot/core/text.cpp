#include "core/text.hpp"

#include <algorithm>

namespace reflexbot::core {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool is_bidi_control(std::string_view text, std::size_t i) {
  // U+200E/F, U+202A–U+202E, U+2066–U+2069: E2 80 8E/8F, E2 80 AA–AE, E2 81 A6–A9.
  if (i + 2 >= text.size() || static_cast<unsigned char>(text[i]) != 0xE2) return false;
  const auto b = static_cast<unsigned char>(text[i + 1]);
  const auto c = static_cast<unsigned char>(text[i + 2]);
  return (b == 0x80 && (c == 0x8E || c == 0x8F || (c >= 0xAA && c <= 0xAE))) ||
         (b == 0x81 && c >= 0xA6 && c <= 0xA9);
}

std::string printable(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out += kReplacement;
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += kReplacement;  // C1: U+0080–U+009F
      ++i;
    } else if (is_bidi_control(text, i)) {
      out += kReplacement;
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

Arg plain(std::string_view name, std::string value) {
  std::string html = html_escape(value);
  return Arg{name, std::move(value), std::move(html)};
}

// Replaces each {name} in one pass, so braces inside values are never expanded again.
namespace {

std::string fill_pattern(std::string_view pattern, const std::vector<Arg>& args, bool html) {
  std::string out;
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    const std::size_t open = pattern.find('{', pos);
    const std::size_t close = open == std::string_view::npos ? open : pattern.find('}', open);
    if (close == std::string_view::npos) {
      out.append(pattern.substr(pos));
      break;
    }
    out.append(pattern.substr(pos, open - pos));
    const std::string_view name = pattern.substr(open + 1, close - open - 1);
    auto it = std::find_if(args.begin(), args.end(), [&](const Arg& a) { return a.name == name; });
    if (it == args.end()) {
      out.append(pattern.substr(open, close - open + 1));
    } else {
      out.append(html ? it->html : it->text);
    }
    pos = close + 1;
  }
  return out;
}
}  // namespace

Notice fill(std::string_view pattern, const std::vector<Arg>& args) {
  return Notice{fill_pattern(pattern, args, false), fill_pattern(html_escape(pattern), args, true)};
}

std::string join_list(const std::vector<std::string>& items, std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? std::string(last_separator) : std::string(", ");
    out += items[i];
  }
  return out;
}

std::string count_text(int n, std::string_view one, std::string_view many) {
  if (n == 1) return std::string(one);
  return fill(many, {plain("n", std::to_string(n))}).text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest_word(std::string_view word,
                                        const std::vector<std::string>& known) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : known) {
    const std::size_t distance = edit_distance(word, candidate);
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  const std::size_t limit = std::min<std::size_t>(3, std::max<std::size_t>(1, word.size() / 3));
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

std::size_t letter_at(std::string_view text, std::size_t at) {
  if (at >= text.size()) return 0;
  const auto b = static_cast<unsigned char>(text[at]);
  if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) return 1;
  if (b >= 0xC3 && b <= 0xC9 && at + 1 < text.size() &&
      (static_cast<unsigned char>(text[at + 1]) & 0xC0) == 0x80) {
    return 2;
  }
  return 0;
}

}  // namespace reflexbot::core
