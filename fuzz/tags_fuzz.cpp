// Hashtags: any bytes (the parser promises to be linear and safe for invalid UTF-8 and NUL)
// against the built-in vocabulary. Every tag found is a canonical key of the vocabulary, once.
// fold_tag (the form spellings are compared in) never grows a word, and on valid UTF-8 it keeps
// what core/tags.hpp promises: no capitals, no '-' or '_', umlauts and ß written out, valid
// UTF-8, no new bidi control, and folding twice changes nothing.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/tags.hpp"
#include "core/text.hpp"
#include "fuzz_support.hpp"

namespace {

using reflexbot::fuzz::violation;
namespace core = reflexbot::core;

const core::TagVocabulary& vocabulary() {
  static const core::TagVocabulary instance = core::default_vocabulary();
  return instance;
}

std::size_t bidi_controls(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) count += core::is_bidi_control(text, i) ? 1 : 0;
  return count;
}

void check_parse(std::string_view message) {
  const auto tags = core::parse_tags(message, vocabulary());
  std::set<std::string> seen;
  for (const auto& key : tags) {
    const core::Tag* tag = vocabulary().find(key);
    if (tag == nullptr || tag->key != key) violation("parse_tags returned an unknown key", key);
    if (!seen.insert(key).second) violation("parse_tags returned a key twice", key);
    if (message.find('#') == std::string_view::npos) violation("a tag without '#'");
  }
}

/// What fold_tag promises for a valid UTF-8 word.
void check_folded(std::string_view word, const std::string& folded) {
  for (std::size_t i = 0; i < folded.size(); ++i) {
    const auto c = static_cast<unsigned char>(folded[i]);
    if ((c >= 'A' && c <= 'Z') || c == '-' || c == '_') {
      violation("fold_tag kept a capital, '-' or '_'", folded);
    }
    if (c == 0xC3 && i + 1 < folded.size()) {
      const auto next = static_cast<unsigned char>(folded[i + 1]);
      const bool capital = next >= 0x80 && next <= 0x9E && next != 0x97;
      const bool umlaut = next == 0xA4 || next == 0xB6 || next == 0xBC || next == 0x9F;
      if (capital || umlaut) violation("fold_tag kept a Latin-1 capital, umlaut or ß", folded);
    }
  }
  if (folded.find("\xE1\xBA\x9E") != std::string::npos) violation("fold_tag kept ẞ", folded);
  if (!reflexbot::fuzz::valid_utf8(folded)) violation("fold_tag broke valid UTF-8", folded);
  if (bidi_controls(folded) > bidi_controls(word)) violation("fold_tag made a bidi control");
  // Dropping '-' or '_' before a combining diaeresis brings a vowel and U+0308 together, which a
  // second fold would join: the one input where folding twice differs.
  const bool separated_diaeresis = word.find("-\xCC\x88") != std::string_view::npos ||
                                   word.find("_\xCC\x88") != std::string_view::npos;
  if (!separated_diaeresis && core::fold_tag(folded) != folded) {
    violation("fold_tag is not idempotent", word);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  check_parse(message);

  // The input as one word.
  const std::string folded = core::fold_tag(message);
  if (folded.size() > message.size()) violation("fold_tag made a word longer", message);
  if (reflexbot::fuzz::valid_utf8(message)) check_folded(message, folded);
  const core::Tag* tag = vocabulary().match(message);
  if (tag != nullptr && vocabulary().find(tag->key) != tag) {
    violation("match returned a foreign tag");
  }
  // match compares folded forms, so the folded word matches the same tag.
  if (reflexbot::fuzz::valid_utf8(message) && vocabulary().match(folded) != tag &&
      message.find("\xCC\x88") == std::string_view::npos) {
    violation("the folded word matches another tag than the word", message);
  }
  return 0;
}
