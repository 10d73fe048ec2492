#pragma once
// Reflection rounds and collection: round commands, timers, contributions, votes, edits and
// redactions. Works inside the dispatcher's batch transaction; the pure rules live in bot/core.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "app/outgoing.hpp"
#include "core/commands.hpp"
#include "core/permissions.hpp"
#include "core/ratelimit.hpp"
#include "core/round.hpp"
#include "core/tags.hpp"
#include "core/template.hpp"
#include "matrix/events.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// What the reflection features need from the configuration.
struct ReflectionSettings {
  std::string own_user_id;
  core::Language language = core::Language::de;
  std::int64_t moderator_level = 50;
  std::vector<core::Template> templates;
  core::TagVocabulary vocabulary = core::default_vocabulary();
  std::function<std::string(const std::string& user_id)> pseudonym;
  std::map<std::string, std::string> cities;  ///< room id → city (else the room's name)
  std::string ack_reaction = "✅";             ///< empty: collected messages are not acknowledged
  /// Anonymous posts per person (in memory only): a few at once, then one every 10 minutes.
  core::RateLimit anonymous_limit{3, std::chrono::minutes(10), 10000};
};

/// The open batch a handler works in.
struct BatchContext {
  store::BatchScope& scope;
  Outgoing& out;
  core::TimePoint now;
};

/// Rounds and collection for all rooms.
class Reflection {
 public:
  Reflection(store::Store& store, ReflectionSettings settings);

  /// Handles a round, template or "forget me" command; false for any other (the caller answers).
  bool handle_command(const core::Command& command, const matrix::Event& event,
                      const store::RoomRecord& room, BatchContext context);
  /// Collects a message (or applies an edit) if it belongs to a round or carries a tag.
  void collect(const matrix::Event& event, const matrix::RoomMessage& message,
               const store::RoomRecord& room, BatchContext context);
  /// 👍 votes; 📌 asks for the message to be fetched and collected.
  void handle_reaction(const matrix::Event& event, const matrix::Reaction& reaction,
                       const store::RoomRecord& room, BatchContext context);
  /// Collects a message fetched after a 📌, with its original time and author; ends the request.
  void collect_pinned(const matrix::Event& event, const store::RoomRecord& room,
                      BatchContext context);
  /// A redacted contribution is deleted, a redacted 👍 no longer counts: if the redaction comes
  /// from the same room and from the author (the voter) or a moderator.
  void handle_redaction(const matrix::Event& event, const matrix::Redaction& redaction,
                        const store::RoomRecord& room, BatchContext context);
  /// Runs the timers of every open round that is due.
  void tick(BatchContext context);
  /// When tick() has work next, over all open rounds.
  std::optional<core::TimePoint> next_wakeup();
  /// Whether the user may run moderator commands in the room (power level from synced state).
  bool is_moderator(const store::RoomRecord& room, const std::string& user_id) const;
  /// Whether the room is a direct chat between the bot and `user_id` alone: invited as one, and
  /// its joined members are the two of them.
  bool is_direct_chat_with(const store::RoomRecord& room, const std::string& user_id);

 private:
  const core::Template* find_template(const std::string& key) const;
  std::string city_of(const store::RoomRecord& room) const;
  /// A configured room the sender may post to anonymously, named by `name` (city, room name or
  /// room id); else the answer that says why not.
  std::variant<store::RoomRecord, core::Notice> anonymous_target(const std::string& name,
                                                                 const std::string& sender);
  /// !anonym in a direct chat: posts the text in the named room without its author.
  void post_anonymously(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context);
  /// A contribution of `event` (author pseudonymised, its own time); `via` and round left to set.
  core::Contribution from_message(const matrix::Event& event, std::string_view text,
                                  std::vector<std::string> tags, const store::RoomRecord& room,
                                  BatchContext context) const;
  /// Stores the contribution and acknowledges it.
  void add(const core::Contribution& contribution, BatchContext context);
  /// Saves the round and posts a notice per event; `key` makes the notices' txn ids.
  void apply(const core::RoundStep& step, const core::Template& tmpl, const std::string& key,
             const matrix::Event* reply_to, BatchContext context);

  store::Store& store_;
  ReflectionSettings settings_;
  core::SenderRateLimiter anonymous_limiter_;
};

}  // namespace reflexbot::app
