#include "store/store.hpp"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <span>
#include <string_view>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "store/retention.hpp"

namespace reflexbot::store {
namespace {

// Versioned migrations: entry i moves the schema from version i to i + 1. Never edit a shipped
// entry; append a new one.
constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE sync_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_batch TEXT NOT NULL
);
CREATE TABLE seen_events (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  membership TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  room_version TEXT NOT NULL DEFAULT '',
  creators TEXT NOT NULL DEFAULT '[]',
  power_levels TEXT NOT NULL DEFAULT '',
  encrypted INTEGER NOT NULL DEFAULT 0,
  encryption_notice_sent INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('send', 'join', 'leave')),
  room_id TEXT NOT NULL,
  event_type TEXT NOT NULL DEFAULT '',
  txn_id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  remote_event_id TEXT
);
CREATE INDEX outbox_pending ON outbox (state, id);
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
)sql",
    R"sql(
CREATE TABLE rounds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  template_key TEXT NOT NULL,
  topic TEXT NOT NULL DEFAULT '',
  started_by TEXT NOT NULL DEFAULT '',
  phase_index INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'ended')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL DEFAULT 0,
  phase_started_at INTEGER NOT NULL,
  phase_deadline INTEGER NOT NULL,
  remaining_when_paused_ms INTEGER NOT NULL DEFAULT 0,
  reminder_sent INTEGER NOT NULL DEFAULT 0,
  phase_length_override_min INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX rounds_one_open_per_room ON rounds (room_id) WHERE state <> 'ended';
CREATE TABLE contributions (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  city TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  round_id INTEGER REFERENCES rounds (id) ON DELETE SET NULL,
  phase_key TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('round', 'tag', 'pin', 'anonymous'))
) WITHOUT ROWID;
CREATE INDEX contributions_room_time ON contributions (room_id, written_at);
CREATE INDEX contributions_round ON contributions (round_id, phase_key);
CREATE INDEX contributions_author ON contributions (author) WHERE author <> '';
CREATE TABLE contribution_tags (
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (event_id, tag)
) WITHOUT ROWID;
CREATE TABLE votes (
  reaction_event_id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  voter TEXT NOT NULL,
  UNIQUE (event_id, voter)
) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE pin_requests (
  target_event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  requested_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    R"sql(
ALTER TABLE rooms ADD COLUMN direct INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: when the last sync batch was committed (for `reflexbot status`).
    R"sql(
CREATE TABLE sync_progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  committed_at INTEGER NOT NULL
);
)sql",
    // 6: digests — lessons and their sources, the groups of each room's last digest (for
    // "!lehre <Nr>"), the scheduled digests posted, and when the schedule was first seen.
    R"sql(
CREATE INDEX contributions_time ON contributions (written_at);
CREATE TABLE lessons (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('identified', 'action', 'learned')),
  action TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  due TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX lessons_room ON lessons (room_id);
CREATE TABLE lesson_sources (
  lesson_id INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  PRIMARY KEY (lesson_id, event_id)
) WITHOUT ROWID;
CREATE INDEX lesson_sources_event ON lesson_sources (event_id);
CREATE TABLE digest_groups (
  room_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  PRIMARY KEY (room_id, number, event_id)
) WITHOUT ROWID;
CREATE INDEX digest_groups_event ON digest_groups (event_id);
CREATE TABLE digest_runs (
  slot INTEGER PRIMARY KEY,
  posted_at INTEGER NOT NULL
);
CREATE TABLE digest_schedule (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  spec TEXT NOT NULL,
  active_since INTEGER NOT NULL
);
)sql",
    // 7: contributions stored in time order (a rowid table filled in written_at order; new rows
    // arrive in about that order), so a digest's period is one sequential range instead of a
    // random B-tree lookup per row; their tags and vote count kept on the row by triggers, so a
    // digest needs no lookup in contribution_tags or votes. Runs with foreign keys off (see
    // Store::migrate): dropping the old table must not cascade into tags and votes.
    R"sql(
CREATE TABLE contributions_by_time (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  city TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  round_id INTEGER REFERENCES rounds (id) ON DELETE SET NULL,
  phase_key TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('round', 'tag', 'pin', 'anonymous')),
  tags TEXT NOT NULL DEFAULT '',
  votes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO contributions_by_time (event_id, room_id, city, author, round_id, phase_key, body,
                                   written_at, collected_at, via, tags, votes)
SELECT c.event_id, c.room_id, c.city, c.author, c.round_id, c.phase_key, c.body, c.written_at,
       c.collected_at, c.via,
       COALESCE((SELECT group_concat(tag, ',') FROM (SELECT t.tag FROM contribution_tags t
                                                      WHERE t.event_id = c.event_id ORDER BY t.tag)),
                ''),
       (SELECT count(*) FROM votes v WHERE v.event_id = c.event_id)
FROM contributions c ORDER BY c.written_at, c.event_id;
DROP TABLE contributions;
ALTER TABLE contributions_by_time RENAME TO contributions;
CREATE INDEX contributions_room_time ON contributions (room_id, written_at);
CREATE INDEX contributions_round ON contributions (round_id, phase_key);
CREATE INDEX contributions_author ON contributions (author) WHERE author <> '';
CREATE INDEX contributions_time ON contributions (written_at);
CREATE TRIGGER contribution_tags_added AFTER INSERT ON contribution_tags BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = NEW.event_id ORDER BY t.tag)), '')
  WHERE event_id = NEW.event_id;
END;
CREATE TRIGGER contribution_tags_removed AFTER DELETE ON contribution_tags BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = OLD.event_id ORDER BY t.tag)), '')
  WHERE event_id = OLD.event_id;
END;
CREATE TRIGGER votes_added AFTER INSERT ON votes BEGIN
  UPDATE contributions SET votes = votes + 1 WHERE event_id = NEW.event_id;
END;
CREATE TRIGGER votes_removed AFTER DELETE ON votes BEGIN
  UPDATE contributions SET votes = votes - 1 WHERE event_id = OLD.event_id;
END;
)sql",
    // 8: each contribution's index terms (core::TextAnalyzer::keys()), made when it is collected,
    // so a digest reads them instead of analysing every text again; NULL until indexed (see
    // Store::index_contributions). `fingerprint` names the analysis the stored terms come from.
    R"sql(
ALTER TABLE contributions ADD COLUMN terms BLOB;
CREATE TABLE analysis_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint INTEGER NOT NULL
);
)sql",
    // 9: the contributions still to index, so that finding none at start is an index lookup, not
    // a scan of the whole table (2 s for a store of 2M contributions).
    R"sql(
CREATE INDEX contributions_unindexed ON contributions (id) WHERE terms IS NULL;
)sql",
    // 10: event ids are de-duplicated per room (a copy of one room's event served under another
    // room must not make the real one look seen).
    R"sql(
CREATE TABLE seen_events_by_room (
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, event_id)
) WITHOUT ROWID;
INSERT INTO seen_events_by_room (room_id, event_id, received_at)
  SELECT room_id, event_id, received_at FROM seen_events;
DROP TABLE seen_events;
ALTER TABLE seen_events_by_room RENAME TO seen_events;
)sql"
    // ... and the quarantine keeps an outline (type, key names, JSON types) instead of the raw
    // event, which held message texts and sender ids; the old raw JSON is dropped (the Scrubber
    // then wipes it from the files). Old reasons lose what follows a user id in them. Events
    // refused by the daily caps are counted per day.
    R"sql(
CREATE TABLE quarantine_outlines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  outline TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
INSERT INTO quarantine_outlines (id, room_id, event_id, outline, reason, received_at)
  SELECT id, room_id, event_id, '',
         CASE WHEN instr(reason, '@') > 0 THEN substr(reason, 1, instr(reason, '@')) || '…'
              ELSE substr(reason, 1, 160) END,
         received_at
  FROM quarantine;
DROP TABLE quarantine;
ALTER TABLE quarantine_outlines RENAME TO quarantine;
CREATE INDEX quarantine_room_time ON quarantine (room_id, received_at);
CREATE INDEX quarantine_time ON quarantine (received_at);
CREATE TABLE quarantine_refused (
  day INTEGER PRIMARY KEY,
  events INTEGER NOT NULL
);
)sql",
    // 11: who is a joined member of which room (for "!anonym" targets and direct-chat invites),
    // the rooms whose full member list was fetched, and confidential outbox rows. Traces that
    // linked an anonymous post to its direct chat go: the seen rows and delivered outbox rows of
    // direct chats, and exact times of anonymous contributions and their outbox rows.
    R"sql(
