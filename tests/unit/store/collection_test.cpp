// Rounds, contributions and votes in a real SQLite file.

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "lang/lexicon.hpp"
#include "store/digests.hpp"
#include "store/sqlite.hpp"
#include "store/status.hpp"
#include "store/store.hpp"

#include "../support/temp_store.hpp"

namespace reflexbot::store {
namespace {

using core::TimePoint;
using std::chrono::milliseconds;

TimePoint at(std::int64_t ms) { return TimePoint(milliseconds(ms)); }

class CollectionTest : public ::testing::Test {
 protected:
  // Rounds 1 and 2, which contributions refer to.
  void save_two_rounds() {
    BatchScope batch(*store_);
    ASSERT_EQ(batch.save_round(running_round("!koeln:x")), 1);
    ASSERT_EQ(batch.save_round(running_round("!leipzig:x")), 2);
    batch.commit();
  }

  core::Round running_round(const std::string& room) {
    core::Round round;
    round.room_id = room;
    round.template_key = "panreflex";
    round.topic = "Hochwasser 2024";
    round.started_by = "p-moderator";
    round.started_at = at(1000);
    round.phase_started_at = at(1000);
    round.phase_deadline = at(1000 + 15 * 60 * 1000);
    return round;
  }

  core::Contribution contribution(const std::string& id, const std::string& author,
                                  const std::string& city, std::int64_t round,
                                  const std::string& phase, std::vector<std::string> tags) {
    core::Contribution c;
    c.event_id = id;
    c.room_id = "!koeln:x";
    c.city = city;
    c.author = author;
    c.round = round;
    c.phase_key = phase;
    c.body = "Beitrag " + id;
    c.tags = std::move(tags);
    c.written_at = at(2000);
    c.collected_at = at(2500);
    return c;
  }

