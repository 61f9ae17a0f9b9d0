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
mapfile -t binaries < <(find "$package_build/bin/outboxd" "$package_build/lib" -name outboxd -o -name '*.so')
[ ${#binaries[@]} -ge 3 ] || fail "no binaries in $package_build"
for binary in "${binaries[@]}"; do
  readelf -lW "$binary" | grep -q GNU_RELRO || fail "$binary: no RELRO"
  readelf -dW "$binary" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || fail "$binary: not linked with -z now"
done
# Fortified calls where the compiler could check a size: outboxd has them.
readelf -sW --dyn-syms "$package_build/bin/outboxd" | grep -q '__[a-z]*_chk@' ||
  fail "outboxd calls no fortified function: -D_FORTIFY_SOURCE is not in effect"
echo "downstream builds: ok"
