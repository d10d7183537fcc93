#!/bin/bash
# Configures and builds twinbox in ./build: every target (the programs, the
# guests, the tests, the benchmarks), or only the targets named, e.g.
# `scripts/build.sh twinbox guest-initramfs` (what the quick start needs).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
