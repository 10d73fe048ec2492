// Digests and lessons in SQLite. Not on the /sync hot path: statements are prepared per call.

#include "store/digests.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <tuple>

namespace reflexbot::store {
namespace {

using core::TimePoint;

using core::from_ms;
using core::to_ms;

// Columns of a contribution for a digest. Tags (comma-separated) and votes are kept on the row by
// triggers (migration 7), so a period is read as one range of the table, without a lookup per row.
constexpr std::string_view kRowSelect =
    "SELECT c.event_id, c.city, c.author, c.body, c.written_at, c.room_id, c.phase_key, "
    "c.round_id, c.via, COALESCE(r.template_key, ''), c.tags, c.votes, c.terms, m.group_id "
    "FROM contributions c LEFT JOIN rounds r ON r.id = c.round_id "
    "LEFT JOIN curated_members m ON m.scope_room = ?5 AND m.event_id = c.event_id ";

// The `tags` column: canonical keys joined by commas (migration 7's triggers keep it).
void split_tags(std::string_view tags, std::vector<std::string>& out) {
  while (!tags.empty()) {
    const auto comma = tags.find(',');
    const std::string_view tag = tags.substr(0, comma);
    if (!tag.empty()) out.emplace_back(tag);
    tags = comma == std::string_view::npos ? std::string_view{} : tags.substr(comma + 1);
  }
}

DigestRow read_row(const Statement& s) {
  DigestRow row;
  row.item.id = s.column_text(0);
  row.item.city = s.column_text(1);
  row.item.author = s.column_text(2);
  row.item.body = s.column_text(3);
  row.item.written_at = from_ms(s.column_int(4));
  row.room_id = s.column_text(5);
  row.phase_key = s.column_text(6);
  if (!s.column_is_null(7)) row.round = s.column_int(7);
  row.via = s.column_text(8);
  row.template_key = s.column_text(9);
  split_tags(s.column_view(10), row.item.tags);
  row.item.votes = static_cast<int>(s.column_int(11));
  // Terms not (yet) indexed, or unreadable: the digest analyses the body instead.
  row.item.indexed =
      !s.column_is_null(12) && store::decode_term_keys(s.column_blob(12), row.item.term_keys);
  if (!s.column_is_null(13)) row.item.curated = s.column_int(13);
  return row;
}

std::optional<std::chrono::year_month_day> parse_iso(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return core::parse_date(text,
                          std::chrono::year_month_day{std::chrono::year{2000}, std::chrono::January,
                                                      std::chrono::day{1}});
}

core::Lesson read_lesson(const Statement& s) {
  core::Lesson lesson;
  lesson.id = s.column_int(0);
  lesson.room_id = s.column_text(1);
  lesson.title = s.column_text(2);
  lesson.state = core::parse_state(s.column_text(3)).value_or(core::LessonState::identified);
  lesson.action = s.column_text(4);
  lesson.owner = s.column_text(5);
  lesson.due = parse_iso(s.column_text(6));
  lesson.created_at = from_ms(s.column_int(7));
  lesson.updated_at = from_ms(s.column_int(8));
  return lesson;
}

// Removed lessons are not read: callers add their conditions after this "AND".
constexpr std::string_view kLessonColumns =
    "SELECT id, room_id, title, state, action, owner, due, created_at, updated_at FROM lessons "
    "WHERE NOT EXISTS (SELECT 1 FROM lesson_history h WHERE h.lesson_id = lessons.id AND "
    "h.change = 'removed') AND ";

void record_change(Store& store, std::int64_t id, std::string_view change, std::string_view by,
                   std::string_view old_value, std::string_view new_value, TimePoint now) {
  Statement s(store.connection(),
              "INSERT INTO lesson_history (lesson_id, change, changed_by, old_value, new_value, "
              "changed_at) VALUES (?, ?, ?, ?, ?, ?)");
  s.bind(1, id).bind(2, change).bind(3, by).bind(4, old_value).bind(5, new_value);
  s.bind(6, to_ms(now)).run();
}

// One column of a lesson as stored, for the history's old value.
std::string lesson_column(Store& store, std::int64_t id, std::string_view column) {
  Statement s(store.connection(), "SELECT " + std::string(column) + " FROM lessons WHERE id = ?");
  s.bind(1, id);
  return s.step() ? s.column_text(0) : std::string();
}

// The cities (alphabetical) and number of a lesson's remaining sources.
void add_sources(Store& store, core::Lesson& lesson, const RoomPlaces* places) {
  Statement s(store.connection(),
              "SELECT c.city, c.room_id FROM lesson_sources l "
              "JOIN contributions c ON c.event_id = l.event_id WHERE l.lesson_id = ?");
  s.bind(1, lesson.id);
  std::set<std::string, std::less<>> cities;
  while (s.step()) {
    ++lesson.sources;
    const std::string_view city =
        places != nullptr ? places->of(s.column_view(1)).first : s.column_view(0);
    if (!city.empty() && !cities.contains(city)) cities.emplace(city);
  }
  lesson.cities.assign(cities.begin(), cities.end());
}

std::optional<RoundSpan> read_span(Statement& s) {
  if (!s.step()) return std::nullopt;
  RoundSpan span;
  span.id = s.column_int(0);
  span.room_id = s.column_text(1);
  span.started_at = from_ms(s.column_int(2));
  span.ended_at = from_ms(s.column_int(3));
  return span;
}

// The network's rooms (room empty): no direct chat, and only the listed rooms (?4, a JSON array)
// if there is a list.
// (`plus` "+" keeps SQLite from choosing the room index for these terms.)
std::string network_clause(bool listed, const char* plus = "") {
  return std::string(plus) + "c.room_id NOT IN (SELECT room_id FROM rooms WHERE direct = 1) " +
         (listed ? std::string("AND ") + plus + "c.room_id IN (SELECT value FROM json_each(?4)) "
                 : std::string());
}

std::string rooms_json(const std::vector<std::string>& rooms) {
  std::string json = "[";
  for (const auto& room : rooms) {
    if (json.size() > 1) json += ',';
    json += '"';
    for (const char c : room) {
      if (c == '"' || c == '\\') json += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) json += c;
    }
    json += '"';
  }
  return json + "]";
}

// A period's rows, [from, to) in one room or (room empty) the network, oldest first.
std::string period_clause(const std::string& room, bool listed = false) {
  return std::string(room.empty() ? "WHERE c.written_at >= ?1 AND c.written_at < ?2 AND " +
                                        network_clause(listed)
                                  : "WHERE c.room_id = ?3 AND c.written_at >= ?1 AND "
                                    "c.written_at < ?2 ") +
         "ORDER BY c.written_at, c.event_id";
}

void bind_period(Statement& s, const std::string& room, TimePoint from, TimePoint to,
                 const std::vector<std::string>& network_rooms = {}) {
  s.bind(1, to_ms(from)).bind(2, to_ms(to));
  if (!room.empty()) s.bind(3, std::string_view(room));
  if (room.empty() && !network_rooms.empty()) s.bind(4, rooms_json(network_rooms));
}

}  // namespace

