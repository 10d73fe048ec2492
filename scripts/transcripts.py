"""Transcripts of one short reflection round per template, as the room sees them.

For every template in config/templates (or --templates), the script starts a local Synapse and the
bot (scripts/localhs.py, the harness of the end-to-end tests), opens a room of its own with a
moderator and two participants, and plays one short round: a contribution in every phase, a tag,
a vote (👍), an anonymous contribution through a direct chat, and a lesson taken from a
contribution. It then writes the room's timeline, in order, as Markdown to
docs/transcripts/<template>.md.

The output is the same from run to run: every step waits for the bot's answer (its notice or its
✅) before the next one, phases move on by !weiter (the round runs with 30-minute phases, so no
timer fires), people appear as "Moderation", "Teilnehmerin A", "Teilnehmer B", and no user id,
room id, time or date is written. Run it after changing templates or texts:

    REFLEXBOT_BIN=build/reflexbot ~/.cache/reflexbot/venv/bin/python scripts/transcripts.py
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localhs import (REPO_ROOT, Bot, Client, HarnessError, Homeserver, is_message,  # noqa: E402
                     reply_target, wait_for)

WAIT = 60  # seconds for any one answer of the bot
TOPIC = "Stromausfall"
PHASE_MINUTES = 30  # longer than the script runs: phases move on by !weiter, never by the timer
CITY = "Köln"

# What the participants write, phase by phase (the last phase's text is the one a lesson comes
# from); more phases than texts: the texts repeat.
PHASE_TEXTS = [
    ("a", "Geplant war, die Leitstelle binnen 30 Minuten auf Notstrom umzustellen. #entscheidung"),
    ("b", "Der Diesel war da, aber niemand hatte den Schlüssel zum Aggregatraum. #problem"),
    ("a", "Die Alarmierung der Stadtwerke lief über eine Liste, die nicht aktuell war. "
          "#kommunikation"),
    ("b", "Wo der Schlüssel zum Aggregatraum liegt, gehört in den Alarmplan. #idee"),
]
ANONYMOUS_TEXT = "Ich habe mich nicht getraut, die Lage früher zu melden. #frust"
LESSON_TITLE = "Schlüssel für den Notstrom zugänglich verwahren"

NAMES = {"moderation": "Moderation", "a": "Teilnehmerin A", "b": "Teilnehmer B",
         "bot": "Reflexbot"}


@dataclass
class Run:
    hs: Homeserver
    bot: Bot
    users: dict[str, Client]
    names: dict[str, str] = field(default_factory=dict)  # user id -> shown name
    room: str = ""
    room_name: str = ""
    direct: str = ""  # b's direct chat with the bot


def template_keys(directory: Path) -> list[tuple[str, str, int]]:
    """(key, German title, number of phases) of every template file in the folder, by key."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.append((data["key"], data.get("title", {}).get("de", data["key"]),
                      len(data.get("phases", []))))
    return sorted(found)


def bot_died(run: Run) -> bool:
    if not run.bot.alive():
        raise HarnessError(f"the bot exited with {run.bot.exit_code()}; log:\n"
                           + run.bot.log_tail(40))
    return False


def events_after(run: Run, event_id: str) -> list[dict]:
    events = run.users["moderation"].messages(run.room)
    ids = [e["event_id"] for e in events]
    return events[ids.index(event_id) + 1:] if event_id in ids else []


def wait_answer(run: Run, event_id: str, what: str,
                matches: Callable[[str], bool] = lambda body: True) -> None:
    """Waits for a notice of the bot after event_id whose body matches."""
    def found() -> bool:
        bot_died(run)
        return any(e.get("sender") == run.bot.user_id and is_message(e)
                   and matches(e.get("content", {}).get("body", ""))
                   for e in events_after(run, event_id))
    wait_for(found, WAIT, what)


