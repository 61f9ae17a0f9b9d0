# Sourced by bench/run (--callgrind): instructions per event, which the host's load does not move.

# callgrind_instructions PATH EVENTS: the instructions outboxd executes (every thread) draining
# EVENTS along PATH under callgrind.
callgrind_instructions() {
  local outboxd_prefix=(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out")
  drain_path "$1" "$2" >/dev/null
  awk '/^summary:/ { print $2 }' "$work/callgrind.out"
}

# callgrind_drain PATH: a drain of $callgrind_events and an empty one (start-up, connections and
# shutdown, which the difference takes out), recorded as "callgrind".
callgrind_drain() {
  local total empty
  total=$(callgrind_instructions "$1" "$callgrind_events")
  empty=$(callgrind_instructions "$1" 0)
  echo "$1 under callgrind: $total instructions for $callgrind_events events, $empty for none"
  record callgrind "$(json path="$1" events:="$callgrind_events" instructions:="$total" instructions_empty:="$empty")"
}
