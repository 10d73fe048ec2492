#include "matrix/parse.hpp"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace reflexbot::matrix {
namespace {

const std::string kOwnUser = "@reflexbot:example.org";

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(REFLEXBOT_FIXTURES) + "/sync/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

SyncBatch sync_ok(std::string body) {
  auto result = parse_sync(body, kOwnUser);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  if (!result) return {};
  return std::move(result).value();
}

std::string sync_error(std::string body) {
  auto result = parse_sync(body, kOwnUser);
  EXPECT_FALSE(result.has_value());
  return result ? std::string() : result.error().message;
}

// A /sync body with one joined room whose timeline holds `events` (a JSON array's inside).
std::string sync_with_timeline(const std::string& events) {
  return R"({"next_batch":"s1","rooms":{"join":{"!r:example.org":{"timeline":{"events":[)" +
         events + R"(],"limited":false}}}}})";
}

const JoinedRoom* find_room(const SyncBatch& batch, const std::string& room_id) {
  for (const auto& room : batch.joined) {
    if (room.room_id == room_id) return &room;
  }
  return nullptr;
}

const Event* find_event(const std::vector<Event>& events, const std::string& event_id) {
  for (const auto& event : events) {
    if (event.event_id == event_id) return &event;
  }
  return nullptr;
}

// Captures what the default logger writes while it lives.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::string text() const {
    std::string out;
    for (const auto& line : sink_->last_formatted()) out += line;
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// The single timeline event of a sync_with_timeline body.
Event single_event(const std::string& event_json) {
  SyncBatch batch = sync_ok(sync_with_timeline(event_json));
  EXPECT_TRUE(batch.malformed.empty())
      << (batch.malformed.empty() ? "" : batch.malformed[0].reason);
  if (batch.joined.size() != 1 || batch.joined[0].timeline.size() != 1) {
    ADD_FAILURE() << "expected exactly one event";
    return {};
  }
  return batch.joined[0].timeline[0];
}

// The single malformed record of a sync_with_timeline body.
MalformedEvent single_malformed(const std::string& event_json) {
  SyncBatch batch = sync_ok(sync_with_timeline(event_json));
  if (batch.malformed.size() != 1) {
    ADD_FAILURE() << "expected exactly one malformed event, got " << batch.malformed.size();
    return {};
  }
  EXPECT_TRUE(batch.joined.at(0).timeline.empty());
  return batch.malformed[0];
}

// --- the full fixture ------------------------------------------------------------------------

class FullSync : public ::testing::Test {
 protected:
  void SetUp() override { batch_ = sync_ok(read_fixture("sync_full.json")); }
  const Event& timeline_event(const std::string& event_id) {
    const JoinedRoom* room = find_room(batch_, "!kreis-nord:example.org");
    EXPECT_NE(room, nullptr);
    const Event* event = room ? find_event(room->timeline, event_id) : nullptr;
    EXPECT_NE(event, nullptr) << event_id;
    static const Event none;
    return event ? *event : none;
  }
  const Event& state_event(const std::string& event_id) {
    const JoinedRoom* room = find_room(batch_, "!kreis-nord:example.org");
    const Event* event = room ? find_event(room->state, event_id) : nullptr;
    EXPECT_NE(event, nullptr) << event_id;
    static const Event none;
    return event ? *event : none;
  }
  SyncBatch batch_;
};

TEST_F(FullSync, TopLevel) {
  EXPECT_EQ(batch_.next_batch, "s72595_4483_1934");
  ASSERT_EQ(batch_.joined.size(), 2u);
  EXPECT_EQ(batch_.joined[0].room_id, "!kreis-nord:example.org");
  EXPECT_EQ(batch_.joined[1].room_id, "!kreis-sued:example.org");
  EXPECT_EQ(batch_.joined[0].timeline.size(), 8u);
  EXPECT_EQ(batch_.joined[0].state.size(), 5u);
  EXPECT_TRUE(batch_.malformed.empty());
  ASSERT_EQ(batch_.left.size(), 1u);
  EXPECT_EQ(batch_.left[0], "!alt:example.org");
}

TEST_F(FullSync, LimitedTimelineWithPrevBatch) {
  EXPECT_TRUE(batch_.joined[0].limited);
  EXPECT_EQ(batch_.joined[0].prev_batch, "t34-23535_0_0_0_0_0_0_0_0");
  EXPECT_FALSE(batch_.joined[1].limited);
  EXPECT_EQ(batch_.joined[1].prev_batch, "t35-1_0_0");
}

TEST_F(FullSync, TimelineOrderAndRoomId) {
  const auto& timeline = batch_.joined[0].timeline;
  std::vector<std::string> ids;
  for (const auto& event : timeline) {
    ids.push_back(event.event_id);
    EXPECT_EQ(event.room_id, "!kreis-nord:example.org");
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"$msg-1", "$msg-2-reply", "$msg-3-edit", "$msg-4-thread",
                                           "$react-1", "$redact-1", "$member-dora", "$custom-1"}));
  for (const auto& event : batch_.joined[0].state)
    EXPECT_EQ(event.room_id, "!kreis-nord:example.org");
}

TEST_F(FullSync, HtmlMessage) {
  const Event& event = timeline_event("$msg-1");
  EXPECT_EQ(event.sender, "@anna:example.org");
  EXPECT_EQ(event.type, "m.room.message");
  EXPECT_EQ(event.origin_server_ts, 1718100000000);
  EXPECT_FALSE(event.state_key.has_value());
  EXPECT_FALSE(event.redacted);
  const auto& message = std::get<RoomMessage>(event.content);
  EXPECT_EQ(message.msgtype, "m.text");
  EXPECT_EQ(message.body, "Die Übergabe an der Einsatzstelle hat gut geklappt #erfolg");
  ASSERT_TRUE(message.formatted_body.has_value());
  EXPECT_EQ(*message.formatted_body, "Die <b>Übergabe</b> hat gut geklappt #erfolg");
  EXPECT_FALSE(message.relates_to.has_value());
  EXPECT_FALSE(message.new_body.has_value());
}

TEST_F(FullSync, FormattedBodyOnlyForHtmlFormat) {
  const JoinedRoom* room = find_room(batch_, "!kreis-sued:example.org");
  ASSERT_NE(room, nullptr);
  ASSERT_EQ(room->timeline.size(), 1u);
  const auto& message = std::get<RoomMessage>(room->timeline[0].content);
  EXPECT_EQ(message.msgtype, "m.notice");
  EXPECT_EQ(message.body, "Hinweis");
  EXPECT_FALSE(message.formatted_body.has_value());
}

TEST_F(FullSync, Reply) {
  const auto& message = std::get<RoomMessage>(timeline_event("$msg-2-reply").content);
  ASSERT_TRUE(message.relates_to.has_value());
  EXPECT_EQ(message.relates_to->in_reply_to, "$msg-1");
  EXPECT_EQ(message.relates_to->rel_type, "");
  EXPECT_EQ(message.relates_to->event_id, "");
  EXPECT_FALSE(message.new_body.has_value());
}

TEST_F(FullSync, EditWithNewContent) {
  const auto& message = std::get<RoomMessage>(timeline_event("$msg-3-edit").content);
  EXPECT_EQ(message.body, " * Die Übergabe hat sehr gut geklappt #erfolg");
  ASSERT_TRUE(message.relates_to.has_value());
  EXPECT_EQ(message.relates_to->rel_type, "m.replace");
  EXPECT_EQ(message.relates_to->event_id, "$msg-1");
  ASSERT_TRUE(message.new_body.has_value());
  EXPECT_EQ(*message.new_body, "Die Übergabe hat sehr gut geklappt #erfolg");
}

