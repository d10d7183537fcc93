# Helpers for the container integration tests (sourced after lib.sh).
# Each test gets a private TWINBOX_ROOT, and on exit - pass or fail - removes
# every container it made and checks that no cgroup, mount or state is left.

# container_setup TWINBOX_BINARY: needs root and cgroups; exits 77 (skip) otherwise.
container_setup() {
    twinbox="$1"
    if [ "$(id -u)" != 0 ]; then
        echo "skip: container tests need root (namespaces, cgroups, mounts)"
        exit 77
    fi
    [ -d /sys/fs/cgroup ] || { echo "skip: no /sys/fs/cgroup"; exit 77; }
    work="$(mktemp -d /tmp/twinbox-ctr-test.XXXXXX)"
    export TWINBOX_ROOT="$work/root"
    trap container_teardown EXIT
}

# Removes every container under our TWINBOX_ROOT, then fails the test if
# anything of them survived.
container_teardown() {
    local status=$?
    [ $# -gt 0 ] && status=$1
    local ids
    ids=$(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null || true)
    for id in $ids; do
        "$twinbox" rm -f "$id" >/dev/null 2>&1 || true
    done
    for id in $ids $created_ids; do
        for dir in /sys/fs/cgroup/*/twinbox/"$id" /sys/fs/cgroup/twinbox/"$id"; do
            if [ -d "$dir" ]; then
                echo "FAIL: cgroup $dir left behind" >&2
                rmdir "$dir" 2>/dev/null || true
                status=1
            fi
        done
    done
    if grep -q "$work" /proc/self/mountinfo; then
        echo "FAIL: mounts left behind under $work:" >&2
        grep "$work" /proc/self/mountinfo >&2
        grep "$work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
        status=1
    fi
    rm -rf "$work"
    exit $status
}

# Remembers a container id so teardown checks its cgroup is gone.
created_ids=""
remember() { created_ids="$created_ids $1"; }

# expect_no_trace ID WHAT: no state, storage or cgroup of container ID remain.
expect_no_trace() {
    local id="$1" what="$2"
    [ ! -e "$TWINBOX_ROOT/run/containers/$id" ] || fail "$what: state of $id left behind"
    [ ! -e "$TWINBOX_ROOT/lib/containers/$id" ] || fail "$what: storage of $id left behind"
    for dir in /sys/fs/cgroup/*/twinbox/"$id" /sys/fs/cgroup/twinbox/"$id"; do
        [ ! -d "$dir" ] || fail "$what: cgroup $dir left behind"
    done
}
