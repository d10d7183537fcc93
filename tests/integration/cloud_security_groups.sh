#!/bin/bash
# Security groups and network ACLs enforced with real packets (docs/cloud.md
# "Security groups"), in a VPC and subnet made by `twinbox ec2 create-vpc` and
# `create-subnet` (its router namespace and subnet bridge): three "instances"
# (network namespaces on veths whose router ends carry instance_port_name
# names, cloud/vpc_names.h) and an "outside" namespace routed through the
# router; the instances' records are written into a private TWINBOX_ROOT,
# and `twinbox ec2` is driven:
#   22 from anywhere, 80 only from the VPC CIDR, default deny; a
#   --source-group rule; revoke refuses new connections and keeps an open
#   one (AWS's connection tracking); modify-instance-attribute --groups; a
#   network ACL deny at the subnet edge (not inside the subnet); bad input
#   (port 70000, a bad CIDR, the 61st rule, a group of another VPC) is AWS's
#   code, exit 254, and changes neither the groups nor the nftables ruleset.
# Every namespace, link and table is removed at the end.
# usage: cloud_security_groups.sh TWINBOX_BINARY
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v busybox >/dev/null || { echo "SKIP: no busybox"; exit 77; }
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
for module in bridge veth br_netfilter nf_tables nft_ct; do modprobe "$module" 2>/dev/null; done

