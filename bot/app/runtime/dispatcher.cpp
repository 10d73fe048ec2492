#include "app/runtime/dispatcher.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "app/config/config.hpp"
#include "core/commands.hpp"
#include "core/round_text.hpp"
#include "core/texts.hpp"
#include "matrix/authority.hpp"

namespace reflexbot::app {
namespace {

constexpr std::string_view kMegolm = "m.megolm.v1.aes-sha2";

bool is_own_join(const matrix::Event& event, const std::string& own_user_id) {
  const auto* member = std::get_if<matrix::Member>(&event.content);
  return member != nullptr && event.state_key == own_user_id && member->membership == "join";
}

metrics::EventKind event_kind(const matrix::EventContent& content) {
  using metrics::EventKind;
  return std::visit(
      [](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, matrix::RoomMessage>) return EventKind::message;
        if constexpr (std::is_same_v<T, matrix::Reaction>) return EventKind::reaction;
        if constexpr (std::is_same_v<T, matrix::Redaction>) return EventKind::redaction;
        if constexpr (std::is_same_v<T, matrix::Member>) return EventKind::member;
        if constexpr (std::is_same_v<T, matrix::PowerLevels> ||
                      std::is_same_v<T, matrix::Encryption> ||
                      std::is_same_v<T, matrix::RoomName> || std::is_same_v<T, matrix::RoomCreate>)
          return EventKind::state;
        if constexpr (std::is_same_v<T, matrix::Encrypted>) return EventKind::encrypted;
        return EventKind::other;
      },
      content);
}

// The bot's own events: its encrypted echoes are not decrypted (matrix::ingest), so they count as
// what their clear envelope says (a ✅ carries its m.annotation relation outside the ciphertext,
// whose base64 cannot contain the name), not as events whose key is missing.
metrics::EventKind own_event_kind(const matrix::EventContent& content) {
  const auto* sealed = std::get_if<matrix::Encrypted>(&content);
  if (sealed == nullptr) return event_kind(content);
  return sealed->content_json.find("\"m.annotation\"") != std::string::npos
             ? metrics::EventKind::reaction
             : metrics::EventKind::message;
}

}  // namespace

Dispatcher::Dispatcher(store::Store& store, DispatcherSettings settings,
                       std::function<std::int64_t()> now_ms)
    : store_(store),
      settings_(std::move(settings)),
      now_ms_(std::move(now_ms)),
      features_([this] {
        FeatureSettings features = settings_.features;
        features.own_user_id = settings_.own_user_id;
        features.language = settings_.language;
        if (!features.pseudonym) throw std::invalid_argument("the features need a pseudonymizer");
        return features;
      }()),
      authority_(features_.moderator_level),
      rounds_(store, features_),
      collection_(store, features_, authority_),
      privacy_(store, features_),
      digests_(store,
               [this] {
                 DigestSettings digests = settings_.digests;
                 digests.language = settings_.language;
                 digests.pseudonym = features_.pseudonym;
                 return digests;
               }()),
      command_limiter_(settings_.command_limit) {}

void MetricsTally::add_to(metrics::Registry& registry, std::size_t contributions) const {
  for (std::size_t i = 0; i < events.size(); ++i) registry.events[i] += events[i];
  registry.duplicates += duplicates;
  registry.kept_for_keys += undecryptable;
  registry.contributions += contributions;
  for (const auto& [name, outcome] : commands) {
    auto it = registry.commands.find(name);
    if (it == registry.commands.end()) {
      it = registry.commands
               .emplace(std::string(name), std::array<std::uint64_t, metrics::kCommandOutcomes>{})
               .first;
    }
    ++it->second[static_cast<std::size_t>(outcome)];
  }
}

void Dispatcher::open_unit() {
  now_ = now_ms_();
  tally_ = {};
  scope_.emplace(store_);
  out_.start(*scope_, now_);
}

std::size_t Dispatcher::commit_unit() {
  const std::size_t contributions = scope_->contributions_added();
  scope_->commit();
  tally_.add_to(metrics::registry(), contributions);
  tally_ = {};
  const std::size_t queued = out_.queued();
  out_.finish();
  scope_.reset();
  if (queued > 0 && wake_outbox_) wake_outbox_();
  return queued;
}

void Dispatcher::abort_unit() {
  tally_ = {};
  out_.finish();
  scope_.reset();  // rolls back
}

