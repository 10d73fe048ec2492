#pragma once
// Helpers shared by the fuzz targets: turning fuzz bytes into the text the bot really receives,
// and a loud failure for violated invariants (libFuzzer records the input that caused it).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::fuzz {

/// Prints `what` with the offending text and aborts, so libFuzzer saves the input as a crash.
[[noreturn]] inline void violation(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size() > 2000 ? 2000 : detail.size()),
               detail.data());
  std::abort();
}

/// Length of the valid UTF-8 sequence at `text[i]`, or 0 if there is none (overlong forms,
/// surrogates and code points above U+10FFFF are invalid, as in JSON and Matrix).
inline std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

/// Whether `text` is valid UTF-8.
inline bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

/// `text` with every invalid byte replaced by U+FFFD: what reaches the bot from a homeserver is
/// valid UTF-8 (JSON), so the targets that model stored text feed it only that.
inline std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

/// `text` split at `separator` (empty fields kept).
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

/// The leading decimal number of `text` (at most 9 digits), or `fallback`.
inline long long number(std::string_view text, long long fallback) {
  long long value = 0;
  std::size_t digits = 0;
  bool negative = false;
  std::size_t i = 0;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    i = 1;
  }
  for (; i < text.size() && digits < 9 && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    value = value * 10 + (text[i] - '0');
  }
  if (digits == 0) return fallback;
  return negative ? -value : value;
}

/// Checks HTML the bot wrote: every tag is one of `allowed` ("br", "p", "ol start" …: the name and
/// the only attribute it may carry, whose value must be a positive number), tags nest properly
/// (br is void), and every '&' starts one of the entities html_escape writes. A raw '<', '>' or
/// '"' outside a tag means user text went out unescaped. Aborts on the first violation.
inline void check_html(std::string_view html, const std::vector<std::string_view>& allowed) {
  std::vector<std::string_view> open;
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '&') {
      const std::string_view rest = html.substr(i);
      std::size_t length = 0;
      for (const std::string_view entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
        if (rest.starts_with(entity)) length = entity.size();
      }
      if (length == 0) violation("'&' that starts no entity html_escape writes", rest);
      i += length;
      continue;
    }
    if (c == '>' || c == '"') violation("unescaped '>' or '\"' outside a tag", html.substr(i));
    if (c != '<') {
      ++i;
      continue;
    }
    const std::size_t end = html.find('>', i);
    if (end == std::string_view::npos) violation("'<' without '>'", html.substr(i));
    std::string_view tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    const bool closing = tag.starts_with('/');
    if (closing) tag.remove_prefix(1);
    std::string_view name = tag.substr(0, tag.find(' '));
    bool known = false;
    for (const std::string_view entry : allowed) {
      const std::string_view entry_name = entry.substr(0, entry.find(' '));
      if (entry_name != name) continue;
      if (tag == name) {
        known = true;
        break;
      }
      // With an attribute: exactly ` attr="N"`, N a positive number, and never on a closing tag.
      if (closing || entry.size() == entry_name.size()) continue;
      const std::string_view attribute = entry.substr(entry_name.size() + 1);
      std::string_view rest = tag.substr(name.size());
      const std::string prefix = " " + std::string(attribute) + "=\"";
      if (!rest.starts_with(prefix) || !rest.ends_with('"')) continue;
      rest = rest.substr(prefix.size(), rest.size() - prefix.size() - 1);
      if (rest.empty() || rest.size() > 9 || rest[0] == '0') continue;
      bool digits = true;
      for (const char d : rest) digits = digits && d >= '0' && d <= '9';
      if (digits) {
        known = true;
        break;
      }
    }
    if (!known) violation("a tag the bot does not write", tag);
    if (name == "br") {
      if (closing) violation("</br>");
      continue;
    }
    if (!closing) {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name) violation("closing tag that closes nothing", tag);
      open.pop_back();
    }
  }
  if (!open.empty()) violation("unclosed tag", open.back());
}

}  // namespace reflexbot::fuzz
