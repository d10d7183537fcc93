#!/bin/bash
# twinbox demo and twinbox inspect --pretty (docs/tools.md):
#   1. demo runs the probe in a container and in a VM and prints both columns:
#      the VM's kernel line and hypervisor flag differ from the container's,
#      the VM made exits, the container none;
#   2. inspect --pretty of a running container shows its namespaces next to
#      the host's, its cgroup with the memory limit, its processes with both
#      PIDs, and its mounts; the JSON has the same sections.
# Runs where /dev/kvm works (inside the test host VM on PVM hosts), as root.
# usage: tools_demo.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
work="$(mktemp -d -p /dev/shm twinbox-demo.XXXXXX)"  # a tmpfs (test host: /tmp is overlayfs)
export TWINBOX_ROOT="$work/root"
cleanup() {
    "$twinbox" rm -f demo-inspect >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# 1. The demo.
timeout 600 "$twinbox" demo --rootfs "$guest/rootfs" >"$work/demo" 2>"$work/demo.err"
status=$?
cat "$work/demo" "$work/demo.err"
expect_status 0 "$status" "twinbox demo"
line() { grep -F -- "$1" "$work/demo" | head -1; }
kernel_row=$(line "kernel (uname -r)")
hypervisor_row=$(line "cpuinfo 'hypervisor' flag")
pid1_row=$(line "PID 1")
exits_row=$(line "exits to the VMM")
# Columns: title (28), container (30), vm (30).
container_kernel=$(echo "$kernel_row" | cut -c29-58 | xargs)
vm_kernel=$(echo "$kernel_row" | cut -c59- | xargs)
[ "$container_kernel" = "$(uname -r)" ] || fail "demo: the container's kernel '$container_kernel' is not the host's $(uname -r)"
[ -n "$vm_kernel" ] && [ "$vm_kernel" != "?" ] || fail "demo: no kernel version from the VM"
echo "$pid1_row" | cut -c29-58 | grep -q "sh -c" || fail "demo: the container's PID 1 is not the probe's shell: $pid1_row"
echo "$pid1_row" | cut -c59- | grep -q "init" || fail "demo: the VM's PID 1 is not its init: $pid1_row"
echo "$hypervisor_row" | cut -c59- | grep -qx ' *yes *' || fail "demo: the VM has no hypervisor flag: $hypervisor_row"
echo "$exits_row" | cut -c29-58 | grep -q "none" || fail "demo: the container column shows VM exits: $exits_row"
echo "$exits_row" | cut -c59- | grep -qx ' *[1-9][0-9]* *' || fail "demo: no exit count for the VM: $exits_row"
pass "demo: both columns filled; the VM has its own kernel, init, hypervisor flag and exits"

# 2. inspect --pretty of a running container.
"$twinbox" run -d --name demo-inspect -m 32m --rootfs "$guest/rootfs" sh -c 'sleep 300 & wait' \
    >/dev/null 2>"$work/err" || { cat "$work/err"; fail "starting a container to inspect"; }
"$twinbox" inspect --pretty demo-inspect >"$work/pretty" 2>"$work/err"
expect_status 0 $? "inspect --pretty"
cat "$work/pretty"
expect_contains "$work/pretty" "Container demo-inspect" "the name"
grep -qE "^  pid +[0-9]+ : [0-9]+ +isolated" "$work/pretty" || fail "inspect: the pid namespace is not shown as isolated"
grep -qE "^  user +[0-9]+ : [0-9]+ +shared with the host" "$work/pretty" || fail "inspect: the user namespace is not shown as shared"
expect_contains "$work/pretty" "of 32.0 MiB" "the memory limit"
grep -qE "^ +[0-9]+ +1  sh -c" "$work/pretty" || fail "inspect: the container's init is not PID 1 inside"
grep -qE "^ +[0-9]+ +[0-9]+    sleep 300" "$work/pretty" || fail "inspect: the child process is not shown"
grep -qE "^  / +overlay" "$work/pretty" || fail "inspect: the root overlay mount is not shown"
host_pid=$("$twinbox" inspect demo-inspect | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Pid"])')
inode=$(readlink "/proc/$host_pid/ns/net" | tr -dc 0-9)
"$twinbox" inspect demo-inspect | grep -q "\"Inode\": $inode" || fail "inspect: the JSON's net namespace inode is not /proc/$host_pid/ns/net ($inode)"
pass "inspect --pretty: namespaces, cgroup limit, process tree and mounts of a running container"
"$twinbox" rm -f demo-inspect >/dev/null
