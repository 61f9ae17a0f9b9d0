#!/usr/bin/env bash
# Two builds of outboxd against each other on the Kafka paths, alternately (A B A B ...), so that
# a drift of a shared, noisy host falls on both. Each round runs, for A then for B:
#   (a) the Kafka transport alone (bench/transport_publish_bench.cpp, MESSAGES messages from
#       memory): messages/s and the process's CPU time per message (user + sys);
#   (c) PostgreSQL -> Kafka, a fresh backlog of EVENTS drained by `outboxd run --until-idle`
#       (bench/relay_backlog.sh): events/s and outboxd's CPU time per event.
# Then the medians of each build. With CALLGRIND=N, also the instructions per event of an N-event
# PostgreSQL -> Kafka drain under callgrind (every thread of outboxd, minus a drain of N/4: an
# empty one opens fewer connections, bench/matrix/callgrind.sh), once per build. Sample events,
# relay and Kafka settings as in bench/relay_kafka.sh.
#
# usage: bench/compare_kafka.sh BUILD_A BUILD_B [ROUNDS=5] [EVENTS=1000000] [MESSAGES=200000]
#   BUILD_*: a build directory holding bin/outboxd, bin/transport_publish_bench and
#   lib/outboxd/plugins, e.g. a copy of build/release made before a change, and build/release.
#   CALLGRIND=20000 bench/compare_kafka.sh ...   adds the instruction counts
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/relay_backlog.sh
. bench/brokers.sh
[ $# -ge 2 ] || { sed -n '/^# usage:/,/^#   CALLGRIND/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
builds=("$1" "$2")
rounds=${3:-5}
events=${4:-1000000}
messages=${5:-200000}
callgrind_events=${CALLGRIND:-0}
batch=500 max_in_flight=10000
for b in "${builds[@]}"; do
  for f in bin/outboxd bin/transport_publish_bench lib/outboxd/plugins/outbox-transport-kafka.so \
           lib/outboxd/plugins/outbox-storage-postgres.so; do
    [ -e "$b/$f" ] || { echo "missing $b/$f" >&2; exit 1; }
  done
done
kafka_start
pg_start
work=$(mktemp -d)
run_id="compare-$(date +%s)"
admin=build/release/bin/kafka_latency_bench
trap 'rm -rf "$work"' EXIT
delete_topic() { [ ! -x "$admin" ] || "$admin" delete-topics "$kafka_bootstrap" "$1" >/dev/null 2>&1 || true; }

# use_build DIR: outboxd and its plugins from DIR.
use_build() { bin=$1/bin/outboxd plugins=$1/lib/outboxd/plugins; }

# transport_only BUILD TOPIC: prints "messages/s cpu-us/message".
transport_only() {
  local usage=$work/usage rate
  rate=$(/usr/bin/time -f '%U %S' -o "$usage" "$1/bin/transport_publish_bench" \
           "$1/lib/outboxd/plugins/outbox-transport-kafka.so" "$2" "$messages" "$batch" 300 50000 \
           "properties.bootstrap.servers=$kafka_bootstrap" | awk '/messages\/s/ { print $3 }')
  awk -v rate="$rate" -v n="$messages" '{ printf "%s %.2f\n", rate, ($1 + $2) * 1e6 / n }' "$usage"
}

echo "compare_kafka: A=${builds[0]} ($(cat "${builds[0]}/COMMIT" 2>/dev/null || echo '?'))," \
     "B=${builds[1]} ($(cat "${builds[1]}/COMMIT" 2>/dev/null || echo '?')); $rounds rounds of A then B;" \
     "transport only $messages messages, PostgreSQL -> Kafka $events events; Apache Kafka $(kafka_version)," \
     "librdkafka $(librdkafka_version); $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results  # lines: build kind rate cpu-us
: >"$results"
kafka_transport=$(kafka_transports)
for round in $(seq "$rounds"); do
  for i in 0 1; do
    name=$([ "$i" = 0 ] && echo A || echo B)
    build=${builds[$i]}
    topic="$run_id.$round$name"
    read -r rate cpu < <(transport_only "$build" "$topic.transport")
    delete_topic "$topic.transport"
    echo "round $round $name (a) transport only: $rate messages/s, $cpu us/message"
    echo "$name a $rate $cpu" >>"$results"
    use_build "$build"
    drain_postgres "round $round $name (c) PostgreSQL -> Kafka" "$kafka_transport" "$topic.pg" "$events" \
      outboxd_compare_kafka >"$work/drain.txt"  # not in a pipe: drain sets the variables read below
    grep -v WAL "$work/drain.txt"
    delete_topic "$topic.pg"
    if [ "${drained:-0}" -eq 0 ]; then
      echo "  (nothing drained: not counted)"  # e.g. the backlog stayed invisible behind another session's transaction
      continue
    fi
    awk -v name="$name" -v n="$drained" -v wall="$drain_wall" -v user="$drain_user" -v sys="$drain_sys" \
      'BEGIN { printf "%s c %.0f %.2f\n", name, n / wall, (user + sys) * 1e6 / n }' >>"$results"
  done
done

echo
echo "medians over $rounds rounds (rate, CPU us per message or event):"
for name in A B; do
  for kind in a c; do
    rate=$(awk -v n="$name" -v k="$kind" '$1 == n && $2 == k { print $3 }' "$results" | median)
    cpu=$(awk -v n="$name" -v k="$kind" '$1 == n && $2 == k { print $4 }' "$results" | median)
    label=$([ "$kind" = a ] && echo "(a) transport only" || echo "(c) PostgreSQL -> Kafka")
    printf '  %s %s: %.0f/s, %.2f us\n' "$name" "$label" "$rate" "$cpu"
  done
done

if [ "$callgrind_events" -gt 0 ]; then
  # callgrind_instructions EVENTS: outboxd's instructions (every thread) for a drain of EVENTS.
  callgrind_instructions() {
    local outboxd_prefix=(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out")
    drain_postgres callgrind "$kafka_transport" "$run_id.callgrind" "$1" outboxd_compare_kafka >/dev/null
    awk '/^summary:/ { print $2 }' "$work/callgrind.out"
  }
  base_events=$((callgrind_events / 4))
  for i in 0 1; do
    use_build "${builds[$i]}"
    total=$(callgrind_instructions "$callgrind_events")
    base=$(callgrind_instructions "$base_events")
    echo "  $([ "$i" = 0 ] && echo A || echo B) under callgrind:" \
         "$(((total - base) / (callgrind_events - base_events))) instructions/event" \
         "($total for $callgrind_events events, $base for $base_events)"
  done
  delete_topic "$run_id.callgrind"
fi
