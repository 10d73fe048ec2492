#!/usr/bin/env python3
"""matrix-nio parsing one /sync body: python nio_sync_bench.py BODY_FILE [--repeat K].

Measured per repetition, from the body's bytes already in memory (as for the other two tools):
json.loads of the body, then nio.SyncResponse.from_dict (nio's own parse of a /sync response:
schema validation and one typed Event object per timeline and state event, as AsyncClient.sync
does before it hands the response to the client's state). Nothing is stored. events_per_second
counts the joined rooms' timeline events, as reflexbot-bench-sync does; seconds is the median.
Prints one line of JSON.
"""

import argparse
import importlib.metadata
import json
import logging
import resource
import statistics
import time

from nio import SyncResponse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("body")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    logging.disable(logging.WARNING)  # nio logs every event it cannot type

    with open(args.body, "rb") as f:
        raw = f.read()
    seconds = []
    events = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        response = SyncResponse.from_dict(json.loads(raw))
        seconds.append(time.perf_counter() - start)
        if not isinstance(response, SyncResponse):  # nio returns an error response instead
            raise SystemExit(f"nio refused the body: {response}")
        events = sum(len(room.timeline.events) for room in response.rooms.join.values())
    median = statistics.median(seconds)
    print(json.dumps({
        "tool": "matrix-nio",
        "version": importlib.metadata.version("matrix-nio"),
        "events": events,
        "repeat": args.repeat,
        "seconds": median,
        "events_per_second": round(events / median),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
