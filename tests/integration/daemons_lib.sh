# Private containerd and dockerd for the client tests (sourced after lib.sh).
# Everything lives under one temp dir: roots, state, sockets, exec-root,
# logs. Daemons are started without a bridge or iptables rules (the host's
# network and firewall are never touched) and stopped by PID; teardown
# removes what they leave and fails the test if a process, mount or
# container cgroup survived.

# daemons_require docker|containerd: root and Debian's packages, or skip (77).
daemons_require() {
    if [ "$(id -u)" != 0 ]; then
        echo "skip: $1 needs root (namespaces, cgroups, mounts)"
        exit 77
    fi
    for package in containerd $([ "$1" = docker ] && echo docker.io); do
        dpkg -s "$package" >/dev/null 2>&1 || {
            echo "skip: Debian's $package is not installed (scripts/install-deps.sh installs it)"
            exit 77
        }
    done
    containerd_bin=$(dpkg -L containerd | grep 'bin/containerd$' | head -1)
    ctr_bin=$(dpkg -L containerd | grep 'bin/ctr$' | head -1)
    if [ "$1" = docker ]; then
        # The image may have a newer Docker client earlier on PATH: use the package's own.
        docker=$(dpkg -L docker.io | grep 'bin/docker$' | head -1)
        dockerd_bin=$(dpkg -L docker.io | grep 'bin/dockerd$' | head -1)
    fi
}

# Host paths the daemons create by themselves; teardown removes those that
# did not exist before.
daemons_host_paths="/run/containerd /run/docker /etc/docker/key.json /var/lib/docker /var/lib/containerd"

daemons_setup() {
    work="$(mktemp -d "/tmp/twinbox-$1.XXXXXX")"
    daemons_existing=""
    for path in $daemons_host_paths; do
        [ -e "$path" ] && daemons_existing="$daemons_existing $path"
    done
    # Our containers' cgroups go under this parent, in every hierarchy
    # (dockerd --cgroup-parent; the containerd namespace for ctr).
    cgroup_parent="$(basename "$work")"
    containerd_pid=""
    dockerd_pid=""
}

daemons_start_containerd() {
    cat >"$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
    "$containerd_bin" --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 &
    containerd_pid=$!
    for _ in $(seq 200); do
        "$ctr_bin" --address "$work/containerd.sock" version >/dev/null 2>&1 && return 0
        kill -0 "$containerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "$work/containerd.log"
    fail "containerd did not start"
}

# dk ARGS: Debian's docker client against our dockerd.
dk() { timeout 120 "$docker" -H "unix://$work/docker.sock" "$@"; }

daemons_start_dockerd() {
    export DOCKER_CONFIG="$work/client"  # the client's files stay in our temp dir
    echo '{}' >"$work/daemon.json"
    "$dockerd_bin" --config-file "$work/daemon.json" --iptables=false --ip6tables=false \
        --bridge=none --data-root "$work/docker" --exec-root "$work/docker-exec" \
        -H "unix://$work/docker.sock" --containerd "$work/containerd.sock" \
        --pidfile "$work/dockerd.pid" --cgroup-parent "/$cgroup_parent" --add-runtime "twinbox=$1" >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 300); do
        dk version >/dev/null 2>&1 && return 0
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "$work/dockerd.log"
    fail "dockerd did not start"
}

# stop_by_pid PID NAME: TERM, up to 30 s, then KILL.
stop_by_pid() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1"
    for _ in $(seq 300); do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
        sleep 0.1
    done
    echo "FAIL: $2 ($1) ignored SIGTERM for 30 s; killing it" >&2
    kill -KILL "$1"
    wait "$1" 2>/dev/null
    return 1
}

# Processes that name our temp dir (shims carry "-address $work/containerd.sock").
our_processes() {
    local pid
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$pid" = $$ ] && continue
        tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$work" && echo "$pid"
    done
}

