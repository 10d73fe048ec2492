#include "core/text.hpp"

#include <gtest/gtest.h>

namespace reflexbot::core {
namespace {

TEST(HtmlEscape, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape(R"(<a href="x" onclick='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape("Köln – Lagebild"), "Köln – Lagebild");
  EXPECT_EQ(html_escape(""), "");
}

TEST(TruncateUtf8, CutsOnlyAtCharacterBoundaries) {
  EXPECT_EQ(truncate_utf8("abc", 5), "abc");
  EXPECT_EQ(truncate_utf8("abcdef", 3), "abc");
  // "ä" is two bytes (C3 A4): a cut after its first byte drops it whole.
  EXPECT_EQ(truncate_utf8("aä", 2), "a");
  EXPECT_EQ(truncate_utf8("aä", 3), "aä");
  // A four-byte emoji.
  EXPECT_EQ(truncate_utf8("x\xF0\x9F\x93\x8C", 4), "x");
  EXPECT_EQ(truncate_utf8("x\xF0\x9F\x93\x8C", 5), "x\xF0\x9F\x93\x8C");
  EXPECT_EQ(truncate_utf8("ää", 0), "");
}

TEST(Printable, ControlCharactersAndBidiControlsBecomeReplacementCharacters) {
  // An ANSI colour, an OSC title, a forged log line, a C1 CSI and a right-to-left override.
  EXPECT_EQ(printable("Raum\x1B[31mrot"), "Raum\xEF\xBF\xBD[31mrot");
  EXPECT_EQ(printable("a\x1B]0;titel\x07"
                      "b"),
            "a\xEF\xBF\xBD]0;titel\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(printable("@x:y\n[info] gefälscht"), "@x:y\xEF\xBF\xBD[info] gefälscht");
  EXPECT_EQ(printable("a\xC2\x9B"
                      "1m"),
            "a\xEF\xBF\xBD"
            "1m");
  EXPECT_EQ(printable("a\xE2\x80\xAE"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(printable("Köln – Krisenstab 🚒"), "Köln – Krisenstab 🚒");
}

}  // namespace
}  // namespace reflexbot::core
