"""The digest's chart against Synapse (issue 18): `!digest` in the network room is followed by one
m.image whose file is a PNG as its `info` describes it, with an alt text in words; the bot killed
between the upload and the send posts it once and uploads it once; in an encrypted room the
homeserver only ever holds ciphertext, which an independent client (matrix-nio) decrypts.

Participants are driven by the harness's client (scripts/localhs.py) and matrix-nio, never by
the bot's code."""

import base64
import hashlib
import json
import struct

from e2ee import e2ee  # noqa: F401 (fixture)
from faultproxy import FaultProxy
from helpers import db_rows, ensure_alive, ping_and_wait, wait_bot_notice, wait_for
from localhs import is_message
from nio.crypto.attachments import decrypt_attachment

WAIT = 30
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Three contributions on one theme in two cities (a theme that recurs: the chart has a row).
THEME = [
    ("koeln", "Die Einarbeitung neuer Kolleginnen im Krisenstab dauerte viel zu lange #personal"),
    ("koeln", "Neue Kolleginnen im Krisenstab brauchten Wochen für die Einarbeitung #personal"),
    ("leipzig", "Einarbeitung der neuen Kolleginnen im Krisenstab: viel zu lange #personal"),
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: {data[:16]!r}"
    assert data[12:16] == b"IHDR", data[:32]
    return struct.unpack(">II", data[16:24])


def bot_images(events, bot) -> list[dict]:
    return [e for e in events if e.get("sender") == bot.user_id and is_message(e)
            and e.get("content", {}).get("msgtype") == "m.image"]


def network_with_two_cities(make_bot, user, **bot_kwargs):
    """A moderator, Köln and Leipzig rooms with a participant each, a network room, the bot in
    all three, and the three contributions of THEME collected. Returns (mod, bot, network)."""
    mod, anna, clara = user("moderation"), user("anna"), user("clara")
    koeln = mod.create_room(name="Reflexion Köln", invite=[anna.user_id])
    leipzig = mod.create_room(name="Reflexion Leipzig", invite=[clara.user_id])
    network = mod.create_room(name="Netzwerk")
    anna.join(koeln)
    clara.join(leipzig)
    bot = make_bot(allowlist=[mod.user_id],
                   rooms=[{"room_id": koeln, "city": "Köln"},
                          {"room_id": leipzig, "city": "Leipzig"}],
                   extra={"network_room": network}, **bot_kwargs)
    for room in (koeln, leipzig, network):
        mod.invite(room, bot.user_id)
        wait_for(lambda: ensure_alive(bot) or mod.membership(room, bot.user_id) == "join", WAIT,
                 f"the bot to join {room}")
        ping_and_wait(mod, room, bot)
    collect(bot, [(anna, koeln), (clara, leipzig)])
    return mod, bot, network


def collect(bot, writers) -> None:
    """Posts THEME (Köln's lines by writers[0], Leipzig's by writers[1]) and waits until the bot
    has collected all three."""
    posted = []
    for city, text in THEME:
        who, room = writers[0] if city == "koeln" else writers[1]
        posted.append(who.send_text(room, text))
    for event_id in posted:
        wait_for(lambda: ensure_alive(bot) or db_rows(
            bot, "SELECT 1 FROM contributions WHERE event_id = ?", (event_id,)), WAIT,
            f"{event_id} collected")


def wait_images(client, room, bot, what):
    return wait_for(lambda: ensure_alive(bot) or (
        lambda evs: evs if bot_images(evs, bot) else None)(client.messages(room)), WAIT, what)


def ask_network_digest(mod, bot, network):
    asked = mod.send_text(network, "!digest")
    return asked, wait_bot_notice(mod, network, bot,
                                  lambda b: b.startswith("Digest des Netzwerks"),
                                  "the network digest", after=asked, timeout=WAIT)


def test_the_network_digest_is_followed_by_its_chart(make_bot, user):
    mod, bot, network = network_with_two_cities(make_bot, user)
    _, digest = ask_network_digest(mod, bot, network)
    events = wait_images(mod, network, bot, "the digest's chart")
    images = bot_images(events, bot)
    assert len(images) == 1, images
    image = images[0]
    ids = [e["event_id"] for e in events]
    assert ids.index(image["event_id"]) > ids.index(digest["event_id"]), "chart before the text"

    content = image["content"]
    info = content["info"]
    assert info["mimetype"] == "image/png", content
    assert content["filename"].startswith("themen-") and content["filename"].endswith(".png")
    assert content["url"].startswith("mxc://"), content
    assert "file" not in content, content
    # The alt text says in words what the chart shows (screen readers read `body`).
    alt = content["body"]
    for word in ("Köln", "Leipzig"):
        assert word in alt, alt
    assert content.get("m.mentions") == {}, content

    data = mod.download(content["url"])
    assert len(data) == info["size"], (len(data), info)
    width, height = png_size(data)
    assert (width, height) == (info["w"], info["h"]), (width, height, info)
    assert width <= 1000, width

    # Nothing kept: the file left the store once the event named it.
    assert db_rows(bot, "SELECT COUNT(*) FROM outbox_media")[0][0] == 0


def test_killed_between_upload_and_send_posts_one_chart_from_one_upload(make_bot, user, hs,
                                                                        admin):
    with FaultProxy("127.0.0.1", hs.port, seed=18) as proxy:
        mod, bot, network = network_with_two_cities(make_bot, user, homeserver_url=proxy.url)

        # Every send after the upload is held: the chart's upload succeeds, its event never
        # reaches Synapse, and the bot is killed while it waits for the answer.
        proxy.hold("send", after="upload")
        ask_network_digest(mod, bot, network)
        wait_for(lambda: ensure_alive(bot) or proxy.held["send"] > 0, WAIT,
                 "the chart's send to be held after its upload")
        # The file is gone from the store; the pending event names the uploaded file.
        assert db_rows(bot, "SELECT COUNT(*) FROM outbox_media")[0][0] == 0
        pending = [json.loads(row[0]) for row in db_rows(
            bot, "SELECT content FROM outbox WHERE state = 'pending' AND kind = 'send'")]
        assert [c.get("msgtype") for c in pending] == ["m.image"], pending
        uri = pending[0]["url"]
        assert uri.startswith("mxc://"), pending
        bot.kill()
        bot.wait()
        proxy.release()
        assert bot_images(mod.messages(network), bot) == []

        bot.start()
        wait_images(mod, network, bot, "the chart after the restart")
        ping_and_wait(mod, network, bot)  # anything still queued has gone out by now
        images = bot_images(mod.messages(network), bot)
        assert len(images) == 1, images
        assert images[0]["content"]["url"] == uri

    # Synapse's own count of the bot's uploads: one.
    media = admin.request("GET", f"/_synapse/admin/v1/users/{admin.q(bot.user_id)}/media")
    assert media.get("total") == 1, media


def test_in_an_encrypted_network_room_the_chart_is_an_encrypted_attachment(make_bot, user, e2ee):
    from test_e2ee import crypto_bot, invite_bot  # the encrypted set-up of issue 14

    mod_account = user("moderation")
    mod = e2ee(mod_account)
    anna, clara = user("anna"), user("clara")
    koeln = mod_account.create_room(name="Reflexion Köln", invite=[anna.user_id])
    leipzig = mod_account.create_room(name="Reflexion Leipzig", invite=[clara.user_id])
    anna.join(koeln)
    clara.join(leipzig)
    network = mod.create_room(name="Netzwerk – verschlüsselt")
    bot = crypto_bot(make_bot, [mod.user_id],
                     rooms=[{"room_id": koeln, "city": "Köln"},
                            {"room_id": leipzig, "city": "Leipzig"}],
                     extra={"network_room": network})
    for room in (koeln, leipzig):
        mod_account.invite(room, bot.user_id)
        wait_for(lambda: ensure_alive(bot) or mod_account.membership(room, bot.user_id) == "join",
                 WAIT, f"the bot to join {room}")
        ping_and_wait(mod_account, room, bot)
    invite_bot(mod, network, bot)
    collect(bot, [(anna, koeln), (clara, leipzig)])

    mod.send_text(network, "!digest")
    events = mod.wait_timeline(network, lambda evs: evs if bot_images(evs, bot) else None,
                               "the chart, decrypted", timeout=60)
    images = bot_images(events, bot)
    assert len(images) == 1, images
    assert images[0].get("decrypted"), images[0]
    content = images[0]["content"]
    assert "url" not in content, content
    file = content["file"]
    assert file["v"] == "v2" and file["key"]["alg"] == "A256CTR", file

    # Synapse holds ciphertext: no PNG signature, and the hash the event names.
    ciphertext = mod_account.download(file["url"])
    assert not ciphertext.startswith(PNG_SIGNATURE)
    digest = hashlib.sha256(ciphertext).digest()
    assert base64.b64encode(digest).decode().rstrip("=") == file["hashes"]["sha256"].rstrip("=")
    # matrix-nio's own implementation decrypts it into the PNG the event describes.
    plain = decrypt_attachment(ciphertext, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
    assert len(plain) == content["info"]["size"]
    assert png_size(plain) == (content["info"]["w"], content["info"]["h"])
    # Nothing in clear in the room: the bot's events there are all m.room.encrypted.
    clear = [e for e in mod_account.messages(network)
             if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]
    assert clear == [], clear
