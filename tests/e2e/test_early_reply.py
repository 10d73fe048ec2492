"""Replies without waiting for the disk (issue 17, item 2): a reply leaves before its batch commits;
a bot SIGKILLed between that send and the commit replays the batch after its restart and re-sends
the same transaction id, which the homeserver de-duplicates. Read back with matrix-nio.

The bot is held between the early send and the commit by a test-only hook (built with
-DREFLEXBOT_E2E_HOOKS=ON, as scripts/test.sh builds build/; a bot built for use has no such hook).
"""

from __future__ import annotations

import asyncio
import signal

import nio
import pytest

from helpers import (REPLY_TIMEOUT, bot_event_duplicates, db_rows, ensure_alive, join_bot, ping_and_wait, reactions_to,
                     wait_bot_reaction, wait_reply, wait_settled)
from localhs import reply_target, wait_for
from e2ee import e2ee  # noqa: F401 (fixture)

HOLD = "REFLEXBOT_E2E_HOLD_BEFORE_COMMIT"
HOLD_LINE = "e2e hook: "
HOOKS_LINE = "built with the end-to-end tests' hooks"


def room_events_by_nio(client, room: str) -> list[dict]:
    """The room's events as matrix-nio reads them (oldest first), with the user's token."""
    async def read() -> list[dict]:
        nc = nio.AsyncClient(client.base_url, client.user_id, device_id=client.device_id or "")
        nc.access_token = client.access_token
        try:
            events: list[dict] = []
            start = ""
            while True:
                page = await nc.room_messages(room, start=start, limit=100)
                assert isinstance(page, nio.RoomMessagesResponse), f"room_messages: {page}"
                events.extend(e.source for e in page.chunk)
                if not page.chunk or not page.end or page.end == start:
                    break
                start = page.end
            events.reverse()
            return events
        finally:
            await nc.close()
    return asyncio.run(read())


def hold_next_batch(bot, monkeypatch) -> int:
    """Restarts the bot with the hold hook on; returns how many holds its log showed before."""
    bot.stop()
    monkeypatch.setenv(HOLD, "1")
    before = bot.log().count(HOLD_LINE)
    bot.start()
    monkeypatch.delenv(HOLD)  # the restart after the kill runs without it
    wait_for(lambda: ensure_alive(bot) or HOOKS_LINE in bot.log().split("start #")[-1], 30,
             "the bot to start")
    return before


def kill_when_held(bot, before: int) -> None:
    wait_for(lambda: bot.log().count(HOLD_LINE) > before, REPLY_TIMEOUT,
             "the bot to hold a batch after its early send")
    assert bot.alive(), "the held bot exited"


def kill_and_restart(bot, client, room) -> str:
    """SIGKILLs the held bot and starts it without the hook: the held batch comes again and is
    committed. Returns the id of a ping answered after it (the bot has caught up)."""
    bot.kill(signal.SIGKILL)
    assert bot.wait(15) is not None, "bot did not die on SIGKILL"
    bot.start()
    last, _ = ping_and_wait(client, room, bot)
    wait_settled(bot)
    return last


@pytest.fixture
def hooked_bot(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id], extra={"command_limit": {"burst": 0}})
    room = join_bot(anna, bot, name="Reflexionsraum Köln")
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    if HOOKS_LINE not in bot.log():
        pytest.skip("build/reflexbot was built without -DREFLEXBOT_E2E_HOOKS=ON")
    return anna, bot, room


