#!/bin/bash
# Load only what a command needs (issue 17): a container start maps none of
# the libraries twinbox loads lazily (common/lazy/lazy.h) - libarchive (with
# libxml2 and ICU), libcrypto, libnftables, libnl, capstone, cpp-httplib,
# liburing - and the lazy stubs still reach them when a command does call
# them (`twinbox image import` unpacks through libarchive).
# usage: startup_libraries.sh TWINBOX_BINARY ROOTFS_DIR
set -uo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"
. "$here/container_lib.sh"
container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/sh" ] || fail "no busybox root at $rootfs (build the guest-rootfs target)"
lazy='libarchive|libxml2|libicu|libcrypto|libssl|libnftables|libnl-|libcapstone|libcpp-httplib|liburing'

# Nothing lazy is a dependency the dynamic loader maps at exec.
needed=$(readelf -d "$twinbox" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
echo "$needed" | grep -E "$lazy" && fail "linked as NEEDED: $(echo "$needed" | grep -E "$lazy" | tr '\n' ' ')"
pass "no lazily loaded library is NEEDED ($(echo "$needed" | wc -l) libraries are)"

# The built-in busybox image: the first run makes it (libarchive, libcrypto);
# after that the store's index, manifest and config are read and checked
# (SHA-256) without libcrypto.
timeout 120 "$twinbox" run --rm busybox true || fail "first twinbox run --rm busybox true"
LD_DEBUG=files timeout 60 "$twinbox" run --rm busybox true 2>"$work/loader" ||
    { tail -5 "$work/loader"; fail "twinbox run --rm busybox true"; }
grep -E "file=.*($lazy)" "$work/loader" && fail "twinbox run loaded the libraries above"
pass "twinbox run --rm busybox true loads no lazy library"

# A first call loads the library: import a root tarball (libarchive).
tar -C "$rootfs" -cf "$work/rootfs.tar" .
LD_DEBUG=files timeout 120 "$twinbox" image import "$work/rootfs.tar" lazy:test >"$work/out" 2>"$work/loader" ||
    { tail -5 "$work/loader"; fail "image import"; }
grep -qE "file=libarchive.so.*dynamically loaded" "$work/loader" || fail "image import did not load libarchive"
out=$(timeout 60 "$twinbox" run --rm lazy:test sh -c 'echo imported-ok')
[ "$out" = imported-ok ] || fail "run of the imported image printed '$out'"
pass "image import loads libarchive on first use and the image runs"
