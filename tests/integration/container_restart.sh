#!/bin/bash
# twinbox start (docs/running.md "Stop and start"): a stopped container comes
# back with the same spec and its root volume (the overlay's upper dir), a
# new supervisor, its log appended to, a new network lease; starting a
# running one changes nothing; bad input gives one line and exit 1, and
# changes nothing. rm afterwards leaves no cgroup, mount, veth or lease.
#
# twinbox runs in a network namespace this script creates (as
# container_network.sh), so its bridge, veths and rules live there.
# usage: container_restart.sh TWINBOX_BINARY ROOTFS
set -u
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/container_lib.sh"

container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/busybox" ] || { echo "skip: no container root at $rootfs (make guest-rootfs)"; exit 77; }
command -v nsenter >/dev/null || { echo "skip: no nsenter"; exit 77; }
ns="tbstart-$$"
ip netns add "$ns" || { echo "skip: cannot create a network namespace"; exit 77; }
tb() { timeout 120 nsenter --net="/run/netns/$ns" "$twinbox" "$@"; }
restart_teardown() {
    local status=$?
    for id in $(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null); do tb rm -f "$id" >/dev/null 2>&1; done
    ip netns del "$ns" 2>/dev/null
    container_teardown "$status"
}
trap restart_teardown EXIT
ip netns exec "$ns" ip link set lo up

