"""The crypto library is loaded only when the bot first needs encryption (issue 17, item 3): a bot
that is only in clear rooms has none of it in memory and no device keys on the server; invited to
an encrypted room, it loads the library and uploads its keys before it joins, so the first
message there is encrypted for it too. Observed from outside: /proc/PID/maps of the running bot
and /keys/query of the homeserver."""

from pathlib import Path

from e2ee import e2ee  # noqa: F401 (fixture)
from helpers import ensure_alive, join_bot, wait_reply
from test_e2ee import bot_device, crypto_bot, encrypted_room, invite_bot, ping

CRYPTO_LIBRARY = "libreflexbot_crypto.so"


def mapped(bot, name: str) -> bool:
    """True if the running bot has a file named `name` mapped."""
    ensure_alive(bot)
    return any(line.rstrip().endswith("/" + name)
               for line in Path(f"/proc/{bot.pid}/maps").read_text().splitlines())


def device_keys(observer, bot) -> dict:
    """The bot's device keys as the homeserver hands them out (empty: none uploaded)."""
    answer = observer.request("POST", "/_matrix/client/v3/keys/query",
                              {"device_keys": {bot.user_id: []}})
    return answer.get("device_keys", {}).get(bot.user_id, {})


def test_the_crypto_library_is_loaded_when_the_first_encrypted_room_comes(make_bot, user, e2ee):
    anna = e2ee(user("anna"))
    bot = crypto_bot(make_bot, [anna.user_id])

    # A clear room: the bot answers there without any encryption.
    clear = join_bot(anna.http, bot, "Klartext")
    wait_reply(anna.http, clear, bot, anna.http.send_text(clear, "!ping"))
    assert not mapped(bot, CRYPTO_LIBRARY), "the crypto library is loaded without an encrypted room"
    assert device_keys(anna.http, bot) == {}, "the bot uploaded device keys without needing them"

    # The first encrypted room: loaded before the join, keys on the server, the first message read.
    room = encrypted_room(anna, [], "Verschlüsselt")
    invite_bot(anna, room, bot)
    assert mapped(bot, CRYPTO_LIBRARY), "the bot joined an encrypted room without its crypto library"
    assert bot_device(bot) in device_keys(anna.http, bot)
    ping(anna, room, bot)
    assert "loading the crypto library" in bot.log_path.read_text()
