#!/usr/bin/env bash
# outboxd builds the way distributions build it: a plain Release build (no preset, so no
# warnings-as-errors, and GCC's -O3), and the package build (scripts/package: None with
# dpkg-buildflags) whose binaries carry Debian's hardening: fortified calls, full RELRO, -z now.
# usage: downstream_build_test.sh SOURCE_DIR PACKAGE_BUILD_DIR
set -euo pipefail
src=$(realpath "$1") package_build=$(realpath "$2")
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== plain Release build"
build=$src/build/plain-release
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOUTBOXD_BUILD_TESTS=OFF \
  -DOUTBOXD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1 || { tail -30 "$build/build.log"; fail "plain Release build"; }
grep -q -- '-Werror' "$build/compile_commands.json" && fail "a plain build turns warnings into errors"

echo "== the package build's flags and hardening"
for flag in -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2; do
  grep -q -- "$flag" "$package_build/compile_commands.json" || fail "the package build lacks $flag"
done
mapfile -t binaries < <(find "$package_build/bin/outboxd" "$package_build/lib" -type f \( -name outboxd -o -name '*.so' \))
[ ${#binaries[@]} -ge 3 ] || fail "no binaries in $package_build"
# (readelf's output is read whole: grep -q would stop it early, a failure under pipefail.)
for binary in "${binaries[@]}"; do
  grep -q GNU_RELRO <<<"$(readelf -lW "$binary")" || fail "$binary: no RELRO"
  grep -Eq 'BIND_NOW|FLAGS_1.*NOW' <<<"$(readelf -dW "$binary")" || fail "$binary: not linked with -z now"
done
# Fortified calls where the compiler could check a size: outboxd has them.
grep -Eq '__[a-z]+_chk@' <<<"$(readelf -W --dyn-syms "$package_build/bin/outboxd")" ||
  fail "outboxd calls no fortified function: -D_FORTIFY_SOURCE is not in effect"
echo "downstream builds: ok"
