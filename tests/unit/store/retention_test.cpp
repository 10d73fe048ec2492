// Retention and erasure in a real SQLite file: after a redaction, "forget me" or the retention
// purge, a canary text must be in neither the database file nor its -wal and -shm files. The
// files are read as raw bytes, as anyone with access to the disk could read them.

#include "store/retention.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

#include "../support/temp_store.hpp"

namespace reflexbot::store {
namespace {

using core::TimePoint;
using std::chrono::days;
using std::chrono::milliseconds;

// 2025-06-01 12:00 UTC.
const TimePoint kNow = TimePoint(milliseconds(1748779200000));

std::int64_t ms(TimePoint time) { return time.time_since_epoch().count(); }

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { scrubber_.emplace(*store_); }

  /// The files (of bot.db, bot.db-wal, bot.db-shm) whose raw bytes contain `needle`, e.g.
  /// "bot.db-wal"; empty if none does.
  std::string files_with(const std::string& needle) const {
    std::string found;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::ifstream file(store_.path() + suffix, std::ios::binary);
      if (!file) continue;
      const std::string bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
      if (bytes.find(needle) != std::string::npos) {
        found += (found.empty() ? "bot.db" : " bot.db") + std::string(suffix);
      }
    }
    return found;
  }

  std::uintmax_t wal_size() const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(store_.path() + "-wal", ec);
    return ec ? 0 : size;
  }

  std::int64_t count(const std::string& sql) {
    Statement s(store_->connection(), sql);
    s.step();
    return s.column_int(0);
  }

  core::Contribution contribution(const std::string& id, const std::string& author,
                                  const std::string& body, TimePoint written_at) {
    core::Contribution c;
    c.event_id = id;
    c.room_id = "!koeln:example.org";
    c.city = "Köln";
    c.author = author;
    c.body = body;
    c.tags = {"problem"};
    c.written_at = written_at;
    c.collected_at = written_at;
    c.via = core::CollectedVia::tag;
    return c;
  }

  void add(const core::Contribution& c) {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_contribution(c));
    batch.commit();
  }

  /// `n` ordinary contributions by other people, in batches as the bot stores them, with random
  /// event ids and lengths, so the b-tree pages split and rebalance as in a real year.
  void fill(int n, TimePoint written_at) {
    for (int done = 0; done < n;) {
      BatchScope batch(*store_);
      for (int i = 0; i < 50 && done < n; ++i, ++done) {
        std::string id = "$";
        for (int k = 0; k < 4; ++k) id += std::to_string(random_());
        const std::string body =
            "Die Lage am Pegel war unklar " + std::string(60 + random_() % 340, 'x') + " #problem";
        batch.add_contribution(contribution(
            id + ":example.org", "p" + std::to_string(random_() % 40), body, written_at));
      }
      batch.commit();
    }
  }

  /// Queues a notice with `text` and records it delivered; returns its transaction id.
  std::string send_delivered(const std::string& key, const std::string& text, TimePoint when) {
    std::string txn;
    {
      BatchScope batch(*store_);
      txn = batch.queue_send("!koeln:example.org", "m.room.message",
                             R"({"msgtype":"m.notice","body":")" + text + R"("})", key, ms(when));
      batch.commit();
    }
    const auto pending = store_->pending_outbox(100);
    EXPECT_FALSE(pending.empty());
    for (const auto& item : pending) {
      if (item.txn_id == txn) store_->outbox_sent(item.id, "$notice-" + key, ms(when));
    }
    return txn;
  }

  void quarantine(const std::string& event_id, const std::string& raw, TimePoint when) {
    BatchScope batch(*store_);
    EXPECT_TRUE(batch
                    .quarantine(QuarantineEntry{"!koeln:example.org", event_id, "", false, "", raw,
                                                "content.body is not a string"},
                                ms(when))
                    .stored);
    batch.commit();
  }

  /// Puts everything into the database file and empties the WAL, so what follows starts from a
  /// known state: the canary is then in the main file until the erasure is scrubbed.
  void settle() { ASSERT_TRUE(checkpoint_truncate(*store_)); }

  void expect_scrubbed() {
    const ScrubResult result = scrubber_->scrub();
    EXPECT_TRUE(result.ran);
    EXPECT_TRUE(result.complete);
    EXPECT_FALSE(scrubber_->pending());
    EXPECT_EQ(wal_size(), 0u);
  }

  test::TempStore store_{"retention"};
  std::optional<Scrubber> scrubber_;  // on store_, so gone before it
  std::mt19937 random_{20240601};
};