  test::TempStore store_{"collection"};
};

TEST_F(CollectionTest, ARoundSurvivesARestartUntilItEnds) {
  std::int64_t id = 0;
  {
    BatchScope batch(*store_);
    id = batch.save_round(running_round("!koeln:x"));
    batch.commit();
  }
  EXPECT_GT(id, 0);
  store_.open();  // a restart
  auto open = store_->open_round("!koeln:x");
  ASSERT_TRUE(open);
  core::Round expected = running_round("!koeln:x");
  expected.id = id;
  EXPECT_EQ(*open, expected);

  open->phase_index = 1;
  open->state = core::RoundState::paused;
  open->remaining_when_paused = milliseconds(90000);
  open->reminder_sent = true;
  {
    BatchScope batch(*store_);
    EXPECT_EQ(batch.save_round(*open), id);
    batch.commit();
  }
  EXPECT_EQ(*store_->open_round("!koeln:x"), *open);
  EXPECT_EQ(store_->open_rounds().size(), 1u);

  open->state = core::RoundState::ended;
  open->ended_at = at(9000);
  {
    BatchScope batch(*store_);
    batch.save_round(*open);
    batch.commit();
  }
  EXPECT_FALSE(store_->open_round("!koeln:x"));
  EXPECT_TRUE(store_->open_rounds().empty());
}

// The round's history answers which phase was open at a time: each change of phase or state
// (at changed_at) ends one span and begins the next; before the start and after the end, none.
TEST_F(CollectionTest, TheRoundsHistoryTellsWhichPhaseWasOpenWhen) {
  core::Round round = running_round("!koeln:x");
  round.changed_at = at(1000);
  {
    BatchScope batch(*store_);
    round.id = batch.save_round(round);
    round.reminder_sent = true;  // no change of phase or state: the span goes on
    round.changed_at = at(1500);
    batch.save_round(round);
    round.state = core::RoundState::paused;
    round.changed_at = at(3000);
    batch.save_round(round);
    round.state = core::RoundState::running;
    round.phase_index = 1;
    round.changed_at = at(4000);
    batch.save_round(round);
    round.state = core::RoundState::ended;
    round.changed_at = at(6000);
    batch.save_round(round);
    batch.commit();
  }
  EXPECT_FALSE(store_->round_span_at("!koeln:x", at(999)));
  for (const auto& [ms, phase, paused] :
       std::vector<std::tuple<std::int64_t, std::size_t, bool>>{{1000, 0, false},
                                                                {2999, 0, false},
                                                                {3000, 0, true},
                                                                {3999, 0, true},
                                                                {4000, 1, false},
                                                                {5999, 1, false}}) {
    const auto span = store_->round_span_at("!koeln:x", at(ms));
    ASSERT_TRUE(span) << ms;
    EXPECT_EQ(span->round_id, round.id);
    EXPECT_EQ(span->template_key, "panreflex");
    EXPECT_EQ(span->phase_index, phase) << ms;
    EXPECT_EQ(span->paused, paused) << ms;
  }
  EXPECT_FALSE(store_->round_span_at("!koeln:x", at(6000)));
  EXPECT_FALSE(store_->round_span_at("!leipzig:x", at(2000)));
}

// A store from before the history (schema 17) gives its open round a span from its current
// phase's start, so a message read after the upgrade still finds it; a room id stored as a city
// is no city any more.
TEST_F(CollectionTest, AnOpenRoundOfAnOlderStoreGetsItsCurrentSpan) {
  {
    BatchScope batch(*store_);
    batch.save_round(running_round("!koeln:x"));
    // A room without a name gave its id as the city of what it collected.
    batch.add_contribution(contribution("$1", "p-anna", "!koeln:x", 1, "rueckschau", {}));
    batch.add_contribution(contribution("$2", "p-anna", "Köln", 1, "rueckschau", {}));
    batch.commit();
  }
  store_.close();
  {
    Connection raw(store_.path());
    raw.exec("DROP TABLE round_spans; PRAGMA user_version = 18;");
  }
  store_.open();
  EXPECT_EQ(store_->schema_version(), kSchemaVersion);
  const auto span = store_->round_span_at("!koeln:x", at(5000));
  ASSERT_TRUE(span);
  EXPECT_EQ(span->phase_index, 0u);
  EXPECT_FALSE(store_->round_span_at("!koeln:x", at(999)));
  EXPECT_EQ(store_->contribution("$1")->city, "");
  EXPECT_EQ(store_->contribution("$2")->city, "Köln");
}

TEST_F(CollectionTest, ARoomHasAtMostOneOpenRound) {
  BatchScope batch(*store_);
  batch.save_round(running_round("!koeln:x"));
  EXPECT_THROW(batch.save_round(running_round("!koeln:x")), StoreError);
}

TEST_F(CollectionTest, ContributionsRoundTripAndAreCollectedOnce) {
  BatchScope batch(*store_);
  auto c = contribution("$1", "p-anna", "Köln", 7, "rueckschau", {"problem", "lehre"});
  c.round.reset();  // collected outside a round
  c.via = core::CollectedVia::tag;
  EXPECT_TRUE(batch.add_contribution(c));
  EXPECT_FALSE(batch.add_contribution(c));
  batch.commit();
  auto stored = store_->contribution("$1");
  ASSERT_TRUE(stored);
  c.tags = {"lehre", "problem"};  // stored in tag order
  EXPECT_EQ(*stored, c);
}

// A new contribution is one row: its tags are its `tags` column (distinct tags in byte order;
// migration 23 dropped the table of one row per tag and its triggers). SQLite's total_changes()
// counts every row written, trigger writes too. An edit replaces the column.
TEST_F(CollectionTest, ANewContributionIsOneRowWithItsTags) {
  auto& c = store_->connection();
  auto total_changes = [&c] {
    Statement s(c, "SELECT total_changes()");
    s.step();
    return s.column_int(0);
  };
  auto tags_column = [&c](const std::string& id) {
    Statement s(c, "SELECT tags FROM contributions WHERE event_id = ?");
    s.bind(1, id);
    return s.step() ? s.column_text(0) : std::string("(none)");
  };
  BatchScope batch(*store_);
  auto first = contribution("$1", "p-anna", "Köln", 0, "", {"problem", "idee", "problem", "Ärger"});
  first.round.reset();
  first.via = core::CollectedVia::tag;
  const auto before = total_changes();
  ASSERT_TRUE(batch.add_contribution(first));
  EXPECT_EQ(total_changes() - before, 1) << "the contribution's row, nothing per tag";
  EXPECT_EQ(tags_column("$1"), "idee,problem,Ärger");
  EXPECT_EQ(store_->contribution("$1")->tags,
            (std::vector<std::string>{"idee", "problem", "Ärger"}));
  EXPECT_TRUE(batch.edit_contribution("$1", "neu #lehre", {"lehre", "idee"}));
  EXPECT_EQ(tags_column("$1"), "idee,lehre");
  auto untagged = contribution("$2", "p-ben", "Köln", 0, "", {});
  untagged.round.reset();
  ASSERT_TRUE(batch.add_contribution(untagged));
  EXPECT_EQ(tags_column("$2"), "");
  batch.commit();
  EXPECT_EQ(store_->contribution("$1")->tags, (std::vector<std::string>{"idee", "lehre"}));
}

// A contribution collected outside a round has no entry in the round index (migration 23): the
// index is partial, and what asks for a round's contributions still finds them through it.
TEST_F(CollectionTest, OnlyARoundsContributionsAreInTheRoundIndex) {
  auto& c = store_->connection();
  Statement sql(c, "SELECT sql FROM sqlite_master WHERE name = 'contributions_round'");
  ASSERT_TRUE(sql.step());
  EXPECT_NE(sql.column_text(0).find("WHERE round_id IS NOT NULL"), std::string::npos)
      << sql.column_text(0);
  for (const char* query :
       {"SELECT COUNT(*) FROM contributions WHERE round_id = ?1 AND phase_key = ?2",
        "SELECT tags FROM contributions WHERE round_id = ?1",
        "UPDATE contributions SET round_id = NULL WHERE round_id = ?1"}) {
    Statement plan(c, std::string("EXPLAIN QUERY PLAN ") + query);
    std::string details;
    while (plan.step()) details += plan.column_text(3) + "\n";
    EXPECT_NE(details.find("contributions_round"), std::string::npos) << query << ": " << details;
  }
  save_two_rounds();
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {"idee"})));
    auto outside = contribution("$2", "p-anna", "Köln", 0, "", {"idee"});
    outside.round.reset();
    outside.via = core::CollectedVia::tag;
    ASSERT_TRUE(batch.add_contribution(outside));
    batch.commit();
  }
  Statement indexed(c,
                    "SELECT COUNT(*) FROM contributions INDEXED BY contributions_round "
                    "WHERE round_id IS NOT NULL");
  ASSERT_TRUE(indexed.step());
  EXPECT_EQ(indexed.column_int(0), 1);
  EXPECT_EQ(store_->summarize(1, "a").contributions, 1);
  EXPECT_EQ(store_->summarize(1, "a").per_tag, (std::map<std::string, int>{{"idee", 1}}));
}

