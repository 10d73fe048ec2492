#include "core/round.hpp"

#include <gtest/gtest.h>

namespace reflexbot::core {
namespace {

using namespace std::chrono_literals;
using Events = std::vector<RoundEvent>;

const TimePoint t0{std::chrono::milliseconds{1'750'000'000'000}};

PhaseTemplate phase(std::string key, std::chrono::minutes duration) {
  return PhaseTemplate{key, {key, key}, {"Frage " + key, "Question " + key}, duration};
}

// Three phases: one with a 3-minute reminder lead, one with 2 minutes, one too short for any.
Template test_template() {
  Template tmpl;
  tmpl.key = "test";
  tmpl.title = {"Test", "Test"};
  tmpl.phases = {phase("eins", 15min), phase("zwei", 10min), phase("drei", 1min)};
  return tmpl;
}

Round started(const Template& tmpl, std::chrono::minutes length = 0min) {
  auto result =
      start_round(tmpl, "!room:example.org", "Hochwasser", "@mod:example.org", length, t0);
  EXPECT_TRUE(result);
  return result->round;
}

TEST(ReminderLead, IsAFifthOfThePhaseBetweenOneAndFiveMinutes) {
  EXPECT_EQ(reminder_lead(1min), std::nullopt);
  EXPECT_EQ(reminder_lead(0min), std::nullopt);
  EXPECT_EQ(reminder_lead(2min), 1min);
  EXPECT_EQ(reminder_lead(7min), 1min);
  EXPECT_EQ(reminder_lead(10min), 2min);
  EXPECT_EQ(reminder_lead(15min), 3min);
  EXPECT_EQ(reminder_lead(25min), 5min);
  EXPECT_EQ(reminder_lead(240min), 5min);
}

TEST(StartRound, StartsTheFirstPhaseNow) {
  const Template tmpl = test_template();
  auto result = start_round(tmpl, "!room:example.org", "Hochwasser", "@mod:example.org", 0min, t0);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseStarted{0}}));
  const Round& round = result->round;
  EXPECT_EQ(round.id, 0);
  EXPECT_EQ(round.room_id, "!room:example.org");
  EXPECT_EQ(round.template_key, "test");
  EXPECT_EQ(round.topic, "Hochwasser");
  EXPECT_EQ(round.started_by, "@mod:example.org");
  EXPECT_EQ(round.state, RoundState::running);
  EXPECT_EQ(round.phase_index, 0u);
  EXPECT_EQ(round.started_at, t0);
  EXPECT_EQ(round.phase_started_at, t0);
  EXPECT_EQ(round.phase_deadline, t0 + 15min);
  EXPECT_FALSE(round.reminder_sent);
}

TEST(StartRound, PhaseLengthOverrideAppliesToEveryPhase) {
  const Template tmpl = test_template();
  Round round = started(tmpl, 20min);
  EXPECT_EQ(round.phase_deadline, t0 + 20min);
  round = next_phase(round, tmpl, t0 + 1min)->round;
  EXPECT_EQ(round.phase_deadline, t0 + 21min);
  round = next_phase(round, tmpl, t0 + 2min)->round;
  EXPECT_EQ(round.phase_deadline, t0 + 22min);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 18min);  // 20 min phases get a 4-minute reminder
}

TEST(Timer, RunsAWholeRoundWithOneReminderPerPhase) {
  const Template tmpl = test_template();
  Round round = started(tmpl);

  // Phase 1: 15 minutes, reminder 3 minutes before the end.
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 12min);
  auto step = tick(round, tmpl, t0 + 11min);
  EXPECT_TRUE(step.events.empty());
  EXPECT_EQ(step.round, round);
  step = tick(round, tmpl, t0 + 12min);
  EXPECT_EQ(step.events, (Events{ReminderDue{0, 3min}}));
  round = step.round;
  EXPECT_TRUE(round.reminder_sent);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 15min);
  EXPECT_TRUE(tick(round, tmpl, t0 + 13min).events.empty());
  EXPECT_TRUE(tick(round, tmpl, t0 + 15min - 1ms).events.empty());

  step = tick(round, tmpl, t0 + 15min);
  EXPECT_EQ(step.events, (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
  round = step.round;
  EXPECT_EQ(round.phase_index, 1u);
  EXPECT_EQ(round.phase_started_at, t0 + 15min);
  EXPECT_EQ(round.phase_deadline, t0 + 25min);
  EXPECT_FALSE(round.reminder_sent);

  // Phase 2: 10 minutes, reminder 2 minutes before; the timer fires a little late.
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 23min);
  step = tick(round, tmpl, t0 + 23min + 400ms);
  EXPECT_EQ(step.events, (Events{ReminderDue{1, 2min - 400ms}}));
  round = step.round;
  step = tick(round, tmpl, t0 + 25min + 30s);  // late, but within the grace: not "offline"
  EXPECT_EQ(step.events, (Events{PhaseEnded{1, false}, PhaseStarted{2}}));
  round = step.round;
  EXPECT_EQ(round.phase_deadline, t0 + 26min + 30s);

  // Phase 3: one minute, too short for a reminder.
  EXPECT_EQ(next_wakeup(round, tmpl), round.phase_deadline);
  EXPECT_TRUE(tick(round, tmpl, t0 + 26min).events.empty());
  step = tick(round, tmpl, t0 + 26min + 30s);
  EXPECT_EQ(step.events, (Events{PhaseEnded{2, false}, RoundEnded{false}}));
  round = step.round;
  EXPECT_EQ(round.state, RoundState::ended);
  EXPECT_EQ(round.ended_at, t0 + 26min + 30s);
  EXPECT_EQ(next_wakeup(round, tmpl), std::nullopt);

  // An ended round ignores the timer.
  step = tick(round, tmpl, t0 + 10h);
  EXPECT_TRUE(step.events.empty());
  EXPECT_EQ(step.round, round);
}

