"""Helpers shared by the end-to-end tests (the fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from localhs import Bot, Client, is_message, reply_target, wait_for  # noqa: E402
from localhs import HarnessError  # noqa: E402

JOIN_TIMEOUT = 30
REPLY_TIMEOUT = 30


def ensure_alive(bot: Bot) -> None:
    if not bot.alive():
        pytest.fail(f"the bot exited unexpectedly (exit code {bot.exit_code()}); log tail:\n"
                    f"{bot.log_tail(40)}", pytrace=False)


def join_bot(owner: Client, bot: Bot, name: str | None = None, encrypted: bool = False) -> str:
    """owner creates a room, invites the bot and waits until the bot has joined. Returns room id."""
    room = owner.create_room(name=name or "Reflexionsraum", invite=[bot.user_id],
                             encrypted=encrypted)
    wait_for(lambda: ensure_alive(bot) or owner.membership(room, bot.user_id) == "join",
             JOIN_TIMEOUT,
             f"the bot {bot.user_id} to join {room} after an allowlisted invite")
    if not encrypted:
        # The bot welcomes a room it joins (an encrypted one only after the first message there):
        # wait for it, so that it is not taken for the answer to a test's first command.
        def welcomed():
            ensure_alive(bot)
            return any(e.get("sender") == bot.user_id and is_message(e)
                       and reply_target(e) is None for e in owner.messages(room))
        wait_for(welcomed, JOIN_TIMEOUT, f"the bot's welcome in {room}")
    return room


def bot_replies(events: list[dict], bot_user: str) -> dict[str, list[dict]]:
    """Bot messages grouped by the event they reply to (None: not a reply)."""
    out: dict = {}
    for ev in events:
        if ev.get("sender") == bot_user and is_message(ev):
            out.setdefault(reply_target(ev), []).append(ev)
    return out


def wait_reply(client: Client, room: str, bot: Bot, event_id: str,
               timeout: float = REPLY_TIMEOUT) -> dict:
    """Waits until the bot has replied to event_id and returns the (first) reply."""
    def find():
        ensure_alive(bot)
        replies = bot_replies(client.messages(room), bot.user_id).get(event_id)
        return replies[0] if replies else None
    return wait_for(find, timeout, f"a reply from {bot.user_id} to {event_id}", interval=0.3)


def wait_all_replied(client: Client, pings: dict[str, list[str]], bot: Bot, timeout: float,
                     allow_dead: bool = False) -> None:
    """Waits until every ping (room id -> event ids) has at least one reply from the bot."""
    missing: list = []

    def done():
        if not allow_dead:
            ensure_alive(bot)
        missing.clear()
        for room, ids in pings.items():
            replied = bot_replies(client.messages(room), bot.user_id)
            missing.extend(i for i in ids if i not in replied)
        return not missing
    try:
        wait_for(done, timeout, "replies to every ping", interval=1.0)
    except Exception as e:
        total = sum(len(v) for v in pings.values())
        raise AssertionError(f"{len(missing)} of {total} pings unanswered after {timeout:.0f} s, "
                             f"e.g. {missing[:5]}") from e


WELCOME = "Guten Tag, ich bin Reflexbot. Ich begleite in diesem Raum"


def assert_exactly_one_reply_each(client: Client, pings: dict[str, list[str]], bot: Bot) -> None:
    """Reads the rooms back: every ping has exactly one bot reply and the bot replied to nothing
    else; the one message that answers nothing is the room's welcome, at most once."""
    problems = []
    for room, ids in pings.items():
        replies = bot_replies(client.messages(room), bot.user_id)
        wanted = set(ids)
        for ping in ids:
            n = len(replies.get(ping, []))
            if n != 1:
                problems.append(f"{room}: ping {ping} has {n} replies")
        welcomes = [e for e in replies.get(None, [])
                    if e["content"].get("body", "").startswith(WELCOME)]
        if len(welcomes) > 1:
            problems.append(f"{room}: {len(welcomes)} welcomes")
        for target, evs in replies.items():
            if target is None and len(evs) == 1 and evs == welcomes:
                continue
            if target not in wanted:
                problems.append(f"{room}: {len(evs)} unexpected bot message(s) replying to "
                                f"{target}: {[e['content'].get('body', '')[:40] for e in evs]}")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])


