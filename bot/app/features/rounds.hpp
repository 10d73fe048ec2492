#pragma once
// Reflection rounds in the running bot: the round commands (!runde, !weiter, !pause,
// !fortsetzen, !verlängern, !ende, !status, !vorlagen) and the round timers (phase ends,
// reminders). Who may run a command is the dispatcher's to check (the command table); the
// round's rules are core/round.hpp, its notices core/round_text.hpp.

#include <optional>
#include <string>

#include "app/features/feature.hpp"
#include "core/commands.hpp"
#include "core/round.hpp"
#include "matrix/events.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// Rounds in all rooms.
class Rounds {
 public:
  Rounds(store::Store& store, const FeatureSettings& settings)
      : store_(store), settings_(settings) {}

  /// Answers a command of Feature::rounds.
  void handle_command(const core::Command& command, const matrix::Event& event,
                      const store::RoomRecord& room, BatchContext context);
  /// Runs the timers of every open round that is due.
  void tick(BatchContext context);
  /// When tick() has work next, over all open rounds.
  std::optional<core::TimePoint> next_wakeup();

 private:
  /// !status in a direct chat: the rounds of the sender's configured rooms.
  void status_direct(const matrix::Event& event, const store::RoomRecord& room,
                     BatchContext context);
  /// !runde: starts a round if none is open.
  /// `!umfrage`: a poll of the open phase's contributions; `!umfrage ende` closes the room's
  /// open poll.
  void poll(const core::Command& command, const matrix::Event& event, const store::RoomRecord& room,
            BatchContext context);
  void start(const core::Command& command, const matrix::Event& event,
             const store::RoomRecord& room, BatchContext context);
  /// !weiter, !pause, !fortsetzen, !verlängern, !ende on the open round, after its due timers.
  void step(const core::Command& command, const matrix::Event& event, const core::Round& open,
            const core::Template& tmpl, BatchContext context);
  /// Saves the round and posts a notice per event; `key` makes the notices' txn ids.
  void apply(const core::RoundStep& step, const core::Template& tmpl, const std::string& key,
             const matrix::Event* reply_to, BatchContext context);
  core::Notice render(const core::RoundEvent& event, const core::Round& round,
                      const core::Template& tmpl);
  core::Notice render_last_phase_and_round_end(const core::PhaseEnded& phase_end,
                                               const core::RoundEnded& round_end,
                                               const core::Round& round,
                                               const core::Template& tmpl);

  store::Store& store_;
  const FeatureSettings& settings_;
};

}  // namespace reflexbot::app