TEST(Timer, ReminderComesLateButNeverAfterTheDeadline) {
  const Template tmpl = test_template();
  const Round round = started(tmpl);
  auto step = tick(round, tmpl, t0 + 14min);
  EXPECT_EQ(step.events, (Events{ReminderDue{0, 1min}}));
  // Nobody ticked before the deadline: the phase ends without a reminder.
  step = tick(round, tmpl, t0 + 15min);
  EXPECT_EQ(step.events, (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
}

TEST(Commands, NextPhaseClosesTheCurrentAndStartsTheNextNow) {
  const Template tmpl = test_template();
  Round round = started(tmpl);
  round = tick(round, tmpl, t0 + 12min).round;  // reminder given
  auto result = next_phase(round, tmpl, t0 + 13min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
  round = result->round;
  EXPECT_EQ(round.phase_index, 1u);
  EXPECT_EQ(round.phase_started_at, t0 + 13min);
  EXPECT_EQ(round.phase_deadline, t0 + 23min);
  EXPECT_FALSE(round.reminder_sent);

  round = next_phase(round, tmpl, t0 + 14min)->round;
  result = next_phase(round, tmpl, t0 + 14min + 10s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseEnded{2, false}, RoundEnded{false}}));
  EXPECT_EQ(result->round.state, RoundState::ended);
}

TEST(Commands, NextPhaseOnAPausedRoundRunsTheNextPhase) {
  const Template tmpl = test_template();
  Round round = pause(started(tmpl), tmpl, t0 + 5min)->round;
  auto result = next_phase(round, tmpl, t0 + 30min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
  EXPECT_EQ(result->round.state, RoundState::running);
  EXPECT_EQ(result->round.phase_deadline, t0 + 40min);
  EXPECT_EQ(result->round.remaining_when_paused, 0ms);
}

TEST(Commands, PauseAndResumeAcrossTheDeadline) {
  const Template tmpl = test_template();
  Round round = started(tmpl);
  auto result = pause(round, tmpl, t0 + 10min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{Paused{0, 5min}}));
  round = result->round;
  EXPECT_EQ(round.state, RoundState::paused);
  EXPECT_EQ(round.remaining_when_paused, 5min);
  EXPECT_EQ(remaining(round, t0 + 1h), 5min);
  EXPECT_EQ(next_wakeup(round, tmpl), std::nullopt);

  // The old deadline and the old reminder time pass: nothing happens.
  for (auto at : {t0 + 12min, t0 + 15min, t0 + 20min, t0 + 2h}) {
    const auto step = tick(round, tmpl, at);
    EXPECT_TRUE(step.events.empty());
    EXPECT_EQ(step.round, round);
  }

  result = resume(round, tmpl, t0 + 2h);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{Resumed{0, 5min}}));
  round = result->round;
  EXPECT_EQ(round.state, RoundState::running);
  EXPECT_EQ(round.phase_deadline, t0 + 2h + 5min);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 2h + 2min);

  auto step = tick(round, tmpl, t0 + 2h + 2min);
  EXPECT_EQ(step.events, (Events{ReminderDue{0, 3min}}));
  round = step.round;
  step = tick(round, tmpl, t0 + 2h + 5min);
  EXPECT_EQ(step.events, (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
}

TEST(Commands, PauseKeepsAReminderAlreadyGiven) {
  const Template tmpl = test_template();
  Round round = tick(started(tmpl), tmpl, t0 + 12min).round;
  round = pause(round, tmpl, t0 + 13min)->round;
  round = resume(round, tmpl, t0 + 30min)->round;
  EXPECT_TRUE(round.reminder_sent);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 32min);
  EXPECT_TRUE(tick(round, tmpl, t0 + 31min).events.empty());
}

