#pragma once
// What people do about their own data, mostly in a direct chat with the bot: anonymous posts
// (!anonym), the list of their contributions (!meine) and "forget me" (!vergessen). Nothing an
// anonymous post stores, logs or sends leads back to its author (docs/data-protection.md).

#include <optional>
#include <string>
#include <variant>

#include "app/features/feature.hpp"
#include "core/commands.hpp"
#include "core/ratelimit.hpp"
#include "core/text.hpp"
#include "matrix/events.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// Anonymous posts, !meine and !vergessen.
class Privacy {
 public:
  Privacy(store::Store& store, const FeatureSettings& settings)
      : store_(store), settings_(settings), anonymous_limiter_(settings.anonymous_limit) {}

  /// Answers a command of Feature::privacy.
  void handle_command(const core::Command& command, const matrix::Event& event,
                      const store::RoomRecord& room, BatchContext context);
  /// Whether the room is a direct chat between the bot and `user_id` alone: invited as one, and
  /// its joined members are the two of them.
  bool is_direct_chat_with(const store::RoomRecord& room, const std::string& user_id);

 private:
  /// !anonym in a direct chat: posts the text in the named room without its author.
  void post_anonymously(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context);
  /// A configured room the sender may post to anonymously, named by `name` (city, room name or
  /// room id); else the answer that says why not.
  std::variant<store::RoomRecord, core::Notice> anonymous_target(const std::string& name,
                                                                 const std::string& sender);
  /// The refusal of an anonymous post to `target` now, if any (too many posts).
  std::optional<core::Notice> anonymous_refusal(const store::RoomRecord& target,
                                                const std::string& sender, core::TimePoint now);
  /// Stores the anonymous post as a contribution keyed by its random transaction id.
  void store_anonymous(const store::RoomRecord& target, const std::string& text,
                       const std::string& txn_id, BatchContext context);
  /// !vergessen: asks, and after "bestätigen" deletes everything of the sender.
  void forget(const core::Command& command, const matrix::Event& event,
              const store::RoomRecord& room, BatchContext context);

  store::Store& store_;
  const FeatureSettings& settings_;
  core::SenderRateLimiter anonymous_limiter_;
};

}  // namespace reflexbot::app
