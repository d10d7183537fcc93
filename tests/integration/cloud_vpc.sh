#!/bin/bash
# VPCs at the router level (docs/cloud.md "VPCs", issue 20 items 1-4): a VPC
# with a public and a private subnet, an internet gateway, route tables and a
# NAT gateway, checked by real packets from "hosts" the test plugs into the
# subnet bridges (a network namespace with a veth on the bridge, standing in
# for an instance: instances in subnets are not done yet):
#   - the private host reaches a server on the test's side through the NAT
#     gateway, seen there from the NAT gateway's public address;
#   - the public host without a public address does not (no way back), and
#     nothing from the test's side reaches a private address even with a route
#     to it (the gateway passes only what was mapped);
#   - a second VPC's host cannot reach the first VPC's by private address;
#   - the kernel picture: ip rules per subnet, route tables, blackhole state
#     once the NAT gateway is gone;
#   - bad input (overlap, a subnet outside its VPC, a /29 VPC, a route to
#     another VPC's gateway, delete-vpc with subnets, a damaged vpcs.json):
#     AWS's code in one line, nothing made;
#   - after everything is deleted: no namespace, link, route or rule left.
# Everything in a private TWINBOX_ROOT and a network namespace of its own.
# usage: cloud_vpc.sh TWINBOX_BINARY
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }
if [ -z "${TWINBOX_TEST_NETNS:-}" ]; then
    for module in bridge veth nf_tables nft_chain_nat nft_nat nft_ct; do
        modprobe "$module" 2>/dev/null
    done
    TWINBOX_TEST_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
ip link set lo up || fail "lo up in the test's network namespace"

