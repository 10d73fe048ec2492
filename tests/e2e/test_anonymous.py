"""Anonymous contributions: a participant writes to the bot in a direct chat; the bot posts the
text in the named room without its author and stores no link to the sender."""

import re

from helpers import db_rows, ensure_alive, join_bot, ping_and_wait, tags_of, wait_for
from localhs import REPO_ROOT

WAIT = 30
TEMPLATES = REPO_ROOT / "config" / "templates"


def bot_notices(client, room_id, bot):
    return [e for e in client.messages(room_id)
            if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"
            and e["content"].get("msgtype") == "m.notice"]


def test_anonymous_contribution_arrives_without_its_author(hs, make_bot, user):
    moderator = user("mod")
    anna = user("anna")
    room = moderator.create_room(name="Krisenstab Köln", invite=[anna.user_id])
    anna.join(room)
    # The documented setup: only the moderators are allowlisted; a participant may still open a
    # direct chat, because she is a member of a configured room.
    bot = make_bot(allowlist=[moderator.user_id], templates_dir=TEMPLATES,
                   rooms=[{"room_id": room, "city": "Köln"}])
    moderator.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or moderator.membership(room, bot.user_id) == "join", WAIT,
             "the bot to join the configured room")
    moderator.send_text(room, "!runde aar Stromausfall 30")
    wait_for(lambda: any("geplant" in n["content"]["body"] for n in bot_notices(moderator, room, bot)),
             WAIT, "the round's first prompt")

    secret = "Die Lagemeldungen kamen doppelt und widersprüchlich #problem"
    # The same command in the group room is refused: it would show who wrote it.
    anna.send_text(room, "!anonym Köln " + secret)
    wait_for(lambda: any("Direktnachricht" in n["content"]["body"]
                         for n in bot_notices(moderator, room, bot)),
             WAIT, "the refusal of !anonym in a group room")
    assert not db_rows(bot, "SELECT 1 FROM contributions WHERE via = 'anonymous'")

    direct = anna.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or anna.membership(direct, bot.user_id) == "join", WAIT,
             "the bot to join the direct chat")
    anna.send_text(direct, "!anonym köln " + secret)

    wait_for(lambda: any(secret in n["content"]["body"] for n in bot_notices(moderator, room, bot)),
             WAIT, "the anonymous contribution in the room")
    posted = [n for n in bot_notices(moderator, room, bot) if secret in n["content"]["body"]]
    assert len(posted) == 1
    body = posted[0]["content"]["body"]
    assert body.startswith("Anonymer Beitrag:"), body
    assert anna.user_id not in body and "anna" not in body.lower().replace(secret.lower(), "")
    assert posted[0]["content"].get("m.mentions") == {}
    wait_for(lambda: any("ohne Ihren Namen" in n["content"]["body"]
                         for n in bot_notices(anna, direct, bot)),
             WAIT, "the confirmation in the direct chat")

    rows = db_rows(bot, "SELECT event_id, room_id, author, via, phase_key, body FROM contributions "
                        "WHERE via = 'anonymous'")
    assert len(rows) == 1, rows
    event_id, room_id, author, via, phase_key, stored = rows[0]
    assert room_id == room and author == "" and phase_key == "geplant" and stored == secret
    assert not event_id.startswith("$"), "keyed by no Matrix event that names the sender"
    # Nothing in the contributions names anna; the direct chat itself is no contribution.
    for row in db_rows(bot, "SELECT author, body, room_id FROM contributions"):
        assert anna.user_id not in " ".join(map(str, row)) and row[2] != direct
    assert tags_of(bot, event_id) == {"problem"}

    # !meine: the own contributions, only in the direct chat, without the anonymous one.
    own = "Die Abstimmung mit dem Kreis lief gut #erfolg"
    anna.send_text(room, own)
    wait_for(lambda: db_rows(bot, "SELECT 1 FROM contributions WHERE body = ?", (own,)), WAIT,
             "anna's own contribution in the store")
    anna.send_text(room, "!meine")
    wait_for(lambda: sum("Direktnachricht" in n["content"]["body"]
                         for n in bot_notices(moderator, room, bot)) >= 2,
             WAIT, "the refusal of !meine in a group room")
    assert not any(own in n["content"]["body"] and n["content"]["body"] != own
                   for n in bot_notices(moderator, room, bot)), "own list shown in the group room"
    anna.send_text(direct, "!meine")
    wait_for(lambda: any(own in n["content"]["body"] for n in bot_notices(anna, direct, bot)),
             WAIT, "the list of anna's contributions in the direct chat")
    listing = next(n["content"]["body"] for n in bot_notices(anna, direct, bot)
                   if own in n["content"]["body"])
    assert secret not in listing, "the anonymous contribution must not be attributed to anna"
    ping_and_wait(moderator, room, bot)
    ensure_alive(bot)

    # Whoever holds the database or the log finds no trace of the direct chat's messages.
    posted_id = posted[0]["event_id"]
    log = bot.log_path.read_text(errors="replace")
    direct_lines = [line for line in log.splitlines() if direct in line]
    assert all("invite" in line for line in direct_lines), direct_lines
    assert posted_id not in log, "the log names the anonymous post's event"
    for table, column in (("seen_events", "room_id"), ("outbox", "room_id"),
                          ("quarantine", "room_id")):
        rows = db_rows(bot, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (direct,))
        assert rows[0][0] <= 1, (table, rows)  # at most the latest batch's, for its replay


def test_strangers_cannot_open_a_direct_chat_or_post_into_rooms_they_are_not_in(hs, make_bot,
                                                                                 user):
    moderator, anna, eve = user("mod"), user("anna"), user("eve")
    koeln = moderator.create_room(name="Krisenstab Köln", invite=[anna.user_id])
    leipzig = moderator.create_room(name="Krisenstab Leipzig")
    anna.join(koeln)
    bot = make_bot(allowlist=[moderator.user_id], templates_dir=TEMPLATES,
                   rooms=[{"room_id": koeln, "city": "Köln"},
                          {"room_id": leipzig, "city": "Leipzig"}])
    for room in (koeln, leipzig):
        moderator.invite(room, bot.user_id)
        wait_for(lambda: ensure_alive(bot) or moderator.membership(room, bot.user_id) == "join",
                 WAIT, "the bot to join a configured room")

    # eve shares no room with the bot: her direct chat is declined, and she is told nothing.
    strange = eve.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or eve.membership(strange, bot.user_id) == "leave", WAIT,
             "the bot to decline the stranger's direct chat")
    assert not [e for e in eve.messages(strange) if e.get("sender") == bot.user_id
                and e.get("type") == "m.room.message"]

    # anna may open one, but may post only into Köln, where she is a member.
    direct = anna.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or anna.membership(direct, bot.user_id) == "join", WAIT,
             "the bot to join anna's direct chat")
    anna.send_text(direct, "!anonym Leipzig Das sollte dort nicht stehen")
    wait_for(lambda: any("Möglich sind: Köln" in n["content"]["body"]
                         for n in bot_notices(anna, direct, bot)),
             WAIT, "the refusal naming only anna's rooms")
    assert not [n for n in bot_notices(moderator, leipzig, bot)
                if "nicht stehen" in n["content"]["body"]]
    anna.send_text(direct, "!runde aar Test")
    wait_for(lambda: any("nicht in eine Direktnachricht" in n["content"]["body"]
                         for n in bot_notices(anna, direct, bot)),
             WAIT, "the refusal of a room command in the direct chat")
