#!/bin/bash
# `twinbox run` with real namespaces and cgroups: exit statuses, isolation,
# the pivoted root, limits (memory, pids) and security (capabilities,
# seccomp), each checked so that it fails if the layer were missing.
# usage: container_run.sh TWINBOX_BINARY ROOTFS_DIR PROBE_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/container_lib.sh"
container_setup "$1"
rootfs="$2"
probe="$3"
[ -x "$rootfs/bin/sh" ] || fail "no busybox root at $rootfs (build the guest-rootfs target)"

run() { timeout 60 "$twinbox" run --rm --rootfs "$rootfs" "$@"; }

# Exit statuses (Docker's: the program's own, 125, 126, 127, 128+N).
run /bin/true; expect_status 0 $? "/bin/true"
run sh -c 'exit 42'; expect_status 42 $? "exit status"
# With --init, sh is not PID 1, so it can die of its own SIGKILL: 128 + 9.
run --init sh -c 'kill -9 $$'; expect_status 137 $? "killed by SIGKILL under --init"
run /no/such/program 2>"$work/err"; expect_status 127 $? "program not found"
expect_contains "$work/err" "/no/such/program" "not-found message"
run nosuchcommand 2>"$work/err"; expect_status 127 $? "command not in PATH"
expect_one_line "$work/err" "command not in PATH"
run /etc/passwd 2>"$work/err"; expect_status 126 $? "not executable"
pass "exit statuses 0, 42, 137, 127, 126"

# PID 1, hostname, the pivoted root.
out=$(run sh -c 'echo $$'); [ "$out" = 1 ] || fail "PID 1: the shell is PID $out"
out=$(run --hostname boxy hostname); [ "$out" = boxy ] || fail "hostname: got $out"
[ "$(hostname)" != boxy ] || fail "hostname leaked to the host"
out=$(run sh -c 'set -- /proc/[0-9]*; echo $#'); [ "$out" = 1 ] || fail "PID namespace: container sees $out processes"
marker="$work/host-only-marker"
touch "$marker"
run sh -c "test -e $marker" && fail "host file $marker is visible: root not pivoted"
out=$(run sh -c 'cat /etc/issue'); [ "$out" = "twinbox busybox root" ] || fail "root: /etc/issue is '$out'"
run sh -c 'grep -q " / / " /proc/self/mountinfo' || fail "root is not a mount point"
run sh -c 'cat /proc/1/mountinfo' | grep -q " $work" && fail "host mounts visible in the container"
out=$(run sh -c 'ip link 2>/dev/null | grep -c "^[0-9]"'); [ "$out" = 1 ] || fail "network namespace: $out links"
pass "PID 1, hostname, pivot_root, net namespace isolated"

# Writes go to the container's overlay upper, never to the shared root.
run sh -c 'echo scribble > /etc/scribble'; [ ! -e "$rootfs/etc/scribble" ] || fail "write reached the rootfs"
run --read-only sh -c 'echo x > /etc/x' 2>/dev/null && fail "--read-only root was writable"
pass "overlay root and --read-only"

# Memory: 1 MiB is enough to start; a hog is OOM-killed (137) and reported.
run -m 1m /bin/true; expect_status 0 $? "-m 1m /bin/true"
run -m 16m dd if=/dev/zero of=/dev/null bs=64M count=1 2>"$work/err"; expect_status 137 $? "memory hog"
expect_contains "$work/err" "OOM" "OOM report"
run -m 100k /bin/true 2>"$work/err"; expect_status 125 $? "memory below the minimum"
expect_one_line "$work/err" "memory below the minimum"
pass "memory limit: 1 MiB starts, hog OOM-killed (137), 100k refused"

# pids: a fork bomb stops at the limit. The bomb runs in a subshell (busybox
# sh gives up when fork fails); the count uses no fork (a glob over /proc).
out=$(run --pids-limit 10 sh -c '(i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done);
                                  set -- /proc/[0-9]*; echo $#' 2>"$work/err")
expect_contains "$work/err" "can't fork" "fork bomb hit the limit"
[ -n "$out" ] && [ "$out" -ge 5 ] && [ "$out" -le 10 ] || fail "pids limit: $out processes under --pids-limit 10"
pass "pids limit: fork bomb stopped at $out processes"

# Capabilities: mknod works by default, fails after --cap-drop MKNOD.
run -v "$probe:/probe:ro" /probe mknod >/dev/null || fail "mknod denied with default capabilities"
run -v "$probe:/probe:ro" --cap-drop MKNOD /probe mknod >"$work/out" && fail "mknod allowed after --cap-drop MKNOD"
expect_contains "$work/out" "Operation not permitted" "dropped CAP_MKNOD"
run -v "$probe:/probe:ro" /probe sethostname >/dev/null && fail "sethostname allowed without CAP_SYS_ADMIN"
pass "capabilities: MKNOD dropped, no SYS_ADMIN"

# seccomp: keyctl is denied by the default profile, allowed unconfined; a profile file is applied.
run -v "$probe:/probe:ro" /probe keyctl >"$work/out" && fail "keyctl allowed under the default seccomp profile"
expect_contains "$work/out" "denied" "default seccomp profile"
run -v "$probe:/probe:ro" --security-opt seccomp=unconfined /probe keyctl >/dev/null ||
    fail "keyctl denied with seccomp=unconfined"
cat >"$work/deny-mkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
JSON
run mkdir /tmp/d || fail "mkdir failed without a profile"
run --security-opt "seccomp=$work/deny-mkdir.json" mkdir /tmp/d 2>"$work/err" && fail "mkdir allowed by a profile denying it"
expect_contains "$work/err" "Operation not permitted" "seccomp profile file"
pass "seccomp: default profile denies keyctl, profile file denies mkdir"

# Bad input: one line, status 125, nothing left behind.
bad() {
    local what="$1"; shift
    timeout 30 "$twinbox" run "$@" >/dev/null 2>"$work/err"; expect_status 125 $? "$what"
    expect_one_line "$work/err" "$what"
}
bad "missing rootfs" --rootfs /nonexistent/root true
bad "bad name" --rootfs "$rootfs" --name 'no/slash' true
bad "bad cap" --rootfs "$rootfs" --cap-add FLY true
bad "bad volume" --rootfs "$rootfs" -v relative:/x true
bad "bad seccomp file" --rootfs "$rootfs" --security-opt seccomp=/nonexistent.json true
bad "bad ulimit" --rootfs "$rootfs" --ulimit nofile=x true
left=$(ls "$TWINBOX_ROOT/run/containers" "$TWINBOX_ROOT/lib/containers" 2>/dev/null | grep -v ':$' | grep -c . || true)
[ "$left" = 0 ] || fail "bad input left $left state or storage entries"
pass "bad input: 125, one line, nothing left"
