#include "core/digest.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/grouping.hpp"
#include "core/texts.hpp"

namespace reflexbot::core {

const std::set<std::string, std::less<>> kWentWellTags = {"erfolg", "stolz"};
const std::set<std::string, std::less<>> kWasHardTags = {"problem", "frust"};
const std::set<std::string, std::less<>> kIdeaTags = {"idee"};

namespace {

// Bytes of an event that are not our content: sender, ids, hashes, signatures, unsigned.
constexpr std::size_t kEnvelopeBytes = 4096;
// The content's own keys ({"msgtype":"m.notice","body":"","format":…,"m.mentions":{}}) and the
// title's "Teil i/n" added after packing.
constexpr std::size_t kContentOverhead = 256;

bool has_any(const DigestItem& item, const std::set<std::string, std::less<>>& tags) {
  // The sets have two entries or so and most items one tag: compare, no tree walk.
  for (const std::string& tag : item.tags) {
    for (const std::string& wanted : tags) {
      if (tag == wanted) return true;
    }
  }
  return false;
}

std::string local_date(TimePoint time, const TimeZone& zone, Language language) {
  const auto local = zone.to_local(std::chrono::floor<std::chrono::seconds>(time));
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(local)};
  return language == Language::de ? german_date(date) : iso_date(date);
}

std::chrono::year_month_day local_day(TimePoint time, const TimeZone& zone) {
  const auto local = zone.to_local(std::chrono::floor<std::chrono::seconds>(time));
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(local)};
}

// Terms a group keeps as candidates for its keywords (three are shown; some candidates have no
// word of their own, e.g. a concept only a tag named, or fold to a word already taken).
constexpr std::size_t kKeywordCandidates = 16;
// Members whose words name a group (its first ones in time order).
constexpr std::size_t kNamingMembers = 200;

// Up to three keywords for a group: its candidate terms, each as the members wrote it most often.
void name_group(DigestGroup& group, std::span<const DigestItem> items) {
  TextAnalyzer analyzer;
  std::vector<TermId> scratch;
  std::size_t used = 0;
  for (const std::size_t index : group.members) {
    if (!items[index].current) continue;
    if (used++ == kNamingMembers) break;
    scratch.clear();
    analyzer.terms(items[index].body, scratch);
  }
  std::unordered_map<std::uint64_t, TermId> by_key;
  for (TermId t = 0; t < analyzer.size(); ++t) by_key.emplace(analyzer.key(t), t);
  std::set<std::string> seen_words;
  group.keywords.clear();
  for (const std::uint64_t key : group.keyword_keys) {
    if (group.keywords.size() == 3) break;
    const auto found = by_key.find(key);
    if (found == by_key.end()) continue;
    const std::string_view word = analyzer.surface(found->second);
    if (word.empty() || word.front() == '\x01' || word.front() == '\x02') continue;
    std::string folded;
    for (const char c : word) folded += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (!seen_words.insert(folded).second) continue;
    group.keywords.emplace_back(word);
  }
}

// A section entry: the group, how many of its members carry the section's tags, whom to quote.
struct SectionEntry {
  std::uint32_t group;
  int tagged;
  std::size_t quote;
};

}  // namespace

std::string DigestGroup::title() const {
  std::string out;
  for (const auto& word : keywords) {
    if (!out.empty()) out += " · ";
    out += word;
  }
  return out;
}

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

}  // namespace

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
  if (out.size() <= max_bytes) return out;
  std::string_view cut = truncate_utf8(out, max_bytes > 4 ? max_bytes - 4 : max_bytes);
  const auto last_space = cut.rfind(' ');
  if (last_space != std::string_view::npos && last_space > cut.size() / 2) {
    cut = cut.substr(0, last_space);
  }
  return std::string(cut) + " …";
}

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

namespace {

// Term keys → dense term ids: an open-addressing table of (key, id + 1), keys are hashes already.
class KeyTable {
 public:
  TermId id(std::uint64_t key, std::vector<std::uint64_t>& keys) {
    std::size_t mask = slots_.size() - 1;
    std::size_t at = mix(key) & mask;
    for (; slots_[at].id != 0; at = (at + 1) & mask) {
      if (slots_[at].key == key) return slots_[at].id - 1;
    }
    const auto term = static_cast<TermId>(keys.size());
    keys.push_back(key);
    slots_[at] = Slot{key, term + 1};
    if (keys.size() * 2 > slots_.size()) {
      std::vector<Slot> grown(slots_.size() * 2);
      mask = grown.size() - 1;
      for (const Slot& slot : slots_) {
        if (slot.id == 0) continue;
        std::size_t to = mix(slot.key) & mask;
        while (grown[to].id != 0) to = (to + 1) & mask;
        grown[to] = slot;
      }
      slots_.swap(grown);
    }
    return term;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    TermId id = 0;
  };
  static std::size_t mix(std::uint64_t key) { return static_cast<std::size_t>(key ^ (key >> 29)); }
  std::vector<Slot> slots_ = std::vector<Slot>(4096);
};

}  // namespace

