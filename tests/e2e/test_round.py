"""A full panreflex reflection round in two rooms (Köln, Leipzig): prompts, collection, tags,
permissions, edits, redactions, votes, a restart mid-round, the summary and tag collection
outside rounds.

Phases are driven by commands (30-minute phases, so no timer fires during the test); the bot's
progress is observed through its notices, its ✅ reactions and its database (read-only)."""

import re
from dataclasses import dataclass, field

import pytest

from helpers import (bot_notices, contribution, db_rows, ensure_alive, ping_and_wait,
                     reactions_to, tags_of, wait_bot_notice, wait_bot_reaction, wait_for)
from localhs import REPO_ROOT, Client, MatrixError

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
TOPIC = "Hochwasser"
PHASE_MINUTES = 30
WAIT = 30  # seconds for any single bot reaction; the whole test takes far less

# (phase key, German title, a sentence of its guiding question as plain text)
PHASES = [
    ("rueckschau", "Rückschau", "Wenn Sie auf die ersten Wochen der Pandemie zurückblicken"),
    ("bestandsaufnahme", "Bestandsaufnahme", "Wo steht Ihre Kommune heute?"),
    ("erfahrungsaustausch", "Erfahrungsaustausch", "Was haben andere Städte anders gemacht"),
    ("ausblick", "Ausblick", "Die nächste Krise kommt bestimmt"),
    ("brainstorming", "Brainstorming", "Freies Sammeln"),
]
HEX32 = re.compile(r"[0-9a-f]{32}")
MXID = re.compile(r"@[^:\s]+:\S+")


@dataclass
class Room:
    city: str
    room_id: str
    p1: Client  # first participant
    p2: Client  # second participant
    ids: dict = field(default_factory=dict)  # label -> event id
    round_id: int = 0


# --- observation helpers ------------------------------------------------------------------------


def is_prompt(body: str, phase: int) -> bool:
    """The phase-start notice: title and guiding question (phase-end summaries and !status name
    the title too, but never carry the question)."""
    _, title, question = PHASES[phase]
    return title in body and question in body


def prompt_counts(mod: Client, room: Room, bot) -> list[int]:
    notices = bot_notices(mod.messages(room.room_id), bot.user_id)
    return [sum(is_prompt(n["content"].get("body", ""), i) for n in notices)
            for i in range(len(PHASES))]


def wait_prompt(mod: Client, room: Room, bot, phase: int, label: str) -> dict:
    """Waits for the prompt of `phase` after the command stored under `label`."""
    return wait_bot_notice(
        mod, room.room_id, bot, lambda body: is_prompt(body, phase),
        f"the {PHASES[phase][1]} prompt in {room.city} after the moderator's {label!r}",
        after=room.ids[label], timeout=WAIT)




def open_round(bot, room: Room):
    rows = db_rows(bot, "SELECT id, template_key, topic, phase_index, state FROM rounds "
                        "WHERE room_id = ? ORDER BY id DESC LIMIT 1", (room.room_id,))
    return rows[0] if rows else None


def wait_collected(bot, room: Room, label: str) -> tuple:
    event_id = room.ids[label]
    row = wait_for(lambda: ensure_alive(bot) or contribution(bot, event_id), WAIT,
                   f"contribution {label!r} ({event_id}) in {room.city} in the store")
    wait_bot_reaction(room.p1, room.room_id, bot, event_id, "✅", timeout=WAIT)
    return row


def assert_contribution(bot, room: Room, label: str, phase: int | None, tags: set,
                        via: str = "round") -> tuple:
    row = wait_collected(bot, room, label)
    room_id, city, author, round_id, phase_key, body, got_via = row
    where = f"{room.city}/{label}"
    assert room_id == room.room_id, f"{where}: room {room_id}"
    assert city == room.city, f"{where}: city {city!r}, expected {room.city!r}"
    assert got_via == via, f"{where}: via {got_via!r}, expected {via!r}"
    if phase is None:
        assert round_id is None and phase_key == "", f"{where}: outside a round but {row}"
    else:
        assert round_id == room.round_id, f"{where}: round {round_id}, expected {room.round_id}"
        assert phase_key == PHASES[phase][0], \
            f"{where}: phase {phase_key!r}, expected {PHASES[phase][0]!r}"
    assert HEX32.fullmatch(author or ""), f"{where}: author {author!r} is not a 32-hex pseudonym"
    assert tags_of(bot, room.ids[label]) == tags, \
        f"{where}: tags {tags_of(bot, room.ids[label])}, expected {tags}"
    return row


def post(room: Room, who: Client, label: str, text: str) -> str:
    room.ids[label] = who.send_text(room.room_id, text)
    return room.ids[label]