void Dispatcher::received(std::size_t body_bytes) {
  last_body_bytes_ = body_bytes;
  // Its batch gets a page cache of its size; the commit (or a rollback) gives it back.
  store_.size_cache_for(body_bytes);
  if (body_bytes < kLargeBody) return;
  if (store_.release_dictionaries_if_idle(std::chrono::steady_clock::duration::zero())) {
    spdlog::debug(
        "a /sync body of {} bytes: the dictionaries are released until its terms are made",
        body_bytes);
  }
}

void Dispatcher::send_early() {
  if (!early_sender_ || out_.fresh().empty()) return;
  std::vector<OutboxItem> rows;
  rows.reserve(out_.fresh().size());
  for (const auto& fresh : out_.fresh()) {
    const auto touched = rooms_.find(fresh.room_id);
    const store::RoomRecord room =
        touched != rooms_.end() ? touched->second : stored_room(fresh.room_id);
    if (room.membership != "join") continue;
    OutboxItem& row = rows.emplace_back(fresh);
    row.encrypted = room.encrypted;
    row.confidential = room.direct;
  }
  early_sender_(rows);
}

template <class Work>
std::size_t Dispatcher::in_transaction(Work&& work) {
  open_unit();
  try {
    work(context());
  } catch (...) {
    abort_unit();
    throw;
  }
  return commit_unit();
}

std::optional<std::string> Dispatcher::sync_token() { return store_.sync_token(); }

bool Dispatcher::was_joined(const std::string& room_id) {
  auto room = store_.room(room_id);
  return room && room->membership == "join";
}

store::RoomRecord Dispatcher::stored_room(const std::string& room_id) {
  auto stored = store_.room(room_id);
  store::RoomRecord record = stored ? *stored : store::RoomRecord{};
  record.room_id = room_id;
  return record;
}

store::RoomRecord& Dispatcher::room_record(const std::string& room_id) {
  auto it = rooms_.find(room_id);
  if (it != rooms_.end()) return it->second;
  return rooms_.emplace(room_id, stored_room(room_id)).first->second;
}

bool Dispatcher::is_direct(const std::string& room_id) {
  auto it = rooms_.find(room_id);
  return it != rooms_.end() ? it->second.direct : stored_room(room_id).direct;
}

BatchContext Dispatcher::context() { return BatchContext{*scope_, out_, core::from_ms(now_)}; }

void Dispatcher::apply_state(store::RoomRecord& room, const matrix::Event& event) {
  if (!event.state_key) return;
  // Only membership is keyed by a user; the room's name, creation, power levels and encryption
  // are the events with an empty state key (another key is another, meaningless state entry).
  if (!event.state_key->empty() && !std::holds_alternative<matrix::Member>(event.content)) return;
  std::visit(
      [&](const auto& content) {
        using T = std::decay_t<decltype(content)>;
        if constexpr (std::is_same_v<T, matrix::RoomName>) {
          room.name = content.name;
        } else if constexpr (std::is_same_v<T, matrix::RoomCreate>) {
          matrix::apply_create(room.authority, content);
        } else if constexpr (std::is_same_v<T, matrix::PowerLevels>) {
          matrix::apply_power_levels(room.authority, content);
        } else if constexpr (std::is_same_v<T, matrix::Member>) {
          const bool joined = content.membership == "join";
          if (*event.state_key == settings_.own_user_id && !joined &&
              content.membership != "invite") {
            scope_->forget_members(room.room_id);  // left, kicked or banned
          } else {
            scope_->set_member(room.room_id, *event.state_key, joined);
          }
        } else if constexpr (std::is_same_v<T, matrix::Encryption>) {
          // Encryption cannot be switched off again: once encrypted, the outbox encrypts. An
          // algorithm we cannot speak leaves the room as it was: its notice must be readable.
          if (content.algorithm == kMegolm) room.encrypted = true;
          if (content.algorithm != kMegolm && !room.encryption_notice_sent) {
            const auto& text = core::texts(settings_.language).unsupported_encryption;
            out_.notice(room.room_id, core::Notice{std::string(text), core::html_escape(text)},
                        nullptr, "encrypted:" + room.room_id);
            room.encryption_notice_sent = true;
            spdlog::warn("room {} is encrypted with {}, which the bot cannot handle; told the room",
                         room.room_id, core::printable(content.algorithm));
          }
        }
      },
      event.content);
}

