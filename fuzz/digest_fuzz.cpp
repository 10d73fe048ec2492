// The digest renderer: contributions (and lessons) of hostile people in, notices out. Every tag in
// the HTML must be one the renderer writes itself, user text must arrive escaped, the output must
// stay valid UTF-8, and every event must stay below the size limit it was rendered for.
//
// Input: lines of '|'-separated fields ("\n" inside a field becomes a line break):
//   R|lang(de/en)|scope|top|max_event_bytes|days|zone(utc/berlin)     the request (optional)
//   I|city|author|tag,tag|phase|votes|hours_ago|repeat|body…          a contribution
//   L|id|state|title|action|owner|due|city,city                       a lesson
// `repeat` repeats the body (up to 70 KB) so big messages need no big inputs. A contribution
// written within `days` of now is in the period, an older one in the previous period.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/lesson.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace std::chrono_literals;
using reflexbot::fuzz::check_html;
using reflexbot::fuzz::number;
using reflexbot::fuzz::repair_utf8;
using reflexbot::fuzz::split;
using reflexbot::fuzz::valid_utf8;
using reflexbot::fuzz::violation;
namespace core = reflexbot::core;

constexpr std::size_t kMaxItems = 300;
constexpr std::size_t kMaxBody = 70 * 1024;
constexpr std::size_t kMatrixEventLimit = 65536;
// What the homeserver adds around the content (ids, hashes, signatures, prev/auth events).
constexpr std::size_t kEnvelope = 2048;

// A field as stored text: valid UTF-8, "\n" as a line break.
std::string field(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += raw[i];
    }
  }
  return repair_utf8(out);
}

std::vector<std::string> list(std::string_view raw) {
  std::vector<std::string> out;
  if (raw.empty()) return out;
  for (const auto part : split(raw, ',')) out.push_back(field(part));
  return out;
}

// The rest of the line from field `from` on, separators kept.
std::string rest(const std::vector<std::string_view>& fields, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < fields.size(); ++i) {
    if (i > from) out += '|';
    out += fields[i];
  }
  return out;
}

std::string content_json(const core::Notice& notice) {
  const nlohmann::json content = {{"msgtype", "m.notice"},
                                  {"body", notice.text},
                                  {"format", "org.matrix.custom.html"},
                                  {"formatted_body", notice.html},
                                  {"m.mentions", nlohmann::json::object()}};
  return content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::size_t dumped_size(const std::string& text) {
  return nlohmann::json(text)
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
             .size() -
         2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const core::TimePoint now = std::chrono::sys_days{2026y / 11 / 15} + 12h;
  const std::chrono::year_month_day today{2026y / 11 / 15};

  core::DigestRequest request;
  request.now = now;
  std::size_t max_event_bytes = 60000;
  long long days = 7;
  std::vector<core::DigestItem> items;
  std::vector<core::Lesson> lessons;

  for (const auto line : split(input, '\n')) {
    const auto f = split(line, '|');
    auto at = [&](std::size_t i) { return i < f.size() ? f[i] : std::string_view{}; };
    if (at(0) == "R") {
      request.language = at(1) == "en" ? core::Language::en : core::Language::de;
      request.scope = field(at(2));
      request.top = static_cast<std::size_t>(std::clamp(number(at(3), 5), 1LL, 50LL));
      // Below this the renderer's envelope reserve leaves no room (its floor is 1 KiB of text).
      max_event_bytes = static_cast<std::size_t>(std::clamp(number(at(4), 60000), 8192LL, 60000LL));
      days = std::clamp(number(at(5), 7), 1LL, 366LL);
      if (at(6) == "berlin") {
        if (auto zone = core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3")) {
          request.zone = *zone;
        }
      }
    } else if (at(0) == "I" && items.size() < kMaxItems) {
      core::DigestItem item;
      item.id = "$e" + std::to_string(items.size());
      item.city = field(at(1));
      item.author = field(at(2));
      item.tags = list(at(3));
      item.phase = field(at(4));
      item.votes = static_cast<int>(std::clamp(number(at(5), 0), 0LL, 100000LL));
      item.written_at = now - std::chrono::hours(std::clamp(number(at(6), 1), 0LL, 24LL * 800));
      const std::string body = field(rest(f, 8));
      const auto repeat = static_cast<std::size_t>(std::clamp(number(at(7), 1), 1LL, 70000LL));
      for (std::size_t r = 0; r < repeat && item.body.size() + body.size() <= kMaxBody; ++r) {
        item.body += body;
      }
      items.push_back(std::move(item));
    } else if (at(0) == "L" && lessons.size() < 100) {
      core::Lesson lesson;
      lesson.id = std::clamp(number(at(1), 1), 1LL, 1000000LL);
      lesson.state = core::parse_state(at(2)).value_or(core::LessonState::identified);
      lesson.title = field(at(3));
      lesson.action = field(at(4));
      lesson.owner = field(at(5));
      lesson.due = core::parse_date(at(6), today);
      lesson.cities = list(at(7));
      lessons.push_back(std::move(lesson));
    }
  }
  request.to = now;
  request.from = now - std::chrono::days(days);
  for (auto& item : items) item.current = item.written_at >= request.from;

  const core::Digest digest = core::build_digest(items, lessons, request);
  const std::vector<core::Notice> notices = core::render_digest(digest, items, max_event_bytes);
  if (notices.empty()) violation("a digest without a notice");
  for (const core::Notice& notice : notices) {
    check_html(notice.html, {"h3", "h4", "p", "ol", "ol start", "ul", "li", "strong", "em", "br"});
    if (!valid_utf8(notice.text)) violation("digest text is not valid UTF-8", notice.text);
    if (!valid_utf8(notice.html)) violation("digest HTML is not valid UTF-8", notice.html);
    if (core::json_escaped_size(notice.text) < dumped_size(notice.text) ||
        core::json_escaped_size(notice.html) < dumped_size(notice.html)) {
      violation("json_escaped_size underestimates");
    }
    const std::size_t bytes = content_json(notice).size() + kEnvelope;
    if (bytes > max_event_bytes || bytes > kMatrixEventLimit) {
      violation("digest event over the size limit",
                std::to_string(bytes) + " > " + std::to_string(max_event_bytes));
    }
  }
  return 0;
}
