#include "app/features/outgoing.hpp"

#include "matrix/content.hpp"

namespace reflexbot::app {

void Outgoing::start(store::BatchScope& scope, std::int64_t now_ms) {
  scope_ = &scope;
  now_ms_ = now_ms;
  queued_ = 0;
  fresh_.clear();
  fresh_rooms_.clear();
}

void Outgoing::finish() {
  scope_ = nullptr;
  // A large batch's rows are not kept until the next one.
  std::vector<OutboxItem>().swap(fresh_);
  fresh_rooms_.clear();
}

std::string Outgoing::queue(const std::string& room_id, const matrix::OutgoingEvent& event,
                            const std::string& key) {
  ++queued_;
  std::string txn_id = scope_->queue_send(room_id, event.type, event.content, key, now_ms_);
  // Only the first new row of a room may go early: a batch of 100,000 events queues 75,000 ✅,
  // which are not held here a second time.
  if (scope_->queued_new() && fresh_rooms_.insert(room_id).second) {
    OutboxItem item;
    item.room_id = room_id;
    item.event_type = event.type;
    item.txn_id = txn_id;
    item.content = event.content;
    fresh_.push_back(std::move(item));
  }
  return txn_id;
}

std::string Outgoing::anonymous_post(const std::string& room_id, const core::Notice& notice) {
  ++queued_;
  // It never goes early (a random transaction id), so no later row of its room may either.
  fresh_rooms_.insert(room_id);
  return scope_->queue_anonymous_post(room_id, matrix::notice_event(notice).content, now_ms_);
}

std::string Outgoing::notice(const std::string& room_id, const core::Notice& notice,
                             const matrix::Event* reply_to, const std::string& key,
                             const std::string& thread_root) {
  return queue(room_id, matrix::notice_event(notice, reply_to, thread_root), key);
}

void Outgoing::notice_in_thread(const std::string& room_id, const core::Notice& notice,
                                const matrix::Event& root, const std::string& key) {
  queue(room_id, matrix::thread_notice_event(notice, root), key);
}

std::string Outgoing::event(const std::string& room_id, const matrix::OutgoingEvent& event,
                            const std::string& key) {
  return queue(room_id, event, key);
}

std::string Outgoing::image(const std::string& room_id, const matrix::Image& image,
                            const std::string& bytes, const matrix::Event* beside,
                            const std::string& key) {
  const matrix::OutgoingEvent event = matrix::image_event(image, beside);
  ++queued_;
  // Its file is uploaded first, by the drain: no later row of its room may go early.
  fresh_rooms_.insert(room_id);
  return scope_->queue_media_send(room_id, event.type, event.content, key, now_ms_, bytes,
                                  image.mimetype, image.filename);
}

void Outgoing::reaction(const std::string& room_id, const std::string& event_id,
                        const std::string& emoji, const std::string& key) {
  queue(room_id, matrix::reaction_event(event_id, emoji), key);
}

void Outgoing::ack(const std::string& room_id, const std::string& event_id,
                   const std::string& emoji) {
  ++queued_;
  if (!fresh_rooms_.insert(room_id).second) return;
  const matrix::OutgoingEvent event = matrix::reaction_event(event_id, emoji);
  OutboxItem item;
  item.room_id = room_id;
  item.event_type = event.type;
  item.txn_id = store::ack_txn_id(room_id, event_id);
  item.content = event.content;
  item.ack_of = event_id;
  fresh_.push_back(std::move(item));
}

}  // namespace reflexbot::app