hex() { od -An -N9 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-17; }
work="$(mktemp -d)"
export TWINBOX_ROOT="$work/root"
. "$here/cloud_lib.sh"
vpc=""; other_vpc=""; router=""
declare -A ip port netns
ids=()
names=(a b c)
ip[a]=10.0.1.10; ip[b]=10.0.1.11; ip[c]=10.0.1.12
for n in "${names[@]}"; do
    id="i-$(hex)"
    ids[${#ids[@]}]="$id"
    declare "id_$n=$id"
    port[$n]="tbi${id#i-}"; port[$n]="${port[$n]:0:15}"
    netns[$n]="sgtest-$n-$$"
done
outside="sgtest-out-$$"
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${netns[@]}" "$outside"; do ip netns del "$ns" 2>/dev/null; done
    # The VPCs' router namespaces, whatever state the test stopped in.
    for v in "$vpc" "$other_vpc"; do [ -n "$v" ] && ip netns del "twinbox-$v" 2>/dev/null; done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

# --- The VPC (its router namespace), its subnet bridge, three instances and the outside ---
ec2 create-vpc --cidr-block 10.0.0.0/16 >"$work/vpc.json" || fail "create-vpc"
vpc=$(json_get "$work/vpc.json" 'd["Vpc"]["VpcId"]')
router="twinbox-$vpc"
ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 >"$work/subnet.json" || fail "create-subnet"
subnet=$(json_get "$work/subnet.json" 'd["Subnet"]["SubnetId"]')
bridge="tbs${subnet#subnet-}"; bridge="${bridge:0:15}"
ec2 create-vpc --cidr-block 10.1.0.0/16 >"$work/other.json" || fail "create-vpc (the other)"
other_vpc=$(json_get "$work/other.json" 'd["Vpc"]["VpcId"]')
ip -n "$router" link show "$bridge" >/dev/null || fail "the subnet's bridge $bridge is not in $router"
for n in "${names[@]}"; do
    ip netns add "${netns[$n]}"
    ip -n "$router" link add "${port[$n]}" type veth peer name eth0 netns "${netns[$n]}" || fail "veth $n"
    ip -n "$router" link set "${port[$n]}" master "$bridge" up
    ip -n "${netns[$n]}" link set lo up
    ip -n "${netns[$n]}" addr add "${ip[$n]}/24" dev eth0
    ip -n "${netns[$n]}" link set eth0 up
    ip -n "${netns[$n]}" route add default via 10.0.1.1
done
ip netns add "$outside"
ip -n "$router" link add tbtestout type veth peer name eth0 netns "$outside"
ip -n "$router" addr add 192.168.77.1/24 dev tbtestout
ip -n "$router" link set tbtestout up
ip -n "$outside" addr add 192.168.77.2/24 dev eth0
ip -n "$outside" link set eth0 up
ip -n "$outside" link set lo up
ip -n "$outside" route add default via 192.168.77.1
# The test's outside link is no gateway of the VPC: its replies are routed
# by the main table ahead of the subnet's (which has no route there).
ip -n "$router" rule add to 192.168.77.0/24 lookup main priority 800 || fail "ip rule for the outside"

# Servers on a: 22, 80 and 8080 answer "hi" (busybox nc); 2222 echoes.
for p in 22 80 8080; do
    ip netns exec "${netns[a]}" busybox nc -ll -p $p -e echo hi &
    pids+=($!)
done
ip netns exec "${netns[a]}" busybox nc -ll -p 2222 -e cat &
pids+=($!)
sleep 0.5

# reaches FROM_NS PORT: whether a's PORT answers from FROM_NS.
reaches() {
    [ "$(ip netns exec "$1" timeout 5 busybox nc -w 2 "${ip[a]}" "$2" </dev/null 2>/dev/null)" = hi ]
}
allowed() { reaches "$1" "$2" || fail "$3: refused"; pass "$3"; }
refused() { ! reaches "$1" "$2" || fail "$3: got through"; pass "$3"; }

# Before any group is applied nothing filters (no table yet).
allowed "$outside" 8080 "no rules yet: outside reaches a:8080"

# --- Groups and the instances' records ---
ec2 create-security-group --group-name web --description "web servers" --vpc-id "$vpc" >"$work/web.json" ||
    fail "create-security-group web"
web=$(json_get "$work/web.json" 'd["GroupId"]')
ec2 create-security-group --group-name clients --description "clients" --vpc-id "$vpc" >"$work/clients.json" ||
    fail "create-security-group clients"
clients=$(json_get "$work/clients.json" 'd["GroupId"]')
ec2 describe-security-groups --filters "Name=vpc-id,Values=$vpc" Name=group-name,Values=default >"$work/default.json"
default=$(json_get "$work/default.json" 'd["SecurityGroups"][0]["GroupId"]')
[[ "$web" =~ ^sg-[0-9a-f]{17}$ && "$default" =~ ^sg-[0-9a-f]{17}$ ]] || fail "group ids '$web' '$default'"
pass "groups web=$web clients=$clients default=$default"

"$python" - "$TWINBOX_ROOT/lib/cloud/instances.json" "$vpc" "$subnet" \
    "$id_a:${ip[a]}:$web" "$id_b:${ip[b]}:$clients" "$id_c:${ip[c]}:$default" <<'PY'
import json, sys
path, vpc, subnet = sys.argv[1:4]
records = []
for spec in sys.argv[4:]:
    iid, ip, group = spec.split(":")
    records.append({"InstanceId": iid, "ReservationId": "r-0123456789abcdef0",
                    "ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro",
                    "Isolation": "container", "Workload": "sgtest-" + iid, "VpcId": vpc,
                    "SubnetId": subnet, "SecurityGroupIds": [group], "State": "running",
                    "PrivateIpAddress": ip, "LaunchTime": "2026-12-07T18:00:00.000Z"})
json.dump({"Instances": records}, open(path, "w"))
PY
[ $? = 0 ] || fail "writing instances.json"

ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 0.0.0.0/0 >"$work/auth.json" ||
    fail "authorize 22"
expect_contains "$work/auth.json" '"SecurityGroupRuleId": "sgr-' "authorize prints the rule"
ec2 authorize-security-group-ingress --group-id "$web" \
    --ip-permissions '[{"IpProtocol":"tcp","FromPort":80,"ToPort":80,"IpRanges":[{"CidrIp":"10.0.0.0/16","Description":"the VPC"}]}]' \
    >/dev/null || fail "authorize 80 by --ip-permissions"

allowed "$outside" 22 "22 from anywhere: outside (routed) reaches a:22"
allowed "${netns[b]}" 22 "22 from anywhere: b (same subnet, bridged) reaches a:22"
refused "$outside" 80 "80 only from the VPC: outside is refused"
allowed "${netns[b]}" 80 "80 only from the VPC: b reaches a:80"
refused "$outside" 8080 "default deny: outside cannot reach a:8080"
refused "${netns[b]}" 8080 "default deny: b cannot reach a:8080"
# Egress default allow and statefulness: c's default group lets a's reply back.
ip netns exec "${netns[c]}" busybox nc -ll -p 9000 -e echo hi &
pids+=($!)
sleep 0.3
[ "$(ip netns exec "${netns[a]}" timeout 5 busybox nc -w 2 "${ip[c]}" 9000 </dev/null)" = hi ] &&
    fail "c's default group let a in (a is not a member)"
pass "the default group refuses a non-member"

# --- Source group ---
ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 8080 --source-group "$clients" >/dev/null ||
    fail "authorize --source-group"
allowed "${netns[b]}" 8080 "source group: b (in clients) reaches a:8080"
refused "${netns[c]}" 8080 "source group: c (not in clients) is refused"
ec2 modify-instance-attribute --instance-id "$id_c" --groups "$clients" "$default" || fail "modify-instance-attribute"
allowed "${netns[c]}" 8080 "modify-instance-attribute --groups: c joins clients and reaches a:8080"

# --- Revoke: new connections refused, an open one kept ---
ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 2222 --cidr 192.168.77.0/24 >/dev/null ||
    fail "authorize 2222"
ip netns exec "$outside" "$python" - "${ip[a]}" "$work/revoked" >"$work/session.txt" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 2222), timeout=5)
s.sendall(b"before\n"); print(s.recv(100).decode().strip(), flush=True)
for _ in range(100):
    if os.path.exists(sys.argv[2]): break
    time.sleep(0.1)
