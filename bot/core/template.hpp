#pragma once
// Reflection-round templates: phases with a title, a guiding question and a default duration.
// They are data (config/templates/*.yaml); this is their in-memory form.

#include <chrono>
#include <string>
#include <vector>

#include "core/text.hpp"

namespace reflexbot::core {

/// A text in both languages; English falls back to German when it was not given.
struct LocalizedText {
  std::string de;
  std::string en;

  /// The text in `language`.
  const std::string& in(Language language) const {
    return language == Language::en && !en.empty() ? en : de;
  }
};

/// One phase of a template.
struct PhaseTemplate {
  std::string key;         ///< e.g. "rueckschau"; unique within the template
  LocalizedText title;     ///< e.g. "Rückschau"
  LocalizedText question;  ///< the guiding question, Markdown
  std::chrono::minutes duration{15};
};

/// A template such as panreflex, aar or design-thinking.
struct Template {
  std::string key;  ///< e.g. "panreflex"; what moderators type
  LocalizedText title;
  LocalizedText description;
  std::vector<PhaseTemplate> phases;
  bool thread = false;  ///< its rounds run in a thread (m.thread) of their own unless told not to
};

}  // namespace reflexbot::core