DigestTerms digest_terms(std::span<const DigestItem> items, const DigestRequest& request) {
  const TagVocabulary fallback =
      request.vocabulary == nullptr ? default_vocabulary() : TagVocabulary{};
  const TagVocabulary& vocabulary = request.vocabulary == nullptr ? fallback : *request.vocabulary;
  DigestTerms out;
  // The period's items in time order (ties: event id), then the previous period's, so the
  // grouping does not depend on the store's order; the period's items form the groups.
  out.order.resize(items.size());
  std::iota(out.order.begin(), out.order.end(), std::size_t{0});
  const auto before = [&](std::size_t a, std::size_t b) {
    if (items[a].current != items[b].current) return items[a].current;
    if (items[a].written_at != items[b].written_at) {
      return items[a].written_at < items[b].written_at;
    }
    return items[a].id < items[b].id;
  };
  // The store reads them in this order already; sort only if not.
  if (!std::is_sorted(out.order.begin(), out.order.end(), before)) {
    std::sort(out.order.begin(), out.order.end(), before);
  }
  for (const DigestItem& item : items) out.leaders += item.current ? 1 : 0;

  // Terms: the stored keys (or the body analysed now), plus topic tags as strong features.
  std::unique_ptr<TextAnalyzer> analyzer;  // only for items the store did not index
  std::vector<std::uint64_t> analysed;
  KeyTable table;
  constexpr TermId kNotATopic = UINT32_MAX;
  std::unordered_map<std::string_view, TermId> features;  // per distinct tag
  out.terms.resize(items.size());
  for (std::size_t k = 0; k < out.order.size(); ++k) {
    const DigestItem& item = items[out.order[k]];
    std::span<const std::uint64_t> keys = item.term_keys;
    if (!item.indexed) {
      if (!analyzer) analyzer = std::make_unique<TextAnalyzer>();
      analysed.clear();
      analyzer->keys(item.body, analysed);
      keys = analysed;
    }
    std::vector<TermId>& terms = out.terms[k];
    terms.reserve(keys.size() + item.tags.size());
    for (const std::uint64_t key : keys) terms.push_back(table.id(key, out.keys));
    for (const auto& tag : item.tags) {
      const auto [it, fresh] = features.emplace(tag, kNotATopic);
      if (fresh) {
        const Tag* known = vocabulary.find(tag);
        if (known != nullptr && known->kind == TagKind::topic) {
          it->second = table.id(feature_key(tag), out.keys);
          if (it->second >= out.is_tag.size()) out.is_tag.resize(it->second + 1, false);
          out.is_tag[it->second] = true;
        }
      }
      if (it->second != kNotATopic) terms.push_back(it->second);
    }
  }
  // Signal tags (#problem …) cut across topics and are left out of the vectors.
  out.is_tag.resize(out.keys.size(), false);
  out.boost.assign(out.keys.size(), 1.0F);
  for (TermId t = 0; t < out.boost.size(); ++t) {
    if (out.is_tag[t]) out.boost[t] = request.topic_tag_boost;
    if (is_concept_key(out.keys[t])) out.boost[t] = request.concept_boost;
  }
  return out;
}

