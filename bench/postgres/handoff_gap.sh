#!/usr/bin/env bash
# The handoff gap of relay.ordering: key: three relays share the lanes of an outbox; one is
# killed with SIGKILL, and the gap is the time from the kill until no lane is its own any more
# (until then its lanes are owned by nobody alive). The target is at most the lease plus one
# poll interval: the dead relay's heartbeat runs out a lease after its last claim at the latest,
# and the others take its lanes at their next claim. ROUNDS kills per BUILD (a build directory
# with bin/outboxd; the builds take turns), each with three fresh relays; prints every gap and
# the median and greatest of each build.
#   bench/postgres/handoff_gap.sh BUILD...   e.g. bench/postgres/handoff_gap.sh build/old build/release
# Settings: LEASE=4s POLL_INTERVAL=100ms ROUNDS=5.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/postgres.sh
[ $# -ge 1 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
lease=${LEASE:-4s} poll=${POLL_INTERVAL:-100ms} rounds=${ROUNDS:-5}
schema=outboxd_bench_gap
lanes="$schema.outbox_events_lanes"
work=$(mktemp -d)
pids=()
cleanup() {
  [ ${#pids[@]} -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  rm -rf "$work"
}
trap cleanup EXIT
pg_start

cat >"$work/outboxd.yaml" <<EOF
storage: $(pg_config_storage "$schema")
relay: { ordering: key, lease: $lease, poll_interval: $poll }
transports: [ { name: out, type: "null" } ]
routes: [ { match: "*", transport: out } ]
log: { level: warn }
EOF
psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
"$1/bin/outboxd" status -c "$work/outboxd.yaml" >/dev/null  # migrates

now_ms() { date +%s%3N; }
# Waits until every lane is owned by one of three relays.
wait_shared() {
  for _ in $(seq 1 300); do
    [ "$(pg_value "SELECT count(DISTINCT owner) = 3 AND count(owner) = count(*) FROM $lanes")" = t ] && return
    sleep 0.1
  done
  echo "the three relays did not share the lanes within 30 s" >&2
  exit 1
}

declare -A gaps
for round in $(seq 1 "$rounds"); do
  for build in "$@"; do
    pids=()
    for i in 1 2 3; do
      "$build/bin/outboxd" run -c "$work/outboxd.yaml" 2>>"$work/relays.log" &
      pids+=($!)
    done
    wait_shared
    victim=${pids[0]}
    killed_at=$(now_ms)
    kill -KILL "$victim"
    wait "$victim" 2>/dev/null || true
    while [ "$(pg_value "SELECT count(*) FROM $lanes WHERE owner LIKE '%:$victim/%'")" != 0 ]; do sleep 0.01; done
    gap=$(($(now_ms) - killed_at))
    gaps[$build]+="$gap "
    echo "round $round, $build: $gap ms"
    kill -TERM "${pids[@]:1}"
    wait "${pids[@]:1}" || true
    pids=()
    [ "$(pg_value "SELECT count(owner) FROM $lanes")" = 0 ] || { echo "lanes left owned after the relays closed" >&2; exit 1; }
  done
done
echo "lease $lease, poll_interval $poll, $rounds kills per build:"
for build in "$@"; do
  sorted=$(tr ' ' '\n' <<<"${gaps[$build]}" | grep . | sort -n)
  echo "  $build: median $(sed -n "$(((rounds + 1) / 2))p" <<<"$sorted") ms, greatest $(tail -n 1 <<<"$sorted") ms"
done