TEST_F(CollectionTest, EditsReplaceTextAndTagsAndRedactionsDeleteEverything) {
  save_two_rounds();
  {
    BatchScope batch(*store_);
    batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {"problem"}));
    EXPECT_TRUE(batch.add_vote("$r1", "$1", "p-ben"));
    batch.commit();
  }
  {
    BatchScope batch(*store_);
    EXPECT_TRUE(batch.edit_contribution("$1", "korrigiert #erfolg", {"erfolg"}));
    EXPECT_FALSE(batch.edit_contribution("$none", "x", {}));
    batch.commit();
  }
  EXPECT_EQ(store_->contribution("$1")->body, "korrigiert #erfolg");
  EXPECT_EQ(store_->contribution("$1")->tags, std::vector<std::string>{"erfolg"});
  {
    BatchScope batch(*store_);
    EXPECT_TRUE(batch.remove_contribution("$1"));
    EXPECT_FALSE(batch.remove_contribution("$1"));
    batch.commit();
  }
  EXPECT_FALSE(store_->contribution("$1"));
  Statement left(store_->connection(), "SELECT COUNT(*) FROM votes");
  left.step();
  EXPECT_EQ(left.column_int(0), 0);
}

TEST_F(CollectionTest, OneVotePerPersonAndTakingItBack) {
  save_two_rounds();
  BatchScope batch(*store_);
  batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {}));
  EXPECT_TRUE(batch.add_vote("$r1", "$1", "p-ben"));
  EXPECT_FALSE(batch.add_vote("$r2", "$1", "p-ben"));  // a second 👍 by the same person
  EXPECT_TRUE(batch.add_vote("$r3", "$1", "p-carla"));
  EXPECT_FALSE(batch.add_vote("$r4", "$unknown", "p-carla"));  // not a contribution
  batch.commit();
  EXPECT_EQ(store_->votes("$1"), 2);
  BatchScope undo(*store_);
  EXPECT_TRUE(undo.remove_vote("$r1"));
  EXPECT_FALSE(undo.remove_vote("$r2"));  // it never counted
  undo.commit();
  EXPECT_EQ(store_->votes("$1"), 1);
}

