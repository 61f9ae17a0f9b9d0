# Sourced by bench/run: the run's description (the machine, outboxd's commit, the software, every
# setting) as the JSON object the results start from.

# describe_machine: the CPU model and core count (/proc/cpuinfo, nproc), memory, kernel, load.
describe_machine() {
  json cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" cores:="$(nproc)" \
    memory_kib:="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" kernel="$(uname -r)" \
    os="$(. /etc/os-release && echo "$PRETTY_NAME")" load_average_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
}

# describe_outboxd: the commit bench/run measured (and whether the tree had changes), the build.
describe_outboxd() {
  local dirty=false
  [ -z "$(git status --porcelain --untracked-files=no)" ] || dirty=true
  json commit="$(git rev-parse HEAD)" describe="$(git describe --always --dirty)" uncommitted_changes:="$dirty" \
    build="release preset ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' build/release/CMakeCache.txt))" \
    compiler="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' build/release/CMakeCache.txt | xargs -r basename) $(c++ -dumpfullversion 2>/dev/null)"
}

# describe_software: the servers and client libraries of the paths that ran.
describe_software() {
  local args=()
  $needs_postgres && args+=(postgresql="$(pg_value 'SHOW server_version')")
  $needs_kafka && args+=(kafka="$(kafka_version)" librdkafka="$(librdkafka_version)")
  $needs_mqtt && args+=(mosquitto="$(mosquitto_version)" paho="$(paho_versions)")
  json "${args[@]}"
}

# describe_settings: every setting of the run.
describe_settings() {
  local rates_json postgres='null'
  rates_json=$(printf '%s\n' "${rates[@]}" | jq -s -c .)
  $needs_postgres && postgres=$(json fsync="$(pg_value 'SHOW fsync')" shared_buffers="$(pg_value 'SHOW shared_buffers')" \
    synchronous_commit_producers="$(pg_value 'SHOW synchronous_commit')" synchronous_commit_relay=off \
    max_wal_size="$(pg_value 'SHOW max_wal_size')" backlog="one INSERT ... SELECT generate_series, VACUUM ANALYZE, CHECKPOINT")
  json mode="$mode" paths:="$(printf '%s\n' "${paths[@]}" | jq -R . | jq -s -c .)" \
    events:="$events" bare_messages:="$bare_messages" \
    sample_event:="$(json payload_bytes=296-300 payload="JSON {\"order\":N,\"note\":\"x...\"}" partition_keys:=1000 \
      event_type=order.created headers:='["traceparent"]')" \
    relay:="$(json batch_size:="$batch" max_in_flight:="$max_in_flight" lease=30s poll_interval_drains=100ms \
      poll_interval_steady="${POLL_INTERVAL:-default (1s)}")" \
    sqlite:="$(json synchronous=full journal_mode=wal)" postgres:="$postgres" \
    kafka:="$(json properties="enable.idempotence=true acks=all partitioner=murmur2_random message.timeout.ms=20000 (the transport's defaults), linger.ms=5 (librdkafka's)" \
      partitions:=3 brokers:=1)" \
    mqtt:="$(json qos:=1 version:=5 receive_maximum:="$mqtt_inflight" subscribers:=0)" \
    steady:="$(json rates:="$rates_json" seconds:="$steady_seconds" warmup_s:="$warmup" connections:="$connections" \
      events_per_transaction="rate / 1000, at least 1" latency="from the producer's COMMIT return (CLOCK_REALTIME) to Kafka's LogAppendTime (the ack), or to the MQTT subscriber's receipt")" \
    producers:="$(json clients:="$connections" seconds:="$producer_seconds")" \
    sql_ceiling:="$(json sessions:=2 batch:="$batch" loop="a server-side procedure, the rows claimed read on the server")" rss_sample_interval_s:=1 \
    callgrind_events:="$($callgrind && echo "$callgrind_events" || echo null)"
}

# describe_run: date, host and all of the above.
describe_run() {
  json date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host="$(hostname)" machine:="$(describe_machine)" \
    outboxd:="$(describe_outboxd)" software:="$(describe_software)" settings:="$(describe_settings)"
}