work="$(mktemp -d -p /dev/shm twinbox-vpc.XXXXXX)"
export TWINBOX_ROOT="$work/root"
hosts=()
vpcs=()
cleanup() {
    local status=$?
    for h in "${hosts[@]}"; do ip netns del "$h" 2>/dev/null; done
    for v in "${vpcs[@]}"; do ip netns del "twinbox-$v" 2>/dev/null; done
    [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
. "$here/cloud_lib.sh"

# json VERB ARGS... EXPR: runs the verb, prints EXPR of its JSON.
json() {
    local expr="${*: -1}"
    ec2 "${@:1:$#-1}" >"$work/json" || fail "ec2 ${*:1:$#-1}"
    json_get "$work/json" "$expr"
}

# plug HOST VPC SUBNET ADDRESS/PREFIX GATEWAY: a namespace with a veth on the subnet's bridge.
plug() {
    local host="$1" vpc="$2" subnet="$3" address="$4" gateway="$5"
    local bridge="tbs${subnet:7:12}" router="twinbox-$vpc"
    ip netns add "$host" || fail "ip netns add $host"
    hosts+=("$host")
    ip link add "h$$${#hosts[@]}" type veth peer name "p$$${#hosts[@]}" || fail "veth for $host"
    ip link set "p$$${#hosts[@]}" netns "$router"
    ip -n "$router" link set "p$$${#hosts[@]}" master "$bridge" up || fail "$host on $bridge"
    ip link set "h$$${#hosts[@]}" netns "$host"
    ip -n "$host" link set lo up
    ip -n "$host" link set "h$$${#hosts[@]}" name eth0
    ip -n "$host" addr add "$address" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" route add default via "$gateway"
}

# fetch HOST URL: what a TCP server answers, within 3 s ("" when nothing).
fetch() {
    ip netns exec "$1" /usr/bin/python3 -c '
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
try:
    s = socket.create_connection((host, int(port)), timeout=3)
    print(s.recv(100).decode())
except OSError:
    pass' "$2"
}

# --- A VPC with a public and a private subnet ---------------------------------
vpc=$(json create-vpc --cidr-block 10.0.0.0/16 'd["Vpc"]["VpcId"]')
vpcs+=("$vpc")
[ -e "/run/netns/twinbox-$vpc" ] || fail "create-vpc made no router namespace"
pass "create-vpc $vpc: router namespace twinbox-$vpc"
public=$(json create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 'd["Subnet"]["SubnetId"]')
private=$(json create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 'd["Subnet"]["SubnetId"]')
count=$(json describe-subnets --filters "Name=vpc-id,Values=$vpc" 'len(d["Subnets"])')
[ "$count" = 2 ] || fail "describe-subnets of $vpc lists $count subnets"
# The first describe made the default VPC (as AWS has one from the start).
default=$(json describe-vpcs --filters Name=is-default,Values=true 'd["Vpcs"][0]["VpcId"]')
vpcs+=("$default")
grep -q "10.0.1.1/24" <<<"$(ip -n "twinbox-$vpc" -br addr show "tbs${public:7:12}")" ||
    fail "the public subnet's bridge has no router address 10.0.1.1"
igw=$(json create-internet-gateway 'd["InternetGateway"]["InternetGatewayId"]')
ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" || fail "attach-internet-gateway"
rtb=$(json create-route-table --vpc-id "$vpc" 'd["RouteTable"]["RouteTableId"]')
ec2 create-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw" >/dev/null ||
    fail "create-route to the internet gateway"
assoc=$(json associate-route-table --route-table-id "$rtb" --subnet-id "$public" 'd["AssociationId"]')
eip=$(json allocate-address 'd["AllocationId"]')
nat_ip=$(json describe-addresses --allocation-ids "$eip" 'd["Addresses"][0]["PublicIp"]')
nat=$(json create-nat-gateway --subnet-id "$public" --allocation-id "$eip" 'd["NatGateway"]["NatGatewayId"]')
main=$(json describe-route-tables --filters "Name=vpc-id,Values=$vpc" Name=association.main,Values=true \
    'd["RouteTables"][0]["RouteTableId"]')
ec2 create-route --route-table-id "$main" --destination-cidr-block 0.0.0.0/0 --nat-gateway-id "$nat" >/dev/null ||
    fail "create-route to the NAT gateway"
grep -q "iif tbs${public:7:12} lookup" <<<"$(ip -n "twinbox-$vpc" rule)" || fail "no ip rule for the public subnet: $(ip -n "twinbox-$vpc" rule)"
pass "subnets, internet gateway, route tables and NAT gateway $nat ($nat_ip)"

# --- Packets ------------------------------------------------------------------
link_host=$(ip -br addr show "tbg${vpc:4:12}" | awk '{print $3}' | cut -d/ -f1)
[ -n "$link_host" ] || fail "no gateway link tbg${vpc:4:12} on the test's side"
/usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(8)
while True:
    c, peer = s.accept(); c.sendall(("from " + peer[0]).encode()); c.close()' &
server_pid=$!
sleep 0.5
plug "tbvpc-priv-$$" "$vpc" "$private" 10.0.2.10/24 10.0.2.1
plug "tbvpc-pub-$$" "$vpc" "$public" 10.0.1.10/24 10.0.1.1
answer=$(fetch "tbvpc-priv-$$" "$link_host:8080")
[ "$answer" = "from $nat_ip" ] || fail "private host through the NAT gateway: '$answer', want 'from $nat_ip'"
pass "private subnet -> NAT gateway -> test side, seen from $nat_ip"
answer=$(fetch "tbvpc-pub-$$" "$link_host:8080")
[ -z "$answer" ] || fail "a public-subnet host without a public address got an answer: '$answer'"
pass "public subnet, no public address: no way back"
ip route add 10.0.0.0/16 via "$(ip -n "twinbox-$vpc" -br addr show "tbr${vpc:4:12}" | awk '{print $3}' | cut -d/ -f1)"
ip netns exec "tbvpc-priv-$$" /usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("0.0.0.0", 2222)); s.listen(1)
s.settimeout(6)
try:
    c, _ = s.accept(); c.sendall(b"reached")
except OSError:
    pass' &
sleep 0.5
answer=$(fetch "" "10.0.2.10:2222" 2>/dev/null || true)
wait $! 2>/dev/null
ip route del 10.0.0.0/16
[ -z "$answer" ] || fail "the test side reached a private address through the gateway"
pass "a private address is not reachable from the test side, even with a route to it"

# --- A second VPC cannot reach the first by private address -------------------
vpc2=$(json create-vpc --cidr-block 10.1.0.0/16 'd["Vpc"]["VpcId"]')
vpcs+=("$vpc2")
sub2=$(json create-subnet --vpc-id "$vpc2" --cidr-block 10.1.1.0/24 'd["Subnet"]["SubnetId"]')
igw2=$(json create-internet-gateway 'd["InternetGateway"]["InternetGatewayId"]')
ec2 attach-internet-gateway --internet-gateway-id "$igw2" --vpc-id "$vpc2" || fail "attach the second gateway"
main2=$(json describe-route-tables --filters "Name=vpc-id,Values=$vpc2" 'd["RouteTables"][0]["RouteTableId"]')
ec2 create-route --route-table-id "$main2" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw2" >/dev/null
plug "tbvpc-other-$$" "$vpc2" "$sub2" 10.1.1.10/24 10.1.1.1
ip netns exec "tbvpc-priv-$$" /usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("0.0.0.0", 2223)); s.listen(1); s.settimeout(6)
try:
    c, _ = s.accept(); c.sendall(b"reached")
