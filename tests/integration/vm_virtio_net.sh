#!/bin/bash
# virtio-net and virtio-console with a real Linux guest (Debian's kernel, the
# default initramfs), inside a network namespace this script creates and
# always deletes, so no traffic ever reaches the host's own network.
#
#   bad-input  (no KVM needed: checked before /dev/kvm is opened)
#     a tap name used by a non-tap device, a tap another process holds, a
#     bridge that does not exist, an error after the tap was created: one
#     clear line, exit 125, no tap left.
#   net        (KVM)
#     1. --net bridge=BR: twinbox creates the tap and enslaves it to a bridge
#        holding 10.200.0.1/24; the guest (10.200.0.2) pings the host, fetches
#        a 4 MiB random payload over TCP and sends it back, both checked byte
#        for byte; the host pings the guest and talks TCP to a guest listener;
#        after poweroff the tap twinbox created is gone.
#     2. --net tap=NAME,mac=MAC on an existing persistent tap: the guest sees
#        that MAC and pings the host; the tap is left in place.
#   console    (KVM)
#     --console virtio: a command's output written to /dev/hvc0 arrives, and
#     the interactive shell runs on hvc0 (typed input reaches it).
#
# usage: vm_virtio_net.sh TWINBOX_BINARY GUEST_BUILD_DIR [bad-input|net|console|all]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2"
parts="${3:-all}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces and taps"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (apt-get install iproute2)"; exit 77; }

work="$(mktemp -d)"
namespace="tbx-test-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    ip netns del "$namespace" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { ip netns exec "$namespace" "$@"; }

# A fresh namespace for each part; deleting it removes every tap and bridge in it.
new_namespace() {
    ip netns del "$namespace" 2>/dev/null
    modprobe tun 2>/dev/null
    modprobe bridge 2>/dev/null
    ip netns add "$namespace" || fail "ip netns add $namespace"
    in_ns ip link set lo up
}

# Links whose name starts with "twinbox" in the namespace (taps twinbox made).
twinbox_taps() { in_ns ip -o link show | grep -c ': twinbox' || true; }

kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
base="console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"

# ---------------------------------------------------------------------------
bad_input() {
    new_namespace
    # The guest is named explicitly when there is one, so that only --net can be wrong.
    local boot=()
    [ -n "$kernel" ] && boot=(--kernel "$kernel" --initrd "$guest/initramfs.cpio.gz")
    # A name that belongs to something that is not a tap.
    in_ns "$twinbox" vm run "${boot[@]}" --net tap=lo </dev/null >"$work/out" 2>"$work/err"
    expect_status 125 $? "--net tap=lo"
    expect_one_line "$work/err" "--net tap=lo"
    expect_contains "$work/err" "network interface lo already exists and is not a tap" "tap=lo"
    pass "a name used by a non-tap device is refused: $(cat "$work/err")"

    # A tap that another process holds open (single-queue taps serve one fd).
    in_ns /usr/bin/python3 -c '
import fcntl, struct, sys, time
fd = open("/dev/net/tun", "r+b", buffering=0)
# TUNSETIFF = _IOW("T", 202, int); IFF_TAP | IFF_NO_PI
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tbxbusy", 0x0002 | 0x1000))
print("holding", flush=True)
time.sleep(120)' >"$work/holder" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q holding "$work/holder" && break; sleep 0.1; done
    expect_contains "$work/holder" "holding" "helper holds tap tbxbusy"
    in_ns "$twinbox" vm run "${boot[@]}" --net tap=tbxbusy </dev/null >"$work/out" 2>"$work/err"
    expect_status 125 $? "--net tap=tbxbusy while in use"
    expect_one_line "$work/err" "tap in use"
    expect_contains "$work/err" "tap tbxbusy is in use" "tap in use"
    pass "a tap in use is refused: $(cat "$work/err")"

    # A bridge that does not exist: the exact message, and no tap left behind.
    in_ns "$twinbox" vm run "${boot[@]}" --net bridge=tbxnobr0 </dev/null >"$work/out" 2>"$work/err"
    expect_status 125 $? "--net bridge=tbxnobr0"
    expect_one_line "$work/err" "missing bridge"
    expect_contains "$work/err" \
        "bridge tbxnobr0 does not exist - create it with 'ip link add tbxnobr0 type bridge'" \
        "missing bridge"
    [ "$(twinbox_taps)" = 0 ] || fail "a tap was left behind after the bridge error"
    pass "a missing bridge is refused, no tap left: $(cat "$work/err")"

    # A failure after the tap was made (here a bad kernel image, which is read after the
    # devices are created) still removes the tap: it closes with twinbox's fd.
    printf 'not a kernel' >"$work/bad-kernel"
    in_ns "$twinbox" vm run --kernel "$work/bad-kernel" --net tap=tbxlate0 </dev/null \
        >"$work/out" 2>"$work/err"
    expect_status 125 $? "bad kernel with --net tap=tbxlate0"
    expect_one_line "$work/err" "bad kernel"
    in_ns ip link show tbxlate0 >/dev/null 2>&1 && fail "tap tbxlate0 left behind after a later error"
    pass "a later error leaves no tap behind: $(cat "$work/err")"

    # No permission: an unprivileged user cannot create taps (no CAP_NET_ADMIN).
    if command -v setpriv >/dev/null; then
        in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$twinbox" vm run "${boot[@]}" \
            --net tap=tbxnoperm0 </dev/null >"$work/out" 2>"$work/err"
        expect_status 125 $? "tap as an unprivileged user"
        expect_one_line "$work/err" "no permission"
        expect_contains "$work/err" "creating a tap needs CAP_NET_ADMIN" "no permission hint"
        pass "no permission gives a hint: $(cat "$work/err")"
    fi

    # A bad MAC is a command-line error.
    in_ns "$twinbox" vm run "${boot[@]}" --net tap,mac=01:00:5e:00:00:01 </dev/null >"$work/out" 2>"$work/err"
    expect_status 125 $? "multicast MAC"
    expect_one_line "$work/err" "multicast MAC"
    pass "a multicast MAC is refused: $(cat "$work/err")"
    ip netns del "$namespace"
}

