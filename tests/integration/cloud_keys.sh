#!/bin/bash
# twinbox ec2 key pairs and instance types, as a student types them (docs/cloud.md):
# create (rsa, ed25519), save the key with --query KeyMaterial --output text,
# ssh-keygen reads it; import, describe, delete; bad input with AWS's error
# codes and the AWS CLI's exit statuses (252 usage, 254 service error).
# Everything in a private TWINBOX_ROOT. Needs no root and no KVM.
# usage: cloud_keys.sh TWINBOX_BINARY
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export TWINBOX_ROOT="$work/root"
command -v ssh-keygen >/dev/null || { echo "SKIP: ssh-keygen is not installed (openssh-client)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

. "$(dirname "$0")/cloud_lib.sh"

# Create an RSA key as the AWS user guide does: the private key goes straight to a file.
ec2 create-key-pair --key-name lab --query KeyMaterial --output text >"$work/lab.pem" ||
    fail "create-key-pair rsa"
expect_contains "$work/lab.pem" "-----BEGIN RSA PRIVATE KEY-----" "rsa private key is PKCS#1 PEM"
[ "$(stat -c %a "$work/lab.pem")" = 600 ] || fail "key file saved with mode $(stat -c %a "$work/lab.pem"), not 600"
ssh-keygen -y -f "$work/lab.pem" >"$work/lab.pub" || fail "ssh-keygen cannot read the RSA key"
pass "create-key-pair rsa: PEM, mode 600, readable by ssh-keygen"

ec2 describe-key-pairs --key-names lab --include-public-key >"$work/describe.json" || fail "describe lab"
[ "$(json_get "$work/describe.json" "d['KeyPairs'][0]['KeyName']")" = lab ] || fail "describe: KeyName"
[ "$(json_get "$work/describe.json" "d['KeyPairs'][0]['KeyType']")" = rsa ] || fail "describe: KeyType"
id=$(json_get "$work/describe.json" "d['KeyPairs'][0]['KeyPairId']")
[[ "$id" =~ ^key-[0-9a-f]{17}$ ]] || fail "KeyPairId '$id' is not key- and 17 hex digits"
stored=$(json_get "$work/describe.json" "d['KeyPairs'][0]['PublicKey']")
[ "$stored" = "$(cut -d' ' -f1,2 "$work/lab.pub")" ] || fail "stored public key differs from the private key's"
want=$(openssl pkcs8 -topk8 -nocrypt -in "$work/lab.pem" -outform DER | openssl sha1 -c | sed 's/.*= //')
[ "$(json_get "$work/describe.json" "d['KeyPairs'][0]['KeyFingerprint']")" = "$want" ] ||
    fail "rsa fingerprint is not SHA-1 of the DER PKCS#8 key"
pass "describe-key-pairs: $id, fingerprint $want"

# ed25519 in OpenSSH format, as JSON.
ec2 create-key-pair --key-name ed --key-type ed25519 >"$work/ed.json" || fail "create-key-pair ed25519"
json_get "$work/ed.json" "d['KeyMaterial']" >"$work/ed.key"
chmod 600 "$work/ed.key"
expect_contains "$work/ed.key" "-----BEGIN OPENSSH PRIVATE KEY-----" "ed25519 key in OpenSSH format"
ssh-keygen -y -f "$work/ed.key" >/dev/null || fail "ssh-keygen cannot read the ed25519 key"
printed=$(ssh-keygen -l -E sha256 -f "$work/ed.key" | cut -d' ' -f2)
[ "SHA256:$(json_get "$work/ed.json" "d['KeyFingerprint']")" = "$printed=" ] || fail "ed25519 fingerprint"
pass "create-key-pair ed25519: ssh-keygen loads it, fingerprint $printed"

# Import a student's own key.
ssh-keygen -q -t ed25519 -N '' -C me@laptop -f "$work/mine"
ec2 import-key-pair --key-name mine --public-key-material "fileb://$work/mine.pub" >"$work/import.json" ||
    fail "import-key-pair"
[ "$(json_get "$work/import.json" "d['KeyName']")" = mine ] || fail "import: KeyName"
ec2 describe-key-pairs --output table >"$work/table" || fail "describe --output table"
expect_contains "$work/table" "mine" "table lists the imported key"
[ "$(ec2 describe-key-pairs | json_get /dev/stdin "len(d['KeyPairs'])")" = 3 ] || fail "three key pairs"
pass "import-key-pair and describe (json, table)"

# Bad input: codes, one line, statuses.
fails 254 "(InvalidKeyPair.Duplicate) when calling the CreateKeyPair operation" "duplicate name" \
    create-key-pair --key-name lab
fails 254 "(InvalidKeyPair.Duplicate)" "duplicate import" import-key-pair --key-name mine \
    --public-key-material "fileb://$work/mine.pub"
fails 254 "An error occurred (InvalidKeyPair.NotFound) when calling the DescribeKeyPairs operation: The key pair 'nope' does not exist" \
    "describe unknown" describe-key-pairs --key-names nope
echo "ssh-rsa not-base64!" >"$work/bad.pub"
fails 254 "(InvalidKey.Format) when calling the ImportKeyPair operation" "malformed public key" \
    import-key-pair --key-name bad --public-key-material "fileb://$work/bad.pub"
fails 254 "(InvalidKey.Format)" "private key given as public" \
    import-key-pair --key-name bad --public-key-material "fileb://$work/lab.pem"
fails 254 "(InvalidParameterValue)" "unknown key type" create-key-pair --key-name x --key-type dsa
fails 254 "(InvalidInstanceType)" "unknown instance type" describe-instance-types --instance-types t9.huge
fails 252 "--key-name is required" "missing --key-name" create-key-pair
fails 252 "--output" "bad --output" describe-key-pairs --output yaml
fails 252 "--query" "unsupported --query" describe-key-pairs --query 'KeyPairs[0]'
[ "$(ec2 describe-key-pairs | json_get /dev/stdin "len(d['KeyPairs'])")" = 3 ] || fail "bad input changed the store"

# Delete: twice (an unknown name succeeds, as on EC2).
ec2 delete-key-pair --key-name lab || fail "delete lab"
ec2 delete-key-pair --key-name lab || fail "second delete must succeed"
fails 254 "(InvalidKeyPair.NotFound)" "describe deleted" describe-key-pairs --key-names lab
pass "delete-key-pair, twice"

# The store: private, strict, never overwritten when damaged.
store="$TWINBOX_ROOT/lib/cloud"
[ "$(stat -c %a "$store")" = 700 ] || fail "store directory mode $(stat -c %a "$store")"
[ "$(stat -c %a "$store/key_pairs.json")" = 600 ] || fail "store file mode"
! grep -q "PRIVATE KEY" "$store/key_pairs.json" || fail "a private key was stored"
echo '{"KeyPairs": [' >"$store/key_pairs.json"
fails 255 "key_pairs.json is damaged" "damaged store" describe-key-pairs
fails 255 "is damaged" "damaged store refuses changes" create-key-pair --key-name again
[ "$(cat "$store/key_pairs.json")" = '{"KeyPairs": [' ] || fail "damaged file was rewritten"
pass "store: 0700/0600, no private key, damaged file kept"

# Instance types.
ec2 describe-instance-types --instance-types t3.micro >"$work/types.json" || fail "describe-instance-types"
[ "$(json_get "$work/types.json" "d['InstanceTypes'][0]['VCpuInfo']['DefaultVCpus']")" = 2 ] || fail "t3.micro vCPUs"
[ "$(json_get "$work/types.json" "d['InstanceTypes'][0]['MemoryInfo']['SizeInMiB']")" = 1024 ] || fail "t3.micro memory"
[ "$(ec2 describe-instance-types | json_get /dev/stdin "len(d['InstanceTypes'])")" -ge 10 ] || fail "the table"
pass "describe-instance-types"
echo "all cloud key pair checks passed"