CREATE TABLE room_members (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE TABLE member_lists (
  room_id TEXT PRIMARY KEY
) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN confidential INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET confidential = 1,
  created_at = created_at - created_at % 3600000,
  sent_at = CASE WHEN sent_at IS NULL THEN NULL ELSE sent_at - sent_at % 3600000 END
  WHERE kind = 'send' AND 'anon:' || txn_id IN (SELECT event_id FROM contributions
                                                 WHERE via = 'anonymous');
UPDATE contributions SET written_at = written_at - written_at % 3600000,
  collected_at = collected_at - collected_at % 3600000 WHERE via = 'anonymous';
DELETE FROM seen_events WHERE room_id IN (SELECT room_id FROM rooms WHERE direct = 1);
DELETE FROM outbox WHERE state <> 'pending' AND room_id IN (SELECT room_id FROM rooms
                                                             WHERE direct = 1);
)sql",
    // 12: who asked to be forgotten, and when (their keyed pseudonym only), so that a 📌 cannot
    // collect their earlier messages again.
    R"sql(
CREATE TABLE forgotten_authors (
  author TEXT PRIMARY KEY,
  forgotten_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 13: end-to-end encryption. Encrypted events whose room key has not arrived yet, kept (as
    // ciphertext, with their sender for forget-me) until they decrypt or are given up; a rowid
    // table, as a row holds a whole event. And the bot's own device as the crypto layer last saw
    // it, for `reflexbot status`.
    R"sql(
CREATE TABLE undecrypted (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  session_id TEXT NOT NULL,
  event_json TEXT NOT NULL,
  received_ms INTEGER NOT NULL
);
CREATE INDEX undecrypted_time ON undecrypted (received_ms);
CREATE TABLE crypto_identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  device_id TEXT NOT NULL,
  ed25519 TEXT NOT NULL,
  cross_signed INTEGER NOT NULL,
  checked_at INTEGER NOT NULL
);
)sql",
    // 14: what secret storage holds for the bot's identity (the recovery key's state), for
    // `reflexbot status`.
    R"sql(
ALTER TABLE crypto_identity ADD COLUMN recovery TEXT NOT NULL DEFAULT '';
)sql",
    // 15: the CHECK constraints of the two tables written for every collected message, as OR
    // chains: SQLite evaluates `x IN (a, b, c)` (three values or more) by building a temporary
    // b-tree, on every INSERT and UPDATE (EXPLAIN shows OpenEphemeral; docs/benchmarks.md has the
    // cost). Same constraints, same rows; the outbox keeps its AUTOINCREMENT high-water mark, so
    // no id (and no transaction id made from it) is ever given out twice. The triggers that keep
    // tags and votes on a contribution are made again around the rebuild.
    R"sql(
CREATE TEMP TABLE outbox_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
CREATE TABLE outbox_or (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind = 'send' OR kind = 'join' OR kind = 'leave'),
  room_id TEXT NOT NULL,
  event_type TEXT NOT NULL DEFAULT '',
  txn_id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state = 'pending' OR state = 'sent' OR state = 'failed'),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  remote_event_id TEXT,
  confidential INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_or (id, kind, room_id, event_type, txn_id, content, state, attempts,
                       last_error, created_at, sent_at, remote_event_id, confidential)
  SELECT id, kind, room_id, event_type, txn_id, content, state, attempts, last_error, created_at,
         sent_at, remote_event_id, confidential FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_or RENAME TO outbox;
UPDATE sqlite_sequence SET seq = max(seq, COALESCE((SELECT seq FROM temp.outbox_sequence), 0))
  WHERE name = 'outbox';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'outbox', seq FROM temp.outbox_sequence
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox');
DROP TABLE temp.outbox_sequence;
CREATE INDEX outbox_pending ON outbox (state, id);

DROP TRIGGER contribution_tags_added;
DROP TRIGGER contribution_tags_removed;
DROP TRIGGER votes_added;
DROP TRIGGER votes_removed;
CREATE TABLE contributions_or (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  city TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  round_id INTEGER REFERENCES rounds (id) ON DELETE SET NULL,
  phase_key TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via = 'round' OR via = 'tag' OR via = 'pin' OR via = 'anonymous'),
  tags TEXT NOT NULL DEFAULT '',
  votes INTEGER NOT NULL DEFAULT 0,
  terms BLOB
);
INSERT INTO contributions_or (id, event_id, room_id, city, author, round_id, phase_key, body,
                              written_at, collected_at, via, tags, votes, terms)
  SELECT id, event_id, room_id, city, author, round_id, phase_key, body, written_at,
         collected_at, via, tags, votes, terms FROM contributions;
DROP TABLE contributions;
ALTER TABLE contributions_or RENAME TO contributions;
CREATE INDEX contributions_room_time ON contributions (room_id, written_at);
CREATE INDEX contributions_round ON contributions (round_id, phase_key);
CREATE INDEX contributions_author ON contributions (author) WHERE author <> '';
CREATE INDEX contributions_time ON contributions (written_at);
CREATE INDEX contributions_unindexed ON contributions (id) WHERE terms IS NULL;
CREATE TRIGGER contribution_tags_added AFTER INSERT ON contribution_tags BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = NEW.event_id ORDER BY t.tag)), '')
  WHERE event_id = NEW.event_id;
END;
CREATE TRIGGER contribution_tags_removed AFTER DELETE ON contribution_tags BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = OLD.event_id ORDER BY t.tag)), '')
  WHERE event_id = OLD.event_id;
END;
CREATE TRIGGER votes_added AFTER INSERT ON votes BEGIN
  UPDATE contributions SET votes = votes + 1 WHERE event_id = NEW.event_id;
END;
CREATE TRIGGER votes_removed AFTER DELETE ON votes BEGIN
  UPDATE contributions SET votes = votes - 1 WHERE event_id = OLD.event_id;
END;
)sql",
    // 16: every posted digest is kept with its number in its room (D1, D2 …), its period and
    // scope, the contributions of its numbered groups (digest_members) and the transaction ids
    // of its messages, so "!lehre D3-2", a reply to a digest and "!digest D3" name one digest
    // whatever came after it. The groups of each room's last digest (digest_groups, dropped)
    // become that room's D1. Safe to run again over a store that has these tables.
    R"sql(
