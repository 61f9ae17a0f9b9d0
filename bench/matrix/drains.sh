# Sourced by bench/run: the backlog drain of one path (bench/relay_backlog.sh), recorded.

# transports_of TRANSPORT: the transports list (YAML) of a path's transport, named `events`.
transports_of() {
  case $1 in
    null) echo '[ { name: events, type: "null" } ]' ;;
    kafka) kafka_transports ;;
    mqtt) mqtt_transports "$mqtt_inflight" ;;
  esac
}

# destination_of PATH: where the path's events go (a fresh Kafka topic or MQTT topic per run).
destination_of() {
  case $1 in
    *-kafka) echo "$run_id.$1" ;;
    *-mqtt) echo "bench/$run_id/$1" ;;
    *) echo "bench.{event_type}" ;;
  esac
}

# The parts of a path: STORAGE-TRANSPORT, or STORAGE-TRANSPORT-key for relay.ordering: key.
storage_of() { echo "${1%%-*}"; }
transport_of() { local t=${1#*-}; echo "${t%-key}"; }
ordering_of() { if [[ $1 == *-key ]]; then echo key; else echo none; fi; }

# drain_path PATH EVENTS: drains a backlog of EVENTS along PATH; the results as drain
# (bench/relay_backlog.sh) leaves them.
drain_path() {
  local path=$1 storage transport destination
  storage=$(storage_of "$path") transport=$(transport_of "$path")
  destination=$(destination_of "$path")
  [ "$transport" != kafka ] || trap '"$latency_bench" delete-topics "$kafka_bootstrap" "'"$destination"'" || true' EXIT
  drained= drain_wal_bytes=
  local ORDERING
  ORDERING=$(ordering_of "$path")  # relay_config's
  case $storage in
    sqlite) drain_sqlite "$path" "$(transports_of "$transport")" "$destination" "$2" ;;
    postgres) drain_postgres "$path" "$(transports_of "$transport")" "$destination" "$2" "outboxd_bench_$transport" ;;
  esac
  [ -n "$drained" ]  # else skipped: drain_postgres said why
}

# matrix_drain PATH: drains $events along PATH, records it as a "drain" with outboxd's RSS over time.
matrix_drain() {
  drain_path "$1" "$events"
  record drain "$(json path="$1" storage="$(storage_of "$1")" transport="$(transport_of "$1")" \
    ordering="$(ordering_of "$1")" events:="$events" relayed:="$drained" \
    wall_s:="$drain_wall" cpu_user_s:="$drain_user" cpu_sys_s:="$drain_sys" peak_rss_kib:="$drain_peak_kib" \
    wal_bytes:="$drain_wal_bytes" rss:="$(series_json "$work/rss.txt")")"
}
