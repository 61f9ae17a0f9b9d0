#!/usr/bin/env bash
# A plugin author's view: install the SDK alone, build plugins outside the tree against it, and
# load them with outboxd. The file transport is built as docs/plugin-authors.md shows, from the
# copy installed with the SDK, runs the conformance kit through its one CMake call, and relays the
# quickstart's events. One plugin declares ABI major 99 and must be refused with both versions named.
# usage: out_of_tree_test.sh SOURCE_DIR BUILD_DIR OUTBOXD PLUGIN_DIR
set -euo pipefail
src=$1 build=$2 outboxd=$3 shipped_plugins=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The install command of docs/plugin-authors.md.
cmake --install "$build" --component sdk --prefix "$work/sdk" >/dev/null
[ -f "$work/sdk/include/outbox/plugin_abi.h" ] || fail "the SDK install lacks plugin_abi.h"

# 1. The example builds with find_package(OutboxSDK) and loads.
cmake -S "$src/sdk/examples/hello_transport" -B "$work/hello" -G Ninja -DCMAKE_PREFIX_PATH="$work/sdk" >/dev/null
cmake --build "$work/hello" >/dev/null
mkdir "$work/plugins"
cp "$work/hello/outbox-transport-hello.so" "$work/plugins/"
listing=$("$outboxd" plugins --plugin-dir "$work/plugins")
echo "$listing"
grep -Eq '^hello +transport +1\.0\.0 +1\.1 ' <<<"$listing" || fail "the example plugin is not listed"

# 2. The file transport, from the installed SDK alone, exactly as docs/plugin-authors.md shows.
example="$work/sdk/share/outboxd/examples/file_transport"
[ -f "$example/file_transport.cpp" ] || fail "the SDK install lacks the file_transport example"
cp -r "$example" "$work/file_transport"
cmake -S "$work/file_transport" -B "$work/file_transport/build" -DCMAKE_PREFIX_PATH="$work/sdk" >/dev/null
cmake --build "$work/file_transport/build" -j2 >/dev/null
ctest --test-dir "$work/file_transport/build" --output-on-failure -j2 >"$work/ctest.log" ||
  { cat "$work/ctest.log"; fail "the file transport fails its conformance test"; }
grep -q "tests passed" "$work/ctest.log" || fail "ctest ran no conformance test"
grep -Eq "Plugin/TransportConformance\.EveryMessageOfABatchOfAThousand.*Passed" "$work/ctest.log" ||
  { cat "$work/ctest.log"; fail "the transport conformance kit did not run"; }
listing=$("$outboxd" plugins --plugin-dir "$work/file_transport/build")
grep -Eq '^file +transport +1\.0\.0 +1\.1 ' <<<"$listing" || fail "the file transport is not listed: $listing"

# The quickstart, relaying to the file transport until idle: one line per event, in order.
export OUTBOXD_DATA_DIR="$work"  # where the quickstart keeps its SQLite file
sed "s|type: stdout|type: file\n    path: $work/events.log|" "$src/configs/quickstart.yaml" >"$work/relay.yaml"
printf 'plugins:\n  paths: ["%s", "%s"]\n' "$work/file_transport/build" "$shipped_plugins" >>"$work/relay.yaml"
ids=()
for n in 1 2 3; do ids+=("$("$outboxd" enqueue -c "$work/relay.yaml" --type order.created --payload "{\"n\":$n}")"); done
timeout 60 "$outboxd" run -c "$work/relay.yaml" --until-idle 2>"$work/relay.log" ||
  { cat "$work/relay.log"; fail "outboxd run failed with the file transport"; }
mapfile -t lines <"$work/events.log"
[ ${#lines[@]} -eq 3 ] || fail "expected 3 lines in the file, got ${#lines[@]}: ${lines[*]}"
for n in 0 1 2; do
  want="${ids[$n]} order.created $(printf '{"n":%d}' $((n + 1)) | base64)"
  [ "${lines[$n]}" = "$want" ] || fail "line $((n + 1)) is '${lines[$n]}', expected '$want'"
done

# 3. A C plugin compiled against the installed header alone, declaring ABI major 99.
cat >"$work/abi99.c" <<'C'
#include <outbox/plugin_abi.h>
static const outbox_manifest manifest = {sizeof(outbox_manifest), 99, 0, OUTBOX_KIND_TRANSPORT,
                                         "future", "9.0.0", "built for a future ABI", 0, 0};
OUTBOX_EXPORT const outbox_manifest *outbox_plugin_manifest(void) { return &manifest; }
OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api *h, const void **v, outbox_error *e) {
  (void)h; (void)v; (void)e;
  return OUTBOX_PERMANENT;
}
C
cc -std=c11 -shared -fPIC -fvisibility=hidden -I"$work/sdk/include" -o "$work/plugins/outbox-transport-future.so" "$work/abi99.c"
set +e
errors=$("$outboxd" plugins --plugin-dir "$work/plugins" 2>&1 >/dev/null)
status=$?
set -e
echo "$errors"
[ $status -ne 0 ] || fail "outboxd plugins succeeded although a plugin was refused"
grep -q "outbox-transport-future.so" <<<"$errors" || fail "the refusal does not name the file"
grep -q "99.0" <<<"$errors" || fail "the refusal does not name the plugin's ABI 99.0"
host_minor=$(sed -n 's/^#define OUTBOX_ABI_MINOR \([0-9]*\)$/\1/p' "$work/sdk/include/outbox/plugin_abi.h")
grep -q "ABI 1.$host_minor" <<<"$errors" || fail "the refusal does not name the host's ABI 1.$host_minor"
echo "out-of-tree SDK: ok"
