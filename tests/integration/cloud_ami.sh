#!/bin/bash
# The provided AMI twinbox-dropbear and the AMI verbs (docs/cloud.md "AMIs"):
#   - describe-images shows twinbox-dropbear on first use (its image loaded
#     from the build's archive); register-image / deregister-image and their
#     errors (InvalidParameterValue, InvalidAMIName.Duplicate,
#     InvalidAMIID.Malformed / .NotFound, AuthFailure), one line, exit 254
#   - the AMI's image runs as a detached container on a twinbox network
#     inside a network namespace this test creates; a STAND-IN metadata
#     server (cloud_ami_imds_standin.py, test scaffolding, not twinbox's
#     IMDS) listens on 169.254.169.254:80 on that network's bridge; the
#     instance init takes an IMDSv2 token, sets the hostname, installs the
#     key and runs the user data once; `ssh -i KEY ec2-user@IP` reads the
#     file the user data wrote; root and password logins are refused
#   - a second instance against a server that refuses the token PUT falls
#     back to IMDSv1; one whose metadata has no user data and no key still
#     starts dropbear
# Everything in a private TWINBOX_ROOT; nothing on the host's interfaces.
# usage: cloud_ami.sh TWINBOX_BINARY AMI_ARCHIVE
set -u
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/container_lib.sh"

container_setup "$1"
archive="$2"
[ -r "$archive" ] || { echo "skip: no AMI archive at $archive (build the guest-ami target)"; exit 77; }
for tool in nsenter python3 ssh ssh-keygen; do
    command -v "$tool" >/dev/null || { echo "skip: no $tool"; exit 77; }
done

ns="tbami-$$"
ip netns add "$ns" || { echo "skip: cannot create a network namespace"; exit 77; }
tb() { nsenter --net="/run/netns/$ns" "$twinbox" "$@"; }
in_ns() { ip netns exec "$ns" "$@"; }
ec2() { timeout 120 nsenter --net="/run/netns/$ns" "$twinbox" ec2 "$@"; }
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

server_pid=""
ami_teardown() {
    local status=$?
    for id in $(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null); do tb rm -f "$id" >/dev/null 2>&1; done
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    tb network rm aminet >/dev/null 2>&1
    ip netns del "$ns" 2>/dev/null
    container_teardown "$status"
}
trap ami_teardown EXIT
in_ns ip link set lo up

# --- the verbs
ec2 describe-images >"$work/images.json" 2>"$work/err" || fail "describe-images: $(cat "$work/err")"
[ "$(json_get "$work/images.json" "[i['Name'] for i in d['Images']]")" = "['twinbox-dropbear']" ] ||
    fail "describe-images does not show twinbox-dropbear alone: $(cat "$work/images.json")"
ami=$(json_get "$work/images.json" "d['Images'][0]['ImageId']")
[[ "$ami" =~ ^ami-[0-9a-f]{17}$ ]] || fail "provided AMI id '$ami'"
digest=$(tb image inspect twinbox-dropbear:latest | json_get /dev/stdin "d[0]['Id']")
[ "ami-${digest:7:17}" = "$ami" ] || fail "AMI id $ami is not made from the image id $digest"
[ "$(json_get "$work/images.json" "d['Images'][0]['VirtualizationType'], d['Images'][0]['State']")" = "hvm available" ] ||
    fail "provided AMI is not hvm/available"
pass "describe-images: twinbox-dropbear is $ami, from image $digest"

# fails CODE ARGS...: one line with AWS's code on stderr, exit 254.
fails() {
    local code="$1"
    shift
    ec2 "$@" >"$work/out" 2>"$work/err"
    expect_status 254 $? "$*"
    expect_one_line "$work/err" "$*"
    expect_contains "$work/err" "($code)" "$*"
}
ec2 register-image --name my-busybox --source busybox --description "plain busybox" >"$work/reg.json" ||
    fail "register-image busybox"
mine=$(json_get "$work/reg.json" "d['ImageId']")
[ "$(ec2 describe-images --owners self --query Images | json_get /dev/stdin "[i['ImageId'] for i in d]")" = "['$mine']" ] ||
    fail "--owners self does not list $mine alone"
