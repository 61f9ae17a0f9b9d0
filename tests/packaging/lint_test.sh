#!/usr/bin/env bash
# lintian and rpmlint find nothing to warn about in any package: no error, no warning, and none
# of lintian's hardening tags (they are only "info", so --fail-on would let them pass). The
# overrides they read are in packaging/, each justified in packaging/README.md.
# usage: lint_test.sh DEB_DIR RPM_DIR
set -euo pipefail
deb_dir=$1 rpm_dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
shopt -s nullglob
debs=("$deb_dir"/*.deb) rpms=("$rpm_dir"/*.rpm)
[ ${#debs[@]} -gt 0 ] && [ ${#rpms[@]} -gt 0 ] || fail "no packages in $deb_dir or $rpm_dir"

echo "== lintian"
report=$(lintian --fail-on error,warning --display-level '>=info' "${debs[@]}" 2>&1) ||
  fail "lintian: $report"
grep -E '^[EWI]: ' <<<"$report" || true
grep -q 'hardening-' <<<"$report" && fail "lintian reports missing hardening"

echo "== rpmlint"
# rpmlint exits 0 on warnings: its summary line says whether there were any.
report=$(rpmlint -c "$(dirname "$0")/../../packaging/rpm/rpmlint.toml" "${rpms[@]}" 2>&1) || true
echo "$report"
grep -Eq ' 0 errors, 0 warnings' <<<"$report" || fail "rpmlint reports errors or warnings"
echo "lint: ok"