TEST_F(FullSync, Thread) {
  const auto& message = std::get<RoomMessage>(timeline_event("$msg-4-thread").content);
  ASSERT_TRUE(message.relates_to.has_value());
  EXPECT_EQ(message.relates_to->rel_type, "m.thread");
  EXPECT_EQ(message.relates_to->event_id, "$msg-1");
  EXPECT_EQ(message.relates_to->in_reply_to, "$msg-2-reply");
}

TEST_F(FullSync, Reaction) {
  const Event& event = timeline_event("$react-1");
  const auto& reaction = std::get<Reaction>(event.content);
  EXPECT_EQ(reaction.relates_to.rel_type, "m.annotation");
  EXPECT_EQ(reaction.relates_to.event_id, "$msg-2-reply");
  EXPECT_EQ(reaction.relates_to.key, "📌");
}

TEST_F(FullSync, RedactionV11) {
  const auto& redaction = std::get<Redaction>(timeline_event("$redact-1").content);
  EXPECT_EQ(redaction.redacts, "$msg-4-thread");
  EXPECT_EQ(redaction.reason, "Doppelt");
}

TEST_F(FullSync, MemberWithNullDisplayname) {
  const Event& event = timeline_event("$member-dora");
  ASSERT_TRUE(event.state_key.has_value());
  EXPECT_EQ(*event.state_key, "@dora:example.org");
  const auto& member = std::get<Member>(event.content);
  EXPECT_EQ(member.membership, "join");
  EXPECT_EQ(member.displayname, "");
}

TEST_F(FullSync, UnknownType) {
  const Event& event = timeline_event("$custom-1");
  EXPECT_EQ(event.type, "org.example.custom");
  EXPECT_EQ(event.sender, "@dora:example.org");
  EXPECT_EQ(event.origin_server_ts, 1718100007000);
  EXPECT_TRUE(std::holds_alternative<UnknownContent>(event.content));
}

TEST_F(FullSync, CreateV12WithAdditionalCreators) {
  const Event& event = state_event("$create-nord");
  ASSERT_TRUE(event.state_key.has_value());
  EXPECT_EQ(*event.state_key, "");
  const auto& create = std::get<RoomCreate>(event.content);
  EXPECT_EQ(create.room_version, "12");
  EXPECT_EQ(create.creator, "@anna:example.org");  // no content.creator: the sender
  EXPECT_EQ(create.additional_creators,
            (std::vector<std::string>{"@bernd:example.org", "@carla:example.org"}));
}

TEST_F(FullSync, PowerLevelsWithStringNumbers) {
  const auto& levels = std::get<PowerLevels>(state_event("$pl-nord").content);
  EXPECT_EQ(levels.users, (std::map<std::string, std::int64_t>{{"@reflexbot:example.org", 50},
                                                               {"@dora:example.org", 100}}));
  EXPECT_EQ(levels.users_default, 0);
  EXPECT_EQ(levels.events, (std::map<std::string, std::int64_t>{{"m.room.name", 50},
                                                                {"m.room.power_levels", 100}}));
  EXPECT_EQ(levels.events_default, 0);
  EXPECT_EQ(levels.state_default, 50);
}

TEST_F(FullSync, NameEncryptionMember) {
  EXPECT_EQ(std::get<RoomName>(state_event("$name-nord").content).name,
            "Kreisverband Nord – Einsatznachbereitung");
  EXPECT_EQ(std::get<Encryption>(state_event("$enc-nord").content).algorithm,
            "m.megolm.v1.aes-sha2");
  const auto& member = std::get<Member>(state_event("$member-bot").content);
  EXPECT_EQ(member.membership, "join");
  EXPECT_EQ(member.displayname, "Reflexbot");
}

TEST_F(FullSync, OnlyOwnInviteWithInviter) {
  ASSERT_EQ(batch_.invites.size(), 1u);
  EXPECT_EQ(batch_.invites[0].room_id, "!einladung:example.org");
  EXPECT_EQ(batch_.invites[0].inviter, "@frieda:example.org");
}

// --- single events, raw strings --------------------------------------------------------------

TEST(ParseEvent, FieldsInUnusualOrder) {
  // content before type, unsigned last, event_id in the middle.
  Event event =
      single_event(R"({"content":{"body":"zuerst der Inhalt","m.relates_to":{"event_id":"$t",
      "rel_type":"m.replace"},"m.new_content":{"body":"neu","msgtype":"m.text"},"msgtype":"m.emote"},
      "origin_server_ts":17,"event_id":"$odd","sender":"@a:x","type":"m.room.message","unsigned":{"age":1}})");
  EXPECT_EQ(event.event_id, "$odd");
  EXPECT_EQ(event.sender, "@a:x");
  EXPECT_EQ(event.origin_server_ts, 17);
  const auto& message = std::get<RoomMessage>(event.content);
  EXPECT_EQ(message.msgtype, "m.emote");
  EXPECT_EQ(message.body, "zuerst der Inhalt");
  ASSERT_TRUE(message.relates_to.has_value());
  EXPECT_EQ(message.relates_to->rel_type, "m.replace");
  EXPECT_EQ(message.relates_to->event_id, "$t");
  ASSERT_TRUE(message.new_body.has_value());
  EXPECT_EQ(*message.new_body, "neu");
}

TEST(ParseEvent, FormattedBodyBeforeFormat) {
  Event event =
      single_event(R"({"type":"m.room.message","content":{"formatted_body":"<i>x</i>","body":"x",
      "msgtype":"m.text","format":"org.matrix.custom.html"},"event_id":"$f","sender":"@a:x","origin_server_ts":1})");
  const auto& message = std::get<RoomMessage>(event.content);
  ASSERT_TRUE(message.formatted_body.has_value());
  EXPECT_EQ(*message.formatted_body, "<i>x</i>");
}

TEST(ParseEvent, NewContentIgnoredWithoutReplace) {
  Event event = single_event(R"({"type":"m.room.message","content":{"body":"x","msgtype":"m.text",
      "m.new_content":{"body":"y"},"m.relates_to":{"rel_type":"m.thread","event_id":"$root"}},
      "event_id":"$n","sender":"@a:x","origin_server_ts":1})");
  EXPECT_FALSE(std::get<RoomMessage>(event.content).new_body.has_value());
}

TEST(ParseEvent, EscapesAndUnicodeAreDecoded) {
  Event event =
      single_event(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x","origin_server_ts":1,
      "content":{"msgtype":"m.text","body":"Gr\u00fc\u00dfe \"zitiert\"\nZeile 2 \ud83d\udc4d"}})");
  EXPECT_EQ(std::get<RoomMessage>(event.content).body, "Grüße \"zitiert\"\nZeile 2 👍");
}

TEST(ParseEvent, EscapedKeyStillMatches) {
  Event event = single_event(R"({"type":"m.room.message","event\u005fid":"$esc","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"b"}})");
  EXPECT_EQ(event.event_id, "$esc");
}

TEST(ParseEvent, UnknownFieldsIgnored) {
  Event event = single_event(
      R"({"type":"m.room.message","future_field":{"a":[1,2,{"b":null}]},"event_id":"$u",
      "sender":"@a:x","origin_server_ts":5,"hashes":{"sha256":"abc"},"content":{"msgtype":"m.text","body":"b",
      "org.example.extra":[true,false]},"depth":12})");
  EXPECT_EQ(event.event_id, "$u");
  EXPECT_EQ(std::get<RoomMessage>(event.content).body, "b");
}

TEST(ParseEvent, RedactionPreV11UsesTopLevelRedacts) {
  Event event = single_event(
      R"({"type":"m.room.redaction","redacts":"$old-target","content":{"reason":"Spam"},
      "event_id":"$red","sender":"@mod:x","origin_server_ts":1})");
  const auto& redaction = std::get<Redaction>(event.content);
  EXPECT_EQ(redaction.redacts, "$old-target");
  EXPECT_EQ(redaction.reason, "Spam");
}