Digest build_digest(std::span<const DigestItem> items, std::span<const Lesson> lessons,
                    const DigestRequest& request) {
  Digest digest;
  digest.request = request;
  const TagVocabulary fallback =
      request.vocabulary == nullptr ? default_vocabulary() : TagVocabulary{};
  const TagVocabulary& vocabulary = request.vocabulary == nullptr ? fallback : *request.vocabulary;

  DigestTerms analysis = digest_terms(items, request);
  const std::vector<std::size_t>& order = analysis.order;
  const std::vector<bool>& is_tag = analysis.is_tag;
  const std::size_t term_count = analysis.keys.size();
  const auto vectors = tfidf_vectors(analysis.terms, analysis.boost, request.idf_prior);
  std::vector<std::vector<TermId>>().swap(analysis.terms);  // the vectors have them now
  const auto raw_groups = group_documents(vectors, request.grouping, analysis.leaders);

  // Collect the groups (each has a member in the period).
  std::uint32_t raw_count = 0;
  for (const auto g : raw_groups) {
    if (g != kNoGroupFound) raw_count = std::max(raw_count, g + 1);
  }
  std::vector<std::vector<std::size_t>> members(raw_count);  // positions in `order`
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (raw_groups[k] != kNoGroupFound) members[raw_groups[k]].push_back(k);
  }

  // Cities and authors as small integers: the per-group counts below are array updates, not
  // string maps. City ids are in alphabetical order (ties in a group's city list go by name).
  std::unordered_map<std::string_view, std::uint32_t> city_ids;
  std::vector<std::string_view> city_names;
  for (const DigestItem& item : items) {
    if (city_ids.emplace(item.city, 0).second) city_names.push_back(item.city);
  }
  std::sort(city_names.begin(), city_names.end());
  for (std::uint32_t c = 0; c < city_names.size(); ++c) city_ids[city_names[c]] = c;
  constexpr std::uint32_t kAnonymous = UINT32_MAX;
  std::unordered_map<std::string_view, std::uint32_t> author_ids;
  std::vector<std::uint32_t> city_of(items.size());
  std::vector<std::uint32_t> author_of(items.size(), kAnonymous);
  for (std::size_t i = 0; i < items.size(); ++i) {
    city_of[i] = city_ids[items[i].city];
    if (!items[i].author.empty()) {
      author_of[i] = author_ids.emplace(items[i].author, author_ids.size()).first->second;
    }
  }

  // Tags, looked up once per distinct tag: topics (counted) and the sections' signal tags.
  enum : std::uint8_t { kTopic = 1, kWentWell = 2, kWasHard = 4, kIdea = 8 };
  std::unordered_map<std::string_view, std::uint32_t> tag_ids;
  std::vector<std::uint8_t> tag_bits;
  std::vector<int> topic_count;
  std::vector<std::uint8_t> item_bits(items.size(), 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (const auto& tag : items[i].tags) {
      const auto [it, fresh] = tag_ids.emplace(tag, static_cast<std::uint32_t>(tag_bits.size()));
      if (fresh) {
        const Tag* known = vocabulary.find(tag);
        std::uint8_t bits = known != nullptr && known->kind == TagKind::topic ? kTopic : 0;
        if (kWentWellTags.contains(tag)) bits |= kWentWell;
        if (kWasHardTags.contains(tag)) bits |= kWasHard;
        if (kIdeaTags.contains(tag)) bits |= kIdea;
        tag_bits.push_back(bits);
        topic_count.push_back(0);
      }
      item_bits[i] |= tag_bits[it->second];
      if (items[i].current && (tag_bits[it->second] & kTopic) != 0) ++topic_count[it->second];
    }
  }

  std::vector<bool> city_seen(city_names.size(), false);
  std::vector<bool> author_seen(author_ids.size(), false);
  int anonymous = 0;
  std::vector<std::pair<std::string, int>> phases;
  for (const std::size_t index : order) {
    const DigestItem& item = items[index];
    if (!item.current) continue;
    ++digest.contributions;
    city_seen[city_of[index]] = true;
    if (author_of[index] == kAnonymous) {
      ++anonymous;
    } else if (!author_seen[author_of[index]]) {
      author_seen[author_of[index]] = true;
      ++digest.participants;
    }
    if (phases.empty() || phases.back().first != item.phase) {
      auto phase = std::find_if(phases.begin(), phases.end(),
                                [&](const auto& entry) { return entry.first == item.phase; });
      if (phase == phases.end()) {
        phases.emplace_back(item.phase, 1);
      } else {
        ++phase->second;
      }
    } else {
      ++phases.back().second;
    }
  }
  digest.participants += anonymous;
  for (std::uint32_t c = 0; c < city_names.size(); ++c) {
    if (city_seen[c] && !city_names[c].empty()) digest.cities.emplace_back(city_names[c]);
  }
  digest.per_phase = std::move(phases);
  // Topics: most contributions first, ties by name.
  for (const auto& [tag, id] : tag_ids) {
    if (topic_count[id] > 0) digest.per_topic.emplace_back(tag, topic_count[id]);
  }
  std::sort(digest.per_topic.begin(), digest.per_topic.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });

  digest.group_of.assign(items.size(), kNoGroup);
  std::vector<std::size_t> first_position;  // of each group, for ties
  std::vector<SparseVector> centroids;
  // Per group, reused: city counts, authors seen (stamped with the group), term sums and how
  // many members have each term, with the touched entries listed to reset them.
  std::vector<int> city_count(city_names.size(), 0);
  std::vector<std::uint32_t> touched_cities;
  std::vector<std::uint32_t> author_stamp(author_ids.size(), UINT32_MAX);
  std::vector<float> term_sum(term_count, 0.0F);
  std::vector<int> term_members(term_count, 0);
  std::vector<TermId> touched_terms;
  for (std::uint32_t raw = 0; raw < members.size(); ++raw) {
    const auto& positions = members[raw];
    DigestGroup group;
    int anonymous_members = 0;
    for (const std::size_t k : positions) {
      const std::size_t index = order[k];
      const DigestItem& item = items[index];
      if (!item.current) {
        ++group.previous;
        continue;
      }
      ++group.current;
      group.votes += item.votes;
      if (city_count[city_of[index]]++ == 0) touched_cities.push_back(city_of[index]);
      if (author_of[index] == kAnonymous) {
        ++anonymous_members;
      } else if (author_stamp[author_of[index]] != raw) {
        author_stamp[author_of[index]] = raw;
        ++group.participants;
      }
      for (const auto& [term, weight] : vectors[k]) {
        if (term_members[term]++ == 0) touched_terms.push_back(term);
        term_sum[term] += weight;
      }
    }
    if (group.current == 0) continue;
    group.participants += anonymous_members;
    // Members: current ones first, each in time order.
    for (const std::size_t k : positions) {
      if (items[order[k]].current) group.members.push_back(order[k]);
    }
    for (const std::size_t k : positions) {
      if (!items[order[k]].current) group.members.push_back(order[k]);
    }
    // Cities: most contributions first, ties by name.
    std::sort(touched_cities.begin(), touched_cities.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (city_count[a] != city_count[b]) return city_count[a] > city_count[b];
      return a < b;
    });
    for (const std::uint32_t c : touched_cities) {
      if (!city_names[c].empty()) group.cities.emplace_back(city_names[c]);
      city_count[c] = 0;
    }
    touched_cities.clear();
    // Keywords: the terms most members share, then the heaviest, as people wrote them.
    std::sort(touched_terms.begin(), touched_terms.end());
    std::vector<std::tuple<int, float, TermId>> ranked;
    ranked.reserve(touched_terms.size());
    for (const TermId term : touched_terms) {
      if (term < is_tag.size() && is_tag[term]) continue;
      ranked.emplace_back(-term_members[term], -term_sum[term], term);
    }
    const std::size_t candidates = std::min<std::size_t>(ranked.size(), kKeywordCandidates);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(candidates),
                      ranked.end());
    group.keyword_keys.reserve(candidates);
    for (std::size_t r = 0; r < candidates; ++r) {
      group.keyword_keys.push_back(analysis.keys[std::get<2>(ranked[r])]);
    }
    SparseVector centroid;
    centroid.reserve(touched_terms.size());
    for (const TermId term : touched_terms) {
      centroid.emplace_back(term, term_sum[term]);
      term_sum[term] = 0;
      term_members[term] = 0;
    }
    touched_terms.clear();
    centroids.push_back(std::move(centroid));
    first_position.push_back(positions.front());
    digest.groups.push_back(std::move(group));
  }

  // Rank: breadth, participants, votes, growth, size, then first appearance.
  std::vector<std::uint32_t> rank(digest.groups.size());
  std::iota(rank.begin(), rank.end(), 0U);
  std::sort(rank.begin(), rank.end(), [&](std::uint32_t a, std::uint32_t b) {
    const DigestGroup& x = digest.groups[a];
    const DigestGroup& y = digest.groups[b];
    if (x.cities.size() != y.cities.size()) return x.cities.size() > y.cities.size();
    if (x.participants != y.participants) return x.participants > y.participants;
    if (x.votes != y.votes) return x.votes > y.votes;
    if (x.current - x.previous != y.current - y.previous) {
      return x.current - x.previous > y.current - y.previous;
    }
    if (x.current != y.current) return x.current > y.current;
    return first_position[a] < first_position[b];
  });
  std::vector<DigestGroup> ranked_groups;
  ranked_groups.reserve(rank.size());
  std::vector<SparseVector> ranked_centroids;
  ranked_centroids.reserve(rank.size());
  for (std::uint32_t r = 0; r < rank.size(); ++r) {
    DigestGroup group = std::move(digest.groups[rank[r]]);
    group.id = r;
    // Members are the current ones first.
    for (int k = 0; k < group.current; ++k) digest.group_of[group.members[k]] = r;
    ranked_groups.push_back(std::move(group));
    ranked_centroids.push_back(std::move(centroids[rank[r]]));
  }
  digest.groups = std::move(ranked_groups);
  centroids = std::move(ranked_centroids);

  for (const auto& group : digest.groups) {
    if (digest.lessons.size() == request.top) break;
    if (group.current >= 2) digest.lessons.push_back(group.id);
  }

  // Members with each section's tags, per group: one pass over the items in memory order.
  std::vector<std::array<int, 3>> tagged_in(digest.groups.size(), {0, 0, 0});
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (item_bits[i] == 0 || digest.group_of[i] == kNoGroup) continue;
    auto& counts = tagged_in[digest.group_of[i]];
    counts[0] += (item_bits[i] & kWentWell) != 0 ? 1 : 0;
    counts[1] += (item_bits[i] & kWasHard) != 0 ? 1 : 0;
    counts[2] += (item_bits[i] & kIdea) != 0 ? 1 : 0;
  }
  auto section = [&](std::size_t which) {
    std::vector<std::pair<std::uint32_t, int>> entries;
    for (const auto& group : digest.groups) {
      const int tagged = tagged_in[group.id][which];
      if (tagged > 0) entries.emplace_back(group.id, tagged);
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::uint32_t> out;
    for (const auto& [id, tagged] : entries) {
      if (out.size() == request.top) break;
      out.push_back(id);
    }
    return out;
  };
  digest.went_well = section(0);
  digest.was_hard = section(1);
  digest.ideas = section(2);

  // Keywords, from the members' own words: for the groups shown, or for all (exports).
  std::vector<bool> named(digest.groups.size(), request.name_all_groups);
  for (const auto* shown : {&digest.lessons, &digest.went_well, &digest.was_hard, &digest.ideas}) {
    for (const std::uint32_t id : *shown) named[id] = true;
  }
  for (std::size_t g = 0; g < digest.groups.size(); ++g) {
    if (named[g]) name_group(digest.groups[g], items);
  }

  // Quotes (for the same groups): most votes, then closest to the centroid, then earliest; a
  // second from another city.
  std::vector<std::size_t> position_of(items.size());
  for (std::size_t k = 0; k < order.size(); ++k) position_of[order[k]] = k;
  std::vector<float> dense(term_count, 0.0F);
  auto quote_rank = [&](std::size_t g) {
    std::vector<std::size_t> ranked;
    for (const std::size_t index : digest.groups[g].members) {
      if (items[index].current) ranked.push_back(index);
    }
    // (votes, similarity, item) sorted; stable for equal keys, as members are in time order.
    // Cosine with the centroid: the members' vectors have unit length (or none), so the dot
    // product over the centroid's norm; the centroid is scattered once.
    const SparseVector& centroid = centroids[g];
    double norm = 0;
    for (const auto& [term, weight] : centroid) {
      norm += static_cast<double>(weight) * weight;
      dense[term] = weight;
    }
    norm = std::sqrt(norm);
    std::vector<std::tuple<int, double, std::size_t>> keyed;
    keyed.reserve(ranked.size());
    for (const std::size_t index : ranked) {
      double dot = 0;
      for (const auto& [term, weight] : vectors[position_of[index]]) {
        dot += static_cast<double>(dense[term]) * weight;
      }
      keyed.emplace_back(items[index].votes, norm > 0 ? dot / norm : 0.0, index);
    }
    for (const auto& entry : centroid) dense[entry.first] = 0;
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      return std::get<1>(a) > std::get<1>(b);
    });
    for (std::size_t k = 0; k < keyed.size(); ++k) ranked[k] = std::get<2>(keyed[k]);
    return ranked;
  };
  for (std::size_t g = 0; g < digest.groups.size(); ++g) {
    if (!named[g]) continue;
    const auto ranked = quote_rank(g);
    if (ranked.empty()) continue;
    auto& quotes = digest.groups[g].quotes;
    quotes.push_back(ranked.front());
    const auto other = std::find_if(ranked.begin() + 1, ranked.end(), [&](std::size_t index) {
      return items[index].city != items[ranked.front()].city;
    });
    if (other != ranked.end()) {
      quotes.push_back(*other);
    } else if (ranked.size() >= 3) {
      quotes.push_back(ranked[1]);
    }
  }

  const auto today = local_day(request.now, request.zone);
  for (const auto& lesson : lessons) {
    if (lesson.state != LessonState::learned) digest.open_actions.push_back(lesson);
  }
  std::stable_sort(digest.open_actions.begin(), digest.open_actions.end(),
                   [&](const Lesson& a, const Lesson& b) {
                     const bool ao = is_overdue(a, today);
                     const bool bo = is_overdue(b, today);
                     if (ao != bo) return ao;
                     if (a.due.has_value() != b.due.has_value()) return a.due.has_value();
                     if (a.due && b.due && *a.due != *b.due) {
                       return std::chrono::sys_days{*a.due} < std::chrono::sys_days{*b.due};
                     }
                     return a.id < b.id;
                   });
  return digest;
}

