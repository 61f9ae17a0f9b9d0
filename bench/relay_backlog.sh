# Sourced by bench/relay_kafka.sh and bench/relay_mqtt.sh: drain a backlog of sample events
# (bench/sample_events.sh) from SQLite or PostgreSQL through one transport and print events/s and
# outboxd's CPU time per event. Needs $bin (outboxd), $work (a scratch directory), $batch and
# $max_in_flight set by the caller.

# drain LABEL CONFIG EVENTS: outboxd run --until-idle on CONFIG, timed.
drain() {
  local label=$1 config=$2 n=$3
  TIMEFORMAT='%R %U %S'
  { time "$bin" run -c "$config" --until-idle 2>"$work/run.log"; } 2>"$work/time"
  read -r wall user sys <"$work/time"
  local left
  left=$("$bin" status -c "$config" --json)
  local pending
  pending=$(echo "$left" | sed -n 's/.*"pending":\([0-9]*\).*/\1/p')
  n=$((n - ${pending:-0}))  # what was relayed
  awk -v label="$label" -v n="$n" -v wall="$wall" -v user="$user" -v sys="$sys" -v left="$left" 'BEGIN {
    printf "%s: %d events in %.2f s = %.0f events/s; outboxd CPU %.2f s (user %.2f + sys %.2f) = %.2f us/event; left %s\n",
      label, n, wall, n / wall, user + sys, user, sys, (user + sys) * 1e6 / n, left
  }'
  if grep -qv '^$' "$work/run.log"; then echo "  outboxd stderr (last lines):"; tail -3 "$work/run.log" | sed 's/^/    /'; fi
}

# drain_sqlite LABEL TRANSPORTS DESTINATION EVENTS: a SQLite backlog of EVENTS to the transports
# (YAML flow list), routed to DESTINATION.
drain_sqlite() {
  cat >"$work/sqlite.yaml" <<YAML
storage: { type: sqlite, path: $work/outbox.db, synchronous: full }
relay: { batch_size: $batch, max_in_flight: $max_in_flight, lease: 30s, poll_interval: 100ms }
transports: $2
routes: [ { match: "*", transport: events, destination: "$3" } ]
log: { level: warn }
YAML
  rm -f "$work"/outbox.db*
  sample_events_jsonl "$4" >"$work/events.jsonl"
  "$bin" enqueue -c "$work/sqlite.yaml" --file "$work/events.jsonl" >/dev/null
  drain "$1 (synchronous full), batch_size $batch, max_in_flight $max_in_flight" "$work/sqlite.yaml" "$4"
}

# drain_postgres LABEL TRANSPORTS DESTINATION EVENTS SCHEMA: the same from the PostgreSQL of
# tests/services/postgres.sh (started when it is not running), in a schema of its own.
drain_postgres() {
  if [ ! -f "$plugins/outbox-storage-postgres.so" ]; then
    echo "$1 skipped: the PostgreSQL storage plugin is not built"
    return 0
  fi
  tests/services/postgres.sh start >/dev/null 2>&1 || { echo "$1 skipped: tests/services/postgres.sh start failed"; return 0; }
  local dsn=${OUTBOXD_BENCH_PG_DSN:-postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test} schema=$5
  psql_() { psql -X -q -v ON_ERROR_STOP=1 "$dsn" "$@" 2>&1 | grep -v -e "^NOTICE" -e "^DETAIL" -e "^drop cascades" || true; }
  cat >"$work/pg.yaml" <<YAML
storage: { type: postgres, dsn: "$dsn", schema: $schema, table: outbox_events }
relay: { batch_size: $batch, max_in_flight: $max_in_flight, lease: 30s, poll_interval: 100ms }
transports: $2
routes: [ { match: "*", transport: events, destination: "$3" } ]
log: { level: warn }
YAML
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
  "$bin" status -c "$work/pg.yaml" >/dev/null  # migrates (storage.migrate: auto)
  psql_ -c "$(sample_rows_sql "$schema.outbox_events" "$4")" -c "VACUUM ANALYZE $schema.outbox_events"
  # The relay reads only rows of transactions older than every one still running; on a shared
  # server, wait until whatever was running when the backlog committed has finished.
  local mark
  mark=$(psql -X -qtA "$dsn" -c "SELECT pg_current_xact_id()")
  for _ in $(seq 600); do
    [ "$(psql -X -qtA "$dsn" -c "SELECT pg_snapshot_xmin(pg_current_snapshot()) > '$mark'::xid8")" = t ] && break
    sleep 0.1
  done
  drain "$1 (server $(psql_ -tAc 'SHOW server_version')), batch_size $batch, max_in_flight $max_in_flight" \
    "$work/pg.yaml" "$4"
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
}
