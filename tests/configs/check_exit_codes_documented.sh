#!/usr/bin/env bash
# Every exit code the commands return (core/cli/exit_codes.hpp) has a row in the user guide's table.
# usage: check_exit_codes_documented.sh EXIT_CODES_HPP USER_GUIDE_MD
set -euo pipefail
codes=$(sed -nE 's/^inline constexpr int kExit[A-Za-z]+ = ([0-9]+);.*/\1/p' "$1")
[ -n "$codes" ] || { echo "FAIL: no exit codes found in $1" >&2; exit 1; }
missing=0
for code in $codes; do
  grep -qE "^\| $code \|" "$2" || { echo "FAIL: exit code $code has no row in $2" >&2; missing=1; }
done
exit $missing
