#!/bin/bash
# The container lifecycle from the Docker side: -d with its supervisor,
# ps, logs, exec (same PID namespace), stats, stop -t, kill, rm, --rm,
# names; and recovery from a SIGKILLed twinbox. Nothing may be left behind.
# usage: container_lifecycle.sh TWINBOX_BINARY ROOTFS_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/container_lib.sh"
container_setup "$1"
rootfs="$2"
tb() { timeout 60 "$twinbox" "$@"; }

# -d: prints the id, returns at once; ps shows it running. It is run holding
# a lock on descriptor 9, which the supervisor must not keep (fork copies
# every descriptor; a kept copy would hold the lock as long as the container).
id=$( { flock 9 && tb run -d --name web --rootfs "$rootfs" -m 32m \
     sh -c 'echo started; trap "echo got TERM; exit 3" TERM; while true; do sleep 0.1; done'; } \
     9>"$work/held.lock")
expect_status 0 $? "run -d"
flock -n "$work/held.lock" true || fail "the container's supervisor kept the command's descriptors"
remember "$id"
[ -n "$id" ] || fail "run -d printed no id"
tb ps >"$work/ps"; expect_contains "$work/ps" "web" "ps lists the container"
expect_contains "$work/ps" "Up" "ps says it runs"
sleep 0.3
tb logs web >"$work/logs"; expect_contains "$work/logs" "started" "logs"
pass "run -d, ps, logs"

# The same name again is refused; rm of a running container needs -f.
tb run -d --name web --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "duplicate name"
expect_contains "$work/err" "already in use" "duplicate name message"
tb rm web 2>"$work/err"; expect_status 125 $? "rm of a running container"
expect_contains "$work/err" "-f" "rm hint"
pass "duplicate name and rm of a running container refused"

# -d: the supervisor reports a program that cannot run over its sync socket,
# with the status (126/127) and one line; no id is printed, nothing is left.
count_before=$(tb ps -a -q | wc -l)
tb run -d --rootfs "$rootfs" nosuchcommand >"$work/out" 2>"$work/err"
expect_status 127 $? "run -d of a missing command"
expect_one_line "$work/err" "run -d of a missing command"
expect_contains "$work/err" "nosuchcommand" "run -d names the missing command"
[ -s "$work/out" ] && fail "run -d of a missing command printed an id: $(cat "$work/out")"
tb run -d --rootfs "$rootfs" /etc/passwd >/dev/null 2>"$work/err"
expect_status 126 $? "run -d of a file that is not executable"
[ "$(tb ps -a -q | wc -l)" = "$count_before" ] || fail "a failed run -d left a container behind"
pass "run -d: 127 and 126 reported by the supervisor, nothing left"

