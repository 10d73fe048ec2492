#include "matrix/parse.hpp"

#include <algorithm>
#include <functional>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>
#include <spdlog/spdlog.h>

// Two on-demand parsers work together: `outer` walks the body's structure (rooms, arrays) and
// takes each event's raw text without looking inside it; `inner` parses that text on its own.
// An error inside one event therefore never derails the walk over the body, and the event's raw
// text is at hand for the quarantine. The event text lies inside the padded body, so the bytes up
// to the body's capacity serve as its padding and nothing is copied.

namespace reflexbot::matrix {
namespace {

namespace sj = simdjson;
namespace od = simdjson::ondemand;

constexpr std::size_t kRawJsonCap = 64 * 1024;

struct Parsers {
  od::parser outer;
  od::parser inner;
};

// The bot parses on one thread; keeping the parsers keeps their buffers across calls.
Parsers& parsers() {
  thread_local Parsers instance;
  return instance;
}

// The outer parser's buffers grow with the largest body seen (about 0.6× of it resident). After a
// big catch-up sync they are given back, so the idle bot does not keep them.
constexpr std::size_t kKeepParserBuffersUpTo = 4 * 1024 * 1024;

void release_large_buffers(std::size_t body_size) {
  if (body_size > kKeepParserBuffersUpTo) parsers().outer = od::parser{};
}

enum class Kind {
  message,
  reaction,
  redaction,
  member,
  power_levels,
  encryption,
  name,
  create,
  encrypted,
  poll_response,
  poll_end,
  other
};

Kind kind_of(std::string_view type) {
  if (type == "m.room.message") return Kind::message;
  if (type == "m.reaction") return Kind::reaction;
  if (type == "m.room.redaction") return Kind::redaction;
  if (type == "m.room.member") return Kind::member;
  if (type == "m.room.power_levels") return Kind::power_levels;
  if (type == "m.room.encryption") return Kind::encryption;
  if (type == "m.room.name") return Kind::name;
  if (type == "m.room.create") return Kind::create;
  if (type == "m.room.encrypted") return Kind::encrypted;
  // Polls: the stable names (Matrix 1.7) and the unstable ones Element sends.
  if (type == "m.poll.response" || type == "org.matrix.msc3381.poll.response")
    return Kind::poll_response;
  if (type == "m.poll.end" || type == "org.matrix.msc3381.poll.end") return Kind::poll_end;
  return Kind::other;
}

std::string invalid_json(sj::error_code error) {
  return std::string("invalid JSON: ") + sj::error_message(error);
}

std::string capped(std::string_view raw) {
  if (raw.size() <= kRawJsonCap) return std::string(raw);
  std::size_t cut = kRawJsonCap;
  // Never end inside a UTF-8 sequence: the quarantine stores text.
  while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) --cut;
  return std::string(raw.substr(0, cut));
}

// Keys the parser matches never contain escapes, so the raw key is compared as is; a key with an
// escape is unescaped first (rare, and then it is still matched correctly).
sj::error_code key_of(od::field& field, std::string_view& out) {
  const char* raw = field.key().raw();
  const char* end = raw;
  while (*end != '"' && *end != '\\') ++end;
  if (*end == '"') {
    out = std::string_view(raw, static_cast<std::size_t>(end - raw));
    return sj::SUCCESS;
  }
  return field.unescaped_key().get(out);
}

// Reports a failed read of `what`; `expected` names the type for a plain type mismatch.
bool fail(std::string& reason, std::string_view what, sj::error_code error,
          std::string_view expected) {
  if (error == sj::INCORRECT_TYPE) {
    reason.assign(what).append(" is not ").append(expected);
  } else {
    reason.assign(what).append(": ").append(invalid_json(error));
  }
  return false;
}

bool read_string(od::value& value, std::string& out, std::string_view what, std::string& reason) {
  std::string_view text;
  if (auto error = value.get_string().get(text)) return fail(reason, what, error, "a string");
  out.assign(text);
  return true;
}

// Optional string: JSON null counts as absent. `present` tells whether a string was read.
bool read_optional_string(od::value& value, std::string& out, bool& present, std::string_view what,
                          std::string& reason) {
  od::json_type type;
  if (auto error = value.type().get(type)) return fail(reason, what, error, "a string");
  if (type == od::json_type::null) return true;
  if (!read_string(value, out, what, reason)) return false;
  present = true;
  return true;
}

bool read_optional_string(od::value& value, std::string& out, std::string_view what,
                          std::string& reason) {
  bool present = false;
  return read_optional_string(value, out, present, what, reason);
}

bool read_optional_string(od::value& value, std::optional<std::string>& out, std::string_view what,
                          std::string& reason) {
  std::string text;
  bool present = false;
  if (!read_optional_string(value, text, present, what, reason)) return false;
  if (present) out = std::move(text);
  return true;
}

// A power level: an integer, or (rooms created by old servers) a string holding an integer.
// `present` stays false for JSON null.
bool read_power_level(od::value& value, std::int64_t& out, bool& present, std::string_view what,
                      std::string& reason) {
  od::json_type type;
  if (auto error = value.type().get(type)) return fail(reason, what, error, "an integer");
  if (type == od::json_type::null) return true;
  if (type == od::json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) return fail(reason, what, error, "an integer");
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (text.empty() || ec != std::errc() || ptr != end) {
      reason.assign(what).append(" is not an integer");
      return false;
    }
    present = true;
    return true;
  }
  if (auto error = value.get_int64().get(out)) return fail(reason, what, error, "an integer");
  present = true;
  return true;
}

bool read_power_level(od::value& value, std::int64_t& out, std::string_view what,
                      std::string& reason) {
  bool present = false;
  return read_power_level(value, out, present, what, reason);
}

// Gets an object for an optional field: false with `reason` on error, `present` false for null.
bool get_optional_object(od::value& value, od::object& out, bool& present, std::string_view what,
                         std::string& reason) {
  od::json_type type;
  if (auto error = value.type().get(type)) return fail(reason, what, error, "an object");
  if (type == od::json_type::null) return true;
  if (auto error = value.get_object().get(out)) return fail(reason, what, error, "an object");
  present = true;
  return true;
}

// Optional fields of the wrong type are ignored, not fatal: Synapse accepts any content from any
// client, and a contribution must not be lost for a broken `formatted_body`. Each ignored field is
// noted here ("content.formatted_body is not a string") and logged once the event id is known.
using Ignored = std::vector<std::string>;