TEST_F(RetentionTest, ARedactedContributionLeavesNoTraceInTheDatabaseOrItsWal) {
  const std::string canary = "KANARIE-REDAKTION-5c1e";
  const std::string control = "KONTROLLE-BLEIBT-0a9d";
  fill(1500, kNow);
  add(contribution("$redacted:example.org", "p-anna",
                   "Die Meldekette " + canary + " riss in der Nacht ab #problem", kNow));
  add(contribution("$kept:example.org", "p-bert", "Sandsaecke " + control + " #erfolg", kNow));
  fill(1500, kNow);
  // A malformed event, quarantined (only its outline), then redacted as well.
  quarantine("$broken:example.org",
             R"({"event_id":"$broken:example.org","content":{"body":")" + canary + R"(","x":[}})",
             kNow);
  // A digest that quoted the contribution, delivered before the redaction.
  send_delivered("digest:1", "Zitat: " + canary, kNow);
  settle();
  ASSERT_NE(files_with(canary), "") << "the test must see the canary before the erasure";

  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.remove_contribution("$redacted:example.org"));
    EXPECT_EQ(batch.erase_redacted("$redacted:example.org", "!koeln:example.org", false), 0);
    EXPECT_EQ(batch.erase_redacted("$broken:example.org", "!other:example.org", false), 0)
        << "a redaction in another room leaves this room's quarantine";
    EXPECT_EQ(batch.erase_redacted("$broken:example.org", "!koeln:example.org", false), 1);
    batch.commit();
  }
  EXPECT_TRUE(scrubber_->pending());
  EXPECT_NE(files_with(canary), "") << "deleted from the tables, not yet from the files";

  expect_scrubbed();
  EXPECT_EQ(files_with(canary), "");
  EXPECT_EQ(files_with(control), "bot.db") << "the files are readable and hold what stays";
  EXPECT_EQ(count("SELECT COUNT(*) FROM contributions"), 3001);
}

// A member who edits a collected message or takes back a vote again and again must not make the
// bot rewrite the whole store each time: between two VACUUMs, secure_delete and the WAL
// checkpoint alone must leave nothing of an erased text in the files.
TEST_F(RetentionTest, ErasuresBetweenVacuumsAreWipedWithoutRewritingTheStore) {
  const std::string first = "KANARIE-ERSTE-71a2";
  const std::string second = "KANARIE-ZWEITE-93b0";
  const std::string control = "KONTROLLE-BLEIBT-5e3f";
  fill(1500, kNow);
  add(contribution("$first:example.org", "p-anna", "Die Meldung " + first + " #problem", kNow));
  add(contribution("$second:example.org", "p-bert", "Der Funk " + second + " #problem", kNow));
  add(contribution("$kept:example.org", "p-carl", "Das Lagebild " + control + " #erfolg", kNow));
  fill(1500, kNow);
  settle();
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.remove_contribution("$first:example.org"));
    batch.commit();
  }
  expect_scrubbed();  // the first erasure rewrites the store
  EXPECT_EQ(count("PRAGMA freelist_count"), 0);
  EXPECT_EQ(files_with(first), "");
  ASSERT_NE(files_with(second), "");
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.remove_contribution("$second:example.org"));
    batch.commit();
  }
  // Pages freed by a large deletion stay free until the next VACUUM: proof that none ran.
  store_->connection().exec("DELETE FROM contributions WHERE written_at = " +
                            std::to_string(ms(kNow)) + " AND body LIKE 'Die Lage am Pegel%'");
  expect_scrubbed();
  EXPECT_GT(count("PRAGMA freelist_count"), 0) << "no second VACUUM within the interval";
  EXPECT_EQ(files_with(second), "");
  EXPECT_EQ(files_with(control), "bot.db");
}