def wait_ack(run: Run, event_id: str) -> None:
    """Waits for the bot's ✅ on event_id (the message was collected)."""
    def found() -> bool:
        bot_died(run)
        return any(e.get("type") == "m.reaction" and e.get("sender") == run.bot.user_id
                   and e["content"].get("m.relates_to", {}).get("event_id") == event_id
                   for e in run.users["moderation"].messages(run.room))
    wait_for(found, WAIT, f"the bot's ✅ on {event_id}")


def say(run: Run, who: str, text: str, extra: Optional[dict] = None) -> str:
    return run.users[who].send_text(run.room, text, extra=extra)


def command(run: Run, who: str, text: str, matches: Callable[[str], bool] = lambda body: True,
            extra: Optional[dict] = None) -> str:
    event_id = say(run, who, text, extra)
    wait_answer(run, event_id, f"the bot's answer to {text!r}", matches)
    return event_id


def contribute(run: Run, who: str, text: str) -> str:
    event_id = say(run, who, text)
    wait_ack(run, event_id)
    return event_id


def setup(data_dir: Path) -> Run:
    hs = Homeserver(base_dir=data_dir / "synapse")
    hs.start()
    users = {key: hs.register(hs.unique_name("t" + key if key != "moderation" else "mod"),
                              displayname=NAMES[key])
             for key in ("moderation", "a", "b", "bot")}
    account = users["bot"]
    bot = Bot(hs.url, account.user_id, account.access_token, data_dir / "bot",
              allowlist=[users["moderation"].user_id], device_id=account.device_id,
              log_level="info", templates_dir=REPO_ROOT / "config" / "templates")
    run = Run(hs, bot, users)
    run.names = {client.user_id: NAMES[key] for key, client in users.items()}
    return run


def open_room(run: Run, key: str, title: str) -> None:
    """A fresh room for the template's round, mapped to the city, with everyone in it."""
    mod, a, b = run.users["moderation"], run.users["a"], run.users["b"]
    run.room_name = f"Reflexion {title}"
    run.room = mod.create_room(name=run.room_name, invite=[a.user_id, b.user_id])
    a.join(run.room)
    b.join(run.room)
    if run.bot.alive():
        run.bot.stop()
    rooms = list(run.bot.config.get("rooms", [])) + [{"room_id": run.room, "city": CITY}]
    run.bot.set_rooms(rooms)
    run.bot.start()
    mod.invite(run.room, run.bot.user_id)
    wait_for(lambda: bot_died(run) or mod.membership(run.room, run.bot.user_id) == "join", WAIT,
             "the bot to join the room")
    # The bot reads the room's members before anyone may post anonymously into it.
    ping = say(run, "moderation", "!ping")
    wait_answer(run, ping, "the bot's answer to !ping")


def open_direct_chat(run: Run) -> None:
    b = run.users["b"]
    run.direct = b.create_room(invite=[run.bot.user_id], preset="trusted_private_chat",
                               extra={"is_direct": True})
    wait_for(lambda: bot_died(run) or b.membership(run.direct, run.bot.user_id) == "join", WAIT,
             "the bot to join the direct chat")


def anonymous(run: Run) -> None:
    """b posts a contribution without his name, through his direct chat with the bot."""
    before = run.users["moderation"].messages(run.room)[-1]["event_id"]
    run.users["b"].send_text(run.direct, f"!anonym \"{run.room_name}\" {ANONYMOUS_TEXT}")
    wait_answer(run, before, "the anonymous contribution in the room",
                lambda body: ANONYMOUS_TEXT in body)


def play_round(run: Run, key: str, phases: int) -> None:
    """One round: start, a contribution per phase, a vote, an anonymous post, the end, a lesson."""
    command(run, "moderation", f"!runde {key} {TOPIC} {PHASE_MINUTES}",
            lambda body: "Phase 1 von" in body)
    contributions = []
    for index in range(phases):
        who, text = PHASE_TEXTS[index % len(PHASE_TEXTS)]
        contributions.append(contribute(run, who, text))
        if index == 0:
            anonymous(run)
        if index == 1 or phases == 1:
            # B votes for what A said before (a 👍 is a reaction; the bot does not answer it; one's
            # own contribution cannot be voted for).
            run.users["b"].react(run.room, contributions[0], "👍")
        if index + 1 < phases:
            command(run, "moderation", "!weiter", lambda body, n=index + 2: f"Phase {n} von" in body)
    command(run, "moderation", "!weiter", lambda body: "abgeschlossen" in body)
    command(run, "moderation", f"!lehre {LESSON_TITLE}",
            extra={"m.relates_to": {"m.in_reply_to": {"event_id": contributions[-1]}}})


