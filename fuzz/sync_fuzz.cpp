// /sync (and /messages, single event) bodies → typed events. The body is whatever the network
// delivers: the parser must never crash, and the two ways the bot reads a /sync body (whole, and
// outline + streamed timelines) must agree on every body both accept.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "matrix/parse.hpp"

namespace {

using reflexbot::fuzz::valid_utf8;
using reflexbot::fuzz::violation;
namespace matrix = reflexbot::matrix;

const std::string kOwnUser = "@reflexbot:example.org";

void check_text(const std::string& text, const char* what) {
  if (!valid_utf8(text)) violation(what, text);
}

void check_event(const matrix::Event& event) {
  check_text(event.event_id, "event_id is not UTF-8");
  check_text(event.sender, "sender is not UTF-8");
  check_text(event.type, "type is not UTF-8");
  if (const auto* message = std::get_if<matrix::RoomMessage>(&event.content)) {
    check_text(message->body, "body is not UTF-8");
    if (message->formatted_body) check_text(*message->formatted_body, "formatted_body not UTF-8");
    if (message->new_body) check_text(*message->new_body, "new_body is not UTF-8");
  }
}

void check_malformed(const std::vector<matrix::MalformedEvent>& malformed) {
  for (const auto& m : malformed) {
    if (m.raw_json.size() > 64 * 1024) violation("quarantined raw JSON over 64 KiB");
    check_text(m.raw_json, "quarantined raw JSON is not UTF-8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  // The whole body at once (tests, tools).
  std::string whole_body = input;
  const auto whole = matrix::parse_sync(whole_body, kOwnUser);
  std::vector<std::string> whole_ids;
  if (whole) {
    check_malformed(whole->malformed);
    for (const auto& room : whole->joined) {
      for (const auto& event : room.state) check_event(event);
      for (const auto& event : room.timeline) {
        check_event(event);
        whole_ids.push_back(room.room_id + " " + event.event_id);
      }
    }
  }

  // What the bot does: the outline, then the timelines streamed one event at a time.
  std::string outline_body = input;
  const auto outline = matrix::parse_sync_outline(outline_body, kOwnUser);
  if (outline) {
    for (const auto& room : outline->joined) {
      if (!room.timeline.empty()) violation("outline kept timeline events");
    }
  }
  std::string stream_body = input;
  std::vector<std::string> stream_ids;
  std::string current_room;
  const auto streamed = matrix::stream_sync_timelines(
      stream_body, kOwnUser, [&](const std::string& room_id) { current_room = room_id; },
      [&](matrix::Event& event) {
        if (event.room_id != current_room) violation("event streamed outside its room");
        check_event(event);
        stream_ids.push_back(event.room_id + " " + event.event_id);
      });
  // On JSON the two ways must agree. On bodies that are not JSON they may differ (each pass skips
  // other parts without validating them: parse_sync and the outline accept some broken bodies
  // that streaming rejects); Synapse never sends such a body, so there only "no crash" counts.
  if (nlohmann::json::accept(input)) {
    if (whole.has_value() != (outline.has_value() && streamed.has_value())) {
      violation("parse_sync and outline + streaming disagree on whether the body is valid");
    }
    if (whole && streamed) {
      if (whole_ids != stream_ids) violation("streamed timelines differ from parse_sync");
      // The outline quarantines what lies outside the timelines, the streaming pass the rest.
      if (whole->malformed.size() != outline->malformed.size() + streamed->size()) {
        violation("outline + streamed malformed events differ from parse_sync");
      }
    }
  }

  // The same bytes as a /messages page and as a single event.
  std::string messages_body = input;
  if (const auto page = matrix::parse_messages(messages_body, "!room:example.org")) {
    check_malformed(page->malformed);
    for (const auto& event : page->chunk) check_event(event);
  }
  std::string event_body = input;
  if (const auto event = matrix::parse_event(event_body, "!room:example.org")) check_event(*event);
  return 0;
}