std::pair<std::string_view, bool> RoomPlaces::of(std::string_view room_id) const {
  const bool network = !network_room.empty() && room_id == network_room;
  if (network) return {std::string_view(), true};
  const auto found = cities.find(room_id);
  return {found == cities.end() ? std::string_view() : std::string_view(found->second), false};
}

std::vector<DigestRow> digest_rows(Store& store, const std::string& room, TimePoint from,
                                   TimePoint to) {
  Statement s(store.connection(), std::string(kRowSelect) + period_clause(room));
  bind_period(s, room, from, to);
  s.bind(5, std::string_view(room));  // the scope of the moderators' corrections
  std::vector<DigestRow> rows;
  while (s.step()) rows.push_back(read_row(s));
  return rows;
}

namespace {

constexpr const char* kItemColumns =
    "SELECT c.event_id, c.city, c.author, c.body, c.written_at, "
    "COALESCE(r.template_key, ''), c.phase_key, c.tags, c.votes, c.terms, c.room_id, "
    "m.group_id FROM contributions c LEFT JOIN rounds r ON r.id = c.round_id "
    "LEFT JOIN curated_members m ON m.scope_room = ?5 AND m.event_id = c.event_id ";

// The network period's rows as the run of rowids [?6, ?7] (see digest_items()).
Statement ranged_items(Connection& connection, bool listed, std::int64_t low, std::int64_t high) {
  Statement s(connection, std::string(kItemColumns) +
                              "WHERE c.id >= ?6 AND c.id <= ?7 AND +c.written_at >= ?1 AND "
                              "+c.written_at < ?2 AND " +
                              network_clause(listed, "+") + "ORDER BY c.id");
  s.bind(6, low).bind(7, high);
  return s;
}

// The phases' titles as a digest shows them, each distinct (template, phase) asked once: a
// handful of distinct pairs, the last one asked most.
class PhaseTitles {
 public:
  explicit PhaseTitles(const PhaseTitle& phase_title) : phase_title_(phase_title) {}
  const PhaseName& of(std::string_view template_key, std::string_view phase_key) {
    const auto same = [&](const auto& entry) {
      return std::get<0>(entry) == template_key && std::get<1>(entry) == phase_key;
    };
    if (last_ >= titles_.size() || !same(titles_[last_])) {
      const auto found = std::find_if(titles_.begin(), titles_.end(), same);
      if (found == titles_.end()) {
        titles_.emplace_back(template_key, phase_key, phase_title_(template_key, phase_key));
        last_ = titles_.size() - 1;
      } else {
        last_ = static_cast<std::size_t>(found - titles_.begin());
      }
    }
    return std::get<2>(titles_[last_]);
  }