def test_a_reply_sent_before_the_commit_is_in_the_room_once_after_a_sigkill(hooked_bot,
                                                                           monkeypatch):
    anna, bot, room = hooked_bot

    # A command: its answer goes out early, then the bot stops before the commit.
    before = hold_next_batch(bot, monkeypatch)
    ping = anna.send_text(room, "!ping")
    kill_when_held(bot, before)
    early = wait_reply(anna, room, bot, ping)  # in the room, although nothing was committed
    assert db_rows(bot, "SELECT COUNT(*) FROM seen_events WHERE event_id = ?", (ping,)) == [(0,)]
    kill_and_restart(bot, anna, room)

    # A tagged message: its ✅ goes out early, and again the bot dies before the commit.
    before = hold_next_batch(bot, monkeypatch)
    idea = anna.send_text(room, "#idee Sandsäcke früher bestellen")
    kill_when_held(bot, before)
    early_ack = wait_bot_reaction(anna, room, bot, idea)
    last = kill_and_restart(bot, anna, room)

    events = room_events_by_nio(anna, room)
    replies = [e for e in events if e.get("sender") == bot.user_id and reply_target(e) == ping]
    assert [e["event_id"] for e in replies] == [early["event_id"]], \
        f"the ping has {len(replies)} replies: {[e['event_id'] for e in replies]}"
    acks = reactions_to(events, idea, "✅", bot.user_id)
    assert [e["event_id"] for e in acks] == [early_ack["event_id"]], \
        f"the tagged message has {len(acks)} ✅: {[e['event_id'] for e in acks]}"
    assert len([e for e in events if e.get("sender") == bot.user_id
                and reply_target(e) == last]) == 1
    assert bot_event_duplicates(events, bot.user_id) == []

    # The replayed batches' rows record what the homeserver answered for the repeated
    # transaction ids: the events sent before the kills. (The ✅ is state of its contribution,
    # not an outbox row: marked sent, its event id not kept.)
    sent = {row[0] for row in db_rows(
        bot, "SELECT remote_event_id FROM outbox WHERE state = 'sent'")}
    assert early["event_id"] in sent
    assert db_rows(bot, "SELECT ack FROM contributions WHERE event_id = ?", (idea,)) == [(-1,)]
    assert db_rows(bot, "SELECT COUNT(*) FROM seen_events WHERE event_id IN (?, ?)",
                   (ping, idea)) == [(2,)]
    assert db_rows(bot, "SELECT COUNT(*) FROM contributions WHERE event_id = ?", (idea,)) == [(1,)]


def test_an_encrypted_reply_sent_before_the_commit_is_in_the_room_once_after_a_sigkill(
        make_bot, user, e2ee, monkeypatch):
    """In an encrypted room a reply goes early once the room key reached the members' devices
    (the first reply after a start shares it through the drain); killed before its commit, the
    bot replays the batch, encrypts the reply again and re-sends the same transaction id."""
    account = user("anna")
    bot = make_bot(allowlist=[account.user_id], extra={"command_limit": {"burst": 0}})
    anna = e2ee(account)
    room = anna.create_room(name="Reflexionsraum Köln, verschlüsselt")
    anna.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or anna.http.membership(room, bot.user_id) == "join",
             REPLY_TIMEOUT, "the bot to join the encrypted room")
    anna.wait_member(room, bot.user_id, timeout=REPLY_TIMEOUT)
    if HOOKS_LINE not in bot.log():
        pytest.skip("build/reflexbot was built without -DREFLEXBOT_E2E_HOOKS=ON")

    def reply_to(event_id: str):
        def find(events):
            for e in events:
                if e.get("sender") == bot.user_id and e.get("decrypted") \
                        and reply_target(e) == event_id:
                    return e
            return None
        return find

    before = hold_next_batch(bot, monkeypatch)
    # The first ping after the start: its reply shares the room key, through the drain (no hold).
    first = anna.send_text(room, "!ping")
    anna.wait_timeline(room, reply_to(first), "the bot's reply to the first ping", REPLY_TIMEOUT)
    # The next one goes early, encrypted, and the bot stops before its batch commits.
    held = None
    for _ in range(3):
        ping = anna.send_text(room, "!ping")
        wait_for(lambda: ensure_alive(bot) or bot.log().count(HOLD_LINE) > before
                 or reply_to(ping)(anna.timeline(room)), REPLY_TIMEOUT, "a reply or a hold")
        if bot.log().count(HOLD_LINE) > before:
            held = ping
            break
    assert held is not None, "no encrypted reply went out before its batch's commit"
    assert bot.alive(), "the held bot exited"
    early = anna.wait_timeline(room, reply_to(held), "the early encrypted reply", REPLY_TIMEOUT)
    assert db_rows(bot, "SELECT COUNT(*) FROM seen_events WHERE event_id = ?", (held,)) == [(0,)]

    bot.kill(signal.SIGKILL)
    assert bot.wait(15) is not None, "bot did not die on SIGKILL"
    bot.start()
    last = anna.send_text(room, "!ping")
    anna.wait_timeline(room, reply_to(last), "the reply after the restart", REPLY_TIMEOUT)
    wait_settled(bot)

    events = anna.timeline(room)
    replies = [e for e in events if e.get("sender") == bot.user_id and reply_target(e) == held]
    assert [e["event_id"] for e in replies] == [early["event_id"]], \
        f"the ping has {len(replies)} replies: {[e['event_id'] for e in replies]}"
    assert all(e.get("type") == "m.room.message" and e.get("decrypted") for e in replies)
    clear = [e for e in anna.http.messages(room)
             if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]
    assert clear == [], "the bot sent something in clear into the encrypted room"
    sent = {row[0] for row in db_rows(
        bot, "SELECT remote_event_id FROM outbox WHERE state = 'sent'")}
    assert early["event_id"] in sent
