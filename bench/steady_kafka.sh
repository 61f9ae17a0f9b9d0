# Sourced by bench/latency_kafka.sh and bench/run: one steady run of PostgreSQL -> outboxd -> Kafka
# at an offered rate, its commit-to-ack latency measured by bench/kafka/kafka_latency_bench.cpp
# (the method: bench/latency_kafka.sh's head). Needs $bin (outboxd), $work (a scratch directory)
# and $latency_bench (kafka_latency_bench); PostgreSQL and Kafka running; run from the
# repository's root. Relay and producer settings from the environment: POLL_INTERVAL,
# BATCH_SIZE, KAFKA_PROPERTIES, TIMESTAMPS, OUTBOXD_NICE (see bench/latency_kafka.sh).
. bench/postgres.sh
. bench/process_usage.sh
. bench/brokers.sh

steady_schema=outboxd_bench_latency
steady_partitions=3
steady_outboxd=
steady_sampler=
steady_topic=

# steady_kafka_settings: the relay block of the config (YAML) in steady_relay.
steady_kafka_settings() {
  steady_relay="lease: 30s"
  if [ -n "${POLL_INTERVAL:-}" ]; then steady_relay+=", poll_interval: $POLL_INTERVAL"; fi
  if [ -n "${BATCH_SIZE:-}" ]; then steady_relay+=", batch_size: $BATCH_SIZE"; fi
}

# steady_kafka RATE SECONDS WARMUP CONNECTIONS PER_TX [CDF_FILE]: a fresh schema and topic,
# `outboxd run` on them, the bench's load for SECONDS; prints the bench's lines and outboxd's CPU.
# Sets steady_cpu_s (outboxd's CPU time during the load), steady_peak_kib (its peak RSS), leaves the
# bench's output in $work/steady.txt and outboxd's RSS samples in $work/rss.txt; CDF_FILE gets the
# latency's distribution. Returns the bench's status (non-zero when an event went missing).
steady_kafka() {
  local rate=$1 seconds=$2 warmup=$3 connections=$4 per_tx=$5 cdf=${6:-}
  steady_kafka_settings
  steady_topic="latency-$(date +%s%N)"
  cat >"$work/steady.yaml" <<YAML
storage: $(pg_config_storage "$steady_schema")
relay: { $steady_relay }
transports: $(kafka_transports ${KAFKA_PROPERTIES:-})
routes: [ { match: "*", transport: events, destination: "$steady_topic" } ]
log: { level: warn }
YAML
  psql_ -c "DROP SCHEMA IF EXISTS $steady_schema CASCADE"
  "$bin" status -c "$work/steady.yaml" >/dev/null  # migrates (storage.migrate: auto): the fresh table
  "$latency_bench" create-topic "$kafka_bootstrap" "$steady_topic" "$steady_partitions" "${TIMESTAMPS:-LogAppendTime}"

  nice -n "${OUTBOXD_NICE:-0}" "$bin" run -c "$work/steady.yaml" 2>"$work/run.log" &
  steady_outboxd=$!
  sleep 1
  kill -0 "$steady_outboxd" || { echo "outboxd run exited:"; cat "$work/run.log"; return 1; }
  : >"$work/rss.txt"
  sample_rss "$steady_outboxd" "$work/rss.txt" &
  steady_sampler=$!
  local cpu0 rc=0
  cpu0=$(cpu_seconds "$steady_outboxd")
  "$latency_bench" run "$pg_dsn" "$steady_schema.outbox_events" "$kafka_bootstrap" "$steady_topic" \
    "$steady_partitions" "$rate" "$seconds" "$warmup" "$connections" "$per_tx" ${cdf:+"$cdf"} |
    tee "$work/steady.txt" || rc=$?
  steady_cpu_s=$(awk -v a="$(cpu_seconds "$steady_outboxd")" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')
  steady_peak_kib=$(peak_rss_kib "$steady_outboxd")
  awk -v t="$steady_cpu_s" -v s="$seconds" -v peak="$steady_peak_kib" \
    'BEGIN { printf "outboxd CPU during the run: %.1f s (%.0f %% of one core); peak RSS %.1f MiB\n", t, 100 * t / s, peak / 1024 }'
  if grep -qv '^$' "$work/run.log"; then echo "outboxd stderr (last lines):"; tail -3 "$work/run.log" | sed 's/^/  /'; fi
  steady_kafka_cleanup
  return "$rc"
}

# steady_kafka_cleanup: stops outboxd, drops the schema and the topic (idempotent; for traps too).
steady_kafka_cleanup() {
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
