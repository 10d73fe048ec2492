#pragma once
// Typed Matrix events: only the kinds and fields the bot uses. Parsing never throws: an event that
// does not fit becomes a MalformedEvent carrying its raw JSON and the reason.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "crypto/machine.hpp"

namespace reflexbot::matrix {

/// m.relates_to of a message or reaction.
struct Relation {
  std::string rel_type;     ///< "m.replace", "m.annotation", "m.thread", ... or empty
  std::string event_id;     ///< target of rel_type
  std::string key;          ///< annotation key (reactions)
  std::string in_reply_to;  ///< m.in_reply_to.event_id, or empty
};

/// m.room.message.
struct RoomMessage {
  std::string msgtype;  ///< m.text, m.notice, m.emote, ...
  std::string body;
  std::optional<std::string> formatted_body;  ///< only when format is org.matrix.custom.html
  std::optional<Relation> relates_to;
  std::optional<std::string> new_body;  ///< m.new_content.body of an m.replace edit
};

/// m.reaction.
struct Reaction {
  Relation relates_to;  ///< rel_type m.annotation, event_id, key
};

/// m.room.redaction; `redacts` comes from content (room v11+) or the top level (older rooms).
struct Redaction {
  std::string redacts;
  std::string reason;
};

/// m.room.member (state_key is the affected user).
struct Member {
  std::string membership;  ///< invite, join, leave, ban, knock
  std::string displayname;
};

/// m.room.power_levels.
struct PowerLevels {
  std::map<std::string, std::int64_t> users;
  std::int64_t users_default = 0;
  std::map<std::string, std::int64_t> events;
  std::int64_t events_default = 0;
  std::int64_t state_default = 50;
};

/// m.room.encryption.
struct Encryption {
  std::string algorithm;
};

/// m.room.name.
struct RoomName {
  std::string name;
};

/// m.room.create.
struct RoomCreate {
  std::string room_version = "1";                ///< content.room_version, "1" when absent
  std::string creator;                           ///< content.creator (pre-v11) else the sender
  std::vector<std::string> additional_creators;  ///< room v12
};

/// m.room.encrypted: the ciphertext, kept as JSON for the crypto machine.
struct Encrypted {
  std::string content_json;  ///< the content object as synced (empty when redacted)
};

/// m.poll.response (or org.matrix.msc3381.poll.response): the sender's answer to a poll.
struct PollResponse {
  Relation relates_to;               ///< rel_type m.reference, event_id: the poll
  std::vector<std::string> answers;  ///< the chosen answer ids; empty: no choice (spoiled)
};

/// m.poll.end (or org.matrix.msc3381.poll.end): the poll is closed.
struct PollEnd {
  Relation relates_to;  ///< rel_type m.reference, event_id: the poll
};

/// Any other event type: kept only so ids can be de-duplicated.
struct UnknownContent {};

using EventContent =
    std::variant<RoomMessage, Reaction, Redaction, Member, PowerLevels, Encryption, RoomName,
                 RoomCreate, Encrypted, PollResponse, PollEnd, UnknownContent>;

/// A room event as the bot sees it.
struct Event {
  std::string event_id;
  std::string room_id;
  std::string sender;
  std::string type;
  std::optional<std::string> state_key;
  std::int64_t origin_server_ts = 0;
  bool redacted = false;  ///< unsigned.redacted_because present (content was stripped)
  EventContent content;
};

/// An event that could not be turned into an Event; goes to the quarantine table.
struct MalformedEvent {
  std::string room_id;
  std::string event_id;                  ///< if it could be read
  std::string type;                      ///< if it could be read
  std::optional<std::string> state_key;  ///< for a state event, if it could be read
  std::string sender;    ///< if it could be read (never stored as is: see store quarantine)
  std::string raw_json;  ///< capped at 64 KiB
  std::string reason;
};

/// A pending invite: who invited us to which room.
struct Invite {
  std::string room_id;
  std::string inviter;     ///< sender of our m.room.member invite event in invite_state
  bool is_direct = false;  ///< the invite opens a direct chat (content.is_direct)
  bool encrypted = false;  ///< invite_state carries the room's m.room.encryption
};

/// One joined room's part of a /sync response.
struct JoinedRoom {
  std::string room_id;
  std::vector<Event> state;     ///< state block (before the timeline)
  std::vector<Event> timeline;  ///< chronological
  bool limited = false;
  std::string prev_batch;
};

/// A parsed /sync response.
struct SyncBatch {
  std::string next_batch;
  std::vector<JoinedRoom> joined;
  std::vector<Invite> invites;
  std::vector<std::string> left;  ///< rooms we left or were kicked from
  std::vector<MalformedEvent> malformed;
  std::size_t repaired_utf8 = 0;  ///< invalid UTF-8 sequences in the body replaced with U+FFFD
  /// To-device events, device lists and key counts: for the crypto machine, before the timeline.
  crypto::SyncChanges encryption;
};

/// A parsed /rooms/{id}/messages response.
struct MessagesPage {
  std::vector<Event> chunk;  ///< in the order the server sent them (dir=b: newest first)
  std::vector<Event> state;
  std::string start;
  std::string end;  ///< empty when there is nothing more
  std::vector<MalformedEvent> malformed;
  std::size_t repaired_utf8 = 0;  ///< invalid UTF-8 sequences in the body replaced with U+FFFD
};

/// Why a whole response body could not be parsed.
struct ParseError {
  std::string message;
};

}  // namespace reflexbot::matrix
