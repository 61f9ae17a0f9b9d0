# Sourced by bench/run: what the outbox costs its producers. pgbench runs one business
# transaction (an INSERT into an orders table) from $connections clients for $producer_seconds,
# synchronous_commit on, three ways: alone; with the outbox INSERT of one sample event (the
# table as outboxd migrates it, its statement-level NOTIFY trigger included); and with that
# INSERT into a copy whose trigger is disabled (the trigger's own share). No relay runs.

producer_cost() {
  local schema=outboxd_bench_producers
  trap 'psql_ -c "DROP SCHEMA IF EXISTS outboxd_bench_producers CASCADE" -c "DROP SCHEMA IF EXISTS outboxd_bench_producers_nt CASCADE" || true' EXIT
  relay_config "$work/producers.yaml" "$(pg_config_storage "$schema")" '[ { name: events, type: "null" } ]' bench
  relay_config "$work/producers_nt.yaml" "$(pg_config_storage "${schema}_nt")" '[ { name: events, type: "null" } ]' bench
  psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "DROP SCHEMA IF EXISTS ${schema}_nt CASCADE"
  "$bin" status -c "$work/producers.yaml" >/dev/null  # migrates (storage.migrate: auto)
  "$bin" status -c "$work/producers_nt.yaml" >/dev/null
  psql_ -c "ALTER TABLE ${schema}_nt.outbox_events DISABLE TRIGGER USER" \
    -c "CREATE TABLE $schema.orders (id bigserial PRIMARY KEY, customer int NOT NULL, total numeric NOT NULL,
                                     created_at timestamptz NOT NULL DEFAULT now())"
  local order="INSERT INTO $schema.orders (customer, total) VALUES (:customer, 19.99);"
  printf '\\set customer random(1, 1000)\nBEGIN;\n%s\nCOMMIT;\n' "$order" >"$work/plain.sql"
  printf '\\set customer random(1, 1000)\nBEGIN;\n%s\n%s\nCOMMIT;\n' "$order" \
    "$(sample_rows_sql "$schema.outbox_events" 1)" >"$work/outbox.sql"
  printf '\\set customer random(1, 1000)\nBEGIN;\n%s\n%s\nCOMMIT;\n' "$order" \
    "$(sample_rows_sql "${schema}_nt.outbox_events" 1)" >"$work/outbox_nt.sql"
  local variant tps=()
  for variant in plain outbox outbox_nt; do
    pgbench_ -n -M prepared -c "$connections" -j 2 -T "$producer_seconds" -f "$work/$variant.sql" \
      >"$work/pgbench.log" 2>&1 || { tail -5 "$work/pgbench.log"; return 1; }
    tps+=("$(awk '/^tps = / { printf "%.0f\n", $3; exit }' "$work/pgbench.log")")
  done
  echo "producers ($connections clients, ${producer_seconds} s each): business transaction alone ${tps[0]} tps;" \
       "with the outbox INSERT ${tps[1]} tps; with it, trigger disabled, ${tps[2]} tps"
  record producers "$(json clients:="$connections" seconds:="$producer_seconds" plain_tps:="${tps[0]}" \
    outbox_tps:="${tps[1]}" outbox_without_trigger_tps:="${tps[2]}")"
}
