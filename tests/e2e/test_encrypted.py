"""Encrypted rooms: the bot says once, plainly, that it cannot read encrypted messages."""

from helpers import ensure_alive, join_bot, ping_and_wait, wait_settled, wait_for

FAKE_CIPHERTEXT = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcA0Nz",
                   "sender_key": "senderkey", "session_id": "session", "device_id": "DEVICE"}


def _encryption_notices(client, room, bot):
    return [e for e in client.messages(room)
            if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"
            and "verschlüsselt" in e.get("content", {}).get("body", "")]


def test_encrypted_room_notice_once_even_after_restart(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    plain = join_bot(anna, bot, name="Klartext")
    encrypted = join_bot(anna, bot, name="Verschlüsselt", encrypted=True)

    anna.send_event(encrypted, "m.room.encrypted", FAKE_CIPHERTEXT)
    notices = wait_for(lambda: ensure_alive(bot) or _encryption_notices(anna, encrypted, bot), 30,
                       "the bot's notice that it cannot read encrypted messages")
    assert notices[0]["content"].get("msgtype") == "m.notice", notices[0]["content"]
    assert notices[0]["content"].get("m.mentions") == {}, notices[0]["content"]

    assert bot.stop() == 0
    bot.start()
    anna.send_event(encrypted, "m.room.encrypted", FAKE_CIPHERTEXT)
    anna.send_text(encrypted, "Klartext im verschlüsselten Raum")
    ping_and_wait(anna, plain, bot)
    wait_settled(bot)
    notices = _encryption_notices(anna, encrypted, bot)
    assert len(notices) == 1, f"expected one encryption notice, got {len(notices)}"