# ---------------------------------------------------------------------------
# The guest side of the network test, added to the default initramfs as a
# second cpio archive (Linux unpacks concatenated archives in order).
make_initrd() {
    mkdir -p "$work/overlay/usr/bin"
    cat >"$work/overlay/usr/bin/net-guest" <<'EOF'
#!/bin/sh
# $1: the guest address; the host is .1 of the same /24.
address=$1
host=${address%.*}.1
ip link set lo up
ip link set eth0 up
ip addr add "$address/24" dev eth0
echo "NET-UP mac=$(cat /sys/class/net/eth0/address)"
ping -c 3 -W 10 "$host" >/dev/null && echo GUEST-PING-OK
[ "$2" = ping-only ] && exit 0
nc "$host" 5001 </dev/null >/tmp/down
echo "DOWN-SHA $(sha256sum </tmp/down | cut -d' ' -f1) $(wc -c </tmp/down)"
nc "$host" 5002 </tmp/down >/dev/null && echo UPLOAD-DONE
nc -l -p 5003 </dev/null >/tmp/last
echo "HOST-SAID $(cat /tmp/last)"
EOF
    chmod 755 "$work/overlay/usr/bin/net-guest"
    (cd "$work/overlay" && find . | cpio -o -H newc --quiet | gzip) >"$work/overlay.cpio.gz"
    cat "$guest/initramfs.cpio.gz" "$work/overlay.cpio.gz" >"$work/initrd.gz"
}

# Host side of the TCP checks: serve the payload on 5001, take the upload on 5002.
start_host_servers() {
    cat >"$work/servers.py" <<'EOF'
import socket, sys, threading
payload = open(sys.argv[1], "rb").read()

def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    s.settimeout(600)
    return s

def download(s):
    c, _ = s.accept()
    c.sendall(payload)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass

def upload(s):
    c, _ = s.accept()
    data = bytearray()
    while chunk := c.recv(1 << 16):
        data += chunk
    open(sys.argv[2], "wb").write(data)
    c.close()

threads = [threading.Thread(target=download, args=(listener(5001),)),
           threading.Thread(target=upload, args=(listener(5002),))]
for t in threads: t.start()
print("servers ready", flush=True)
for t in threads: t.join()
EOF
    in_ns /usr/bin/python3 "$work/servers.py" "$work/payload" "$work/upload" >"$work/servers" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do grep -q "servers ready" "$work/servers" && return; sleep 0.1; done
    fail "host TCP servers did not start: $(cat "$work/servers")"
}

wait_for() {  # FILE TEXT PID SECONDS
    for _ in $(seq $(($4 * 2))); do
        grep -q "$2" "$1" && return 0
        kill -0 "$3" 2>/dev/null || break
        sleep 0.5
    done
    grep -q "$2" "$1"
}

