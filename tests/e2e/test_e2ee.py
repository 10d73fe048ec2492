"""The bot in end-to-end-encrypted rooms and direct chats (issue 14), observed through independent
matrix-nio participants (tests/e2e/e2ee.py): a whole round, !anonym, invites before and after
the participants, a new device, a room key 30 s late, a canary that only the contributions
table may hold, the bot's cross-signed device, and SIGKILLs during 300 encrypted messages.

The bot gets its account's password (password_file) so it can bootstrap cross-signing; nothing
else in its config is about encryption."""

import json
import random
import re
import secrets
import signal
import sqlite3
import threading
import time
from pathlib import Path

from e2ee import E2ee, e2ee, wait_cross_signed  # noqa: F401 (fixture)
from helpers import (bot_event_duplicates, contribution, db_rows, ensure_alive, give_password,
                     outbox_states, reactions_to, reply_target, run_cli, tags_of, wait_for)
from localhs import REPO_ROOT, HarnessError, is_message

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
WAIT = 30
HEX32 = re.compile(r"[0-9a-f]{32}")


# --- setting up -----------------------------------------------------------------------------------


def crypto_bot(make_bot, allowlist, **kwargs):
    """A bot with its account's password in a 0600 file, so it can bootstrap cross-signing."""
    bot = make_bot(allowlist=allowlist, start=False, templates_dir=TEMPLATES_DIR, **kwargs)
    give_password(bot)
    bot.start()
    return bot


def bot_device(bot) -> str:
    return bot.config["device_id"]


def knows_bot(client: E2ee, room: str, bot, timeout: float = WAIT) -> None:
    """Waits until client sees the bot joined with device keys: from then on every message
    client sends has its room key shared with the bot's device."""
    try:
        client.wait_member(room, bot.user_id, timeout=timeout)
    except HarnessError as e:
        ensure_alive(bot)
        raise AssertionError(f"{client} never saw device keys of the bot {bot.user_id} in "
                             f"{room} (the bot has uploaded no E2EE device keys?): {e}") from e


def invite_bot(owner: E2ee, room: str, bot, participants=()) -> None:
    owner.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or owner.http.membership(room, bot.user_id) == "join",
             WAIT, f"the bot to join the encrypted room {room}")
    for client in (owner, *participants):
        knows_bot(client, room, bot)


def encrypted_room(owner: E2ee, participants, name: str) -> str:
    room = owner.create_room(name=name, invite=[p.user_id for p in participants])
    for p in participants:
        p.join(room)
        owner.wait_member(room, p.user_id)
        p.wait_member(room, owner.user_id)
    return room


# --- reading the decrypted room -------------------------------------------------------------------


def bot_messages(events, bot, after: str | None = None) -> list[dict]:
    if after is not None:
        ids = [e["event_id"] for e in events]
        events = events[ids.index(after) + 1:] if after in ids else []
    return [e for e in events if e.get("sender") == bot.user_id and is_message(e)]


def wait_bot_says(client: E2ee, room: str, bot, matches, what: str, after: str | None = None,
                  timeout: float = WAIT) -> dict:
    """The first decrypted bot message (after `after`) whose body satisfies matches(body)."""
    def find(events):
        ensure_alive(bot)
        for ev in bot_messages(events, bot, after):
            if matches(ev["content"].get("body", "")):
                return ev
        return None
    try:
        return client.wait_timeline(room, find, what, timeout=timeout)
    except HarnessError as e:
        events = client.timeline(room)
        said = [m["content"].get("body", "")[:120] for m in bot_messages(events, bot)]
        hidden = [ev["event_id"] for ev in events
                  if ev.get("sender") == bot.user_id and ev.get("undecryptable")]
        raise AssertionError(f"{e}; the bot's last decrypted messages: {said[-5:]}; "
                             f"{len(hidden)} bot event(s) {client} cannot decrypt") from e


