#!/usr/bin/env python3
"""Command latency side by side: Reflexbot and a 20-line matrix-nio ping bot in one room on one
local Synapse, pinged in turn (the order alternates pair by pair) by a matrix-nio client, and the
bot's own time per reply: from the /sync response that carried the ping to the PUT of the reply
leaving, timed by a timestamping TCP proxy between the bot and Synapse (in a pass of its own, so
that the side-by-side pass runs without it).

Run it with the harness venv's python (Synapse and matrix-nio live there):

    ~/.cache/reflexbot/venv/bin/python bench/reply_latency.py [--bin build/reflexbot] [--pings 100]

With --crypto the bot is first invited into a second, encrypted room, so that its crypto machine
is loaded and fed every /sync (as for every bot that has an encrypted room or a crypto store);
the pings stay in the clear room.

With --encrypted both passes run in an encrypted room: the pings are sent by an independent E2EE
client (tests/e2e/e2ee.py: matrix-nio with vodozemac), the peer is the same nio bot with
matrix-nio's encryption (it decrypts the ping and answers encrypted), and both bots' encrypted
replies are recognised by the m.relates_to they carry in the clear. --pings 0 skips the
side-by-side pass. The output also gives the bot's CPU time per ping.

Prints one line of JSON: latency_ms (reflexbot, nio: median, p90, min, max), reflexbot_faster
(pairs in which Reflexbot's reply came first), bot_time_ms (median, p90, min, max).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from localhs import Bot, Homeserver, wait_for  # noqa: E402

# The peer: a whole matrix-nio bot that answers "nioping …" with an m.notice reply. Given a store
# directory (a fifth argument) it runs with matrix-nio's end-to-end encryption (vodozemac, its own
# SQLite store): it decrypts the ping and answers encrypted, sharing its room key with every
# device of the room.
NIO_BOT = '''
import asyncio, sys, nio
async def main(url, user, token, device, store=None):
    if store:
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        client = nio.AsyncClient(url, user, device_id=device, store_path=store, config=config)
        client.restore_login(user, device, token)
    else:
        client = nio.AsyncClient(url, user, device_id=device)
        client.access_token = token
    async def on_invite(room, event):
        await client.join(room.room_id)
    async def on_message(room, event):
        if event.sender != user and event.body.startswith("nioping"):
            await client.room_send(room.room_id, "m.room.message", {
                "msgtype": "m.notice", "body": "pong", "m.mentions": {},
                "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}}},
                ignore_unverified_devices=True)
    if store and client.should_upload_keys:
        await client.keys_upload()
    first = await client.sync(timeout=0, full_state=bool(store))
    client.add_event_callback(on_invite, nio.InviteMemberEvent)
    client.add_event_callback(on_message, nio.RoomMessageText)
    print("ready", flush=True)
    await client.sync_forever(timeout=30000, since=first.next_batch)
asyncio.run(main(*sys.argv[1:]))
'''


class StampingProxy:
    """A TCP proxy that notes when each /sync response's bytes pass towards the bot and when
    each PUT …/send/ arrives from it (time.perf_counter, on one thread)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.sync_chunks: list[float] = []
        self.puts: list[float] = []
        self.port = 0
        self._ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _accept(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        state = {"sync": False}

        async def to_upstream():
            while data := await reader.read(65536):
                if data[:4] in (b"GET ", b"PUT ", b"POST"):
                    line = data.split(b"\r\n", 1)[0]
                    state["sync"] = b"/sync" in line
                    if line.startswith(b"PUT ") and b"/send/" in line:
                        self.puts.append(time.perf_counter())
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def to_bot():
            while data := await up_reader.read(65536):
                writer.write(data)
                await writer.drain()
                if state["sync"]:
                    self.sync_chunks.append(time.perf_counter())
            writer.close()

        await asyncio.gather(to_upstream(), to_bot(), return_exceptions=True)

    def bot_times_ms(self) -> list[float]:
        """Per PUT: the time since the last /sync bytes that went to the bot before it."""
        out = []
        for put in self.puts:
            before = [t for t in self.sync_chunks if t < put]
            if before:
                out.append((put - before[-1]) * 1000)
        return out


class Pinger:
    """A matrix-nio client that sends a text and waits until its /sync shows a reply to it."""

    def __init__(self, account):
        self.account = account
        self.loop = asyncio.new_event_loop()
        self.client = nio.AsyncClient(account.base_url, account.user_id,
                                      device_id=account.device_id or "")
        self.client.access_token = account.access_token
        self.since = self.run(self.client.sync(timeout=0)).next_batch

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def ping(self, room: str, text: str, replier: str, send=None) -> float:
        """`send(text)`, if given, sends the ping (e.g. encrypted) and returns its event id; the
        reply is recognised by its m.relates_to, which an encrypted reply carries in the clear."""
        async def go() -> float:
            started = time.perf_counter()
            if send is not None:
                sent_id = await asyncio.to_thread(send, text)
            else:
                sent = await self.client.room_send(room, "m.room.message",
                                                   {"msgtype": "m.text", "body": text})
                assert isinstance(sent, nio.RoomSendResponse), sent
                sent_id = sent.event_id
            while True:
                response = await self.client.sync(timeout=30000, since=self.since)
                self.since = response.next_batch
                joined = response.rooms.join.get(room)
                for event in joined.timeline.events if joined else []:
                    source = event.source
                    target = (source.get("content", {}).get("m.relates_to", {})
                              .get("m.in_reply_to", {}).get("event_id"))
                    if source.get("sender") == replier and target == sent_id:
                        return (time.perf_counter() - started) * 1000
        return self.run(go())


def figures(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3),
            "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
            "min": round(ordered[0], 3), "max": round(ordered[-1], 3), "n": len(ordered)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(REPO / "build" / "reflexbot"))
    parser.add_argument("--pings", type=int, default=100)
    parser.add_argument("--bot-time-pings", type=int, default=100)
    parser.add_argument("--crypto", action="store_true",
                        help="the bot is also in an encrypted room: its crypto machine runs")
    parser.add_argument("--encrypted", action="store_true",
                        help="ping in an encrypted room (the nio peer with encryption too)")
    parser.add_argument("--bot-tmp", default=None,
                        help="the directory for the bot's data (e.g. a tmpfs: fsync costs nothing)")
    args = parser.parse_args()
    e2ee_class = None
    if args.encrypted:
        sys.path.insert(0, str(REPO / "tests" / "e2e"))
        from e2ee import E2ee as e2ee_class  # noqa: E402 (needs the harness venv's matrix-nio)

    with tempfile.TemporaryDirectory(prefix="reply-latency-", dir=args.bot_tmp) as tmp, \
            Homeserver() as hs:
        owner = hs.register(hs.unique_name("pinger"))
        peer = hs.register(hs.unique_name("niobot"))
        account = hs.register(hs.unique_name("reflexbot"))
        bot = Bot(hs.url, account.user_id, account.access_token, Path(tmp) / "bot",
                  allowlist=[owner.user_id], device_id=account.device_id, log_level="info",
                  binary=Path(args.bin).resolve(), extra={"command_limit": {"burst": 0}})
        bot.start()
        peer_argv = [sys.executable, "-c", NIO_BOT, hs.url, peer.user_id, peer.access_token,
                     peer.device_id or ""]
        if args.encrypted:
            (Path(tmp) / "niobot").mkdir()
            peer_argv.append(str(Path(tmp) / "niobot"))
        nio_bot = subprocess.Popen(peer_argv, stdout=subprocess.PIPE, text=True)
        # In an encrypted room the pings are sent by an independent E2EE client.
        sender = e2ee_class.attach(owner, Path(tmp) / "pinger") if args.encrypted else None
        pinger = None
        try:
            assert nio_bot.stdout.readline().strip() == "ready"
            if args.crypto:
                secret = owner.create_room(name="Verschlüsselt", invite=[account.user_id],
                                           encrypted=True)
                wait_for(lambda: owner.membership(secret, account.user_id) == "join", 60,
                         "the bot to join the encrypted room")
                wait_for(lambda: "loading the crypto library" in bot.log_path.read_text(), 60,
                         "the bot to load its crypto library")
            maker = sender if sender is not None else owner
            room = maker.create_room(name="Reflexionsraum Latenz",
                                     invite=[account.user_id, peer.user_id])
            wait_for(lambda: owner.membership(room, account.user_id) == "join"
                     and owner.membership(room, peer.user_id) == "join", 60, "both bots to join")
            send = None
            if sender is not None:
                sender.wait_member(room, account.user_id, timeout=60)
                sender.wait_member(room, peer.user_id, timeout=60)

                def send(text: str) -> str:
                    return sender.send_text(room, text)
            pinger = Pinger(owner)
            ours, theirs = [], []
            if args.pings > 0:
                for i in range(3):  # warm-up (in an encrypted room: each bot shares its room key)
                    pinger.ping(room, f"!ping warm {i}", account.user_id, send)
                    pinger.ping(room, f"nioping warm {i}", peer.user_id, send)
                for i in range(args.pings):
                    order = [("!ping", account.user_id, ours), ("nioping", peer.user_id, theirs)]
                    if i % 2:
                        order.reverse()
                    for text, replier, out in order:
                        out.append(pinger.ping(room, f"{text} {i}", replier, send))
            bot.stop()

            # The bot's own time, through the stamping proxy.
            proxy = StampingProxy(hs.port)
            bot.config["homeserver"] = f"http://127.0.0.1:{proxy.port}"
            bot.write_config()
            bot.start()
            pinger.ping(room, "!ping warm", account.user_id, send)
            proxy.puts.clear()
            proxy.sync_chunks.clear()
            cpu_before = process_cpu_seconds(bot.pid)
            for i in range(args.bot_time_pings):
                pinger.ping(room, f"!ping {i}", account.user_id, send)
            cpu_per_ping_ms = (process_cpu_seconds(bot.pid) - cpu_before) / args.bot_time_pings * 1000
            bot_times = proxy.bot_times_ms()
            bot.stop()
        finally:
            nio_bot.terminate()
            if pinger is not None:
                pinger.run(pinger.client.close())
            if sender is not None:
                sender.close()
            bot.stop()
    out = {"binary": args.bin, "crypto": args.crypto, "encrypted": args.encrypted,
           "bot_time_ms": figures(bot_times), "bot_cpu_ms_per_ping": round(cpu_per_ping_ms, 3)}
    if ours:
        out["latency_ms"] = {"reflexbot": figures(ours), "nio": figures(theirs)}
        out["reflexbot_faster"] = f"{sum(1 for x, y in zip(ours, theirs) if x < y)}/{len(ours)}"
    print(json.dumps(out))
    return 0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
