#pragma once
// Digests: what the network's cities are learning in a period. Contributions are grouped by
// content (core/grouping.hpp), the groups ranked by breadth (cities), participants, votes and
// growth against the previous period, and the result rendered as m.notice parts below the event
// size limit. Digests name cities, never people: quotes have Matrix ids and links removed.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/grouping.hpp"
#include "core/lesson.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "core/zone.hpp"

namespace reflexbot::core {

/// Contributions of one phase of one template (or outside rounds: both empty).
struct PhaseCount {
  std::string round_template;  ///< the template's key
  std::string phase;           ///< the phase's title
  int count = 0;
};

/// A contribution as the digest sees it.
struct DigestItem {
  std::string id;      ///< the event id
  std::string city;    ///< its room's configured city; empty for the network room and other rooms
  std::string author;  ///< pseudonym; empty for anonymous contributions
  std::string body;
  std::vector<std::string> tags;  ///< canonical keys
  std::string phase;              ///< the phase's title; empty outside rounds
  int votes = 0;
  TimePoint written_at{};
  bool current = true;  ///< in the digest's period; false: in the previous one (for growth)
  /// The body's index terms as the store keeps them (TextAnalyzer::keys(), made when the
  /// contribution was collected); if not `indexed`, the digest analyses the body itself.
  std::vector<std::uint64_t> term_keys{};
  bool indexed = false;
  bool network_room = false;  ///< written in the network room (which is no city)
  /// The moderators' curated group it is pinned to in the digest's scope (!zusammenführen,
  /// !verschieben, !abtrennen, !umbenennen); 0: none.
  std::int64_t curated = 0;
  /// A curated group's member from before the period (not `current`): it takes part in the
  /// grouping as a labelled leader, so new contributions similar to it join its curated group,
  /// but it is never counted, listed or quoted.
  bool anchor = false;
  std::string round_template{};  ///< the key of its round's template; empty outside rounds
  int phase_index = -1;          ///< the phase's place in its template; -1: unknown, or none
};

/// What to digest.
struct DigestRequest {
  Language language = Language::de;
  std::string scope;                          ///< the room's city or name; empty: the whole network
  TimePoint from{};                           ///< the period is [from, to)
  TimePoint to{};                             ///
  TimePoint now{};                            ///< for overdue actions
  TimeZone zone = TimeZone::utc();            ///< dates are shown in this zone
  std::size_t top = 5;                        ///< groups per section
  const TagVocabulary* vocabulary = nullptr;  ///< tag labels; the built-in one if null
  GroupingOptions grouping;                   ///< thresholds
  /// Compounds and synonyms for texts the store has not indexed, and for the groups' titles;
  /// must be the lexicon the store indexes with (not owned). Null: stems and concepts only.
  Lexicon* lexicon = nullptr;
  float concept_boost = 6.0F;     ///< weight of a domain concept relative to a word of equal idf
  float synonym_boost = 0.5F;     ///< weight of a synonym set (core/lexicon.hpp)
  double topic_tag_weight = 0.5;  ///< share of topic tags (#recht …) in similarity; signals: 0
  double idf_prior = 5;           ///< pseudo-documents for small periods, see tfidf_vectors()
  /// Keywords and quotes for every group (exports); else only for the groups the sections show
  /// (the others have none: a digest of a million contributions has thousands of groups).
  bool name_all_groups = false;
  /// Everything instead of the short digest: every group (up to kCompleteLimit per section), the
  /// untagged single contributions and every open action.
  bool complete = false;
  /// "D4": how "!lehre D4-2", "!digest D4" and the title name this digest; empty: none.
  std::string label;
  /// Names moderators gave curated groups (DigestItem::curated → name); a group holding a
  /// curated group's members is titled by it.
  std::map<std::int64_t, std::string> curated_names;

  /// `vocabulary`, else the built-in one.
  const TagVocabulary& tag_vocabulary() const;
};

/// A group of similar contributions.
struct DigestGroup {
  std::uint32_t id = 0;               ///< index in Digest::groups
  std::vector<std::size_t> members;   ///< indices into the items, current period first
  std::vector<std::string> keywords;  ///< up to three words, as the members wrote them
  /// A short noun phrase for the title: the group's one or two key nouns as the members wrote
  /// them, "Verordnungen und Wochenende"; empty if it has none (then the first keyword).
  std::string name;
  std::vector<std::string> cities;  ///< of current members, most contributions first
  int current = 0;                  ///< members in the period
  int previous = 0;                 ///< members in the previous period
  int participants = 0;             ///< distinct known authors in the period
  int anonymous = 0;                ///< anonymous members in the period (no author: no person)
  int votes = 0;
  std::vector<std::size_t> quotes;  ///< up to two members to quote, from different cities
  /// Keys of the terms most members share, best first: the candidates for `keywords`.
  std::vector<std::uint64_t> keyword_keys;
  /// How many members in the period have each of `keyword_keys`.
  std::vector<int> keyword_members;
  /// The curated group whose members it holds (its identity across digests); 0: none.
  std::int64_t curated = 0;
  /// `name` is the one a moderator gave the curated group (!umbenennen): shown also for a single
  /// contribution, which is otherwise titled by its own words (DigestView::group_title()).
  bool named_by_moderator = false;