TEST(ParseEvent, RedactionV11PrefersContentRedacts) {
  Event event = single_event(R"({"type":"m.room.redaction","content":{"redacts":"$v11-target"},
      "redacts":"$compat","event_id":"$red","sender":"@mod:x","origin_server_ts":1})");
  EXPECT_EQ(std::get<Redaction>(event.content).redacts, "$v11-target");
  EXPECT_EQ(std::get<Redaction>(event.content).reason, "");
}

TEST(ParseEvent, RedactionWithoutTargetIsMalformed) {
  MalformedEvent m = single_malformed(R"({"type":"m.room.redaction","content":{},"event_id":"$red",
      "sender":"@mod:x","origin_server_ts":1})");
  EXPECT_EQ(m.event_id, "$red");
  EXPECT_EQ(m.reason, "redacts missing");
}

TEST(ParseEvent, RedactedMessageHasEmptyContent) {
  // unsigned (with redacted_because) after the empty content.
  Event event =
      single_event(R"({"type":"m.room.message","content":{},"event_id":"$gone","sender":"@a:x",
      "origin_server_ts":3,"unsigned":{"redacted_because":{"type":"m.room.redaction","content":{"redacts":"$gone"}}}})");
  EXPECT_TRUE(event.redacted);
  const auto& message = std::get<RoomMessage>(event.content);
  EXPECT_EQ(message.msgtype, "");
  EXPECT_EQ(message.body, "");
  EXPECT_FALSE(message.relates_to.has_value());
}

TEST(ParseEvent, RedactedReactionHasEmptyRelation) {
  Event event =
      single_event(R"({"unsigned":{"redacted_because":{}},"type":"m.reaction","content":{},
      "event_id":"$r","sender":"@a:x","origin_server_ts":3})");
  EXPECT_TRUE(event.redacted);
  EXPECT_EQ(std::get<Reaction>(event.content).relates_to.event_id, "");
}

TEST(ParseEvent, RedactedBecauseNullIsNotRedacted) {
  MalformedEvent m =
      single_malformed(R"({"type":"m.room.message","content":{},"event_id":"$x","sender":"@a:x",
      "origin_server_ts":3,"unsigned":{"redacted_because":null}})");
  EXPECT_EQ(m.reason, "content.msgtype missing");
}

TEST(ParseEvent, PowerLevelsDefaultsWhenMissing) {
  Event event =
      single_event(R"({"type":"m.room.power_levels","state_key":"","content":{"users":{"@a:x":100}},
      "event_id":"$pl","sender":"@a:x","origin_server_ts":1})");
  const auto& levels = std::get<PowerLevels>(event.content);
  EXPECT_EQ(levels.users, (std::map<std::string, std::int64_t>{{"@a:x", 100}}));
  EXPECT_EQ(levels.users_default, 0);
  EXPECT_TRUE(levels.events.empty());
  EXPECT_EQ(levels.events_default, 0);
  EXPECT_EQ(levels.state_default, 50);
}

TEST(ParseEvent, PowerLevelsStringsNegativeAndNull) {
  Event event =
      single_event(R"({"type":"m.room.power_levels","state_key":"","content":{"users":{"@a:x":"-5",
      "@b:x":" 75 ","@c:x":null},"users_default":"10","events_default":"+20","state_default":null,
      "events":{"m.room.message":"0"}},"event_id":"$pl","sender":"@a:x","origin_server_ts":1})");
  const auto& levels = std::get<PowerLevels>(event.content);
  EXPECT_EQ(levels.users, (std::map<std::string, std::int64_t>{{"@a:x", -5}, {"@b:x", 75}}));
  EXPECT_EQ(levels.users_default, 10);
  EXPECT_EQ(levels.events_default, 20);
  EXPECT_EQ(levels.state_default, 50);
  EXPECT_EQ(levels.events, (std::map<std::string, std::int64_t>{{"m.room.message", 0}}));
}

TEST(ParseEvent, PowerLevelsNonIntegerIsMalformed) {
  MalformedEvent m =
      single_malformed(R"({"type":"m.room.power_levels","state_key":"","content":{"users":{
      "@a:x":50.5}},"event_id":"$pl","sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.event_id, "$pl");
  EXPECT_EQ(m.reason, "content.users.@a:x is not an integer");
  m = single_malformed(
      R"({"type":"m.room.power_levels","state_key":"","content":{"state_default":"50x"},
      "event_id":"$pl2","sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content.state_default is not an integer");
}

TEST(ParseEvent, CreatePreV11WithCreatorAndDefaultVersion) {
  Event event =
      single_event(R"({"type":"m.room.create","state_key":"","content":{"creator":"@founder:x",
      "m.federate":true},"event_id":"$c","sender":"@other:x","origin_server_ts":1})");
  const auto& create = std::get<RoomCreate>(event.content);
  EXPECT_EQ(create.room_version, "1");
  EXPECT_EQ(create.creator, "@founder:x");
  EXPECT_TRUE(create.additional_creators.empty());
}

TEST(ParseEvent, CreateSenderAfterContent) {
  Event event =
      single_event(R"({"content":{"room_version":"11"},"type":"m.room.create","state_key":"",
      "event_id":"$c","origin_server_ts":1,"sender":"@late:x"})");
  EXPECT_EQ(std::get<RoomCreate>(event.content).creator, "@late:x");
  EXPECT_EQ(std::get<RoomCreate>(event.content).room_version, "11");
}

TEST(ParseEvent, CreateAdditionalCreatorsMustBeStrings) {
  MalformedEvent m =
      single_malformed(R"({"type":"m.room.create","state_key":"","content":{"room_version":"12",
      "additional_creators":["@a:x",7]},"event_id":"$c","sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content.additional_creators[] is not a string");
}

TEST(ParseEvent, NameAbsentOrNullIsEmpty) {
  Event event = single_event(R"({"type":"m.room.name","state_key":"","content":{},"event_id":"$n",
      "sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(std::get<RoomName>(event.content).name, "");
  event =
      single_event(R"({"type":"m.room.name","state_key":"","content":{"name":null},"event_id":"$n",
      "sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(std::get<RoomName>(event.content).name, "");
}

TEST(ParseEvent, StateKeyNullIsAbsent) {
  Event event = single_event(R"({"type":"x.y","state_key":null,"content":{},"event_id":"$s",
      "sender":"@a:x","origin_server_ts":1})");
  EXPECT_FALSE(event.state_key.has_value());
}

TEST(ParseEvent, ReactionWithoutKeyOrWrongRelIsMalformed) {
  MalformedEvent m =
      single_malformed(R"({"type":"m.reaction","content":{"m.relates_to":{"rel_type":"m.annotation",
      "event_id":"$t"}},"event_id":"$r","sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content.m.relates_to.key missing");
  m = single_malformed(R"({"type":"m.reaction","content":{"m.relates_to":{"rel_type":"m.reference",
      "event_id":"$t","key":"x"}},"event_id":"$r","sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content.m.relates_to.rel_type is not m.annotation");
}

TEST(ParseEvent, EncryptionRequiresAlgorithm) {
  MalformedEvent m =
      single_malformed(R"({"type":"m.room.encryption","state_key":"","content":{},"event_id":"$e",
      "sender":"@a:x","origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content.algorithm missing");
}

TEST(ParseEvent, MissingContentIsMalformedForMessages) {
  MalformedEvent m = single_malformed(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1})");
  EXPECT_EQ(m.reason, "content missing");
  Event event = single_event(
      R"({"type":"org.example.nocontent","event_id":"$e","sender":"@a:x","origin_server_ts":1})");
  EXPECT_TRUE(std::holds_alternative<UnknownContent>(event.content));
}