s.sendall(b"after\n"); print(s.recv(100).decode().strip(), flush=True)
PY
session=$!
sleep 1
ec2 revoke-security-group-ingress --group-id "$web" --protocol tcp --port 2222 --cidr 192.168.77.0/24 >/dev/null ||
    fail "revoke 2222"
touch "$work/revoked"
wait $session
[ "$(tr '\n' ' ' <"$work/session.txt")" = "before after " ] ||
    fail "the open session did not survive the revoke: $(cat "$work/session.txt")"
pass "revoke keeps a tracked connection (as AWS)"
ip netns exec "$outside" timeout 5 "$python" -c "import socket,sys; socket.create_connection(('${ip[a]}',2222),timeout=2)" 2>/dev/null &&
    fail "a new connection got through after the revoke"
pass "revoke refuses new connections"
ec2 revoke-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 0.0.0.0/0 >/dev/null || fail "revoke 22"
refused "$outside" 22 "revoke 22: outside is refused at once"
ec2 authorize-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 0.0.0.0/0 >/dev/null || fail "re-authorize 22"

# --- Network ACL: deny 22 from outside at the subnet edge ---
ec2 create-network-acl --vpc-id "$vpc" >"$work/acl.json" || fail "create-network-acl"
acl=$(json_get "$work/acl.json" 'd["NetworkAcl"]["NetworkAclId"]')
ec2 create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 --protocol tcp \
    --port-range From=22,To=22 --cidr-block 192.168.77.0/24 --rule-action deny || fail "nacl entry 100"
ec2 create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 200 --protocol -1 \
    --cidr-block 0.0.0.0/0 --rule-action allow || fail "nacl entry 200"
ec2 create-network-acl-entry --network-acl-id "$acl" --egress --rule-number 100 --protocol -1 \
    --cidr-block 0.0.0.0/0 --rule-action allow || fail "nacl egress 100"
association="aclassoc-${subnet#subnet-}"
ec2 replace-network-acl-association --association-id "$association" --network-acl-id "$acl" >/dev/null ||
    fail "replace-network-acl-association"
refused "$outside" 22 "NACL rule 100 deny: outside cannot reach a:22"
allowed "${netns[b]}" 22 "NACL acts at the subnet edge: b still reaches a:22"
ec2 delete-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 || fail "delete-network-acl-entry"
allowed "$outside" 22 "NACL rule 100 deleted: outside reaches a:22 again"
ec2 describe-network-acls --filters "Name=vpc-id,Values=$vpc" >"$work/acls.json" || fail "describe-network-acls"
[ "$(json_get "$work/acls.json" 'len(d["NetworkAcls"])')" = 2 ] || fail "two ACLs (default + ours)"
pass "describe-network-acls lists the default ACL and ours"

