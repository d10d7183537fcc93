#!/bin/bash
# docs/security.md (and the device-cgroup part of docs/container.md): a config.json or a
# `twinbox run` command line written by someone else must never reach the
# host, and no user data may be destroyed. Each block below is one case
# that failed on the old code. Everything runs in a private TWINBOX_ROOT;
# the victims (a cgroup with a `sleep` in it, a root-only file) are the
# test's own and must come out untouched.
# usage: container_hostile.sh TWINBOX_BINARY TWINBOX_OCI_BINARY ROOTFS_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/container_lib.sh"
container_setup "$1"
oci="$2"
rootfs="$3"
oci_root="$work/oci-root"
tb() { timeout 60 "$twinbox" "$@"; }
to() { timeout 60 "$oci" --root "$oci_root" "$@"; }
victims=""
victim_cgroups=""
cleanup() {
    local status=$?
    for id in $(ls "$oci_root" 2>/dev/null); do
        "$oci" --root "$oci_root" delete --force "$id" >/dev/null 2>&1
    done
    for pid in $victims; do kill -9 "$pid" 2>/dev/null; done
    sleep 0.1
    for dir in $victim_cgroups; do rmdir "$dir" 2>/dev/null; done
    container_teardown $status
}
trap cleanup EXIT

# make_bundle DIR ARGS_JSON PYTHON_EDIT: config.json from `twinbox-oci spec`,
# with the root, the args and one more edit of `config` in Python.
make_bundle() {
    local dir="$1" args="$2" edit="${3:-pass}"
    mkdir -p "$dir"; rm -f "$dir/config.json"
    (cd "$dir" && "$oci" spec) || fail "twinbox-oci spec"
    python3 - "$dir/config.json" "$rootfs" "$args" "$edit" <<'PY'
import json, sys
path, rootfs, args, edit = sys.argv[1:]
config = json.load(open(path))
config["root"] = {"path": rootfs, "readonly": True}
config["process"]["args"] = json.loads(args)
config["process"]["terminal"] = False
exec(edit)
json.dump(config, open(path, "w"), indent=2)
PY
}

# --- escape 2: host-global sysctls -----------------------------------------
before=$(cat /proc/sys/vm/swappiness)
new=$(( before == 37 ? 38 : 37 ))
make_bundle "$work/sysctl" '["true"]' "config['linux']['sysctl'] = {'vm.swappiness': '$new'}"
to run --bundle "$work/sysctl" s1 >/dev/null 2>"$work/err"; status=$?
[ "$status" != 0 ] || fail "a host-global sysctl was accepted"
expect_contains "$work/err" 'linux.sysctl["vm.swappiness"]: not namespaced' "sysctl refusal names the JSON path"
[ "$(cat /proc/sys/vm/swappiness)" = "$before" ] || {
    echo "$before" >/proc/sys/vm/swappiness; fail "vm.swappiness of the host was changed"; }
make_bundle "$work/sysctl2" '["true"]' "config['linux']['sysctl'] = {'kernel.core_pattern': '|/bin/true'}"
to run --bundle "$work/sysctl2" s2 >/dev/null 2>"$work/err"
expect_contains "$work/err" 'not namespaced' "kernel.core_pattern refused"
# A namespaced one still works, inside the container only.
make_bundle "$work/sysctl3" '["cat", "/proc/sys/kernel/shmmni"]' "config['linux']['sysctl'] = {'kernel.shmmni': '1234'}"
out=$(to run --bundle "$work/sysctl3" s3 2>&1); expect_status 0 $? "namespaced sysctl: $out"
[ "$out" = 1234 ] || fail "kernel.shmmni in the container is '$out'"
[ "$(cat /proc/sys/kernel/shmmni)" != 1234 ] || fail "kernel.shmmni leaked to the host"
pass "sysctls: host-global refused with the JSON path, namespaced ones stay inside"