# exec joins the PID namespace: it sees the container's PID 1 and is not PID 1 itself.
exec_pid_check() {
    out=$(tb exec web sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "')
    echo "$out" | head -1 | grep -qv '^1$'
}
if ! exec_pid_check; then
    # Seen once in a full CI run (2026-12-07) and never in dozens of runs
    # since: say everything about it, then require a second try to pass, so a
    # real regression (exec never joining the PID namespace) still fails.
    pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$TWINBOX_ROOT"/run/containers/*/state.json | head -1)
    echo "WARN: exec'd shell printed '$out' as its PID; container PID $pid:" \
         "$(grep NSpid /proc/"$pid"/status 2>&1)," \
         "its pid ns $(readlink /proc/"$pid"/ns/pid 2>&1), ours $(readlink /proc/self/ns/pid)" >&2
    exec_pid_check || fail "exec'd shell is PID 1 (not in the container's PID namespace): '$out'"
fi
echo "$out" | grep -q "trap" || fail "exec does not see the container's PID 1: $out"
[ "$(tb exec web hostname)" = "${id:0:12}" ] || fail "exec is not in the UTS namespace"
tb exec web sh -c 'exit 5'; expect_status 5 $? "exec exit status"
tb exec web nosuchcommand 2>/dev/null; expect_status 127 $? "exec of a missing command"
tb exec web sh -c 'cat /proc/self/cgroup' | grep -q "memory:/$" || fail "exec is not in the container's cgroup namespace"
pass "exec: same PID, UTS and cgroup namespaces; statuses"

# stats reads the cgroup.
tb stats web >"$work/stats"; expect_contains "$work/stats" "32.00MiB" "stats shows the memory limit"
pass "stats"

# stop: SIGTERM is handled (exit 3) well before -t runs out.
start=$(date +%s)
tb stop -t 10 web >/dev/null; expect_status 0 $? "stop"
[ $(( $(date +%s) - start )) -lt 5 ] || fail "stop waited for the timeout although the container exited"
tb ps -a >"$work/ps"; expect_contains "$work/ps" "Exited (3)" "exit status recorded by the supervisor"
tb logs web >"$work/logs"; expect_contains "$work/logs" "got TERM" "logs after stop"
tb rm web >/dev/null; expect_status 0 $? "rm"
expect_no_trace "$id" "stop + rm"
pass "stop (SIGTERM), status recorded, rm leaves nothing"

# stop -t: a PID 1 that ignores SIGTERM is SIGKILLed after the timeout: 137.
id=$(tb run -d --rootfs "$rootfs" sh -c 'while true; do sleep 0.1; done'); remember "$id"
start=$(date +%s)
tb stop -t 1 "$id" >/dev/null
elapsed=$(( $(date +%s) - start ))
[ $elapsed -ge 1 ] && [ $elapsed -le 5 ] || fail "stop -t 1 took $elapsed s"
tb ps -a | grep "$id" | grep -q "Exited (137)" || fail "SIGKILL after -t: $(tb ps -a | grep "$id")"
tb rm "$id" >/dev/null; expect_no_trace "$id" "stop -t"
pass "stop -t 1: SIGKILL after the grace period (137)"

# kill -s and --rm -d: the supervisor removes the container itself.
id=$(tb run -d --rm --init --rootfs "$rootfs" sleep 100); remember "$id"
[ -n "$id" ] || fail "run -d --rm --init printed no id"
tb kill -s TERM "$id" >/dev/null; expect_status 0 $? "kill -s TERM"
for i in $(seq 50); do [ -e "$TWINBOX_ROOT/run/containers/$id" ] || break; sleep 0.1; done
expect_no_trace "$id" "--rm after kill"
tb kill -s BOGUS "$id" 2>/dev/null; expect_status 125 $? "kill with a bad signal"
pass "kill -s TERM with --init, --rm -d cleans up"

# A SIGKILLed supervisor: ps still shows the container, rm -f cleans everything.
id=$(tb run -d --rootfs "$rootfs" sleep 100); remember "$id"
supervisor=$(grep -o '"supervisorPid": [0-9]*' "$TWINBOX_ROOT/run/containers/$id/state.json" | grep -o '[0-9]*$')
[ -n "$supervisor" ] && kill -9 "$supervisor"
sleep 0.2
tb ps | grep -q "$id" || fail "container gone from ps after its supervisor was killed"
tb rm -f "$id" >/dev/null; expect_status 0 $? "rm -f after a killed supervisor"
expect_no_trace "$id" "killed supervisor"
pass "SIGKILLed supervisor: rm -f cleans up"

# A half-created container (twinbox killed during create): ps removes it.
mkdir -p "$TWINBOX_ROOT/run/containers/halfmade" "$TWINBOX_ROOT/lib/containers/halfmade/upper"
mkdir -p /sys/fs/cgroup/pids/twinbox/halfmade 2>/dev/null || true
touch -d '2 minutes ago' "$TWINBOX_ROOT/run/containers/halfmade"
tb ps -a >/dev/null
expect_no_trace halfmade "half-created container"
pass "ps removes what a killed twinbox left behind"

left=$(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null | grep -c . || true)
[ "$left" = 0 ] || fail "$left containers left in the state directory"