// Reads an optional string that is ignored (noted in `ignored`) when it has another type; JSON
// null counts as absent. Only broken JSON fails.
bool read_lenient_string(od::value& value, std::optional<std::string>& out, std::string_view what,
                         Ignored& ignored, std::string& reason) {
  od::json_type type;
  if (auto error = value.type().get(type)) return fail(reason, what, error, "a string");
  if (type == od::json_type::null) return true;
  if (type != od::json_type::string) {
    ignored.push_back(std::string(what) + " is not a string");
    return true;
  }
  std::string text;
  if (!read_string(value, text, what, reason)) return false;
  out = std::move(text);
  return true;
}

bool read_lenient_string(od::value& value, std::string& out, std::string_view what,
                         Ignored& ignored, std::string& reason) {
  std::optional<std::string> text;
  if (!read_lenient_string(value, text, what, ignored, reason)) return false;
  if (text) out = std::move(*text);
  return true;
}

// Gets an optional object that is ignored (noted in `ignored`) when it has another type.
bool get_lenient_object(od::value& value, od::object& out, bool& present, std::string_view what,
                        Ignored& ignored, std::string& reason) {
  od::json_type type;
  if (auto error = value.type().get(type)) return fail(reason, what, error, "an object");
  if (type == od::json_type::null) return true;
  if (type != od::json_type::object) {
    ignored.push_back(std::string(what) + " is not an object");
    return true;
  }
  return get_optional_object(value, out, present, what, reason);
}

// Iterates an object's fields, calling `on_field(key, value)`; stops at the first false.
template <typename OnField>
bool for_each_field(od::object& object, std::string_view what, std::string& reason,
                    OnField&& on_field) {
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field))
      return fail(reason, what, error, "an object");
    std::string_view key;
    if (auto error = key_of(field, key)) return fail(reason, what, error, "an object");
    if (!on_field(key, field.value())) return false;
  }
  return true;
}

// What was wrong in an m.relates_to object. rel_type and event_id are what a relation is: a
// message drops a relation with a broken one, a reaction is malformed. The annotation key matters
// to reactions only, the reply reference is optional for both and is dropped alone.
struct RelationProblems {
  std::string relation;  ///< m.relates_to, its rel_type or event_id of the wrong type, or empty
  std::string key;       ///< the key of the wrong type, or empty
  Ignored reply;         ///< a wrong-typed m.in_reply_to or its event_id
};

bool parse_relation(od::object& object, Relation& relation, RelationProblems& problems,
                    std::string& reason) {
  auto strict = [&](od::value& value, std::string& out, std::string_view what,
                    std::string& problem) {
    Ignored wrong;
    if (!read_lenient_string(value, out, what, wrong, reason)) return false;
    if (!wrong.empty() && problem.empty()) problem = std::move(wrong.front());
    return true;
  };
  return for_each_field(
      object, "content.m.relates_to", reason, [&](std::string_view key, od::value& value) {
        if (key == "rel_type") {
          return strict(value, relation.rel_type, "content.m.relates_to.rel_type",
                        problems.relation);
        }
        if (key == "event_id") {
          return strict(value, relation.event_id, "content.m.relates_to.event_id",
                        problems.relation);
        }
        if (key == "key")
          return strict(value, relation.key, "content.m.relates_to.key", problems.key);
        if (key == "m.in_reply_to") {
          od::object reply;
          bool present = false;
          if (!get_lenient_object(value, reply, present, "content.m.relates_to.m.in_reply_to",
                                  problems.reply, reason))
            return false;
          if (!present) return true;
          return for_each_field(reply, "content.m.relates_to.m.in_reply_to", reason,
                                [&](std::string_view k, od::value& v) {
                                  if (k != "event_id") return true;
                                  return read_lenient_string(
                                      v, relation.in_reply_to,
                                      "content.m.relates_to.m.in_reply_to.event_id", problems.reply,
                                      reason);
                                });
        }
        return true;
      });
}

// Reads m.relates_to. `present` is set when it is an object; a value of another type is noted in
// `problems.relation`.
bool parse_optional_relation(od::value& value, std::optional<Relation>& out,
                             RelationProblems& problems, std::string& reason) {
  od::object object;
  bool present = false;
  Ignored wrong;
  if (!get_lenient_object(value, object, present, "content.m.relates_to", wrong, reason))
    return false;
  if (!wrong.empty()) problems.relation = std::move(wrong.front());
  if (!present) return true;
  Relation relation;
  if (!parse_relation(object, relation, problems, reason)) return false;
  // The reply reference is dropped alone, whatever else happens to the relation.
  if (!problems.reply.empty()) relation.in_reply_to.clear();
  out = std::move(relation);
  return true;
}

// Content parsers: a wrong type fails at once; the first missing required field is put in
// `missing`, because whether that matters depends on `unsigned.redacted_because`, which may come
// later in the event.

bool parse_message(od::object& content, Event& event, std::string_view& missing, Ignored& ignored,
                   std::string& reason) {
  auto& message = event.content.emplace<RoomMessage>();
  bool has_msgtype = false;
  bool has_body = false;
  std::string format;
  std::optional<std::string> formatted_body;
  std::optional<std::string> new_body;
  RelationProblems relation_problems;
  bool ok = for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "msgtype")
      return has_msgtype = read_string(value, message.msgtype, "content.msgtype", reason);
    if (key == "body") return has_body = read_string(value, message.body, "content.body", reason);
    if (key == "format")
      return read_lenient_string(value, format, "content.format", ignored, reason);
    if (key == "formatted_body") {
      return read_lenient_string(value, formatted_body, "content.formatted_body", ignored, reason);
    }
    if (key == "m.relates_to")
      return parse_optional_relation(value, message.relates_to, relation_problems, reason);
    if (key == "m.new_content") {
      od::object new_content;
      bool present = false;
      if (!get_lenient_object(value, new_content, present, "content.m.new_content", ignored,
                              reason))
        return false;
      if (!present) return true;
      return for_each_field(new_content, "content.m.new_content", reason,
                            [&](std::string_view k, od::value& v) {
                              if (k == "body")
                                return read_lenient_string(
                                    v, new_body, "content.m.new_content.body", ignored, reason);
                              return true;
                            });
    }
    return true;
  });
  if (!ok) return false;
  if (!has_msgtype) {
    missing = "content.msgtype";
  } else if (!has_body) {
    missing = "content.body";
  }
  // A relation with a broken rel_type, event_id or key points nowhere we could trust: the message
  // is kept as a plain one.
  if (!relation_problems.relation.empty()) {
    ignored.push_back(std::move(relation_problems.relation));
    message.relates_to.reset();
  }
  if (!relation_problems.key.empty()) ignored.push_back(std::move(relation_problems.key));
  for (auto& problem : relation_problems.reply) ignored.push_back(std::move(problem));
  if (formatted_body && format == "org.matrix.custom.html")
    message.formatted_body = std::move(formatted_body);
  if (new_body && message.relates_to && message.relates_to->rel_type == "m.replace") {
    message.new_body = std::move(new_body);
  }
  return true;
}

