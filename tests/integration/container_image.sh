#!/bin/bash
# Images (docs/images.md): the store, import of every archive format (archives made
# here: a tar of the guest root, docker save and OCI layouts written by
# container_image_archives.py, twinbox's own save), whiteouts, save/import
# round trips, `twinbox build` with its cache, `twinbox run IMAGE`, and bad
# input (125, one line, the store unchanged).
# usage: container_image.sh TWINBOX_BINARY ROOTFS_DIR
set -uo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"
. "$here/container_lib.sh"
container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/sh" ] || fail "no busybox root at $rootfs (build the guest-rootfs target)"
store="$TWINBOX_ROOT/lib/images"
tb() { timeout 300 "$twinbox" "$@"; }
image_id() { tb image inspect "$1" | sed -n 's/.*"Id": "\(sha256:[0-9a-f]*\)".*/\1/p'; }

# --- a fresh store has busybox:latest, which runs with its own status
tb images >"$work/out" || fail "twinbox images"
expect_contains "$work/out" "busybox" "fresh store lists busybox"
out=$(tb run --rm busybox:latest sh -c 'echo hi; exit 3'); status=$?
expect_status 3 $status "busybox:latest sh -c 'echo hi; exit 3'"
[ "$out" = hi ] || fail "busybox printed '$out', expected hi"
[ -f "$store/oci-layout" ] && [ -f "$store/index.json" ] || fail "store is not an OCI layout"
pass "built-in busybox:latest runs: hi, exit 3"
# the benchmark workload baked into it (guest/README.md), when the build made it
if [ -x "$rootfs/../twinbox-workload" ]; then
    out=$(tb run --rm busybox:latest twinbox-workload cpu --iterations 1) ||
        fail "busybox:latest: twinbox-workload cpu failed"
    case "$out" in '{"workload":"cpu",'*) ;; *) fail "twinbox-workload cpu printed '$out'" ;; esac
    pass "built-in busybox:latest runs the baked-in twinbox-workload"
fi

# --- root file system tarballs: plain, gzip, zstd, xz (stored as plain)
tar -C "$rootfs" -cf "$work/rootfs.tar" .
gzip -c "$work/rootfs.tar" >"$work/rootfs.tar.gz"
zstd -q -c "$work/rootfs.tar" >"$work/rootfs.tar.zst"
xz -T1 -0 -c "$work/rootfs.tar" >"$work/rootfs.tar.xz"
for ext in tar tar.gz tar.zst tar.xz; do
    tag="guest:${ext//./-}"
    tb image import "$work/rootfs.$ext" "$tag" >"$work/out" || fail "import rootfs.$ext"
    out=$(tb run --rm "$tag" sh -c 'echo from-$HOSTNAME-ok' | sed 's/from-.*-ok/ok/')
    [ "$out" = ok ] || fail "run $tag: '$out'"
done
ids=$(for ext in tar tar-gz tar-zst tar-xz; do tb image inspect "guest:$ext" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["diff_ids"][0])'; done | sort -u | wc -l)
[ "$ids" = 1 ] || fail "plain, gzip, zstd and xz imports have different diff ids"
pass "rootfs tarballs (plain, gzip, zstd, xz) import and run, one diff id"

# --- docker save archive with whiteouts in its top layer
python3 "$here/container_image_archives.py" docker-save "$work/dsave.tar" "$work/rootfs.tar" ||
    fail "writing the docker save archive"
tb image import "$work/dsave.tar" >"$work/out" || fail "import docker save"
expect_contains "$work/out" "dsave:1" "docker save import names the image"
out=$(tb run --rm dsave:1 sh -c 'ls /a.txt 2>&1; ls /dir; echo $FROM_ARCHIVE; pwd' | tr '\n' ' ')
case "$out" in
*"No such file"*"c.txt yes /dir "*) ;;
*) fail "whiteouts: expected /a.txt gone and only /dir/c.txt, got: $out" ;;
esac
[ "$(tb run --rm dsave:1)" = "default cmd" ] || fail "dsave:1 did not run its Cmd"
pass "docker save: imported; .wh. file and opaque directory hide lower files; Env, WorkingDir, Cmd"

