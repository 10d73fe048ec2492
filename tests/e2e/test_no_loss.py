"""No loss, no duplicates: 300 pings in two rooms while the bot is SIGKILLed again and again."""

import random
import signal
import threading
import time

from helpers import (assert_exactly_one_reply_each, join_bot, ping_and_wait, wait_settled,
                     wait_all_replied)

PINGS = 300
MIN_KILLS = 5


def test_sigkill_during_300_pings_loses_and_duplicates_nothing(make_bot, user):
    anna, ben = user("anna"), user("ben")
    # Delivery, not the per-person command limit (tests/e2e/test_flood.py): that one is off.
    bot = make_bot(allowlist=[anna.user_id], extra={"command_limit": {"burst": 0}})
    rooms = []
    for name in ("Reflexionsraum Köln", "Reflexionsraum Leipzig"):
        room = join_bot(anna, bot, name=name)
        anna.invite(room, ben.user_id)
        ben.join(room)
        rooms.append(room)

    pings: dict[str, list[str]] = {room: [] for room in rooms}
    errors: list[BaseException] = []

    def send_all():
        try:
            for i in range(PINGS):
                sender = (anna, ben)[i % 2]
                room = rooms[(i // 2) % 2]
                pings[room].append(sender.send_text(room, f"!ping {i}"))
                time.sleep(0.02)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    sender = threading.Thread(target=send_all, name="pinger", daemon=True)
    sender.start()
    kills = 0
    while sender.is_alive() or kills < MIN_KILLS:
        time.sleep(rng.uniform(0.3, 2.5))
        bot.kill(signal.SIGKILL)
        assert bot.wait(15) is not None, "bot did not die on SIGKILL"
        kills += 1
        bot.start()
    sender.join(60)
    assert not errors, f"sending pings failed: {errors[0]!r}"
    sent = sum(len(ids) for ids in pings.values())
    assert sent == PINGS
    print(f"random seed {seed}: {kills} SIGKILLs, {sent} pings")

    wait_all_replied(anna, pings, bot, timeout=180)
    # One more ping per room, answered: the bot has worked through everything before it.
    for room in rooms:
        pings[room].append(ping_and_wait(ben, room, bot)[0])
    wait_settled(bot)
    assert_exactly_one_reply_each(ben, pings, bot)

    seen = bot.seen_event_ids()
    missing = [e for ids in pings.values() for e in ids if e not in seen]
    assert not missing, f"{len(missing)} ping event ids missing from seen_events, e.g. {missing[:5]}"
    assert bot.seen_duplicates() == []
