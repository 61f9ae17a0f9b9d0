# Sourced by bench/run: what the outbox costs its producers. pgbench runs one business
# transaction (an INSERT into an orders table) from $connections clients for $producer_seconds,
# synchronous_commit on, three ways: alone; with the outbox INSERT of one sample event (the
# table as outboxd migrates it, its statement-level NOTIFY trigger included); and with that
# INSERT into a copy whose trigger is disabled (the trigger's own share). No relay runs. The three
# run in $producer_rounds rounds of $producer_seconds / rounds each, the order reversed every other
# round, and each figure is the median of its rounds, so that a drift of the host falls on the
# three alike (one pass of each, in one order, read the trigger's ratio as 0.84 and 0.96 in two
# runs ten minutes apart on one build).

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
  local rounds=$producer_rounds seconds=$((producer_seconds / producer_rounds)) round variant order
  [ "$seconds" -ge 1 ] || seconds=1
  declare -A runs=([plain]="" [outbox]="" [outbox_nt]="")
  for ((round = 1; round <= rounds; round++)); do
    order="plain outbox outbox_nt"
    ((round % 2)) || order="outbox_nt outbox plain"
    for variant in $order; do
      pgbench_ -n -M prepared -c "$connections" -j 2 -T "$seconds" -f "$work/$variant.sql" \
        >"$work/pgbench.log" 2>&1 || { tail -5 "$work/pgbench.log"; return 1; }
      runs[$variant]+="$(awk '/^tps = / { printf "%.0f", $3; exit }' "$work/pgbench.log") "
    done
  done
  local plain outbox outbox_nt
  plain=$(printf '%s\n' ${runs[plain]} | median)
  outbox=$(printf '%s\n' ${runs[outbox]} | median)
  outbox_nt=$(printf '%s\n' ${runs[outbox_nt]} | median)
  echo "producers ($connections clients, $rounds rounds of $seconds s, medians): business transaction alone" \
       "$plain tps (${runs[plain]% }); with the outbox INSERT $outbox tps (${runs[outbox]% });" \
       "with it, trigger disabled, $outbox_nt tps (${runs[outbox_nt]% })"
  record producers "$(json clients:="$connections" seconds:="$producer_seconds" rounds:="$rounds" \
    plain_tps:="$plain" outbox_tps:="$outbox" outbox_without_trigger_tps:="$outbox_nt" \
    plain_tps_rounds:="$(list_json ${runs[plain]})" outbox_tps_rounds:="$(list_json ${runs[outbox]})" \
    outbox_without_trigger_tps_rounds:="$(list_json ${runs[outbox_nt]})")"
}

# list_json N...: its arguments as a JSON array.
list_json() {
  local IFS=,
  echo "[$*]"
}
