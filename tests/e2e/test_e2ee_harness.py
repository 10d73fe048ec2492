"""The E2EE participant harness (tests/e2e/e2ee.py) proven with two nio participants, no bot:
encrypted messages both ways, reactions, edits, redactions, a room key that comes late, a second
device, and the cross-signing check against a chain built here by hand."""

import secrets
import time

from nacl.signing import SigningKey

from e2ee import (E2ee, canonical_json, cross_signing_status, e2ee,  # noqa: F401 (fixture)
                  is_cross_signed)
from helpers import reactions_to
from localhs import Client, MatrixError

WAIT = 30


def pair(user, e2ee):
    """alice's encrypted room with bob joined; each knows the other's device."""
    alice, bob = e2ee(user("alice")), e2ee(user("bob"))
    room = alice.create_room(name="Verschlüsselt", invite=[bob.user_id])
    bob.join(room)
    alice.wait_member(room, bob.user_id)
    bob.wait_member(room, alice.user_id)
    return alice, bob, room


def test_two_participants_read_each_other_and_the_server_reads_nothing(user, e2ee):
    alice, bob, room = pair(user, e2ee)
    hello = f"Hallo Bob, geheim {secrets.token_hex(4)}"
    sent = alice.send_text(room, hello)
    got = bob.wait_body(room, hello, sender=alice.user_id)
    assert got["event_id"] == sent and got["content"]["msgtype"] == "m.text", got
    answer = f"Hallo Alice, auch geheim {secrets.token_hex(4)}"
    answer_id = bob.send_text(room, answer)
    alice.wait_body(room, answer, sender=bob.user_id)

    raw = {e["event_id"]: e for e in alice.http.messages(room)}
    for event_id, text in ((sent, hello), (answer_id, answer)):
        assert raw[event_id]["type"] == "m.room.encrypted", raw[event_id]
        assert text not in str(raw[event_id]), "the server holds the plaintext"

    # A reaction (encrypted, its relation in the clear), an edit and a redaction.
    reaction = bob.react(room, sent, "👍")
    assert raw_type(alice, room, reaction) == "m.room.encrypted", "the reaction went out in clear"
    alice.wait_timeline(room, lambda evs: reactions_to(evs, sent, "👍", bob.user_id),
                        "bob's decrypted 👍 on the first message")
    edited = f"Hallo Bob, bearbeitet {secrets.token_hex(4)}"
    edit_id = alice.edit(room, sent, edited)
    edit = bob.wait_body(room, edited, sender=alice.user_id)
    assert edit["event_id"] == edit_id
    assert edit["content"]["m.new_content"]["body"] == edited
    assert edit["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": sent}
    pin = alice.react(room, answer_id, "📌")
    bob.wait_timeline(room, lambda evs: reactions_to(evs, answer_id, "📌", alice.user_id),
                      "alice's decrypted 📌")
    bob.redact(room, answer_id, reason="zurückgezogen")
    gone = alice.wait_timeline(
        room, lambda evs: [e for e in evs if e["event_id"] == answer_id
                           and not e.get("content")], "the redacted message to be empty")
    assert gone[0].get("type") == "m.room.encrypted" and not gone[0].get("decrypted")
    thread = bob.reply_in_thread(room, sent, "Im Thread")
    rel = bob.wait_body(room, "Im Thread")["content"]["m.relates_to"]
    assert rel["rel_type"] == "m.thread" and rel["event_id"] == sent, rel
    assert not alice.errors and not bob.errors, alice.errors + bob.errors
    assert pin and thread


def raw_type(client: E2ee, room: str, event_id: str) -> str:
    return next(e["type"] for e in client.http.messages(room) if e["event_id"] == event_id)


def undecryptable(client: E2ee, room: str, event_id: str) -> bool:
    ev = next(e for e in client.timeline(room) if e["event_id"] == event_id)
    return bool(ev.get("undecryptable"))


def test_a_late_room_key_makes_the_event_readable_only_when_it_arrives(user, e2ee):
    alice, bob, room = pair(user, e2ee)
    alice.send_text(room, "vorher")  # bob has an Olm session and an older room key
    bob.wait_body(room, "vorher")
    late = alice.send_late(room, "Der Schlüssel kommt später")
    assert raw_type(bob, room, late.event_id) == "m.room.encrypted"
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # bob keeps syncing: nothing unlocks it by itself
        assert undecryptable(bob, room, late.event_id), "decryptable before the key was shared"
        time.sleep(0.5)
    assert late.release() == 1, "the key should go to bob's one device only"
    got = bob.wait_body(room, "Der Schlüssel kommt später", sender=alice.user_id)
    assert got["event_id"] == late.event_id
    # Normal sends after the late one are unaffected (their own, shared session).
    alice.send_text(room, "nachher")
    bob.wait_body(room, "nachher")

    # release_after: the same, from a timer, as the bot tests use it.
    later = alice.send_late(room, "Noch ein später Schlüssel")
    started = time.monotonic()
    late_thread = later.release_after(2)
    assert undecryptable(bob, room, later.event_id)
    bob.wait_body(room, "Noch ein später Schlüssel")
    assert time.monotonic() - started >= 2
    late_thread.join(5)
    assert later.released_to == 1 and not alice.errors, alice.errors