TEST_F(CollectionTest, ForgetMeDeletesContributionsAndVotesOfThatPersonOnly) {
  save_two_rounds();
  {
    BatchScope batch(*store_);
    batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {"lehre"}));
    batch.add_contribution(contribution("$2", "p-anna", "Köln", 1, "a", {}));
    batch.add_contribution(contribution("$3", "p-ben", "Leipzig", 1, "a", {}));
    auto anonymous = contribution("$4", "", "Köln", 1, "a", {});
    anonymous.via = core::CollectedVia::anonymous;
    batch.add_contribution(anonymous);
    batch.add_vote("$r1", "$3", "p-anna");
    batch.add_vote("$r2", "$3", "p-carla");
    batch.commit();
  }
  EXPECT_EQ(store_->contributions_by("p-anna").size(), 2u);
  {
    BatchScope batch(*store_);
    EXPECT_EQ(batch.forget_author("p-anna"), 3);  // two contributions, one vote
    EXPECT_EQ(batch.forget_author(""), 0);        // anonymous ones belong to no one
    batch.commit();
  }
  EXPECT_TRUE(store_->contributions_by("p-anna").empty());
  EXPECT_TRUE(store_->contribution("$3"));
  EXPECT_TRUE(store_->contribution("$4"));
  EXPECT_EQ(store_->votes("$3"), 1);
}

// The ✅ a collected message is owed is state of its contribution (schema 24), not an outbox row;
// the drain sees it in the queue in its place, with the transaction id the row had.
TEST_F(CollectionTest, TheAckOwedGoesOutInItsPlaceInTheQueueWithTheRowsTransactionId) {
  save_two_rounds();
  std::string before;
  std::string after;
  {
    BatchScope batch(*store_);
    batch.queue_membership(OutboxKind::leave, "!weg:x", 1000);
    before = batch.queue_anonymous_post("!koeln:x", R"({"body":"ohne Namen"})", 1000);
    EXPECT_TRUE(batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {}), true));
    EXPECT_TRUE(batch.add_contribution(contribution("$2", "p-anna", "Köln", 1, "a", {}), false));
    auto third = contribution("$3", "p-ben", "Köln", 1, "a", {});
    third.room_id = "!leipzig:x";
    EXPECT_TRUE(batch.add_contribution(third, true));
    after =
        batch.queue_send("!koeln:x", "m.room.message", R"({"body":"danach"})", "$x/reply", 1000);
    EXPECT_FALSE(batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "a", {}), true));
    batch.commit();
  }
  auto items = store_->pending_outbox(10);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].txn_id, before);
  EXPECT_EQ(items[1].ack_of, "$1");
  EXPECT_EQ(items[1].room_id, "!koeln:x");
  EXPECT_EQ(items[1].event_type, "m.reaction");
  EXPECT_EQ(items[1].txn_id, ack_txn_id("!koeln:x", "$1"));
  EXPECT_EQ(items[1].content,
            R"({"m.mentions":{},"m.relates_to":{"event_id":"$1","key":"✅","rel_type":)"
            R"("m.annotation"}})");
  EXPECT_EQ(items[2].ack_of, "$3");
  EXPECT_EQ(items[2].room_id, "!leipzig:x");
  EXPECT_EQ(items[3].txn_id, after);
  EXPECT_EQ(items[4].kind, OutboxKind::leave);  // leaves last, after the ✅ too
  // A prefix of the queue is the queue's prefix.
  auto first = store_->pending_outbox(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].ack_of, "$1");
  EXPECT_EQ(read_live_gauges(*store_).outbox_pending, 5);

  store_->outbox_ack_done("!koeln:x", "$1");
  store_->outbox_ack_done("!koeln:x", "$3");  // another room: not this one's
  items = store_->pending_outbox(10);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[1].ack_of, "$3");
  EXPECT_EQ(read_live_gauges(*store_).outbox_pending, 4);
}

