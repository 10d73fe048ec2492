#include "app/features/rounds.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/round_text.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/texts.hpp"
#include "matrix/content.hpp"

namespace reflexbot::app {

using core::CommandKind;

core::Notice Rounds::render(const core::RoundEvent& round_event, const core::Round& round,
                            const core::Template& tmpl) {
  const auto language = settings_.language;
  return std::visit(
      [&](const auto& event) -> core::Notice {
        using T = std::decay_t<decltype(event)>;
        if constexpr (std::is_same_v<T, core::PhaseStarted>) {
          core::Round at_start = round;
          at_start.phase_index = event.index;
          return core::render_phase_start(at_start, tmpl, language);
        } else if constexpr (std::is_same_v<T, core::ReminderDue>) {
          return core::render_reminder(tmpl, event, language);
        } else if constexpr (std::is_same_v<T, core::PhaseEnded>) {
          const std::string phase =
              event.index < tmpl.phases.size() ? tmpl.phases[event.index].key : std::string();
          return core::render_phase_end(
              tmpl, event,
              core::with_written_tags(store_.summarize(round.id, phase), settings_.vocabulary),
              language);
        } else if constexpr (std::is_same_v<T, core::RoundEnded>) {
          return core::render_round_end(
              tmpl, event,
              core::with_written_tags(store_.summarize(round.id, ""), settings_.vocabulary),
              language);
        } else if constexpr (std::is_same_v<T, core::Paused>) {
          return core::render_paused(tmpl, event, language);
        } else if constexpr (std::is_same_v<T, core::Resumed>) {
          return core::render_resumed(tmpl, event, language);
        } else {
          return core::render_extended(tmpl, event, language);
        }
      },
      round_event);
}

core::Notice Rounds::render_last_phase_and_round_end(const core::PhaseEnded& phase_end,
                                                     const core::RoundEnded& round_end,
                                                     const core::Round& round,
                                                     const core::Template& tmpl) {
  return core::render_last_phase_and_round_end(
      tmpl, phase_end, round_end,
      core::with_written_tags(store_.summarize(round.id, ""), settings_.vocabulary),
      settings_.language);
}

void Rounds::apply(const core::RoundStep& step, const core::Template& tmpl, const std::string& key,
                   const matrix::Event* reply_to, BatchContext context) {
  core::Round round = step.round;
  round.id = context.scope.save_round(round);
  for (std::size_t i = 0; i < step.events.size(); ++i) {
    // The last phase's end and the round's end come as one notice (the round's strongest points
    // once); its key stays the phase end's.
    const auto* phase_end = std::get_if<core::PhaseEnded>(&step.events[i]);
    const auto* round_end =
        i + 1 < step.events.size() ? std::get_if<core::RoundEnded>(&step.events[i + 1]) : nullptr;
    const bool together = phase_end != nullptr && round_end != nullptr;
    const core::Notice notice =
        together ? render_last_phase_and_round_end(*phase_end, *round_end, round, tmpl)
                 : render(step.events[i], round, tmpl);
    // Only the first notice answers the command; the rest follow as plain notices.
    context.out.notice(round.room_id, notice, i == 0 ? reply_to : nullptr,
                       key + "/" + std::to_string(i), round.thread_root);
    if (together) ++i;  // the round's end is said
  }
}

void Rounds::handle_command(const core::Command& command, const matrix::Event& event,
                            const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  if (command.kind == CommandKind::templates) {
    answer(core::render_templates(settings_.templates, language));
    return;
  }
  if (room.direct) {
    // The command table lets only !status through to a direct chat.
    if (command.kind == CommandKind::status) status_direct(event, room, context);
    return;
  }
  if (command.kind == CommandKind::start_round) {
    start(command, event, room, context);
    return;
  }
  if (command.kind == CommandKind::poll) {
    poll(command, event, room, context);
    return;
  }
  auto open = store_.open_round(room.room_id);
  const core::Template* tmpl = open ? find_template(settings_, open->template_key) : nullptr;
  if (!open || tmpl == nullptr) {
    answer(core::render_no_round(language));
  } else if (command.kind == CommandKind::status) {
    answer(core::render_status(*open, *tmpl, context.now, language));
  } else {
    step(command, event, *open, *tmpl, context);
  }
}

void Rounds::poll(const core::Command& command, const matrix::Event& event,
                  const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language);
  auto answer = [&](std::string_view text) {
    context.out.notice(room.room_id, core::fill(text), &event, event.event_id + "/reply");
  };
  if (!command.args.empty()) {
    const std::string word = core::fold_tag(command.args.front());
    if (word != "ende" && word != "end" && word != "schliessen" && word != "close") {
      answer(t.help.poll.usage);
      return;
    }
    const auto open = store_.open_poll(room.room_id);
    if (!open) return answer(t.poll_no_open);
    if (open->event_id.empty()) return answer(t.poll_not_sent);
    context.scope.close_poll(open->txn_id, core::to_ms(context.now));
    context.out.event(room.room_id,
                      matrix::poll_end_event(open->event_id, std::string(t.poll_ended)),
                      event.event_id + "/poll-end");
    return;
  }
  const auto phase = open_phase(store_, settings_, room.room_id);
  if (!phase) {
    context.out.notice(room.room_id, core::render_no_round(settings_.language), &event,
                       event.event_id + "/reply");
    return;
  }
  // Element shows up to 20 answers; the phase's most voted (then oldest) contributions.
  constexpr std::size_t kMaxAnswers = 20;
  constexpr std::size_t kAnswerBytes = 140;
  const auto contributions =
      store_.phase_contributions(phase->round, phase->phase_key, kMaxAnswers);
  if (contributions.empty()) return answer(t.poll_none);
  std::vector<matrix::PollAnswer> answers;
  std::vector<std::pair<std::string, std::string>> stands_for;
  std::string fallback(t.poll_question);
  for (std::size_t i = 0; i < contributions.size(); ++i) {
    const std::string id = std::to_string(i + 1);
    std::string text(core::truncate_utf8(contributions[i].body, kAnswerBytes));
    if (text.size() < contributions[i].body.size()) text += " …";
    fallback += "\n" + id + ". " + text;
    answers.push_back({id, std::move(text)});
    stands_for.emplace_back(id, contributions[i].event_id);
  }
  const std::string txn_id = context.out.event(
      room.room_id, matrix::poll_start_event(std::string(t.poll_question), answers, fallback),
      event.event_id + "/poll");
  context.scope.create_poll(txn_id, room.room_id, stands_for, core::to_ms(context.now));
}