except OSError:
    pass' &
sleep 0.5
answer=$(fetch "tbvpc-other-$$" "10.0.2.10:2223")
wait $! 2>/dev/null
[ -z "$answer" ] || fail "VPC $vpc2 reached VPC $vpc by private address"
pass "two VPCs cannot reach each other by private address"

# --- Bad input: AWS's code, nothing made --------------------------------------
snapshot() { { ls /run/netns; ip -br link; ip route; } 2>/dev/null | sort; }
snapshot >"$work/before"
cp "$TWINBOX_ROOT/lib/cloud/vpcs.json" "$work/vpcs.before"
fails 254 InvalidSubnet.Conflict "overlapping subnet" create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.128/25
fails 254 InvalidSubnet.Range "subnet outside its VPC" create-subnet --vpc-id "$vpc" --cidr-block 10.9.0.0/24
fails 254 InvalidVpc.Range "a /29 VPC" create-vpc --cidr-block 10.2.0.0/29
fails 254 InvalidParameterValue "not a CIDR" create-vpc --cidr-block 10.2.0.1/16
fails 254 InvalidVpcID.NotFound "unknown VPC" create-subnet --vpc-id vpc-0123456789abcdef0 --cidr-block 10.0.9.0/24
fails 254 InvalidParameterValue "route to another VPC's gateway" \
    create-route --route-table-id "$rtb" --destination-cidr-block 192.0.2.0/24 --gateway-id "$igw2"
fails 254 RouteAlreadyExists "duplicate route" \
    create-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw"
fails 254 DependencyViolation "delete-vpc with subnets" delete-vpc --vpc-id "$vpc"
fails 254 DependencyViolation "detach a gateway with a NAT gateway behind it" \
    detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc"
fails 254 InvalidIPAddress.InUse "release an address in use" release-address --allocation-id "$eip"
snapshot >"$work/after"
diff "$work/before" "$work/after" >/dev/null || fail "bad input changed the kernel: $(diff "$work/before" "$work/after")"
cmp -s "$work/vpcs.before" "$TWINBOX_ROOT/lib/cloud/vpcs.json" || fail "bad input changed vpcs.json"
pass "bad input left no namespace, link or route and the record as it was"

# --- The NAT gateway goes: its route is a blackhole -----------------------------
ec2 delete-nat-gateway --nat-gateway-id "$nat" >/dev/null || fail "delete-nat-gateway"
state=$(json describe-route-tables --route-table-ids "$main" \
    '[r["State"] for r in d["RouteTables"][0]["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]')
[ "$state" = blackhole ] || fail "the route to a deleted NAT gateway is '$state', want blackhole"
grep -q "^blackhole default" <<<"$(ip -n "twinbox-$vpc" route show table all)" || fail "no blackhole route in the router"
answer=$(fetch "tbvpc-priv-$$" "$link_host:8080")
[ -z "$answer" ] || fail "the private host still reaches out after the NAT gateway went"
pass "deleted NAT gateway: route state blackhole, no more way out"

