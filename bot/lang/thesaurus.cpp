#include "lang/thesaurus.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

namespace reflexbot::lang {
namespace {

// libmythes reads the index in lines of at most 199 bytes and the data file in lines of at most
// 16,382: a longer line goes on as the next one. These reads keep that.
constexpr int kIndexLine = 200;
constexpr int kDataLine = 16384 - 1;

// Reads one line into `buffer` without its line end (\n, \r\n or \r); its length, or -1 at the
// end of the file (the buffer then keeps what it held).
int read_line(std::FILE* file, char* buffer, int size) {
  if (std::fgets(buffer, size, file) == nullptr) return -1;
  std::size_t length = std::strlen(buffer);
  if (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r')) {
    buffer[length - 1] = '\0';
  }
  if (length > 1 && buffer[length - 2] == '\r') buffer[length - 2] = '\0';
  return static_cast<int>(std::strlen(buffer));
}

}  // namespace

Thesaurus::Thesaurus(const std::string& idx_path, const std::string& dat_path) {
  std::FILE* index = std::fopen(idx_path.c_str(), "r");
  if (index == nullptr) return;
  char line[kIndexLine] = {};
  read_line(index, line, kIndexLine);  // the encoding (UTF-8 for both)
  read_line(index, line, kIndexLine);
  const long count = std::atol(line);
  if (count <= 0 || count > std::numeric_limits<int>::max() / 8) {
    std::fclose(index);
    return;
  }
  // The words take less than the file: reserved once, the buffer is never copied (a copy's freed
  // blocks would stay resident in the heap). The part not written is never touched.
  std::error_code error;
  const auto file_size = std::filesystem::file_size(idx_path, error);
  if (!error) words_.reserve(static_cast<std::size_t>(file_size));
  starts_.reserve(static_cast<std::size_t>(count));
  offsets_.reserve(static_cast<std::size_t>(count));
  // Entries "word|offset" up to the first empty line; a line without '|' is skipped, and no more
  // than `count` are kept.
  while (read_line(index, line, kIndexLine) > 0) {
    char* bar = std::strchr(line, '|');
    if (bar == nullptr || starts_.size() >= static_cast<std::size_t>(count)) continue;
    *bar = '\0';
    starts_.push_back(static_cast<std::uint32_t>(words_.size()));
    words_.append(line, static_cast<std::size_t>(bar - line));
    words_.push_back('\0');
    offsets_.push_back(static_cast<std::uint32_t>(std::atol(bar + 1)));
  }
  std::fclose(index);
  data_ = std::fopen(dat_path.c_str(), "r");
}

Thesaurus::~Thesaurus() {
  if (data_ != nullptr) std::fclose(data_);
}

std::vector<std::vector<std::string>> Thesaurus::lookup(std::string_view word) {
  std::vector<std::vector<std::string>> meanings;
  if (data_ == nullptr || starts_.empty()) return meanings;
  // Compared as a C string: up to its first NUL.
  const std::string key(word.substr(0, word.find('\0')));
  // The same bisection as libmythes, so that an index out of order finds what it finds.
  long low = 0;
  long high = static_cast<long>(starts_.size()) - 1;
  if (std::strcmp(key.c_str(), this->word(0)) < 0) return meanings;
  if (std::strcmp(key.c_str(), this->word(static_cast<std::size_t>(high))) > 0) return meanings;
  long found = -1;
  while (found < 0) {
    const long middle = (low + high) >> 1;
    const int order = std::strcmp(key.c_str(), this->word(static_cast<std::size_t>(middle)));
    if (order > 0) {
      low = middle + 1;
    } else if (order < 0) {
      high = middle - 1;
    } else {
      found = middle;
    }
    if (low > high && found < 0) return meanings;
  }
  if (std::fseek(data_, static_cast<long>(offsets_[static_cast<std::size_t>(found)]), SEEK_SET) !=
      0) {
    return meanings;
  }
  line_.resize(kDataLine + 1);
  char* line = line_.data();
  // "word|count", then `count` lines "part of speech|synonym|synonym|…".
  if (read_line(data_, line, kDataLine) < 0) return meanings;
  const char* bar = std::strchr(line, '|');
  if (bar == nullptr) return meanings;
  const int count = std::max(0, std::atoi(bar + 1));
  meanings.reserve(static_cast<std::size_t>(std::min(count, 64)));
  for (int m = 0; m < count; ++m) {
    read_line(data_, line, kDataLine);
    char* fields = line;
    if (char* pos_end = std::strchr(line, '|'); pos_end != nullptr) fields = pos_end + 1;
    std::size_t field_count = 1;
    for (const char* c = std::strchr(fields, '|'); c != nullptr; c = std::strchr(c + 1, '|')) {
      ++field_count;
    }
    std::vector<std::string>& synonyms = meanings.emplace_back();
    synonyms.reserve(field_count);
    // As libmythes splits: an empty field ("||") is not cut off, so it and every field after it
    // are the rest of the line.
    char* rest = fields;
    for (std::size_t f = 0; f < field_count; ++f) {
      char* end = std::strchr(rest, '|');
      if (end != nullptr && end != rest) {
        synonyms.emplace_back(rest, static_cast<std::size_t>(end - rest));
        rest = end + 1;
      } else {
        synonyms.emplace_back(rest);
      }
    }
  }
  return meanings;
}

}  // namespace reflexbot::lang