TEST(ParseEvent, HugeMessageBody) {
  std::string text;
  while (text.size() < 70 * 1024) text += "Übergabe geklappt, Funk schwierig. ";
  Event event = single_event(
      R"({"type":"m.room.message","event_id":"$huge","sender":"@a:x","origin_server_ts":1,
      "content":{"msgtype":"m.text","body":")" +
      text + R"("}})");
  EXPECT_EQ(std::get<RoomMessage>(event.content).body, text);
}

// --- malformed events ------------------------------------------------------------------------

TEST(Malformed, FixtureBatchGoesOn) {
  SyncBatch batch = sync_ok(read_fixture("sync_malformed.json"));
  EXPECT_EQ(batch.next_batch, "s100_200_300");
  const JoinedRoom* room = find_room(batch, "!lage:example.org");
  ASSERT_NE(room, nullptr);
  ASSERT_EQ(room->timeline.size(), 2u);
  EXPECT_EQ(room->timeline[0].event_id, "$good-1");
  EXPECT_EQ(std::get<RoomMessage>(room->timeline[0].content).body, "vorher");
  EXPECT_EQ(room->timeline[1].event_id, "$good-2");
  EXPECT_EQ(std::get<RoomMessage>(room->timeline[1].content).body, "nachher");
  ASSERT_EQ(room->state.size(), 1u);
  EXPECT_EQ(room->state[0].event_id, "$state-good");
  const JoinedRoom* other = find_room(batch, "!heil:example.org");
  ASSERT_NE(other, nullptr);
  ASSERT_EQ(other->timeline.size(), 1u);
  EXPECT_EQ(other->timeline[0].event_id, "$other-room");
  ASSERT_NE(find_room(batch, "!kaputt:example.org"), nullptr);

  struct Expect {
    std::string event_id;
    std::string reason;
  };
  const std::vector<Expect> expected = {
      {"", "event_id missing"},
      {"$bad-sender", "sender is not a string"},
      {"$bad-content", "content is not an object"},
      {"$bad-body", "content.body is not a string"},
      {"$deep-garbage", "content.body is not a string"},
      {"$bad-ts", "origin_server_ts is not an integer"},
      {"$reaction-no-key", "content.m.relates_to.key missing"},
      {"$bad-power", "content.users.@anna:example.org is not an integer"},
      {"$member-no-membership", "content.membership missing"},
      {"", "event is not an object"},
      {"$state-no-sender", "sender missing"},
      {"", "timeline.events is not an array"},
  };
  ASSERT_EQ(batch.malformed.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(batch.malformed[i].event_id, expected[i].event_id);
    EXPECT_EQ(batch.malformed[i].reason, expected[i].reason);
  }
  EXPECT_EQ(batch.malformed[0].room_id, "!lage:example.org");
  EXPECT_NE(batch.malformed[0].raw_json.find("\"ohne id\""), std::string::npos);
  EXPECT_EQ(batch.malformed[0].raw_json.front(), '{');
  EXPECT_EQ(batch.malformed[0].raw_json.back(), '}');
  EXPECT_EQ(batch.malformed[9].raw_json, "\"kein Objekt\"");
  EXPECT_EQ(batch.malformed[11].room_id, "!kaputt:example.org");
  EXPECT_EQ(batch.malformed[11].raw_json, R"({"not": "an array"})");
}

TEST(Malformed, DeepGarbageInsideAnEvent) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  SyncBatch batch = sync_ok(sync_with_timeline(
      R"({"type":"m.room.message","event_id":"$deep","sender":"@a:x","origin_server_ts":1,"content":{"msgtype":"m.text","body":)" +
      deep +
      R"(}},{"type":"m.room.message","event_id":"$ok","sender":"@a:x","origin_server_ts":2,"junk":)" +
      deep + R"(,"content":{"msgtype":"m.text","body":"fine"}})"));
  ASSERT_EQ(batch.malformed.size(), 1u);
  EXPECT_EQ(batch.malformed[0].event_id, "$deep");
  EXPECT_EQ(batch.malformed[0].reason, "content.body is not a string");
  ASSERT_EQ(batch.joined.at(0).timeline.size(), 1u);
  EXPECT_EQ(batch.joined[0].timeline[0].event_id, "$ok");
}

TEST(Malformed, RawJsonCappedAt64KiB) {
  std::string text;
  while (text.size() < 100 * 1024) text += "Lagebericht ä ö ü ß ";
  const std::string event =
      R"({"type":"m.room.message","sender":"@a:x","origin_server_ts":1,"content":{"msgtype":"m.text","body":")" +
      text + R"("}})";  // no event_id
  SyncBatch batch = sync_ok(sync_with_timeline(event));
  ASSERT_EQ(batch.malformed.size(), 1u);
  const std::string& raw = batch.malformed[0].raw_json;
  EXPECT_LE(raw.size(), 64u * 1024u);
  EXPECT_GE(raw.size(), 64u * 1024u - 3u);  // cut only back to a UTF-8 boundary
  EXPECT_EQ(event.compare(0, raw.size(), raw), 0);
  EXPECT_EQ(batch.malformed[0].reason, "event_id missing");
}

TEST(Malformed, WrongTypesForOptionalFields) {
  MalformedEvent m = single_malformed(
      R"({"type":"m.room.member","state_key":"@a:x","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"membership":"join","displayname":5}})");
  EXPECT_EQ(m.reason, "content.displayname is not a string");
  m = single_malformed(
      R"({"type":"m.room.message","event_id":"$e","sender":"@a:x","origin_server_ts":1.5,
      "content":{"msgtype":"m.text","body":"b"}})");
  EXPECT_EQ(m.reason, "origin_server_ts is not an integer");
}

TEST(Malformed, EventIdRecoveredWhenReadAfterTheError) {
  MalformedEvent m = single_malformed(R"({"sender":["not","a","string"],"type":"m.room.message",
      "origin_server_ts":1,"content":{},"event_id":"$late"})");
  EXPECT_EQ(m.event_id, "$late");
  EXPECT_EQ(m.room_id, "!r:example.org");
  EXPECT_EQ(m.reason, "sender is not a string");
}

// The app falls back to creators-only authority when a power-levels event is rejected, and caps
// quarantine rows per sender: the record carries type, state key and sender wherever they could be
// read, also when they come after the field that broke the event.
TEST(Malformed, CarriesTypeStateKeyAndSender) {
  MalformedEvent m = single_malformed(
      R"({"type":"m.room.power_levels","state_key":"","sender":"@mallory:x","event_id":"$p",
      "origin_server_ts":1,"content":{"users":{"@mallory:x":"hundert"}}})");
  EXPECT_EQ(m.reason, "content.users.@mallory:x is not an integer");
  EXPECT_EQ(m.event_id, "$p");
  EXPECT_EQ(m.type, "m.room.power_levels");
  EXPECT_EQ(m.state_key, std::optional<std::string>(""));
  EXPECT_EQ(m.sender, "@mallory:x");
  EXPECT_NE(m.raw_json.find("hundert"), std::string::npos);

  m = single_malformed(R"({"origin_server_ts":"gestern","content":{},"event_id":"$late",
      "state_key":"","type":"m.room.power_levels","sender":"@mallory:x"})");
  EXPECT_EQ(m.reason, "origin_server_ts is not an integer");
  EXPECT_EQ(m.event_id, "$late");
  EXPECT_EQ(m.type, "m.room.power_levels");
  EXPECT_EQ(m.state_key, std::optional<std::string>(""));
  EXPECT_EQ(m.sender, "@mallory:x");

  m = single_malformed(R"({"type":"m.room.message","event_id":"$m","sender":"@anna:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text"}})");
  EXPECT_EQ(m.reason, "content.body missing");
  EXPECT_EQ(m.type, "m.room.message");
  EXPECT_FALSE(m.state_key.has_value());
  EXPECT_EQ(m.sender, "@anna:x");

  // What has the wrong type stays empty.
  m = single_malformed(R"({"sender":5,"type":["m.room.message"],"state_key":7,"event_id":"$w",
      "origin_server_ts":1,"content":{}})");
  EXPECT_EQ(m.event_id, "$w");
  EXPECT_EQ(m.type, "");
  EXPECT_FALSE(m.state_key.has_value());
  EXPECT_EQ(m.sender, "");
}