TEST(Commands, ExtendMovesTheDeadlineAndRearmsTheReminder) {
  const Template tmpl = test_template();
  Round round = tick(started(tmpl), tmpl, t0 + 12min).round;
  auto result = extend(round, tmpl, t0 + 13min, 10min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{Extended{0, 10min, 12min}}));
  round = result->round;
  EXPECT_EQ(round.phase_deadline, t0 + 25min);
  EXPECT_FALSE(round.reminder_sent);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 22min);
  EXPECT_EQ(tick(round, tmpl, t0 + 22min).events, (Events{ReminderDue{0, 3min}}));

  // An extension that leaves the deadline inside the reminder window sends no second reminder.
  Round late = tick(started(tmpl), tmpl, t0 + 14min).round;
  late = extend(late, tmpl, t0 + 14min, 1min)->round;
  EXPECT_TRUE(late.reminder_sent);
  EXPECT_EQ(next_wakeup(late, tmpl), t0 + 16min);
}

TEST(Commands, ExtendWhilePausedAddsToTheFrozenTime) {
  const Template tmpl = test_template();
  Round round = pause(started(tmpl), tmpl, t0 + 10min)->round;
  auto result = extend(round, tmpl, t0 + 11min, 5min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{Extended{0, 5min, 10min}}));
  round = result->round;
  EXPECT_EQ(round.state, RoundState::paused);
  EXPECT_EQ(round.remaining_when_paused, 10min);
  EXPECT_EQ(resume(round, tmpl, t0 + 1h)->round.phase_deadline, t0 + 1h + 10min);
}

TEST(Commands, EndClosesTheCurrentPhaseAndTheRound) {
  const Template tmpl = test_template();
  auto result = end_round(started(tmpl), tmpl, t0 + 4min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseEnded{0, false}, RoundEnded{true}}));
  EXPECT_EQ(result->round.state, RoundState::ended);
  EXPECT_EQ(result->round.ended_at, t0 + 4min);
  EXPECT_EQ(next_wakeup(result->round, tmpl), std::nullopt);

  Round paused = next_phase(started(tmpl), tmpl, t0 + 1min)->round;
  paused = pause(paused, tmpl, t0 + 2min)->round;
  result = end_round(paused, tmpl, t0 + 3min);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->events, (Events{PhaseEnded{1, false}, RoundEnded{true}}));
  EXPECT_EQ(result->round.state, RoundState::ended);
}

TEST(Restart, AnOverduePhaseIsClosedOnceWithTheOfflineFlag) {
  const Template tmpl = test_template();
  const Round before_shutdown = tick(started(tmpl), tmpl, t0 + 5min).round;
  // The store keeps the value; after the restart the app loads it and ticks hours later.
  const Round loaded = before_shutdown;
  const TimePoint restart = t0 + 3h;
  EXPECT_EQ(next_wakeup(loaded, tmpl), t0 + 12min);  // in the past: due at once

  auto step = tick(loaded, tmpl, restart);
  EXPECT_EQ(step.events, (Events{PhaseEnded{0, true}, PhaseStarted{1}}));
  const Round after = step.round;
  EXPECT_EQ(after.phase_index, 1u);
  EXPECT_EQ(after.phase_started_at, restart);
  EXPECT_EQ(after.phase_deadline, restart + 10min);  // the next phase gets its full time

  // A second tick (or a second restart right away) does not close anything again.
  step = tick(after, tmpl, restart);
  EXPECT_TRUE(step.events.empty());
  EXPECT_EQ(step.round, after);
  EXPECT_TRUE(tick(after, tmpl, restart + 1min).events.empty());
  EXPECT_EQ(next_wakeup(after, tmpl), restart + 8min);
}

TEST(Restart, TheGraceSeparatesALateTimerFromAnOutage) {
  const Template tmpl = test_template();
  const Round round = started(tmpl);
  EXPECT_EQ(tick(round, tmpl, t0 + 15min + 60s).events,
            (Events{PhaseEnded{0, false}, PhaseStarted{1}}));
  EXPECT_EQ(tick(round, tmpl, t0 + 15min + 60s + 1ms).events,
            (Events{PhaseEnded{0, true}, PhaseStarted{1}}));
}

