#include "matrix/content.hpp"

#include <variant>

#include <nlohmann/json.hpp>

namespace reflexbot::matrix {
namespace {

using nlohmann::json;

// Invalid UTF-8 in a text is replaced, never a reason to throw while queueing.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json notice_content(const core::Notice& notice) {
  return {{"msgtype", "m.notice"},
          {"body", notice.text},
          {"format", "org.matrix.custom.html"},
          {"formatted_body", notice.html},
          {"m.mentions", json::object()}};
}

json reply_relation(const Event& reply_to) {
  json relation = {{"m.in_reply_to", {{"event_id", reply_to.event_id}}}};
  const auto* message = std::get_if<RoomMessage>(&reply_to.content);
  if (message != nullptr && message->relates_to && message->relates_to->rel_type == "m.thread") {
    // Answer inside the thread the command was written in.
    relation["rel_type"] = "m.thread";
    relation["event_id"] = message->relates_to->event_id;
    relation["is_falling_back"] = false;
  }
  return relation;
}

}  // namespace

OutgoingEvent notice_event(const core::Notice& notice, const Event* reply_to,
                           const std::string& thread_root) {
  json content = notice_content(notice);
  json relation = reply_to != nullptr ? reply_relation(*reply_to) : json::object();
  if (!thread_root.empty() && !relation.contains("rel_type")) {
    // Into the thread that hangs from `thread_root`; clients without threads see a reply to the
    // root (or to the event answered).
    relation["rel_type"] = "m.thread";
    relation["event_id"] = thread_root;
    relation["is_falling_back"] = reply_to == nullptr;
    if (reply_to == nullptr) relation["m.in_reply_to"] = {{"event_id", thread_root}};
  }
  if (!relation.empty()) content["m.relates_to"] = std::move(relation);
  return {"m.room.message", dump(content)};
}

OutgoingEvent thread_notice_event(const core::Notice& notice, const Event& root) {
  json content = notice_content(notice);
  json relation = reply_relation(root);
  if (!relation.contains("rel_type")) {
    relation["rel_type"] = "m.thread";
    relation["event_id"] = root.event_id;
    relation["is_falling_back"] = true;
  }
  content["m.relates_to"] = relation;
  return {"m.room.message", dump(content)};
}

OutgoingEvent poll_start_event(const std::string& question, const std::vector<PollAnswer>& answers,
                               const std::string& fallback) {
  json choices = json::array();
  for (const auto& answer : answers) {
    choices.push_back({{"id", answer.id}, {"org.matrix.msc1767.text", answer.text}});
  }
  const json content = {
      {"org.matrix.msc3381.poll.start",
       {{"kind", "org.matrix.msc3381.poll.disclosed"},
        {"max_selections", 1},
        {"question",
         {{"org.matrix.msc1767.text", question}, {"body", question}, {"msgtype", "m.text"}}},
        {"answers", choices}}},
      {"org.matrix.msc1767.text", fallback},
      {"m.mentions", json::object()}};
  return {"org.matrix.msc3381.poll.start", dump(content)};
}

OutgoingEvent poll_end_event(const std::string& poll_event_id, const std::string& text) {
  const json content = {
      {"m.relates_to", {{"rel_type", "m.reference"}, {"event_id", poll_event_id}}},
      {"org.matrix.msc3381.poll.end", json::object()},
      {"org.matrix.msc1767.text", text},
      {"m.mentions", json::object()}};
  return {"org.matrix.msc3381.poll.end", dump(content)};
}

OutgoingEvent reaction_event(const std::string& event_id, const std::string& emoji) {
  // One per collected message (the ✅): written directly, byte for byte what dump() makes of
  // {"m.relates_to": {"rel_type": "m.annotation", "event_id": …, "key": …}, "m.mentions": {}}
  // (keys in order), with only the two strings through the serialiser.
  std::string content = R"({"m.mentions":{},"m.relates_to":{"event_id":)";
  content += dump(json(event_id));
  content += R"(,"key":)";
  content += dump(json(emoji));
  content += R"(,"rel_type":"m.annotation"}})";
  return {"m.reaction", std::move(content)};
}

OutgoingEvent image_event(const Image& image, const Event* beside) {
  json content = {{"msgtype", "m.image"},
                  {"body", image.alt},
                  {"filename", image.filename},
                  {"info",
                   {{"w", image.width},
                    {"h", image.height},
                    {"mimetype", image.mimetype},
                    {"size", image.size}}},
                  {"m.mentions", json::object()}};
  if (beside != nullptr) {
    json relation = reply_relation(*beside);
    if (relation.contains("rel_type")) {
      relation["is_falling_back"] = true;
      content["m.relates_to"] = std::move(relation);
    }
  }
  return {"m.room.message", dump(content)};
}

std::string with_media(const std::string& content, const std::string& content_uri,
                       const std::string& file_info) {
  json event = json::parse(content, nullptr, false);
  if (!event.is_object()) event = json::object();
  if (file_info.empty()) {
    event["url"] = content_uri;
  } else {
    json file = json::parse(file_info, nullptr, false);
    if (!file.is_object()) file = json::object();
    file["url"] = content_uri;
    event.erase("url");
    event["file"] = std::move(file);
  }
  return dump(event);
}

}  // namespace reflexbot::matrix
