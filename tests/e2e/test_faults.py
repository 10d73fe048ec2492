"""Faults between the bot and Synapse: a reflection round through a proxy that stalls, resets and
truncates connections; Synapse restarted mid-round; the bot SIGKILLed while it posts a digest in
several parts. In each: every contribution collected exactly once, every message and reaction of
the bot in the room exactly once.

Participants talk to Synapse directly through the harness's own client; only the bot's traffic
goes through the fault proxy (tests/e2e/faultproxy.py). The figures (faults injected per kind,
kills survived, events lost, duplicates) are printed and written as JSON (helpers.record_figures).
REFLEXBOT_FAULT_SEED fixes the proxy's random seed to replay a run."""

import http.client
import http.server
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from faultproxy import FaultProxy
from helpers import (bot_event_duplicates, bot_notices, bot_replies, db_rows, ensure_alive,
                     outbox_states, ping_and_wait, reactions_to, record_figures, wait_settled,
                     wait_bot_notice, wait_for)
from localhs import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
TAGS = ["#lehre", "#problem", "#erfolg", "#idee", "#frust", "#stolz", ""]
# The first two panreflex phases: title and a sentence of the guiding question (only the prompt
# has both; the phase's end notice names the title too).
PROMPTS = [("Rückschau", "Wenn Sie auf die ersten Wochen der Pandemie zurückblicken"),
           ("Bestandsaufnahme", "Wo steht Ihre Kommune heute?")]
WAIT = 60  # seconds for anything the bot does through the faulty network


@pytest.fixture
def fault_proxy(hs):
    seed = int(os.environ.get("REFLEXBOT_FAULT_SEED") or random.randrange(1 << 30))
    proxy = FaultProxy("127.0.0.1", hs.port, seed=seed, fault_rate=0.2,
                       weights={"stall": 0.35, "reset": 0.3, "truncate": 0.35},
                       stall_s=(0.2, 2.0), long_stall_s=(5.0, 7.0), long_stall_share=0.1)
    proxy.start()
    yield proxy
    proxy.close()


# --- setting up and reading back ----------------------------------------------------------------


def reflection_room(user, name: str, people: int):
    """A moderator's room with `people` participants who have joined."""
    mod = user("moderation")
    participants = [user(f"p{i}") for i in range(people)]
    room = mod.create_room(name=name, invite=[p.user_id for p in participants])
    for p in participants:
        p.join(room)
    return mod, participants, room


def invite_bot(mod, room: str, bot) -> None:
    mod.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or mod.membership(room, bot.user_id) == "join", WAIT,
             f"the bot to join {room}")
    ping_and_wait(mod, room, bot)


def stored_contributions(bot, room: str) -> list[str]:
    return [r[0] for r in db_rows(bot, "SELECT event_id FROM contributions WHERE room_id = ?",
                                  (room,))]


def post_contributions(participants, room: str, count: int, label: str) -> list[str]:
    """`count` contributions, the participants writing at the same time (one thread each)."""
    ids: list[str] = []
    errors: list[BaseException] = []

    def write(first: int) -> None:
        who = participants[first]
        try:
            for i in range(first, count, len(participants)):
                ids.append(who.send_text(room, f"{label} Beitrag {i}: Erfahrung Nummer {i} aus "
                                               f"der Lage {TAGS[i % len(TAGS)]}".rstrip()))
        except BaseException as e:  # reported below
            errors.append(e)
    writers = [threading.Thread(target=write, args=(i,)) for i in range(len(participants))]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert not errors and len(ids) == count, f"posting failed: {errors[:1]}"
    return ids


def wait_summary(mod, room: str, bot, after: str, expected: int) -> dict:
    """The round's end notice; its total must name `expected` contributions."""
    summary = wait_bot_notice(mod, room, bot, lambda b: "Insgesamt:" in b,
                              "the round's summary", after=after, timeout=WAIT)
    body = summary["content"]["body"]
    total = re.search(r"Insgesamt: (\d+) Beitr", body)
    assert total and int(total.group(1)) == expected, \
        f"the summary counts {total.group(1) if total else '?'} contributions, " \
        f"{expected} were posted: {body[:300]!r}"
    return summary


