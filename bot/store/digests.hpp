#pragma once
// What digests read and write: contributions of a period with their tags and votes, lessons and
// their sources, the groups of each room's last digest, and the scheduled digests posted.
// The writes (lessons, digest groups, the "posted" mark, the schedule) are BatchScope's methods,
// implemented here, so a digest's notices, its groups and its "posted" mark commit together.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/digest.hpp"
#include "core/lesson.hpp"
#include "store/store.hpp"

namespace reflexbot::store {

/// A contribution of a period as the digest needs it.
struct DigestRow {
  core::DigestItem item;
  std::string room_id;
  std::string template_key;  ///< of its round, if any
  std::string phase_key;
  std::optional<std::int64_t> round;
  std::string via;
};

/// Which rooms are cities: a contribution's city in a digest is its room's configured city, not
/// the name stored when it was collected; the network room, direct chats and rooms without a
/// configured city are no city.
struct RoomPlaces {
  std::map<std::string, std::string, std::less<>> cities;  ///< room id → configured city
  std::string network_room;

  /// The room's city ("" if none) and whether it is the network room.
  std::pair<std::string_view, bool> of(std::string_view room_id) const;
};

/// Contributions written in [from, to), in one room or (room empty) all, oldest first.
std::vector<DigestRow> digest_rows(Store& store, const std::string& room, core::TimePoint from,
                                   core::TimePoint to);

/// The network periods that digest_items() reads in two halves at once: from 20,000 rows (the
/// 100k digest's read took 0.17–0.23 s on one core).
inline constexpr std::size_t kDigestSplitRows = 20000;

/// A round's phase as a digest shows it: its title and its place in the template (-1: unknown).
struct PhaseName {
  PhaseName() = default;
  // Implicit from a bare title: a phase of unknown place.
  PhaseName(std::string phase_title, int place = -1)  // NOLINT(google-explicit-constructor)
      : title(std::move(phase_title)), index(place) {}
  std::string title;
  int index = -1;
};

/// The title and place of a round's phase, from the round's template key and the phase key.
using PhaseTitle =
    std::function<PhaseName(std::string_view template_key, std::string_view phase_key)>;

/// Appends the contributions written in [from, to) (one room, or all if `room` is empty) to `out`
/// as a digest reads them, oldest first, with `current` set and the phase titled by
/// `phase_title` (asked once per distinct template and phase). The digest's own read: only the
/// columns it needs, the stored term keys, no copy of the rest. Items of the previous period
/// (`current` false) only count towards growth and carry just id, time, tags, votes and term keys
/// (their text only if they have no keys).
/// With `room` empty (the network) direct chats never count, and if `network_rooms` is not
/// empty only those rooms do (the configured ones). With `places`, an item's city and
/// `network_room` come from its room; without, the city is the one stored.
/// The network's period from `split_rows` rows on (0: never) is read in two halves at once, the
/// later one on a second thread through a read-only connection of its own (not for a store in
/// memory); `phase_title` is asked on the calling thread only.
void digest_items(Store& store, const std::string& room, core::TimePoint from, core::TimePoint to,
                  bool current, const PhaseTitle& phase_title, std::vector<core::DigestItem>& out,
                  const std::vector<std::string>& network_rooms = {},
                  const RoomPlaces* places = nullptr, std::size_t split_rows = kDigestSplitRows);

/// Whether any contribution (of any room) was written in [from, to): one look into the time index.
bool any_contribution(Store& store, core::TimePoint from, core::TimePoint to);

/// The moderators' corrections a digest of `scope_room` ('' : the network) needs beyond its
/// items' own pins (digest_items() sets DigestItem::curated): the names of the scope's curated
/// groups, and (appended to `anchors`, `anchor` set) up to `per_group` of each group's newest
/// members written before `before`, so that new contributions similar to them join the group.
/// One query.
std::map<std::int64_t, std::string> curated_context(Store& store, const std::string& scope_room,
                                                    core::TimePoint before, std::size_t per_group,
                                                    std::vector<core::DigestItem>& anchors);

/// The curated groups of a scope and their members, oldest first (for tests and exports).
struct CuratedGroup {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> members;  ///< event ids, oldest first
};
std::vector<CuratedGroup> curated_groups(Store& store, const std::string& scope_room);
/// The curated group of `scope_room` that `event_id` is pinned to, with its members; nullopt if
/// it is pinned to none.
std::optional<CuratedGroup> curated_group_of(Store& store, const std::string& scope_room,
                                             const std::string& event_id);
/// Those of `events` a moderator moved into another curated group of the digest's scope (a move
/// or a split of that contribution) after `digest` was posted, in their order.
std::vector<std::string> moved_since(Store& store, const DigestRecord& digest,
                                     const std::vector<std::string>& events);

/// The number of the group of digest `digest_id` that lists `event_id`, if one does.
std::optional<int> digest_group_number(Store& store, std::int64_t digest_id,
                                       const std::string& event_id);
/// The room's newest kept digest whose numbered groups list `event_id`, and that group's number.
std::optional<std::pair<DigestRecord, int>> digest_listing(Store& store, const std::string& room,
                                                           const std::string& event_id);

/// The contributions of a round, oldest first.
std::vector<DigestRow> round_rows(Store& store, std::int64_t round_id);

/// The newest round of a room (ended or not), if any: (id, started_at, ended_at or 0).
struct RoundSpan {
  std::int64_t id = 0;
  std::string room_id;
  core::TimePoint started_at{};
  core::TimePoint ended_at{};  ///< epoch while it runs
};
std::optional<RoundSpan> last_round(Store& store, const std::string& room);
std::optional<RoundSpan> round_span(Store& store, std::int64_t round_id);

/// Lessons of a room, or of all rooms (room empty), by id; with the cities and count of their
/// remaining sources (the cities as `places` names them, if given).
/// With `room` empty, as for digest_items(): no direct chat's, only `network_rooms` if given.
std::vector<core::Lesson> lessons(Store& store, const std::string& room,
                                  const std::vector<std::string>& network_rooms = {},
                                  const RoomPlaces* places = nullptr);
std::optional<core::Lesson> lesson(Store& store, std::int64_t id);

/// One change of a lesson, as lesson_history keeps it.
struct LessonChange {
  std::string change;      ///< created, action, learned, title, owner, due, action_removed, removed
  std::string changed_by;  ///< the moderator's pseudonym ('' once they asked to be forgotten)
  std::string old_value;
  std::string new_value;
  core::TimePoint changed_at{};
};
/// A lesson's history, oldest first (also of a removed lesson).
std::vector<LessonChange> lesson_history(Store& store, std::int64_t id);

/// The contributions of group `number` of the digest that still exist; empty if the group does
/// not exist.
std::vector<std::string> digest_group(Store& store, std::int64_t digest_id, int number);
/// The room's digests, newest first, at most `limit`.
std::vector<DigestRecord> latest_digests(Store& store, const std::string& room, std::size_t limit);
/// The room's digest D<number>, if it is kept.
std::optional<DigestRecord> digest_numbered(Store& store, const std::string& room,
                                            std::int64_t number);
/// The digest one of whose messages in `room` is the event `event_id` (the outbox recorded it at
/// delivery), if any.
std::optional<DigestRecord> digest_replied_to(Store& store, const std::string& room,
                                              const std::string& event_id);

/// The slot of the latest scheduled digest posted, if any.
std::optional<core::TimePoint> last_digest_slot(Store& store);
/// When the stored digest schedule became active, if it is `spec`; nullopt for a new or changed
/// spec (then BatchScope::activate_schedule() stores it).
std::optional<core::TimePoint> schedule_active_since(Store& store, const std::string& spec);

}  // namespace reflexbot::store
