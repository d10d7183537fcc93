#!/bin/bash
# The instance metadata service (docs/cloud.md "Instance metadata"), for
# real, as root: a busybox container on a twinbox network plays the
# instance, its record is written into instances.json (the instances verbs
# write it in production; here instance_record below does, with python3),
# and `twinbox cloud imds --start` starts the server the way run-instances
# does (cloud::ensure_imds_running).
#
# Checks: from the instance, busybox wget reads its instance-id, user data
# and public key (IMDSv1); an IMDSv2 token PUT then read works, a token with
# a bad TTL or through a proxy is refused; HttpTokens=required refuses the
# v1 read with 401 but serves with a token; the host side (no instance) gets
# 404; a 16 KiB header is refused and idle connections do not starve the
# instance; the server listens on 169.254.169.254:80 only; two parallel starts
# give one server; a stale pidfile (SIGKILLed server) is replaced; --stop
# leaves it while an instance runs and, once none does, stops it (SIGTERM,
# clean exit) and removes the address.
#
# Everything happens in a network namespace this script creates (twinbox runs
# in it with nsenter --net, as in container_network.sh) with a private
# TWINBOX_ROOT; nothing on the host's own network changes.
# usage: cloud_imds.sh TWINBOX_BINARY ROOTFS
set -u
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/container_lib.sh"

container_setup "$1"
rootfs="$2"
[ -x "$rootfs/bin/busybox" ] || { echo "skip: no container root at $rootfs (make guest-rootfs)"; exit 77; }
for tool in nsenter python3 curl ss; do
    command -v "$tool" >/dev/null || { echo "skip: no $tool"; exit 77; }
done

ns="tbimds-$$"
ip netns add "$ns" || { echo "skip: cannot create a network namespace"; exit 77; }
tb() { nsenter --net="/run/netns/$ns" "$twinbox" "$@"; }
in_ns() { ip netns exec "$ns" "$@"; }

imds_teardown() {
    local status=$?
    kill $(jobs -p) 2>/dev/null
    tb cloud imds --stop --force >/dev/null 2>&1
    for id in $(ls "$TWINBOX_ROOT/run/containers" 2>/dev/null); do tb rm -f "$id" >/dev/null 2>&1; done
    ip netns del "$ns" 2>/dev/null
    container_teardown "$status"
}
trap imds_teardown EXIT
in_ns ip link set lo up

# instance_record ID IP STATE HTTP_TOKENS: writes instances.json with that one
# instance, in the layout of cloud/instance_store.cpp.
instance_record() {
    python3 - "$TWINBOX_ROOT/lib/cloud/instances.json" "$@" <<'PY'
import base64, json, os, sys
path, instance_id, ip, state, tokens = sys.argv[1:6]
os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
record = {"InstanceId": instance_id, "ReservationId": "r-0123456789abcdef0",
          "ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro", "KeyName": "lab",
          "Isolation": "container", "Workload": "imds-test", "Network": "bridge",
          "State": state, "StateTransitionReason": "", "PrivateIpAddress": ip,
          "LaunchTime": "2026-12-07T18:00:00.000Z", "TerminatedAt": "",
          "UserData": base64.b64encode(b"#!/bin/sh\necho user-data-ran\n").decode(),
          "HttpTokens": tokens, "AmiLaunchIndex": 0, "Tags": []}
with open(path + ".tmp", "w") as out:
    json.dump({"Instances": [record]}, out)
os.rename(path + ".tmp", path)
PY
}

# gone PID: the process has ended (a zombie counts: the server is not our
# child, whoever adopted it reaps it in its own time).
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
server_pid() { cat "$TWINBOX_ROOT/run/imds/imds.pid" 2>/dev/null; }
has_address() { in_ns ip -4 -o addr show | grep -q '169\.254\.169\.254/32'; }
# in_instance CURL_ARGS...: curl from the instance's network namespace (its address).
in_instance() { nsenter --net="/proc/$pid/ns/net" curl -s --max-time 5 "$@"; }
status_from_instance() { in_instance -o /dev/null -w '%{http_code}' "$@"; }

