#!/usr/bin/env bash
# Benchmark: drain a backlog of N events from the SQLite storage to a transport that writes to
# /dev/null (the stdout transport in file mode), with `outboxd run --until-idle`.
# Prints events/s (wall clock) and outboxd's CPU time per event (user + system), and the settings.
# usage: bench/relay_sqlite.sh [EVENTS=100000] [BATCH_SIZE=500]   (needs the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/sample_events.sh
events=${1:-100000}
batch=${2:-500}
bin=build/release/bin/outboxd
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/bench.yaml" <<YAML
storage: { type: sqlite, path: $work/outbox.db, synchronous: full }
relay: { batch_size: $batch, max_in_flight: 20000, lease: 30s, poll_interval: 100ms }
transports: [ { name: sink, type: stdout, mode: file, path: /dev/null } ]
routes: [ { match: "*", transport: sink, destination: "bench.{event_type}" } ]
log: { level: warn }
YAML

sample_events_jsonl "$events" >"$work/events.jsonl"
"$bin" enqueue -c "$work/bench.yaml" --file "$work/events.jsonl" >/dev/null

TIMEFORMAT='%R %U %S'
{ time "$bin" run -c "$work/bench.yaml" --until-idle 2>"$work/run.log"; } 2>"$work/time"
read -r wall user sys <"$work/time"
left=$("$bin" status -c "$work/bench.yaml" --json)
awk -v n="$events" -v wall="$wall" -v user="$user" -v sys="$sys" -v batch="$batch" -v left="$left" 'BEGIN {
  printf "relay_sqlite: %d events, ~300-byte JSON payloads, batch_size %d, max_in_flight 20000, synchronous full, transport stdout -> /dev/null\n", n, batch
  printf "  wall %.2f s   events/s %.0f   outboxd CPU %.2f s (user %.2f + sys %.2f) = %.2f us/event\n", wall, n / wall, user + sys, user, sys, (user + sys) * 1e6 / n
  printf "  left after the run: %s\n", left
}'
