# Sourced by bench/relay_*.sh and bench/run: drain a backlog of sample events (bench/sample_events.sh)
# from SQLite or PostgreSQL through one transport with `outboxd run --until-idle`, and print
# events/s, outboxd's CPU time per event and its peak RSS. Needs $bin (outboxd), $work (a scratch
# directory), $batch and $max_in_flight set by the caller; run from the repository's root.
. bench/postgres.sh
. bench/process_usage.sh

# median: the median of the numbers on standard input, one per line (of an even count, the mean
# of the middle two).
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# relay_config FILE STORAGE TRANSPORTS DESTINATION: an outboxd config of STORAGE (a YAML flow map)
# and TRANSPORTS (a YAML flow list whose transport is named `events`), every event routed to
# DESTINATION.
relay_config() {
  cat >"$1" <<YAML
storage: $2
relay: { batch_size: $batch, max_in_flight: $max_in_flight, lease: 30s, poll_interval: 100ms, ordering: ${ORDERING:-none} }
transports: $3
routes: [ { match: "*", transport: events, destination: "$4" } ]
log: { level: warn }
YAML
}

# drain LABEL CONFIG EVENTS: outboxd run --until-idle on CONFIG, measured (measure_command), under
# the command in the array outboxd_prefix when one is set (valgrind). Sets drained (events
# relayed), drain_wall, drain_user, drain_sys, drain_peak_kib, and leaves the RSS samples in
# $work/rss.txt. RELAYS=N runs N relays on the one outbox at once (bench/run_relays.sh): the wall
# time is until the outbox is drained and they have stopped, the CPU that of them all, the peak
# RSS the largest one's (the RSS samples are of the script that waits for them).
drain() {
  local label=$1 config=$2 n=$3 rc=0 relays=${RELAYS:-1}
  if [ "$relays" -gt 1 ]; then
    label+=", $relays relays"
    measure_command "$work/rss.txt" bench/run_relays.sh "$relays" "$config" "$bin" "${outboxd_prefix[@]}" \
      2>"$work/run.log" || rc=$?
  else
    measure_command "$work/rss.txt" "${outboxd_prefix[@]}" "$bin" run -c "$config" --until-idle 2>"$work/run.log" || rc=$?
  fi
  drain_wall=$measured_wall drain_user=$measured_user drain_sys=$measured_sys drain_peak_kib=$measured_peak_kib
  local left pending
  left=$("$bin" status -c "$config" --json)
  pending=$(echo "$left" | sed -n 's/.*"pending":\([0-9]*\).*/\1/p')
  drained=$((n - ${pending:-0}))
  awk -v label="$label" -v n="$drained" -v wall="$drain_wall" -v user="$drain_user" -v sys="$drain_sys" \
      -v peak="$drain_peak_kib" -v left="$left" 'BEGIN {
    printf "%s: %d events in %.2f s = %.0f events/s; outboxd CPU %.2f s (user %.2f + sys %.2f) = %.2f us/event, peak RSS %.1f MiB; left %s\n",
      label, n, wall, n / wall, user + sys, user, sys, n ? (user + sys) * 1e6 / n : 0, peak / 1024, left
  }'
  if grep -qv '^$' "$work/run.log"; then echo "  outboxd stderr (last lines):"; tail -3 "$work/run.log" | sed 's/^/    /'; fi
  [ "$rc" -eq 0 ] || echo "  outboxd run exited with status $rc"
}

# sqlite_fill_backlog CONFIG EVENTS: a fresh SQLite outbox ($work/outbox.db) of EVENTS sample events.
sqlite_fill_backlog() {
  rm -f "$work"/outbox.db*
  sample_events_jsonl "$2" >"$work/events.jsonl"
  "$bin" enqueue -c "$1" --file "$work/events.jsonl" >/dev/null
  rm -f "$work/events.jsonl"
}

# drain_sqlite LABEL TRANSPORTS DESTINATION EVENTS: a SQLite backlog of EVENTS to the transports
# (YAML flow list), routed to DESTINATION.
drain_sqlite() {
  relay_config "$work/sqlite.yaml" "{ type: sqlite, path: $work/outbox.db, synchronous: full }" "$2" "$3"
  sqlite_fill_backlog "$work/sqlite.yaml" "$4"
  drain "$1 (synchronous full), batch_size $batch, max_in_flight $max_in_flight" "$work/sqlite.yaml" "$4"
}

# drain_postgres LABEL TRANSPORTS DESTINATION EVENTS SCHEMA: the same from the PostgreSQL of
# tests/services/postgres.sh (started when it is not running), in a schema of its own (dropped
# after). Also sets drain_wal_bytes: the WAL the server wrote during the drain (the relay's,
# and whatever else ran on the server meanwhile).
drain_postgres() {
  if [ ! -f "$plugins/outbox-storage-postgres.so" ]; then
    echo "$1 skipped: the PostgreSQL storage plugin is not built"
    return 0
  fi
  pg_start || { echo "$1 skipped: tests/services/postgres.sh start failed"; return 0; }
  relay_config "$work/pg.yaml" "$(pg_config_storage "$5" "${PG_STORAGE_OPTIONS:-}")" "$2" "$3"
  pg_fill_backlog "$work/pg.yaml" "$5" "$4"
  local lsn
  lsn=$(pg_wal_lsn)
  drain "$1 (server $(pg_value 'SHOW server_version')), batch_size $batch, max_in_flight $max_in_flight" \
    "$work/pg.yaml" "$4"
  drain_wal_bytes=$(pg_wal_bytes_since "$lsn")
  echo "  WAL written during the drain: $((drain_wal_bytes / 1024 / 1024)) MiB = $((drain_wal_bytes / (drained ? drained : 1))) bytes/event"
  psql_ -c "DROP SCHEMA IF EXISTS $5 CASCADE"
}
