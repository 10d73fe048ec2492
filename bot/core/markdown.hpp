#pragma once
// A small, safe Markdown subset for guiding questions and digests: paragraphs, line breaks,
// bullet and numbered lists, **bold**, *italic* / _italic_, `code` and [text](https://…) links.
// Everything else is text. The HTML uses only p, br, ul, ol, li, strong, em, code and a (href
// only); all text and URLs are escaped, so no other tag or attribute can come out of it.

#include <string>
#include <string_view>

namespace reflexbot::core {

/// Renders Markdown as safe HTML for formatted_body. Invalid UTF-8 becomes U+FFFD.
std::string markdown_to_html(std::string_view markdown);

/// Renders Markdown as plain text for body: markup dropped, links as "text (url)".
std::string markdown_to_plain(std::string_view markdown);

}  // namespace reflexbot::core
