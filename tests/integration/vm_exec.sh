#!/bin/bash
# twinbox vm exec through the guest agent (docs/tools.md, "Agent channel and
# vm exec"), several checks on one boot: a `run --isolation vm` VM runs a long
# sleep in the background, then
#   1. `vm exec X -- echo hi` prints hi; exit status 42 comes back; a signal
#      gives 128+N; a missing command 127;
#   2. stdin is piped through with -i; -e and -w are honoured, with the
#      workload's own environment underneath; -u by number and by name; -t
#      gives a pseudo-terminal;
#   3. several execs one after another, and a second client while one runs is
#      turned away (one at a time);
#   4. a killed `vm exec` (the client leaves) kills its command, and the next
#      exec still works;
#   5. `vm stop` ends the VM: no process, registry entry or socket left.
# Runs where /dev/kvm boots Linux (inside the test host on PVM hosts), as root.
# usage: vm_exec.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
work="$(mktemp -d -p /dev/shm twinbox-vm-exec.XXXXXX)"
export TWINBOX_ROOT="$work/root"
vm_pid=""
cleanup() {
    [ -n "$vm_pid" ] && kill -KILL "$vm_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
name=execvm
vx() { timeout 120 "$twinbox" vm exec "$@"; }

"$twinbox" run --isolation vm --name "$name" -e WORKLOAD_VAR=from-run busybox:latest sleep 100000 \
    </dev/null >"$work/run.out" 2>"$work/run.err" &
vm_pid=$!
# The guest is up when an exec answers (the boot takes a minute or two under TCG).
for i in $(seq 600); do
    kill -0 "$vm_pid" 2>/dev/null || { cat "$work/run.err"; fail "the VM exited while booting"; }
    if [ -S "$TWINBOX_ROOT/run/vms/$name/agent.sock" ] &&
        out=$(vx "$name" -- echo hi 2>"$work/first.err") && [ "$out" = hi ]; then
        break
    fi
    sleep 1
done
[ "${out:-}" = hi ] || { cat "$work/first.err" "$work/run.err"; fail "vm exec -- echo hi never printed hi"; }
pass "vm exec X -- echo hi prints hi"

# 1. Exit statuses.
vx "$name" -- sh -c 'exit 42'
expect_status 42 $? "exit 42"
vx "$name" -- sh -c 'kill -TERM $$'
expect_status 143 $? "a command killed by SIGTERM"
vx "$name" -- no-such-command 2>"$work/missing.err"
expect_status 127 $? "a missing command"
expect_contains "$work/missing.err" "no-such-command" "the missing command is named"
pass "statuses: 42, 128+15 for SIGTERM, 127 for a missing command"

# 2. stdin, env, workdir, user.
out=$(printf 'line one\nline two\n' | vx -i "$name" -- sh -c 'cat >/tmp/stdin-copy; wc -l </tmp/stdin-copy')
[ "$(echo $out)" = 2 ] || fail "stdin through -i: wc -l said '$out'"
out=$(vx "$name" -- cat /tmp/stdin-copy)
[ "$out" = "$(printf 'line one\nline two')" ] || fail "stdin reached the file: '$out'"
out=$(vx -e GREETING=hello -w /tmp "$name" -- sh -c 'echo "$GREETING $(pwd) $WORKLOAD_VAR"')
[ "$out" = "hello /tmp from-run" ] || fail "-e, -w and the workload's env: '$out'"
out=$(vx -u 1000:1001 "$name" -- sh -c 'echo $(id -u):$(id -g)')
[ "$out" = "1000:1001" ] || fail "-u 1000:1001: '$out'"
out=$(vx -u nobody "$name" -- id -un)
[ "$out" = nobody ] || fail "-u nobody: '$out'"
out=$(vx "$name" -- sh -c 'echo out; echo err >&2' 2>"$work/stderr")
[ "$out" = out ] && [ "$(cat "$work/stderr")" = err ] || fail "stdout and stderr kept apart"
pass "stdin with -i, -e, -w, the workload's env, -u by number and name, stderr"
vx -t "$name" -- sh -c 'tty; echo to-stderr >&2; exit 3' >"$work/tty.out" 2>"$work/tty.err"
expect_status 3 $? "-t: the status"
tr -d '\r' <"$work/tty.out" >"$work/tty.clean"
grep -qx '/dev/pts/[0-9]*' "$work/tty.clean" || { cat "$work/tty.out"; fail "-t: tty is not a pts"; }
expect_contains "$work/tty.clean" "to-stderr" "-t: stderr merged into the terminal"
pass "-t: a pseudo-terminal, stderr merged, the status"

# 3. One after another, and one at a time.
for i in 1 2 3; do
    out=$(vx "$name" -- echo "round $i")
    [ "$out" = "round $i" ] || fail "exec number $i: '$out'"
done
vx "$name" -- sleep 8 &
long=$!
sleep 3
vx "$name" -- true 2>"$work/busy.err"
expect_status 125 $? "a second client while one runs"
expect_contains "$work/busy.err" "another exec" "the second client is told why"
wait "$long"
expect_status 0 $? "the first exec, undisturbed"
pass "three execs in a row; a second client meanwhile is refused"

# 4. A client that leaves takes its command with it.
# (twinbox itself in the background, not vx: killing a subshell would leave it running.)
"$twinbox" vm exec "$name" -- sh -c 'echo $$ >/tmp/victim.pid; exec sleep 1000' &
client=$!
sleep 3
kill -KILL "$client"
wait "$client" 2>/dev/null
sleep 2
victim=$(vx "$name" -- cat /tmp/victim.pid)
[ -n "$victim" ] || fail "no pid recorded by the killed exec"
vx "$name" -- sh -c "test ! -e /proc/$victim"
expect_status 0 $? "the command of a client that left was killed"
pass "a killed vm exec kills its command; the channel serves the next one"

# 5. Stop; nothing left.
timeout 60 "$twinbox" vm stop "$name" >/dev/null || fail "vm stop"
for i in $(seq 100); do kill -0 "$vm_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$vm_pid" 2>/dev/null && fail "the VM's twinbox still runs after vm stop"
wait "$vm_pid" 2>/dev/null
vm_pid=""
[ ! -e "$TWINBOX_ROOT/run/vms/$name" ] || fail "registry entry left: $(ls "$TWINBOX_ROOT/run/vms/$name")"
vx "$name" -- true 2>"$work/gone.err"
expect_status 125 $? "vm exec on a stopped VM"
pass "vm stop ends the VM; no entry or socket left; exec on it is an error"
