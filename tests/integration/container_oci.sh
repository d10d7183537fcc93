#!/bin/bash
# twinbox-oci as containerd's runc shim drives it: create (with --pid-file
# and --console-socket), start, state, kill, delete, exec --process, pause,
# the six hooks, and the lifecycle errors the OCI runtime spec demands.
# usage: container_oci.sh TWINBOX_OCI_BINARY ROOTFS_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/container_lib.sh"
container_setup "$1"
oci="$1"
rootfs="$2"
root="$work/oci-root"
tb() { timeout 30 "$oci" --root "$root" "$@"; }
twinbox=true  # container_teardown: nothing of `twinbox` to remove here
trap 'status=$?; for id in $(ls "$root" 2>/dev/null); do "$oci" --root "$root" delete --force "$id" >/dev/null 2>&1; done; container_teardown $status' EXIT

# make_bundle DIR ARGS_JSON [TERMINAL]: config.json from `twinbox-oci spec`, edited.
make_bundle() {
    local dir="$1" args="$2" terminal="${3:-false}"
    mkdir -p "$dir"
    (cd "$dir" && "$oci" spec) || fail "twinbox-oci spec"
    python3 - "$dir/config.json" "$rootfs" "$args" "$terminal" "$work" <<'PY'
import json, sys
path, rootfs, args, terminal, work = sys.argv[1:]
config = json.load(open(path))
config["root"] = {"path": rootfs, "readonly": True}
config["process"]["args"] = json.loads(args)
config["process"]["terminal"] = terminal == "true"
sh = lambda stage: {"path": "/bin/sh", "args": ["sh", "-c", f"cat > {work}/hook-{stage}.json"]}
config["hooks"] = {stage: [sh(stage)] for stage in ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]}
config["hooks"]["startContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null; echo startContainer-ran"]}]
json.dump(config, open(path, "w"), indent=2)
PY
}

# create -> created (program not yet running), start -> running, exit -> stopped.
# (The program lives 3 s so that it is surely still running at the checks
# right after start, even on a loaded machine; its exit is waited for below.)
make_bundle "$work/b1" '["sh", "-c", "echo hello-from-oci; sleep 3; exit 5"]'
tb create --bundle "$work/b1" --pid-file "$work/pid" c1 >"$work/out" 2>&1; expect_status 0 $? "create"
[ -s "$work/pid" ] || fail "create wrote no --pid-file"
tb state c1 >"$work/state"; expect_contains "$work/state" '"status": "created"' "state after create"
expect_contains "$work/state" "\"pid\": $(cat "$work/pid")" "state pid = pid file"
expect_contains "$work/state" "\"bundle\": \"$work/b1\"" "state bundle"
grep -q "hello-from-oci" "$work/out" && fail "the program ran before start"
for stage in prestart createRuntime createContainer; do
    [ -s "$work/hook-$stage.json" ] || fail "$stage hook did not run at create"
    expect_contains "$work/hook-$stage.json" '"id": "c1"' "$stage hook got the state on stdin"
