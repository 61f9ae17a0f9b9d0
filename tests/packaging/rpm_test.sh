#!/usr/bin/env bash
# The RPMs installed with rpm into a scratch root (rpm --root, an empty rpm database): outboxd-devel
# needs nothing and installs as is; for the others every missing dependency must be a library of
# the system (which an empty root lacks), never one of these packages: the plugins find
# outboxd-abi-1 in the installed outboxd, liboutbox-producer-devel its outboxd-devel. Then they
# are installed without those (--nodeps; no scriptlets: the root has no shell) and their files
# checked in the lib64 and %{_unitdir} layout, the config marked %config(noreplace), the
# scriptlets checked as text.
# usage: rpm_test.sh RPM_DIR
set -euo pipefail
rpms=$(realpath "$1")
fail() { echo "FAIL: $*" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
rpm --root "$root" --initdb
quiet() { "$@" 2> >(grep -v -e 'should not be used directly' -e 'assuming you know' >&2); }

# install PACKAGE: installs it, after checking that what it lacks is only system libraries.
install() {
  local file missing
  file=$(ls "$rpms/$1"-[0-9]*.rpm)
  missing=$(quiet rpm --root "$root" -i --test "$file" 2>&1 | sed -n 's/^\t\(.*\) is needed by .*/\1/p') || true
  echo "$1 lacks in an empty root: $(sed -E 's/\(.*//' <<<"$missing" | sort -u | tr '\n' ' ')"
  grep -Ev '^(lib[^ ]+\.so[^ ]*|ld-linux[^ ]+|rtld\(GNU_HASH\)|/bin/sh|shadow-utils|libpqxx-devel >= [0-9.]+|pkgconfig)$' <<<"$missing" |
    grep . && fail "$1 needs more than system libraries"
  quiet rpm --root "$root" -i --nodeps --noscripts "$file"
}

quiet rpm --root "$root" -i "$rpms"/outboxd-devel-[0-9]*.rpm || fail "outboxd-devel does not install as is"
for package in outboxd outboxd-storage-postgres outboxd-transport-kafka liboutbox-producer-devel; do
  install "$package"
done

for file in /usr/bin/outboxd /usr/lib64/outboxd/plugins/outbox-storage-sqlite.so \
  /usr/lib64/outboxd/plugins/outbox-storage-postgres.so /usr/lib64/outboxd/plugins/outbox-transport-kafka.so \
  /usr/lib/systemd/system/outboxd.service /usr/lib/sysusers.d/outboxd.conf /etc/outboxd/outboxd.yaml \
  /usr/lib64/cmake/OutboxSDK/OutboxSDKConfig.cmake /usr/lib64/liboutbox-producer.a; do
  [ -e "$root$file" ] || fail "$file is not installed"
done
flags=$(rpm --root "$root" -q --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' outboxd | grep ' /etc/outboxd/outboxd.yaml$')
[ "${flags%% *}" = "cn" ] || fail "/etc/outboxd/outboxd.yaml is not %config(noreplace): $flags"

# The scriptlets: valid sh, and no systemctl call that can fail the transaction (where systemd
# does not run, or is not installed).
for scriptlet in prein postin preun postun; do
  rpm --root "$root" -q --qf "%{${scriptlet^^}}" outboxd >"$root/$scriptlet.sh"
  sh -n "$root/$scriptlet.sh" || fail "the %$scriptlet scriptlet is not valid sh"
  if grep 'systemctl ' "$root/$scriptlet.sh" | grep -v '|| :$'; then
    fail "a systemctl call of the %$scriptlet scriptlet (above) can fail the transaction"
  fi
done
echo "rpm: ok"
