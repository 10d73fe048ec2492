// The digest's presentation (core/digest_view.hpp) and its quotes: a quote names no one, so
// Matrix ids, mentions, room names, e-mail addresses and links are cut out here, for the chat
// digest and every export alike.

#include "core/digest_view.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "core/analyzer.hpp"
#include "core/text.hpp"

namespace reflexbot::core {

namespace {

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Bytes of the character that begins at `i` if it ends an identifier or a link: white space,
// ASCII brackets, quotes and separators, and Unicode quotes, dashes and other general
// punctuation (U+2000–U+206F, « » and the no-break space); 0 if it can be part of one.
std::size_t delimiter_at(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) {
    return is_space(text[i]) || c < 0x20 || c == 0x7F ||
                   std::string_view("\"`()<>[]{},;!?|\\").find(text[i]) != std::string_view::npos
               ? 1
               : 0;
  }
  if (c == 0xC2 && i + 1 < text.size()) {
    const auto next = static_cast<unsigned char>(text[i + 1]);
    return next == 0xA0 || next == 0xAB || next == 0xBB ? 2 : 0;
  }
  if (c == 0xE2 && i + 2 < text.size()) {
    const auto next = static_cast<unsigned char>(text[i + 1]);
    return next == 0x80 || (next == 0x81 && static_cast<unsigned char>(text[i + 2]) <= 0xAF) ? 3
                                                                                             : 0;
  }
  return 0;
}

bool starts_with_ci(std::string_view text, std::size_t i, std::string_view prefix) {
  if (text.size() - i < prefix.size()) return false;
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    char c = text[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[k]) return false;
  }
  return true;
}

// The end of an identifier or link that goes on from `i`: the next delimiter, with a final
// '.' or ':' (the sentence's, not the name's) left as text.
std::size_t token_end(std::string_view text, std::size_t i) {
  while (i < text.size() && delimiter_at(text, i) == 0) ++i;
  return i;
}

std::size_t trim_end(std::string_view text, std::size_t begin, std::size_t end) {
  while (end > begin + 1 && (text[end - 1] == '.' || text[end - 1] == ':')) --end;
  return end;
}

// The end of a link starting at `i` ("https://…", "ftp://…", "www.…", "matrix.to/…",
// "matrix:u/…"), or `i` if none starts there. A link runs to white space, a bracket or a quote.
std::size_t link_end(std::string_view text, std::size_t i) {
  std::size_t scheme = i;
  while (scheme < text.size() && (is_ascii_alnum(text[scheme]) || text[scheme] == '+' ||
                                  text[scheme] == '-' || text[scheme] == '.')) {
    ++scheme;
  }
  const bool link = (scheme > i && text.substr(scheme, 3) == "://") ||
                    starts_with_ci(text, i, "www.") || starts_with_ci(text, i, "matrix.to/") ||
                    starts_with_ci(text, i, "matrix:u/") || starts_with_ci(text, i, "matrix:r/") ||
                    starts_with_ci(text, i, "matrix:roomid/");
  if (!link) return i;
  std::size_t end = token_end(text, i);
  // ')' of "(https://…)" is left as text; a link rarely ends in one.
  while (end > i && text[end - 1] == ')') --end;
  return trim_end(text, i, end);
}

// The end of a room id or alias starting at `i` ("!abc:server", "#name:server"), or `i`. A hashtag
// has no ":server" and is none.
std::size_t room_end(std::string_view text, std::size_t i) {
  if (text[i] != '#' && text[i] != '!') return i;
  std::size_t colon = i + 1;
  while (colon < text.size() && text[colon] != ':' && delimiter_at(text, colon) == 0) ++colon;
  if (colon == i + 1 || colon + 1 >= text.size() || text[colon] != ':') return i;
  if (!is_ascii_alnum(text[colon + 1]) && text[colon + 1] != '[') return i;
  return trim_end(text, i, token_end(text, colon + 1));
}

// Where the identifier holding the '@' at `at` begins and ends: a Matrix user id or mention
// ("@anna:example.org", "@anna") or an e-mail address ("anna@example.org", local part included).
// nullopt for a lone '@'.
std::optional<std::pair<std::size_t, std::size_t>> at_span(std::string_view text, std::size_t at,
                                                           std::size_t floor) {
  std::size_t begin = at;
  while (begin > floor) {
    std::size_t previous = begin - 1;
    while (previous > floor && (static_cast<unsigned char>(text[previous]) & 0xC0) == 0x80) {
      --previous;
    }
    if (delimiter_at(text, previous) != 0 || text[previous] == ':' || text[previous] == '/' ||
        text[previous] == '=' || text[previous] == '*') {
      break;
    }
    begin = previous;
  }
  const std::size_t end = token_end(text, at + 1);
  if (end == at + 1 && begin == at) return std::nullopt;
  return std::pair{begin, trim_end(text, at, end)};
}

