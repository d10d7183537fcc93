#!/bin/bash
# Runs every command of one lab page (docs/labs/*.md), so the labs never rot.
#
# A lab's commands are its ```sh code blocks; ```text blocks show output and
# are not run. The blocks run in order in one bash (so a variable set in one
# block is there in the next), with `set -euo pipefail`: a command that must
# fail is written `cmd || echo "exit status: $?"` in the lab itself.
# The working directory is a fresh temporary one holding `build` (the build
# directory) and `guest` (the sources' guest/), as in a checkout, and
# `twinbox` is on PATH.
#
# usage: lab.sh LAB.md TWINBOX_BINARY BUILD_DIR [--kvm]
#   --kvm  the lab boots VMs: run it through with-kvm.sh (the test host VM
#          where /dev/kvm is PVM); its working directory is shared writable.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
lab="$(realpath "$1")"
twinbox="$(realpath "$2")"
build="$(realpath "$3")"
mode="${4:-}"
source_dir="$(cd "$here/../.." && pwd)"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the labs run containers and VMs, which need root"
    exit 77
fi

if [ "${LAB_INNER:-}" = 1 ]; then
    # Inside (the test host, or here): set up and run the blocks.
    cd "$LAB_WORKDIR"
    mkdir -p bin
    ln -sf "$twinbox" bin/twinbox
    export PATH="$LAB_WORKDIR/bin:$PATH"
    # twinbox's state on a tmpfs: the working directory may be a 9p share
    # (inside the test host), which cannot hold a container's overlay.
    TWINBOX_ROOT="$(mktemp -d -p /dev/shm twinbox-lab-state.XXXXXX)"
    export TWINBOX_ROOT
    script="$LAB_WORKDIR/lab-commands.sh"
    {
        echo 'set -euo pipefail'
        awk -v name="$(basename "$lab")" '
            /^```sh[ \t]*$/ { inside = 1; block++; printf "echo \"### %s block %d\"\n", name, block; next }
            /^```/ && inside { inside = 0; next }
            inside { print }
        ' "$lab"
        echo 'echo "### all blocks ran"'
    } >"$script"
    # In a network namespace of its own, so that a lab's networks (lab 7's
    # bridge, taps, veths, the metadata address) never touch the machine's.
    # Drivers load only from the initial namespace (and the test host does
    # not autoload them): load the ones twinbox's networks use first.
    for module in tun bridge veth nf_tables nft_chain_nat nft_masq nft_nat nft_fib_ipv4 nft_ct; do
        modprobe "$module" 2>/dev/null || true
    done
    status=0
    unshare -n bash -c 'ip link set lo up && exec bash "$1"' lab "$script" || status=$?
    # A lab that failed half-way may leave a container running: remove them all.
    "$twinbox" ps -a -q 2>/dev/null | xargs -r "$twinbox" rm -f >/dev/null 2>&1
    # and lab 7's metadata server (stopped by its pid; it is idle now).
    "$twinbox" cloud imds --stop --force >/dev/null 2>&1 || true
    rm -rf "$TWINBOX_ROOT"
    exit "$status"
fi

workdir="$(mktemp -d /tmp/twinbox-lab.XXXXXX)"
trap 'rm -rf "$workdir"' EXIT
ln -s "$build" "$workdir/build"
ln -s "$source_dir/guest" "$workdir/guest"
ln -s "$source_dir/docs" "$workdir/docs"
ln -s "$source_dir/bench" "$workdir/bench"

export LAB_INNER=1 LAB_WORKDIR="$workdir"
if [ "$mode" = --kvm ]; then
    TWINBOX_TEST_SHARE="$workdir" "$here/with-kvm.sh" --timeout 900 -- \
        env LAB_INNER=1 LAB_WORKDIR="$workdir" "$0" "$lab" "$twinbox" "$build"
else
    "$0" "$lab" "$twinbox" "$build"
fi
