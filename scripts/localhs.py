"""A local Synapse homeserver, an independent Matrix client and a bot process helper.

Used by the end-to-end tests (tests/e2e) and the demo (scripts/demo.py). Standard library only;
Synapse itself runs from the venv made by scripts/venv.sh.

    with Homeserver() as hs:
        alice = hs.register("alice")            # -> Client
        room = alice.create_room(name="Köln")
        alice.send_text(room, "hallo")
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import importlib.util
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "reflex.test"
GENEROUS = {"per_second": 10000, "burst_count": 100000}

_live_processes: "set[_Process]" = set()
_live_lock = threading.Lock()


def _kill_leftovers() -> None:
    with _live_lock:
        procs = list(_live_processes)
    for proc in procs:
        proc.terminate()


atexit.register(_kill_leftovers)


class HarnessError(RuntimeError):
    """The harness could not do what was asked (Synapse did not start, a wait ran out, ...)."""


class MatrixError(RuntimeError):
    """A Matrix API call answered with an error status."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        super().__init__(f"{method} {path} -> {status}: {body}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_dir() -> Path:
    if os.environ.get("REFLEXBOT_VENV"):
        return Path(os.environ["REFLEXBOT_VENV"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "reflexbot" / "venv"


def synapse_python() -> str:
    """The interpreter that has Synapse: this one if it can import it, else the project venv's."""
    if importlib.util.find_spec("synapse") is not None:
        return sys.executable
    candidate = venv_dir() / "bin" / "python"
    if candidate.exists():
        return str(candidate)
    raise HarnessError(f"Synapse not found; run scripts/venv.sh first (expected {candidate})")


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log file)"
    return "\n".join(text.splitlines()[-lines:])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Polls predicate until it returns something truthy and returns that; raises after timeout.

    `what` says what was awaited, for the failure message. An exception from the predicate
    propagates at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _http(method: str, url: str, body: Any = None, token: Optional[str] = None,
          timeout: float = 30.0) -> tuple[int, Any, dict]:
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status, resp_headers = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        status, resp_headers = e.code, dict(e.headers or {})
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw.decode(errors="replace")}
    return status, parsed, resp_headers


class _Process:
    """A child process in its own session, killed at teardown or interpreter exit."""

    def __init__(self, argv: list[str], log_path: Path, cwd: Path, env: Optional[dict] = None):
        self.argv, self.log_path, self.cwd, self.env = argv, log_path, cwd, env
        self.popen: Optional[subprocess.Popen] = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(self.argv, cwd=self.cwd, stdout=log, stderr=log,
                                          stdin=subprocess.DEVNULL, env=self.env,
                                          start_new_session=True)
        finally:
            log.close()
        with _live_lock:
            _live_processes.add(self)

    @property
    def pid(self) -> Optional[int]:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Exit code, or None if still running after timeout."""
        if self.popen is None:
            return None
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        with _live_lock:
            _live_processes.discard(self)
        return code

    def terminate(self, grace: float = 10.0) -> Optional[int]:
        """SIGTERM, wait up to grace seconds, then SIGKILL. Returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            code = self.wait(grace)
            if code is not None:
                return code
            self.popen.kill()
        return self.wait(10)


# --- Homeserver -------------------------------------------------------------------------------


