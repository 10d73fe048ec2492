// The chat digest (render_digest, core/digest.hpp): the digest view's pieces laid out as
// sections of notices, and the notices packed below the event size limit.

#include <algorithm>
#include <optional>
#include <vector>

#include "core/digest.hpp"
#include "core/digest_view.hpp"

namespace reflexbot::core {
namespace {

// Bytes of an event that are not our content: sender, ids, hashes, signatures, unsigned.
constexpr std::size_t kEnvelopeBytes = 4096;
// The content's own keys ({"msgtype":"m.notice","body":"","format":…,"m.mentions":{}}) and the
// title's "Teil i/n" added after packing.
constexpr std::size_t kContentOverhead = 256;

// A block of the rendered digest: text lines and HTML, kept together when splitting.
struct Block {
  std::string text;
  std::string html;
};

// A section: heading and entries; an ordered list is numbered across parts, from `offset` + 1
// (a complete digest numbers its sections on from the one before: numbered_groups()).
struct Section {
  std::string heading;
  bool ordered = false;
  bool list = true;
  std::vector<Block> entries;
  std::size_t offset = 0;
};

Block paragraph(std::string_view text) {
  return Block{std::string(text), "<p>" + html_escape(text) + "</p>"};
}

Block paragraph(const Notice& notice) { return Block{notice.text, "<p>" + notice.html + "</p>"}; }

// A group's quotes below its entry, each on a line of its own: `first`; in a complete digest then
// every other member of the period too, by time (up to kCompleteQuotes in all, the rest
// counted), so that a moderator sees what the group holds.
void append_quotes(Block& block, const DigestView& view, const DigestGroup& group,
                   std::vector<std::size_t> shown) {
  std::size_t more = 0;
  if (view.digest().request.complete) {
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < static_cast<std::size_t>(group.current); ++i) {
      const std::size_t member = group.members[i];
      if (std::find(shown.begin(), shown.end(), member) == shown.end()) rest.push_back(member);
    }
    std::sort(rest.begin(), rest.end(), [&](std::size_t a, std::size_t b) {
      return view.items()[a].written_at < view.items()[b].written_at;
    });
    for (const std::size_t member : rest) {
      if (shown.size() < kCompleteQuotes) {
        shown.push_back(member);
      } else {
        ++more;
      }
    }
  }
  for (const std::size_t item : shown) {
    const Notice quote = view.quote(item);
    block.text += "\n   " + quote.text;
    block.html += "<br>" + quote.html;
  }
  if (more > 0) {
    const Notice rest = fill(view.texts().more_quotes, {plain("n", std::to_string(more))});
    block.text += "\n   " + rest.text;
    block.html += "<br>" + rest.html;
  }
}

// "Mehrfach genannt": per group its title and mark, its line with its signals and its quotes.
// When every group listed is new, the heading says so once instead of every line.
std::optional<Section> lessons_section(const DigestView& view) {
  const DigestTexts& t = view.texts();
  const Digest& digest = view.digest();
  if (digest.lessons.empty()) return std::nullopt;
  Section lessons{std::string(t.heading_lessons), true, true, {}};
  const bool all_new = digest.lessons.size() >= 2 &&
                       !view.mark(digest.groups[digest.lessons.front()]).empty() &&
                       std::all_of(digest.lessons.begin(), digest.lessons.end(),
                                   [&](std::uint32_t id) { return digest.groups[id].is_new(); });
  if (all_new) lessons.heading += " (" + std::string(t.all_new) + ")";
  for (const std::uint32_t id : digest.lessons) {
    const DigestGroup& group = digest.groups[id];
    const std::string mark = all_new ? std::string() : view.mark(group);
    const std::string title = view.group_title(group, group.members.front());
    Block block;
    block.text = title + (mark.empty() ? "" : " (" + mark + ")");
    block.html = "<strong>" + html_escape(title) + "</strong>" +
                 (mark.empty() ? "" : " <em>" + html_escape(mark) + "</em>");
    const std::string line = view.group_line(group, view.signals(group));
    block.text += "\n   " + line;
    block.html += "<br>" + html_escape(line);
    append_quotes(block, view, group, group.quotes);
    lessons.entries.push_back(std::move(block));
  }
  return lessons;
}

// A single contribution: its quote, below the name a moderator gave it (no line: it is one
// contribution, its city is in the quote).
Block single_entry(const DigestView& view, const DigestGroup& group, const Notice& quote) {
  if (group.shown_as_quote()) return Block{quote.text, quote.html};
  const std::string title = view.group_title(group);
  return Block{title + "\n   " + quote.text,
               "<strong>" + html_escape(title) + "</strong><br>" + quote.html};
}

// "Was gut lief" and friends: a single contribution as its quote, a group with its title and
// line (its other signals; how many carry the section's tags if not all) above the quote; none
// without groups.
std::optional<Section> tagged_section(const DigestView& view, std::string_view heading,
                                      const std::vector<std::uint32_t>& ids,
                                      const std::set<std::string, std::less<>>& tags) {
  if (ids.empty()) return std::nullopt;
  Section section{std::string(heading), false, true, {}};
  for (const std::uint32_t id : ids) {
    const DigestGroup& group = view.digest().groups[id];
    const std::size_t quote_index = section_quote(group, view.items(), tags);
    const Notice quote = view.quote(quote_index);
    if (group.current == 1) {
      section.entries.push_back(single_entry(view, group, quote));
      continue;
    }
    const std::string title = view.group_title(group, quote_index);
    std::string extra = view.signals(group, &tags);
    const std::string note = view.tagged_note(group, tags);
    if (!note.empty()) extra += (extra.empty() ? "" : " · ") + note;
    const std::string line = view.group_line(group, extra);
    Block block{title + ": " + line,
                "<strong>" + html_escape(title) + "</strong>: " + html_escape(line)};
    append_quotes(block, view, group, {quote_index});
    section.entries.push_back(std::move(block));
  }
  return section;
}

// A complete digest's untagged single contributions, as quotes (below the name a moderator gave
// one).
std::optional<Section> singles_section(const DigestView& view) {
  const Digest& digest = view.digest();
  if (digest.singles.empty()) return std::nullopt;
  Section section{std::string(view.texts().heading_singles), false, true, {}};
  for (const std::uint32_t id : digest.singles) {
    const DigestGroup& group = digest.groups[id];
    section.entries.push_back(single_entry(view, group, view.quote(group.members.front())));
  }
  return section;
}

// Open actions, overdue first: the short digest lists as many as it lists groups and counts
// the rest (!lehren has them all); a complete digest lists every one. None without any.
std::optional<Section> actions_section(const DigestView& view) {
  const Digest& digest = view.digest();
  if (digest.open_actions.empty()) return std::nullopt;
  Section actions{std::string(view.texts().heading_actions), false, true, {}};
  const std::size_t shown = digest.request.complete
                                ? digest.open_actions.size()
                                : std::min(digest.open_actions.size(), digest.request.top);
  for (std::size_t i = 0; i < shown; ++i) {
    const Notice entry = view.action(digest.open_actions[i]);
    actions.entries.push_back(Block{entry.text, entry.html});
  }
  if (shown < digest.open_actions.size()) {
    const std::string more = fill(view.texts().more_actions,
                                  {plain("n", std::to_string(digest.open_actions.size() - shown))})
                                 .text;
    actions.entries.push_back(Block{more, html_escape(more)});
  }
  return actions;
}

// Contributions per phase (only if some came in a round) and per topic; none without either.
std::optional<Section> numbers_section(const DigestView& view) {
  const Digest& digest = view.digest();
  Section numbers{std::string(view.texts().heading_numbers), false, false, {}};
  const bool rounds = std::any_of(digest.per_phase.begin(), digest.per_phase.end(),
                                  [](const PhaseCount& phase) { return !phase.phase.empty(); });
  if (rounds) numbers.entries.push_back(paragraph(view.phase_line()));
  if (!digest.per_topic.empty()) numbers.entries.push_back(paragraph(view.topic_line()));
  if (numbers.entries.empty()) return std::nullopt;
  return numbers;
}

// The sections of a digest with contributions, in order: the numbered groups, the tagged
// sections, a complete digest's single contributions, the open actions and the numbers.
std::vector<Section> sections_of(const DigestView& view) {
  const DigestTexts& t = view.texts();
  const Digest& digest = view.digest();
  std::vector<Section> sections;
  std::size_t numbered = 0;
  for (auto section :
       {lessons_section(view),
        tagged_section(view, t.heading_marked_lessons, digest.marked_lessons, kLessonTags),
        tagged_section(view, t.heading_went_well, digest.went_well, kWentWellTags),
        tagged_section(view, t.heading_was_hard, digest.was_hard, kWasHardTags),
        tagged_section(view, t.heading_ideas, digest.ideas, kIdeaTags), singles_section(view)}) {
    if (!section) continue;
    // A complete digest numbers every entry on from the groups above it.
    if (section->ordered || digest.request.complete) {
      section->ordered = true;
      section->offset = numbered;
      numbered += section->entries.size();
    }
    sections.push_back(std::move(*section));
  }
  return sections;
}

std::string list_open(const Section& section, std::size_t first) {
  if (!section.list) return "";
  if (!section.ordered) return "<ul>";
  const std::size_t start = section.offset + first;
  return start == 0 ? std::string("<ol>") : "<ol start=\"" + std::to_string(start + 1) + "\">";
}

std::string list_close(const Section& section) {
  return !section.list ? "" : (section.ordered ? "</ol>" : "</ul>");
}

// Entry `n` of the section as a list item ("3. …" or "– …"), or as it is outside a list.
Block list_entry(const Section& section, std::size_t n) {
  const Block& entry = section.entries[n];
  if (!section.list) return entry;
  return Block{
      (section.ordered ? std::to_string(section.offset + n + 1) + ". " : "– ") + entry.text,
      "<li>" + entry.html + "</li>"};
}

// Packs blocks into parts of at most `budget` bytes (text and HTML JSON-escaped). A section that
// continues in the next part repeats its heading; an ordered list continues its numbering
// (<ol start>).
class Packer {
 public:
  explicit Packer(std::size_t budget) : budget_(budget), parts_(1) {}