void Dispatcher::handle_message(const matrix::Event& event, const matrix::RoomMessage& message) {
  if (event.redacted || message.msgtype == "m.notice") return;
  const bool edit = message.relates_to && message.relates_to->rel_type == "m.replace";
  const bool reply = message.relates_to && !message.relates_to->in_reply_to.empty();
  // "!lehre 2" as a reply to a digest: older clients put a quote of the digest first.
  const std::string_view body =
      reply ? core::without_reply_fallback(message.body) : std::string_view(message.body);
  auto command = !edit && message.msgtype == "m.text" ? core::parse_command(body) : std::nullopt;
  if (!command && room_->direct) {
    if (!edit) hello(event);
    return;
  }
  if (!command) {
    collection_.collect(event, message, *room_, context());
    return;
  }
  if (within_limit(event)) {
    run_command(*command, event);
  } else {
    count_command(*command, metrics::CommandOutcome::rate_limited);
  }
}

void Dispatcher::hello(const matrix::Event& event) {
  constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
  const std::int64_t day = now_ / kDayMs;
  const auto said = hello_day_.find(event.sender);
  if (said != hello_day_.end() && said->second == day) return;
  if (std::find(hello_now_.begin(), hello_now_.end(), event.sender) != hello_now_.end()) return;
  hello_now_.push_back(event.sender);
  out_.notice(event.room_id, core::render_direct_chat_hello(settings_.language), &event,
              event.event_id + "/hello");
}

void Dispatcher::welcome(const store::RoomRecord& room) {
  spdlog::info("joined {}: posting the welcome", room.room_id);
  out_.notice(room.room_id, core::render_welcome(settings_.language, features_.moderator_level),
              nullptr, "welcome");
}

void Dispatcher::run_command(const core::Command& command, const matrix::Event& event) {
  const core::CommandSpec& spec = core::command_spec(command.kind);
  const core::Place place = room_->direct ? core::in_direct_chat : core::in_room;
  auto reply = [&](const core::Notice& notice) {
    out_.notice(event.room_id, notice, &event, event.event_id + "/reply");
  };
  auto refuse_here = [&] {
    count_command(command, metrics::CommandOutcome::refused);
    if (spec.elsewhere != nullptr)
      reply(core::fill(core::texts(settings_.language).*spec.elsewhere));
  };
  // A direct chat is no room of the network: no rounds, lessons or digests there, and nobody's
  // power level in their own chat with the bot counts. (Refused before the log line.)
  if (room_->direct && !spec.runs_in(place)) return refuse_here();
  // The word after an unknown '!' is the user's text, not a command name: not logged at info.
  // A direct chat's commands are logged without room or event: next to an anonymous post's
  // time, they would name its author.
  const bool unknown = command.kind == core::CommandKind::unknown;
  if (room_->direct) {
    spdlog::info("{} in a direct chat",
                 unknown ? std::string("unknown command") : "command !" + command.name);
  } else if (unknown) {
    spdlog::info("unknown command in {} ({})", event.room_id, event.event_id);
  } else {
    spdlog::info("command !{} in {} ({})", command.name, event.room_id, event.event_id);
  }
  if (!spec.runs_in(place)) return refuse_here();  // a direct chat's own command in a room
  if (spec.moderator && !authority_.is_moderator(*room_, event.sender)) {
    count_command(command, metrics::CommandOutcome::refused);
    reply(core::render_not_moderator(settings_.language));
    return;
  }
  count_command(command,
                unknown ? metrics::CommandOutcome::unknown : metrics::CommandOutcome::answered);
  route(spec, command, event);
}

void Dispatcher::route(const core::CommandSpec& spec, const core::Command& command,
                       const matrix::Event& event) {
  switch (spec.feature) {
    case core::Feature::rounds:
      rounds_.handle_command(command, event, *room_, context());
      return;
    case core::Feature::privacy:
      privacy_.handle_command(command, event, *room_, context());
      return;
    case core::Feature::digests:
    case core::Feature::lessons:
      digests_.handle_command(command, event, *room_, context());
      return;
    case core::Feature::core: {
      // A typo's suggestion names only a command this person may use here.
      core::Asker asker;
      asker.place = room_->direct ? core::in_direct_chat : core::in_room;
      asker.moderator = !room_->direct && authority_.is_moderator(*room_, event.sender);
      out_.notice(event.room_id, core::answer(command, settings_.language, asker), &event,
                  event.event_id + "/reply");
      return;
    }
  }
}

