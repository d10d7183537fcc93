#!/bin/bash
# virtio-blk and virtio-rng with Debian's kernel:
#   1. the guest boots from an ext4 disk as root (root=/dev/vda), writes a
#      file and syncs; twinbox is then killed with SIGKILL, and the file is
#      in the image (a flush reaches the host file before it is acknowledged);
#   2. a second boot reads the file back, and /dev/hwrng gives random bytes;
#   3. the same disk attached read-only (--disk F,ro) refuses writes.
# usage: vm_virtio_blk.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2"
work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
[ -r "$guest/disk.ext4" ] || fail "$guest/disk.ext4 is missing: build the guest-disk target"
command -v debugfs >/dev/null || { echo "SKIP: debugfs not installed (e2fsprogs)"; exit 77; }
cp "$guest/disk.ext4" "$work/disk.ext4"
base="console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet root=/dev/vda"
payload="twinbox-disk-payload-$$-$RANDOM"

# 1. Write, sync, then SIGKILL twinbox while the guest is still running
# (twinbox itself, not a wrapper: the polling loop below bounds the wait).
"$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
    --disk "$work/disk.ext4" \
    --cmdline "$base TWINBOX_RUN=\"echo $payload > /persist.txt; sync; echo SYNCED; sleep 600\"" \
    </dev/null >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1200); do
    grep -q SYNCED "$work/out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
cat "$work/out" "$work/err"
expect_contains "$work/out" "SYNCED" "guest wrote and synced a file on the root disk"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=""
debugfs -R "cat /persist.txt" "$work/disk.ext4" >"$work/file" 2>/dev/null
expect_contains "$work/file" "$payload" "synced file is in the image after SIGKILL"
pass "a file synced by the guest survived SIGKILL of twinbox"

# 2. Boot again from the same disk: the file is there; the RNG works.
timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
    --disk "$work/disk.ext4" \
    --cmdline "$base TWINBOX_RUN=\"cat /persist.txt; grep ' / ' /proc/mounts; echo rng=\$(head -c 32 /dev/hwrng | od -An -tx1); echo source=\$(cat /sys/class/misc/hw_random/rng_current)\"" \
    </dev/null >"$work/out" 2>"$work/err"
status=$?
cat "$work/out" "$work/err"
expect_status 0 "$status" "second boot from the disk"
expect_contains "$work/out" "$payload" "file read back on the second boot"
expect_contains "$work/out" "/dev/vda / ext4 rw" "root is the ext4 disk, read-write"
expect_contains "$work/out" "source=virtio_rng" "hwrng is virtio-rng"
rng=$(sed -n 's/^rng=//p' "$work/out" | tr -d ' \r')
[ "${#rng}" = 64 ] || fail "hwrng gave '${rng}', expected 32 bytes in hex"
[ "$rng" != "0000000000000000000000000000000000000000000000000000000000000000" ] ||
    fail "hwrng gave only zeros"
pass "second boot read the file back; /dev/hwrng returned 32 random bytes"

# 3. Read-only: the guest sees a read-only disk and cannot write to it.
before=$(sha256sum "$work/disk.ext4")
timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
    --disk "$work/disk.ext4,ro" \
    --cmdline "$base TWINBOX_RUN=\"cat /sys/block/vda/ro; grep ' / ' /proc/mounts; (echo x > /new.txt) 2>/dev/null && echo WRITE-OK || echo WRITE-REFUSED\"" \
    </dev/null >"$work/out" 2>"$work/err"
status=$?
cat "$work/out" "$work/err"
expect_status 0 "$status" "boot from a read-only disk"
expect_contains "$work/out" "/dev/vda / ext4 ro" "read-only disk mounted read-only"
expect_contains "$work/out" "WRITE-REFUSED" "write to a read-only disk refused"
[ "$(sha256sum "$work/disk.ext4")" = "$before" ] || fail "read-only disk image changed"
pass "read-only disk: mounted ro, writes refused, image unchanged"
