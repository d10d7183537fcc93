#!/bin/bash
# One image, two isolations (docs/images.md): `twinbox run --isolation vm`
# runs an image's command in a microVM with the same result as a container.
#   1. busybox:latest: output and exit status, in both isolations;
#   2. the image config and flags reach the VM: -e, -w, -u, --hostname, a
#      writable root that is thrown away, 127 for a missing command, -v :ro;
#   3. a Dockerfile-built image (ENV, WORKDIR, CMD, a RUN layer and a COPY)
#      gives the same output in both isolations; the disk is cached;
#      3b-d. --network bridge, -p to the guest, -it through a pseudo-terminal;
#   4. bad input: -m too small, -d, a writable -v, -p without a network, a bad
#      port, a missing image: one line, 125;
#   5. graceful power-down: {"cmd":"powerdown"} on the VM's control socket
#      presses the ACPI power button (the GED in the DSDT), the guest agent
#      SIGTERMs the command, and the VM ends within seconds with 143.
# Runs where /dev/kvm works (inside the test host VM on PVM hosts; see
# with-kvm.sh), as root. Everything lives in a private TWINBOX_ROOT.
# usage: image_vm.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
here="$(cd "$(dirname "$0")" && pwd)"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
# /dev/shm: a tmpfs on every host. (Inside the test host, /tmp is an overlayfs,
# which cannot hold the upper directory of a container's overlay.)
work="$(mktemp -d -p /dev/shm twinbox-image-vm.XXXXXX)"
export TWINBOX_ROOT="$work/root"
trap 'rm -rf "$work"' EXIT

# run ISOLATION ARGS...: stdout to $work/out, stderr to $work/err, status in $status.
run() {
    local isolation="$1"
    shift
    timeout 300 "$twinbox" run --isolation "$isolation" "$@" </dev/null >"$work/out" 2>"$work/err"
    status=$?
    tr -d '\r' <"$work/out" >"$work/out.clean"
}

# 1. The same command in both isolations.
for isolation in container vm; do
    run "$isolation" busybox:latest sh -c 'echo hi; exit 3'
    cat "$work/err"
    expect_status 3 "$status" "$isolation: sh -c 'echo hi; exit 3'"
    [ "$(cat "$work/out.clean")" = hi ] || { cat "$work/out"; fail "$isolation: output is not 'hi'"; }
done
pass "busybox:latest prints hi and exits 3 as a container and as a VM"

# 2. What the VM's agent sets up.
run vm -e GREETING=hello -w /tmp -u 1000:1000 --hostname box1 busybox:latest \
    sh -c 'echo "$GREETING $(pwd) $(id -u):$(id -g) $(hostname)"; grep -c hypervisor /proc/cpuinfo'
expect_status 0 "$status" "vm: env/workdir/user/hostname"
expect_contains "$work/out.clean" "hello /tmp 1000:1000 box1" "vm: -e, -w, -u and --hostname"
grep -qx '[1-9][0-9]*' <(tail -1 "$work/out.clean") || fail "vm: no hypervisor flag in the guest's cpuinfo"
run vm busybox:latest sh -c 'echo data > /etc/new-file && cat /etc/new-file'
expect_status 0 "$status" "vm: writable root"
expect_contains "$work/out.clean" "data" "vm: the root is writable"
run vm busybox:latest sh -c 'test ! -e /etc/new-file'
expect_status 0 "$status" "vm: a file written by an earlier run is gone"
run vm busybox:latest no-such-command
expect_status 127 "$status" "vm: a missing command"
mkdir -p "$work/volume/sub"
echo "from the host" >"$work/volume/sub/file.txt"
run vm -v "$work/volume:/mnt/host:ro" busybox:latest sh -c 'cat /mnt/host/sub/file.txt; touch /mnt/host/x'
expect_contains "$work/out.clean" "from the host" "vm: -v HOST:PATH:ro"
expect_contains "$work/out.clean" "Read-only file system" "vm: the volume is read-only"
pass "vm: -e -w -u --hostname, a writable throw-away root, 127, a read-only volume"

