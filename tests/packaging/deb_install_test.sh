#!/usr/bin/env bash
# The .debs as a user gets them: installed with apt into a minimal Debian 12 root (debootstrap,
# cached; see debian_root.sh), their dependencies from Debian's archive. Checks that a plugin's
# package brings no other plugin's driver; the installed relay, its plugins, config, user and
# unit; an upgrade from the previous version that keeps a changed conffile; remove, which keeps
# it, and purge, which does not; and the example plugin of outboxd-dev built out of tree with
# find_package(OutboxSDK) alone, its conformance test run, and loaded by the installed outboxd.
# usage: deb_install_test.sh DEB_DIR SOURCE_DIR PACKAGE_BUILD_DIR
set -euo pipefail
debs=$(realpath "$1") src=$(realpath "$2") package_build=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
source "$here/debian_root.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The mounts of in_root live in a mount namespace of their own: they end with it, before the
# root is deleted.
if [ -z "${OUTBOXD_TEST_ROOT:-}" ]; then
  root=$(mktemp -d /tmp/outboxd-root.XXXXXX)
  trap 'rm -rf --one-file-system "$root"' EXIT
  ensure_root_tarball
  OUTBOXD_TEST_ROOT=$root unshare --mount --propagation private "$0" "$@"
  exit
fi
root=$OUTBOXD_TEST_ROOT
new_root "$root"
# run COMMAND...: in the root. (A glob in COMMAND expands on this side: cd "$root" first.)
run() { in_root "$root" "$@"; }

version=$(dpkg-deb -f "$debs"/outboxd_*.deb Version)
mkdir -p "$root/debs/previous"
cp "$debs"/*.deb "$root/debs/"
# The previous version: this outboxd package with a lower version, repacked by dpkg-deb.
dpkg-deb -R "$debs"/outboxd_*.deb "$root/tmp/previous"
sed -i "s/^Version: .*/Version: ${version}~previous/" "$root/tmp/previous/DEBIAN/control"
dpkg-deb --root-owner-group -b "$root/tmp/previous" "$root/debs/previous/" >/dev/null

echo "== apt-get update"
run apt-get update -qq

# The plugin packages: outboxd-storage-NAME, outboxd-transport-NAME.
mapfile -t plugin_packages < <(cd "$debs" && ls outboxd-storage-*.deb outboxd-transport-*.deb | sed 's/_.*//')
# depends DEB: the names of the packages it depends on, one a line, sorted.
depends() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | sort -u; }

echo "== each plugin package brings its own driver libraries, none of another plugin's"
for package in "${plugin_packages[@]}"; do
  installs=$(cd "$root" && run apt-get install -s ./debs/outboxd_*.deb ./debs/"$package"_*.deb |
    sed -n 's/^Inst \([^ ]*\) .*/\1/p' | sort -u)
  for other in "${plugin_packages[@]}"; do
    [ "$other" = "$package" ] && continue
    # What only the other plugin needs: its dependencies that neither outboxd nor this one has.
    only_other=$(comm -23 <(depends "$debs/${other}"_*.deb) \
      <(sort -u <(depends "$debs"/outboxd_*.deb) <(depends "$debs/${package}"_*.deb)))
    pulled=$(comm -12 <(echo "$installs") <(echo "$only_other"))
    [ -z "$pulled" ] || fail "installing $package also installs $other's $pulled"
  done