# --- OCI: twinbox's save, imported back, gives the same digests
id=$(image_id dsave:1)
tb image save -o "$work/oci.tar" dsave:1 || fail "image save"
tar -tf "$work/oci.tar" >"$work/oci.list" || fail "the saved archive does not list"
grep -qx oci-layout "$work/oci.list" || fail "saved archive has no oci-layout"
grep -qx index.json "$work/oci.list" || fail "saved archive has no index.json"
tb image rm dsave:1 >/dev/null || fail "image rm dsave:1"
tb image inspect dsave:1 >/dev/null 2>&1 && fail "dsave:1 still there after rm"
tb image import "$work/oci.tar" >/dev/null || fail "import of the saved OCI archive"
[ "$(image_id dsave:1)" = "$id" ] || fail "save -> import changed the digest ($id)"
mkdir "$work/ocidir" && tar -C "$work/ocidir" -xf "$work/oci.tar"
tb image import "$work/ocidir" copy:1 >/dev/null || fail "import of an OCI layout directory"
[ "$(image_id copy:1)" = "$id" ] || fail "OCI directory import changed the digest"
pass "save -> import (tar and directory) round-trips to $id"

# --- a hand-made OCI layout: nested index, gzip layers, platform choice
python3 "$here/container_image_archives.py" oci-layout "$work/hand" "$work/rootfs.tar" ||
    fail "writing the OCI layout"
tb image import "$work/hand" >/dev/null || fail "import of the hand-made OCI layout"
out=$(tb run --rm hand:1 sh -c 'cat /dir/c.txt; ls /dir | wc -l')
[ "$out" = "$(printf 'upper c\n1')" ] || fail "hand:1 content: $out"
pass "hand-made OCI layout (image index, amd64 picked, gzip layers) imports and runs"

# --- build: a multi-step Dockerfile, then the cache
ctx="$work/ctx"
mkdir -p "$ctx/data"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# a test image
ARG BASE=busybox
FROM ${BASE}:latest
ARG GREETING=hello
ENV APP_HOME=/app \
    MODE=test
WORKDIR $APP_HOME
COPY greet.sh ./
COPY data/ data/
RUN echo "$GREETING" > greeting && rm /etc/group && chmod 755 greet.sh
RUN ["/bin/sh", "-c", "mkdir -p /opt/x && echo one > /opt/x/one"]
USER 65534
EXPOSE 8080
LABEL purpose=test
ENTRYPOINT ["/app/greet.sh"]
CMD ["world"]
DOCKERFILE
cat >"$ctx/greet.sh" <<'SCRIPT'
#!/bin/sh
echo "$(cat /app/greeting) $1 from $(id -u) in $(pwd) mode=$MODE"
[ -e /etc/group ] && echo group-present || echo group-gone
ls /app/data | tr '\n' ' '; echo
SCRIPT
echo one >"$ctx/data/file.txt"
echo secret >"$ctx/data/ignored.txt"
echo "data/ignored.txt" >"$ctx/.dockerignore"
tb build -t app:1 "$ctx" >"$work/build1" 2>&1 || { cat "$work/build1"; fail "first build"; }
grep -q CACHED "$work/build1" && fail "first build used the cache"
out=$(tb run --rm app:1)
expected="hello world from 65534 in /app mode=test
group-gone
file.txt "
[ "$out" = "$expected" ] || fail "app:1 printed: $out"
out=$(tb run --rm app:1 there)
[ "${out%%$'\n'*}" = "hello there from 65534 in /app mode=test" ] ||
    fail "arguments do not replace CMD"