def test_a_second_device_reads_what_is_sent_after_it_appeared(user, e2ee):
    alice, bob, room = pair(user, e2ee)
    before = bob.send_text(room, "bevor das zweite Gerät kam")
    alice.wait_body(room, "bevor das zweite Gerät kam")
    alice2 = e2ee(alice.account, second=True)
    assert alice2.device_id != alice.device_id and alice2.user_id == alice.user_id
    alice2.wait_room(room)
    bob.wait_member(room, alice.user_id, devices=2)
    bob.send_text(room, "für beide Geräte")
    alice2.wait_body(room, "für beide Geräte", sender=bob.user_id)
    alice.wait_body(room, "für beide Geräte", sender=bob.user_id)
    assert undecryptable(alice2, room, before), "a new device got an older room key"
    alice2.send_text(room, "vom zweiten Gerät")
    bob.wait_body(room, "vom zweiten Gerät", sender=alice.user_id)
    alice.wait_body(room, "vom zweiten Gerät")


def test_cross_signing_check_reads_the_chain_from_keys_query(user, e2ee):
    carl_account = user("carl")
    carl, dora = e2ee(carl_account), e2ee(user("dora"))
    status = cross_signing_status(dora.http, carl.user_id, carl.device_id)
    assert status["device_known"] and not status["cross_signed"], status
    assert "master key" in status["reason"], status
    assert not is_cross_signed(dora.http, carl.user_id, "NOSUCHDEVICE")

    master, ssk = bootstrap_by_hand(carl)
    status = cross_signing_status(dora.http, carl.user_id, carl.device_id)
    assert status["cross_signed"], status
    assert status["master"] == b64(master.verify_key.encode())

    # A second device that nobody signed is not cross-signed; a forged signature is rejected.
    carl2 = e2ee(carl_account, second=True)
    status = cross_signing_status(dora.http, carl.user_id, carl2.device_id)
    assert not status["cross_signed"] and "self-signing" in status["reason"], status
    upload_signature(carl2.http, device_key(carl2), SigningKey.generate(),
                     b64(ssk.verify_key.encode()))
    assert not is_cross_signed(dora.http, carl.user_id, carl2.device_id)


# --- building a cross-signing chain by hand (what the bot must do itself) ----------------------


def b64(raw: bytes) -> str:
    import base64
    return base64.b64encode(raw).decode().rstrip("=")


def sign(obj: dict, user_id: str, key: SigningKey) -> dict:
    signed = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    signature = b64(key.sign(canonical_json(signed)).signature)
    key_id = f"ed25519:{b64(key.verify_key.encode())}"
    out = dict(signed)
    out["signatures"] = {user_id: {key_id: signature}}
    return out


def device_key(client: E2ee) -> dict:
    answer = client.http.request("POST", "/_matrix/client/v3/keys/query",
                                 {"device_keys": {client.user_id: [client.device_id]}})
    return answer["device_keys"][client.user_id][client.device_id]


def upload_signature(http: Client, device: dict, key: SigningKey, key_pub: str) -> None:
    signed = sign(device, http.user_id, key)
    # Claim the signature comes from key_pub (a forgery when key is another key).
    signed["signatures"] = {http.user_id: {f"ed25519:{key_pub}":
                                           next(iter(signed["signatures"][http.user_id]
                                                     .values()))}}
    try:
        http.request("POST", "/_matrix/client/v3/keys/signatures/upload",
                     {http.user_id: {device["device_id"]: signed}})
    except MatrixError:
        pass  # Synapse may refuse a bad signature outright; the check must fail either way


def bootstrap_by_hand(client: E2ee) -> tuple[SigningKey, SigningKey]:
    """Master, self-signing and user-signing keys for the client's user, its device signed."""
    user_id = client.user_id
    master, ssk, usk = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()

    def public(usage: str, key: SigningKey) -> dict:
        pub = b64(key.verify_key.encode())
        return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{pub}": pub}}
    body = {"master_key": public("master", master),
            "self_signing_key": sign(public("self_signing", ssk), user_id, master),
            "user_signing_key": sign(public("user_signing", usk), user_id, master)}
    path = "/_matrix/client/v3/keys/device_signing/upload"
    try:
        client.http.request("POST", path, body)
    except MatrixError as e:  # user-interactive auth with the password
        if e.status != 401:
            raise
        body["auth"] = {"type": "m.login.password", "session": e.body.get("session"),
                        "identifier": {"type": "m.id.user", "user": user_id},
                        "password": client.account.password}
        client.http.request("POST", path, body)
    signed = sign(device_key(client), user_id, ssk)
    result = client.http.request("POST", "/_matrix/client/v3/keys/signatures/upload",
                                 {user_id: {client.device_id: signed}})
    assert not result.get("failures"), result
    return master, ssk
