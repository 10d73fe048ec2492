#include "app/reflection.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/round_text.hpp"
#include "store/retention.hpp"

namespace reflexbot::app {
namespace {

using core::CommandKind;

std::int64_t to_ms(core::TimePoint time) { return time.time_since_epoch().count(); }

// Reply fallbacks quote the original ("> <@a:b> …" lines, then a blank line): not part of what
// this message says, and its tags belong to the original.
std::string_view strip_reply_fallback(std::string_view body) {
  while (body.starts_with(">")) {
    const auto end = body.find('\n');
    if (end == std::string_view::npos) return {};
    body.remove_prefix(end + 1);
  }
  while (body.starts_with("\n")) body.remove_prefix(1);
  return body;
}

core::RoomAuthority authority_of(const store::RoomRecord& room) {
  core::RoomAuthority authority;
  authority.room_version = room.room_version;
  const auto creators = nlohmann::json::parse(room.creators_json, nullptr, false);
  if (creators.is_array()) {
    for (const auto& creator : creators) {
      if (creator.is_string() && !creator.get<std::string>().empty()) {
        authority.creators.push_back(creator.get<std::string>());
      }
    }
  }
  const auto levels = nlohmann::json::parse(room.power_levels_json, nullptr, false);
  authority.has_power_levels = levels.is_object();
  if (authority.has_power_levels) {
    authority.users_default = levels.value("users_default", std::int64_t{0});
    if (auto users = levels.find("users"); users != levels.end() && users->is_object()) {
      for (const auto& [user, level] : users->items()) {
        if (level.is_number_integer()) authority.users[user] = level.get<std::int64_t>();
      }
    }
  }
  return authority;
}

// An anonymous post with its label, escaped as HTML and as JSON, stays below this many bytes, so
// the event stays below the 64 KiB limit of Matrix whatever the text holds.
constexpr std::size_t kMaxPostBytes = 60000;

std::size_t encoded_size(const core::Notice& notice) {
  using nlohmann::json;
  return json(notice.text).dump(-1, ' ', false, json::error_handler_t::replace).size() +
         json(notice.html).dump(-1, ' ', false, json::error_handler_t::replace).size();
}

// The text of an anonymous post, shortened at a character boundary (and marked " …") until its
// notice fits: escaping can make a text of 64 KiB five times as long.
std::string fitting_post_text(std::string text, core::Language language) {
  bool shortened = false;
  while (encoded_size(core::render_anonymous_contribution(text + (shortened ? " …" : ""),
                                                          language)) > kMaxPostBytes) {
    text = std::string(core::truncate_utf8(text, text.size() * 3 / 4));
    shortened = true;
  }
  return shortened ? text + " …" : text;
}

// Every command except the two core answers itself (and unknown ones) belongs here.
bool is_reflection_command(CommandKind kind) {
  switch (kind) {
    case CommandKind::start_round:
    case CommandKind::next_phase:
    case CommandKind::pause:
    case CommandKind::resume:
    case CommandKind::extend:
    case CommandKind::end_round:
    case CommandKind::status:
    case CommandKind::templates:
    case CommandKind::forget_me:
    case CommandKind::my_contributions:
    case CommandKind::anonymous:
      return true;
    default:
      return false;
  }
}

}  // namespace

Reflection::Reflection(store::Store& store, ReflectionSettings settings)
    : store_(store), settings_(std::move(settings)) {
  if (!settings_.pseudonym) throw std::invalid_argument("Reflection needs a pseudonymizer");
}

const core::Template* Reflection::find_template(const std::string& key) const {
  auto it = std::find_if(settings_.templates.begin(), settings_.templates.end(),
                         [&](const core::Template& t) { return t.key == key; });
  return it == settings_.templates.end() ? nullptr : &*it;
}

bool Reflection::is_moderator(const store::RoomRecord& room, const std::string& user_id) const {
  return core::is_moderator(authority_of(room), user_id, settings_.moderator_level);
}

std::string Reflection::city_of(const store::RoomRecord& room) const {
  if (auto it = settings_.cities.find(room.room_id); it != settings_.cities.end())
    return it->second;
  return room.name.empty() ? room.room_id : room.name;
}

void Reflection::apply(const core::RoundStep& step, const core::Template& tmpl,
                       const std::string& key, const matrix::Event* reply_to,
                       BatchContext context) {
  core::Round round = step.round;
  round.id = context.scope.save_round(round);
  const auto language = settings_.language;
  for (std::size_t i = 0; i < step.events.size(); ++i) {
    const std::string event_key = key + "/" + std::to_string(i);
    const core::Notice notice = std::visit(
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
            return core::render_phase_end(tmpl, event, store_.summarize(round.id, phase), language);
          } else if constexpr (std::is_same_v<T, core::RoundEnded>) {
            return core::render_round_end(tmpl, event, store_.summarize(round.id, ""), language);
          } else if constexpr (std::is_same_v<T, core::Paused>) {
            return core::render_paused(tmpl, event, language);
          } else if constexpr (std::is_same_v<T, core::Resumed>) {
            return core::render_resumed(tmpl, event, language);
          } else {
            return core::render_extended(tmpl, event, language);
          }
        },
        step.events[i]);
    // Only the first notice answers the command; the rest follow as plain notices.
    context.out.notice(round.room_id, notice, i == 0 ? reply_to : nullptr, event_key);
  }
}

