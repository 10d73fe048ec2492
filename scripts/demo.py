"""The Reflexbot demo: a local Synapse, a moderator and a participant in Köln, a participant in
Leipzig, a network room, the bot.

Runs the steps in STEPS in order and prints the transcripts: commands, a scripted reflection
round, the room's digest and a lesson taken from it, then the network's digest with its chart
(saved as build/demo/themen.png). Data lives under build/demo (fresh each run).
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
LEIPZIG_NAME = "Reflexionsraum Leipzig"
NETWORK_NAME = "Netzwerk Krisenreflexion"


@dataclass
class Demo:
    data_dir: Path
    hs: Optional[Homeserver] = None
    bot: Optional[Bot] = None
    users: dict[str, Client] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)   # user id -> display name
    room: str = ""
    leipzig: str = ""
    network: str = ""

    def say(self, who: str, text: str, room: str = "") -> str:
        """A demo user writes text into the room (Köln's unless given); waits for the bot's
        answer if it is a command."""
        client = self.users[who]
        room = room or self.room
        event_id = client.send_text(room, text)
        if text.startswith("!"):
            wait_for(lambda: self._answered(event_id, room), 30, f"the bot's answer to {text}")
        return event_id

    def _answered(self, event_id: str, room: str) -> bool:
        events = self.users["anna"].messages(room)
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
                      ("ben", "Ben (Köln)"), ("clara", "Clara (Leipzig)")):
        client = demo.hs.register(key, displayname=name)
        demo.users[key] = client
        demo.names[client.user_id] = name
        log(f"{client.user_id} registriert")


@step("Räume anlegen: Köln, Leipzig und das Netzwerk")
def create_room(demo: Demo) -> None:
    anna, ben, clara = demo.users["anna"], demo.users["ben"], demo.users["clara"]
    demo.room = anna.create_room(name=ROOM_NAME, topic="Reflexion nach Einsätzen und Übungen",
                                 invite=[ben.user_id])
    ben.join(demo.room)
    demo.leipzig = anna.create_room(name=LEIPZIG_NAME, invite=[clara.user_id])
    clara.join(demo.leipzig)
    demo.network = anna.create_room(name=NETWORK_NAME, invite=[ben.user_id, clara.user_id])
    ben.join(demo.network)
    clara.join(demo.network)
    for name, room in ((ROOM_NAME, demo.room), (LEIPZIG_NAME, demo.leipzig),
                       (NETWORK_NAME, demo.network)):
        log(f"{name}: {room}")


@step("Bot starten und in die drei Räume einladen")
def start_bot(demo: Demo) -> None:
    account = demo.users["reflexbot"]
    demo.bot = Bot(demo.hs.url, account.user_id, account.access_token, demo.data_dir / "bot",
                   allowlist=[demo.users["anna"].user_id], device_id=account.device_id,
                   log_level="info", rooms=[{"room_id": demo.room, "city": "Köln"},
                                            {"room_id": demo.leipzig, "city": "Leipzig"}],
                   extra={"network_room": demo.network})
    demo.bot.start()
    for room in (demo.room, demo.leipzig, demo.network):
        demo.users["anna"].invite(room, account.user_id)
        wait_for(lambda: demo.users["anna"].membership(room, account.user_id) == "join"
                 or _bot_died(demo), 30, "the bot to join the room")
    log("Reflexbot ist den Räumen beigetreten")


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


@step("Leipzig berichtet, das Netzwerk bekommt seinen Digest mit Grafik")
def network_digest(demo: Demo) -> None:
    posted = [demo.say("clara", text, demo.leipzig) for text in (
        "Auch bei uns lag der Schlüssel zum Aggregatraum nicht an der Leitstelle. #problem",
        "Den Schlüssel zum Aggregatraum verwahren wir jetzt im Tresor der Leitstelle. #lehre",
        "Die Pressestelle war in der ersten Stunde nicht erreichbar. #problem")]

    def acknowledged() -> bool:  # the bot's ✅ under each: collected
        _bot_died(demo)
        marked = {e.get("content", {}).get("m.relates_to", {}).get("event_id")
                  for e in demo.users["anna"].messages(demo.leipzig)
                  if e.get("type") == "m.reaction" and e.get("sender") == demo.bot.user_id}
        return all(event_id in marked for event_id in posted)

    wait_for(acknowledged, 30, "Leipzig's contributions to be collected")
    asked = demo.say("anna", "!digest", demo.network)
    anna = demo.users["anna"]

    def chart():
        _bot_died(demo)
        events = anna.messages(demo.network)
        ids = [e["event_id"] for e in events]
        after = events[ids.index(asked) + 1:] if asked in ids else []
        return next((e for e in after if e.get("sender") == demo.bot.user_id and is_message(e)
                     and e.get("content", {}).get("msgtype") == "m.image"), None)

    image = wait_for(chart, 30, "the network digest's chart")
    path = demo.data_dir / "themen.png"
    path.write_bytes(anna.download(image["content"]["url"]))
    info = image["content"].get("info", {})
    log(f"Grafik gespeichert: {path} ({info.get('w')}×{info.get('h')} px, {info.get('size')} Bytes)")
    print(render_transcript(demo, demo.network, NETWORK_NAME))


STEPS: list[Callable[[Demo], None]] = [start_homeserver, register_users, create_room, start_bot,
                                       commands, reflection_round, digest, transcript,
                                       network_digest]


def _bot_died(demo: Demo) -> bool:
    if demo.bot and not demo.bot.alive():
        raise HarnessError(f"the bot exited with {demo.bot.exit_code()}; log:\n"
                           + demo.bot.log_tail(30))
    return False


def render_transcript(demo: Demo, room: str = "", name: str = ROOM_NAME) -> str:
    client = demo.users["anna"]
    lines = [f"── {name} ──"]
    by_id: dict[str, dict] = {}
    for ev in client.messages(room or demo.room):
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
            if content.get("msgtype") == "m.image":
                info = content.get("info", {})
                body = (f"[Bild {content.get('filename', '')}, {info.get('w')}×{info.get('h')} px] "
                        f"{body}")
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
