# Sourced by bench/latency_kafka.sh and bench/run: one steady run of PostgreSQL -> outboxd -> Kafka
# or MQTT at an offered rate, its commit-to-delivery latency measured by
# bench/kafka/kafka_latency_bench.cpp (the broker's append time: the ack) or
# bench/mqtt/mqtt_latency_bench.cpp (a subscriber's receipt); the load: bench/latency/timed_load.hpp.
# Needs $bin (outboxd), $work (a scratch directory), $latency_bench (kafka_latency_bench, also
# for MQTT: it deletes Kafka topics); PostgreSQL and the broker running; run from the repository's
# root. Settings from the environment: POLL_INTERVAL, BATCH_SIZE, KAFKA_PROPERTIES (one name=value
# per word), TIMESTAMPS (Kafka), OUTBOXD_NICE (see bench/latency_kafka.sh).
. bench/postgres.sh
. bench/process_usage.sh
. bench/brokers.sh

steady_schema=outboxd_bench_latency
steady_partitions=3
steady_outboxd=
steady_sampler=
steady_topic=

# steady_settings: the relay block of the config (YAML) in steady_relay.
steady_settings() {
  steady_relay="lease: 30s"
  if [ -n "${POLL_INTERVAL:-}" ]; then steady_relay+=", poll_interval: $POLL_INTERVAL"; fi
  if [ -n "${BATCH_SIZE:-}" ]; then steady_relay+=", batch_size: $BATCH_SIZE"; fi
}

# steady_run kafka|mqtt RATE SECONDS WARMUP CONNECTIONS PER_TX [CDF_FILE]: a fresh schema and topic,
# `outboxd run` on them, the bench's load for SECONDS; prints the bench's lines and outboxd's CPU.
# Sets steady_cpu_s (outboxd's CPU time during the load), steady_peak_kib (its peak RSS), leaves
# the bench's output in $work/steady.txt and outboxd's RSS samples in $work/rss.txt; CDF_FILE gets
# the latency's distribution. Returns the bench's status (non-zero when an event went missing).
steady_run() {
  local transport=$1 rate=$2 seconds=$3 warmup=$4 connections=$5 per_tx=$6 cdf=${7:-} transports bench destination
  steady_settings
  case $transport in
    kafka)
      destination="latency-$(date +%s%N)"
      steady_topic=$destination  # to delete
      transports=$(kafka_transports ${KAFKA_PROPERTIES:-})  # one property per word
      bench=("$latency_bench" run "$pg_dsn" "$steady_schema.outbox_events" "$kafka_bootstrap" "$destination"
             "$steady_partitions") ;;
    mqtt)
      destination="bench/latency-$(date +%s%N)"
      transports=$(mqtt_transports "$(mosquitto_inflight)")
      bench=(build/release/bin/mqtt_latency_bench "$pg_dsn" "$steady_schema.outbox_events" "$mqtt_server"
             "$destination") ;;
    *) echo "steady_run: unknown transport $transport" >&2; return 2 ;;
  esac
  cat >"$work/steady.yaml" <<YAML
storage: $(pg_config_storage "$steady_schema")
relay: { $steady_relay }
transports: $transports
routes: [ { match: "*", transport: events, destination: "$destination" } ]
log: { level: warn }
YAML
  psql_ -c "DROP SCHEMA IF EXISTS $steady_schema CASCADE"
  "$bin" status -c "$work/steady.yaml" >/dev/null  # migrates (storage.migrate: auto): the fresh table
  if [ "$transport" = kafka ]; then
    "$latency_bench" create-topic "$kafka_bootstrap" "$steady_topic" "$steady_partitions" "${TIMESTAMPS:-LogAppendTime}"
  fi

  nice -n "${OUTBOXD_NICE:-0}" "$bin" run -c "$work/steady.yaml" 2>"$work/run.log" &
  steady_outboxd=$!
  sleep 1
  kill -0 "$steady_outboxd" || { echo "outboxd run exited:"; cat "$work/run.log"; return 1; }
  : >"$work/rss.txt"
  sample_rss "$steady_outboxd" "$work/rss.txt" &
  steady_sampler=$!
  local cpu0 rc=0
  cpu0=$(cpu_seconds "$steady_outboxd")
  "${bench[@]}" "$rate" "$seconds" "$warmup" "$connections" "$per_tx" ${cdf:+"$cdf"} | tee "$work/steady.txt" || rc=$?
  steady_cpu_s=$(awk -v a="$(cpu_seconds "$steady_outboxd")" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')
  steady_peak_kib=$(peak_rss_kib "$steady_outboxd")
  awk -v t="$steady_cpu_s" -v s="$seconds" -v peak="$steady_peak_kib" \
    'BEGIN { printf "outboxd CPU during the run: %.1f s (%.0f %% of one core); peak RSS %.1f MiB\n", t, 100 * t / s, peak / 1024 }'
  if grep -qv '^$' "$work/run.log"; then echo "outboxd stderr (last lines):"; tail -3 "$work/run.log" | sed 's/^/  /'; fi
  steady_cleanup
  return "$rc"
}

# steady_cleanup: stops outboxd, drops the schema and the Kafka topic (idempotent; for traps too).
steady_cleanup() {
  if [ -n "$steady_outboxd" ]; then
    kill "$steady_outboxd" 2>/dev/null || true
    wait "$steady_outboxd" 2>/dev/null || true
    steady_outboxd=
  fi
  if [ -n "$steady_sampler" ]; then
    wait "$steady_sampler" 2>/dev/null || true
    steady_sampler=
  fi
  psql_ -c "DROP SCHEMA IF EXISTS $steady_schema CASCADE" || true
  if [ -n "$steady_topic" ]; then
    "$latency_bench" delete-topics "$kafka_bootstrap" "$steady_topic" || true
    steady_topic=
  fi
}
