#include "app/features/privacy.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/round_text.hpp"
#include "core/tags.hpp"
#include "core/texts.hpp"
#include "store/retention.hpp"

namespace reflexbot::app {
namespace {

using core::CommandKind;

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

}  // namespace

bool Privacy::is_direct_chat_with(const store::RoomRecord& room, const std::string& user_id) {
  return room.direct && store_.is_member(room.room_id, user_id) &&
         store_.is_member(room.room_id, settings_.own_user_id) &&
         store_.member_count(room.room_id) == 2;
}

void Privacy::handle_command(const core::Command& command, const matrix::Event& event,
                             const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  switch (command.kind) {
    case CommandKind::my_contributions:
      context.out.notice(
          room.room_id,
          is_direct_chat_with(room, event.sender)
              ? core::render_mine(store_.contributions_by(settings_.pseudonym(event.sender)),
                                  language)
              : core::render_mine_only_direct(language),
          &event, event.event_id + "/reply");
      return;
    case CommandKind::anonymous:
      post_anonymously(command, event, room, context);
      return;
    case CommandKind::forget_me:
      forget(command, event, room, context);
      return;
    default:
      return;
  }
}

void Privacy::forget(const core::Command& command, const matrix::Event& event,
                     const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  const std::string author = settings_.pseudonym(event.sender);
  // Read inside the unit of work: what the confirmation deletes next.
  const core::AuthorCounts counts = store_.count_by_author(author);
  if (!core::is_confirmation(command)) {
    answer(core::render_forget_ask(counts, language));
    return;
  }
  const std::int64_t deleted = context.scope.forget_author(author);
  context.scope.remember_forgotten(author, core::to_ms(context.now));
  // Not counted in the answer: rounds they started.
  const std::int64_t cleared =
      context.scope.forget_sender(author) + context.scope.drop_undecrypted_from(event.sender);
  // Counts only: the room (often a direct chat) and the event would say who asked and when.
  spdlog::info("forget me: deleted {} contributions and votes, {} other rows", deleted, cleared);
  answer(core::render_forget_done(counts, language));
}

std::variant<store::RoomRecord, core::Notice> Privacy::anonymous_target(const std::string& name,
                                                                        const std::string& sender) {
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
    const std::string city = city_of(settings_, match);
    candidates.push_back(match.name.empty() ? city : "„" + match.name + "“ (" + city + ")");
  }
  return core::render_anonymous_ambiguous(name, candidates, language);
}

std::optional<core::Notice> Privacy::anonymous_refusal(const store::RoomRecord& /*target*/,
                                                       const std::string& sender,
                                                       core::TimePoint now) {
  const auto language = settings_.language;
  const auto verdict = anonymous_limiter_.take(sender, now);
  if (verdict.decision == core::RateDecision::allow) return std::nullopt;
  const auto minutes = std::chrono::ceil<std::chrono::minutes>(verdict.retry_after).count();
  return core::fill(core::texts(language).anonymous_slow_down,
                    {core::plain("minutes", std::to_string(std::max<std::int64_t>(minutes, 1)))});
}

void Privacy::post_anonymously(const core::Command& command, const matrix::Event& event,
                               const store::RoomRecord& room, BatchContext context) {
  const auto language = settings_.language;
  auto answer = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  if (!is_direct_chat_with(room, event.sender)) {
    answer(core::render_anonymous_only_direct(language));
    return;
  }
  auto args = core::parse_anonymous(command);
  if (!args) {
    answer(core::render_anonymous_usage(language));
    return;
  }
  auto target = anonymous_target(args->room, event.sender);
  if (const auto* refusal = std::get_if<core::Notice>(&target)) {
    answer(*refusal);
    return;
  }
  const auto& target_room = std::get<store::RoomRecord>(target);
  if (auto refusal = anonymous_refusal(target_room, event.sender, context.now)) {
    answer(*refusal);
    return;
  }
  // Nothing that leads back to the sender is stored: the post's transaction id is random (the
  // contribution is keyed by it), its times are coarse, it has no author, and the direct chat's
  // traces go with the next batch (Dispatcher::commit, Store::outbox_sent).
  const std::string text = fitting_post_text(args->text, language);
  const std::string txn_id = context.out.anonymous_post(
      target_room.room_id, core::render_anonymous_contribution(text, language));
  store_anonymous(target_room, text, txn_id, context);
  answer(core::render_anonymous_posted(city_of(settings_, target_room), language));
}

void Privacy::store_anonymous(const store::RoomRecord& target, const std::string& text,
                              const std::string& txn_id, BatchContext context) {
  const auto coarse = std::chrono::floor<std::chrono::hours>(context.now);
  core::Contribution contribution;
  contribution.event_id = "anon:" + txn_id;
  contribution.room_id = target.room_id;
  contribution.city = city_of(settings_, target);
  contribution.body = text;  // what the room reads
  contribution.tags = core::parse_tags(text, settings_.vocabulary);
  contribution.written_at = coarse;
  contribution.collected_at = coarse;
  contribution.via = core::CollectedVia::anonymous;
  if (const auto phase = open_phase(store_, settings_, target.room_id)) {
    contribution.round = phase->round;
    contribution.phase_key = phase->phase_key;
  }
  context.scope.add_contribution(contribution);
}

}  // namespace reflexbot::app
