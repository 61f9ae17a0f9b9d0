# Sourced by the package tests: a minimal Debian 12 root to install the .debs into, made once by
# debootstrap and kept as a tarball in $OUTBOXD_ROOT_CACHE (default /var/cache/outboxd-tests);
# each test unpacks a fresh copy. The root comes with cmake, g++ and make (the out-of-tree plugin
# build) and systemd (for systemd-analyze verify); the packages apt downloads into it and its
# package lists are kept in the cache too.
root_cache=${OUTBOXD_ROOT_CACHE:-/var/cache/outboxd-tests}
root_includes=cmake,g++,make,systemd
# Named for what it holds, so that another list makes another root.
root_tarball=$root_cache/bookworm-minbase-$(echo "$root_includes" | md5sum | cut -c1-8).tar
root_archives=$root_cache/apt-archives
root_lists=$root_cache/apt-lists

# debian_mirror: this machine's Debian mirror, from its apt sources (deb822 or one-line).
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -Eo '(URIs: *|^deb +(\[[^]]*\] +)?)https?://[^ ]+/debian/?( |$)' | grep -Eo 'https?://[^ ]+' | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# ensure_root_tarball: makes the cached root unless it exists.
ensure_root_tarball() {
  [ -f "$root_tarball" ] && return 0
  mkdir -p "$root_cache" "$root_archives"
  local mirror build
  mirror=$(debian_mirror)
  build=$(mktemp -d "$root_cache/build.XXXXXX")
  echo "debootstrap: a bookworm minbase root from $mirror (once; cached in $root_cache)" >&2
  debootstrap --variant=minbase --include="$root_includes" bookworm "$build" "$mirror" >"$build.log" 2>&1 ||
    { tail -20 "$build.log" >&2; rm -rf "$build"; return 1; }
  # The updates and security suites too: the packages are built against this machine's libraries,
  # which may be newer than bookworm's first release.
  cat >"$build/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian*}/debian-security bookworm-security main
SOURCES
  rm -rf "$build/var/cache/apt/archives"/*.deb
  tar -C "$build" -cf "$root_tarball.tmp" . && mv "$root_tarball.tmp" "$root_tarball"
  rm -rf "$build" "$build.log"
}

# new_root DIR: a fresh copy of the cached root in DIR.
new_root() {
  ensure_root_tarball
  mkdir -p "$1"
  tar -C "$1" -xf "$root_tarball"
  chmod 755 "$1"  # the root's / (made by mktemp -d, 0700): its other users need to enter it
  # apt's downloads land in the cache directories of this machine, owned by its root.
  echo 'APT::Sandbox::User "root";' >"$1/etc/apt/apt.conf.d/99outboxd-tests"
}

# in_root DIR COMMAND...: runs COMMAND in the root DIR, with /proc, /dev and the shared apt
# archive mounted. Call it inside `unshare --mount`, so that the mounts end with the test.
in_root() {
  local root=$1
  shift
  if ! mountpoint -q "$root/proc"; then
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root_archives" "$root_lists"
    mount --bind "$root_archives" "$root/var/cache/apt/archives"
    mount --bind "$root_lists" "$root/var/lib/apt/lists"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
  fi
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}
