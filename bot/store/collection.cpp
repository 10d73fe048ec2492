// Rounds, contributions and votes. Not on the /sync hot path, so statements are prepared per call.

#include <algorithm>
#include <set>

#include "store/store.hpp"

namespace reflexbot::store {
namespace {

using core::TimePoint;

using core::from_ms;
using core::to_ms;

std::string_view state_name(core::RoundState state) {
  switch (state) {
    case core::RoundState::running:
      return "running";
    case core::RoundState::paused:
      return "paused";
    case core::RoundState::ended:
      return "ended";
  }
  return "ended";
}

core::RoundState state_from(std::string_view name) {
  if (name == "running") return core::RoundState::running;
  if (name == "paused") return core::RoundState::paused;
  return core::RoundState::ended;
}

std::string_view via_name(core::CollectedVia via) {
  switch (via) {
    case core::CollectedVia::round:
      return "round";
    case core::CollectedVia::tag:
      return "tag";
    case core::CollectedVia::pin:
      return "pin";
    case core::CollectedVia::anonymous:
      return "anonymous";
  }
  return "round";
}

core::CollectedVia via_from(std::string_view name) {
  if (name == "tag") return core::CollectedVia::tag;
  if (name == "pin") return core::CollectedVia::pin;
  if (name == "anonymous") return core::CollectedVia::anonymous;
  return core::CollectedVia::round;
}

constexpr std::string_view kRoundColumns =
    "id, room_id, template_key, topic, started_by, phase_index, state, started_at, ended_at, "
    "phase_started_at, phase_deadline, remaining_when_paused_ms, reminder_sent, "
    "phase_length_override_min";

core::Round read_round(const Statement& s) {
  core::Round round;
  round.id = s.column_int(0);
  round.room_id = s.column_text(1);
  round.template_key = s.column_text(2);
  round.topic = s.column_text(3);
  round.started_by = s.column_text(4);
  round.phase_index = static_cast<std::size_t>(s.column_int(5));
  round.state = state_from(s.column_text(6));
  round.started_at = from_ms(s.column_int(7));
  round.ended_at = from_ms(s.column_int(8));
  round.phase_started_at = from_ms(s.column_int(9));
  round.phase_deadline = from_ms(s.column_int(10));
  round.remaining_when_paused = std::chrono::milliseconds(s.column_int(11));
  round.reminder_sent = s.column_int(12) != 0;
  round.phase_length_override = std::chrono::minutes(s.column_int(13));
  return round;
}

constexpr std::string_view kContributionColumns =
    "event_id, room_id, city, author, round_id, phase_key, body, written_at, collected_at, via";

core::Contribution read_contribution(Connection& connection, const Statement& s) {
  core::Contribution c;
  c.event_id = s.column_text(0);
  c.room_id = s.column_text(1);
  c.city = s.column_text(2);
  c.author = s.column_text(3);
  if (!s.column_is_null(4)) c.round = s.column_int(4);
  c.phase_key = s.column_text(5);
  c.body = s.column_text(6);
  c.written_at = from_ms(s.column_int(7));
  c.collected_at = from_ms(s.column_int(8));
  c.via = via_from(s.column_text(9));
  Statement tags(connection, "SELECT tag FROM contribution_tags WHERE event_id = ? ORDER BY tag");
  tags.bind(1, c.event_id);
  while (tags.step()) c.tags.push_back(tags.column_text(0));
  return c;
}

constexpr std::string_view kInsertTag =
    "INSERT OR IGNORE INTO contribution_tags (event_id, tag) VALUES (?, ?)";

}  // namespace

std::int64_t BatchScope::save_round(const core::Round& round) {
  Connection& c = store_.connection_;
  if (round.id == 0) {
    Statement insert(c, "INSERT INTO rounds (" + std::string(kRoundColumns.substr(4)) +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, round.room_id)
        .bind(2, round.template_key)
        .bind(3, round.topic)
        .bind(4, round.started_by)
        .bind(5, static_cast<std::int64_t>(round.phase_index))
        .bind(6, state_name(round.state))
        .bind(7, to_ms(round.started_at))
        .bind(8, to_ms(round.ended_at))
        .bind(9, to_ms(round.phase_started_at))
        .bind(10, to_ms(round.phase_deadline))
        .bind(11, static_cast<std::int64_t>(round.remaining_when_paused.count()))
        .bind(12, std::int64_t{round.reminder_sent ? 1 : 0})
        .bind(13, static_cast<std::int64_t>(round.phase_length_override.count()))
        .run();
    Statement id(c, "SELECT last_insert_rowid()");
    id.step();
    return id.column_int(0);
  }
  Statement update(c,
                   "UPDATE rounds SET phase_index = ?, state = ?, ended_at = ?, "
                   "phase_started_at = ?, phase_deadline = ?, remaining_when_paused_ms = ?, "
                   "reminder_sent = ?, phase_length_override_min = ?, topic = ? WHERE id = ?");
  update.bind(1, static_cast<std::int64_t>(round.phase_index))
      .bind(2, state_name(round.state))
      .bind(3, to_ms(round.ended_at))
      .bind(4, to_ms(round.phase_started_at))
      .bind(5, to_ms(round.phase_deadline))
      .bind(6, static_cast<std::int64_t>(round.remaining_when_paused.count()))
      .bind(7, std::int64_t{round.reminder_sent ? 1 : 0})
      .bind(8, static_cast<std::int64_t>(round.phase_length_override.count()))
      .bind(9, round.topic)
      .bind(10, round.id)
      .run();
  return round.id;
}

Statement& Store::cached(std::unique_ptr<Statement>& slot, const std::string& sql) {
  if (!slot) slot = std::make_unique<Statement>(connection_, sql);
  return *slot;
}

void BatchScope::insert_tags(const std::string& event_id, const std::vector<std::string>& tags) {
  Statement& insert = store_.cached(store_.insert_tag_, std::string(kInsertTag));
  for (const auto& tag : tags) insert.bind(1, event_id).bind(2, tag).run();
}

bool BatchScope::add_contribution(const core::Contribution& contribution) {
  Connection& c = store_.connection_;
  Statement& insert =
      store_.cached(store_.insert_contribution_,
                    "INSERT OR IGNORE INTO contributions (" + std::string(kContributionColumns) +
                        ", terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, contribution.event_id)
      .bind(2, contribution.room_id)
      .bind(3, contribution.city)
      .bind(4, contribution.author);
  if (contribution.round) {
    insert.bind(5, *contribution.round);
  } else {
    insert.bind_null(5);
  }
  insert.bind(6, contribution.phase_key)
      .bind(7, contribution.body)
      .bind(8, to_ms(contribution.written_at))
      .bind(9, to_ms(contribution.collected_at))
      .bind(10, via_name(contribution.via));
  const std::string terms = store_.index_terms(contribution.body);
  insert.bind_blob(11, std::as_bytes(std::span(terms))).run();
  if (c.changes() == 0) return false;
  insert_tags(contribution.event_id, contribution.tags);
  return true;
}

bool BatchScope::edit_contribution(const std::string& event_id, const std::string& body,
                                   const std::vector<std::string>& tags) {
  Connection& c = store_.connection_;
  Statement update(c, "UPDATE contributions SET body = ?, terms = ? WHERE event_id = ?");
  const std::string terms = store_.index_terms(body);
  update.bind(1, body).bind_blob(2, std::as_bytes(std::span(terms))).bind(3, event_id).run();
  if (c.changes() == 0) return false;
  Statement clear(c, "DELETE FROM contribution_tags WHERE event_id = ?");
  clear.bind(1, event_id).run();
  insert_tags(event_id, tags);
  return true;
}

bool BatchScope::remove_contribution(const std::string& event_id) {
  Connection& c = store_.connection_;
  Statement remove(c, "DELETE FROM contributions WHERE event_id = ?");
  remove.bind(1, event_id).run();
  return c.changes() > 0;  // tags and votes go by ON DELETE CASCADE
}

bool BatchScope::add_vote(const std::string& reaction_event_id, const std::string& event_id,
                          const std::string& voter) {
  Connection& c = store_.connection_;
  Statement vote(c,
                 "INSERT OR IGNORE INTO votes (reaction_event_id, event_id, voter) "
                 "SELECT ?, event_id, ? FROM contributions WHERE event_id = ?");
  vote.bind(1, reaction_event_id).bind(2, voter).bind(3, event_id).run();
  return c.changes() > 0;
}

bool BatchScope::remove_vote(const std::string& reaction_event_id) {
  Connection& c = store_.connection_;
  Statement remove(c, "DELETE FROM votes WHERE reaction_event_id = ?");
  remove.bind(1, reaction_event_id).run();
  return c.changes() > 0;
}

std::int64_t BatchScope::forget_author(const std::string& author) {
  if (author.empty()) return 0;  // anonymous contributions belong to no one
  Connection& c = store_.connection_;
  Statement votes(c, "DELETE FROM votes WHERE voter = ?");
  votes.bind(1, author).run();
  std::int64_t removed = c.changes();
  Statement contributions(c, "DELETE FROM contributions WHERE author = ?");
  contributions.bind(1, author).run();
  return removed + c.changes();
}

void BatchScope::remember_forgotten(const std::string& author, std::int64_t now_ms) {
  if (author.empty()) return;
  Statement s(store_.connection_,
              "INSERT INTO forgotten_authors (author, forgotten_at) VALUES (?, ?) "
              "ON CONFLICT (author) DO UPDATE SET forgotten_at = excluded.forgotten_at");
  s.bind(1, author).bind(2, now_ms).run();
}

void BatchScope::request_pin(const std::string& room_id, const std::string& target_event_id,
                             std::int64_t now_ms) {
  Statement insert(store_.connection_,
                   "INSERT OR IGNORE INTO pin_requests (target_event_id, room_id, requested_at) "
                   "VALUES (?, ?, ?)");
  insert.bind(1, target_event_id).bind(2, room_id).bind(3, now_ms).run();
}

void BatchScope::finish_pin(const std::string& target_event_id) {
  Statement remove(store_.connection_, "DELETE FROM pin_requests WHERE target_event_id = ?");
  remove.bind(1, target_event_id).run();
}

std::vector<std::pair<std::string, std::string>> Store::pending_pins(std::size_t limit) {
  Statement s(connection_,
              "SELECT room_id, target_event_id FROM pin_requests ORDER BY requested_at, "
              "target_event_id LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::string, std::string>> pins;
  while (s.step()) pins.emplace_back(s.column_text(0), s.column_text(1));
  return pins;
}

std::optional<core::Round> Store::open_round(const std::string& room_id) {
  Statement& s = cached(open_round_, "SELECT " + std::string(kRoundColumns) +
                                         " FROM rounds WHERE room_id = ? AND state <> 'ended'");
  s.bind(1, room_id);
  std::optional<core::Round> round;
  if (s.step()) round = read_round(s);
  s.reset();
  return round;
}

std::vector<core::Round> Store::open_rounds() {
  Statement s(connection_, "SELECT " + std::string(kRoundColumns) +
                               " FROM rounds WHERE state <> 'ended' ORDER BY id");
  std::vector<core::Round> rounds;
  while (s.step()) rounds.push_back(read_round(s));
  return rounds;
}

std::optional<core::Contribution> Store::contribution(const std::string& event_id) {
  Statement s(connection_, "SELECT " + std::string(kContributionColumns) +
                               " FROM contributions WHERE event_id = ?");
  s.bind(1, event_id);
  if (!s.step()) return std::nullopt;
  return read_contribution(connection_, s);
}

std::vector<core::Contribution> Store::contributions_by(const std::string& author) {
  std::vector<core::Contribution> found;
  if (author.empty()) return found;
  Statement s(connection_,
              "SELECT " + std::string(kContributionColumns) +
                  " FROM contributions WHERE author = ? ORDER BY written_at, event_id");
  s.bind(1, author);
  while (s.step()) found.push_back(read_contribution(connection_, s));
  return found;
}

core::PhaseSummary Store::summarize(std::int64_t round_id, const std::string& phase_key) {
  const std::string where =
      phase_key.empty() ? "round_id = ?1" : "round_id = ?1 AND phase_key = ?2";
  core::PhaseSummary summary;
  Statement totals(
      connection_,
      "SELECT COUNT(*), COUNT(DISTINCT NULLIF(author, '')) FROM contributions WHERE " + where);
  totals.bind(1, round_id);
  if (!phase_key.empty()) totals.bind(2, phase_key);
  totals.step();
  summary.contributions = static_cast<int>(totals.column_int(0));
  summary.participants = static_cast<int>(totals.column_int(1));

  // Cities in the order they first contributed.
  Statement cities(connection_, "SELECT city FROM contributions WHERE " + where +
                                    " AND city <> '' GROUP BY city ORDER BY MIN(written_at), city");
  cities.bind(1, round_id);
  if (!phase_key.empty()) cities.bind(2, phase_key);
  while (cities.step()) summary.cities.push_back(cities.column_text(0));

  Statement tags(connection_,
                 "SELECT t.tag, COUNT(*) FROM contribution_tags t JOIN contributions c "
                 "USING (event_id) WHERE " +
                     std::string(phase_key.empty() ? "c.round_id = ?1"
                                                   : "c.round_id = ?1 AND c.phase_key = ?2") +
                     " GROUP BY t.tag");
  tags.bind(1, round_id);
  if (!phase_key.empty()) tags.bind(2, phase_key);
  while (tags.step()) summary.per_tag[tags.column_text(0)] = static_cast<int>(tags.column_int(1));
  return summary;
}

core::AuthorCounts Store::count_by_author(const std::string& author) {
  if (author.empty()) return {};
  Statement s(connection_,
              "SELECT (SELECT COUNT(*) FROM contributions WHERE author = ?1), "
              "(SELECT COUNT(*) FROM votes WHERE voter = ?1)");
  s.bind(1, author);
  s.step();
  return {s.column_int(0), s.column_int(1)};
}

std::int64_t Store::votes(const std::string& event_id) {
  Statement s(connection_, "SELECT COUNT(*) FROM votes WHERE event_id = ?");
  s.bind(1, event_id);
  s.step();
  return s.column_int(0);
}

std::optional<std::int64_t> Store::forgotten_at(const std::string& author) {
  Statement s(connection_, "SELECT forgotten_at FROM forgotten_authors WHERE author = ?");
  s.bind(1, author);
  if (!s.step()) return std::nullopt;
  return s.column_int(0);
}

std::optional<Store::Vote> Store::vote(const std::string& reaction_event_id) {
  Statement s(connection_,
              "SELECT c.room_id, v.voter FROM votes v JOIN contributions c ON c.event_id = "
              "v.event_id WHERE v.reaction_event_id = ?");
  s.bind(1, reaction_event_id);
  if (!s.step()) return std::nullopt;
  return Vote{s.column_text(0), s.column_text(1)};
}

}  // namespace reflexbot::store
