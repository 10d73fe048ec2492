"""Loops and spam: two bots in one room answer each other zero times; an invite flood from a user
who is not on the allowlist gives zero joins, and the bot answers a ping afterwards; a reply is not
queued behind the declines of an invite flood.

Participants are driven by the harness's own client (scripts/localhs.py), never by the bot's.
The figures are printed and written as JSON (helpers.record_figures). REFLEXBOT_INVITES sets the
number of invites: 300 by default, so that CI stays within its 30 minutes (creating the rooms in
Synapse takes most of the test's time); docs/reliability.md quotes a run with
REFLEXBOT_INVITES=1000."""

import os
import random
import threading
import time

import pytest

from helpers import (bot_event_duplicates, bot_replies, db_rows, ensure_alive, is_message,
                     join_bot, ping_and_wait, record_figures, reply_target, wait_settled,
                     wait_for, wait_reply)
from localhs import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
WAIT = 30
TWO_BOTS_SECONDS = 60


def relation_target(event: dict):
    """The event an event refers to: the one it replies to, annotates, edits or threads under."""
    content = event.get("content", {})
    rel = content.get("m.relates_to") or {}
    return reply_target(event) or rel.get("event_id")


def test_two_bots_in_one_room_answer_each_other_zero_times(make_bot, user, tmp_path):
    mod, anna, ben = user("moderation"), user("anna"), user("ben")
    bots = [make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR) for _ in range(2)]
    room = mod.create_room(name="Reflexion Köln",
                           invite=[anna.user_id, ben.user_id] + [b.user_id for b in bots])
    anna.join(room)
    ben.join(room)
    for bot in bots:
        wait_for(lambda: ensure_alive(bot) or mod.membership(room, bot.user_id) == "join", WAIT,
                 f"{bot.user_id} to join")
    # Both bots are in and answering: each one's notices are in the timeline the other syncs.
    warmup = mod.send_text(room, "!ping")
    for bot in bots:
        wait_reply(mod, room, bot, warmup)

    # A round in both bots: now every text message is a contribution, the bots' own notices
    # included if a bot did not ignore them.
    # The round's start and end are announced; they need not be replies to the command.
    round_commands = [mod.send_text(room, "!runde aar Hochwasser 30")]
    commands = [warmup] + round_commands
    human_events = set(commands)
    notice_commands = []
    rng = random.Random(7)
    script = ["!ping", "!hilfe", "!status", "#lehre Meldewege früh klären", "!vorlagen",
              "Wir brauchen eine zentrale Lagekarte #idee", "!ping bitte",
              "Das Bürgertelefon war überlastet #problem"]
    deadline = time.monotonic() + TWO_BOTS_SECONDS
    step = 0
    while time.monotonic() < deadline:
        for bot in bots:
            ensure_alive(bot)
        who = (anna, ben, mod)[step % 3]
        text = script[step % len(script)]
        event_id = who.send_text(room, text)
        human_events.add(event_id)
        if text.startswith("!"):
            commands.append(event_id)
        if step % 5 == 4:
            # A command sent as m.notice, as another bot would: no bot may answer it.
            notice_commands.append(who.send_notice(room, "!ping"))
        step += 1
        time.sleep(rng.uniform(0.5, 1.5))
    round_commands.append(mod.send_text(room, "!ende"))
    commands.append(round_commands[-1])
    for bot in bots:
        commands.append(ping_and_wait(mod, room, bot)[0])
    # Each bot has answered both last pings, so each has read everything before them.
    for bot in bots:
        for ping in commands[-len(bots):]:
            wait_reply(mod, room, bot, ping)
    human_events.update(commands + notice_commands)

    # Quiet: once the people stop, the bots stop. A loop would keep the room busy.
    def bot_event_count():
        return sum(1 for e in mod.messages(room) if e.get("sender") in {b.user_id for b in bots})
    wait_settled(*bots)
    settled = bot_event_count()
    time.sleep(6)  # the window in which a loop would show, not a wait for something
    events = mod.messages(room)
    after_quiet = bot_event_count()

    figures = {"seconds": TWO_BOTS_SECONDS, "human_messages": len(human_events),
               "commands": len(commands), "notice_commands": len(notice_commands), "bots": {}}
    problems = []
    for bot, other in (bots, bots[::-1]):
        mine = [e for e in events if e.get("sender") == bot.user_id]
        other_ids = {e["event_id"] for e in events if e.get("sender") == other.user_id}
        at_other = [e["event_id"] for e in mine if relation_target(e) in other_ids]
        collected_other = [r[0] for r in db_rows(bot, "SELECT event_id FROM contributions")
                           if r[0] in other_ids]
        replies = bot_replies(events, bot.user_id)
        to_notices = [c for c in notice_commands if replies.get(c)]
        unanswered = [c for c in commands if len(replies.get(c, [])) != 1
                      and not (c in round_commands and len(replies.get(c, [])) == 0)]
        stray = [t for t in replies if t is not None and t not in human_events]
        repeats = bot_event_duplicates(events, bot.user_id)
        name = bot.user_id
        if at_other:
            problems.append(f"{name} answered or reacted to the other bot {len(at_other)} "
                            f"time(s): {at_other[:3]}")
        if collected_other:
            problems.append(f"{name} collected {len(collected_other)} event(s) of the other bot")
        if to_notices:
            problems.append(f"{name} answered {len(to_notices)} m.notice command(s)")
        if unanswered:
            problems.append(f"{name}: {len(unanswered)} command(s) not answered exactly once: "
                            f"{unanswered[:3]}")
        if stray:
            problems.append(f"{name} replied to {len(stray)} event(s) that are no person's: "
                            f"{stray[:3]}")
        if repeats:
            problems.append(f"{name} posted {len(repeats)} event(s) twice: {repeats[:3]}")
        figures["bots"][name] = {
            "events": len(mine), "messages": sum(is_message(e) for e in mine),
            "answers_to_other_bot": len(at_other), "contributions_of_other_bot":
                len(collected_other), "answers_to_notices": len(to_notices),
            "contributions": db_rows(bot, "SELECT COUNT(*) FROM contributions")[0][0]}
    figures["bot_events_after_people_stopped"] = after_quiet - settled
    figures["answers_to_each_other"] = sum(b["answers_to_other_bot"]
                                           for b in figures["bots"].values())
    record_figures(tmp_path, "loops_two_bots", figures)
    assert after_quiet == settled, \
        f"the bots kept posting after the people stopped: {settled} -> {after_quiet} events"
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    # The round really ran in both bots (each collected the people's hashtag messages).
    for bot in bots:
        assert figures["bots"][bot.user_id]["contributions"] >= 3, figures["bots"]