veths() { ip netns exec "$ns" ip -o link show | grep -c ': tb' || true; }
leases() { cat "$TWINBOX_ROOT"/run/networks/*.leases.json 2>/dev/null | grep -c '"owner"' || true; }
state_field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" \
                "$TWINBOX_ROOT/run/containers/$1/state.json" | head -1; }

# --- run -d with an image, a network, an env, a limit; it appends to /f.
id=$(tb run -d --name keeper --network bridge -m 48m -e X=hello busybox:latest \
     sh -c 'echo $X >> /f; echo run-$(wc -l < /f); sleep 1000')
expect_status 0 $? "run -d"
remember "$id"
sleep 0.5
[ "$(tb exec keeper cat /f)" = hello ] || fail "first run did not write /f"
first_pid=$(state_field "$id" pid)
first_started=$(state_field "$id" started)
[ "$(veths)" = 1 ] && [ "$(leases)" = 1 ] || fail "run -d: expected 1 veth and 1 lease, have $(veths)/$(leases)"

# --- start of a running container: a no-op that names it.
out=$(tb start keeper); expect_status 0 $? "start of a running container"
[ "$out" = keeper ] || fail "start of a running container printed '$out'"
[ "$(state_field "$id" pid)" = "$first_pid" ] || fail "start of a running container changed its pid"
pass "start of a running container changes nothing"

# --- stop, then start: same id and name, new pid, file has two lines.
tb stop -t 1 keeper >/dev/null; expect_status 0 $? "stop"
tb ps -a >"$work/ps"; expect_contains "$work/ps" "Exited" "ps after stop"
[ "$(veths)" = 0 ] && [ "$(leases)" = 0 ] || fail "stop left $(veths) veths and $(leases) leases"
sleep 1  # StartedAt has one-second precision
out=$(tb start keeper); expect_status 0 $? "start"
[ "$out" = keeper ] || fail "start printed '$out'"
sleep 0.5
tb ps >"$work/ps"; expect_contains "$work/ps" "keeper" "ps lists the started container"
expect_contains "$work/ps" "Up" "ps shows it up"
[ "$(tb exec keeper cat /f | tr '\n' ' ')" = "hello hello " ] || fail "/f after start: '$(tb exec keeper cat /f)'"
[ "$(tb exec keeper sh -c 'echo $X')" = hello ] || fail "the environment was not kept"
tb exec keeper cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null \
    | grep -q 50331648 || fail "the memory limit was not kept"
[ "$(state_field "$id" pid)" != "$first_pid" ] || fail "start kept the old pid"
[ "$(state_field "$id" started)" != "$first_started" ] || fail "start kept the old StartedAt"
grep -q '"exit_code"' "$TWINBOX_ROOT/run/containers/$id/state.json" && fail "start kept the old exit code"
[ "$(veths)" = 1 ] && [ "$(leases)" = 1 ] || fail "start: expected 1 veth and 1 lease, have $(veths)/$(leases)"
tb logs keeper >"$work/logs"
expect_contains "$work/logs" "run-1" "logs show the first run"
expect_contains "$work/logs" "run-2" "logs show the second run"
pass "stop + start: same spec, /f kept (two lines), new pid and lease, logs appended"

# --- a second stop + start works too, and a foreground run without --rm starts detached.
tb stop -t 1 keeper >/dev/null && tb start keeper >/dev/null || fail "second stop + start"
sleep 0.5
[ "$(tb exec keeper cat /f | wc -l)" = 3 ] || fail "/f after the second start"
tb run --name once --network none busybox:latest sh -c 'echo x >> /f; wc -l < /f' >"$work/out" \
    || fail "foreground run"
once_id=$(tb inspect once | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p' | head -1)
remember "$once_id"
tb start once >/dev/null; expect_status 0 $? "start of a foreground run's container"
[ "$(tb wait once)" = 0 ] || fail "the restarted foreground container did not exit 0"
[ "$(tb logs once)" = 2 ] || fail "the restarted foreground container logged '$(tb logs once)', not 2"
pass "repeated start; a foreground run's container starts again"

# --- bad input: one line, exit 1, nothing changed.
tb start nosuch >"$work/out" 2>"$work/err"; expect_status 1 $? "start of an unknown name"
expect_one_line "$work/err" "start of an unknown name"
[ -s "$work/out" ] && fail "start of an unknown name printed '$(cat "$work/out")'"
out=$(tb start nosuch keeper 2>"$work/err"); expect_status 1 $? "start of one unknown and one running"
[ "$out" = keeper ] || fail "start went on after the unknown name: '$out'"
pass "start of an unknown name: one line, exit 1; the others still started"

# A stopped container whose image layer is gone (removed behind twinbox's back;
# `image rm -f` keeps layers a container uses, as Docker keeps the image).
tb stop -t 1 keeper >/dev/null
tb image rm -f busybox:latest >/dev/null || fail "image rm -f"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lower_dirs"][0])' \
        "$TWINBOX_ROOT/lib/containers/$id/launch.json")
[ -d "$layer" ] || fail "image rm -f removed a layer that a stopped container uses"
mv "$layer" "$layer.away"
cp "$TWINBOX_ROOT/run/containers/$id/state.json" "$work/state.before"
tb start keeper >"$work/out" 2>"$work/err"; expect_status 1 $? "start without the image"
expect_one_line "$work/err" "start without the image"
expect_contains "$work/err" "image" "start without the image names it"
cmp -s "$work/state.before" "$TWINBOX_ROOT/run/containers/$id/state.json" || fail "a failed start changed the state"
[ -f "$TWINBOX_ROOT/lib/containers/$id/upper/f" ] || fail "a failed start lost the root volume"
[ "$(veths)" = 0 ] && [ "$(leases)" = 0 ] || fail "a failed start left $(veths) veths and $(leases) leases"
mv "$layer.away" "$layer"
tb start keeper >/dev/null; expect_status 0 $? "start once the layer is back"
pass "start without the image's layer: one line, exit 1, nothing changed"

# --- rm -f leaves nothing: no state, storage, cgroup, mount, veth or lease.
tb rm -f keeper once >/dev/null; expect_status 0 $? "rm -f"
expect_no_trace "$id" "rm after start"
expect_no_trace "$once_id" "rm after start"
[ "$(veths)" = 0 ] && [ "$(leases)" = 0 ] || fail "rm left $(veths) veths and $(leases) leases"
pass "rm after start leaves nothing"
