#include "app/config/yaml.hpp"

#include "app/config/config.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace reflexbot::app::yaml {
namespace {

constexpr std::size_t kMaxQuotedLength = 60;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

std::string trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (is_control(c)) {
      constexpr char hex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

std::string quote(std::string_view text) {
  bool shortened = false;
  if (text.size() > kMaxQuotedLength) {
    std::size_t cut = kMaxQuotedLength;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
    shortened = true;
  }
  return "\"" + escape(text) + (shortened ? "\"…" : "\"");
}

std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& known) {
  return core::closest_word(key, known);
}

int line_of(const YAML::Node& node, int fallback) {
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

int line_of(const Entry& entry) {
  const int key_line = line_of(entry.key_node, 1);
  if (!entry.value.IsDefined() || entry.value.IsNull()) return key_line;
  return line_of(entry.value, key_line);
}

int line_of(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 1; }

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return quote(node.Scalar());
}

const Entry* find(const std::vector<Entry>& list, std::string_view key) {
  for (const auto& entry : list) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

void FileErrors::fail(int line, const std::string& key, const std::string& message) const {
  fail_at(line, key + ": " + message);
}

void FileErrors::fail_at(int line, const std::string& message) const {
  throw ConfigError(path_.string() + ":" + std::to_string(line) + ": " + message);
}

void FileErrors::fail_syntax(const YAML::ParserException& error) const {
  fail_at(line_of(error.mark), "YAML syntax error: " + error.msg + " (column " +
                                   std::to_string(error.mark.column + 1) + ")");
}

std::string FileErrors::scalar(const Entry& entry, const std::string& path,
                               const std::string& expected) const {
  if (!entry.value.IsScalar()) {
    fail(line_of(entry), path, "expected " + expected + ", got " + describe(entry.value));
  }
  return entry.value.Scalar();
}

std::int64_t FileErrors::integer_value(const YAML::Node& value, int line, const std::string& path,
                                       std::int64_t min, std::int64_t max) const {
  const std::string expected =
      "expected an integer between " + std::to_string(min) + " and " + std::to_string(max);
  if (!value.IsScalar()) fail(line, path, expected + ", got " + describe(value));
  const std::string& text = value.Scalar();
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size() || number < min || number > max) {
    fail(line, path, expected + ", got " + quote(text));
  }
  return number;
}

}  // namespace reflexbot::app::yaml
