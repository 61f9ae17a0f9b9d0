#!/usr/bin/env bash
# The package tests, on what ./scripts/package built (build/packages/, build/package-deb/): run
# by ./scripts/test after it. Each test script says what it checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/packaging
$here/unit_test.sh packaging/systemd/outboxd.service
$here/completion_test.sh packaging/bash-completion/outboxd build/package-deb/bin/outboxd
$here/lint_test.sh build/packages/deb build/packages/rpm
$here/file_lists_test.sh build/packages/deb build/packages/rpm
$here/rpm_test.sh build/packages/rpm
$here/deb_install_test.sh build/packages/deb . build/package-deb
$here/downstream_build_test.sh . build/package-deb