 private:
  const PhaseTitle& phase_title_;
  std::vector<std::tuple<std::string, std::string, PhaseName>> titles_;
  std::size_t last_ = 0;
};

// Sorts items that are in order but for a few (rows of the same millisecond, whose event ids the
// rowids do not follow; at 100k rows of the benchmark's store, seven): each one out of order is
// moved back to its place. Items far from their place (a message collected late, whole runs out
// of order) cost too many moves that way: beyond 8 moves per item it is std::sort after all. The
// order is the same either way (no two items are equal under `less`). std::sort of the 100k
// items took 1 % of the digest's time.
template <class It, class Less>
void sort_mostly_sorted(It begin, It end, Less less) {
  const auto n = static_cast<std::size_t>(end - begin);
  std::size_t budget = 8 * n;  // items moved
  for (It i = begin; i != end; ++i) {
    if (i == begin || !less(*i, *std::prev(i))) continue;
    const It place = std::upper_bound(begin, i, *i, less);
    const auto moved = static_cast<std::size_t>(i - place) + 1;
    if (moved > budget) {
      std::sort(begin, end, less);
      return;
    }
    budget -= moved;
    std::rotate(place, i, std::next(i));
  }
}

// Appends the rows of a digest_items() query to `out`. Without `titles` the phase is not
// titled: `phase` holds the phase's key for titled() (a read on another thread asks nothing of
// the caller's function).
void read_items(Statement& s, bool current, PhaseTitles* titles, const RoomPlaces* places,
                std::vector<core::DigestItem>& out) {
  while (s.step()) {
    core::DigestItem& item = out.emplace_back();
    item.id = s.column_view(0);
    item.written_at = from_ms(s.column_int(4));
    split_tags(s.column_view(7), item.tags);
    item.votes = static_cast<int>(s.column_int(8));
    item.current = current;
    if (!s.column_is_null(11)) item.curated = s.column_int(11);
    // Terms not (yet) indexed, or unreadable: the digest analyses the body instead.
    item.indexed = !s.column_is_null(9) && decode_term_keys(s.column_blob(9), item.term_keys);
    // The previous period only counts towards growth: no city, author, phase or text needed
    // (the text only if the digest has to analyse it).
    if (!current) {
      if (!item.indexed) item.body = s.column_view(3);
      continue;
    }
    if (places == nullptr) {
      item.city = s.column_view(1);
    } else {
      const auto [city, network_room] = places->of(s.column_view(10));
      item.city = city;
      item.network_room = network_room;
    }
    item.author = s.column_view(2);
    item.body = s.column_view(3);
    const std::string_view template_key = s.column_view(5);
    const std::string_view phase_key = s.column_view(6);
    if (!phase_key.empty()) {
      item.round_template = template_key;
      if (titles == nullptr) {
        item.phase = phase_key;
        continue;
      }
      const PhaseName& name = titles->of(template_key, phase_key);
      item.phase = name.title;
      item.phase_index = name.index;
    }
  }
}

// Titles the phases of items that read_items() read without titles.
void titled(std::span<core::DigestItem> items, PhaseTitles& titles) {
  for (core::DigestItem& item : items) {
    if (item.phase.empty()) continue;
    const PhaseName& name = titles.of(item.round_template, item.phase);
    item.phase = name.title;
    item.phase_index = name.index;
  }
}

}  // namespace

