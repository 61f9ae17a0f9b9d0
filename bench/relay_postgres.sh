#!/usr/bin/env bash
# Benchmark: drain a backlog of N events from the PostgreSQL storage through the null transport
# (bench/transport_null: completes every message at once), with `outboxd run --until-idle`:
#   (a) the backlog alone (storage-only drain);
#   (b) the same backlog while 2 producer connections insert 100-row transactions with
#       synchronous_commit = on (pgbench, for PRODUCE_SECONDS) into the same table.
# Prints events/s (wall clock), outboxd's CPU per event (user + system), its peak RSS and the
# settings (bench/relay_backlog.sh).
# The backlog is filled server-side (INSERT ... SELECT generate_series), ~300-byte JSON payloads,
# a partition key and one traceparent header per event, UUID v7-like ids; then CHECKPOINT.
#
# usage: [PREFETCH=false] [HTTP_AB=ROUNDS] bench/relay_postgres.sh [EVENTS=1000000] [BATCH_SIZE=1000] [PRODUCE_SECONDS=5]
#   PREFETCH=false turns the storage's `prefetch` option off (on by default): the next two claims run
#   on connections of their own while the relay settles the last batch.
#   HTTP_AB=ROUNDS runs, instead of (a) and (b), ROUNDS pairs of (a): one with http.listen off,
#   one with it on (storage sampled every HTTP_SAMPLE_INTERVAL, default 10s) and /metrics scraped
#   every second (curl), in alternating order; then the mean and median of each and their ratios. OUTBOXD_BENCH_SCHEMA names the schema (default outboxd_bench).
# needs: the release build (cmake --preset release && cmake --build --preset release), curl (HTTP_AB) and the
# server of tests/services/postgres.sh (started here when it is not running).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/relay_backlog.sh
events=${1:-1000000}
batch=${2:-1000}
produce_seconds=${3:-5}
prefetch=${PREFETCH:-true}
max_in_flight=10000
bin=build/release/bin/outboxd
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
[ -f build/release/lib/outboxd/plugins/outbox-transport-null.so ] ||
  { echo "build the null transport: cmake --build --preset release --target outbox-transport-null" >&2; exit 1; }
pg_start
schema=${OUTBOXD_BENCH_SCHEMA:-outboxd_bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

relay_config "$work/bench.yaml" "$(pg_config_storage "$schema" "prefetch: $prefetch")" \
  '[ { name: events, type: "null" } ]' "bench.{event_type}"
http_port=${OUTBOXD_BENCH_HTTP_PORT:-29464}
{ cat "$work/bench.yaml"; echo "http: { listen: \"127.0.0.1:$http_port\", sample_interval: ${HTTP_SAMPLE_INTERVAL:-10s} }"; } \
  >"$work/bench-http.yaml"

fill_backlog() { pg_fill_backlog "$work/bench.yaml" "$schema" "$events"; }

# run_relay LABEL: drains the backlog (config: $config, else bench.yaml), prints the numbers.
run_relay() { drain "  $1" "${config:-$work/bench.yaml}" "$events"; }

echo "relay_postgres: $events-event backlog, ~300-byte JSON payloads + 1 header, batch_size $batch," \
     "max_in_flight 10000, lease 30s, prefetch $prefetch, transport null, $(pg_describe), $(nproc) cores"

# A Prometheus-like scraper: GET /metrics every second until killed.
scrape_every_second() {
  while :; do
    curl -s -o /dev/null "http://127.0.0.1:$http_port/metrics" || true
    sleep 1
  done
}

if [ -n "${HTTP_AB:-}" ]; then
  for round in $(seq 1 "$HTTP_AB"); do
    order="off on"
    [ $((round % 2)) -eq 0 ] && order="on off"
    for mode in $order; do
      fill_backlog
      if [ "$mode" = on ]; then
        scrape_every_second &
        scraper=$!
        config=$work/bench-http.yaml run_relay "round $round, http on, scraped every 1 s" | tee -a "$work/ab-on.txt"
        kill "$scraper"
        wait "$scraper" 2>/dev/null || true
      else
        run_relay "round $round, http off" | tee -a "$work/ab-off.txt"
      fi
    done
  done
  rates() { sed -E 's/.* = ([0-9]+) events\/s.*/\1/' "$1" | sort -n; }
  mean() { rates "$1" | awk '{ s += $1 } END { printf "%.0f", s / NR }'; }
  median_rate() { rates "$1" | median; }
  # outboxd's own CPU per event varies less with the host's load than the wall clock does.
  cpu() { sed -E 's/.* = ([0-9.]+) us\/event.*/\1/' "$1" | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }
  awk -v off="$(mean "$work/ab-off.txt")" -v on="$(mean "$work/ab-on.txt")" \
      -v moff="$(median_rate "$work/ab-off.txt")" -v mon="$(median_rate "$work/ab-on.txt")" -v r="$HTTP_AB" \
      -v coff="$(cpu "$work/ab-off.txt")" -v con="$(cpu "$work/ab-on.txt")" 'BEGIN {
    printf "  %d runs each: http off mean %d, median %d events/s, %.2f us/event; http on and scraped mean %d, median %d events/s, %.2f us/event; on/off: mean %.3f, median %.3f, CPU per event %.3f\n",
      r, off, moff, coff, on, mon, con, on / off, mon / moff, con / coff
  }'
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
  exit 0
fi

fill_backlog
run_relay "(a) storage-only drain"

fill_backlog
sample_rows_sql "$schema.outbox_events" 100 >"$work/producer.sql"  # one producer transaction
pgbench_ -n -c 2 -j 2 -T "$produce_seconds" -f "$work/producer.sql" >"$work/pgbench.log" 2>&1 &
producer=$!
run_relay "(b) drain while producing" >/dev/null
wait "$producer" || { echo "pgbench failed:"; cat "$work/pgbench.log"; exit 1; }
txns=$(awk '/number of transactions actually processed/ { split($NF, a, "/"); print $(NF) ~ /\// ? a[1] : $NF }' "$work/pgbench.log")
tps=$(awk '/^tps = / { print $3; exit }' "$work/pgbench.log")
# Recount with the produced rows now known.
left=$(pg_value "SELECT count(*) FROM $schema.outbox_events")
awk -v n="$((events + txns * 100 - left))" -v wall="$drain_wall" -v user="$drain_user" -v sys="$drain_sys" \
    -v left="$left" -v txns="$txns" -v tps="$tps" -v secs="$produce_seconds" 'BEGIN {
  cpu = user + sys
  printf "  (b) drain while 2 producers insert 100-row transactions (synchronous_commit on) for %d s: %d events (backlog + %d produced, %.0f rows/s) in %.2f s = %.0f events/s; outboxd CPU %.2f s = %.2f us/event; left %d\n",
    secs, n, txns * 100, tps * 100, wall, n / wall, cpu, cpu * 1e6 / n, left
}'
psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
