#!/bin/bash
# Builds a twinbox initramfs: a gzip-compressed cpio archive in the "newc"
# format that Linux unpacks into its first root file system
# (Documentation/driver-api/early-userspace/buffer-format.rst).
#
# It holds a static busybox with one symlink per applet, the /init script,
# the kernel modules named in a list (for one kernel version), and any
# overlay directories (workloads). The archive is reproducible: the same
# inputs give the same bytes, because file order is sorted, every mtime is
# SOURCE_DATE_EPOCH (0 unless set), owners are root and inode numbers are
# renumbered (cpio --reproducible), and gzip stores no name or time (-n).
#
# Usage:
#   build-initramfs.sh --output FILE --busybox FILE --init FILE
#                      [--modules-list FILE --kernel-version VERSION
#                       [--modules-root DIR]] [--overlay DIR]...
#   build-initramfs.sh --tree DIR ...     the same root as a directory, not
#                      packed (guest/disk/build-disk.sh makes a disk of it)
set -euo pipefail
umask 022
export LC_ALL=C

output=""
tree=""
busybox=""
init=""
modules_list=""
kernel_version=""
modules_root=/lib/modules
overlays=()

fail() {
    echo "build-initramfs: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --output) output=$2 ;;
    --tree) tree=$2 ;;
    --busybox) busybox=$2 ;;
    --init) init=$2 ;;
    --modules-list) modules_list=$2 ;;
    --kernel-version) kernel_version=$2 ;;
    --modules-root) modules_root=$2 ;;
    --overlay) overlays+=("$2") ;;
    *) fail "unknown argument '$1'" ;;
    esac
    shift 2
done

[ -n "$output" ] || [ -n "$tree" ] || fail "--output or --tree is required"
[ -x "$busybox" ] || fail "busybox '$busybox' is not an executable file - install busybox-static"
[ -r "$init" ] || fail "init script '$init' is not readable"
command -v cpio >/dev/null || fail "cpio is not installed - apt-get install cpio"

if [ -n "$tree" ]; then
    staging="$tree"
    rm -rf "$staging"
    mkdir -p "$staging"
else
    staging="$output.root"
    rm -rf "$staging"
    mkdir -p "$staging"
    trap 'rm -rf "$staging"' EXIT
fi

# The directory skeleton /init and busybox expect. /dev stays empty: the
# kernel's built-in initramfs already provides /dev/console, and /init mounts
# devtmpfs over /dev.
for directory in bin sbin usr/bin usr/sbin usr/local/bin etc root proc sys dev tmp run \
    mnt var lib/modules; do
    mkdir -p "$staging/$directory"
done
chmod 0700 "$staging/root"
chmod 1777 "$staging/tmp"

install -m 0755 "$busybox" "$staging/bin/busybox"
install -m 0755 "$init" "$staging/init"

# One symlink per applet, at the path busybox itself reports
# (e.g. bin/sh, sbin/poweroff, usr/bin/nproc). linuxrc is skipped: the kernel
# runs /init.
"$busybox" --list-full | while read -r applet; do
    case "$applet" in
    linuxrc | bin/busybox) continue ;;
    esac
    [ -d "$staging/${applet%/*}" ] || mkdir -p "$staging/${applet%/*}"
    ln -sf /bin/busybox "$staging/$applet"
done

# Just enough of /etc for `id`, `ls -l` and the devpts "tty" group.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$staging/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$staging/etc/group"
printf 'twinbox\n' >"$staging/etc/hostname"

# Kernel modules: copy each listed module that this kernel has, keeping its
# path under /lib/modules/<version>/, and write the load order for /init.
if [ -n "$modules_list" ] && [ -n "$kernel_version" ]; then
    source_directory="$modules_root/$kernel_version"
    [ -d "$source_directory" ] || fail "no modules for kernel $kernel_version in $source_directory"
    target_directory="$staging/lib/modules/$kernel_version"
    mkdir -p "$target_directory"
    : >"$target_directory/twinbox-modules"
    while read -r name _; do
        case "$name" in
        '' | '#'*) continue ;;
        esac
        module=$(cd "$source_directory" && find kernel -name "$name.ko" -print | sort | head -n 1)
        if [ -z "$module" ]; then
            continue  # built into this kernel, or not available: nothing to load
        fi
        mkdir -p "$target_directory/$(dirname "$module")"
        install -m 0644 "$source_directory/$module" "$target_directory/$module"
        echo "$module" >>"$target_directory/twinbox-modules"
    done <"$modules_list"
fi

for overlay in "${overlays[@]}"; do
    [ -d "$overlay" ] || fail "overlay '$overlay' is not a directory"
    cp -a "$overlay/." "$staging/"
done

epoch=${SOURCE_DATE_EPOCH:-0}
find "$staging" -exec touch -h -d "@$epoch" {} +
[ -z "$tree" ] || exit 0  # --tree: the directory is the result

temporary="$output.tmp"
(cd "$staging" && find . -mindepth 1 -printf '%P\n' | sort |
    cpio --create --format=newc --reproducible --owner=0:0 --quiet) |
    gzip -9 -n >"$temporary"
mv "$temporary" "$output"
