# Sourced by the benchmarks that use PostgreSQL (bench/relay_*.sh, bench/latency_kafka.sh,
# bench/run): the server of tests/services/postgres.sh and what they do with it. Needs $bin
# (outboxd) for pg_fill_backlog; run from the repository's root.

. bench/sample_events.sh

# OUTBOXD_BENCH_PG_DSN overrides the DSN of tests/services/postgres.sh.
pg_dsn=${OUTBOXD_BENCH_PG_DSN:-postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test}

# pg_start: starts tests/services/postgres.sh's server when it is not running.
pg_start() {
  tests/services/postgres.sh status >/dev/null 2>&1 || tests/services/postgres.sh start >/dev/null 2>&1
}

# psql_ ARGS...: psql on the DSN, stopping at the first error, without NOTICEs (DROP ... CASCADE).
psql_() { PGOPTIONS="-c client_min_messages=warning ${PGOPTIONS:-}" psql -X -q -v ON_ERROR_STOP=1 "$pg_dsn" "$@"; }

# pg_value SQL: the single value SQL returns.
pg_value() { psql_ -tAc "$1"; }

# pg_checkpoint: CHECKPOINT needs a superuser; the services' server lets postgres in over loopback.
pg_checkpoint() { psql -X -q -h 127.0.0.1 -p "${OUTBOXD_PG_PORT:-55432}" -U postgres -d postgres -c CHECKPOINT; }

# pgbench_ ARGS...: pgbench on the DSN (its password passed in the environment, not on the command line).
pgbench_() {
  PGPASSWORD=$(sed -E 's|^postgresql://[^:]*:([^@]*)@.*|\1|' <<<"$pg_dsn") \
    pgbench "$@" "$(sed -E 's|^(postgresql://[^:]*):[^@]*@|\1@|' <<<"$pg_dsn")"
}

# pg_config_storage SCHEMA [EXTRA]: the storage block of an outboxd config for a table of SCHEMA.
pg_config_storage() { echo "{ type: postgres, dsn: \"$pg_dsn\", schema: $1, table: outbox_events${2:+, $2} }"; }

# pg_await_older_transactions: the relay reads only rows of transactions older than every one
# still running; on a shared server, waits (up to 60 s) until whatever was running now has ended.
pg_await_older_transactions() {
  local mark
  mark=$(pg_value "SELECT pg_current_xact_id()")
  for _ in $(seq 600); do
    [ "$(pg_value "SELECT pg_snapshot_xmin(pg_current_snapshot()) > '$mark'::xid8")" = t ] && return 0
    sleep 0.1
  done
}

# pg_fill_backlog CONFIG SCHEMA EVENTS: a fresh SCHEMA (migrated by outboxd status on CONFIG) whose
# outbox holds EVENTS sample events written by one transaction, then VACUUM ANALYZE and CHECKPOINT
# (so that the drain's deletes write a full-page image of every heap page: the worst case for WAL).
pg_fill_backlog() {
  psql_ -c "DROP SCHEMA IF EXISTS $2 CASCADE"
  "$bin" status -c "$1" >/dev/null  # migrates (storage.migrate: auto)
  psql_ -c "$(sample_rows_sql "$2.outbox_events" "$3")" -c "VACUUM ANALYZE $2.outbox_events"
  pg_checkpoint
  pg_await_older_transactions
}

# pg_wal_lsn: the server's current WAL position; pg_wal_bytes_since LSN: WAL written since.
pg_wal_lsn() { pg_value "SELECT pg_current_wal_lsn()"; }
pg_wal_bytes_since() { pg_value "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$1')::int8"; }

# pg_describe: the server's version and the settings that shape the numbers.
pg_describe() {
  echo "PostgreSQL $(pg_value 'SHOW server_version') (fsync $(pg_value 'SHOW fsync')," \
       "synchronous_commit $(pg_value 'SHOW synchronous_commit') for producers, off for the relay," \
       "shared_buffers $(pg_value 'SHOW shared_buffers'))"
}
