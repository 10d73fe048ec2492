"""Rate limit: a tight per-user message limit for the bot; 50 pings, 50 replies, none twice."""

from helpers import (assert_exactly_one_reply_each, join_bot, ping_and_wait, wait_settled,
                     wait_all_replied)

PINGS = 50


def test_rate_limited_bot_answers_every_ping_once(make_bot, user, admin):
    anna = user("anna")
    # Delivery under the server's limit, not our per-person command limit: that one is off.
    bot = make_bot(allowlist=[anna.user_id], start=False, extra={"command_limit": {"burst": 0}})
    admin.override_ratelimit(bot.user_id, messages_per_second=1, burst_count=2)
    bot.start()
    room = join_bot(anna, bot)

    pings = {room: [anna.send_text(room, f"!ping {i}") for i in range(PINGS)]}
    wait_all_replied(anna, pings, bot, timeout=180)
    pings[room].append(ping_and_wait(anna, room, bot)[0])
    wait_settled(bot)
    assert_exactly_one_reply_each(anna, pings, bot)
    assert "M_LIMIT_EXCEEDED" in bot.log(), \
        "the bot never logged M_LIMIT_EXCEEDED although its sends were rate limited"
