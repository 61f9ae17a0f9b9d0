#!/usr/bin/env bash
# The claim of the retry path in key order (outbox_lane_retries, plugins/storage_postgres/
# lane_queries.cpp) as an outage leaves it: ROWS rows over KEYS keys, the oldest RETRIED of them
# on the retry path and due; one relay's share of the lanes (a third of 256), claims of BATCH.
# Timed in three states of the table, in this order:
#   stale     planned on statistics taken while the retry path was empty, as the planner sees it
#             until the table is analyzed again (autovacuum: at most once a minute);
#   analyzed  after VACUUM ANALYZE;
#   dead      after 5 rounds of updates of every row on the path, as claims and settles leave
#             dead rows behind (statistics as analyzed).
# In each state the statement of each BUILD (a build directory with bin/outboxd and
# bin/claim_settle_script; the first one is the baseline) runs REPEAT times, the builds taking
# turns, each run rolled back; the median of each is printed. Autovacuum is off for the table.
#   bench/postgres/lane_retries.sh BUILD...    e.g. bench/postgres/lane_retries.sh build/old build/release
# Settings: ROWS=100000 KEYS=1000 RETRIED=60000 BATCH=200 REPEAT=7.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/postgres.sh
[ $# -ge 1 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
rows=${ROWS:-100000} keys=${KEYS:-1000} retried=${RETRIED:-60000} batch=${BATCH:-200} repeat=${REPEAT:-7}
schema=outboxd_bench_lanes
lanes="{$(seq -s, 0 85)}"
work=$(mktemp -d)
trap 'psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true; rm -rf "$work"' EXIT
pg_start

cat >"$work/outboxd.yaml" <<EOF
storage: $(pg_config_storage "$schema")
relay: { ordering: key }
transports: [ { name: out, type: stdout } ]
routes: [ { match: "*", transport: out } ]
EOF
psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE"
"$1/bin/outboxd" status -c "$work/outboxd.yaml" >/dev/null  # migrates
t="$schema.outbox_events"
# One transaction per 50 rows, as producers write them: the rows of a key spread over many xids.
psql_ -c "ALTER TABLE $t SET (autovacuum_enabled = false)" -c "DO \$\$ BEGIN
  FOR i IN 0..$((rows / 50 - 1)) LOOP
    INSERT INTO $t (event_type, partition_key, payload)
      SELECT 'bench', 'key-' || ((i * 50 + g) % $keys), '\\x7b7d'::bytea FROM generate_series(0, 49) g;
    COMMIT;
  END LOOP; END \$\$"
retry_path() {
  psql_ -c "UPDATE $t SET retry_at = now() - interval '1 s' WHERE (xid, seq) IN
    (SELECT xid, seq FROM $t ORDER BY xid, seq LIMIT $retried)"
}

# time_build BUILD: one run of BUILD's statement, rolled back -> its milliseconds.
time_build() {
  { echo "PREPARE r (int8, int4[], text, int8) AS $("$1/bin/claim_settle_script" "$schema" outbox_events \
      statement outbox_lane_retries);"
    echo "BEGIN;"
    echo "\\timing on"
    echo "EXECUTE r($batch, '$lanes', 'kbench', 30000) \\g /dev/null"
    echo "\\timing off"
    echo "ROLLBACK;"; } | psql_ | sed -n -E 's/^Time: ([0-9.]+) ms.*/\1/p'
}

# label BUILD: a file name for BUILD's times.
label() { tr / _ <<<"$1"; }

# measure STATE BUILD...: REPEAT runs of each build's statement, alternately -> a line of medians.
measure() {
  local state=$1 b i
  shift
  for ((i = 0; i < repeat; i++)); do
    for b in "$@"; do time_build "$b" >>"$work/$state-$(label "$b")"; done
  done
  printf '%-9s' "$state"
  for b in "$@"; do
    printf '  %s %8.1f ms' "$b" "$(sort -n "$work/$state-$(label "$b")" | awk '{ v[NR] = $1 }
      END { print v[int((NR + 1) / 2)] }')"
  done
  echo
}

echo "$rows rows over $keys keys, $retried on the retry path, claims of $batch from 86 of 256 lanes; medians of $repeat"
psql_ -c "VACUUM ANALYZE $t"
retry_path
measure stale "$@"
psql_ -c "VACUUM ANALYZE $t"
measure analyzed "$@"
for _ in 1 2 3 4 5; do
  psql_ -c "UPDATE $t SET locked_until = now() - interval '1 s', claim_token = 'k' WHERE retry_at IS NOT NULL" \
    -c "UPDATE $t SET locked_until = NULL, claim_token = NULL WHERE retry_at IS NOT NULL"
done
measure dead "$@"
