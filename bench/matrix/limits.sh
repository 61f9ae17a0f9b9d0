# Sourced by bench/run: the limits each path is held against, measured in the same run. Each
# records one "limit" object named for the bound it is; the storage-only drains (the limit of
# the transport paths) are drains like the others (bench/matrix/drains.sh).

# limit_sql_ceiling: the plain-SQL ceiling of the claim/settle design on this PostgreSQL: a
# backlog of $events (as the drains fill it), then the storage's own claim and settle statements
# in a loop on the server (bench/postgres/claim_settle_script.cpp), batches of $batch, from 2
# sessions (as the relay claims on one connection while it settles on the other), with the
# relay's session settings; no relay, no transport, no rows sent to a client.
limit_sql_ceiling() {
  local schema=outboxd_bench_sql sessions=2
  trap 'psql_ -c "DROP SCHEMA IF EXISTS outboxd_bench_sql CASCADE" || true' EXIT
  relay_config "$work/sql.yaml" "$(pg_config_storage "$schema")" '[ { name: events, type: "null" } ]' bench
  pg_fill_backlog "$work/sql.yaml" "$schema" "$events"
  psql_ -c "$("$claim_settle_script" "$schema" outbox_events procedure)"
  local options lsn start i pids=()
  options=$("$claim_settle_script" "$schema" outbox_events options)
  lsn=$(pg_wal_lsn)
  start=$EPOCHREALTIME
  for ((i = 1; i <= sessions; i++)); do
    PGOPTIONS=$options psql_ -c "CALL $schema.claim_settle_loop($batch, 'ceiling-$i')" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  local wall wal left
  wall=$(awk -v a="$EPOCHREALTIME" -v b="$start" 'BEGIN { printf "%.3f", a - b }')
  wal=$(pg_wal_bytes_since "$lsn")
  left=$(pg_value "SELECT count(*) FROM $schema.outbox_events")
  awk -v n="$((events - left))" -v wall="$wall" -v wal="$wal" -v left="$left" 'BEGIN {
    printf "plain-SQL claim/settle ceiling: %d events in %.2f s = %.0f events/s; WAL %.0f bytes/event; left %d\n",
      n, wall, n / wall, wal / n, left }'
  record limit "$(json name=postgres_sql_ceiling events:="$events" settled:="$((events - left))" wall_s:="$wall" \
    sessions:="$sessions" batch:="$batch" wal_bytes:="$wal")"
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

# limit_kafka_bare_one_per_key: the same producer keeping one message per key in flight, its next
# produced when the previous one's delivery report comes: the ceiling of relay.ordering: key.
limit_kafka_bare_one_per_key() {
  local topic="$run_id.bare-key"
  trap '"$latency_bench" delete-topics "$kafka_bootstrap" "'"$topic"'" || true' EXIT
  ONE_PER_KEY=1 "$kafka_bare_bench" "$kafka_bootstrap" "$topic" "$bare_messages" 300 | tee "$work/bare.txt"
  limit_bare kafka_bare_one_per_key "$work/bare.txt" "$bare_messages"
}

# limit_mqtt_bare: a bare paho client, QoS 1, a window of the broker's Receive Maximum.
limit_mqtt_bare() {
  build/release/bin/mqtt_bare_bench "$mqtt_server" "bench/$run_id/bare" "$bare_messages" 300 "$mqtt_inflight" |
    tee "$work/bare.txt"
  limit_bare mqtt_bare_client "$work/bare.txt" "$bare_messages"
}
