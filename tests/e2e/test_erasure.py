"""Erasure end to end (GDPR Art. 17): canary texts posted by participants through Synapse and
collected by the bot (#lehre, and one anonymous contribution), then

- redacted by their author (and, for an anonymous contribution, the bot's notice redacted by a
  moderator),
- forgotten with "!vergessen" and "!vergessen bestätigen",
- aged past the retention period.

Afterwards neither the bot's database file nor its -wal and -shm files contain them (their raw
bytes are read, while the bot runs and after it stopped), and the bot's log at its default level
(info) never contained them. A control text that stays must be found in the same bytes, so the
test can tell "gone" from "not looked at properly".

Ageing: Synapse sets origin_server_ts, and retention_days cannot go below one day, so the test
stops the bot, moves two collected contributions three days into the past with sqlite3 (with
secure_delete on, as the bot writes), and starts the bot with `retention_days: 1`. The rows went
through the bot's real path (sync, collection, ✅, anonymous notice); only their timestamp is
changed, which is exactly what a year of waiting would do. The purge runs at start."""

import secrets
import sqlite3

from helpers import (db_rows, ensure_alive, wait_bot_notice, wait_bot_reaction, wait_for,
                     wait_reply)

WAIT = 30
WIPED = "erasure: erased data wiped from the database file and its WAL"
DAY_MS = 24 * 60 * 60 * 1000


def files_with(bot, text: str) -> list[str]:
    """Which of the bot's database files (db, -wal, -shm) contain `text` in their raw bytes."""
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = bot.database.with_name(bot.database.name + suffix)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        if text.encode() in data:
            found.append(path.name)
    return found


def wiped(bot) -> int:
    return bot.log().count(WIPED)


def contribution_exists(bot, event_id: str) -> bool:
    return bool(db_rows(bot, "SELECT 1 FROM contributions WHERE event_id = ?", (event_id,)))


