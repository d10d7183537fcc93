#!/bin/bash
# Hostile paths (docs/security.md): a
# Dockerfile's build context, an image and an image archive written by
# someone else try to reach host files through symbolic links, FIFOs and
# wrong sizes. The "host" is this test's own temp dir: every victim lives
# there, and each check asserts the victim is untouched and that the
# operation failed with one clear line or stayed inside the container.
# usage: container_hostile_paths.sh TWINBOX_BINARY ROOTFS_DIR
set -uo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"
. "$here/container_lib.sh"
container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/sh" ] || fail "no busybox root at $rootfs (build the guest-rootfs target)"
store="$TWINBOX_ROOT/lib/images"
tb() { timeout 120 "$twinbox" "$@"; }
archives() { python3 "$here/container_hostile_archives.py" "$@" || fail "writing archive $1"; }

host="$work/host"            # stands for the host's file system
mkdir -p "$host/dir"
printf 'victim\n' >"$host/file"
chmod 0600 "$host/file"
victim_state() { stat -c '%s %a %u %Y' "$host/file"; cat "$host/file"; ls -A "$host/dir"; }
before=$(victim_state)
expect_victim_untouched() {
    [ "$(victim_state)" = "$before" ] || { victim_state; ls -laR "$host"; fail "$1: the host victim changed"; }
}
# No blob in the store is a link or anything but a regular file.
expect_store_clean() {
    [ -d "$store/blobs" ] || return 0
    local odd
    odd=$(find "$store/blobs" -mindepth 2 ! -type f ! -type d)
    [ -z "$odd" ] || fail "$1: the store holds non-files: $odd"
}

# --- build: a link copied by COPY must not be written through (escape 1)
ctx="$work/ctx"
mkdir -p "$ctx/a" "$ctx/sub" "$ctx/b/evil"
ln -s "$host/file" "$ctx/a/x"
printf 'from-the-context\n' >"$ctx/sub/x"
ln -s "$host/dir" "$ctx/a/evil"
printf 'planted\n' >"$ctx/b/evil/f"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox:latest
COPY a sub/x /dest/
COPY a b /tree/
DOCKERFILE
tb build -t evil:build "$ctx" >"$work/build" 2>&1 || { cat "$work/build"; fail "build with links in the context"; }
expect_victim_untouched "COPY a sub/x /dest/ (file through a copied link)"
out=$(tb run --rm evil:build cat /dest/x)
[ "$out" = from-the-context ] || fail "COPY replaced the link: /dest/x is '$out'"
out=$(tb run --rm evil:build sh -c "cat /tree/evil/f 2>/dev/null || cat $host/dir/f")
[ "$out" = planted ] || fail "COPY b/evil/f: not inside the image ('$out')"
pass "COPY through links copied before stays in the layer; host file and directory untouched"

# --- an image with /escape -> the host directory (escape 5)
ictx="$work/ictx"
mkdir -p "$ictx/d"
ln -s "$host/dir" "$ictx/d/escape"
ln -s "$host/file" "$ictx/d/fileescape"
printf 'FROM busybox:latest\nCOPY d /\n' >"$ictx/Dockerfile"
tb build -t evil:links "$ictx" >"$work/build" 2>&1 || { cat "$work/build"; fail "build the linked image"; }
mkdir -p "$work/volume"
printf 'in-the-volume\n' >"$work/volume/marker"
printf 'a-file-volume\n' >"$work/volfile"
out=$(tb run --rm -v "$work/volume:/escape/x" evil:links cat /escape/x/marker 2>&1)
expect_victim_untouched "-v H:/escape/x"
[ "$out" = in-the-volume ] || fail "-v H:/escape/x: the container does not see its volume ('$out')"
out=$(tb run --rm --tmpfs /escape/t evil:links sh -c 'echo t >/escape/t/y && cat /escape/t/y' 2>&1)
expect_victim_untouched "--tmpfs /escape/t"
[ "$out" = t ] || fail "--tmpfs /escape/t: '$out'"
out=$(tb run --rm -v "$work/volfile:/escape/f" evil:links cat /escape/f 2>&1)
expect_victim_untouched "-v FILE:/escape/f"
[ "$out" = a-file-volume ] || fail "-v FILE:/escape/f: '$out'"
tb run --rm -v "$work/volfile:/fileescape" evil:links true >/dev/null 2>&1
expect_victim_untouched "-v FILE:/fileescape (a link to a host file)"
grep -q "$host" /proc/self/mountinfo && fail "a mount landed on the host victim"
pass "-v, --tmpfs and file binds through image links land inside the container"

