#!/usr/bin/env bash
# Pins what each package holds and needs, so that a file that moves, appears or goes, or a
# dependency that changes, is noticed: for each .deb its file list, Depends (names only: the
# versions follow the build machine's libraries) and Provides; for each .rpm its file list
# (rpm -qlp) and requirements (rpm -qpR, the libraries without their symbol versions). The
# expected lists are tests/packaging/expected/.
# usage: file_lists_test.sh DEB_DIR RPM_DIR [--update]   (--update rewrites the expected lists)
set -euo pipefail
deb_dir=$1 rpm_dir=$2 update=${3:-}
expected=$(dirname "$(realpath "$0")")/expected
mkdir -p "$expected"
status=0

# check NAME: compares standard input with expected/NAME (or writes it, with --update); fails
# when they differ. (It runs at the end of a pipeline, in a subshell: its caller notes the failure.)
check() {
  local actual
  actual=$(cat)
  if [ "$update" = "--update" ]; then
    printf '%s\n' "$actual" >"$expected/$1"
  elif ! diff -u "$expected/$1" <(printf '%s\n' "$actual"); then
    echo "FAIL: $1 differs from tests/packaging/expected/$1 (above)" >&2
    return 1
  fi
}

shopt -s nullglob
debs=("$deb_dir"/*.deb) rpms=("$rpm_dir"/*.rpm)
[ ${#debs[@]} -gt 0 ] && [ ${#rpms[@]} -gt 0 ] || { echo "FAIL: no packages in $deb_dir or $rpm_dir" >&2; exit 1; }
for deb in "${debs[@]}"; do
  name=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' | sort -k3 | check "$name.deb.files" || status=1
  { echo "Depends: $(dpkg-deb -f "$deb" Depends | sed 's/ ([^)]*)//g')"
    echo "Recommends: $(dpkg-deb -f "$deb" Recommends)"
    echo "Provides: $(dpkg-deb -f "$deb" Provides)"; } | check "$name.deb.control" || status=1
done
for rpm in "${rpms[@]}"; do
  name=$(rpm -qp --qf '%{NAME}' "$rpm")
  # Not the build-id links: they are named for the binaries' hashes, which every change changes.
  rpm -qlp "$rpm" | grep -v '^/usr/lib/\.build-id' | check "$name.rpm.files" || status=1
  # The libraries, not the symbol versions of each (libc.so.6(GLIBC_2.34)(64bit)).
  rpm -qpR "$rpm" | sed -E 's/\([A-Z]+_[0-9.]+\)\(64bit\)$/()(64bit)/' | sort -u | check "$name.rpm.requires" || status=1
done
if [ "$update" = "--update" ]; then
  echo "expected lists written to $expected"
elif [ $status -eq 0 ]; then
  echo "file lists: ok"
fi
exit $status
