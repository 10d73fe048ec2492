#pragma once
// What the YAML loaders (config, templates) and the time-zone lookup share: values quoted for
// error messages, typo suggestions for unknown keys, the entries of a mapping with their lines,
// and the "FILE:LINE: KEY: what is wrong" error format.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::app::yaml {

/// C0 controls and DEL.
bool is_control(char c);

/// `text` without leading and trailing ASCII white space (space, \t, \n, \r, \f, \v).
std::string trim(std::string_view text);

/// ASCII letters lowered; other bytes unchanged.
std::string to_lower(std::string_view text);

/// Quotes and backslashes escaped with a backslash, control characters as \xNN.
std::string escape(std::string_view text);

/// A value for an error message: escaped and quoted; over 60 bytes it is cut (never inside a
/// UTF-8 sequence) and `…` follows the closing quote.
std::string quote(std::string_view text);

/// The first of `known` closest to `key`, if it is close enough to be a likely typo.
std::optional<std::string> closest_key(std::string_view key, const std::vector<std::string>& known);

/// One key of a mapping with its value.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

/// 1-based line of a node; nodes without a position fall back to `fallback`.
int line_of(const YAML::Node& node, int fallback);

/// The line to blame for an entry: its value, or its key where the value has no reliable
/// position (empty values).
int line_of(const Entry& entry);

/// 1-based line of a parser mark (1 where the mark has none).
int line_of(const YAML::Mark& mark);

/// "nothing", "a list", "a mapping" or the quoted scalar.
std::string describe(const YAML::Node& node);

/// The entry with this key, or nullptr.
const Entry* find(const std::vector<Entry>& list, std::string_view key);

/// Errors about one file: every message starts with "FILE:LINE: ". Throws ConfigError.
class FileErrors {
 public:
  explicit FileErrors(std::filesystem::path path) : path_(std::move(path)) {}

  /// "FILE:LINE: KEY: message".
  [[noreturn]] void fail(int line, const std::string& key, const std::string& message) const;

  /// "FILE:LINE: message".
  [[noreturn]] void fail_at(int line, const std::string& message) const;

  /// "FILE:LINE: YAML syntax error: … (column N)".
  [[noreturn]] void fail_syntax(const YAML::ParserException& error) const;

  /// The entry's scalar value; anything else fails with "expected <expected>, got …".
  std::string scalar(const Entry& entry, const std::string& path,
                     const std::string& expected) const;

  /// An integer in [min, max] written in decimal; anything else fails naming the range.
  std::int64_t integer_value(const YAML::Node& value, int line, const std::string& path,
                             std::int64_t min, std::int64_t max) const;

 protected:
  std::filesystem::path path_;
};

}  // namespace reflexbot::app::yaml