INVITES = int(os.environ.get("REFLEXBOT_INVITES", "300"))
INVITE_THREADS = 6


class InviteFlood:
    """`count` rooms created by `inviter` with the bot invited, from several threads at once."""

    def __init__(self, inviter, bot_user: str, count: int):
        self.inviter, self.bot_user, self.count = inviter, bot_user, count
        self.rooms: list[str] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._next = iter(range(count))
        self._threads = [threading.Thread(target=self._run, daemon=True)
                         for _ in range(INVITE_THREADS)]

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    if next(self._next, None) is None:
                        return
                room = self.inviter.create_room(invite=[self.bot_user])
                with self._lock:
                    self.rooms.append(room)
        except BaseException as e:  # reported by join()
            self.errors.append(e)

    def start(self) -> "InviteFlood":
        for t in self._threads:
            t.start()
        return self

    def wait_sent(self, n: int, timeout: float) -> None:
        wait_for(lambda: len(self.rooms) >= n or self.errors, timeout, f"{n} invites sent")

    def join(self, timeout: float) -> list[str]:
        for t in self._threads:
            t.join(timeout)
        assert not self.errors, f"creating the rooms failed: {self.errors[0]!r}"
        assert len(self.rooms) == self.count
        return self.rooms


def declined_count(bot) -> int:
    return db_rows(bot, "SELECT COUNT(*) FROM outbox WHERE kind = 'leave' AND state = 'sent'")[0][0]


def reply_delay_s(client, room: str, bot, event_id: str):
    """Seconds between a message and the bot's reply to it (homeserver timestamps), or None."""
    events = client.messages(room)
    sent = next(e["origin_server_ts"] for e in events if e["event_id"] == event_id)
    replies = bot_replies(events, bot.user_id).get(event_id)
    return round((replies[0]["origin_server_ts"] - sent) / 1000, 2) if replies else None