bool Reflection::handle_command(const core::Command& command, const matrix::Event& event,
                                const store::RoomRecord& room, BatchContext context) {
  if (!is_reflection_command(command.kind)) return false;
  const auto language = settings_.language;
  const std::string key = event.event_id + "/reply";
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, key);
  };

  if (command.kind == CommandKind::templates) {
    answer(core::render_templates(settings_.templates, language));
    return true;
  }
  if (command.kind == CommandKind::my_contributions) {
    if (!room.direct) {
      answer(core::render_mine_only_direct(language));
    } else {
      answer(
          core::render_mine(store_.contributions_by(settings_.pseudonym(event.sender)), language));
    }
    return true;
  }
  if (command.kind == CommandKind::anonymous) {
    post_anonymously(command, event, room, context);
    return true;
  }
  if (command.kind == CommandKind::forget_me) {
    const std::string author = settings_.pseudonym(event.sender);
    if (!core::is_confirmation(command)) {
      answer(core::render_forget_ask(store_.count_by_author(author), language));
      return true;
    }
    const std::int64_t deleted = context.scope.forget_author(author);
    // Not counted in the answer: rounds they started.
    const std::int64_t cleared = store::forget_sender(store_, author);
    spdlog::info("forget me in {} ({}): deleted {} contributions and votes, {} other rows",
                 room.room_id, event.event_id, deleted, cleared);
    answer(core::render_forget_done(deleted, language));
    return true;
  }

  auto open = store_.open_round(room.room_id);
  const core::Template* tmpl = open ? find_template(open->template_key) : nullptr;
  if (command.kind == CommandKind::status) {
    if (open && tmpl) {
      answer(core::render_status(*open, *tmpl, context.now, language));
    } else {
      answer(core::render_no_round(language));
    }
    return true;
  }
  if (core::is_moderator_command(command) && !is_moderator(room, event.sender)) {
    answer(core::render_not_moderator(language));
    return true;
  }

  if (command.kind == CommandKind::start_round) {
    auto args = core::parse_start_args(command);
    if (!args) {
      answer(core::render_usage_start(language));
      return true;
    }
    const core::Template* chosen = find_template(args->template_key);
    if (chosen == nullptr) {
      std::vector<std::string> keys;
      for (const auto& t : settings_.templates) keys.push_back(t.key);
      answer(core::render_unknown_template(args->template_key, keys, language));
      return true;
    }
    if (open) {
      answer(
          core::render_round_already_running(*open, tmpl != nullptr ? *tmpl : *chosen, language));
      return true;
    }
    auto started =
        core::start_round(*chosen, room.room_id, args->topic, settings_.pseudonym(event.sender),
                          args->phase_length, context.now);
    if (!started) {
      answer(core::render_round_error(started.error(), language));
      return true;
    }
    spdlog::info("round {} started in {} ({} phases)", chosen->key, room.room_id,
                 chosen->phases.size());
    apply(*started, *chosen, key, &event, context);
    return true;
  }

  if (!open || tmpl == nullptr) {
    answer(core::render_no_round(language));
    return true;
  }
  // Timers that fell due are applied first, so the command acts on the round as it is now.
  core::RoundStep due = core::tick(*open, *tmpl, context.now);
  if (!due.events.empty()) apply(due, *tmpl, key + "/due", nullptr, context);
  core::Round current = due.round;
  current.id = open->id;

  core::RoundResult result = Unexpected{core::RoundError::round_ended};
  switch (command.kind) {
    case CommandKind::next_phase:
      result = core::next_phase(current, *tmpl, context.now);
      break;
    case CommandKind::pause:
      result = core::pause(current, *tmpl, context.now);
      break;
    case CommandKind::resume:
      result = core::resume(current, *tmpl, context.now);
      break;
    case CommandKind::end_round:
      result = core::end_round(current, *tmpl, context.now);
      break;
    case CommandKind::extend: {
      auto minutes = core::parse_minutes(command);
      if (!minutes) {
        answer(core::render_usage_extend(language));
        return true;
      }
      result = core::extend(current, *tmpl, context.now, *minutes);
      break;
    }
    default:
      break;
  }
  if (!result) {
    answer(core::render_round_error(result.error(), language));
    return true;
  }
  apply(*result, *tmpl, key, &event, context);
  return true;
}