TEST_F(CollectionTest, AnAckOwedGoesWithItsContributionAndAWithdrawnOneThatWentOutIsKept) {
  save_two_rounds();
  {
    BatchScope batch(*store_);
    batch.add_contribution(contribution("$red", "p-anna", "Köln", 1, "a", {}), true);
    batch.add_contribution(contribution("$forgot", "p-ben", "Köln", 1, "a", {}), true);
    batch.add_contribution(contribution("$sent", "p-carla", "Köln", 1, "a", {}), true);
    batch.add_contribution(contribution("$owed", "p-carla", "Köln", 1, "a", {}), true);
    batch.commit();
  }
  store_->outbox_ack_done("!koeln:x", "$sent");
  {
    BatchScope batch(*store_);
    EXPECT_TRUE(batch.remove_contribution("$red"));
    batch.forget_author("p-ben");
    EXPECT_TRUE(batch.withdraw_contribution("$sent"));
    EXPECT_TRUE(batch.withdraw_contribution("$owed"));
    EXPECT_FALSE(batch.withdraw_contribution("$none"));
    batch.commit();
  }
  EXPECT_TRUE(store_->pending_outbox(10).empty());
  // The ✅ that went out is remembered by its transaction id; the one still owed is not.
  EXPECT_TRUE(store_->ack_recorded("!koeln:x", "$sent"));
  EXPECT_FALSE(store_->ack_recorded("!koeln:x", "$owed"));
  EXPECT_FALSE(store_->ack_recorded("!koeln:x", "$red"));
  EXPECT_EQ(read_live_gauges(*store_).outbox_pending, 0);
}

TEST_F(CollectionTest, AnAckRowQueuedBeforeSchema24GoesOutOnceFromTheOutbox) {
  // A ✅ queued as an outbox row (as before schema 24) for a contribution that owes none: one
  // item, the row; and it counts as recorded for a message collected again.
  save_two_rounds();
  {
    BatchScope batch(*store_);
    batch.add_contribution(contribution("$old", "p-anna", "Köln", 1, "a", {}), false);
    batch.queue_send("!koeln:x", "m.reaction", R"({"k":1})", "$old/ack", 1000);
    batch.commit();
  }
  // The store as schema 23 left it: no `ack` column. Migration 24 adds it; the row stays.
  store_.close();
  {
    Connection raw(store_.path());
    raw.exec(
        "DROP INDEX contributions_ack; ALTER TABLE contributions DROP COLUMN ack; "
        "PRAGMA user_version = 23;");
  }
  store_.open();
  EXPECT_EQ(store_->schema_version(), kSchemaVersion);
  auto items = store_->pending_outbox(10);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].ack_of.empty());
  EXPECT_EQ(items[0].txn_id, ack_txn_id("!koeln:x", "$old"));
  EXPECT_TRUE(store_->ack_recorded("!koeln:x", "$old"));
  store_->outbox_sent(items[0].id, "$ack", 2000);
  EXPECT_TRUE(store_->pending_outbox(10).empty());
  {
    BatchScope batch(*store_);
    EXPECT_TRUE(batch.add_contribution(contribution("$new", "p-anna", "Köln", 1, "a", {}), true));
    batch.commit();
  }
  items = store_->pending_outbox(10);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].ack_of, "$new");
}

TEST_F(CollectionTest, SummariesCountPerPhaseAndForTheWholeRound) {
  save_two_rounds();
  BatchScope batch(*store_);
  batch.add_contribution(contribution("$1", "p-anna", "Köln", 1, "rueckschau", {"problem"}));
  batch.add_contribution(
      contribution("$2", "p-anna", "Köln", 1, "rueckschau", {"problem", "lehre"}));
  auto leipzig = contribution("$3", "p-ben", "Leipzig", 1, "ausblick", {"idee"});
  leipzig.written_at = at(3000);
  batch.add_contribution(leipzig);
  batch.add_contribution(contribution("$4", "", "Köln", 1, "rueckschau", {}));
  batch.add_contribution(contribution("$5", "p-carla", "Dresden", 2, "rueckschau", {}));
  batch.commit();

  auto phase = store_->summarize(1, "rueckschau");
  EXPECT_EQ(phase.contributions, 3);
  EXPECT_EQ(phase.participants, 1);
  EXPECT_EQ(phase.cities, std::vector<std::string>{"Köln"});
  EXPECT_EQ(phase.per_tag, (std::map<std::string, int>{{"lehre", 1}, {"problem", 2}}));

  auto round = store_->summarize(1, "");
  EXPECT_EQ(round.contributions, 4);
  EXPECT_EQ(round.participants, 2);
  EXPECT_EQ(round.cities, (std::vector<std::string>{"Köln", "Leipzig"}));
  EXPECT_EQ(round.per_tag, (std::map<std::string, int>{{"idee", 1}, {"lehre", 1}, {"problem", 2}}));
}

