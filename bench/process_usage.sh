# Sourced by the benchmarks: what a process (outboxd) costs, from the kernel's own accounting.

# sample_rss PID FILE: while PID lives, appends "seconds-since-start VmRSS-KiB" to FILE once a
# second (/proc/PID/status), starting at once. Meant to run in the background.
sample_rss() {
  local start=$EPOCHREALTIME
  while [ -e "/proc/$1/status" ]; do
    awk -v t0="$start" -v now="$EPOCHREALTIME" '/^VmRSS:/ { printf "%.1f %d\n", now - t0, $2 }' \
      "/proc/$1/status" 2>/dev/null >>"$2" || true
    sleep 1
  done
}

# measure_command RSS_FILE CMD...: runs CMD (in the foreground, as far as its caller knows) under
# GNU time, with sample_rss on it, and sets measured_wall, measured_user, measured_sys (seconds)
# and measured_peak_kib (its peak RSS: the kernel's high-water mark, VmHWM at its exit). Returns
# CMD's exit status.
measure_command() {
  local rss_file=$1 usage
  shift
  : >"$rss_file"
  usage=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$usage" "$@" &
  local timer=$! pid=
  while [ -z "$pid" ] && kill -0 "$timer" 2>/dev/null; do pid=$(pgrep -P "$timer" || true); done
  local sampler=
  if [ -n "$pid" ]; then
    sample_rss "$pid" "$rss_file" &
    sampler=$!
  fi
  local rc=0
  wait "$timer" || rc=$?
  [ -z "$sampler" ] || wait "$sampler"
  # GNU time writes "Command exited with non-zero status N" first when CMD failed.
  read -r measured_wall measured_user measured_sys measured_peak_kib < <(tail -n 1 "$usage")
  rm -f "$usage"
  return "$rc"
}

# cpu_seconds PID: user + system CPU time PID has used so far (/proc/PID/stat).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }

# peak_rss_kib PID: PID's peak RSS so far (VmHWM).
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