def wait_reply(client: E2ee, room: str, bot, event_id: str, what: str,
               timeout: float = WAIT) -> dict:
    def find(events):
        ensure_alive(bot)
        replies = [m for m in bot_messages(events, bot) if reply_target(m) == event_id]
        return replies[0] if replies else None
    try:
        return client.wait_timeline(room, find, what, timeout=timeout)
    except HarnessError as e:
        raise AssertionError(f"{e} (the bot never answered {event_id} readably)") from e


def ping(client: E2ee, room: str, bot) -> str:
    """An encrypted !ping answered by the bot: it has read and decrypted everything before."""
    event_id = client.send_text(room, "!ping")
    wait_reply(client, room, bot, event_id, f"the bot's decrypted answer to !ping {event_id}")
    return event_id




def wait_collected(client: E2ee, room: str, bot, event_id: str, what: str,
                   timeout: float = WAIT) -> tuple:
    """The contribution is stored and the bot's ✅ on it is readable in the room."""
    row = wait_for(lambda: ensure_alive(bot) or contribution(bot, event_id), timeout,
                   f"the encrypted {what} ({event_id}) to be collected")
    client.wait_timeline(room, lambda evs: reactions_to(evs, event_id, "✅", bot.user_id),
                         f"the bot's ✅ on the {what}", timeout=timeout)
    return row


def assert_bot_encrypts_everything(client: E2ee, room: str, bot) -> None:
    """Every bot message or reaction in the room was sent encrypted and client can read it."""
    raw = {e["event_id"]: e["type"] for e in client.http.messages(room)}
    events = client.timeline(room)
    mine = [e for e in events if e.get("sender") == bot.user_id
            and (raw[e["event_id"]] in ("m.room.message", "m.reaction", "m.room.encrypted"))]
    clear = [e["event_id"] for e in mine if raw[e["event_id"]] != "m.room.encrypted"]
    hidden = [e["event_id"] for e in mine if e.get("undecryptable")]
    assert not clear, f"{len(clear)} bot event(s) sent in clear into an encrypted room: {clear[:5]}"
    assert not hidden, f"{len(hidden)} bot event(s) {client} cannot decrypt: {hidden[:5]}"


# --- a whole round --------------------------------------------------------------------------------


