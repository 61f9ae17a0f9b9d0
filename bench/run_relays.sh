#!/usr/bin/env bash
# bench/run_relays.sh N CONFIG OUTBOXD [PREFIX...]: N relays (`outboxd run`) on the one outbox of
# CONFIG until it is drained (`outboxd status`: nothing pending, nothing in flight), then SIGTERM
# to each and a wait for all. Not `run --until-idle`: with ordering: key a relay that starts while
# another owns every lane has nothing to claim, and would stop before the lanes are shared.
# Exits with the first non-zero status of a relay. Used by bench/relay_backlog.sh (RELAYS=N).
set -uo pipefail
n=$1 config=$2 bin=$3
shift 3
pids=()
for _ in $(seq "$n"); do
  "$@" "$bin" run -c "$config" &
  pids+=($!)
done
until "$bin" status -c "$config" --json 2>/dev/null | grep -q '"pending":0,"in_flight":0,'; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done  # a relay died: stop
  sleep 0.2
done
kill -TERM "${pids[@]}" 2>/dev/null
rc=0
for pid in "${pids[@]}"; do
  wait "$pid"
  status=$?
  [ "$rc" -ne 0 ] || rc=$status
done
exit "$rc"
