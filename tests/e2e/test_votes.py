"""Edits and votes over the wire (issue 16): an edit counts as the new version of a message, a 👍
counts for a contribution of someone else, also for an anonymous one (the bot's notice that
carries it), never for one's own. Participants are driven by the independent test client; the
bot's database is read read-only."""

from helpers import contribution, db_rows, ensure_alive, ping_and_wait, tags_of, wait_for
from localhs import REPO_ROOT

WAIT = 30
TEMPLATES = REPO_ROOT / "config" / "templates"


def configured_room(make_bot, user):
    """A moderator's room with anna and bert, configured as Köln, and the bot in it."""
    moderator = user("mod")
    anna = user("anna")
    bert = user("bert")
    room = moderator.create_room(name="Krisenstab Köln", invite=[anna.user_id, bert.user_id])
    anna.join(room)
    bert.join(room)
    bot = make_bot(allowlist=[moderator.user_id], templates_dir=TEMPLATES,
                   rooms=[{"room_id": room, "city": "Köln"}])
    moderator.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or moderator.membership(room, bot.user_id) == "join", WAIT,
             "the bot to join the configured room")
    return moderator, anna, bert, room, bot


def votes_on(bot, event_id: str) -> list[tuple]:
    return db_rows(bot, "SELECT reaction_event_id, voter FROM votes WHERE event_id = ?",
                   (event_id,))


def terms_made(bot, event_id: str) -> bool:
    """Whether the contribution's index terms are stored (they are made after its commit)."""
    return bool(db_rows(bot, "SELECT 1 FROM contributions WHERE event_id = ? AND terms IS NOT NULL",
                        (event_id,)))


def test_a_contributions_terms_are_made_after_its_commit(hs, make_bot, user):
    """The batch stores a contribution without its digest terms; the running bot makes them
    right after the commit, and again after an edit changed the text."""
    moderator, anna, bert, room, bot = configured_room(make_bot, user)
    tagged = anna.send_text(room, "Die Funkverbindung im Keller brach ab #problem")
    wait_for(lambda: contribution(bot, tagged) is not None, WAIT, "the tagged message collected")
    wait_for(lambda: terms_made(bot, tagged), WAIT, "its terms made after the commit")
    edited = "Die Funkverbindung im Tiefgeschoss brach ab #problem"
    anna.edit(room, tagged, edited)
    wait_for(lambda: (contribution(bot, tagged) or [""] * 7)[5] == edited, WAIT, "the edit applied")
    wait_for(lambda: terms_made(bot, tagged), WAIT, "the edited text's terms made")
    ensure_alive(bot)