def test_a_whole_round_in_an_encrypted_room(make_bot, user, e2ee):
    mod, anna, ben = e2ee(user("moderation")), e2ee(user("anna")), e2ee(user("ben"))
    room = encrypted_room(mod, [anna, ben], "Krisenstab Köln – verschlüsselt")
    bot = crypto_bot(make_bot, [mod.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    invite_bot(mod, room, bot, [anna, ben])
    ping(mod, room, bot)

    start = mod.send_text(room, "!runde panreflex Hochwasser 30")
    prompt = wait_bot_says(anna, room, bot, lambda b: "Rückschau" in b and "Pandemie" in b,
                           "the first phase prompt, decrypted by a participant", after=start)
    assert prompt["content"].get("msgtype") == "m.notice", prompt["content"]
    ids = {"m1": anna.send_text(room, "Der Krisenstab hat täglich getagt #erfolg"),
           "m2": ben.send_text(room, "Die Meldewege waren unklar #Problem #lehre"),
           "m3": anna.send_text(room, "Das war alles Mist #frust")}
    for label, event_id in ids.items():
        wait_collected(mod, room, bot, event_id, f"contribution {label}")
    row = contribution(bot, ids["m1"])
    assert row[:2] == (room, "Köln") and row[4] == "rueckschau" and row[6] == "round", row
    assert HEX32.fullmatch(row[2]), f"author {row[2]!r} is not a pseudonym"
    assert tags_of(bot, ids["m2"]) == {"problem", "lehre"}, tags_of(bot, ids["m2"])

    edited = "Der Krisenstab hat anfangs täglich getagt, das hat getragen #erfolg"
    anna.edit(room, ids["m1"], edited)
    wait_for(lambda: (contribution(bot, ids["m1"]) or [None] * 6)[5] == edited, WAIT,
             "the encrypted edit (m.replace) to update m1's body")
    anna.redact(room, ids["m3"], reason="zurückgezogen")
    wait_for(lambda: contribution(bot, ids["m3"]) is None, WAIT,
             "the redaction of the encrypted m3 to delete the contribution")
    ben.react(room, ids["m1"], "👍")
    wait_for(lambda: db_rows(bot, "SELECT COUNT(*) FROM votes WHERE event_id = ?",
                             (ids["m1"],))[0][0] == 1, WAIT, "ben's encrypted 👍 as one vote")

    nxt = mod.send_text(room, "!weiter")
    wait_bot_says(ben, room, bot, lambda b: "Bestandsaufnahme" in b and "Kommune" in b,
                  "the second phase prompt, decrypted", after=nxt)
    ids["m4"] = ben.send_text(room, "Die Lagekarte nutzen wir heute noch #erfolg")
    assert wait_collected(mod, room, bot, ids["m4"], "m4")[4] == "bestandsaufnahme"
    end = mod.send_text(room, "!ende")
    summary = wait_bot_says(anna, room, bot,
                            lambda b: re.search(r"Reflexionsrunde .*(abgeschlossen|beendet)", b),
                            "the round's summary, decrypted by a participant", after=end)
    assert "Köln" in summary["content"]["body"], summary["content"]["body"]

    # After the round: 📌 collects someone else's message; !digest is readable.
    ids["plain"] = ben.send_text(room, "Danke an alle für die offene Runde!")
    anna.react(room, ids["plain"], "📌")
    assert wait_collected(mod, room, bot, ids["plain"], "📌-pinned message")[6] == "pin"
    asked = anna.send_text(room, "!digest runde")
    digest = wait_bot_says(anna, room, bot, lambda b: b.startswith("Digest für Köln"),
                           "the !digest answer, decrypted", after=asked)
    assert reply_target(digest) == asked, digest["content"]
    assert_bot_encrypts_everything(anna, room, bot)
    check_status_and_export(bot, room, [ids[k] for k in ("m1", "m2", "m4", "plain")])


def check_status_and_export(bot, room: str, expected: list[str]) -> None:
    """`reflexbot status` counts the decrypted contributions and names the bot's device;
    the export holds exactly them."""
    status = run_cli(bot, "status")
    assert status.returncode == 0, status.stderr
    assert f"Contributions: {len(expected)}" in status.stdout, status.stdout
    assert bot_device(bot) in status.stdout, f"status does not name the device: {status.stdout}"
    assert bot.stop() == 0
    export = run_cli(bot, "export", "--format", "json", "--with-event-ids")
    assert export.returncode == 0, export.stderr
    exported = {c["event_id"] for c in json.loads(export.stdout)["contributions"]}
    assert exported == set(expected), f"export {sorted(exported)} != {sorted(expected)}"


# --- !anonym --------------------------------------------------------------------------------------


def test_anonym_from_an_encrypted_direct_chat_into_an_encrypted_room(make_bot, user, e2ee):
    mod, anna = e2ee(user("mod")), e2ee(user("anna"))
    room = encrypted_room(mod, [anna], "Krisenstab Köln")
    bot = crypto_bot(make_bot, [mod.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    invite_bot(mod, room, bot, [anna])
    start = mod.send_text(room, "!runde aar Stromausfall 30")
    wait_bot_says(mod, room, bot, lambda b: "geplant" in b, "the round's first prompt",
                  after=start)
    # The encrypted room's welcome came with its first message, readable (checked below too).
    wait_bot_says(mod, room, bot, lambda b: b.startswith("Guten Tag, ich bin Reflexbot."),
                  "the welcome, decrypted", after=start)

    direct = anna.create_direct(bot.user_id)
    wait_for(lambda: ensure_alive(bot) or anna.http.membership(direct, bot.user_id) == "join",
             WAIT, "the bot to join anna's encrypted direct chat")
    knows_bot(anna, direct, bot)
    secret = f"Die Lagemeldungen kamen doppelt {secrets.token_hex(3)} #problem"
    anna.send_text(direct, "!anonym köln " + secret)
    posted = wait_bot_says(mod, room, bot, lambda b: secret in b,
                           "the anonymous contribution, decrypted in the room")
    body = posted["content"]["body"]
    assert body.startswith("Anonymer Beitrag:"), body
    assert anna.user_id not in body and posted["content"].get("m.mentions") == {}, body
    wait_bot_says(anna, direct, bot, lambda b: "ohne Ihren Namen" in b,
                  "the confirmation in the encrypted direct chat, decrypted")
    rows = db_rows(bot, "SELECT event_id, room_id, author, body FROM contributions "
                        "WHERE via = 'anonymous'")
    assert len(rows) == 1, rows
    event_id, room_id, author, stored = rows[0]
    assert room_id == room and author == "" and stored == secret, rows
    assert not event_id.startswith("$"), "keyed by a Matrix event that names the sender"
    assert_bot_encrypts_everything(mod, room, bot)
    assert_bot_encrypts_everything(anna, direct, bot)
    assert secret not in bot.log(), "the anonymous text is in the bot's log"


# --- invites, a new device, a late key -------------------------------------------------------------


def start_round(mod: E2ee, room: str, bot, template="aar") -> None:
    start = mod.send_text(room, f"!runde {template} Thema 30")
    wait_bot_says(mod, room, bot, lambda b: "geplant" in b, f"the round's prompt in {room}",
                  after=start)


def test_bot_invited_before_and_after_participants_and_a_new_device(make_bot, user, e2ee):
    mod = e2ee(user("mod"))
    anna_account = user("anna")
    anna = e2ee(anna_account)
    bot = crypto_bot(make_bot, [mod.user_id])

    # Before: the bot is in the room first, anna joins later.
    first = mod.create_room(name="Bot zuerst")
    invite_bot(mod, first, bot)
    mod.invite(first, anna.user_id)
    anna.join(first)
    mod.wait_member(first, anna.user_id)
    knows_bot(anna, first, bot)
    # After: the participants are there, the bot comes last.
    second = encrypted_room(mod, [anna], "Bot zuletzt")
    invite_bot(mod, second, bot, [anna])
    for room in (first, second):
        start_round(mod, room, bot)
        sent = anna.send_text(room, f"Beitrag in {room} #lehre")
        wait_collected(mod, room, bot, sent, f"anna's contribution in {room}")

    # anna logs in on a second device mid-round; its messages are collected too.
    pseudonym = contribution(bot, sent)[2]
    anna2 = e2ee(anna_account, second=True)
    anna2.wait_room(second)
    knows_bot(anna2, second, bot)
    from_phone = anna2.send_text(second, "Vom Telefon nachgereicht #idee")
    row = wait_collected(mod, second, bot, from_phone, "the second device's contribution")
    assert row[2] == pseudonym, "the second device's text must carry anna's pseudonym"
    mod.wait_member(second, anna.user_id, devices=2)
    later = mod.send_text(second, "!ping")
    wait_reply(anna2, second, bot, later, "the bot's answer, readable on the new device")
    # The new device reads what the bot sent after it came (above); everything the bot ever sent
    # there is readable by a device that was there all along (as in Element, a new device gets no
    # earlier room keys from the bot).
    assert_bot_encrypts_everything(mod, second, bot)


def test_a_room_key_30_s_late_still_collects_the_contribution(make_bot, user, e2ee):
    mod, anna, ben = e2ee(user("mod")), e2ee(user("anna")), e2ee(user("ben"))
    room = encrypted_room(mod, [anna, ben], "Späte Schlüssel")
    bot = crypto_bot(make_bot, [mod.user_id])
    invite_bot(mod, room, bot, [anna, ben])
    start_round(mod, room, bot)

    late = anna.send_late(room, "Erst später lesbar: die Sirenen fielen aus #problem")
    sent_at = time.monotonic()
    late.release_after(30)
    # The room goes on meanwhile; the event without its key does not block it.
    on_time = ben.send_text(room, "Pünktlich: die Warn-App hat funktioniert #erfolg")
    wait_collected(mod, room, bot, on_time, "ben's contribution sent after the late one")
    assert contribution(bot, late.event_id) is None, "collected before its key was shared?"
    wait_collected(mod, room, bot, late.event_id, "contribution whose key came 30 s late",
                   timeout=30 + WAIT)
    assert time.monotonic() - sent_at >= 30
    assert late.released_to >= 1, f"the late key was never sent: {anna.errors}"
    assert contribution(bot, late.event_id)[4] == "geplant"
    ping(mod, room, bot)
    acks = reactions_to(mod.timeline(room), late.event_id, "✅", bot.user_id)
    assert len(acks) == 1, f"{len(acks)} ✅ on the late contribution"


# --- privacy and trust ------------------------------------------------------------------------------


def test_a_canary_is_only_in_the_contributions_table(hs, make_bot, user, e2ee):
    mod, anna = e2ee(user("mod")), e2ee(user("anna"))
    room = encrypted_room(mod, [anna], "Kanarienvogel")
    bot = crypto_bot(make_bot, [mod.user_id], log_level="trace")
    invite_bot(mod, room, bot, [anna])
    start_round(mod, room, bot)
    canary = f"Kanarienvogel {secrets.token_hex(8)} singt im Keller"
    sent = anna.send_text(room, canary)
    wait_collected(mod, room, bot, sent, "canary contribution")
    ping(mod, room, bot)
    assert bot.stop() == 0

    needle = canary.encode()
    synapse_hits = [p.name for p in Path(hs.dir).glob("homeserver.db*") if needle in
                    p.read_bytes()]
    assert not synapse_hits, f"Synapse's database holds the plaintext: {synapse_hits}"
    assert canary not in bot.log(), "the bot's log holds the plaintext"
    other_files = [p for p in bot.dir.rglob("*") if p.is_file()
                   and not p.name.startswith(bot.database.name)]
    leaks = [str(p) for p in other_files if needle in p.read_bytes()]
    assert not leaks, f"plaintext in the bot's other files (crypto store?): {leaks}"
    places = canary_cells(bot.database, canary)
    assert places == [("contributions", sent)], \
        f"the canary must be exactly one contribution row, found in {places}"


def canary_cells(database: Path, canary: str) -> list[tuple]:
    """(table, event_id or rowid) of every row of every table with the canary in some column."""
    found = []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info('{table}')")]
            # event_id where there is one, else the first column (WITHOUT ROWID tables have no rowid)
            key = "event_id" if "event_id" in columns else columns[0]
            for row in db.execute(f"SELECT \"{key}\", * FROM '{table}'"):
                if any(canary in (c.decode(errors="replace") if isinstance(c, bytes) else str(c))
                       for c in row[1:] if c is not None):
                    found.append((table, row[0]))
    return found


def test_the_bots_device_is_cross_signed_by_its_account(make_bot, user, e2ee):
    anna = e2ee(user("anna"))
    bot = crypto_bot(make_bot, [anna.user_id])
    # The crypto machine opens with the first encrypted room (test_e2ee_lazy.py).
    invite_bot(anna, encrypted_room(anna, [], "Gegengezeichnet"), bot)
    device = bot_device(bot)
    wait_cross_signed(anna.http, bot.user_id, device, lambda: ensure_alive(bot))
    status = run_cli(bot, "status")
    assert status.returncode == 0 and device in status.stdout, status


def test_share_keys_with_cross_signed_leaves_out_devices_nobody_signed(make_bot, user, e2ee):
    """encryption.share_keys_with: cross_signed. nio's device is not cross-signed by its owner, so
    the bot's room key does not reach it: the bot reads anna's !ping and answers, but anna cannot
    read the answer. (With the default policy she can: every other test here.)"""
    anna = e2ee(user("anna"))
    bot = make_bot(allowlist=[anna.user_id], start=False, templates_dir=TEMPLATES_DIR)
    give_password(bot)
    bot.config["encryption"] = {"share_keys_with": "cross_signed"}
    bot.write_config()
    bot.start()
    room = encrypted_room(anna, [], "Nur gegengezeichnete Geräte")
    invite_bot(anna, room, bot)
    event_id = anna.send_text(room, "!ping")

    def hidden_answer(events):
        ensure_alive(bot)
        return [e for e in events if e.get("sender") == bot.user_id and e.get("undecryptable")]
    anna.wait_timeline(room, hidden_answer, "the bot's encrypted answer to !ping", timeout=WAIT)
    anna.sync_once()  # a room key on its way would be here now
    readable = [m for m in bot_messages(anna.timeline(room), bot) if reply_target(m) == event_id]
    assert readable == [], "an unsigned device got the bot's room key"
    assert db_rows(bot, "SELECT count(*) FROM outbox WHERE state = 'sent'")[0][0] >= 1


# --- SIGKILLs during 300 encrypted messages -----------------------------------------------------------

MESSAGES = 300
MIN_KILLS = 20


def test_sigkill_during_300_encrypted_messages_loses_and_duplicates_nothing(make_bot, user, e2ee):
    mod, anna, ben = e2ee(user("mod")), e2ee(user("anna")), e2ee(user("ben"))
    room = encrypted_room(mod, [anna, ben], "Dauerfeuer verschlüsselt")
    bot = crypto_bot(make_bot, [mod.user_id], extra={"command_limit": {"burst": 0}})
    invite_bot(mod, room, bot, [anna, ben])
    start_round(mod, room, bot)

    sent, errors = [], []

    def send_all():
        try:
            for i in range(MESSAGES):
                sent.append((anna, ben)[i % 2].send_text(room, f"Beitrag {i}: Lage {i % 7}"))
                time.sleep(0.05)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    sender = threading.Thread(target=send_all, name="sender", daemon=True)
    sender.start()
    kills = 0
    while sender.is_alive() or kills < MIN_KILLS:
        time.sleep(rng.uniform(0.3, 1.5))
        bot.kill(signal.SIGKILL)
        assert bot.wait(15) is not None, "bot did not die on SIGKILL"
        kills += 1
        bot.start()
    sender.join(60)
    assert not errors, f"sending failed: {errors[0]!r}"
    assert len(sent) == MESSAGES
    print(f"random seed {seed}: {kills} SIGKILLs, {len(sent)} encrypted messages")
    audit_after_kills(mod, room, bot, sent)


def audit_after_kills(mod: E2ee, room: str, bot, sent: list[str]) -> None:
    def stored():
        ensure_alive(bot)
        return {r[0] for r in db_rows(bot, "SELECT event_id FROM contributions "
                                           "WHERE room_id = ?", (room,))}
    try:
        wait_for(lambda: set(sent) <= stored(), 120, "every encrypted message collected",
                 interval=1.0)
    except HarnessError:
        pass  # counted below, with the reason
    ping(mod, room, bot)
    wait_for(lambda: ensure_alive(bot) or outbox_states(bot).get("pending", 0) == 0, WAIT,
             "the bot's outbox to have nothing pending")
    events = mod.timeline(room)
    by_id = {e["event_id"]: e for e in events}
    unreadable_to_us = [e for e in sent if by_id[e].get("undecryptable")]
    assert not unreadable_to_us, f"harness: {len(unreadable_to_us)} messages mod cannot decrypt"
    have = stored()
    lost = [e for e in sent if e not in have]
    acks = {e: len(reactions_to(events, e, "✅", bot.user_id)) for e in sent}
    twice = [e for e, n in acks.items() if n > 1]
    unacked = [e for e, n in acks.items() if n == 0]
    hidden = [e["event_id"] for e in events
              if e.get("sender") == bot.user_id and e.get("undecryptable")]
    repeats = bot_event_duplicates(events, bot.user_id)
    assert not lost, f"{len(lost)} of {len(sent)} encrypted messages lost (not collected; " \
                     f"the participants could decrypt all), e.g. {lost[:5]}"
    assert not twice and not repeats, f"acknowledged twice: {twice[:5]}; repeats: {repeats[:5]}"
    assert not unacked, f"{len(unacked)} collected but never acknowledged with ✅: {unacked[:5]}"
    assert not hidden, f"{len(hidden)} bot events the participants cannot decrypt: {hidden[:5]}"
    assert bot.seen_duplicates() == []
