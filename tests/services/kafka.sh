#!/usr/bin/env bash
# A single-node Apache Kafka 4.x broker for the tests: KRaft, combined broker + controller,
# PLAINTEXT on 127.0.0.1:9092 (controller on 127.0.0.1:9093), a 1 GB heap, half of it young,
# with the serial collector: on 2 cores shared with PostgreSQL and outboxd, G1 collected the young
# generation every 1-3 s and each pause took 30-500 ms (its threads waited for a core), which was
# the tail of bench/latency_kafka.sh; the serial collector pauses about once in 30 s at 5k
# messages/s.
#
#   tests/services/kafka.sh start    idempotent: a broker that already answers is left alone
#   tests/services/kafka.sh stop     stops the broker this script started; keeps its data
#   tests/services/kafka.sh crash    kills it with SIGKILL (a crash for the fault tests)
#   tests/services/kafka.sh status   exit 0 when the broker answers metadata requests
#   tests/services/kafka.sh reset    stop, then delete the data (the next start formats anew)
#
# OUTBOXD_KAFKA_PORT and OUTBOXD_KAFKA_CONTROLLER_PORT (default 9092, 9093) move the broker, with
# OUTBOXD_SERVICES_DIR, to a broker of one's own (the Kafka tests then take
# OUTBOXD_TEST_KAFKA_BOOTSTRAP), to run the tests that stop the broker beside others that use it.
#
# The jars come from Maven Central through kafka/pom.xml (`mvn dependency:copy-dependencies`), once,
# into $OUTBOXD_SERVICES_DIR/kafka/libs; the broker runs on the machine's Java 17. Everything lives
# in $OUTBOXD_SERVICES_DIR/kafka (default /tmp/outboxd-services/kafka): libs/, data/, logs/
# (server.log, stdout.log: kept for failures), server.properties, kafka.pid.
# Needs java (17+), mvn (first start only) and kcat (readiness check).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=daemon.sh
source "$here/daemon.sh"
base="${OUTBOXD_SERVICES_DIR:-/tmp/outboxd-services}/kafka"
libs="$base/libs"
data="$base/data"
logs="$base/logs"
props="$base/server.properties"
log4j="$base/log4j2.properties"
pidfile="$base/kafka.pid"
host=127.0.0.1
# Another port (and OUTBOXD_SERVICES_DIR) makes a broker of one's own beside the shared one.
port="${OUTBOXD_KAFKA_PORT:-9092}"
controller_port="${OUTBOXD_KAFKA_CONTROLLER_PORT:-9093}"
ready_timeout="${KAFKA_READY_TIMEOUT:-120}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

say() { echo "kafka.sh: $*" >&2; }

# answers: the broker returns metadata within a few seconds.
answers() {
  timeout 10 kcat -L -b "$host:$port" -m 3 >/dev/null 2>&1
}

running_pid() { daemon_pid "$pidfile" kafka.Kafka; }

# grants_producer_ids: an idempotent producer gets its id and delivers one message (to the topic
# outboxd.readiness). For the first seconds after start-up the broker answers metadata but refuses
# producer ids ("Coordinator load in progress"), which held the relay's first messages back by
# tens of milliseconds in bench/latency_kafka.sh's first run.
grants_producer_ids() {
  echo ready | timeout 15 kcat -P -b "$host:$port" -t outboxd.readiness -X enable.idempotence=true \
    -X message.timeout.ms=10000 >/dev/null 2>&1
}

# daemon_await's ON_FAILURE: what the broker's logs say.
start_failed() {
  if [ "$1" = exited ]; then
    say "the broker exited during start-up; the end of $logs/stdout.log and server.log:"
    tail -n 40 "$logs/stdout.log" >&2 || true
    tail -n 60 "$logs/server.log" >&2 || true
    rm -f "$pidfile"
    say "if its data is damaged (e.g. after a crash), start afresh with: $0 reset && $0 start"
  else
    say "not ready after ${ready_timeout}s; the end of $logs/server.log:"
    tail -n 60 "$logs/server.log" >&2 || true
  fi
}

fetch_jars() {
  local stamp="$libs/.pom.sha256" want
  want="$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "fetching the Kafka jars from Maven Central into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  if ! mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
       -DincludeScope=runtime -DoutputDirectory="$libs" >"$logs/mvn.log" 2>&1; then
    say "mvn dependency:copy-dependencies failed; its output:"
    cat "$logs/mvn.log" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
}

write_config() {
  cat >"$props" <<EOF
# Written by tests/services/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$host:$controller_port
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=4
log.segment.bytes=268435456
EOF
  cat >"$log4j" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
}

format_storage() {
  [ -f "$data/meta.properties" ] && return 0
  local cluster_id
  cluster_id="$("$java" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>>"$logs/format.log")"
  say "formatting $data (cluster id $cluster_id, standalone controller)"
  mkdir -p "$data"
  if ! "$java" -Dlog4j2.configurationFile="$log4j" -cp "$libs/*" kafka.tools.StorageTool format \
       -t "$cluster_id" -c "$props" --standalone >>"$logs/format.log" 2>&1; then
    say "kafka-storage format failed; its output:"
    cat "$logs/format.log" >&2
    exit 1
  fi
}

start() {
  if pid="$(running_pid)" && answers; then
    say "already running (pid $pid) on $host:$port"
    return 0
  fi
  if answers; then
    say "a broker already answers on $host:$port (not started by this script); using it"
    return 0
  fi
  if pid="$(running_pid)"; then
    say "pid $pid is running but does not answer yet; waiting for it"
  else
    command -v kcat >/dev/null || { say "kcat is missing (apt-get install kcat)"; exit 1; }
    command -v "$java" >/dev/null || { say "java is missing (apt-get install openjdk-17-jre-headless)"; exit 1; }
    mkdir -p "$base" "$logs"
    fetch_jars
    write_config
    format_storage
    : >"$logs/stdout.log"
    # setsid: the broker outlives this script and the test that called it, in its own group.
    KAFKA_HEAP_OPTS= setsid "$java" -Xms1g -Xmx1g -XX:+UseSerialGC -Xmn512m \
      -Djava.awt.headless=true -Dlog4j2.configurationFile="$log4j" \
      -Dkafka.logs.dir="$logs" -cp "$libs/*" kafka.Kafka "$props" \
      >>"$logs/stdout.log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$pidfile"
    say "started pid $pid; waiting up to ${ready_timeout}s for $host:$port"
  fi
  daemon_await "$pid" "$ready_timeout" start_failed
  daemon_await "$pid" "$ready_timeout" start_failed grants_producer_ids
  say "ready on $host:$port (pid $pid, logs in $logs)"
}

stop() { daemon_stop "$pidfile" kafka.Kafka TERM 60; }
# A crash: SIGKILL, no controlled shutdown; the next start recovers the logs.
crash() { daemon_stop "$pidfile" kafka.Kafka KILL 10; }

mkdir -p "$base"
# One start/stop at a time: tests that restart the broker may run next to scripts/test.
exec 9>"$base/.lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  crash) crash ;;
  status) if answers; then say "up on $host:$port"; else say "down"; exit 1; fi ;;
  reset) stop; rm -rf "$data"; say "data removed" ;;
  *) echo "usage: $0 start|stop|crash|status|reset" >&2; exit 2 ;;
esac
