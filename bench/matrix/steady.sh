# Sourced by bench/run: steady runs at an offered rate with commit-to-ack latency
# (bench/steady_run.sh), recorded.

# events_per_transaction RATE: the producers commit ~1,000 transactions/s whatever the rate
# (single-event commits top out below 2k/s on a 2-core host), so a transaction holds RATE/1000
# events (at least one).
events_per_transaction() { echo $(($1 >= 2000 ? $1 / 1000 : 1)); }

# matrix_steady TRANSPORT RATE: PostgreSQL -> TRANSPORT (kafka, mqtt) at RATE events/s for
# $steady_seconds, recorded as "steady" with the latency's CDF and outboxd's RSS over time.
matrix_steady() {
  local transport=$1 rate=$2 per_tx rc=0
  per_tx=$(events_per_transaction "$rate")
  trap steady_cleanup EXIT
  steady_run "$transport" "$rate" "$steady_seconds" "$warmup" "$connections" "$per_tx" "$work/cdf.txt" || rc=$?
  local out latency lag
  out=$(cat "$work/steady.txt")
  latency=$(grep -m1 -E '^commit-to-(ack|receipt) latency' <<<"$out") || { echo "no latency in the bench's output"; return 1; }
  lag=$(grep -m1 '^producer lag' <<<"$out" || true)
  record steady "$(json path="postgres-$transport" offered_per_s:="$rate" seconds:="$steady_seconds" warmup_s:="$warmup" \
    connections:="$connections" events_per_transaction:="$per_tx" latency_measure="${latency%%:*}" \
    events:="$(field "$out" 'events:')" achieved_per_s:="$(field "$out" achieved)" \
    missing:="$(field "$out" 'missing after warm-up')" duplicates:="$(field "$out" duplicates)" \
    latency_ms:="$(json count:="$(field "$latency" n)" p50:="$(field "$latency" p50)" p90:="$(field "$latency" p90)" \
      p99:="$(field "$latency" p99)" p99_9:="$(field "$latency" 'p99\.9')" max:="$(field "$latency" max)")" \
    producer_lag_ms:="$(json p50:="$(field "$lag" p50)" p99:="$(field "$lag" p99)")" \
    cpu_s:="$steady_cpu_s" peak_rss_kib:="$steady_peak_kib" bench_status:="$rc" \
    cdf:="$(series_json "$work/cdf.txt")" rss:="$(series_json "$work/rss.txt")")"
}
