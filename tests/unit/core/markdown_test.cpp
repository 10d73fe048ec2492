#include "core/markdown.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace reflexbot::core {
namespace {

/// Fails unless every tag in `html` is whitelisted, `a` has only an http(s) href, and no quote or
/// angle bracket appears outside a tag.
::testing::AssertionResult only_safe_tags(const std::string& html) {
  static const std::set<std::string> allowed = {"p",      "br", "ul",   "ol", "li",
                                                "strong", "em", "code", "a"};
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '>' || c == '"' || c == '\'') {
      return ::testing::AssertionFailure() << "raw " << c << " at " << i << " in " << html;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    const std::size_t end = html.find('>', i);
    if (end == std::string::npos)
      return ::testing::AssertionFailure() << "unclosed tag in " << html;
    std::string tag = html.substr(i + 1, end - i - 1);
    const bool closing = !tag.empty() && tag.front() == '/';
    if (closing) tag.erase(0, 1);
    const std::size_t space = tag.find(' ');
    const std::string name = tag.substr(0, space);
    if (!allowed.count(name)) return ::testing::AssertionFailure() << "tag <" << tag << ">";
    if (space != std::string::npos) {
      const std::string attributes = tag.substr(space);
      const bool href_only =
          !closing && name == "a" && attributes.starts_with(" href=\"") &&
          attributes.back() == '"' && attributes.find('"', 7) == attributes.size() - 1 &&
          (attributes.starts_with(" href=\"https://") || attributes.starts_with(" href=\"http://"));
      if (!href_only) return ::testing::AssertionFailure() << "attributes in <" << tag << ">";
    } else if (name == "a" && !closing) {
      return ::testing::AssertionFailure() << "<a> without href";
    }
    i = end + 1;
  }
  return ::testing::AssertionSuccess();
}

std::string html(std::string_view markdown) {
  std::string out = markdown_to_html(markdown);
  EXPECT_TRUE(only_safe_tags(out)) << "input: " << markdown;
  return out;
}

TEST(MarkdownToHtml, Paragraphs) {
  EXPECT_EQ(html("Eins\n\nZwei"), "<p>Eins</p><p>Zwei</p>");
  EXPECT_EQ(html("\n\n  Eins  \n\n\n\nZwei\n"), "<p>Eins</p><p>Zwei</p>");
  EXPECT_EQ(html(""), "");
  EXPECT_EQ(html(" \n\t\n"), "");
}

TEST(MarkdownToHtml, LineBreaksInsideAParagraph) {
  EXPECT_EQ(html("Zeile eins\nZeile zwei\r\nZeile drei"),
            "<p>Zeile eins<br>Zeile zwei<br>Zeile drei</p>");
}

TEST(MarkdownToHtml, BulletLists) {
  EXPECT_EQ(html("- eins\n- zwei"), "<ul><li>eins</li><li>zwei</li></ul>");
  EXPECT_EQ(html("* eins\n* zwei"), "<ul><li>eins</li><li>zwei</li></ul>");
  EXPECT_EQ(html("Frage?\n- a\n- b\n\nDanach."),
            "<p>Frage?</p><ul><li>a</li><li>b</li></ul><p>Danach.</p>");
  // A blank line between items keeps the list; a continuation line belongs to its item.
  EXPECT_EQ(html("- a\n\n- b\n  weiter"), "<ul><li>a</li><li>b<br>weiter</li></ul>");
  EXPECT_EQ(html("- a\n\nText"), "<ul><li>a</li></ul><p>Text</p>");
}

TEST(MarkdownToHtml, NumberedLists) {
  EXPECT_EQ(html("1. eins\n2. zwei"), "<ol><li>eins</li><li>zwei</li></ol>");
  EXPECT_EQ(html("3) drei"), "<ol><li>drei</li></ol>");
  EXPECT_EQ(html("- a\n1. b"), "<ul><li>a</li></ul><ol><li>b</li></ol>");
  // A year at the start of a paragraph line does not start a list.
  EXPECT_EQ(html("Im Frühjahr\n2020. war alles anders"),
            "<p>Im Frühjahr<br>2020. war alles anders</p>");
}

