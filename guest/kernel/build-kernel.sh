#!/bin/bash
# Builds the optional minimal twinbox guest kernel from Debian's
# linux-source-6.1 package: `make tinyconfig`, plus the options in
# twinbox.config (next to this script), everything built in.
#
# Usage: build-kernel.sh OUTDIR
# Produces OUTDIR/bzImage-twinbox (boot with `twinbox vm run --kernel`),
# OUTDIR/vmlinux-twinbox (the uncompressed ELF, which has a PVH entry note)
# and OUTDIR/bzImage-twinbox.config. The sources are unpacked once into
# OUTDIR/kernel-source/ and later runs rebuild incrementally.
#
# Needs: linux-source-6.1 flex bison libelf-dev bc (and gcc, make, xz-utils).
# Set TWINBOX_INSTALL_DEPS=1 to let the script apt-get install what is
# missing; otherwise it stops and names the packages. A full build takes
# about 8 minutes on 2 cores.
set -euo pipefail
export LC_ALL=C

fail() {
    echo "build-kernel: $*" >&2
    exit 1
}

[ $# -eq 1 ] || fail "usage: build-kernel.sh OUTDIR"
script_directory=$(cd "$(dirname "$0")" && pwd)
fragment="$script_directory/twinbox.config"
mkdir -p "$1"
output_directory=$(cd "$1" && pwd)
source_archive=/usr/src/linux-source-6.1.tar.xz

# Each needed package, with a file that shows it is installed.
missing=()
[ -r "$source_archive" ] || missing+=(linux-source-6.1)
command -v flex >/dev/null || missing+=(flex)
command -v bison >/dev/null || missing+=(bison)
command -v bc >/dev/null || missing+=(bc)
[ -r /usr/include/gelf.h ] || missing+=(libelf-dev)
command -v make >/dev/null || missing+=(make)
command -v gcc >/dev/null || missing+=(gcc)
command -v xz >/dev/null || missing+=(xz-utils)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "${TWINBOX_INSTALL_DEPS:-0}" = 1 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    else
        fail "missing packages: ${missing[*]} - run: apt-get install ${missing[*]}" \
            "(or set TWINBOX_INSTALL_DEPS=1)"
    fi
fi

# Unpack the sources once; the marker file says the unpack finished.
source_root="$output_directory/kernel-source"
if [ ! -e "$source_root/.twinbox-unpacked" ]; then
    echo "build-kernel: unpacking $source_archive"
    rm -rf "$source_root"
    mkdir -p "$source_root"
    tar -xf "$source_archive" -C "$source_root" --strip-components=1
    touch "$source_root/.twinbox-unpacked"
fi
cd "$source_root"

# Fixed build identity, so two builds of the same sources give the same image.
export ARCH=x86_64
export KBUILD_BUILD_USER=twinbox
export KBUILD_BUILD_HOST=twinbox
export KBUILD_BUILD_TIMESTAMP="${SOURCE_DATE_EPOCH:+@$SOURCE_DATE_EPOCH}"
[ -n "$KBUILD_BUILD_TIMESTAMP" ] || KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"

make -s tinyconfig
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s olddefconfig

# Kconfig silently drops an option whose dependencies are not met, so check
# that every option the fragment asks for is in the final configuration.
not_set=()
while IFS= read -r line; do
    case "$line" in
    CONFIG_*=*)
        grep -qxF "$line" .config || not_set+=("$line")
        ;;
    esac
done <"$fragment"
if [ ${#not_set[@]} -gt 0 ]; then
    echo "build-kernel: these options did not stick (unmet dependencies):" >&2
    printf '  %s\n' "${not_set[@]}" >&2
fi

make -s -j"$(nproc)" bzImage

cp arch/x86/boot/bzImage "$output_directory/bzImage-twinbox"
cp vmlinux "$output_directory/vmlinux-twinbox"
cp .config "$output_directory/bzImage-twinbox.config"
echo "build-kernel: $output_directory/bzImage-twinbox" \
    "($(stat -c %s "$output_directory/bzImage-twinbox") bytes)"
