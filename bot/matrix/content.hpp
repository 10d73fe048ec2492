#pragma once
// The content of every event the bot sends, as the JSON text the outbox stores and PUTs. One
// owner, so that every event carries "m.mentions": {} (nothing the bot writes pings anyone) and
// replies, threads and reactions relate the same way wherever they are queued.

#include <string>
#include <vector>

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

/// An m.notice in the thread of `root`: a thread started at it, or the thread it is in already.
/// Clients without threads show it as a reply to `root`.
OutgoingEvent thread_notice_event(const core::Notice& notice, const Event& root);

/// One answer of a poll: its id (what responses name) and its text.
struct PollAnswer {
  std::string id;
  std::string text;
};

/// A poll (org.matrix.msc3381.poll.start, as Element sends and renders it): disclosed (everyone
/// sees the results), one choice per person. `fallback` is the text for clients without polls.
OutgoingEvent poll_start_event(const std::string& question, const std::vector<PollAnswer>& answers,
                               const std::string& fallback);

/// The end of the poll `poll_event_id` (org.matrix.msc3381.poll.end), with `text` for clients.
OutgoingEvent poll_end_event(const std::string& poll_event_id, const std::string& text);

/// An m.reaction: the annotation `emoji` on `event_id`.
OutgoingEvent reaction_event(const std::string& event_id, const std::string& emoji);

}  // namespace reflexbot::matrix