TEST(Malformed, CarriesTypeStateKeyAndSenderInStateBlocksAndMessagesPages) {
  SyncBatch batch = sync_ok(R"({"next_batch":"s1","rooms":{"join":{"!r:x":{"state":{"events":[
      {"type":"m.room.power_levels","state_key":"","sender":"@mallory:x","event_id":"$p",
       "origin_server_ts":1,"content":{"events_default":[1]}}]}}}}})");
  ASSERT_EQ(batch.malformed.size(), 1u);
  EXPECT_EQ(batch.malformed[0].room_id, "!r:x");
  EXPECT_EQ(batch.malformed[0].type, "m.room.power_levels");
  EXPECT_EQ(batch.malformed[0].state_key, std::optional<std::string>(""));
  EXPECT_EQ(batch.malformed[0].sender, "@mallory:x");

  std::string body = R"({"start":"t1","chunk":[{"type":"m.reaction","sender":"@bob:x",
      "event_id":"$r","origin_server_ts":1,"content":{"m.relates_to":{"rel_type":"m.reference",
      "event_id":"$t"}}}]})";
  auto page = parse_messages(body, "!r:x");
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->malformed.size(), 1u);
  EXPECT_EQ(page->malformed[0].event_id, "$r");
  EXPECT_EQ(page->malformed[0].type, "m.reaction");
  EXPECT_FALSE(page->malformed[0].state_key.has_value());
  EXPECT_EQ(page->malformed[0].sender, "@bob:x");
  EXPECT_EQ(page->malformed[0].reason, "content.m.relates_to.rel_type is not m.annotation");
}

TEST(Malformed, AWrongShapeCarriesNoEventFields) {
  SyncBatch batch = sync_ok(
      R"({"next_batch":"s1","rooms":{"join":{"!r:x":{"timeline":{"events":{"type":"x"}}}}}})");
  ASSERT_EQ(batch.malformed.size(), 1u);
  EXPECT_EQ(batch.malformed[0].reason, "timeline.events is not an array");
  EXPECT_EQ(batch.malformed[0].raw_json, R"({"type":"x"})");
  EXPECT_EQ(batch.malformed[0].type, "");
  EXPECT_EQ(batch.malformed[0].sender, "");
  EXPECT_FALSE(batch.malformed[0].state_key.has_value());
}

// --- a wrong optional field costs the field, not the event ----------------------------------
// Synapse accepts any content from any client: a contribution with `formatted_body: 5` must not be
// quarantined whole. The field is ignored (and logged by name with the event id, never the text);
// required fields still make the event malformed.

struct BrokenOptional {
  std::string type;
  std::string content;
  std::string field;  ///< named in the warning
};

const std::vector<BrokenOptional>& broken_optionals() {
  static const std::vector<BrokenOptional> cases = {
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","format":"org.matrix.custom.html","formatted_body":5})",
       "content.formatted_body"},
      {"m.room.message", R"({"msgtype":"m.text","body":"#lehre geheim","format":7})",
       "content.format"},
      {"m.room.message", R"({"msgtype":"m.text","body":"#lehre geheim","m.new_content":5})",
       "content.m.new_content"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"rel_type":"m.replace","event_id":"$t"},"m.new_content":{"body":5}})",
       "content.m.new_content.body"},
      {"m.room.message", R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":"x"})",
       "content.m.relates_to"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"rel_type":"m.replace","event_id":5}})",
       "content.m.relates_to.event_id"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"rel_type":["m.thread"],"event_id":"$t"}})",
       "content.m.relates_to.rel_type"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"rel_type":"m.thread","event_id":"$t","key":5}})",
       "content.m.relates_to.key"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"m.in_reply_to":"$t"}})",
       "content.m.relates_to.m.in_reply_to"},
      {"m.room.message",
       R"({"msgtype":"m.text","body":"#lehre geheim","m.relates_to":{"m.in_reply_to":{"event_id":{}}}})",
       "content.m.relates_to.m.in_reply_to.event_id"},
      {"m.reaction",
       R"({"m.relates_to":{"rel_type":"m.annotation","event_id":"$t","key":"👍","m.in_reply_to":5}})",
       "content.m.relates_to.m.in_reply_to"},
      {"m.room.redaction", R"({"redacts":"$t","reason":5})", "content.reason"},
  };
  return cases;
}

std::string event_with(const BrokenOptional& c, const std::string& event_id) {
  return R"({"type":")" + c.type + R"(","event_id":")" + event_id +
         R"(","sender":"@a:x","origin_server_ts":1,"content":)" + c.content + "}";
}

// The parts of a kept event that the broken field must not disturb.
void expect_kept(const Event& event, const BrokenOptional& c) {
  if (c.type == "m.room.message") {
    const auto* message = std::get_if<RoomMessage>(&event.content);
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(message->body, "#lehre geheim");
    EXPECT_EQ(message->msgtype, "m.text");
    EXPECT_FALSE(message->formatted_body.has_value());
    EXPECT_FALSE(message->new_body.has_value());
  } else if (c.type == "m.reaction") {
    const auto* reaction = std::get_if<Reaction>(&event.content);
    ASSERT_NE(reaction, nullptr);
    EXPECT_EQ(reaction->relates_to.event_id, "$t");
    EXPECT_EQ(reaction->relates_to.key, "👍");
    EXPECT_EQ(reaction->relates_to.in_reply_to, "");
  } else {
    const auto* redaction = std::get_if<Redaction>(&event.content);
    ASSERT_NE(redaction, nullptr);
    EXPECT_EQ(redaction->redacts, "$t");
    EXPECT_EQ(redaction->reason, "");
  }
}

TEST(OptionalFields, AWrongOneIsIgnoredOnSync) {
  for (const auto& c : broken_optionals()) {
    SCOPED_TRACE(c.content);
    CapturedLog log;
    Event event = single_event(event_with(c, "$kept"));
    EXPECT_EQ(event.event_id, "$kept");
    expect_kept(event, c);
    const std::string text = log.text();
    EXPECT_NE(text.find(c.field + " "), std::string::npos) << text;
    EXPECT_NE(text.find("$kept"), std::string::npos) << text;
    EXPECT_EQ(text.find("geheim"), std::string::npos) << text;
    EXPECT_EQ(text.find("@a:x"), std::string::npos) << text;
  }
}

TEST(OptionalFields, AWrongOneIsIgnoredOnMessagesPages) {
  for (const auto& c : broken_optionals()) {
    SCOPED_TRACE(c.content);
    std::string body = R"({"start":"t1","chunk":[)" + event_with(c, "$page") + "]}";
    auto page = parse_messages(body, "!r:x");
    ASSERT_TRUE(page.has_value());
    EXPECT_TRUE(page->malformed.empty());
    ASSERT_EQ(page->chunk.size(), 1u);
    EXPECT_EQ(page->chunk[0].event_id, "$page");
    expect_kept(page->chunk[0], c);
  }
}

TEST(OptionalFields, AWrongOneIsIgnoredInASingleEvent) {
  for (const auto& c : broken_optionals()) {
    SCOPED_TRACE(c.content);
    std::string body = event_with(c, "$single");
    auto event = parse_event(body, "!r:x");
    ASSERT_TRUE(event.has_value()) << event.error().message;
    EXPECT_EQ(event->room_id, "!r:x");
    expect_kept(*event, c);
  }
}

