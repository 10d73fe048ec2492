// The content of what the bot sends, byte for byte: the outbox stores and PUTs exactly this text,
// and the golden digests and dispatcher tests compare it.

#include "matrix/content.hpp"

#include <gtest/gtest.h>

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

TEST(Content, InvalidUtf8IsReplacedNotThrown) {
  const OutgoingEvent event = notice_event(core::Notice{"a\xff", "b"});
  EXPECT_NE(event.content.find("a\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace reflexbot::matrix
