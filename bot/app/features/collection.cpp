#include "app/features/collection.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/tags.hpp"
#include "core/texts.hpp"
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
    edit(event, message, room, context);
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
  if (tags.empty() && (!phase || phase->paused)) {
    hint_unknown_tag(event, text, room, context);
    return;
  }

  core::Contribution contribution = from_message(event, text, std::move(tags), room, context);
  if (phase) {
    contribution.round = phase->round;
    contribution.phase_key = phase->phase_key;
  }
  contribution.via = phase && !phase->paused ? core::CollectedVia::round : core::CollectedVia::tag;
  add(contribution, context);
}

void Collection::edit(const matrix::Event& event, const matrix::RoomMessage& message,
                      const store::RoomRecord& room, BatchContext context) {
  // An edit without m.new_content is no replacement (its body is only a fallback "* …").
  if (!message.new_body) return;
  const std::string& original_id = message.relates_to->event_id;
  if (auto original = store_.contribution(original_id)) {
    apply_edit(*original, event, *message.new_body, context);
    return;
  }
  // Not collected: the edit may make it a contribution (it adds a tag). Whether its sender wrote
  // the original is known only from the original, fetched after the commit (collect_edited).
  if (!core::parse_tags(strip_reply_fallback(*message.new_body), settings_.vocabulary).empty()) {
    context.scope.request_edit(room.room_id, original_id, event.event_id, core::to_ms(context.now));
  }
}

void Collection::apply_edit(const core::Contribution& original, const matrix::Event& event,
                            std::string_view new_body, BatchContext context) {
  // An edit counts only from the author of the original, in the original's room (anonymous
  // contributions have no author: nobody edits them).
  if (original.room_id != event.room_id || original.author.empty() ||
      original.author != settings_.pseudonym(event.sender)) {
    return;
  }
  const std::string body(strip_reply_fallback(new_body));
  std::vector<std::string> tags = core::parse_tags(body, settings_.vocabulary);
  // The edited message is judged as what it now is: collected for its tag alone, it is no
  // contribution once the tag is gone. In a round, or pinned, it stays.
  if (original.via == core::CollectedVia::tag && tags.empty()) {
    if (context.scope.withdraw_contribution(original.event_id)) {
      spdlog::info("an edit in {} removed the last tag: contribution withdrawn", event.room_id);
    }
    return;
  }
  context.scope.edit_contribution(original.event_id, body, tags, event.origin_server_ts);
}

void Collection::collect_edited(const matrix::Event& original, const matrix::Event& edit,
                                const store::RoomRecord& room, BatchContext context) {
  context.scope.finish_edit(edit.event_id);
  if (room.direct) return;
  const auto* message = std::get_if<matrix::RoomMessage>(&original.content);
  const auto* replacement = std::get_if<matrix::RoomMessage>(&edit.content);
  if (message == nullptr || replacement == nullptr || !replacement->new_body) return;
  // The spec's rules for m.replace: the same room, the same sender, the same event type, not a
  // state event, and the original is not itself an edit.
  if (!replacement->relates_to || replacement->relates_to->rel_type != "m.replace" ||
      replacement->relates_to->event_id != original.event_id || original.room_id != edit.room_id ||
      edit.room_id != room.room_id || original.sender != edit.sender ||
      original.type != edit.type || original.state_key || edit.state_key || original.redacted ||
      edit.redacted || original.sender == settings_.own_user_id ||
      (message->relates_to && message->relates_to->rel_type == "m.replace")) {
    return;
  }
  if (auto collected = store_.contribution(original.event_id)) {
    apply_edit(*collected, edit, *replacement->new_body, context);
    return;
  }
  if (collectable_text(*message).empty()) return;
  if (const auto forgotten = store_.forgotten_at(settings_.pseudonym(original.sender));
      forgotten && original.origin_server_ts <= *forgotten) {
    return;
  }
  const std::string body(strip_reply_fallback(*replacement->new_body));
  std::vector<std::string> tags = core::parse_tags(body, settings_.vocabulary);
  if (tags.empty()) return;
  core::Contribution contribution = from_message(original, body, std::move(tags), room, context);
  contribution.via = core::CollectedVia::tag;
  add(contribution, context, true);
  context.scope.edit_contribution(contribution.event_id, contribution.body, contribution.tags,
                                  edit.origin_server_ts);
}

