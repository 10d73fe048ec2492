#include "core/markdown.hpp"

#include <array>
#include <unordered_map>
#include <vector>

#include "core/text.hpp"

namespace reflexbot::core {
namespace {

enum class Mode { html, plain };

/// Copies `text` with every invalid UTF-8 sequence replaced by U+FFFD and carriage returns dropped.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead != '\r') out += text[i];
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned code = 0;
    unsigned min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code = lead & 0x1Fu, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0Fu, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code = lead & 0x07u, min = 0x10000;
    }
    bool ok = length != 0;
    std::size_t used = 1;
    for (; ok && used < length; ++used) {
      if (i + used >= text.size()) {
        ok = false;
        break;
      }
      const auto next = static_cast<unsigned char>(text[i + used]);
      if ((next & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      code = (code << 6) | (next & 0x3Fu);
    }
    if (ok && (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(text.substr(i, length));
    } else {
      out.append("\xEF\xBF\xBD");
    }
    i += used;
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\v'; }

bool is_punctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

/// A character that may appear in a link target; quotes, spaces and brackets end it.
bool is_url_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x80) return true;
  if (byte <= 0x20 || byte == 0x7f) return false;
  return c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' && c != '[' && c != ']' &&
         c != '\\' && c != ')';
}

bool is_web_url(std::string_view url) {
  auto starts_with_ci = [&](std::string_view prefix) {
    if (url.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  return starts_with_ci("https://") || starts_with_ci("http://");
}

/// Renders one paragraph or list item: code spans, links and emphasis.
class InlineRenderer {
 public:
  InlineRenderer(std::string_view text, Mode mode, bool links)
      : text_(text), mode_(mode), links_(links) {}

  std::string render() {
    index_backtick_runs();
    scan();
    process_emphasis();
    std::string out;
    out.reserve(text_.size() + text_.size() / 4);
    for (const auto& token : tokens_) {
      if (!token.delimiter) {
        out += token.output;
        continue;
      }
      out += token.close_tags;
      out.append(static_cast<std::size_t>(token.count), token.marker);
      out += token.open_tags;
    }
    return out;
  }

 private:
  struct Token {
    bool delimiter = false;
    std::string output;  ///< rendered text of a non-delimiter token
    char marker = 0;
    int count = 0;
    int original = 0;
    bool can_open = false;
    bool can_close = false;
    std::string open_tags;
    std::string close_tags;
    int prev = -1;  ///< neighbours on the delimiter stack
    int next = -1;
  };

  void add_output(std::string_view rendered) {
    if (rendered.empty()) return;
    if (tokens_.empty() || tokens_.back().delimiter) tokens_.emplace_back();
    tokens_.back().output += rendered;
  }

  void add_text(std::string_view raw) {
    add_output(mode_ == Mode::html ? html_escape(raw) : std::string(raw));
  }

  /// Backtick runs by length, so that finding a closing run never rescans the text.
  void index_backtick_runs() {
    for (std::size_t i = 0; i < text_.size();) {
      if (text_[i] != '`') {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < text_.size() && text_[end] == '`') ++end;
      runs_[end - i].positions.push_back(i);
      i = end;
    }
  }

  /// The start of the next run of exactly `length` backticks at or after `from`.
  std::size_t find_run(std::size_t length, std::size_t from) {
    auto found = runs_.find(length);
    if (found == runs_.end()) return std::string_view::npos;
    auto& runs = found->second;
    while (runs.cursor < runs.positions.size() && runs.positions[runs.cursor] < from) ++runs.cursor;
    return runs.cursor < runs.positions.size() ? runs.positions[runs.cursor]
                                               : std::string_view::npos;
  }

  void scan() {
    std::size_t pending = 0;
    std::size_t i = 0;
    auto flush = [&] {
      if (i > pending) add_text(text_.substr(pending, i - pending));
    };
    while (i < text_.size()) {
      const char c = text_[i];
      if (c == '\\' && i + 1 < text_.size() && is_punctuation(text_[i + 1])) {
        flush();
        add_text(text_.substr(i + 1, 1));
        i += 2;
        pending = i;
      } else if (c == '`') {
        std::size_t length = 0;
        while (i + length < text_.size() && text_[i + length] == '`') ++length;
        const std::size_t close = find_run(length, i + length);
        if (close == std::string_view::npos) {
          i += length;
          continue;
        }
        flush();
        add_code(text_.substr(i + length, close - i - length));
        i = close + length;
        pending = i;
      } else if (c == '[' && links_) {
        flush();
        pending = i;
        if (link(i)) {
          pending = i;
        } else {
          ++i;
        }
      } else if (c == '*' || c == '_') {
        flush();
        add_delimiter_run(i);
        pending = i;
      } else if (c == '\n') {
        flush();
        add_output(mode_ == Mode::html ? "<br>" : "\n");
        ++i;
        pending = i;
      } else {
        ++i;
      }
    }
    flush();
  }

  void add_code(std::string_view code) {
    std::string content(code);
    for (char& c : content) {
      if (c == '\n') c = ' ';
    }
    if (content.size() >= 2 && content.front() == ' ' && content.back() == ' ' &&
        content.find_first_not_of(' ') != std::string::npos) {
      content = content.substr(1, content.size() - 2);
    }
    if (mode_ == Mode::html) {
      add_output("<code>" + html_escape(content) + "</code>");
    } else {
      add_output(content);
    }
  }

  /// Renders [label](http(s)://url) at `i` and moves `i` past it; false if it is no such link.
  bool link(std::size_t& i) {
    std::size_t close = i + 1;
    while (close < text_.size() && text_[close] != ']' && text_[close] != '[' &&
           text_[close] != '\n') {
      ++close;
    }
    if (close + 1 >= text_.size() || text_[close] != ']' || text_[close + 1] != '(') return false;
    std::size_t end = close + 2;
    while (end < text_.size() && is_url_char(text_[end])) ++end;
    if (end >= text_.size() || text_[end] != ')') return false;
    const std::string_view url = text_.substr(close + 2, end - close - 2);
    if (!is_web_url(url)) return false;

    std::string label = InlineRenderer(text_.substr(i + 1, close - i - 1), mode_, false).render();
    if (mode_ == Mode::html) {
      const std::string href = html_escape(url);
      add_output("<a href=\"" + href + "\">" + (label.empty() ? href : label) + "</a>");
    } else if (label.empty() || label == url) {
      add_output(url);
    } else {
      add_output(label + " (" + std::string(url) + ")");
    }
    i = end + 1;
    return true;
  }

  void add_delimiter_run(std::size_t& i) {
    const char marker = text_[i];
    std::size_t end = i;
    while (end < text_.size() && text_[end] == marker) ++end;
    const char before = i == 0 ? ' ' : text_[i - 1];
    const char after = end == text_.size() ? ' ' : text_[end];
    const bool left =
        !is_space(after) && (!is_punctuation(after) || is_space(before) || is_punctuation(before));
    const bool right =
        !is_space(before) && (!is_punctuation(before) || is_space(after) || is_punctuation(after));
    Token token;
    token.delimiter = true;
    token.marker = marker;
    token.count = token.original = static_cast<int>(end - i);
    if (marker == '*') {
      token.can_open = left;
      token.can_close = right;
    } else {
      // No emphasis inside words such as snake_case_names.
      token.can_open = left && (!right || is_punctuation(before));
      token.can_close = right && (!left || is_punctuation(after));
    }
    const int index = static_cast<int>(tokens_.size());
    token.prev = last_delimiter_;
    if (last_delimiter_ != -1) tokens_[static_cast<std::size_t>(last_delimiter_)].next = index;
    if (first_delimiter_ == -1) first_delimiter_ = index;
    last_delimiter_ = index;
    tokens_.push_back(std::move(token));
    i = end;
  }

  Token& at(int index) { return tokens_[static_cast<std::size_t>(index)]; }

  void unlink(int index) {
    Token& token = at(index);
    if (token.prev != -1) at(token.prev).next = token.next;
    if (token.next != -1) at(token.next).prev = token.prev;
    if (first_delimiter_ == index) first_delimiter_ = token.next;
    token.prev = token.next = -1;
  }

  /// CommonMark's delimiter algorithm; the lower bounds per kind of closer keep it linear.
  void process_emphasis() {
    std::array<int, 12> bottom;
    bottom.fill(-1);
    int current = first_delimiter_;
    while (current != -1) {
      Token& closer = at(current);
      if (!closer.can_close) {
        current = closer.next;
        continue;
      }
      const std::size_t slot = (closer.marker == '_' ? 6u : 0u) + (closer.can_open ? 3u : 0u) +
                               static_cast<std::size_t>(closer.original % 3);
      int opener = closer.prev;
      while (opener != -1 && opener > bottom[slot]) {
        const Token& candidate = at(opener);
        if (candidate.marker == closer.marker && candidate.can_open) {
          const bool odd_match = (candidate.can_close || closer.can_open) &&
                                 (candidate.original + closer.original) % 3 == 0 &&
                                 !(candidate.original % 3 == 0 && closer.original % 3 == 0);
          if (!odd_match) break;
        }
        opener = candidate.prev;
      }
      if (opener == -1 || opener <= bottom[slot]) {
        bottom[slot] = closer.prev;
        const int next = closer.next;
        if (!closer.can_open) unlink(current);
        current = next;
        continue;
      }
      Token& open = at(opener);
      const int used = open.count >= 2 && closer.count >= 2 ? 2 : 1;
      open.count -= used;
      closer.count -= used;
      if (mode_ == Mode::html) {
        open.open_tags.insert(0, used == 2 ? "<strong>" : "<em>");
        closer.close_tags += used == 2 ? "</strong>" : "</em>";
      }
      for (int between = open.next; between != current;) {
        const int next = at(between).next;
        unlink(between);
        between = next;
      }
      if (open.count == 0) unlink(opener);
      if (closer.count == 0) {
        const int next = closer.next;
        unlink(current);
        current = next;
      }
    }
  }

  struct Runs {
    std::vector<std::size_t> positions;
    std::size_t cursor = 0;
  };

  std::string_view text_;
  Mode mode_;
  bool links_;
  std::vector<Token> tokens_;
  std::unordered_map<std::size_t, Runs> runs_;
  int first_delimiter_ = -1;
  int last_delimiter_ = -1;
};

std::string render_inline(std::string_view text, Mode mode) {
  return InlineRenderer(text, mode, true).render();
}

enum class ListKind { none, bullet, ordered };

/// The kind of list item a line starts, with its text and (for numbered items) its number.
ListKind list_item(std::string_view line, std::string_view& content, long& number) {
  line = trim(line);
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*') &&
      (line[1] == ' ' || line[1] == '\t')) {
    content = trim(line.substr(2));
    return ListKind::bullet;
  }
  std::size_t digits = 0;
  number = 0;
  while (digits < line.size() && digits < 9 && line[digits] >= '0' && line[digits] <= '9') {
    number = number * 10 + (line[digits] - '0');
    ++digits;
  }
  if (digits == 0 || digits + 1 >= line.size() || (line[digits] != '.' && line[digits] != ')') ||
      (line[digits + 1] != ' ' && line[digits + 1] != '\t')) {
    return ListKind::none;
  }
  content = trim(line.substr(digits + 2));
  return ListKind::ordered;
}

/// Collects blocks (paragraphs and lists) line by line and renders them.
class BlockRenderer {
 public:
  explicit BlockRenderer(Mode mode) : mode_(mode) {}

  std::string render(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      line(text.substr(start, end - start));
      start = end + 1;
    }
    end_paragraph();
    end_list();
    return std::move(out_);
  }

 private:
  void line(std::string_view raw) {
    const std::string_view text = trim(raw);
    if (text.empty()) {
      end_paragraph();
      end_item();
      blank_in_list_ = list_ != ListKind::none;
      return;
    }
    std::string_view content;
    long number = 0;
    ListKind kind = list_item(text, content, number);
    // Like CommonMark: "2021. war …" inside a paragraph does not start a list.
    if (kind == ListKind::ordered && !paragraph_.empty() && number != 1) kind = ListKind::none;
    if (kind != ListKind::none) {
      end_paragraph();
      if (list_ != kind) end_list();
      end_item();
      if (list_ == ListKind::none) start_list(kind, number);
      in_item_ = true;
      item_ = content;
      blank_in_list_ = false;
      return;
    }
    if (in_item_ && !blank_in_list_) {
      item_ += '\n';
      item_ += text;
      return;
    }
    end_list();
    if (!paragraph_.empty()) paragraph_ += '\n';
    paragraph_ += text;
  }

  void start_block() {
    if (mode_ == Mode::plain && !out_.empty()) out_ += "\n\n";
  }

  void end_paragraph() {
    if (paragraph_.empty()) return;
    start_block();
    if (mode_ == Mode::html) {
      out_ += "<p>" + render_inline(paragraph_, mode_) + "</p>";
    } else {
      out_ += render_inline(paragraph_, mode_);
    }
    paragraph_.clear();
  }

  void start_list(ListKind kind, long number) {
    start_block();
    list_ = kind;
    number_ = number;
    first_item_ = true;
    if (mode_ == Mode::html) out_ += kind == ListKind::bullet ? "<ul>" : "<ol>";
  }

  void end_item() {
    if (!in_item_) return;
    if (mode_ == Mode::html) {
      out_ += "<li>" + render_inline(item_, mode_) + "</li>";
    } else {
      if (!first_item_) out_ += '\n';
      out_ += list_ == ListKind::bullet ? std::string("- ") : std::to_string(number_++) + ". ";
      out_ += render_inline(item_, mode_);
    }
    first_item_ = false;
    in_item_ = false;
    item_.clear();
  }

  void end_list() {
    end_item();
    if (list_ != ListKind::none && mode_ == Mode::html) {
      out_ += list_ == ListKind::bullet ? "</ul>" : "</ol>";
    }
    list_ = ListKind::none;
    blank_in_list_ = false;
  }

  Mode mode_;
  std::string out_;
  std::string paragraph_;
  ListKind list_ = ListKind::none;
  bool in_item_ = false;
  bool first_item_ = true;
  bool blank_in_list_ = false;
  std::string item_;
  long number_ = 1;
};

}  // namespace

std::string markdown_to_html(std::string_view markdown) {
  return BlockRenderer(Mode::html).render(valid_utf8(markdown));
}

std::string markdown_to_plain(std::string_view markdown) {
  return BlockRenderer(Mode::plain).render(valid_utf8(markdown));
}

}  // namespace reflexbot::core