void Reflection::collect(const matrix::Event& event, const matrix::RoomMessage& message,
                         const store::RoomRecord& room, BatchContext context) {
  if (room.direct) return;  // a direct chat with the bot is no reflection room
  if (message.relates_to && message.relates_to->rel_type == "m.replace") {
    // An edit counts only from the author of the original.
    auto original = store_.contribution(message.relates_to->event_id);
    if (!original || original->author != settings_.pseudonym(event.sender)) return;
    const std::string body = message.new_body.value_or(message.body);
    context.scope.edit_contribution(original->event_id, body,
                                    core::parse_tags(body, settings_.vocabulary));
    return;
  }
  if (message.msgtype != "m.text" && message.msgtype != "m.emote") return;
  const std::string_view text = strip_reply_fallback(message.body);
  if (text.empty()) return;

  // Decide first (this runs for every message); build the contribution only for what is kept.
  std::vector<std::string> tags = core::parse_tags(text, settings_.vocabulary);
  auto open = store_.open_round(room.room_id);
  const core::Template* tmpl = open ? find_template(open->template_key) : nullptr;
  const bool in_round = open && tmpl != nullptr && open->phase_index < tmpl->phases.size();
  if (!in_round && tags.empty()) return;

  core::Contribution contribution = from_message(event, text, std::move(tags), room, context);
  if (in_round) {
    contribution.round = open->id;
    contribution.phase_key = tmpl->phases[open->phase_index].key;
    contribution.via = core::CollectedVia::round;
  } else {
    contribution.via = core::CollectedVia::tag;
  }
  add(contribution, context);
}

core::Contribution Reflection::from_message(const matrix::Event& event, std::string_view text,
                                            std::vector<std::string> tags,
                                            const store::RoomRecord& room,
                                            BatchContext context) const {
  core::Contribution contribution;
  contribution.event_id = event.event_id;
  contribution.room_id = room.room_id;
  contribution.city = city_of(room);
  contribution.author = settings_.pseudonym(event.sender);
  contribution.body = std::string(text);
  contribution.tags = std::move(tags);
  contribution.written_at = core::TimePoint(std::chrono::milliseconds(event.origin_server_ts));
  contribution.collected_at = context.now;
  return contribution;
}

void Reflection::add(const core::Contribution& contribution, BatchContext context) {
  if (context.scope.add_contribution(contribution) && !settings_.ack_reaction.empty()) {
    context.out.reaction(contribution.room_id, contribution.event_id, settings_.ack_reaction,
                         contribution.event_id + "/ack");
  }
}

void Reflection::collect_pinned(const matrix::Event& event, const store::RoomRecord& room,
                                BatchContext context) {
  context.scope.finish_pin(event.event_id);
  const auto* message = std::get_if<matrix::RoomMessage>(&event.content);
  if (message == nullptr || event.redacted || event.sender == settings_.own_user_id) return;
  if (message->msgtype != "m.text" && message->msgtype != "m.emote") return;
  const std::string_view text = strip_reply_fallback(message->body);
  if (text.empty()) return;
  core::Contribution contribution =
      from_message(event, text, core::parse_tags(text, settings_.vocabulary), room, context);
  contribution.via = core::CollectedVia::pin;
  add(contribution, context);
}

