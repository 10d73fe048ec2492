#include "app/outgoing.hpp"

#include <nlohmann/json.hpp>

namespace reflexbot::app {
namespace {

using nlohmann::json;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void Outgoing::start(store::BatchScope& scope, std::int64_t now_ms) {
  scope_ = &scope;
  now_ms_ = now_ms;
  queued_ = 0;
}

namespace {

json notice_content(const core::Notice& notice) {
  return {{"msgtype", "m.notice"},
          {"body", notice.text},
          {"format", "org.matrix.custom.html"},
          {"formatted_body", notice.html},
          {"m.mentions", json::object()}};
}

}  // namespace

std::string Outgoing::anonymous_post(const std::string& room_id, const core::Notice& notice) {
  ++queued_;
  return scope_->queue_anonymous_post(room_id, dump(notice_content(notice)), now_ms_);
}

std::string Outgoing::notice(const std::string& room_id, const core::Notice& notice,
                             const matrix::Event* reply_to, const std::string& key) {
  json content = notice_content(notice);
  if (reply_to != nullptr) {
    json relation = {{"m.in_reply_to", {{"event_id", reply_to->event_id}}}};
    const auto* message = std::get_if<matrix::RoomMessage>(&reply_to->content);
    if (message != nullptr && message->relates_to && message->relates_to->rel_type == "m.thread") {
      // Answer inside the thread the command was written in.
      relation["rel_type"] = "m.thread";
      relation["event_id"] = message->relates_to->event_id;
      relation["is_falling_back"] = false;
    }
    content["m.relates_to"] = std::move(relation);
  }
  ++queued_;
  return scope_->queue_send(room_id, "m.room.message", dump(content), key, now_ms_);
}

void Outgoing::reaction(const std::string& room_id, const std::string& event_id,
                        const std::string& emoji, const std::string& key) {
  const json content = {
      {"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", event_id}, {"key", emoji}}},
      {"m.mentions", json::object()}};
  scope_->queue_send(room_id, "m.reaction", dump(content), key, now_ms_);
  ++queued_;
}

}  // namespace reflexbot::app