// The parts of `body` that could name a person or lead to one: Matrix user ids and mentions,
// room ids and aliases, e-mail addresses and links, wherever they start (after a quote, a
// bracket or a colon too). Sorted, not overlapping.
std::vector<std::pair<std::size_t, std::size_t>> hidden_spans(std::string_view body) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t floor = 0;  // the end of the last span
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '@') {
      if (const auto span = at_span(body, i, floor)) {
        spans.push_back(*span);
        floor = span->second;
        i = floor - 1;
      }
      continue;
    }
    // Links and room names begin after a non-letter; "xhttps://" is caught at its 'x'.
    if (i > floor && is_ascii_alnum(body[i - 1])) continue;
    std::size_t end = link_end(body, i);
    if (end == i) end = room_end(body, i);
    if (end > i) {
      spans.emplace_back(i, end);
      floor = end;
      i = end - 1;
    }
  }
  return spans;
}

// A word of a quote around a possible hashtag: "(#problem)." is an opener, the tag "#problem",
// a closer and a full stop.
struct QuoteWord {
  std::string_view text;
  std::size_t lead = 0;   // bytes of openers before the core
  std::size_t trail = 0;  // bytes of closers and punctuation after it
  bool tag = false;       // the core is a hashtag
  bool opens_bracket = false;
  bool closes_bracket = false;
  std::string carry;  // the punctuation after the last closer (a sentence's, not the tag's)
};

constexpr std::array<std::string_view, 11> kOpeners = {"(", "[", "{", "\"", "'", "„",
                                                       "“", "‚", "‘", "«",  "»"};
constexpr std::array<std::string_view, 11> kClosers = {")", "]", "}", "\"", "'", "“",
                                                       "”", "‘", "’", "«",  "»"};
constexpr std::array<std::string_view, 7> kPunctuation = {".", ",", ";", ":", "!", "?", "…"};

template <std::size_t N>
std::size_t prefix_in(std::string_view text, const std::array<std::string_view, N>& set) {
  for (const std::string_view s : set) {
    if (text.starts_with(s)) return s.size();
  }
  return 0;
}

template <std::size_t N>
std::size_t suffix_in(std::string_view text, const std::array<std::string_view, N>& set) {
  for (const std::string_view s : set) {
    if (text.ends_with(s)) return s.size();
  }
  return 0;
}

// "#problem", "#Maßnahme", "#lehre#idee": '#', a letter, then letters, digits, '_' or '-'.
bool is_hashtag(std::string_view core) {
  if (core.size() < 2 || core[0] != '#') return false;
  const auto second = static_cast<unsigned char>(core[1]);
  if (!(is_ascii_alnum(core[1]) && !(core[1] >= '0' && core[1] <= '9')) && second < 0xC0) {
    return false;
  }
  return std::all_of(core.begin() + 1, core.end(), [](char c) {
    return is_ascii_alnum(c) || c == '_' || c == '-' || c == '#' ||
           static_cast<unsigned char>(c) >= 0x80;
  });
}

QuoteWord quote_word(std::string_view text) {
  QuoteWord word;
  word.text = text;
  std::string_view rest = text;
  for (std::size_t n = prefix_in(rest, kOpeners); n > 0; n = prefix_in(rest, kOpeners)) {
    word.opens_bracket = word.opens_bracket || rest[0] == '(' || rest[0] == '[';
    word.lead += n;
    rest.remove_prefix(n);
  }
  bool closer_seen = false;
  while (!rest.empty()) {
    if (const std::size_t n = suffix_in(rest, kPunctuation); n > 0) {
      if (!closer_seen) word.carry.insert(0, rest.substr(rest.size() - n));
      word.trail += n;
      rest.remove_suffix(n);
    } else if (const std::size_t c = suffix_in(rest, kClosers); c > 0) {
      closer_seen = true;
      word.closes_bracket = word.closes_bracket || rest.back() == ')' || rest.back() == ']';
      word.trail += c;
      rest.remove_suffix(c);
    } else {
      break;
    }
  }
  word.tag = is_hashtag(rest);
  return word;
}

