# Sourced by bench/run (--callgrind): instructions per event, which the host's load does not move.

# callgrind_instructions PATH EVENTS: the instructions outboxd executes (every thread) draining
# EVENTS along PATH under callgrind.
callgrind_instructions() {
  local outboxd_prefix=(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out")
  drain_path "$1" "$2" >/dev/null
  awk '/^summary:/ { print $2 }' "$work/callgrind.out"
}

# callgrind_drain PATH: a drain of $callgrind_events and one of a quarter of them, recorded as
# "callgrind"; the difference is what the events cost. Start-up, shutdown and every connection
# are in both. An empty drain is no base: the PostgreSQL storage opens its claim-ahead connections
# only once a claim finds rows, and each connection's SCRAM login is ~70M instructions (3 logins
# in a 60k drain against 1 in an empty one: 8.1k instructions per event, not 14.9k).
callgrind_drain() {
  local total base base_events=$((callgrind_events / 4))
  total=$(callgrind_instructions "$1" "$callgrind_events")
  base=$(callgrind_instructions "$1" "$base_events")
  echo "$1 under callgrind: $total instructions for $callgrind_events events, $base for $base_events"
  record callgrind "$(json path="$1" events:="$callgrind_events" instructions:="$total" \
    base_events:="$base_events" instructions_base:="$base")"
}
