#pragma once
// What the bot sends, queued in the outbox inside the open batch transaction. The events' content
// is built by matrix/content.hpp; this only puts it into the unit of work.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/text.hpp"
#include "matrix/content.hpp"
#include "matrix/events.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// Queues notices and reactions into the current batch (content: matrix::notice_event(),
/// matrix::reaction_event()), each with a transaction id derived from `key`, so the same effect
/// is never queued twice.
class Outgoing {
 public:
  /// Starts queueing into `scope` (valid until finish()).
  void start(store::BatchScope& scope, std::int64_t now_ms);
  void finish();

  /// An m.notice; with `reply_to` it answers that event (inside its thread, if it has one).
  /// Returns its transaction id.
  /// With `thread_root` it goes into the thread that hangs from that event.
  std::string notice(const std::string& room_id, const core::Notice& notice,
                     const matrix::Event* reply_to, const std::string& key,
                     const std::string& thread_root = {});
  /// An m.notice in the thread of `root` (matrix::thread_notice_event): next to the message it
  /// is about, out of the room's main timeline.
  void notice_in_thread(const std::string& room_id, const core::Notice& notice,
                        const matrix::Event& root, const std::string& key);
  /// An anonymous post (an m.notice that answers nothing): its transaction id is random and its
  /// outbox row confidential (store::BatchScope::queue_anonymous_post). Returns the id.
  std::string anonymous_post(const std::string& room_id, const core::Notice& notice);
  /// Any event matrix/content.hpp built (a poll, its end). Returns its transaction id.
  std::string event(const std::string& room_id, const matrix::OutgoingEvent& event,
                    const std::string& key);
  /// A picture (matrix::image_event) with its file, which the outbox uploads before it sends the
  /// event (store::BatchScope::queue_media_send). With `beside` in a thread, into that thread.
  std::string image(const std::string& room_id, const matrix::Image& image,
                    const std::string& bytes, const matrix::Event* beside, const std::string& key);
  /// An m.reaction (annotation) on `event_id`.
  void reaction(const std::string& room_id, const std::string& event_id, const std::string& emoji,
                const std::string& key);
  /// The ✅ on a collected message, which its contribution owes (store::BatchScope::
  /// add_contribution with `ack`: no outbox row): counted as queued, and the first new item of
  /// its room may go early like a row.
  void ack(const std::string& room_id, const std::string& event_id, const std::string& emoji);
  /// Rows queued since start().
  std::size_t queued() const { return queued_; }
  /// Of the rows queued since start() with a derived transaction id that were new to the outbox
  /// (anonymous posts are not among them), the first of each room, in order: what may go out
  /// before the commit (matrix::Outbox::send_early sends one row per room; the rest follow it in
  /// order through the drain). Their `id` is not known here and stays 0. Emptied by finish().
  const std::vector<OutboxItem>& fresh() const { return fresh_; }

 private:
  std::string queue(const std::string& room_id, const matrix::OutgoingEvent& event,
                    const std::string& key);

  store::BatchScope* scope_ = nullptr;
  std::int64_t now_ms_ = 0;
  std::size_t queued_ = 0;
  std::vector<OutboxItem> fresh_;
  std::unordered_set<std::string> fresh_rooms_;  ///< the rooms in fresh_
};

}  // namespace reflexbot::app
