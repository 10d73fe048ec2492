// Rounds, contributions and votes. Statements run for every collected message, 👍 or 📌 of a
// batch are prepared once (Store::cached); the others per call.

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

// What a contribution is read with: its columns and its `tags` (see tags_column()).
constexpr std::string_view kContributionRead =
    "event_id, room_id, city, author, round_id, phase_key, body, written_at, collected_at, via, "
    "tags";

// The tags of a `tags` column, in its order.
void split_tags(std::string_view tags, std::vector<std::string>& out) {
  while (!tags.empty()) {
    const auto comma = tags.find(',');
    if (comma != 0) out.emplace_back(tags.substr(0, comma));
    if (comma == std::string_view::npos) break;
    tags.remove_prefix(comma + 1);
  }
}

// A contribution from a row of kContributionRead.
core::Contribution read_contribution(const Statement& s) {
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
  split_tags(s.column_view(10), c.tags);
  return c;
}

// The `tags` column, where a contribution's tags are kept (since migration 23; before, triggers
// made it from the rows of contribution_tags): the distinct tags in byte order, joined by commas.
// Tags are keys of the vocabulary, which have no commas.
std::string tags_column(std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  std::string column;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) column += ',';
    column += tags[i];
  }
  return column;
}

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
    const std::int64_t new_id = id.column_int(0);
    if (!round.thread_root.empty()) {
      Statement thread(c, "INSERT INTO round_threads (round_id, root_event_id) VALUES (?, ?)");
      thread.bind(1, new_id).bind(2, round.thread_root).run();
    }
    record_span(round, new_id);
    return new_id;
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
  record_span(round, round.id);
  return round.id;
}

