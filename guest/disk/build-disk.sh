#!/bin/bash
# Builds an ext4 disk image for `twinbox vm run --disk`, without root
# privileges or a loop mount: mkfs.ext4 -d copies a directory tree into the
# new file system as it creates it (e2fsprogs >= 1.43).
#
# By default the tree is the same busybox root as the default initramfs
# (guest/initramfs/build-initramfs.sh --tree), without kernel modules (the
# initramfs loads them before it switches to the disk), and with the same
# /init script installed as /sbin/init too: booted with root=/dev/vda it
# prints the ready banner and runs TWINBOX_RUN. --directory DIR uses DIR
# as it is instead; --overlay DIR adds files on top of the busybox root.
#
# The file system has a fixed UUID and directory hash seed, file times of
# SOURCE_DATE_EPOCH (0 unless set) and root-owned files. It is not
# byte-for-byte reproducible: mke2fs 1.47.0 still stamps some inode fields
# with the current time.
#
# Usage:
#   build-disk.sh --output IMG --size SIZE (e.g. 64M)
#                 (--busybox FILE --init FILE [--overlay DIR]... | --directory DIR)
#                 [--label NAME]
set -euo pipefail
umask 022
export LC_ALL=C

output=""
size=64M
busybox=""
init=""
directory=""
label=twinbox-root
overlays=()
here=$(cd "$(dirname "$0")" && pwd)

fail() {
    echo "build-disk: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --output) output=$2 ;;
    --size) size=$2 ;;
    --busybox) busybox=$2 ;;
    --init) init=$2 ;;
    --directory) directory=$2 ;;
    --label) label=$2 ;;
    --overlay) overlays+=("$2") ;;
    *) fail "unknown argument '$1'" ;;
    esac
    shift 2
done

[ -n "$output" ] || fail "--output is required"
mkfs=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4) ||
    fail "mkfs.ext4 is not installed - apt-get install e2fsprogs"

tree="$output.root"
cleanup() { rm -rf "$tree" "$output.tmp"; }
trap cleanup EXIT

if [ -n "$directory" ]; then
    [ -d "$directory" ] || fail "'$directory' is not a directory"
    source_tree=$directory
else
    overlay_arguments=()
    for overlay in "${overlays[@]}"; do
        overlay_arguments+=(--overlay "$overlay")
    done
    bash "$here/../initramfs/build-initramfs.sh" --tree "$tree" --busybox "$busybox" \
        --init "$init" "${overlay_arguments[@]}"
    # The disk's PID 1 is the same script (busybox's own init applet would
    # want an inittab); build-initramfs.sh made sbin/init a busybox link.
    ln -sf /init "$tree/sbin/init"
    epoch=${SOURCE_DATE_EPOCH:-0}
    touch -h -d "@$epoch" "$tree/sbin/init"
    source_tree=$tree
fi

# -E root_owner: files belong to root whoever builds; -U and hash_seed keep
# the identity stable across builds; E2FSPROGS_FAKE_TIME pins the superblock times.
E2FSPROGS_FAKE_TIME=${SOURCE_DATE_EPOCH:-1} "$mkfs" -q -F -t ext4 -L "$label" \
    -U 6b9f3b1e-7d4c-4e0a-9c57-0d1f2e3a4b5c \
    -E root_owner=0:0,hash_seed=1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 \
    -d "$source_tree" "$output.tmp" "$size" >/dev/null
mv "$output.tmp" "$output"
