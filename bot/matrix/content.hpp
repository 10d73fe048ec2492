#pragma once
// The content of every event the bot sends, as the JSON text the outbox stores and PUTs. One
// owner, so that every event carries "m.mentions": {} (nothing the bot writes pings anyone) and
// replies, threads and reactions relate the same way wherever they are queued.

#include <string>

#include "core/text.hpp"
#include "matrix/events.hpp"

namespace reflexbot::matrix {

/// An event to send: its type and its content as JSON.
struct OutgoingEvent {
  std::string type;
  std::string content;
};

/// An m.notice (plain text and HTML). With `reply_to` it answers that event, inside the thread
/// the event was written in, if any.
OutgoingEvent notice_event(const core::Notice& notice, const Event* reply_to = nullptr,
                           const std::string& thread_root = {});

/// An m.reaction: the annotation `emoji` on `event_id`.
OutgoingEvent reaction_event(const std::string& event_id, const std::string& emoji);

}  // namespace reflexbot::matrix
