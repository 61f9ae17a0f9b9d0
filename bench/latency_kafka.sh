#!/usr/bin/env bash
# Benchmark: p99 commit-to-ack latency of PostgreSQL -> outboxd -> Kafka at a steady offered load,
# durable settings (producers with synchronous_commit = on; the Kafka transport's defaults
# enable.idempotence=true, acks=all).
#   - starts tests/services/postgres.sh and tests/services/kafka.sh when they are not running;
#   - builds the release preset; a fresh schema; a fresh topic of 3 partitions with
#     message.timestamp.type=LogAppendTime (so a consumed message carries the broker's append time,
#     which with acks=all is when the write was acknowledged);
#   - starts `outboxd run` on a PostgreSQL -> Kafka config routing everything to that topic;
#   - bench/kafka/kafka_latency_bench.cpp: CONNECTIONS producer connections insert transactions of
#     PER_TX events (BEGIN; one INSERT of PER_TX rows; COMMIT) at RATE events/s on an absolute schedule for SECONDS,
#     noting each event's commit time (CLOCK_REALTIME right after COMMIT returned) by its id; a
#     librdkafka consumer reads the topic; latency = LogAppendTime - commit time (same host clock);
#     the first WARMUP seconds of events are dropped.
# Prints count, p50/p90/p99/p99.9/max in ms, offered and achieved rates, and the settings.
#
# usage: bench/latency_kafka.sh [RATE=5000] [SECONDS=60] [WARMUP=5] [CONNECTIONS=8] [PER_TX=1]
#        relay settings (unset: outboxd's defaults): POLL_INTERVAL=10ms BATCH_SIZE=500
#        extra librdkafka properties of the transport: KAFKA_PROPERTIES="linger.ms=1"
#        TIMESTAMPS=CreateTime: the topic keeps the time outboxd produced each message, and the
#          latency is split there (commit -> produce, produce -> the consumer's receipt)
#        OUTBOXD_NICE=-10: outboxd runs at that nice value (root), i.e. with a larger CPU share
#          than the producers, the database and the broker when they compete for the cores
#        OUTBOXD_BENCH_PG_DSN overrides the DSN of tests/services/postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-5000}
seconds=${2:-60}
warmup=${3:-5}
connections=${4:-8}
per_tx=${5:-1}
props=(${KAFKA_PROPERTIES:-})
dsn=${OUTBOXD_BENCH_PG_DSN:-postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test}
bootstrap=127.0.0.1:9092
partitions=3

tests/services/postgres.sh status >/dev/null 2>&1 || tests/services/postgres.sh start >/dev/null
tests/services/kafka.sh status >/dev/null 2>&1 || tests/services/kafka.sh start 2>/dev/null
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
bin=build/release/bin/outboxd
bench=build/release/bin/kafka_latency_bench
[ -x "$bench" ] || { echo "missing $bench (needs libpqxx-dev and librdkafka-dev)" >&2; exit 1; }

work=$(mktemp -d)
outboxd_pid=
schema=outboxd_bench_latency
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$dsn" "$@" 2>&1 | grep -v -e "^NOTICE" -e "^DETAIL" -e "^drop cascades" || true; }
cleanup() {
  if [ -n "$outboxd_pid" ]; then kill "$outboxd_pid" 2>/dev/null || true; wait "$outboxd_pid" 2>/dev/null || true; fi
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
  "$bench" delete-topics "$bootstrap" "$topic" || true
  rm -rf "$work"
}
topic="latency-$(date +%s)"
trap cleanup EXIT

relay="lease: 30s"
[ -n "${POLL_INTERVAL:-}" ] && relay+=", poll_interval: $POLL_INTERVAL"
[ -n "${BATCH_SIZE:-}" ] && relay+=", batch_size: $BATCH_SIZE"
extra=""
for kv in "${props[@]}"; do extra+=", ${kv%%=*}: \"${kv#*=}\""; done
cat >"$work/pg.yaml" <<YAML
storage: { type: postgres, dsn: "$dsn", schema: $schema, table: outbox_events }
relay: { $relay }
transports: [ { name: events, type: kafka, properties: { bootstrap.servers: "$bootstrap"$extra } } ]
routes: [ { match: "*", transport: events, destination: "$topic" } ]
log: { level: warn }
YAML

psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
"$bin" status -c "$work/pg.yaml" >/dev/null  # migrates (storage.migrate: auto): the fresh table
timestamps=${TIMESTAMPS:-LogAppendTime}
"$bench" create-topic "$bootstrap" "$topic" "$partitions" "$timestamps"

echo "latency_kafka: PostgreSQL $(psql -X -qtA "$dsn" -c 'SHOW server_version')" \
     "(fsync $(psql -X -qtA "$dsn" -c 'SHOW fsync'), producers synchronous_commit=on, $per_tx event(s) per transaction)" \
     "-> outboxd -> Apache Kafka $(ls /tmp/outboxd-services/kafka/libs | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p')" \
     "on $bootstrap (one node, same machine, $(nproc) cores), librdkafka $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null)"
echo "settings: relay { $relay } (unset keys: outboxd defaults batch_size 500, max_in_flight 20000," \
     "poll_interval 1s); producer enable.idempotence=true acks=all partitioner=murmur2_random" \
     "linger.ms=5 (librdkafka default) ${props[*]:-}; topic $topic: $partitions partitions," \
     "message.timestamp.type=$timestamps; load: $rate events/s for $seconds s from $connections connections," \
     "warm-up $warmup s dropped; ~300-byte payloads, 1000 keys, one traceparent header; outboxd at nice ${OUTBOXD_NICE:-0}"

nice -n "${OUTBOXD_NICE:-0}" "$bin" run -c "$work/pg.yaml" 2>"$work/run.log" &
outboxd_pid=$!
sleep 1
kill -0 "$outboxd_pid" || { echo "outboxd run exited:"; cat "$work/run.log"; exit 1; }
cpu0=$(awk '{print $14 + $15}' /proc/$outboxd_pid/stat)
rc=0
"$bench" run "$dsn" "$schema.outbox_events" "$bootstrap" "$topic" "$partitions" "$rate" "$seconds" "$warmup" \
  "$connections" "$per_tx" || rc=$?
cpu1=$(awk '{print $14 + $15}' /proc/$outboxd_pid/stat)
awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v s="$seconds" \
  'BEGIN { printf "outboxd CPU during the run: %.1f s (%.0f %% of one core)\n", t / hz, 100 * t / hz / s }'
if grep -qv '^$' "$work/run.log"; then echo "outboxd stderr (last lines):"; tail -3 "$work/run.log" | sed 's/^/  /'; fi
echo "load average at the end (other work on the host shows here): $(cut -d" " -f1-3 /proc/loadavg)"
exit $rc
