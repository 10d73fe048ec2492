// Hostile input end to end through the bot's real ingest path: every payload of
// tests/fixtures/injection/payloads.jsonl goes as body and as formatted_body of contributions
// (in rounds and outside them, in four rooms and cities), and into the commands that echo user
// text (!runde, unknown commands, !anonym, !lehre, !maßnahme, !meine). Then rounds end, digests
// are asked for and the export runs. Every event the bot queued must hold only the HTML the bot
// writes itself, carry m.mentions without @room, stay below 64 KiB and be valid UTF-8.
// Every body here is JSON with a next_batch (the lone surrogate escapes spliced in as raw JSON
// too), which the /sync parser must read, repairing what it has to: a refused body would take its
// payload past every check above, so none may be refused. Should one be, it must leave no trace:
// no sync token, no seen event, nothing queued.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/temp_store.hpp"
#include "app/cli/export.hpp"
#include "app/config/templates.hpp"
#include "app/runtime/dispatcher.hpp"
#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"
#include "store/digests.hpp"
#include "store/sqlite.hpp"

namespace reflexbot::app {
namespace {

using nlohmann::json;

const std::string kBot = "@reflexbot:example.org";
const std::string kMod = "@mod:example.org";
const std::string kKoeln = "!koeln:example.org";
const std::string kLeipzig = "!leipzig:example.org";
const std::string kDresden = "!dresden:example.org";
const std::string kHostile = "!hostile:example.org";  // no city configured: its name is shown
const std::string kNetwork = "!netzwerk:example.org";
const std::string kDirect = "!direct:example.org";
const std::string kHostileName = "<script>alert(1)</script> @room \xE2\x80\xAEnr\xC3\xB6lK &amp;";
const std::vector<std::string> kSenders = {"@anna:example.org", "@bert:example.org",
                                           "@carla:example.org", "@<b>dora</b>:evil.example"};

// A payload as the inside of a JSON string literal, spliced as it stands into a /sync body, so
// that bytes which are not UTF-8 reach the parser as they are.
struct Payload {
  int id = 0;
  std::string kind;
  std::string literal;
};

// Escapes what JSON requires and nothing else: bytes ≥ 0x80 stay raw, valid or not.
std::string literal_of(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::string from_hex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::vector<Payload> load_payloads() {
  std::ifstream in(std::string(REFLEXBOT_FIXTURES) + "/injection/payloads.jsonl");
  std::vector<Payload> payloads;
  std::string line;
  while (std::getline(in, line)) {
    const json entry = json::parse(line);
    Payload payload{entry.at("id").get<int>(), entry.at("kind").get<std::string>(), {}};
    if (entry.contains("text")) {
      payload.literal = literal_of(entry.at("text").get<std::string>());
    } else if (entry.contains("hex")) {
      payload.literal = literal_of(from_hex(entry.at("hex").get<std::string>()));
    } else {
      payload.literal = entry.at("json").get<std::string>();
    }
    payloads.push_back(std::move(payload));
  }
  return payloads;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The tags the bot's own renderers write (core/digest.cpp, core/round_text.cpp,
// core/commands.cpp, core/markdown.cpp for the templates' guiding questions), and their only
// attributes.
const std::set<std::string, std::less<>> kOwnTags = {"h3",     "h4", "p",  "ol",   "ul", "li",
                                                     "strong", "em", "br", "code", "a"};

// Problems of one formatted_body: tags or attributes the bot does not write, markup characters
// that are not escaped, javascript: in an attribute.
std::vector<std::string> html_problems(std::string_view html) {
  std::vector<std::string> problems;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  auto around = [&](std::size_t i) { return std::string(html.substr(i >= 20 ? i - 20 : 0, 60)); };
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '>') {
      problems.push_back("a bare '>': " + around(i));
      ++i;
    } else if (c == '&') {
      static const std::vector<std::string_view> entities = {"&amp;", "&lt;", "&gt;", "&quot;",
                                                             "&#39;"};
      const bool known = std::any_of(entities.begin(), entities.end(), [&](std::string_view e) {
        return html.substr(i, e.size()) == e;
      });
      if (!known) problems.push_back("an unescaped '&': " + around(i));
      ++i;
    } else if (c != '<') {
      ++i;
    } else {
      std::size_t j = i + 1;
      if (j < html.size() && html[j] == '/') ++j;
      const std::size_t name_start = j;
      while (j < html.size() && std::isalnum(static_cast<unsigned char>(html[j]))) ++j;
      const std::string name(html.substr(name_start, j - name_start));
      if (name.empty() || !kOwnTags.contains(name)) {
        problems.push_back("a tag the bot does not write: " + around(i));
        i = j;
        continue;
      }
      // Attributes: name="value" only, and only the bot's own.
      while (j < html.size() && html[j] != '>') {
        if (html[j] == ' ') {
          ++j;
          continue;
        }
        const std::size_t attr_start = j;
        while (j < html.size() &&
               (std::isalpha(static_cast<unsigned char>(html[j])) || html[j] == '-')) {
          ++j;
        }
        const std::string attr(html.substr(attr_start, j - attr_start));
        if (attr.empty() || html.substr(j, 2) != "=\"") {
          problems.push_back("a malformed attribute: " + around(i));
          break;
        }
        const std::size_t value_start = j + 2;
        const std::size_t value_end = html.find('"', value_start);
        if (value_end == std::string_view::npos) {
          problems.push_back("an unterminated attribute: " + around(i));
          break;
        }
        const std::string value(html.substr(value_start, value_end - value_start));
        const bool ok = (name == "ol" && attr == "start" && !value.empty() &&
                         std::all_of(value.begin(), value.end(),
                                     [](char d) { return d >= '0' && d <= '9'; })) ||
                        (name == "a" && attr == "href" && value.starts_with("https://"));
        if (!ok) problems.push_back("attribute " + attr + " on <" + name + ">: " + around(i));
        if (lower(value).find("javascript:") != std::string::npos) {
          problems.push_back("javascript: in an attribute: " + around(i));
        }
        j = value_end + 1;
      }
      i = j + 1;
    }
  }
  return problems;
}

// What the test fed and what the bot made of it.
struct Figures {
  std::map<std::string, int> refused_by_kind;  // bodies the /sync parser refused as a whole
  std::vector<std::string> refused;            // which payload, in which role
  int fed = 0;
  std::size_t produced = 0;
  std::size_t max_size = 0;
  std::size_t with_html = 0;
  std::size_t images = 0;  ///< the digest's charts (m.image)
  std::size_t exported = 0;
  std::vector<std::string> problems;
};

class InjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto templates = load_templates(REFLEXBOT_TEMPLATES_DIR);
    FeatureSettings reflection;
    reflection.templates = templates;
    reflection.pseudonym = [](const std::string& user) {
      return std::string(32 - std::min<std::size_t>(32, user.size() % 7), 'a') +
             std::string(std::min<std::size_t>(32, user.size() % 7), 'b');
    };
    reflection.cities = {{kKoeln, "Köln"}, {kLeipzig, "Leipzig"}, {kDresden, "Dresden"}};
    digests_.zone = *core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3");
    digests_.network_room = kNetwork;
    digests_.rooms = {kKoeln, kLeipzig, kDresden, kHostile};
    digests_.cities = reflection.cities;
    digests_.templates = templates;
    dispatcher_.emplace(
        *store_,
        DispatcherSettings{kBot, core::Language::de, [](const std::string&) { return false; },
                           reflection, digests_, core::RateLimit{0}},
        [this] { return now_ms_; });