bool parse_reaction(od::object& content, Event& event, std::string_view& missing, Ignored& ignored,
                    std::string& reason) {
  auto& reaction = event.content.emplace<Reaction>();
  std::optional<Relation> relation;
  RelationProblems problems;
  bool ok = for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "m.relates_to") return parse_optional_relation(value, relation, problems, reason);
    return true;
  });
  if (!ok) return false;
  // The relation is what a reaction is: a broken one makes the reaction malformed.
  if (!problems.relation.empty() || !problems.key.empty()) {
    reason = std::move(problems.relation.empty() ? problems.key : problems.relation);
    return false;
  }
  for (auto& problem : problems.reply) ignored.push_back(std::move(problem));
  if (!relation) {
    missing = "content.m.relates_to";
    return true;
  }
  if (relation->rel_type.empty()) {
    missing = "content.m.relates_to.rel_type";
  } else if (relation->rel_type != "m.annotation") {
    reason = "content.m.relates_to.rel_type is not m.annotation";
    return false;
  } else if (relation->event_id.empty()) {
    missing = "content.m.relates_to.event_id";
  } else if (relation->key.empty()) {
    missing = "content.m.relates_to.key";
  }
  reaction.relates_to = std::move(*relation);
  return true;
}

// An array of answer ids; anything but strings in it makes the response spoiled (no answers).
bool read_answers(od::value& value, std::vector<std::string>& out, std::string_view what,
                  std::string& reason) {
  od::array array;
  if (auto error = value.get_array().get(array)) return fail(reason, what, error, "an array");
  for (auto element_result : array) {
    od::value element;
    if (auto error = std::move(element_result).get(element)) {
      return fail(reason, what, error, "an array");
    }
    std::string_view text;
    if (element.get_string().get(text) != sj::SUCCESS) {
      out.clear();
      out.push_back({});  // an empty id matches no answer: the response counts nothing
      continue;
    }
    out.emplace_back(text);
  }
  return true;
}

// A poll response or end: the relation to the poll, and (responses) the answer ids, stable
// ("m.selections") or unstable ("org.matrix.msc3381.poll.response": {"answers": [...]}).
bool parse_poll(od::object& content, Event& event, bool response, std::string_view& missing,
                std::string& reason) {
  std::optional<Relation> relation;
  RelationProblems problems;
  std::vector<std::string> answers;
  bool ok = for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "m.relates_to") return parse_optional_relation(value, relation, problems, reason);
    if (!response) return true;
    if (key == "m.selections") return read_answers(value, answers, "content.m.selections", reason);
    if (key == "org.matrix.msc3381.poll.response") {
      od::object inner;
      if (auto error = value.get_object().get(inner))
        return fail(reason, "content.org.matrix.msc3381.poll.response", error, "an object");
      return for_each_field(inner, "content.org.matrix.msc3381.poll.response", reason,
                            [&](std::string_view inner_key, od::value& inner_value) {
                              if (inner_key != "answers") return true;
                              return read_answers(inner_value, answers,
                                                  "content.org.matrix.msc3381.poll.response."
                                                  "answers",
                                                  reason);
                            });
    }
    return true;
  });
  if (!ok) return false;
  if (!problems.relation.empty()) {
    reason = std::move(problems.relation);
    return false;
  }
  Relation target;
  if (!relation || relation->event_id.empty()) {
    missing = "content.m.relates_to.event_id";
  } else {
    target = std::move(*relation);
  }
  if (response) {
    event.content.emplace<PollResponse>(PollResponse{std::move(target), std::move(answers)});
  } else {
    event.content.emplace<PollEnd>(PollEnd{std::move(target)});
  }
  return true;
}

// content.redacts of the wrong type is treated as absent (the top-level redacts of older rooms may
// still name the target); it is noted in `wrong_redacts` in case neither does.
bool parse_redaction(od::object& content, Event& event, std::string& wrong_redacts,
                     Ignored& ignored, std::string& reason) {
  auto& redaction = event.content.emplace<Redaction>();
  return for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "redacts") {
      Ignored wrong;
      if (!read_lenient_string(value, redaction.redacts, "content.redacts", wrong, reason))
        return false;
      if (!wrong.empty()) wrong_redacts = std::move(wrong.front());
      return true;
    }
    if (key == "reason")
      return read_lenient_string(value, redaction.reason, "content.reason", ignored, reason);
    return true;
  });
}

bool parse_member(od::object& content, Event& event, std::string_view& missing,
                  std::string& reason) {
  auto& member = event.content.emplace<Member>();
  bool has_membership = false;
  bool ok = for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "membership") {
      return has_membership = read_string(value, member.membership, "content.membership", reason);
    }
    if (key == "displayname")
      return read_optional_string(value, member.displayname, "content.displayname", reason);
    return true;
  });
  if (ok && !has_membership) missing = "content.membership";
  return ok;
}

bool parse_level_map(od::value& value, std::map<std::string, std::int64_t>& out,
                     std::string_view what, std::string& reason) {
  od::object object;
  bool present = false;
  if (!get_optional_object(value, object, present, what, reason)) return false;
  if (!present) return true;
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field))
      return fail(reason, what, error, "an object");
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return fail(reason, what, error, "an object");
    std::string name(key);
    std::int64_t level = 0;
    bool level_present = false;
    if (!read_power_level(field.value(), level, level_present, std::string(what) + "." + name,
                          reason)) {
      return false;
    }
    if (level_present) out[std::move(name)] = level;
  }
  return true;
}