void digest_items(Store& store, const std::string& room, TimePoint from, TimePoint to, bool current,
                  const PhaseTitle& phase_title, std::vector<core::DigestItem>& out,
                  const std::vector<std::string>& network_rooms, const RoomPlaces* places,
                  std::size_t split_rows) {
  // The network's period (all rooms: the large read, 100k rows and more) as a range of the
  // table itself. The table is filled in time order (migration 7), so the period's rows are one
  // run of rowids: their first and last rowid come from the time index alone (it holds the
  // rowid), and the rows are read in rowid order, each page once, with the same conditions as
  // before (a row of another period inside the run is skipped; one written later with an older
  // time is still in the range). Through the time index each row cost a seek into the table, and
  // the order by (time, event id) a sort in a temporary B-tree; the rows are put in that order
  // below instead, only if the rowid order is not already it. A run that holds more than twice
  // the period's rows (an old message collected late, say) is read through the time index as
  // before, so a late row never makes a digest scan the table.
  const std::size_t first = out.size();
  const bool listed = !network_rooms.empty();
  // A query of the period's items with its period and the scope of the moderators' corrections
  // bound.
  const auto bound = [&](Statement statement) {
    bind_period(statement, room, from, to, network_rooms);
    statement.bind(5, std::string_view(room));
    return statement;
  };
  std::optional<Statement> ranged;
  // A large run is read in two halves at once: the later half on another thread, through a
  // second (read-only) connection to the same file, appended after the first half when both are
  // done — the same rows in the same order. (The store has one writer, the thread that builds
  // the digest; while its transaction holds the write lock nobody else commits.)
  std::vector<core::DigestItem> later;
  std::optional<Connection> second;
  std::exception_ptr reader_failed;
  bool reader_gave_up = false;
  std::int64_t later_low = 0;
  std::int64_t later_high = 0;
  std::optional<std::jthread> reader;  // (joins before the variables above go)
  if (room.empty()) {
    Statement range(store.connection(),
                    "SELECT min(id), max(id), count(*) FROM contributions "
                    "WHERE written_at >= ?1 AND written_at < ?2");
    range.bind(1, to_ms(from)).bind(2, to_ms(to));
    if (!range.step() || range.column_is_null(0)) return;  // nothing in the period
    const std::int64_t low = range.column_int(0);
    const std::int64_t high = range.column_int(1);
    const std::int64_t rows = range.column_int(2);
    // Room for the period's rows at once: growing by doubling moved every item already read
    // (seven strings and two vectors each) again and again.
    out.reserve(out.size() + static_cast<std::size_t>(rows));
    if (high - low + 1 <= 2 * rows) {
      std::int64_t middle = high;
      // (Not if this connection's transaction has changed rows: a contribution collected in
      // the same batch, a vote counted, would be missing from the other connection's half.)
      if (split_rows > 0 && static_cast<std::uint64_t>(rows) >= split_rows &&
          store.connection().others_read_the_same()) {
        const std::string path = store.connection().path();
        try {
          if (!path.empty()) second.emplace(path, OpenMode::read_only);
        } catch (const StoreError&) {
          // (Read in one piece, as a small period is.)
        }
      }
      if (second) {
        middle = low + (high - low) / 2;
        later_low = middle + 1;
        later_high = high;
        later.reserve(static_cast<std::size_t>(rows) / 2 + 1);
        reader.emplace([&, middle, high] {
          try {
            Statement s = bound(ranged_items(*second, listed, middle + 1, high));
            read_items(s, current, nullptr, places, later);
          } catch (const StoreError&) {
            reader_gave_up = true;  // (the half is read again on this connection)
          } catch (...) {
            reader_failed = std::current_exception();
          }
        });
      }
      ranged.emplace(ranged_items(store.connection(), listed, low, middle));
    }
  }
  if (!ranged) {
    ranged.emplace(store.connection(), std::string(kItemColumns) + period_clause(room, listed));
  }
  Statement s = bound(std::move(*ranged));
  PhaseTitles titles(phase_title);
  read_items(s, current, &titles, places, out);
  if (reader) {
    reader->join();
    if (reader_failed) std::rethrow_exception(reader_failed);
    if (reader_gave_up) {
      // The second connection could not read its half (busy, say): this one reads it.
      Statement rest = bound(ranged_items(store.connection(), listed, later_low, later_high));
      read_items(rest, current, &titles, places, out);
    } else {
      titled(later, titles);
      out.insert(out.end(), std::make_move_iterator(later.begin()),
                 std::make_move_iterator(later.end()));
    }
  }
  // Oldest first, ties by event id (as ORDER BY c.written_at, c.event_id would give them).
  const auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
  const auto before = [](const core::DigestItem& a, const core::DigestItem& b) {
    return a.written_at != b.written_at ? a.written_at < b.written_at : a.id < b.id;
  };
  if (!std::is_sorted(begin, out.end(), before)) sort_mostly_sorted(begin, out.end(), before);
}

bool any_contribution(Store& store, TimePoint from, TimePoint to) {
  Statement s(store.connection(),
              "SELECT 1 FROM contributions WHERE written_at >= ?1 AND written_at < ?2 LIMIT 1");
  s.bind(1, to_ms(from)).bind(2, to_ms(to));
  return s.step();
}

std::map<std::int64_t, std::string> curated_context(Store& store, const std::string& scope_room,
                                                    TimePoint before, std::size_t per_group,
                                                    std::vector<core::DigestItem>& anchors) {
  // Each group once with its name, joined to its newest members before the period (none: one
  // row with NULLs). The window runs over the scope's pinned members only, a small table.
  Statement s(store.connection(),
              "WITH a AS (SELECT m.group_id, m.event_id, ROW_NUMBER() OVER (PARTITION BY "
              "m.group_id ORDER BY c.written_at DESC, c.event_id DESC) AS n "
              "FROM curated_members m JOIN contributions c ON c.event_id = m.event_id "
              "WHERE m.scope_room = ?1 AND c.written_at < ?2) "
              "SELECT g.id, g.name, c.event_id, c.written_at, c.tags, c.terms, c.body "
              "FROM curated_groups g LEFT JOIN a ON a.group_id = g.id AND a.n <= ?3 "
              "LEFT JOIN contributions c ON c.event_id = a.event_id "
              "WHERE g.scope_room = ?1 ORDER BY g.id, c.written_at, c.event_id");
  s.bind(1, std::string_view(scope_room)).bind(2, to_ms(before));
  s.bind(3, static_cast<std::int64_t>(per_group));
  std::map<std::int64_t, std::string> names;
  while (s.step()) {
    const std::int64_t id = s.column_int(0);
    names.emplace(id, s.column_text(1));
    if (s.column_is_null(2)) continue;
    core::DigestItem& item = anchors.emplace_back();
    item.id = s.column_view(2);
    item.written_at = from_ms(s.column_int(3));
    split_tags(s.column_view(4), item.tags);
    item.current = false;
    item.anchor = true;
    item.curated = id;
    item.indexed = !s.column_is_null(5) && decode_term_keys(s.column_blob(5), item.term_keys);
    if (!item.indexed) item.body = s.column_view(6);
  }
  return names;
}

