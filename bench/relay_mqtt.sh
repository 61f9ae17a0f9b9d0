#!/usr/bin/env bash
# Benchmark: the MQTT transport against the local Mosquitto (tests/services/mosquitto.sh, started
# here when it is not running), QoS 1, MQTT 5, ~300-byte payloads, in one run:
#   (a) the ceiling: a bare paho C++ client publishing with a window of the broker's Receive
#       Maximum (bench/mqtt/mqtt_bare_bench.cpp), the same content type and user properties;
#   (b) the transport alone: MESSAGES messages built in memory, through the plugin's vtable
#       (bench/transport_publish_bench.cpp), with their user properties;
#   (c) SQLite -> MQTT and (d) PostgreSQL -> MQTT: drain an EVENTS backlog with
#       `outboxd run --until-idle` (bench/relay_backlog.sh).
# The broker's max_inflight_messages (its Receive Maximum) is INFLIGHT (default 20, Mosquitto's
# default); the broker is restarted with it when it differs, and the transport's receive_maximum
# is set to it (paho C++ 1.2 does not pass the CONNACK's value on).
#
# usage: bench/relay_mqtt.sh [EVENTS=200000] [BATCH_SIZE=1000] [MESSAGES=200000]; INFLIGHT=20
# needs: the release build (cmake --preset release && cmake --build --preset release --target
#        outboxd outbox-storage-sqlite outbox-storage-postgres outbox-transport-mqtt
#        transport_publish_bench mqtt_bare_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/relay_backlog.sh
. bench/brokers.sh
events=${1:-200000}
batch=${2:-1000}
messages=${3:-200000}
inflight=${INFLIGHT:-20}
max_in_flight=${MAX_IN_FLIGHT:-10000}
bin=build/release/bin/outboxd
plugins=build/release/lib/outboxd/plugins
for f in "$bin" build/release/bin/transport_publish_bench build/release/bin/mqtt_bare_bench \
         "$plugins/outbox-transport-mqtt.so" "$plugins/outbox-storage-sqlite.so"; do
  [ -e "$f" ] || { echo "missing $f; build first (see the head of $0)" >&2; exit 1; }
done
mosquitto_start "$inflight"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_id="bench/$(date +%s)"
server=$mqtt_server

echo "relay_mqtt: Mosquitto $(mosquitto_version) on $server (same machine, $(nproc) cores)," \
     "max_inflight_messages $inflight, no subscriber; $(paho_versions); QoS 1, MQTT 5"

build/release/bin/mqtt_bare_bench "$server" "$run_id/bare" "$messages" 300 "$inflight" | sed 's/^/(a) /'
build/release/bin/transport_publish_bench "$plugins/outbox-transport-mqtt.so" "$run_id/transport" "$messages" \
  "$batch" 300 50000 "server=$server" "receive_maximum=$inflight" | sed 's/^/(b) /'

mqtt_transport=$(mqtt_transports "$inflight")
drain_sqlite "(c) SQLite -> MQTT" "$mqtt_transport" "$run_id/sqlite/{event_type}" "$events"
drain_postgres "(d) PostgreSQL -> MQTT" "$mqtt_transport" "$run_id/pg/{event_type}" "$events" outboxd_bench_mqtt
