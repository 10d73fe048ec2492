"""Gap: 200 messages while the bot is down, a timeline limit of 10, nothing lost."""

import re

from helpers import assert_exactly_one_reply_each, join_bot, ping_and_wait, wait_settled, wait_for

GAP = 200


def test_limited_timeline_after_downtime_is_filled(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)
    ping_and_wait(anna, room, bot)

    assert bot.stop() == 0, "SIGTERM should stop the bot with exit status 0"
    posted = [anna.send_text(room, f"Beobachtung {i}: Lage ruhig") for i in range(GAP)]

    bot.config["sync"]["timeline_limit"] = 10
    bot.write_config()
    bot.start()

    def all_seen():
        missing = [e for e in posted if e not in bot.seen_event_ids()]
        return not missing
    wait_for(all_seen, 60, f"all {GAP} gap messages in the bot's seen_events")
    filled = [line for line in bot.log().splitlines()
              if re.search(r"(?<!rate )limited", line, re.IGNORECASE)]
    assert filled, "the bot log does not mention the limited timeline it filled"

    ping, _ = ping_and_wait(anna, room, bot)
    wait_settled(bot)
    pings = _all_pings(anna, room)
    assert ping in pings[room] and len(pings[room]) == 2
    assert_exactly_one_reply_each(anna, pings, bot)
    assert bot.seen_duplicates() == []


def _all_pings(client, room):
    """Both pings (before and after the gap) must have exactly one reply."""
    ids = [e["event_id"] for e in client.messages(room)
           if e.get("sender") == client.user_id and e.get("content", {}).get("body") == "!ping"]
    return {room: ids}
