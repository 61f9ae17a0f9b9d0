# The benchmarks' sample events, sourced by bench/relay_*.sh and bench/run: 300-byte JSON payloads
# ({"order":N,"note":"xx..."}, padded to 300 bytes whatever N's digits), a partition key of 1000
# distinct values and one traceparent header per event.

# sample_events_jsonl N: N events as `outboxd enqueue --file` reads them, on stdout.
sample_events_jsonl() {
  local pad
  pad=$(printf 'x%.0s' $(seq 1 280))
  awk -v n="$1" -v pad="$pad" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"event_type\":\"order.created\",\"partition_key\":\"order-%d\",\"headers\":{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"},\"payload\":{\"order\":%d,\"note\":\"%s\"}}\n", i % 1000, i, substr(pad, 1, 280 - length(i ""))
  }'
}

# sample_rows_sql TABLE N: one INSERT of N events into the PostgreSQL outbox TABLE
# ("schema.table"), built server-side; ids with a millisecond-timestamp prefix (as UUID v7 has).
sample_rows_sql() {
  cat <<SQL
INSERT INTO $1 (id, event_type, partition_key, payload, headers)
SELECT encode(overlay(uuid_send(gen_random_uuid()) PLACING
                      substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::int8) FROM 3)
                      FROM 1 FOR 6), 'hex')::uuid,
       'order.created', 'order-' || (i % 1000),
       convert_to(format('{"order":%s,"note":"%s"}', i, repeat('x', 280 - length(i::text))), 'UTF8'),
       '[["traceparent","00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]]'
FROM generate_series(1, $2) AS i;
SQL
}
