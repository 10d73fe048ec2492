"""A round in a thread: the moderator's `!runde … thread` is the thread's root, the bot's prompts
and notices for the round go into that thread (m.thread), and what a participant writes in the
thread is collected for the round's phase, as is what is written in the main timeline."""

from helpers import (contribution, ensure_alive, join_bot, wait_bot_notice, wait_bot_reaction,
                     wait_for)
from localhs import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
WAIT = 60


def thread_of(event: dict) -> str | None:
    relates = event.get("content", {}).get("m.relates_to") or {}
    return relates.get("event_id") if relates.get("rel_type") == "m.thread" else None


def test_a_round_in_a_thread(make_bot, user):
    mod, anna = user("moderation"), user("anna")
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR)
    room = join_bot(mod, bot, name="Stab Süd")
    mod.invite(room, anna.user_id)
    anna.join(room)

    start = mod.send_text(room, "!runde aar Übung 30 thread")
    prompt = wait_bot_notice(mod, room, bot, lambda b: "Phase 1 von 4" in b,
                             "the first phase's prompt", after=start, timeout=WAIT)
    assert thread_of(prompt) == start, prompt["content"]

    in_thread = anna.send_text(room, "Geplant war, die Leitstelle auf Notstrom umzustellen.", extra={
        "m.relates_to": {"rel_type": "m.thread", "event_id": start, "is_falling_back": True,
                         "m.in_reply_to": {"event_id": start}}})
    in_main = anna.send_text(room, "Und die Stadtwerke sollten informiert werden.")
    for event_id in (in_thread, in_main):
        row = wait_for(lambda: ensure_alive(bot) or contribution(bot, event_id), WAIT,
                       f"contribution {event_id} in the store")
        assert row[4] == "geplant" and row[6] == "round", row
        wait_bot_reaction(mod, room, bot, event_id, "✅", timeout=WAIT)

    nxt = mod.send_text(room, "!weiter")
    second = wait_bot_notice(mod, room, bot, lambda b: "Phase 2 von 4" in b,
                             "the second phase's prompt", after=nxt, timeout=WAIT)
    assert thread_of(second) == start, second["content"]
    ended = wait_bot_notice(mod, room, bot, lambda b: "ist abgeschlossen" in b,
                            "the first phase's summary", after=nxt, timeout=WAIT)
    assert thread_of(ended) == start, ended["content"]