bool is_dash(std::string_view word) {
  return word == "-" || word == "–" || word == "—" || word == ":" || word == "|" || word == "/";
}

// `text` (one line, single spaces) without its hashtags: a run of tags at the start or the end,
// of two tags or more, or in brackets goes with its punctuation (a full stop or comma after it
// stays with the word before); a single tag inside a sentence is a word and loses only its '#'.
// The text as it is if nothing but tags is left.
std::string without_hashtags(const std::string& text) {
  std::vector<QuoteWord> words;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find(' ', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) words.push_back(quote_word(std::string_view(text).substr(begin, end - begin)));
    begin = end + 1;
  }
  std::vector<std::string> kept;
  bool dropped_start = false;
  for (std::size_t i = 0; i < words.size();) {
    if (!words[i].tag) {
      if (!(dropped_start && kept.empty() && is_dash(words[i].text))) {
        kept.emplace_back(words[i].text);
      }
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < words.size() && words[j].tag) ++j;
    const bool at_start = kept.empty();
    const bool at_end = j == words.size();
    const bool bracketed = words[i].opens_bracket && words[j - 1].closes_bracket;
    if (at_start || at_end || j - i >= 2 || bracketed) {
      if (at_start) dropped_start = true;
      if (at_end) {
        while (!kept.empty() && is_dash(kept.back())) kept.pop_back();
      }
      // A sentence's punctuation after the tags goes to the word before them.
      const std::string& carry = words[j - 1].carry;
      if (!kept.empty() && !carry.empty() && suffix_in(kept.back(), kPunctuation) == 0) {
        kept.back() += carry;
      }
    } else {
      const QuoteWord& word = words[i];
      std::string plain(word.text.substr(0, word.lead));
      plain += word.text.substr(word.lead + 1);
      kept.push_back(std::move(plain));
    }
    i = j;
  }
  if (kept.empty()) return text;
  std::string out;
  for (const auto& word : kept) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace

std::string typed_name(std::string_view typed, std::size_t max_bytes) {
  // Quotation marks around the whole name ("„Sirenen und Lautsprecher“"; the answers and digests
  // quote it themselves): a matching pair, and neither mark inside ('"Masken" und "Kittel"'
  // stays).
  constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kQuotePairs = {
      {{"\"", "\""},
       {"'", "'"},
       {"„", "“"},
       {"„", "”"},
       {"“", "”"},
       {"‚", "‘"},
       {"‘", "’"},
       {"»", "«"},
       {"«", "»"}}};
  std::string_view name = typed;
  name.remove_prefix(std::min(name.find_first_not_of(' '), name.size()));
  name.remove_suffix(name.size() - std::min(name.find_last_not_of(' ') + 1, name.size()));
  for (const auto& [open, close] : kQuotePairs) {
    if (name.size() <= open.size() + close.size() || !name.starts_with(open) ||
        !name.ends_with(close)) {
      continue;
    }
    const std::string_view inner =
        name.substr(open.size(), name.size() - open.size() - close.size());
    if (inner.find(open) == std::string_view::npos && inner.find(close) == std::string_view::npos) {
      name = inner;
      break;
    }
  }
  // Hashtags: the '#' goes, the word stays ("#Masken zentral lagern"); a room alias
  // ("#raum:server") is no tag, quote_text() leaves it out. The token is looked at only where a
  // '#' starts one (a long name without spaces stays linear).
  std::string words;
  bool leading_tag = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto is_tag = [&] {
      if (name[i] != '#' || (i > 0 && name[i - 1] != ' ') || i + 1 >= name.size() ||
          name[i + 1] == ' ' || name[i + 1] == '#') {
        return false;
      }
      const std::size_t token_end = std::min(name.find(' ', i), name.size());
      return name.substr(i, token_end - i).find(':') == std::string_view::npos;
    };
    if (!is_tag()) {
      words += name[i];
    } else if (words.find_first_not_of(' ') == std::string::npos) {
      leading_tag = true;
    }
  }
  std::string title = quote_text(words, max_bytes);
  if (leading_tag) title = upper_first(title);
  bool readable = false;
  for (std::size_t i = 0; i < title.size() && !readable; ++i) readable = letter_at(title, i) > 0;
  if (!readable) title.clear();
  return title;
}

