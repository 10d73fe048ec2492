// The content of what the bot sends, byte for byte: the outbox stores and PUTs exactly this text,
// and the golden digests and dispatcher tests compare it.

#include "matrix/content.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace reflexbot::matrix {
namespace {

TEST(Content, ANoticeCarriesHtmlAndEmptyMentions) {
  const OutgoingEvent event = notice_event(core::Notice{"a <b>", "a &lt;b&gt;"});
  EXPECT_EQ(event.type, "m.room.message");
  EXPECT_EQ(event.content,
            R"({"body":"a <b>","format":"org.matrix.custom.html","formatted_body":"a &lt;b&gt;",)"
            R"("m.mentions":{},"msgtype":"m.notice"})");
}

TEST(Content, AReplyAnswersTheEvent) {
  Event command;
  command.event_id = "$cmd";
  command.content = RoomMessage{"m.text", "!help", std::nullopt, std::nullopt, std::nullopt};
  const OutgoingEvent event = notice_event(core::Notice{"t", "h"}, &command);
  EXPECT_EQ(event.content,
            R"({"body":"t","format":"org.matrix.custom.html","formatted_body":"h",)"
            R"("m.mentions":{},"m.relates_to":{"m.in_reply_to":{"event_id":"$cmd"}},)"
            R"("msgtype":"m.notice"})");
}

TEST(Content, AReplyInAThreadStaysInTheThread) {
  Event command;
  command.event_id = "$cmd";
  Relation thread;
  thread.rel_type = "m.thread";
  thread.event_id = "$root";
  command.content = RoomMessage{"m.text", "!help", std::nullopt, thread, std::nullopt};
  const OutgoingEvent event = notice_event(core::Notice{"t", "h"}, &command);
  EXPECT_EQ(event.content,
            R"({"body":"t","format":"org.matrix.custom.html","formatted_body":"h",)"
            R"("m.mentions":{},"m.relates_to":{"event_id":"$root","is_falling_back":false,)"
            R"("m.in_reply_to":{"event_id":"$cmd"},"rel_type":"m.thread"},"msgtype":"m.notice"})");
}

TEST(Content, AReactionIsAnAnnotation) {
  const OutgoingEvent event = reaction_event("$e", "✅");
  EXPECT_EQ(event.type, "m.reaction");
  EXPECT_EQ(event.content, R"({"m.mentions":{},"m.relates_to":{"event_id":"$e","key":"✅",)"
                           R"("rel_type":"m.annotation"}})");
}

// The reaction's content is written without a JSON tree: the same bytes as the serialiser's,
// whatever the event id and key hold (quotes, backslashes, control characters, bad UTF-8).
TEST(Content, AReactionIsWhatTheSerialiserWouldWrite) {
  for (const std::string id : {"$e", "$a\"b\\c\n\x01", "$\xff\xfe:x", "$ü/ä"}) {
    for (const std::string key : {"✅", "\"", "\xc3"}) {
      const nlohmann::json tree = {
          {"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", id}, {"key", key}}},
          {"m.mentions", nlohmann::json::object()}};
      EXPECT_EQ(reaction_event(id, key).content,
                tree.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          << id << " " << key;
    }
  }
}

TEST(Content, AnImageCarriesItsAltTextAndInfoAndFollowsTheCommandsThread) {
  const Image image{
      "Die Grafik zeigt 2 Themen.", "themen-2026-11-30.png", "image/png", 800, 412, 12345};
  const auto plain = nlohmann::json::parse(image_event(image).content);
  EXPECT_EQ(plain["msgtype"], "m.image");
  EXPECT_EQ(plain["body"], "Die Grafik zeigt 2 Themen.");
  EXPECT_EQ(plain["filename"], "themen-2026-11-30.png");
  EXPECT_EQ(plain["info"],
            (nlohmann::json{{"w", 800}, {"h", 412}, {"mimetype", "image/png"}, {"size", 12345}}));
  EXPECT_FALSE(plain.contains("m.relates_to"));
  EXPECT_FALSE(plain.contains("url"));  // the outbox adds it after the upload

  Event command;
  command.event_id = "$cmd";
  Relation thread;
  thread.rel_type = "m.thread";
  thread.event_id = "$root";
  command.content = RoomMessage{"m.text", "!digest", std::nullopt, thread, std::nullopt};
  const auto threaded = nlohmann::json::parse(image_event(image, &command).content);
  EXPECT_EQ(threaded["m.relates_to"]["rel_type"], "m.thread");
  EXPECT_EQ(threaded["m.relates_to"]["event_id"], "$root");

  Event outside;
  outside.event_id = "$main";
  outside.content = RoomMessage{"m.text", "!digest", std::nullopt, std::nullopt, std::nullopt};
  EXPECT_FALSE(
      nlohmann::json::parse(image_event(image, &outside).content).contains("m.relates_to"));
}

TEST(Content, TheUploadedFileIsAUrlInClearAndAKeyedFileWhenEncrypted) {
  const std::string content = image_event({"alt", "a.png", "image/png", 1, 1, 3}).content;
  const auto clear = nlohmann::json::parse(with_media(content, "mxc://hs/abc", ""));
  EXPECT_EQ(clear["url"], "mxc://hs/abc");
  EXPECT_FALSE(clear.contains("file"));
  const auto sealed = nlohmann::json::parse(
      with_media(content, "mxc://hs/def", R"({"v":"v2","key":{"k":"x"},"iv":"i","hashes":{}})"));
  EXPECT_FALSE(sealed.contains("url"));
  EXPECT_EQ(sealed["file"]["url"], "mxc://hs/def");
  EXPECT_EQ(sealed["file"]["key"]["k"], "x");
  EXPECT_EQ(sealed["info"]["mimetype"], "image/png");
}

TEST(Content, InvalidUtf8IsReplacedNotThrown) {
  const OutgoingEvent event = notice_event(core::Notice{"a\xff", "b"});
  EXPECT_NE(event.content.find("a\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace reflexbot::matrix
