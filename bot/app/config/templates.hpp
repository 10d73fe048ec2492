#pragma once
// Reflection-round templates from config/templates/*.yaml, validated at start.

#include <filesystem>
#include <vector>

#include "app/config/config.hpp"
#include "core/template.hpp"

namespace reflexbot::app {

/// Loads every *.yaml in `directory` (sorted by file name) as a template. Throws ConfigError
/// ("FILE:LINE: KEY: message") on the first problem, or naming the folder if it holds none.
std::vector<core::Template> load_templates(const std::filesystem::path& directory);

}  // namespace reflexbot::app
