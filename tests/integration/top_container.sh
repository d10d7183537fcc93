#!/bin/bash
# `twinbox top` for containers: a detached container shows with its memory
# limit and process count from its cgroup (no KVM needed; root for the
# container). Nothing running: one clear line and status 0.
# usage: top_container.sh TWINBOX_BINARY ROOTFS_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/container_lib.sh"
container_setup "$1"
rootfs="$2"
tb() { timeout 60 "$twinbox" "$@"; }

tb top --once >"$work/top"; expect_status 0 $? "top with nothing running"
expect_contains "$work/top" "no VMs or containers running" "top with nothing running"
pass "top with nothing running"

id=$(tb run -d --name topc --rootfs "$rootfs" -m 48m --pids-limit 20 \
     sh -c 'while true; do sleep 0.1; done')
expect_status 0 $? "run -d"
remember "$id"
start=$(date +%s%N)
tb top --once >"$work/top"; expect_status 0 $? "top --once"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$work/top"
expect_contains "$work/top" "topc" "top shows the container"
expect_contains "$work/top" "/ 48 MiB" "top shows the memory limit"
expect_contains "$work/top" "/ 20" "top shows the pids limit"
expect_contains "$work/top" "running" "top shows the state"
pass "top --once shows the container with its limits in $elapsed ms"

tb top -n 2 -d 0.3 >"$work/top"; expect_status 0 $? "top -n 2"
[ "$(grep -c '^twinbox top' "$work/top")" = 2 ] || fail "top -n 2 printed $(grep -c '^twinbox top' "$work/top") screens"
pass "top -n 2 prints two screens"

tb rm -f topc >/dev/null
expect_no_trace "$id" "rm -f"