bool parse_power_levels(od::object& content, Event& event, std::string& reason) {
  auto& levels = event.content.emplace<PowerLevels>();
  return for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "users") return parse_level_map(value, levels.users, "content.users", reason);
    if (key == "users_default")
      return read_power_level(value, levels.users_default, "content.users_default", reason);
    if (key == "events") return parse_level_map(value, levels.events, "content.events", reason);
    if (key == "events_default") {
      return read_power_level(value, levels.events_default, "content.events_default", reason);
    }
    if (key == "state_default")
      return read_power_level(value, levels.state_default, "content.state_default", reason);
    return true;
  });
}

bool parse_encryption(od::object& content, Event& event, std::string_view& missing,
                      std::string& reason) {
  auto& encryption = event.content.emplace<Encryption>();
  bool has_algorithm = false;
  bool ok = for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "algorithm") {
      return has_algorithm = read_string(value, encryption.algorithm, "content.algorithm", reason);
    }
    return true;
  });
  if (ok && !has_algorithm) missing = "content.algorithm";
  return ok;
}

bool parse_name(od::object& content, Event& event, std::string& reason) {
  auto& name = event.content.emplace<RoomName>();
  return for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "name") return read_optional_string(value, name.name, "content.name", reason);
    return true;
  });
}

bool parse_create(od::object& content, Event& event, std::string& reason) {
  auto& create = event.content.emplace<RoomCreate>();
  return for_each_field(content, "content", reason, [&](std::string_view key, od::value& value) {
    if (key == "room_version")
      return read_optional_string(value, create.room_version, "content.room_version", reason);
    if (key == "creator")
      return read_optional_string(value, create.creator, "content.creator", reason);
    if (key == "additional_creators") {
      od::json_type type;
      if (auto error = value.type().get(type))
        return fail(reason, "content.additional_creators", error, "an array");
      if (type == od::json_type::null) return true;
      od::array creators;
      if (auto error = value.get_array().get(creators)) {
        return fail(reason, "content.additional_creators", error, "an array");
      }
      for (auto element_result : creators) {
        od::value element;
        if (auto error = std::move(element_result).get(element)) {
          return fail(reason, "content.additional_creators", error, "an array");
        }
        std::string creator;
        if (!read_string(element, creator, "content.additional_creators[]", reason)) return false;
        create.additional_creators.push_back(std::move(creator));
      }
    }
    return true;
  });
}

// What reading one event's fields found besides its values.
struct Findings {
  std::string_view missing;   ///< the first missing required field
  Ignored ignored;            ///< optional fields of the wrong type, ignored
  std::string wrong_redacts;  ///< a redaction's redacts of the wrong type
};

bool parse_content(od::value& value, Kind kind, Event& event, Findings& findings,
                   std::string& reason) {
  if (kind == Kind::encrypted) {
    // Kept whole for the crypto machine, which reads and checks it.
    std::string_view raw;
    if (auto error = sj::to_json_string(value).get(raw))
      return fail(reason, "content", error, "an object");
    if (raw.empty() || raw.front() != '{') return (reason = "content is not an object", false);
    event.content.emplace<Encrypted>().content_json.assign(raw);
    return true;
  }
  od::object content;
  if (auto error = value.get_object().get(content))
    return fail(reason, "content", error, "an object");
  std::string_view& missing = findings.missing;
  switch (kind) {
    case Kind::message:
      return parse_message(content, event, missing, findings.ignored, reason);
    case Kind::reaction:
      return parse_reaction(content, event, missing, findings.ignored, reason);
    case Kind::redaction:
      return parse_redaction(content, event, findings.wrong_redacts, findings.ignored, reason);
    case Kind::member:
      return parse_member(content, event, missing, reason);
    case Kind::power_levels:
      return parse_power_levels(content, event, reason);
    case Kind::encryption:
      return parse_encryption(content, event, missing, reason);
    case Kind::name:
      return parse_name(content, event, reason);
    case Kind::create:
      return parse_create(content, event, reason);
    case Kind::poll_response:
      return parse_poll(content, event, true, missing, reason);
    case Kind::poll_end:
      return parse_poll(content, event, false, missing, reason);
    case Kind::encrypted:  // handled above
    case Kind::other:
      event.content.emplace<UnknownContent>();
      return true;
  }
  return true;
}

// The content an event gets when it has none (redacted or broken), and the field that is then
// missing, if the kind requires one.
std::string_view set_empty_content(Kind kind, Event& event) {
  switch (kind) {
    case Kind::message:
      event.content.emplace<RoomMessage>();
      return "content.msgtype";
    case Kind::reaction:
      event.content.emplace<Reaction>();
      return "content.m.relates_to";
    case Kind::redaction:
      event.content.emplace<Redaction>();
      return {};
    case Kind::member:
      event.content.emplace<Member>();
      return "content.membership";
    case Kind::power_levels:
      event.content.emplace<PowerLevels>();
      return {};
    case Kind::encryption:
      event.content.emplace<Encryption>();
      return "content.algorithm";
    case Kind::name:
      event.content.emplace<RoomName>();
      return {};
    case Kind::create:
      event.content.emplace<RoomCreate>();
      return {};
    case Kind::encrypted:
      event.content.emplace<Encrypted>();
      return {};
    case Kind::poll_response:
      event.content.emplace<PollResponse>();
      return "content.m.relates_to";
    case Kind::poll_end:
      event.content.emplace<PollEnd>();
      return "content.m.relates_to";
    case Kind::other:
      event.content.emplace<UnknownContent>();
      return {};
  }
  return {};
}

bool read_unsigned(od::value& value, bool& redacted, std::string& reason) {
  od::object object;
  bool present = false;
  if (!get_optional_object(value, object, present, "unsigned", reason)) return false;
  if (!present) return true;
  return for_each_field(object, "unsigned", reason, [&](std::string_view key, od::value& v) {
    if (key == "redacted_because") {
      od::json_type type;
      if (auto error = v.type().get(type))
        return fail(reason, "unsigned.redacted_because", error, "an object");
      if (type != od::json_type::null) redacted = true;
    }
    return true;
  });
}

sj::padded_string_view padded_view(std::string_view text, const char* capacity_end) {
  return sj::padded_string_view(text.data(), text.size(),
                                static_cast<std::size_t>(capacity_end - text.data()));
}

