#pragma once
// The content of every event the bot sends, as the JSON text the outbox stores and PUTs. One
// owner, so that every event carries "m.mentions": {} (nothing the bot writes pings anyone) and
// replies, threads and reactions relate the same way wherever they are queued.

#include <cstddef>
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

/// A picture the bot posts (the digest's chart).
struct Image {
  std::string alt;       ///< says in words what the picture shows (the event's body)
  std::string filename;  ///< e.g. "themen-2026-12-01.png"
  std::string mimetype;  ///< "image/png"
  int width = 0;
  int height = 0;
  std::size_t size = 0;  ///< bytes of the file
};

/// An m.image without its file: `body` the alt text (a caption, with `filename` beside it),
/// `info` with w, h, mimetype and size. The outbox puts the uploaded file's URI in with
/// with_media(). With `beside` in a thread, the picture goes into that thread too.
OutgoingEvent image_event(const Image& image, const Event* beside = nullptr);

/// `content` with the uploaded file: `url` in a clear room; in an encrypted room `file`, the
/// attachment's key info (`file_info`, JSON) with the URI as its url.
std::string with_media(const std::string& content, const std::string& content_uri,
                       const std::string& file_info);

/// An m.reaction: the annotation `emoji` on `event_id`.
OutgoingEvent reaction_event(const std::string& event_id, const std::string& emoji);

}  // namespace reflexbot::matrix
