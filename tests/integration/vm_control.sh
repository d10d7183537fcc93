#!/bin/bash
# The VM registry and control socket (docs/tools.md): a running VM is listed
# by `vm ls`, its exit counters grow, `vm pause` stops them and `vm resume`
# starts them again, `vm inspect` shows its memory map and devices, `top
# --once` shows it, `vm stop` ends it and removes its entry; the entry of a
# SIGKILLed twinbox is cleaned by the next listing; bad requests on the
# socket get errors; unknown names and a taken name give 125 and one line.
# usage: vm_control.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2/examples/tick-real.bin"
[ -f "$guest" ] || { echo "SKIP: $guest not built (target guest-examples)"; exit 77; }
work="$(mktemp -d)"
export TWINBOX_ROOT="$work/root"
vm_pids=()
cleanup() {
    local pid
    for pid in "${vm_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
tb() { timeout 60 "$twinbox" "$@"; }

# start_vm NAME [ARGS...]: runs the ticking guest in the background; sets vm_pid.
start_vm() {
    local name="$1"
    shift
    "$twinbox" vm run --name "$name" --flat "$guest" --mode real --serial "file:$work/$name.out" "$@" \
        </dev/null 2>"$work/$name.err" &
    vm_pid=$!
    vm_pids+=("$vm_pid")
    local i
    for i in $(seq 600); do
        tb vm ls -q | grep -qx "$name" && return 0
        kill -0 "$vm_pid" 2>/dev/null || { cat "$work/$name.err"; fail "VM $name exited before it was listed"; }
        sleep 0.1
    done
    fail "VM $name not listed by 'vm ls' after 60 s"
}

# exits NAME: the VM's exit total, from `vm inspect --json`.
exits() {
    tb vm inspect --json "$1" | jq -e '.exits.total' || fail "vm inspect --json $1 has no exits.total"
}

start_vm demo --cpus 2
demo_pid=$vm_pid
tb vm ls >"$work/ls"
expect_contains "$work/ls" "demo" "vm ls"
expect_contains "$work/ls" "running" "vm ls state"
expect_contains "$work/ls" "tick-real.bin" "vm ls guest"
[ -S "$TWINBOX_ROOT/run/vms/demo/control.sock" ] || fail "no control socket under \$TWINBOX_ROOT/run/vms/demo"
# The VMM runs sandboxed in a child of the twinbox we started (docs/vmm.md,
# "The VMM sandbox"): state.json names that child.
vmm_pid=$(jq -r .pid "$TWINBOX_ROOT/run/vms/demo/state.json")
vmm_parent=$(awk '{print $4}' "/proc/$vmm_pid/stat" 2>/dev/null)
[ "$vmm_pid" = "$demo_pid" ] || [ "$vmm_parent" = "$demo_pid" ] ||
    fail "state.json names pid $vmm_pid, neither twinbox ($demo_pid) nor its VMM child"
jq -e ".cpus == 2" "$TWINBOX_ROOT/run/vms/demo/state.json" >/dev/null ||
    fail "state.json does not name 2 vCPUs"
pass "vm ls lists the VM; state.json and control.sock exist"

# The guest writes to the serial port 20 times a second: the counters grow.
e1=$(exits demo); sleep 2; e2=$(exits demo)
[ "$e2" -gt "$e1" ] || fail "exit count did not grow while running: $e1 -> $e2"
pass "exits grow while running: $e1 -> $e2 in 2 s"

tb vm pause demo >/dev/null; expect_status 0 $? "vm pause"
tb vm ls >"$work/ls"; expect_contains "$work/ls" "paused" "vm ls after pause"
p1=$(exits demo); sleep 2; p2=$(exits demo)
[ "$p2" = "$p1" ] || fail "exit count grew while paused: $p1 -> $p2"
tb vm inspect --json demo | jq -e '.vcpus | length == 2' >/dev/null || fail "inspect: 2 vCPUs"
pass "paused: both vCPUs parked, exits stay at $p1"

tb vm resume demo >/dev/null; expect_status 0 $? "vm resume"
sleep 2; r1=$(exits demo)
[ "$r1" -gt "$p2" ] || fail "exit count did not grow after resume: $p2 -> $r1"
pass "resumed: exits grow again ($p2 -> $r1)"

tb vm inspect demo >"$work/inspect"; expect_status 0 $? "vm inspect"
for text in "Memory map" "RAM " "at host 0x" "E820" "MMIO hole" "port-I/O bus" "serial" "rtc" \
            "isa-debug-exit" "virtio-mmio slots" "virtio-rng" "GSI" "vCPU 0  tid" "vCPU 1  tid" \
            "Exits to twinbox" "IO"; do
    expect_contains "$work/inspect" "$text" "vm inspect"
done
# `twinbox inspect NAME` (the container command) falls back to a running VM.
tb inspect --pretty demo >"$work/inspect.top"; expect_status 0 $? "twinbox inspect --pretty VM"
expect_contains "$work/inspect.top" "Memory map" "twinbox inspect of a VM"
tb inspect demo | jq -e '.[0].Kind == "vm"' >/dev/null || fail "twinbox inspect of a VM: no Kind vm"
tb vm inspect --json demo >"$work/inspect.json"
jq -e '.memory.ram[0].guest_start == 0 and (.devices.io | length) > 3 and
       (.virtio[0].gsi | type) == "number" and (.vcpus[0].tid > 0)' "$work/inspect.json" >/dev/null ||
    fail "vm inspect --json lacks the memory map, devices, virtio slots or vCPU threads"
pass "vm inspect: memory map, devices, virtio slots, vCPU threads, exits"

tb top --once >"$work/top"; expect_status 0 $? "top --once"
cat "$work/top"
expect_contains "$work/top" "demo" "top shows the VM"
expect_contains "$work/top" "serial@0x3f8" "top shows exits by device"
# The rate follows the MEMORY column ("256 MiB").
rate=$(awk '$1 == "demo" { for (i = 1; i < NF; i++) if ($i == "MiB") { print $(i + 1); exit } }' "$work/top")
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "top shows $rate exits/s for a ticking VM"
pass "top --once: demo at $rate exits/s"

# The socket itself: bad requests get errors and the VM lives on.
sock="$TWINBOX_ROOT/run/vms/demo/control.sock"
python3 - "$sock" <<'PY' || fail "raw control socket protocol"
import json, socket, sys
def connect():
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); return s
s = connect()
s.sendall(b'{"cmd":"bogus"}\nnot json\n{"cmd":"stats"}\n')
lines = b""
while lines.count(b"\n") < 3:
    chunk = s.recv(65536)
    assert chunk, "closed early"
    lines += chunk
