#!/bin/bash
# A container and a VM guest on the same twinbox bridge exchange a TCP
# payload, checked byte for byte (docs/networking.md); the VM's address comes from its
# lease through ip= on the kernel command line. Then a SIGKILLed VMM: the
# next twinbox command releases its lease (its tap went with its fd).
# Runs inside a network namespace it creates (twinbox runs in it through
# nsenter), needs root and KVM (ctest runs it through with-kvm.sh).
#
# usage: vm_network.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -u
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

twinbox="$1"
guest="$2"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -d /sys/fs/cgroup ] || { echo "SKIP: no /sys/fs/cgroup"; exit 77; }
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
[ -x "$guest/rootfs/bin/busybox" ] || { echo "SKIP: no $guest/rootfs (make guest-rootfs)"; exit 77; }

work="$(mktemp -d /tmp/twinbox-vmnet.XXXXXX)"
# Overlay upper directories need a file system that supports them (the
# test host's /tmp is itself an overlay): a tmpfs.
mount -t tmpfs tmpfs "$work" || fail "mount tmpfs on $work"
export TWINBOX_ROOT="$work/root"
ns="tbvmnet-$$"
vm=""
cleanup() {
    local status=$?
    [ -n "$vm" ] && kill -9 "$vm" 2>/dev/null
    for id in $(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null); do tb rm -f "$id" >/dev/null 2>&1; done
    ip netns del "$ns" 2>/dev/null
    umount -l "$work" 2>/dev/null
    rmdir "$work" 2>/dev/null
    exit $status
}
trap cleanup EXIT
for module in tun bridge veth nf_tables nft_chain_nat nft_masq nft_nat nft_fib_ipv4 nft_ct; do
    modprobe "$module" 2>/dev/null
done
ip netns add "$ns" || fail "ip netns add"
ip netns exec "$ns" ip link set lo up
tb() { nsenter --net="/run/netns/$ns" "$twinbox" "$@"; }
leases() { cat "$TWINBOX_ROOT"/run/networks/*.leases.json 2>/dev/null | grep -c '"owner"' || true; }
taps() { ip netns exec "$ns" ip -o link show | grep -c ': twinbox[1-9]' || true; }

# The guest side, added to the default initramfs as a second cpio archive.
mkdir -p "$work/overlay/usr/bin" "$work/srv"
cat >"$work/overlay/usr/bin/vm-net" <<'GUEST'
#!/bin/sh
# $1: the container's address. /init applied ip= already.
echo "GUEST-ADDR $(ip -4 -o addr show eth0 | awk '{print $4}')"
ping -c 2 -W 10 "$1" >/dev/null && echo GUEST-PING-OK
# stdin stays open (busybox nc would shut its side at EOF and the busybox
# nc serving the file would stop early): a FIFO opened read-write.
mkfifo /tmp/hold
nc "$1" 7000 <>/tmp/hold >/tmp/down
echo "DOWN-SHA $(sha256sum </tmp/down | cut -d' ' -f1) $(wc -c </tmp/down)"
nc "$1" 7001 </tmp/down >/dev/null && echo UPLOAD-DONE
GUEST
chmod 755 "$work/overlay/usr/bin/vm-net"
(cd "$work/overlay" && find . | cpio -o -H newc --quiet | gzip) >"$work/overlay.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$work/overlay.cpio.gz" >"$work/initrd.gz"
head -c $((1 << 20)) /dev/urandom >"$work/srv/payload"
want=$(sha256sum <"$work/srv/payload" | cut -d' ' -f1)
base="console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"

# The container: serves the payload on 7000, takes it back on 7001.
id=$(tb run -d --network bridge -v "$work/srv:/srv" --rootfs "$guest/rootfs" \
    sh -c 'mkfifo /tmp/hold; nc -l -p 7001 <>/tmp/hold >/srv/up & nc -l -p 7000 </srv/payload; wait; sleep 1000') || fail "container run"
address=$(tb network inspect twinbox0 | python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["Members"][0]["IPv4Address"].split("/")[0])')
[ -n "$address" ] || fail "the container has no address"

nsenter --net="/run/netns/$ns" "$twinbox" vm run --kernel "$kernel" --initrd "$work/initrd.gz" \
    --memory 512M --net bridge \
    --cmdline "$base TWINBOX_RUN=\"vm-net $address\"" </dev/null >"$work/out" 2>"$work/err" &
vm=$!
for _ in $(seq 600); do
    grep -q UPLOAD-DONE "$work/out" && break
    kill -0 "$vm" 2>/dev/null || break
    sleep 0.5
done
wait "$vm"
status=$?
vm=""
cat "$work/out" "$work/err"
expect_status 0 "$status" "the VM on twinbox0"
expect_contains "$work/out" "GUEST-ADDR 10.88.0.3/16" "the guest's address from its lease (ip=)"
expect_contains "$work/out" "GUEST-PING-OK" "guest pings the container"
expect_contains "$work/out" "DOWN-SHA $want $((1 << 20))" "container -> guest TCP payload"
for _ in $(seq 50); do cmp -s "$work/srv/payload" "$work/srv/up" && break; sleep 0.1; done
cmp -s "$work/srv/payload" "$work/srv/up" || fail "guest -> container TCP payload differs"
[ "$(leases)" = 1 ] || fail "the VM's lease was not released when it ended ($(leases) leases)"
[ "$(taps)" = 0 ] || fail "the VM's tap is still there"
pass "a container and a VM on twinbox0: 1 MiB each way over TCP byte for byte; lease and tap gone"

# A SIGKILLed VMM: its tap goes with its fd, its lease with the next command
# that touches networks.
# (nsenter directly, not the tb function: $! must be twinbox itself.)
nsenter --net="/run/netns/$ns" "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
    --memory 256M --net bridge \
    --cmdline "$base TWINBOX_RUN=\"sleep 600\"" </dev/null >/dev/null 2>&1 &
vm=$!
for _ in $(seq 100); do [ "$(leases)" = 2 ] && break; sleep 0.1; done
[ "$(leases)" = 2 ] || fail "the second VM took no lease"
kill -9 "$vm"
wait "$vm" 2>/dev/null
vm=""
tb network ls >/dev/null  # a command that touches networks sweeps stale leases
[ "$(leases)" = 1 ] || fail "the SIGKILLed VM's lease is still there"
[ "$(taps)" = 0 ] || fail "the SIGKILLed VM's tap is still there"
tb rm -f "$id" >/dev/null
[ "$(leases)" = 0 ] || fail "the container's lease is still there"
tb network rm twinbox0 >/dev/null || fail "network rm twinbox0"
pass "SIGKILLed VMM: the next command released its lease; rm and network rm leave nothing"
