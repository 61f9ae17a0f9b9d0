# The results document of bench/run: $meta (date, host, machine, outboxd, software, settings) and
# the records ($r: {section, value} each), with every figure derived from the measured ones and
# each result's ratio to its limits. Rounded for reading; the raw measurements stay alongside.
def section($s): [$r[] | select(.section == $s) | .value];
def round_to($digits): if . == null then null else (. * pow(10; $digits) | round) / pow(10; $digits) end;
def per($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;

(section("limit") | map({(.name): .}) | add // {}
 | with_entries(.value |= (. + {
     events_per_s: (per(.settled; .wall_s) // .messages_per_s | round_to(0)),
     wal_bytes_per_event: (per(.wal_bytes; .settled) | round_to(0))
   } | with_entries(select(.value != null)))))
  as $limits
| (section("drain") | map(. + {
    events_per_s: (per(.relayed; .wall_s) | round_to(0)),
    cpu_us_per_event: (per((.cpu_user_s + .cpu_sys_s) * 1e6; .relayed) | round_to(2)),
    peak_rss_mib: (per(.peak_rss_kib; 1024) | round_to(1)),
    wal_bytes_per_event: (per(.wal_bytes; .relayed) | round_to(0))
  }))
  as $drains
| (section("callgrind") | map(. + {
    instructions_per_event: (per(.instructions - .instructions_base; .events - .base_events) | round_to(0))
  }))
  as $callgrind
# What bounds each path: a storage-only path by the plain-SQL claim/settle ceiling (PostgreSQL;
# SQLite has none measured), a path with a transport by its storage-only drain and by the bare
# client of its broker; a path in key order by the same path without it and by the bare
# producer with one message per key in flight.
| def limits_of($d):
    def drain_rate($path): first($drains[] | select(.path == $path) | .events_per_s) // null;
    [ if $d.ordering == "key" then
        {name: "\($d.storage) -> \($d.transport) drain, ordering none",
         events_per_s: drain_rate("\($d.storage)-\($d.transport)")},
        {name: "bare librdkafka producer, one message per key",
         events_per_s: $limits.kafka_bare_one_per_key.events_per_s}
      elif $d.transport == "null" then
        (if $d.storage == "postgres" then
           {name: "plain-SQL claim/settle", events_per_s: $limits.postgres_sql_ceiling.events_per_s}
         else empty end)
      else {name: "\($d.storage) -> null drain", events_per_s: drain_rate("\($d.storage)-null")} end,
      if $d.transport == "kafka" then {name: "bare librdkafka producer", events_per_s: $limits.kafka_bare_producer.events_per_s}
      elif $d.transport == "mqtt" then {name: "bare paho client", events_per_s: $limits.mqtt_bare_client.events_per_s}
      else empty end
    ] | map(. + {ratio: (per($d.events_per_s; .events_per_s) | round_to(3))});
$meta + {
  limits: $limits,
  drains: [$drains[] | . as $d | . + {limits: limits_of($d),
    instructions_per_event: (first($callgrind[] | select(.path == $d.path) | .instructions_per_event) // null)}],
  steady: [section("steady")[] | . + {
    achieved_to_offered: (per(.achieved_per_s; .offered_per_s) | round_to(3)),
    cpu_us_per_event: (per(.cpu_s * 1e6; .events) | round_to(2)),
    cpu_share_of_one_core: (per(.cpu_s; .seconds) | round_to(3)),
    peak_rss_mib: (per(.peak_rss_kib; 1024) | round_to(1))
  }],
  producers: [section("producers")[] | . + {
    outbox_to_plain: (per(.outbox_tps; .plain_tps) | round_to(3)),
    outbox_without_trigger_to_plain: (per(.outbox_without_trigger_tps; .plain_tps) | round_to(3)),
    outbox_to_outbox_without_trigger: (per(.outbox_tps; .outbox_without_trigger_tps) | round_to(3))
  }][0],
  callgrind: $callgrind,
  notes: section("note"),
  load_average_at_end: $load_end
}
