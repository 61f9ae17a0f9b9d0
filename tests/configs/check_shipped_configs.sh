#!/usr/bin/env bash
# Every config the project ships must pass `outboxd check`.
# usage: check_shipped_configs.sh OUTBOXD CONFIG_DIR
set -euo pipefail
outboxd=$1 dir=$2
export OUTBOXD_DATA_DIR=$(mktemp -d)
trap 'rm -rf "$OUTBOXD_DATA_DIR"' EXIT
count=0
for config in "$dir"/*.yaml "$dir"/examples/*.yaml; do
  [ -e "$config" ] || continue
  "$outboxd" check -c "$config"
  count=$((count + 1))
done
[ $count -gt 0 ] || { echo "FAIL: no configs in $dir" >&2; exit 1; }
