#!/bin/bash
# One workload, two backends (docs/images.md): the same `twinbox run` flags give the
# same stdout and exit status under --isolation container and --isolation vm.
#   1. parity: env, user by name and by uid, workdir, exit codes 0/42/126/127,
#      a signal -> 128+N, stdin piped, a volume read (and a write to it
#      refused alike: a VM's volumes are read-only copies);
#   2. a detached VM has a container's lifecycle: run -d, ps (ISOLATION vm),
#      logs, inspect, exec through the guest agent (output and exit status),
#      stop -t (graceful: the ACPI power button, so the workload's TERM trap
#      runs and its status is recorded), wait, start (its writable disk
#      kept: a file written by each run has two lines, logs appended; start
#      of a running VM does nothing; an unknown name or a missing image disk
#      is one line, exit 1, nothing changed), rm; a VM that exits by itself
#      records its status; nothing is left behind (no disk, no supervisor).
# (-p to a VM and to a container are checked in image_vm.sh and
# container_network.sh, inside network namespaces of their own.)
# Runs where /dev/kvm boots Linux (inside the test host on PVM hosts; see
# with-kvm.sh), as root; ISOLATIONS=container runs the container half alone.
# usage: workload_parity.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
isolations="${ISOLATIONS:-container vm}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
# /dev/shm: a tmpfs on every host (inside the test host /tmp is an overlayfs,
# which cannot hold a container overlay's upper directory).
work="$(mktemp -d -p /dev/shm twinbox-parity.XXXXXX)"
export TWINBOX_ROOT="$work/root"
cleanup() {
    "$twinbox" rm -f lc lc-exit >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/volume"
echo from-the-host >"$work/volume/file"

# check NAME STDIN EXPECTED_STATUS EXPECTED_STDOUT -- RUN_ARGS...
# Runs the workload in every isolation; each must give EXPECTED_STATUS and
# EXPECTED_STDOUT (so they give the same). EXPECTED_STDOUT '*' compares the
# status alone: where the runtime itself reports (126, 127), a VM's message
# comes on stdout, since the command's stdout and stderr share the VM's
# console (docs/images.md).
check() {
    local name="$1" input="$2" want_status="$3" want_out="$4"
    shift 5
    for isolation in ${only:-$isolations}; do
        printf '%s' "$input" | timeout 300 "$twinbox" run -i --isolation "$isolation" "$@" \
            >"$work/out" 2>"$work/err"
        local status=$?
        local out
        out="$(tr -d '\r' <"$work/out")"
        if [ "$status" != "$want_status" ] || { [ "$want_out" != '*' ] && [ "$out" != "$want_out" ]; }; then
            cat "$work/err"
            fail "$name under $isolation: status $status, stdout '$out' (want $want_status, '$want_out')"
        fi
    done
    pass "$name: status $want_status, stdout '$want_out' under: ${only:-$isolations}"
}

image=busybox:latest

# 2 first (a failure there is the costlier to find in a test-host boot).
lifecycle() {
# 2. A detached VM's lifecycle.
"$twinbox" run -d --isolation vm --name lc $image \
    sh -c 'echo run >> /f; echo started-$(wc -l < /f); trap "echo got-term; exit 5" TERM; while true; do sleep 1; done' \
    >"$work/id" 2>"$work/err"
expect_status 0 $? "run -d --isolation vm"
id="$(cat "$work/id")"
[[ "$id" =~ ^[0-9a-f]{12}$ ]] || { cat "$work/err"; fail "run -d printed '$id', not an id"; }
"$twinbox" ps >"$work/ps"
grep -E "^${id}[[:space:]]+lc[[:space:]]+vm[[:space:]]" "$work/ps" >/dev/null ||
    { cat "$work/ps"; fail "ps does not list lc as a running vm"; }
for i in $(seq 240); do
    "$twinbox" logs lc 2>/dev/null | grep -q started && break
    sleep 0.5
done
"$twinbox" logs "$id" | grep -q started || fail "logs does not show the workload's output"
"$twinbox" inspect lc >"$work/inspect" || fail "inspect lc"
grep -q '"Isolation": "vm"' "$work/inspect" || { cat "$work/inspect"; fail "inspect: no Isolation vm"; }
grep -q '"Running": true' "$work/inspect" || { cat "$work/inspect"; fail "inspect: not running"; }
"$twinbox" exec lc echo in-the-vm >"$work/exec" 2>"$work/exec.err"
expect_status 0 $? "exec lc echo in-the-vm ($(cat "$work/exec.err"))"
grep -q in-the-vm "$work/exec" || fail "exec printed '$(cat "$work/exec")'"
"$twinbox" exec lc sh -c 'exit 42'
expect_status 42 $? "exec lc sh -c 'exit 42'"
start=$(date +%s)
"$twinbox" stop -t 20 lc >/dev/null || fail "stop lc"
took=$(( $(date +%s) - start ))
[ $took -lt 20 ] || fail "stop took ${took} s: the VM was killed, not stopped"
"$twinbox" ps -a >"$work/ps"
grep -E "^${id}[[:space:]]+lc[[:space:]]+vm[[:space:]]+-[[:space:]]+Exited" "$work/ps" >/dev/null ||
    { cat "$work/ps"; fail "ps -a does not show lc as exited"; }
"$twinbox" wait lc >"$work/wait" || fail "wait lc"
# Graceful: the power button made the agent send SIGTERM, the trap ran.
[ "$(cat "$work/wait")" = 5 ] || fail "wait printed '$(cat "$work/wait")', not the TERM trap's 5"
"$twinbox" logs lc | grep -q got-term || fail "logs do not show the TERM trap's output"
pass "run -d --isolation vm: id, ps, logs, inspect, exec, stop in ${took} s (status $(cat "$work/wait"))"

# start: the same VM again with its writable disk: /f gets a second line.
disk="$TWINBOX_ROOT/run/vm-workloads/$id/writable.ext4"
[ -f "$disk" ] || fail "no writable disk $disk"
[ "$(du -k "$disk" | cut -f1)" -lt 262144 ] || fail "the writable disk is not sparse: $(du -h "$disk")"
root_disk="$(sed -n 's/^ *"root_disk": "\(.*\)",$/\1/p' "$TWINBOX_ROOT/run/vm-workloads/$id/launch.json")"
[ -f "$root_disk" ] || fail "launch.json names no image disk ('$root_disk')"
mv "$root_disk" "$root_disk.away"
cp "$TWINBOX_ROOT/run/vm-workloads/$id/state.json" "$work/vm-state.before"
"$twinbox" start lc >"$work/out" 2>"$work/err"; expect_status 1 $? "start lc without its image disk"
expect_one_line "$work/err" "start lc without its image disk"
cmp -s "$work/vm-state.before" "$TWINBOX_ROOT/run/vm-workloads/$id/state.json" ||
    fail "a failed start changed the VM's record"
mv "$root_disk.away" "$root_disk"
"$twinbox" start nosuch >"$work/out" 2>"$work/err"; expect_status 1 $? "start of an unknown name"
expect_one_line "$work/err" "start of an unknown name"
out="$("$twinbox" start lc)"; expect_status 0 $? "start lc"
[ "$out" = lc ] || fail "start lc printed '$out'"
"$twinbox" ps >"$work/ps"
grep -E "^${id}[[:space:]]+lc[[:space:]]+vm[[:space:]].*Up" "$work/ps" >/dev/null ||
    { cat "$work/ps"; fail "ps does not list lc as up after start"; }
for i in $(seq 240); do
    "$twinbox" logs lc 2>/dev/null | grep -q started-2 && break
    sleep 0.5
done
"$twinbox" logs lc >"$work/logs"
grep -q started-1 "$work/logs" && grep -q started-2 "$work/logs" ||
    { cat "$work/logs"; fail "logs do not show both runs (started-1, started-2)"; }
[ "$("$twinbox" exec lc cat /f | tr -d '\r' | tr '\n' ' ')" = "run run " ] ||
    fail "/f after start: '$("$twinbox" exec lc cat /f)'"
"$twinbox" inspect lc | grep -q '"Running": true' || fail "inspect: lc not running after start"
"$twinbox" inspect lc | grep -q '"ExitCode"' && fail "inspect: start kept the old exit code"
pid="$("$twinbox" inspect lc | sed -n 's/.*"Pid": \([0-9]*\).*/\1/p' | head -1)"
out="$("$twinbox" start lc)"; expect_status 0 $? "start of a running VM"
[ "$("$twinbox" inspect lc | sed -n 's/.*"Pid": \([0-9]*\).*/\1/p' | head -1)" = "$pid" ] ||
    fail "start of a running VM changed its VMM"
"$twinbox" stop -t 20 lc >/dev/null || fail "stop lc after start"
[ "$("$twinbox" wait lc)" = 5 ] || fail "wait after the second stop is not 5"
pass "start lc: the writable disk kept (/f has two lines), logs appended, ps up; bad input refused"

# A detached VM that ends by itself records its exit status; --rm is kept
# for another run.
"$twinbox" run -d --isolation vm --name lc-exit $image sh -c 'echo bye; exit 42' >/dev/null ||
    fail "run -d lc-exit"
[ "$(timeout 300 "$twinbox" wait lc-exit)" = 42 ] || fail "wait lc-exit is not 42"
"$twinbox" logs lc-exit | grep -q bye || fail "logs lc-exit has no 'bye'"
"$twinbox" rm lc lc-exit >/dev/null || fail "rm lc lc-exit"
"$twinbox" ps -a | grep -q "lc" && fail "ps -a still lists a removed VM"
left="$(ls "$TWINBOX_ROOT/run/vm-workloads" "$TWINBOX_ROOT/run/vms" 2>/dev/null | grep -v ':$' | grep -v '^$')"
[ -e "$disk" ] && fail "rm left the writable disk $disk"
[ -z "$left" ] || fail "left behind: $left"
# A supervisor is a fork of `twinbox run -d`, with its command line.
pgrep -f "run -d --isolation vm --name lc" >/dev/null && fail "a VM supervisor is still running"
pass "a VM that exits by itself: wait 42, logs; rm leaves nothing behind"
}
case " $isolations " in *" vm "*) lifecycle ;; esac