std::string quote_text(std::string_view body, std::size_t max_bytes) {
  const auto spans = hidden_spans(body);
  auto next_span = spans.begin();
  std::string out;
  bool space = false;
  std::size_t i = 0;
  std::size_t last_end = std::string_view::npos;
  while (i < body.size()) {
    if (next_span != spans.end() && i >= next_span->first) {
      if (space) out += ' ';
      // Spans that touch ("#raum:x.org@anna") become one "…".
      if (space || last_end != next_span->first) out += "…";
      space = false;
      i = last_end = next_span->second;
      ++next_span;
      continue;
    }
    const char c = body[i];
    if (is_space(c)) {
      space = !out.empty();
      ++i;
      continue;
    }
    if (is_bidi_control(body, i)) {
      i += 3;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      ++i;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    ++i;
  }
  out = without_hashtags(out);
  if (out.size() <= max_bytes) return out;
  std::string_view cut = truncate_utf8(out, max_bytes > 4 ? max_bytes - 4 : max_bytes);
  const auto last_space = cut.rfind(' ');
  if (last_space != std::string_view::npos && last_space > cut.size() / 2) {
    cut = cut.substr(0, last_space);
  }
  return std::string(cut) + " …";
}
std::chrono::year_month_day local_day(TimePoint time, const TimeZone& zone) {
  const auto local = zone.to_local(std::chrono::floor<std::chrono::seconds>(time));
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(local)};
}

std::string shown_date(std::chrono::year_month_day date, Language language) {
  return language == Language::de ? german_date(date) : iso_date(date);
}

bool has_any(const DigestItem& item, const std::set<std::string, std::less<>>& tags) {
  // The sets have two entries or so and most items one tag: compare, no tree walk.
  for (const std::string& tag : item.tags) {
    for (const std::string& wanted : tags) {
      if (tag == wanted) return true;
    }
  }
  return false;
}

std::size_t section_quote(const DigestGroup& group, std::span<const DigestItem> items,
                          const std::set<std::string, std::less<>>& tags) {
  std::size_t best = group.quotes.empty() ? group.members.front() : group.quotes.front();
  int best_votes = -1;
  for (const std::size_t index : group.members) {
    if (!items[index].current || !has_any(items[index], tags)) continue;
    if (items[index].votes > best_votes) {
      best = index;
      best_votes = items[index].votes;
    }
  }
  return best;
}

std::string tag_label(const std::string& key, const TagVocabulary& vocabulary, Language language) {
  const Tag* tag = vocabulary.find(key);
  if (tag == nullptr) return "#" + key;
  const std::string& label = tag->label.in(language);
  return label.empty() ? "#" + key : label;
}

DigestView::DigestView(const Digest& digest, std::span<const DigestItem> items)
    : digest_(digest),
      items_(items),
      t_(core::texts(digest.request.language).digest),
      vocabulary_(digest.request.tag_vocabulary()) {}

std::string DigestView::title() const {
  const std::string& scope = digest_.request.scope;
  return scope.empty() ? std::string(t_.title_network)
                       : fill(t_.title_room, {plain("scope", scope)}).text;
}

std::chrono::year_month_day DigestView::first_day() const {
  return local_day(digest_.request.from, digest_.request.zone);
}

std::chrono::year_month_day DigestView::last_day() const {
  return local_day(digest_.request.to - std::chrono::milliseconds(1), digest_.request.zone);
}

std::chrono::year_month_day DigestView::today() const {
  return local_day(digest_.request.now, digest_.request.zone);
}

std::string DigestView::period() const {
  return fill(t_.period, {plain("from", date(first_day())), plain("to", date(last_day()))}).text;
}

Notice DigestView::overview() const {
  if (digest_.contributions == 0) {
    Notice nothing{std::string(t_.nothing), html_escape(t_.nothing)};
    const auto& open = digest_.open_actions;
    if (open.empty()) return nothing;
    const auto overdue = std::count_if(open.begin(), open.end(),
                                       [&](const Lesson& l) { return is_overdue(l, today()); });
    const Notice count = fill(
        t_.open_lessons,
        {plain("lessons",
               count_text(static_cast<int>(open.size()), t_.lessons_one, t_.lessons_many)),
         plain("overdue",
               overdue == 0 ? std::string()
                            : fill(t_.open_overdue, {plain("n", std::to_string(overdue))}).text)});
    return Notice{nothing.text + " " + count.text, nothing.html + " " + count.html};
  }
  const auto part = [](std::string_view pattern, std::vector<Arg> args) {
    return fill(pattern, args).text;
  };
  return fill(t_.overview,
              {plain("counts", counts(digest_.contributions, digest_.anonymous,
                                      digest_.participants, digest_.from_network_room)),
               plain("cities",
                     digest_.cities.empty()
                         ? std::string()
                         : part(t_.overview_cities,
                                {plain("cities", count_text(static_cast<int>(digest_.cities.size()),
                                                            t_.cities_one, t_.cities_many)),
                                 plain("list", join_list(digest_.cities, t_.list_and))}))});
}

