#!/usr/bin/env python3
"""Runs several benchmark commands in turns on one body and prints their events/s side by side.

Each --tool is NAME=COMMAND ({body} is replaced by the body's path); each command prints one line
of JSON with events_per_second. Every round runs each tool once, the order rotated from round to
round; the table gives each tool's median and range over the rounds and the first tool's ratio to
each other tool, computed within each round (the machine's speed drifts less within a round).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys


def run(command: list[str]) -> dict:
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tool", action="append", required=True, help="NAME=COMMAND")
    args = parser.parse_args()
    tools = []
    for spec in args.tool:
        name, _, command = spec.partition("=")
        tools.append((name, [part.replace("{body}", args.body) for part in shlex.split(command)]))

    rates = {name: [] for name, _ in tools}
    events = {}
    for r in range(args.rounds):
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for name, command in order:
            result = run(command)
            rates[name].append(result["events_per_second"])
            events[name] = result.get("events")
            print(f"round {r + 1} {name}: {result['events_per_second']:,} events/s "
                  f"({result.get('events')} events)", file=sys.stderr)

    first = tools[0][0]
    size = os.path.getsize(args.body)
    print(f"\nbody: {args.body} ({size:,} bytes, {events[first]} events), {args.rounds} rounds, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"| tool | events/s, median (min–max) | {first} ÷ tool, per round: median (min–max) |")
    print("|---|---:|---:|")
    for name, _ in tools:
        values = rates[name]
        ratios = [a / b for a, b in zip(rates[first], values)]
        ratio = ("—" if name == first else
                 f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")
        print(f"| {name} | {statistics.median(values):,.0f} ({min(values):,}–{max(values):,}) "
              f"| {ratio} |")


if __name__ == "__main__":
    main()