# --- an instance: a real container on the default network, with a key pair
tb ec2 create-key-pair --key-name lab --key-type ed25519 >/dev/null || fail "create-key-pair"
c=$(tb run -d --network bridge --rootfs "$rootfs" sleep 600) || fail "run the instance's container"
read -r pid ip < <(tb inspect "$c" | python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
def find(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "IPAddress" and v: return v
            got = find(v)
            if got: return got
    if isinstance(node, list):
        for v in node:
            got = find(v)
            if got: return got
print(d["State"]["Pid"], find(d.get("NetworkSettings")))')
[ -n "$ip" ] && [ "$pid" -gt 0 ] 2>/dev/null || fail "no pid/address for the container ($pid $ip)"
id=i-0123456789abcdef0
instance_record "$id" "$ip" running optional
pass "instance $id is container ${c:0:12} at $ip"

# --- started the way run-instances starts it; twice at once gives one server
tb cloud imds --start --network bridge &
first=$!
tb cloud imds --start &
second=$!
wait "$first" || fail "first --start failed"
wait "$second" || fail "second --start failed"
server=$(server_pid)
[ -n "$server" ] && ! gone "$server" || fail "no server after --start (pidfile: '$server')"
listeners=$(in_ns ss -Hltn | awk '{print $4}')
[ "$listeners" = "169.254.169.254:80" ] || fail "listening on '$listeners', want only 169.254.169.254:80"
has_address || fail "169.254.169.254 is not on the bridge"
tb cloud imds --start || fail "--start again"
[ "$(server_pid)" = "$server" ] || fail "a second --start replaced the running server"
pass "one server (pid $server) on 169.254.169.254:80 only, address on the bridge"

# --- IMDSv1 from inside the instance, with the instance's own busybox wget
got=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = "$id" ] || fail "instance-id from the instance: '$got'"
got=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/local-ipv4)
[ "$got" = "$ip" ] || fail "local-ipv4: '$got'"
want_host="ip-${ip//./-}.ec2.internal"
got=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/hostname)
[ "$got" = "$want_host" ] || fail "hostname: '$got', want $want_host"
got=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/user-data)
[ "$got" = "$(printf '#!/bin/sh\necho user-data-ran')" ] || fail "user-data: '$got'"
got=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/public-keys/)
[ "$got" = "0=lab" ] || fail "public-keys/: '$got'"
key=$(tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/public-keys/0/openssh-key)
stored=$(tb ec2 describe-key-pairs --key-names lab --include-public-key |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyPairs"][0]["PublicKey"])')
[ "$key" = "$stored lab" ] || fail "openssh-key '$key', want '$stored lab'"
[ "$(status_from_instance http://169.254.169.254/latest/meta-data/public-ipv4)" = 404 ] ||
    fail "public-ipv4 should be 404 without a public address"
[ "$(status_from_instance http://169.254.169.254/latest/meta-data/nope)" = 404 ] || fail "unknown path"
[ "$(status_from_instance -X DELETE http://169.254.169.254/latest/meta-data/)" = 405 ] || fail "DELETE"
pass "IMDSv1 from the instance: instance-id, local-ipv4, hostname $want_host, user-data, key; 404/405"

# --- IMDSv2
token_url=http://169.254.169.254/latest/api/token
token=$(in_instance -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" "$token_url")
[ ${#token} -ge 32 ] || fail "no token: '$token'"
got=$(in_instance -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = "$id" ] || fail "read with a token: '$got'"
got=$(tb exec "$c" wget -qO- --header "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/ami-id)
[ "$got" = ami-0123456789abcdef0 ] || fail "busybox wget with the token: '$got'"
[ "$(status_from_instance -H 'X-aws-ec2-metadata-token: forged' \
    http://169.254.169.254/latest/meta-data/instance-id)" = 401 ] || fail "a forged token is not 401"
[ "$(status_from_instance -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21601' "$token_url")" = 400 ] ||
    fail "TTL 21601 is not 400"
[ "$(status_from_instance -X PUT "$token_url")" = 400 ] || fail "no TTL is not 400"
[ "$(status_from_instance -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    -H 'X-Forwarded-For: 10.1.1.1' "$token_url")" = 403 ] || fail "X-Forwarded-For is not 403"
pass "IMDSv2: token PUT, reads with it (curl, busybox wget), forged 401, TTL 400, proxied 403"

# --- HttpTokens=required: seen at once (the store is read per request)
instance_record "$id" "$ip" running required
[ "$(status_from_instance http://169.254.169.254/latest/meta-data/instance-id)" = 401 ] ||
    fail "HttpTokens=required still serves v1"
tb exec "$c" wget -qO- http://169.254.169.254/latest/meta-data/instance-id >/dev/null 2>&1 &&
    fail "busybox wget read without a token under HttpTokens=required"
got=$(in_instance -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = "$id" ] || fail "required, with a token: '$got'"
pass "HttpTokens=required: v1 read 401, with a token served"

# --- hostile clients: an oversized header is refused; idle connections do
# not keep the instance from its metadata for long (2 s read timeout)
long=$(head -c 16384 /dev/zero | tr '\0' a)
got=$(status_from_instance -H "X-Junk: $long" -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" != 200 ] || fail "a 16 KiB header was served"
nsenter --net="/proc/$pid/ns/net" python3 -c '
import socket, time
idle = [socket.create_connection(("169.254.169.254", 80)) for _ in range(12)]
time.sleep(8)' &
idlers=$!
sleep 0.5
start=$SECONDS
got=$(in_instance --max-time 20 -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = "$id" ] || fail "with 12 idle connections open: '$got'"
waited=$((SECONDS - start))
wait "$idlers"
pass "a 16 KiB header is refused; 12 idle connections delay a read by ${waited}s"

# --- the host is no instance
got=$(in_ns curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = 404 ] || fail "the host got $got, want 404"
got=$(in_ns curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$token_url")
[ "$got" = 404 ] || fail "the host got a token ($got)"
pass "the host (no instance) gets 404 for reads and tokens"

# --- a SIGKILLed server leaves a stale pidfile; the next start replaces it
kill -9 "$server"
until gone "$server"; do sleep 0.1; done
tb cloud imds --start || fail "--start over a stale pidfile"
new=$(server_pid)
[ -n "$new" ] && [ "$new" != "$server" ] && ! gone "$new" || fail "stale pidfile not replaced ($server -> $new)"
got=$(tb exec "$c" wget -qO- --header "X-aws-ec2-metadata-token: $(in_instance -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 5' "$token_url")" http://169.254.169.254/latest/meta-data/instance-id)
[ "$got" = "$id" ] || fail "after the restart: '$got'"
server=$new
pass "a stale pidfile is replaced by a new server (pid $server)"

# --- stop: not while an instance runs; then the process and the address go
tb cloud imds --stop || fail "--stop with a running instance"
! gone "$server" || fail "--stop stopped the server while an instance runs"
instance_record "$id" "$ip" terminated required
tb cloud imds --stop || fail "--stop"
gone "$server" || fail "server $server still runs after --stop"
! has_address || fail "169.254.169.254 left on an interface"
[ ! -e "$TWINBOX_ROOT/run/imds/imds.pid" ] || fail "pidfile left"
tail -1 "$TWINBOX_ROOT/run/imds/imds.log" | grep -q "stopped" ||
    fail "the server did not exit cleanly on SIGTERM: $(tail -3 "$TWINBOX_ROOT/run/imds/imds.log")"
[ -z "$(in_ns ss -Hltn)" ] || fail "a listener is left: $(in_ns ss -Hltn)"
pass "--stop once idle: no process, no address, no listener; clean SIGTERM exit"
echo "all cloud_imds checks passed"
