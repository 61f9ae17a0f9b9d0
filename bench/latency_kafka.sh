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
# Prints count, p50/p90/p99/p99.9/max in ms, offered and achieved rates, outboxd's CPU and peak RSS,
# and the settings (the run itself: bench/steady_run.sh).
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
. bench/steady_run.sh
rate=${1:-5000}
seconds=${2:-60}
warmup=${3:-5}
connections=${4:-8}
per_tx=${5:-1}

pg_start
kafka_start
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
bin=build/release/bin/outboxd
latency_bench=build/release/bin/kafka_latency_bench
[ -x "$latency_bench" ] || { echo "missing $latency_bench (needs libpqxx-dev and librdkafka-dev)" >&2; exit 1; }
work=$(mktemp -d)
trap 'steady_cleanup; rm -rf "$work"' EXIT

steady_settings
echo "latency_kafka: $(pg_describe), $per_tx event(s) per transaction" \
     "-> outboxd -> Apache Kafka $(kafka_version)" \
     "on $kafka_bootstrap (one node, same machine, $(nproc) cores), librdkafka $(librdkafka_version)"
echo "settings: relay { $steady_relay } (unset keys: outboxd defaults batch_size 500, max_in_flight 10000," \
     "poll_interval 1s); producer enable.idempotence=true acks=all partitioner=murmur2_random" \
     "linger.ms=5 (librdkafka default) ${KAFKA_PROPERTIES:-}; topics of $steady_partitions partitions," \
     "message.timestamp.type=${TIMESTAMPS:-LogAppendTime}; load: $rate events/s for $seconds s from $connections connections," \
     "warm-up $warmup s dropped; ~300-byte payloads, 1000 keys, one traceparent header; outboxd at nice ${OUTBOXD_NICE:-0}"
rc=0
steady_run kafka "$rate" "$seconds" "$warmup" "$connections" "$per_tx" || rc=$?
echo "load average at the end (other work on the host shows here): $(cut -d" " -f1-3 /proc/loadavg)"
exit $rc