std::vector<CuratedGroup> curated_groups(Store& store, const std::string& scope_room) {
  Statement s(store.connection(),
              "SELECT g.id, g.name, m.event_id FROM curated_groups g "
              "JOIN curated_members m ON m.group_id = g.id "
              "JOIN contributions c ON c.event_id = m.event_id WHERE g.scope_room = ? "
              "ORDER BY g.id, c.written_at, c.event_id");
  s.bind(1, std::string_view(scope_room));
  std::vector<CuratedGroup> out;
  while (s.step()) {
    if (out.empty() || out.back().id != s.column_int(0)) {
      out.push_back(CuratedGroup{s.column_int(0), s.column_text(1), {}});
    }
    out.back().members.push_back(s.column_text(2));
  }
  return out;
}

std::optional<CuratedGroup> curated_group_of(Store& store, const std::string& scope_room,
                                             const std::string& event_id) {
  Statement s(store.connection(),
              "SELECT g.id, g.name, m.event_id FROM curated_members p "
              "JOIN curated_groups g ON g.id = p.group_id "
              "JOIN curated_members m ON m.group_id = g.id "
              "JOIN contributions c ON c.event_id = m.event_id "
              "WHERE p.scope_room = ? AND p.event_id = ? ORDER BY c.written_at, c.event_id");
  s.bind(1, std::string_view(scope_room)).bind(2, std::string_view(event_id));
  std::optional<CuratedGroup> out;
  while (s.step()) {
    if (!out) out = CuratedGroup{s.column_int(0), s.column_text(1), {}};
    out->members.push_back(s.column_text(2));
  }
  return out;
}

std::optional<int> digest_group_number(Store& store, std::int64_t digest_id,
                                       const std::string& event_id) {
  Statement s(store.connection(),
              "SELECT number FROM digest_members WHERE digest_id = ? AND event_id = ? LIMIT 1");
  s.bind(1, digest_id).bind(2, std::string_view(event_id));
  if (!s.step()) return std::nullopt;
  return static_cast<int>(s.column_int(0));
}

std::vector<DigestRow> round_rows(Store& store, std::int64_t round_id) {
  Statement s(store.connection(),
              std::string(kRowSelect) + "WHERE c.round_id = ?1 ORDER BY c.written_at, c.event_id");
  s.bind(1, round_id);
  std::vector<DigestRow> rows;
  while (s.step()) rows.push_back(read_row(s));
  return rows;
}

std::optional<RoundSpan> last_round(Store& store, const std::string& room) {
  Statement s(store.connection(),
              "SELECT id, room_id, started_at, ended_at FROM rounds WHERE room_id = ? "
              "ORDER BY started_at DESC, id DESC LIMIT 1");
  s.bind(1, std::string_view(room));
  return read_span(s);
}

std::optional<RoundSpan> round_span(Store& store, std::int64_t round_id) {
  Statement s(store.connection(),
              "SELECT id, room_id, started_at, ended_at FROM rounds WHERE id = ?");
  s.bind(1, round_id);
  return read_span(s);
}

std::vector<core::Lesson> lessons(Store& store, const std::string& room,
                                  const std::vector<std::string>& network_rooms,
                                  const RoomPlaces* places) {
  Statement s(store.connection(),
              std::string(kLessonColumns) +
                  (!room.empty() ? "room_id = ? ORDER BY id"
                   : network_rooms.empty()
                       ? "room_id NOT IN (SELECT room_id FROM rooms WHERE direct = 1) "
                         "ORDER BY id"
                       : "room_id NOT IN (SELECT room_id FROM rooms WHERE direct = 1) AND "
                         "room_id IN (SELECT value FROM json_each(?)) ORDER BY id"));
  if (!room.empty()) s.bind(1, std::string_view(room));
  if (room.empty() && !network_rooms.empty()) s.bind(1, rooms_json(network_rooms));
  std::vector<core::Lesson> out;
  while (s.step()) out.push_back(read_lesson(s));
  for (auto& lesson : out) add_sources(store, lesson, places);
  return out;
}

std::optional<core::Lesson> lesson(Store& store, std::int64_t id) {
  Statement s(store.connection(), std::string(kLessonColumns) + "id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  core::Lesson out = read_lesson(s);
  add_sources(store, out, nullptr);
  return out;
}

std::vector<LessonChange> lesson_history(Store& store, std::int64_t id) {
  Statement s(store.connection(),
              "SELECT change, changed_by, old_value, new_value, changed_at FROM lesson_history "
              "WHERE lesson_id = ? ORDER BY id");
  s.bind(1, id);
  std::vector<LessonChange> out;
  while (s.step()) {
    out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3),
                   from_ms(s.column_int(4))});
  }
  return out;
}

std::int64_t BatchScope::create_lesson(const std::string& room, const std::string& title,
                                       const std::vector<std::string>& sources, TimePoint now,
                                       const std::string& by) {
  Statement insert(store_.connection(),
                   "INSERT INTO lessons (room_id, title, state, created_at, updated_at) "
                   "VALUES (?, ?, 'identified', ?, ?) RETURNING id");
  insert.bind(1, std::string_view(room)).bind(2, std::string_view(title));
  insert.bind(3, to_ms(now)).bind(4, to_ms(now));
  insert.step();
  const std::int64_t id = insert.column_int(0);
  insert.reset();
  Statement source(store_.connection(),
                   "INSERT OR IGNORE INTO lesson_sources (lesson_id, event_id) "
                   "SELECT ?, event_id FROM contributions WHERE event_id = ?");
  for (const auto& event_id : sources) {
    source.bind(1, id).bind(2, std::string_view(event_id)).run();
  }
  record_change(store_, id, "created", by, "", title, now);
  return id;
}

