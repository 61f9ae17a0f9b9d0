# Sourced by the service scripts of this folder (kafka.sh, mosquitto.sh): the life of a server
# they start in the background. The sourcing script defines say MESSAGE and answers (exit 0 once
# the server serves).

# daemon_pid PIDFILE PATTERN: prints the pid of the server this script started, if it still runs
# (its command line contains PATTERN: a pid reused by another process does not count).
daemon_pid() {
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# daemon_await PID TIMEOUT ON_FAILURE [READY=answers]: waits until READY succeeds. When the server
# exits first, or TIMEOUT seconds pass, runs ON_FAILURE ("exited" or "timeout" as its argument)
# and exits 1.
daemon_await() {
  local pid=$1 deadline=$((SECONDS + $2)) on_failure=$3 ready=${4:-answers}
  until "$ready"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      "$on_failure" exited
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      "$on_failure" timeout
      exit 1
    fi
    sleep 0.1
  done
}

# daemon_stop PIDFILE PATTERN SIGNAL GRACE: signals the server and waits until it is gone; after
# GRACE seconds it is killed.
daemon_stop() {
  local pidfile=$1 pid
  if ! pid="$(daemon_pid "$pidfile" "$2")"; then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  kill "-$3" "$pid"
  local deadline=$((SECONDS + $4))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "pid $pid did not stop within $4s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
  done
  rm -f "$pidfile"
  say "stopped (pid $pid, $3)"
}
