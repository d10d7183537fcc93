#!/bin/bash
# The test host's host-side watchdogs (README.md, "Hangs and crashes"),
# driven with a fake QEMU (TWINBOX_TESTHOST_QEMU) that plays the three
# failures: an L1 that reports the command's status and then never powers
# off (the run keeps the status after the grace period, and QEMU is killed
# by the PID it wrote to -pidfile); a QEMU that aborts (one line naming the
# signal and the command, status 125); and one that hangs before any status
# (--timeout: 124, naming the command and QEMU's PID). No VM is started.
# usage: watchdog_test.sh [PATH/TO/testhost.sh]
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
testhost="${1:-$here/testhost.sh}"
work="$(mktemp -d)"
fake_pids=()
cleanup() {
    local pid
    for pid in "${fake_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# The fake QEMU: finds -pidfile and the "status" chardev's path among its
# arguments, writes its PID, then acts out $FAKE_QEMU_MODE.
cat >"$work/fake-qemu" <<'FAKE'
#!/bin/bash
pidfile="" status=""
while [ $# -gt 0 ]; do
    case $1 in
    -pidfile) pidfile=$2; shift ;;
    -chardev) case $2 in file,id=status,path=*) status=${2#file,id=status,path=} ;; esac; shift ;;
    esac
    shift
done
echo $$ >"$pidfile"
echo $$ >>"$FAKE_QEMU_PIDS"
case $FAKE_QEMU_MODE in
hang-after-status) echo "status=7" >"$status"; exec sleep 600 ;;
abort) kill -ABRT $$ ;;
hang) exec sleep 600 ;;
esac
FAKE
chmod +x "$work/fake-qemu"
export TWINBOX_TESTHOST_QEMU="$work/fake-qemu" FAKE_QEMU_PIDS="$work/pids"
export TWINBOX_TESTHOST_POWEROFF_GRACE=2 TWINBOX_TESTHOST_FORCE=1
export TWINBOX_TESTHOST_CACHE="$work/cache"

# run MODE ARGS...: runs testhost.sh with the fake; sets status and err.
run() {
    local mode=$1
    shift
    FAKE_QEMU_MODE=$mode "$testhost" "$@" -- true-command-name >"$work/out" 2>"$work/err"
    status=$?
    err=$(cat "$work/err")
    if [ -f "$work/pids" ]; then
        while read -r pid; do fake_pids+=("$pid"); done <"$work/pids"
    fi
}

run hang-after-status
[ "$status" = 77 ] && { echo "SKIP: $err"; exit 77; }
[ "$status" = 7 ] || fail "hang after status: exit $status, expected the reported 7 ($err)"
grep -q "did not power off within 2 s; killing QEMU (pid [0-9]*)" "$work/err" ||
    fail "hang after status: no line about killing QEMU: $err"
pid=$(tail -n 1 "$work/pids")
! kill -0 "$pid" 2>/dev/null || fail "hang after status: the fake QEMU (pid $pid) still runs"
pass "an L1 that does not power off: status 7 kept, QEMU killed by PID"

run abort
[ "$status" = 125 ] || fail "abort: exit $status, expected 125 ($err)"
grep -q "QEMU died of signal 6 after .* s running: true-command-name" "$work/err" ||
    fail "abort: no line naming the signal and the command: $err"
pass "a QEMU that aborts: one line, status 125"

run hang --timeout 3
[ "$status" = 124 ] || fail "hang: exit $status, expected 124 ($err)"
grep -q "timed out after 3 s running: true-command-name; QEMU (pid [0-9]*) killed" "$work/err" ||
    fail "hang: no line naming the command and QEMU's PID: $err"
pass "a QEMU that hangs: --timeout names the command and QEMU's PID"