pass "build: 10 steps; ENTRYPOINT+CMD, ENV, WORKDIR, USER, ARG; .dockerignore; RUN's rm is a whiteout"

tb build -t app:2 "$ctx" >"$work/build2" 2>&1 || fail "second build"
layer_steps=$(grep -cE '\] (COPY|RUN)' "$work/build2")
cached=$(grep -cE 'CACHED \[[0-9/]+\] (COPY|RUN)' "$work/build2")
[ "$layer_steps" = 4 ] && [ "$cached" = 4 ] || { cat "$work/build2"; fail "second build: $cached of $layer_steps layer steps CACHED"; }
echo changed-secret >"$ctx/data/ignored.txt"
tb build -t app:3 "$ctx" >"$work/build3" 2>&1 || fail "third build"
[ "$(grep -c CACHED "$work/build3")" = 4 ] || fail "an ignored file invalidated the cache"
echo two >"$ctx/data/file.txt"
tb build -t app:4 "$ctx" >"$work/build4" 2>&1 || fail "fourth build"
grep -qE 'CACHED \[[0-9/]+\] COPY greet.sh' "$work/build4" || fail "COPY greet.sh was not CACHED"
grep -qE 'CACHED .*COPY data' "$work/build4" && fail "changed data/ was CACHED"
grep -qE 'CACHED .*RUN' "$work/build4" && { cat "$work/build4"; fail "steps after the change were CACHED"; }
tb build --no-cache -t app:5 "$ctx" >"$work/build5" 2>&1 || fail "--no-cache build"
grep -q CACHED "$work/build5" && fail "--no-cache used the cache"
pass "cache: second build all CACHED; ignored file no change; data/ change rebuilds from its COPY; --no-cache"

# --- bad input: 125, one line, the store's index unchanged, nothing half-written
# (hand:1 goes first, so that its layers are not in the store when a tampered
# copy of them is imported: blobs already stored are not read again)
tb image rm hand:1 >/dev/null || fail "image rm hand:1"
cp "$store/index.json" "$work/index.before"
bad() {
    local what="$1"; shift
    tb "$@" >"$work/stdout" 2>"$work/err"; expect_status 125 $? "$what"
    expect_one_line "$work/err" "$what"
    cmp -s "$store/index.json" "$work/index.before" || fail "$what: the index changed"
    [ -z "$(ls "$store/tmp")" ] || fail "$what: left files in $store/tmp"
}
mkbad() { mkdir -p "$work/bad/$1"; printf '%b' "$2" >"$work/bad/$1/Dockerfile"; echo "$work/bad/$1"; }
bad "unknown instruction" build -t bad:1 "$(mkbad unknown 'FROM busybox\nFETCH x\n')"
bad "bad continuation" build -t bad:1 "$(mkbad cont 'FROM busybox\nRUN echo \\\n')"
bad "COPY outside" build -t bad:1 "$(mkbad outside 'FROM busybox\nCOPY ../../etc/passwd /x\n')"
bad "COPY missing" build -t bad:1 "$(mkbad missing 'FROM busybox\nCOPY nothere /x\n')"
bad "FROM missing" build -t bad:1 "$(mkbad from 'FROM nosuch:image\n')"
tb build -t bad:1 "$(mkbad runfails 'FROM busybox\nRUN echo before-fail\nRUN echo output-of-step; exit 7\n')" \
    >"$work/stdout" 2>"$work/err"
