#!/usr/bin/env bash
# A producer application's view: install the producer's component and the SDK's (for
# outbox/uuid_v7.hpp) alone, as the packages liboutbox-producer-dev and outboxd-dev hold them,
# then build a program outside the tree with find_package(OutboxProducer) and run it (no server
# needed: it only makes ids and tokens and checks that hostile names are refused).
# usage: installed_package_test.sh BUILD_DIR [CXX_FLAGS]
#   CXX_FLAGS: the build's own (a sanitizer build's library needs its runtime in the program too)
set -euo pipefail
build=$1 cxx_flags=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for component in sdk liboutbox-producer-dev; do
  cmake --install "$build" --component "$component" --prefix "$work/prefix" >/dev/null
done
for f in include/outbox/producer.hpp include/outbox/uuid_v7.hpp; do
  [ -f "$work/prefix/$f" ] || fail "the install lacks $f"
done
ls "$work"/prefix/lib*/liboutbox-producer.a >/dev/null 2>&1 || fail "the install lacks liboutbox-producer.a"

mkdir "$work/app"
cat >"$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(producer_app LANGUAGES CXX)
find_package(OutboxProducer 0.1 REQUIRED)
add_executable(producer_app main.cpp)
target_link_libraries(producer_app PRIVATE outbox::producer)
target_compile_options(producer_app PRIVATE -Wall -Wextra -Werror)
CMAKE
cat >"$work/app/main.cpp" <<'CPP'
#include <outbox/producer.hpp>
#include <outbox/uuid_v7.hpp>
#include <pqxx/pqxx>
#include <iostream>
#include <stdexcept>

int main() {
  namespace op = outbox::producer;
  const op::Producer producer({.table = "outbox_events", .idempotency = op::Idempotency::payload_hash});
  const auto token = producer.token_for({.event_type = "abc", .payload = ""});
  if (!token || *token != op::payload_hash_token("abc", "")) return 1;
  if (!outbox::is_uuid_text(outbox::uuid_v7().str())) return 2;
  try {
    op::Producer hostile({.table = "x\"; DROP TABLE y; --"});
    return 3;
  } catch (const std::invalid_argument&) {
  }
  std::cout << producer.qualified_table() << " " << *token << "\n";
  return 0;
}
CPP
cmake -S "$work/app" -B "$work/app/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" >/dev/null
cmake --build "$work/app/build" >/dev/null
out=$("$work/app/build/producer_app") || fail "the installed-package program failed ($?)"
echo "$out"
grep -q '^"public"."outbox_events" [0-9a-f]\{64\}$' <<<"$out" || fail "unexpected output: $out"
echo "installed OutboxProducer package: ok"
