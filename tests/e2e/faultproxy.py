"""A TCP proxy between the bot and Synapse that injects network faults at random.

Standard library only (asyncio on a thread of its own). While enabled, each request may, drawn
from a seeded random number generator, have its request or its response

- stalled: held for a while before it is forwarded (later bytes of that direction queue behind);
- reset: both connections are closed with SO_LINGER 0, i.e. a TCP RST. On a request the request
  is lost; on a response the homeserver has done the work but the bot never hears of it;
- truncated (responses only): part of the response is forwarded, then both connections are
  closed (a FIN, not a RST): the bot reads a short body.

    with FaultProxy("127.0.0.1", hs.port, seed=42) as proxy:
        bot = make_bot(homeserver_url=proxy.url)
        proxy.enable()
        ...
        print(proxy.faults)   # Counter({'stall': 12, 'reset': 9, 'truncate': 5})

The proxy speaks no HTTP; it only peeks at the request line of each request to label the faults
(`proxy.fault_details`, e.g. "reset/response/send")."""

from __future__ import annotations

import asyncio
import random
import re
import socket
import struct
import threading
from collections import Counter
from typing import Optional

FAULT_KINDS = ("stall", "reset", "truncate")
_REQUEST_LINE = re.compile(rb"^(GET|PUT|POST|DELETE|HEAD|OPTIONS|PATCH) (\S+) HTTP/1\.[01]\r\n")


