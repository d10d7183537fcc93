#!/bin/bash
# The EC2 API (docs/cloud.md "The EC2 API") driven by the real clients:
# Debian's awscli 2.9 (/usr/bin/aws) and python3-boto3 (/usr/bin/python3;
# a pyenv aws or python3 earlier in PATH is not used). `twinbox cloud
# credentials` writes a profile, `twinbox cloud serve` listens on a free
# loopback port, and the AWS CLI does what a student does: a key pair
# (create, describe, delete), describe-instance-types, describe-images,
# run-instances of the provided AMI as a container (tag twinbox:isolation),
# `aws ec2 wait instance-running`, describe-instances, terminate; boto3 does
# the same with its waiter. The VPC actions: a VPC, subnet, internet gateway
# and route table made, described and deleted, and a security group's
# rules authorized, described and revoked. Refused: a wrong secret (SignatureDoesNotMatch),
# a request signed 20 minutes ago (RequestExpired), no signature
# (MissingAuthenticationToken), malformed parameters (InvalidParameterValue),
# an unknown action (InvalidAction). The server is stopped by its PID.
#
# Everything in a private TWINBOX_ROOT, AWS config and network namespace.
# usage: cloud_api.sh TWINBOX_BINARY AMI_ARCHIVE
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
archive="$2"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x /usr/bin/aws ] || { echo "SKIP: no /usr/bin/aws (awscli, scripts/install-deps.sh)"; exit 77; }
/usr/bin/python3 -c 'import boto3' 2>/dev/null ||
    { echo "SKIP: no boto3 for /usr/bin/python3 (python3-boto3)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
if [ -z "${TWINBOX_TEST_NETNS:-}" ]; then
    for module in bridge veth nf_tables nft_chain_nat nft_masq nft_nat nft_fib_ipv4 nft_ct; do
        modprobe "$module" 2>/dev/null
    done
    TWINBOX_TEST_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
ip link set lo up || fail "lo up in the test's network namespace"

work="$(mktemp -d -p /dev/shm twinbox-api.XXXXXX)"
export TWINBOX_ROOT="$work/root"
export AWS_SHARED_CREDENTIALS_FILE="$work/aws/credentials" AWS_CONFIG_FILE="$work/aws/config"
export AWS_PROFILE=twinbox-test AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION
server=""
cleanup() {
    local status=$?
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
    for id in $("$twinbox" ps -a -q 2>/dev/null); do "$twinbox" rm -f "$id" >/dev/null 2>&1; done
    # The VPCs' router namespaces (the default VPC's too: describe-vpcs makes
    # it); their host ends were in this test's own network namespace.
    for v in $(grep -o '"vpc-[0-9a-f]\{17\}"' "$TWINBOX_ROOT/lib/cloud/vpcs.json" 2>/dev/null | sort -u | tr -d '"'); do
        ip netns del "twinbox-$v" 2>/dev/null
    done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

# Credentials: AKIA + 16, a 40-character secret, a profile the CLI reads, all 0600.
"$twinbox" cloud credentials --profile twinbox-test --write-aws-config >"$work/credentials.out" ||
    fail "cloud credentials"
grep -Eq '^AccessKeyId: AKIA[A-Z2-7]{16}$' "$work/credentials.out" || fail "access key id format"
grep -Eq '^SecretAccessKey: .{40}$' "$work/credentials.out" || fail "secret format"
for file in "$AWS_SHARED_CREDENTIALS_FILE" "$AWS_CONFIG_FILE" "$TWINBOX_ROOT/lib/cloud/credentials.json"; do
    [ "$(stat -c %a "$file")" = 600 ] || fail "$file is not 0600"
done
grep -q '^\[profile twinbox-test\]' "$AWS_CONFIG_FILE" && grep -q '^region = local-1' "$AWS_CONFIG_FILE" ||
    fail "the config file has no region for the profile"
pass "credentials: $(sed -n 's/^AccessKeyId: //p' "$work/credentials.out"), profile written 0600"

# The server on a free loopback port (port 0: it prints the one it got).
"$twinbox" cloud serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; fail "the server exited"; }
    sleep 0.1
done
endpoint=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$endpoint" ] || fail "the server printed no address"
pass "serving on $endpoint"

aws() { timeout 300 /usr/bin/aws --endpoint-url "$endpoint" --output json "$@"; }
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# refused CODE NAME ARGS...: the AWS CLI exits 254 with "An error occurred (CODE)".
refused() {
    local code="$1" name="$2"
    shift 2
    aws "$@" >"$work/out" 2>"$work/err"
    expect_status 254 $? "$name"
    expect_contains "$work/err" "($code)" "$name"
    pass "$name: $code"
}

aws ec2 create-key-pair --key-name lab --query KeyMaterial --output text >"$work/lab.pem" ||
    fail "create-key-pair"
grep -q -- '-----BEGIN' "$work/lab.pem" || fail "create-key-pair returned no private key"
aws ec2 describe-key-pairs --key-names lab >"$work/keys.json" || fail "describe-key-pairs"
[ "$(json_get "$work/keys.json" 'd["KeyPairs"][0]["KeyName"]')" = lab ] || fail "describe-key-pairs: no lab"
refused InvalidKeyPair.Duplicate "create-key-pair twice" ec2 create-key-pair --key-name lab
aws ec2 delete-key-pair --key-name lab || fail "delete-key-pair"
refused InvalidKeyPair.NotFound "describe-key-pairs after delete" ec2 describe-key-pairs --key-names lab
aws ec2 create-key-pair --key-name lab --query KeyMaterial --output text >"$work/lab.pem" ||
    fail "create-key-pair again"
pass "key pairs: create, describe, duplicate refused, delete"

aws ec2 describe-instance-types --instance-types t3.micro >"$work/types.json" || fail "describe-instance-types"
[ "$(json_get "$work/types.json" 'd["InstanceTypes"][0]["MemoryInfo"]["SizeInMiB"]')" = 1024 ] ||
    fail "t3.micro has not 1024 MiB"
pass "describe-instance-types: t3.micro 1024 MiB"

# The VPC actions (the rows of cloud/vpc_verbs.h's table): a VPC with a
# subnet, an internet gateway and a route table routing 0.0.0.0/0 to it,
# then everything deleted again; AWS's codes for bad input.
aws ec2 create-vpc --cidr-block 10.5.0.0/16 >"$work/vpc.json" || fail "aws ec2 create-vpc"
vpc=$(json_get "$work/vpc.json" 'd["Vpc"]["VpcId"]')
[ -e "/run/netns/twinbox-$vpc" ] || fail "create-vpc made no router namespace"
aws ec2 describe-vpcs --vpc-ids "$vpc" >"$work/vpcs.json" || fail "aws ec2 describe-vpcs"
[ "$(json_get "$work/vpcs.json" 'd["Vpcs"][0]["CidrBlock"]')" = 10.5.0.0/16 ] || fail "describe-vpcs: CidrBlock"
aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.5.1.0/24 >"$work/subnet.json" || fail "aws ec2 create-subnet"
subnet=$(json_get "$work/subnet.json" 'd["Subnet"]["SubnetId"]')
[ "$(json_get "$work/subnet.json" 'd["Subnet"]["AvailableIpAddressCount"]')" = 251 ] ||
    fail "create-subnet: 251 available addresses (AWS reserves 5)"
aws ec2 modify-subnet-attribute --subnet-id "$subnet" --map-public-ip-on-launch || fail "modify-subnet-attribute"
aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" >"$work/subnets.json" || fail "describe-subnets"
[ "$(json_get "$work/subnets.json" 'd["Subnets"][0]["MapPublicIpOnLaunch"]')" = True ] ||
    fail "describe-subnets: MapPublicIpOnLaunch after modify-subnet-attribute"
igw=$(aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId --output text) ||
    fail "create-internet-gateway"
aws ec2 attach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" || fail "attach-internet-gateway"
rtb=$(aws ec2 create-route-table --vpc-id "$vpc" --query RouteTable.RouteTableId --output text) ||
    fail "create-route-table"
aws ec2 create-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --gateway-id "$igw" \
    >/dev/null || fail "create-route"
association=$(aws ec2 associate-route-table --route-table-id "$rtb" --subnet-id "$subnet" \
    --query AssociationId --output text) || fail "associate-route-table"
aws ec2 describe-route-tables --route-table-ids "$rtb" >"$work/rtb.json" || fail "describe-route-tables"
[ "$(json_get "$work/rtb.json" '[r["GatewayId"] for r in d["RouteTables"][0]["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]')" = "$igw" ] ||
    fail "describe-route-tables: the default route to $igw"
refused InvalidSubnet.Range "a subnet outside its VPC" ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.6.0.0/24
refused DependencyViolation "delete-vpc with a subnet" ec2 delete-vpc --vpc-id "$vpc"
refused InvalidVpcID.NotFound "an unknown VPC" ec2 describe-vpcs --vpc-ids vpc-0123456789abcdef0
# Security groups: a group of the VPC, rules by CIDR and by source group
# (the AWS CLI sends its shorthand as IpPermissions), describe, revoke, delete.
sg=$(aws ec2 create-security-group --group-name web --description "web servers" --vpc-id "$vpc" \
    --query GroupId --output text) || fail "create-security-group"
aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 0.0.0.0/0 \
    >/dev/null || fail "authorize-security-group-ingress --cidr"
aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --source-group "$sg" \
    >/dev/null || fail "authorize-security-group-ingress --source-group"
aws ec2 describe-security-groups --group-ids "$sg" >"$work/sg.json" || fail "describe-security-groups"
[ "$(json_get "$work/sg.json" 'sorted((p["FromPort"], len(p["IpRanges"]), len(p["UserIdGroupPairs"])) for p in d["SecurityGroups"][0]["IpPermissions"])')" = "[(22, 1, 0), (80, 0, 1)]" ] ||
    { cat "$work/sg.json"; fail "describe-security-groups: the two rules"; }
refused InvalidParameterValue "port 70000" ec2 authorize-security-group-ingress --group-id "$sg" \
    --ip-permissions IpProtocol=tcp,FromPort=70000,ToPort=70000,IpRanges=[{CidrIp=10.0.0.0/8}]
refused InvalidPermission.Duplicate "the same rule twice" ec2 authorize-security-group-ingress \
    --group-id "$sg" --protocol tcp --port 22 --cidr 0.0.0.0/0
refused DependencyViolation "delete-vpc with a security group" ec2 delete-vpc --vpc-id "$vpc"
aws ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 0.0.0.0/0 \
    >/dev/null || fail "revoke-security-group-ingress"
aws ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --source-group "$sg" \
    >/dev/null || fail "revoke-security-group-ingress --source-group"
aws ec2 delete-security-group --group-id "$sg" || fail "delete-security-group"
pass "security groups: create, authorize by CIDR and source group, describe, revoke, delete"
# Network ACLs: one with a deny entry put on the subnet and taken off again.
acl=$(aws ec2 create-network-acl --vpc-id "$vpc" --query NetworkAcl.NetworkAclId --output text) ||
    fail "create-network-acl"
aws ec2 create-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 --protocol tcp \
    --port-range From=22,To=22 --cidr-block 0.0.0.0/0 --rule-action deny || fail "create-network-acl-entry"
refused InvalidParameterValue "a rule action that is neither allow nor deny" ec2 create-network-acl-entry \
    --network-acl-id "$acl" --ingress --rule-number 200 --protocol -1 --cidr-block 0.0.0.0/0 --rule-action maybe
aws ec2 describe-network-acls --network-acl-ids "$acl" >"$work/acl.json" || fail "describe-network-acls"
[ "$(json_get "$work/acl.json" '[(e["RuleNumber"], e["RuleAction"], e["PortRange"]["From"]) for e in d["NetworkAcls"][0]["Entries"] if not e["Egress"] and e["RuleNumber"] == 100]')" = "[(100, 'deny', 22)]" ] ||
    { cat "$work/acl.json"; fail "describe-network-acls: the deny entry"; }
default_acl=$(aws ec2 describe-network-acls --filters "Name=vpc-id,Values=$vpc" Name=default,Values=true \
    --query 'NetworkAcls[0].NetworkAclId' --output text) || fail "describe-network-acls (the default)"
moved=$(aws ec2 replace-network-acl-association --association-id "aclassoc-${subnet#subnet-}" \
    --network-acl-id "$acl" --query NewAssociationId --output text) || fail "replace-network-acl-association"
aws ec2 replace-network-acl-association --association-id "$moved" --network-acl-id "$default_acl" \
    >/dev/null || fail "replace-network-acl-association (back to the default)"
aws ec2 delete-network-acl-entry --network-acl-id "$acl" --ingress --rule-number 100 || fail "delete-network-acl-entry"
aws ec2 delete-network-acl --network-acl-id "$acl" || fail "delete-network-acl"
pass "network ACLs: create, a deny entry, describe, association moved and back, delete"
aws ec2 disassociate-route-table --association-id "$association" || fail "disassociate-route-table"
aws ec2 delete-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 || fail "delete-route"
aws ec2 delete-route-table --route-table-id "$rtb" || fail "delete-route-table"
aws ec2 detach-internet-gateway --internet-gateway-id "$igw" --vpc-id "$vpc" || fail "detach-internet-gateway"
aws ec2 delete-internet-gateway --internet-gateway-id "$igw" || fail "delete-internet-gateway"
aws ec2 delete-subnet --subnet-id "$subnet" || fail "delete-subnet"
aws ec2 delete-vpc --vpc-id "$vpc" || fail "delete-vpc"
[ ! -e "/run/netns/twinbox-$vpc" ] || fail "delete-vpc left its router namespace"
pass "VPC actions: create/describe/delete of a VPC, subnet, internet gateway, route table, route and association"

# Wrong and missing credentials, an old date, malformed input.
AWS_ACCESS_KEY_ID=$(sed -n 's/^AccessKeyId: //p' "$work/credentials.out") \
    AWS_SECRET_ACCESS_KEY=0000000000000000000000000000000000000000 \
    refused SignatureDoesNotMatch "a wrong secret" ec2 describe-instances
AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA AWS_SECRET_ACCESS_KEY=0000000000000000000000000000000000000000 \
    refused AuthFailure "an unknown access key" ec2 describe-instances
refused InvalidParameterValue "an unknown filter" ec2 describe-instances --filters Name=bogus,Values=x
refused InvalidParameterValue "MaxResults below 5" ec2 describe-instances --max-results 1
client() { timeout 600 /usr/bin/python3 "$here/cloud_api_client.py" "$endpoint" "$@"; }
for case in "unsigned 401 MissingAuthenticationToken" "old 400 RequestExpired" \
    "malformed 400 InvalidParameterValue" "unknown-action 400 InvalidAction"; do
    set -- $case
    got=$(client raw "$1") || fail "raw $1 request"
    [ "$got" = "$2 $3" ] || fail "raw $1 request: got '$got', want '$2 $3'"
    pass "$1 request: $got"
done

# The provided AMI, then an instance of it as a container.
if [ ! -f "$archive" ]; then
    echo "SKIP (instances): no provided AMI at $archive (build the guest-ami target)"
else
    aws ec2 describe-images --filters Name=name,Values=twinbox-dropbear >"$work/images.json" ||
        fail "describe-images"
    ami=$(json_get "$work/images.json" 'd["Images"][0]["ImageId"]')
    [[ "$ami" =~ ^ami-[0-9a-f]{17}$ ]] || fail "no id for the provided AMI ('$ami')"
    pass "describe-images: $ami"
    aws ec2 run-instances --image-id "$ami" --instance-type t3.micro --key-name lab \
        --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=api},{Key=twinbox:isolation,Value=container}]' \
        >"$work/run.json" || fail "run-instances"
    id=$(json_get "$work/run.json" 'd["Instances"][0]["InstanceId"]')
    [[ "$id" =~ ^i-[0-9a-f]{17}$ ]] || fail "run-instances gave no id"
    aws ec2 wait instance-running --instance-ids "$id" || fail "wait instance-running"
    aws ec2 describe-instances --filters Name=tag:Name,Values=api >"$work/describe.json" ||
        fail "describe-instances"
    first='d["Reservations"][0]["Instances"][0]'
    [ "$(json_get "$work/describe.json" "$first[\"InstanceId\"]")" = "$id" ] || fail "describe: not $id"
    [ "$(json_get "$work/describe.json" "$first[\"State\"][\"Name\"]")" = running ] || fail "not running"
    [ "$("$twinbox" ps -q --filter "name=$id" 2>/dev/null | wc -l)" -ge 0 ] || true
    ip=$(json_get "$work/describe.json" "$first.get(\"PrivateIpAddress\",\"\")")
    pass "run-instances $id (container), wait instance-running, describe: running at ${ip:-no address}"
    aws ec2 terminate-instances --instance-ids "$id" >"$work/terminate.json" || fail "terminate-instances"
    aws ec2 wait instance-terminated --instance-ids "$id" || fail "wait instance-terminated"
    pass "terminate-instances $id"
    client boto3 "$ami" || fail "the boto3 script"
    pass "boto3: key pair, instance type, run, waiter, describe, terminate"
    refused InvalidAMIID.NotFound "an unknown AMI" ec2 run-instances --image-id ami-0123456789abcdef0 \
        --instance-type t3.micro
fi

# Stopped by its PID, nothing left.
kill -TERM "$server" || fail "kill the server"
wait "$server"
expect_status 0 $? "the server's exit"
server=""
grep -q 'stopped' "$work/serve.log" || fail "the server did not say it stopped"
left=$("$twinbox" ps -a -q 2>/dev/null | wc -l)
[ "$left" = 0 ] || fail "$left workloads left"
pass "server stopped by PID, nothing left"
