#include "app/config/templates.hpp"

#include "app/config/yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace reflexbot::app {
namespace {

namespace fs = std::filesystem;

using yaml::describe;
using yaml::Entry;
using yaml::find;
using yaml::line_of;
using yaml::quote;
using yaml::trim;

constexpr std::size_t max_phases = 20;
constexpr std::size_t max_title_bytes = 200;
constexpr std::size_t max_description_bytes = 1000;
constexpr std::size_t max_question_bytes = 4000;
constexpr std::size_t max_key_length = 40;

bool is_key(std::string_view key, bool underscore) {
  return !key.empty() && key.size() <= max_key_length &&
         std::all_of(key.begin(), key.end(), [&](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  (underscore && c == '_');
         });
}

/// Parses and validates one template file; every error names the file, line and key.
class TemplateFile : public yaml::FileErrors {
 public:
  using FileErrors::FileErrors;

  core::Template parse(const std::string& text) {
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(text);
    } catch (const YAML::ParserException& e) {
      fail_syntax(e);
    }
    if (documents.size() > 1) {
      fail_at(line_of(documents[1], 1), "only one template per file; remove the \"---\" separator");
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    if (!root.IsMap()) {
      fail_at(line_of(root, 1),
              "expected a mapping with key, title and phases, got " + describe(root));
    }
    const int root_line = line_of(root, 1);
    const auto keys = entries(root, "", {"key", "title", "description", "phases", "thread"});

    core::Template result;
    const Entry* key = required(keys, "key", root_line, "", "the template's name, e.g. \"aar\"");
    result.key = scalar(*key, "key", "a template name");
    if (!is_key(result.key, false)) {
      fail(line_of(*key), "key",
           "expected lowercase letters, digits and \"-\" (e.g. \"design-thinking\"), got " +
               quote(result.key));
    }
    key_line_ = line_of(*key);
    result.title = localized(*required(keys, "title", root_line, "", "the template's title"),
                             "title", max_title_bytes);
    if (const Entry* description = find(keys, "description")) {
      result.description = localized(*description, "description", max_description_bytes);
    }
    if (const Entry* thread = find(keys, "thread")) {
      const std::string value = yaml::to_lower(scalar(*thread, "thread", "true or false"));
      if (value == "true" || value == "yes") {
        result.thread = true;
      } else if (value != "false" && value != "no") {
        fail(line_of(*thread), "thread", "expected true or false, got " + quote(value));
      }
    }

    const Entry* phases = required(keys, "phases", root_line, "", "a list of phases");
    const std::string expected =
        "expected a list of 1 to " + std::to_string(max_phases) + " phases, got ";
    if (!phases->value.IsSequence())
      fail(line_of(*phases), "phases", expected + describe(phases->value));
    if (phases->value.size() == 0 || phases->value.size() > max_phases) {
      fail(line_of(*phases), "phases", expected + std::to_string(phases->value.size()));
    }
    std::vector<int> phase_lines;
    for (std::size_t index = 0; index < phases->value.size(); ++index) {
      const std::string path = "phases[" + std::to_string(index) + "]";
      const YAML::Node item = phases->value[index];
      core::PhaseTemplate phase = parse_phase(item, path, line_of(*phases));
      for (std::size_t other = 0; other < result.phases.size(); ++other) {
        if (result.phases[other].key == phase.key) {
          fail(phase_key_line_, path + ".key",
               "duplicate phase key " + quote(phase.key) + ", already used by phases[" +
                   std::to_string(other) + "] on line " + std::to_string(phase_lines[other]));
        }
      }
      phase_lines.push_back(phase_key_line_);
      result.phases.push_back(std::move(phase));
    }
    return result;
  }

  int key_line() const { return key_line_; }

 private:
  static std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  const Entry* required(const std::vector<Entry>& list, const std::string& key, int map_line,
                        const std::string& prefix, const std::string& what) const {
    const Entry* entry = find(list, key);
    if (!entry) fail(map_line, join(prefix, key), "missing required key (" + what + ")");
    return entry;
  }