TEST_F(RetentionTest, RedactingAnAnonymousNoticeDeletesItsContribution) {
  const std::string canary = "KANARIE-ANONYM-REDAKTION-d2c4";
  const std::string txn = send_delivered("$dm/anon", "Anonymer Beitrag: " + canary, kNow);
  core::Contribution anon = contribution("anon:" + txn, "", canary, kNow);
  anon.via = core::CollectedVia::anonymous;
  add(anon);
  add(contribution("$other:x", "p-a", "bleibt", kNow));
  {
    BatchScope batch(*store_);
    EXPECT_FALSE(batch.remove_contribution("$notice-$dm/anon"));  // no contribution has that id
    // Only a redaction by someone who may remove the bot's notices, in the notice's room, counts.
    EXPECT_EQ(batch.erase_redacted("$notice-$dm/anon", "!koeln:example.org", false), 0);
    EXPECT_EQ(batch.erase_redacted("$notice-$dm/anon", "!other:example.org", true), 0);
    EXPECT_EQ(batch.erase_redacted("$notice-$dm/anon", "!koeln:example.org", true), 1);
    EXPECT_EQ(batch.erase_redacted("$notice-unknown", "!koeln:example.org", true), 0);
    batch.commit();
  }
  EXPECT_FALSE(store_->contribution("anon:" + txn));
  EXPECT_TRUE(store_->contribution("$other:x"));
  expect_scrubbed();
  EXPECT_EQ(files_with(canary), "");
}

TEST_F(RetentionTest, ForgetMeLeavesNoTraceOfThePersonsTextsOrPseudonym) {
  const std::string pseudonym = "6d3f0c2a9b8e7d6c5b4a39281706f5e4";
  const std::string canary = "KANARIE-VERGESSEN-";  // only this person's texts contain it
  const std::string control = "KONTROLLE-ANDERE-PERSON-77b2";
  // One person wrote every third of three thousand contributions, collected in batches of fifty
  // among those of others: enough page splits that, with secure_delete and a checkpoint alone,
  // copies of some of the texts survive in the gaps of rebuilt pages (SQLite 3.40).
  int texts = 0;
  for (int i = 0; i < 3000;) {
    BatchScope batch(*store_);
    for (int k = 0; k < 50; ++k, ++i) {
      const std::string id = "$" + std::to_string(random_()) + std::to_string(random_()) + ":x";
      if (i % 3 == 0) {
        batch.add_contribution(contribution(
            id, pseudonym,
            "Notiz " + canary + std::to_string(i) + " zur Evakuierung " + std::string(100, 'y'),
            kNow));
        ++texts;
      } else {
        batch.add_contribution(contribution(
            id, "p" + std::to_string(random_() % 40),
            "Die Lage am Pegel war unklar " + std::string(60 + random_() % 340, 'x'), kNow));
      }
    }
    batch.commit();
  }
  add(contribution("$bert:example.org", "p-bert", control + " #stolz", kNow));
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_vote("$vote:example.org", "$bert:example.org", pseudonym));
    core::Round round;
    round.room_id = "!koeln:example.org";
    round.template_key = "aar";
    round.started_by = pseudonym;
    round.state = core::RoundState::ended;
    batch.save_round(round);
    batch.commit();
  }
  quarantine("$broken:example.org",
             R"({"sender":"@anna:example.org","content":{"body":")" + canary + R"(q"}})", kNow);
  // "!meine" answered with the person's own contributions.
  send_delivered("$meine/reply", "Ihre Beiträge: " + canary + "0", kNow);
  settle();
  ASSERT_NE(files_with(canary), "");
  ASSERT_NE(files_with(pseudonym), "");

  {
    BatchScope batch(*store_);
    EXPECT_EQ(batch.forget_author(pseudonym), texts + 1);  // and 1 vote
    EXPECT_EQ(batch.forget_sender(pseudonym), 1);  // the round; the quarantine has no sender
    batch.commit();
  }
  expect_scrubbed();
  EXPECT_EQ(files_with(canary), "") << "texts, the delivered answer";
  EXPECT_EQ(files_with(pseudonym), "") << "the pseudonym (contributions, vote, round)";
  EXPECT_EQ(files_with("@anna:example.org"), "");
  EXPECT_EQ(files_with(control), "bot.db");
  EXPECT_EQ(count("SELECT COUNT(*) FROM votes"), 0);
}