# --- escape 3: foreign processes in linux.cgroupsPath ----------------------
controller=pids
[ -d /sys/fs/cgroup/pids ] || controller=""  # v2: one tree
victim_dir="/sys/fs/cgroup/${controller:+$controller/}tbvictim-$$"
mkdir "$victim_dir" || fail "cannot make the victim cgroup"
victim_cgroups="$victim_cgroups $victim_dir"
sleep 1000 & victim=$!; victims="$victims $victim"
echo "$victim" >"$victim_dir/cgroup.procs" || fail "cannot move the victim into its cgroup"
make_bundle "$work/cg" '["sleep", "100"]' "config['linux']['cgroupsPath'] = '/tbvictim-$$'"
to run --bundle "$work/cg" cg1 >/dev/null 2>"$work/err"; status=$?
[ "$status" != 0 ] || fail "a cgroup holding foreign processes was taken"
expect_contains "$work/err" "already holds processes" "populated cgroup refused"
to delete --force cg1 >/dev/null 2>&1
kill -0 "$victim" 2>/dev/null || fail "the victim process in the foreign cgroup was killed"
[ -d "$victim_dir" ] || fail "the foreign cgroup was removed"
for path in / //; do
    make_bundle "$work/cgroot" '["true"]' "config['linux']['cgroupsPath'] = '$path'"
    to run --bundle "$work/cgroot" cgroot >/dev/null 2>"$work/err"
    expect_contains "$work/err" "must not be the root cgroup" "cgroupsPath $path refused"