  void add(const Block& block) { append(parts_.back(), block.text, block.html); }

  void add(const Section& section) {
    std::size_t next = 0;
    while (next < section.entries.size()) {
      const std::size_t first = next;
      next = fill_part(section, first);
      // Nothing fitted into this part, or the section goes on: start a new one.
      if (next == first || next < section.entries.size()) parts_.emplace_back();
    }
  }

  // A paragraph after a blank line, in the last part if it fits, else in a new one.
  void add_paragraph(const Block& paragraph) {
    if (fits(parts_.back(), paragraph.text, paragraph.html)) {
      append(parts_.back(), "\n" + paragraph.text, paragraph.html);
    } else {
      parts_.push_back(paragraph);
    }
  }

  const std::vector<Block>& parts() const { return parts_; }

 private:
  bool fits(const Block& part, const std::string& text, const std::string& html) const {
    return json_escaped_size(part.text) + json_escaped_size(part.html) + json_escaped_size(text) +
               json_escaped_size(html) <=
           budget_;
  }

  static void append(Block& part, const std::string& text, const std::string& html) {
    if (!part.text.empty()) part.text += "\n";
    part.text += text;
    part.html += html;
  }

  // Adds the section's entries from `first` to the last part, as many as fit (one at least if
  // the part is empty), under the section's heading. Returns the next entry: `first` if none fit.
  std::size_t fill_part(const Section& section, std::size_t first) {
    Block& part = parts_.back();
    const std::string text = "\n" + section.heading;
    const std::string html = "<h4>" + html_escape(section.heading) + "</h4>";
    const std::string open = list_open(section, first);
    const std::string close = list_close(section);
    std::string list_text;
    std::string list_html;
    std::size_t next = first;
    for (; next < section.entries.size(); ++next) {
      const Block entry = list_entry(section, next);
      const bool fit = fits(part, text + list_text + "\n" + entry.text,
                            html + open + list_html + entry.html + close);
      if (!fit && (next > first || !part.text.empty())) break;
      list_text += "\n" + entry.text;
      list_html += entry.html;
    }
    if (next > first) {
      append(part, (part.text.empty() ? text.substr(1) : text) + list_text,
             html + open + list_html + close);
    }
    return next;
  }

