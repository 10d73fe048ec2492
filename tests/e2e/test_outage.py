"""Outage: Synapse stopped for 30 s under a running bot; it backs off, resumes, loses nothing."""

import time

from helpers import (assert_exactly_one_reply_each, ensure_alive, join_bot, ping_and_wait,
                     wait_settled, wait_all_replied)

OUTAGE_S = 30


def test_homeserver_outage(make_bot, user, hs):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)
    before = [ping_and_wait(anna, room, bot)[0]]
    before += [anna.send_text(room, f"!ping vor dem Ausfall {i}") for i in range(3)]

    hs.stop()
    try:
        deadline = time.monotonic() + OUTAGE_S
        while time.monotonic() < deadline:
            ensure_alive(bot)
            time.sleep(1)
    finally:
        hs.start()
    ensure_alive(bot)

    after = [anna.send_text(room, f"!ping nach dem Ausfall {i}") for i in range(3)]
    pings = {room: before + after}
    wait_all_replied(anna, pings, bot, timeout=90)
    pings[room].append(ping_and_wait(anna, room, bot)[0])
    wait_settled(bot)
    assert_exactly_one_reply_each(anna, pings, bot)
    ensure_alive(bot)
    assert "warn" in bot.log().lower(), "the bot logged no warning while the homeserver was down"