def ping_and_wait(client: Client, room: str, bot: Bot, text: str = "!ping") -> tuple[str, dict]:
    """Sends a ping and waits for its reply: proves the bot has caught up with the room."""
    event_id = client.send_text(room, text)
    return event_id, wait_reply(client, room, bot, event_id)


def wait_settled(*bots: Bot, timeout: float = REPLY_TIMEOUT) -> None:
    """Waits until none of the bots has anything left to send (no pending outbox row). Called
    after a reply to a last ping, which proves a bot has read everything before it: a late
    duplicate would be such a row (a resend, or a second answer queued while reading), so from
    here the rooms can be counted. Replaces a fixed grace period."""
    def settled():
        for bot in bots:
            ensure_alive(bot)
        return all(outbox_states(bot).get("pending", 0) == 0 for bot in bots)
    wait_for(settled, timeout, "the bot's outbox to have nothing pending", interval=0.1)


def wait_bot_message_after(client: Client, room: str, bot: Bot, event_id: str,
                           timeout: float = REPLY_TIMEOUT, what: str = "") -> dict:
    """Waits for the first bot message in the room that comes after event_id and returns it."""
    def find():
        ensure_alive(bot)
        events = client.messages(room)
        ids = [e["event_id"] for e in events]
        if event_id not in ids:
            return None
        for ev in events[ids.index(event_id) + 1:]:
            if ev.get("sender") == bot.user_id and is_message(ev):
                return ev
        return None
    return wait_for(find, timeout, what or f"a message from the bot after {event_id}",
                    interval=0.3)


def bot_notices(events: list[dict], bot_user: str) -> list[dict]:
    """The bot's m.notice messages, oldest first."""
    return [ev for ev in events if ev.get("sender") == bot_user and is_message(ev, "m.notice")]


def wait_bot_notice(client: Client, room: str, bot: Bot, matches, what: str,
                    after: str | None = None, timeout: float = REPLY_TIMEOUT) -> dict:
    """Waits for the first bot m.notice (after event `after`, if given) whose body satisfies
    matches(body) and returns it."""
    def find():
        ensure_alive(bot)
        events = client.messages(room)
        if after is not None:
            ids = [e["event_id"] for e in events]
            if after not in ids:
                return None
            events = events[ids.index(after) + 1:]
        for ev in bot_notices(events, bot.user_id):
            if matches(ev.get("content", {}).get("body", "")):
                return ev
        return None
    try:
        return wait_for(find, timeout, what, interval=0.3)
    except HarnessError as e:
        events = client.messages(room)
        said = [n["content"].get("body", "")[:160] for n in bot_notices(events, bot.user_id)]
        raise AssertionError(f"{e}; the bot's last notices in {room}: {said[-5:]}") from e


def reactions_to(events: list[dict], event_id: str, key: str | None = None,
                 sender: str | None = None) -> list[dict]:
    """m.reaction annotations of event_id (optionally only with this key / from this sender)."""
    out = []
    for ev in events:
        if ev.get("type") != "m.reaction":
            continue
        rel = ev.get("content", {}).get("m.relates_to") or {}
        if rel.get("rel_type") != "m.annotation" or rel.get("event_id") != event_id:
            continue
        if key is not None and rel.get("key") != key:
            continue
        if sender is not None and ev.get("sender") != sender:
            continue
        out.append(ev)
    return out


def wait_bot_reaction(client: Client, room: str, bot: Bot, event_id: str, key: str = "✅",
                      timeout: float = REPLY_TIMEOUT) -> dict:
    """Waits until the bot has reacted to event_id with key and returns the reaction."""
    def find():
        ensure_alive(bot)
        found = reactions_to(client.messages(room), event_id, key, bot.user_id)
        return found[0] if found else None
    return wait_for(find, timeout, f"the bot's {key} reaction on {event_id}", interval=0.3)