TEST(OptionalFields, AWrongRelationKeepsTheMessageAsAPlainOne) {
  Event event = single_event(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"* neu","m.new_content":{"body":"neu"},
      "m.relates_to":{"rel_type":"m.replace","event_id":5}}})");
  const auto& message = std::get<RoomMessage>(event.content);
  EXPECT_FALSE(message.relates_to.has_value());
  EXPECT_FALSE(message.new_body.has_value());
  // A broken reply reference costs only the reply: the thread relation stays.
  event = single_event(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"b","m.relates_to":{
      "rel_type":"m.thread","event_id":"$root","m.in_reply_to":{"event_id":5}}}})");
  const auto& threaded = std::get<RoomMessage>(event.content);
  ASSERT_TRUE(threaded.relates_to.has_value());
  EXPECT_EQ(threaded.relates_to->rel_type, "m.thread");
  EXPECT_EQ(threaded.relates_to->event_id, "$root");
  EXPECT_EQ(threaded.relates_to->in_reply_to, "");
  // The annotation key means nothing to a message: a broken one costs only the key.
  event = single_event(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"b","m.relates_to":{
      "rel_type":"m.thread","event_id":"$root","key":[1]}}})");
  const auto& keyed = std::get<RoomMessage>(event.content);
  ASSERT_TRUE(keyed.relates_to.has_value());
  EXPECT_EQ(keyed.relates_to->event_id, "$root");
  EXPECT_EQ(keyed.relates_to->key, "");
  // An edit whose new content is broken stays an edit, without the new text.
  event = single_event(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"* neu","m.new_content":5,
      "m.relates_to":{"rel_type":"m.replace","event_id":"$t"}}})");
  const auto& edit = std::get<RoomMessage>(event.content);
  ASSERT_TRUE(edit.relates_to.has_value());
  EXPECT_EQ(edit.relates_to->rel_type, "m.replace");
  EXPECT_FALSE(edit.new_body.has_value());
}

TEST(OptionalFields, ARedactionFallsBackToTheTopLevelRedacts) {
  Event event = single_event(R"({"type":"m.room.redaction","redacts":"$old","event_id":"$red",
      "sender":"@mod:x","origin_server_ts":1,"content":{"redacts":5}})");
  EXPECT_EQ(std::get<Redaction>(event.content).redacts, "$old");
  MalformedEvent m = single_malformed(R"({"type":"m.room.redaction","event_id":"$red",
      "sender":"@mod:x","origin_server_ts":1,"content":{"redacts":5}})");
  EXPECT_EQ(m.reason, "content.redacts is not a string");
}

TEST(OptionalFields, RequiredFieldsStillMakeTheEventMalformed) {
  MalformedEvent m = single_malformed(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":5,"formatted_body":5}})");
  EXPECT_EQ(m.reason, "content.body is not a string");
  m = single_malformed(R"({"type":"m.room.message","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":{},"body":"b"}})");
  EXPECT_EQ(m.reason, "content.msgtype is not a string");
  m = single_malformed(R"({"type":"m.reaction","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$t","key":5}}})");
  EXPECT_EQ(m.reason, "content.m.relates_to.key is not a string");
  m = single_malformed(R"({"type":"m.reaction","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"m.relates_to":"x"}})");
  EXPECT_EQ(m.reason, "content.m.relates_to is not an object");
  m = single_malformed(R"({"type":"m.reaction","event_id":"$e","sender":"@a:x",
      "origin_server_ts":1,"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":[],"key":"x"}}})");
  EXPECT_EQ(m.reason, "content.m.relates_to.event_id is not a string");
}

// --- whole bodies ----------------------------------------------------------------------------

TEST(ParseSyncBody, NotJson) {
  EXPECT_NE(sync_error("<html>502 Bad Gateway</html>").find("not JSON"), std::string::npos);
  EXPECT_NE(sync_error("").find("not JSON"), std::string::npos);
  EXPECT_EQ(sync_error(R"(["next_batch"])"), "body is not a JSON object");
}

TEST(ParseSyncBody, Truncated) {
  std::string body = read_fixture("sync_full.json");
  body.resize(body.size() / 2);
  EXPECT_NE(sync_error(body).find("not JSON"), std::string::npos);
}

TEST(ParseSyncBody, TrailingGarbage) {
  EXPECT_NE(sync_error(R"({"next_batch":"s1"} {"x":1})").find("not JSON"), std::string::npos);
}

TEST(ParseSyncBody, MissingNextBatch) {
  EXPECT_EQ(sync_error(R"({"rooms":{"join":{}}})"), "next_batch missing");
  EXPECT_EQ(sync_error(R"({"next_batch":12})"), "next_batch has the wrong type");
}

TEST(ParseSyncBody, MinimalAndNextBatchLast) {
  SyncBatch batch = sync_ok(R"({"rooms":{},"presence":{"events":[]},"next_batch":"s9"})");
  EXPECT_EQ(batch.next_batch, "s9");
  EXPECT_TRUE(batch.joined.empty());
  EXPECT_TRUE(batch.invites.empty());
  EXPECT_TRUE(batch.left.empty());
}

TEST(ParseSyncBody, InviteWithoutOwnMemberEventIsSkipped) {
  SyncBatch batch = sync_ok(R"({"next_batch":"s","rooms":{"invite":{
      "!a:x":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@reflexbot:example.org",
        "sender":"@x:x","content":{"membership":"join"}}]}},
      "!b:x":{"invite_state":{"events":[{"content":{"membership":"invite"},"sender":"@inviter:y",
        "state_key":"@reflexbot:example.org","type":"m.room.member"}]}}}}})");
  ASSERT_EQ(batch.invites.size(), 1u);
  EXPECT_EQ(batch.invites[0].room_id, "!b:x");
  EXPECT_EQ(batch.invites[0].inviter, "@inviter:y");
}

// Over federation the invite_state comes from the remote server (Synapse puts it first and the
// genuine invite last): a forged m.room.member for us can name anyone as the inviter. Whatever
// the order, an invite whose own invite events disagree on the sender has no inviter.
std::string invite_body(const std::vector<std::string>& senders) {
  std::string events;
  for (const auto& sender : senders) {
    if (!events.empty()) events += ",";
    events += R"({"type":"m.room.member","state_key":"@reflexbot:example.org","sender":")" +
              sender + R"(","content":{"membership":"invite"}})";
  }
  return R"({"next_batch":"s","rooms":{"invite":{"!r:remote.example":{"invite_state":{"events":[
      {"type":"m.room.name","state_key":"","sender":"@evil:remote.example","content":{"name":"x"}},)" +
         events + R"(]}}}}})";
}

TEST(ParseSyncBody, AForgedInviteInFrontOfTheGenuineOneLeavesNoInviter) {
  CapturedLog log;
  SyncBatch batch = sync_ok(invite_body({"@admin:example.org", "@evil:remote.example"}));
  ASSERT_EQ(batch.invites.size(), 1u);
  EXPECT_EQ(batch.invites[0].room_id, "!r:remote.example");
  EXPECT_EQ(batch.invites[0].inviter, "");
  // A warning with the room id only: no user id, neither the forged nor the genuine one.
  const std::string text = log.text();
  EXPECT_NE(text.find("!r:remote.example"), std::string::npos) << text;
  EXPECT_EQ(text.find('@'), std::string::npos) << text;
}

TEST(ParseSyncBody, AForgedInviteBehindTheGenuineOneLeavesNoInviter) {
  SyncBatch batch = sync_ok(invite_body({"@evil:remote.example", "@admin:example.org"}));
  ASSERT_EQ(batch.invites.size(), 1u);
  EXPECT_EQ(batch.invites[0].inviter, "");
}

