#pragma once
// Digests and lessons in the running bot: `!digest`, `!lehren`, `!lehre`, `!maßnahme`,
// `!gelernt`, the moderators' corrections of a digest's groups (`!zusammenführen`,
// `!verschieben`, `!abtrennen`, `!umbenennen`), and the weekly digest. Works inside the
// dispatcher's batch transaction: a digest's notices (outbox), the groups `!lehre <Nr>` refers
// to and the "posted" mark of a scheduled slot commit together, so a crash never posts a slot
// twice and a restart after an outage posts the missed one. DigestBuilder is the one way a
// digest is built (read, grouped, ranked, rendered), for these commands, the schedule and
// `reflexbot export` alike.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/config/config.hpp"
#include "app/features/feature.hpp"
#include "app/features/outgoing.hpp"
#include "core/commands.hpp"
#include "core/digest.hpp"
#include "core/tags.hpp"
#include "core/template.hpp"
#include "core/zone.hpp"
#include "matrix/events.hpp"
#include "store/digests.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// What digests need beyond the network settings (language, cities, templates for the phase
/// titles, the tag vocabulary).
struct DigestSettings : NetworkSettings {
  core::TimeZone zone = core::TimeZone::utc();  ///< dates and "today"
  std::optional<core::WeeklySchedule> schedule;
  bool room_digests = false;  ///< the schedule also posts each configured room's digest
  bool chart = true;  ///< weekly digests and the network room's !digest are followed by the chart
  int period_days = 7;
  int top = 5;
  std::string network_room;        ///< its digest covers every room
  std::vector<std::string> rooms;  ///< configured rooms (for scheduled room digests)
  std::size_t max_event_bytes = 60000;
  /// Who changed a lesson, as its history keeps it (the dispatcher sets FeatureSettings').
  std::function<std::string(const std::string& user_id)> pseudonym;
};

/// The digest settings a configuration gives, around its network settings.
DigestSettings digest_settings(const Config& config, NetworkSettings network);

/// Builds the digest of a room or of the network for a period: reads the period's contributions
/// (and those of the period before it, for growth) and the open lessons once, then groups, names,
/// ranks and renders them. The chat commands, the weekly schedule and `reflexbot export` all build
/// here; it only reads the store.
class DigestBuilder {
 public:
  DigestBuilder(store::Store& store, DigestSettings settings);

  /// A digest with its items, what it covers, and the contributions of its numbered groups in
  /// order, for `!lehre <Nr>`. Its notices are rendered when it is posted (Digests::post), under
  /// its number.
  struct Result {
    core::Digest digest;
    std::vector<core::DigestItem> items;
    std::string scope_room;  ///< the room it covers; empty: the network
    core::TimePoint from{};
    core::TimePoint to{};
    std::vector<core::Notice> notices;
    std::vector<std::vector<std::string>> lesson_groups;
  };
  /// The digest of `room` (empty or the network room: all rooms) for [from, to); its request
  /// points to this builder's tag vocabulary, so the builder outlives the result. Exports want
  /// keywords for every group (`name_all_groups`), not only for those the notices show.
  /// `complete`: everything, not the short digest (core::DigestRequest::complete).
  Result build(const std::string& room, core::TimePoint from, core::TimePoint to,
               core::TimePoint now, bool name_all_groups = false, bool complete = false) const;
  /// The same from items read already: the period's, then the previous period's (load_items()).
  /// Appends the scope's curated groups' anchors to the result's items (never counted or shown)
  /// and titles corrected groups by their names (store::curated_context()).
  Result build_from(const std::string& scope_room, std::vector<core::DigestItem> items,
                    core::TimePoint from, core::TimePoint to, core::TimePoint now,
                    bool name_all_groups = false, bool complete = false) const;
  /// What build() reads: the contributions of [from, to) in `scope_room` (empty: all rooms),
  /// then those of the period before it (for growth), phases titled.
  std::vector<core::DigestItem> load_items(const std::string& scope_room, core::TimePoint from,
                                           core::TimePoint to) const;
  /// Appends the contributions of the period before [from, to) to `items`.
  void load_previous(const std::string& scope_room, core::TimePoint from, core::TimePoint to,
                     std::vector<core::DigestItem>& items) const;

  /// The room a digest of `room` reads: empty for the network (empty or the network room).
  std::string scope_room(const std::string& room) const;
  bool is_network(const std::string& room_id) const;
  /// The rooms a network digest reads: the configured rooms and the network room.
  std::vector<std::string> network_rooms() const;
  /// A phase's title in the digest's language, from its template and phase keys.
  store::PhaseName phase_title(std::string_view template_key, std::string_view phase_key) const;
  const DigestSettings& settings() const { return settings_; }
  /// Which rooms are cities (the configured ones; the network room is none).
  const store::RoomPlaces& places() const { return places_; }