def test_redaction_forget_me_and_retention_leave_no_trace(hs, make_bot, user):
    mod, anna, bert = user("mod"), user("anna"), user("bert")
    room = mod.create_room(name="Köln", invite=[anna.user_id, bert.user_id])
    for participant in (anna, bert):
        participant.join(room)
    # Köln is configured; anna may open a direct chat for !anonym as a member of it.
    bot = make_bot(allowlist=[mod.user_id], log_level="info",
                   rooms=[{"room_id": room, "city": "Köln"}])
    mod.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or mod.membership(room, bot.user_id) == "join", WAIT,
             "the bot to join Köln")

    tag = secrets.token_hex(4)
    redacted = f"Kanarie-Redaktion-{tag}"
    forgotten = f"Kanarie-Vergessen-{tag}"
    aged = f"Kanarie-Abgelaufen-{tag}"
    anonymous = f"Kanarie-Anonym-{tag}"
    anonymous_redacted = f"Kanarie-Anonym-Redaktion-{tag}"
    control = f"Kontrolle-Bleibt-{tag}"
    canaries = [redacted, forgotten, aged, anonymous, anonymous_redacted]

    ids = {
        redacted: anna.send_text(room, f"#lehre Die Meldekette riss nachts ab {redacted}"),
        forgotten: bert.send_text(room, f"#lehre Funkloch am Deich {forgotten}"),
        aged: anna.send_text(room, f"#lehre Sandsäcke kamen zu spät {aged}"),
        control: anna.send_text(room, f"#lehre Das Lagebild war gut {control}"),
    }
    for text, event_id in ids.items():
        wait_bot_reaction(anna, room, bot, event_id, "✅", timeout=WAIT)
        assert contribution_exists(bot, event_id), text

    direct = anna.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or anna.membership(direct, bot.user_id) == "join", WAIT,
             "the bot to join anna's direct chat")
    notices = {}
    for text in (anonymous, anonymous_redacted):
        anna.send_text(direct, f"!anonym Köln Niemand fühlte sich zuständig {text} #frust")
        notices[text] = wait_bot_notice(mod, room, bot, lambda body, t=text: t in body,
                                        "the anonymous contribution posted in Köln",
                                        timeout=WAIT)["event_id"]
    anonymous_ids = {text: wait_for(
        lambda t=text: db_rows(bot, "SELECT event_id FROM contributions "
                                    "WHERE via = 'anonymous' AND body LIKE ?", (f"%{t}%",)),
        WAIT, "the anonymous contribution in the store")[0][0]
        for text in (anonymous, anonymous_redacted)}
    anonymous_id = anonymous_ids[anonymous]
    # Delivered notices keep no content: the anonymous text lives on only in its contribution.
    wait_for(lambda: not db_rows(bot, "SELECT 1 FROM outbox WHERE state = 'pending'"), WAIT,
             "the outbox to be delivered")
    assert not db_rows(bot, "SELECT id FROM outbox WHERE state <> 'pending' AND content <> ''")

    for text in canaries + [control]:
        assert files_with(bot, text), f"{text} must be in the database files before the erasure"

    # 1. Redaction by the author.
    before = wiped(bot)
    anna.redact(room, ids[redacted])
    wait_for(lambda: ensure_alive(bot) or (not contribution_exists(bot, ids[redacted])
                                           and wiped(bot) > before),
             WAIT, "the redacted contribution to be deleted and wiped")
    assert files_with(bot, redacted) == [], "redacted text still in the database files"

    # A moderator redacts the bot's anonymous notice: its contribution goes too.
    before = wiped(bot)
    mod.redact(room, notices[anonymous_redacted])
    wait_for(lambda: ensure_alive(bot) or (
        not contribution_exists(bot, anonymous_ids[anonymous_redacted]) and wiped(bot) > before),
        WAIT, "the anonymous contribution of the redacted notice to be deleted and wiped")
    assert files_with(bot, anonymous_redacted) == [], "anonymous text still in the files"

    # 2. "Forget me", asked and confirmed.
    before = wiped(bot)
    ask = bert.send_text(room, "!vergessen")
    wait_reply(bert, room, bot, ask)
    confirm = bert.send_text(room, "!vergessen bestätigen")
    wait_reply(bert, room, bot, confirm)
    wait_for(lambda: ensure_alive(bot) or (not contribution_exists(bot, ids[forgotten])
                                           and wiped(bot) > before),
             WAIT, "bert's contribution to be deleted and wiped")
    assert files_with(bot, forgotten) == [], "forgotten text still in the database files"

    # 3. Retention: age two contributions past one day and start the bot with retention_days: 1.
    assert bot.stop() == 0
    with sqlite3.connect(bot.database) as db:
        db.execute("PRAGMA secure_delete = ON")
        aged_rows = db.execute(
            "UPDATE contributions SET written_at = written_at - ? WHERE event_id IN (?, ?)",
            (3 * DAY_MS, ids[aged], anonymous_id)).rowcount
    db.close()
    assert aged_rows == 2
    bot.config["retention_days"] = 1
    bot.write_config()
    before = wiped(bot)
    bot.start()
    wait_for(lambda: ensure_alive(bot) or ("retention (1 days): deleted 2 contributions"
                                           in bot.log() and wiped(bot) > before),
             WAIT, "the purge at start to delete the two aged contributions and wipe them")
    assert not contribution_exists(bot, ids[aged]) and not contribution_exists(bot, anonymous_id)
    assert contribution_exists(bot, ids[control])

    # While the bot runs: the database and its WAL hold none of the erased texts ...
    for text in canaries:
        assert files_with(bot, text) == [], f"{text} still in the database files"
    assert files_with(bot, control), "the control text must still be readable in the files"
    # ... and after it stopped (SQLite folds the WAL into the database file on close).
    assert bot.stop() == 0
    for text in canaries:
        assert files_with(bot, text) == [], f"{text} in the database files after the stop"
    assert files_with(bot, control) == [bot.database.name]

    # The log at the default level (info) never saw a message text, but did log the erasures.
    log = bot.log()
    for text in canaries + [control]:
        assert text not in log, f"message text {text} in the bot's info log"
    for line in ("redaction in " + room, "forget me: deleted", "retention (365 days)", WIPED):
        assert line in log, f"expected {line!r} in the info log"
