#pragma once
// A MyThes thesaurus (th_*_v2.idx and .dat: OpenThesaurus, WordNet) answered as libmythes answers
// it, with its index held compactly. libmythes keeps every indexed word in an allocation of its own
// (German and English: 11.3 MiB resident, 260,000 words); here they share one buffer (5.3 MiB),
// which matters while the terms of a large batch are made with the batch's body still in memory
// (issue 17).

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace reflexbot::lang {

class Thesaurus {
 public:
  /// Reads the index and opens the data file; ok() says whether both could be read.
  Thesaurus(const std::string& idx_path, const std::string& dat_path);
  ~Thesaurus();
  Thesaurus(const Thesaurus&) = delete;
  Thesaurus& operator=(const Thesaurus&) = delete;

  bool ok() const { return data_ != nullptr; }

  /// The meanings of `word` as indexed (the caller lower-cases), each its list of synonyms as the
  /// data file has it (the part of speech left out), in the file's order; empty if the word is not
  /// indexed. The same lists MyThes::Lookup gives, quirks included (tests/unit/core/lexicon_test).
  std::vector<std::vector<std::string>> lookup(std::string_view word);

  /// Indexed words.
  std::size_t size() const { return starts_.size(); }
  /// The i-th indexed word, in the index's order.
  const char* word(std::size_t i) const { return words_.data() + starts_[i]; }

 private:
  std::string words_;                   ///< every indexed word, each followed by '\0'
  std::vector<std::uint32_t> starts_;   ///< where each word starts in words_
  std::vector<std::uint32_t> offsets_;  ///< where its entry starts in the data file
  std::FILE* data_ = nullptr;
  std::vector<char> line_;  ///< the data file's current line
};

}  // namespace reflexbot::lang
