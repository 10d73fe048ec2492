#pragma once
// Collection in the running bot: what people write becomes contributions. Messages in a round or
// with a tag, their edits, 👍 votes, 📌 pins (asked for here, fetched after the commit, collected
// by collect_pinned) and redactions that delete what was collected.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "app/features/authority.hpp"
#include "app/features/feature.hpp"
#include "core/contribution.hpp"
#include "matrix/events.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// Collection in all rooms.
class Collection {
 public:
  Collection(store::Store& store, const FeatureSettings& settings, const Authority& authority)
      : store_(store), settings_(settings), authority_(authority) {
    store_.set_ack_reaction(settings_.ack_reaction);  // the ✅ the store sends for contributions
  }

  /// Collects a message (or applies an edit) if it belongs to a round or carries a tag.
  void collect(const matrix::Event& event, const matrix::RoomMessage& message,
               const store::RoomRecord& room, BatchContext context);
  /// 👍 votes; 📌 asks for the message to be fetched and collected.
  void handle_reaction(const matrix::Event& event, const matrix::Reaction& reaction,
                       const store::RoomRecord& room, BatchContext context);
  /// An answer to one of the bot's polls (`!umfrage`): the person's vote moves to the
  /// contribution the answer stands for (their last answer counts; not for their own).
  void handle_poll_response(const matrix::Event& event, const matrix::PollResponse& response,
                            const store::RoomRecord& room, BatchContext context);
  /// The end of one of the bot's polls, by a moderator: later answers count nothing.
  void handle_poll_end(const matrix::Event& event, const matrix::PollEnd& end,
                       const store::RoomRecord& room, BatchContext context);
  /// Collects a message fetched after a 📌, with its original time and author, and the text of
  /// its author's latest edit among `edits`; ends the request.
  void collect_pinned(const matrix::Event& event, const store::RoomRecord& room,
                      BatchContext context, const std::vector<matrix::Event>& edits = {});
  /// Judges an edit whose original was fetched after the commit: collected (with the edit's
  /// text) if it now carries a tag and the edit's sender wrote it; ends the request.
  void collect_edited(const matrix::Event& original, const matrix::Event& edit,
                      const store::RoomRecord& room, BatchContext context);
  /// Gives up an edit request whose events cannot be fetched.
  void drop_edit(const std::string& edit_event_id, BatchContext context);
  /// Gives up a 📌 request whose message cannot be fetched.
  void drop_pin(const std::string& target_event_id, BatchContext context);
  /// A redacted contribution is deleted, a redacted 👍 no longer counts: if the redaction comes
  /// from the same room and from the author (the voter) or a moderator.
  void handle_redaction(const matrix::Event& event, const matrix::Redaction& redaction,
                        const store::RoomRecord& room, BatchContext context);

 private:
  /// An edit (m.replace): applied to a contribution, or asks for an uncollected original.
  void edit(const matrix::Event& event, const matrix::RoomMessage& message,
            const store::RoomRecord& room, BatchContext context);
  /// Applies an edit to a contribution, from its author in its room: the text and tags change,
  /// or it is withdrawn when it was collected for a tag that is gone now.
  void apply_edit(const core::Contribution& original, const matrix::Event& event,
                  std::string_view new_body, BatchContext context);
  /// A contribution of `event` (author pseudonymised, its own time); `via` and round left to set.
  core::Contribution from_message(const matrix::Event& event, std::string_view text,
                                  std::vector<std::string> tags, const store::RoomRecord& room,
                                  BatchContext context) const;
  /// A message that was not collected but has a hashtag the vocabulary does not know: a hint
  /// with the nearest known tag, in the message's thread, at most once per person and day.
  void hint_unknown_tag(const matrix::Event& event, std::string_view text,
                        const store::RoomRecord& room, BatchContext context);
  /// Stores the contribution and acknowledges it.
  void add(const core::Contribution& contribution, BatchContext context, bool again = false);

  store::Store& store_;
  const FeatureSettings& settings_;
  const Authority& authority_;
  /// Who had a tag hint on `hint_day_` (pseudonyms, in memory only; a restart may repeat one).
  std::unordered_set<std::string> hinted_;
  std::int64_t hint_day_ = 0;
};

}  // namespace reflexbot::app
