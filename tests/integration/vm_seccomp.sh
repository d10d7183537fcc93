#!/bin/bash
# The VMM's seccomp sandbox (vmm/sandbox/, docs/vmm.md "The VMM sandbox"):
# -v says whether it is on; a guest runs the same with it on and off; a VMM
# thread that makes a forbidden call (the TWINBOX_TEST_SECCOMP_VIOLATION hook:
# getppid on the vCPU or the virtio event-loop thread) stops the VM with one
# line on stderr and status 125, and its registry entry does not outlive it;
# with --no-seccomp the same hook is harmless.
# usage: vm_seccomp.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2/examples/hello-multiboot.elf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export TWINBOX_ROOT="$work/root"

# run_guest NAME WANT_STATUS ARGS...: the multiboot guest writes 21 to the
# debug-exit port, which gives status (21 << 1) | 1 = 43.
run_guest() {
    local name="$1" want="$2"
    shift 2
    timeout 120 "$twinbox" vm run "$@" --multiboot "$guest" --cmdline exit=21 \
        </dev/null >"$work/out" 2>"$work/err"
    local status=$?
    [ "$status" = "$want" ] || { cat "$work/out" "$work/err"; fail "$name: exit status $status, expected $want"; }
    pass "$name: exit $status"
}

run_guest "sandboxed guest (-v)" 43 -v --cpus 2
expect_contains "$work/err" "seccomp sandbox: on" "vm run -v says the sandbox is on"
expect_contains "$work/out" "Hello from multiboot!" "sandboxed guest prints"
run_guest "guest with --no-seccomp" 43 -v --no-seccomp
expect_contains "$work/err" "seccomp sandbox: off" "vm run -v says --no-seccomp turned it off"

for site in vcpu eventloop; do
    case $site in
    vcpu) thread="vCPU" ;;
    eventloop) thread="virtio event loop" ;;
    esac
    TWINBOX_TEST_SECCOMP_VIOLATION=$site run_guest "forbidden call on the $site thread" 125 --name "bad-$site"
    lines=$(wc -l <"$work/err")
    [ "$lines" = 1 ] || { cat "$work/err"; fail "$site violation: $lines lines on stderr, expected one"; }
    expect_contains "$work/err" "the VMM's $thread thread made system call" "$site violation names the thread"
    expect_contains "$work/err" "getppid" "$site violation names the call"
    pass "$site violation: $(cat "$work/err")"
    [ ! -e "$TWINBOX_ROOT/run/vms/bad-$site" ] || fail "$site violation left its registry entry behind"
    TWINBOX_TEST_SECCOMP_VIOLATION=$site run_guest "the $site hook with --no-seccomp" 43 --no-seccomp
done
pass "vm_seccomp"
