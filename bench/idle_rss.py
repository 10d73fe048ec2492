#!/usr/bin/env python3
"""Idle RSS of the running bot: starts a local Synapse and the (Release) bot through the repo's
harness (scripts/localhs.py), joins the bot to one room, answers one !ping to be sure it is up,
waits idle in the /sync long-poll and reads VmRSS and VmHWM from /proc/PID/status.

Run it with the harness venv's python (Synapse lives there):

    ~/.cache/reflexbot/venv/bin/python bench/idle_rss.py [--bin build-bench/reflexbot] [--idle 20]

Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from localhs import (Bot, Homeserver, free_port, is_message, reply_target,  # noqa: E402
                     wait_for)


def status_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "VmSize"):
            out[key] = int(value.split()[0])
    return out


def rollup_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def rss_by_mapping(pid: int, top: int = 8) -> dict[str, int]:
    """Resident KiB per mapped file (or [heap], [stack], anonymous), largest first."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        first = line.split(None, 5)
        if first and "-" in first[0] and len(first) >= 5 and ":" in first[3]:
            name = Path(first[5].strip()).name if len(first) > 5 and first[5].strip() else "[anon]"
        elif line.startswith("Rss:"):
            sizes[name] = sizes.get(name, 0) + int(line.split()[1])
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:top])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(REPO / "build-bench" / "reflexbot"))
    parser.add_argument("--idle", type=float, default=20.0, help="seconds to wait idle")
    parser.add_argument("--samples", type=int, default=5, help="VmRSS samples over the idle wait")
    parser.add_argument("--smaps", type=Path, help="also copy the bot's /proc/PID/smaps here")
    parser.add_argument("--top", type=int, default=8, help="mappings listed, largest first")
    parser.add_argument("--metrics", action="store_true",
                        help="with the Prometheus endpoint on, scraped once before and after the wait")
    args = parser.parse_args()

    metrics_port = free_port()

    def scrape() -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
            return len(r.read())

    with tempfile.TemporaryDirectory(prefix="reflexbot-idle-") as tmp, \
            Homeserver(base_dir=Path(tmp) / "synapse") as hs:
        anna = hs.register("anna")
        account = hs.register("reflexbot")
        # The bot's default long-poll (30 s) and log level info, as in production.
        bot = Bot(hs.url, account.user_id, account.access_token, Path(tmp) / "bot",
                  allowlist=[anna.user_id], device_id=account.device_id, log_level="info",
                  sync={"timeout_ms": 30000, "request_timeout_ms": 90000}, binary=args.bin,
                  extra={"metrics": {"listen": f"127.0.0.1:{metrics_port}"}} if args.metrics
                  else None)
        bot.start()
        try:
            room = anna.create_room(name="Idle", invite=[bot.user_id])
            wait_for(lambda: anna.membership(room, bot.user_id) == "join", 60, "the bot to join")
            ping = anna.send_text(room, "!ping")
            wait_for(lambda: any(e.get("sender") == bot.user_id and is_message(e)
                                 and reply_target(e) == ping for e in anna.messages(room)),
                     60, "the bot's reply to !ping")
            scraped = scrape() if args.metrics else None
            after_reply = status_kib(bot.pid)
            samples = []
            step = args.idle / args.samples
            for _ in range(args.samples):
                time.sleep(step)
                if not bot.alive():
                    raise SystemExit("the bot exited:\n" + bot.log_tail(40))
                samples.append(status_kib(bot.pid))
            if args.metrics:
                scraped = scrape()
                samples.append(status_kib(bot.pid))
            final = samples[-1]
            result = {
                "binary": str(args.bin),
                "metrics_bytes": scraped,
                "idle_seconds": args.idle,
                "vmrss_kib": final["VmRSS"],
                "vmhwm_kib": final["VmHWM"],
                "rss_anon_kib": final.get("RssAnon"),
                "rss_file_kib": final.get("RssFile"),
                "vmsize_kib": final.get("VmSize"),
                "vmrss_after_reply_kib": after_reply["VmRSS"],
                "vmrss_samples_kib": [s["VmRSS"] for s in samples],
                "pss_kib": rollup_kib(bot.pid, "Pss"),
                "rss_by_mapping_kib": rss_by_mapping(bot.pid, args.top),
            }
            if args.smaps:
                args.smaps.write_text(Path(f"/proc/{bot.pid}/smaps").read_text())
            print(json.dumps(result))
        finally:
            bot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
