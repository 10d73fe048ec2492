#pragma once
// A reflection round as a value and its pure transitions: commands (start, next, pause, resume,
// extend, end) and the timer (tick). Every transition takes `now`, returns the new round and the
// events the app turns into notices, store writes and the next timer. Nothing here reads a clock.
//
// Timer rules:
// - A phase lasts its template duration, or the round's phase-length override for every phase.
// - One reminder per phase at deadline − lead, lead = min(5 min, length / 5), at least 1 min;
//   phases shorter than 2 min get none. A reminder whose time passed is still sent before the
//   deadline (after a short outage), never after it.
// - At the deadline the phase ends and the next one starts at `now` with its full length; after
//   the last phase the round ends.
// - A deadline more than kOfflineGrace in the past (the bot was down) closes that phase with
//   `closed_while_offline`, and the next phase starts now with its full length. Phases are never
//   skipped silently: each one gets its prompt and its time, however long the outage was. Since
//   the closed phase is no longer current, a second tick cannot close it again.
// - A paused round freezes the remaining time and never fires; resume sets deadline = now +
//   remaining. An ended round ignores the timer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/expected.hpp"
#include "core/template.hpp"
#include "core/time.hpp"

namespace reflexbot::core {

/// Where a round stands.
enum class RoundState { running, paused, ended };

/// A template running in a room; plain fields so the store can keep it as columns.
struct Round {
  std::int64_t id = 0;  ///< assigned by the store; 0 until saved
  std::string room_id;
  std::string template_key;
  std::string topic;       ///< may be empty; user input
  std::string started_by;  ///< Matrix user id of the moderator
  std::size_t phase_index = 0;
  RoundState state = RoundState::running;
  TimePoint started_at{};
  TimePoint ended_at{};  ///< meaningful once ended
  TimePoint phase_started_at{};
  TimePoint phase_deadline{};                          ///< meaningful while running
  std::chrono::milliseconds remaining_when_paused{0};  ///< meaningful while paused
  bool reminder_sent = false;                          ///< for the current phase
  std::chrono::minutes phase_length_override{0};       ///< 0: each phase's template duration
  std::string thread_root;  ///< the event its thread (m.thread) hangs from; empty: main timeline
  /// When the phase or the state (running, paused, ended) last changed; set by the transitions
  /// for the store's history of the round (not a column: a round read back has it zero).
  TimePoint changed_at{};

  bool operator==(const Round&) const = default;
};

/// A new phase became current (the round's phase_index).
struct PhaseStarted {
  std::size_t index = 0;
  bool operator==(const PhaseStarted&) const = default;
};

/// The current phase ends soon.
struct ReminderDue {
  std::size_t index = 0;
  std::chrono::milliseconds remaining{0};
  bool operator==(const ReminderDue&) const = default;
};

/// A phase was closed, by timer, by command, or after an outage.
struct PhaseEnded {
  std::size_t index = 0;
  bool closed_while_offline = false;  ///< its deadline passed while the bot was down
  bool operator==(const PhaseEnded&) const = default;
};

/// The round is over; always follows the PhaseEnded of its last current phase.
struct RoundEnded {
  bool by_command = false;  ///< ended by the end command rather than after the last phase
  bool operator==(const RoundEnded&) const = default;
};

/// The round was paused.
struct Paused {
  std::size_t index = 0;
  std::chrono::milliseconds remaining{0};
  bool operator==(const Paused&) const = default;
};

/// The round was resumed.
struct Resumed {
  std::size_t index = 0;
  std::chrono::milliseconds remaining{0};
  bool operator==(const Resumed&) const = default;
};

/// The current phase was extended.
struct Extended {
  std::size_t index = 0;
  std::chrono::minutes minutes{0};
  std::chrono::milliseconds remaining{0};  ///< after the extension
  bool operator==(const Extended&) const = default;
};

/// Something that happened to a round, in order.
using RoundEvent =
    std::variant<PhaseStarted, ReminderDue, PhaseEnded, RoundEnded, Paused, Resumed, Extended>;

/// Why a transition was refused.
enum class RoundError {
  no_phases,         ///< the template has no phases
  bad_phase_length,  ///< phase length outside 1–kMaxPhaseLength minutes
  bad_extension,     ///< extension outside 1–kMaxExtension minutes
  round_ended,       ///< the round is already over
  already_paused,    ///< pause on a paused round
  not_paused,        ///< resume on a running round
};

/// The new round and what happened on the way there.
struct RoundStep {
  Round round;
  std::vector<RoundEvent> events;
};

/// A transition's outcome: the step, or why it was refused (the round is then unchanged).
using RoundResult = Expected<RoundStep, RoundError>;

/// Longest phase length a moderator may set.
inline constexpr std::chrono::minutes kMaxPhaseLength{240};
/// Longest extension a moderator may give at once.
inline constexpr std::chrono::minutes kMaxExtension{240};
/// How late a deadline may be handled before the phase counts as closed while offline.
inline constexpr std::chrono::seconds kOfflineGrace{60};

/// The length of phase `index` in this round (override, else template, else 15 min).
std::chrono::minutes phase_length(const Round& round, const Template& tmpl, std::size_t index);

/// How long before the deadline the reminder comes; nullopt for phases shorter than 2 min.
std::optional<std::chrono::minutes> reminder_lead(std::chrono::minutes phase_length);

/// Starts `tmpl` in `room_id`; `phase_length` 0 means each phase's template duration.
RoundResult start_round(const Template& tmpl, std::string room_id, std::string topic,
                        std::string started_by, std::chrono::minutes phase_length, TimePoint now);

/// Closes the current phase and starts the next (or ends the round after the last); a paused
/// round runs again with the new phase.
RoundResult next_phase(const Round& round, const Template& tmpl, TimePoint now);

/// Freezes the remaining time of the current phase.
RoundResult pause(const Round& round, const Template& tmpl, TimePoint now);

/// Continues a paused round with the time that was left.
RoundResult resume(const Round& round, const Template& tmpl, TimePoint now);

/// Adds `minutes` to the current phase (running or paused); the reminder comes again if its
/// time moves back into the future.
RoundResult extend(const Round& round, const Template& tmpl, TimePoint now,
                   std::chrono::minutes minutes);

/// Ends the round now, closing the current phase.
RoundResult end_round(const Round& round, const Template& tmpl, TimePoint now);

/// Applies the timer at `now`: reminder, phase end, next phase or round end; nothing when
/// nothing is due, the round is paused or ended.
RoundStep tick(const Round& round, const Template& tmpl, TimePoint now);

/// When `tick` next has something to do (may be in the past: due now); nullopt when paused or
/// ended.
std::optional<TimePoint> next_wakeup(const Round& round, const Template& tmpl);

/// Time left in the current phase at `now` (frozen while paused; zero when ended or overdue).
std::chrono::milliseconds remaining(const Round& round, TimePoint now);

}  // namespace reflexbot::core