namespace {

// A block of the rendered digest: text lines and HTML, kept together when splitting.
struct Block {
  std::string text;
  std::string html;
};

// A section: heading and entries; an ordered list is numbered across parts.
struct Section {
  std::string heading;
  bool ordered = false;
  bool list = true;
  std::vector<Block> entries;
};

}  // namespace

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

namespace {

Block quote_block(const DigestItem& item, const DigestTexts& t) {
  const Notice quote =
      fill(t.quote, {plain("text", quote_text(item.body)), plain("city", item.city)});
  return Block{quote.text, quote.html};
}

std::string tag_label(const std::string& key, const TagVocabulary& vocabulary, Language language) {
  const Tag* tag = vocabulary.find(key);
  if (tag == nullptr) return "#" + key;
  const std::string& label = tag->label.in(language);
  return label.empty() ? "#" + key : label;
}

}  // namespace

std::vector<Notice> render_digest(const Digest& digest, std::span<const DigestItem> items,
                                  std::size_t max_event_bytes) {
  const DigestRequest& request = digest.request;
  const Texts& all = texts(request.language);
  const DigestTexts& t = all.digest;
  const TagVocabulary fallback =
      request.vocabulary == nullptr ? default_vocabulary() : TagVocabulary{};
  const TagVocabulary& vocabulary = request.vocabulary == nullptr ? fallback : *request.vocabulary;

  // Title (with the period) and overview.
  const std::string title_text = request.scope.empty()
                                     ? std::string(t.title_network)
                                     : fill(t.title_room, {plain("scope", request.scope)}).text;
  const std::string period =
      fill(t.period, {plain("from", local_date(request.from, request.zone, request.language)),
                      plain("to", local_date(request.to - std::chrono::milliseconds(1),
                                             request.zone, request.language))})
          .text;
  std::vector<Block> intro;
  if (digest.contributions == 0) {
    intro.push_back(Block{std::string(t.nothing), "<p>" + html_escape(t.nothing) + "</p>"});
  } else {
    const Notice overview = fill(
        t.overview, {plain("contributions", count_text(digest.contributions, t.contributions_one,
                                                       t.contributions_many)),
                     plain("people", count_text(digest.participants, t.people_one, t.people_many)),
                     plain("cities", count_text(static_cast<int>(digest.cities.size()),
                                                t.cities_one, t.cities_many)),
                     plain("list", join_list(digest.cities, t.list_and))});
    intro.push_back(Block{overview.text, "<p>" + overview.html + "</p>"});
  }

  std::vector<Section> sections;
  auto group_line = [&](const DigestGroup& group, std::string_view extra) {
    std::vector<std::string> parts;
    parts.push_back(join_list(group.cities, t.list_and));
    parts.push_back(count_text(group.current, t.contributions_one, t.contributions_many));
    parts.push_back(count_text(group.participants, t.people_one, t.people_many));
    if (group.votes > 0)
      parts.push_back(fill(t.votes, {plain("n", std::to_string(group.votes))}).text);
    if (!extra.empty()) parts.emplace_back(extra);
    std::string line;
    for (const auto& part : parts) {
      if (part.empty()) continue;
      if (!line.empty()) line += " · ";
      line += part;
    }
    return line;
  };
  auto title_of = [&](const DigestGroup& group, std::size_t fallback_item) {
    std::string title = group.title();
    if (title.empty()) title = quote_text(items[fallback_item].body, 60);
    return title;
  };

  if (digest.contributions > 0) {
    Section lessons{std::string(t.heading_lessons), true, true, {}};
    for (const std::uint32_t id : digest.lessons) {
      const DigestGroup& group = digest.groups[id];
      std::string mark;
      if (group.is_new()) mark = t.mark_new;
      if (group.growing()) mark = t.mark_growing;
      Block block;
      const std::string title = title_of(group, group.members.front());
      block.text = title + (mark.empty() ? "" : " (" + mark + ")");
      block.html = "<strong>" + html_escape(title) + "</strong>" +
                   (mark.empty() ? "" : " <em>" + html_escape(mark) + "</em>");
      const std::string line = group_line(group, "");
      block.text += "\n   " + line;
      block.html += "<br>" + html_escape(line);
      for (const std::size_t q : group.quotes) {
        const Block quote = quote_block(items[q], t);
        block.text += "\n   " + quote.text;
        block.html += "<br>" + quote.html;
      }
      lessons.entries.push_back(std::move(block));
    }
    if (lessons.entries.empty()) {
      lessons.list = false;
      lessons.entries.push_back(
          Block{std::string(t.no_lessons), "<p>" + html_escape(t.no_lessons) + "</p>"});
    }
    sections.push_back(std::move(lessons));

    auto tagged_section = [&](std::string_view heading, const std::vector<std::uint32_t>& ids,
                              const std::set<std::string, std::less<>>& tags) {
      if (ids.empty()) return;
      Section section{std::string(heading), false, true, {}};
      for (const std::uint32_t id : ids) {
        const DigestGroup& group = digest.groups[id];
        int tagged = 0;
        for (const std::size_t index : group.members) {
          if (items[index].current && has_any(items[index], tags)) ++tagged;
        }
        const std::size_t quote_index = section_quote(group, items, tags);
        const Block quote = quote_block(items[quote_index], t);
        if (group.current == 1) {
          section.entries.push_back(quote);
          continue;
        }
        const std::string title = title_of(group, quote_index);
        const std::string line =
            group_line(group, tagged < group.current
                                  ? fill(t.tagged, {plain("n", std::to_string(tagged))}).text
                                  : "");
        section.entries.push_back(Block{title + ": " + line + "\n   " + quote.text,
                                        "<strong>" + html_escape(title) + "</strong>: " +
                                            html_escape(line) + "<br>" + quote.html});
      }
      sections.push_back(std::move(section));
    };
    tagged_section(t.heading_went_well, digest.went_well, kWentWellTags);
    tagged_section(t.heading_was_hard, digest.was_hard, kWasHardTags);
    tagged_section(t.heading_ideas, digest.ideas, kIdeaTags);
  }

  {
    Section actions{std::string(t.heading_actions), false, true, {}};
    const auto today = local_day(request.now, request.zone);
    for (const Lesson& lesson : digest.open_actions) {
      Notice entry;
      if (lesson.state == LessonState::identified) {
        entry = fill(t.no_action,
                     {plain("id", std::to_string(lesson.id)), plain("title", lesson.title)});
      } else {
        std::string due = lesson.due ? fill(t.due, {plain("date", request.language == Language::de
                                                                      ? german_date(*lesson.due)
                                                                      : iso_date(*lesson.due))})
                                           .text
                                     : std::string(t.no_due);
        if (is_overdue(lesson, today)) due += " (" + std::string(t.overdue) + ")";
        entry = fill(t.action, {plain("id", std::to_string(lesson.id)),
                                plain("title", lesson.title), plain("action", lesson.action),
                                plain("owner", lesson.owner), plain("due", due)});
      }
      if (!lesson.cities.empty() && request.scope.empty()) {
        const std::string cities = " (" + join_list(lesson.cities, t.list_and) + ")";
        entry.text += cities;
        entry.html += html_escape(cities);
      }
      actions.entries.push_back(Block{entry.text, entry.html});
    }
    if (actions.entries.empty()) {
      actions.list = false;
      actions.entries.push_back(
          Block{std::string(t.no_actions), "<p>" + html_escape(t.no_actions) + "</p>"});
    }
    sections.push_back(std::move(actions));
  }

  if (digest.contributions > 0) {
    Section numbers{std::string(t.heading_numbers), false, false, {}};
    std::vector<std::string> phases;
    for (const auto& [phase, count] : digest.per_phase) {
      phases.push_back((phase.empty() ? std::string(t.no_phase) : phase) + " " +
                       std::to_string(count));
    }
    const Notice phase_line = fill(t.phases, {plain("list", join_list(phases, ", "))});
    numbers.entries.push_back(Block{phase_line.text, "<p>" + phase_line.html + "</p>"});
    if (!digest.per_topic.empty()) {
      std::vector<std::string> topics;
      for (const auto& [tag, count] : digest.per_topic) {
        topics.push_back(tag_label(tag, vocabulary, request.language) + " " +
                         std::to_string(count));
      }
      const Notice topic_line = fill(t.topics, {plain("list", join_list(topics, ", "))});
      numbers.entries.push_back(Block{topic_line.text, "<p>" + topic_line.html + "</p>"});
    }
    sections.push_back(std::move(numbers));
  }
  const Block footer{std::string(t.footer), "<p><em>" + html_escape(t.footer) + "</em></p>"};

  // Pack the blocks into parts. A section that continues in the next part repeats its heading;
  // an ordered list continues its numbering (<ol start>).
  const std::size_t budget = max_event_bytes > kEnvelopeBytes + kContentOverhead + 1024
                                 ? max_event_bytes - kEnvelopeBytes - kContentOverhead
                                 : 1024;
  struct Part {
    std::string text;
    std::string html;
  };
  std::vector<Part> parts(1);
  auto size_of = [](const Part& p) {
    return json_escaped_size(p.text) + json_escaped_size(p.html);
  };
  auto fits = [&](const Part& p, const std::string& text, const std::string& html) {
    return size_of(p) + json_escaped_size(text) + json_escaped_size(html) <= budget;
  };
  auto append = [](Part& p, const std::string& text, const std::string& html) {
    if (!p.text.empty()) p.text += "\n";
    p.text += text;
    p.html += html;
  };
  for (const Block& block : intro) append(parts.back(), block.text, block.html);
  for (const Section& section : sections) {
    const std::string heading_html = "<h4>" + html_escape(section.heading) + "</h4>";
    std::size_t next = 0;
    while (next < section.entries.size()) {
      Part& part = parts.back();
      std::string text = "\n" + section.heading;
      std::string html = heading_html;
      const std::size_t first = next;
      std::string list_html;
      std::string list_text;
      while (next < section.entries.size()) {
        const Block& entry = section.entries[next];
        const std::string entry_text =
            !section.list ? entry.text
                          : (section.ordered ? std::to_string(next + 1) + ". " : "– ") + entry.text;
        const std::string entry_html = section.list ? "<li>" + entry.html + "</li>" : entry.html;
        const std::string open =
            !section.list ? ""
                          : (section.ordered
                                 ? (first == 0 ? std::string("<ol>")
                                               : "<ol start=\"" + std::to_string(first + 1) + "\">")
                                 : std::string("<ul>"));
        const std::string close = !section.list ? "" : (section.ordered ? "</ol>" : "</ul>");
        const std::string candidate_text = text + list_text + "\n" + entry_text;
        const std::string candidate_html = html + open + list_html + entry_html + close;
        if (!fits(part, candidate_text, candidate_html) && next > first) break;
        if (!fits(part, candidate_text, candidate_html) && !part.text.empty()) break;
        list_text += "\n" + entry_text;
        list_html += entry_html;
        ++next;
      }
      if (next == first) {  // nothing fitted into this part: start a new one
        parts.emplace_back();
        continue;
      }
      const std::string open =
          !section.list
              ? ""
              : (section.ordered ? (first == 0 ? std::string("<ol>")
                                               : "<ol start=\"" + std::to_string(first + 1) + "\">")
                                 : std::string("<ul>"));
      const std::string close = !section.list ? "" : (section.ordered ? "</ol>" : "</ul>");
      append(part, (part.text.empty() ? text.substr(1) : text) + list_text,
             html + open + list_html + close);
      if (next < section.entries.size()) parts.emplace_back();
    }
  }
  if (fits(parts.back(), footer.text, footer.html)) {
    append(parts.back(), "\n" + footer.text, footer.html);
  } else {
    parts.push_back(Part{footer.text, footer.html});
  }

  std::vector<Notice> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string heading = title_text + " · " + period;
    if (parts.size() > 1) {
      heading += " · " + fill(t.part, {plain("i", std::to_string(i + 1)),
                                       plain("n", std::to_string(parts.size()))})
                             .text;
    }
    out.push_back(Notice{heading + "\n" + parts[i].text,
                         "<h3>" + html_escape(heading) + "</h3>" + parts[i].html});
  }
  return out;
}

}  // namespace reflexbot::core