TEST(MarkdownToHtml, Emphasis) {
  EXPECT_EQ(html("**fett** und *kursiv* und _auch kursiv_"),
            "<p><strong>fett</strong> und <em>kursiv</em> und <em>auch kursiv</em></p>");
  EXPECT_EQ(html("***beides***"), "<p><em><strong>beides</strong></em></p>");
  EXPECT_EQ(html("*a **b** c*"), "<p><em>a <strong>b</strong> c</em></p>");
  EXPECT_EQ(html("snake_case_name"), "<p>snake_case_name</p>");
  EXPECT_EQ(html("2 * 3 * 4"), "<p>2 * 3 * 4</p>");
  EXPECT_EQ(html("\\*kein\\* Kursiv"), "<p>*kein* Kursiv</p>");
  EXPECT_EQ(html("- **Fett** im Punkt"), "<ul><li><strong>Fett</strong> im Punkt</li></ul>");
}

TEST(MarkdownToHtml, InlineCode) {
  EXPECT_EQ(html("mit `#idee` markieren"), "<p>mit <code>#idee</code> markieren</p>");
  EXPECT_EQ(html("`*nicht kursiv*`"), "<p><code>*nicht kursiv*</code></p>");
  EXPECT_EQ(html("`` a`b ``"), "<p><code>a`b</code></p>");
  EXPECT_EQ(html("`<b>`"), "<p><code>&lt;b&gt;</code></p>");
  EXPECT_EQ(html("offen ` bleibt"), "<p>offen ` bleibt</p>");
}

TEST(MarkdownToHtml, Links) {
  EXPECT_EQ(html("[Leitfaden](https://example.org/a?b=1&c=2)"),
            "<p><a href=\"https://example.org/a?b=1&amp;c=2\">Leitfaden</a></p>");
  EXPECT_EQ(html("[**fett**](http://example.org)"),
            "<p><a href=\"http://example.org\"><strong>fett</strong></a></p>");
  EXPECT_EQ(html("[](https://example.org)"),
            "<p><a href=\"https://example.org\">https://example.org</a></p>");
  EXPECT_EQ(html("[x](ftp://example.org)"), "<p>[x](ftp://example.org)</p>");
  EXPECT_EQ(html("[x](example.org)"), "<p>[x](example.org)</p>");
}

TEST(MarkdownToHtml, EscapesEverythingElse) {
  EXPECT_EQ(
      html("# Überschrift & <b>fett</b> \"zitiert\" 'einfach'"),
      "<p># Überschrift &amp; &lt;b&gt;fett&lt;/b&gt; &quot;zitiert&quot; &#39;einfach&#39;</p>");
  EXPECT_EQ(html("> Zitat"), "<p>&gt; Zitat</p>");
}

