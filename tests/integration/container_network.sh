#!/bin/bash
# Container networking (docs/networking.md), for real, as root: bridges, veths, address
# leases, nftables NAT and published ports.
#
# Everything happens inside a network namespace this script creates and
# deletes: twinbox runs in it (nsenter --net, so that twinbox's bridges,
# veths and its nftables table live there), and traffic goes only to
# addresses inside it or inside a second "peer" namespace that plays another
# host on the uplink. `ip netns exec` is not used to run twinbox because it
# also remounts /sys, which hides the cgroup file systems containers need.
#
# Checks: --network none has only loopback; two containers on one network
# reach each other by address; a published port carries data both ways to a
# server in the container from the test's namespace (localhost and the
# bridge address) and from the peer; bad input (bad CIDR, overlap with a
# route or a network, name in use, port in use or published, rm with
# members) gives one line, exit 125, nothing left; rm, SIGKILLed twinbox and
# SIGKILLed supervisor leave no veth, lease or rule; 20 parallel runs get 20
# distinct addresses.
#
# usage: container_network.sh TWINBOX_BINARY ROOTFS
set -u
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/container_lib.sh"

container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/busybox" ] || { echo "skip: no container root at $rootfs (make guest-rootfs)"; exit 77; }
command -v nsenter >/dev/null || { echo "skip: no nsenter"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

ns="tbnet-$$"
peer="tbpeer-$$"
ip netns add "$ns" || { echo "skip: cannot create a network namespace"; exit 77; }
ip netns add "$peer"

tb() { nsenter --net="/run/netns/$ns" "$twinbox" "$@"; }
in_ns() { ip netns exec "$ns" "$@"; }
in_peer() { ip netns exec "$peer" "$@"; }

network_teardown() {
    local status=$?
    # Containers first, inside the namespace, so their endpoints are released there.
    for id in $(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null); do tb rm -f "$id" >/dev/null 2>&1; done
    kill $(jobs -p) 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip netns del "$peer" 2>/dev/null
    container_teardown "$status"
}
trap network_teardown EXIT

in_ns ip link set lo up
in_peer ip link set lo up
# The uplink: 10.250.0.1 here, 10.250.0.2 in the peer ("another host").
ip link add uplink0 netns "$ns" type veth peer name uplink1 netns "$peer"
in_ns ip addr add 10.250.0.1/24 dev uplink0
in_ns ip link set uplink0 up
in_peer ip addr add 10.250.0.2/24 dev uplink1
in_peer ip link set uplink1 up

# What twinbox left in the namespace: its links, nftables rules, leases.
twinbox_links() { in_ns ip -o link show | awk -F': ' '{print $2}' | grep -E '^(tb|twinbox)' | cut -d@ -f1; }
endpoint_rules() { in_ns python3 "$here/nft_list.py" 2>/dev/null | grep -c "twinbox endpoint" || true; }
leases() { cat "$TWINBOX_ROOT"/run/networks/*.leases.json 2>/dev/null | grep -c '"owner"' || true; }
address_of() {  # NETWORK NAME-OR-ID
    tb network inspect "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin)[0]["Members"]:
    if sys.argv[1] in (m["Name"], m["Id"]) or m["Id"].startswith(sys.argv[1]):
        print(m["IPv4Address"].split("/")[0])' "$2"
}
# expect_error WHAT CMD...: exit 125, one line on stderr.
expect_error() {
    local what="$1"
    shift
    "$@" >"$work/out" 2>"$work/err"
    expect_status 125 $? "$what"
    expect_one_line "$work/err" "$what"
}
expect_clean() {  # WHAT: no veth, lease or endpoint rule left
    local links
    links=$(twinbox_links | grep -v -E '^(twinbox0|tb-.*)$' || true)
    [ -z "$links" ] || fail "$1: links left behind: $links"
    [ "$(leases)" = 0 ] || fail "$1: $(leases) lease(s) left: $(cat "$TWINBOX_ROOT"/run/networks/*.leases.json)"
    [ "$(endpoint_rules)" = 0 ] || fail "$1: endpoint nftables rules left: $(in_ns python3 "$here/nft_list.py")"
}
# wait_until SECONDS CMD...
wait_until() {
    local tenths=$(($1 * 10))
    shift
    for _ in $(seq "$tenths"); do "$@" && return 0; sleep 0.1; done
    return 1
}

# --- nftables present? (the first use of a bridge network needs it)
if ! tb network create probe --subnet 10.99.99.0/24 >"$work/out" 2>"$work/err"; then
    if grep -q "nftables is not usable" "$work/err"; then
        expect_one_line "$work/err" "no nftables"
        echo "skip: $(cat "$work/err")"
        exit 77
    fi
    fail "network create probe: $(cat "$work/err")"
fi
tb network rm probe >/dev/null || fail "network rm probe"
[ -z "$(twinbox_links)" ] || fail "network rm left $(twinbox_links)"
pass "network create/rm: bridge made and removed, nftables present"

# --- --network none (the default) and host
out=$(tb run --rm --rootfs "$rootfs" ip -o link show)
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q ': lo:' || fail "--network none: $out"
out=$(tb run --rm --network none --rootfs "$rootfs" ip -o link show)
[ "$(echo "$out" | wc -l)" = 1 ] || fail "--network none: $out"
out=$(tb run --rm --network host --rootfs "$rootfs" ip -o link show)
echo "$out" | grep -q uplink0 || fail "--network host does not see the namespace's links: $out"
pass "--network none has only loopback; host shares the namespace"

# --- bad input: one line, 125, nothing made
expect_error "bad CIDR" tb network create badnet --subnet 10.1.2.0/33
expect_contains "$work/err" "not a subnet in CIDR form" "bad CIDR message"
expect_error "host bits" tb network create badnet --subnet 10.1.2.3/24
expect_error "overlaps a route" tb network create badnet --subnet 10.250.0.0/16
expect_contains "$work/err" "overlaps the host route to 10.250.0.0/24" "route overlap message"
tb network create net1 --subnet 10.90.1.0/24 >/dev/null || fail "network create net1"
expect_error "overlaps a network" tb network create badnet --subnet 10.90.1.128/25
expect_contains "$work/err" "overlaps network net1" "network overlap message"
expect_error "name in use" tb network create net1 --subnet 10.90.2.0/24
expect_contains "$work/err" "already in use" "name in use message"
expect_error "bad name" tb network create "no/slash" --subnet 10.90.2.0/24
expect_error "unknown network" tb run --rm --network nosuchnet --rootfs "$rootfs" true
expect_error "bad -p" tb run --rm --network bridge -p 80 --rootfs "$rootfs" true
expect_error "-p without a bridge network" tb run --rm -p 8080:80 --rootfs "$rootfs" true
[ ! -e "$TWINBOX_ROOT/lib/networks/badnet.json" ] || fail "badnet config left behind"
[ "$(twinbox_links | grep -c tb-badnet)" = 0 ] || fail "badnet bridge left behind"
expect_clean "bad input"
pass "bad CIDR, host bits, route and network overlap, name in use, bad -p: 125, one line, nothing left"

# --- two containers on net1 reach each other by address
a=$(tb run -d --network net1 --name alpha --rootfs "$rootfs" \
    sh -c 'echo reply-from-alpha | nc -l -p 7000; sleep 100') || fail "run alpha"
a_ip=$(address_of net1 alpha)
[ -n "$a_ip" ] || fail "alpha has no address on net1"
tb inspect alpha | grep -q "\"IPAddress\": \"$a_ip\"" || fail "twinbox inspect does not show $a_ip"
out=$(tb run --rm --network net1 --rootfs "$rootfs" sh -c \
    "for i in \$(seq 50); do echo hello-from-beta | nc -w 3 $a_ip 7000 && exit 0; usleep 100000; done; exit 1")
expect_status 0 $? "beta -> alpha"
[ "$out" = reply-from-alpha ] || fail "beta got '$out' from alpha"
alpha_got_message() { tb logs alpha | grep -q hello-from-beta; }
wait_until 5 alpha_got_message || fail "alpha did not receive beta's message: $(tb logs alpha)"
expect_error "rm with members" tb network rm net1
expect_contains "$work/err" "still has 1 member" "rm with members message"
pass "two containers on one network talk by address ($a_ip); inspect shows it; rm with members refused"

# --- published ports: data both ways, from localhost, the bridge address and the peer
head -c $((1 << 20)) /dev/urandom >"$work/payload"
mkdir -p "$work/srv"
cp "$work/payload" "$work/srv/payload"
web=$(tb run -d --network bridge -p 18080:80 -p 18081:81 -v "$work/srv:/srv" --rootfs "$rootfs" sh -c '
    # busybox nc shuts its sending side at EOF on stdin, and its peer, if
    # it is a busybox nc too, then stops: keep stdin open (a FIFO, read-write).
    mkfifo /tmp/hold
    (i=0; while [ $i -lt 4 ]; do i=$((i+1)); nc -l -p 80 <>/tmp/hold >/srv/up$i; done) &
    while true; do nc -l -p 81 </srv/payload; done') || fail "run web"
web_ip=$(address_of twinbox0 "$web")
in_ns ip -o addr show twinbox0 | grep -q "10.88.0.1/16" || fail "twinbox0 does not have 10.88.0.1/16"
send() {  # NS-RUNNER HOST PORT FILE
    wait_until 5 $1 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(open(sys.argv[3], "rb").read()); s.close()' "$2" "$3" "$4"
}
fetch() {  # NS-RUNNER HOST PORT OUT
    wait_until 5 $1 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
data = b""
while chunk := s.recv(65536): data += chunk
open(sys.argv[3], "wb").write(data)
sys.exit(0 if data else 1)' "$2" "$3" "$4"
}
n=0
for target in "in_ns 127.0.0.1" "in_ns 10.88.0.1" "in_peer 10.250.0.1"; do
    n=$((n + 1))
    set -- $target
    send "$1" "$2" 18080 "$work/payload" || fail "upload to $2:18080 failed"
    wait_until 5 cmp -s "$work/payload" "$work/srv/up$n" || fail "upload via $2:18080 differs"
    rm -f "$work/down"
    fetch "$1" "$2" 18081 "$work/down" || fail "download from $2:18081 failed"
    cmp -s "$work/payload" "$work/down" || fail "download via $2:18081 differs"
done
# Hairpin: a container reaching another's published port through the gateway.
tb run --rm --network bridge -v "$work/srv:/srv" --rootfs "$rootfs" sh -c '
    for i in $(seq 50); do nc 10.88.0.1 18080 </srv/payload && break; usleep 100000; done
    # nc returns before the kernel has sent everything; --rm would then delete
    # the veth under the data. Stay until the server has it all (same volume).
    for i in $(seq 50); do [ "$(wc -c </srv/up4)" = 1048576 ] && exit 0; usleep 100000; done
    exit 1' ||
    fail "hairpin upload failed"
wait_until 5 cmp -s "$work/payload" "$work/srv/up4" || fail "hairpin upload differs: $(ls -l "$work"/srv/)"
[ "$(endpoint_rules)" = 4 ] || fail "expected 4 DNAT rules for 2 ports, got $(endpoint_rules)"
pass "published ports: 1 MiB up and down byte for byte via 127.0.0.1, the bridge, the peer host and hairpin ($web_ip)"

# --- a port in use, a port already published: 125, nothing left
in_ns python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 18090)); s.listen(1); time.sleep(60)' &
listening_18090() { in_ns python3 -c '
import socket, sys
s = socket.socket()
sys.exit(0 if s.connect_ex(("127.0.0.1", 18090)) == 0 else 1)'; }
wait_until 5 listening_18090 || fail "the test listener on 18090 did not start"
before=$(leases)
expect_error "port in use" tb run --rm --network bridge -p 18090:80 --rootfs "$rootfs" true
expect_contains "$work/err" "host port 18090/tcp is already in use" "port in use message"
expect_error "port published" tb run --rm --network bridge -p 18080:80 --rootfs "$rootfs" true
expect_contains "$work/err" "already published by container" "published port message"
[ "$(leases)" = "$before" ] || fail "a failed run left a lease"
[ "$(endpoint_rules)" = 4 ] || fail "a failed run left rules"
kill %1 2>/dev/null
pass "a bound or published host port is refused, nothing left"

# --- rm removes veth, lease and rules
tb rm -f alpha "$web" >/dev/null || fail "rm -f"
expect_clean "after rm"
pass "rm: no veth, lease or nftables rule remains"

# --- SIGKILL of a foreground twinbox: the next command that touches networks
# (run, rm, stop, kill, network ...; not ps or --version) cleans up once the
# container is gone
nsenter --net="/run/netns/$ns" "$twinbox" run --network bridge -p 18100:80 --rootfs "$rootfs" sleep 100 \
    </dev/null >/dev/null 2>&1 &
runner=$!
wait_until 10 sh -c "[ \$(cat $TWINBOX_ROOT/run/networks/*.leases.json 2>/dev/null | grep -c '\"hostInterface\": \"tb') = 1 ]" ||
    fail "the foreground container got no lease"
has_veth() { [ -n "$(twinbox_links | grep -v -E '^(twinbox0|tb-)')" ]; }
wait_until 10 has_veth || fail "the foreground container got no veth"
id=$(ls "$TWINBOX_ROOT/run/containers")
pid=$(grep -o '"pid": [0-9]*' "$TWINBOX_ROOT/run/containers/$id/state.json" | grep -o '[0-9]*$')
kill -9 "$runner"
wait "$runner" 2>/dev/null
tb network ls >/dev/null
[ "$(leases)" = 1 ] || fail "the lease of a still-running container was released"
kill -9 "$pid"
wait_until 5 sh -c "! kill -0 $pid 2>/dev/null"
tb ps -a >/dev/null
[ "$(leases)" = 1 ] || fail "ps swept the network state (only network commands should)"
tb network ls >/dev/null
expect_clean "after SIGKILL of twinbox and its container"
tb rm -f "$id" >/dev/null
pass "SIGKILLed twinbox: the lease lasts while the container runs; then the next command removes veth, lease and rules"

# --- SIGKILL of a -d supervisor, then rm -f
id=$(tb run -d --network bridge -p 18101:80 --rootfs "$rootfs" sleep 100) || fail "run -d"
supervisor=$(grep -o '"supervisorPid": [0-9]*' "$TWINBOX_ROOT/run/containers/$id/state.json" | grep -o '[0-9]*$')
kill -9 "$supervisor"
tb rm -f "$id" >/dev/null || fail "rm -f after a killed supervisor"
expect_clean "after a SIGKILLed supervisor"
pass "SIGKILLed supervisor: rm -f removes veth, lease and rules"

# --- 20 containers in parallel get 20 distinct addresses
tb network create net2 --subnet 10.90.2.0/24 >/dev/null || fail "network create net2"
for i in $(seq 20); do
    tb run -d --network net2 --rootfs "$rootfs" sleep 100 >"$work/par$i" 2>&1 &
done
wait
for i in $(seq 20); do [ -s "$work/par$i" ] || fail "parallel run $i: $(cat "$work/par$i")"; done
tb network inspect net2 | python3 -c '
import json, sys
members = json.load(sys.stdin)[0]["Members"]
addresses = {m["IPv4Address"] for m in members}
print(len(members), len(addresses))' >"$work/count"
[ "$(cat "$work/count")" = "20 20" ] || fail "20 parallel runs: members, distinct addresses = $(cat "$work/count")"
[ "$(twinbox_links | grep -c -v -E '^(twinbox0|tb-)')" = 20 ] || fail "expected 20 veths"
tb rm -f $(cat "$work"/par*) >/dev/null || fail "rm -f of the 20"
expect_clean "after rm of the 20"
pass "20 parallel runs: 20 distinct addresses, all released"

# --- the networks go, and with them the bridges and twinbox's table
tb network rm net1 net2 twinbox0 >/dev/null || fail "network rm"
[ -z "$(twinbox_links)" ] || fail "links left: $(twinbox_links)"
in_ns python3 "$here/nft_list.py" | grep -q . && fail "nftables table left: $(in_ns python3 "$here/nft_list.py")"
pass "network rm: bridges and table ip twinbox gone"