void Dispatcher::count_command(const core::Command& command, metrics::CommandOutcome outcome) {
  // The table's canonical name, never what was typed: the label set stays ours.
  const std::string_view name = command.kind == core::CommandKind::unknown
                                    ? std::string_view("unknown")
                                    : core::command_spec(command.kind).names[0];
  tally_.commands.emplace_back(name, outcome);
}

bool Dispatcher::is_network_room(const std::string& room_id) const {
  return settings_.features.cities.contains(room_id) || room_id == settings_.digests.network_room;
}

bool Dispatcher::accepts_invite(const matrix::Invite& invite) {
  if (invite.inviter.empty()) return false;
  if (settings_.invite_allowed && settings_.invite_allowed(invite.inviter)) return true;
  if (!invite.is_direct) return false;
  auto shared = [&](const std::string& room_id) {
    auto record = store_.room(room_id);
    return record && record->membership == "join" && store_.is_member(room_id, invite.inviter);
  };
  for (const auto& [room_id, city] : settings_.features.cities) {
    if (shared(room_id)) return true;
  }
  return !settings_.digests.network_room.empty() && shared(settings_.digests.network_room);
}

bool Dispatcher::within_limit(const matrix::Event& event) {
  const auto verdict = command_limiter_.take(event.sender, core::from_ms(now_));
  switch (verdict.decision) {
    case core::RateDecision::allow:
      return true;
    case core::RateDecision::notify: {
      // No room or event id: in a direct chat (!anonym) they would point to the person.
      spdlog::info(
          "a person is over the command rate limit: told once, further commands are "
          "dropped until it allows again");
      const auto seconds = std::chrono::ceil<std::chrono::seconds>(verdict.retry_after).count();
      out_.notice(
          event.room_id,
          core::fill(core::texts(settings_.language).rate_limited,
                     {core::plain("seconds", std::to_string(std::max<std::int64_t>(seconds, 1)))}),
          &event, event.event_id + "/slow-down");
      return false;
    }
    case core::RateDecision::drop:
      spdlog::debug("command dropped: its sender is over the command rate limit");
      return false;
  }
  return false;
}

void Dispatcher::begin(const matrix::SyncBatch& outline, bool initial) {
  open_unit();
  stats_ = {};
  rooms_.clear();
  newly_joined_.clear();
  room_ = nullptr;
  initial_ = initial;

  for (const auto& invite : outline.invites) {
    auto& room = room_record(invite.room_id);
    if (room.membership == "join") continue;
    room.membership = "invite";
    // Whoever invites says is_direct; a room of the network never becomes a direct chat by it.
    room.direct = invite.is_direct && !is_network_room(invite.room_id);
    if (accepts_invite(invite)) {
      spdlog::info("accepting the {}invite to {} from {}", invite.is_direct ? "direct-chat " : "",
                   core::printable(invite.room_id), core::printable(invite.inviter));
      scope_->queue_membership(store::OutboxKind::join, invite.room_id, now_);
    } else {
      // The inviter is told nothing: a stranger learns nothing about the bot or its rooms. The
      // log names the invite_allowlist entries that would admit them, as invitations are logged:
      // with the inviter's id. Both come from the inviting server: no control characters.
      std::string admit;
      const auto entries = allowlist_entries_for(invite.inviter);
      if (entries.size() == 2) {
        admit = "; to accept such invites, add \"" + core::printable(entries[0]) +
                "\" (this user) or \"" + core::printable(entries[1]) +
                "\" (everyone on that server) to invite_allowlist in the config";
      }
      spdlog::warn("declining the invite to {} from {}: not on the invite allowlist{}{}",
                   core::printable(invite.room_id),
                   invite.inviter.empty() ? "an unknown inviter" : core::printable(invite.inviter),
                   invite.is_direct ? " and no member of a configured room" : "", admit);
      scope_->queue_membership(store::OutboxKind::leave, invite.room_id, now_);
    }
  }
  for (const auto& joined : outline.joined) {
    auto& room = room_record(joined.room_id);
    const bool newly = room.membership != "join";
    if (newly) newly_joined_.insert(joined.room_id);
    room.membership = "join";
    for (const auto& event : joined.state) apply_state(room, event);
    // A welcome, once per room: not for rooms found joined at the first start, nor in a direct
    // chat, where the first plain message gets its own answer. Posted at the commit, when the
    // batch's timeline has said whether the room is encrypted (a new room's m.room.encryption
    // may come in the timeline, not the state block), or with the first message before that.
    if (newly && !initial_ && !room.direct) room.welcome_due = true;
  }
  for (const auto& room_id : outline.left) room_record(room_id).membership = "leave";
}

