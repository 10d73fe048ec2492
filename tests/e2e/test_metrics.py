"""The operators' Prometheus endpoint (config metrics.listen): scraped during a run and read with
Prometheus' own parser (prometheus_client, which Synapse brings into the venv)."""

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from helpers import join_bot, ping_and_wait, wait_bot_notice
from localhs import free_port


REPO = Path(__file__).resolve().parents[2]


def _promtool() -> str:
    """promtool from Debian's prometheus package (scripts/promtool.sh caches the one binary)."""
    result = subprocess.run([str(REPO / "scripts" / "promtool.sh")], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _get(url: str, method: str = "GET") -> tuple[int, dict, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _samples(text: str) -> dict:
    """{(name, frozenset(labels.items())): value} over every family; the parser raises on any
    line that is not valid exposition format."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(samples: dict, name: str, **labels) -> float:
    key = (name, frozenset(labels.items()))
    assert key in samples, f"{name}{labels} missing; have {sorted(k[0] for k in samples)}"
    return samples[key]


def test_metrics_scraped_during_a_run(make_bot, user):
    anna = user("anna")
    port = free_port()
    bot = make_bot(allowlist=[anna.user_id], extra={"metrics": {"listen": f"127.0.0.1:{port}"}})
    url = f"http://127.0.0.1:{port}/metrics"
    room = join_bot(anna, bot, name="Reflexion Köln")
    ping_and_wait(anna, room, bot)
    anna.send_text(room, "Die Sandsäcke kamen zu spät #lehre")
    unknown = anna.send_text(room, "!gibtsnicht")
    wait_bot_notice(anna, room, bot, lambda body: "gibtsnicht" in body, "the unknown command's answer")
    ping_and_wait(anna, room, bot)

    status, headers, text = _get(url)
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    samples = _samples(text)

    assert _value(samples, "reflexbot_syncs_total") >= 1
    assert _value(samples, "reflexbot_contributions_total") == 1
    assert _value(samples, "reflexbot_commands_total", command="ping", outcome="answered") == 2
    assert _value(samples, "reflexbot_commands_total", command="unknown", outcome="unknown") == 1
    assert _value(samples, "reflexbot_events_total", kind="message") >= 4
    assert _value(samples, "reflexbot_sends_total") >= 3  # two pongs, one answer (and ✅)
    assert _value(samples, "reflexbot_homeserver_requests_total", outcome="ok") > 0
    last_sync = _value(samples, "reflexbot_last_sync_timestamp_seconds")
    assert abs(time.time() - last_sync) < 120, last_sync
    assert _value(samples, "reflexbot_outbox_pending") >= 0
    assert _value(samples, "reflexbot_quarantined_events") == 0
    assert _value(samples, "process_resident_memory_bytes") > 1_000_000
    assert _value(samples, "reflexbot_sync_processing_seconds_count") >= 1
    buckets = [v for (name, labels), v in samples.items()
               if name == "reflexbot_sync_processing_seconds_bucket"]
    assert max(buckets) == _value(samples, "reflexbot_sync_processing_seconds_count")

    # Prometheus' own linter: names, types, HELP, units, counters ending in _total.
    lint = subprocess.run([_promtool(), "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), (
        lint.stdout + lint.stderr)

    # No room, no person, no text: labels are ours, values are numbers.
    for secret in (room, anna.user_id, bot.user_id, "Sandsäcke", "Köln", "gibtsnicht",
                   unknown):
        assert secret not in text, f"{secret!r} in the metrics"

    # Counters only grow; a second scrape sees the third ping.
    ping_and_wait(anna, room, bot)
    again = _samples(_get(url)[2])
    assert _value(again, "reflexbot_commands_total", command="ping", outcome="answered") == 3

    assert _get(f"http://127.0.0.1:{port}/")[0] == 404
    assert _get(url, method="POST")[0] == 405
    head_status, head_headers, head_body = _get(url, method="HEAD")
    assert head_status == 200 and head_body == "", (head_status, head_body)
    assert bot.alive()


def test_metrics_survive_hostile_clients(make_bot, user):
    """Garbage, an oversized head and a client that says nothing: the endpoint answers the
    next scrape and the bot runs on."""
    import socket

    anna = user("anna")
    port = free_port()
    bot = make_bot(allowlist=[anna.user_id], extra={"metrics": {"listen": f"127.0.0.1:{port}"}})
    room = join_bot(anna, bot)
    ping_and_wait(anna, room, bot)

    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as garbage:
        garbage.sendall(b"\x00\xffNOT HTTP\r\n\r\n")
        assert garbage.recv(100).startswith(b"HTTP/1.1 400"), "garbage gets a 400"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as huge:
        huge.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n")
        answer = huge.recv(100)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer
    for sock in silent:
        sock.close()
    status, _, text = _get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200 and "reflexbot_syncs_total" in text
    ping_and_wait(anna, room, bot)
    assert bot.alive()


def test_no_endpoint_unless_configured(make_bot, user):
    anna = user("anna")
    bot = make_bot(allowlist=[anna.user_id])
    room = join_bot(anna, bot)
    ping_and_wait(anna, room, bot)
    assert "metrics endpoint" not in bot.log()


def test_example_alert_rules_are_valid():
    rules = REPO / "config" / "prometheus" / "reflexbot-alerts.yml"
    result = subprocess.run([_promtool(), "check", "rules", str(rules)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout, result.stdout