# --- -v on / or on what the runtime mounts: one clear line (unclear errors)
for dest in / /proc /proc/sys /sys /dev //proc/; do
    tb run --rm -v "$work/volume:$dest" busybox:latest true >"$work/out" 2>"$work/err"
    expect_status 125 $? "-v H:$dest"
    expect_one_line "$work/err" "-v H:$dest"
    expect_contains "$work/err" "cannot mount over" "-v H:$dest"
done
tb run --rm --tmpfs /proc busybox:latest true >"$work/out" 2>"$work/err"
expect_status 125 $? "--tmpfs /proc"
expect_contains "$work/err" "which the container runtime provides" "--tmpfs /proc"
pass "-v H:/, -v H:/proc, /sys, /dev refused with one clear line"

# --- image archives (escape 7, D4, wrong sizes)
tar -C "$work" -cf "$work/victim.tar" volume/marker   # a host file that is a valid layer
before_tar=$(sha256sum <"$work/victim.tar")
expect_refused() {  # WHAT ARCHIVE TEXT: import fails, one line, nothing tagged
    tb image import "$2" >"$work/out" 2>"$work/err"
    local status=$?
    [ $status = 124 ] && fail "$1: image import hangs"
    expect_status 125 $status "$1"
    expect_one_line "$work/err" "$1"
    expect_contains "$work/err" "$3" "$1"
    tb images >"$work/out"
    grep -q hostile "$work/out" && fail "$1: an image was tagged"
    expect_store_clean "$1"
    expect_victim_untouched "$1"
    [ "$(sha256sum <"$work/victim.tar")" = "$before_tar" ] || fail "$1: victim tar changed"
}
archives docker-layer-link "$work/a1.tar" "$work/victim.tar"
expect_refused "docker save, layer linked to a host file" "$work/a1.tar" "No such file"
archives oci-blob-link "$work/a2.tar" "$work/victim.tar"
expect_refused "OCI layout, layer blob linked to a host file" "$work/a2.tar" "No such file"
printf 'Qsecret\n' >"$host/shadow"
archives docker-config-link "$work/a3.tar" "$host/shadow"
expect_refused "docker save, config linked to a host file" "$work/a3.tar" "config.json"
grep -qE "last read|'Q'" "$work/err" && fail "config link: the error shows the host file: $(cat "$work/err")"
archives docker-config-garbage "$work/a4.tar"
expect_refused "docker save, config not JSON" "$work/a4.tar" "not valid JSON"
grep -qE "last read|'S'" "$work/err" && fail "garbage config: the error echoes its content: $(cat "$work/err")"
archives docker-fifo "$work/a5.tar"
expect_refused "docker save with a FIFO member" "$work/a5.tar" "is not a file, directory or link"
for which in manifest config layer; do
    archives oci-wrong-size "$work/size-$which.tar" "$which"
    expect_refused "OCI $which descriptor one byte too large" "$work/size-$which.tar" "its descriptor says"
done
archives oci-good "$work/good.tar"
tb image import "$work/good.tar" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "the same OCI archive with right sizes"; }
tb images >"$work/out"
expect_contains "$work/out" "hostile" "the good OCI archive is tagged"
pass "archive links, FIFO members, non-JSON configs and wrong sizes are refused in one line"