void Collection::drop_edit(const std::string& edit_event_id, BatchContext context) {
  context.scope.finish_edit(edit_event_id);
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

void Collection::hint_unknown_tag(const matrix::Event& event, std::string_view text,
                                  const store::RoomRecord& room, BatchContext context) {
  if (text.find('#') == std::string_view::npos) return;
  const auto unknown = core::unknown_hashtags(text, settings_.vocabulary);
  if (unknown.empty()) return;
  const std::int64_t day =
      std::chrono::floor<std::chrono::days>(context.now).time_since_epoch().count();
  if (day != hint_day_) {
    hinted_.clear();
    hint_day_ = day;
  }
  if (!hinted_.insert(settings_.pseudonym(event.sender)).second) return;
  const auto& t = core::texts(settings_.language);
  core::Notice hint;
  for (const auto& typed : unknown) {
    if (const auto tag = core::nearest_tag(typed, settings_.vocabulary)) {
      hint =
          core::fill(t.unknown_tag_guess, {core::plain("typed", typed), core::plain("tag", *tag)});
      break;
    }
  }
  if (hint.text.empty()) {
    std::string tags;
    for (const auto& tag : settings_.vocabulary.tags()) {
      if (tag.kind != core::TagKind::signal) continue;
      tags += (tags.empty() ? "#" : ", #") + tag.key;
    }
    hint = core::fill(t.unknown_tag,
                      {core::plain("typed", unknown.front()), core::plain("tags", tags)});
  }
  context.out.notice_in_thread(room.room_id, hint, event, event.event_id + "/tag-hint");
}

void Collection::add(const core::Contribution& contribution, BatchContext context, bool again) {
  // The ✅ is state of the contribution (sent from there, store::Store::pending_outbox). A
  // message collected again (an edit or a 📌 after an edit had withdrawn it) whose ✅ went out
  // before gets none: the outbox kept that ✅'s transaction id.
  const bool ack = !settings_.ack_reaction.empty() &&
                   !(again && store_.ack_recorded(contribution.room_id, contribution.event_id));
  if (context.scope.add_contribution(contribution, ack) && ack) {
    context.out.ack(contribution.room_id, contribution.event_id, settings_.ack_reaction);
  }
}

void Collection::collect_pinned(const matrix::Event& event, const store::RoomRecord& room,
                                BatchContext context, const std::vector<matrix::Event>& edits) {
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
  add(contribution, context, true);
  // The stored text is the latest version: the edits, oldest first, each from the author only
  // (apply_edit), of this message only (the spec's rules, as for collect_edited).
  std::vector<const matrix::Event*> ordered;
  for (const auto& edit : edits) ordered.push_back(&edit);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return a->origin_server_ts < b->origin_server_ts;
  });
  for (const matrix::Event* edit : ordered) {
    const auto* replacement = std::get_if<matrix::RoomMessage>(&edit->content);
    if (replacement == nullptr || !replacement->new_body || !replacement->relates_to ||
        replacement->relates_to->rel_type != "m.replace" ||
        replacement->relates_to->event_id != event.event_id || edit->room_id != event.room_id ||
        edit->sender != event.sender || edit->type != event.type || edit->state_key ||
        edit->redacted) {
      continue;
    }
    apply_edit(contribution, *edit, *replacement->new_body, context);
  }
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
    // A collected message of this room, or the bot's notice of an anonymous contribution here.
    const auto contribution = store_.contribution_shown_as(event.room_id, target);
    if (!contribution) return;
    const std::string voter = settings_.pseudonym(event.sender);
    // Nobody votes for their own contribution. (An anonymous one has no author to compare with:
    // its author's 👍 counts like anyone's, and nothing could tell it apart.)
    if (contribution->author == voter) return;
    context.scope.add_vote(event.event_id, contribution->event_id, voter);
  } else if (key.starts_with("\xF0\x9F\x93\x8C") && !store_.contribution(target)) {
    // 📌: the message is fetched after the commit (it may be older than anything synced).
    context.scope.request_pin(event.room_id, target, core::to_ms(context.now));
  }
}

void Collection::handle_poll_response(const matrix::Event& event,
                                      const matrix::PollResponse& response,
                                      const store::RoomRecord& room, BatchContext context) {
  if (room.direct || response.relates_to.event_id.empty()) return;
  const auto poll = store_.poll_shown_as(event.room_id, response.relates_to.event_id);
  if (!poll || (poll->closed_at && event.origin_server_ts > *poll->closed_at)) return;
  const std::string voter = settings_.pseudonym(event.sender);
  std::optional<std::string> chosen;
  // One choice per person (max_selections 1): the first answer counts, as the spec says.
  if (!response.answers.empty())
    chosen = store_.poll_answer(poll->txn_id, response.answers.front());
  if (chosen) {
    const auto contribution = store_.contribution(*chosen);
    if (!contribution || contribution->author == voter) chosen.reset();
  }
  context.scope.set_poll_vote(poll->txn_id, voter, chosen);
}

void Collection::handle_poll_end(const matrix::Event& event, const matrix::PollEnd& end,
                                 const store::RoomRecord& room, BatchContext context) {
  if (room.direct || !authority_.is_moderator(room, event.sender)) return;
  if (const auto poll = store_.poll_shown_as(event.room_id, end.relates_to.event_id)) {
    context.scope.close_poll(poll->txn_id, event.origin_server_ts);
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