// Parses one room event. On failure `reason` says why. Optional fields of the wrong type that
// were ignored are added to `ignored`.
bool read_event(od::document& doc, Event& event, Ignored& ignored, std::string& reason) {
  od::object object;
  if (auto error = doc.get_object().get(object)) return fail(reason, "event", error, "an object");
  bool has_event_id = false;
  bool has_sender = false;
  bool has_type = false;
  bool has_ts = false;
  bool content_seen = false;
  bool content_done = false;
  Kind kind = Kind::other;
  std::string top_redacts;
  std::string wrong_top_redacts;
  Findings findings;
  std::string_view& missing = findings.missing;
  bool ok = for_each_field(object, "event", reason, [&](std::string_view key, od::value& value) {
    if (key == "event_id")
      return has_event_id = read_string(value, event.event_id, "event_id", reason);
    if (key == "sender") return has_sender = read_string(value, event.sender, "sender", reason);
    if (key == "type") {
      if (!read_string(value, event.type, "type", reason)) return false;
      kind = kind_of(event.type);
      return has_type = true;
    }
    if (key == "origin_server_ts") {
      if (auto error = value.get_int64().get(event.origin_server_ts)) {
        return fail(reason, "origin_server_ts", error, "an integer");
      }
      return has_ts = true;
    }
    if (key == "state_key")
      return read_optional_string(value, event.state_key, "state_key", reason);
    if (key == "redacts") {
      Ignored wrong;
      if (!read_lenient_string(value, top_redacts, "redacts", wrong, reason)) return false;
      if (!wrong.empty()) wrong_top_redacts = std::move(wrong.front());
      return true;
    }
    if (key == "unsigned") return read_unsigned(value, event.redacted, reason);
    if (key == "content") {
      content_seen = true;
      if (!has_type) return true;  // parsed below, once the type is known
      content_done = true;
      return parse_content(value, kind, event, findings, reason);
    }
    return true;
  });
  if (!ok) return false;
  if (!has_event_id) return (reason = "event_id missing", false);
  if (!has_sender) return (reason = "sender missing", false);
  if (!has_type) return (reason = "type missing", false);
  if (!has_ts) return (reason = "origin_server_ts missing", false);
  if (content_seen && !content_done) {
    // Every string read so far was copied, so the document may be walked again.
    doc.rewind();
    od::value content;
    if (auto error = doc.find_field_unordered("content").get(content)) {
      return fail(reason, "content", error, "an object");
    }
    if (!parse_content(content, kind, event, findings, reason)) return false;
  } else if (!content_seen) {
    missing = set_empty_content(kind, event);
    if (!missing.empty()) missing = "content";
  }
  if (!missing.empty() && !event.redacted) {
    reason.assign(missing).append(" missing");
    return false;
  }
  if (auto* redaction = std::get_if<Redaction>(&event.content)) {
    if (redaction->redacts.empty()) redaction->redacts = std::move(top_redacts);
    if (redaction->redacts.empty() && !event.redacted) {
      if (!findings.wrong_redacts.empty()) return (reason = findings.wrong_redacts, false);
      if (!wrong_top_redacts.empty()) return (reason = wrong_top_redacts, false);
      return (reason = "redacts missing", false);
    }
  } else if (auto* create = std::get_if<RoomCreate>(&event.content)) {
    if (create->creator.empty()) create->creator = event.sender;
  }
  for (auto& field : findings.ignored) ignored.push_back(std::move(field));
  return true;
}

// Reads event_id, type, state_key and sender of an event whose parse failed part-way (a fresh
// walk: the failed one may be unusable). Fields of the wrong type stay empty; the walk stops at
// the first broken JSON, keeping what it read before.
void recover_identity(od::parser& parser, std::string_view text, const char* capacity_end,
                      MalformedEvent& out) {
  od::document doc;
  od::object object;
  if (parser.iterate(padded_view(text, capacity_end)).get(doc) || doc.get_object().get(object))
    return;
  std::string ignored;
  for_each_field(object, "event", ignored, [&](std::string_view key, od::value& value) {
    std::string* target = nullptr;
    if (key == "event_id") target = &out.event_id;
    if (key == "type") target = &out.type;
    if (key == "sender") target = &out.sender;
    if (key == "state_key") {
      std::string_view state_key;
      if (!value.get_string().get(state_key)) out.state_key = std::string(state_key);
      return true;
    }
    std::string_view field;
    if (target != nullptr && !value.get_string().get(field)) target->assign(field);
    return true;
  });
}

// State shared by one walk over a body.
struct Walk {
  od::parser& inner;
  const char* capacity_end;
  std::vector<MalformedEvent>& malformed;

  // Records a part of the body that did not parse (its room and the reason; the event's fields
  // are added by the caller where they could be read).
  void quarantine(const std::string& room_id, std::string_view raw, std::string reason) {
    MalformedEvent& bad = malformed.emplace_back();
    bad.room_id = room_id;
    bad.raw_json = capped(raw);
    bad.reason = std::move(reason);
  }

  // Records a part of the body with the wrong shape (e.g. a timeline that is not an object).
  sj::error_code quarantine_value(const std::string& room_id, od::value& value,
                                  std::string reason) {
    std::string_view raw;
    if (auto error = sj::to_json_string(value).get(raw)) return error;
    quarantine(room_id, raw, std::move(reason));
    return sj::SUCCESS;
  }

  // Parses one event's text into out.back(), or quarantines it.
  void parse_event(std::string_view text, const std::string& room_id, std::vector<Event>& out) {
    Event& event = out.emplace_back();
    std::string reason;
    Ignored ignored;
    od::document doc;
    bool ok = false;
    if (auto error = inner.iterate(padded_view(text, capacity_end)).get(doc)) {
      reason = invalid_json(error);
    } else {
      ok = read_event(doc, event, ignored, reason);
    }
    if (ok) {
      event.room_id = room_id;
      // The field and the event id only: never the content or the sender.
      for (const auto& field : ignored) {
        spdlog::warn("event {} in {}: ignored {}; the event is kept without it", event.event_id,
                     room_id, field);
      }
      return;
    }
    out.pop_back();
    quarantine(room_id, text, std::move(reason));
    recover_identity(inner, text, capacity_end, malformed.back());
  }