def wait_confirmed(mod, room: str, bot, ids: list[str], timeout: float = WAIT) -> None:
    """Waits until every contribution is stored and has the bot's ✅."""
    wanted = set(ids)

    def done():
        ensure_alive(bot)
        if not wanted <= set(stored_contributions(bot, room)):
            return False
        events = mod.messages(room)
        confirmed = {rel.get("event_id") for ev in events
                     if ev.get("sender") == bot.user_id and ev.get("type") == "m.reaction"
                     for rel in [ev["content"].get("m.relates_to") or {}]
                     if rel.get("key") == "✅"}
        return wanted <= confirmed
    wait_for(done, timeout, f"{len(ids)} contributions stored and confirmed with ✅", interval=1.0)


def export_event_ids(bot) -> list[str]:
    """The contributions of `reflexbot export --format json --with-event-ids` (the bot must be
    stopped; exports carry event ids only on request)."""
    result = subprocess.run([str(bot.binary), "--config", str(bot.config_path), "export",
                             "--format", "json", "--with-event-ids"], capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"export failed ({result.returncode}): {result.stderr}"
    return [c["event_id"] for c in json.loads(result.stdout)["contributions"]]


def audit(mod, room: str, bot, contributions: list[str], commands: list[str]) -> dict:
    """Reads the room and the store back. Returns the figures; asserts nothing is lost or
    duplicated: each contribution stored once and confirmed by exactly one ✅, each command
    answered exactly once, no bot message or reaction twice, the outbox fully delivered."""
    events = mod.messages(room)
    stored = stored_contributions(bot, room)
    lost = [e for e in contributions if e not in stored]
    extra = [e for e in stored if e not in contributions]
    checks = {e: len(reactions_to(events, e, "✅", bot.user_id)) for e in contributions}
    unconfirmed = [e for e, n in checks.items() if n == 0]
    replies = bot_replies(events, bot.user_id)
    unanswered = [c for c in commands if len(replies.get(c, [])) == 0]
    answered_twice = [c for c in commands if len(replies.get(c, [])) > 1]
    repeats = bot_event_duplicates(events, bot.user_id)
    outbox = dict(db_rows(bot, "SELECT state, COUNT(*) FROM outbox WHERE room_id = ? "
                               "GROUP BY state", (room,)))
    # The ✅ still owed by the room's contributions (schema 24: not outbox rows).
    acks_owed = db_rows(bot, "SELECT COUNT(*) FROM contributions WHERE room_id = ? AND ack >= 0",
                        (room,))[0][0]
    if acks_owed:
        outbox["pending"] = outbox.get("pending", 0) + acks_owed
    delivered = [r[0] for r in db_rows(bot, "SELECT remote_event_id FROM outbox WHERE room_id = ? "
                                            "AND kind = 'send' AND state = 'sent'", (room,))]
    in_room = {e["event_id"] for e in events if e.get("sender") == bot.user_id}
    figures = {"contributions_posted": len(contributions), "contributions_stored": len(stored),
               "events_lost": len(lost) + len(unconfirmed) + len(unanswered),
               "duplicates": len(repeats) + len(answered_twice) + len(extra),
               "bot_events_in_room": len(in_room), "outbox": outbox,
               "send_retries": db_rows(bot, "SELECT COALESCE(SUM(attempts - 1), 0) FROM outbox "
                                            "WHERE room_id = ? AND state = 'sent'", (room,))[0][0]}
    problems = []
    if lost:
        problems.append(f"{len(lost)} contribution(s) not stored, e.g. {lost[:3]}")
    if extra:
        problems.append(f"{len(extra)} stored event(s) that are no contribution: {extra[:3]}")
    if unconfirmed:
        problems.append(f"{len(unconfirmed)} contribution(s) without the bot's ✅: "
                        f"{unconfirmed[:3]}")
    if unanswered:
        problems.append(f"{len(unanswered)} command(s) unanswered: {unanswered[:3]}")
    if answered_twice:
        problems.append(f"{len(answered_twice)} command(s) answered twice: {answered_twice[:3]}")
    if repeats:
        problems.append(f"{len(repeats)} bot event(s) in the room twice:\n  " +
                        "\n  ".join(repeats[:10]))
    if outbox.get("pending") or outbox.get("failed"):
        problems.append(f"outbox not fully delivered: {outbox}")
    not_in_room = [e for e in delivered if e not in in_room]
    if not_in_room:
        problems.append(f"{len(not_in_room)} delivered send(s) not in the room: {not_in_room[:3]}")
    if len(set(delivered)) != len(delivered):
        problems.append(f"{len(delivered) - len(set(delivered))} outbox rows share an event id")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    return figures


def is_prompt(body: str, phase: int) -> bool:
    title, question = PROMPTS[phase]
    return title in body and question in body


def prompt_counts(mod, room: str, bot) -> list[int]:
    notices = [n["content"].get("body", "") for n in bot_notices(mod.messages(room), bot.user_id)]
    return [sum(is_prompt(b, phase) for b in notices) for phase in range(len(PROMPTS))]


def start_round(mod, room: str, bot) -> str:
    start = mod.send_text(room, "!runde panreflex Hochwasser 30")
    wait_bot_notice(mod, room, bot, lambda b: is_prompt(b, 0), "the first prompt", after=start,
                    timeout=WAIT)
    return start


def next_phase(mod, room: str, bot) -> str:
    step = mod.send_text(room, "!weiter")
    wait_bot_notice(mod, room, bot, lambda b: is_prompt(b, 1), "the second prompt", after=step,
                    timeout=WAIT)
    return step


def end_round(mod, room: str, bot, expected: int) -> None:
    end = mod.send_text(room, "!ende")
    wait_summary(mod, room, bot, end, expected)


# --- the tests ----------------------------------------------------------------------------------


class _Payload(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = bytes(range(256)) * 1024  # 256 KiB: several chunks per response

    def do_GET(self):  # noqa: N802 (the http.server API)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_the_fault_proxy_injects_what_it_counts():
    """The proxy itself, against a local HTTP server: off, it forwards everything intact; on,
    every request it resets or truncates fails at the client and every other one arrives
    intact, and the seed replays the same faults."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Payload)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def run(seed):
        failed = intact = 0
        with FaultProxy("127.0.0.1", server.server_address[1], seed=seed, fault_rate=0.2,
                        stall_s=(0.01, 0.05), long_stall_s=(0.1, 0.2)) as proxy:
            for enabled in (False, True):
                proxy.enable() if enabled else proxy.disable()
                for _ in range(40):
                    try:
                        with urllib.request.urlopen(proxy.url + "/_matrix/client/v3/sync",
                                                    timeout=10) as resp:
                            # Cut inside the headers, the length is gone: a short body, no error.
                            ok = resp.read() == _Payload.body
                    except (OSError, http.client.HTTPException):
                        ok = False
                    assert ok or enabled, "a request failed with the faults switched off"
                    intact += ok
                    failed += not ok
            return proxy.snapshot(), failed, intact

    try:
        figures, failed, intact = run(seed=1234)
        again, _, _ = run(seed=1234)
    finally:
        server.shutdown()
        server.server_close()
    faults = figures["faults"]
    assert all(faults[kind] > 0 for kind in ("stall", "reset", "truncate")), figures
    assert failed == faults["reset"] + faults["truncate"], (failed, figures)
    assert intact == 80 - failed
    assert figures["requests"] == {"sync": 80}, figures
    assert again["faults"] == faults, "the same seed gave different faults"


ROUND_CONTRIBUTIONS = 60
ROUND_PINGS = 8


def test_round_through_stalls_resets_and_truncations_loses_and_duplicates_nothing(
        make_bot, user, fault_proxy, tmp_path):
    mod, participants, room = reflection_room(user, "Reflexion Köln", 3)
    bot = make_bot(allowlist=[mod.user_id], homeserver_url=fault_proxy.url,
                   templates_dir=TEMPLATES_DIR, rooms=[{"room_id": room, "city": "Köln"}],
                   sync={"timeout_ms": 2000, "request_timeout_ms": 5000},
                   retry={"initial_ms": 100, "max_ms": 2000})
    invite_bot(mod, room, bot)

    started = time.monotonic()
    fault_proxy.enable()
    start_round(mod, room, bot)
    half = ROUND_CONTRIBUTIONS // 2
    contributions = post_contributions(participants, room, half, "Rückschau")
    pings = [participants[i % 3].send_text(room, f"!ping {i}") for i in range(ROUND_PINGS // 2)]
    next_phase(mod, room, bot)
    contributions += post_contributions(participants, room, ROUND_CONTRIBUTIONS - half,
                                        "Bestandsaufnahme")
    pings += [participants[i % 3].send_text(room, f"!ping {i}")
              for i in range(ROUND_PINGS // 2, ROUND_PINGS)]
    wait_confirmed(mod, room, bot, contributions)
    end_round(mod, room, bot, ROUND_CONTRIBUTIONS)
    fault_proxy.disable()
    faulty_seconds = time.monotonic() - started

    pings.append(ping_and_wait(mod, room, bot)[0])  # the bot has caught up with everything
    wait_settled(bot)
    ensure_alive(bot)
    figures = audit(mod, room, bot, contributions, pings)
    assert prompt_counts(mod, room, bot) == [1, 1], prompt_counts(mod, room, bot)
    faults = fault_proxy.snapshot()
    # Faults of every kind, enough that the test means something (a fifth of ~150 requests).
    assert all(faults["faults"][kind] >= 1 for kind in ("stall", "reset", "truncate")) and \
        sum(faults["faults"].values()) >= 10, f"too few faults injected to prove anything: {faults}"

    assert bot.stop() == 0
    exported = export_event_ids(bot)
    assert sorted(exported) == sorted(contributions), \
        f"export: {len(exported)} contributions ({len(set(exported))} distinct), " \
        f"{len(contributions)} posted"
    figures.update(faults, seconds_with_faults=round(faulty_seconds, 1), exported=len(exported))
    record_figures(tmp_path, "faults_round_through_proxy", figures)


RESTART_CONTRIBUTIONS = 50


def test_synapse_restarted_mid_round_loses_and_duplicates_nothing(make_bot, user, hs, tmp_path):
    mod, participants, room = reflection_room(user, "Reflexion Leipzig", 3)
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR,
                   rooms=[{"room_id": room, "city": "Leipzig"}],
                   sync={"timeout_ms": 2000, "request_timeout_ms": 5000},
                   retry={"initial_ms": 100, "max_ms": 2000})
    invite_bot(mod, room, bot)
    start_round(mod, room, bot)

    half = RESTART_CONTRIBUTIONS // 2
    contributions = post_contributions(participants, room, half, "Rückschau")
    pings = [participants[i % 3].send_text(room, f"!ping {i}") for i in range(3)]
    # Stop Synapse right away: the bot is still reading the burst and sending its confirmations.
    pending_at_stop = outbox_states(bot).get("pending", 0)
    unstored_at_stop = len(set(contributions) - set(stored_contributions(bot, room)))
    hs.stop()
    down_since = time.monotonic()
    try:
        while time.monotonic() - down_since < 8:
            ensure_alive(bot)
            time.sleep(0.5)
    finally:
        hs.start()
    downtime = time.monotonic() - down_since
    ensure_alive(bot)

    next_phase(mod, room, bot)
    contributions += post_contributions(participants, room, RESTART_CONTRIBUTIONS - half,
                                        "Bestandsaufnahme")
    pings += [participants[i % 3].send_text(room, f"!ping nach {i}") for i in range(3)]
    wait_confirmed(mod, room, bot, contributions)
    end_round(mod, room, bot, RESTART_CONTRIBUTIONS)
    pings.append(ping_and_wait(mod, room, bot)[0])
    wait_settled(bot)
    figures = audit(mod, room, bot, contributions, pings)
    assert prompt_counts(mod, room, bot) == [1, 1], prompt_counts(mod, room, bot)
    assert pending_at_stop + unstored_at_stop > 0, \
        "the bot had done all its work when Synapse stopped: the restart proved nothing"
    assert bot.stop() == 0
    exported = export_event_ids(bot)
    assert sorted(exported) == sorted(contributions)
    figures.update(synapse_restarts=1, outbox_pending_at_stop=pending_at_stop,
                   contributions_unstored_at_stop=unstored_at_stop,
                   downtime_seconds=round(downtime, 1), exported=len(exported))
    record_figures(tmp_path, "faults_synapse_restart", figures)


# --- a digest in several parts, the bot SIGKILLed while it posts them ---------------------------

DIGEST_PAIRS = 130
SYLLABLES = ["ka", "lo", "mer", "tin", "sa", "bu", "rel", "dan", "fo", "gi", "hum", "ver", "lak",
             "pe", "zor", "wi", "nu", "sch", "tal", "ob", "rik", "em", "str", "au"]
SIGNAL_TAGS = ["#erfolg", "#problem", "#idee"]


def nonsense_words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(n)]


def digest_pairs(seed: int) -> list[tuple[str, str]]:
    """Pairs of near-identical contributions with words no other pair uses: each pair becomes a
    group of its own (quoted from both cities) with two signal tags. A group is listed once, so
    the complete digest ("!digest D1": every group numbered, two quotes each) of 130 of them
    needs three parts."""
    rng = random.Random(seed)
    pairs = []
    for i in range(DIGEST_PAIRS):
        words = " ".join(nonsense_words(rng, 24))
        tags = f"{SIGNAL_TAGS[i % 3]} {SIGNAL_TAGS[(i + 1) % 3]}"
        pairs.append((f"{words} {tags}", f"Auch bei uns: {words} {tags}"))
    return pairs


def part_number(body: str) -> tuple[int, int]:
    match = re.search(r"Teil (\d+)/(\d+)", body.split("\n", 1)[0])
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def reply_of(event: dict):
    return ((event["content"].get("m.relates_to") or {}).get("m.in_reply_to") or {}).get(
        "event_id")


def test_bot_sigkilled_while_posting_a_digest_posts_each_part_exactly_once(make_bot, user, admin,
                                                                            tmp_path):
    mod = user("moderation")
    people = [user(f"p{i}") for i in range(4)]
    cities = {"Dresden": mod.create_room(name="Reflexion Dresden",
                                         invite=[p.user_id for p in people[:2]]),
              "Halle": mod.create_room(name="Reflexion Halle",
                                       invite=[p.user_id for p in people[2:]])}
    network = mod.create_room(name="Netzwerk")
    for i, p in enumerate(people):
        p.join(cities["Dresden" if i < 2 else "Halle"])
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR,
                   rooms=[{"room_id": room, "city": city} for city, room in cities.items()],
                   sync={"timeout_ms": 2000, "request_timeout_ms": 5000},
                   retry={"initial_ms": 100, "max_ms": 1000},
                   extra={"network_room": network, "digest": {"top": 50}})
    for room in (*cities.values(), network):
        invite_bot(mod, room, bot)
    seed = random.randrange(1 << 30)
    pairs = digest_pairs(seed)
    posted: dict[str, list[str]] = {}

    def post_city(index: int, room: str) -> None:  # one thread per city
        posted[room] = [people[2 * index + i % 2].send_text(room, pair[index])
                        for i, pair in enumerate(pairs)]
    posters = [threading.Thread(target=post_city, args=(i, room))
               for i, room in enumerate(cities.values())]
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join(120)
    assert all(len(posted.get(room, [])) == DIGEST_PAIRS for room in cities.values()), \
        "posting the contributions failed"
    for room, ids in posted.items():
        wait_confirmed(mod, room, bot, ids, timeout=120)
    wait_for(lambda: not outbox_states(bot).get("pending"), WAIT, "the bot's outbox to drain")

    # The short digest first (D1); the complete one of its period is what is killed.
    first = mod.send_text(network, "!digest")
    wait_bot_notice(mod, network, bot, lambda b: b.startswith("Digest des Netzwerks"),
                    "the short digest D1", after=first, timeout=WAIT)
    wait_for(lambda: not outbox_states(bot).get("pending"), WAIT, "the short digest sent")

    # The bot may now post one message a second: the parts go out one by one and the kills land
    # between them, as they would on a busy homeserver.
    admin.override_ratelimit(bot.user_id, messages_per_second=1, burst_count=1)
    rng = random.Random(seed)
    asked = mod.send_text(network, "!digest D1")
    asked_ts = next(e for e in mod.messages(network)
                    if e["event_id"] == asked)["origin_server_ts"]

    def parts():
        return [n for n in bot_notices(mod.messages(network), bot.user_id)
                if n["content"].get("body", "").startswith("Digest des Netzwerks")
                and " · D2 · vollständig" in n["content"]["body"].split("\n", 1)[0]
                and n["origin_server_ts"] >= asked_ts]

    # Kill right after the command (maybe before the bot has read it), then each time a new
    # part has appeared, until every part is there.
    kills, seen, total = 0, 0, None
    time.sleep(rng.uniform(0.0, 1.0))
    while total is None or seen < total:
        bot.kill(signal.SIGKILL)
        assert bot.wait(15) is not None, "the bot did not die on SIGKILL"
        kills += 1
        bot.start()
        now_posted = wait_for(lambda: ensure_alive(bot) or (len(parts()) > seen and parts()),
                              WAIT, f"digest part {seen + 1} after kill {kills}", interval=0.1)
        seen = len(now_posted)
        total = part_number(now_posted[0]["content"]["body"])[1]
        if seen < total:
            time.sleep(rng.uniform(0.0, 0.5))
    admin.delete_ratelimit_override(bot.user_id)
    ping_and_wait(mod, network, bot)
    wait_settled(bot)

    posted_parts = parts()
    numbers = [part_number(p["content"]["body"]) for p in posted_parts]
    assert total >= 3, f"the digest has {total} part(s); the test needs at least 3 to kill " \
                       f"between them: {[len(json.dumps(p['content'])) for p in posted_parts]}"
    assert sorted(numbers) == [(i, total) for i in range(1, total + 1)], \
        f"digest parts posted (i, n): {numbers}"
    assert reply_of(posted_parts[0]) == asked, "the first part does not reply to the !digest"
    overview = posted_parts[0]["content"]["body"]
    assert f"{2 * DIGEST_PAIRS} Beiträge" in overview, overview[:400]
    figures = {"digest_parts": total, "kills_survived": kills, "seed": seed,
               "digest_part_bytes": [len(json.dumps(p["content"])) for p in posted_parts]}
    rooms = {"network": audit(mod, network, bot, [], [first, asked])}
    for city, room in cities.items():
        rooms[city] = audit(mod, room, bot, posted[room], [])
    figures["rooms"] = rooms
    figures["events_lost"] = sum(r["events_lost"] for r in rooms.values())
    figures["duplicates"] = sum(r["duplicates"] for r in rooms.values())
    record_figures(tmp_path, "faults_sigkill_during_digest", figures)