 private:
  /// The rooms a digest of `scope_room` reads beyond it: the network's, or none.
  std::vector<std::string> rooms_read(const std::string& scope_room) const;
  /// Appends the contributions of [from, to) to `items`, of this period (`current`) or not.
  void read(const std::string& scope_room, core::TimePoint from, core::TimePoint to, bool current,
            std::vector<core::DigestItem>& items) const;

  store::Store& store_;
  DigestSettings settings_;
  store::RoomPlaces places_;
};

/// The digest and lesson commands and the weekly schedule.
class Digests {
 public:
  Digests(store::Store& store, DigestSettings settings);

  /// Handles a digest or lesson command; false for any other.
  bool handle_command(const core::Command& command, const matrix::Event& event,
                      const store::RoomRecord& room, BatchContext context);
  /// Posts the scheduled digest if its slot is due and was not posted yet.
  void tick(BatchContext context);
  /// The next scheduled slot after `now` (or now, if one is due), if there is a schedule.
  std::optional<core::TimePoint> next_wakeup(core::TimePoint now);

 private:
  using Result = DigestBuilder::Result;
  bool is_network(const std::string& room_id) const { return builder_.is_network(room_id); }
  /// Numbers the digest in the room (if it has contributions), renders it under that number
  /// and queues its notices with its groups and messages for !lehre; `key` makes txn ids.
  /// `with_chart`: the chart of its themes by city follows the text (post_chart).
  void post(const std::string& room_id, Result& result, const matrix::Event* reply_to,
            const std::string& key, BatchContext context, bool with_chart = false);
  /// Queues the digest's chart as an m.image after its notices. A chart that cannot be drawn
  /// (no recurring theme, no font) is left out and the log says why; the text never waits.
  void post_chart(const std::string& room_id, const Result& result, const matrix::Event* beside,
                  const std::string& key, BatchContext context);
  /// The digest a `!lehre <Nr>` means: the one its number names ("D4-2"), the one it replies
  /// to, else the room's latest unless another came shortly before it. nullopt after answering
  /// (`which_text`: the answer to a bare number then, if not the lesson's).
  std::optional<store::DigestRecord> digest_meant(
      const core::LessonArgs& args, const std::string& reply_to, const store::RoomRecord& room,
      const std::function<void(const core::Notice&)>& reply, std::string_view which_text = {});
  void on_digest(const core::Command& command, const matrix::Event& event,
                 const store::RoomRecord& room, BatchContext context);
  void on_lesson(const core::Command& command, const matrix::Event& event,
                 const store::RoomRecord& room, BatchContext context);
  void on_action(const core::Command& command, const matrix::Event& event,
                 const store::RoomRecord& room, BatchContext context);
  void on_learned(const core::Command& command, const matrix::Event& event,
                  const store::RoomRecord& room, BatchContext context);
  void on_lessons(const matrix::Event& event, const store::RoomRecord& room, BatchContext context);
  /// `!korrigieren L3 titel|verantwortlich|frist …` and `!entfernen L3 [maßnahme]`.
  void on_correct(const core::Command& command, const matrix::Event& event,
                  const store::RoomRecord& room, BatchContext context);
  void on_remove(const core::Command& command, const matrix::Event& event,
                 const store::RoomRecord& room, BatchContext context);
  /// The lesson `id` if this room may change it (its own, or any from the network room); else
  /// answers that there is none and returns nullopt.
  std::optional<core::Lesson> lesson_here(std::int64_t id, const store::RoomRecord& room,
                                          const std::function<void(const core::Notice&)>& reply);
  /// The pseudonym of who changes a lesson, for its history.
  std::string changed_by(const matrix::Event& event) const;
  /// `!zusammenführen`, `!verschieben`, `!abtrennen`, `!umbenennen`: the correction is stored
  /// as a curated group of the digest's scope, and the answer is the group's new line in that
  /// digest's period.
  void on_curation(const core::Command& command, const matrix::Event& event,
                   const store::RoomRecord& room, BatchContext context);
  /// Whether `event_id` is a contribution a moderator in `room` may name (this room's; in the
  /// network room, one of the network's rooms').
  bool names_contribution(const store::RoomRecord& room, const std::string& event_id);
  std::chrono::year_month_day today(core::TimePoint now) const;
  std::string schedule_spec() const;
  /// When the schedule became active; a new or changed schedule is activated at `now` in `scope`.
  core::TimePoint schedule_since(store::BatchScope& scope, core::TimePoint now) const;

  store::Store& store_;
  DigestSettings settings_;
  DigestBuilder builder_;
};

}  // namespace reflexbot::app
