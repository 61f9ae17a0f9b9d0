# Sourced by the benchmarks that publish to the brokers of tests/services (bench/relay_kafka.sh,
# bench/relay_mqtt.sh, bench/latency_kafka.sh, bench/run): their start and their versions.
services_dir=${OUTBOXD_SERVICES_DIR:-/tmp/outboxd-services}
kafka_bootstrap=127.0.0.1:${OUTBOXD_KAFKA_PORT:-9092}  # tests/services/kafka.sh's port
mqtt_server=tcp://127.0.0.1:1883

# kafka_start: starts tests/services/kafka.sh's broker when it is not running.
kafka_start() { tests/services/kafka.sh status >/dev/null 2>&1 || tests/services/kafka.sh start 2>/dev/null; }

kafka_version() { ls "$services_dir/kafka/libs" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p'; }
librdkafka_version() { dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null; }

# mosquitto_start INFLIGHT: tests/services/mosquitto.sh's broker with max_inflight_messages
# INFLIGHT (its Receive Maximum), restarted when it runs with another.
mosquitto_start() {
  if [ "$(mosquitto_inflight)" != "$1" ]; then
    MOSQUITTO_MAX_INFLIGHT=$1 tests/services/mosquitto.sh restart 2>/dev/null
  else
    tests/services/mosquitto.sh start 2>/dev/null
  fi
}

# mosquitto_inflight: the max_inflight_messages of the broker's config.
mosquitto_inflight() { sed -n 's/^max_inflight_messages //p' "$services_dir/mosquitto/mosquitto.conf" 2>/dev/null; }

mosquitto_version() { dpkg-query -W -f='${Version}' mosquitto; }
paho_versions() {
  echo "paho C $(dpkg-query -W -f='${Version}' libpaho-mqtt1.3), paho C++ $(dpkg-query -W -f='${Version}' libpaho-mqttpp3-1)"
}

# kafka_transports [NAME=VALUE...]: the transports list (YAML) of a Kafka transport named `events`
# on the broker, with those librdkafka properties over the transport's defaults.
kafka_transports() {
  local kv extra=""
  for kv in "$@"; do extra+=", ${kv%%=*}: \"${kv#*=}\""; done
  echo "[ { name: events, type: kafka, properties: { bootstrap.servers: \"$kafka_bootstrap\"$extra } } ]"
}

# mqtt_transports INFLIGHT: the transports list (YAML) of an MQTT transport named `events` on the
# broker; its receive_maximum is the broker's max_inflight_messages (paho C++ 1.2 does not pass
# the CONNACK's value on).
mqtt_transports() { echo "[ { name: events, type: mqtt, server: \"$mqtt_server\", receive_maximum: $1 } ]"; }