CREATE TABLE IF NOT EXISTS digest_groups (
  room_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  event_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  scope_room TEXT NOT NULL DEFAULT '',
  period_from INTEGER NOT NULL DEFAULT 0,
  period_to INTEGER NOT NULL DEFAULT 0,
  posted_at INTEGER NOT NULL,
  UNIQUE (room_id, number)
);
CREATE TABLE IF NOT EXISTS digest_members (
  digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  PRIMARY KEY (digest_id, number, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS digest_members_event ON digest_members (event_id);
CREATE TABLE IF NOT EXISTS digest_messages (
  txn_id TEXT PRIMARY KEY,
  digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS digest_messages_digest ON digest_messages (digest_id);
INSERT OR IGNORE INTO digests (room_id, number, posted_at)
  SELECT DISTINCT room_id, 1, 0 FROM digest_groups ORDER BY room_id;
INSERT OR IGNORE INTO digest_members (digest_id, number, event_id)
  SELECT d.id, g.number, g.event_id FROM digest_groups g
  JOIN digests d ON d.room_id = g.room_id AND d.number = 1;
DROP TABLE digest_groups;
)sql",
    // 17: moderators' corrections of digest groups (!zusammenführen, !verschieben, !abtrennen,
    // !umbenennen). A curated group belongs to the scope of the digests it corrects (a room, or
    // '' for the network) and has a name once renamed; its members are contributions pinned to
    // it, each in at most one curated group per scope. A member goes with its contribution
    // (redaction, !vergessen, retention: ON DELETE CASCADE), and a group without members goes
    // with its last one. Safe to run again over a store that has these tables.
    R"sql(
CREATE TABLE IF NOT EXISTS curated_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope_room TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS curated_groups_scope ON curated_groups (scope_room);
CREATE TABLE IF NOT EXISTS curated_members (
  scope_room TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  group_id INTEGER NOT NULL REFERENCES curated_groups (id) ON DELETE CASCADE,
  pinned_at INTEGER NOT NULL,
  PRIMARY KEY (scope_room, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS curated_members_group ON curated_members (group_id);
CREATE INDEX IF NOT EXISTS curated_members_event ON curated_members (event_id);
CREATE TRIGGER IF NOT EXISTS curated_members_left AFTER DELETE ON curated_members BEGIN
  DELETE FROM curated_groups WHERE id = OLD.group_id
    AND NOT EXISTS (SELECT 1 FROM curated_members WHERE group_id = OLD.group_id);
END;
CREATE TRIGGER IF NOT EXISTS curated_members_moved AFTER UPDATE OF group_id ON curated_members BEGIN
  DELETE FROM curated_groups WHERE id = OLD.group_id
    AND NOT EXISTS (SELECT 1 FROM curated_members WHERE group_id = OLD.group_id);
END;
)sql",
    // 18: edits (issue 16). A contribution remembers when its latest edit was sent
    // (contribution_edits), so an older edit can never bring back an older text; an edit that makes
    // an uncollected message a contribution waits in edit_requests until the bot has fetched the
    // original (to check that the edit's sender wrote it). A 👍 on the bot's notice of an anonymous
    // contribution finds it by the notice's event id (outbox_remote). Lessons keep their lifecycle
    // in lesson_history: who (a moderator's pseudonym) changed what when, from which value to
    // which; a removed lesson has a 'removed' entry and is no longer read. A poll the bot posted
    // (polls, keyed by its outbox transaction id) names the contributions its answers stand for
    // (poll_answers); a person's answer is a vote like a 👍. Safe to run again over a store that has
    // these.
    R"sql(
CREATE TABLE IF NOT EXISTS edit_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  edit_event_id TEXT NOT NULL UNIQUE,
  original_event_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  requested_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contribution_edits (
  event_id TEXT PRIMARY KEY REFERENCES contributions (event_id) ON DELETE CASCADE,
  edited_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_remote ON outbox (remote_event_id)
  WHERE remote_event_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS lesson_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  lesson_id INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
  change TEXT NOT NULL CHECK (change IN ('created', 'action', 'learned', 'title', 'owner', 'due',
                                         'action_removed', 'removed')),
  changed_by TEXT NOT NULL DEFAULT '',
  old_value TEXT NOT NULL DEFAULT '',
  new_value TEXT NOT NULL DEFAULT '',
  changed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lesson_history_lesson ON lesson_history (lesson_id, change);
CREATE TABLE IF NOT EXISTS polls (
  txn_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  closed_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS poll_answers (
  txn_id TEXT NOT NULL REFERENCES polls (txn_id) ON DELETE CASCADE,
  answer_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES contributions (event_id) ON DELETE CASCADE,
  PRIMARY KEY (txn_id, answer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS poll_answers_event ON poll_answers (event_id);
)sql",
    // 19: a round's history, so that a message read late (after an outage) is filed under the
    // phase that was open when it was written: one span per phase and state (running or paused),
    // from `since` until the next change (`until` NULL: still open). Open rounds start their
    // history with their current phase. A room without a name had its id as the city of what it
    // collected, which digests showed: no city instead. A round in a thread keeps the event its
    // thread hangs from in round_threads. Safe to run again.
    R"sql(
CREATE TABLE IF NOT EXISTS round_spans (
  round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
  room_id TEXT NOT NULL,
  phase_index INTEGER NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  since INTEGER NOT NULL,
  until INTEGER
);
CREATE INDEX IF NOT EXISTS round_spans_room ON round_spans (room_id, since);
CREATE INDEX IF NOT EXISTS round_spans_round ON round_spans (round_id) WHERE until IS NULL;
INSERT INTO round_spans (round_id, room_id, phase_index, paused, since)
  SELECT id, room_id, phase_index, state = 'paused', phase_started_at FROM rounds
  WHERE state <> 'ended' AND id NOT IN (SELECT round_id FROM round_spans);
UPDATE contributions SET city = '' WHERE city = room_id;
CREATE TABLE IF NOT EXISTS round_threads (
  round_id INTEGER PRIMARY KEY REFERENCES rounds (id) ON DELETE CASCADE,
  root_event_id TEXT NOT NULL
);
)sql",
    // 20: an encrypted room the bot has joined owes its welcome until someone writes there (by
    // then their client knows the bot's device and can read what it sends).
    R"sql(
ALTER TABLE rooms ADD COLUMN welcome_due INTEGER NOT NULL DEFAULT 0;
)sql",
    // 21: the file of an outbox row that sends media (the digest's chart), kept until it is
    // uploaded and its URI is in the row's content; then the row is deleted. The URI is stored
    // as soon as the upload returns, so a restart reuses it: one image per digest, never two.
    R"sql(
CREATE TABLE IF NOT EXISTS outbox_media (
  outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
  bytes BLOB NOT NULL,
  mimetype TEXT NOT NULL,
  filename TEXT NOT NULL DEFAULT '',
  file_info TEXT NOT NULL DEFAULT '',
  content_uri TEXT NOT NULL DEFAULT ''
);
)sql",
    // 22: the last CHECK (x IN (…)) constraints (rounds.state, lessons.state,
    // lesson_history.change) as OR chains, as 15 did for the outbox and contributions: each write
    // of such a row built a temporary b-tree (and its page cache) to test the value. Same
    // constraints, same rows and ids; the AUTOINCREMENT high-water marks, the indexes and the
    // child tables' references (which name the tables, not their rows) stay. And a tag added to a
    // contribution whose `tags` column already names it (a new contribution is written with its
    // tags; BatchScope::add_contribution) no longer rewrites the row: the column was already
    // what the trigger would compute. Safe to run again.
    R"sql(
DROP TRIGGER IF EXISTS contribution_tags_added;
CREATE TRIGGER contribution_tags_added AFTER INSERT ON contribution_tags
WHEN (SELECT instr(',' || tags || ',', ',' || NEW.tag || ',') FROM contributions
      WHERE event_id = NEW.event_id) = 0 BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = NEW.event_id ORDER BY t.tag)), '')
  WHERE event_id = NEW.event_id;
END;

CREATE TEMP TABLE rebuilt_sequences AS SELECT name, seq FROM sqlite_sequence
  WHERE name IN ('rounds', 'lessons', 'lesson_history');
CREATE TABLE rounds_or (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  template_key TEXT NOT NULL,
  topic TEXT NOT NULL DEFAULT '',
  started_by TEXT NOT NULL DEFAULT '',
  phase_index INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state = 'running' OR state = 'paused' OR state = 'ended'),
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL DEFAULT 0,
  phase_started_at INTEGER NOT NULL,
  phase_deadline INTEGER NOT NULL,
  remaining_when_paused_ms INTEGER NOT NULL DEFAULT 0,
  reminder_sent INTEGER NOT NULL DEFAULT 0,
  phase_length_override_min INTEGER NOT NULL DEFAULT 0
);
INSERT INTO rounds_or (id, room_id, template_key, topic, started_by, phase_index, state,
                       started_at, ended_at, phase_started_at, phase_deadline,
                       remaining_when_paused_ms, reminder_sent, phase_length_override_min)
  SELECT id, room_id, template_key, topic, started_by, phase_index, state, started_at, ended_at,
         phase_started_at, phase_deadline, remaining_when_paused_ms, reminder_sent,
         phase_length_override_min FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_or RENAME TO rounds;
CREATE UNIQUE INDEX rounds_one_open_per_room ON rounds (room_id) WHERE state <> 'ended';

CREATE TABLE lessons_or (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state = 'identified' OR state = 'action' OR state = 'learned'),
  action TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  due TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO lessons_or (id, room_id, title, state, action, owner, due, created_at, updated_at)
  SELECT id, room_id, title, state, action, owner, due, created_at, updated_at FROM lessons;
DROP TABLE lessons;
ALTER TABLE lessons_or RENAME TO lessons;
CREATE INDEX lessons_room ON lessons (room_id);

CREATE TABLE lesson_history_or (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  lesson_id INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
  change TEXT NOT NULL CHECK (change = 'created' OR change = 'action' OR change = 'learned' OR
                              change = 'title' OR change = 'owner' OR change = 'due' OR
                              change = 'action_removed' OR change = 'removed'),
  changed_by TEXT NOT NULL DEFAULT '',
  old_value TEXT NOT NULL DEFAULT '',
  new_value TEXT NOT NULL DEFAULT '',
  changed_at INTEGER NOT NULL
);
INSERT INTO lesson_history_or (id, lesson_id, change, changed_by, old_value, new_value,
                               changed_at)
  SELECT id, lesson_id, change, changed_by, old_value, new_value, changed_at FROM lesson_history;
DROP TABLE lesson_history;
ALTER TABLE lesson_history_or RENAME TO lesson_history;
CREATE INDEX lesson_history_lesson ON lesson_history (lesson_id, change);

UPDATE sqlite_sequence
  SET seq = max(seq, (SELECT r.seq FROM temp.rebuilt_sequences r WHERE r.name = sqlite_sequence.name))
  WHERE name IN (SELECT name FROM temp.rebuilt_sequences);
INSERT INTO sqlite_sequence (name, seq)
  SELECT name, seq FROM temp.rebuilt_sequences
  WHERE name NOT IN (SELECT name FROM sqlite_sequence);
DROP TABLE temp.rebuilt_sequences;
)sql",
    // 23: fewer writes per collected message. A contribution's tags are kept in its `tags`
    // column alone: the rows of contribution_tags (from which migration 7's triggers made the
    // column) cost a row, a foreign-key probe and a trigger's lookup per tag. The column is made
    // once more from those rows, should they differ, and the rows go (the triggers dropped first:
    // deleting the rows must not empty the column); the table and its triggers stay, empty and
    // unused (migration 15, run again, names them). And a contribution collected
    // outside a round (by its tag, a 📌 or anonymously) has no entry in contributions_round: every
    // query of that index asks for one round (`round_id = ?`, which a partial index on round_id
    // IS NOT NULL answers), as does the ON DELETE SET NULL of a removed round. Safe to run again.
    R"sql(
UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = contributions.event_id
    ORDER BY t.tag)), '')
  WHERE event_id IN (SELECT event_id FROM contribution_tags) AND tags IS NOT
    COALESCE((SELECT group_concat(tag, ',') FROM (
      SELECT t.tag FROM contribution_tags t WHERE t.event_id = contributions.event_id
      ORDER BY t.tag)), '');
DROP TRIGGER IF EXISTS contribution_tags_added;
DROP TRIGGER IF EXISTS contribution_tags_removed;
DELETE FROM contribution_tags;
CREATE TRIGGER contribution_tags_added AFTER INSERT ON contribution_tags
WHEN (SELECT instr(',' || tags || ',', ',' || NEW.tag || ',') FROM contributions
      WHERE event_id = NEW.event_id) = 0 BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = NEW.event_id ORDER BY t.tag)), '')
  WHERE event_id = NEW.event_id;
END;
CREATE TRIGGER contribution_tags_removed AFTER DELETE ON contribution_tags BEGIN
  UPDATE contributions SET tags = COALESCE((SELECT group_concat(tag, ',') FROM (
    SELECT t.tag FROM contribution_tags t WHERE t.event_id = OLD.event_id ORDER BY t.tag)), '')
  WHERE event_id = OLD.event_id;
END;
DROP INDEX IF EXISTS contributions_round;
CREATE INDEX contributions_round ON contributions (round_id, phase_key)
  WHERE round_id IS NOT NULL;
)sql",
    // 24: the ✅ a collected message is owed is state of its contribution, not an outbox row
    // (issue 17: the row, its content and its two indexes were a quarter of a collected
    // message's time and a third of the pages a batch wrote). `ack`: NULL none owed; >= 0 owed,
    // to be sent after the outbox row of that id (the outbox's highest id when it was queued,
    // so it keeps its place among the room's replies); -1 sent or given up. The partial index
    // holds only the owed ones, in queue order (appended). Store::pending_outbox merges them
    // into the queue with the transaction id the outbox row had (the room and
    // "<event id>/ack"). ✅ rows queued before this migration stay in the outbox and go out
    // from there, once.
    R"sql(
ALTER TABLE contributions ADD COLUMN ack INTEGER;
CREATE INDEX contributions_ack ON contributions (id) WHERE ack >= 0;
)sql",
    // 25: when a moderator last moved a contribution into another curated group itself
    // (!verschieben as a reply to it, !abtrennen): the id of the newest digest then (0: never,
    // or before any digest). A later command that names a group by the number of a digest with
    // an id not above it acts on that group without it (app/features/digests.cpp,
    // on_curation) — digest ids, not times, so that a digest and a correction in one batch are
    // ordered too; pins a merge, a rename or the rest of a group a contribution left get leave
    // it as it is.
    R"sql(
ALTER TABLE curated_members ADD COLUMN moved_after INTEGER NOT NULL DEFAULT 0;
)sql",
};

// Times of anonymous posts are kept to the hour: exact ones could be matched with a direct chat.
constexpr std::int64_t kCoarseMs = 3600000;

std::string_view kind_name(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::send:
      return "send";
    case OutboxKind::join:
      return "join";
    case OutboxKind::leave:
      return "leave";
  }
  return "send";
}

OutboxKind kind_from(std::string_view name) {
  if (name == "join") return OutboxKind::join;
  if (name == "leave") return OutboxKind::leave;
  return OutboxKind::send;
}

// A room's authority in its columns: `creators` a JSON array of user ids, `power_levels` the
// levels as JSON ({"users": {…}, "users_default": n}) or empty if the room has none. Rows written
// by older versions hold the whole power-levels content; only these keys are read.
std::string dump_column(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string creators_column(const core::RoomAuthority& authority) {
  return dump_column(nlohmann::json(authority.creators));
}

std::string power_levels_column(const core::RoomAuthority& authority) {
  if (!authority.has_power_levels) return {};
  return dump_column({{"users", authority.users}, {"users_default", authority.users_default}});
}

core::RoomAuthority read_authority(std::string room_version, const std::string& creators_json,
                                   const std::string& power_levels_json) {
  core::RoomAuthority authority;
  authority.room_version = std::move(room_version);
  const auto creators = nlohmann::json::parse(creators_json, nullptr, false);
  if (creators.is_array()) {
    for (const auto& creator : creators) {
      if (creator.is_string() && !creator.get<std::string>().empty()) {
        authority.creators.push_back(creator.get<std::string>());
      }
    }
  }
  const auto levels = nlohmann::json::parse(power_levels_json, nullptr, false);
  authority.has_power_levels = levels.is_object();
  if (authority.has_power_levels) {
    authority.users_default = levels.value("users_default", std::int64_t{0});
    if (auto users = levels.find("users"); users != levels.end() && users->is_object()) {
      for (const auto& [user, level] : users->items()) {
        if (level.is_number_integer()) authority.users[user] = level.get<std::int64_t>();
      }
    }
  }
  return authority;
}

void append_hex(std::string& out, std::uint64_t bits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    out += kHex[bits & 0xF];
    bits >>= 4;
  }
}

// Two FNV-1a runs with different offsets: 128 bits, deterministic, not a security property.
std::string txn_id_for(std::string_view key) {
  auto fnv = [key](std::uint64_t hash) {
    for (unsigned char c : key) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    return hash;
  };
  std::string id = "rb";
  append_hex(id, fnv(14695981039346656037ULL));
  append_hex(id, fnv(0x9E3779B97F4A7C15ULL));
  return id;
}

// 128 bits from the system's CSPRNG (getrandom behind std::random_device in libstdc++): an
// anonymous post's id must not be predictable from anything stored or from other ids.
std::string secret_txn_id() {
  std::random_device device;
  std::string id = "ra";
  for (int i = 0; i < 2; ++i) {
    const std::uint64_t bits = (static_cast<std::uint64_t>(device()) << 32) | device();
    append_hex(id, bits);
  }
  return id;
}

// Membership changes are de-duplicated by the pending check instead; their id is only a key.
std::string random_txn_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::string id = "rm";
  append_hex(id, rng());
  append_hex(id, rng());
  return id;
}

// Event ids are at most 255 bytes (the spec's limit); a longer one is cut.
constexpr std::size_t kMaxEventId = 255;