net() {
    [ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
    new_namespace
    make_initrd
    head -c $((4 << 20)) /dev/urandom >"$work/payload"
    want_sha=$(sha256sum <"$work/payload" | cut -d' ' -f1)

    # 1. A tap twinbox creates, on a bridge.
    in_ns ip link add tbxbr0 type bridge
    in_ns ip addr add 10.200.0.1/24 dev tbxbr0
    in_ns ip link set tbxbr0 up
    start_host_servers
    in_ns timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$work/initrd.gz" \
        --memory 512M --net bridge=tbxbr0 \
        --cmdline "$base TWINBOX_RUN=\"net-guest 10.200.0.2\"" \
        </dev/null >"$work/out" 2>"$work/err" &
    vm=$!
    pids+=($vm)
    wait_for "$work/out" UPLOAD-DONE "$vm" 600
    [ "$(in_ns ip -o link show master tbxbr0 | grep -c ': twinbox')" = 1 ] ||
        fail "the tap twinbox created is not on bridge tbxbr0"
    # Host to guest: ping, then TCP to the guest's listener (it may not listen yet).
    in_ns busybox ping -c 3 -W 10 10.200.0.2 >"$work/ping" 2>&1
    ping_status=$?
    for _ in $(seq 60); do
        in_ns bash -c 'echo bye-from-host >/dev/tcp/10.200.0.2/5003' 2>/dev/null && break
        sleep 0.5
    done
    wait "$vm"
    status=$?
    cat "$work/out" "$work/err"
    expect_status 0 "$status" "guest with --net bridge=tbxbr0"
    expect_contains "$work/out" "GUEST-PING-OK" "guest pings the host"
    [ "$ping_status" = 0 ] || { cat "$work/ping"; fail "host pings the guest"; }
    expect_contains "$work/out" "DOWN-SHA $want_sha $((4 << 20))" "host -> guest TCP payload"
    cmp -s "$work/payload" "$work/upload" || fail "guest -> host TCP payload differs"
    expect_contains "$work/out" "HOST-SAID bye-from-host" "host -> guest TCP connection"
    [ "$(twinbox_taps)" = 0 ] || fail "the tap twinbox created is still there after exit"
    pass "bridge: ping both ways, 4 MiB each way over TCP byte for byte, tap removed on exit"

    # 2. An existing persistent tap, a chosen MAC; the tap stays.
    in_ns ip tuntap add tbxkeep0 mode tap
    in_ns ip addr add 10.201.0.1/24 dev tbxkeep0
    in_ns ip link set tbxkeep0 up
    in_ns timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$work/initrd.gz" \
        --net tap=tbxkeep0,mac=02:00:00:aa:bb:cc \
        --cmdline "$base TWINBOX_RUN=\"net-guest 10.201.0.2 ping-only\"" \
        </dev/null >"$work/out" 2>"$work/err"
    status=$?
    cat "$work/out" "$work/err"
    expect_status 0 "$status" "guest with --net tap=tbxkeep0"
    expect_contains "$work/out" "NET-UP mac=02:00:00:aa:bb:cc" "the guest has the MAC asked for"
    expect_contains "$work/out" "GUEST-PING-OK" "guest pings the host through an existing tap"
    in_ns ip link show tbxkeep0 >/dev/null 2>&1 || fail "the existing tap was removed"
    pass "existing tap: MAC as asked, ping works, tap left in place"
    ip netns del "$namespace"
}

# ---------------------------------------------------------------------------
console() {
    [ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
    # Output: the command writes to hvc0 itself (init's own stdout is the
    # console the kernel had at exec time, before the virtio_console module).
    timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
        --console virtio --cmdline "$base console=hvc0 TWINBOX_RUN=\"echo hvc-\$((6 * 7)) >/dev/hvc0\"" \
        </dev/null >"$work/out" 2>"$work/err"
    status=$?
    cat "$work/out" "$work/err"
    expect_status 0 "$status" "guest with --console virtio"
    expect_contains "$work/out" "hvc-42" "output written to /dev/hvc0 arrives"
    pass "virtio-console carries guest output"

    # Input: the interactive shell (busybox cttyhack picks the active console, hvc0).
    fifo="$work/console-in"
    mkfifo "$fifo"
    timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
        --console virtio --cmdline "$base console=hvc0" <"$fifo" >"$work/out" 2>"$work/err" &
    pid=$!
    pids+=($pid)
    exec 3>"$fifo"
    wait_for "$work/out" "twinbox guest ready" "$pid" 600
    expect_contains "$work/out" "twinbox guest ready" "banner before typing"
    sleep 3  # let the shell start and open hvc0
    printf 'tty; echo typed-$((6 * 7))\nexit\n' >&3
    wait "$pid"
    status=$?
    exec 3>&-
    cat "$work/out" "$work/err"
    expect_status 0 "$status" "interactive shell on hvc0"
    expect_contains "$work/out" "/dev/hvc0" "the shell's terminal is hvc0"
    expect_contains "$work/out" "typed-42" "typed input reaches the shell on hvc0"
    pass "virtio-console carries the interactive shell"
}

case "$parts" in
    bad-input) bad_input ;;
    net) net ;;
    console) console ;;
    all) bad_input; net; console ;;
    *) echo "usage: $0 TWINBOX GUEST_DIR [bad-input|net|console|all]" >&2; exit 2 ;;
esac