# 3. A built image.
mkdir -p "$work/context"
echo "copied file" >"$work/context/message.txt"
cat >"$work/context/Dockerfile" <<'DOCKERFILE'
FROM busybox:latest
ENV COLOUR=green
WORKDIR /app
COPY message.txt /app/message.txt
RUN echo "built layer" > /app/built.txt && rm -f /bin/ed
CMD ["sh", "-c", "echo $COLOUR; pwd; cat message.txt built.txt; test -e /bin/ed || echo no-ed"]
DOCKERFILE
"$twinbox" build -t twinbox-test/vm:1 "$work/context" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; fail "twinbox build"; }
for isolation in container vm; do
    run "$isolation" twinbox-test/vm:1
    cat "$work/err"
    expect_status 0 "$status" "$isolation: the built image"
    cp "$work/out.clean" "$work/built-$isolation.out"
done
diff "$work/built-container.out" "$work/built-vm.out" ||
    fail "the built image printed different output as a container and as a VM"
expect_contains "$work/built-vm.out" "no-ed" "vm: a file deleted by a RUN layer (a whiteout) is gone"
expect_contains "$work/built-vm.out" "copied file" "vm: the COPY layer"
ls "$TWINBOX_ROOT"/lib/images/vmdisks/*.ext4 >/dev/null 2>&1 || fail "no cached VM disk"
disks=$(ls "$TWINBOX_ROOT"/lib/images/vmdisks/*.ext4 | wc -l)
run vm twinbox-test/vm:1
[ "$(ls "$TWINBOX_ROOT"/lib/images/vmdisks/*.ext4 | wc -l)" = "$disks" ] || fail "the VM disk was built again"
pass "a built image gives the same output in both isolations; its disk is cached"

# 3b. --network bridge: the VM gets an address lease on twinbox0. Inside a
# network namespace of the test's own, so the bridge and rules die with it.
# The bridge and tap drivers are loaded first, as vm_network.sh does: in the
# test host the kernel cannot load modules on demand (twinbox loads the
# nftables ones itself, as iptables does).
for module in tun bridge; do modprobe "$module" 2>/dev/null; done
unshare --net bash -c "ip link set lo up
    timeout 300 '$twinbox' run --isolation vm --network bridge busybox:latest \
        sh -c 'ip -4 addr show eth0; ip route' </dev/null" >"$work/net.out" 2>&1
status=$?
cat "$work/net.out"
expect_status 0 "$status" "vm: --network bridge"
grep -q "inet 10\.88\." "$work/net.out" || fail "vm: no twinbox0 address on eth0"
grep -q "^default via 10\.88\.0\.1" "$work/net.out" || fail "vm: no default route through the bridge"
if grep -qs '"address"' "$TWINBOX_ROOT"/run/networks/*.leases.json; then
    cat "$TWINBOX_ROOT"/run/networks/*.leases.json
    fail "vm: the address lease was not released"
fi
pass "vm: --network bridge gives the guest a lease and a default route; released at the end"

# 3c. -p: a port published to the VM's address, reached from the host's
# 127.0.0.1 and from the bridge's gateway address, as for a container. The
# guest's busybox nc serves one line per connection; the host side retries
# while the VM boots. Again in a network namespace of the test's own.
unshare --net bash -c "ip link set lo up
    timeout 300 '$twinbox' run --isolation vm --network bridge -p 18080:8080 busybox:latest \
        sh -c 'for i in 1 2; do echo served-by-the-vm | nc -l -p 8080; done' </dev/null &
    vm=\$!
    got=0
    for i in \$(seq 240); do
        if reply=\$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/18080; cat <&3' 2>/dev/null) &&
            [ -n \"\$reply\" ]; then echo \"loopback: \$reply\"; got=1; break; fi
        sleep 0.5
    done
    [ \$got = 1 ] && timeout 5 bash -c 'exec 3<>/dev/tcp/10.88.0.1/18080; cat <&3' |
        sed 's/^/gateway: /'
    wait \$vm
    echo vm-status=\$?
    python3 '$here/nft_list.py' 2>&1 | grep -c 'dport 18080' | sed 's/^/rules-left=/'" \
    >"$work/publish.out" 2>&1
cat "$work/publish.out"
expect_contains "$work/publish.out" "loopback: served-by-the-vm" "vm -p: 127.0.0.1:18080 reaches the guest"
expect_contains "$work/publish.out" "gateway: served-by-the-vm" "vm -p: 10.88.0.1:18080 reaches the guest"
expect_contains "$work/publish.out" "vm-status=0" "vm -p: the VM's command exits 0"
expect_contains "$work/publish.out" "rules-left=0" "vm -p: the DNAT rules are gone after the VM"
pass "vm: -p publishes a port to the guest; its rules go with the VM"

# 3d. -it: the guest's command gets a terminal (hvc0 as its controlling
# tty), reads what is typed on the host's terminal and answers. Driven
# through a pseudo-terminal by pty_drive.py (waits for a prompt, types).
python3 "$here/pty_drive.py" --timeout 300 --expect 'name?' --send 'twinbox' \
    --expect 'hello twinbox tty=yes' -- \
    "$twinbox" run -it --isolation vm busybox:latest \
    sh -c 'test -t 0 && t=yes || t=no; printf "name? "; read n; echo "hello $n tty=$t"; exit 4' \
    >"$work/tty.out" 2>&1
status=$?
cat "$work/tty.out"
expect_status 4 "$status" "vm -it: the command's exit status through the terminal"
pass "vm: -it gives the command a terminal that reads the host's keyboard"

# 4. Bad input.
run vm -m 1m busybox:latest true
expect_status 125 "$status" "vm: -m 1m"
expect_one_line "$work/err" "vm: -m 1m"
run vm -v "$work/volume:/mnt/host" busybox:latest true
expect_status 125 "$status" "vm: a writable volume"
expect_one_line "$work/err" "vm: a writable volume"
run vm -p 8080:80 busybox:latest true
expect_status 125 "$status" "vm: -p without a network"
expect_one_line "$work/err" "vm: -p without a network"
run vm --network bridge -p 99999:80 busybox:latest true
expect_status 125 "$status" "vm: -p with a bad port"
expect_one_line "$work/err" "vm: -p with a bad port"
run vm no-such-image:9 true
expect_status 125 "$status" "vm: a missing image"
expect_one_line "$work/err" "vm: a missing image"
ls "$TWINBOX_ROOT"/lib/images/vmdisks/ | grep -v '\.ext4$' && fail "a half-built disk was left behind"
pass "bad input: one line, 125, nothing half-built left"

# 5. Graceful power-down (docs/vmm.md, "ACPI power button"): the control
# socket presses the power button; the guest's button driver reports
# KEY_POWER, the agent sends SIGTERM to the command (which exec'd sleep, so
# it dies of it: 143), reports that status and powers off. Nothing is left.
timeout 300 "$twinbox" run --isolation vm --name powerdown1 busybox:latest \
    sh -c 'echo ready; exec sleep 600' </dev/null >"$work/pd.out" 2>"$work/pd.err" &
vm_pid=$!
sock="$TWINBOX_ROOT/run/vms/powerdown1/control.sock"
for _ in $(seq 1 1200); do
    grep -q ready "$work/pd.out" 2>/dev/null && break
    kill -0 "$vm_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q ready "$work/pd.out" || { cat "$work/pd.out" "$work/pd.err"; fail "powerdown: the command never started"; }
[ -S "$sock" ] || fail "powerdown: no control socket at $sock"
reply=$(python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"powerdown"}\n')
print(s.makefile().readline().strip())
PY
)
[ "$reply" = '{"ok":true,"state":"powering-down"}' ] ||
    { cat "$work/pd.out" "$work/pd.err"; fail "powerdown: reply was '$reply'"; }
pressed=$(date +%s)
wait "$vm_pid"
status=$?
took=$(( $(date +%s) - pressed ))
cat "$work/pd.err"
expect_status 143 "$status" "powerdown: the command's SIGTERM status"
[ "$took" -le 15 ] || fail "powerdown: the VM took ${took}s to end (the agent's grace is 5 s)"
[ -e "$TWINBOX_ROOT/run/vms/powerdown1" ] && fail "powerdown: the VM's run directory was left behind"
pgrep -f "name powerdown1" >/dev/null && fail "powerdown: a twinbox process was left behind"
pass "powerdown: the power button stops the command with SIGTERM (143) in ${took}s, nothing left"