TEST_F(RetentionTest, ExpiredContributionsLeaveNoTraceAndYoungerOnesStay) {
  const TimePoint old = kNow - days(400);
  const std::string canary = "KANARIE-ABGELAUFEN-31c7";
  const std::string anonymous = "KANARIE-ANONYM-e4a0";
  const std::string quarantined = "KANARIE-QUARANTAENE-2b88";
  const std::string control = "KONTROLLE-JUNG-9f15";
  fill(1000, old);
  add(contribution("$old:example.org", "p-anna", "Funkloch " + canary + " #problem", old));
  // An anonymous contribution: its notice carried the text; the contribution is keyed by the
  // notice's transaction id.
  const std::string txn = send_delivered("$dm/anon", "Anonymer Beitrag: " + anonymous, old);
  core::Contribution anon = contribution("anon:" + txn, "", anonymous + " #frust", old);
  anon.via = core::CollectedVia::anonymous;
  add(anon);
  fill(1000, kNow - days(10));
  add(contribution("$young:example.org", "p-bert", control + " #erfolg", kNow - days(10)));
  quarantine("$q-old:example.org", R"({"content":{"body":")" + quarantined + R"("}})",
             kNow - days(31));
  quarantine("$q-young:example.org", R"({"content":{"body":"QUARANTAENE-JUNG"}})", kNow - days(29));
  settle();
  for (const auto& text : {canary, anonymous}) ASSERT_NE(files_with(text), "") << text;
  EXPECT_EQ(files_with(quarantined), "") << "the quarantine keeps no text at all";

  const PurgeCounts purged = purge_expired(*store_, retention_policy(365), kNow);
  EXPECT_EQ(purged.contributions, 1002);
  EXPECT_EQ(purged.quarantined, 1);
  EXPECT_EQ(purged.outbox_rows, 1);  // the anonymous notice, delivered 400 days ago
  EXPECT_TRUE(scrubber_->pending());

  expect_scrubbed();
  for (const auto& text : {canary, anonymous, quarantined}) EXPECT_EQ(files_with(text), "") << text;
  EXPECT_EQ(files_with(control), "bot.db");
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine WHERE event_id = '$q-young:example.org'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contributions"), 1001);
  EXPECT_EQ(count("SELECT SUM(LENGTH(tags) - LENGTH(REPLACE(tags, ',', '')) + 1) "
                  "FROM contributions WHERE tags <> ''"),
            1001);  // the tags of what is kept
}

TEST_F(RetentionTest, PurgeDeletesWhatIsOlderThanThePolicyAndNothingElse) {
  const TimePoint cutoff = kNow - days(30);
  add(contribution("$at-cutoff:x", "p", "genau an der Grenze", cutoff));
  add(contribution("$before:x", "p", "eine Millisekunde davor", cutoff - milliseconds(1)));
  {
    BatchScope batch(*store_);
    batch.mark_seen("$seen-old:x", "!r:x", ms(cutoff) - 1);
    batch.mark_seen("$seen-new:x", "!r:x", ms(cutoff));
    core::Round ended;
    ended.room_id = "!r:x";
    ended.template_key = "aar";
    ended.state = core::RoundState::ended;
    ended.ended_at = cutoff - milliseconds(1);
    batch.save_round(ended);
    core::Round running = ended;  // started long ago, still running: stays
    running.room_id = "!s:x";
    running.state = core::RoundState::running;
    running.ended_at = TimePoint{};
    batch.save_round(running);
    // Sends that never went out keep their content and their row, however old.
    batch.queue_send("!r:x", "m.room.message", R"({"body":"AUSSTEHEND"})", "pending",
                     ms(cutoff) - 1);
    batch.commit();
  }
  send_delivered("sent-old", "alt", cutoff - milliseconds(1));
  send_delivered("sent-new", "neu", cutoff);

  const PurgeCounts purged = purge_expired(*store_, retention_policy(30), kNow);
  EXPECT_EQ(purged.contributions, 1);
  EXPECT_EQ(purged.rounds, 1);
  EXPECT_EQ(purged.seen_events, 1);
  EXPECT_EQ(purged.outbox_rows, 1);
  EXPECT_EQ(purged.outbox_contents, 0);  // delivery emptied them already
  EXPECT_TRUE(store_->contribution("$at-cutoff:x"));
  EXPECT_FALSE(store_->contribution("$before:x"));
  EXPECT_TRUE(store_->is_seen("$seen-new:x", "!r:x"));
  EXPECT_FALSE(store_->is_seen("$seen-old:x", "!r:x"));
  EXPECT_EQ(store_->open_rounds().size(), 1u);
  const auto pending = store_->pending_outbox(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].content, R"({"body":"AUSSTEHEND"})");

  const PurgeCounts again = purge_expired(*store_, retention_policy(30), kNow);
  EXPECT_EQ(again.total(), 0);
}

