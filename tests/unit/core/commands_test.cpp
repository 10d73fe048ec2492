#include "core/commands.hpp"

#include <gtest/gtest.h>

#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

TEST(ParseCommand, RecognisesGermanAndEnglishNames) {
  EXPECT_EQ(parse_command("!ping")->kind, CommandKind::ping);
  EXPECT_EQ(parse_command("!hilfe")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!help")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!HILFE")->kind, CommandKind::help);
  EXPECT_EQ(parse_command("!Ping")->name, "ping");
}

TEST(ParseCommand, SplitsArgumentsOnAnyWhitespace) {
  auto command = parse_command("!runde  panreflex\tKrisenstab\n 30");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->kind, CommandKind::unknown);
  EXPECT_EQ(command->name, "runde");
  EXPECT_EQ(command->args, (std::vector<std::string>{"panreflex", "Krisenstab", "30"}));
}

TEST(ParseCommand, IgnoresTextThatIsNoCommand) {
  EXPECT_FALSE(parse_command(""));
  EXPECT_FALSE(parse_command("!"));
  EXPECT_FALSE(parse_command("ping"));
  EXPECT_FALSE(parse_command(" !ping"));
  EXPECT_FALSE(parse_command("!!!"));
  EXPECT_FALSE(parse_command("! ping"));
  EXPECT_FALSE(parse_command("!1"));
}

TEST(Answer, PingAnswersPongInTheConfiguredLanguage) {
  const auto german = answer(*parse_command("!ping"), Language::de);
  EXPECT_EQ(german.text, "Pong! Reflexbot ist da und hört zu.");
  EXPECT_EQ(german.html, "Pong! Reflexbot ist da und hört zu.");
  const auto english = answer(*parse_command("!ping"), Language::en);
  EXPECT_EQ(english.text, "Pong! Reflexbot is here and listening.");
}

TEST(Answer, HelpListsTheCommandsInBothForms) {
  const auto help = answer(*parse_command("!hilfe"), Language::de);
  EXPECT_NE(help.text.find("!ping – prüft, ob der Bot erreichbar ist"), std::string::npos);
  EXPECT_NE(help.text.find("!hilfe – zeigt diese Hilfe"), std::string::npos);
  EXPECT_NE(help.html.find("<li><code>!ping</code> – prüft, ob der Bot erreichbar ist</li>"),
            std::string::npos);
  const auto english = answer(*parse_command("!help"), Language::en);
  EXPECT_NE(english.text.find("!help – shows this help"), std::string::npos);
}

TEST(Answer, UnknownCommandIsNamedEscapedAndCapped) {
  const auto command = parse_command("!x<script>alert(1)</script>");
  ASSERT_TRUE(command);
  const auto reply = answer(*command, Language::de);
  EXPECT_EQ(reply.text,
            "Den Befehl „!x<script>alert(1)</script>“ kenne ich nicht. Mit !hilfe sehen Sie alle "
            "Befehle.");
  EXPECT_EQ(reply.html.find('<'), std::string::npos);
  EXPECT_NE(reply.html.find("x&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);

  // "a" and 30 two-byte characters: the 40-byte cap must not split one.
  std::string long_name = "!a";
  for (int i = 0; i < 30; ++i) long_name += "ä";
  const auto long_command = parse_command(long_name);
  ASSERT_TRUE(long_command);
  const auto capped = answer(*long_command, Language::de);
  std::string expected_name = "a";
  for (int i = 0; i < 19; ++i) expected_name += "ä";
  EXPECT_NE(capped.text.find("„!" + expected_name + "“"), std::string::npos);
}

TEST(Texts, EveryTextExistsInBothLanguages) {
  for (auto language : {Language::de, Language::en}) {
    const Texts& t = texts(language);
    for (auto text : {t.pong, t.help_intro, t.help_ping, t.help_help, t.help_footer,
                      t.unknown_command_before, t.unknown_command_after, t.encrypted_room}) {
      EXPECT_FALSE(text.empty());
    }
  }
  EXPECT_NE(texts(Language::de).encrypted_room, texts(Language::en).encrypted_room);
}

}  // namespace
}  // namespace reflexbot::core
