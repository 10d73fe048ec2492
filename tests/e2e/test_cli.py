"""Command line, config errors, signals and a rejected token."""

import csv
import io
import signal
import subprocess

from helpers import join_bot, ping_and_wait, wait_bot_reaction, wait_for


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


def test_a_usage_error_prints_its_line_and_where_the_options_are(require_bot):
    """One line that says what is wrong and one that says where the options are: not the whole
    help text after it."""
    result = _run(require_bot, "--config", "/nonexistent/reflexbot.yaml", "export", "--format",
                  "csv", "--csv-dialect", "excel")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "reflexbot: export: --csv-dialect is rfc4180 or excel-de, not 'excel'",
        "`reflexbot export --help` shows the options."], result.stderr
    unknown = _run(require_bot, "frobnicate")
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == [
        "reflexbot: unknown command 'frobnicate'",
        "`reflexbot --help` shows the commands and options."], unknown.stderr
    # The command's own help: its options, not every command's.
    help_ = _run(require_bot, "export", "--help")
    assert help_.returncode == 0, help_.stderr
    assert help_.stdout.startswith("Usage: reflexbot [--config FILE] export --format"), help_.stdout
    assert "--csv-dialect rfc4180|excel-de" in help_.stdout and "backup" not in help_.stdout


def test_export_csv_for_german_spreadsheets(make_bot, user):
    """--csv-dialect excel-de: semicolons, UTF-8 with a byte order mark, CRLF, as Excel writes
    it with German settings; Python's csv module reads it back in the excel dialect with ';'.
    Tags appear as the person wrote them."""
    anna = user("anna")
    room = anna.create_room(name="Krisenstab Köln")
    bot = make_bot(allowlist=[anna.user_id], rooms=[{"room_id": room, "city": "Köln"}])
    anna.invite(room, bot.user_id)
    wait_for(lambda: anna.membership(room, bot.user_id) == "join", 30, "the bot to join")
    texts = ["Bund und Land stimmten sich spät ab #Föderal",
             'Lage; unklar, "Zitat"\nzweite Zeile #problem',
             "=SUMME(1;2) als Idee #idee"]
    ids = [anna.send_text(room, text) for text in texts]
    for event_id in ids:
        wait_bot_reaction(anna, room, bot, event_id)
    assert bot.stop() == 0

    raw = subprocess.run([str(bot.binary), "--config", str(bot.config_path), "export",
                          "--format", "csv", "--csv-dialect", "excel-de"],
                         capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert raw.returncode == 0, raw.stderr
    data = raw.stdout
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    text = data[3:].decode("utf-8")
    # Every record ends in CRLF; a line break inside a field stays as written.
    assert text.endswith("\r\n") and text.count("\r\n") == len(texts) + 1, repr(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == len(texts), rows
    assert all(len(row) == len(header) for row in body), rows
    column = {name: header.index(name) for name in ("Text", "Schlagwörter", "Weg", "Stadt")}
    by_text = {row[column["Text"]]: row for row in body}
    # The text round-trips, semicolons, quotes, line break and all; a formula is defused.
    assert texts[1] in by_text, list(by_text)
    assert "'" + texts[2] in by_text, list(by_text)
    assert by_text[texts[0]][column["Schlagwörter"]] == "#Föderal"
    assert by_text[texts[1]][column["Schlagwörter"]] == "#problem"
    assert {row[column["Weg"]] for row in body} == {"Schlagwort"}
    assert {row[column["Stadt"]] for row in body} == {"Köln"}

    # The default stays RFC 4180: commas, no byte order mark.
    plain = subprocess.run([str(bot.binary), "--config", str(bot.config_path), "export",
                            "--format", "csv"], capture_output=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert plain.returncode == 0, plain.stderr
    assert not plain.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(plain.stdout.decode("utf-8"), newline="")))
    assert len(rows) == len(texts) + 1 and len(rows[0]) == len(header)