TEST(ParseSyncBody, InviteEventsThatAgreeNameTheirSender) {
  SyncBatch batch = sync_ok(invite_body({"@anna:example.org", "@anna:example.org"}));
  ASSERT_EQ(batch.invites.size(), 1u);
  EXPECT_EQ(batch.invites[0].inviter, "@anna:example.org");
}

TEST(ParseSyncBody, OtherMembersInvitesDoNotCountAgainstOurs) {
  SyncBatch batch = sync_ok(R"({"next_batch":"s","rooms":{"invite":{"!r:x":{"invite_state":{
      "events":[{"type":"m.room.member","state_key":"@someone:x","sender":"@evil:x",
                 "content":{"membership":"invite"}},
                {"type":"m.room.member","state_key":"@reflexbot:example.org","sender":"@evil:x",
                 "content":{"membership":"join"}},
                {"type":"m.room.member","state_key":"@reflexbot:example.org","sender":"@anna:x",
                 "content":{"membership":"invite","is_direct":true}}]}}}}})");
  ASSERT_EQ(batch.invites.size(), 1u);
  EXPECT_EQ(batch.invites[0].inviter, "@anna:x");
  EXPECT_TRUE(batch.invites[0].is_direct);
}

// The bot loads its crypto library before it joins an encrypted room (its keys must be on the
// server before the first message there): the invite says whether the room is encrypted.
TEST(ParseSyncBody, AnInviteSaysWhetherTheRoomIsEncrypted) {
  SyncBatch batch = sync_ok(R"({"next_batch":"s","rooms":{"invite":{
      "!e:x":{"invite_state":{"events":[
        {"type":"m.room.encryption","state_key":"","sender":"@anna:x",
         "content":{"algorithm":"m.megolm.v1.aes-sha2"}},
        {"type":"m.room.member","state_key":"@reflexbot:example.org","sender":"@anna:x",
         "content":{"membership":"invite"}}]}},
      "!c:x":{"invite_state":{"events":[
        {"type":"m.room.name","state_key":"","sender":"@anna:x","content":{"name":"m.room.encryption"}},
        {"type":"m.room.member","state_key":"@reflexbot:example.org","sender":"@anna:x",
         "content":{"membership":"invite"}}]}}}}})");
  ASSERT_EQ(batch.invites.size(), 2u);
  for (const auto& invite : batch.invites) {
    EXPECT_EQ(invite.encrypted, invite.room_id == "!e:x") << invite.room_id;
  }
}

TEST(ParseSyncBody, BodyWithoutSpareCapacity) {
  std::string body = read_fixture("sync_full.json");
  body.shrink_to_fit();
  auto result = parse_sync(body, kOwnUser);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->joined.at(0).timeline.size(), 8u);
  EXPECT_EQ(body, read_fixture("sync_full.json"));  // not modified
}

TEST(ParseSyncBody, ParserReuseAcrossCalls) {
  SyncBatch big = sync_ok(read_fixture("sync_full.json"));
  SyncBatch small =
      sync_ok(sync_with_timeline(R"({"type":"m.room.message","event_id":"$1","sender":"@a:x",
      "origin_server_ts":1,"content":{"msgtype":"m.text","body":"klein"}})"));
  SyncBatch again = sync_ok(read_fixture("sync_full.json"));
  EXPECT_EQ(big.joined.at(0).timeline.size(), again.joined.at(0).timeline.size());
  EXPECT_EQ(std::get<RoomMessage>(small.joined.at(0).timeline.at(0).content).body, "klein");
}

// --- /messages -------------------------------------------------------------------------------

TEST(ParseMessages, Fixture) {
  std::string body = read_fixture("messages.json");
  auto result = parse_messages(body, "!lage:example.org");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const MessagesPage& page = *result;
  EXPECT_EQ(page.start, "t47409-4357353_219380_26003_2265");
  EXPECT_EQ(page.end, "t47408-4357352_219379_26002_2264");
  ASSERT_EQ(page.chunk.size(), 3u);
  EXPECT_EQ(page.chunk[0].event_id, "$page-3");
  EXPECT_EQ(page.chunk[0].room_id, "!lage:example.org");
  EXPECT_EQ(std::get<RoomMessage>(page.chunk[0].content).body, "neueste");
  EXPECT_EQ(page.chunk[1].event_id, "$page-2");
  EXPECT_TRUE(page.chunk[1].redacted);
  EXPECT_EQ(page.chunk[2].event_id, "$page-1");
  EXPECT_EQ(std::get<RoomMessage>(page.chunk[2].content).body, "älteste");
  ASSERT_EQ(page.state.size(), 1u);
  EXPECT_EQ(std::get<Member>(page.state[0].content).displayname, "Bernd");
  ASSERT_EQ(page.malformed.size(), 1u);
  EXPECT_EQ(page.malformed[0].event_id, "$page-bad");
  EXPECT_EQ(page.malformed[0].room_id, "!lage:example.org");
  EXPECT_EQ(page.malformed[0].reason, "sender missing");
}

TEST(ParseMessages, EndAbsentOrNull) {
  std::string body = R"({"start":"t1","chunk":[]})";
  auto result = parse_messages(body, "!r:x");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->start, "t1");
  EXPECT_EQ(result->end, "");
  EXPECT_TRUE(result->chunk.empty());
  body = R"({"chunk":[],"start":"t1","end":null})";
  result = parse_messages(body, "!r:x");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->end, "");
}

TEST(ParseMessages, BadBodies) {
  std::string body = "nope";
  EXPECT_FALSE(parse_messages(body, "!r:x").has_value());
  body = R"({"start":"t1"})";
  auto result = parse_messages(body, "!r:x");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "chunk missing");
}

// --- invalid UTF-8 -------------------------------------------------------------------------
// A broken or hostile server (or federation peer) may send raw bytes that are not UTF-8. They
// spoil only the string they are in (each ill-formed sequence becomes U+FFFD); the body parses.

const std::string kFffd = "\xEF\xBF\xBD";

std::string repaired(std::string text, std::size_t expected_count) {
  EXPECT_EQ(repair_utf8(text), expected_count);
  return text;
}

TEST(RepairUtf8, ValidTextIsLeftInPlace) {
  std::string text = "Köln 👍 Grüße € \x7F";
  text.reserve(200);
  const char* data = text.data();
  const std::string before = text;
  EXPECT_EQ(repair_utf8(text), 0u);
  EXPECT_EQ(text, before);
  EXPECT_EQ(text.data(), data);  // not copied
  std::string empty;
  EXPECT_EQ(repair_utf8(empty), 0u);
}