void Rounds::status_direct(const matrix::Event& event, const store::RoomRecord& room,
                           BatchContext context) {
  // The configured rooms the bot is in and the sender is a member of, by name (else city).
  std::vector<core::Round> open;
  std::vector<std::pair<std::string, const core::Template*>> labels;
  for (const auto& [room_id, city] : settings_.cities) {
    const auto record = store_.room(room_id);
    if (!record || record->membership != "join" || record->direct) continue;
    if (!store_.is_member(room_id, event.sender)) continue;
    auto round = store_.open_round(room_id);
    const core::Template* tmpl = round ? find_template(settings_, round->template_key) : nullptr;
    if (!round || tmpl == nullptr) continue;
    open.push_back(std::move(*round));
    labels.emplace_back(record->name.empty() ? city : record->name, tmpl);
  }
  std::vector<core::RoomRound> rounds;
  for (std::size_t i = 0; i < open.size(); ++i) {
    rounds.push_back({labels[i].first, &open[i], labels[i].second});
  }
  std::sort(rounds.begin(), rounds.end(),
            [](const auto& a, const auto& b) { return a.room < b.room; });
  context.out.notice(room.room_id,
                     core::render_status_direct(rounds, context.now, settings_.language), &event,
                     event.event_id + "/reply");
}

