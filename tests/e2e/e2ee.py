"""The independent end-to-end-encrypted participant of the e2e tests (issue 14).

Owns E2ee, a synchronous facade over matrix-nio's AsyncClient with encryption (nio 0.26 runs
Olm/Megolm through vodozemac's Python bindings, so it shares no code with the bot's
matrix-sdk-crypto), the late-room-key device (LateKey), the decrypted timeline reader and a
cross-signing check written from the spec (/keys/query + Ed25519 over canonical JSON).

All E2ee share one asyncio loop in one daemon thread: nio's SQLite store binds its peewee
models globally per call, so two stores used from two threads at once read each other's
tables. Per client, a background task is the only one that /syncs (two concurrent syncs would process one batch twice) and keeps the keys up to date
(upload, query, claim, queued to-device messages); the test thread submits coroutines to that
loop and blocks on their result, so nio is only ever touched from its own thread.

Reading: timeline() reads /messages over plain HTTP and decrypts each m.room.encrypted event
with the inbound Megolm sessions nio holds, bypassing nio's event parsing: the result has the
shape of Client.messages() (so the helpers in helpers.py work on it) with decrypted events in
clear form, marked "decrypted": True; events whose key is missing stay m.room.encrypted and are
marked "undecryptable": True.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import pytest

from localhs import Client, HarnessError, wait_for

import nio  # noqa: E402  (the venv made by scripts/venv.sh has it)
from nio.crypto.sessions import OutboundGroupSession

logging.getLogger("nio").setLevel(logging.WARNING)

MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "",
                    "content": {"algorithm": MEGOLM}}
CALL_TIMEOUT = 60.0


_LOOP: Optional[asyncio.AbstractEventLoop] = None
_LOOP_LOCK = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, daemon=True, name="nio").start()
        return _LOOP


class E2eeError(RuntimeError):
    """nio answered an error, or the E2EE participant could not do what was asked."""


def _ok(response: Any, what: str) -> Any:
    if isinstance(response, nio.ErrorResponse):
        raise E2eeError(f"{what}: {response}")
    return response


class E2ee:
    """One device of a Matrix user, with end-to-end encryption, driven synchronously.

    E2ee.attach(account, dir): the device the `user` fixture registered (its token and device
    id; nio creates and uploads the device keys). E2ee.new_device(account, dir): a fresh password
    login, i.e. a second device of the same user. The plain Client (`.http`) shares the token, for
    calls that need no encryption (invite, membership, redaction)."""

    def __init__(self, account: Client, store_dir: Path, access_token: str, device_id: str):
        self.account = account
        self.user_id = account.user_id
        self.device_id = device_id
        self.http = Client(account.base_url, account.user_id, access_token, device_id,
                           password=account.password)
        self.store_dir = Path(store_dir)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.errors: list[str] = []
        self._synced = 0
        self._closing = False
        self._loop = _shared_loop()
        self.nio: nio.AsyncClient = self._run(self._open(access_token))
        self._send_lock: Optional[asyncio.Lock] = None
        self._queried: set[str] = set()
        self._sync_task = asyncio.run_coroutine_threadsafe(self._sync_loop(), self._loop)

    def __repr__(self) -> str:
        return f"E2ee({self.user_id} {self.device_id})"

    # --- set-up and teardown ----------------------------------------------------------------

    @classmethod
    def attach(cls, account: Client, store_dir: Path) -> "E2ee":
        if not account.device_id:
            raise HarnessError(f"{account} has no device id to attach to")
        return cls(account, store_dir, account.access_token, account.device_id)

    @classmethod
    def new_device(cls, account: Client, store_dir: Path, name: str = "second") -> "E2ee":
        """A new login of the same user (a new device with its own keys)."""
        if not account.password:
            raise HarnessError(f"{account} has no password for a second login")
        body = {"type": "m.login.password", "password": account.password,
                "identifier": {"type": "m.id.user", "user": account.user_id},
                "initial_device_display_name": name}
        login = Client(account.base_url, account.user_id, "").request(
            "POST", "/_matrix/client/v3/login", body)
        return cls(account, store_dir, login["access_token"], login["device_id"])

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._sync_task.cancel()
        try:
            self._run(self.nio.close(), timeout=10)
        except Exception:  # closing must not hide the test's own failure
            pass

    def _run(self, coro, timeout: float = CALL_TIMEOUT) -> Any:
        """Runs a coroutine on the client's loop and waits for its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError as e:
            future.cancel()
            raise E2eeError(f"{self}: a call took longer than {timeout:.0f} s") from e

    async def _open(self, access_token: str) -> nio.AsyncClient:
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True,
                                       max_limit_exceeded=0, max_timeouts=0)
        client = nio.AsyncClient(self.account.base_url, self.user_id, self.device_id,
                                 store_path=str(self.store_dir), config=config)
        client.restore_login(self.user_id, self.device_id, access_token)
        if client.should_upload_keys:
            _ok(await client.keys_upload(), "keys upload")
        _ok(await client.sync(timeout=0, full_state=True), "first sync")
        await self._keys(client)
        return client

    @staticmethod
    async def _keys(client: nio.AsyncClient) -> None:
        """What nio's sync_forever does between syncs: keys and queued to-device messages."""
        if client.should_upload_keys:
            _ok(await client.keys_upload(), "keys upload")
        if client.should_query_keys:
            _ok(await client.keys_query(), "keys query")
        if client.should_claim_keys:
            _ok(await client.keys_claim(client.get_users_for_key_claiming()), "keys claim")
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()

    async def _sync_loop(self) -> None:
        while not self._closing:
            try:
                response = await self.nio.sync(timeout=2000)
                if isinstance(response, nio.ErrorResponse):
                    self.errors.append(f"sync: {response}")
                    await asyncio.sleep(0.5)
                    continue
                await self._keys(self.nio)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # kept for the test's message; the loop goes on
                self.errors.append(f"sync: {e!r}")
                await asyncio.sleep(0.5)
            self._synced += 1

    def sync_once(self, timeout: float = 30) -> None:
        """Waits until a sync that started after this call has been processed."""
        target = self._synced + 2
        wait_for(lambda: self._synced >= target, timeout, f"{self} to sync", interval=0.05)

    # --- rooms ------------------------------------------------------------------------------

    def create_room(self, name: Optional[str] = None, invite: Iterable[str] = (),
                    direct: bool = False, encrypted: bool = True) -> str:
        """An (encrypted by default) room with m.room.encryption in its initial state."""
        extra = {"is_direct": True} if direct else None
        room_id = self.http.create_room(
            name=name, invite=invite, encrypted=encrypted,
            preset="trusted_private_chat" if direct else "private_chat", extra=extra)
        self.wait_room(room_id)
        return room_id

    def create_direct(self, user_id: str) -> str:
        """An encrypted direct chat (is_direct) with user_id, as Element opens one."""
        return self.create_room(invite=[user_id], direct=True)

    def invite(self, room_id: str, user_id: str) -> None:
        self.http.invite(room_id, user_id)

    def join(self, room_id: str) -> None:
        self.http.join(room_id)
        self.wait_room(room_id)

    def wait_room(self, room_id: str, timeout: float = 30) -> None:
        wait_for(lambda: room_id in self.nio.rooms and self.nio.rooms[room_id].encrypted
                 is not None, timeout, f"{self} to see {room_id}", interval=0.05)

    def wait_member(self, room_id: str, user_id: str, devices: int = 1,
                    timeout: float = 30) -> None:
        """Waits until this client sees user_id joined to the room and knows at least `devices`
        of their device keys: a message sent after that has its room key shared with them."""
        def known() -> bool:
            room = self.nio.rooms.get(room_id)
            member = room.users.get(user_id) if room else None
            if member is None or member.invited:
                return False
            count = len(list(self.nio.device_store.active_user_devices(user_id)))
            if count < devices:
                self.nio.olm.users_for_key_query.add(user_id)  # asked at the next sync
                return False
            return True
        wait_for(known, timeout, f"{self} to know {user_id} in {room_id} with {devices} "
                                 f"device(s)", interval=0.1)

    # --- sending ----------------------------------------------------------------------------

    def send(self, room_id: str, event_type: str, content: dict) -> str:
        """Sends an event, encrypted in an encrypted room; the room key goes to every device of
        every member, verified or not (the bot's device is not verified by a participant).
        m.relates_to is also copied to the clear part of m.room.encrypted, as Element and
        matrix-rust-sdk do, so that the server can relate (and redact) it."""
        return self._run(self._send(room_id, event_type, content))

    async def _send(self, room_id: str, event_type: str, content: dict) -> str:
        if self._send_lock is None:
            self._send_lock = asyncio.Lock()
        async with self._send_lock:
            room = self.nio.rooms.get(room_id)
            if room is None or not room.encrypted:
                raise E2eeError(f"{self}: {room_id} is not an encrypted room it knows")
            await self._share(room_id)
            # nio copies m.relates_to to the clear part; nio's room_send would leave a
            # reaction unencrypted, so the ciphertext is sent as it is.
            wire_type, wire = self.nio.encrypt(room_id, event_type, dict(content))
            return await asyncio.to_thread(self.http.send_event, room_id, wire_type, wire)

    async def _share(self, room_id: str) -> None:
        room = self.nio.rooms[room_id]
        if not room.members_synced:
            _ok(await self.nio.joined_members(room_id), "joined members")
        # nio asks for a member's device keys only when it notices a change; a member this
        # device has never asked about would silently get no room key.
        unknown = set(room.users) - self._queried
        if unknown:
            self.nio.olm.users_for_key_query.update(unknown)
            self._queried |= unknown
        if self.nio.should_query_keys:
            _ok(await self.nio.keys_query(), "keys query")
        if self.nio.olm.should_share_group_session(room_id):
            _ok(await self.nio.share_group_session(room_id, ignore_unverified_devices=True),
                "room key share")

    def send_text(self, room_id: str, body: str, extra: Optional[dict] = None) -> str:
        content = {"msgtype": "m.text", "body": body}
        content.update(extra or {})
        return self.send(room_id, "m.room.message", content)

    def react(self, room_id: str, event_id: str, key: str) -> str:
        return self.send(room_id, "m.reaction", {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}})

    def edit(self, room_id: str, event_id: str, new_body: str) -> str:
        return self.send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": f"* {new_body}",
            "m.new_content": {"msgtype": "m.text", "body": new_body},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})

    def reply_in_thread(self, room_id: str, root_id: str, body: str) -> str:
        return self.send_text(room_id, body, extra={"m.relates_to": {
            "rel_type": "m.thread", "event_id": root_id, "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_id}}})

    def redact(self, room_id: str, event_id: str, reason: Optional[str] = None) -> str:
        """Redactions are never encrypted."""
        return self.http.redact(room_id, event_id, reason)

    # --- reading ----------------------------------------------------------------------------

    def timeline(self, room_id: str) -> list[dict]:
        """Every event of the room, oldest first, encrypted ones decrypted where this device
        holds the key (see the module docstring)."""
        events = self.http.messages(room_id)
        return self._run(self._decrypt_all(room_id, events))

    async def _decrypt_all(self, room_id: str, events: list[dict]) -> list[dict]:
        sessions = {}
        for session in self.nio.olm.inbound_group_store:
            if session.room_id == room_id:
                sessions[session.id] = session
        return [self._decrypted(room_id, ev, sessions) for ev in events]

    @staticmethod
    def _decrypted(room_id: str, event: dict, sessions: dict) -> dict:
        if event.get("type") != "m.room.encrypted":
            return event
        wire = event.get("content", {})
        session = sessions.get(wire.get("session_id"))
        plain = None
        if session is not None and wire.get("algorithm") == MEGOLM:
            try:
                text, _index = session.decrypt(wire["ciphertext"])
                plain = json.loads(text)
            except Exception:  # noqa: BLE001 - a bad ciphertext is just undecryptable
                plain = None
        if not isinstance(plain, dict) or plain.get("room_id") != room_id:
            return dict(event, undecryptable=True)
        content = dict(plain.get("content") or {})
        if "m.relates_to" in wire and "m.relates_to" not in content:
            content["m.relates_to"] = wire["m.relates_to"]
        return dict(event, type=plain.get("type"), content=content, decrypted=True)

    def messages(self, room_id: str) -> list[dict]:
        """Decrypted m.room.message events only (sender, body, …), oldest first."""
        return [e for e in self.timeline(room_id) if e.get("type") == "m.room.message"]

    def wait_timeline(self, room_id: str, predicate: Callable[[list[dict]], Any], what: str,
                      timeout: float = 30, interval: float = 0.3) -> Any:
        """Polls the decrypted timeline until predicate(events) is truthy and returns that."""
        return wait_for(lambda: predicate(self.timeline(room_id)), timeout,
                        f"{self}: {what}", interval=interval)

    def wait_body(self, room_id: str, body: str, sender: Optional[str] = None,
                  timeout: float = 30) -> dict:
        """Waits for a decrypted message whose body contains `body` and returns it."""
        def find(events):
            for ev in events:
                if ev.get("type") == "m.room.message" and ev.get("decrypted") \
                        and body in ev["content"].get("body", "") \
                        and (sender is None or ev.get("sender") == sender):
                    return ev
            return None
        return self.wait_timeline(room_id, find, f"a decrypted message with {body!r}", timeout)

    # --- the late room key ------------------------------------------------------------------

    def send_late(self, room_id: str, body: str) -> "LateKey":
        """Sends a text whose Megolm session no one has yet: its own session, encrypted by hand
        and sent as a raw m.room.encrypted event. LateKey.release() shares the session later
        (Olm-encrypted m.room_key to-device messages to every device of the room's members).
        The sender's own device never gets the session either, so it cannot decrypt it."""
        return self._run(self._send_late(room_id, body))

    async def _send_late(self, room_id: str, body: str) -> "LateKey":
        if not self.nio.rooms[room_id].members_synced:
            _ok(await self.nio.joined_members(room_id), "joined members")
        session = OutboundGroupSession()
        session_key = session.session_key  # at index 0: must be taken before encrypting
        session.shared = True  # nio only encrypts with a "shared" session
        plain = {"type": "m.room.message", "room_id": room_id,
                 "content": {"msgtype": "m.text", "body": body}}
        wire = {"algorithm": MEGOLM, "ciphertext": session.encrypt(json.dumps(plain)),
                "sender_key": self.nio.olm.account.identity_keys["curve25519"],
                "session_id": session.id, "device_id": self.device_id}
        event_id = await asyncio.to_thread(self.http.send_event, room_id, "m.room.encrypted",
                                           wire)
        key = {"algorithm": MEGOLM, "room_id": room_id, "session_id": session.id,
               "session_key": session_key}
        return LateKey(self, room_id, event_id, key)

    async def _share_key(self, room_id: str, key: dict) -> int:
        """Sends one m.room_key to every device of the room's members (but this one)."""
        if self.nio.should_query_keys:
            _ok(await self.nio.keys_query(), "keys query")
        users = list(self.nio.rooms[room_id].users)
        missing = self.nio.get_missing_sessions(room_id)
        if missing:
            _ok(await self.nio.keys_claim(missing), "keys claim")
        messages: dict = {}
        olm = self.nio.olm
        for user_id in users:
            for device in olm.device_store.active_user_devices(user_id):
                if user_id == self.user_id and device.id == self.device_id:
                    continue
                session = olm.session_store.get(device.curve25519)
                if session is None:
                    continue
                messages.setdefault(user_id, {})[device.id] = olm._olm_encrypt(
                    session, device, "m.room_key", key)
        path = f"/_matrix/client/v3/sendToDevice/m.room.encrypted/late-{secrets.token_hex(8)}"
        await asyncio.to_thread(self.http.request, "PUT", path, {"messages": messages})
        return sum(len(v) for v in messages.values())

    # --- identity ---------------------------------------------------------------------------

    @property
    def ed25519(self) -> str:
        return self.nio.olm.account.identity_keys["ed25519"]


class LateKey:
    """An event sent by E2ee.send_late whose room key has not been shared yet."""

    def __init__(self, sender: E2ee, room_id: str, event_id: str, key: dict):
        self.sender, self.room_id, self.event_id, self.key = sender, room_id, event_id, key
        self.released_to = 0

    def release(self) -> int:
        """Shares the room key now; returns the number of devices it was sent to."""
        self.released_to = self.sender._run(self.sender._share_key(self.room_id, self.key))
        if not self.released_to:
            raise E2eeError(f"the late key of {self.event_id} reached no device")
        return self.released_to

    def release_after(self, seconds: float) -> threading.Thread:
        """Releases the key from a timer thread `seconds` from now."""
        def later():
            time.sleep(seconds)
            try:
                self.release()
            except Exception as e:  # seen by the test through released_to == 0
                self.sender.errors.append(f"late key: {e!r}")
        thread = threading.Thread(target=later, daemon=True, name="late-key")
        thread.start()
        return thread


@pytest.fixture
def e2ee(tmp_path):
    """e2ee(account) -> E2ee on the account's registered device; e2ee(account, second=True) ->
    a new device of the same user. Every one is closed at teardown."""
    made: list[E2ee] = []

    def make(account: Client, second: bool = False) -> E2ee:
        store = tmp_path / "nio" / f"{account.localpart}-{len(made)}"
        client = E2ee.new_device(account, store) if second else E2ee.attach(account, store)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# --- cross-signing, checked from the spec ---------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The Matrix canonical JSON of a value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode("utf-8")


def unpadded_b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def verify_signed(obj: dict, user_id: str, key_id: str, public_key_b64: str) -> bool:
    """True if obj carries a valid Ed25519 signature by `key_id` of user_id over its canonical
    JSON without "signatures" and "unsigned"."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    signature = ((obj.get("signatures") or {}).get(user_id) or {}).get(key_id)
    if not signature:
        return False
    signed = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    try:
        VerifyKey(unpadded_b64decode(public_key_b64)).verify(canonical_json(signed),
                                                             unpadded_b64decode(signature))
        return True
    except (BadSignatureError, ValueError):
        return False


def _only_ed25519(key: dict) -> Optional[tuple[str, str]]:
    """(key id, public key) of a cross-signing key with exactly one ed25519 key."""
    keys = list((key or {}).get("keys", {}).items())
    if len(keys) != 1 or not keys[0][0].startswith("ed25519:"):
        return None
    return keys[0]


def cross_signing_status(observer: Client, user_id: str, device_id: str) -> dict:
    """What /keys/query tells observer about user_id's device: the chain master key →
    self-signing key → device key, each link checked with Ed25519. `reason` says where the
    chain breaks (None when the device is cross-signed)."""
    answer = observer.request("POST", "/_matrix/client/v3/keys/query",
                              {"device_keys": {user_id: []}})
    device = (answer.get("device_keys", {}).get(user_id) or {}).get(device_id)
    master = answer.get("master_keys", {}).get(user_id)
    self_signing = answer.get("self_signing_keys", {}).get(user_id)
    status = {"device_known": device is not None, "master": None, "self_signing": None,
              "cross_signed": False, "reason": None}
    if device is None:
        return dict(status, reason=f"/keys/query knows no device {device_id} of {user_id}")
    master_key = _only_ed25519(master) if master and "master" in master.get("usage", []) \
        else None
    if master_key is None:
        return dict(status, reason=f"{user_id} has no master key")
    status["master"] = master_key[1]
    ssk = _only_ed25519(self_signing) if "self_signing" in (self_signing or {}).get("usage", []) \
        else None
    if ssk is None:
        return dict(status, reason=f"{user_id} has no self-signing key")
    status["self_signing"] = ssk[1]
    if master.get("user_id") != user_id or self_signing.get("user_id") != user_id:
        return dict(status, reason="a cross-signing key names another user")
    if not verify_signed(self_signing, user_id, *master_key):
        return dict(status, reason="the self-signing key is not signed by the master key")
    if device.get("user_id") != user_id or device.get("device_id") != device_id:
        return dict(status, reason="the device key names another user or device")
    if not verify_signed(device, user_id, *ssk):
        return dict(status, reason=f"device {device_id} is not signed by the self-signing key")
    return dict(status, cross_signed=True)


def wait_cross_signed(observer: Client, user_id: str, device_id: str,
                      alive: Callable[[], Any] = lambda: None, timeout: float = 60) -> dict:
    """Waits until observer sees user_id's device cross-signed (alive() is called on every try,
    e.g. to fail fast when the bot died); its cross_signing_status. A timeout names where the
    chain broke."""
    def signed():
        alive()
        return cross_signing_status(observer, user_id, device_id)["cross_signed"]
    try:
        wait_for(signed, timeout, f"{user_id}'s device {device_id} to be cross-signed",
                 interval=1.0)
    except HarnessError as e:
        status = cross_signing_status(observer, user_id, device_id)
        raise AssertionError(f"{e}: {status['reason']} ({status})") from e
    return cross_signing_status(observer, user_id, device_id)


def is_cross_signed(observer: Client, user_id: str, device_id: str) -> bool:
    return cross_signing_status(observer, user_id, device_id)["cross_signed"]