void BatchScope::set_action(std::int64_t id, const std::string& action, const std::string& owner,
                            std::chrono::year_month_day due, TimePoint now, const std::string& by) {
  Statement s(store_.connection(),
              "UPDATE lessons SET state = 'action', action = ?, owner = ?, due = ?, updated_at = ? "
              "WHERE id = ?");
  const std::string due_text = core::iso_date(due);
  s.bind(1, std::string_view(action)).bind(2, std::string_view(owner));
  s.bind(3, std::string_view(due_text)).bind(4, to_ms(now)).bind(5, id).run();
  record_change(store_, id, "action", by, "", action + " | " + owner + " | " + due_text, now);
}

void BatchScope::mark_learned(std::int64_t id, TimePoint now, const std::string& by) {
  Statement s(store_.connection(),
              "UPDATE lessons SET state = 'learned', updated_at = ? WHERE id = ?");
  s.bind(1, to_ms(now)).bind(2, id).run();
  record_change(store_, id, "learned", by, "", "", now);
}

namespace {

// Sets one text column of a lesson and records the change with the old value.
void change_lesson(Store& store, std::int64_t id, std::string_view column, std::string_view change,
                   std::string_view value, TimePoint now, std::string_view by) {
  const std::string old_value = lesson_column(store, id, column);
  Statement s(store.connection(),
              "UPDATE lessons SET " + std::string(column) + " = ?, updated_at = ? WHERE id = ?");
  s.bind(1, value).bind(2, to_ms(now)).bind(3, id).run();
  record_change(store, id, change, by, old_value, value, now);
}

}  // namespace

void BatchScope::retitle_lesson(std::int64_t id, const std::string& title, TimePoint now,
                                const std::string& by) {
  change_lesson(store_, id, "title", "title", title, now, by);
}

void BatchScope::set_action_owner(std::int64_t id, const std::string& owner, TimePoint now,
                                  const std::string& by) {
  change_lesson(store_, id, "owner", "owner", owner, now, by);
}

void BatchScope::set_action_due(std::int64_t id, std::chrono::year_month_day due, TimePoint now,
                                const std::string& by) {
  change_lesson(store_, id, "due", "due", core::iso_date(due), now, by);
}

void BatchScope::remove_action(std::int64_t id, TimePoint now, const std::string& by) {
  const std::string old_value =
      lesson_column(store_, id, "action || ' | ' || owner || ' | ' || due");
  Statement s(store_.connection(),
              "UPDATE lessons SET state = 'identified', action = '', owner = '', due = '', "
              "updated_at = ? WHERE id = ?");
  s.bind(1, to_ms(now)).bind(2, id).run();
  record_change(store_, id, "action_removed", by, old_value, "", now);
}

void BatchScope::remove_lesson(std::int64_t id, TimePoint now, const std::string& by) {
  Statement s(store_.connection(), "UPDATE lessons SET updated_at = ? WHERE id = ?");
  s.bind(1, to_ms(now)).bind(2, id).run();
  record_change(store_, id, "removed", by, lesson_column(store_, id, "title"), "", now);
}

namespace {

constexpr std::string_view kDigestColumns =
    "SELECT d.id, d.number, d.room_id, d.scope_room, d.period_from, d.period_to, d.posted_at "
    "FROM digests d ";

DigestRecord read_digest(const Statement& s) {
  DigestRecord record;
  record.id = s.column_int(0);
  record.number = s.column_int(1);
  record.room_id = s.column_text(2);
  record.scope_room = s.column_text(3);
  record.from = from_ms(s.column_int(4));
  record.to = from_ms(s.column_int(5));
  record.posted_at = from_ms(s.column_int(6));
  return record;
}

}  // namespace

DigestRecord BatchScope::create_digest(const std::string& room, const std::string& scope_room,
                                       TimePoint from, TimePoint to, TimePoint now) {
  Statement insert(store_.connection(),
                   "INSERT INTO digests (room_id, number, scope_room, period_from, period_to, "
                   "posted_at) VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM digests "
                   "WHERE room_id = ?1), ?2, ?3, ?4, ?5) RETURNING id, number");
  insert.bind(1, std::string_view(room)).bind(2, std::string_view(scope_room));
  insert.bind(3, to_ms(from)).bind(4, to_ms(to)).bind(5, to_ms(now));
  insert.step();
  DigestRecord record{insert.column_int(0), insert.column_int(1), room, scope_room, from, to, now};
  insert.reset();
  // Their groups and messages go with them (ON DELETE CASCADE).
  Statement prune(store_.connection(), "DELETE FROM digests WHERE room_id = ? AND number <= ?");
  prune.bind(1, std::string_view(room))
      .bind(2, record.number - static_cast<std::int64_t>(kKeptDigests))
      .run();
  return record;
}

