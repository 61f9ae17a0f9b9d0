#!/usr/bin/env bash
# A plugin author's view: install the SDK alone, build plugins outside the tree against it, and
# load them with outboxd. One declares ABI major 99 and must be refused with both versions named.
# usage: out_of_tree_test.sh SOURCE_DIR BUILD_DIR OUTBOXD
set -euo pipefail
src=$1 build=$2 outboxd=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

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

# 2. A C plugin compiled against the installed header alone, declaring ABI major 99.
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
grep -q "ABI 1.1" <<<"$errors" || fail "the refusal does not name the host's ABI"
echo "out-of-tree SDK: ok"
