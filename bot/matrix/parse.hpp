#pragma once
// Turns /sync and /messages bodies into typed events (simdjson on-demand: the body is parsed in
// place, never held as a DOM).

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "matrix/events.hpp"

namespace reflexbot::matrix {

/// Replaces each invalid UTF-8 sequence in `text` with U+FFFD (one per maximal ill-formed
/// subpart, as the Unicode standard recommends) and returns how many were replaced. Valid text is
/// only validated, never copied. The parse functions below do this to a body simdjson rejects
/// for invalid UTF-8, so a stray byte from a broken or hostile server spoils one string, not the
/// whole body; valid bodies pay nothing for it.
std::size_t repair_utf8(std::string& text);

/// Parses a whole /sync body into memory (tests and tools; the bot streams with the two functions
/// below). `body` gets capacity for simdjson's padding (it may be reallocated).
/// Malformed events are returned in SyncBatch::malformed; only a body that is not JSON or lacks
/// next_batch fails as a whole. Invalid UTF-8 is repaired in `body` (SyncBatch::repaired_utf8).
Expected<SyncBatch, ParseError> parse_sync(std::string& body, const std::string& own_user_id);

/// First of two passes over a /sync body: everything except the timeline events (joined rooms
/// carry limited, prev_batch and their state block; their timelines stay empty). Cheap: timeline
/// events are skipped, not parsed.
Expected<SyncBatch, ParseError> parse_sync_outline(std::string& body,
                                                   const std::string& own_user_id);

/// Second pass: hands each joined room's timeline events to `on_event` in body order, one at a
/// time (nothing is kept), calling `on_room` before the first event of each room. Returns the
/// malformed timeline events.
Expected<std::vector<MalformedEvent>, ParseError> stream_sync_timelines(
    std::string& body, const std::string& own_user_id,
    const std::function<void(const std::string& room_id)>& on_room,
    const std::function<void(Event& event)>& on_event);

/// Parses one event (GET /rooms/{id}/event/{eventId}) of `room_id`.
Expected<Event, ParseError> parse_event(std::string& body, const std::string& room_id);

/// Parses a /rooms/{id}/messages body for `room_id`.
Expected<MessagesPage, ParseError> parse_messages(std::string& body, const std::string& room_id);

}  // namespace reflexbot::matrix