  std::size_t budget_;
  std::vector<Block> parts_;
};

// The parts as notices, each under the digest's title and period ("Teil i/n" if split).
std::vector<Notice> titled(const DigestView& view, const std::vector<Block>& parts) {
  std::string title = view.title() + " · " + view.period();
  const DigestRequest& request = view.digest().request;
  if (!request.label.empty()) title += " · " + request.label;
  if (request.complete) title += " · " + std::string(view.texts().complete);
  std::vector<Notice> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string heading = title;
    if (parts.size() > 1) {
      heading += " · " + fill(view.texts().part, {plain("i", std::to_string(i + 1)),
                                                  plain("n", std::to_string(parts.size()))})
                             .text;
    }
    out.push_back(Notice{heading + "\n" + parts[i].text,
                         "<h3>" + html_escape(heading) + "</h3>" + parts[i].html});
  }
  return out;
}

}  // namespace

std::size_t json_escaped_size(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
      n += 2;
    } else if (u < 0x20) {
      n += 6;
    } else {
      ++n;
    }
  }
  return n;
}

std::vector<Notice> render_digest(const Digest& digest, std::span<const DigestItem> items,
                                  std::size_t max_event_bytes) {
  const DigestView view(digest, items);
  const std::size_t budget = max_event_bytes > kEnvelopeBytes + kContentOverhead + 1024
                                 ? max_event_bytes - kEnvelopeBytes - kContentOverhead
                                 : 1024;
  Packer packer(budget);
  packer.add(paragraph(view.overview()));
  // Nothing collected: that line (with the open lessons counted) is the digest.
  if (digest.contributions == 0) return titled(view, packer.parts());
  for (const Section& section : sections_of(view)) packer.add(section);
  // What no section lists: counted, and where to see it (this digest complete, or the export).
  if (std::string hidden = view.not_shown(); !hidden.empty()) {
    const DigestTexts& t = view.texts();
    if (digest.request.complete) {
      hidden += " " + std::string(t.too_many);
    } else if (!digest.request.label.empty()) {
      hidden += " " + fill(t.show_all, {plain("label", digest.request.label)}).text;
    }
    packer.add_paragraph(paragraph(hidden));
  }
  if (const auto actions = actions_section(view)) packer.add(*actions);
  if (const auto numbers = numbers_section(view)) packer.add(*numbers);
  if (!numbered_groups(digest).empty()) {
    const DigestTexts& t = view.texts();
    const std::string footer =
        digest.request.label.empty()
            ? std::string(t.footer)
            : fill(t.footer_label, {plain("label", digest.request.label)}).text;
    packer.add_paragraph(Block{footer, "<p><em>" + html_escape(footer) + "</em></p>"});
  }
  return titled(view, packer.parts());
}

}  // namespace reflexbot::core