// The keys a digest reads for a stored contribution: the analysis of its current body.
std::vector<std::uint64_t> stored_keys(Store& store, const std::string& event_id) {
  for (auto& row : digest_rows(store, "", TimePoint{}, at(1'000'000'000))) {
    if (row.item.id == event_id) {
      EXPECT_TRUE(row.item.indexed) << event_id;
      return row.item.term_keys;
    }
  }
  ADD_FAILURE() << event_id << " not found";
  return {};
}

// The keys the store's analysis gives (with Debian's dictionaries, as the store has them).
std::vector<std::uint64_t> analysed_keys(std::string_view body) {
  static lang::DebianLexicon lexicon;
  core::TextAnalyzer analyzer(&lexicon);
  std::vector<std::uint64_t> keys;
  analyzer.keys(body, keys);
  return keys;
}

TEST_F(CollectionTest, TermsAreMadeAfterTheCommitAndACrashBeforeThatLosesNothing) {
  save_two_rounds();
  auto c = contribution("$1", "p-anna", "Köln", 1, "a", {"problem"});
  c.body = "Die FFP2-Masken kamen zu spät, die Beschaffung lief über das Rechtsamt. #problem";
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_contribution(c));
    batch.commit();
  }
  // The batch did not analyse the text. A crash now (the store opened again): the contribution
  // is there, the digest reads its body, the phase's summary analyses it.
  store_.open();
  const auto rows = digest_rows(*store_, "", TimePoint{}, at(1'000'000'000));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].item.id, "$1");
  EXPECT_EQ(rows[0].item.body, c.body);
  EXPECT_EQ(rows[0].item.tags, std::vector<std::string>{"problem"});
  EXPECT_FALSE(rows[0].item.indexed);
  const auto summary = store_->summarize(1, "a");
  ASSERT_EQ(summary.candidates.size(), 1U);
  EXPECT_EQ(summary.candidates[0].terms, analysed_keys(c.body));
  // After the commit (or at the next start) its terms are made, once.
  EXPECT_EQ(store_->index_pending(10), 1);
  EXPECT_EQ(store_->index_pending(10), 0);
  EXPECT_EQ(stored_keys(*store_, "$1"), analysed_keys(c.body));
  EXPECT_EQ(store_->summarize(1, "a").candidates[0].terms, analysed_keys(c.body));
}

TEST_F(CollectionTest, PendingTermsAreMadeASliceAtATimeOldestFirst) {
  save_two_rounds();
  {
    BatchScope batch(*store_);
    for (int i = 0; i < 5; ++i) {
      auto c = contribution("$" + std::to_string(i), "p-anna", "Köln", 1, "a", {});
      c.body = "Pegel an der Messstelle " + std::to_string(i) + " stieg über Nacht";
      ASSERT_TRUE(batch.add_contribution(c));
    }
    batch.commit();
  }
  EXPECT_EQ(store_->index_pending(2), 2);
  std::vector<bool> indexed;
  for (const auto& row : digest_rows(*store_, "", TimePoint{}, at(1'000'000'000))) {
    indexed.push_back(row.item.indexed);
  }
  EXPECT_EQ(std::count(indexed.begin(), indexed.end(), true), 2);
  EXPECT_EQ(store_->index_pending(2), 2);
  EXPECT_EQ(store_->index_pending(2), 1);
  EXPECT_EQ(store_->index_pending(2), 0);
  // A contribution removed before its terms were made is simply not indexed.
  {
    BatchScope batch(*store_);
    auto c = contribution("$9", "p-anna", "Köln", 1, "a", {});
    ASSERT_TRUE(batch.add_contribution(c));
    ASSERT_TRUE(batch.remove_contribution("$9"));
    batch.commit();
  }
  EXPECT_EQ(store_->index_pending(2), 0);
}

TEST_F(CollectionTest, ContributionsAreIndexedAfterCollectedAndAgainAfterEdited) {
  save_two_rounds();
  auto c = contribution("$1", "p-anna", "Köln", 1, "a", {});
  c.body = "Die FFP2-Masken kamen zu spät, die Beschaffung lief über das Rechtsamt.";
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_contribution(c));
    batch.commit();
  }
  EXPECT_EQ(store_->index_contributions(), 1);
  const auto first = stored_keys(*store_, "$1");
  EXPECT_EQ(first, analysed_keys(c.body));
  EXPECT_GE(first.size(), 5U);  // masken, beschaffung, rechtsamt … and their concepts

  const std::string edited = "Impfzentrum: Terminvergabe per Hotline war überlastet.";
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.edit_contribution("$1", edited, {}));
    batch.commit();
  }
  EXPECT_EQ(store_->index_contributions(), 1);  // the edited body's terms
  const auto second = stored_keys(*store_, "$1");
  EXPECT_EQ(second, analysed_keys(edited));
  EXPECT_NE(second, first);
}