# --- Bad input: AWS's code, nothing changed ---
ruleset() { ip netns exec "$router" "$python" "$here/nft_list.py" "list ruleset"; }
ec2 describe-security-groups --group-ids "$web" >"$work/before.json"
ruleset >"$work/nft-before.txt"
fails 254 InvalidParameterValue "port 70000" authorize-security-group-ingress --group-id "$web" --protocol tcp --port 70000 --cidr 0.0.0.0/0
fails 254 InvalidParameterValue "bad CIDR" authorize-security-group-ingress --group-id "$web" --protocol tcp --port 443 --cidr 10.0.0.0/33
foreign=$(ec2 create-security-group --group-name x --description x --vpc-id "$other_vpc" --query GroupId --output text)
[[ "$foreign" =~ ^sg- ]] || fail "a group in another VPC ('$foreign')"
fails 254 InvalidGroup.NotFound "a group of another VPC" authorize-security-group-ingress --group-id "$web" --protocol tcp --port 443 \
    --source-group "$foreign"
fails 254 InvalidPermission.Duplicate "a duplicate rule" authorize-security-group-ingress --group-id "$web" --protocol tcp --port 22 --cidr 0.0.0.0/0
fails 254 InvalidGroup.NotFound "an unknown group" authorize-security-group-ingress --group-id sg-00000000000000000 --protocol tcp --port 22 --cidr 0.0.0.0/0
fails 254 CannotDelete "the default group" delete-security-group --group-id "$default"
fails 254 DependencyViolation "a group in use" delete-security-group --group-id "$web"
fails 254 InvalidParameter "modify to another VPC's group" modify-instance-attribute --instance-id "$id_a" --groups "$foreign"
cmp -s "$work/before.json" <(ec2 describe-security-groups --group-ids "$web") || fail "a refused request changed the group"
cmp -s "$work/nft-before.txt" <(ruleset) || fail "a refused request changed the ruleset"
pass "refused requests changed neither the group nor the ruleset"
# The 61st rule: 60 ingress rules fill the group, one more is refused whole.
perms=$("$python" -c 'import json; print(json.dumps([{"IpProtocol":"udp","FromPort":p,"ToPort":p,"IpRanges":[{"CidrIp":"10.0.0.0/16"}]} for p in range(1000, 1000 + 60 - '"$(json_get "$work/before.json" 'sum(len(p["IpRanges"]) + len(p["UserIdGroupPairs"]) for p in d["SecurityGroups"][0]["IpPermissions"])')"')]))')
ec2 authorize-security-group-ingress --group-id "$web" --ip-permissions "$perms" >/dev/null || fail "filling the group to 60 rules"
ruleset >"$work/nft-60.txt"
fails 254 RulesPerSecurityGroupLimitExceeded "the 61st rule" authorize-security-group-ingress --group-id "$web" --protocol udp --port 5000 --cidr 10.0.0.0/16
cmp -s "$work/nft-60.txt" <(ruleset) || fail "the 61st rule changed the ruleset"
allowed "$outside" 22 "60 rules: 22 still reaches a"

# --- Cleanup: the groups, the VPCs (their routers take their tables), the namespaces ---
fails 254 DependencyViolation "delete-vpc with security groups" delete-vpc --vpc-id "$vpc"
for n in "${names[@]}"; do ip netns del "${netns[$n]}" || fail "ip netns del ${netns[$n]}"; done
ip netns del "$outside" || fail "ip netns del $outside"
"$python" - "$TWINBOX_ROOT/lib/cloud/instances.json" <<'PY' || fail "dropping the instances' records"
import json, sys
path = sys.argv[1]
json.dump({"Instances": []}, open(path, "w"))
PY
for g in "$web" "$clients" "$foreign"; do ec2 delete-security-group --group-id "$g" || fail "delete-security-group $g"; done
fails 254 DependencyViolation "delete-network-acl of an associated ACL" delete-network-acl --network-acl-id "$acl"
# delete-subnet drops the subnet's association, so its ACL can go after it.
ec2 delete-subnet --subnet-id "$subnet" || fail "delete-subnet"
ec2 delete-network-acl --network-acl-id "$acl" || fail "delete-network-acl after its subnet"
ec2 delete-vpc --vpc-id "$vpc" || fail "delete-vpc"
ec2 delete-vpc --vpc-id "$other_vpc" || fail "delete-vpc (the other)"
for ns in "${netns[@]}" "$outside" "$router" "twinbox-$other_vpc"; do
    [ -e "/run/netns/$ns" ] && fail "$ns left"
done
pass "no namespace, link or table left"