def run_cli(bot: Bot, *args: str) -> subprocess.CompletedProcess:
    """The bot's binary with its config and `args` (status, export, …), as an admin runs it."""
    return subprocess.run([str(bot.binary), "--config", str(bot.config_path), *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def db_rows(bot: Bot, sql: str, params: tuple = ()) -> list[tuple]:
    """Reads the bot's database read-only ([] while the table does not exist yet)."""
    return bot._query(sql, params)


# Synapse's access and refresh tokens (syt_…, syr_…), whoever they belong to.
TOKEN_PATTERN = re.compile(r"(?<![A-Za-z0-9])sy[tr]_[A-Za-z0-9_]{8,}")


def contribution(bot: Bot, event_id: str):
    """(room_id, city, author, round_id, phase_key, body, via) of a stored contribution, or None."""
    rows = db_rows(bot, "SELECT room_id, city, author, round_id, phase_key, body, via "
                        "FROM contributions WHERE event_id = ?", (event_id,))
    return rows[0] if rows else None


def tags_of(bot: Bot, event_id: str) -> set:
    """The tags of a stored contribution (its `tags` column: comma-separated)."""
    rows = db_rows(bot, "SELECT tags FROM contributions WHERE event_id = ?", (event_id,))
    return {tag for row in rows for tag in row[0].split(",") if tag}


def give_password(bot: Bot) -> None:
    """Writes the bot account's password into a 0600 file and names it in the (not yet started)
    bot's config: it can then log in again and cross-sign its device."""
    password = bot.dir / "password"
    password.write_text(bot.account.password + "\n")
    password.chmod(0o600)
    bot.config["password_file"] = str(password)
    bot.write_config()


def secrets_in_logs(paths, secrets=()) -> list[str]:
    """Lines of the given log files that contain a Synapse token or one of `secrets`, as
    "FILE:LINE: …" with the secret itself masked (a report must not leak it again)."""
    secrets = [s for s in secrets if s and len(s) >= 8]
    found = []
    for path in paths:
        try:
            lines = Path(path).read_text(errors="replace").splitlines()
        except FileNotFoundError:
            continue
        for number, line in enumerate(lines, 1):
            hits = TOKEN_PATTERN.findall(line) + [s for s in secrets if s in line]
            if hits:
                masked = line
                for hit in hits:
                    masked = masked.replace(hit, "«secret»")
                found.append(f"{path}:{number}: {masked[:200]}")
    return found


def bot_event_duplicates(events: list[dict], bot_user: str) -> list[str]:
    """The bot's events that repeat an earlier one of its own: a message with the same msgtype,
    body and reply target, or a reaction with the same key on the same event. Every message the
    bot sends is different from its others (a reply names what it answers), so any repeat is
    one send that reached the room twice."""
    seen: dict = {}
    repeats = []
    for ev in events:
        if ev.get("sender") != bot_user:
            continue
        content = ev.get("content", {})
        if is_message(ev):
            key = ("message", content.get("msgtype"), content.get("body"), reply_target(ev))
        elif ev.get("type") == "m.reaction":
            rel = content.get("m.relates_to") or {}
            key = ("reaction", rel.get("event_id"), rel.get("key"))
        else:
            continue
        if key in seen:
            repeats.append(f"{ev['event_id']} repeats {seen[key]}: {str(key)[:120]}")
        else:
            seen[key] = ev["event_id"]
    return repeats


def outbox_states(bot: Bot) -> dict[str, int]:
    """Rows of the bot's outbox per state (pending, sent, failed), with the ✅ the contributions
    owe or have sent (schema 24: state of the contribution, not an outbox row)."""
    states = dict(db_rows(bot, "SELECT state, COUNT(*) FROM outbox GROUP BY state"))
    for state, count in db_rows(bot, "SELECT CASE WHEN ack >= 0 THEN 'pending' ELSE 'sent' END, "
                                     "COUNT(*) FROM contributions WHERE ack IS NOT NULL "
                                     "GROUP BY 1"):
        states[state] = states.get(state, 0) + count
    return states


def record_figures(tmp_path: Path, name: str, figures: dict) -> Path:
    """Prints a test's figures and writes them as JSON: tmp_path/figures.json, merged under
    `name` into reliability-figures.json in the run's base temp dir, and into the file named by
    REFLEXBOT_FIGURES if set (for docs/reliability.md)."""
    text = json.dumps(figures, indent=2, ensure_ascii=False, sort_keys=True)
    print(f"\nfigures {name}: {text}")
    (tmp_path / "figures.json").write_text(text + "\n")
    targets = [tmp_path.parent / "reliability-figures.json"]
    if os.environ.get("REFLEXBOT_FIGURES"):
        targets.append(Path(os.environ["REFLEXBOT_FIGURES"]))
    for target in targets:
        try:
            merged = json.loads(target.read_text())
        except (FileNotFoundError, ValueError):
            merged = {}
        merged[name] = figures
        target.write_text(json.dumps(merged, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return tmp_path / "figures.json"