  // Walks an array of events. A wrong shape is quarantined; only broken JSON fails the body.
  // With `each`, every parsed event is handed over at once and not kept in `out`.
  sj::error_code events(od::value& value, const std::string& room_id, std::string_view what,
                        std::vector<Event>& out,
                        const std::function<void(Event&)>* each = nullptr) {
    od::array array;
    auto error = value.get_array().get(array);
    if (error == sj::INCORRECT_TYPE)
      return quarantine_value(room_id, value, std::string(what) + " is not an array");
    if (error) return error;
    if (each == nullptr) {
      std::size_t count = 0;
      if (auto count_error = array.count_elements().get(count)) return count_error;
      out.reserve(out.size() + count);
    }
    for (auto element_result : array) {
      od::value element;
      if (auto element_error = std::move(element_result).get(element)) return element_error;
      std::string_view text;
      if (auto text_error = sj::to_json_string(element).get(text)) return text_error;
      const std::size_t before = out.size();
      parse_event(text, room_id, out);
      if (each != nullptr && out.size() > before) {
        (*each)(out.back());
        out.pop_back();
      }
    }
    return sj::SUCCESS;
  }

  // Gets an object for a structural part of the body; `present` false if it had the wrong shape
  // (then it is quarantined).
  sj::error_code object(od::value& value, const std::string& room_id, std::string_view what,
                        od::object& out, bool& present) {
    present = false;
    auto error = value.get_object().get(out);
    if (error == sj::INCORRECT_TYPE)
      return quarantine_value(room_id, value, std::string(what) + " is not an object");
    if (error) return error;
    present = true;
    return sj::SUCCESS;
  }
};

// Calls on_field(key, value) for each field; the first error ends the walk.
template <typename OnField>
sj::error_code walk_fields(od::object& object, OnField&& on_field) {
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) return error;
    std::string_view key;
    if (auto error = key_of(field, key)) return error;
    if (auto error = on_field(key, field.value())) return error;
  }
  return sj::SUCCESS;
}

// Calls on_room(room_id, value) for each room of a rooms.join / invite / leave map.
template <typename OnRoom>
sj::error_code walk_rooms(od::object& rooms, OnRoom&& on_room) {
  for (auto field_result : rooms) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) return error;
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    std::string room_id(key);
    if (auto error = on_room(room_id, field.value())) return error;
  }
  return sj::SUCCESS;
}

// What a walk does with timeline events: keep them, leave them for a later pass, or stream them.
struct TimelineMode {
  bool skip = false;
  const std::function<void(Event&)>* each = nullptr;
};

sj::error_code walk_joined_room(Walk& walk, const std::string& room_id, od::value& value,
                                JoinedRoom& room, TimelineMode mode) {
  od::object object;
  bool present = false;
  if (auto error = walk.object(value, room_id, "rooms.join room", object, present);
      error || !present)
    return error;
  return walk_fields(object, [&](std::string_view key, od::value& part) -> sj::error_code {
    if (key == "timeline") {
      od::object timeline;
      if (auto error = walk.object(part, room_id, "timeline", timeline, present); error || !present)
        return error;
      return walk_fields(timeline, [&](std::string_view k, od::value& v) -> sj::error_code {
        if (k == "events") {
          if (mode.skip) return sj::SUCCESS;
          return walk.events(v, room_id, "timeline.events", room.timeline, mode.each);
        }
        if (k == "limited") {
          od::json_type type;
          if (auto error = v.type().get(type)) return error;
          if (type == od::json_type::null) return sj::SUCCESS;
          auto error = v.get_bool().get(room.limited);
          if (error == sj::INCORRECT_TYPE) {
            return walk.quarantine_value(room_id, v, "timeline.limited is not a boolean");
          }
          return error;
        }
        if (k == "prev_batch") {
          od::json_type type;
          if (auto error = v.type().get(type)) return error;
          if (type == od::json_type::null) return sj::SUCCESS;
          std::string_view text;
          auto error = v.get_string().get(text);
          if (error == sj::INCORRECT_TYPE) {
            return walk.quarantine_value(room_id, v, "timeline.prev_batch is not a string");
          }
          if (!error) room.prev_batch.assign(text);
          return error;
        }
        return sj::SUCCESS;
      });
    }
    if (key == "state") {
      od::object state;
      if (auto error = walk.object(part, room_id, "state", state, present); error || !present)
        return error;
      return walk_fields(state, [&](std::string_view k, od::value& v) -> sj::error_code {
        if (k == "events") {
          if (mode.each != nullptr) return sj::SUCCESS;  // the outline pass has the state
          return walk.events(v, room_id, "state.events", room.state);
        }
        return sj::SUCCESS;
      });
    }
    return sj::SUCCESS;
  });
}

// Reads a stripped state event of an invite; true if it is our own pending invite. `encryption`
// becomes true if it is the room's m.room.encryption.
bool is_own_invite(od::parser& parser, std::string_view text, const char* capacity_end,
                   const std::string& own_user_id, std::string& inviter, bool& is_direct,
                   bool& encryption) {
  od::document doc;
  od::object object;
  if (parser.iterate(padded_view(text, capacity_end)).get(doc) || doc.get_object().get(object))
    return false;
  std::string type;
  std::string state_key;
  std::string sender;
  std::string membership;
  std::string reason;
  bool ok = for_each_field(object, "event", reason, [&](std::string_view key, od::value& value) {
    if (key == "type") return read_string(value, type, "type", reason);
    if (key == "state_key") return read_string(value, state_key, "state_key", reason);
    if (key == "sender") return read_string(value, sender, "sender", reason);
    if (key == "content") {
      od::object content;
      if (value.get_object().get(content)) return false;
      return for_each_field(content, "content", reason, [&](std::string_view k, od::value& v) {
        if (k == "membership") return read_string(v, membership, "content.membership", reason);
        if (k == "is_direct") {
          bool direct = false;
          if (!v.get_bool().get(direct)) is_direct = direct;
        }
        return true;
      });
    }
    return true;
  });
  if (ok && type == "m.room.encryption" && state_key.empty()) encryption = true;
  if (!ok || type != "m.room.member" || state_key != own_user_id || membership != "invite" ||
      sender.empty()) {
    return false;
  }
  inviter = std::move(sender);
  return true;
}

