// node sync_bench.mjs BODY_FILE [--repeat K]: matrix-js-sdk processing one /sync body, as its
// client does on every sync before anything is stored or rendered. Prints one line of JSON.
//
// Measured per repetition, from the body's bytes already in memory (as for the other two tools):
//  1. JSON.parse of the body;
//  2. SyncAccumulator.accumulate(response): the SDK's own fold of a /sync response into its
//     sync state (what the client keeps to start again from; it copies every room's timeline and
//     state events and reads receipts, account data and summaries);
//  3. one MatrixEvent per room event (timeline and state of joined rooms, with the room id set),
//     which is what the client's event mapper (MatrixClient.getEventMapper, used by SyncApi for
//     every event of a response) builds before anything reaches a Room.
// Not measured: Room and timeline objects, the emitted events, storage, decryption (the bodies
// are clear text). events_per_second counts the joined rooms' timeline events, as
// reflexbot-bench-sync does. seconds is the median of the repetitions.

import { readFileSync } from "node:fs";
import { MatrixEvent, SyncAccumulator } from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

function usage() {
  process.stderr.write("usage: node sync_bench.mjs BODY_FILE [--repeat K]\n");
  process.exit(2);
}

const args = process.argv.slice(2);
let path = "";
let repeat = 5;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--repeat" && i + 1 < args.length) {
    repeat = Number.parseInt(args[++i], 10);
    if (!(repeat >= 1)) usage();
  } else if (!path && !args[i].startsWith("--")) {
    path = args[i];
  } else {
    usage();
  }
}
if (!path) usage();
logger.setLevel?.("warn");

const text = readFileSync(path, "utf8");
const seconds = [];
let events = 0;
let mapped = 0;
for (let run = 0; run < repeat; ++run) {
  const start = process.hrtime.bigint();
  const response = JSON.parse(text);
  const accumulator = new SyncAccumulator();
  accumulator.accumulate(response);
  events = 0;
  mapped = 0;
  for (const [roomId, room] of Object.entries(response.rooms?.join ?? {})) {
    for (const raw of room.timeline?.events ?? []) {
      raw.room_id = roomId;
      if (new MatrixEvent(raw).getId()) ++mapped;
      ++events;
    }
    for (const raw of room.state?.events ?? []) {
      raw.room_id = roomId;
      if (new MatrixEvent(raw).getId()) ++mapped;
    }
  }
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
}
seconds.sort((a, b) => a - b);
const median = seconds[Math.floor(seconds.length / 2)];
process.stdout.write(
  JSON.stringify({
    tool: "matrix-js-sdk",
    version: JSON.parse(
      readFileSync(new URL("node_modules/matrix-js-sdk/package.json", import.meta.url), "utf8"),
    ).version,
    events,
    mapped,
    repeat,
    seconds: median,
    events_per_second: Math.round(events / median),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  }) + "\n",
);