void Dispatcher::room_timeline(const std::string& room_id) {
  room_ = &room_record(room_id);
  // In a room we just joined, what happened before our own join is history, not a request to us.
  acting_ = !initial_ && !newly_joined_.contains(room_id);
}

void Dispatcher::timeline_event(const matrix::Event& event) {
  if (room_ == nullptr || room_->room_id != event.room_id) room_timeline(event.room_id);
  if (room_->direct && event.sender == settings_.own_user_id) {
    // Our own events in a direct chat are never acted on and leave no seen row: paired with the
    // room's echo of an anonymous post, its time would point to the direct chat.
    apply_state(*room_, event);
    if (is_own_join(event, settings_.own_user_id)) acting_ = !initial_;
    return;
  }
  if (room_->direct) direct_seen_now_ = true;
  if (!scope_->mark_seen(event.event_id, event.room_id, now_)) {
    ++stats_.duplicates;
    ++tally_.duplicates;
    return;
  }
  ++stats_.events;
  tally_.count(event.sender == settings_.own_user_id ? own_event_kind(event.content)
                                                     : event_kind(event.content));
  apply_state(*room_, event);
  if (is_own_join(event, settings_.own_user_id)) {
    acting_ = !initial_;
    return;
  }
  if (!acting_ || event.sender == settings_.own_user_id) return;
  if (const auto* message = std::get_if<matrix::RoomMessage>(&event.content)) {
    if (room_->welcome_due) {
      room_->welcome_due = false;
      if (!room_->encryption_notice_sent && !room_->direct) welcome(*room_);
    }
    handle_message(event, *message);
  } else if (const auto* reaction = std::get_if<matrix::Reaction>(&event.content)) {
    collection_.handle_reaction(event, *reaction, *room_, context());
  } else if (const auto* redaction = std::get_if<matrix::Redaction>(&event.content)) {
    collection_.handle_redaction(event, *redaction, *room_, context());
  } else if (const auto* response = std::get_if<matrix::PollResponse>(&event.content)) {
    collection_.handle_poll_response(event, *response, *room_, context());
  } else if (const auto* end = std::get_if<matrix::PollEnd>(&event.content)) {
    collection_.handle_poll_end(event, *end, *room_, context());
  }
}

void Dispatcher::malformed(const matrix::MalformedEvent& bad) {
  if (bad.type == "m.room.power_levels" && bad.state_key == "") {
    // A power-levels event we cannot read must not leave the old levels in force: only the
    // room's creators keep their power until a readable one arrives.
    matrix::drop_power_levels(room_record(bad.room_id).authority);
    spdlog::warn("power levels of {} unreadable: only the room's creators count as moderators",
                 bad.room_id);
  }
  // Its seen row is a trace of the direct chat like any other event's: it goes with the next batch.
  if (is_direct(bad.room_id)) direct_seen_now_ = true;
  // Seen even when the quarantine refuses it: a malformed event is never retried.
  if (!bad.event_id.empty() && !scope_->mark_seen(bad.event_id, bad.room_id, now_)) return;
  tally_.count(metrics::EventKind::malformed);
  const auto outcome =
      scope_->quarantine({bad.room_id, bad.event_id, bad.type, bad.state_key.has_value(),
                          bad.sender, bad.raw_json, bad.reason},
                         now_);
  if (outcome.stored) {
    spdlog::warn("quarantined malformed event {} in {}: {}", bad.event_id, bad.room_id,
                 outcome.reason);
    ++stats_.quarantined;
  } else if (outcome.first_refusal) {
    spdlog::warn(
        "the quarantine's {} cap for today (UTC) is reached in {}: further malformed events "
        "there are counted, not kept",
        outcome.cap, bad.room_id);
  }
}

void Dispatcher::undecryptable(const matrix::Event& event, const crypto::Undecryptable& why) {
  if (room_ == nullptr || room_->room_id != event.room_id) room_timeline(event.room_id);
  // History from before our join is never acted on, so it is not kept either: only marked seen.
  // Nor are our own events (the bot's echo needs no reading).
  if (!acting_ || event.sender == settings_.own_user_id) {
    timeline_event(event);
    return;
  }
  if (!scope_->keep_undecrypted({event.event_id, event.room_id, event.sender, why.session_id,
                                 matrix::encrypted_event_json(event), now_}))
    return;
  ++stats_.undecryptable;
  ++tally_.undecryptable;
  if (!room_->direct) {
    spdlog::debug("event {} in {} waits for its room key ({})", event.event_id, event.room_id,
                  why.reason);
  }
}

