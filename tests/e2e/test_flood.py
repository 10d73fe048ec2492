"""Command flood: one person's 60 fast commands are answered at a bounded rate (the per-person
command limit, `command_limit:` in the config), with one notice; another person's command sent
in the middle of the flood is answered within seconds, also while Synapse rate-limits the bot's
own sends (429); and after a pause the flooder is answered again."""

import threading
import time

import pytest

from helpers import (bot_replies, db_rows, ensure_alive, join_bot, ping_and_wait, wait_reply,
                     wait_settled)

FLOOD = 60
BURST = 10  # the defaults of command_limit (bot/app/config/config.hpp)
REFILL_S = 3
SLOW_DOWN = "Sie senden zu viele Befehle"


def _flood(client, room, n, sent, started, tagged):
    for i in range(n):
        sent.append((time.monotonic(), client.send_text(room, ("!ping", "!hilfe")[i % 2])))
        if i == n // 2:
            started.set()  # halfway: the other person speaks up
    # Contributions are never limited: a tagged message right after the flood is collected.
    tagged.append(client.send_text(room, "Funkgeräte fielen aus #problem"))


@pytest.mark.parametrize("server_limited", [False, True], ids=["unlimited", "server-429"])
def test_a_flood_is_answered_at_a_bounded_rate_and_others_at_once(make_bot, user, admin,
                                                                  server_limited):
    anna, ben = user("anna"), user("ben")
    bot = make_bot(allowlist=[anna.user_id], start=False)
    if server_limited:
        # Synapse answers the bot's sends with 429 beyond 2 at once and 1 a second.
        admin.override_ratelimit(bot.user_id, messages_per_second=1, burst_count=2)
    bot.start()
    room = join_bot(anna, bot)
    anna.invite(room, ben.user_id)
    ben.join(room)
    ping_and_wait(ben, room, bot)  # ben's bucket has one token less from here
    time.sleep(REFILL_S + 0.5)  # and it is full again

    sent: list[tuple[float, str]] = []
    halfway = threading.Event()
    tagged: list[str] = []
    flooder = threading.Thread(target=_flood, args=(ben, room, FLOOD, sent, halfway, tagged),
                               daemon=True)
    flooder.start()
    assert halfway.wait(60), "the flood did not get halfway"
    asked_at = time.monotonic()
    anna_ping = anna.send_text(room, "!ping")
    # Answered while the flood is still being sent or just after: not queued behind it. With the
    # server limiting the bot to 1 send a second, it waits at most for the sends of ben's burst
    # and the one notice that were queued before it.
    wait_reply(anna, room, bot, anna_ping, timeout=(BURST + 6) if server_limited else 8)
    anna_delay = time.monotonic() - asked_at
    flooder.join(120)
    assert len(sent) == FLOOD and len(tagged) == 1
    flood_seconds = sent[-1][0] - sent[0][0]

    # Quiet again: anna's next command is answered after everything of ben's was processed.
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    replies = bot_replies(anna.messages(room), bot.user_id)
    answers = notices = 0
    for _, event_id in sent:
        for reply in replies.get(event_id, []):
            if reply["content"].get("body", "").startswith(SLOW_DOWN):
                notices += 1
            else:
                answers += 1
    # The bot sees the flood a little later than it was sent; allow it a few seconds of refill.
    bound = BURST + int((flood_seconds + 5) / REFILL_S) + 1
    print(f"flood of {FLOOD} commands in {flood_seconds:.1f} s: {answers} answers, {notices} "
          f"notice(s), bound {bound}; the other person's command answered after "
          f"{anna_delay:.1f} s (server rate limit: {server_limited})")
    assert notices == 1, f"{notices} slow-down notices"
    assert BURST <= answers <= bound, f"{answers} answers to {FLOOD} commands (bound {bound})"
    assert "M_LIMIT_EXCEEDED" in bot.log() or not server_limited

    # After a pause ben is answered again.
    time.sleep(REFILL_S + 1)
    ensure_alive(bot)
    again = ben.send_text(room, "!ping")
    reply = wait_reply(ben, room, bot, again, timeout=30)
    assert reply["content"]["body"].startswith("Pong"), reply["content"]
    assert db_rows(bot, "SELECT 1 FROM contributions WHERE event_id = ?", (tagged[0],)), \
        "the tagged message sent right after the flood was not collected"
