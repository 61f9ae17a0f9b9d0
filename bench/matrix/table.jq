# One table of bench/run's results document as tab-separated lines, a header first ($table:
# limits, drains, steady or producers); bench/matrix/report.sh aligns them.
def num: if . == null then "-" else tostring end;
def k: if . == null then "-" elif . >= 1000 then "\(. / 100 | round / 10)k" else tostring end;
if $table == "limits" then
  ["limit", "events/s", "measured"],
  (.limits | to_entries[] | [.key, (.value.events_per_s | k),
     "\(.value.events // .value.messages) in \(.value.wall_s) s" +
     (if .value.wal_bytes_per_event then ", WAL \(.value.wal_bytes_per_event) B/event" else "" end)])
elif $table == "drains" then
  ["drain", "events", "events/s", "of its limits", "CPU us/event", "peak RSS MiB", "WAL B/event", "instr/event"],
  (.drains[] | [.path, (.relayed | num), (.events_per_s | k),
     (.limits | map("\(.ratio | num) of \(.name) (\(.events_per_s | k))") | join(", ") | if . == "" then "-" else . end),
     (.cpu_us_per_event | num), (.peak_rss_mib | num), (.wal_bytes_per_event | num), (.instructions_per_event | num)])
elif $table == "steady" then
  ["steady", "offered/s", "achieved/s", "p50 ms", "p90", "p99", "p99.9", "max", "missing", "CPU us/event", "peak RSS MiB"],
  (.steady[] | [.path, (.offered_per_s | num), "\(.achieved_per_s | num) (\(.achieved_to_offered | num))",
     (.latency_ms.p50 | num), (.latency_ms.p90 | num), (.latency_ms.p99 | num), (.latency_ms.p99_9 | num),
     (.latency_ms.max | num), (.missing | num), (.cpu_us_per_event | num), (.peak_rss_mib | num)])
elif $table == "producers" then
  (.producers // empty | ["producer transaction (pgbench, \(.clients) clients)", "tps", "of plain"],
   ["business INSERT alone", (.plain_tps | num), "1"],
   ["+ outbox INSERT (NOTIFY trigger)", (.outbox_tps | num), (.outbox_to_plain | num)],
   ["+ outbox INSERT, trigger disabled", (.outbox_without_trigger_tps | num), (.outbox_without_trigger_to_plain | num)])
else error("unknown table \($table)") end
| @tsv