  /// The entries of a mapping; duplicate and unknown keys are errors.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& prefix,
                             const std::vector<std::string>& known) const {
    std::vector<Entry> result;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const int line = line_of(it->first, 1);
      if (!it->first.IsScalar()) fail(line, join(prefix, "(key)"), "expected a key name");
      const std::string key = it->first.Scalar();
      for (const auto& seen : result) {
        if (seen.key == key) {
          fail(line, join(prefix, key),
               "duplicate key, already set on line " + std::to_string(line_of(seen.key_node, 1)));
        }
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string message = "unknown key";
        if (auto closest = yaml::closest_key(key, known)) {
          message += "; did you mean " + *closest + "?";
        }
        fail(line, join(prefix, key), message);
      }
      result.push_back(Entry{key, it->first, it->second});
    }
    return result;
  }

  std::string text(const Entry& entry, const std::string& path, std::size_t max_bytes) const {
    std::string value = entry.value.IsScalar() ? trim(entry.value.Scalar()) : std::string();
    if (value.empty()) {
      fail(line_of(entry), path, "expected a non-empty text, got " + describe(entry.value));
    }
    if (value.size() > max_bytes) {
      fail(line_of(entry), path,
           "the text is " + std::to_string(value.size()) + " bytes long; at most " +
               std::to_string(max_bytes) + " are allowed");
    }
    return value;
  }

  /// A {de: …, en: …} mapping; de is required, en falls back to it.
  core::LocalizedText localized(const Entry& entry, const std::string& path,
                                std::size_t max_bytes) const {
    if (!entry.value.IsMap()) {
      fail(line_of(entry), path,
           "expected a mapping with de and en (de: …, en: …), got " + describe(entry.value));
    }
    const auto keys = entries(entry.value, path, {"de", "en"});
    core::LocalizedText result;
    result.de = text(*required(keys, "de", line_of(entry), path, "the German text"), path + ".de",
                     max_bytes);
    if (const Entry* en = find(keys, "en")) result.en = text(*en, path + ".en", max_bytes);
    return result;
  }

  core::PhaseTemplate parse_phase(const YAML::Node& item, const std::string& path, int list_line) {
    const int line = line_of(item, list_line);
    if (!item.IsMap()) {
      fail(line, path,
           "expected a mapping with key, title, question and duration_minutes, got " +
               describe(item));
    }
    const auto keys = entries(item, path, {"key", "title", "question", "duration_minutes"});
    core::PhaseTemplate phase;
    const Entry* key = required(keys, "key", line, path, "the phase's name, e.g. \"rueckschau\"");
    phase.key = scalar(*key, path + ".key", "a phase name");
    if (!is_key(phase.key, true)) {
      fail(line_of(*key), path + ".key",
           "expected lowercase letters, digits, \"-\" and \"_\" (e.g. \"rueckschau\"), got " +
               quote(phase.key));
    }
    phase_key_line_ = line_of(*key);
    phase.title = localized(*required(keys, "title", line, path, "the phase's title"),
                            path + ".title", max_title_bytes);
    phase.question = localized(*required(keys, "question", line, path, "the guiding question"),
                               path + ".question", max_question_bytes);
    if (const Entry* duration = find(keys, "duration_minutes")) {
      const auto minutes =
          integer_value(duration->value, line_of(*duration), path + ".duration_minutes", 1, 1440);
      phase.duration = std::chrono::minutes(minutes);
    }
    return phase;
  }

  int key_line_ = 1;
  int phase_key_line_ = 1;
};

core::Template load_file(const fs::path& file, int& key_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(file.string() +
                      ": cannot read the template file: " + std::generic_category().message(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  TemplateFile parser(file);
  try {
    core::Template result = parser.parse(content.str());
    key_line = parser.key_line();
    return result;
  } catch (const YAML::Exception& e) {
    parser.fail_at(line_of(e.mark), "cannot read the YAML: " + e.msg);
  }
}

}  // namespace

std::vector<core::Template> load_templates(const std::filesystem::path& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw ConfigError(directory.string() + ": the templates folder does not exist");
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    const fs::path& file = it->path();
    if (file.extension() == ".yaml" && !file.filename().string().starts_with(".") &&
        it->is_regular_file(error)) {
      files.push_back(file);
    }
  }
  if (error) {
    throw ConfigError(directory.string() +
                      ": cannot read the templates folder: " + error.message());
  }
  if (files.empty()) {
    throw ConfigError(directory.string() + ": no templates (*.yaml files) in this folder");
  }
  std::sort(files.begin(), files.end());

  std::vector<core::Template> templates;
  std::map<std::string, std::pair<fs::path, int>, std::less<>> seen;
  for (const auto& file : files) {
    int key_line = 1;
    core::Template loaded = load_file(file, key_line);
    const auto [it, inserted] = seen.emplace(loaded.key, std::pair{file, key_line});
    if (!inserted) {
      throw ConfigError(file.string() + ":" + std::to_string(key_line) +
                        ": key: duplicate template key " + quote(loaded.key) +
                        ", already defined in " + it->second.first.string() + ":" +
                        std::to_string(it->second.second));
    }
    templates.push_back(std::move(loaded));
  }
  return templates;
}

}  // namespace reflexbot::app