def test_an_edit_is_judged_as_the_message_it_now_is(hs, make_bot, user):
    moderator, anna, bert, room, bot = configured_room(make_bot, user)
    plain = anna.send_text(room, "Die Lagemeldungen kamen doppelt")
    other = anna.send_text(room, "Niemand wusste, wer zuständig ist")
    ping_and_wait(moderator, room, bot)
    assert contribution(bot, plain) is None, "an untagged message outside a round is not collected"

    # Anna adds a tag: the message is collected with its new text, its own author and time.
    tagged = "Die Lagemeldungen kamen doppelt und widersprüchlich #problem"
    edit = anna.edit(room, plain, tagged)
    wait_for(lambda: (contribution(bot, plain) or [None] * 6)[5] == tagged, WAIT,
             "the edited message collected with its new text")
    assert tags_of(bot, plain) == {"problem"}
    # Collected after the commit of the sync that brought the edit: its terms come after that.
    wait_for(lambda: terms_made(bot, plain), WAIT, "the edited contribution's terms")
    assert contribution(bot, edit) is None, "the edit event is no contribution of its own"
    assert contribution(bot, plain)[6] == "tag"
    original = next(e for e in moderator.messages(room) if e["event_id"] == plain)
    assert db_rows(bot, "SELECT written_at FROM contributions WHERE event_id = ?",
                   (plain,))[0][0] == original["origin_server_ts"]

    # Someone else's "edit" of anna's other message is no edit: nothing is collected.
    bert.send_event(room, "m.room.message", {
        "msgtype": "m.text", "body": "* Niemand wusste, wer zuständig ist #lehre",
        "m.new_content": {"msgtype": "m.text", "body": "Niemand wusste, wer zuständig ist #lehre"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": other}})
    ping_and_wait(moderator, room, bot)
    wait_for(lambda: not db_rows(bot, "SELECT 1 FROM edit_requests"), WAIT,
             "the bot to have judged bert's edit")
    assert contribution(bot, other) is None, "an edit by someone else was taken as the author's"

    # Anna removes the tag again: no longer a contribution.
    anna.edit(room, plain, "Die Lagemeldungen kamen doppelt und widersprüchlich")
    wait_for(lambda: contribution(bot, plain) is None, WAIT,
             "the contribution withdrawn after its last tag was edited away")
    ensure_alive(bot)


def test_a_pinned_message_is_collected_as_its_latest_edit(hs, make_bot, user):
    moderator, anna, bert, room, bot = configured_room(make_bot, user)
    plain = anna.send_text(room, "Erste Fassung")
    anna.edit(room, plain, "Zweite Fassung")
    anna.edit(room, plain, "Dritte Fassung")
    ping_and_wait(moderator, room, bot)
    assert contribution(bot, plain) is None
    bert.react(room, plain, "📌")
    wait_for(lambda: contribution(bot, plain) is not None, WAIT, "the pinned message in the store")
    assert contribution(bot, plain)[5] == "Dritte Fassung", contribution(bot, plain)
    assert contribution(bot, plain)[6] == "pin"
    ensure_alive(bot)


def test_votes_count_for_others_and_for_anonymous_posts_never_for_ones_own(hs, make_bot, user):
    moderator, anna, bert, room, bot = configured_room(make_bot, user)
    own = anna.send_text(room, "Mehr Funkgeräte für die Einsatzleitung #idee")
    wait_for(lambda: contribution(bot, own) is not None, WAIT, "anna's contribution in the store")

    # Anna's own 👍 does not count; bert's does, once.
    anna.react(room, own, "👍")
    vote = bert.react(room, own, "👍")
    wait_for(lambda: len(votes_on(bot, own)) == 1, WAIT, "bert's vote on anna's contribution")
    ping_and_wait(moderator, room, bot)
    assert [v[0] for v in votes_on(bot, own)] == [vote], votes_on(bot, own)

    # An anonymous post: the 👍 goes to the bot's notice, and counts for the contribution.
    direct = anna.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or anna.membership(direct, bot.user_id) == "join", WAIT,
             "the bot to join the direct chat")
    secret = "Ein gemeinsames Lagebild mit dem Kreis #idee"
    anna.send_text(direct, "!anonym Köln " + secret)

    def notice():
        return next((e for e in moderator.messages(room)
                     if e.get("sender") == bot.user_id and secret in
                     e.get("content", {}).get("body", "")), None)
    wait_for(lambda: notice() is not None, WAIT, "the anonymous post in the room")
    anonymous = db_rows(bot, "SELECT event_id FROM contributions WHERE via = 'anonymous'")[0][0]
    first = moderator.react(room, notice()["event_id"], "👍")
    bert.react(room, notice()["event_id"], "👍")
    wait_for(lambda: len(votes_on(bot, anonymous)) == 2, WAIT,
             "two votes on the anonymous contribution")
    # Nothing in the store ties the anonymous post to anna: no vote, no row names her pseudonym
    # or her direct chat next to it.
    anna_pseudonym = contribution(bot, own)[2]
    assert anna_pseudonym not in {v[1] for v in votes_on(bot, anonymous)}
    assert db_rows(bot, "SELECT author FROM contributions WHERE event_id = ?",
                   (anonymous,)) == [("",)]

    # Taking the reaction back takes the vote back.
    moderator.redact(room, first)
    wait_for(lambda: len(votes_on(bot, anonymous)) == 1, WAIT,
             "the redacted 👍 to leave the votes")
    ensure_alive(bot)


def test_a_poll_of_the_phase_counts_each_persons_last_answer(hs, make_bot, user):
    moderator, anna, bert, room, bot = configured_room(make_bot, user)
    moderator.send_text(room, "!runde aar Stromausfall 30")
    wait_for(lambda: db_rows(bot, "SELECT 1 FROM rounds WHERE room_id = ?", (room,)), WAIT,
             "the round")
    first = anna.send_text(room, "Notstromaggregate vorher prüfen")
    second = bert.send_text(room, "Ein gemeinsames Lagebild mit dem Kreis")
    wait_for(lambda: contribution(bot, first) and contribution(bot, second), WAIT,
             "both contributions in the store")
    moderator.send_text(room, "!umfrage")

    def poll():
        return next((e for e in moderator.messages(room) if e.get("sender") == bot.user_id
                     and e.get("type") == "org.matrix.msc3381.poll.start"), None)
    wait_for(lambda: poll() is not None, WAIT, "the poll in the room")
    start = poll()["content"]["org.matrix.msc3381.poll.start"]
    answers = {a["org.matrix.msc1767.text"]: a["id"] for a in start["answers"]}
    assert set(answers) == {"Notstromaggregate vorher prüfen",
                            "Ein gemeinsames Lagebild mit dem Kreis"}, start

    def respond(client, text):
        client.send_event(room, "org.matrix.msc3381.poll.response", {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll()["event_id"]},
            "org.matrix.msc3381.poll.response": {"answers": [answers[text]]}})
    # The moderator changes their mind: the last answer counts. Bert's answer for his own idea
    # counts nothing.
    respond(moderator, "Ein gemeinsames Lagebild mit dem Kreis")
    respond(moderator, "Notstromaggregate vorher prüfen")
    respond(bert, "Ein gemeinsames Lagebild mit dem Kreis")
    respond(anna, "Ein gemeinsames Lagebild mit dem Kreis")
    wait_for(lambda: len(votes_on(bot, first)) == 1 and len(votes_on(bot, second)) == 1, WAIT,
             "one vote each")
    ping_and_wait(moderator, room, bot)
    assert len(votes_on(bot, first)) == 1 and len(votes_on(bot, second)) == 1

    # Closed: later answers count nothing.
    moderator.send_text(room, "!umfrage ende")
    wait_for(lambda: any(e.get("type") == "org.matrix.msc3381.poll.end"
                         for e in moderator.messages(room)), WAIT, "the poll's end")
    respond(anna, "Notstromaggregate vorher prüfen")
    ping_and_wait(moderator, room, bot)
    assert len(votes_on(bot, first)) == 1 and len(votes_on(bot, second)) == 1
    ensure_alive(bot)