done
echo "== install the previous outboxd, change its config, upgrade to $version with every package"
(cd "$root" && run apt-get install -y -qq ./debs/previous/outboxd_*.deb >/dev/null)
echo "# changed by the administrator" >>"$root/etc/outboxd/outboxd.yaml"
(cd "$root" && run apt-get install -y -qq ./debs/*.deb >/dev/null) || fail "apt-get install ./*.deb"
[ "$(run dpkg-query -W -f='${Version}' outboxd)" = "$version" ] || fail "outboxd $version is not installed"
grep -q "changed by the administrator" "$root/etc/outboxd/outboxd.yaml" ||
  fail "the upgrade replaced the changed /etc/outboxd/outboxd.yaml"

echo "== the installed relay"
installed=$(run outboxd --version)
echo "$installed"
grep -q "^outboxd ${version} " <<<"$installed" || fail "outboxd --version says: $installed"
listing=$(run outboxd plugins)
echo "$listing"
for plugin in sqlite stdout "${plugin_packages[@]##*-}"; do
  grep -Eq "^$plugin .*/usr/lib/outboxd/plugins/outbox-[a-z]+-$plugin\.so" <<<"$listing" ||
    fail "outboxd plugins does not list $plugin from /usr/lib/outboxd/plugins"
done
# Every plugin the package build made is in a package (one installed some other way would not be).
built=$(ls "$package_build/lib/outboxd/plugins")
installed=$(ls "$root/usr/lib/outboxd/plugins")
[ "$built" = "$installed" ] || fail "plugins built: $(echo $built); installed by the packages: $(echo $installed)"
run outboxd check -c /etc/outboxd/outboxd.yaml || fail "outboxd check rejects the packaged config"
run getent passwd outboxd >/dev/null || fail "no outboxd system user"
[ "$(run getent passwd outboxd | cut -d: -f3)" -lt 1000 ] || fail "the outboxd user is not a system user"
systemd-analyze verify --root="$root" --man=no /lib/systemd/system/outboxd.service ||
  fail "systemd-analyze verify rejects the installed unit"
wants=$root/etc/systemd/system/multi-user.target.wants/outboxd.service
[ -L "$wants" ] || fail "the unit is not enabled"

echo "== the packaged config, as the service runs it (user outboxd, its state directory)"
run sh -c 'install -d -o outboxd -g outboxd -m 700 /var/lib/outboxd &&
  runuser -u outboxd -- env STATE_DIRECTORY=/var/lib/outboxd sh -c "
    outboxd enqueue -c /etc/outboxd/outboxd.yaml --type service.check --payload {} >/dev/null &&
    outboxd run -c /etc/outboxd/outboxd.yaml --until-idle"' >"$root/tmp/service-relayed" ||
  fail "the packaged config does not relay as the outboxd user"
grep -q '"service.check"' "$root/tmp/service-relayed" || fail "the packaged config relayed nothing"

echo "== the quickstart, from the installed paths"
run sh -c 'export OUTBOXD_DATA_DIR=$(mktemp -d) && config=/usr/share/doc/outboxd/examples/quickstart.yaml &&
  outboxd enqueue -c $config --type order.created --key order-1 --payload "{\"order\":1}" >/dev/null &&
  outboxd run -c $config --until-idle' >"$root/tmp/relayed" || fail "the quickstart failed"
grep -q '"order.created"' "$root/tmp/relayed" || fail "the quickstart relayed nothing: $(cat "$root/tmp/relayed")"

echo "== the example plugin of outboxd-dev, built out of tree, its conformance test, loaded by outboxd"
example=/usr/share/outboxd/examples/file_transport
[ -f "$root$example/CMakeLists.txt" ] || fail "outboxd-dev does not ship $example"
run cp -r "$example" /tmp/file_transport
run cmake -S /tmp/file_transport -B /tmp/file_transport/build >/dev/null || fail "configure against the installed SDK"
run cmake --build /tmp/file_transport/build -j "$(nproc)" >/dev/null || fail "build against the installed SDK"
run ctest --test-dir /tmp/file_transport/build -j "$(nproc)" >"$root/tmp/conformance.log" ||
  { cat "$root/tmp/conformance.log"; fail "the example fails its conformance test"; }
grep -q "100% tests passed" "$root/tmp/conformance.log" || fail "no conformance test ran"
tail -3 "$root/tmp/conformance.log"
listing=$(run outboxd plugins --plugin-dir /tmp/file_transport/build)
grep -Eq '^file +transport ' <<<"$listing" || fail "the installed outboxd does not load the out-of-tree plugin"

echo "== remove keeps the conffile, purge removes it"
run apt-get remove -y -qq outboxd >/dev/null
[ ! -e "$root/usr/bin/outboxd" ] || fail "apt-get remove left /usr/bin/outboxd"
[ -f "$root/etc/outboxd/outboxd.yaml" ] || fail "apt-get remove deleted the conffile"
run apt-get purge -y -qq outboxd >/dev/null
[ ! -e "$root/etc/outboxd/outboxd.yaml" ] || fail "apt-get purge kept the conffile"
[ ! -L "$wants" ] || fail "apt-get purge left the unit enabled"
echo "deb install: ok"