[ "$(ec2 describe-images --filters 'Name=name,Values=my-*' --query Images | json_get /dev/stdin "len(d)")" = 1 ] ||
    fail "--filters Name=name,Values=my-* does not find my-busybox"
fails InvalidAMIName.Duplicate register-image --name my-busybox --source busybox
fails InvalidParameterValue register-image --name other --source no-such-image:1.0
fails InvalidAMIID.Malformed deregister-image --image-id ami-12
fails InvalidAMIID.Malformed describe-images --image-ids vol-0123456789abcdef0
fails InvalidAMIID.NotFound describe-images --image-ids ami-0123456789abcdef0
fails AuthFailure deregister-image --image-id "$ami"
ec2 deregister-image --image-id "$mine" || fail "deregister-image $mine"
fails InvalidAMIID.NotFound deregister-image --image-id "$mine"
tb images | grep -q '^busybox ' || fail "deregister-image removed the image too"
pass "register-image, describe by owner and filter, deregister-image, errors with AWS's codes"

# --- an instance of the provided AMI, against the stand-in metadata server
tb network create aminet --subnet 10.98.7.0/24 >/dev/null || fail "network create"
bridge=$(in_ns ip -o -4 addr show to 10.98.7.1 | awk '{print $2}')
[ -n "$bridge" ] || fail "no bridge holds 10.98.7.1"
in_ns ip addr add 169.254.169.254/32 dev "$bridge" || fail "adding 169.254.169.254 to $bridge"

data="$work/metadata"
mkdir -p "$data"
ssh-keygen -q -t ed25519 -N '' -f "$work/key" || fail "ssh-keygen"
cp "$work/key.pub" "$data/openssh-key"
echo i-0a1b2c3d4e5f60718 >"$data/instance-id"
echo ip-10-98-7-2.ec2.internal >"$data/hostname"
printf '#!/bin/sh\necho "written by user data as $(id -un)" >/tmp/from-user-data\necho user-data-ran\n' \
    >"$data/user-data"

# start_standin [FLAGS]: the stand-in server on 169.254.169.254:80 in the namespace.
start_standin() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    : >"$work/imds.log"
    # Not through in_ns: a function would run in a subshell, and $! be its pid, not the server's.
    ip netns exec "$ns" python3 "$here/cloud_ami_imds_standin.py" 169.254.169.254 "$data" "$work/imds.log" "$@" \
        2>"$work/standin.err" &
    server_pid=$!
    for _ in $(seq 50); do
        in_ns python3 -c 'import socket; socket.create_connection(("169.254.169.254", 80), 1)' \
            2>/dev/null && return 0
        sleep 0.1
    done
    fail "the stand-in metadata server did not start: $(cat "$work/standin.err")"
}
start_standin

sshq() {  # sshq USER IP COMMAND...
    local user="$1" ip="$2"
    shift 2
    in_ns timeout 20 ssh -i "$work/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "$user@$ip" "$@"
}
# run_instance NAME: the AMI as a detached container; prints its address.
run_instance() {
    tb run -d --network aminet --name "$1" --cap-add SYS_ADMIN twinbox-dropbear:latest \
        >"$work/run.out" 2>&1 || fail "run $1: $(cat "$work/run.out")"
    tb inspect "$1" | grep -o '"IPAddress": "[0-9.]*"' | head -1 | cut -d'"' -f4
}
# wait_for_ssh IP: until ec2-user can log in (30 s).
wait_for_ssh() {
    for _ in $(seq 60); do
        sshq ec2-user "$1" true 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}

