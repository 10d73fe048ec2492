#pragma once
// Turns /sync and /messages bodies into typed events (simdjson on-demand: the body is parsed in
// place, never held as a DOM).

#include <string>

#include "common/expected.hpp"
#include "matrix/events.hpp"

namespace reflexbot::matrix {

/// Parses a /sync body. `body` gets capacity for simdjson's padding (it may be reallocated).
/// Malformed events are returned in SyncBatch::malformed; only a body that is not JSON or lacks
/// next_batch fails as a whole.
Expected<SyncBatch, ParseError> parse_sync(std::string& body, const std::string& own_user_id);

/// Parses a /rooms/{id}/messages body for `room_id`.
Expected<MessagesPage, ParseError> parse_messages(std::string& body, const std::string& room_id);

}  // namespace reflexbot::matrix