class Homeserver:
    """A throwaway Synapse: SQLite, one client listener on 127.0.0.1, no federation."""

    def __init__(self, base_dir: Optional[os.PathLike] = None, server_name: str = SERVER_NAME,
                 port: Optional[int] = None, python: Optional[str] = None,
                 extra_config: Optional[dict] = None, start_timeout: float = 60.0):
        self._own_dir = base_dir is None
        self.dir = Path(base_dir or tempfile.mkdtemp(prefix="reflexbot-synapse-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.server_name = server_name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.python = python or synapse_python()
        self.config_path = self.dir / "homeserver.yaml"
        self.log_path = self.dir / "homeserver.log"
        self.start_timeout = start_timeout
        self.shared_secret = secrets.token_hex(16)
        self._process: Optional[_Process] = None
        self._counter = itertools.count(1)
        self._write_config(extra_config or {})
        self._generate_keys()
        atexit.register(self.close)

    # config

    def _write_config(self, extra: dict) -> None:
        config = {
            "server_name": self.server_name,
            "public_baseurl": self.url + "/",
            "pid_file": str(self.dir / "homeserver.pid"),
            "listeners": [{
                "port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http",
                "tls": False, "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }],
            "database": {"name": "sqlite3", "args": {"database": str(self.dir / "homeserver.db")}},
            "media_store_path": str(self.dir / "media_store"),
            "signing_key_path": str(self.dir / "signing.key"),
            "log_config": str(self.dir / "log.config"),
            "report_stats": False,
            "enable_metrics": False,
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "enable_registration": False,
            "bcrypt_rounds": 4,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "rc_message": GENEROUS,
            "rc_registration": GENEROUS,
            "rc_registration_token_validity": GENEROUS,
            "rc_login": {"address": GENEROUS, "account": GENEROUS, "failed_attempts": GENEROUS},
            "rc_joins": {"local": GENEROUS, "remote": GENEROUS},
            "rc_joins_per_room": GENEROUS,
            "rc_invites": {"per_room": GENEROUS, "per_user": GENEROUS, "per_issuer": GENEROUS},
            "rc_3pid_validation": GENEROUS,
            "rc_third_party_invite": GENEROUS,
            "rc_admin_redaction": GENEROUS,
            "rc_room_creation": GENEROUS,
            "rc_key_requests": GENEROUS,
            "rc_media_create": GENEROUS,
            "rc_presence": {"per_user": GENEROUS},
            "rc_delayed_event_mgmt": GENEROUS,
            "rc_reports": GENEROUS,
            "rc_user_directory": GENEROUS,
            "rc_profile": GENEROUS,
        }
        config.update(extra)
        # JSON is valid YAML, so no YAML writer is needed.
        self.config_path.write_text(json.dumps(config, indent=2))
        logging_config = {
            "version": 1,
            "formatters": {"precise": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "precise"}},
            "loggers": {"synapse.access": {"level": "WARNING"}},
            "root": {"level": "INFO", "handlers": ["stderr"]},
            "disable_existing_loggers": False,
        }
        (self.dir / "log.config").write_text(json.dumps(logging_config))

    def _generate_keys(self) -> None:
        result = subprocess.run(
            [self.python, "-m", "synapse.app.homeserver", "--generate-keys", "-c",
             str(self.config_path)],
            cwd=self.dir, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not (self.dir / "signing.key").exists():
            raise HarnessError("Synapse could not generate its signing key:\n"
                               + result.stdout + result.stderr)

    # lifecycle

    def start(self) -> "Homeserver":
        if self.running():
            return self
        with open(self.log_path, "a") as log:
            log.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n")
        self._process = _Process([self.python, "-m", "synapse.app.homeserver", "-c",
                                  str(self.config_path)], self.log_path, self.dir)
        self._process.start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not self._process.alive():
                code = self._process.wait(1)
                raise HarnessError(f"Synapse exited with {code} during start-up; log tail:\n"
                                   + tail(self.log_path))
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise HarnessError(f"Synapse did not answer on {self.url} within {self.start_timeout:.0f} s;"
                           f" log tail:\n" + tail(self.log_path))

    def _answers(self) -> bool:
        try:
            status, _, _ = _http("GET", self.url + "/_matrix/client/versions", timeout=2)
            return status == 200
        except (OSError, urllib.error.URLError):
            return False

    def running(self) -> bool:
        return self._process is not None and self._process.alive()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate(grace=15)
            self._process = None

    def restart(self) -> "Homeserver":
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir and os.environ.get("REFLEXBOT_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Homeserver":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()

    # users

    def unique_name(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}x{secrets.token_hex(3)}".lower()

    def register(self, localpart: str, password: Optional[str] = None, admin: bool = False,
                 displayname: Optional[str] = None) -> "Client":
        """Registers a user through the shared-secret admin API and returns a logged-in Client."""
        password = password or secrets.token_hex(12)
        path = "/_synapse/admin/v1/register"
        status, body, _ = _http("GET", self.url + path)
        if status != 200:
            raise MatrixError("GET", path, status, body)
        nonce = body["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        request = {"nonce": nonce, "username": localpart, "password": password, "admin": admin,
                   "mac": mac.hexdigest()}
        if displayname:
            request["displayname"] = displayname
        status, body, _ = _http("POST", self.url + path, request)
        if status != 200:
            raise MatrixError("POST", path, status, body)
        return Client(self.url, body["user_id"], body["access_token"], body.get("device_id"),
                      password=password)

    def client(self, user_id: str, access_token: str) -> "Client":
        return Client(self.url, user_id, access_token)


# --- Client -----------------------------------------------------------------------------------


class Client:
    """A minimal Matrix client-server API client over urllib, independent of the bot."""

    def __init__(self, base_url: str, user_id: str, access_token: str,
                 device_id: Optional[str] = None, password: Optional[str] = None):
        self.base_url = base_url.rstrip("/")
        self.user_id = user_id
        self.access_token = access_token
        self.device_id = device_id
        self.password = password
        self._txn = itertools.count(1)
        self._txn_prefix = f"{int(time.time() * 1000)}-{secrets.token_hex(3)}"

    def __repr__(self) -> str:
        return f"Client({self.user_id})"

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]

    def request(self, method: str, path: str, body: Any = None, query: Optional[dict] = None,
                timeout: float = 30.0, retry_rate_limited: bool = True) -> dict:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        for _ in range(50):
            status, parsed, headers = _http(method, url, body, self.access_token, timeout)
            if status == 429 and retry_rate_limited:
                wait_ms = parsed.get("retry_after_ms") if isinstance(parsed, dict) else None
                time.sleep(min(max((wait_ms or 500) / 1000, 0.05), 10))
                continue
            if status >= 400:
                raise MatrixError(method, path, status, parsed)
            return parsed
        raise MatrixError(method, path, 429, parsed)

    def new_txn_id(self) -> str:
        return f"{self._txn_prefix}-{next(self._txn)}"

    @staticmethod
    def q(value: str) -> str:
        return urllib.parse.quote(value, safe="")

    # account

    def whoami(self) -> dict:
        return self.request("GET", "/_matrix/client/v3/account/whoami")

    def set_displayname(self, name: str) -> None:
        self.request("PUT", f"/_matrix/client/v3/profile/{self.q(self.user_id)}/displayname",
                     {"displayname": name})

    # rooms

    def create_room(self, name: Optional[str] = None, invite: Iterable[str] = (),
                    encrypted: bool = False, preset: str = "private_chat",
                    topic: Optional[str] = None, extra: Optional[dict] = None) -> str:
        body: dict = {"preset": preset, "invite": list(invite)}
        if name:
            body["name"] = name
        if topic:
            body["topic"] = topic
        if encrypted:
            body["initial_state"] = [{"type": "m.room.encryption", "state_key": "",
                                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        body.update(extra or {})
        return self.request("POST", "/_matrix/client/v3/createRoom", body)["room_id"]

    def invite(self, room_id: str, user_id: str) -> None:
        self.request("POST", f"/_matrix/client/v3/rooms/{self.q(room_id)}/invite",
                     {"user_id": user_id})

    def join(self, room_id_or_alias: str) -> str:
        return self.request("POST", f"/_matrix/client/v3/join/{self.q(room_id_or_alias)}",
                            {})["room_id"]

    def leave(self, room_id: str) -> None:
        self.request("POST", f"/_matrix/client/v3/rooms/{self.q(room_id)}/leave", {})

    def joined_members(self, room_id: str) -> dict:
        return self.request("GET",
                            f"/_matrix/client/v3/rooms/{self.q(room_id)}/joined_members")["joined"]

    def membership(self, room_id: str, user_id: str) -> Optional[str]:
        """The membership of user_id in the room (join, invite, leave, ...) or None."""
        try:
            content = self.request(
                "GET", f"/_matrix/client/v3/rooms/{self.q(room_id)}/state/m.room.member/"
                       f"{self.q(user_id)}")
        except MatrixError as e:
            if e.status == 404:
                return None
            raise
        return content.get("membership")

    def state(self, room_id: str, event_type: str, state_key: str = "") -> Optional[dict]:
        try:
            return self.request("GET", f"/_matrix/client/v3/rooms/{self.q(room_id)}/state/"
                                       f"{self.q(event_type)}/{self.q(state_key)}")
        except MatrixError as e:
            if e.status == 404:
                return None
            raise

    # events

    def send_event(self, room_id: str, event_type: str, content: dict,
                   txn_id: Optional[str] = None) -> str:
        txn_id = txn_id or self.new_txn_id()
        return self.request("PUT", f"/_matrix/client/v3/rooms/{self.q(room_id)}/send/"
                                   f"{self.q(event_type)}/{self.q(txn_id)}", content)["event_id"]

    def send_text(self, room_id: str, body: str, msgtype: str = "m.text",
                  txn_id: Optional[str] = None, extra: Optional[dict] = None) -> str:
        content = {"msgtype": msgtype, "body": body}
        content.update(extra or {})
        return self.send_event(room_id, "m.room.message", content, txn_id)

    def send_notice(self, room_id: str, body: str) -> str:
        return self.send_text(room_id, body, msgtype="m.notice")

    def react(self, room_id: str, event_id: str, key: str) -> str:
        return self.send_event(room_id, "m.reaction", {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}})

    def edit(self, room_id: str, event_id: str, new_body: str) -> str:
        return self.send_event(room_id, "m.room.message", {
            "msgtype": "m.text", "body": f"* {new_body}",
            "m.new_content": {"msgtype": "m.text", "body": new_body},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})

    def redact(self, room_id: str, event_id: str, reason: Optional[str] = None) -> str:
        body = {"reason": reason} if reason else {}
        return self.request("PUT", f"/_matrix/client/v3/rooms/{self.q(room_id)}/redact/"
                                   f"{self.q(event_id)}/{self.q(self.new_txn_id())}",
                            body)["event_id"]

    def messages(self, room_id: str, page: int = 1000) -> list[dict]:
        """Every event of the room this user can see, oldest first (/messages, dir=b)."""
        events: list[dict] = []
        query: dict = {"dir": "b", "limit": page}
        while True:
            resp = self.request("GET", f"/_matrix/client/v3/rooms/{self.q(room_id)}/messages",
                                query=query)
            chunk = resp.get("chunk", [])
            events.extend(chunk)
            end = resp.get("end")
            if not chunk or not end:
                break
            query["from"] = end
        events.reverse()
        return events

    # admin

    def download(self, mxc: str) -> bytes:
        """The bytes of an uploaded file (authenticated media, as clients fetch it since v1.11)."""
        if not mxc.startswith("mxc://"):
            raise HarnessError(f"not an mxc URI: {mxc!r}")
        server, media_id = mxc[len("mxc://"):].split("/", 1)
        url = (f"{self.base_url}/_matrix/client/v1/media/download/"
               f"{self.q(server)}/{self.q(media_id)}")
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.access_token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            raise MatrixError("GET", url, e.code, e.read().decode(errors="replace")) from e

    def override_ratelimit(self, user_id: str, messages_per_second: int, burst_count: int) -> None:
        self.request("POST", f"/_synapse/admin/v1/users/{self.q(user_id)}/override_ratelimit",
                     {"messages_per_second": messages_per_second, "burst_count": burst_count})

    def delete_ratelimit_override(self, user_id: str) -> None:
        self.request("DELETE",
                     f"/_synapse/admin/v1/users/{self.q(user_id)}/override_ratelimit")


# --- event helpers ----------------------------------------------------------------------------


def reply_target(event: dict) -> Optional[str]:
    """The event id an m.room.message replies to (m.in_reply_to), if any."""
    relates = event.get("content", {}).get("m.relates_to") or {}
    return (relates.get("m.in_reply_to") or {}).get("event_id")


def is_message(event: dict, msgtype: Optional[str] = None) -> bool:
    if event.get("type") != "m.room.message":
        return False
    return msgtype is None or event.get("content", {}).get("msgtype") == msgtype


# --- Bot --------------------------------------------------------------------------------------


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and scalars (enough for the bot's config)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = to_yaml(item, indent + 2).splitlines()
                lines.append(f"{pad}- {first.lstrip()}")
                lines.extend(rest)
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return "\n".join(lines)


def bot_binary() -> Path:
    path = Path(os.environ.get("REFLEXBOT_BIN", "build/reflexbot"))
    return path if path.is_absolute() else REPO_ROOT / path


class Bot:
    """The reflexbot binary as a child process, with its own config, token file and database."""

    def __init__(self, homeserver_url: str, user_id: str, access_token: str,
                 workdir: os.PathLike, allowlist: Iterable[str] = (), language: str = "de",
                 device_id: Optional[str] = None, log_level: str = "debug",
                 sync: Optional[dict] = None, retry: Optional[dict] = None,
                 extra: Optional[dict] = None, binary: Optional[os.PathLike] = None,
                 rooms: Optional[Iterable[dict]] = None,
                 templates_dir: Optional[os.PathLike] = None,
                 moderator_level: Optional[int] = None):
        """rooms ([{"room_id": …, "city": …}]), templates_dir and moderator_level are written to
        the config only when given; bot.set_rooms() changes the room list before a (re)start."""
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.binary = Path(binary) if binary else bot_binary()
        self.user_id = user_id
        self.token_path = self.dir / "access_token"
        self.token_path.write_text(access_token + "\n")
        self.token_path.chmod(0o600)
        self.config_path = self.dir / "reflexbot.yaml"
        self.database = self.dir / "reflexbot.db"
        self.log_path = self.dir / "bot.log"
        self.config: dict = {
            "homeserver": homeserver_url,
            "user_id": user_id,
            "access_token_file": str(self.token_path),
            "database": str(self.database),
            "language": language,
            "log_level": log_level,
            "invite_allowlist": list(allowlist),
            "sync": {"timeout_ms": 5000, "timeline_limit": 50, "request_timeout_ms": 15000},
            "retry": {"initial_ms": 200, "max_ms": 5000},
        }
        if device_id:
            self.config["device_id"] = device_id
        if rooms is not None:
            self.config["rooms"] = [dict(room) for room in rooms]
        if templates_dir is not None:
            self.config["templates_dir"] = str(templates_dir)
        if moderator_level is not None:
            self.config["moderator_level"] = moderator_level
        self.config["sync"].update(sync or {})
        self.config["retry"].update(retry or {})
        self.config.update(extra or {})
        self.write_config()
        self._process: Optional[_Process] = None
        self.starts = 0

    def write_config(self) -> Path:
        self.config_path.write_text("# written by scripts/localhs.py\n" + to_yaml(self.config) + "\n")
        return self.config_path

    def set_rooms(self, rooms: Iterable[dict]) -> Path:
        """Maps rooms to cities ([{"room_id": …, "city": …}]) and rewrites the config; takes
        effect at the next start."""
        self.config["rooms"] = [dict(room) for room in rooms]
        return self.write_config()

    def set_token(self, token: str) -> None:
        self.token_path.write_text(token + "\n")

    def start(self) -> "Bot":
        if not self.binary.exists():
            raise HarnessError(f"bot binary {self.binary} not found; build it first "
                               f"(cmake --build build) or set REFLEXBOT_BIN")
        if self.alive():
            raise HarnessError("bot already running")
        self.starts += 1
        with open(self.log_path, "a") as log:
            log.write(f"===== harness: start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n")
        self._process = _Process([str(self.binary), "--config", str(self.config_path)],
                                 self.log_path, self.dir)
        self._process.start()
        return self

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self._process else None

    def alive(self) -> bool:
        return self._process is not None and self._process.alive()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self._process is not None:
            self._process.signal(sig)

    def wait(self, timeout: Optional[float] = 30) -> Optional[int]:
        """Exit code, or None if it is still running after timeout."""
        return self._process.wait(timeout) if self._process else None

    def stop(self, grace: float = 15) -> Optional[int]:
        """SIGTERM and wait (SIGKILL after grace). Returns the exit code."""
        if self._process is None:
            return None
        code = self._process.terminate(grace)
        return code

    def restart(self, sig: int = signal.SIGTERM) -> "Bot":
        if self.alive():
            self.kill(sig)
            if self.wait(15) is None:
                self.kill(signal.SIGKILL)
                self.wait(10)
        return self.start()

    def exit_code(self) -> Optional[int]:
        return self._process.popen.poll() if self._process and self._process.popen else None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return tail(self.log_path, lines)

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if not self.database.exists():
            return []
        try:
            conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        except sqlite3.OperationalError:
            conn = sqlite3.connect(str(self.database), timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []
            raise
        finally:
            conn.close()

    def seen_event_ids(self) -> set[str]:
        return {row[0] for row in self._query("SELECT event_id FROM seen_events")}

    def seen_duplicates(self) -> list[tuple]:
        return self._query("SELECT event_id, COUNT(*) FROM seen_events GROUP BY event_id "
                           "HAVING COUNT(*) > 1")
