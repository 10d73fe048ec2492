"""Fixtures for the end-to-end tests: one Synapse per run, fresh users, rooms and bots per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from localhs import Bot, Client, Homeserver, bot_binary  # noqa: E402
from helpers import secrets_in_logs  # noqa: E402

# Access tokens and passwords of every bot account of this run (see _no_secrets_in_bot_logs).
_BOT_SECRETS: set[str] = set()

@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request) -> bool:
    return any(getattr(getattr(request.node, "rep_" + w, None), "failed", False)
               for w in ("setup", "call"))


@pytest.fixture(scope="session", autouse=True)
def _no_secrets_in_bot_logs(tmp_path_factory):
    """At the end of the run: no line of any bot's log holds an access token (any syt_/syr_) or a
    bot account's password, at whatever level the test ran the bot. A failure shows up as an
    error at the teardown of the last test."""
    yield
    logs = sorted(tmp_path_factory.getbasetemp().rglob("bot.log"))
    if not logs:
        return  # no bot ran in this session
    assert any(path.stat().st_size > 0 for path in logs), f"{len(logs)} bot logs, all empty"
    leaks = secrets_in_logs(logs, _BOT_SECRETS)
    assert not leaks, f"{len(leaks)} log line(s) with a token or password:\n" + "\n".join(leaks[:20])


@pytest.fixture(scope="session")
def _homeserver(tmp_path_factory):
    hs = Homeserver(base_dir=tmp_path_factory.mktemp("synapse"))
    try:
        hs.start()
        yield hs
    finally:
        hs.close()


@pytest.fixture
def hs(_homeserver, request):
    """The session's Synapse, running at the start of every test (a test that stopped it and
    failed must not take the others down)."""
    _homeserver.start()
    yield _homeserver
    _homeserver.start()


@pytest.fixture
def admin(hs) -> Client:
    return hs.register(hs.unique_name("admin"), admin=True)


@pytest.fixture
def user(hs):
    """Registers a fresh user: user("anna") -> Client."""
    return lambda prefix="user", **kw: hs.register(hs.unique_name(prefix), **kw)


@pytest.fixture
def require_bot():
    path = bot_binary()
    if not path.exists():
        pytest.fail(f"bot binary {path} not found: build it (cmake --build build) "
                    f"or set REFLEXBOT_BIN", pytrace=False)
    return path


@pytest.fixture
def make_bot(hs, tmp_path, request, require_bot):
    """make_bot(allowlist=[...], **Bot kwargs) -> a started Bot with a fresh Matrix account.

    homeserver_url: where the bot reaches Synapse (default hs.url; e.g. a fault proxy's url).
    Every bot is stopped at teardown; on failure its log tail is printed."""
    bots: list[Bot] = []

    def make(allowlist=(), start=True, homeserver_url=None, **kwargs) -> Bot:
        account = hs.register(hs.unique_name("reflexbot"))
        _BOT_SECRETS.update({account.access_token, account.password})
        bot = Bot(homeserver_url or hs.url, account.user_id, account.access_token,
                  tmp_path / f"bot{len(bots) + 1}", allowlist=allowlist,
                  device_id=account.device_id, **kwargs)
        bot.account = account
        bots.append(bot)
        if start:
            bot.start()
        return bot

    yield make
    for bot in bots:
        bot.stop(grace=10)
    if _failed(request):
        for bot in bots:
            print(f"\n----- {bot.log_path} (last lines) -----\n{bot.log_tail(80)}", file=sys.stderr)
