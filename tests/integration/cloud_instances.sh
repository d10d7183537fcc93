#!/bin/bash
# EC2 instances as a student launches them (docs/cloud.md, docs/labs/07-first-ec2-instance.md):
# a key pair, run-instances of the provided AMI with user data that writes a
# file, describe (running, a private address, filters, table), `twinbox ps`
# lists it, ssh -i key ec2-user@IP reads the user data's file and the
# instance metadata (instance-id), the instance type's limits inside,
# get-console-output, stop (stopped), start (the file is still there),
# terminate (terminated; no process, cgroup, mount, veth, lease or metadata
# server left). Bad input (containers only): unknown AMI, type and key,
# --count 0, 17 KiB of user data, a damaged instances.json, terminate of an
# unknown id: one line with AWS's code, nothing made or changed.
#
# Everything in a private TWINBOX_ROOT and in a network namespace of its own
# (the script runs itself again under `unshare -n`). ISOLATIONS picks the
# isolations (default "container"; the KVM test runs "vm" in the test host,
# with-kvm.sh, one boot for all the VM checks).
# usage: cloud_instances.sh TWINBOX_BINARY AMI_ARCHIVE [ISOLATIONS]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

twinbox="$1"
archive="$2"
isolations="${3:-container}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -f "$archive" ] || { echo "SKIP: no provided AMI at $archive (build the guest-ami target)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
command -v ssh >/dev/null || { echo "SKIP: no ssh client (openssh-client, scripts/install-deps.sh)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
if [ -z "${TWINBOX_TEST_NETNS:-}" ]; then
    # Drivers load in the initial namespace only (as vm_network.sh does): the
    # bridge, veth and tap, and nftables' NAT for the default network.
    for module in tun bridge veth nf_tables nft_chain_nat nft_masq nft_nat nft_fib_ipv4 nft_ct; do
        modprobe "$module" 2>/dev/null
    done
    TWINBOX_TEST_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
ip link set lo up || fail "lo up in the test's network namespace"

# /dev/shm: a tmpfs everywhere (inside the test host /tmp is an overlayfs,
# which cannot hold a container's upper directory).
work="$(mktemp -d -p /dev/shm twinbox-instances.XXXXXX)"
export TWINBOX_ROOT="$work/root"
cleanup() {
    local status=$?
    for id in $("$twinbox" ps -a -q 2>/dev/null); do "$twinbox" rm -f "$id" >/dev/null 2>&1; done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

EC2_TIMEOUT=300
first='d["Reservations"][0]["Instances"][0]'
. "$(dirname "$0")/cloud_lib.sh"

ec2 create-key-pair --key-name lab --query KeyMaterial --output text >"$work/lab.pem" ||
    fail "create-key-pair"

# The provided AMI: registered on first use; describe-images names it.
ami=""
if ec2 describe-images --filters Name=name,Values=twinbox-dropbear >"$work/images.json" 2>/dev/null; then
    ami=$(json_get "$work/images.json" 'd["Images"][0]["ImageId"]' 2>/dev/null)
fi
if [ -z "$ami" ]; then
    # Its id is ami- and the first 17 hex digits of its image digest (docs/cloud.md).
    digest=$("$twinbox" image import "$archive" | sed -n 's/.*(sha256:\([0-9a-f]*\)).*/\1/p')
    ami="ami-${digest:0:17}"
fi
[[ "$ami" =~ ^ami-[0-9a-f]{17}$ ]] || fail "no id for the provided AMI ('$ami')"
pass "provided AMI $ami"

cat >"$work/user-data.sh" <<'SCRIPT'
#!/bin/sh
echo "hello from user data" >/home/ec2-user/user-data.txt
chmod 644 /home/ec2-user/user-data.txt
SCRIPT

ssh_to() {
    local ip="$1"
    shift
    timeout 30 ssh -i "$work/lab.pem" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "ec2-user@$ip" "$@"
}

# wait_ssh IP SECONDS: until a login works (the init waits for metadata, then starts dropbear).
wait_ssh() {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        ssh_to "$1" true 2>/dev/null && return 0
        sleep 2
    done
    return 1
}

# wait_file ID PATH SECONDS: until PATH exists in the instance (twinbox exec).
wait_file() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        "$twinbox" exec "$1" test -e "$2" 2>/dev/null && return 0
        sleep 2
    done
    return 1
}

state_of() {
    ec2 describe-instances --instance-ids "$1" >"$work/state.json" || fail "describe $1"
    json_get "$work/state.json" "$first[\"State\"][\"Name\"]"
}

check_isolation() {
    local iso="$1" boot_wait=90
    [ "$iso" = vm ] && boot_wait=600
    ec2 run-instances --image-id "$ami" --instance-type t3.nano --key-name lab \
        --user-data "file://$work/user-data.sh" --isolation "$iso" \
        --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=lab-$iso}]" \
        >"$work/run.json" 2>"$work/run.err" || fail "$iso: run-instances: $(cat "$work/run.err")"
    local id ip
    id=$(json_get "$work/run.json" 'd["Instances"][0]["InstanceId"]')
    [[ "$id" =~ ^i-[0-9a-f]{17}$ ]] || fail "$iso: instance id '$id'"
    ec2 describe-instances --filters Name=tag:Name,Values="lab-$iso" \
        Name=instance-state-name,Values=running >"$work/describe.json" || fail "$iso: describe"
    [ "$(json_get "$work/describe.json" "$first[\"InstanceId\"]")" = "$id" ] ||
        fail "$iso: describe --filters tag:Name + running does not find $id"
    ip=$(json_get "$work/describe.json" "$first[\"PrivateIpAddress\"]")
    [[ "$ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$iso: private address '$ip'"
    [ "$(json_get "$work/describe.json" "$first[\"Isolation\"]")" = "$iso" ] || fail "$iso: Isolation"
    ec2 describe-instances --output table | grep "$id" | grep -q running || fail "$iso: table"
    pass "$iso: $id running at $ip, found by tag and state"

    "$twinbox" ps >"$work/ps" || fail "$iso: ps"
    grep "$id" "$work/ps" | grep -qw "$iso" || fail "$iso: twinbox ps does not list $id as $iso: $(cat "$work/ps")"
    pass "$iso: twinbox ps lists $id ($iso)"

    wait_ssh "$ip" "$boot_wait" || fail "$iso: no ssh login to ec2-user@$ip in ${boot_wait}s"
    local read_back=""
    for _ in $(seq 30); do
        read_back=$(ssh_to "$ip" cat /home/ec2-user/user-data.txt 2>/dev/null) && break
        sleep 1
    done
    [ "$read_back" = "hello from user data" ] || fail "$iso: user data's file over ssh: '$read_back'"
    [ "$(ssh_to "$ip" wget -qO- http://169.254.169.254/latest/meta-data/instance-id)" = "$id" ] ||
        fail "$iso: meta-data/instance-id over ssh is not $id"
    pass "$iso: ssh -i key ec2-user@$ip reads the user data's file and meta-data/instance-id"

    # t3.nano: 2 vCPUs, 512 MiB.
    if [ "$iso" = container ]; then
        limits=$("$twinbox" exec "$id" sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max 2>/dev/null ||
            { cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; }' | tr '\n' ' ')
        [ "$limits" = "536870912 200000 100000 " ] || fail "container: t3.nano limits inside are '$limits'"
        pass "container: t3.nano inside: memory 536870912, cpu 200000/100000"
    else
        [ "$("$twinbox" exec "$id" nproc)" = 2 ] || fail "vm: nproc is not 2"
        mem_kib=$("$twinbox" exec "$id" sh -c "sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo")
        [ "$mem_kib" -gt 400000 ] && [ "$mem_kib" -le 524288 ] || fail "vm: MemTotal ${mem_kib} kB for 512 MiB"
        pass "vm: t3.nano inside: 2 vCPUs, MemTotal ${mem_kib} kB"
    fi

    ec2 get-console-output --instance-id "$id" >"$work/console.json" || fail "$iso: get-console-output"
    json_get "$work/console.json" 'd["Output"]' >"$work/console.txt"
    grep -q "twinbox-instance-init" "$work/console.txt" ||
        fail "$iso: the console has no line of the instance init"
    pass "$iso: get-console-output shows the instance init"

    wait_file "$id" /home/ec2-user/user-data.txt 60 || fail "$iso: no user data file"
    ec2 stop-instances --instance-ids "$id" >"$work/stop.json" || fail "$iso: stop-instances"
    [ "$(json_get "$work/stop.json" 'd["StoppingInstances"][0]["PreviousState"]["Name"]')" = running ] ||
        fail "$iso: stop: PreviousState"
    [ "$(state_of "$id")" = stopped ] || fail "$iso: not stopped after stop-instances"
    pass "$iso: stop-instances -> stopped"

    ec2 start-instances --instance-ids "$id" >"$work/start.json" 2>"$work/start.err" ||
        fail "$iso: start-instances: $(cat "$work/start.err")"
    [ "$(state_of "$id")" = running ] || fail "$iso: not running after start-instances"
    ip=$(json_get "$work/state.json" "$first[\"PrivateIpAddress\"]")
    [ "$("$twinbox" exec "$id" cat /home/ec2-user/user-data.txt)" = "hello from user data" ] ||
        fail "$iso: the user data's file is gone after stop and start"
    pass "$iso: start-instances -> running at $ip, root volume kept"

    local cid pid
    cid=$("$twinbox" ps -a | awk -v id="$id" '$2 == id { print $1 }')
    pid=$("$twinbox" inspect "$id" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["State"].get("Pid",0))' 2>/dev/null)
    ec2 terminate-instances --instance-ids "$id" >"$work/terminate.json" || fail "$iso: terminate-instances"
    [ "$(json_get "$work/terminate.json" 'd["TerminatingInstances"][0]["CurrentState"]["Name"]')" = terminated ] ||
        fail "$iso: terminate: CurrentState"
    [ "$(state_of "$id")" = terminated ] || fail "$iso: not terminated"
    "$twinbox" ps -a | grep -q "$id" && fail "$iso: $id still in twinbox ps -a"
    if [ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null; then fail "$iso: process $pid still runs"; fi
    [ -n "$cid" ] && find /sys/fs/cgroup -maxdepth 3 -name "$cid*" | grep -q . && fail "$iso: a cgroup of $cid is left"
    grep -q "$TWINBOX_ROOT" /proc/mounts && fail "$iso: mounts left: $(grep "$TWINBOX_ROOT" /proc/mounts)"
    ip -br link | grep -Eq '^(tb|tap)' && fail "$iso: a veth or tap is left: $(ip -br link)"
    cat "$TWINBOX_ROOT"/run/networks/*.leases.json 2>/dev/null | python3 -c \
        'import json,sys; t=sys.stdin.read().strip(); sys.exit(1 if t and json.loads(t).get("leases") else 0)' ||
        fail "$iso: a lease is left"
    ss -ltn 2>/dev/null | grep -q '169.254.169.254:80' && fail "$iso: the metadata server still listens"
    pass "$iso: terminate-instances -> terminated; no process, cgroup, mount, veth, lease or metadata server left"
}

check_bad_input() {
    local before
    cp "$TWINBOX_ROOT/lib/cloud/instances.json" "$work/instances.before" 2>/dev/null || : >"$work/instances.before"
    fails 254 InvalidAMIID.NotFound "unknown AMI" run-instances --image-id ami-00000000000000000 \
        --instance-type t3.nano --isolation container
    fails 254 InvalidAMIID.Malformed "malformed AMI" run-instances --image-id web \
        --instance-type t3.nano --isolation container
    fails 254 InvalidParameterValue "unknown type" run-instances --image-id "$ami" \
        --instance-type t9.huge --isolation container
    fails 254 InvalidKeyPair.NotFound "unknown key" run-instances --image-id "$ami" \
        --instance-type t3.nano --key-name nokey --isolation container
    fails 254 InvalidParameterValue "--count 0" run-instances --image-id "$ami" \
        --instance-type t3.nano --count 0 --isolation container
    fails 254 InsufficientInstanceCapacity "--count beyond the host's memory" run-instances \
        --image-id "$ami" --instance-type r5.large --count 100000 --isolation container
    head -c 17408 /dev/zero | tr '\0' x >"$work/big"
    fails 254 "limited to 16384 bytes" "17 KiB of user data" run-instances --image-id "$ami" \
        --instance-type t3.nano --user-data "file://$work/big" --isolation container
    fails 254 InvalidInstanceID.NotFound "terminate of an unknown id" terminate-instances \
        --instance-ids i-00000000000000000
    fails 254 InvalidInstanceID.Malformed "a malformed id" describe-instances --instance-ids web
    cmp -s "$work/instances.before" "$TWINBOX_ROOT/lib/cloud/instances.json" 2>/dev/null ||
        [ ! -s "$work/instances.before" ] || fail "bad input changed instances.json"
    [ -z "$("$twinbox" ps -a -q)" ] || fail "bad input left a workload: $("$twinbox" ps -a)"
    # A damaged state file: named in one line, neither rewritten nor acted on.
    echo '{"Instances": [{"InstanceId": 7}]}' >"$TWINBOX_ROOT/lib/cloud/instances.json"
    cp "$TWINBOX_ROOT/lib/cloud/instances.json" "$work/damaged"
    fails 255 "instances.json" "damaged instances.json (run)" run-instances --image-id "$ami" \
        --instance-type t3.nano --isolation container
    fails 255 "instances.json" "damaged instances.json (describe)" describe-instances
    cmp -s "$work/damaged" "$TWINBOX_ROOT/lib/cloud/instances.json" || fail "the damaged file was rewritten"
    [ -z "$("$twinbox" ps -a -q)" ] || fail "a damaged state file still made a workload"
    rm "$TWINBOX_ROOT/lib/cloud/instances.json"
    pass "bad input: one line each, nothing made, the damaged file kept"
}

# --metadata-options HttpTokens=required: the instance's init (IMDSv2) still
# gets its key and host name; a token-less (IMDSv1) read from inside is 401.
check_tokens_required() {
    ec2 run-instances --image-id "$ami" --instance-type t3.nano --key-name lab \
        --isolation container --metadata-options HttpTokens=required >"$work/run2.json" ||
        fail "run-instances --metadata-options HttpTokens=required"
    local id ip
    id=$(json_get "$work/run2.json" 'd["Instances"][0]["InstanceId"]')
    [ "$(json_get "$work/run2.json" 'd["Instances"][0]["MetadataOptions"]["HttpTokens"]')" = required ] ||
        fail "HttpTokens=required not in run-instances' output"
    ec2 describe-instances --instance-ids "$id" >"$work/describe2.json" || fail "describe $id"
    ip=$(json_get "$work/describe2.json" "$first[\"PrivateIpAddress\"]")
    wait_ssh "$ip" 90 || fail "tokens required: no ssh login (the init's IMDSv2 reads failed?)"
    local v1
    v1=$("$twinbox" exec "$id" wget -qO- http://169.254.169.254/latest/meta-data/instance-id 2>&1)
    [ "$v1" != "$id" ] && echo "$v1" | grep -q 401 ||
        fail "tokens required: an IMDSv1 read from inside got '$v1', not 401"
    ec2 terminate-instances --instance-ids "$id" >/dev/null || fail "terminate $id"
    pass "HttpTokens=required: the init logs in over IMDSv2, an IMDSv1 read is 401"
}

for iso in $isolations; do
    check_isolation "$iso"
    if [ "$iso" = container ]; then
        check_tokens_required
        check_bad_input
    fi
done
pass "cloud_instances: $isolations"
