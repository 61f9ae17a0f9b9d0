#!/usr/bin/env bash
# Benchmark: the Kafka transport against the local broker (tests/services/kafka.sh, started here
# when it is not running), with durable producer settings (enable.idempotence=true, acks=all):
#   (a) transport only: MESSAGES messages built in memory, published through the plugin's vtable
#       (bench/transport_publish_bench.cpp), timed until the last delivery report;
#   (b) end to end, SQLite -> Kafka: drain an EVENTS backlog with `outboxd run --until-idle`;
#   (c) end to end, PostgreSQL -> Kafka, the same, when the PostgreSQL plugin is built (the server
#       of tests/services/postgres.sh is started when it is not running); PG_EVENTS events.
# ~300-byte JSON payloads, a partition key (1000 distinct) and one traceparent header per event.
# Prints messages/s and the settings.
#
# usage: bench/relay_kafka.sh [EVENTS=200000] [BATCH_SIZE=1000] [MESSAGES=500000] [PG_EVENTS=1000000]
#        extra librdkafka properties for every run: KAFKA_PROPERTIES="linger.ms=20 compression.type=lz4"
#        relay.max_in_flight of the end-to-end runs: MAX_IN_FLIGHT=10000
#        relay.ordering: ORDERING=key; relays sharing the outbox in (b) and (c): RELAYS=3
# needs: the release build (cmake --preset release && cmake --build --preset release --target
#        outboxd outbox-storage-sqlite outbox-transport-kafka transport_publish_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/relay_backlog.sh
. bench/brokers.sh
events=${1:-200000}
batch=${2:-1000}
messages=${3:-500000}
pg_events=${4:-1000000}
props=(${KAFKA_PROPERTIES:-})
max_in_flight=${MAX_IN_FLIGHT:-10000}
bin=build/release/bin/outboxd
bench=build/release/bin/transport_publish_bench
plugins=build/release/lib/outboxd/plugins
for f in "$bin" "$bench" "$plugins/outbox-transport-kafka.so" "$plugins/outbox-storage-sqlite.so"; do
  [ -e "$f" ] || { echo "missing $f; build first: cmake --preset release && cmake --build --preset release" \
                        "--target outboxd outbox-storage-sqlite outbox-transport-kafka transport_publish_bench" >&2; exit 1; }
done
kafka_start
work=$(mktemp -d)
run_id="bench-$(date +%s)"
cleanup() {
  rm -rf "$work"
  # The run's topics hold ~1 GB of logs: delete them (with the admin client of the latency bench,
  # when it is built).
  [ -x build/release/bin/kafka_latency_bench ] &&
    build/release/bin/kafka_latency_bench delete-topics "$kafka_bootstrap" \
      "$run_id.transport" "$run_id.sqlite.order.created" "$run_id.pg.order.created" || true
}
trap cleanup EXIT

echo "relay_kafka: Apache Kafka $(kafka_version)" \
     "single node on $kafka_bootstrap (same machine, $(nproc) cores, heap 1 GB), librdkafka" \
     "$(librdkafka_version), producer: enable.idempotence=true acks=all" \
     "partitioner=murmur2_random linger.ms=5 (librdkafka default) ${props[*]:-}; topics of 3 partitions"

# (a) transport only
"$bench" "$plugins/outbox-transport-kafka.so" "$run_id.transport" "$messages" "$batch" 300 50000 \
  "properties.bootstrap.servers=$kafka_bootstrap" "${props[@]/#/properties.}" | sed 's/^/(a) /'

kafka_transport=$(kafka_transports "${props[@]}")

drain_sqlite "(b) SQLite -> Kafka" "$kafka_transport" "$run_id.sqlite.{event_type}" "$events"
drain_postgres "(c) PostgreSQL -> Kafka" "$kafka_transport" "$run_id.pg.{event_type}" "$pg_events" outboxd_bench_kafka