  bool is_new() const { return current > 0 && previous == 0; }
  /// One contribution in the period and no name from a moderator: sections show its quote
  /// alone (with its line in the report), no title above it.
  bool shown_as_quote() const { return current == 1 && !named_by_moderator; }
  bool growing() const { return previous > 0 && current > previous; }
  /// `name`, else the first keyword: "Schutzausrüstung und Lager". Never a list of words.
  std::string title() const;
};

/// A digest, ready to render or export.
struct Digest {
  DigestRequest request;
  int contributions = 0;                ///< in the period
  int participants = 0;                 ///< distinct known authors
  int anonymous = 0;                    ///< contributions without an author
  int from_network_room = 0;            ///< contributions of the period in the network room
  std::vector<std::string> cities;      ///< configured cities, alphabetical
  std::vector<DigestGroup> groups;      ///< all groups with a member in the period, ranked
  std::vector<std::uint32_t> group_of;  ///< per item: index into groups (previous-only: none)
  /// "Mehrfach genannt": the first groups by rank with ≥ 2 contributions, numbered for !lehre.
  std::vector<std::uint32_t> lessons;
  /// Other groups with tagged members, each in one section (most of its tagged members; a tie
  /// goes to the first of these).
  std::vector<std::uint32_t> marked_lessons;  ///< #lehre: shown even alone
  std::vector<std::uint32_t> went_well;       ///< #erfolg / #stolz
  std::vector<std::uint32_t> was_hard;        ///< #problem / #frust
  std::vector<std::uint32_t> ideas;           ///< #idee
  std::vector<std::uint32_t> singles;         ///< untagged groups of one: listed only when complete
  int more_groups = 0;                        ///< groups of ≥ 2 that no section lists
  int more_singles = 0;                       ///< groups of one that no section lists
  int previous_contributions = 0;             ///< in the period before (for growth)
  std::vector<Lesson> open_actions;           ///< lessons not learned, overdue first
  std::vector<PhaseCount> per_phase;  ///< each template's in order of first appearance; none last
  std::vector<std::pair<std::string, int>> per_topic;  ///< topic tags, most first
};

/// The groups a digest numbers, in the order of their numbers (1, 2, …): the groups of
/// "Mehrfach genannt"; in a complete digest then every other entry too, section by section
/// (the tagged sections, then the single contributions), so that each can be named ("D5-12").
std::vector<std::uint32_t> numbered_groups(const Digest& digest);

/// The tags that put a group into "Was gut lief", "Was schwer war" and "Ideen".
extern const std::set<std::string, std::less<>> kLessonTags;
extern const std::set<std::string, std::less<>> kWentWellTags;
extern const std::set<std::string, std::less<>> kWasHardTags;
extern const std::set<std::string, std::less<>> kIdeaTags;

/// Entries per section of a complete digest (a chat digest of a large network stays readable;
/// the export has everything).
inline constexpr std::size_t kCompleteLimit = 200;
/// Quotes per group of a complete digest (the rest counted): enough to find what a group holds.
inline constexpr std::size_t kCompleteQuotes = 10;

/// Sentinel in Digest::group_of for items of the previous period that fell in no group.
inline constexpr std::uint32_t kNoGroup = UINT32_MAX;

/// The first step of build_digest(): the items in the order the grouping sees them (the period's
/// first, then the anchors, then the previous period's; each by time, then event id) and their
/// terms as small dense ids.
struct DigestTerms {
  std::vector<std::size_t> order;          ///< position → index into the items
  std::vector<std::vector<TermId>> terms;  ///< per position: words, concepts, topic tags
  std::vector<std::uint64_t> keys;         ///< per term: its key (term_key(), feature_key())
  std::vector<float> boost;                ///< per term: concept_boost or 1
  std::vector<bool> is_tag;                ///< per term: a topic tag
  std::size_t leaders = 0;                 ///< items of the period and anchors (they come first)
};
DigestTerms digest_terms(std::span<const DigestItem> items, const DigestRequest& request);

/// Groups and ranks `items` (current and previous period) and picks the sections. Lessons that
/// are not learned become the open actions.
Digest build_digest(std::span<const DigestItem> items, std::span<const Lesson> lessons,
                    const DigestRequest& request);

/// The digest as notices, each small enough that the event stays below `max_event_bytes`
/// (plain text and HTML together, JSON-escaped, plus room for the event's envelope). Parts after
/// the first repeat the title with "Teil i/n". Laid out in core/digest_render.cpp from the
/// pieces of core/digest_view.hpp.
std::vector<Notice> render_digest(const Digest& digest, std::span<const DigestItem> items,
                                  std::size_t max_event_bytes = 60000);

/// A quote for the digest (chat and export): one line; Matrix user ids and mentions, room ids and
/// aliases, e-mail addresses and links replaced by "…" wherever they start, after a quote, a
/// bracket or a colon too; hashtags left out (a single one inside a sentence keeps its word);
/// at most `max_bytes` (cut at a word, "…" appended). In core/digest_view.cpp.
std::string quote_text(std::string_view body, std::size_t max_bytes = 160);
/// A name or title a moderator typed, as digests show it: quotation marks around the whole of it
/// left out (a matching pair, neither mark inside), a hashtag as its word (a leading one
/// capitalised: tags are typed in lower case, titles start with a capital), then as quote_text()
/// (one line, no Matrix ids, room aliases or links, cut at a word). Empty if no letter or digit
/// is left.
std::string typed_name(std::string_view typed, std::size_t max_bytes);

/// Bytes `text` takes as a JSON string value (escapes counted, quotes not).
std::size_t json_escaped_size(std::string_view text);

}  // namespace reflexbot::core
