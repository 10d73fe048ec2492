"""Encryption the bot cannot handle: a room encrypted with an unknown algorithm gets one plain
notice, also after a restart; a Megolm room (the usual one) gets none, and a ciphertext nobody
can decrypt does not stop the bot. Real encrypted rounds are in test_e2ee.py."""

from helpers import ensure_alive, join_bot, ping_and_wait, wait_settled, wait_for

UNKNOWN_ALGORITHM = "org.example.quantum.v1"
FAKE_CIPHERTEXT = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcA0Nz",
                   "sender_key": "senderkey", "session_id": "session", "device_id": "DEVICE"}


def _encryption_notices(client, room, bot):
    return [e for e in client.messages(room)
            if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"
            and "verschlüsselt" in e.get("content", {}).get("body", "")]


def _room_with_algorithm(owner, bot, name, algorithm):
    room = owner.create_room(name=name, invite=[bot.user_id], extra={"initial_state": [
        {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": algorithm}}]})
    wait_for(lambda: ensure_alive(bot) or owner.membership(room, bot.user_id) == "join", 30,
             f"the bot to join {name}")
    return room


def test_unknown_algorithm_gets_one_notice_even_after_restart(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    plain = join_bot(anna, bot, name="Klartext")
    unknown = _room_with_algorithm(anna, bot, "Unbekannt verschlüsselt", UNKNOWN_ALGORITHM)

    notices = wait_for(lambda: ensure_alive(bot) or _encryption_notices(anna, unknown, bot), 30,
                       "the bot's notice that it cannot handle the room's encryption")
    content = notices[0]["content"]
    assert content.get("msgtype") == "m.notice", content
    assert content.get("m.mentions") == {}, content
    assert "nicht kenne" in content["body"], content["body"]

    assert bot.stop() == 0
    bot.start()
    anna.send_text(unknown, "Klartext im unbekannt verschlüsselten Raum")
    ping_and_wait(anna, plain, bot)
    wait_settled(bot)
    assert len(_encryption_notices(anna, unknown, bot)) == 1


def test_megolm_room_gets_no_notice_and_garbage_ciphertext_harms_nothing(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    plain = join_bot(anna, bot, name="Klartext")
    megolm = join_bot(anna, bot, name="Verschlüsselt", encrypted=True)
    anna.send_event(megolm, "m.room.encrypted", FAKE_CIPHERTEXT)
    ping_and_wait(anna, plain, bot)
    wait_settled(bot)
    assert _encryption_notices(anna, megolm, bot) == []
    assert ensure_alive(bot) is None or bot.alive()
    # The bot's own messages to the Megolm room are encrypted: nothing it sends there is clear.
    clear = [e for e in anna.messages(megolm)
             if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]
    assert clear == [], clear
