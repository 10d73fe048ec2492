"""Operations: the systemd notifications of the real binary, `reflexbot status` and
`reflexbot backup` beside a running bot."""

import signal
import socket
import sqlite3
import subprocess

from helpers import join_bot, ping_and_wait


def _run(binary, *args):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


class _FakeSystemd:
    """The datagram socket systemd would listen on ($NOTIFY_SOCKET)."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(60)  # a missing message fails the test instead of hanging it

    def next(self) -> str:
        return self.sock.recv(4096).decode()

    def wait_for(self, prefix: str, seen: list) -> str:
        while True:
            message = self.next()
            seen.append(message)
            if message.startswith(prefix):
                return message

    def close(self):
        self.sock.close()


def test_systemd_notifications(make_bot, user, tmp_path, monkeypatch):
    systemd = _FakeSystemd(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", systemd.path)
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")  # a ping every 0.5 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    try:
        anna = user("anna")
        bot = make_bot(allowlist=[anna.user_id], start=False)

        # Homeserver unreachable: the bot backs off, the watchdog is fed, READY=1 never comes.
        homeserver = bot.config["homeserver"]
        bot.config["homeserver"] = "http://127.0.0.1:9"
        bot.write_config()
        bot.start()
        seen = []
        for _ in range(4):
            seen.append(systemd.next())
        assert seen == ["WATCHDOG=1"] * 4, f"expected watchdog pings while backing off: {seen}"
        bot.kill(signal.SIGTERM)
        assert systemd.wait_for("STOPPING=1", seen) == "STOPPING=1"
        assert not any(m.startswith("READY=1") for m in seen), seen
        assert bot.wait(20) == 0
        assert "retrying" in bot.log(), bot.log_tail(20)

        # Reachable: READY=1 once logged in, with a status line; the bot works; STOPPING=1.
        bot.config["homeserver"] = homeserver
        bot.write_config()
        bot.start()
        seen = []
        ready = systemd.wait_for("READY=1", seen)
        assert ready == f"READY=1\nSTATUS=logged in as {bot.user_id}, syncing", ready
        room = join_bot(anna, bot)
        ping_and_wait(anna, room, bot)
        assert systemd.wait_for("WATCHDOG=1", seen) == "WATCHDOG=1"
        bot.kill(signal.SIGTERM)
        systemd.wait_for("STOPPING=1", seen)
        assert bot.wait(20) == 0
    finally:
        systemd.close()


def test_status_and_backup_beside_a_running_bot(make_bot, user, tmp_path):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot, name="Reflexion Köln")
    ping_and_wait(anna, room, bot)
    anna.send_text(room, "Die Sandsäcke kamen zu spät #lehre")
    ping_and_wait(anna, room, bot)

    status = _run(bot.binary, "--config", str(bot.config_path), "status")
    assert status.returncode == 0, status.stderr
    text = status.stdout
    assert f"Store:         {bot.database}" in text, text
    assert "Last sync:     never" not in text and "ago)" in text.split("Last sync:")[1], text
    assert "Rooms:         1 joined" in text and room in text, text
    assert "Contributions: 1" in text, text
    assert "Quarantine:    0 events" in text, text

    backup = tmp_path / "backup.db"
    result = _run(bot.binary, "backup", str(backup), "--config", str(bot.config_path))
    assert result.returncode == 0, result.stderr
    assert bot.alive(), "the bot stopped during the backup"
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM contributions").fetchone() == (1,)
        assert copy.execute("SELECT COUNT(*) FROM sync_progress").fetchone() == (1,)

    again = _run(bot.binary, "--config", str(bot.config_path), "backup", str(backup))
    assert again.returncode == 1 and "--force" in again.stderr, again
    forced = _run(bot.binary, "--config", str(bot.config_path), "backup", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr

    of_backup = _run(bot.binary, "status", "--database", str(backup))
    assert of_backup.returncode == 0 and "Contributions: 1" in of_backup.stdout, of_backup

    ping_and_wait(anna, room, bot)  # still working after all that


def test_admin_commands_reject_wrong_usage(require_bot, tmp_path):
    assert _run(require_bot, "frobnicate").returncode == 2
    assert _run(require_bot, "backup").returncode == 2
    assert _run(require_bot, "status", "extra").returncode == 2
    missing = _run(require_bot, "status", "--database", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no database" in missing.stderr, missing
    assert not (tmp_path / "none.db").exists()
    help_ = _run(require_bot, "--help")
    for command in ("run", "status", "backup"):
        assert f"\n  {command}" in help_.stdout, help_.stdout
