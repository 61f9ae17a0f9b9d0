#!/usr/bin/env bash
# Mosquitto 2.0 (Debian's) for the MQTT tests and benchmarks, on loopback:
#   127.0.0.1:1883  plain, anonymous
#   127.0.0.1:1884  plain, users from a password file (outboxd/outboxd-secret may publish;
#                   reader/reader-secret may only subscribe, so its publishes are refused 0x87)
#   127.0.0.1:8883  TLS, a server certificate for localhost and 127.0.0.1, signed by certs/ca.crt
#   127.0.0.1:8884  TLS, a certificate for other.invalid (same CA): host name verification fails
#   127.0.0.1:8885  TLS, a client certificate signed by the CA required (certs/client.crt/.key)
# message_size_limit 1 MiB (a bigger payload is refused: 0x95 on MQTT 5); no limit on the queue of
# a subscriber (max_queued_messages 0), so that a slow test subscriber loses nothing;
# max_inflight_messages (the Receive Maximum a v5 client is told) is Mosquitto's default 20 unless
# MOSQUITTO_MAX_INFLIGHT says otherwise. No persistence.
#
#   tests/services/mosquitto.sh start    idempotent: a broker that already answers is left alone
#   tests/services/mosquitto.sh stop     SIGTERM, waits for the exit
#   tests/services/mosquitto.sh kill     SIGKILL (the crash the fault tests need), no wait for a drain
#   tests/services/mosquitto.sh restart  stop, then start (e.g. with another MOSQUITTO_MAX_INFLIGHT)
#   tests/services/mosquitto.sh status   exit 0 when the broker answers
#   tests/services/mosquitto.sh certs    prints the certificate directory
#
# Everything lives in $OUTBOXD_SERVICES_DIR/mosquitto (default /tmp/outboxd-services/mosquitto):
# certs/ (generated once with openssl), mosquitto.conf, passwd, acl, mosquitto.log, mosquitto.pid.
# Needs mosquitto, mosquitto-clients (readiness check) and openssl.
set -euo pipefail

# shellcheck source=daemon.sh
source "$(cd "$(dirname "$0")" && pwd)/daemon.sh"

base="${OUTBOXD_SERVICES_DIR:-/tmp/outboxd-services}/mosquitto"
certs="$base/certs"
conf="$base/mosquitto.conf"
pidfile="$base/mosquitto.pid"
log="$base/mosquitto.log"
host=127.0.0.1
port=1883
max_inflight="${MOSQUITTO_MAX_INFLIGHT:-20}"
ready_timeout="${MOSQUITTO_READY_TIMEOUT:-30}"

say() { echo "mosquitto.sh: $*" >&2; }

answers() {
  timeout 5 mosquitto_pub -h "$host" -p "$port" -q 1 -t outboxd/ready -m ready >/dev/null 2>&1
}

running_pid() { daemon_pid "$pidfile" mosquitto; }

# daemon_await's ON_FAILURE: what the broker's log says.
start_failed() {
  if [ "$1" = exited ]; then
    say "mosquitto exited during start-up; the end of $log:"
    rm -f "$pidfile"
  else
    say "not ready after ${ready_timeout}s; the end of $log:"
  fi
  tail -n 20 "$log" >&2 || true
}

# A CA, and certificates it signs: server (localhost), other (other.invalid), client.
make_certs() {
  [ -f "$certs/client.crt" ] && return 0
  mkdir -p "$certs"
  local days=3650
  openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=outboxd test CA" \
    -keyout "$certs/ca.key" -out "$certs/ca.crt" 2>/dev/null
  sign() {  # sign NAME SUBJECT [SUBJECT_ALT_NAMES]
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$certs/$1.key" -out "$certs/$1.csr" 2>/dev/null
    local ext="$certs/$1.ext"
    : >"$ext"
    [ -n "${3:-}" ] && echo "subjectAltName=$3" >"$ext"
    openssl x509 -req -in "$certs/$1.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial \
      -days "$days" -extfile "$ext" -out "$certs/$1.crt" 2>/dev/null
    rm -f "$certs/$1.csr" "$ext"
  }
  sign server localhost "DNS:localhost,IP:127.0.0.1"
  sign other other.invalid "DNS:other.invalid"
  sign client outboxd-test-client
  say "generated a CA and certificates in $certs"
}

write_config() {
  rm -f "$base/passwd"
  mosquitto_passwd -c -b "$base/passwd" outboxd outboxd-secret
  mosquitto_passwd -b "$base/passwd" reader reader-secret
  cat >"$base/acl" <<EOF
user outboxd
topic readwrite #
user reader
topic read #
EOF
  cat >"$conf" <<EOF
# Written by tests/services/mosquitto.sh; edits are overwritten on the next start.
user $(id -un)
per_listener_settings true
persistence false
log_dest file $log
log_type error
log_type warning
log_type notice
connection_messages true
message_size_limit 1048576
max_queued_messages 0
max_inflight_messages $max_inflight

listener $port $host
allow_anonymous true

listener 1884 $host
allow_anonymous false
password_file $base/passwd
acl_file $base/acl

listener 8883 $host
allow_anonymous true
cafile $certs/ca.crt
certfile $certs/server.crt
keyfile $certs/server.key

listener 8884 $host
allow_anonymous true
cafile $certs/ca.crt
certfile $certs/other.crt
keyfile $certs/other.key

listener 8885 $host
allow_anonymous true
cafile $certs/ca.crt
certfile $certs/server.crt
keyfile $certs/server.key
require_certificate true
EOF
}

start() {
  if pid="$(running_pid)" && answers; then
    say "already running (pid $pid) on $host:$port"
    return 0
  fi
  if answers; then
    say "a broker already answers on $host:$port (not started by this script); using it"
    return 0
  fi
  command -v mosquitto >/dev/null || { say "mosquitto is missing (apt-get install mosquitto)"; exit 1; }
  command -v mosquitto_pub >/dev/null || { say "mosquitto_pub is missing (apt-get install mosquitto-clients)"; exit 1; }
  if ! pid="$(running_pid)"; then
    make_certs
    write_config
    : >"$log"
    # setsid: the broker outlives this script and the test that called it, in its own group.
    setsid mosquitto -c "$conf" >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$pidfile"
    say "started pid $pid (max_inflight_messages $max_inflight); waiting up to ${ready_timeout}s for $host:$port"
  fi
  daemon_await "$pid" "$ready_timeout" start_failed
  say "ready on $host:$port (pid $pid, log $log)"
}

stop_with() { daemon_stop "$pidfile" mosquitto "$1" 30; }

mkdir -p "$base"
# One command at a time: a test that kills and restarts the broker may run next to scripts/test.
exec 9>"$base/.lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop_with TERM ;;
  kill) stop_with KILL ;;
  restart) stop_with TERM && start ;;
  status) if answers; then say "up on $host:$port"; else say "down"; exit 1; fi ;;
  certs) make_certs && echo "$certs" ;;
  *) echo "usage: $0 start|stop|kill|restart|status|certs" >&2; exit 2 ;;
esac