TEST(MarkdownToHtml, HostileInputStaysText) {
  EXPECT_EQ(html("<script>alert(1)</script>"), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
  EXPECT_EQ(html("<img src=x onerror=alert(1)>"), "<p>&lt;img src=x onerror=alert(1)&gt;</p>");
  EXPECT_EQ(html("[klick](javascript:alert(1))"), "<p>[klick](javascript:alert(1))</p>");
  EXPECT_EQ(html("[klick](JavaScript:alert(1))"), "<p>[klick](JavaScript:alert(1))</p>");
  EXPECT_EQ(html("[x](https://a.org/\"onmouseover=\"alert(1))"),
            "<p>[x](https://a.org/&quot;onmouseover=&quot;alert(1))</p>");
  EXPECT_EQ(html("[x](https://a.org/'x)"), "<p>[x](https://a.org/&#39;x)</p>");
  EXPECT_EQ(html("[x](https://a.org/ x)"), "<p>[x](https://a.org/ x)</p>");
  EXPECT_EQ(html("[x](https://a.org/<b>)"), "<p>[x](https://a.org/&lt;b&gt;)</p>");
  EXPECT_EQ(html("[<b>](https://a.org)"), "<p><a href=\"https://a.org\">&lt;b&gt;</a></p>");
  EXPECT_EQ(html("[a [b](https://a.org)"), "<p>[a <a href=\"https://a.org\">b</a></p>");
  EXPECT_EQ(html("`<script>`<script>"), "<p><code>&lt;script&gt;</code>&lt;script&gt;</p>");
}

TEST(MarkdownToHtml, NestedAndUnclosedMarkers) {
  EXPECT_EQ(html("**offen"), "<p>**offen</p>");
  EXPECT_EQ(html("*offen **auch"), "<p>*offen **auch</p>");
  EXPECT_EQ(html("**a*"), "<p>*<em>a</em></p>");
  EXPECT_EQ(html("_a *b_ c*"), "<p><em>a *b</em> c*</p>");
  EXPECT_EQ(html("****"), "<p>****</p>");
  EXPECT_EQ(html("[offen](https://a.org"), "<p>[offen](https://a.org</p>");
  EXPECT_EQ(html("[[[[x"), "<p>[[[[x</p>");
  for (const char* input : {"*_*_**__", "***a**b*c***", "_*_*_*", "[*a](https://x.org)*", "`*`*`",
                            "**`a**`", "[`](https://x.org)`"}) {
    html(input);
  }
}

TEST(MarkdownToHtml, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(html("a\xFF"
                 "b"),
            "<p>a\xEF\xBF\xBD"
            "b</p>");
  EXPECT_EQ(html("\xC3"), "<p>\xEF\xBF\xBD</p>");
  EXPECT_EQ(html("\xED\xA0\x80"), "<p>\xEF\xBF\xBD</p>");          // a UTF-16 surrogate
  EXPECT_EQ(html("\xC0\xAF"), "<p>\xEF\xBF\xBD\xEF\xBF\xBD</p>");  // overlong '/'
  EXPECT_EQ(html("Köln 📌"), "<p>Köln 📌</p>");
}

// Speed is measured in benchmarks, never asserted here: these inputs must simply come back, with
// only whitelisted markup (html() checks every output).
TEST(MarkdownToHtml, LargeAndPathologicalInputsComeBackSafe) {
  const std::string patterns[] = {
      std::string(70000, '*'), std::string(70000, '_'), std::string(70000, '['),
      std::string(70000, '`'), std::string(70000, '<'), std::string(70000, '\n'),
  };
  for (const auto& input : patterns) html(input);
  std::string mixed;
  while (mixed.size() < 70000) mixed += "*a **b [c](https://x.org/( `d ``e _f\n- g\n";
  html(mixed);
  std::string alternating;
  while (alternating.size() < 70000) alternating += "*a";
  html(alternating);
  std::string runs;
  for (std::size_t length = 1; runs.size() < 70000; ++length)
    runs += std::string(length, '`') + "x";
  html(runs);
  std::string links;
  while (links.size() < 70000) links += "[a](https://x.org/";
  html(links);
  std::string bytes;
  for (std::size_t i = 0; i < 70000; ++i) bytes += static_cast<char>(i * 7919 % 256);
  html(bytes);
  EXPECT_FALSE(markdown_to_plain(bytes).empty());
}

TEST(MarkdownToPlain, DropsMarkup) {
  EXPECT_EQ(markdown_to_plain("**Rückschau**: Was war *wirklich* `wichtig`?"),
            "Rückschau: Was war wirklich wichtig?");
  EXPECT_EQ(markdown_to_plain("Frage\nzweite Zeile\n\n- a\n- b\n\n3. c\n4. d"),
            "Frage\nzweite Zeile\n\n- a\n- b\n\n3. c\n4. d");
  EXPECT_EQ(
      markdown_to_plain("[Leitfaden](https://example.org) und [https://a.org](https://a.org)"),
      "Leitfaden (https://example.org) und https://a.org");
  EXPECT_EQ(markdown_to_plain("<b>bleibt</b> & so"), "<b>bleibt</b> & so");
  EXPECT_EQ(markdown_to_plain("[x](javascript:alert(1))"), "[x](javascript:alert(1))");
  EXPECT_EQ(markdown_to_plain("**offen"), "**offen");
}

}  // namespace
}  // namespace reflexbot::core
