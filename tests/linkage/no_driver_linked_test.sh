#!/usr/bin/env bash
# The rules of the house, checked on the build: outboxd links no driver library, and every
# plugin exports only the two ABI entry points (hidden visibility, --exclude-libs).
# usage: no_driver_linked_test.sh OUTBOXD PLUGIN_DIR
set -euo pipefail
outboxd=$1 plugins=$2
# Without LD_PRELOAD, which a sanitizer run sets and ldd would list as linked.
linked=$(env -u LD_PRELOAD ldd "$outboxd" | grep -Eo 'lib(pqxx|pq|rdkafka|paho|sqlite3)[^ ]*' | sort -u || true)
if [ -n "$linked" ]; then
  echo "FAIL: $outboxd links driver libraries: $linked" >&2
  exit 1
fi
count=0
for so in "$plugins"/outbox-*.so; do
  extra=$(nm -D --defined-only "$so" | awk '{print $3}' |
    grep -Ev '^(outbox_plugin_manifest|outbox_plugin_init|_init|_fini|_edata|_end|__bss_start)$' || true)
  if [ -n "$extra" ]; then
    echo "FAIL: $so exports more than the ABI: $(echo $extra | head -c 300)" >&2
    exit 1
  fi
  count=$((count + 1))
done
[ $count -gt 0 ] || { echo "FAIL: no plugins in $plugins" >&2; exit 1; }
echo "outboxd links no driver; $count plugins export only the ABI"