TEST_F(CollectionTest, TermsFromAnotherAnalysisOrMissingAreMadeAgain) {
  save_two_rounds();
  {
    BatchScope batch(*store_);
    for (int i = 0; i < 5; ++i) {
      auto c = contribution("$" + std::to_string(i), "p-anna", "Köln", 1, "a", {});
      c.body = "Kontaktverfolgung mit SORMAS, Woche " + std::to_string(i) + " Quarantäne";
      ASSERT_TRUE(batch.add_contribution(c));
    }
    batch.commit();
  }
  EXPECT_EQ(store_->index_contributions(), 5);  // after the commit
  EXPECT_EQ(store_->index_contributions(), 0);
  // Terms lost (an older bot), unreadable, and made by another analysis.
  store_->connection().exec("UPDATE contributions SET terms = NULL WHERE event_id = '$1'");
  store_->connection().exec("UPDATE contributions SET terms = X'0102' WHERE event_id = '$2'");
  const auto damaged = digest_rows(*store_, "", TimePoint{}, at(1'000'000'000));
  ASSERT_EQ(damaged.size(), 5U);
  for (const auto& row : damaged) {
    EXPECT_EQ(row.item.indexed, row.item.id != "$1" && row.item.id != "$2") << row.item.id;
  }
  EXPECT_EQ(store_->index_contributions(2), 1);  // $1; $2's blob is not NULL
  // Reopened after an upgrade that changed the analysis: all are made again, in batches of 2.
  store_->connection().exec("UPDATE analysis_state SET fingerprint = fingerprint + 1");
  store_.open();
  const auto reopened = digest_rows(*store_, "", TimePoint{}, at(1'000'000'000));
  ASSERT_EQ(reopened.size(), 5U);
  for (const auto& row : reopened) EXPECT_FALSE(row.item.indexed) << row.item.id;
  EXPECT_EQ(store_->index_contributions(2), 5);
  EXPECT_EQ(store_->index_contributions(), 0);
  for (int i = 0; i < 5; ++i) {
    const std::string id = "$" + std::to_string(i);
    EXPECT_EQ(stored_keys(*store_, id), analysed_keys("Kontaktverfolgung mit SORMAS, Woche " +
                                                      std::to_string(i) + " Quarantäne"))
        << id;
  }
}

TEST(TermKeys, EncodeAndDecodeRoundTripAndRejectATruncatedValue) {
  const std::vector<std::uint64_t> keys = {0, 1, 0x8000000000000001ULL, UINT64_MAX,
                                           0x0102030405060708ULL};
  const std::string bytes = encode_term_keys(keys);
  ASSERT_EQ(bytes.size(), 40U);
  EXPECT_EQ(static_cast<unsigned char>(bytes[32]), 0x08);  // little-endian
  std::vector<std::uint64_t> out;
  EXPECT_TRUE(decode_term_keys(std::as_bytes(std::span(bytes)), out));
  EXPECT_EQ(out, keys);
  out.clear();
  EXPECT_FALSE(decode_term_keys(std::as_bytes(std::span(bytes).first(39)), out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace reflexbot::store
