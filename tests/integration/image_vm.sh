#!/bin/bash
# One image, two isolations (issue 6, item 4): `twinbox run --isolation vm`
# runs an image's command in a microVM with the same result as a container.
#   1. busybox:latest: output and exit status, in both isolations;
#   2. the image config and flags reach the VM: -e, -w, -u, --hostname, a
#      writable root that is thrown away, 127 for a missing command, -v :ro;
#   3. a Dockerfile-built image (ENV, WORKDIR, CMD, a RUN layer and a COPY)
#      gives the same output in both isolations; the disk is cached;
#   4. bad input: -m too small, -d, a writable -v, a missing image: one line, 125.
# Runs where /dev/kvm works (inside the test host VM on PVM hosts; see
# with-kvm.sh), as root. Everything lives in a private TWINBOX_ROOT.
# usage: image_vm.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
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

# 4. Bad input.
run vm -m 1m busybox:latest true
expect_status 125 "$status" "vm: -m 1m"
expect_one_line "$work/err" "vm: -m 1m"
run vm -d busybox:latest true
expect_status 125 "$status" "vm: -d"
expect_one_line "$work/err" "vm: -d"
run vm -v "$work/volume:/mnt/host" busybox:latest true
expect_status 125 "$status" "vm: a writable volume"
expect_one_line "$work/err" "vm: a writable volume"
run vm -p 8080:80 busybox:latest true
expect_status 125 "$status" "vm: -p"
expect_one_line "$work/err" "vm: -p"
run vm no-such-image:9 true
expect_status 125 "$status" "vm: a missing image"
expect_one_line "$work/err" "vm: a missing image"
ls "$TWINBOX_ROOT"/lib/images/vmdisks/ | grep -v '\.ext4$' && fail "a half-built disk was left behind"
pass "bad input: one line, 125, nothing half-built left"