TEST(Restart, AnOutageOverSeveralPhasesSkipsNone) {
  const Template tmpl = test_template();
  Round round = started(tmpl);
  const TimePoint restart = t0 + 1h;  // all three deadlines would have passed by now
  auto step = tick(round, tmpl, restart);
  EXPECT_EQ(step.events, (Events{PhaseEnded{0, true}, PhaseStarted{1}}));
  round = step.round;
  step = tick(round, tmpl, restart + 10min);
  EXPECT_EQ(step.events, (Events{PhaseEnded{1, false}, PhaseStarted{2}}));
}

TEST(Restart, AnOverdueLastPhaseEndsTheRound) {
  const Template tmpl = test_template();
  Round round = next_phase(started(tmpl), tmpl, t0)->round;
  round = next_phase(round, tmpl, t0)->round;
  const auto step = tick(round, tmpl, t0 + 1h);
  EXPECT_EQ(step.events, (Events{PhaseEnded{2, true}, RoundEnded{false}}));
  EXPECT_EQ(step.round.state, RoundState::ended);
}

TEST(Restart, APausedRoundStaysPausedAndKeepsItsTime) {
  const Template tmpl = test_template();
  const Round loaded = pause(started(tmpl), tmpl, t0 + 10min)->round;
  EXPECT_TRUE(tick(loaded, tmpl, t0 + 1h).events.empty());
  EXPECT_EQ(resume(loaded, tmpl, t0 + 1h)->round.phase_deadline, t0 + 1h + 5min);
}

TEST(Restart, ATemplateThatLostPhasesEndsTheRoundAtTheDeadline) {
  const Template tmpl = test_template();
  Round round = next_phase(started(tmpl), tmpl, t0)->round;
  Template shorter = tmpl;
  shorter.phases.resize(1);
  const auto step = tick(round, shorter, round.phase_deadline);
  EXPECT_EQ(step.events, (Events{PhaseEnded{1, false}, RoundEnded{false}}));
}

TEST(NextWakeup, IsTheReminderThenTheDeadline) {
  const Template tmpl = test_template();
  Round round = started(tmpl);
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 12min);
  round.reminder_sent = true;
  EXPECT_EQ(next_wakeup(round, tmpl), t0 + 15min);
  round.state = RoundState::paused;
  EXPECT_EQ(next_wakeup(round, tmpl), std::nullopt);
  round.state = RoundState::ended;
  EXPECT_EQ(next_wakeup(round, tmpl), std::nullopt);
}

TEST(InvalidTransitions, AreRefusedWithAReason) {
  const Template tmpl = test_template();
  const Round running = started(tmpl);
  const Round paused = pause(running, tmpl, t0 + 1min)->round;
  const Round ended = end_round(running, tmpl, t0 + 2min)->round;

  EXPECT_EQ(pause(paused, tmpl, t0 + 3min).error(), RoundError::already_paused);
  EXPECT_EQ(resume(running, tmpl, t0 + 3min).error(), RoundError::not_paused);

  EXPECT_EQ(next_phase(ended, tmpl, t0 + 3min).error(), RoundError::round_ended);
  EXPECT_EQ(pause(ended, tmpl, t0 + 3min).error(), RoundError::round_ended);
  EXPECT_EQ(resume(ended, tmpl, t0 + 3min).error(), RoundError::round_ended);
  EXPECT_EQ(extend(ended, tmpl, t0 + 3min, 5min).error(), RoundError::round_ended);
  EXPECT_EQ(end_round(ended, tmpl, t0 + 3min).error(), RoundError::round_ended);

  EXPECT_EQ(extend(running, tmpl, t0 + 3min, 0min).error(), RoundError::bad_extension);
  EXPECT_EQ(extend(running, tmpl, t0 + 3min, -5min).error(), RoundError::bad_extension);
  EXPECT_EQ(extend(running, tmpl, t0 + 3min, 241min).error(), RoundError::bad_extension);
  EXPECT_TRUE(extend(running, tmpl, t0 + 3min, 240min));
  EXPECT_TRUE(extend(running, tmpl, t0 + 3min, 1min));

  Template empty = tmpl;
  empty.phases.clear();
  EXPECT_EQ(start_round(empty, "!r:x", "", "@m:x", 0min, t0).error(), RoundError::no_phases);
  EXPECT_EQ(start_round(tmpl, "!r:x", "", "@m:x", 241min, t0).error(),
            RoundError::bad_phase_length);
  EXPECT_EQ(start_round(tmpl, "!r:x", "", "@m:x", -1min, t0).error(), RoundError::bad_phase_length);
  EXPECT_TRUE(start_round(tmpl, "!r:x", "", "@m:x", 240min, t0));
}

}  // namespace
}  // namespace reflexbot::core
