#!/usr/bin/env bash
# The systemd unit of the package: what the service needs of it (issue 12) is there, and its
# hardening keeps the exposure systemd-analyze computes at 2.0 or less. (systemd-analyze verify
# runs on the installed unit, in deb_install_test.sh: it needs the binary it names.)
# usage: unit_test.sh UNIT_FILE
set -euo pipefail
unit=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

for line in 'Type=notify' 'User=outboxd' 'StateDirectory=outboxd' 'ConfigurationDirectory=outboxd' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'RestartPreventExitStatus=78' \
  'EnvironmentFile=-/etc/outboxd/outboxd.env'; do
  grep -qxF "$line" "$unit" || fail "the unit lacks $line"
done
grep -q '^ExecStartPre=/usr/bin/outboxd check ' "$unit" || fail "the unit does not check its config before the start"

report=$(systemd-analyze security --offline=yes --threshold=20 "$unit") ||
  fail "exposure above 2.0: $(tail -1 <<<"$report")"
tail -1 <<<"$report"
echo "unit: ok"