expect_status 125 $? "failing RUN"
expect_one_line "$work/err" "failing RUN"
expect_contains "$work/stdout" "output-of-step" "failing RUN shows its output"
expect_contains "$work/err" "exited with status 7" "failing RUN names the status"
expect_contains "$work/err" "[3/3]" "failing RUN names the step"
cmp -s "$store/index.json" "$work/index.before" || fail "a failed build changed the index"
bad "bad tag" build -t 'Bad Tag' "$ctx"
head -c 300000 "$work/rootfs.tar.gz" >"$work/truncated.tar.gz"
bad "truncated tarball" image import "$work/truncated.tar.gz" trunc:1
head -c $(($(stat -c %s "$work/rootfs.tar") / 2)) "$work/rootfs.tar" >"$work/truncated.tar"
bad "truncated plain tarball" image import "$work/truncated.tar" trunc:1
echo "not an archive" >"$work/junk"
bad "junk file" image import "$work/junk" junk:1
python3 "$here/container_image_archives.py" docker-save "$work/baddiff.tar" "$work/rootfs.tar" amd64 bad-diff-id
bad "layer diff id mismatch" image import "$work/baddiff.tar"
python3 "$here/container_image_archives.py" docker-save "$work/arm.tar" "$work/rootfs.tar" arm64
bad "foreign architecture (docker)" image import "$work/arm.tar"
python3 "$here/container_image_archives.py" oci-layout "$work/armoci" "$work/rootfs.tar" only-arm64
bad "no manifest for this architecture (OCI)" image import "$work/armoci"
cp -r "$work/hand" "$work/tampered"
blob=$(ls -S "$work/tampered/blobs/sha256" | head -1)
printf 'X' | dd of="$work/tampered/blobs/sha256/$blob" bs=1 seek=100 conv=notrunc status=none
bad "layer blob digest mismatch" image import "$work/tampered" tampered:1
cp -r "$work/hand" "$work/tampered2"
config=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"][7:])' \
    "$work/tampered2/blobs/sha256/$(python3 -c 'import json,sys
i=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(sys.argv[1]+"/blobs/sha256/"+i))["manifests"][1]["digest"][7:])' "$work/tampered2")")
sed -i 's/FROM_ARCHIVE=yes/FROM_ARCHIVE=no!/' "$work/tampered2/blobs/sha256/$config"
bad "config blob digest mismatch" image import "$work/tampered2" tampered:1
bad "bad reference (run)" run --rm 'UPPER:case' true
bad "bad reference (import)" image import "$work/rootfs.tar" 'no spaces:1'
bad "missing image" run --rm nosuch:image true
bad "rootfs tarball without a name" image import "$work/rootfs.tar"
for ref in bad:1 trunc:1 junk:1 tampered:1; do
    tb image inspect "$ref" >/dev/null 2>&1 && fail "$ref was tagged"
done
pass "bad input: 125, one line, index unchanged, tmp/ empty"

# --- rm refuses an image a container uses; prune keeps what is used
id=$(tb run -d busybox:latest sleep 60) || fail "run -d busybox"
remember "$id"
tb image rm busybox:latest >"$work/out" 2>"$work/err"; expect_status 125 $? "rm of an image in use"
expect_contains "$work/err" "used by container" "rm names the container"
tb rm -f "$id" >/dev/null
for ref in guest:tar guest:tar-gz guest:tar-zst guest:tar-xz copy:1 app:2 app:3 app:4 app:5; do
    tb image rm "$ref" >/dev/null || fail "image rm $ref"
done
tb image prune --build-cache >"$work/out" || fail "image prune"
out=$(tb run --rm app:1)
[ "${out%%$'\n'*}" = "hello world from 65534 in /app mode=test" ] || fail "app:1 broken by prune"
[ "$(tb run --rm dsave:1 sh -c 'cat /dir/c.txt')" = "upper c" ] || fail "dsave:1 broken by prune"
tb build -t app:6 "$ctx" >"$work/build6" 2>&1 || fail "build after prune"
grep -q CACHED "$work/build6" && fail "the build cache survived --build-cache"
tb image prune >/dev/null
left=$(ls "$store/blobs/sha256" | wc -l)
tb image prune >/dev/null
[ "$(ls "$store/blobs/sha256" | wc -l)" = "$left" ] || fail "a second prune deleted more blobs"
pass "image rm refuses in-use images; prune keeps every tagged image runnable"