void BatchScope::record_span(const core::Round& round, std::int64_t round_id) {
  Connection& c = store_.connection_;
  const bool paused = round.state == core::RoundState::paused;
  bool has_open = false;
  {
    Statement open(c,
                   "SELECT phase_index, paused FROM round_spans WHERE round_id = ? AND "
                   "until IS NULL");
    open.bind(1, round_id);
    if (open.step()) {
      has_open = true;
      // A save without a change of phase or state (a reminder, an extension) keeps the span.
      if (round.state != core::RoundState::ended &&
          static_cast<std::size_t>(open.column_int(0)) == round.phase_index &&
          (open.column_int(1) != 0) == paused) {
        return;
      }
    }
  }
  if (has_open) {
    Statement close(c, "UPDATE round_spans SET until = ? WHERE round_id = ? AND until IS NULL");
    close.bind(1, to_ms(round.changed_at)).bind(2, round_id).run();
  }
  if (round.state == core::RoundState::ended) return;
  Statement insert(c,
                   "INSERT INTO round_spans (round_id, room_id, phase_index, paused, since) "
                   "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, round_id)
      .bind(2, round.room_id)
      .bind(3, static_cast<std::int64_t>(round.phase_index))
      .bind(4, std::int64_t{paused ? 1 : 0})
      .bind(5, to_ms(round.changed_at))
      .run();
}

Statement& Store::cached(std::unique_ptr<Statement>& slot, const std::string& sql) {
  if (!slot) slot = std::make_unique<Statement>(connection_, sql);
  return *slot;
}

bool BatchScope::add_contribution(const core::Contribution& contribution, bool ack) {
  Connection& c = store_.connection_;
  // The ✅ owed goes after the outbox's rows queued so far (the highest id: AUTOINCREMENT gives
  // every later row a higher one), so it passes no anonymous post or picture of its room.
  Statement& insert = store_.cached(
      store_.insert_contribution_,
      "INSERT OR IGNORE INTO contributions (" + std::string(kContributionColumns) +
          ", terms, tags, ack) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "CASE WHEN ?13 THEN COALESCE((SELECT id FROM outbox ORDER BY id DESC LIMIT 1), 0) "
          "END)");
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
  // Its index terms are made after the commit (Store::index_pending): the text analysis and its
  // dictionaries stay off the batch. Until then digests and summaries analyse the body.
  insert.bind_null(11)
      .bind(12, tags_column(contribution.tags))
      .bind(13, std::int64_t{ack ? 1 : 0})
      .run();
  if (c.changes() == 0) return false;
  ++contributions_added_;
  return true;
}

bool BatchScope::edit_contribution(const std::string& event_id, const std::string& body,
                                   const std::vector<std::string>& tags,
                                   std::optional<std::int64_t> edited_at_ms) {
  Connection& c = store_.connection_;
  if (edited_at_ms) {
    // The latest edit wins, whatever order the edits are applied in.
    Statement mark(c,
                   "INSERT INTO contribution_edits (event_id, edited_at) "
                   "SELECT event_id, ?2 FROM contributions WHERE event_id = ?1 "
                   "ON CONFLICT (event_id) DO UPDATE SET edited_at = excluded.edited_at "
                   "WHERE contribution_edits.edited_at < excluded.edited_at");
    mark.bind(1, event_id).bind(2, *edited_at_ms).run();
    if (c.changes() == 0) return false;
  }
  // The terms of the new body are made after the commit, as for a new contribution.
  Statement update(c,
                   "UPDATE contributions SET body = ?, tags = ?, terms = NULL WHERE event_id = ?");
  update.bind(1, body).bind(2, tags_column(tags)).bind(3, event_id).run();
  return c.changes() > 0;
}

bool BatchScope::remove_contribution(const std::string& event_id) {
  Connection& c = store_.connection_;
  Statement remove(c, "DELETE FROM contributions WHERE event_id = ?");
  remove.bind(1, event_id).run();
  return c.changes() > 0;  // votes go by ON DELETE CASCADE
}

bool BatchScope::withdraw_contribution(const std::string& event_id) {
  Connection& c = store_.connection_;
  // Its ✅ went out (-1): the outbox keeps the transaction id as a sent row, as it did when the
  // ✅ was an outbox row, so that the message collected again by a later edit gets no second.
  Statement keep(c,
                 "INSERT OR IGNORE INTO outbox (kind, room_id, event_type, txn_id, state, "
                 "attempts, created_at, sent_at) SELECT 'send', room_id, 'm.reaction', ?2, "
                 "'sent', 1, collected_at, collected_at FROM contributions "
                 "WHERE event_id = ?1 AND ack = -1");
  Statement room(c, "SELECT room_id FROM contributions WHERE event_id = ?");
  room.bind(1, event_id);
  if (!room.step()) return false;
  keep.bind(1, event_id).bind(2, ack_txn_id(room.column_text(0), event_id)).run();
  return remove_contribution(event_id);
}

bool BatchScope::add_vote(const std::string& reaction_event_id, const std::string& event_id,
                          const std::string& voter) {
  Connection& c = store_.connection_;
  Statement& vote =
      store_.cached(store_.insert_vote_,
                    "INSERT OR IGNORE INTO votes (reaction_event_id, event_id, voter) "
                    "SELECT ?, event_id, ? FROM contributions WHERE event_id = ?");
  vote.reset();
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
  removed += c.changes();
  // A moderator's changes of lessons stay in their history, without who made them.
  Statement history(c, "UPDATE lesson_history SET changed_by = '' WHERE changed_by = ?");
  history.bind(1, author).run();
  return removed;
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

void BatchScope::request_edit(const std::string& room_id, const std::string& original_event_id,
                              const std::string& edit_event_id, std::int64_t now_ms) {
  Statement insert(store_.connection_,
                   "INSERT OR IGNORE INTO edit_requests (edit_event_id, original_event_id, "
                   "room_id, requested_at) VALUES (?, ?, ?, ?)");
  insert.bind(1, edit_event_id).bind(2, original_event_id).bind(3, room_id).bind(4, now_ms).run();
}

void BatchScope::finish_edit(const std::string& edit_event_id) {
  Statement remove(store_.connection_, "DELETE FROM edit_requests WHERE edit_event_id = ?");
  remove.bind(1, edit_event_id).run();
}

void BatchScope::create_poll(const std::string& txn_id, const std::string& room_id,
                             const std::vector<std::pair<std::string, std::string>>& answers,
                             std::int64_t now_ms) {
  Connection& c = store_.connection_;
  Statement poll(c, "INSERT OR IGNORE INTO polls (txn_id, room_id, created_at) VALUES (?, ?, ?)");
  poll.bind(1, txn_id).bind(2, room_id).bind(3, now_ms).run();
  Statement answer(c,
                   "INSERT OR IGNORE INTO poll_answers (txn_id, answer_id, event_id) "
                   "SELECT ?, ?, event_id FROM contributions WHERE event_id = ?");
  for (const auto& [id, event_id] : answers) {
    answer.bind(1, txn_id).bind(2, id).bind(3, event_id).run();
  }
}

bool BatchScope::set_poll_vote(const std::string& txn_id, const std::string& voter,
                               const std::optional<std::string>& event_id) {
  Connection& c = store_.connection_;
  // One row per person and poll: its key names the poll and the voter, not an event.
  const std::string key = "poll:" + txn_id + ":" + voter;
  Statement remove(c, "DELETE FROM votes WHERE reaction_event_id = ?");
  remove.bind(1, key).run();
  bool changed = c.changes() > 0;
  if (event_id) {
    Statement vote(c,
                   "INSERT OR IGNORE INTO votes (reaction_event_id, event_id, voter) "
                   "SELECT ?, event_id, ? FROM contributions WHERE event_id = ?");
    vote.bind(1, key).bind(2, voter).bind(3, *event_id).run();
    changed = changed || c.changes() > 0;
  }
  return changed;
}

void BatchScope::close_poll(const std::string& txn_id, std::int64_t at_ms) {
  Statement close(store_.connection_,
                  "UPDATE polls SET closed_at = ? WHERE txn_id = ? AND closed_at IS NULL");
  close.bind(1, at_ms).bind(2, txn_id).run();
}

std::optional<Store::Poll> Store::poll_shown_as(const std::string& room_id,
                                                const std::string& event_id) {
  Statement s(connection_,
              "SELECT p.txn_id, o.remote_event_id, p.closed_at FROM outbox o JOIN polls p ON "
              "p.txn_id = o.txn_id WHERE o.remote_event_id = ?1 AND o.room_id = ?2 AND "
              "p.room_id = ?2 LIMIT 1");
  s.bind(1, event_id).bind(2, room_id);
  if (!s.step()) return std::nullopt;
  Poll poll{s.column_text(0), s.column_text(1), std::nullopt};
  if (!s.column_is_null(2)) poll.closed_at = s.column_int(2);
  return poll;
}

std::optional<Store::Poll> Store::open_poll(const std::string& room_id) {
  Statement s(connection_,
              "SELECT p.txn_id, COALESCE(o.remote_event_id, '') FROM polls p LEFT JOIN outbox o "
              "ON o.txn_id = p.txn_id WHERE p.room_id = ? AND p.closed_at IS NULL "
              "ORDER BY p.created_at DESC LIMIT 1");
  s.bind(1, room_id);
  if (!s.step()) return std::nullopt;
  return Poll{s.column_text(0), s.column_text(1), std::nullopt};
}

std::optional<std::string> Store::poll_answer(const std::string& txn_id,
                                              const std::string& answer_id) {
  Statement s(connection_, "SELECT event_id FROM poll_answers WHERE txn_id = ? AND answer_id = ?");
  s.bind(1, txn_id).bind(2, answer_id);
  if (!s.step()) return std::nullopt;
  return s.column_text(0);
}

std::vector<Store::EditRequest> Store::pending_edits(std::size_t limit) {
  Statement s(connection_,
              "SELECT room_id, original_event_id, edit_event_id FROM edit_requests ORDER BY id "
              "LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<EditRequest> edits;
  while (s.step()) edits.push_back({s.column_text(0), s.column_text(1), s.column_text(2)});
  return edits;
}

std::optional<core::Contribution> Store::contribution_shown_as(const std::string& room_id,
                                                               const std::string& event_id) {
  if (auto found = contribution(event_id); found && found->room_id == room_id) return found;
  // An anonymous contribution is keyed by its notice's transaction id; the outbox recorded the
  // notice's event id at delivery.
  Statement& s = cached(anonymous_notice_,
                        "SELECT 'anon:' || txn_id FROM outbox WHERE remote_event_id = ?1 AND "
                        "room_id = ?2 AND kind = 'send' LIMIT 1");
  s.reset();
  s.bind(1, event_id).bind(2, room_id);
  const bool notice = s.step();
  const std::string key = notice ? s.column_text(0) : std::string();
  s.reset();
  if (!notice) return std::nullopt;
  auto anonymous = contribution(key);
  if (!anonymous || anonymous->room_id != room_id ||
      anonymous->via != core::CollectedVia::anonymous) {
    return std::nullopt;
  }
  return anonymous;
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
  if (round) round->thread_root = thread_root(round->id);
  return round;
}

std::optional<PhaseSpan> Store::round_span_at(const std::string& room_id, core::TimePoint at) {
  // The latest span that began at or before `at` and had not ended by then.
  Statement& s = cached(round_span_at_,
                        "SELECT s.round_id, r.template_key, s.phase_index, s.paused "
                        "FROM round_spans s JOIN rounds r ON r.id = s.round_id "
                        "WHERE s.room_id = ? AND s.since <= ? AND (s.until IS NULL OR s.until > ?) "
                        "ORDER BY s.since DESC LIMIT 1");
  const std::int64_t ms = to_ms(at);
  s.bind(1, room_id).bind(2, ms).bind(3, ms);
  std::optional<PhaseSpan> span;
  if (s.step()) {
    span = PhaseSpan{s.column_int(0), s.column_text(1), static_cast<std::size_t>(s.column_int(2)),
                     s.column_int(3) != 0};
  }
  s.reset();
  return span;
}

std::string Store::thread_root(std::int64_t round_id) {
  Statement s(connection_, "SELECT root_event_id FROM round_threads WHERE round_id = ?");
  s.bind(1, round_id);
  return s.step() ? s.column_text(0) : std::string();
}

std::vector<core::Round> Store::open_rounds() {
  Statement s(connection_, "SELECT " + std::string(kRoundColumns) +
                               " FROM rounds WHERE state <> 'ended' ORDER BY id");
  std::vector<core::Round> rounds;
  while (s.step()) rounds.push_back(read_round(s));
  for (auto& round : rounds) round.thread_root = thread_root(round.id);
  return rounds;
}

std::optional<core::Contribution> Store::contribution(const std::string& event_id) {
  // Asked for every 👍 and 📌 of a batch: prepared once.
  Statement& s = cached(contribution_by_id_, "SELECT " + std::string(kContributionRead) +
                                                 " FROM contributions WHERE event_id = ?");
  s.reset();
  s.bind(1, event_id);
  std::optional<core::Contribution> found;
  if (s.step()) found = read_contribution(s);
  s.reset();
  return found;
}

std::vector<core::Contribution> Store::phase_contributions(std::int64_t round_id,
                                                           const std::string& phase_key,
                                                           std::size_t limit) {
  Statement s(connection_, "SELECT " + std::string(kContributionRead) +
                               " FROM contributions WHERE round_id = ? AND phase_key = ? "
                               "ORDER BY votes DESC, written_at, event_id LIMIT ?");
  s.bind(1, round_id).bind(2, phase_key).bind(3, static_cast<std::int64_t>(limit));
  std::vector<core::Contribution> found;
  while (s.step()) found.push_back(read_contribution(s));
  return found;
}

std::vector<core::Contribution> Store::contributions_by(const std::string& author) {
  std::vector<core::Contribution> found;
  if (author.empty()) return found;
  Statement s(connection_,
              "SELECT " + std::string(kContributionRead) +
                  " FROM contributions WHERE author = ? ORDER BY written_at, event_id");
  s.bind(1, author);
  while (s.step()) found.push_back(read_contribution(s));
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

  Statement tags(connection_, "SELECT tags FROM contributions WHERE " + where + " AND tags <> ''");
  tags.bind(1, round_id);
  if (!phase_key.empty()) tags.bind(2, phase_key);
  std::vector<std::string> each;
  while (tags.step()) {
    each.clear();
    split_tags(tags.column_view(0), each);
    for (const auto& tag : each) ++summary.per_tag[tag];
  }

  // The contributions with their votes and terms, for the strongest points.
  Statement candidates(connection_,
                       "SELECT c.body, (SELECT COUNT(*) FROM votes v WHERE v.event_id = "
                       "c.event_id), c.terms FROM contributions c WHERE " +
                           std::string(phase_key.empty() ? "c.round_id = ?1"
                                                         : "c.round_id = ?1 AND c.phase_key = ?2") +
                           " ORDER BY c.written_at, c.event_id");
  candidates.bind(1, round_id);
  if (!phase_key.empty()) candidates.bind(2, phase_key);
  while (candidates.step()) {
    core::SummaryCandidate candidate;
    candidate.body = candidates.column_text(0);
    candidate.votes = static_cast<int>(candidates.column_int(1));
    // Not indexed yet (collected in this batch or before a crash): analysed here.
    if (candidates.column_is_null(2) ||
        !decode_term_keys(candidates.column_blob(2), candidate.terms)) {
      candidate.terms.clear();
      const std::string terms = index_terms(candidate.body);
      decode_term_keys(std::as_bytes(std::span(terms)), candidate.terms);
    }
    summary.candidates.push_back(std::move(candidate));
  }
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