def request_kind(method: str, path: str) -> str:
    """A short label for what a request does ("sync", "send", "leave", …)."""
    path = path.split("?", 1)[0]
    for marker, label in (("/sync", "sync"), ("/send/", "send"), ("/redact/", "send"),
                          ("/leave", "leave"), ("/join", "join"), ("/messages", "messages"),
                          ("/filter", "filter"), ("/login", "login"), ("/whoami", "whoami"),
                          ("/media/", "upload" if method == "POST" else "media")):
        if marker in path:
            return label
    return f"{method.lower()} other"


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter):
        self.client = client
        self.upstream = upstream
        self.request = "none"
        self.plan: Optional[tuple[str, str, float]] = None  # this request's fault, until applied
        self.closed = False

    def close(self, reset: bool) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.upstream):
            if reset:
                _reset(writer)
            else:
                writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes the connection with a TCP RST (SO_LINGER on, 0 seconds)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class FaultProxy:
    """Listens on 127.0.0.1 and forwards to upstream_host:upstream_port; see the module doc.

    fault_rate is the chance per request that a fault is injected into it or its response (while
    enabled); weights split it between the kinds; a stall or reset hits the request or the
    response with equal chance, a truncation always the response. A stall lasts stall_s seconds
    (uniform), or long_stall_s with the chance long_stall_share (long enough to run into the
    bot's request timeout). Faults are drawn per request, not per TCP segment, so a seed replays
    the same faults for the same sequence of requests."""

    def __init__(self, upstream_host: str, upstream_port: int, seed: Optional[int] = None,
                 fault_rate: float = 0.1, weights: Optional[dict] = None,
                 stall_s: tuple[float, float] = (0.2, 2.0),
                 long_stall_s: tuple[float, float] = (8.0, 11.0), long_stall_share: float = 0.15,
                 enabled: bool = False):
        self.upstream = (upstream_host, upstream_port)
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.fault_rate = fault_rate
        self.weights = dict(weights or {"stall": 0.4, "reset": 0.35, "truncate": 0.25})
        self.stall_s = stall_s
        self.long_stall_s = long_stall_s
        self.long_stall_share = long_stall_share
        self._enabled = enabled
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.faults: Counter = Counter()          # kind -> count
        self.fault_details: Counter = Counter()   # "kind/direction/request kind" -> count
        self.requests: Counter = Counter()        # request kind -> requests seen
        self.connections = 0
        self.upstream_refused = 0
        self.port: Optional[int] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[asyncio.base_events.Server] = None
        self._links: set[_Link] = set()
        self._thread: Optional[threading.Thread] = None
        self._hold: Optional[tuple[str, str]] = None  # (kind held, kind that must come first)
        self._released: Optional[asyncio.Event] = None
        self.held: Counter = Counter()             # request kind -> requests held

    # control (from any thread)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def enabled(self) -> bool:
        return self._enabled

    def enable(self) -> None:
        self._enabled = True

    def disable(self) -> None:
        """No new faults; a stall already under way runs to its end."""
        self._enabled = False

    def hold(self, kind: str, after: str) -> None:
        """From the first `after` request on (e.g. "upload"), every `kind` request (e.g. "send")
        is held: never forwarded, its connection kept open until release() resets it. For "the
        bot dies between two requests": kill the bot while proxy.held[kind] > 0."""
        self._released = None
        self._hold = (kind, after)

    def release(self) -> None:
        """Stops holding; the held connections are reset (their requests never reach upstream)."""
        self._hold = None
        loop, released = self._loop, self._released
        if loop is not None and released is not None:
            loop.call_soon_threadsafe(released.set)

    def total_faults(self) -> int:
        with self._lock:
            return sum(self.faults.values())

    def snapshot(self) -> dict:
        """The figures so far, JSON-ready."""
        with self._lock:
            return {"seed": self.seed, "connections": self.connections,
                    "faults": {kind: self.faults.get(kind, 0) for kind in FAULT_KINDS},
                    "fault_details": dict(sorted(self.fault_details.items())),
                    "requests": dict(sorted(self.requests.items())),
                    "upstream_refused": self.upstream_refused}

    def start(self) -> "FaultProxy":
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._accept, "127.0.0.1", 0))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:  # reported to start()
                failure.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="faultproxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        if self.port is None:
            raise RuntimeError("the fault proxy did not start")
        return self

    def close(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            self._server.close()
            for link in list(self._links):
                link.close(reset=False)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # the proxy (on its own thread)

    def _plan(self) -> Optional[tuple[str, str, float]]:
        """The fault for one request and its response, drawn when the request starts:
        (kind, direction, parameter) or None. The parameter is the stall's seconds or the
        share of the response's first chunk that a truncation forwards."""
        if not self._enabled or self._rng.random() >= self.fault_rate:
            return None
        kind = self._rng.choices(FAULT_KINDS, [self.weights.get(k, 0) for k in FAULT_KINDS])[0]
        direction = "response" if kind == "truncate" or self._rng.random() < 0.5 else "request"
        if kind == "stall":
            low, high = (self.long_stall_s if self._rng.random() < self.long_stall_share
                         else self.stall_s)
            return kind, direction, self._rng.uniform(low, high)
        return kind, direction, self._rng.random()

    def _count(self, kind: str, direction: str, link: _Link) -> None:
        with self._lock:
            self.faults[kind] += 1
            self.fault_details[f"{kind}/{direction}/{link.request}"] += 1

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            with self._lock:
                self.upstream_refused += 1
            _reset(client_writer)
            return
        link = _Link(client_writer, up_writer)
        self._links.add(link)
        pumps = [asyncio.ensure_future(self._pump(link, client_reader, up_writer, "request")),
                 asyncio.ensure_future(self._pump(link, up_reader, client_writer, "response"))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            link.close(reset=False)
            self._links.discard(link)

    async def _pump(self, link: _Link, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, direction: str) -> None:
        try:
            while not link.closed:
                data = await reader.read(65536)
                if not data:
                    return
                if direction == "request":
                    match = _REQUEST_LINE.match(data)
                    if match:  # a new request: draw its fault
                        link.request = request_kind(match.group(1).decode(),
                                                    match.group(2).decode(errors="replace"))
                        with self._lock:
                            self.requests[link.request] += 1
                            hold = self._hold
                            held = (hold is not None and link.request == hold[0]
                                    and self.requests[hold[1]] > 0)
                            if held:
                                self.held[link.request] += 1
                        if held:
                            if self._released is None:
                                self._released = asyncio.Event()
                            await self._released.wait()
                            link.close(reset=True)
                            return
                        link.plan = self._plan()
                plan = link.plan
                if plan is not None and plan[1] == direction:
                    link.plan = None
                    kind, _, parameter = plan
                    self._count(kind, direction, link)
                    if kind == "stall":
                        await asyncio.sleep(parameter)
                    elif kind == "reset":
                        link.close(reset=True)
                        return
                    else:  # truncate: part of the response, then an orderly close
                        writer.write(data[:min(len(data) - 1, int(len(data) * parameter))])
                        await writer.drain()
                        link.close(reset=False)
                        return
                if link.closed:
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return