// A key or event type worth keeping: a name, not a text or a user id.
bool is_plain_name(std::string_view name, std::size_t max) {
  return !name.empty() && name.size() <= max && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

const char* json_type(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

// The outline of a parsed event (discarded: not JSON, e.g. cut at 64 KiB): type, state, the
// event's keys and its content's keys with their JSON types, within kQuarantineOutlineMax bytes.
// Names that are not plain are counted ("keys_unnamed"), keys beyond the budget too
// ("keys_omitted"), so the outline never carries a value, a text or a user id.
std::string outline_of(const nlohmann::json& raw, std::string_view type, bool state,
                       std::size_t raw_bytes) {
  std::string out = "{\"type\":";
  out += is_plain_name(type, 64) ? "\"" + std::string(type) + "\"" : std::string("\"?\"");
  out += state ? ",\"state\":true" : ",\"state\":false";
  if (!raw.is_object()) {
    out += raw.is_discarded() ? ",\"unreadable_bytes\":" + std::to_string(raw_bytes)
                              : std::string(",\"not_an_object\":true");
    return out + "}";
  }
  // Room for the closing braces and the counts at the end of each part.
  constexpr std::size_t kReserve = 2 * 48;
  auto part = [&out](const std::string& name, const nlohmann::json& object) {
    std::string body;
    std::size_t unnamed = 0;
    std::size_t omitted = 0;
    for (const auto& [key, value] : object.items()) {
      if (!is_plain_name(key, 32)) {
        ++unnamed;
        continue;
      }
      const std::string field = "\"" + key + "\":\"" + json_type(value) + "\"";
      if (out.size() + name.size() + body.size() + field.size() + 8 + kReserve >
          kQuarantineOutlineMax) {
        ++omitted;
        continue;
      }
      body += (body.empty() ? "" : ",") + field;
    }
    out += ",\"" + name + "\":{" + body + "}";
    if (unnamed > 0) out += ",\"" + name + "_unnamed\":" + std::to_string(unnamed);
    if (omitted > 0) out += ",\"" + name + "_omitted\":" + std::to_string(omitted);
  };
  part("keys", raw);
  const auto content = raw.find("content");
  if (content != raw.end() && content->is_object()) part("content", *content);
  return out + "}";
}

// The reason as stored and logged: Matrix user ids (which the parser may name, e.g. a power
// level's key) and the sender replaced by "@…", at most kQuarantineReasonMax bytes, whole
// UTF-8 characters.
std::string safe_reason(std::string_view reason, std::string_view sender) {
  std::string out;
  for (std::size_t i = 0; i < reason.size();) {
    if (reason[i] == '@' || (!sender.empty() && reason.substr(i).starts_with(sender))) {
      out += "@…";
      i += reason[i] == '@' ? 1 : sender.size();
      while (i < reason.size() && reason[i] != ' ' && reason[i] != ',' && reason[i] != '"' &&
             reason[i] != '\'' && reason[i] != ')') {
        ++i;
      }
      continue;
    }
    out += reason[i++];
  }
  if (out.size() > kQuarantineReasonMax) {
    std::size_t end = kQuarantineReasonMax;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
    out.resize(end);
  }
  return out;
}

}  // namespace

// Prepared once: the batch path runs these per event.
struct Store::Statements {
  explicit Statements(Connection& c)
      : insert_seen(
            c,
            "INSERT OR IGNORE INTO seen_events (event_id, room_id, received_at) VALUES (?, ?, ?)"),
        is_seen(c, "SELECT 1 FROM seen_events WHERE room_id = ? AND event_id = ?"),
        insert_outbox(c,
                      "INSERT OR IGNORE INTO outbox (kind, room_id, event_type, txn_id, content, "
                      "created_at, confidential) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        pending_membership(c,
                           "SELECT 1 FROM outbox WHERE room_id = ? AND kind IN ('join', 'leave') "
                           "AND state = 'pending'"),
        put_room(c,
                 "INSERT OR REPLACE INTO rooms (room_id, membership, name, room_version, creators, "
                 "power_levels, encrypted, encryption_notice_sent, direct, welcome_due) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        get_room(
            c,
            "SELECT room_id, membership, name, room_version, creators, power_levels, encrypted, "
            "encryption_notice_sent, direct, welcome_due FROM rooms WHERE room_id = ?"),
        quarantine(c,
                   "INSERT INTO quarantine (room_id, event_id, outline, reason, received_at) "
                   "VALUES (?, ?, ?, ?, ?)"),
        quarantined_in_room(
            c, "SELECT COUNT(*) FROM quarantine WHERE room_id = ? AND received_at >= ?"),
        quarantined_since(c, "SELECT COUNT(*) FROM quarantine WHERE received_at >= ?"),
        quarantine_refused(c,
                           "INSERT INTO quarantine_refused (day, events) VALUES (?, 1) "
                           "ON CONFLICT (day) DO UPDATE SET events = events + 1"),
        set_token(c,
                  "INSERT INTO sync_state (id, next_batch) VALUES (1, ?) "
                  "ON CONFLICT (id) DO UPDATE SET next_batch = excluded.next_batch"),
        get_token(c, "SELECT next_batch FROM sync_state WHERE id = 1"),
        set_synced_at(c,
                      "INSERT INTO sync_progress (id, committed_at) VALUES (1, ?) "
                      "ON CONFLICT (id) DO UPDATE SET committed_at = excluded.committed_at"),
        get_synced_at(c, "SELECT committed_at FROM sync_progress WHERE id = 1"),
        // Runs on every drain: the pending rows by index, each room by its primary key.
        pending_outbox(
            c,
            "SELECT o.id, o.kind, o.room_id, o.event_type, o.txn_id, o.content, "
            "o.attempts, o.confidential OR COALESCE(r.direct, 0), "
            "o.kind = 'send' AND COALESCE(r.encrypted, 0), "
            "EXISTS (SELECT 1 FROM outbox_media m WHERE m.outbox_id = o.id) FROM outbox o "
            "LEFT JOIN rooms r ON r.room_id = o.room_id WHERE o.state = 'pending' "
            "ORDER BY o.kind = 'leave', o.id LIMIT ?"),
        pending_acks(c,
                     "SELECT c.id, c.room_id, c.event_id, c.ack, COALESCE(r.direct, 0), "
                     "COALESCE(r.encrypted, 0) FROM contributions c "
                     "LEFT JOIN rooms r ON r.room_id = c.room_id "
                     "WHERE c.ack >= 0 ORDER BY c.id LIMIT ?"),
        ack_done(c,
                 "UPDATE contributions SET ack = -1 WHERE event_id = ? AND room_id = ? "
                 "AND ack >= 0"),
        txn_known(c, "SELECT 1 FROM outbox WHERE txn_id = ?"),
        pending_by_txn(c, "SELECT id FROM outbox WHERE txn_id = ? AND state = 'pending'"),
        outbox_encrypted(c,
                         "UPDATE outbox SET event_type = ?, content = ? "
                         "WHERE id = ? AND state = 'pending' AND kind = 'send'"),
        // Once delivered or given up, a row's content (which may quote contributions) is no
        // longer needed: the homeserver has the event, and the txn id still de-duplicates. A
        // direct chat's row goes whole (it would say when the person talked to the bot), an
        // anonymous post's row keeps an hour-coarse time.
        drop_direct_row(c,
                        "DELETE FROM outbox WHERE id = ? AND room_id IN "
                        "(SELECT room_id FROM rooms WHERE direct = 1)"),
        outbox_sent(c,
                    "UPDATE outbox SET state = 'sent', "
                    "sent_at = CASE WHEN confidential THEN ?1 - ?1 % 3600000 ELSE ?1 END, "
                    "remote_event_id = ?2, attempts = attempts + 1, content = '' WHERE id = ?3"),
        outbox_failed(c,
                      "UPDATE outbox SET state = CASE WHEN ?1 THEN 'failed' ELSE state END, "
                      "content = CASE WHEN ?1 THEN '' ELSE content END, "
                      "last_error = ?2, attempts = attempts + 1 WHERE id = ?3"),
        add_member(c, "INSERT OR IGNORE INTO room_members (room_id, user_id) VALUES (?, ?)"),
        remove_member(c, "DELETE FROM room_members WHERE room_id = ? AND user_id = ?"),
        is_member(c, "SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?"),
        member_count(c, "SELECT COUNT(*) FROM room_members WHERE room_id = ?"),
        keep_undecrypted(c,
                         "INSERT OR IGNORE INTO undecrypted (event_id, room_id, sender, "
                         "session_id, event_json, received_ms) VALUES (?, ?, ?, ?, ?, ?)"),
        drop_undecrypted(c, "DELETE FROM undecrypted WHERE event_id = ?") {}

  Statement insert_seen;
  Statement is_seen;
  Statement insert_outbox;
  Statement pending_membership;
  Statement put_room;
  Statement get_room;
  Statement quarantine;
  Statement quarantined_in_room;
  Statement quarantined_since;
  Statement quarantine_refused;
  Statement set_token;
  Statement get_token;
  Statement set_synced_at;
  Statement get_synced_at;
  Statement pending_outbox;
  Statement pending_acks;
  Statement ack_done;
  Statement txn_known;
  Statement pending_by_txn;
  Statement outbox_encrypted;
  Statement drop_direct_row;
  Statement outbox_sent;
  Statement outbox_failed;
  Statement add_member;
  Statement remove_member;
  Statement is_member;
  Statement member_count;
  Statement keep_undecrypted;
  Statement drop_undecrypted;
};

Store::Store(const std::string& path) : connection_(path) {
  make_private(path);
  connection_.exec("PRAGMA journal_mode = WAL");
  // Instead of SQLite's automatic checkpoint (in the commit that makes the WAL 1000 pages long):
  // checkpoint_if_due() after the commit, and this backstop for a WAL that grows regardless.
  sqlite3_wal_hook(
      connection_.handle(),
      [](void* pages, sqlite3* db, const char* schema, int frames) {
        *static_cast<int*>(pages) = frames;
        if (frames >= kWalBackstopPages &&
            sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
                SQLITE_OK) {
          *static_cast<int*>(pages) = 0;
        }
        return SQLITE_OK;
      },
      wal_pages_.get());
  connection_.exec("PRAGMA synchronous = FULL");
  connection_.exec("PRAGMA secure_delete = ON");
  // Migrations run with foreign keys off (SQLite's procedure for rebuilding a table: dropping a
  // parent table must not cascade), and the result is checked before it is committed.
  connection_.exec("PRAGMA foreign_keys = OFF");
  migrate();
  connection_.exec("PRAGMA foreign_keys = ON");
  statements_ = std::make_unique<Statements>(connection_);
  forget_stale_terms();
}

std::string encode_term_keys(const std::vector<std::uint64_t>& keys) {
  std::string out(keys.size() * 8, '\0');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t b = 0; b < 8; ++b) {
      out[i * 8 + b] = static_cast<char>((keys[i] >> (8 * b)) & 0xFFU);
    }
  }
  return out;
}

bool decode_term_keys(std::span<const std::byte> bytes, std::vector<std::uint64_t>& out) {
  if (bytes.size() % 8 != 0) return false;
  out.reserve(out.size() + bytes.size() / 8);
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t key = 0;
    for (std::size_t b = 0; b < 8; ++b) {
      key |= static_cast<std::uint64_t>(bytes[i + b]) << (8 * b);
    }
    out.push_back(key);
  }
  return true;
}

bool Store::release_dictionaries_if_idle(std::chrono::steady_clock::duration idle) {
  if (!lexicon_.release_if_idle(idle)) return false;
  analyzer_.reset();  // its words point into nothing, but it holds their analyses: gone too
  return true;
}

