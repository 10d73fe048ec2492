#include "app/features/collection.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/tags.hpp"
#include "store/retention.hpp"

namespace reflexbot::app {
namespace {

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

// What of a message can be a contribution, whichever way it came in (timeline or 📌): the text
// of a text or emote message without its reply fallback; empty: nothing.
std::string_view collectable_text(const matrix::RoomMessage& message) {
  if (message.msgtype != "m.text" && message.msgtype != "m.emote") return {};
  return strip_reply_fallback(message.body);
}

// When a message was written: the sender's server sets origin_server_ts, and a time in the future
// would escape retention (and could claim a phase that has not begun).
core::TimePoint written_at(const matrix::Event& event, const BatchContext& context) {
  return std::min(core::from_ms(event.origin_server_ts), context.now);
}

}  // namespace

void Collection::collect(const matrix::Event& event, const matrix::RoomMessage& message,
                         const store::RoomRecord& room, BatchContext context) {
  if (room.direct) return;  // a direct chat with the bot is no reflection room
  if (message.relates_to && message.relates_to->rel_type == "m.replace") {
    edit(event, message, context);
    return;
  }
  const std::string_view text = collectable_text(message);
  if (text.empty()) return;

  // Decide first (this runs for every message); build the contribution only for what is kept.
  // The phase is the one open when the message was written: after an outage the bot reads it
  // late, when another phase (or none) may be open. A paused round is a break: only a tagged
  // message counts, for the paused phase.
  std::vector<std::string> tags = core::parse_tags(text, settings_.vocabulary);
  const auto phase = phase_at(store_, settings_, room.room_id, written_at(event, context));
  if (tags.empty() && (!phase || phase->paused)) return;

  core::Contribution contribution = from_message(event, text, std::move(tags), room, context);
  if (phase) {
    contribution.round = phase->round;
    contribution.phase_key = phase->phase_key;
  }
  contribution.via = phase && !phase->paused ? core::CollectedVia::round : core::CollectedVia::tag;
  add(contribution, context);
}

void Collection::edit(const matrix::Event& event, const matrix::RoomMessage& message,
                      BatchContext context) {
  // An edit counts only from the author of the original, in the original's room.
  auto original = store_.contribution(message.relates_to->event_id);
  if (!original || original->room_id != event.room_id ||
      original->author != settings_.pseudonym(event.sender)) {
    return;
  }
  const std::string body = message.new_body.value_or(message.body);
  context.scope.edit_contribution(original->event_id, body,
                                  core::parse_tags(body, settings_.vocabulary));
}

core::Contribution Collection::from_message(const matrix::Event& event, std::string_view text,
                                            std::vector<std::string> tags,
                                            const store::RoomRecord& room,
                                            BatchContext context) const {
  core::Contribution contribution;
  contribution.event_id = event.event_id;
  contribution.room_id = room.room_id;
  contribution.city = city_of(settings_, room);
  contribution.author = settings_.pseudonym(event.sender);
  contribution.body = std::string(text);
  contribution.tags = std::move(tags);
  contribution.written_at = written_at(event, context);
  contribution.collected_at = context.now;
  return contribution;
}

void Collection::add(const core::Contribution& contribution, BatchContext context) {
  if (context.scope.add_contribution(contribution) && !settings_.ack_reaction.empty()) {
    context.out.reaction(contribution.room_id, contribution.event_id, settings_.ack_reaction,
                         contribution.event_id + "/ack");
  }
}

void Collection::collect_pinned(const matrix::Event& event, const store::RoomRecord& room,
                                BatchContext context) {
  context.scope.finish_pin(event.event_id);
  const auto* message = std::get_if<matrix::RoomMessage>(&event.content);
  if (message == nullptr || event.redacted || event.sender == settings_.own_user_id) return;
  if (room.direct) return;  // nothing of a direct chat is collected
  const std::string_view text = collectable_text(*message);
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

void Collection::drop_pin(const std::string& target_event_id, BatchContext context) {
  context.scope.finish_pin(target_event_id);
}

void Collection::handle_reaction(const matrix::Event& event, const matrix::Reaction& reaction,
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
    context.scope.request_pin(event.room_id, target, core::to_ms(context.now));
  }
}

void Collection::handle_redaction(const matrix::Event& event, const matrix::Redaction& redaction,
                                  const store::RoomRecord& room, BatchContext context) {
  // The homeserver checks a redaction against its target only when it serves the target again;
  // the redaction event itself reaches us unchecked (another room's event id, a same-server
  // sender who is not the author). So: the same room, and the author, the voter or a moderator.
  const bool moderator = authority_.is_moderator(room, event.sender);
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

}  // namespace reflexbot::app
