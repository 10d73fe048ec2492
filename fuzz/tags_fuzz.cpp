// Hashtags: any bytes (the parser promises to be linear and safe for invalid UTF-8 and NUL)
// against the built-in vocabulary. Every tag found is a canonical key of the vocabulary, once.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/tags.hpp"
#include "fuzz_support.hpp"

namespace {

using reflexbot::fuzz::violation;
namespace core = reflexbot::core;

const core::TagVocabulary& vocabulary() {
  static const core::TagVocabulary instance = core::default_vocabulary();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);

  const auto tags = core::parse_tags(message, vocabulary());
  std::set<std::string> seen;
  for (const auto& key : tags) {
    const core::Tag* tag = vocabulary().find(key);
    if (tag == nullptr || tag->key != key) violation("parse_tags returned an unknown key", key);
    if (!seen.insert(key).second) violation("parse_tags returned a key twice", key);
    if (message.find('#') == std::string_view::npos) violation("a tag without '#'");
  }

  // The input as one word: a match is one of the vocabulary's own tags.
  core::fold_tag(message);
  if (const core::Tag* tag = vocabulary().match(message)) {
    if (vocabulary().find(tag->key) != tag) violation("match returned a foreign tag");
  }
  return 0;
}