sj::error_code walk_invited_room(Walk& walk, const std::string& room_id, od::value& value,
                                 const std::string& own_user_id, std::vector<Invite>& invites) {
  od::object object;
  bool present = false;
  if (auto error = walk.object(value, room_id, "rooms.invite room", object, present);
      error || !present)
    return error;
  // Over federation invite_state is the inviting server's stripped state, and a hostile server can
  // put a forged m.room.member for us (naming someone else as the sender) before or after the
  // genuine one. So every invite event for us counts, and only when they agree is there an
  // inviter; otherwise the invite carries none and the allowlist declines it.
  std::vector<std::string> senders;
  bool all_direct = true;
  bool encrypted = false;
  auto walked = walk_fields(object, [&](std::string_view key, od::value& part) -> sj::error_code {
    if (key != "invite_state") return sj::SUCCESS;
    od::object state;
    if (auto error = walk.object(part, room_id, "invite_state", state, present); error || !present)
      return error;
    return walk_fields(state, [&](std::string_view k, od::value& v) -> sj::error_code {
      if (k != "events") return sj::SUCCESS;
      od::array events;
      auto error = v.get_array().get(events);
      if (error == sj::INCORRECT_TYPE)
        return walk.quarantine_value(room_id, v, "invite_state.events is not an array");
      if (error) return error;
      for (auto element_result : events) {
        od::value element;
        if (auto element_error = std::move(element_result).get(element)) return element_error;
        std::string_view text;
        if (auto text_error = sj::to_json_string(element).get(text)) return text_error;
        std::string inviter;
        bool is_direct = false;
        if (is_own_invite(walk.inner, text, walk.capacity_end, own_user_id, inviter, is_direct,
                          encrypted)) {
          senders.push_back(std::move(inviter));
          all_direct = all_direct && is_direct;
        }
      }
      return sj::SUCCESS;
    });
  });
  if (walked || senders.empty()) return walked;
  Invite& invite = invites.emplace_back(Invite{room_id, senders.front(), all_direct, encrypted});
  if (std::any_of(senders.begin(), senders.end(),
                  [&](const std::string& sender) { return sender != senders.front(); })) {
    // The room id only: the senders are Matrix ids, and one of them is made up anyway.
    spdlog::warn(
        "invite to {}: its {} invite events for the bot disagree on the sender; no "
        "inviter is trusted",
        room_id, senders.size());
    invite.inviter.clear();
  }
  return sj::SUCCESS;
}

sj::error_code walk_rooms_section(Walk& walk, od::value& value, const std::string& own_user_id,
                                  SyncBatch& batch, TimelineMode mode) {
  od::object rooms;
  bool present = false;
  if (auto error = walk.object(value, {}, "rooms", rooms, present); error || !present) return error;
  return walk_fields(rooms, [&](std::string_view key, od::value& section_value) -> sj::error_code {
    if (key != "join" && key != "invite" && key != "leave") return sj::SUCCESS;
    od::object section;
    std::string what = "rooms." + std::string(key);
    if (auto error = walk.object(section_value, {}, what, section, present); error || !present)
      return error;
    if (key == "join") {
      return walk_rooms(section,
                        [&](const std::string& room_id, od::value& room_value) -> sj::error_code {
                          JoinedRoom& room = batch.joined.emplace_back();
                          room.room_id = room_id;
                          return walk_joined_room(walk, room_id, room_value, room, mode);
                        });
    }
    if (key == "invite") {
      return walk_rooms(section, [&](const std::string& room_id, od::value& room_value) {
        return walk_invited_room(walk, room_id, room_value, own_user_id, batch.invites);
      });
    }
    return walk_rooms(section, [&](const std::string& room_id, od::value&) {
      batch.left.push_back(room_id);
      return sj::SUCCESS;
    });
  });
}

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at text[i] (Unicode table 3-7), or 0 with `skip`
// set to the length of its maximal ill-formed subpart, which becomes one U+FFFD.
std::size_t utf8_sequence_at(std::string_view text, std::size_t i, std::size_t& skip) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    skip = 1;  // a continuation byte without a lead, C0, C1 or F5..FF
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      skip = k;
      return 0;
    }
    const auto byte = static_cast<unsigned char>(text[i + k]);
    const bool fits = k == 1 ? (byte >= low && byte <= high) : (byte >= 0x80 && byte <= 0xBF);
    if (!fits) {
      skip = k;
      return 0;
    }
  }
  return length;
}

// Makes room for simdjson's padding behind the body.
void pad(std::string& body) {
  if (body.capacity() < body.size() + sj::SIMDJSON_PADDING)
    body.reserve(body.size() + sj::SIMDJSON_PADDING);
}

// Reads a top-level string field; a wrong type fails the body.
sj::error_code read_top_string(od::value& value, std::string& out, bool allow_null) {
  if (allow_null) {
    od::json_type type;
    if (auto error = value.type().get(type)) return error;
    if (type == od::json_type::null) return sj::SUCCESS;
  }
  std::string_view text;
  if (auto error = value.get_string().get(text)) return error;
  out.assign(text);
  return sj::SUCCESS;
}

// Walks the top-level object; on_field returns an error to fail the body. A body with invalid
// UTF-8 is replaced by its repaired copy (`repaired` counts the replacements) and `walk` follows
// it. simdjson validates UTF-8 while it indexes the body, so a valid body pays nothing for this.
template <typename OnField>
std::optional<ParseError> walk_body(std::string& body, od::parser& parser, Walk& walk,
                                    std::size_t& repaired, OnField&& on_field) {
  od::document doc;
  od::object root;
  auto start = [&] {
    pad(body);
    walk.capacity_end = body.data() + body.capacity();
    return parser.iterate(sj::padded_string_view(body.data(), body.size(), body.capacity()))
        .get(doc);
  };
  auto started = start();
  if (started == sj::UTF8_ERROR) {
    repaired = repair_utf8(body);
    started = start();
  }
  if (started) return ParseError{"body is not JSON: " + std::string(sj::error_message(started))};
  od::json_type type;
  if (auto error = doc.type().get(type)) {
    return ParseError{"body is not JSON: " + std::string(sj::error_message(error))};
  }
  if (type != od::json_type::object) return ParseError{"body is not a JSON object"};
  if (auto error = doc.get_object().get(root)) {
    return ParseError{"body is not JSON: " + std::string(sj::error_message(error))};
  }
  std::string failed_field;
  auto error = walk_fields(root, [&](std::string_view key, od::value& value) -> sj::error_code {
    auto field_error = on_field(key, value);
    if (field_error) failed_field.assign(key);
    return field_error;
  });
  if (error) {
    if (error == sj::INCORRECT_TYPE) return ParseError{failed_field + " has the wrong type"};
    return ParseError{"body is not JSON: " + std::string(sj::error_message(error))};
  }
  const char* location = nullptr;
  if (!doc.current_location().get(location))
    return ParseError{"body is not JSON: content after the top-level object"};
  return std::nullopt;
}

}  // namespace

