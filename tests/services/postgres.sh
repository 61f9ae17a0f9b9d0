#!/usr/bin/env bash
# PostgreSQL 15 (Debian's) for the tests, in a scratch directory, on 127.0.0.1:55432 (never 5432,
# so that it cannot clash with a system server).
#
#   tests/services/postgres.sh start    idempotent: installs postgresql-15 when missing, initdb on
#                                       first use, starts, waits until ready, creates the test role
#                                       and database; a server that already answers is left alone
#   tests/services/postgres.sh stop     fast shutdown; keeps the data
#   tests/services/postgres.sh crash    immediate shutdown (pg_ctl stop -m immediate), as a crash:
#                                       the next start runs crash recovery (fault tests)
#   tests/services/postgres.sh status   exit 0 when the server accepts connections
#   tests/services/postgres.sh env      prints OUTBOXD_TEST_PG_DSN=... (eval it in a shell)
#   tests/services/postgres.sh reset    stop, then delete the data (the next start runs initdb)
#
# Everything lives in $OUTBOXD_SERVICES_DIR/postgres (default /tmp/outboxd-services/postgres),
# owned by the postgres user: data/, and postgres.log (kept for failures). Needs root (or sudo).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
base="${OUTBOXD_SERVICES_DIR:-/tmp/outboxd-services}/postgres"
data="$base/data"
log="$base/postgres.log"
host=127.0.0.1
port="${OUTBOXD_PG_PORT:-55432}"
ready_timeout="${PG_READY_TIMEOUT:-60}"
bin=/usr/lib/postgresql/15/bin
role=outboxd
password=outboxd
database=outboxd_test
dsn="postgresql://$role:$password@$host:$port/$database"

say() { echo "postgres.sh: $*" >&2; }

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

install_server() {
  [ -x "$bin/pg_ctl" ] && return 0
  # shellcheck source=../../scripts/deps.sh
  source "$here/../../scripts/deps.sh"
  ensure_packages postgresql-15 postgresql-client-15
  # Debian's package creates and starts a cluster on 5432; we never use it, and leave it alone.
}

ready() { "$bin/pg_isready" -q -h "$host" -p "$port" -t 2 >/dev/null 2>&1; }

show_log() {
  say "the server's log ($log):"
  tail -n 50 "$log" >&2 || true
}

sql() { as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d postgres "$@"; }

create_test_database() {
  sql -c "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
              CREATE ROLE $role LOGIN PASSWORD '$password';
            END IF;
            -- A producer with only the grants docs/producers.md asks for; the tests SET ROLE to it.
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}_producer') THEN
              CREATE ROLE ${role}_producer NOLOGIN;
              GRANT ${role}_producer TO $role;
            END IF;
            -- A relay that does not own the outbox (the tests grant it what a relay needs).
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}_relay') THEN
              CREATE ROLE ${role}_relay LOGIN PASSWORD '$password';
            END IF;
          END \$\$;"
  if [ "$(sql -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
    sql -c "CREATE DATABASE $database OWNER $role"
  fi
}

start() {
  install_server
  mkdir -p "$base"
  chown postgres:postgres "$base"
  if ready; then
    create_test_database
    say "already running on $host:$port"
    return 0
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initdb into $data"
    rm -rf "$data"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log" >&2; exit 1; }
    # The superuser connects over loopback without a password (trust for postgres only); every
    # other role authenticates with its password, as a real deployment would.
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$data/pg_hba.conf"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '$host'
port = $port
unix_socket_directories = '$base'
max_connections = 100
shared_buffers = 256MB
max_wal_size = 2GB
fsync = on
synchronous_commit = on
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
  fi
  say "starting on $host:$port (log: $log)"
  if ! as_postgres "$bin/pg_ctl" -D "$data" -l "$log" -w -t "$ready_timeout" start >/dev/null; then
    say "pg_ctl start failed"
    show_log
    exit 1
  fi
  local waited=0
  until ready; do
    if [ "$waited" -ge "$ready_timeout" ]; then
      say "not ready after ${ready_timeout}s"
      show_log
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  create_test_database
  say "ready: $dsn"
}

stop() {
  if [ -f "$data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || { show_log; exit 1; }
    say "stopped"
  fi
}

crash() {
  as_postgres "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
  say "stopped immediately"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  crash) crash ;;
  status) ready ;;
  env) echo "OUTBOXD_TEST_PG_DSN=$dsn" ;;
  reset) stop; rm -rf "$data" "$log" ;;
  *) echo "usage: $0 start|stop|crash|status|env|reset" >&2; exit 2 ;;
esac
