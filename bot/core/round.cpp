#include "core/round.hpp"

#include <algorithm>
#include <utility>

namespace reflexbot::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr minutes kFallbackPhaseLength{15};
constexpr minutes kMaxReminderLead{5};
constexpr minutes kShortestRemindedPhase{2};

bool is_last_phase(const Round& round, const Template& tmpl) {
  return round.phase_index + 1 >= tmpl.phases.size();
}

std::optional<TimePoint> reminder_time(const Round& round, const Template& tmpl) {
  const auto lead = reminder_lead(phase_length(round, tmpl, round.phase_index));
  if (!lead) return std::nullopt;
  return round.phase_deadline - *lead;
}

// Closes the current phase and moves on: the next phase starts at `now`, or the round ends.
void close_phase(Round& round, const Template& tmpl, TimePoint now, bool closed_while_offline,
                 std::vector<RoundEvent>& events) {
  events.emplace_back(PhaseEnded{round.phase_index, closed_while_offline});
  if (is_last_phase(round, tmpl)) {
    round.state = RoundState::ended;
    round.ended_at = now;
    round.changed_at = now;
    events.emplace_back(RoundEnded{false});
    return;
  }
  ++round.phase_index;
  round.state = RoundState::running;
  round.changed_at = now;
  round.phase_started_at = now;
  round.phase_deadline = now + phase_length(round, tmpl, round.phase_index);
  round.remaining_when_paused = milliseconds{0};
  round.reminder_sent = false;
  events.emplace_back(PhaseStarted{round.phase_index});
}

}  // namespace

minutes phase_length(const Round& round, const Template& tmpl, std::size_t index) {
  if (round.phase_length_override > minutes{0}) return round.phase_length_override;
  // A template edited between restarts may have fewer phases than the round expects.
  if (index < tmpl.phases.size()) return tmpl.phases[index].duration;
  return kFallbackPhaseLength;
}

std::optional<minutes> reminder_lead(minutes length) {
  if (length < kShortestRemindedPhase) return std::nullopt;
  return std::clamp(length / 5, minutes{1}, kMaxReminderLead);
}

RoundResult start_round(const Template& tmpl, std::string room_id, std::string topic,
                        std::string started_by, minutes length, TimePoint now) {
  if (tmpl.phases.empty()) return Unexpected{RoundError::no_phases};
  if (length < minutes{0} || length > kMaxPhaseLength) {
    return Unexpected{RoundError::bad_phase_length};
  }
  RoundStep step;
  Round& round = step.round;
  round.room_id = std::move(room_id);
  round.template_key = tmpl.key;
  round.topic = std::move(topic);
  round.started_by = std::move(started_by);
  round.phase_length_override = length;
  round.started_at = now;
  round.changed_at = now;
  round.phase_started_at = now;
  round.phase_deadline = now + phase_length(round, tmpl, 0);
  step.events.emplace_back(PhaseStarted{0});
  return step;
}

RoundResult next_phase(const Round& round, const Template& tmpl, TimePoint now) {
  if (round.state == RoundState::ended) return Unexpected{RoundError::round_ended};
  RoundStep step{round, {}};
  close_phase(step.round, tmpl, now, false, step.events);
  return step;
}

RoundResult pause(const Round& round, const Template& /*tmpl*/, TimePoint now) {
  if (round.state == RoundState::ended) return Unexpected{RoundError::round_ended};
  if (round.state == RoundState::paused) return Unexpected{RoundError::already_paused};
  RoundStep step{round, {}};
  step.round.state = RoundState::paused;
  step.round.changed_at = now;
  step.round.remaining_when_paused = remaining(round, now);
  step.events.emplace_back(Paused{round.phase_index, step.round.remaining_when_paused});
  return step;
}

RoundResult resume(const Round& round, const Template& /*tmpl*/, TimePoint now) {
  if (round.state == RoundState::ended) return Unexpected{RoundError::round_ended};
  if (round.state == RoundState::running) return Unexpected{RoundError::not_paused};
  RoundStep step{round, {}};
  step.round.state = RoundState::running;
  step.round.changed_at = now;
  step.round.phase_deadline = now + round.remaining_when_paused;
  step.round.remaining_when_paused = milliseconds{0};
  step.events.emplace_back(Resumed{round.phase_index, round.remaining_when_paused});
  return step;
}

RoundResult extend(const Round& round, const Template& tmpl, TimePoint now, minutes by) {
  if (round.state == RoundState::ended) return Unexpected{RoundError::round_ended};
  if (by <= minutes{0} || by > kMaxExtension) return Unexpected{RoundError::bad_extension};
  RoundStep step{round, {}};
  Round& next = step.round;
  if (next.state == RoundState::paused) {
    next.remaining_when_paused += by;
  } else {
    next.phase_deadline += by;
  }
  // A reminder already given comes again when its time is once more ahead of us.
  const auto lead = reminder_lead(phase_length(next, tmpl, next.phase_index));
  if (next.reminder_sent && lead && remaining(next, now) > *lead) next.reminder_sent = false;
  step.events.emplace_back(Extended{next.phase_index, by, remaining(next, now)});
  return step;
}

RoundResult end_round(const Round& round, const Template& /*tmpl*/, TimePoint now) {
  if (round.state == RoundState::ended) return Unexpected{RoundError::round_ended};
  RoundStep step{round, {}};
  step.round.state = RoundState::ended;
  step.round.ended_at = now;
  step.round.changed_at = now;
  step.round.remaining_when_paused = milliseconds{0};
  step.events.emplace_back(PhaseEnded{round.phase_index, false});
  step.events.emplace_back(RoundEnded{true});
  return step;
}

RoundStep tick(const Round& round, const Template& tmpl, TimePoint now) {
  RoundStep step{round, {}};
  if (round.state != RoundState::running) return step;
  if (now >= round.phase_deadline) {
    const bool offline = now - round.phase_deadline > kOfflineGrace;
    close_phase(step.round, tmpl, now, offline, step.events);
    return step;
  }
  if (!round.reminder_sent) {
    const auto at = reminder_time(round, tmpl);
    if (at && now >= *at) {
      step.round.reminder_sent = true;
      step.events.emplace_back(ReminderDue{round.phase_index, round.phase_deadline - now});
    }
  }
  return step;
}

std::optional<TimePoint> next_wakeup(const Round& round, const Template& tmpl) {
  if (round.state != RoundState::running) return std::nullopt;
  if (!round.reminder_sent) {
    if (const auto at = reminder_time(round, tmpl)) return std::min(*at, round.phase_deadline);
  }
  return round.phase_deadline;
}

milliseconds remaining(const Round& round, TimePoint now) {
  switch (round.state) {
    case RoundState::running:
      return std::max(round.phase_deadline - now, milliseconds{0});
    case RoundState::paused:
      return round.remaining_when_paused;
    case RoundState::ended:
      break;
  }
  return milliseconds{0};
}

}  // namespace reflexbot::core
