#!/usr/bin/env python3
"""Fails if a file under bot/ includes a header of a layer above its own.

The layers, lowest first. A file may include headers of its own rank and of lower ranks, never of
a higher one. A path is ranked by the longest entry of LAYERS that is a prefix of it (folders
under bot/), so a subfolder can get a rank of its own: add e.g. ("app/features", 6) below
("app", 5) and app/features may use the rest of app, but not the other way round. A file or an
include in a folder that LAYERS does not name fails too: a new folder needs its rank here.

Usage: scripts/check-layers.py [ROOT]   (ROOT: the repository, default: this script's parent)
"""

import pathlib
import re
import sys

LAYERS = [
    ("common", 0),  # Expected, Fatal, exit statuses, the outbox queue interface, metrics
    ("core", 1),    # the pure domain: standard library only
    ("lang", 2),    # language data from Debian packages (Hunspell, MyThes) behind core::Lexicon
    ("render", 2),  # pictures: the digest's chart with Cairo and Pango
    ("net", 2),     # HTTP transport on Asio
    ("store", 3),   # SQLite: the unit of work; implements the outbox queue
    ("crypto", 3),  # the encryption machine: interface, and matrix-sdk-crypto behind a C ABI
    ("matrix", 4),  # client, sync loop, event content, outbox drain (includes no store header)
    ("app", 5),     # (no file directly in app/: one of its folders below)
    ("app/config", 5),    # configuration, templates, time zones, YAML helpers
    ("app/features", 6),  # rounds, collection, privacy, digests and lessons: one unit of work
    ("app/runtime", 7),   # wiring, dispatcher, timers, systemd, retention job, pseudonyms
    ("app/cli", 8),       # main, status and backup, export
]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def rank_of(path):
    """The rank of `path` (relative to bot/, with '/'), and the LAYERS entry that gave it."""
    best = None
    for folder, rank in LAYERS:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, rank)
    return best


def check(root):
    bot = root / "bot"
    errors = []
    files = sorted(p for p in bot.rglob("*") if p.suffix in (".hpp", ".cpp") and p.is_file())
    for file in files:
        name = file.relative_to(bot).as_posix()
        own = rank_of(name)
        if own is None:
            errors.append(f"bot/{name}: folder not in the layer table (scripts/check-layers.py)")
            continue
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            layer = rank_of(target)
            if layer is None:
                errors.append(f"bot/{name}:{number}: includes \"{target}\", whose folder is not "
                              "in the layer table")
            elif layer[1] > own[1]:
                errors.append(f"bot/{name}:{number}: {own[0]} (rank {own[1]}) includes "
                              f"\"{target}\" of {layer[0]} (rank {layer[1]}): an upward include")
    return files, errors


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    files, errors = check(root.resolve())
    if not files:
        print(f"layers: no C++ files under {root}/bot", file=sys.stderr)
        return 1
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        order = " < ".join(folder for folder, _ in sorted(LAYERS, key=lambda entry: entry[1]))
        print(f"layers: {len(errors)} violation(s); the order is {order}", file=sys.stderr)
        return 1
    print(f"layers: {len(files)} files, no upward include")
    return 0


if __name__ == "__main__":
    sys.exit(main())
