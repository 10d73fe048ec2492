#include "app/reflection.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/round_text.hpp"
#include "core/texts.hpp"
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

// An anonymous post with its label, escaped as HTML and as JSON, stays below this many bytes, so
// the event stays below the 64 KiB limit of Matrix whatever the text holds.
constexpr std::size_t kMaxPostBytes = 60000;
// An anonymous text is a contribution to a round, not a document: longer ones are shortened, so
// nobody fills a room (or the store) under cover of anonymity.
constexpr std::size_t kMaxAnonymousTextBytes = 4000;

std::size_t encoded_size(const core::Notice& notice) {
  using nlohmann::json;
  return json(notice.text).dump(-1, ' ', false, json::error_handler_t::replace).size() +
         json(notice.html).dump(-1, ' ', false, json::error_handler_t::replace).size();
}

// The text of an anonymous post, shortened at a character boundary (and marked " …") until its
// notice fits: escaping can make a text of 64 KiB five times as long.
std::string fitting_post_text(std::string text, core::Language language) {
  bool shortened = text.size() > kMaxAnonymousTextBytes;
  if (shortened) text = std::string(core::truncate_utf8(text, kMaxAnonymousTextBytes));
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
    : store_(store), settings_(std::move(settings)), anonymous_limiter_(settings_.anonymous_limit) {
  if (!settings_.pseudonym) throw std::invalid_argument("Reflection needs a pseudonymizer");
}

const core::Template* Reflection::find_template(const std::string& key) const {
  auto it = std::find_if(settings_.templates.begin(), settings_.templates.end(),
                         [&](const core::Template& t) { return t.key == key; });
  return it == settings_.templates.end() ? nullptr : &*it;
}

bool Reflection::is_moderator(const store::RoomRecord& room, const std::string& user_id) const {
  return core::is_moderator(room.authority, user_id, settings_.moderator_level);
}

bool Reflection::is_direct_chat_with(const store::RoomRecord& room, const std::string& user_id) {
  return room.direct && store_.is_member(room.room_id, user_id) &&
         store_.is_member(room.room_id, settings_.own_user_id) &&
         store_.member_count(room.room_id) == 2;
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
    if (!is_direct_chat_with(room, event.sender)) {
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
    context.scope.remember_forgotten(author, to_ms(context.now));
    // Not counted in the answer: rounds they started.
    const std::int64_t cleared = context.scope.forget_sender(author);
    // Counts only: the room (often a direct chat) and the event would say who asked and when.
    spdlog::info("forget me: deleted {} contributions and votes, {} other rows", deleted, cleared);
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
    // An edit counts only from the author of the original, in the original's room.
    auto original = store_.contribution(message.relates_to->event_id);
    if (!original || original->room_id != event.room_id ||
        original->author != settings_.pseudonym(event.sender)) {
      return;
    }
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
  // The sender's server sets origin_server_ts: a time in the future would escape retention.
  contribution.written_at =
      std::min(core::TimePoint(std::chrono::milliseconds(event.origin_server_ts)), context.now);
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
  if (room.direct) return;  // nothing of a direct chat is collected
  if (message->msgtype != "m.text" && message->msgtype != "m.emote") return;
  const std::string_view text = strip_reply_fallback(message->body);
  if (text.empty()) return;
  // What someone wrote before they asked to be forgotten stays forgotten, whoever pins it.
  if (const auto forgotten = store_.forgotten_at(settings_.pseudonym(event.sender));
      forgotten && event.origin_server_ts <= *forgotten) {
    spdlog::info(
        "a pinned message was written before its author asked to be forgotten; "
        "not collected");
    return;
  }
  core::Contribution contribution =
      from_message(event, text, core::parse_tags(text, settings_.vocabulary), room, context);
  contribution.via = core::CollectedVia::pin;
  add(contribution, context);
}

std::variant<store::RoomRecord, core::Notice> Reflection::anonymous_target(
    const std::string& name, const std::string& sender) {
  const auto language = settings_.language;
  // Only configured rooms the bot is in and the sender is a joined member of: nobody posts into
  // a room they cannot read, and no other room is ever named to them.
  std::vector<store::RoomRecord> matches;
  std::vector<std::string> names;
  const std::string wanted = core::fold_tag(name);
  for (const auto& [room_id, city] : settings_.cities) {
    auto record = store_.room(room_id);
    if (!record || record->membership != "join" || record->direct) continue;
    if (!store_.is_member(room_id, sender)) continue;
    const bool by_city = core::fold_tag(city) == wanted;
    const bool by_name = !record->name.empty() && core::fold_tag(record->name) == wanted;
    names.push_back(city);
    if (room_id == name || by_city || by_name) matches.push_back(*record);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return core::render_anonymous_unknown_room(name, names, language);
  }
  std::vector<std::string> candidates;
  for (const auto& match : matches) {
    candidates.push_back(match.name.empty() ? city_of(match)
                                            : "„" + match.name + "“ (" + city_of(match) + ")");
  }
  return core::render_anonymous_ambiguous(name, candidates, language);
}

void Reflection::post_anonymously(const core::Command& command, const matrix::Event& event,
                                  const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  const std::string key = event.event_id + "/reply";
  if (!is_direct_chat_with(room, event.sender)) {
    context.out.notice(room.room_id, core::render_anonymous_only_direct(language), &event, key);
    return;
  }
  auto args = core::parse_anonymous(command);
  if (!args) {
    context.out.notice(room.room_id, core::render_anonymous_usage(language), &event, key);
    return;
  }
  auto target = anonymous_target(args->room, event.sender);
  if (const auto* refusal = std::get_if<core::Notice>(&target)) {
    context.out.notice(room.room_id, *refusal, &event, key);
    return;
  }
  const auto& target_room = std::get<store::RoomRecord>(target);
  if (target_room.encrypted) {
    // Until the bot speaks end-to-end encryption, the text would go into the room in clear.
    context.out.notice(room.room_id,
                       core::fill(core::texts(language).anonymous_encrypted,
                                  {core::plain("room", city_of(target_room))}),
                       &event, key);
    return;
  }
  const auto verdict = anonymous_limiter_.take(event.sender, context.now);
  if (verdict.decision != core::RateDecision::allow) {
    const auto minutes = std::chrono::ceil<std::chrono::minutes>(verdict.retry_after).count();
    context.out.notice(
        room.room_id,
        core::fill(core::texts(language).anonymous_slow_down,
                   {core::plain("minutes", std::to_string(std::max<std::int64_t>(minutes, 1)))}),
        &event, key);
    return;
  }
  // Nothing that leads back to the sender is stored: the post's transaction id is random (the
  // contribution is keyed by it), its times are coarse, it has no author, and the direct chat's
  // traces go with the next batch (Dispatcher::commit, Store::outbox_sent).
  const std::string text = fitting_post_text(args->text, language);
  const std::string txn_id = context.out.anonymous_post(
      target_room.room_id, core::render_anonymous_contribution(text, language));
  const auto coarse = std::chrono::floor<std::chrono::hours>(context.now);
  core::Contribution contribution;
  contribution.event_id = "anon:" + txn_id;
  contribution.room_id = target_room.room_id;
  contribution.city = city_of(target_room);
  contribution.body = text;  // what the room reads
  contribution.tags = core::parse_tags(text, settings_.vocabulary);
  contribution.written_at = coarse;
  contribution.collected_at = coarse;
  contribution.via = core::CollectedVia::anonymous;
  auto open = store_.open_round(target_room.room_id);
  const core::Template* tmpl = open ? find_template(open->template_key) : nullptr;
  if (open && tmpl != nullptr && open->phase_index < tmpl->phases.size()) {
    contribution.round = open->id;
    contribution.phase_key = tmpl->phases[open->phase_index].key;
  }
  context.scope.add_contribution(contribution);
  context.out.notice(room.room_id, core::render_anonymous_posted(city_of(target_room), language),
                     &event, key);
}

void Reflection::handle_reaction(const matrix::Event& event, const matrix::Reaction& reaction,
                                 const store::RoomRecord& room, BatchContext context) {
  if (room.direct || reaction.relates_to.rel_type != "m.annotation") return;
  const std::string& key = reaction.relates_to.key;
  const std::string& target = reaction.relates_to.event_id;
  // 👍 with or without a skin tone or variation selector; only for a contribution of this room.
  if (key.starts_with("\xF0\x9F\x91\x8D")) {
    const auto contribution = store_.contribution(target);
    if (!contribution || contribution->room_id != event.room_id) return;
    context.scope.add_vote(event.event_id, target, settings_.pseudonym(event.sender));
  } else if (key.starts_with("\xF0\x9F\x93\x8C") && !store_.contribution(target)) {
    // 📌: the message is fetched after the commit (it may be older than anything synced).
    context.scope.request_pin(event.room_id, target, to_ms(context.now));
  }
}

void Reflection::handle_redaction(const matrix::Event& event, const matrix::Redaction& redaction,
                                  const store::RoomRecord& room, BatchContext context) {
  // The homeserver checks a redaction against its target only when it serves the target again;
  // the redaction event itself reaches us unchecked (another room's event id, a same-server
  // sender who is not the author). So: the same room, and the author, the voter or a moderator.
  const bool moderator = is_moderator(room, event.sender);
  bool removed = false;
  if (auto contribution = store_.contribution(redaction.redacts)) {
    if (contribution->room_id == event.room_id &&
        (moderator || contribution->author == settings_.pseudonym(event.sender))) {
      removed = context.scope.remove_contribution(redaction.redacts);
    }
  } else if (auto vote = store_.vote(redaction.redacts)) {
    if (vote->room_id == event.room_id &&
        (moderator || vote->voter == settings_.pseudonym(event.sender))) {
      removed = context.scope.remove_vote(redaction.redacts);
    }
  }
  // A redacted anonymous notice takes its contribution along (a moderator's redaction: the bot's
  // notices can be removed by nobody else); quarantined copies of the event go too.
  const std::int64_t other =
      context.scope.erase_redacted(redaction.redacts, event.room_id, moderator);
  if (removed || other > 0) {
    spdlog::info("redaction in {}: deleted {} stored rows", event.room_id,
                 other + (removed ? 1 : 0));
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