std::string DigestView::counts(int contributions, int anonymous, int people,
                               int from_network_room) const {
  std::vector<std::string> details;
  const bool all_anonymous = anonymous > 0 && anonymous == contributions;
  if (all_anonymous) {
    details.emplace_back(t_.anonymous_all);
  } else if (anonymous > 0) {
    details.push_back(fill(t_.anonymous_some, {plain("n", std::to_string(anonymous))}).text);
  }
  if (from_network_room > 0) {
    details.push_back(
        fill(t_.from_network_room, {plain("n", std::to_string(from_network_room))}).text);
  }
  std::string out = count_text(contributions, t_.contributions_one, t_.contributions_many);
  if (!details.empty()) {
    out += fill(all_anonymous ? t_.overview_details_all : t_.overview_details,
                {plain("list", join_list(details, ", "))})
               .text;
  }
  // Anonymous contributions have no author: only known authors are people.
  if (people > 0) {
    out += fill(t_.overview_people,
                {plain("people", count_text(people, t_.people_one, t_.people_many))})
               .text;
  }
  return out;
}

std::string DigestView::group_title(const DigestGroup& group, std::size_t fallback_item) const {
  // One contribution is titled by its own words (two of its nouns read oddly: "Bürgertelefon und
  // Leute"), unless a moderator named it.
  std::string title =
      group.members.size() == 1 && !group.named_by_moderator ? std::string() : group.title();
  if (title.empty()) title = quote_text(items_[fallback_item].body, 60);
  return title;
}

std::string DigestView::group_title(const DigestGroup& group) const {
  if (group.members.empty()) return group.title();
  return group_title(group, group.members.front());
}

std::string DigestView::group_line(const DigestGroup& group, std::string_view extra) const {
  std::vector<std::string> parts;
  if (shows_places()) parts.push_back(join_list(group.cities, t_.list_and));
  parts.push_back(counts(group.current, group.anonymous, group.participants, 0));
  if (group.votes > 0)
    parts.push_back(fill(t_.votes, {plain("n", std::to_string(group.votes))}).text);
  if (!extra.empty()) parts.emplace_back(extra);
  std::string line;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (!line.empty()) line += " · ";
    line += part;
  }
  return line;
}

std::string DigestView::mark(const DigestGroup& group) const {
  if (digest_.previous_contributions == 0) return {};
  if (group.growing()) {
    return fill(t_.mark_growing, {plain("n", std::to_string(group.previous))}).text;
  }
  if (group.is_new()) return std::string(t_.mark_new);
  return {};
}

std::string DigestView::signals(const DigestGroup& group,
                                const std::set<std::string, std::less<>>* except) const {
  // In the order a reader weighs them: a lesson, what went well, what was hard, ideas.
  static constexpr std::array<std::string_view, 6> kSignals = {"lehre",   "erfolg", "stolz",
                                                               "problem", "frust",  "idee"};
  std::array<int, kSignals.size()> counts{};
  for (const std::size_t index : group.members) {
    const DigestItem& item = items_[index];
    if (!item.current) continue;
    for (const std::string& tag : item.tags) {
      for (std::size_t k = 0; k < kSignals.size(); ++k) counts[k] += tag == kSignals[k] ? 1 : 0;
    }
  }
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < kSignals.size(); ++k) {
    if (counts[k] == 0 || (except != nullptr && except->contains(kSignals[k]))) continue;
    parts.push_back(fill(t_.signal, {plain("n", std::to_string(counts[k])),
                                     plain("tag", tag_label(std::string(kSignals[k])))})
                        .text);
  }
  return join_list(parts, ", ");
}

bool DigestView::shows_places() const {
  return digest_.cities.size() + (digest_.from_network_room > 0 ? 1 : 0) > 1;
}

std::string DigestView::not_shown() const {
  std::vector<std::string> parts;
  if (digest_.more_groups > 0) {
    parts.push_back(count_text(digest_.more_groups, t_.more_groups_one, t_.more_groups_many));
  }
  if (digest_.more_singles > 0) {
    parts.push_back(count_text(digest_.more_singles, t_.more_singles_one, t_.more_singles_many));
  }
  if (parts.empty()) return {};
  return fill(t_.not_shown, {plain("list", join_list(parts, t_.list_and))}).text;
}