# --- Damaged record: refused, never rewritten -----------------------------------
cp "$TWINBOX_ROOT/lib/cloud/vpcs.json" "$work/good.json"
echo '{"Vpcs": 7}' >"$TWINBOX_ROOT/lib/cloud/vpcs.json"
fails 255 "damaged" "a damaged vpcs.json" create-vpc --cidr-block 10.3.0.0/16
grep -q '"Vpcs": 7' "$TWINBOX_ROOT/lib/cloud/vpcs.json" || fail "the damaged vpcs.json was rewritten"
cp "$work/good.json" "$TWINBOX_ROOT/lib/cloud/vpcs.json"

# --- Everything deleted: nothing left -------------------------------------------
for h in "${hosts[@]}"; do ip netns del "$h"; done
hosts=()
kill "$server_pid" 2>/dev/null; server_pid=""
ec2 delete-route --route-table-id "$main" --destination-cidr-block 0.0.0.0/0 || fail "delete-route"
ec2 release-address --allocation-id "$eip" || fail "release-address"
ec2 disassociate-route-table --association-id "$assoc" || fail "disassociate-route-table"
ec2 delete-route-table --route-table-id "$rtb" || fail "delete-route-table"
ec2 detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" || fail "detach-internet-gateway"
ec2 delete-internet-gateway --internet-gateway-id "$igw" || fail "delete-internet-gateway"
ec2 delete-subnet --subnet-id "$public" || fail "delete-subnet public"
ec2 delete-subnet --subnet-id "$private" || fail "delete-subnet private"
ec2 delete-vpc --vpc-id "$vpc" || fail "delete-vpc"
ec2 detach-internet-gateway --internet-gateway-id "$igw2" --vpc-id "$vpc2" || fail "detach the second gateway"
ec2 delete-internet-gateway --internet-gateway-id "$igw2" || fail "delete the second gateway"
ec2 delete-subnet --subnet-id "$sub2" || fail "delete the second subnet"
ec2 delete-vpc --vpc-id "$vpc2" || fail "delete the second VPC"
for v in "$vpc" "$vpc2"; do
    [ -e "/run/netns/twinbox-$v" ] && fail "router namespace of $v left"
    ip link show "tbg${v:4:12}" >/dev/null 2>&1 && fail "gateway link of $v left"
done
others=$(grep -v "tbg${default:4:12}" <<<"$(ip route)")
grep -q "198.1[89]" <<<"$others" && fail "routes to the VPCs left: $others"
left=$(json describe-vpcs "[v['VpcId'] for v in d['Vpcs'] if not v['IsDefault']]")
[ "$left" = "[]" ] || fail "describe-vpcs still lists $left"
pass "after delete: no router namespace, gateway link or route left"

# The default VPC: 172.31.0.0/16, its default subnet, its gateway; deleted as any other.
cidr=$(json describe-subnets --filters "Name=vpc-id,Values=$default" \
    'd["Subnets"][0]["CidrBlock"] + " " + str(d["Subnets"][0]["MapPublicIpOnLaunch"])')
[ "$cidr" = "172.31.0.0/20 True" ] || fail "default subnet: $cidr"
dsub=$(json describe-subnets --filters "Name=vpc-id,Values=$default" 'd["Subnets"][0]["SubnetId"]')
digw=$(json describe-internet-gateways --filters "Name=attachment.vpc-id,Values=$default" \
    'd["InternetGateways"][0]["InternetGatewayId"]')
ec2 delete-subnet --subnet-id "$dsub" || fail "delete the default subnet"
ec2 detach-internet-gateway --internet-gateway-id "$digw" --vpc-id "$default" || fail "detach the default gateway"
ec2 delete-internet-gateway --internet-gateway-id "$digw" || fail "delete the default gateway"
ec2 delete-vpc --vpc-id "$default" || fail "delete the default VPC"
[ -e "/run/netns/twinbox-$default" ] && fail "the default VPC's namespace is left"
grep -q "198.1[89]" <<<"$(ip route)" && fail "routes left: $(ip route)"
grep -q "^tb" <<<"$(ip -br link)" && fail "links left: $(ip -br link)"
pass "default VPC $default with 172.31.0.0/20 (MapPublicIpOnLaunch), deleted without a trace"
echo "PASS"
