"""The Reflexbot demo: a local Synapse, a moderator in Köln, a participant in Leipzig, the bot.

Runs the steps in STEPS in order and prints the room's transcript: commands, a scripted
reflection round, the room's digest and a lesson taken from it. Data lives under build/demo
(fresh each run).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localhs import (REPO_ROOT, Bot, Client, Homeserver, HarnessError, is_message,  # noqa: E402
                     reply_target, wait_for)

ROOM_NAME = "Reflexionsraum Köln"


@dataclass
class Demo:
    data_dir: Path
    hs: Optional[Homeserver] = None
    bot: Optional[Bot] = None
    users: dict[str, Client] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)   # user id -> display name
    room: str = ""

    def say(self, who: str, text: str) -> str:
        """A demo user writes text into the room; waits for the bot's answer if it is a command."""
        client = self.users[who]
        event_id = client.send_text(self.room, text)
        if text.startswith("!"):
            wait_for(lambda: self._answered(event_id), 30, f"the bot's answer to {text}")
        return event_id

    def _answered(self, event_id: str) -> bool:
        events = self.users["anna"].messages(self.room)
        ids = [e["event_id"] for e in events]
        return event_id in ids and any(
            e.get("sender") == self.bot.user_id and is_message(e)
            for e in events[ids.index(event_id) + 1:])


def step(title: str) -> Callable:
    def wrap(fn: Callable[[Demo], None]) -> Callable[[Demo], None]:
        fn.title = title
        return fn
    return wrap


@step("Synapse starten (127.0.0.1, SQLite)")
def start_homeserver(demo: Demo) -> None:
    demo.hs = Homeserver(base_dir=demo.data_dir / "synapse")
    demo.hs.start()
    log(f"Synapse läuft auf {demo.hs.url}")


@step("Bot und Demo-Nutzer registrieren")
def register_users(demo: Demo) -> None:
    for key, name in (("reflexbot", "Reflexbot"), ("anna", "Anna (Köln, Moderation)"),
                      ("ben", "Ben (Leipzig)")):
        client = demo.hs.register(key, displayname=name)
        demo.users[key] = client
        demo.names[client.user_id] = name
        log(f"{client.user_id} registriert")


@step("Raum anlegen und Ben einladen")
def create_room(demo: Demo) -> None:
    anna, ben = demo.users["anna"], demo.users["ben"]
    demo.room = anna.create_room(name=ROOM_NAME, topic="Reflexion nach Einsätzen und Übungen",
                                 invite=[ben.user_id])
    ben.join(demo.room)
    log(f"{ROOM_NAME}: {demo.room}")


@step("Bot starten und in den Raum einladen")
def start_bot(demo: Demo) -> None:
    account = demo.users["reflexbot"]
    demo.bot = Bot(demo.hs.url, account.user_id, account.access_token, demo.data_dir / "bot",
                   allowlist=[demo.users["anna"].user_id], device_id=account.device_id,
                   log_level="info", rooms=[{"room_id": demo.room, "city": "Köln"}])
    demo.bot.start()
    demo.users["anna"].invite(demo.room, account.user_id)
    wait_for(lambda: demo.users["anna"].membership(demo.room, account.user_id) == "join"
             or _bot_died(demo), 30, "the bot to join the room")
    log("Reflexbot ist dem Raum beigetreten")


@step("!ping und !hilfe")
def commands(demo: Demo) -> None:
    demo.say("anna", "Willkommen im Reflexionsraum!")
    demo.say("ben", "!ping")
    demo.say("anna", "!hilfe")


@step("Eine kurze Reflexionsrunde (After Action Review)")
def reflection_round(demo: Demo) -> None:
    demo.say("anna", "!runde aar Stromausfall Oktober 10")
    demo.say("ben", "Geplant war, die Notstromversorgung der Leitstelle binnen 30 Minuten "
                    "hochzufahren.")
    demo.say("anna", "!weiter")
    demo.say("ben", "Der Diesel war da, aber niemand hatte den Schlüssel zum Aggregatraum. "
                    "#problem")
    demo.say("anna", "Wo der Schlüssel zum Aggregatraum liegt, gehört in den Alarmplan. #lehre")
    demo.say("ben", "Genau: ohne Schlüssel zum Aggregatraum hilft der beste Alarmplan nichts.")
    anonymous_contribution(demo)
    demo.say("anna", "!status")
    demo.say("anna", "!ende")