void Rounds::start(const core::Command& command, const matrix::Event& event,
                   const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  auto args = core::parse_start_args(command);
  if (!args) {
    answer(core::render_argument_problem(CommandKind::start_round,
                                         core::start_args_problem(command), language));
    return;
  }
  const core::Template* chosen = find_template(settings_, args->template_key);
  if (chosen == nullptr) {
    std::vector<std::string> keys;
    for (const auto& t : settings_.templates) keys.push_back(t.key);
    answer(core::render_unknown_template(args->template_key, keys, language));
    return;
  }
  if (auto open = store_.open_round(room.room_id)) {
    const core::Template* tmpl = find_template(settings_, open->template_key);
    answer(core::render_round_already_running(*open, tmpl != nullptr ? *tmpl : *chosen, language));
    return;
  }
  auto started =
      core::start_round(*chosen, room.room_id, args->topic, settings_.pseudonym(event.sender),
                        args->phase_length, context.now);
  if (!started) {
    answer(core::render_round_error(started.error(), language));
    return;
  }
  // In a thread: the moderator's !runde is its root, so the round reads as one conversation.
  if (args->thread.value_or(chosen->thread)) started->round.thread_root = event.event_id;
  spdlog::info("round {} started in {} ({} phases{})", chosen->key, room.room_id,
               chosen->phases.size(), started->round.thread_root.empty() ? "" : ", in a thread");
  apply(*started, *chosen, event.event_id + "/reply", &event, context);
}

void Rounds::step(const core::Command& command, const matrix::Event& event, const core::Round& open,
                  const core::Template& tmpl, BatchContext context) {
  const auto language = settings_.language;
  const std::string key = event.event_id + "/reply";
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(open.room_id, notice, &event, key);
  };
  // Timers that fell due are applied first, so the command acts on the round as it is now.
  core::RoundStep due = core::tick(open, tmpl, context.now);
  if (!due.events.empty()) apply(due, tmpl, key + "/due", nullptr, context);
  core::Round current = due.round;
  current.id = open.id;

  core::RoundResult result = Unexpected{core::RoundError::round_ended};
  switch (command.kind) {
    case CommandKind::next_phase:
      result = core::next_phase(current, tmpl, context.now);
      break;
    case CommandKind::pause:
      result = core::pause(current, tmpl, context.now);
      break;
    case CommandKind::resume:
      result = core::resume(current, tmpl, context.now);
      break;
    case CommandKind::end_round:
      result = core::end_round(current, tmpl, context.now);
      break;
    case CommandKind::extend: {
      auto minutes = core::parse_minutes(command);
      if (!minutes) {
        answer(core::render_argument_problem(CommandKind::extend, core::minutes_problem(command),
                                             language));
        return;
      }
      result = core::extend(current, tmpl, context.now, *minutes);
      break;
    }
    default:
      break;
  }
  if (!result) {
    answer(core::render_round_error(result.error(), language));
    return;
  }
  apply(*result, tmpl, key, &event, context);
}

void Rounds::tick(BatchContext context) {
  for (const auto& round : store_.open_rounds()) {
    const core::Template* tmpl = find_template(settings_, round.template_key);
    if (tmpl == nullptr) {
      spdlog::warn("round {} in {} uses template {}, which is no longer configured", round.id,
                   round.room_id, round.template_key);
      continue;
    }
    core::RoundStep step = core::tick(round, *tmpl, context.now);
    if (step.events.empty()) continue;
    step.round.id = round.id;
    // The timer state before the tick identifies this firing, so its notices are queued once.
    const std::string key =
        "round:" + std::to_string(round.id) + ":" + std::to_string(round.phase_index) + ":" +
        std::to_string(core::to_ms(round.phase_deadline)) + (round.reminder_sent ? ":r" : ":");
    apply(step, *tmpl, key, nullptr, context);
  }
}

std::optional<core::TimePoint> Rounds::next_wakeup() {
  std::optional<core::TimePoint> earliest;
  for (const auto& round : store_.open_rounds()) {
    const core::Template* tmpl = find_template(settings_, round.template_key);
    if (tmpl == nullptr) continue;
    auto wakeup = core::next_wakeup(round, *tmpl);
    if (wakeup && (!earliest || *wakeup < *earliest)) earliest = wakeup;
  }
  return earliest;
}

}  // namespace reflexbot::app
