#!/bin/bash
# containerd drives twinbox-oci exactly as it drives runc (docs/container.md): a
# private containerd (its own root, state and socket), then one battery of
# `ctr` commands with --runc-binary runc and with --runc-binary twinbox-oci,
# which must give the same outcome: run --rm, exit statuses, -t, a detached
# task with ps, exec, pause/resume, metrics, kill and delete. On exit it
# stops containerd by PID and checks that nothing of it is left.
# usage: containerd_runtime.sh TWINBOX_OCI_BINARY ROOTFS_DIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
. "$here/daemons_lib.sh"
daemons_begin containerd "$1" "$2"
runc_bin=$(command -v runc) || { echo "skip: runc is not installed"; exit 77; }
daemons_start_containerd
namespace="$cgroup_parent"

c() { timeout 60 "$ctr_bin" --address "$work/containerd.sock" --namespace "$namespace" "$@"; }

battery() {
    local rt="$1" binary="$2" out status
    # Each runtime gets its own copy of the root (the containers may write to it).
    local root="$work/rootfs-$rt"
    cp -a "$rootfs" "$root"
    # A root without an image has no config: PATH must be given (runc does
    # not look programs up without it).
    local flags=(--rootfs --runc-binary "$binary" --runc-root "$work/state-$rt"
        --env PATH=/usr/sbin:/usr/bin:/sbin:/bin --env FOO=bar)
    run() { local id="$1"; shift; c run --rm "${flags[@]}" --cgroup "/$cgroup_parent/$id" "$root" "$id" "$@"; }

    out=$(run "$rt-echo" echo hi 2>&1)
    check "$rt" "run --rm echo" "$out" hi
    run "$rt-exit" sh -c 'exit 42' >/dev/null 2>&1
    check "$rt" "exit 42" $? 42
    run "$rt-missing" no-such-program >/dev/null 2>&1
    record "$rt" "missing program status" $?
    c container delete "$rt-missing" >/dev/null 2>&1
    out=$(run "$rt-env" sh -c 'echo $FOO' 2>&1)
    check "$rt" "--env" "$out" bar

    out=$(timeout 60 python3 "$here/pty_drive.py" --timeout 30 --expect '#' \
        --send 'echo pty-$((6*7))' --expect 'pty-42' --send 'exit 7' -- \
        "$ctr_bin" --address "$work/containerd.sock" --namespace "$namespace" run -t --rm \
        "${flags[@]}" --cgroup "/$cgroup_parent/$rt-tty" "$root" "$rt-tty" sh 2>&1)
    check "$rt" "-t (exit 7 typed)" $? 7

    local id="$rt-task"
    c run -d "${flags[@]}" --cgroup "/$cgroup_parent/$id" "$root" "$id" \
        sh -c 'while true; do sleep 1; done' >/dev/null 2>&1
    check "$rt" "run -d" $? 0
    local pid
    pid=$(c task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $2}')
    check "$rt" "task ps lists the task" "$(c task ps "$id" 2>/dev/null | awk '{print $1}' | grep -cx "$pid")" 1
    out=$(c task exec --exec-id e1 "$id" echo in-exec 2>&1)
    check "$rt" "task exec" "$out" in-exec
    c task exec --exec-id e2 "$id" sh -c 'exit 3' >/dev/null 2>&1
    check "$rt" "task exec status" $? 3
    c task pause "$id" >/dev/null 2>&1
    check "$rt" "task pause" "$(c task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')" PAUSED
    c task resume "$id" >/dev/null 2>&1
    check "$rt" "task resume" "$(c task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')" RUNNING
    out=$(c task metrics "$id" 2>&1)
    check "$rt" "task metrics" "$(case "$out" in *memory*) echo yes ;; *) echo "$out" ;; esac)" yes
    c task kill -s KILL "$id" >/dev/null 2>&1
    check "$rt" "task kill" $? 0
    for _ in $(seq 50); do
        [ "$(c task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')" = STOPPED ] && break
        sleep 0.1
    done
    check "$rt" "stopped after kill" "$(c task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')" STOPPED
    c task delete "$id" >/dev/null 2>&1
    check "$rt" "task delete" $? 0
    c container delete "$id" >/dev/null 2>&1
    check "$rt" "container delete" $? 0
    check "$rt" "nothing left in ctr" "$(c container ls -q 2>/dev/null | grep -c .)" 0
}

battery runc "$runc_bin"
battery twinbox "$oci"
daemons_verdict "containerd battery"