done
# An existing empty cgroup may be used, but is not the container's to empty or remove.
empty_dir="/sys/fs/cgroup/${controller:+$controller/}tbempty-$$"
mkdir "$empty_dir"; victim_cgroups="$victim_cgroups $empty_dir"
for dir in /sys/fs/cgroup/*/; do victim_cgroups="$victim_cgroups ${dir}tbempty-$$"; done
make_bundle "$work/cg2" '["sleep", "100"]' "config['linux']['cgroupsPath'] = '/tbempty-$$'"
to create --bundle "$work/cg2" cg2 >/dev/null 2>"$work/err"; expect_status 0 $? "create in an empty existing cgroup: $(cat "$work/err")"
sleep 1000 & late=$!; victims="$victims $late"
echo "$late" >"$empty_dir/cgroup.procs"
to kill --all cg2 KILL >/dev/null 2>&1
to delete --force cg2 >/dev/null 2>&1
kill -0 "$late" 2>/dev/null || fail "a process moved into the container's existing cgroup was killed"
[ -d "$empty_dir" ] || fail "a cgroup the runtime did not create was removed"
# A relative path goes under the runtime's parent.
make_bundle "$work/cg3" '["true"]' "config['linux']['cgroupsPath'] = 'rel-$$'"
to create --bundle "$work/cg3" cg3 >/dev/null 2>"$work/err"; expect_status 0 $? "relative cgroupsPath: $(cat "$work/err")"
[ -d "/sys/fs/cgroup/${controller:+$controller/}twinbox/rel-$$" ] || fail "relative cgroupsPath not under /twinbox"
to delete --force cg3 >/dev/null 2>&1
[ ! -d "/sys/fs/cgroup/${controller:+$controller/}twinbox/rel-$$" ] || fail "relative cgroup left behind"
pass "cgroupsPath: populated and root refused, foreign processes and cgroups survive, relative under /twinbox"

# --- docs/container.md: linux.devices are allowed, made with their mode and owner ----
make_bundle "$work/dev" '["stat", "-c", "%a %u %g %t:%T", "/dev/fuse"]' \
    "config['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 0o620, 'uid': 1000, 'gid': 5}]"
out=$(to run --bundle "$work/dev" dev1 2>&1); expect_status 0 $? "linux.devices: $out"
[ "$out" = "620 1000 5 a:e5" ] || fail "/dev/fuse is '$out', expected '620 1000 5 a:e5'"
pass "linux.devices: created under a deny-all device cgroup, with fileMode, uid and gid"

# --- escape 4: inheritable capabilities (CVE-2022-24769) --------------------
mkdir -p "$work/caps"
cp -L "$rootfs/bin/sh" "$work/caps/busybox"  # the static busybox (sh is one of its names)
setcap cap_dac_override=ei "$work/caps/busybox" || fail "setcap"
echo "root-only" >"$work/caps/secret"; chmod 600 "$work/caps/secret"
tb run --rootfs "$rootfs" -u 1000 -v "$work/caps:/caps" /caps/busybox cat /caps/secret \
    >"$work/out" 2>&1
grep -q "root-only" "$work/out" && fail "uid 1000 read a root-only file through a cap_dac_override=ei file"
tb run --rootfs "$rootfs" sh -c 'grep -E "^Cap(Inh|Amb)" /proc/self/status' >"$work/out"
expect_contains "$work/out" "CapInh:	0000000000000000" "inheritable set is empty"
pass "inheritable capabilities are empty: an =ei file gives nothing"

# --- escape 6: secrets readable by local users -------------------------------
id=$(tb run -d --rootfs "$rootfs" -e SECRET=hunter2 sleep 100); remember "$id"
for path in "$TWINBOX_ROOT/run/containers" "$TWINBOX_ROOT/run/containers/$id" \
            "$TWINBOX_ROOT/lib/containers" "$TWINBOX_ROOT/lib/containers/$id"; do
    [ "$(stat -c %a "$path")" = 700 ] || fail "$path is $(stat -c %a "$path"), not 700"
done
for path in "$TWINBOX_ROOT/run/containers/$id/config.json" "$TWINBOX_ROOT/run/containers/$id/state.json" \
            "$TWINBOX_ROOT/lib/containers/$id/container.log"; do
    [ "$(stat -c %a "$path")" = 600 ] || fail "$path is $(stat -c %a "$path"), not 600"
done
tb rm -f "$id" >/dev/null
tb images >/dev/null
[ "$(stat -c %a "$TWINBOX_ROOT/lib/images")" = 700 ] || fail "the image store is not 700"
pass "state, storage and the image store 0700, files 0600"

# --- D5: the caller's umask does not leak ------------------------------------
out=$(umask 077; tb run --rootfs "$rootfs" -u 1000 sh -c \
      'stat -c %a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty / | tr "\n" " "; umask; echo x >/dev/null && echo wrote' 2>&1)
expect_status 0 $? "run under umask 077: $out"
echo "$out" | grep -q "^666 666 666 666 666 666 755 0022" || fail "modes/umask under umask 077: $out"
echo "$out" | grep -q "wrote" || fail "a non-root workload cannot write /dev/null: $out"
pass "umask 077: device nodes 0666, root 0755, workload umask 0022"

# --- D1: a damaged state never kills a running container ---------------------
id=$(tb run -d --name damaged --rootfs "$rootfs" sleep 1000); remember "$id"
sleep 0.3
pid=$(grep -o '"pid": [0-9]*' "$TWINBOX_ROOT/run/containers/$id/state.json" | grep -o '[0-9]*$')
echo '{ not json' >"$TWINBOX_ROOT/run/containers/$id/state.json"
touch -d '2 minutes ago' "$TWINBOX_ROOT/run/containers/$id"
tb ps -a >/dev/null 2>"$work/err"
expect_contains "$work/err" "state of container $id is damaged" "ps reports the damaged state"
kill -0 "$pid" 2>/dev/null || fail "ps killed a running container whose state is damaged"
[ -d "$TWINBOX_ROOT/lib/containers/$id/upper" ] || fail "ps deleted the writable layer of a running container"
tb rm "$id" 2>"$work/err"; expect_status 125 $? "rm of a damaged container without -f"
expect_contains "$work/err" "damaged" "rm says damaged, not 'no such container'"
expect_one_line "$work/err" "rm of a damaged container"
kill -0 "$pid" 2>/dev/null || fail "rm without -f killed the container"
tb rm -f "$id" >/dev/null 2>&1; expect_status 0 $? "rm -f of a damaged container"
expect_no_trace "$id" "rm -f of a damaged container"
pass "damaged state: reported, nothing destroyed, rm -f removes it"

# A state naming another id: rm -f must remove this one, not print success for nothing.
id=$(tb run -d --rootfs "$rootfs" sleep 1000); remember "$id"
sed -i "s/\"id\": \"$id\"/\"id\": \"someoneelse\"/" "$TWINBOX_ROOT/run/containers/$id/state.json"
tb rm "$id" 2>"$work/err"; expect_status 125 $? "rm of a state naming another id"
expect_contains "$work/err" "damaged" "mismatched id reported as damaged"
tb rm -f "$id" >/dev/null 2>&1; expect_status 0 $? "rm -f of a mismatched state"
expect_no_trace "$id" "rm -f of a mismatched state"
pass "state naming another id: damaged, rm -f removes it"

# --- D2: a huge command line never hangs -------------------------------------
big=()
for i in $(seq 18); do big+=("$(head -c 60000 /dev/zero | tr '\0' a)"); done
timeout 60 "$twinbox" run --rootfs "$rootfs" true "${big[@]}" >/dev/null 2>"$work/err"; status=$?
[ "$status" != 124 ] || fail "run with a 1 MiB command line hung"
expect_status 0 "$status" "run with a 1 MiB command line: $(cat "$work/err")"
# Escaping makes control characters six times longer in JSON: past the state limit.
ctl=()
for i in $(seq 18); do ctl+=("$(head -c 60000 /dev/zero | tr '\0' '\001')"); done
timeout 60 "$twinbox" run --rootfs "$rootfs" true "${ctl[@]}" >/dev/null 2>"$work/err"; status=$?
[ "$status" != 124 ] || fail "run whose state exceeds the limit hung"
expect_status 125 "$status" "run whose state exceeds the limit"
expect_one_line "$work/err" "state size limit"
expect_contains "$work/err" "MiB allowed" "state size limit message"
pass "1 MiB command line runs; an oversized state is one clear line, no hang"

# --- D3: concurrent run --name is atomic -------------------------------------
runners=""
for i in $(seq 10); do
    tb run -d --name same --rootfs "$rootfs" sleep 100 >"$work/same.$i" 2>&1 &
    runners="$runners $!"
done
wait $runners
made=$(tb ps -a | awk '$2 == "same"' | wc -l)
[ "$made" = 1 ] || fail "$made containers named 'same' after 10 concurrent runs"
tb rm -f same >/dev/null
pass "10 concurrent run --name same: one container"

# --- unclear errors -----------------------------------------------------------
tb run --bogus --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "run --bogus"
expect_contains "$work/err" "unknown flag --bogus" "unknown flag named"
for value in nan inf 1e300 1000; do
    tb run --cpus "$value" --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "--cpus $value"
    expect_contains "$work/err" "--cpus" "--cpus $value named"
done
tb run --cpu-shares -1 --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "--cpu-shares -1"
tb run --pids-limit -5 --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "--pids-limit -5"
tb run --pids-limit 0 --rootfs "$rootfs" true; expect_status 0 $? "--pids-limit 0 (unlimited, as Docker)"
tb run --hostname -bad --rootfs "$rootfs" true 2>"$work/err"; expect_status 125 $? "--hostname -bad"
expect_contains "$work/err" "not a valid host name" "hostname checked"
long=name-that-is-much-longer-than-twenty-characters
id=$(tb run -d --name "$long" --rootfs "$rootfs" sleep 100); remember "$id"
tb ps | grep -q -- "$long   container" || fail "ps columns run together: $(tb ps)"
tb rm -f "$long" >/dev/null
pass "unknown flags, resource values and host names are refused clearly; ps columns stay apart"