def test_an_invite_flood_from_a_stranger_gives_zero_joins(make_bot, user, admin, tmp_path):
    anna, mallory = user("anna"), user("mallory")
    bot = make_bot(allowlist=[anna.user_id])
    allowed = join_bot(anna, bot, name="Reflexion Köln")
    ping_and_wait(anna, allowed, bot)

    started = time.monotonic()
    flood = InviteFlood(mallory, bot.user_id, INVITES).start()
    flood.wait_sent(INVITES // 2, 600)
    mid_ping = anna.send_text(allowed, "!ping mitten in der Einladungsflut")
    foreign = flood.join(900)
    sent_all = time.monotonic()

    def all_declined():
        ensure_alive(bot)
        return declined_count(bot) >= INVITES
    wait_for(all_declined, 900, f"the bot to decline {INVITES} invites", interval=1.0)
    done = time.monotonic()
    ping_started = time.monotonic()
    ping_and_wait(anna, allowed, bot)
    ping_latency = time.monotonic() - ping_started

    joined = admin.request("GET", f"/_synapse/admin/v1/users/{admin.q(bot.user_id)}/"
                                  f"joined_rooms")["joined_rooms"]
    membership_rows = db_rows(bot, "SELECT kind, state, COUNT(*) FROM outbox "
                                   "WHERE kind IN ('join', 'leave') GROUP BY kind, state")
    sample = random.Random(1).sample(foreign, 50)
    memberships = {room: mallory.membership(room, bot.user_id) for room in sample}
    figures = {"invites": INVITES, "joins": len(set(joined) - {allowed}),
               "seconds_to_send_invites": round(sent_all - started, 1),
               "seconds_from_first_invite_to_all_declined": round(done - started, 1),
               "seconds_after_last_invite_to_all_declined": round(done - sent_all, 1),
               "declines_per_second": round(INVITES / (done - started), 1),
               "ping_reply_delay_mid_flood_s": reply_delay_s(anna, allowed, bot, mid_ping),
               "ping_latency_after_flood_s": round(ping_latency, 2),
               "outbox_membership_rows": [list(r) for r in membership_rows]}
    record_figures(tmp_path, "spam_invites", figures)
    assert joined == [allowed], f"the bot joined {len(joined) - 1} foreign room(s)"
    assert [r for r in membership_rows if r[0] == "join"] == [("join", "sent", 1)], \
        membership_rows
    not_declined = {r: m for r, m in memberships.items() if m != "leave"}
    assert not not_declined, f"invites not declined (sample of 50): {not_declined}"
    assert len(bot_replies(anna.messages(allowed), bot.user_id).get(mid_ping, [])) == 1
    ensure_alive(bot)


RESPONSIVE_INVITES = 120


def test_a_reply_is_not_queued_behind_the_declines_of_an_invite_flood(make_bot, user, tmp_path):
    """A person's command in a real room is answered while the bot still declines a flood of
    invites: its reply overtakes declines that were queued before it."""
    anna, mallory = user("anna"), user("mallory")
    bot = make_bot(allowlist=[anna.user_id])
    allowed = join_bot(anna, bot, name="Reflexion Köln")
    ping_and_wait(anna, allowed, bot)

    flood = InviteFlood(mallory, bot.user_id, RESPONSIVE_INVITES).start()
    flood.wait_sent(RESPONSIVE_INVITES * 2 // 3, 300)
    ping = anna.send_text(allowed, "!ping mitten in der Einladungsflut")
    wait_reply(anna, allowed, bot, ping, timeout=300)
    flood.join(300)
    # The reply's outbox row and the declines queued before it (lower id) but delivered later.
    reply_id, created_at, sent_at = db_rows(
        bot, "SELECT id, created_at, sent_at FROM outbox WHERE kind = 'send' AND room_id = ? "
             "ORDER BY id DESC LIMIT 1", (allowed,))[0]
    def declines_pending_at(ms: int) -> int:  # queued before the reply, delivered after ms
        return db_rows(bot, "SELECT COUNT(*) FROM outbox WHERE kind = 'leave' AND id < ? AND "
                            "(sent_at IS NULL OR sent_at > ?)", (reply_id, ms))[0][0]
    queued_ahead = declines_pending_at(created_at)
    overtaken = declines_pending_at(sent_at)
    figures = {"invites": RESPONSIVE_INVITES, "declines_queued_before_the_reply": queued_ahead,
               "declines_the_reply_overtook": overtaken,
               "reply_waited_s": round((sent_at - created_at) / 1000, 2),
               "reply_delay_s": reply_delay_s(anna, allowed, bot, ping)}
    record_figures(tmp_path, "spam_invites_reply_delay", figures)
    assert queued_ahead >= 5, f"too few declines pending when the ping came to prove anything: " \
                              f"{figures}"
    assert overtaken > 0, f"the reply waited for every decline queued before it: {figures}"