TEST(RepairUtf8, EachMaximalIllFormedSubpartBecomesOneReplacementCharacter) {
  // The injection test's bytes: ff 20 23 65 72 66 6f 6c 67.
  EXPECT_EQ(repaired("\xFF #erfolg", 1), kFffd + " #erfolg");
  EXPECT_EQ(repaired("K\xC3\xB6ln \xFF\xFE", 2), "Köln " + kFffd + kFffd);
  EXPECT_EQ(repaired("\x80x", 1), kFffd + "x");                               // lone continuation
  EXPECT_EQ(repaired("\xC0\xAF", 2), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(repaired("\xE0\x80\xAF", 3), kFffd + kFffd + kFffd);              // overlong, 3 bytes
  EXPECT_EQ(repaired("\xED\xA0\x80", 3), kFffd + kFffd + kFffd);              // surrogate D800
  EXPECT_EQ(repaired("\xF4\x90\x80\x80", 4), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(repaired("\xE2\x82x", 1), kFffd + "x");                           // cut 3-byte sequence
  EXPECT_EQ(repaired("\xF0\x9F\x98", 1), kFffd);                              // cut at the very end
  EXPECT_EQ(repaired("a\xC3", 1), "a" + kFffd);
  // The example of the Unicode standard (section 3.9, "U+FFFD Substitution of Maximal Subparts").
  EXPECT_EQ(repaired("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 6),
            "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
}

// A body with raw bytes spliced in as they stand: $bad's body, a state event's name and a key.
std::string sync_with_invalid_utf8() {
  return "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!r:example.org\":{"
         "\"state\":{\"events\":[{\"type\":\"m.room.name\",\"state_key\":\"\","
         "\"event_id\":\"$name\",\"sender\":\"@a:x\",\"origin_server_ts\":1,"
         "\"content\":{\"name\":\"Lage \xFF\xFE K\xC3\xB6ln\"}}]},"
         "\"timeline\":{\"events\":["
         "{\"type\":\"m.room.message\",\"event_id\":\"$a\",\"sender\":\"@a:x\","
         "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"vorher\"}},"
         "{\"type\":\"m.room.message\",\"event_id\":\"$bad\",\"sender\":\"@a:x\","
         "\"origin_server_ts\":2,\"content\":{\"msgtype\":\"m.text\",\"body\":\"\xFF #erfolg\"}},"
         "{\"type\":\"m.room.message\",\"event_id\":\"$key\",\"sender\":\"@a:x\","
         "\"origin_server_ts\":3,\"content\":{\"b\xC0\xAF\":1,\"msgtype\":\"m.text\","
         "\"body\":\"Schl\xC3\xBCssel\"}},"
         "{\"type\":\"m.room.message\",\"event_id\":\"$c\",\"sender\":\"@a:x\","
         "\"origin_server_ts\":4,\"content\":{\"msgtype\":\"m.text\",\"body\":\"nachher\"}}"
         "],\"limited\":false}}}}}";
}

std::string body_of(const Event& event) { return std::get<RoomMessage>(event.content).body; }

TEST(InvalidUtf8, TheBatchParsesAndOnlyTheBadStringsCarryReplacementCharacters) {
  std::string body = sync_with_invalid_utf8();
  auto result = parse_sync(body, kOwnUser);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->next_batch, "s2");
  EXPECT_EQ(result->repaired_utf8, 5u);
  EXPECT_TRUE(result->malformed.empty());
  const JoinedRoom* room = find_room(*result, "!r:example.org");
  ASSERT_NE(room, nullptr);
  ASSERT_EQ(room->state.size(), 1u);
  EXPECT_EQ(std::get<RoomName>(room->state[0].content).name, "Lage " + kFffd + kFffd + " Köln");
  ASSERT_EQ(room->timeline.size(), 4u);
  EXPECT_EQ(body_of(room->timeline[0]), "vorher");
  EXPECT_EQ(room->timeline[1].event_id, "$bad");
  EXPECT_EQ(body_of(room->timeline[1]), kFffd + " #erfolg");
  EXPECT_EQ(room->timeline[2].event_id, "$key");  // a broken key is just an unknown field
  EXPECT_EQ(body_of(room->timeline[2]), "Schlüssel");
  EXPECT_EQ(body_of(room->timeline[3]), "nachher");
}

TEST(InvalidUtf8, OutlineRepairsTheBodyInPlaceForTheTimelinePass) {
  std::string body = sync_with_invalid_utf8();
  auto outline = parse_sync_outline(body, kOwnUser);
  ASSERT_TRUE(outline.has_value()) << outline.error().message;
  EXPECT_EQ(outline->next_batch, "s2");
  EXPECT_EQ(outline->repaired_utf8, 5u);
  ASSERT_EQ(outline->joined.size(), 1u);
  EXPECT_EQ(outline->joined[0].state.size(), 1u);
  EXPECT_EQ(repair_utf8(body), 0u);  // the second pass finds nothing left to repair

  std::vector<std::string> seen;
  auto malformed = stream_sync_timelines(
      body, kOwnUser, [](const std::string&) {},
      [&](Event& event) { seen.push_back(event.event_id + " " + body_of(event)); });
  ASSERT_TRUE(malformed.has_value()) << malformed.error().message;
  EXPECT_TRUE(malformed->empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"$a vorher", "$bad " + kFffd + " #erfolg",
                                            "$key Schlüssel", "$c nachher"}));
}

TEST(InvalidUtf8, StreamingAnUnrepairedBodyRepairsItToo) {
  std::string body = sync_with_invalid_utf8();
  std::size_t events = 0;
  auto malformed = stream_sync_timelines(
      body, kOwnUser, [](const std::string&) {}, [&](Event&) { ++events; });
  ASSERT_TRUE(malformed.has_value()) << malformed.error().message;
  EXPECT_EQ(events, 4u);
}

TEST(InvalidUtf8, InRoomIdsAndEventIds) {
  SyncBatch batch = sync_ok(
      "{\"next_batch\":\"s\",\"rooms\":{\"join\":{\"!r\xFF:x\":{\"timeline\":{\"events\":["
      "{\"type\":\"m.room.message\",\"event_id\":\"$e\xFF\",\"sender\":\"@a:x\","
      "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"b\"}}]}}}}}");
  ASSERT_EQ(batch.joined.size(), 1u);
  EXPECT_EQ(batch.joined[0].room_id, "!r" + kFffd + ":x");
  ASSERT_EQ(batch.joined[0].timeline.size(), 1u);
  EXPECT_EQ(batch.joined[0].timeline[0].event_id, "$e" + kFffd);
  EXPECT_EQ(batch.repaired_utf8, 2u);
}

TEST(InvalidUtf8, AnEventThatIsStillMalformedAfterRepairIsQuarantinedAlone) {
  // The broken bytes sit in the "body" key, so the message has no body: that one event goes to
  // the quarantine (as valid UTF-8 text) and the batch goes on.
  SyncBatch batch = sync_ok(sync_with_timeline(
      "{\"type\":\"m.room.message\",\"event_id\":\"$q\",\"sender\":\"@a:x\","
      "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"bo\xFF"
      "dy\":\"x\"}},"
      "{\"type\":\"m.room.message\",\"event_id\":\"$ok\",\"sender\":\"@a:x\","
      "\"origin_server_ts\":2,\"content\":{\"msgtype\":\"m.text\",\"body\":\"gut\"}}"));
  EXPECT_EQ(batch.next_batch, "s1");
  ASSERT_EQ(batch.malformed.size(), 1u);
  EXPECT_EQ(batch.malformed[0].event_id, "$q");
  EXPECT_NE(batch.malformed[0].raw_json.find("bo" + kFffd + "dy"), std::string::npos);
  ASSERT_EQ(batch.joined.at(0).timeline.size(), 1u);
  EXPECT_EQ(batch.joined[0].timeline[0].event_id, "$ok");
}

TEST(InvalidUtf8, MessagesPagesAndSingleEvents) {
  std::string body =
      "{\"start\":\"t2\",\"end\":\"t1\",\"chunk\":[{\"type\":\"m.room.message\","
      "\"event_id\":\"$p\",\"sender\":\"@a:x\",\"origin_server_ts\":1,"
      "\"content\":{\"msgtype\":\"m.text\",\"body\":\"alt \xFF\"}}]}";
  auto page = parse_messages(body, "!r:x");
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_EQ(page->repaired_utf8, 1u);
  ASSERT_EQ(page->chunk.size(), 1u);
  EXPECT_EQ(body_of(page->chunk[0]), "alt " + kFffd);
  EXPECT_EQ(page->end, "t1");

  std::string event_body =
      "{\"type\":\"m.room.message\",\"event_id\":\"$p\",\"sender\":\"@a:x\","
      "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"\xC3(\"}}";
  auto event = parse_event(event_body, "!r:x");
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(body_of(*event), kFffd + "(");
}

}  // namespace
}  // namespace reflexbot::matrix
