#!/bin/bash
# `twinbox stack` (docs/cloud.md "Stacks"): a stack file in Terraform's JSON
# syntax with a key pair and a container instance of the provided AMI.
# plan shows the counts; apply creates both and ssh -i key reaches the
# instance; a second apply is a no-op; a changed tag is an update in place
# (same instance); a changed instance type is a replace (a new instance, the
# old terminated); an instance terminated by hand with `twinbox ec2
# terminate-instances` is planned back and re-created; two concurrent applies:
# the second is refused by the lock; destroy leaves nothing (no key pair,
# instance, workload, mount or veth). Stack files with a cycle, a dangling
# reference and an unknown argument are refused at plan with one line (252).
#
# Everything in a private TWINBOX_ROOT and a network namespace of its own.
# usage: cloud_stack.sh TWINBOX_BINARY AMI_ARCHIVE
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
archive="$2"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -f "$archive" ] || { echo "SKIP: no provided AMI at $archive (build the guest-ami target)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
command -v ssh >/dev/null || { echo "SKIP: no ssh client (openssh-client, scripts/install-deps.sh)"; exit 77; }
command -v ssh-keygen >/dev/null || { echo "SKIP: no ssh-keygen"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
if [ -z "${TWINBOX_TEST_NETNS:-}" ]; then
    for module in tun bridge veth nf_tables nft_chain_nat nft_masq nft_nat nft_fib_ipv4 nft_ct; do
        modprobe "$module" 2>/dev/null
    done
    TWINBOX_TEST_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
ip link set lo up || fail "lo up in the test's network namespace"

work="$(mktemp -d -p /dev/shm twinbox-stack.XXXXXX)"
export TWINBOX_ROOT="$work/root"
cleanup() {
    local status=$?
    # terminate-instances, not rm: it also stops the metadata server the instances started.
    "$twinbox" ec2 describe-instances --output json 2>/dev/null | python3 -c \
        'import json,sys; print(" ".join(i["InstanceId"] for r in json.load(sys.stdin)["Reservations"] for i in r["Instances"]))' \
        2>/dev/null | xargs -r timeout 120 "$twinbox" ec2 terminate-instances --instance-ids >/dev/null 2>&1
    for id in $("$twinbox" ps -a -q 2>/dev/null); do "$twinbox" rm -f "$id" >/dev/null 2>&1; done
    # The VPCs' router namespaces (their host ends were in this test's namespace).
    for v in $(grep -o '"vpc-[0-9a-f]\{17\}"' "$TWINBOX_ROOT/lib/cloud/vpcs.json" 2>/dev/null | sort -u | tr -d '"'); do
        ip netns del "twinbox-$v" 2>/dev/null
    done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

EC2_TIMEOUT=300
. "$here/cloud_lib.sh"
first='d["Reservations"][0]["Instances"][0]'

# stack VERB ARGS...: output in $work/out, errors in $work/err, the status returned.
stack() { timeout 600 "$twinbox" stack "$@" >"$work/out" 2>"$work/err"; }
show_out() { echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; }

digest=$("$twinbox" image import "$archive" | sed -n 's/.*(sha256:\([0-9a-f]*\)).*/\1/p')
ami="ami-${digest:0:17}"
[[ "$ami" =~ ^ami-[0-9a-f]{17}$ ]] || fail "no id for the provided AMI ('$ami')"
ssh-keygen -q -t ed25519 -N "" -f "$work/id" || fail "ssh-keygen"

file="$work/web.tf.json"
cat >"$file" <<EOF
{
  "variable": {
    "ami": {"type": "string"},
    "public_key": {"type": "string"},
    "instance_type": {"default": "t3.nano"},
    "name": {"default": "web"}
  },
  "locals": {"prefix": "lab"},
  "resource": {
    "aws_key_pair": {"lab": {"key_name": "\${local.prefix}-key", "public_key": "\${var.public_key}"}},
    "aws_instance": {
      "web": {
        "ami": "\${var.ami}",
        "instance_type": "\${var.instance_type}",
        "key_name": "\${aws_key_pair.lab.key_name}",
        "tags": {"Name": "\${local.prefix}-\${var.name}", "twinbox:isolation": "container"}
      }
    }
  },
  "output": {"web_ip": {"value": "\${aws_instance.web.private_ip}"}, "web_id": {"value": "\${aws_instance.web.id}"}}
}
EOF
vars=(-var "ami=$ami" -var "public_key=$(cat "$work/id.pub")")

instance_of() {  # the instance id the state records
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r for r in d["resources"] if r["type"]=="aws_instance"][0]["attributes"]["id"])' \
        "$work/web.tfstate.json"
}
describe() {
    ec2 describe-instances --instance-ids "$1" >"$work/d.json" || fail "describe-instances $1"
    json_get "$work/d.json" "$first$2"
}

# --- plan
stack plan -f "$file" "${vars[@]}" || { show_out; fail "plan"; }
grep -q "Plan: 2 to add, 0 to change, 0 to destroy." "$work/out" || { show_out; fail "plan counts"; }
grep -q '# aws_instance.web will be created' "$work/out" || { show_out; fail "plan lists the instance"; }
[ ! -e "$work/web.tfstate.json" ] || fail "plan wrote a state file"
pass "plan: 2 to add, no state written"

# --- apply
stack apply -f "$file" "${vars[@]}" || { show_out; fail "apply"; }
grep -q "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." "$work/out" || { show_out; fail "apply counts"; }
id=$(instance_of)
[ "$(describe "$id" '["State"]["Name"]')" = running ] || fail "$id is not running"
[ "$(describe "$id" '["KeyName"]')" = lab-key ] || fail "$id has not key lab-key"
ec2 describe-key-pairs --key-names lab-key >/dev/null || fail "no key pair lab-key"
ip=$(sed -n 's/^web_ip = "\(.*\)"$/\1/p' "$work/out")
[ "$ip" = "$(describe "$id" '["PrivateIpAddress"]')" ] || { show_out; fail "output web_ip '$ip'"; }
pass "apply: key pair lab-key and instance $id running at $ip (output web_ip)"

ok_ssh=""
for _ in $(seq 45); do
    ok_ssh=$(timeout 20 ssh -i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "ec2-user@$ip" \
        wget -qO- http://169.254.169.254/latest/meta-data/instance-id 2>/dev/null) && break
    sleep 2
done
[ "$ok_ssh" = "$id" ] || fail "ssh -i key ec2-user@$ip (meta-data instance-id '$ok_ssh')"
pass "ssh with the stack's key pair into $id"

# --- idempotent
stack apply -f "$file" "${vars[@]}" || { show_out; fail "second apply"; }
grep -q "No changes. Your infrastructure matches the configuration." "$work/out" &&
    grep -q "Resources: 0 added, 0 changed, 0 destroyed." "$work/out" || { show_out; fail "second apply is not a no-op"; }
[ "$(instance_of)" = "$id" ] || fail "second apply changed the instance"
pass "second apply: no changes"

# --- a tag: update in place
stack apply -f "$file" "${vars[@]}" -var name=www || { show_out; fail "apply with a new tag"; }
grep -q "Plan: 0 to add, 1 to change, 0 to destroy." "$work/out" &&
    grep -q '~ tags = .*"lab-web".*-> .*"lab-www"' "$work/out" || { show_out; fail "a tag is not an update in place"; }
[ "$(instance_of)" = "$id" ] || fail "a tag change replaced the instance"
[ "$(describe "$id" '["Tags"]')" != "" ] && json_get "$work/d.json" "[t['Value'] for t in $first['Tags'] if t['Key']=='Name'][0]" |
    grep -qx lab-www || fail "tag Name is not lab-www on $id"
pass "changed tag: updated in place on $id"

# --- the instance type: replace
stack apply -f "$file" "${vars[@]}" -var name=www -var instance_type=t3.micro || { show_out; fail "apply t3.micro"; }
grep -q "Plan: 1 to add, 0 to change, 1 to destroy." "$work/out" &&
    grep -q 'instance_type = "t3.nano" -> "t3.micro" # forces replacement' "$work/out" || { show_out; fail "type change is not a replace"; }
new=$(instance_of)
[ "$new" != "$id" ] || fail "instance type change kept $id"
[ "$(describe "$id" '["State"]["Name"]')" = terminated ] || fail "the replaced $id is not terminated"
[ "$(describe "$new" '["InstanceType"]')" = t3.micro ] || fail "$new is not t3.micro"
pass "changed instance type: $id replaced by $new (t3.micro)"
id=$new
full=("${vars[@]}" -var name=www -var instance_type=t3.micro)

# --- drift: terminated by hand
ec2 terminate-instances --instance-ids "$id" >/dev/null || fail "terminate-instances $id"
stack plan -f "$file" "${full[@]}" || { show_out; fail "plan after terminate"; }
grep -q "aws_instance.web: no longer exists" "$work/out" &&
    grep -q "Plan: 1 to add, 0 to change, 0 to destroy." "$work/out" || { show_out; fail "drift not planned"; }
stack refresh -f "$file" "${full[@]}" || { show_out; fail "refresh"; }
stack show -f "$file" || { show_out; fail "show"; }
grep -q "aws_instance.web" "$work/out" && { show_out; fail "show still lists the terminated instance after refresh"; }
grep -q "# aws_key_pair.lab:" "$work/out" || { show_out; fail "show lost the key pair"; }
pass "terminated by hand: plan says 1 to add, refresh drops it from the state"

# --- two applies at once: the second is refused by the lock. The first is
# frozen (SIGSTOP) once /proc/locks shows it holding the lock, so that it is
# certainly still running when the second starts.
"$twinbox" stack apply -f "$file" "${full[@]}" >"$work/first.out" 2>&1 &
first_pid=$!
held=""
for _ in $(seq 200); do
    grep -q "POSIX  *ADVISORY  *WRITE  *$first_pid " /proc/locks && { kill -STOP "$first_pid"; held=1; break; }
    sleep 0.05
done
[ -n "$held" ] || fail "the first apply never held the lock: $(cat "$work/first.out")"
stack apply -f "$file" "${full[@]}"
status=$?
kill -CONT "$first_pid"
wait "$first_pid" || fail "the first apply failed: $(cat "$work/first.out")"
expect_status 255 "$status" "second concurrent apply"
expect_one_line "$work/err" "second concurrent apply"
expect_contains "$work/err" "is locked" "second concurrent apply"
grep -q "Apply complete! Resources: 1 added" "$work/first.out" || fail "the first apply: $(cat "$work/first.out")"
id=$(instance_of)
[ "$(describe "$id" '["State"]["Name"]')" = running ] || fail "re-created $id is not running"
pass "concurrent apply refused: $(cat "$work/err"); the first re-created $id"

# --- destroy
stack destroy -f "$file" || { show_out; fail "destroy"; }
grep -q "Destroy complete! Resources: 2 destroyed." "$work/out" || { show_out; fail "destroy counts"; }
[ "$(describe "$id" '["State"]["Name"]')" = terminated ] || fail "$id not terminated by destroy"
ec2 describe-key-pairs >"$work/keys.json" || fail "describe-key-pairs"
[ "$(json_get "$work/keys.json" 'len(d["KeyPairs"])')" = 0 ] || fail "a key pair is left"
[ -z "$("$twinbox" ps -a -q)" ] || fail "a workload is left: $("$twinbox" ps -a)"
grep -q "$TWINBOX_ROOT" /proc/mounts && fail "mounts left: $(grep "$TWINBOX_ROOT" /proc/mounts)"
ip -br link | grep -Eq '^(tb|tap)' && fail "a veth or tap is left: $(ip -br link)"
stack show -f "$file" && grep -q "The state file is empty" "$work/out" || { show_out; fail "show after destroy"; }
stack plan -f "$file" "${full[@]}" && grep -q "Plan: 2 to add" "$work/out" || { show_out; fail "plan after destroy"; }
pass "destroy: nothing left (key pair, instance, workload, mount, veth)"

# --- refused at plan, one line each
refused() {  # NAME TEXT JSON
    printf '%s\n' "$3" >"$work/bad.tf.json"
    stack plan -f "$work/bad.tf.json"
    expect_status 252 $? "$1"
    expect_one_line "$work/err" "$1"
    expect_contains "$work/err" "$2" "$1"
    [ ! -e "$work/bad.tfstate.json" ] || fail "$1: a state file was written"
    pass "$1 refused: $(cat "$work/err")"
}
inst='"ami": "ami-00000000000000000", "instance_type": "t3.nano"'
refused "a cycle" "cycle: aws_instance.a -> aws_instance.b -> aws_instance.a" \
    "{\"resource\": {\"aws_instance\": {\"a\": {$inst, \"user_data\": \"\${aws_instance.b.id}\"}, \"b\": {$inst, \"depends_on\": [\"aws_instance.a\"]}}}}"
refused "a dangling reference" "/resource/aws_instance/a/key_name: reference to undeclared resource aws_key_pair.nope" \
    "{\"resource\": {\"aws_instance\": {\"a\": {$inst, \"key_name\": \"\${aws_key_pair.nope.key_name}\"}}}}"
refused "an unknown argument" "/resource/aws_instance/a/colour: unknown argument 'colour' of aws_instance (supported: ami" \
    "{\"resource\": {\"aws_instance\": {\"a\": {$inst, \"colour\": \"red\"}}}}"
refused "an unknown resource type" "/resource/aws_s3_bucket: unknown resource type" \
    '{"resource": {"aws_s3_bucket": {"b": {}}}}'

# A damaged state file: named, refused, kept.
echo '{"version": 1, "serial": "x"}' >"$work/web.tfstate.json"
cp "$work/web.tfstate.json" "$work/damaged"
stack apply -f "$file" "${full[@]}"
expect_status 255 $? "damaged state"
expect_one_line "$work/err" "damaged state"
expect_contains "$work/err" "web.tfstate.json is damaged" "damaged state"
cmp -s "$work/damaged" "$work/web.tfstate.json" || fail "the damaged state file was rewritten"
[ -z "$("$twinbox" ps -a -q)" ] || fail "a damaged state still made a workload"
pass "damaged state: $(cat "$work/err")"

# --- the network of examples/stack/vpc-web-bastion.tf.json (its instances
# and key pair left out: instances are not placed in subnets yet): a VPC, a
# public and a private subnet, an internet gateway, an Elastic IP, a NAT
# gateway, two route tables with their routes and associations, and two
# security groups with inline rules (one by source group)
net="$work/net.tf.json"
python3 - "$here/../../examples/stack/vpc-web-bastion.tf.json" "$net" <<'PY' || fail "the example's network"
import json, sys
stack = json.load(open(sys.argv[1]))
for kind in ("aws_instance", "aws_key_pair"):
    stack["resource"].pop(kind)
stack.pop("output", None)
for name in ("ami", "public_key"):
    stack["variable"].pop(name, None)
json.dump(stack, open(sys.argv[2], "w"), indent=1)
PY
stack plan -f "$net" && grep -q "Plan: 14 to add, 0 to change, 0 to destroy" "$work/out" || { show_out; fail "VPC stack: plan"; }
stack apply -f "$net" || { show_out; fail "VPC stack: apply"; }
vpc=$(python3 -c 'import json,sys; print([r["attributes"]["id"] for r in json.load(open(sys.argv[1]))["resources"] if r["type"] == "aws_vpc"][0])' \
    "$work/net.tfstate.json" 2>/dev/null)
[ -n "$vpc" ] && [ -e "/run/netns/twinbox-$vpc" ] || { cat "$work/net.tfstate.json"; fail "VPC stack: no router namespace for '$vpc'"; }
ec2 describe-route-tables --filters "Name=vpc-id,Values=$vpc" --output json >"$work/rtb.json" || fail "describe-route-tables"
[ "$(json_get "$work/rtb.json" 'sorted(r.get("GatewayId", r.get("NatGatewayId", ""))[:4] for t in d["RouteTables"] for r in t["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0")')" = "['igw-', 'nat-']" ] ||
    { cat "$work/rtb.json"; fail "VPC stack: default routes to the internet gateway and the NAT gateway"; }
stack plan -f "$net" && grep -q "No changes" "$work/out" || { show_out; fail "VPC stack: second plan"; }
python3 - "$net" <<'PY'
import json, sys
stack = json.load(open(sys.argv[1]))
for block in stack["resource"]["aws_security_group"]["web"]["ingress"]:
    if block["from_port"] == 80:
        block["from_port"] = block["to_port"] = 8080
json.dump(stack, open(sys.argv[1], "w"), indent=1)
PY
stack plan -f "$net" && grep -q "Plan: 0 to add, 1 to change, 0 to destroy" "$work/out" ||
    { show_out; fail "VPC stack: a changed rule is an update in place"; }
stack apply -f "$net" || { show_out; fail "VPC stack: apply the changed rule"; }
ec2 describe-security-groups --filters "Name=vpc-id,Values=$vpc" --output json >"$work/sg.json" || fail "describe-security-groups"
[ "$(json_get "$work/sg.json" '[sorted(p["FromPort"] for p in g["IpPermissions"]) for g in d["SecurityGroups"] if g["GroupName"].endswith("-web")][0]')" = "[22, 8080]" ] ||
    { cat "$work/sg.json"; fail "VPC stack: the web group's rules after the update"; }
stack destroy -f "$net" && grep -q "Resources: 14 destroyed" "$work/out" || { show_out; fail "VPC stack: destroy"; }
[ ! -e "/run/netns/twinbox-$vpc" ] || fail "VPC stack: destroy left the router namespace"
pass "VPC stack (the example's network): 14 created, no-op re-plan, a security group rule changed in place, destroyed"
