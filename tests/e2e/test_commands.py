"""!ping, !hilfe, !help, and what the bot must not answer."""

import re

from helpers import (bot_replies, ensure_alive, join_bot, ping_and_wait, wait_settled,
                     wait_bot_message_after)

GERMAN = re.compile(r"\b(und|der|die|das|ist|nicht|ein|eine|zeigt|antwortet|befehle?|diese[rn]?|"
                    r"für|mit|wird|werden|über)\b", re.IGNORECASE)
ENGLISH = re.compile(r"\b(the|and|is|shows?|answers?|commands?|this|for|with|replies)\b",
                     re.IGNORECASE)


def _strip_commands(body: str) -> str:
    return re.sub(r"![a-z]+", " ", body)


def test_ping_gets_exactly_one_notice_reply(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)

    ping, reply = ping_and_wait(anna, room, bot)
    content = reply["content"]
    assert content.get("msgtype") == "m.notice", content
    assert content.get("body", "").startswith("Pong"), content
    assert content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == ping, content
    assert "m.mentions" in content and content["m.mentions"] == {}, content

    # A second ping answered proves the bot moved on; the first still has exactly one reply.
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    replies = bot_replies(anna.messages(room), bot.user_id)
    assert len(replies.get(ping, [])) == 1, replies.get(ping)


def test_hilfe_and_help_answered_in_german(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)

    for command in ("!hilfe", "!help"):
        event_id = anna.send_text(room, command)
        notice = wait_bot_message_after(anna, room, bot, event_id,
                                        what=f"the bot's answer to {command}")
        content = notice["content"]
        assert content.get("msgtype") == "m.notice", content
        assert content.get("m.mentions") == {}, content
        body = content.get("body", "")
        assert "!ping" in body, f"help text does not mention !ping: {body!r}"
        assert GERMAN.search(_strip_commands(body)), f"help text is not German: {body!r}"


def test_help_in_english_when_configured(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id], language="en")
    room = join_bot(anna, bot)
    event_id = anna.send_text(room, "!help")
    notice = wait_bot_message_after(anna, room, bot, event_id, what="the bot's answer to !help")
    body = notice["content"].get("body", "")
    assert notice["content"].get("msgtype") == "m.notice"
    assert ENGLISH.search(_strip_commands(body)), f"help text is not English: {body!r}"
    assert not re.search(r"\b(Befehl|Befehle|antwortet)\b", body), body


def test_notices_and_own_events_are_not_answered(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)

    notice = anna.send_notice(room, "!ping")
    ping_and_wait(anna, room, bot)
    wait_settled(bot)
    ensure_alive(bot)
    events = anna.messages(room)
    replies = bot_replies(events, bot.user_id)
    assert notice not in replies, "the bot answered an m.notice"
    # Its own notices never trigger anything: every bot message replies to a user's event.
    own_ids = {e["event_id"] for e in events if e.get("sender") == bot.user_id}
    assert not (own_ids & set(replies)), "the bot answered one of its own events"