replies = [json.loads(l) for l in lines.split(b"\n")[:3]]
assert "unknown command" in replies[0]["error"], replies[0]
assert "error" in replies[1], replies[1]
assert replies[2]["ok"] and replies[2]["state"] == "running", replies[2]
s.close()
half = connect(); half.sendall(b'{"cmd":"sta'); half.close()   # gone mid-line
s = connect(); s.sendall(b'{"cmd":"stats"}\n')
assert json.loads(s.makefile().readline())["ok"]
PY
pass "control socket: errors for bad requests, survives a client gone mid-line"

# Unknown names: 125 and one line.
tb vm pause nosuchvm 2>"$work/err"; expect_status 125 $? "vm pause of an unknown VM"
expect_one_line "$work/err" "vm pause nosuchvm"
expect_contains "$work/err" "no such VM" "unknown VM message"
tb vm inspect nosuchvm 2>"$work/err"; expect_status 125 $? "vm inspect of an unknown VM"
expect_one_line "$work/err" "vm inspect nosuchvm"
# A name in use.
timeout 60 "$twinbox" vm run --name demo --flat "$guest" --serial none </dev/null 2>"$work/err"
expect_status 125 $? "second VM with a taken name"
expect_one_line "$work/err" "taken name"
expect_contains "$work/err" "already running" "taken name message"
tb vm run --name "bad/name" --flat "$guest" </dev/null 2>"$work/err"
expect_status 125 $? "invalid --name"
pass "unknown VM, taken and invalid names: 125 with one line"

# stop ends the VM (exit status 0) and removes its registry entry.
tb vm stop demo >/dev/null; expect_status 0 $? "vm stop"
wait "$demo_pid"; status=$?
expect_status 0 "$status" "VM process after vm stop"
[ ! -e "$TWINBOX_ROOT/run/vms/demo" ] || fail "registry entry left after vm stop"
pass "vm stop: the VM exited 0 and its entry is gone"

# A SIGKILLed twinbox leaves its entry; the next listing removes it.
start_vm victim
victim_vmm=$(jq -r .pid "$TWINBOX_ROOT/run/vms/victim/state.json")
kill -KILL "$vm_pid"; wait "$vm_pid" 2>/dev/null
# The sandboxed VMM dies with its parent (PR_SET_PDEATHSIG), a moment later.
for _ in $(seq 100); do kill -0 "$victim_vmm" 2>/dev/null || break; sleep 0.1; done
kill -0 "$victim_vmm" 2>/dev/null && fail "the VMM (pid $victim_vmm) outlived its SIGKILLed parent"
[ -d "$TWINBOX_ROOT/run/vms/victim" ] || fail "expected the killed VM's entry to remain until listed"
tb top --once >"$work/top"; expect_status 0 $? "top with a dead VM"
tb vm ls >"$work/ls"
grep -q victim "$work/ls" && fail "vm ls lists a SIGKILLed VM"
[ ! -e "$TWINBOX_ROOT/run/vms/victim" ] || fail "stale entry of a SIGKILLed VM not cleaned"
tb vm stop victim 2>"$work/err"; expect_status 125 $? "vm stop of a cleaned VM"
pass "stale entry of a SIGKILLed VM cleaned by the next listing"

# Nothing left: top says so and exits 0.
tb top --once >"$work/top"; expect_status 0 $? "top with nothing running"
expect_contains "$work/top" "no VMs or containers running" "top with nothing running"
pass "top with nothing running"