namespace {

// A top-level value as JSON text, or `fallback` when it is not of the expected type: the crypto
// machine gets nothing from a malformed part rather than a failed batch.
std::string raw_or(od::value& value, od::json_type expected, std::string fallback) {
  od::json_type type;
  std::string_view raw;
  if (value.type().get(type) || type != expected || sj::to_json_string(value).get(raw))
    return fallback;
  return std::string(raw);
}

// Reads the encryption parts of a /sync body (to-device events, device lists, key counts).
sj::error_code walk_encryption(std::string_view key, od::value& value, crypto::SyncChanges& out) {
  if (key == "device_one_time_keys_count") {
    out.one_time_key_counts = raw_or(value, od::json_type::object, "{}");
  } else if (key == "device_unused_fallback_key_types") {
    std::string raw = raw_or(value, od::json_type::array, {});
    if (!raw.empty()) out.unused_fallback_keys = std::move(raw);
  } else if (key == "to_device" || key == "device_lists") {
    od::object object;
    if (value.get_object().get(object)) return sj::SUCCESS;
    return walk_fields(object, [&](std::string_view field, od::value& part) -> sj::error_code {
      if (key == "to_device") {
        if (field == "events") out.to_device_events = raw_or(part, od::json_type::array, "[]");
        return sj::SUCCESS;
      }
      if (field != "changed" && field != "left") return sj::SUCCESS;
      auto& users = field == "changed" ? out.changed : out.left;
      od::array array;
      if (part.get_array().get(array)) return sj::SUCCESS;
      for (auto item : array) {
        std::string_view user;
        if (!item.get_string().get(user)) users.emplace_back(user);
      }
      return sj::SUCCESS;
    });
  }
  return sj::SUCCESS;
}

// One walk over a /sync body; `mode` says what happens to timeline events.
Expected<SyncBatch, ParseError> walk_sync(std::string& body, const std::string& own_user_id,
                                          TimelineMode mode) {
  Parsers& p = parsers();
  SyncBatch batch;
  Walk walk{p.inner, nullptr, batch.malformed};
  bool has_next_batch = false;
  auto error = walk_body(body, p.outer, walk, batch.repaired_utf8,
                         [&](std::string_view key, od::value& value) -> sj::error_code {
                           if (key == "next_batch") {
                             has_next_batch = true;
                             return read_top_string(value, batch.next_batch, false);
                           }
                           if (key == "rooms")
                             return walk_rooms_section(walk, value, own_user_id, batch, mode);
                           return walk_encryption(key, value, batch.encryption);
                         });
  if (error) return Unexpected(std::move(*error));
  if (!has_next_batch) return Unexpected(ParseError{"next_batch missing"});
  batch.encryption.next_batch = batch.next_batch;
  return batch;
}

}  // namespace

std::size_t repair_utf8(std::string& text) {
  if (sj::validate_utf8(text.data(), text.size())) return 0;
  std::string repaired;
  repaired.reserve(text.size() + sj::SIMDJSON_PADDING);
  std::size_t replaced = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t skip = 0;
    const std::size_t length = utf8_sequence_at(text, i, skip);
    if (length > 0) {
      repaired.append(text, i, length);
      i += length;
    } else {
      repaired.append(kReplacementCharacter);
      i += skip;
      ++replaced;
    }
  }
  text = std::move(repaired);
  return replaced;
}

Expected<SyncBatch, ParseError> parse_sync(std::string& body, const std::string& own_user_id) {
  return walk_sync(body, own_user_id, TimelineMode{});
}

Expected<SyncBatch, ParseError> parse_sync_outline(std::string& body,
                                                   const std::string& own_user_id) {
  return walk_sync(body, own_user_id, TimelineMode{true, nullptr});
}

Expected<std::vector<MalformedEvent>, ParseError> stream_sync_timelines(
    std::string& body, const std::string& own_user_id,
    const std::function<void(const std::string& room_id)>& on_room,
    const std::function<void(Event& event)>& on_event) {
  std::string current_room;
  const std::function<void(Event&)> each = [&](Event& event) {
    if (event.room_id != current_room) {
      current_room = event.room_id;
      on_room(current_room);
    }
    on_event(event);
  };
  auto walked = walk_sync(body, own_user_id, TimelineMode{false, &each});
  release_large_buffers(body.size());
  if (!walked) return Unexpected(std::move(walked.error()));
  return std::move(walked->malformed);
}

Expected<Event, ParseError> parse_event(std::string& body, const std::string& room_id) {
  repair_utf8(body);  // one small event: validating it up front costs nothing worth saving
  pad(body);
  Parsers& p = parsers();
  std::vector<MalformedEvent> malformed;
  Walk walk{p.inner, body.data() + body.capacity(), malformed};
  std::vector<Event> out;
  walk.parse_event(body, room_id, out);
  if (out.empty()) {
    return Unexpected(ParseError{malformed.empty() ? "not an event" : malformed.front().reason});
  }
  return std::move(out.front());
}

Expected<MessagesPage, ParseError> parse_messages(std::string& body, const std::string& room_id) {
  Parsers& p = parsers();
  MessagesPage page;
  Walk walk{p.inner, nullptr, page.malformed};
  bool has_chunk = false;
  auto error = walk_body(body, p.outer, walk, page.repaired_utf8,
                         [&](std::string_view key, od::value& value) -> sj::error_code {
                           if (key == "chunk") {
                             has_chunk = true;
                             return walk.events(value, room_id, "chunk", page.chunk);
                           }
                           if (key == "state")
                             return walk.events(value, room_id, "state", page.state);
                           if (key == "start") return read_top_string(value, page.start, true);
                           if (key == "end") return read_top_string(value, page.end, true);
                           return sj::SUCCESS;
                         });
  if (error) return Unexpected(std::move(*error));
  if (!has_chunk) return Unexpected(ParseError{"chunk missing"});
  return page;
}

}  // namespace reflexbot::matrix