daemons_teardown() {
    local status=$1 leftover
    trap - EXIT
    if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
        leftover=$(dk ps -aq 2>/dev/null)
        [ -n "$leftover" ] && dk rm -f $leftover >/dev/null 2>&1
    fi
    stop_by_pid "$dockerd_pid" dockerd || status=1
    stop_by_pid "$containerd_pid" containerd || status=1
    sleep 0.5
    leftover=$(our_processes)
    if [ -n "$leftover" ]; then
        echo "FAIL: processes left behind:" >&2
        for pid in $leftover; do tr '\0' ' ' <"/proc/$pid/cmdline" >&2; echo >&2; done
        kill -KILL $leftover 2>/dev/null
        status=1
    fi
    # Daemon-level mounts (overlay2, netns, shm) stay after a daemon stops:
    # remove them. A container's own mount would be under them too.
    grep -F "$work" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r mount; do
        umount -R "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null
    done
    if grep -qF "$work" /proc/self/mountinfo; then
        echo "FAIL: mounts under $work could not be removed" >&2
        status=1
    fi
    # The parent cgroup is the daemons' own and may stay, empty; a
    # container's cgroup below it must be gone.
    for dir in /sys/fs/cgroup/*/"$cgroup_parent" /sys/fs/cgroup/"$cgroup_parent"; do
        [ -d "$dir" ] || continue
        for child in $(find "$dir" -mindepth 1 -type d 2>/dev/null | sort -r); do
            echo "FAIL: container cgroup $child left behind" >&2
            rmdir "$child" 2>/dev/null
            status=1
        done
        rmdir "$dir" 2>/dev/null || { echo "FAIL: cannot remove cgroup $dir" >&2; status=1; }
    done
    # What the daemons made on the host by themselves: files go; directories
    # go only while empty (another daemon on this host may use them).
    for path in $daemons_host_paths; do
        case " $daemons_existing " in *" $path "*) continue ;; esac
        if [ -d "$path" ]; then
            find "$path" -depth -type d -empty -delete 2>/dev/null
        else
            rm -f "$path"
        fi
    done
    rm -rf "$work"
    [ "$status" = 0 ] && echo "ok: daemons stopped; no process, mount or cgroup left behind"
    exit "$status"
}

# daemons_begin docker|containerd TWINBOX_OCI ROOTFS: the common start of a
# client test: skip without root, packages or root file system; set up the
# temp dir, the teardown and the outcome files.
daemons_begin() {
    oci="$(realpath "$2")"
    rootfs="$3"
    daemons_require "$1"
    [ -x "$rootfs/bin/busybox" ] || {
        echo "skip: no guest root file system at $rootfs (build guest-rootfs)"
        exit 77
    }
    daemons_setup "$1"
    trap 'daemons_teardown $?' EXIT
    failures="$work/failures"
    : >"$failures"
}

# check RUNTIME NAME GOT WANT: records the outcome; a mismatch is a failure.
check() {
    echo "$2: $3" >>"$work/outcome-$1"
    if [ "$3" = "$4" ]; then
        echo "ok: [$1] $2"
    else
        echo "FAIL: [$1] $2: got '$3', expected '$4'" | tee -a "$failures" >&2
    fi
}

# record RUNTIME NAME GOT: an outcome that only has to match runc's.
record() { echo "$2: $3" >>"$work/outcome-$1"; echo "ok: [$1] $2 = $3"; }

# daemons_verdict WHAT: twinbox's outcomes must equal runc's, with no failure.
daemons_verdict() {
    if ! diff -u "$work/outcome-runc" "$work/outcome-twinbox"; then
        echo "FAIL: twinbox-oci's outcome differs from runc's (diff above)" | tee -a "$failures" >&2
    fi
    [ -s "$failures" ] && fail "$(wc -l <"$failures") check(s) failed"
    pass "$1: twinbox-oci and runc agree on $(wc -l <"$work/outcome-runc") checks"
}
