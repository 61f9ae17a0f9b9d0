#!/usr/bin/env bash
# Benchmark: the Kafka transport against the local broker (tests/services/kafka.sh, started here
# when it is not running), with durable producer settings (enable.idempotence=true, acks=all):
#   (a) transport only: MESSAGES messages built in memory, published through the plugin's vtable
#       (bench/kafka/kafka_publish_bench.cpp), timed until the last delivery report;
#   (b) end to end, SQLite -> Kafka: drain an EVENTS backlog with `outboxd run --until-idle`;
#   (c) end to end, PostgreSQL -> Kafka, the same, when the PostgreSQL plugin is built (the server
#       of tests/services/postgres.sh is started when it is not running); PG_EVENTS events.
# ~300-byte JSON payloads, a partition key (1000 distinct) and one traceparent header per event.
# Prints messages/s and the settings.
#
# usage: bench/relay_kafka.sh [EVENTS=200000] [BATCH_SIZE=500] [MESSAGES=500000] [PG_EVENTS=1000000]
#        extra librdkafka properties for every run: KAFKA_PROPERTIES="linger.ms=20 compression.type=lz4"
#        relay.max_in_flight of the end-to-end runs: MAX_IN_FLIGHT=20000
# needs: the release build (cmake --preset release && cmake --build --preset release --target
#        outboxd outbox-storage-sqlite outbox-transport-kafka kafka_publish_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/sample_events.sh
events=${1:-200000}
batch=${2:-500}
messages=${3:-500000}
pg_events=${4:-1000000}
props=(${KAFKA_PROPERTIES:-})
max_in_flight=${MAX_IN_FLIGHT:-20000}
bin=build/release/bin/outboxd
bench=build/release/bin/kafka_publish_bench
plugins=build/release/lib/outboxd/plugins
for f in "$bin" "$bench" "$plugins/outbox-transport-kafka.so" "$plugins/outbox-storage-sqlite.so"; do
  [ -e "$f" ] || { echo "missing $f; build first: cmake --preset release && cmake --build --preset release" \
                        "--target outboxd outbox-storage-sqlite outbox-transport-kafka kafka_publish_bench" >&2; exit 1; }
done
tests/services/kafka.sh start 2>/dev/null
work=$(mktemp -d)
run_id="bench-$(date +%s)"
cleanup() {
  rm -rf "$work"
  # The run's topics hold ~1 GB of logs: delete them (with the admin client of the latency bench,
  # when it is built).
  [ -x build/release/bin/kafka_latency_bench ] &&
    build/release/bin/kafka_latency_bench delete-topics 127.0.0.1:9092 \
      "$run_id.transport" "$run_id.sqlite.order.created" "$run_id.pg.order.created" || true
}
trap cleanup EXIT

yaml_properties() {  # the extra properties as YAML flow-map entries
  local kv out=""
  for kv in "${props[@]}"; do out+=", ${kv%%=*}: \"${kv#*=}\""; done
  echo "$out"
}

echo "relay_kafka: Apache Kafka $(ls /tmp/outboxd-services/kafka/libs | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p')" \
     "single node on 127.0.0.1:9092 (same machine, $(nproc) cores, heap 1 GB), librdkafka" \
     "$(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null), producer: enable.idempotence=true acks=all" \
     "partitioner=murmur2_random linger.ms=5 (librdkafka default) ${props[*]:-}; topics of 3 partitions"

# (a) transport only
"$bench" "$plugins/outbox-transport-kafka.so" 127.0.0.1:9092 "$run_id.transport" "$messages" "$batch" 300 50000 \
  "${props[@]}" | sed 's/^/(a) /'

# (b)/(c): drain a backlog with outboxd run --until-idle; $1 label, $2 config, $3 events
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

kafka_transport="[ { name: events, type: kafka, properties: { bootstrap.servers: \"127.0.0.1:9092\"$(yaml_properties) } } ]"

# (b) SQLite -> Kafka
cat >"$work/sqlite.yaml" <<YAML
storage: { type: sqlite, path: $work/outbox.db, synchronous: full }
relay: { batch_size: $batch, max_in_flight: $max_in_flight, lease: 30s, poll_interval: 100ms }
transports: $kafka_transport
routes: [ { match: "*", transport: events, destination: "$run_id.sqlite.{event_type}" } ]
log: { level: warn }
YAML
sample_events_jsonl "$events" >"$work/events.jsonl"
"$bin" enqueue -c "$work/sqlite.yaml" --file "$work/events.jsonl" >/dev/null
drain "(b) SQLite (synchronous full) -> Kafka, batch_size $batch, max_in_flight $max_in_flight" "$work/sqlite.yaml" "$events"

# (c) PostgreSQL -> Kafka
if [ -f "$plugins/outbox-storage-postgres.so" ] && [ -x tests/services/postgres.sh ]; then
  tests/services/postgres.sh start >/dev/null 2>&1 || { echo "(c) skipped: tests/services/postgres.sh start failed"; exit 0; }
  dsn=${OUTBOXD_BENCH_PG_DSN:-postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test}
  schema=outboxd_bench_kafka
  psql_() { psql -X -q -v ON_ERROR_STOP=1 "$dsn" "$@" 2>&1 | grep -v -e "^NOTICE" -e "^DETAIL" -e "^drop cascades" || true; }
  cat >"$work/pg.yaml" <<YAML
storage: { type: postgres, dsn: "$dsn", schema: $schema, table: outbox_events }
relay: { batch_size: $batch, max_in_flight: $max_in_flight, lease: 30s, poll_interval: 100ms }
transports: $kafka_transport
routes: [ { match: "*", transport: events, destination: "$run_id.pg.{event_type}" } ]
log: { level: warn }
YAML
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
  "$bin" status -c "$work/pg.yaml" >/dev/null  # migrates (storage.migrate: auto)
  psql_ -c "$(sample_rows_sql "$schema.outbox_events" "$pg_events")" -c "VACUUM ANALYZE $schema.outbox_events"
  # The relay reads only rows of transactions older than every one still running; on a shared
  # server, wait until whatever was running when the backlog committed has finished.
  mark=$(psql -X -qtA "$dsn" -c "SELECT pg_current_xact_id()")
  for _ in $(seq 600); do
    [ "$(psql -X -qtA "$dsn" -c "SELECT pg_snapshot_xmin(pg_current_snapshot()) > '$mark'::xid8")" = t ] && break
    sleep 0.1
  done
  drain "(c) PostgreSQL $(psql_ -tAc 'SHOW server_version') -> Kafka, batch_size $batch, max_in_flight $max_in_flight" \
    "$work/pg.yaml" "$pg_events"
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
else
  echo "(c) skipped: the PostgreSQL storage plugin is not built"
fi