std::vector<matrix::KeptEvent> Dispatcher::kept_events(std::size_t limit) {
  std::vector<matrix::KeptEvent> kept;
  for (auto& row : store_.undecrypted(limit)) {
    kept.push_back({std::move(row.event_id), std::move(row.room_id), std::move(row.event_json),
                    row.received_ms});
  }
  return kept;
}

void Dispatcher::drop_kept(const std::string& event_id) { scope_->drop_undecrypted(event_id); }

void Dispatcher::commit(const std::string& next_batch) {
  for (auto& [id, room] : rooms_) {
    // A direct chat that someone else joined is a group room from now on.
    if (room.direct && (is_network_room(id) || store_.member_count(id) > 2)) room.direct = false;
    // An encrypted room keeps its welcome for the first message someone writes there: a client
    // that has not fetched the bot's device keys yet may drop the room key of a message sent at
    // once. A room in an encryption the bot does not know got its notice instead.
    if (room.welcome_due && room.membership == "join" && !room.encrypted) {
      room.welcome_due = false;
      if (!room.encryption_notice_sent && !room.direct) welcome(room);
    }
    scope_->put_room(room);
  }
  // A direct chat's seen rows serve only the next batch's de-duplication.
  erased_direct_traces_ = direct_seen_ && scope_->forget_direct_seen(now_) > 0;
  direct_seen_ = direct_seen_now_;
  direct_seen_now_ = false;
  scope_->set_sync_token(next_batch, now_);  // now_ is also `reflexbot status`'s last sync
  // The replies leave now; the commit (and its fsync) follows. A crash in between replays the
  // batch, which queues the same rows with the same transaction ids.
  send_early();
  stats_.queued = commit_unit();
  store_.release_batch_cache();
  const std::int64_t today = now_ / (24LL * 60 * 60 * 1000);
  std::erase_if(hello_day_, [&](const auto& entry) { return entry.second != today; });
  for (auto& sender : hello_now_) hello_day_[std::move(sender)] = today;
  hello_now_.clear();
  room_ = nullptr;
  if (stats_.events > 0 || stats_.quarantined > 0 || stats_.undecryptable > 0) {
    spdlog::debug(
        "batch committed: {} new events, {} seen before, {} queued, {} quarantined, {} wait for "
        "their room keys",
        stats_.events, stats_.duplicates, stats_.queued, stats_.quarantined, stats_.undecryptable);
  }
}

void Dispatcher::set_members(const std::string& room_id, const std::vector<std::string>& user_ids) {
  in_transaction([&](BatchContext context) { context.scope.replace_members(room_id, user_ids); });
}

void Dispatcher::abort() {
  direct_seen_now_ = false;
  hello_now_.clear();
  abort_unit();
  store_.release_batch_cache();
  room_ = nullptr;
  rooms_.clear();
}

void Dispatcher::collect_pinned(const matrix::Event& event,
                                const std::vector<matrix::Event>& edits) {
  in_transaction([&](BatchContext context) {
    collection_.collect_pinned(event, stored_room(event.room_id), context, edits);
  });
}

void Dispatcher::drop_pin(const std::string& target_event_id) {
  in_transaction([&](BatchContext context) { collection_.drop_pin(target_event_id, context); });
}

void Dispatcher::collect_edited(const matrix::Event& original, const matrix::Event& edit) {
  in_transaction([&](BatchContext context) {
    collection_.collect_edited(original, edit, stored_room(edit.room_id), context);
  });
}

void Dispatcher::drop_edit(const std::string& edit_event_id) {
  in_transaction([&](BatchContext context) { collection_.drop_edit(edit_event_id, context); });
}

std::size_t Dispatcher::tick() {
  return in_transaction([&](BatchContext context) {
    rounds_.tick(context);
    digests_.tick(context);
  });
}

std::optional<core::TimePoint> Dispatcher::next_wakeup() {
  auto rounds = rounds_.next_wakeup();
  auto digest = digests_.next_wakeup(core::from_ms(now_ms_()));
  if (!rounds) return digest;
  if (!digest) return rounds;
  return std::min(*rounds, *digest);
}

}  // namespace reflexbot::app