std::string Store::index_terms(std::string_view body) {
  constexpr std::size_t kMaxAnalyzerTerms = 200000;
  if (!analyzer_ || analyzer_->size() > kMaxAnalyzerTerms) {
    analyzer_ = std::make_unique<core::TextAnalyzer>(&lexicon_);
  }
  scratch_keys_.clear();
  analyzer_->keys(body, scratch_keys_);
  return encode_term_keys(scratch_keys_);
}

void Store::forget_stale_terms() {
  const auto fingerprint = static_cast<std::int64_t>(core::analysis_fingerprint(&lexicon_));
  Statement stored(connection_, "SELECT fingerprint FROM analysis_state WHERE id = 1");
  if (stored.step() && stored.column_int(0) == fingerprint) return;
  stored.reset();
  // Another analysis made the stored terms (or the store was just migrated and has none): they
  // are dropped, so every non-NULL `terms` is this analysis's, and made again by
  // index_contributions().
  Transaction transaction(connection_);
  connection_.exec("UPDATE contributions SET terms = NULL WHERE terms IS NOT NULL");
  Statement set(connection_,
                "INSERT INTO analysis_state (id, fingerprint) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint");
  set.bind(1, fingerprint).run();
  transaction.commit();
}

std::int64_t Store::index_pending(std::size_t limit) {
  Transaction transaction(connection_);
  Statement& missing = cached(
      index_missing_, "SELECT id, body FROM contributions WHERE terms IS NULL ORDER BY id LIMIT ?");
  Statement& update = cached(index_update_, "UPDATE contributions SET terms = ? WHERE id = ?");
  std::vector<std::pair<std::int64_t, std::string>> rows;
  missing.reset();
  missing.bind(1, static_cast<std::int64_t>(limit));
  while (missing.step()) rows.emplace_back(missing.column_int(0), missing.column_text(1));
  missing.reset();
  for (const auto& [id, body] : rows) {
    const std::string terms = index_terms(body);
    update.bind_blob(1, std::as_bytes(std::span(terms))).bind(2, id).run();
  }
  transaction.commit();
  return static_cast<std::int64_t>(rows.size());
}

std::int64_t Store::index_contributions(std::size_t batch) {
  std::int64_t indexed = 0;
  for (;;) {
    const std::int64_t done = index_pending(batch);
    indexed += done;
    if (done < static_cast<std::int64_t>(batch)) break;
  }
  return indexed;
}

bool Store::checkpoint_if_due() {
  if (*wal_pages_ < kWalCheckpointPages) return false;
  if (sqlite3_wal_checkpoint_v2(connection_.handle(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr) != SQLITE_OK) {
    return false;
  }
  *wal_pages_ = 0;
  return true;
}

void Store::size_cache_for(std::size_t body_bytes) {
  const auto kib =
      std::clamp(static_cast<std::int64_t>(body_bytes / 8 / 1024), kCacheKib, kBatchCacheKibMax);
  if (kib == kCacheKib && !batch_cache_) return;
  connection_.exec("PRAGMA cache_size = -" + std::to_string(kib));
  batch_cache_ = kib != kCacheKib;
}

void Store::release_batch_cache() {
  if (!batch_cache_) return;
  batch_cache_ = false;
  connection_.exec("PRAGMA cache_size = -" + std::to_string(kCacheKib));
  // Frees the pages beyond the default (all clean after a commit or rollback) now, before the
  // indexing after the commit loads the dictionaries, and gives them back to the system: they are
  // thousands of page-sized allocations, which the allocator would otherwise keep.
  sqlite3_db_release_memory(connection_.handle());
  ::malloc_trim(0);
}

std::int64_t Store::cache_kib() {
  Statement size(connection_, "PRAGMA cache_size");
  size.step();
  const std::int64_t value = size.column_int(0);
  if (value < 0) return -value;
  Statement page(connection_, "PRAGMA page_size");  // a positive size counts pages
  page.step();
  return value * page.column_int(0) / 1024;
}

Store::~Store() = default;

int Store::schema_version() {
  Statement version(connection_, "PRAGMA user_version");
  version.step();
  return static_cast<int>(version.column_int(0));
}

void Store::migrate() {
  bool dropped_raw_events = false;
  for (int version = schema_version(); version < static_cast<int>(kMigrations.size()); ++version) {
    Transaction transaction(connection_);
    if (version == 9) {
      Statement raw(connection_, "SELECT 1 FROM quarantine LIMIT 1");
      dropped_raw_events = raw.step();
    }
    // 20, 24 and 25 add a column, and SQLite has no ADD COLUMN IF NOT EXISTS: a store that has
    // it already (its version number set back) skips the step, so every migration is safe to run
    // again.
    struct AddedColumn {
      int from_version;
      std::string_view table;
      std::string_view column;
    };
    constexpr std::array<AddedColumn, 3> kAddedColumns = {{{19, "rooms", "welcome_due"},
                                                           {23, "contributions", "ack"},
                                                           {24, "curated_members", "moved_after"}}};
    bool has_column = false;
    for (const AddedColumn& added : kAddedColumns) {
      if (added.from_version != version) continue;
      Statement column(connection_, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
      column.bind(1, added.table).bind(2, added.column);
      has_column = column.step();
    }
    if (!has_column) connection_.exec(kMigrations[static_cast<std::size_t>(version)]);
    Statement check(connection_, "PRAGMA foreign_key_check");
    if (check.step()) {
      throw StoreError("migration to schema version " + std::to_string(version + 1) +
                           " left a dangling reference in table " + check.column_text(0),
                       SQLITE_CONSTRAINT_FOREIGNKEY);
    }
    connection_.exec("PRAGMA user_version = " + std::to_string(version + 1));
    transaction.commit();
  }
  // The dropped raw JSON stays in freed pages and the WAL until the Scrubber rewrites the file.
  if (dropped_raw_events) note_erasure(connection_);
}

void Store::make_private(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return;
  // SQLite gives the -wal and -shm it creates later the database's mode; these may be left
  // readable by an older version or another umask.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    if (::chmod(file.c_str(), S_IRUSR | S_IWUSR) != 0 && errno != ENOENT) {
      throw StoreError("cannot make " + file +
                           " readable for its owner only (chmod 0600): " + std::strerror(errno),
                       SQLITE_PERM);
    }
  }
}

std::optional<std::string> Store::sync_token() {
  Statement& s = statements_->get_token;
  std::optional<std::string> token;
  if (s.step()) token = s.column_text(0);
  s.reset();
  return token;
}

std::optional<std::int64_t> Store::last_sync_at() {
  Statement& s = statements_->get_synced_at;
  std::optional<std::int64_t> at;
  if (s.step()) at = s.column_int(0);
  s.reset();
  return at;
}

std::optional<RoomRecord> Store::room(const std::string& room_id) {
  Statement& s = statements_->get_room;
  s.bind(1, room_id);
  std::optional<RoomRecord> room;
  if (s.step()) {
    room = RoomRecord{
        s.column_text(0),     s.column_text(1),
        s.column_text(2),     read_authority(s.column_text(3), s.column_text(4), s.column_text(5)),
        s.column_int(6) != 0, s.column_int(7) != 0,
        s.column_int(8) != 0, s.column_int(9) != 0};
  }
  s.reset();
  return room;
}

std::vector<RoomRecord> Store::joined_rooms() {
  Statement ids(connection_,
                "SELECT room_id FROM rooms WHERE membership = 'join' ORDER BY room_id");
  std::vector<RoomRecord> rooms;
  while (ids.step()) {
    if (auto record = room(ids.column_text(0))) rooms.push_back(std::move(*record));
  }
  return rooms;
}

bool Store::is_seen(const std::string& event_id, const std::string& room_id) {
  Statement& s = statements_->is_seen;
  s.bind(1, room_id).bind(2, event_id);
  const bool seen = s.step();
  s.reset();
  return seen;
}

