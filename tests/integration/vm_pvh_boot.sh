#!/bin/bash
# PVH boot: Debian's kernel, as the uncompressed vmlinux extracted from its
# bzImage (guest/kernel/extract-vmlinux.py), boots through its Xen PVH entry
# note with the default initramfs (module 0 of the start info), its command
# line and ACPI (2 vCPUs), reaches userspace and powers off; the same kernel
# as a bzImage boots the Linux-protocol way to the same userspace; --boot
# forces a protocol and refuses the wrong kind of image.
#
# usage: vm_pvh_boot.sh TWINBOX_BINARY GUEST_BUILD_DIR WORK_DIR
# The vmlinux is extracted here, on this host, into WORK_DIR (the nested test
# host's emulated CPU would take minutes to decompress it); the boots then
# run where /dev/kvm boots Linux (with-kvm.sh), reading WORK_DIR.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
guest="$2"
work_dir="$3"
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
vmlinux="$work_dir/vmlinux-$(basename "$kernel" | sed 's/^vmlinuz-//')"

if [ "${TWINBOX_PVH_INSIDE:-0}" != 1 ]; then
    mkdir -p "$work_dir"
    if [ ! -s "$vmlinux" ] || [ "$kernel" -nt "$vmlinux" ]; then
        /usr/bin/python3 "$here/../../guest/kernel/extract-vmlinux.py" "$kernel" "$vmlinux.tmp" ||
            fail "extracting the vmlinux from $kernel"
        mv "$vmlinux.tmp" "$vmlinux"
    fi
    readelf -n "$vmlinux" | grep -q "Xen.*0x00000012" ||
        { echo "SKIP: $kernel has no PVH entry note (built without CONFIG_PVH)"; exit 77; }
    TWINBOX_PVH_INSIDE=1 exec "$here/with-kvm.sh" -- "$0" "$@"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
base="console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"
# MemTotal is printed but not compared: the bzImage path reserves a little more (the
# decompressor's relocation), so the two differ by about 2 MiB.
run="echo kernel=\$(uname -r) cpus=\$(grep -c ^processor /proc/cpuinfo) end; grep MemTotal /proc/meminfo"

# boot NAME KERNEL [ARGS...]: one boot of the default initramfs, outputs in $work/NAME.{out,err}.
boot() {
    local name="$1" image="$2"
    shift 2
    timeout 600 "$twinbox" vm run -v --kernel "$image" --initrd "$guest/initramfs.cpio.gz" \
        --cpus 2 --memory 512M --cmdline "$base TWINBOX_RUN=\"$run\"" "$@" \
        </dev/null >"$work/$name.out" 2>"$work/$name.err"
}

marker() { sed -n 's/.*guest boot marker: \([0-9]*\) ms.*/\1/p' "$1" | head -1; }

boot pvh "$vmlinux"
status=$?
cat "$work/pvh.out" "$work/pvh.err"
expect_status 0 "$status" "PVH boot of $vmlinux"
expect_contains "$work/pvh.err" "boot protocol: PVH" "-v names the PVH protocol"
expect_contains "$work/pvh.out" "twinbox guest ready" "initramfs (PVH module 0) reached"
expect_contains "$work/pvh.out" "cpus=2" "both vCPUs online (ACPI through rsdp_paddr)"
expect_contains "$work/pvh.err" "boot marker" "boot-timer marker"
pass "vmlinux booted through PVH to userspace, /init at $(marker "$work/pvh.err") ms"

boot bzimage "$kernel"
status=$?
expect_status 0 "$status" "bzImage boot of $kernel"
expect_contains "$work/bzimage.err" "boot protocol: Linux bzImage" "-v names the bzImage protocol"
pvh_line="$(grep -o 'kernel=.* end' "$work/pvh.out" | tr -d '\r' | head -1)"
bz_line="$(grep -o 'kernel=.* end' "$work/bzimage.out" | tr -d '\r' | head -1)"
[ -n "$pvh_line" ] && [ "$pvh_line" = "$bz_line" ] ||
    fail "PVH and bzImage guests differ: '$pvh_line' vs '$bz_line'"
grep -h MemTotal "$work/pvh.out" "$work/bzimage.out"
pass "same kernel and vCPUs through both protocols ($pvh_line);" \
    "/init at $(marker "$work/pvh.err") ms (PVH) vs $(marker "$work/bzimage.err") ms (bzImage)"

# --boot forces a protocol; the wrong kind of image is refused before the guest runs.
boot forced-linux "$vmlinux" --boot linux
status=$?
expect_status 125 "$status" "--boot linux with a vmlinux"
expect_contains "$work/forced-linux.err" "not a bzImage" "--boot linux refuses an ELF file"
boot forced-pvh "$kernel" --boot pvh
status=$?
expect_status 125 "$status" "--boot pvh with a bzImage"
expect_contains "$work/forced-pvh.err" "no ELF magic" "--boot pvh refuses a bzImage"
pass "--boot pvh|linux force the protocol and refuse the wrong image"
