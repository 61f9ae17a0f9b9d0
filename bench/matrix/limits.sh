# Sourced by bench/run: the limits each path is held against, measured in the same run. Each
# records one "limit" object named for the bound it is; the storage-only drains (the limit of
# the transport paths) are drains like the others (bench/matrix/drains.sh).

# limit_sql_ceiling: the plain-SQL ceiling of the claim/settle design on this PostgreSQL: a
# backlog of $events (as the drains fill it), then pgbench runs the storage's own claim and
# settle statements (bench/postgres/claim_settle_script.cpp) in a tight loop, batches of $batch,
# from 2 clients (as the relay claims on one connection while it settles on the other), with
# the relay's session settings; no relay, no transport.
limit_sql_ceiling() {
  local schema=outboxd_bench_sql clients=2
  trap 'psql_ -c "DROP SCHEMA IF EXISTS outboxd_bench_sql CASCADE" || true' EXIT
  relay_config "$work/sql.yaml" "$(pg_config_storage "$schema")" '[ { name: events, type: "null" } ]' bench
  pg_fill_backlog "$work/sql.yaml" "$schema" "$events"
  "$claim_settle_script" "$schema" outbox_events script >"$work/claim_settle.sql"
  # Enough loops for every batch, a few more (a claim past the end finds nothing).
  local loops=$(((events + batch - 1) / batch / clients + 2)) lsn start
  lsn=$(pg_wal_lsn)
  start=$EPOCHREALTIME
  PGOPTIONS="$("$claim_settle_script" "$schema" outbox_events options)" \
    pgbench_ -n -M prepared -c "$clients" -j "$clients" -t "$loops" -D "batch=$batch" -D lease_ms=30000 \
    -D owner=pgbench -f "$work/claim_settle.sql" >"$work/pgbench.log" 2>&1 ||
    { tail -5 "$work/pgbench.log"; return 1; }
  local wall wal left
  wall=$(awk -v a="$EPOCHREALTIME" -v b="$start" 'BEGIN { printf "%.3f", a - b }')
  wal=$(pg_wal_bytes_since "$lsn")
  left=$(pg_value "SELECT count(*) FROM $schema.outbox_events")
  awk -v n="$((events - left))" -v wall="$wall" -v wal="$wal" -v left="$left" 'BEGIN {
    printf "plain-SQL claim/settle ceiling: %d events in %.2f s = %.0f events/s; WAL %.0f bytes/event; left %d\n",
      n, wall, n / wall, wal / n, left }'
  record limit "$(json name=postgres_sql_ceiling events:="$events" settled:="$((events - left))" wall_s:="$wall" \
    clients:="$clients" batch:="$batch" wal_bytes:="$wal")"
}

# bare_result FILE: "seconds messages/s failed" from the last line of a bare bench's output
# ("  S s   R messages/s   failed F", bench/kafka/kafka_bare_bench.cpp, bench/mqtt/mqtt_bare_bench.cpp).
bare_result() { sed -n -E 's|^ +([0-9.]+) s +([0-9]+) messages/s +failed ([0-9]+)$|\1 \2 \3|p' "$1"; }

# limit_bare NAME OUTPUT-FILE MESSAGES: records a bare client's result.
limit_bare() {
  local seconds rate failed
  read -r seconds rate failed < <(bare_result "$2")
  [ -n "$rate" ] || { echo "no result in the output"; return 1; }
  record limit "$(json name="$1" messages:="$3" wall_s:="$seconds" messages_per_s:="$rate" failed:="$failed")"
}

# limit_kafka_bare: a bare librdkafka producer, messages from memory, the transport's settings.
limit_kafka_bare() {
  local topic="$run_id.bare"
  trap '"$latency_bench" delete-topics "$kafka_bootstrap" "'"$topic"'" || true' EXIT
  "$kafka_bare_bench" "$kafka_bootstrap" "$topic" "$bare_messages" 300 | tee "$work/bare.txt"
  limit_bare kafka_bare_producer "$work/bare.txt" "$bare_messages"
}

# limit_mqtt_bare: a bare paho client, QoS 1, a window of the broker's Receive Maximum.
limit_mqtt_bare() {
  build/release/bin/mqtt_bare_bench "$mqtt_server" "bench/$run_id/bare" "$bare_messages" 300 "$mqtt_inflight" |
    tee "$work/bare.txt"
  limit_bare mqtt_bare_client "$work/bare.txt" "$bare_messages"
}