std::vector<OutboxItem> Store::pending_outbox(std::size_t limit) {
  Statement& s = statements_->pending_outbox;
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxItem> rows;
  while (s.step()) {
    rows.push_back(OutboxItem{s.column_int(0),
                              kind_from(s.column_text(1)),
                              s.column_text(2),
                              s.column_text(3),
                              s.column_text(4),
                              s.column_text(5),
                              s.column_int(6),
                              s.column_int(7) != 0,
                              s.column_int(8) != 0,
                              s.column_int(9) != 0,
                              {}});
  }
  s.reset();
  // The ✅ owed by contributions, in queue order (contribution ids grow with their `ack`
  // position), each after the outbox row it was queued after and before the next one; leaves
  // stay last. Both lists hold their first `limit` items, so their merge's first `limit` are
  // the queue's.
  Statement& a = statements_->pending_acks;
  a.bind(1, static_cast<std::int64_t>(limit));
  struct Ack {
    std::int64_t after;
    OutboxItem item;
  };
  std::vector<Ack> acks;
  while (a.step()) {
    OutboxItem item;
    item.id = -a.column_int(0);
    item.kind = OutboxKind::send;
    item.room_id = a.column_text(1);
    item.ack_of = a.column_text(2);
    item.event_type = "m.reaction";
    item.txn_id = ack_txn_id(item.room_id, item.ack_of);
    // Byte for byte what matrix::reaction_event makes.
    item.content = R"({"m.mentions":{},"m.relates_to":{"event_id":)";
    item.content += dump_column(nlohmann::json(item.ack_of));
    item.content += R"(,"key":)";
    item.content += dump_column(nlohmann::json(ack_reaction_));
    item.content += R"(,"rel_type":"m.annotation"}})";
    item.confidential = a.column_int(4) != 0;
    item.encrypted = a.column_int(5) != 0;
    acks.push_back({a.column_int(3), std::move(item)});
  }
  a.reset();
  if (acks.empty()) return rows;
  std::vector<OutboxItem> items;
  items.reserve(std::min(limit, rows.size() + acks.size()));
  std::size_t r = 0;
  std::size_t k = 0;
  while (items.size() < limit && (r < rows.size() || k < acks.size())) {
    const bool row_first =
        r < rows.size() &&
        (k == acks.size() || (rows[r].kind != OutboxKind::leave && rows[r].id <= acks[k].after));
    if (row_first) {
      items.push_back(std::move(rows[r++]));
    } else {
      items.push_back(std::move(acks[k++].item));
    }
  }
  return items;
}

void Store::outbox_sent(std::int64_t id, const std::string& remote_event_id, std::int64_t now_ms) {
  statements_->drop_direct_row.bind(1, id).run();
  if (connection_.changes() > 0) return;
  statements_->outbox_sent.bind(1, now_ms).bind(2, remote_event_id).bind(3, id).run();
}

void Store::outbox_sent_txn(const std::string& txn_id, const std::string& remote_event_id,
                            std::int64_t now_ms) {
  Statement& s = statements_->pending_by_txn;
  s.bind(1, txn_id);
  const std::optional<std::int64_t> id =
      s.step() ? std::optional<std::int64_t>(s.column_int(0)) : std::nullopt;
  s.reset();
  if (id) outbox_sent(*id, remote_event_id, now_ms);
}

void Store::outbox_ack_done(const std::string& room_id, const std::string& event_id) {
  statements_->ack_done.bind(1, event_id).bind(2, room_id).run();
}

bool Store::ack_recorded(const std::string& room_id, const std::string& event_id) {
  Statement& s = statements_->txn_known;
  s.bind(1, ack_txn_id(room_id, event_id));
  const bool known = s.step();
  s.reset();
  return known;
}

void Store::outbox_failed(std::int64_t id, const std::string& error, bool permanent) {
  if (permanent) {
    statements_->drop_direct_row.bind(1, id).run();
    if (connection_.changes() > 0) return;
    // A file given up with its row (a direct chat's row takes it along by the foreign key).
    Statement(connection_, "DELETE FROM outbox_media WHERE outbox_id = ?").bind(1, id).run();
  }
  statements_->outbox_failed.bind(1, std::int64_t{permanent ? 1 : 0})
      .bind(2, error)
      .bind(3, id)
      .run();
}

void Store::outbox_encrypted(std::int64_t id, const std::string& event_type,
                             const std::string& content) {
  statements_->outbox_encrypted.bind(1, event_type).bind(2, content).bind(3, id).run();
}

std::optional<OutboxMedia> Store::outbox_media(std::int64_t id) {
  Statement s(connection_,
              "SELECT m.bytes, m.mimetype, m.filename, m.file_info, m.content_uri "
              "FROM outbox_media m JOIN outbox o ON o.id = m.outbox_id "
              "WHERE m.outbox_id = ? AND o.state = 'pending'");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  const auto bytes = s.column_blob(0);
  return OutboxMedia{std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4)};
}

void Store::outbox_media_encrypted(std::int64_t id, const std::string& ciphertext,
                                   const std::string& file_info) {
  Statement(connection_, "UPDATE outbox_media SET bytes = ?, file_info = ? WHERE outbox_id = ?")
      .bind_blob(1, std::as_bytes(std::span(ciphertext)))
      .bind(2, file_info)
      .bind(3, id)
      .run();
}

void Store::outbox_media_uploaded(std::int64_t id, const std::string& content_uri) {
  Statement(connection_, "UPDATE outbox_media SET content_uri = ? WHERE outbox_id = ?")
      .bind(1, content_uri)
      .bind(2, id)
      .run();
}

void Store::outbox_media_attached(std::int64_t id, const std::string& content) {
  Transaction transaction(connection_);
  Statement(connection_, "UPDATE outbox SET content = ? WHERE id = ? AND state = 'pending'")
      .bind(1, content)
      .bind(2, id)
      .run();
  Statement(connection_, "DELETE FROM outbox_media WHERE outbox_id = ?").bind(1, id).run();
  transaction.commit();
}