# --- rendering ------------------------------------------------------------------------------

USER_ID = re.compile(r"@[A-Za-z0-9._=/+-]+:[A-Za-z0-9.-]+(?::\d+)?")
ROOM_ID = re.compile(r"![A-Za-z0-9._=/+-]+:[A-Za-z0-9.-]+(?::\d+)?")
EVENT_ID = re.compile(r"\$[A-Za-z0-9._=/+-]{20,}")
DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b")


def strip_fallback(body: str) -> str:
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def clean(run: Run, text: str) -> str:
    """Names for user ids; no room id, event id or date survives (they change from run to run)."""
    for user_id, name in run.names.items():
        text = text.replace(user_id, name)
    text = ROOM_ID.sub("‹Raum›", text)
    text = EVENT_ID.sub("‹Ereignis›", text)
    text = USER_ID.sub("‹Person›", text)
    return DATE.sub("‹Datum›", text)


def short(text: str, limit: int = 60) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit - 1].rstrip() + "…"


def render(run: Run, key: str, title: str, start: str) -> str:
    events = events_after(run, start)
    events.insert(0, next(e for e in run.users["moderation"].messages(run.room)
                          if e["event_id"] == start))
    bodies: dict[str, str] = {}
    lines = [f"# {title} (`{key}`)", "",
             "Was der Raum während einer kurzen Runde sieht, in der Reihenfolge des Verlaufs. "
             "Erzeugt von `scripts/transcripts.py` (siehe docs/transcripts/README.md); nicht von "
             "Hand ändern.", ""]
    for event in events:
        who = run.names.get(event.get("sender"), "‹Person›")
        content = event.get("content", {})
        if is_message(event):
            body = clean(run, strip_fallback(content.get("body", "")))
            bodies[event["event_id"]] = body
            target = reply_target(event)
            lead = f"**{who}**"
            if target:
                lead += f" (Antwort auf „{short(bodies.get(target, '…'))}“)"
            lines.append(lead + ":")
            lines.append("")
            # Every line of the body a paragraph of the quote: Markdown would join them.
            quoted = [line for line in body.split("\n") if line.strip()]
            lines.append("\n>\n".join("> " + line for line in quoted))
            lines.append("")
        elif event.get("type") == "m.reaction":
            relates = content.get("m.relates_to", {})
            target = bodies.get(relates.get("event_id"), "…")
            lines.append(f"*{who} reagiert mit {relates.get('key', '')} auf „{short(target)}“*")
            lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    for leak in (USER_ID, ROOM_ID):
        if leak.search(text):
            raise HarnessError(f"the transcript of {key} still holds an id: "
                               f"{leak.search(text).group(0)}")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, default=REPO_ROOT / "config" / "templates")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "transcripts")
    parser.add_argument("--only", action="append", default=[],
                        help="a template key; may be given several times (default: all)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where Synapse and the bot keep their data (default: a temporary "
                             "folder, removed afterwards)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="reflexbot-transcripts-"))
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    templates = [t for t in template_keys(args.templates) if not args.only or t[0] in args.only]
    run = setup(data_dir)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for key, title, phases in templates:
            open_room(run, key, title)
            open_direct_chat(run)
            start_marker = run.users["moderation"].messages(run.room)[-1]["event_id"]
            play_round(run, key, phases)
            events = events_after(run, start_marker)
            first = events[0]["event_id"]
            path = args.out / f"{key}.md"
            path.write_text(render(run, key, title, first), encoding="utf-8")
            print(f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    finally:
        run.bot.stop()
        run.hs.close()
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
