#!/bin/bash
# Runs the whole test suite: installs what is missing, builds, and runs ctest
# (unit tests, and integration tests that boot real guests on the real
# /dev/kvm, inside the test host VM where /dev/kvm is PVM or absent).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j2 "$@"
