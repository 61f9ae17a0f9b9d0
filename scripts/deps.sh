# Sourced by the scripts in this folder: installs the Debian 12 packages a step needs, only the
# ones missing, without asking. Needs root (or sudo).

outbox_build_packages=(
  cmake ninja-build g++ ccache pkg-config
  libboost-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev libpqxx-dev librdkafka-dev libsystemd-dev libcpp-httplib-dev prometheus-cpp-dev
  libpaho-mqtt-dev libpaho-mqttpp-dev libssl-dev libjemalloc-dev
)
# scripts/package: dpkg-shlibdeps (and file, which CPack runs on each binary), rpmbuild, help2man and
# python3 for the man pages.
outbox_package_packages=(dpkg-dev file rpm help2man python3)
# The Kafka broker of the tests runs on Java 17 with jars fetched by Maven; kcat checks it is ready.
# prometheus brings promtool (the alerting rules' check); python3-prometheus-client parses /metrics.
# Mosquitto is the MQTT broker of the tests; its clients check it is ready, openssl makes its
# certificates. The package tests need lintian, rpmlint, debootstrap and systemd-analyze (systemd).
outbox_test_packages=(libgtest-dev libgmock-dev sqlite3 procps postgresql-15 postgresql-client-15
  kcat maven openjdk-17-jre-headless clang-format python3-jsonschema prometheus python3-prometheus-client
  mosquitto mosquitto-clients openssl
  lintian rpmlint debootstrap systemd)

# bench/run: jq builds and reads its results, gnuplot draws them, GNU time and procps (pgrep)
# measure outboxd, column (bsdextrautils) aligns the tables; pgbench comes with postgresql-15.
# valgrind only for --callgrind.
outbox_bench_packages=(jq gnuplot-nox time procps bsdextrautils postgresql-15)

# The libFuzzer targets (scripts/fuzz) are built by clang, with its sanitizer and fuzzer runtimes.
outbox_fuzz_packages=(clang-14 libclang-rt-14-dev llvm-14)

# ensure_packages PKG...: installs those of PKG that are not installed yet.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_preset NAME: configures and builds the CMake preset NAME.
build_preset() {
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1"
}