def command(mod_or_participant: Client, room: Room, text: str, label: str) -> str:
    room.ids[label] = mod_or_participant.send_text(room.room_id, text)
    return room.ids[label]


def advance(mod: Client, bot, rooms: list[Room], to_phase: int, label: str) -> None:
    """The moderator's !weiter in every room; waits for the next prompt and the stored index."""
    for room in rooms:
        command(mod, room, "!weiter", label)
    for room in rooms:
        wait_prompt(mod, room, bot, to_phase, label)
        wait_for(lambda: (open_round(bot, room) or (0, 0, 0, -1))[3] == to_phase, WAIT,
                 f"rounds.phase_index == {to_phase} in {room.city}")


# --- the test -----------------------------------------------------------------------------------


def test_panreflex_round_in_two_cities(make_bot, user):
    mod = user("moderation")
    anna, ben, clara = user("anna"), user("ben"), user("clara")

    # The bot starts knowing the rooms: Köln is mapped in rooms:, Leipzig falls back to its name.
    koeln_id = mod.create_room(name="Krisenstab Rheinland – Reflexion", invite=[anna.user_id,
                                                                               ben.user_id])
    leipzig_id = mod.create_room(name="Leipzig", invite=[clara.user_id, ben.user_id])
    for client, room_id in ((anna, koeln_id), (ben, koeln_id), (clara, leipzig_id),
                            (ben, leipzig_id)):
        client.join(room_id)
    bot = make_bot(allowlist=[mod.user_id], templates_dir=TEMPLATES_DIR,
                   rooms=[{"room_id": koeln_id, "city": "Köln"}])
    koeln = Room("Köln", koeln_id, anna, ben)
    leipzig = Room("Leipzig", leipzig_id, clara, ben)
    rooms = [koeln, leipzig]
    for room in rooms:
        mod.invite(room.room_id, bot.user_id)
    for room in rooms:
        wait_for(lambda: ensure_alive(bot) or mod.membership(room.room_id, bot.user_id) == "join",
                 WAIT, f"the bot to join the {room.city} room")
        ping_and_wait(mod, room.room_id, bot)

    # A participant (power 0) may not start a round.
    refused_start = command(anna, koeln, f"!runde panreflex {TOPIC} {PHASE_MINUTES}", "anna-runde")
    refusal = wait_bot_notice(mod, koeln.room_id, bot, lambda b: "Moderation" in b,
                              "a refusal mentioning the Moderation for anna's !runde",
                              after=refused_start, timeout=WAIT)
    assert refusal["content"].get("m.mentions") == {}, refusal["content"]
    assert open_round(bot, koeln) is None, "a participant's !runde started a round"
    assert prompt_counts(mod, koeln, bot)[0] == 0, "a participant's !runde posted a prompt"

    # The moderator (room creator, power 100) starts the round in both rooms; !round is the alias.
    command(mod, koeln, f"!runde panreflex {TOPIC} {PHASE_MINUTES}", "start")
    command(mod, leipzig, f"!round panreflex {TOPIC} {PHASE_MINUTES}", "start")
    for room in rooms:
        prompt = wait_prompt(mod, room, bot, 0, "start")
        assert prompt["content"].get("msgtype") == "m.notice", prompt["content"]
        assert prompt["content"].get("m.mentions") == {}, prompt["content"]
        row = wait_for(lambda: open_round(bot, room), WAIT, f"a rounds row for {room.city}")
        room.round_id, template_key, topic, phase_index, state = row
        assert (template_key, topic, phase_index, state) == ("panreflex", TOPIC, 0, "running"), row

    # Phase 1 (Rückschau): every text message is a contribution, hashtags become tags.
    for room in rooms:
        post(room, room.p1, "m1", "Der Krisenstab hat anfangs täglich getagt, das hat getragen. "
                                  "#erfolg")
        post(room, room.p2, "m2", "Die Meldewege zum Gesundheitsamt waren unklar #Problem #lehre")
        post(room, room.p1, "m3", "Am Anfang wusste niemand, wer für die Schulen zuständig ist.")
    for room in rooms:
        assert_contribution(bot, room, "m1", 0, {"erfolg"})
        assert_contribution(bot, room, "m2", 0, {"problem", "lehre"})
        assert_contribution(bot, room, "m3", 0, set())

    # A participant's !weiter is refused and changes nothing.
    for room in rooms:
        refused = command(room.p2, room, "!weiter", "p2-weiter")
        wait_bot_notice(mod, room.room_id, bot, lambda b: "Moderation" in b,
                        f"a refusal mentioning the Moderation for the participant's !weiter in "
                        f"{room.city}", after=refused, timeout=WAIT)
        ping_and_wait(mod, room.room_id, bot)  # the bot is past the refused command
        assert open_round(bot, room)[3:] == (0, "running"), open_round(bot, room)
        counts = prompt_counts(mod, room, bot)
        assert counts[:2] == [1, 0], f"{room.city}: prompts after a refused !weiter: {counts}"

    # Phase 2 (Bestandsaufnahme) by the moderator.
    advance(mod, bot, rooms, 1, "weiter-1")
    for room in rooms:
        post(room, room.p2, "m4", "Die Lagekarte aus der Pandemie nutzen wir heute noch. #erfolg")
        post(room, room.p1, "m5", "Das war alles Mist #frust")
    for room in rooms:
        assert_contribution(bot, room, "m4", 1, {"erfolg"})
        assert_contribution(bot, room, "m5", 1, {"frust"})

    # An edit by the sender updates the body; the edit event is no contribution of its own.
    edited = "Die digitale Lagekarte aus der Pandemie nutzen wir heute noch. #erfolg"
    for room in rooms:
        room.ids["m4-edit"] = room.p2.edit(room.room_id, room.ids["m4"], edited)
    for room in rooms:
        wait_for(lambda: (contribution(bot, room.ids["m4"]) or [None] * 6)[5] == edited, WAIT,
                 f"the edited body of m4 in {room.city}")
        assert contribution(bot, room.ids["m4-edit"]) is None, "the m.replace event was stored"
        assert contribution(bot, room.ids["m4"])[4] == "bestandsaufnahme"

    # A redaction deletes the contribution (and its tags).
    for room in rooms:
        room.p1.redact(room.room_id, room.ids["m5"], reason="zurückgezogen")
    for room in rooms:
        wait_for(lambda: contribution(bot, room.ids["m5"]) is None, WAIT,
                 f"the redacted m5 to leave the store in {room.city}")
        assert tags_of(bot, room.ids["m5"]) == set(), "tags of a redacted contribution remain"

    # 👍 from another participant is one vote; the same person's second 👍 adds none.
    for room in rooms:
        room.ids["vote"] = room.p2.react(room.room_id, room.ids["m1"], "👍")
    for room in rooms:
        wait_for(lambda: len(votes_on(bot, room.ids["m1"])) == 1, WAIT,
                 f"one vote on m1 in {room.city}")
        # Synapse refuses the identical annotation (M_DUPLICATE_ANNOTATION); the same thumb with
        # a variation selector, as some clients send it, reaches the bot and must add nothing.
        for key in ("👍", "👍\ufe0f"):
            try:
                room.p2.react(room.room_id, room.ids["m1"], key)
            except MatrixError as e:
                assert e.status == 400, e
        ping_and_wait(mod, room.room_id, bot)
        votes = votes_on(bot, room.ids["m1"])
        assert len(votes) == 1, f"{room.city}: votes on m1 after a second 👍: {votes}"
        assert votes[0][0] == room.ids["vote"], votes
        p2_author = contribution(bot, room.ids["m2"])[2]
        assert votes[0][1] == p2_author, \
            f"{room.city}: voter {votes[0][1]!r} is not the voter's pseudonym {p2_author!r}"
        assert contribution(bot, room.ids["vote"]) is None, "a reaction was stored as contribution"
        # A different person's 👍 is a second vote.
        mod.react(room.room_id, room.ids["m1"], "👍")
        wait_for(lambda: len(votes_on(bot, room.ids["m1"])) == 2, WAIT,
                 f"the moderator's vote as the second vote on m1 in {room.city}")

    # Restart mid-round (SIGTERM, start): the round continues where it was.
    assert bot.stop() == 0, "SIGTERM should stop the bot with exit status 0"
    bot.start()
    for room in rooms:
        ping_and_wait(mod, room.room_id, bot)
        assert open_round(bot, room)[3:] == (1, "running"), open_round(bot, room)
    advance(mod, bot, rooms, 2, "weiter-2")
    for room in rooms:
        post(room, room.p1, "m6", "#Stolz auf die Nachbarschaftshilfe beim Sandsäcke-Füllen")
    for room in rooms:
        assert_contribution(bot, room, "m6", 2, {"stolz"})

    advance(mod, bot, rooms, 3, "weiter-3")
    advance(mod, bot, rooms, 4, "weiter-4")
    for room in rooms:
        post(room, room.p2, "m7", "Sandsäcke zentral lagern und digital nachhalten #idee")
    for room in rooms:
        assert_contribution(bot, room, "m7", 4, {"idee"})

    # The end: Köln by !weiter after the last phase, Leipzig by !ende; each gets a summary.
    command(mod, koeln, "!weiter", "finish")
    command(mod, leipzig, "!ende", "finish")
    for room in rooms:
        summary = wait_bot_notice(
            mod, room.room_id, bot,
            lambda b: re.search(r"Reflexionsrunde .*(abgeschlossen|beendet)", b) is not None,
            f"the round's summary notice in {room.city}", after=room.ids["finish"], timeout=WAIT)
        body = summary["content"].get("body", "")
        assert room.city in body and "Beitr" in body, f"{room.city}: summary {body!r}"
        assert summary["content"].get("m.mentions") == {}, summary["content"]
        wait_for(lambda: open_round(bot, room)[4] == "ended", WAIT,
                 f"rounds.state == 'ended' in {room.city}")

    # Every prompt exactly once per room, in order, none re-posted by the restart.
    for room in rooms:
        assert prompt_counts(mod, room, bot) == [1] * len(PHASES), \
            f"{room.city}: prompts per phase {prompt_counts(mod, room, bot)}"
        notices = bot_notices(mod.messages(room.room_id), bot.user_id)
        order = [i for n in notices for i in range(len(PHASES))
                 if is_prompt(n["content"].get("body", ""), i)]
        assert order == list(range(len(PHASES))), f"{room.city}: prompt order {order}"

    # Outside a round: a vocabulary hashtag is collected (via 'tag'), plain text is not.
    post(koeln, anna, "tagged", "#lehre Übungen mit dem Nachbarkreis fest vereinbaren")
    post(koeln, ben, "plain", "Danke an alle für die offene Runde!")
    assert_contribution(bot, koeln, "tagged", None, {"lehre"}, via="tag")
    ping_and_wait(mod, koeln.room_id, bot)
    assert contribution(bot, koeln.ids["plain"]) is None, "an untagged message outside a round " \
                                                          "was collected"
    assert not reactions_to(mod.messages(koeln.room_id), koeln.ids["plain"], "✅", bot.user_id)

    # Commands, notices and reactions are never contributions; the store names no one.
    stored = {r[0]: r for r in db_rows(bot, "SELECT event_id, room_id, author FROM contributions")}
    for room in rooms:
        for label, event_id in room.ids.items():
            if label.startswith("m") and label[1:].isdigit() and label != "m5" or label == "tagged":
                assert event_id in stored, f"{room.city}/{label} missing from the store"
            else:
                assert event_id not in stored, f"{room.city}/{label} ({event_id}) was collected"
    bot_events = {e["event_id"] for room in rooms for e in mod.messages(room.room_id)
                  if e.get("sender") == bot.user_id}
    assert not bot_events & set(stored), "the bot's own events were collected"
    users = [mod, anna, ben, clara]
    for event_id, room_id, author in stored.values():
        assert not MXID.search(author) and author not in {u.user_id for u in users}, author
    for (voter,) in db_rows(bot, "SELECT voter FROM votes"):
        assert not MXID.search(voter), f"a vote names its voter: {voter!r}"
    # One pseudonym per person: the same for one person everywhere, different between people.
    def author(room, label):
        return stored[room.ids[label]][2]
    assert author(koeln, "m1") == author(koeln, "m3") == author(koeln, "m6") == \
        author(koeln, "tagged")  # anna
    assert author(koeln, "m2") == author(leipzig, "m2") == author(leipzig, "m4")  # ben
    assert len({author(koeln, "m1"), author(koeln, "m2"), author(leipzig, "m1")}) == 3

    # 📌 by someone else collects an untagged message later, with its own author and time.
    plain_id = koeln.ids["plain"]
    anna.react(koeln.room_id, plain_id, "📌")
    wait_for(lambda: contribution(bot, plain_id) is not None, WAIT,
             "the 📌-pinned message in the store")
    via, pinned_author, written_at = db_rows(
        bot, "SELECT via, author, written_at FROM contributions WHERE event_id = ?",
        (plain_id,))[0]
    assert via == "pin", via
    assert pinned_author == author(koeln, "m2"), "the pinned message must keep ben as its author"
    original = next(e for e in mod.messages(koeln.room_id) if e["event_id"] == plain_id)
    assert written_at == original["origin_server_ts"], "the pinned message keeps its own time"
    wait_bot_reaction(mod, koeln.room_id, bot, plain_id, "✅", timeout=WAIT)
    ensure_alive(bot)


def votes_on(bot, event_id: str) -> list[tuple]:
    return db_rows(bot, "SELECT reaction_event_id, voter FROM votes WHERE event_id = ?",
                   (event_id,))