std::vector<UndecryptedEvent> Store::undecrypted(std::size_t limit) {
  Statement s(connection_,
              "SELECT event_id, room_id, sender, session_id, event_json, received_ms "
              "FROM undecrypted ORDER BY received_ms, event_id LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<UndecryptedEvent> events;
  while (s.step()) {
    events.push_back(UndecryptedEvent{s.column_text(0), s.column_text(1), s.column_text(2),
                                      s.column_text(3), s.column_text(4), s.column_int(5)});
  }
  return events;
}

std::optional<std::int64_t> Store::oldest_undecrypted_ms() {
  Statement s(connection_, "SELECT MIN(received_ms) FROM undecrypted");
  if (!s.step() || s.column_is_null(0)) return std::nullopt;
  return s.column_int(0);
}

std::optional<CryptoIdentity> Store::crypto_identity() {
  Statement s(connection_,
              "SELECT device_id, ed25519, cross_signed, checked_at, recovery FROM crypto_identity "
              "WHERE id = 1");
  if (!s.step()) return std::nullopt;
  return CryptoIdentity{s.column_text(0), s.column_text(1), s.column_int(2) != 0, s.column_int(3),
                        s.column_text(4)};
}

std::vector<std::string> Store::joined_members(const std::string& room_id) {
  Statement s(connection_, "SELECT user_id FROM room_members WHERE room_id = ? ORDER BY user_id");
  s.bind(1, room_id);
  std::vector<std::string> members;
  while (s.step()) members.push_back(s.column_text(0));
  return members;
}

bool Store::is_member(const std::string& room_id, const std::string& user_id) {
  Statement& s = statements_->is_member;
  s.bind(1, room_id).bind(2, user_id);
  const bool member = s.step();
  s.reset();
  return member;
}

std::int64_t Store::member_count(const std::string& room_id) {
  Statement& s = statements_->member_count;
  s.bind(1, room_id);
  s.step();
  const std::int64_t count = s.column_int(0);
  s.reset();
  return count;
}

std::vector<std::string> Store::rooms_without_members(std::size_t limit) {
  Statement s(connection_,
              "SELECT room_id FROM rooms WHERE membership = 'join' AND room_id NOT IN "
              "(SELECT room_id FROM member_lists) ORDER BY room_id LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::string> rooms;
  while (s.step()) rooms.push_back(s.column_text(0));
  return rooms;
}

StoreCounts Store::counts() {
  StoreCounts counts;
  auto count = [this](std::string_view sql) {
    Statement s(connection_, sql);
    s.step();
    return s.column_int(0);
  };
  counts.seen_events = count("SELECT COUNT(*) FROM seen_events");
  counts.outbox_pending = count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
  counts.outbox_sent = count("SELECT COUNT(*) FROM outbox WHERE state = 'sent'");
  counts.outbox_failed = count("SELECT COUNT(*) FROM outbox WHERE state = 'failed'");
  counts.quarantined = count("SELECT COUNT(*) FROM quarantine");
  counts.quarantine_refused = count("SELECT COALESCE(SUM(events), 0) FROM quarantine_refused");
  counts.rooms_joined = count("SELECT COUNT(*) FROM rooms WHERE membership = 'join'");
  return counts;
}

BatchScope::BatchScope(Store& store) : store_(store), transaction_(store.connection_) {}

bool BatchScope::mark_seen(const std::string& event_id, const std::string& room_id,
                           std::int64_t now_ms) {
  store_.statements_->insert_seen.bind(1, event_id).bind(2, room_id).bind(3, now_ms).run();
  return store_.connection_.changes() > 0;
}

std::string ack_txn_id(const std::string& room_id, const std::string& event_id) {
  return txn_id_for(room_id + '\n' + event_id + "/ack");
}

std::string BatchScope::queue_send(const std::string& room_id, const std::string& event_type,
                                   const std::string& content_json, const std::string& key,
                                   std::int64_t now_ms) {
  // The room is part of the key: the same event id answered in two rooms is two messages.
  std::string txn_id = txn_id_for(room_id + '\n' + key);
  store_.statements_->insert_outbox.bind(1, kind_name(OutboxKind::send))
      .bind(2, room_id)
      .bind(3, event_type)
      .bind(4, txn_id)
      .bind(5, content_json)
      .bind(6, now_ms)
      .bind(7, std::int64_t{0})
      .run();
  queued_new_ = store_.connection_.changes() > 0;
  return txn_id;
}

std::string BatchScope::queue_anonymous_post(const std::string& room_id,
                                             const std::string& content_json, std::int64_t now_ms) {
  std::string txn_id = secret_txn_id();
  store_.statements_->insert_outbox.bind(1, kind_name(OutboxKind::send))
      .bind(2, room_id)
      .bind(3, std::string_view{"m.room.message"})
      .bind(4, txn_id)
      .bind(5, content_json)
      .bind(6, now_ms - now_ms % kCoarseMs)
      .bind(7, std::int64_t{1})
      .run();
  return txn_id;
}

std::string BatchScope::queue_media_send(const std::string& room_id, const std::string& event_type,
                                         const std::string& content_json, const std::string& key,
                                         std::int64_t now_ms, const std::string& bytes,
                                         const std::string& mimetype, const std::string& filename) {
  std::string txn_id = queue_send(room_id, event_type, content_json, key, now_ms);
  // Queued before (a replayed batch): the row keeps the file it has, or has sent it already.
  if (store_.connection_.changes() == 0) return txn_id;
  Statement(store_.connection_,
            "INSERT INTO outbox_media (outbox_id, bytes, mimetype, filename) "
            "VALUES (last_insert_rowid(), ?, ?, ?)")
      .bind_blob(1, std::as_bytes(std::span(bytes)))
      .bind(2, mimetype)
      .bind(3, filename)
      .run();
  return txn_id;
}

void BatchScope::queue_membership(OutboxKind kind, const std::string& room_id,
                                  std::int64_t now_ms) {
  Statement& pending = store_.statements_->pending_membership;
  pending.bind(1, room_id);
  const bool already = pending.step();
  pending.reset();
  if (already) return;
  store_.statements_->insert_outbox.bind(1, kind_name(kind))
      .bind(2, room_id)
      .bind(3, std::string_view{})
      .bind(4, random_txn_id())
      .bind(5, std::string_view{})
      .bind(6, now_ms)
      .bind(7, std::int64_t{0})
      .run();
}

void BatchScope::put_room(const RoomRecord& room) {
  store_.statements_->put_room.bind(1, room.room_id)
      .bind(2, room.membership)
      .bind(3, room.name)
      .bind(4, room.authority.room_version)
      .bind(5, creators_column(room.authority))
      .bind(6, power_levels_column(room.authority))
      .bind(7, std::int64_t{room.encrypted ? 1 : 0})
      .bind(8, std::int64_t{room.encryption_notice_sent ? 1 : 0})
      .bind(9, std::int64_t{room.direct ? 1 : 0})
      .bind(10, std::int64_t{room.welcome_due ? 1 : 0})
      .run();
}

void BatchScope::set_member(const std::string& room_id, const std::string& user_id, bool joined) {
  Statement& s = joined ? store_.statements_->add_member : store_.statements_->remove_member;
  s.bind(1, room_id).bind(2, user_id).run();
}

void BatchScope::replace_members(const std::string& room_id,
                                 const std::vector<std::string>& user_ids) {
  forget_members(room_id);
  for (const auto& user_id : user_ids) set_member(room_id, user_id, true);
  Statement fetched(store_.connection_, "INSERT OR REPLACE INTO member_lists (room_id) VALUES (?)");
  fetched.bind(1, room_id).run();
}

void BatchScope::forget_members(const std::string& room_id) {
  Statement members(store_.connection_, "DELETE FROM room_members WHERE room_id = ?");
  members.bind(1, room_id).run();
  Statement list(store_.connection_, "DELETE FROM member_lists WHERE room_id = ?");
  list.bind(1, room_id).run();
}

bool BatchScope::keep_undecrypted(const UndecryptedEvent& event) {
  store_.statements_->keep_undecrypted.bind(1, event.event_id)
      .bind(2, event.room_id)
      .bind(3, event.sender)
      .bind(4, event.session_id)
      .bind(5, event.event_json)
      .bind(6, event.received_ms)
      .run();
  return store_.connection_.changes() > 0;
}

void BatchScope::drop_undecrypted(const std::string& event_id) {
  store_.statements_->drop_undecrypted.bind(1, event_id).run();
}

void BatchScope::set_crypto_identity(const CryptoIdentity& identity) {
  Statement s(store_.connection_,
              "INSERT INTO crypto_identity (id, device_id, ed25519, cross_signed, checked_at, "
              "recovery) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
              "device_id = excluded.device_id, ed25519 = excluded.ed25519, "
              "cross_signed = excluded.cross_signed, checked_at = excluded.checked_at, "
              "recovery = excluded.recovery");
  s.bind(1, identity.device_id)
      .bind(2, identity.ed25519)
      .bind(3, std::int64_t{identity.cross_signed ? 1 : 0})
      .bind(4, identity.checked_ms)
      .bind(5, identity.recovery)
      .run();
}

std::int64_t BatchScope::forget_direct_seen(std::int64_t before_ms) {
  Statement s(store_.connection_,
              "DELETE FROM seen_events WHERE received_at < ? AND room_id IN "
              "(SELECT room_id FROM rooms WHERE direct = 1)");
  s.bind(1, before_ms).run();
  return store_.connection_.changes();
}

QuarantineOutcome BatchScope::quarantine(const QuarantineEntry& entry, std::int64_t now_ms) {
  constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
  constexpr std::size_t kTracked = 4096;  // senders counted and rooms logged, each per day
  const std::int64_t day = now_ms >= 0 ? now_ms / kDayMs : (now_ms - kDayMs + 1) / kDayMs;
  auto& today = store_.quarantine_day_;
  if (today.day != day) today = Store::QuarantineDay{day, {}, {}};

  const nlohmann::json raw = nlohmann::json::parse(entry.raw_json, nullptr, false);
  auto raw_string = [&raw](const char* key) {
    if (!raw.is_object()) return std::string();
    const auto it = raw.find(key);
    return it != raw.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string sender = entry.sender.empty() ? raw_string("sender") : entry.sender;
  // Senders beyond the bound share one count (under "\0", which is no sender's id).
  std::string bucket = sender;
  if (!today.per_sender.contains(bucket) && today.per_sender.size() >= kTracked) {
    bucket = std::string(1, '\0');
  }

  QuarantineOutcome outcome;
  outcome.reason = safe_reason(entry.reason, sender);
  auto count = [](Statement& statement) {
    statement.step();
    const std::int64_t n = statement.column_int(0);
    statement.reset();
    return n;
  };
  const std::int64_t day_start = day * kDayMs;
  if (today.per_sender[bucket] >= kQuarantinePerSender) {
    outcome.cap = "sender";
  } else if (count(store_.statements_->quarantined_in_room.bind(1, entry.room_id)
                       .bind(2, day_start)) >= kQuarantinePerRoom) {
    outcome.cap = "room";
  } else if (count(store_.statements_->quarantined_since.bind(1, day_start)) >= kQuarantinePerDay) {
    outcome.cap = "day";
  }
  if (!outcome.cap.empty()) {
    store_.statements_->quarantine_refused.bind(1, day).run();
    if (today.refused_rooms.size() < kTracked) {
      outcome.first_refusal = today.refused_rooms.insert(entry.room_id).second;
    }
    return outcome;
  }

  std::string type = entry.type.empty() ? raw_string("type") : entry.type;
  const bool state = entry.state || (raw.is_object() && raw.contains("state_key"));
  std::string outline = raw.is_discarded() ? quarantine_outline(entry.raw_json, type, state)
                                           : outline_of(raw, type, state, entry.raw_json.size());
  store_.statements_->quarantine.bind(1, entry.room_id)
      .bind(2, std::string_view(entry.event_id).substr(0, kMaxEventId))
      .bind(3, outline)
      .bind(4, outcome.reason)
      .bind(5, now_ms)
      .run();
  ++today.per_sender[bucket];
  outcome.stored = true;
  return outcome;
}

std::string quarantine_outline(std::string_view raw_json, std::string_view type, bool state) {
  const nlohmann::json raw = nlohmann::json::parse(raw_json, nullptr, false);
  return outline_of(raw, type, state, raw_json.size());
}

void BatchScope::set_sync_token(const std::string& next_batch) {
  store_.statements_->set_token.bind(1, next_batch).run();
}

void BatchScope::set_sync_token(const std::string& next_batch, std::int64_t now_ms) {
  set_sync_token(next_batch);
  store_.statements_->set_synced_at.bind(1, now_ms).run();
}

void BatchScope::commit() { transaction_.commit(); }

}  // namespace reflexbot::store