void BatchScope::save_digest_groups(std::int64_t digest_id,
                                    const std::vector<std::vector<std::string>>& groups) {
  Statement insert(store_.connection(),
                   "INSERT OR IGNORE INTO digest_members (digest_id, number, event_id) "
                   "SELECT ?, ?, event_id FROM contributions WHERE event_id = ?");
  for (std::size_t n = 0; n < groups.size(); ++n) {
    for (const auto& event_id : groups[n]) {
      insert.bind(1, digest_id)
          .bind(2, static_cast<std::int64_t>(n + 1))
          .bind(3, std::string_view(event_id))
          .run();
    }
  }
}

void BatchScope::add_digest_message(std::int64_t digest_id, const std::string& txn_id) {
  Statement insert(store_.connection(),
                   "INSERT OR IGNORE INTO digest_messages (txn_id, digest_id) VALUES (?, ?)");
  insert.bind(1, std::string_view(txn_id)).bind(2, digest_id).run();
}

std::vector<std::string> digest_group(Store& store, std::int64_t digest_id, int number) {
  Statement s(
      store.connection(),
      "SELECT event_id FROM digest_members WHERE digest_id = ? AND number = ? ORDER BY event_id");
  s.bind(1, digest_id).bind(2, static_cast<std::int64_t>(number));
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

std::vector<DigestRecord> latest_digests(Store& store, const std::string& room, std::size_t limit) {
  Statement s(store.connection(),
              std::string(kDigestColumns) + "WHERE d.room_id = ? ORDER BY d.number DESC LIMIT ?");
  s.bind(1, std::string_view(room)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<DigestRecord> out;
  while (s.step()) out.push_back(read_digest(s));
  return out;
}

std::optional<DigestRecord> digest_numbered(Store& store, const std::string& room,
                                            std::int64_t number) {
  Statement s(store.connection(),
              std::string(kDigestColumns) + "WHERE d.room_id = ? AND d.number = ?");
  s.bind(1, std::string_view(room)).bind(2, number);
  if (!s.step()) return std::nullopt;
  return read_digest(s);
}

std::optional<DigestRecord> digest_replied_to(Store& store, const std::string& room,
                                              const std::string& event_id) {
  // From the few kept digests' messages to the outbox by its unique txn id: no scan of the
  // outbox, which has a row for every ✅ the bot sent.
  Statement s(store.connection(),
              std::string(kDigestColumns) +
                  "JOIN digest_messages m ON m.digest_id = d.id "
                  "CROSS JOIN outbox o ON o.txn_id = m.txn_id "
                  "WHERE d.room_id = ?1 AND o.room_id = ?1 AND o.remote_event_id = ?2 LIMIT 1");
  s.bind(1, std::string_view(room)).bind(2, std::string_view(event_id));
  if (!s.step()) return std::nullopt;
  return read_digest(s);
}

std::optional<std::pair<DigestRecord, int>> digest_listing(Store& store, const std::string& room,
                                                           const std::string& event_id) {
  Statement s(store.connection(),
              std::string(kDigestColumns) +
                  ", digest_members m WHERE m.digest_id = d.id AND d.room_id = ? AND "
                  "m.event_id = ? ORDER BY d.number DESC LIMIT 1");
  s.bind(1, std::string_view(room)).bind(2, std::string_view(event_id));
  if (!s.step()) return std::nullopt;
  DigestRecord record = read_digest(s);
  const auto number = digest_group_number(store, record.id, event_id);
  if (!number) return std::nullopt;
  return std::make_pair(std::move(record), *number);
}

std::vector<std::string> moved_since(Store& store, const DigestRecord& digest,
                                     const std::vector<std::string>& events) {
  Statement s(store.connection(),
              "SELECT 1 FROM curated_members WHERE scope_room = ? AND event_id = ? AND "
              "moved_after >= ?");
  std::vector<std::string> out;
  for (const auto& event_id : events) {
    s.bind(1, std::string_view(digest.scope_room)).bind(2, std::string_view(event_id));
    s.bind(3, digest.id);
    if (s.step()) out.push_back(event_id);
    s.reset();
  }
  return out;
}

std::int64_t BatchScope::curate(const std::string& scope_room,
                                const std::vector<std::string>& events, TimePoint now) {
  // The curated groups these contributions are pinned to already: the oldest stays.
  Statement pinned(store_.connection(),
                   "SELECT group_id FROM curated_members WHERE scope_room = ? AND event_id = ?");
  std::set<std::int64_t> groups;
  for (const auto& event_id : events) {
    pinned.bind(1, std::string_view(scope_room)).bind(2, std::string_view(event_id));
    if (pinned.step()) groups.insert(pinned.column_int(0));
    pinned.reset();
  }
  std::int64_t target = 0;
  if (!groups.empty()) {
    target = *groups.begin();
  } else {
    Statement exists(store_.connection(), "SELECT 1 FROM contributions WHERE event_id = ?");
    bool any = false;
    for (const auto& event_id : events) {
      exists.bind(1, std::string_view(event_id));
      any = any || exists.step();
      exists.reset();
    }
    if (!any) return 0;
    Statement insert(store_.connection(),
                     "INSERT INTO curated_groups (scope_room, created_at, updated_at) "
                     "VALUES (?, ?, ?) RETURNING id");
    insert.bind(1, std::string_view(scope_room)).bind(2, to_ms(now)).bind(3, to_ms(now));
    insert.step();
    target = insert.column_int(0);
  }
  // Another curated group's members and (if the target has none) its name move into it.
  for (const std::int64_t other : groups) {
    if (other == target) continue;
    Statement name(store_.connection(),
                   "UPDATE curated_groups SET name = (SELECT name FROM curated_groups WHERE id = "
                   "?2) WHERE id = ?1 AND name = ''");
    name.bind(1, target).bind(2, other).run();
    Statement move(store_.connection(),
                   "UPDATE curated_members SET group_id = ?1, pinned_at = ?3 WHERE group_id = ?2");
    move.bind(1, target).bind(2, other).bind(3, to_ms(now)).run();
  }
  Statement pin(store_.connection(),
                "INSERT INTO curated_members (scope_room, event_id, group_id, pinned_at) "
                "SELECT ?1, event_id, ?3, ?4 FROM contributions WHERE event_id = ?2 "
                "ON CONFLICT (scope_room, event_id) DO UPDATE SET group_id = excluded.group_id, "
                "pinned_at = excluded.pinned_at");
  for (const auto& event_id : events) {
    pin.bind(1, std::string_view(scope_room)).bind(2, std::string_view(event_id));
    pin.bind(3, target).bind(4, to_ms(now)).run();
  }
  Statement touch(store_.connection(), "UPDATE curated_groups SET updated_at = ? WHERE id = ?");
  touch.bind(1, to_ms(now)).bind(2, target).run();
  return target;
}

std::int64_t BatchScope::curate_alone(const std::string& scope_room, const std::string& event_id,
                                      TimePoint now) {
  if (!store_.contribution(event_id)) return 0;
  Statement insert(store_.connection(),
                   "INSERT INTO curated_groups (scope_room, created_at, updated_at) "
                   "VALUES (?, ?, ?) RETURNING id");
  insert.bind(1, std::string_view(scope_room)).bind(2, to_ms(now)).bind(3, to_ms(now));
  insert.step();
  const std::int64_t id = insert.column_int(0);
  insert.reset();
  pin_curated(scope_room, event_id, id, now);
  return id;
}

void BatchScope::pin_curated(const std::string& scope_room, const std::string& event_id,
                             std::int64_t group_id, TimePoint now) {
  Statement pin(store_.connection(),
                "INSERT INTO curated_members (scope_room, event_id, group_id, pinned_at, "
                "moved_after) SELECT ?1, event_id, ?3, ?4, (SELECT COALESCE(MAX(id), 0) FROM "
                "digests) FROM contributions WHERE event_id = ?2 "
                "ON CONFLICT (scope_room, event_id) DO UPDATE SET "
                "group_id = excluded.group_id, pinned_at = excluded.pinned_at, "
                "moved_after = excluded.moved_after");
  pin.bind(1, std::string_view(scope_room)).bind(2, std::string_view(event_id));
  pin.bind(3, group_id).bind(4, to_ms(now)).run();
  Statement touch(store_.connection(), "UPDATE curated_groups SET updated_at = ? WHERE id = ?");
  touch.bind(1, to_ms(now)).bind(2, group_id).run();
}

void BatchScope::rename_curated(std::int64_t group_id, const std::string& name, TimePoint now) {
  Statement s(store_.connection(),
              "UPDATE curated_groups SET name = ?, updated_at = ? WHERE id = ?");
  s.bind(1, std::string_view(name)).bind(2, to_ms(now)).bind(3, group_id).run();
}

std::optional<TimePoint> last_digest_slot(Store& store) {
  Statement s(store.connection(), "SELECT max(slot) FROM digest_runs");
  if (!s.step() || s.column_is_null(0)) return std::nullopt;
  return from_ms(s.column_int(0));
}

void BatchScope::record_digest_slot(TimePoint slot, TimePoint now) {
  Statement s(store_.connection(),
              "INSERT OR IGNORE INTO digest_runs (slot, posted_at) VALUES (?, ?)");
  s.bind(1, to_ms(slot)).bind(2, to_ms(now)).run();
}

std::optional<TimePoint> schedule_active_since(Store& store, const std::string& spec) {
  Statement get(store.connection(), "SELECT spec, active_since FROM digest_schedule WHERE id = 1");
  if (get.step() && get.column_text(0) == spec) return from_ms(get.column_int(1));
  return std::nullopt;
}

void BatchScope::activate_schedule(const std::string& spec, TimePoint now) {
  Statement put(store_.connection(),
                "INSERT INTO digest_schedule (id, spec, active_since) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, "
                "active_since = excluded.active_since");
  put.bind(1, std::string_view(spec)).bind(2, to_ms(now)).run();
}

}  // namespace reflexbot::store
