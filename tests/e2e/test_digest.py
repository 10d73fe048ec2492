"""Digests against Synapse: an on-demand digest after a round in two cities names both cities and
no person; the lesson lifecycle from the network room; a weekly digest fires once at its time
and a restart right after it does not repeat it.

Participants are driven by the harness's own client (scripts/localhs.py), never by the bot's."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpers import bot_notices, db_rows, ensure_alive, ping_and_wait, wait_bot_notice, wait_for
from localhs import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
WAIT = 30
MXID = re.compile(r"@[^:\s]+:\S+")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"]


def join_and_wait(mod, bot, room_id):
    mod.invite(room_id, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or mod.membership(room_id, bot.user_id) == "join", WAIT,
             f"the bot to join {room_id}")
    ping_and_wait(mod, room_id, bot)


def collected(bot, event_id):
    return db_rows(bot, "SELECT city FROM contributions WHERE event_id = ?", (event_id,))


def names_nobody(body: str, people) -> None:
    assert not MXID.search(body), f"a Matrix id in the digest: {body}"
    for person in people:
        assert person.localpart not in body, f"{person.localpart} is named in the digest: {body}"


def test_on_demand_digest_after_rounds_in_two_cities_and_the_lesson_lifecycle(make_bot, user):
    mod = user("moderation")
    anna, ben, clara, dora = user("anna"), user("ben"), user("clara"), user("dora")
    people = [mod, anna, ben, clara, dora]
    koeln = mod.create_room(name="Reflexion Köln", invite=[anna.user_id, ben.user_id])
    leipzig = mod.create_room(name="Reflexion Leipzig", invite=[clara.user_id, dora.user_id])
    network = mod.create_room(name="Netzwerk", invite=[anna.user_id, clara.user_id])
    for client, room in ((anna, koeln), (ben, koeln), (clara, leipzig), (dora, leipzig),
                         (anna, network), (clara, network)):
        client.join(room)
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR,
                   rooms=[{"room_id": koeln, "city": "Köln"},
                          {"room_id": leipzig, "city": "Leipzig"}],
                   extra={"network_room": network})
    for room in (koeln, leipzig, network):
        join_and_wait(mod, bot, room)

    # A short After Action Review in each city (phases driven by !weiter, ended by !ende).
    texts = {
        koeln: [(anna, "Die FFP2-Masken kamen viel zu spät, wir hätten früher bestellen müssen."),
                (ben, "Das Bürgertelefon war in der ersten Woche völlig überlastet.")],
        leipzig: [(clara, "Masken und Schutzausrüstung waren knapp, die Beschaffung zu spät."),
                  (dora, "Unsere Hotline für Bürgerinnen und Bürger brach unter den Anrufen "
                         "zusammen.")],
    }
    posted = []
    for room, lines in texts.items():
        start = mod.send_text(room, "!runde aar Pandemie 30")
        wait_bot_notice(mod, room, bot, lambda b: "After Action Review" in b,
                        "the round's first prompt", after=start, timeout=WAIT)
        for who, text in lines:
            posted.append(who.send_text(room, text))
    for event_id in posted:
        wait_for(lambda: ensure_alive(bot) or collected(bot, event_id), WAIT,
                 f"{event_id} collected")
    for room in texts:
        end = mod.send_text(room, "!ende")
        wait_bot_notice(mod, room, bot, lambda b: "beendet" in b, "the round's end", after=end,
                        timeout=WAIT)

    # The network digest names both cities and no person.
    asked = anna.send_text(network, "!digest")
    digest = wait_bot_notice(mod, network, bot, lambda b: b.startswith("Digest des Netzwerks"),
                             "the network digest", after=asked, timeout=WAIT)
    body = digest["content"]["body"]
    html = digest["content"]["formatted_body"]
    assert "Köln" in body and "Leipzig" in body, body
    assert body.split("\n", 1)[0].endswith(" · D1"), body
    assert "4 Beiträge von 4 Personen aus 2 Städten: Köln und Leipzig." in body, body
    assert "Mehrfach genannt" in body and "\n1. " in body, body
    assert "!lehre D1-<Nr.>" in body, body
    names_nobody(body, people)
    names_nobody(html, people)
    assert digest["content"].get("m.mentions") == {}, digest["content"]
    assert digest["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == asked

    # A room's digest of its last round stays in that city.
    asked_round = ben.send_text(koeln, "!digest runde")
    room_digest = wait_bot_notice(mod, koeln, bot, lambda b: b.startswith("Digest für Köln"),
                                  "the Köln round digest", after=asked_round, timeout=WAIT)
    assert "Leipzig" not in room_digest["content"]["body"], room_digest["content"]["body"]
    names_nobody(room_digest["content"]["body"], people)

    # The lesson lifecycle from the network room: a participant may not, the moderator may.
    refused = anna.send_text(network, "!lehre 1")
    wait_bot_notice(mod, network, bot, lambda b: "Moderation" in b, "a refusal of anna's !lehre",
                    after=refused, timeout=WAIT)
    # As a reply to the digest: its group 1, whatever digest came since.
    promoted = mod.send_event(network, "m.room.message", {
        "msgtype": "m.text", "body": "!lehre 1",
        "m.relates_to": {"m.in_reply_to": {"event_id": digest["event_id"]}}})
    created = wait_bot_notice(mod, network, bot, lambda b: "festgehalten" in b,
                              "the lesson's confirmation", after=promoted, timeout=WAIT)
    assert "(D1 Nr. 1, " in created["content"]["body"], created["content"]["body"]
    lesson_id = int(re.search(r"Lehre L(\d+)", created["content"]["body"]).group(1))
    sources = db_rows(bot, "SELECT COUNT(*) FROM lesson_sources WHERE lesson_id = ?",
                      (lesson_id,))[0][0]
    assert sources >= 2, f"lesson L{lesson_id} has {sources} sources"
    action = mod.send_text(network,
                           f"!maßnahme L{lesson_id} 15.12.2030 Gesundheitsamt: Lager anlegen")
    wait_bot_notice(mod, network, bot, lambda b: b.startswith(f"Maßnahme für L{lesson_id}"),
                    "the action's confirmation", after=action, timeout=WAIT)
    again = clara.send_text(network, "!digest")
    second = wait_bot_notice(mod, network, bot, lambda b: b.startswith("Digest des Netzwerks"),
                             "the second network digest", after=again, timeout=WAIT)
    assert f"L{lesson_id} " in second["content"]["body"] and "Gesundheitsamt, bis 15.12.2030" in \
        second["content"]["body"], second["content"]["body"]
    learned = mod.send_text(network, f"!gelernt L{lesson_id}")
    wait_bot_notice(mod, network, bot, lambda b: "als gelernt vermerkt" in b, "the learned confirmation",
                    after=learned, timeout=WAIT)
    assert db_rows(bot, "SELECT state FROM lessons WHERE id = ?", (lesson_id,)) == [("learned",)]


def digests_in(client, room, bot):
    return [n for n in bot_notices(client.messages(room), bot.user_id)
            if n["content"].get("body", "").startswith("Digest des Netzwerks")]


def test_weekly_digest_fires_once_at_its_time_and_not_again_after_a_restart(make_bot, user):
    mod = user("moderation")
    network = mod.create_room(name="Netzwerk")
    # The next whole minute at least 70 s ahead, in Berlin time: the bot must have seen the
    # schedule before the slot (a fresh install does not post a slot that has already passed).
    slot = (datetime.now(BERLIN) + timedelta(seconds=130)).replace(second=0, microsecond=0)
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR,
                   extra={"network_room": network,
                          "digest": {"weekday": WEEKDAYS[slot.weekday()],
                                     "time": slot.strftime("%H:%M"),
                                     "timezone": "Europe/Berlin"}})
    join_and_wait(mod, bot, network)
    assert digests_in(mod, network, bot) == [], "a digest before its time"

    seconds_left = (slot - datetime.now(BERLIN)).total_seconds()
    posted = wait_for(lambda: ensure_alive(bot) or digests_in(mod, network, bot),
                      seconds_left + WAIT, f"the weekly digest due at {slot:%H:%M}",
                      interval=1.0)
    assert len(posted) == 1, [p["content"]["body"][:80] for p in posted]
    arrived = datetime.fromtimestamp(posted[0]["origin_server_ts"] / 1000, BERLIN)
    assert arrived >= slot, f"posted at {arrived}, before its slot {slot}"
    assert posted[0]["content"].get("m.mentions") == {}, posted[0]["content"]
    runs = db_rows(bot, "SELECT slot FROM digest_runs")
    assert runs == [(int(slot.timestamp() * 1000),)], runs

    # A restart right after: the slot is not posted again.
    assert bot.stop() == 0
    bot.start()
    ping_and_wait(mod, network, bot)
    ping_and_wait(mod, network, bot)
    assert len(digests_in(mod, network, bot)) == 1, "the weekly digest was posted twice"
    assert len(db_rows(bot, "SELECT slot FROM digest_runs")) == 1
