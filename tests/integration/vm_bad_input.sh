#!/bin/bash
# Bad input to `twinbox vm run`: every case must end with exit status 125 and
# exactly one line on stderr naming what failed, quickly (no hang). These
# checks happen before KVM is opened, so they run on any host.
# usage: vm_bad_input.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"

# check NAME EXPECTED_TEXT ARGS...
check() {
    local name="$1" text="$2"
    shift 2
    timeout 20 "$twinbox" vm run "$@" </dev/null >"$work/out" 2>"$work/err"
    local status=$?
    expect_status 125 "$status" "$name"
    expect_one_line "$work/err" "$name"
    expect_contains "$work/err" "$text" "$name"
    pass "$name: $(cat "$work/err")"
}

check "missing kernel" "/nonexistent/vmlinuz" --kernel /nonexistent/vmlinuz
check "kernel is a directory" "is a directory" --kernel /tmp
check "not a bzImage" "bzImage" --kernel /bin/true
printf 'short' >"$work/tiny"
check "tiny kernel" "$work/tiny" --kernel "$work/tiny"
if [ -n "$kernel" ]; then
    head -c 4096 "$kernel" >"$work/truncated"
    check "truncated bzImage" "$work/truncated" --kernel "$work/truncated"
    truncate -s 200M "$work/big-initrd"
    check "initrd does not fit" "initrd" --kernel "$kernel" --initrd "$work/big-initrd" --memory 128M
    check "missing initrd" "/nonexistent/initrd" --kernel "$kernel" --initrd /nonexistent/initrd
fi
check "memory too small" "--memory" --flat /bin/true --memory 1M
check "memory above the host's" "more than this host" --flat /bin/true --memory 100T
check "memory not a size" "not a size" --flat /bin/true --memory lots
check "zero cpus" "--cpus" --flat /bin/true --cpus 0
check "too many cpus" "--cpus" --flat /bin/true --cpus 999
check "unknown flag" "--frobnicate" --frobnicate
check "bad mode" "--mode" --flat /bin/true --mode sideways
check "bad serial" "--serial" --flat /bin/true --serial telnet
check "initrd without kernel" "--initrd" --flat /bin/true --initrd /bin/true
check "two boot sources" "exactly one" --flat /bin/true --multiboot /bin/true
check "ELF without multiboot header" "multiboot" --multiboot /bin/true
check "flat image outside RAM" "RAM" --flat /bin/true --mode long --load-address 0x80000000 --memory 64M

# Devices: disks and network cards are opened before KVM, and nothing stays behind.
flat=(--flat /bin/true --mode long)
check "missing disk" "/nonexistent/disk.img" "${flat[@]}" --disk /nonexistent/disk.img
check "disk is a directory" "$work" "${flat[@]}" --disk "$work"
check "bad disk option" "cache=none" "${flat[@]}" --disk "$work/x,cache=none"
truncate -s 1M "$work/readonly.img"
chmod 0444 "$work/readonly.img"
if [ "$(id -u)" != 0 ]; then
    check "read-write open of a read-only file" "$work/readonly.img" "${flat[@]}" --disk "$work/readonly.img"
fi
check "bad net backend" "--net" "${flat[@]}" --net user
check "bad mac" "MAC" "${flat[@]}" --net tap,mac=01:02:03:04:05:06
check "bad console" "--console" "${flat[@]}" --console telnet
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
    check "missing bridge" "tbx-nobridge" "${flat[@]}" --net bridge=tbx-nobridge
    ip link show tbx-nobridge >/dev/null 2>&1 && fail "a bridge was created"
    # A tap that another process has open is in use: twinbox must refuse it.
    busy="tbxbusy$$"
    python3 -c '
import fcntl, os, struct, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000))  # TUNSETIFF, IFF_TAP|IFF_NO_PI
print("held", flush=True)
time.sleep(60)' "$busy" >"$work/held" &
holder=$!
for _ in $(seq 50); do grep -q held "$work/held" && break; sleep 0.1; done
check "tap in use" "$busy" "${flat[@]}" --net "tap=$busy"
kill "$holder"
wait "$holder" 2>/dev/null
ip link show | grep -o 'twinbox[0-9]*' && fail "a twinbox tap was left behind"
fi
pass "no tap or bridge left behind"
