#!/bin/bash
# Builds the default container root file system: a directory with a static
# busybox and a link for each of its applets, plus the few files programs
# expect (/etc/passwd, /etc/group, /etc/hosts...). No network needed.
# usage: build-rootfs.sh --output DIR --busybox /bin/busybox
set -euo pipefail
output="" busybox=/bin/busybox
while [ $# -gt 0 ]; do
    case "$1" in
        --output) output="$2"; shift 2 ;;
        --busybox) busybox="$2"; shift 2 ;;
        *) echo "build-rootfs.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$output" ] || { echo "build-rootfs.sh: --output DIR is required" >&2; exit 2; }
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    ldd "$busybox" 2>&1 | grep -q 'not a dynamic executable' ||
    { echo "build-rootfs.sh: $busybox is not a static binary (apt-get install busybox-static)" >&2; exit 1; }

# Build next to the target and rename at the end, so a failed build never
# leaves a half-made root where the tests look for one.
staging="$output.tmp.$$"
rm -rf "$staging"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,var/tmp,run}
chmod 1777 "$staging/tmp" "$staging/var/tmp"
chmod 700 "$staging/root"
cp "$busybox" "$staging/bin/busybox"
for applet in $("$busybox" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$staging/$(dirname "$applet")"
    ln -sf /bin/busybox "$staging/$applet"
done
cat >"$staging/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$staging/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
GROUP
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$staging/etc/hosts"
printf 'twinbox busybox root\n' >"$staging/etc/issue"
: >"$staging/etc/resolv.conf"
rm -rf "$output"
mv "$staging" "$output"
trap - EXIT