ip=$(run_instance first)
[ "$ip" = 10.98.7.2 ] || fail "first instance has address '$ip', want 10.98.7.2 (the hostname served)"
wait_for_ssh "$ip" || fail "ssh ec2-user@$ip never worked; console: $(tb logs first 2>&1)"
for _ in $(seq 20); do sshq ec2-user "$ip" test -e /tmp/from-user-data && break; sleep 0.5; done
out=$(sshq ec2-user "$ip" cat /tmp/from-user-data) || fail "cat /tmp/from-user-data over ssh"
[ "$out" = "written by user data as root" ] || fail "user data file says '$out'"
[ "$(sshq ec2-user "$ip" hostname)" = ip-10-98-7-2.ec2.internal ] || fail "hostname not set from the metadata"
[ "$(sshq ec2-user "$ip" id -u)" = 1000 ] || fail "ec2-user is not uid 1000"
[ "$(sshq ec2-user "$ip" stat -c %a:%U /home/ec2-user/.ssh /home/ec2-user/.ssh/authorized_keys | tr '\n' ' ')" = "700:ec2-user 600:ec2-user " ] ||
    fail "authorized_keys modes/owners wrong"
sshq ec2-user "$ip" cat /var/log/cloud-init-output.log >"$work/output.log"
expect_contains "$work/output.log" "user-data-ran" "user data output in /var/log/cloud-init-output.log"
if sshq root "$ip" true 2>/dev/null; then fail "root logged in"; fi
# An interactive login needs a terminal: dropbear must get one from /dev/pts.
sshq ec2-user "$ip" -tt 'tty; echo "shell=$0 home=$HOME"' </dev/null >"$work/tty" 2>&1
expect_contains "$work/tty" "/dev/pts/" "a login gets a terminal"
expect_contains "$work/tty" "home=/home/ec2-user" "a login starts in ec2-user's home"
pass "ssh -i key ec2-user@$ip: user data ran, hostname set, key installed 0600, terminal, root refused"

expect_contains "$work/imds.log" "PUT /latest/api/token ttl=21600" "the init asked for an IMDSv2 token"
grep -q "token=no" "$work/imds.log" && fail "the init read without its token: $(cat "$work/imds.log")"
tb logs first >"$work/console" 2>&1
expect_contains "$work/console" "IMDSv2 session token received" "console says v2"
expect_contains "$work/console" "BEGIN SSH HOST KEY FINGERPRINTS" "console shows host key fingerprints"

# The init once more in the same instance, as a reboot would run it: the
# marker keeps the user data from running twice (its dropbear then finds
# port 22 taken and exits).
tb exec first sh -c 'rm /tmp/from-user-data; timeout 40 /sbin/twinbox-instance-init' \
    >"$work/second-boot" 2>&1
expect_contains "$work/second-boot" "public key installed" "the init ran a second time"
tb exec first ls /var/lib/cloud/instances/i-0a1b2c3d4e5f60718/sem/ >"$work/sem" || fail "exec in first"
expect_contains "$work/sem" "user-data.once" "once-per-instance marker"
if tb exec first test -e /tmp/from-user-data; then fail "user data ran again at the second boot"; fi
[ "$(grep -c 'GET /latest/user-data' "$work/imds.log")" = 1 ] || fail "user data read at the second boot"
pass "IMDSv2 token on every read; user data once per instance (marker /var/lib/cloud/instances/ID/sem), not at a second boot"

# --- IMDSv1 fallback; no key and no user data
tb rm -f first >/dev/null
rm "$data/user-data" "$data/openssh-key"
start_standin --no-token --allow-v1
ip=$(run_instance second)
for _ in $(seq 60); do grep -q "starting dropbear" <(tb logs second 2>&1) && break; sleep 0.5; done
tb logs second >"$work/console2" 2>&1
expect_contains "$work/console2" "using IMDSv1" "falls back to IMDSv1"
expect_contains "$work/console2" "no key pair in the instance metadata" "says there is no key"
expect_contains "$work/console2" "starting dropbear" "dropbear starts without a key"
in_ns python3 -c "import socket; s=socket.create_connection(('$ip', 22), 5); print(s.recv(64).split(b'\\r\\n')[0].decode())" \
    >"$work/banner" 2>&1
expect_contains "$work/banner" "SSH-2.0-dropbear" "dropbear answers on port 22"
pass "IMDSv1 fallback, no key and no user data: dropbear still serves port 22"
tb rm -f second >/dev/null