TEST_F(RetentionTest, QuarantineIsKeptThirtyDaysAtMostAndContributionsAsConfigured) {
  EXPECT_EQ(retention_policy(365).contributions, days(365));
  EXPECT_EQ(retention_policy(365).quarantine, days(30));
  EXPECT_EQ(retention_policy(7).quarantine, days(7));
  EXPECT_EQ(retention_policy(1).contributions, days(1));
}

TEST_F(RetentionTest, DeliveryOrGivingUpEmptiesAnOutboxRowsContent) {
  {
    BatchScope batch(*store_);
    batch.queue_send("!r:x", "m.room.message", R"({"body":"eins"})", "a", 1);
    batch.queue_send("!r:x", "m.room.message", R"({"body":"zwei"})", "b", 1);
    batch.queue_send("!r:x", "m.room.message", R"({"body":"drei"})", "c", 1);
    batch.commit();
  }
  auto rows = store_->pending_outbox(10);
  ASSERT_EQ(rows.size(), 3u);
  store_->outbox_sent(rows[0].id, "$one", 2);
  store_->outbox_failed(rows[1].id, "HTTP 502", false);  // will be retried: keeps its content
  store_->outbox_failed(rows[2].id, "M_FORBIDDEN", true);
  Statement contents(store_->connection(), "SELECT state, content FROM outbox ORDER BY id");
  std::vector<std::pair<std::string, std::string>> got;
  while (contents.step()) got.emplace_back(contents.column_text(0), contents.column_text(1));
  const std::vector<std::pair<std::string, std::string>> want = {
      {"sent", ""}, {"pending", R"({"body":"zwei"})"}, {"failed", ""}};
  EXPECT_EQ(got, want);
}

TEST_F(RetentionTest, TheScrubberNotesErasuresThatCommitAndNothingElse) {
  EXPECT_FALSE(scrubber_->pending());
  EXPECT_FALSE(scrubber_->scrub().ran);
  add(contribution("$a:x", "p-a", "eins", kNow));
  add(contribution("$b:x", "p-b", "zwei", kNow));
  EXPECT_FALSE(scrubber_->pending()) << "collecting erases nothing";
  {
    BatchScope batch(*store_);
    batch.remove_contribution("$a:x");
  }  // rolled back
  EXPECT_FALSE(scrubber_->pending());

  {
    BatchScope batch(*store_);
    batch.edit_contribution("$a:x", "eins, korrigiert", {});
    batch.commit();
  }
  EXPECT_TRUE(scrubber_->pending()) << "an edit replaces text";
  const int version = store_->schema_version();
  expect_scrubbed();
  EXPECT_EQ(store_->schema_version(), version);
  EXPECT_EQ(store_->contribution("$a:x")->body, "eins, korrigiert");

  // The notes still work on the rewritten database.
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.add_vote("$v:x", "$b:x", "p-a"));
    batch.commit();
  }
  EXPECT_FALSE(scrubber_->pending());
  {
    BatchScope batch(*store_);
    ASSERT_TRUE(batch.remove_vote("$v:x"));
    batch.commit();
  }
  EXPECT_TRUE(scrubber_->pending());
  expect_scrubbed();
}

TEST_F(RetentionTest, ACheckpointBlockedByAReaderIsFinishedByTheNextScrub) {
  const std::string canary = "KANARIE-LESER-40d1";
  add(contribution("$a:x", "p-a", canary, kNow));
  add(contribution("$b:x", "p-b", "bleibt", kNow));
  sqlite3_busy_timeout(store_->connection().handle(), 0);  // do not wait for the reader
  // `reflexbot status` or `backup` reading at the same moment.
  Connection reader(store_.path(), OpenMode::read_only);
  Statement reading(reader, "SELECT body FROM contributions");
  ASSERT_TRUE(reading.step());
  {
    BatchScope batch(*store_);
    batch.remove_contribution("$a:x");
    batch.commit();
  }
  const ScrubResult blocked = scrubber_->scrub();
  EXPECT_TRUE(blocked.ran);
  EXPECT_FALSE(blocked.complete);
  EXPECT_NE(files_with(canary), "") << "the reader's snapshot still needs the old pages";

  reading.reset();
  expect_scrubbed();
  EXPECT_EQ(files_with(canary), "");
}

}  // namespace
}  // namespace reflexbot::store
