"""A message written while the bot was down counts for the phase that was open when it was written.

The moderator starts an After Action Review with one-minute phases; the bot stops; a participant
writes during phase 1; phase 1's deadline passes while the bot is away. On restart the bot closes
phase 1 (its timer runs before the first sync) and opens phase 2, and only then reads the message:
it must still be filed under phase 1 ("geplant"), by its origin_server_ts."""

import time

from helpers import (contribution, db_rows, ensure_alive, join_bot, wait_bot_notice,
                     wait_bot_reaction, wait_for)
from localhs import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
WAIT = 60


def open_phase(bot, room_id):
    rows = db_rows(bot, "SELECT phase_index FROM rounds WHERE room_id = ? AND state <> 'ended'",
                   (room_id,))
    return rows[0][0] if rows else None


def test_a_message_written_while_the_bot_was_down_keeps_its_phase(make_bot, user):
    mod, anna = user("moderation"), user("anna")
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR)
    room = join_bot(mod, bot, name="Stab Nord")
    mod.invite(room, anna.user_id)
    anna.join(room)

    start = mod.send_text(room, "!runde aar Stromausfall 1")
    wait_bot_notice(mod, room, bot, lambda b: "Phase 1 von 4" in b, "the first phase's prompt",
                    after=start, timeout=WAIT)
    started_ms = db_rows(bot, "SELECT started_at FROM rounds WHERE room_id = ?", (room,))[0][0]

    assert bot.stop() == 0
    late = anna.send_text(room, "Geplant war, die Leitstelle binnen 30 Minuten auf Notstrom "
                                "umzustellen.")
    # Phase 1 ends a minute after the start; wait until that has passed, with the bot still away.
    # (Not an assertion on timing: the test only needs the deadline to be behind us.)
    remaining = started_ms / 1000 + 60 + 5 - time.time()
    if remaining > 0:
        time.sleep(remaining)
    bot.start()

    wait_bot_notice(mod, room, bot, lambda b: "Phase 2 von 4" in b, "the second phase's prompt",
                    after=late, timeout=WAIT)
    row = wait_for(lambda: ensure_alive(bot) or contribution(bot, late), WAIT,
                   "the late message in the store")
    wait_bot_reaction(mod, room, bot, late, "✅", timeout=WAIT)
    _, _, _, round_id, phase_key, _, via = row
    assert round_id is not None and via == "round", row
    assert phase_key == "geplant", f"filed under {phase_key!r}, written during phase 1 (geplant)"
    assert open_phase(bot, room) is None or open_phase(bot, room) >= 1