int DigestView::tagged_members(const DigestGroup& group,
                               const std::set<std::string, std::less<>>& tags) const {
  int tagged = 0;
  for (const std::size_t index : group.members) {
    if (items_[index].current && has_any(items_[index], tags)) ++tagged;
  }
  return tagged;
}

std::string DigestView::tagged_note(const DigestGroup& group,
                                    const std::set<std::string, std::less<>>& tags) const {
  const int tagged = tagged_members(group, tags);
  if (tagged >= group.current) return {};
  // "1 davon als Problem oder Frust markiert": which of the section's tags they carry.
  std::vector<std::string> names;
  for (const auto& tag : tags) names.push_back(tag_label(tag));
  return fill(t_.tagged,
              {plain("n", std::to_string(tagged)), plain("tags", join_list(names, t_.list_or))})
      .text;
}

Notice DigestView::quote(std::size_t item) const {
  const DigestItem& quoted = items_[item];
  const std::string place =
      !shows_places()        ? std::string()
      : !quoted.city.empty() ? quoted.city
                             : (quoted.network_room ? std::string(t_.network_room) : std::string());
  if (place.empty()) return fill(t_.quote_unplaced, {plain("text", quote_text(quoted.body))});
  return fill(t_.quote, {plain("text", quote_text(quoted.body)), plain("city", place)});
}

Notice DigestView::action(const Lesson& lesson) const {
  Notice entry;
  if (lesson.state == LessonState::identified) {
    entry =
        fill(t_.no_action, {plain("id", std::to_string(lesson.id)), plain("title", lesson.title)});
  } else {
    std::string due =
        lesson.due ? fill(t_.due, {plain("date", date(*lesson.due))}).text : std::string(t_.no_due);
    if (is_overdue(lesson, today())) due += " (" + std::string(t_.overdue) + ")";
    entry = fill(t_.action,
                 {plain("id", std::to_string(lesson.id)), plain("title", lesson.title),
                  plain("action", lesson.action), plain("owner", lesson.owner), plain("due", due)});
  }
  if (!lesson.cities.empty() && network()) {
    const std::string cities = " (" + join_list(lesson.cities, t_.list_and) + ")";
    entry.text += cities;
    entry.html += html_escape(cities);
  }
  return entry;
}

std::string DigestView::phase_label(const std::string& phase) const {
  return phase.empty() ? std::string(t_.no_phase) : phase;
}

std::string DigestView::tag_label(const std::string& key) const {
  return core::tag_label(key, vocabulary_, language());
}

Notice DigestView::phase_line() const {
  // "aar – „Was war geplant?“ 9, „Was ist passiert?“ 4; außerhalb von Runden 27": titles quoted
  // (they may be questions), each template's phases together, named when there are several.
  std::set<std::string> templates;
  for (const auto& entry : digest_.per_phase) {
    if (!entry.phase.empty()) templates.insert(entry.round_template);
  }
  std::vector<std::string> parts;
  std::vector<std::string> phases;
  const std::string* current = nullptr;
  const auto close = [&] {
    if (phases.empty()) return;
    const std::string list = join_list(phases, ", ");
    parts.push_back(
        templates.size() > 1 && current != nullptr
            ? fill(t_.phases_of_template, {plain("template", *current), plain("list", list)}).text
            : list);
    phases.clear();
  };
  for (const auto& entry : digest_.per_phase) {
    if (entry.phase.empty()) {
      close();
      current = nullptr;
      parts.push_back(std::string(t_.no_phase) + " " + std::to_string(entry.count));
      continue;
    }
    if (current == nullptr || *current != entry.round_template) close();
    current = &entry.round_template;
    phases.push_back(
        fill(t_.phase_count, {plain("phase", entry.phase), plain("n", std::to_string(entry.count))})
            .text);
  }
  close();
  std::string list;
  for (const auto& part : parts) list += (list.empty() ? "" : "; ") + part;
  return fill(t_.phases, {plain("list", list)});
}

Notice DigestView::topic_line() const {
  std::vector<std::string> topics;
  for (const auto& [tag, count] : digest_.per_topic) {
    topics.push_back(tag_label(tag) + " " + std::to_string(count));
  }
  return fill(t_.topics, {plain("list", join_list(topics, ", "))});
}

}  // namespace reflexbot::core
