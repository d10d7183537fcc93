#!/bin/bash
# Docker drives twinbox-oci exactly as it drives runc (docs/container.md): this test
# starts its own containerd and dockerd (private roots, sockets, exec-root,
# no bridge, no iptables), imports the built-in busybox root as an image,
# runs one battery of `docker` commands with --runtime runc and with
# --runtime twinbox, and requires the same outcome from both. On exit it
# stops both daemons by PID and checks that no process, mount, cgroup or
# file of theirs is left.
# usage: docker_runtime.sh TWINBOX_OCI_BINARY ROOTFS_DIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
. "$here/daemons_lib.sh"
daemons_begin docker "$1" "$2"
daemons_start_containerd
daemons_start_dockerd "$oci"

# The image: the guest's busybox root plus two files the battery needs.
image_dir="$work/image"
cp -a "$rootfs" "$image_dir"
printf 'not a program\n' >"$image_dir/not-executable"
chmod 0644 "$image_dir/not-executable"
mkdir -p "$image_dir/tmp" && chmod 1777 "$image_dir/tmp"
tar -C "$image_dir" -c . | dk import - twinbox-busybox:test >/dev/null || fail "docker import"
IMG=twinbox-busybox:test

# contains TEXT WORD: prints yes or no.
contains() { case "$1" in *"$2"*) echo yes ;; *) echo no ;; esac; }
# wait_for_log ID TEXT: up to 10 s.
wait_for_log() {
    for _ in $(seq 100); do
        dk logs "$1" 2>&1 | grep -q "$2" && return 0
        sleep 0.1
    done
    return 1
}

