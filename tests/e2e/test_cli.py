"""Command line, config errors, signals and a rejected token."""

import signal
import subprocess

from helpers import join_bot, ping_and_wait


def _run(binary, *args):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def test_version_and_help(require_bot):
    version = _run(require_bot, "--version")
    assert version.returncode == 0, version.stderr
    assert any(ch.isdigit() for ch in version.stdout + version.stderr)
    help_ = _run(require_bot, "--help")
    assert help_.returncode == 0, help_.stderr
    assert "--config" in help_.stdout + help_.stderr


def test_export_adds_event_ids_only_on_request(require_bot):
    help_ = _run(require_bot, "--help")
    assert "[--with-event-ids]" in help_.stdout
    assert "numbered anew in every export" in help_.stdout
    # A flag: a value or a second one is a usage error, before the configuration is read.
    for args in (["--with-event-ids=yes"], ["--with-event-ids", "--with-event-ids"]):
        result = _run(require_bot, "--config", "/nonexistent/reflexbot.yaml", "export",
                      "--format", "json", *args)
        assert result.returncode == 2, result.stderr
        assert "--with-event-ids" in result.stderr


def test_check_config_accepts_a_valid_config(make_bot):
    bot = make_bot(start=False)
    result = _run(bot.binary, "--check-config", "--config", str(bot.config_path))
    assert result.returncode == 0, result.stderr


def _broken(tmp_path, bot, lines):
    path = tmp_path / "broken.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_config_names_file_line_and_key(make_bot, tmp_path):
    bot = make_bot(start=False)
    base = [f'homeserver: "{bot.config["homeserver"]}"',            # 1
            f'user_id: "{bot.user_id}"',                             # 2
            f'access_token_file: "{bot.token_path}"',                # 3
            f'database: "{bot.database}"',                           # 4
            "language: de",                                          # 5
            "sync:",                                                 # 6
            "  timeout_ms: 5000"]                                    # 7
    cases = [
        (7, "timeout_ms", base[:6] + ['  timeout_ms: "bald"']),
        (5, "language", base[:4] + ["language: klingonisch"] + base[5:]),
    ]
    for line, key, lines in cases:
        path = _broken(tmp_path, bot, lines)
        result = _run(bot.binary, "--check-config", "--config", str(path))
        assert result.returncode != 0, f"broken {key} accepted"
        assert f"{path.name}:{line}" in result.stderr, \
            f"error does not name {path.name}:{line}: {result.stderr!r}"
        assert key in result.stderr, f"error does not name the key {key}: {result.stderr!r}"

    missing = _broken(tmp_path, bot, base[1:])
    result = _run(bot.binary, "--check-config", "--config", str(missing))
    assert result.returncode != 0, "config without homeserver accepted"
    assert "homeserver" in result.stderr, result.stderr


def test_unknown_token_exits_78(make_bot):
    bot = make_bot(start=False)
    bot.set_token("syt_cmVmbGV4_bogusbogusbogusbogus_0abcde")
    bot.start()
    code = bot.wait(60)
    assert code is not None, "bot with a rejected token is still running after 60 s"
    assert code == 78, f"exit status {code}, expected 78 (EX_CONFIG); log:\n{bot.log_tail(20)}"
    assert "token" in bot.log().lower()


def test_sigint_and_sigterm_exit_cleanly(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)
    for sig in (signal.SIGINT, signal.SIGTERM):
        ping_and_wait(anna, room, bot)
        bot.kill(sig)
        code = bot.wait(20)
        assert code == 0, f"after {sig.name} the bot exited with {code}"
        bot.start()
    ping_and_wait(anna, room, bot)