def anonymous_contribution(demo: Demo) -> None:
    """Ben, a member of the configured room (not on the invite allowlist), opens a direct chat with
    the bot and posts a contribution without his name."""
    ben, bot = demo.users["ben"], demo.bot
    direct = ben.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                             extra={"is_direct": True})
    wait_for(lambda: ben.membership(direct, bot.user_id) == "join" or _bot_died(demo), 30,
             "the bot to join Ben's direct chat")
    text = "Die Alarmierung der Stadtwerke kam eine Stunde zu spät. #problem"
    ben.send_text(direct, "!anonym Köln " + text)
    wait_for(lambda: any(text in e.get("content", {}).get("body", "")
                         for e in demo.users["anna"].messages(demo.room)
                         if e.get("sender") == bot.user_id) or _bot_died(demo),
             30, "the anonymous contribution in the room")
    log("Ben hat per Direktnachricht einen anonymen Beitrag gesendet")


@step("Digest des Raums, eine Lehre daraus und ihre Maßnahme")
def digest(demo: Demo) -> None:
    demo.say("ben", "!digest")
    demo.say("anna", "!lehre 1 Schlüssel für Notstrom zugänglich verwahren")
    due = (datetime.now() + timedelta(days=30)).strftime("%d.%m.%Y")
    demo.say("anna", f"!maßnahme L1 {due} Hausverwaltung: Schlüsseltresor an der Leitstelle")
    demo.say("anna", "!lehren")


@step("Verlauf des Raums")
def transcript(demo: Demo) -> None:
    print(render_transcript(demo))


STEPS: list[Callable[[Demo], None]] = [start_homeserver, register_users, create_room, start_bot,
                                       commands, reflection_round, digest, transcript]


def _bot_died(demo: Demo) -> bool:
    if demo.bot and not demo.bot.alive():
        raise HarnessError(f"the bot exited with {demo.bot.exit_code()}; log:\n"
                           + demo.bot.log_tail(30))
    return False


def render_transcript(demo: Demo) -> str:
    client = demo.users["anna"]
    lines = [f"── {ROOM_NAME} ──"]
    by_id: dict[str, dict] = {}
    for ev in client.messages(demo.room):
        by_id[ev["event_id"]] = ev
        when = datetime.fromtimestamp(ev["origin_server_ts"] / 1000).strftime("%H:%M:%S")
        who = demo.names.get(ev.get("sender"), ev.get("sender"))
        content = ev.get("content", {})
        if ev["type"] == "m.room.member":
            target = demo.names.get(ev.get("state_key"), ev.get("state_key"))
            action = {"join": "ist beigetreten", "invite": f"wurde von {who} eingeladen",
                      "leave": "hat den Raum verlassen"}.get(content.get("membership"), "")
            if action:
                lines.append(f"{when}  * {target} {action}")
        elif is_message(ev):
            target = reply_target(ev)
            prefix = ""
            if target and target in by_id:
                quoted = by_id[target].get("content", {}).get("body", "")
                prefix = f"(Antwort auf „{quoted[:30]}“) "
            body = content.get("body", "").replace("\n", "\n" + " " * 12)
            lines.append(f"{when}  {who}: {prefix}{body}")
    return "\n".join(lines)


def log(text: str) -> None:
    print(f"   {text}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "build" / "demo")
    parser.add_argument("--keep", action="store_true", help="keep Synapse and the bot running "
                        "until Ctrl-C")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    demo = Demo(data_dir=args.data_dir)
    try:
        for n, fn in enumerate(STEPS, 1):
            print(f"[{n}/{len(STEPS)}] {fn.title}", file=sys.stderr, flush=True)
            fn(demo)
        if args.keep:
            log(f"läuft weiter: {demo.hs.url}, Ctrl-C beendet")
            while True:
                time.sleep(3600)
        return 0
    except KeyboardInterrupt:
        return 0
    except (HarnessError, OSError) as e:
        print(f"demo failed: {e}", file=sys.stderr)
        if demo.bot:
            print(f"bot log: {demo.bot.log_path}", file=sys.stderr)
        return 1
    finally:
        if demo.bot:
            code = demo.bot.stop()
            log(f"Reflexbot beendet (exit {code})")
        if demo.hs:
            demo.hs.stop()
            log("Synapse beendet")


if __name__ == "__main__":
    sys.exit(main())