battery() {
    local rt="$1" out id status
    local run=(dk run --rm --runtime "$rt" --network none)
    local detached=(dk run -d --runtime "$rt" --network none)

    out=$("${run[@]}" $IMG echo hi 2>&1)
    check "$rt" echo "$out" hi
    "${run[@]}" $IMG sh -c 'exit 42' >/dev/null 2>&1
    check "$rt" "exit 42" $? 42
    "${run[@]}" $IMG no-such-program >/dev/null 2>&1
    check "$rt" "exit 127 (not found)" $? 127
    "${run[@]}" $IMG /not-executable >/dev/null 2>&1
    check "$rt" "exit 126 (not executable)" $? 126
    out=$("${run[@]}" -e FOO=bar $IMG sh -c 'echo $FOO' 2>&1)
    check "$rt" "-e" "$out" bar
    out=$("${run[@]}" -w /tmp/work $IMG pwd 2>&1)
    check "$rt" "-w" "$out" /tmp/work
    out=$("${run[@]}" --user 1000:1000 $IMG sh -c 'echo $(id -u):$(id -g)' 2>&1)
    check "$rt" "--user" "$out" 1000:1000

    # A detached container: logs, exec, top, pause, stop with TERM ignored, restart.
    id=$("${detached[@]}" $IMG sh -c 'trap "" TERM; echo started; while true; do sleep 1; done')
    wait_for_log "$id" started
    check "$rt" "-d logs" "$(dk logs "$id" 2>&1)" started
    out=$(dk exec "$id" echo in-exec 2>&1)
    check "$rt" exec "$out" in-exec
    out=$(dk exec -e X=1 -w /tmp -u 1000 "$id" sh -c 'echo $X $(pwd) $(id -u)' 2>&1)
    check "$rt" "exec -e -w -u" "$out" "1 /tmp 1000"
    dk exec "$id" sh -c 'exit 3' >/dev/null 2>&1
    check "$rt" "exec exit status" $? 3
    out=$(dk top "$id" 2>&1)
    check "$rt" "top" "$(contains "$out" "while true")" yes
    dk pause "$id" >/dev/null
    check "$rt" pause "$(dk inspect -f '{{.State.Status}}' "$id")" paused
    dk unpause "$id" >/dev/null
    check "$rt" unpause "$(dk inspect -f '{{.State.Status}}' "$id")" running
    dk stop -t 1 "$id" >/dev/null
    check "$rt" "stop (TERM ignored)" "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 137"
    dk restart -t 1 "$id" >/dev/null
    check "$rt" restart "$(dk inspect -f '{{.State.Status}} {{.RestartCount}}' "$id")" "running 0"
    dk rm -f "$id" >/dev/null

    id=$("${detached[@]}" $IMG sh -c 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 1; done')
    wait_for_log "$id" ready
    dk kill -s USR1 "$id" >/dev/null
    wait_for_log "$id" got-usr1
    check "$rt" "kill -s USR1" $? 0
    dk rm -f "$id" >/dev/null

    # Terminals: -it through a pty, -t alone, -i with a pipe.
    out=$(timeout 60 python3 "$here/pty_drive.py" --timeout 30 --expect '#' \
        --send 'echo pty-$((6*7))' --expect 'pty-42' --send 'exit 7' -- \
        "$docker" -H "unix://$work/docker.sock" run -it --rm --runtime "$rt" --network none $IMG sh 2>&1)
    check "$rt" "-it (exit 7 typed)" $? 7
    out=$(timeout 30 "$docker" -H "unix://$work/docker.sock" run -t --rm --runtime "$rt" --network none $IMG tty </dev/null 2>&1)
    check "$rt" "-t" "$(contains "$out" /dev/pts/)" yes
    out=$(echo piped | "${run[@]}" -i $IMG cat 2>&1)
    check "$rt" "-i piped stdin" "$out" piped

    # Resources.
    "${run[@]}" --name "oom-$rt" --memory 16m --memory-swap 16m $IMG \
        sh -c 'x=aaaaaaaa; while true; do x=$x$x; done' >/dev/null 2>&1
    check "$rt" "--memory 16m OOM" $? 137
    "${detached[@]}" --name "oom2-$rt" --memory 16m --memory-swap 16m $IMG \
        sh -c 'x=aaaaaaaa; while true; do x=$x$x; done' >/dev/null 2>&1
    dk wait "oom2-$rt" >/dev/null 2>&1
    check "$rt" "OOMKilled" "$(dk inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "oom2-$rt")" "137 true"
    dk rm -f "oom2-$rt" >/dev/null
    out=$("${run[@]}" --pids-limit 10 $IMG cat /sys/fs/cgroup/pids/pids.max 2>&1)
    check "$rt" "--pids-limit" "$out" 10
    "${run[@]}" --read-only $IMG touch /file >/dev/null 2>&1
    check "$rt" "--read-only" $? 1
    out=$("${run[@]}" --cap-drop ALL $IMG grep CapEff /proc/self/status 2>&1)
    check "$rt" "--cap-drop ALL" "$out" "$(printf 'CapEff:\t0000000000000000')"
    out=$("${run[@]}" --cpuset-cpus 0 $IMG grep Cpus_allowed_list /proc/self/status 2>&1)
    check "$rt" "--cpuset-cpus 0" "$out" "$(printf 'Cpus_allowed_list:\t0')"
    out=$("${run[@]}" $IMG cat /sys/fs/cgroup/cpu/cpu.shares 2>&1)
    check "$rt" "default cpu.shares" "$out" 1024

    id=$("${detached[@]}" $IMG sleep 1000)
    dk update --memory 64m --memory-swap 128m "$id" >/dev/null 2>&1
    check "$rt" "update --memory" $? 0
    out=$(dk exec "$id" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)
    check "$rt" "update --memory applied" "$out" 67108864
    echo "copied-in" >"$work/cp-in"
    dk cp "$work/cp-in" "$id:/tmp/cp-in" >/dev/null 2>&1
    check "$rt" "cp in" "$(dk exec "$id" cat /tmp/cp-in 2>&1)" copied-in
    dk exec "$id" sh -c 'echo copied-out >/tmp/cp-out'
    dk cp "$id:/tmp/cp-out" "$work/cp-out-$rt" >/dev/null 2>&1
    check "$rt" "cp out" "$(cat "$work/cp-out-$rt" 2>&1)" copied-out
    dk rm -f "$id" >/dev/null

    if [ -x /usr/bin/docker-init ] || [ -x /usr/sbin/docker-init ]; then
        out=$("${run[@]}" --init $IMG cat /proc/1/comm 2>&1)
        check "$rt" "--init" "$out" docker-init
    else
        echo "skip: [$rt] --init: docker.io ships no docker-init here"
    fi

    local ids=()
    for i in $(seq 20); do
        ids+=("$("${detached[@]}" --name "many-$rt-$i" $IMG sleep 1000)")
    done
    check "$rt" "20 containers running" "$(dk ps -q --filter name="many-$rt-" | wc -l)" 20
    dk rm -f "${ids[@]}" >/dev/null
    check "$rt" "20 containers removed" "$(dk ps -aq --filter name="many-$rt-" | wc -l)" 0
}

battery runc
battery twinbox
daemons_verdict "docker battery"
