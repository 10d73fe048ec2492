"""What the bot says unasked: one welcome when it joins a room (once, also across a restart), and
one answer a day to a plain message in a direct chat, saying what can be done there."""

import signal

from helpers import (bot_notices, ensure_alive, join_bot, ping_and_wait, reply_target,
                     wait_bot_notice, wait_for, wait_settled)

WAIT = 30


def is_welcome(body: str) -> bool:
    return body.startswith("Guten Tag, ich bin Reflexbot. Ich begleite in diesem Raum")


def welcomes(client, room, bot) -> list[dict]:
    return [n for n in bot_notices(client.messages(room), bot.user_id)
            if is_welcome(n["content"].get("body", ""))]


def test_the_bot_welcomes_a_room_it_joins_once_also_across_a_crash(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)
    # Killed as soon as it has joined: the welcome is queued or sent, never lost and never twice.
    bot.restart(signal.SIGKILL)
    welcome = wait_bot_notice(anna, room, bot, is_welcome, "the bot's welcome after its join")
    body = welcome["content"]["body"]
    # What it does, who steers (the configured level), what it stores, where the commands are.
    for part in ("Reflexionsrunden", "Moderation (ab Berechtigungsstufe 50)", "Pseudonym",
                 "Digests nennen Städte, keine Personen", "!hilfe"):
        assert part in body, body
    assert reply_target(welcome) is None, welcome
    assert welcome["content"].get("m.mentions") == {}, welcome["content"]

    bot.restart()
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    assert len(welcomes(anna, room, bot)) == 1, [n["content"]["body"][:80]
                                                 for n in welcomes(anna, room, bot)]

    # Another room gets its own welcome, once.
    second = join_bot(anna, bot, name="Zweiter Raum")
    wait_bot_notice(anna, second, bot, is_welcome, "the welcome in the second room")
    ping_and_wait(anna, second, bot)
    wait_settled(bot)
    assert len(welcomes(anna, second, bot)) == 1
    assert len(welcomes(anna, room, bot)) == 1


def test_a_plain_message_in_a_direct_chat_gets_one_answer_a_day(make_bot, user):
    moderator, anna = user("mod"), user("anna")
    room = moderator.create_room(name="Krisenstab Köln", invite=[anna.user_id])
    anna.join(room)
    bot = make_bot(allowlist=[moderator.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    moderator.invite(room, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or moderator.membership(room, bot.user_id) == "join", WAIT,
             "the bot to join the configured room")
    direct = anna.create_room(invite=[bot.user_id], preset="trusted_private_chat",
                              extra={"is_direct": True})
    wait_for(lambda: ensure_alive(bot) or anna.membership(direct, bot.user_id) == "join", WAIT,
             "the bot to join the direct chat")

    hallo = anna.send_text(direct, "Hallo")
    answer = wait_bot_notice(anna, direct, bot, lambda body: "Hier können Sie" in body,
                             "the answer to a plain message in the direct chat")
    assert reply_target(answer) == hallo, answer
    body = answer["content"]["body"]
    # The direct chat's own commands (!status there lists the rounds of one's rooms), and no
    # room command.
    for command in ("!anonym", "!meine", "!vergessen", "!hilfe", "!status"):
        assert command in body, body
    for command in ("!runde", "!digest", "!weiter"):
        assert command not in body, body

    # The next plain message the same day gets no second answer; a command still does.
    anna.send_text(direct, "Noch eine Frage")
    ping_and_wait(anna, direct, bot)
    wait_settled(bot)
    notices = [n["content"]["body"] for n in bot_notices(anna.messages(direct), bot.user_id)]
    assert sum("Hier können Sie" in n for n in notices) == 1, notices
    # No room welcome in a direct chat.
    assert not any(is_welcome(n) for n in notices), notices

    # In the group room a plain message is a message, not a question to the bot.
    anna.send_text(room, "Hallo zusammen")
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    assert not any("Hier können Sie" in n["content"]["body"]
                   for n in bot_notices(anna.messages(room), bot.user_id))
