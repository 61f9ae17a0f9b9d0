#!/usr/bin/env bash
# Benchmark: drain a backlog of N events from the SQLite storage to a transport that writes to
# /dev/null (the stdout transport in file mode), with `outboxd run --until-idle`
# (bench/relay_backlog.sh). Prints events/s (wall clock), outboxd's CPU time per event
# (user + system), its peak RSS, and the settings.
# usage: bench/relay_sqlite.sh [EVENTS=100000] [BATCH_SIZE=1000]   (needs the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/relay_backlog.sh
events=${1:-100000}
batch=${2:-1000}
max_in_flight=10000
bin=build/release/bin/outboxd
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "relay_sqlite: $events events, ~300-byte JSON payloads, transport stdout -> /dev/null"
drain_sqlite "SQLite -> stdout" "[ { name: events, type: stdout, mode: file, path: /dev/null } ]" \
  "bench.{event_type}" "$events"