void Reflection::post_anonymously(const core::Command& command, const matrix::Event& event,
                                  const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  const std::string key = event.event_id + "/reply";
  if (!room.direct) {
    context.out.notice(room.room_id, core::render_anonymous_only_direct(language), &event, key);
    return;
  }
  auto args = core::parse_anonymous(command);
  if (!args) {
    context.out.notice(room.room_id, core::render_anonymous_usage(language), &event, key);
    return;
  }
  // The room is named by its city (any case) or its id; direct chats are no targets.
  const store::RoomRecord* target = nullptr;
  std::vector<std::string> names;
  const auto rooms = store_.joined_rooms();
  for (const auto& candidate : rooms) {
    if (candidate.direct) continue;
    const std::string city = city_of(candidate);
    names.push_back(city);
    if (candidate.room_id == args->room || core::fold_tag(city) == core::fold_tag(args->room)) {
      target = &candidate;
    }
  }
  if (target == nullptr) {
    context.out.notice(room.room_id,
                       core::render_anonymous_unknown_room(args->room, names, language), &event,
                       key);
    return;
  }
  // Nothing that leads back to the sender is stored: the contribution is keyed by the posted
  // notice's transaction id and has no author.
  const std::string text = fitting_post_text(args->text, language);
  const std::string txn_id =
      context.out.notice(target->room_id, core::render_anonymous_contribution(text, language),
                         nullptr, event.event_id + "/anon");
  core::Contribution contribution;
  contribution.event_id = "anon:" + txn_id;
  contribution.room_id = target->room_id;
  contribution.city = city_of(*target);
  contribution.body = text;  // what the room reads
  contribution.tags = core::parse_tags(text, settings_.vocabulary);
  contribution.written_at = context.now;
  contribution.collected_at = context.now;
  contribution.via = core::CollectedVia::anonymous;
  auto open = store_.open_round(target->room_id);
  const core::Template* tmpl = open ? find_template(open->template_key) : nullptr;
  if (open && tmpl != nullptr && open->phase_index < tmpl->phases.size()) {
    contribution.round = open->id;
    contribution.phase_key = tmpl->phases[open->phase_index].key;
  }
  context.scope.add_contribution(contribution);
  context.out.notice(room.room_id, core::render_anonymous_posted(city_of(*target), language),
                     &event, key);
}

void Reflection::handle_reaction(const matrix::Event& event, const matrix::Reaction& reaction,
                                 BatchContext context) {
  if (reaction.relates_to.rel_type != "m.annotation") return;
  const std::string& key = reaction.relates_to.key;
  const std::string& target = reaction.relates_to.event_id;
  // 👍 with or without a skin tone or variation selector.
  if (key.starts_with("\xF0\x9F\x91\x8D")) {
    context.scope.add_vote(event.event_id, target, settings_.pseudonym(event.sender));
  } else if (key.starts_with("\xF0\x9F\x93\x8C") && !store_.contribution(target)) {
    // 📌: the message is fetched after the commit (it may be older than anything synced).
    context.scope.request_pin(event.room_id, target, to_ms(context.now));
  }
}

void Reflection::handle_redaction(const matrix::Redaction& redaction, BatchContext context) {
  const bool contribution = context.scope.remove_contribution(redaction.redacts);
  if (!contribution) context.scope.remove_vote(redaction.redacts);
  // A redacted anonymous notice takes its contribution along; quarantined copies go too.
  const std::int64_t other = store::erase_redacted(store_, redaction.redacts);
  if (contribution || other > 0) {
    spdlog::info("redaction of {}: deleted {} stored rows", redaction.redacts,
                 other + (contribution ? 1 : 0));
  }
}

void Reflection::tick(BatchContext context) {
  for (const auto& round : store_.open_rounds()) {
    const core::Template* tmpl = find_template(round.template_key);
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
        std::to_string(to_ms(round.phase_deadline)) + (round.reminder_sent ? ":r" : ":");
    apply(step, *tmpl, key, nullptr, context);
  }
}

std::optional<core::TimePoint> Reflection::next_wakeup() {
  std::optional<core::TimePoint> earliest;
  for (const auto& round : store_.open_rounds()) {
    const core::Template* tmpl = find_template(round.template_key);
    if (tmpl == nullptr) continue;
    auto wakeup = core::next_wakeup(round, *tmpl);
    if (wakeup && (!earliest || *wakeup < *earliest)) earliest = wakeup;
  }
  return earliest;
}

}  // namespace reflexbot::app