check "-e" "" 0 "bar" -- -e FOO=bar $image sh -c 'echo $FOO'
PARITY_VALUE=mine check "-e KEY from our environment" "" 0 "mine" -- -e PARITY_VALUE $image \
    sh -c 'echo $PARITY_VALUE'
check "default PATH" "" 0 "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" -- \
    $image sh -c 'echo $PATH'
check "-u NAME" "" 0 "65534 65534" -- -u nobody $image sh -c 'echo $(id -u) $(id -g)'
check "-u UID:GID" "" 0 "1000 1001" -- -u 1000:1001 $image sh -c 'echo $(id -u) $(id -g)'
check "-u UID (not in passwd: group 0)" "" 0 "1000 0" -- -u 1000 $image sh -c 'echo $(id -u) $(id -g)'
check "-w" "" 0 "/tmp" -- -w /tmp $image pwd
check "exit 0" "" 0 "out" -- $image sh -c 'echo out; exit 0'
check "exit 42" "" 42 "" -- $image sh -c 'exit 42'
check "126: not executable" "" 126 '*' -- $image /etc/passwd
check "127: not found" "" 127 '*' -- $image no-such-command
# --init: a container's first process is PID 1 of its namespace, which its
# own signals cannot kill; a VM's command never is (the agent is). A VM
# ignores --init with a one-line warning.
check "SIGTERM -> 143" "" 143 "" -- --init $image sh -c 'kill -TERM $$; sleep 5'
# A VM's console does not pass piped stdin on yet (the command sees neither
# the data nor its end, and waits): containers only until it does.
only=container check "stdin piped" "piped line" 0 "piped line" -- $image cat
check "a volume read" "" 0 "from-the-host" -- -v "$work/volume:/data:ro" $image cat /data/file
check "a write to a read-only volume fails alike" "" 1 "" -- -v "$work/volume:/data:ro" $image \
    sh -c 'exec 2>/dev/null; echo x >/data/new'