done
[ -e "$work/hook-poststart.json" ] && fail "poststart hook ran before start"
tb start c1; expect_status 0 $? "start"
tb state c1 | grep -q '"status": "running"' || fail "state after start"
[ -s "$work/hook-poststart.json" ] || fail "poststart hook did not run"
tb start c1 2>"$work/err"; expect_status 1 $? "start of a running container"
expect_contains "$work/err" "running" "start error names the status"
tb delete c1 2>"$work/err"; expect_status 1 $? "delete of a running container without --force"
for _ in $(seq 300); do tb state c1 | grep -q '"status": "stopped"' && break; sleep 0.1; done
expect_contains "$work/out" "hello-from-oci" "program output"
expect_contains "$work/out" "startContainer-ran" "startContainer hook"
tb state c1 | grep -q '"status": "stopped"' || fail "state after exit"
tb kill c1 TERM 2>/dev/null; expect_status 1 $? "kill of a stopped container"
tb delete c1; expect_status 0 $? "delete"
[ -s "$work/hook-poststop.json" ] || fail "poststop hook did not run"
tb state c1 2>/dev/null; expect_status 1 $? "state of a deleted container"
expect_no_trace_oci() { [ ! -e "$root/$1" ] || fail "$2: state left"; for d in /sys/fs/cgroup/*/twinbox/$1; do [ ! -d "$d" ] || fail "$2: cgroup $d left"; done; }
expect_no_trace_oci c1 "delete"
pass "create/start/state/delete with all six hooks"

# kill with a name, --all, exec --process, ps --format json, pause/resume.
make_bundle "$work/b2" '["sh", "-c", "trap \"exit 9\" USR1; while true; do sleep 0.1; done"]'
tb create --bundle "$work/b2" c2 >/dev/null 2>&1 && tb start c2 || fail "create+start c2"
cat >"$work/process.json" <<'JSON'
{"terminal": false, "args": ["sh", "-c", "echo exec-pid=$$; cat /proc/1/cmdline | tr '\\0' ' '; exit 4"],
 "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
JSON
# `start` returns once PID 1 is released from exec.fifo, before its execve is
# done (runc's order too): until then /proc/1/cmdline is the runtime's or
# empty. So the exec is retried until PID 1 is the program (a few tries).
for _ in $(seq 20); do
    tb exec --process "$work/process.json" c2 >"$work/exec"; expect_status 4 $? "exec --process status"
    grep -q trap "$work/exec" && break
    sleep 0.1
done
expect_contains "$work/exec" "trap" "exec sees the container's PID 1"
grep -q "exec-pid=1$" "$work/exec" && fail "exec'd process is PID 1"
tb ps --format json c2 | python3 -c 'import json,sys; p=json.load(sys.stdin); assert len(p) >= 2, p' ||
    fail "ps --format json"
# A second container that joins c2's pid namespace by path sees c2's processes.
make_bundle "$work/b2join" '["sh", "-c", "cat /proc/1/cmdline | tr \"\\\\0\" \" \""]'
python3 - "$work/b2join/config.json" "/proc/$(tb state c2 | grep -o '"pid": [0-9]*' | grep -o '[0-9]*$')/ns/pid" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"] if ns["type"] != "pid"]
config["linux"]["namespaces"].append({"type": "pid", "path": sys.argv[2]})
config["hooks"] = {}
json.dump(config, open(sys.argv[1], "w"))
PY
tb run --bundle "$work/b2join" c2join >"$work/join.out" 2>&1; expect_status 0 $? "run in c2's pid namespace"
expect_contains "$work/join.out" "trap" "joined pid namespace: PID 1 is c2's shell"
# update (runc's flags, and --resources - as containerd's shim sends it), events --stats.
tb update --memory 32m --pids-limit 50 c2; expect_status 0 $? "update --memory --pids-limit"
[ "$(cat /sys/fs/cgroup/memory/twinbox/c2/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/twinbox/c2/memory.max)" = 33554432 ] ||
    fail "update did not set the memory limit"
echo '{"pids": {"limit": 0}, "memory": {"limit": 67108864, "reservation": 0}}' | tb update -r - c2
expect_status 0 $? "update --resources - (zeros mean unchanged)"
[ "$(cat /sys/fs/cgroup/pids/twinbox/c2/pids.max 2>/dev/null || cat /sys/fs/cgroup/twinbox/c2/pids.max)" = 50 ] ||
    fail "update --resources reset pids.max"
tb events --stats c2 >"$work/events"; expect_status 0 $? "events --stats"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["type"] == "stats" and e["data"]["memory"]["usage"]["limit"] == 67108864, e' "$work/events" ||
    fail "events --stats JSON"
# runc's entries under a shared --root are not ours.
mkdir -p "$root/runc-owned" && echo '{"id": "runc-owned", "init_process_pid": 1}' >"$root/runc-owned/state.json"
tb list -q | grep -q runc-owned && fail "list shows another runtime's container"
rm -rf "$root/runc-owned"
tb pause c2; expect_status 0 $? "pause"
tb state c2 | grep -q '"status": "paused"' || fail "state after pause"
tb resume c2; expect_status 0 $? "resume"
tb kill c2 SIGUSR1; expect_status 0 $? "kill by name"
sleep 0.5
tb state c2 | grep -q '"status": "stopped"' || fail "USR1 did not stop the container"
tb delete c2 >/dev/null
tb create --bundle "$work/b2" c3 >/dev/null 2>&1 && tb start c3 || fail "create+start c3"
tb kill --all c3 9; expect_status 0 $? "kill --all 9"
sleep 0.3
tb delete c3; expect_status 0 $? "delete after kill --all"
expect_no_trace_oci c3 "kill --all"
pass "exec --process, ps --format json, pause/resume, kill NAME, kill --all"

# An error of the first process after `create` has returned reaches its
# stderr: it holds no copy of the runtime's end of the sync socket, so its
# report is not swallowed by a socket nobody reads (docs/container.md).
mkdir -p "$work/progdir"
printf '#!/bin/sh\necho ran\n' >"$work/progdir/run"
chmod 0755 "$work/progdir/run"
make_bundle "$work/b9" '["/prog/run"]'
python3 - "$work/b9/config.json" "$work/progdir" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["mounts"].append({"destination": "/prog", "type": "bind", "source": sys.argv[2], "options": ["rbind", "ro"]})
config["hooks"] = {}
json.dump(config, open(sys.argv[1], "w"))
PY
tb create --bundle "$work/b9" c9 >"$work/c9.out" 2>&1 || fail "create c9"
chmod 0644 "$work/progdir/run"
tb start c9; expect_status 0 $? "start c9"
for _ in $(seq 50); do grep -q "not executable" "$work/c9.out" && break; sleep 0.1; done
expect_contains "$work/c9.out" "not executable" "error after create reaches the container's stderr"
tb delete --force c9 >/dev/null 2>&1
pass "an error after create is reported, not lost"

# delete of a created container kills it; delete --force of a running one.
tb create --bundle "$work/b2" c4 >/dev/null 2>&1 || fail "create c4"
tb delete c4; expect_status 0 $? "delete of a created container"
tb create --bundle "$work/b2" c5 >/dev/null 2>&1 && tb start c5 || fail "create+start c5"
tb delete --force c5; expect_status 0 $? "delete --force"
expect_no_trace_oci c4 "delete created"; expect_no_trace_oci c5 "delete --force"
pass "delete of created and (forced) running containers"

# --console-socket: the pty master arrives as one SCM_RIGHTS descriptor.
make_bundle "$work/b3" '["sh", "-c", "tty; echo hello-tty"]' true
python3 - "$work/console.sock" >"$work/console.out" <<'PY' &
import array, os, socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1]); server.listen(1); server.settimeout(20)
connection, _ = server.accept()
fds = array.array("i")
message, ancillary, flags, address = connection.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
for level, kind, data in ancillary:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
master = fds[0]
output = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    output += chunk
sys.stdout.write(output.decode(errors="replace"))
PY
reader=$!
for i in $(seq 50); do [ -S "$work/console.sock" ] && break; sleep 0.1; done
tb create --bundle "$work/b3" --console-socket "$work/console.sock" c6 >/dev/null 2>&1; expect_status 0 $? "create with --console-socket"
tb start c6; expect_status 0 $? "start with a terminal"
wait $reader
expect_contains "$work/console.out" "/dev/pts/0" "the program's terminal"
expect_contains "$work/console.out" "hello-tty" "output through the pty master"
tb delete c6 >/dev/null
pass "console socket: pty master passed with SCM_RIGHTS"

# Bad input: exit 1, one line (also as JSON in --log), nothing left behind.
bad() {
    local what="$1" text="$2"; shift 2
    rm -f "$work/log.json"
    timeout 30 "$oci" --root "$root" --log "$work/log.json" --log-format json "$@" >/dev/null 2>"$work/err"
    expect_status 1 $? "$what"
    expect_one_line "$work/err" "$what"
    expect_contains "$work/err" "$text" "$what"
    python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/log.json" || fail "$what: --log is not JSON lines"
    expect_contains "$work/log.json" '"level":"error"' "$what: JSON log"
}
mkdir -p "$work/bad"
echo '{not json' >"$work/bad/config.json"
bad "config not JSON" "config.json" create --bundle "$work/bad" x1
make_bundle "$work/bad2" '["true"]'
python3 - "$work/bad2/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1])); config["linux"]["namespaces"].append({"type": "bogus"})
json.dump(config, open(sys.argv[1], "w"))
PY
bad "unknown namespace" "bogus" create --bundle "$work/bad2" x2
make_bundle "$work/bad3" '["true"]'
sed -i "s|\"path\": \"$rootfs\"|\"path\": \"/nonexistent/rootfs\"|" "$work/bad3/config.json"
bad "missing rootfs" "/nonexistent/rootfs" create --bundle "$work/bad3" x3
make_bundle "$work/bad4" '["/no/such/program"]'
bad "program not found" "/no/such/program" create --bundle "$work/bad4" x4
bad "bad id" "invalid container id" create --bundle "$work/b2" "../evil"
tb create --bundle "$work/b2" dup >/dev/null 2>&1 || fail "create dup"
bad "duplicate id" "already exists" create --bundle "$work/b2" dup
tb delete dup >/dev/null
bad "systemd cgroup" "systemd" --systemd-cgroup create --bundle "$work/b2" x5
bad "unknown signal" "signal" kill nonexistent SIGFOO
bad "start of a missing container" "does not exist" start nothing
# edit_bundle DIR PYTHON: changes config.json with a Python statement on `config`.
edit_bundle() {
    python3 - "$1/config.json" "$2" <<'PY'
import json, sys
config = json.load(open(sys.argv[1])); exec(sys.argv[2])
json.dump(config, open(sys.argv[1], "w"))
PY
}
# Every fallible step of the first process happens before create returns
# (docs/container.md): an impossible rlimit fails `create`, not the program's start.
make_bundle "$work/bad6" '["true"]'
edit_bundle "$work/bad6" 'config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 2**40, "soft": 1024}]'
bad "rlimit above fs.nr_open" "RLIMIT_NOFILE" create --bundle "$work/bad6" x6
# Limits the host cannot apply are refused with one line, never ignored.
if [ ! -d /sys/fs/cgroup/hugetlb ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
    make_bundle "$work/bad7" '["true"]'
    edit_bundle "$work/bad7" 'config["linux"].setdefault("resources", {})["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4194304}]'
    bad "hugepageLimits without hugetlb" "no v1 hugetlb controller" create --bundle "$work/bad7" x7
fi
if [ -d /sys/fs/cgroup/blkio ] && [ ! -e /sys/fs/cgroup/blkio/blkio.weight ]; then
    make_bundle "$work/bad8" '["true"]'
    edit_bundle "$work/bad8" 'config["linux"].setdefault("resources", {})["blockIO"] = {"weight": 500}'
    bad "blkio weight without weight files" "has no blkio.weight file" create --bundle "$work/bad8" x8
fi
bad "unknown command" "unknown command 'checkpoint'" checkpoint x9
left=$(ls "$root" 2>/dev/null | grep -c . || true)
[ "$left" = 0 ] || fail "bad input left $left state entries: $(ls "$root")"
for id in x1 x2 x3 x4 x5 x6 x7 x8; do expect_no_trace_oci "$id" "bad input"; done
pass "bad input: exit 1, one line, JSON log, nothing left"

# --- linux.rootfsPropagation shared and unbindable (docs/container.md): applied to the
# new root after pivot_root, which refuses a shared root before it
for propagation in shared rshared unbindable runbindable; do
    # the optional fields of the root's line in mountinfo (proc(5)): "shared:N", "unbindable"
    make_bundle "$work/p-$propagation" '["sh", "-c", "while read -r a b c d mp rest; do [ \"$mp\" = / ] && echo \"$rest\"; done </proc/self/mountinfo; true"]'
    python3 - "$work/p-$propagation/config.json" "$propagation" <<'PY'
import json, sys
config = json.load(open(sys.argv[1])); config["linux"]["rootfsPropagation"] = sys.argv[2]
config["hooks"] = {}
json.dump(config, open(sys.argv[1], "w"))
PY
    tb run --bundle "$work/p-$propagation" "p-$propagation" >"$work/out" 2>&1
    expect_status 0 $? "rootfsPropagation $propagation"
    case $propagation in *shared) want="shared:" ;; *) want="unbindable" ;; esac
    expect_contains "$work/out" "$want" "rootfsPropagation $propagation: / is $want"
done
pass "rootfsPropagation shared, rshared, unbindable, runbindable"

# --- no mount namespace: the host's is shared, nothing is mounted in it,
# the process is chrooted into its root
host_mounts=$(wc -l </proc/self/mountinfo)
host_propagation=$(findmnt -no PROPAGATION /)
make_bundle "$work/nomnt" "[\"sh\", \"-c\", \"test -x /bin/busybox && test ! -e $work && echo nomnt-ok\"]"
python3 - "$work/nomnt/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "mount"]
config["linux"]["maskedPaths"] = []
config["linux"]["readonlyPaths"] = []
config["root"]["readonly"] = False
config["hooks"] = {}
json.dump(config, open(sys.argv[1], "w"))
PY
tb run --bundle "$work/nomnt" nomnt >"$work/out" 2>&1
expect_status 0 $? "config without a mount namespace"
expect_contains "$work/out" "nomnt-ok" "no mount namespace: chrooted into the root"
[ "$(wc -l </proc/self/mountinfo)" = "$host_mounts" ] || fail "no mount namespace: the host's mount table changed"
[ "$(findmnt -no PROPAGATION /)" = "$host_propagation" ] || fail "no mount namespace: the host's / propagation changed"
pass "config without a mount namespace runs chrooted and mounts nothing on the host"