    store::BatchScope seed(*store_);
    for (const auto& id : {kKoeln, kLeipzig, kDresden, kHostile, kNetwork, kDirect}) {
      store::RoomRecord room;
      room.room_id = id;
      room.membership = "join";
      room.authority = {"", {}, true, {{"@mod:example.org", 100}}, 0};
      if (id == kHostile) room.name = kHostileName;
      room.direct = id == kDirect;
      seed.put_room(room);
    }
    seed.set_sync_token("s0");
    seed.commit();
  }
  void TearDown() override { dispatcher_.reset(); }

  std::int64_t count(const std::string& sql, const std::string& parameter = {}) {
    store::Statement statement(store_->connection(), sql);
    if (!parameter.empty()) statement.bind(1, parameter);
    statement.step();
    return statement.column_int(0);
  }

  // An m.room.message whose body and formatted_body are JSON string literals as they stand.
  std::string event(const std::string& sender, const std::string& body_literal,
                    const std::string& html_literal = {}) {
    const std::string id = "$e" + std::to_string(++events_);
    std::string content = R"({"msgtype":"m.text","body":")" + body_literal + "\"";
    if (!html_literal.empty()) {
      content += R"(,"format":"org.matrix.custom.html","formatted_body":")" + html_literal + "\"";
    }
    content += "}";
    return R"({"type":"m.room.message","event_id":")" + id + R"(","sender":")" +
           literal_of(sender) + R"(","origin_server_ts":)" + std::to_string(now_ms_ - 60000) +
           R"(,"content":)" + content + "}";
  }

  // Feeds one room's timeline through the real ingest path; false if the body was refused.
  // A refused body must leave the store as it was.
  bool sync(const std::string& room_id, const std::vector<std::string>& events) {
    std::string timeline;
    for (const auto& e : events) timeline += (timeline.empty() ? "" : ",") + e;
    std::string body = R"({"next_batch":"s)" + std::to_string(++batches_) +
                       R"(","rooms":{"join":{")" + room_id + R"(":{"timeline":{"events":[)" +
                       timeline + R"(],"limited":false},"state":{"events":[]}}}}})";
    const auto token = store_->sync_token();
    const std::int64_t queued = count("SELECT COUNT(*) FROM outbox");
    auto outline = matrix::parse_sync_outline(body, kBot);
    const bool accepted =
        outline && matrix::ingest(*dispatcher_, body, *outline, {}, kBot, false).has_value();
    if (!accepted) check_refusal(token, queued, events.size());
    return accepted;
  }

  // What must hold after a body was refused.
  void check_refusal(const std::optional<std::string>& token, std::int64_t queued,
                     std::size_t events) {
    const std::string batch = "batch s" + std::to_string(batches_) + ": ";
    if (store_->sync_token() != token) {
      refusal_problems_.push_back(batch + "refused, but the sync token moved");
    }
    if (count("SELECT COUNT(*) FROM outbox") != queued) {
      refusal_problems_.push_back(batch + "refused, but something was queued");
    }
    for (int k = events_ - static_cast<int>(events) + 1; k <= events_; ++k) {
      if (count("SELECT COUNT(*) FROM seen_events WHERE event_id = ?", "$e" + std::to_string(k))) {
        refusal_problems_.push_back(batch + "refused, but its event $e" + std::to_string(k) +
                                    " was seen");
      }
    }
  }

  // One command (plain text before the payload) by `sender`.
  bool command(const std::string& room_id, const std::string& sender, const std::string& prefix,
               const std::string& payload_literal = {}) {
    return sync(room_id, {event(sender, literal_of(prefix) + payload_literal)});
  }

  // Records a refused body: its payload never reached the checks.
  void must(bool ok, const Payload& p, const char* what) {
    if (ok) return;
    ++figures_.refused_by_kind[p.kind + std::string(" (") + what + ")"];
    figures_.refused.push_back("payload " + std::to_string(p.id) + " (" + p.kind + ") as " + what +
                               " was refused by the /sync parser");
  }

  // Rounds, every payload as contribution and in the commands that echo it.
  void feed_payloads(const std::vector<Payload>& payloads) {
    int& fed = figures_.fed;
    // Rounds in Köln and Leipzig, their topics hostile too.
    ASSERT_TRUE(command(kKoeln, kMod, "!runde aar ", payloads[0].literal));
    ASSERT_TRUE(command(kLeipzig, kMod, "!runde panreflex ", payloads[1].literal + " 30"));
    const std::vector<std::string> rooms = {kKoeln, kLeipzig, kDresden, kHostile};
    for (const auto& p : payloads) {
      const std::string& room = rooms[p.id % rooms.size()];
      const std::string& sender = kSenders[p.id % kSenders.size()];
      // As body (and the same as formatted_body), and as formatted_body of a tagged message.
      must(sync(room, {event(sender, p.literal, p.literal)}), p, "body");
      must(sync(room, {event(sender, literal_of("Beobachtung #idee Nr. " + std::to_string(p.id)),
                             p.literal)}),
           p, "formatted_body");
      // Commands that echo what follows them.
      must(command(kDresden, kMod, "!runde ", p.literal), p, "!runde");
      must(command(kDresden, sender, "!x", p.literal), p, "unknown command");
      must(command(kDirect, kSenders[0], "!anonym Köln ", p.literal), p, "!anonym");
      fed += 5;
      if (p.id % 150 == 149) {
        command(kKoeln, kMod, "!weiter");
        command(kLeipzig, kMod, "!weiter");
        command(kKoeln, kSenders[1], "!status");
        command(kLeipzig, kMod, "!verlängern ", p.literal);
        fed += 4;
      }
    }
  }

  // Digests everywhere, lessons with hostile titles, actions and owners, the weekly digest.
  void ask_digests_and_lessons(const std::vector<Payload>& payloads) {
    int& fed = figures_.fed;
    // Digests everywhere; then lessons with hostile titles, actions and owners.
    for (const auto& room : {kKoeln, kLeipzig, kDresden, kHostile, kNetwork}) {
      command(room, kSenders[2], "!digest 30 Tage");
      ++fed;
    }
    command(kKoeln, kSenders[2], "!digest runde");
    ++fed;
    for (const auto& p : payloads) {
      if (p.id % 3 != 0) continue;
      must(command(kNetwork, kMod, "!lehre " + std::to_string(1 + p.id % 5) + " ", p.literal), p,
           "!lehre");
      ++fed;
    }
    const auto lessons = store::lessons(*store_, kNetwork);
    for (std::size_t k = 0; k < lessons.size(); ++k) {
      const auto& p = payloads[(k * 7) % payloads.size()];
      must(command(kNetwork, kMod, "!maßnahme L" + std::to_string(lessons[k].id) + " 15.12.2030 ",
                   p.literal + literal_of(": ") + p.literal),
           p, "!maßnahme");
      ++fed;
      if (k % 4 == 0) {
        command(kNetwork, kMod, "!gelernt L" + std::to_string(lessons[k].id));
        ++fed;
      }
    }
    command(kNetwork, kSenders[1], "!lehren");
    command(kNetwork, kSenders[1], "!digest");
    command(kDirect, kSenders[0], "!meine");
    command(kKoeln, kMod, "!ende");  // the round summaries
    for (int i = 0; i < 6; ++i) command(kLeipzig, kMod, "!weiter");
    command(kLeipzig, kSenders[3], "!digest runde");
    fed += 10;

    // The weekly digest, for the network and every configured room.
    now_ms_ += 2 * 24 * 3600 * 1000LL;
    dispatcher_->tick();
  }

  // Every event the bot queued.
  void check_outbox() {
    std::size_t& produced = figures_.produced;
    std::size_t& max_size = figures_.max_size;
    std::size_t& with_html = figures_.with_html;
    std::vector<std::string>& problems = figures_.problems;
    std::size_t& images = figures_.images;
    for (const auto& item : store_->pending_outbox(1000000)) {
      if (item.kind != store::OutboxKind::send) continue;
      ++produced;
      max_size = std::max(max_size, item.content.size());
      const std::string where = item.event_type + " in " + item.room_id + ": ";
      if (item.content.size() >= 65536) problems.push_back(where + "event of 64 KiB or more");
      if (!valid_utf8(item.content)) {
        problems.push_back(where + "not valid UTF-8");
        continue;
      }
      const json content = json::parse(item.content, nullptr, false);
      if (content.is_discarded()) {
        problems.push_back(where + "not JSON");
        continue;
      }
      const auto mentions = content.find("m.mentions");
      if (mentions == content.end() || !mentions->is_object()) {
        problems.push_back(where + "no m.mentions");
      } else if (mentions->value("room", false) ||
                 !mentions->value("user_ids", json::array()).empty()) {
        problems.push_back(where + "mentions " + mentions->dump());
      }
      if (item.event_type != "m.room.message") continue;
      // The digest's chart: a picture whose only text is its alt text (plain, never markup),
      // and whose file waits in the outbox.
      if (content.value("msgtype", "") == "m.image") {
        ++images;
        if (content.contains("formatted_body")) problems.push_back(where + "an image with HTML");
        if (!item.media || !store_->outbox_media(item.id)) {
          problems.push_back(where + "an image without its file");
        }
        if (!content.contains("info") || content["info"].value("mimetype", "") != "image/png") {
          problems.push_back(where + "an image without its info");
        }
        continue;
      }
      if (content.value("msgtype", "") != "m.notice") problems.push_back(where + "not m.notice");
      if (content.contains("formatted_body")) {
        ++with_html;
        for (const auto& problem : html_problems(content["formatted_body"].get<std::string>())) {
          problems.push_back(where + problem);
        }
      }
    }
  }

  // The export in its three formats, for the network and each city.
  void check_export() {
    std::size_t& exported = figures_.exported;
    std::vector<std::string>& problems = figures_.problems;
    try {
      for (const auto format :
           {ExportFormat::markdown, ExportFormat::csv, ExportFormat::json, ExportFormat::html}) {
        for (const std::string room : {"", "Köln", "Leipzig", "Dresden"}) {
          ExportOptions options;
          options.format = format;
          options.room = room;
          options.now = core::TimePoint(std::chrono::milliseconds(now_ms_));
          options.since = std::chrono::year_month_day{std::chrono::year{2023}, std::chrono::October,
                                                      std::chrono::day{1}};
          const std::string out = export_digest(*store_, digests_, options);
          exported += out.size();
          const std::string what =
              "export " + std::to_string(static_cast<int>(format)) + " " + room;
          if (!valid_utf8(out)) problems.push_back(what + ": not valid UTF-8");
          if (format == ExportFormat::json && json::parse(out, nullptr, false).is_discarded()) {
            problems.push_back(what + ": not JSON");
          }
          if (format == ExportFormat::html) {
            // People's text may say anything as text ('<' is escaped). Every element is one of
            // the report's own, and no tag carries a handler, a script URL or a reference to
            // anything outside the file.
            static const std::regex active(R"((\son[a-z]+\s*=|javascript:|\s(src|href)\s*=))",
                                           std::regex::icase);
            static const std::set<std::string, std::less<>> own = {
                "!DOCTYPE", "html",       "head", "meta",  "title", "style",  "body",  "header",
                "h1",       "h2",         "h3",   "dl",    "dt",    "dd",     "p",     "section",
                "figure",   "figcaption", "svg",  "text",  "rect",  "div",    "small", "blockquote",
                "table",    "colgroup",   "col",  "thead", "tbody", "tr",     "th",    "td",
                "span",     "br",         "b",    "i",     "em",    "strong", "code"};
            const std::size_t style_end = out.find("</style>");
            for (std::size_t i = out.find('<'); i != std::string::npos; i = out.find('<', i + 1)) {
              const std::size_t close = out.find('>', i);
              if (close == std::string::npos) {
                problems.push_back(what + ": an unclosed tag");
                break;
              }
              const std::string tag = out.substr(i, close - i + 1);
              std::size_t start = i + 1 + (out[i + 1] == '/' ? 1 : 0);
              std::size_t end = start;
              while (end < close &&
                     (std::isalnum(static_cast<unsigned char>(out[end])) || out[end] == '!')) {
                ++end;
              }
              const std::string_view name(out.data() + start, end - start);
              if (!own.contains(name) || std::regex_search(tag, active)) {
                problems.push_back(what +
                                   ": a tag that is not the report's own: " + tag.substr(0, 80));
                break;
              }
              if (name == "style" && out[i + 1] != '/') i = style_end;  // CSS, ours
            }
          }
          if (format == ExportFormat::markdown) {
            // Raw HTML in Markdown survives many converters: every '<' of user text is escaped.
            for (std::size_t i = out.find('<'); i != std::string::npos; i = out.find('<', i + 1)) {
              if (i == 0 || out[i - 1] != '\\') {
                problems.push_back(
                    what + ": unescaped '<' in Markdown: " + out.substr(i >= 20 ? i - 20 : 0, 60));
                break;
              }
            }
          }
        }
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception escaped the export: " << e.what();
    }
  }

  test::TempStore store_{"injection"};
  std::optional<Dispatcher> dispatcher_;
  DigestSettings digests_;
  std::int64_t now_ms_ = 1700000000000;
  int events_ = 0;
  int batches_ = 0;
  std::vector<std::string> refusal_problems_;
  Figures figures_;
};

TEST_F(InjectionTest, HostilePayloadsNeverLeaveTheBotAsMarkupMentionsOrOversizedEvents) {
  const auto payloads = load_payloads();
  ASSERT_GE(payloads.size(), 1000U);
  try {
    feed_payloads(payloads);
    if (HasFatalFailure()) return;
    ask_digests_and_lessons(payloads);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "an exception escaped: " << e.what();
  }
  check_outbox();
  check_export();

  const auto& [refused_by_kind, refused_payloads, fed, produced, max_size, with_html, images,
               exported, problems] = figures_;
  std::size_t refused = 0;
  for (const auto& [kind, n] : refused_by_kind) refused += n;
  std::cout << "[injection] payloads tried: " << payloads.size() << ", events fed: " << fed
            << ", events produced: " << produced << " (" << with_html << " with formatted_body, "
            << images << " charts), max event size: " << max_size
            << " bytes, export bytes: " << exported << ", bodies refused by the parser: " << refused
            << "\n";
  for (const auto& [kind, n] : refused_by_kind) {
    std::cout << "[injection]   refused: " << kind << ": " << n << "\n";
  }
  for (std::size_t k = 0; k < std::min<std::size_t>(refused_payloads.size(), 20); ++k) {
    ADD_FAILURE() << refused_payloads[k];
  }
  EXPECT_EQ(refused, 0U) << "bodies refused: their payloads escaped the checks";
  for (std::size_t k = 0; k < std::min<std::size_t>(refusal_problems_.size(), 20); ++k) {
    ADD_FAILURE() << refusal_problems_[k];
  }
  EXPECT_TRUE(refusal_problems_.empty()) << refusal_problems_.size() << " refusals left a trace";
  EXPECT_GT(produced, payloads.size());
  EXPECT_LT(max_size, 65536U);
  for (std::size_t k = 0; k < std::min<std::size_t>(problems.size(), 40); ++k) {
    ADD_FAILURE() << problems[k];
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems";
}

}  // namespace
}  // namespace reflexbot::app
