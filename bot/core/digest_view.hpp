#pragma once
// The digest's presentation, once for every renderer: the chat digest (render_digest) and every
// export format (Markdown, CSV, JSON) take their title, period, overview, group titles and lines,
// quotes, marks, actions, counts and tag labels from here, so a wording or a privacy rule (quotes
// without names or links) changes in one place. Each piece is plain text or a Notice (plain text
// and HTML built only from our own escaped text); exports use the text and escape it themselves.

#include <chrono>
#include <cstddef>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/digest.hpp"
#include "core/texts.hpp"

namespace reflexbot::core {

/// The local calendar day of `time` in `zone`.
std::chrono::year_month_day local_day(TimePoint time, const TimeZone& zone);

/// A date as users read it: "04.05.2026" in German, "2026-05-04" in English.
std::string shown_date(std::chrono::year_month_day date, Language language);

/// Whether `item` carries one of `tags`.
bool has_any(const DigestItem& item, const std::set<std::string, std::less<>>& tags);

/// The member to quote for a group in a tagged section ("Was gut lief" and friends): the tagged
/// member of this period with the most votes, else the group's first quote.
std::size_t section_quote(const DigestGroup& group, std::span<const DigestItem> items,
                          const std::set<std::string, std::less<>>& tags);

/// A tag as a digest names it: the vocabulary's label in `language`, else "#key".
std::string tag_label(const std::string& key, const TagVocabulary& vocabulary, Language language);

/// One digest as its readers see it, in the digest's language and zone.
class DigestView {
 public:
  /// `digest` and `items` must outlive the view.
  DigestView(const Digest& digest, std::span<const DigestItem> items);

  const Digest& digest() const { return digest_; }
  std::span<const DigestItem> items() const { return items_; }
  const DigestTexts& texts() const { return t_; }
  Language language() const { return digest_.request.language; }
  /// Whether the digest covers the whole network (no scope).
  bool network() const { return digest_.request.scope.empty(); }

  /// "Digest des Netzwerks" or the room's title.
  std::string title() const;
  /// The period's first and last local day, and the local day of `now`.
  std::chrono::year_month_day first_day() const;
  std::chrono::year_month_day last_day() const;
  std::chrono::year_month_day today() const;
  /// A date in the digest's language.
  std::string date(std::chrono::year_month_day day) const { return shown_date(day, language()); }
  /// The period from its first to its last day.
  std::string period() const;
  /// Contributions, people and cities; "nothing" if the period has no contribution (with how
  /// many lessons are open, if any).
  Notice overview() const;

  /// The group's key words, else the start of the contribution `fallback_item`.
  std::string group_title(const DigestGroup& group, std::size_t fallback_item) const;
  /// The group's key words, else the start of its first member.
  std::string group_title(const DigestGroup& group) const;
  /// "3 Beiträge (davon 1 anonym, 1 aus dem Netzwerkraum) von 2 Personen": anonymous
  /// contributions are counted as such, never as people.
  std::string counts(int contributions, int anonymous, int people, int from_network_room) const;
  /// "Köln und Bonn · 3 Beiträge von 2 Personen · 4 👍 · `extra`" (empty parts left out).
  std::string group_line(const DigestGroup& group, std::string_view extra) const;
  /// "neu", "wächst, vorher 2" or empty (also when the period before had nothing to compare).
  std::string mark(const DigestGroup& group) const;
  /// "1 × Lehre, 2 × Problem": members of this period with signal tags (#lehre, #erfolg, …),
  /// leaving out those in `except`.
  std::string signals(const DigestGroup& group,
                      const std::set<std::string, std::less<>>* except = nullptr) const;
  /// Whether quotes and group lines name their city: only if the digest has several places
  /// (cities, the network room); a room's digest does not repeat its city on every line.
  bool shows_places() const;
  /// "Nicht gezeigt: 2 weitere Gruppen und 5 einzelne Beiträge." or empty.
  std::string not_shown() const;
  /// Members of this period carrying one of `tags`.
  int tagged_members(const DigestGroup& group,
                     const std::set<std::string, std::less<>>& tags) const;
  /// For a tagged section's group line: how many members carry the tags, if not all do.
  std::string tagged_note(const DigestGroup& group,
                          const std::set<std::string, std::less<>>& tags) const;
  /// An item quoted without names or links, with its city.
  Notice quote(std::size_t item) const;

  /// An open lesson: its action, owner and due date (overdue marked), or that it has no action;
  /// in a network digest with the cities of its sources.
  Notice action(const Lesson& lesson) const;
  /// "Phasen: …" and "Themen: …" with their counts.
  Notice phase_line() const;
  Notice topic_line() const;
  /// A phase as the numbers name it ("ohne Phase" for contributions outside rounds).
  std::string phase_label(const std::string& phase) const;
  /// A topic tag's label.
  std::string tag_label(const std::string& key) const;

 private:
  const Digest& digest_;
  std::span<const DigestItem> items_;
  const DigestTexts& t_;
  const TagVocabulary& vocabulary_;  // the request's, else the built-in one
};

}  // namespace reflexbot::core
