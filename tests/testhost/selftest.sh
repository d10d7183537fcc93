#!/bin/bash
#
# selftest.sh: checks that the twinbox test host (testhost.sh) works: that a
# command inside it sees a hardware-style /dev/kvm with nested SVM, the
# requested vCPUs, the caller's working directory and environment, that its
# exit status and output come back, that --share writes reach the host, and
# that a QEMU inside it can use KVM. Exits 0 on success, 77 (skipped) where
# the test host cannot run, 1 on failure.
#
# Usage: selftest.sh [PATH/TO/testhost.sh]

set -euo pipefail

testhost=${1:-$(dirname "$(realpath "${BASH_SOURCE[0]}")")/testhost.sh}
failures=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/twinbox-testhost-selftest.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Runs the test host; sets output and status. 77 (skipped) ends the test.
run_testhost() {
    status=0
    output=$("$testhost" --force --timeout 300 "$@") || status=$?
    if ((status == 77)); then
        echo "SKIP: the test host cannot run here" >&2
        exit 77
    fi
    printf '%s\n' "$output" | sed 's/^/  | /'
}

expect_line() {
    local description=$1 pattern=$2
    if ! grep -qE "$pattern" <<<"$output"; then
        fail "$description: no line matching /$pattern/"
    fi
}

echo "1. /dev/kvm, nested SVM, vCPUs, exit status"
run_testhost -- sh -c 'ls -l /dev/kvm; cat /sys/module/kvm_amd/parameters/nested;
    grep -c processor /proc/cpuinfo; exit 3'
((status == 3)) || fail "exit status $status, expected 3"
expect_line "/dev/kvm is a character device 10:232" '^crw.* 10, *232 .*/dev/kvm$'
expect_line "kvm_amd nested=1" '^(1|Y)$'
expect_line "two vCPUs" '^2$'

echo "2. working directory, environment, --share, QEMU with KVM"
cd "$scratch"
# The monitor command "info kvm" answers "kvm support: enabled" once QEMU
# has opened /dev/kvm and created a VM.
# shellcheck disable=SC2016 # expanded inside the test host
TWINBOX_SELFTEST_VALUE="it's \"quoted\"" run_testhost --share "$scratch" -- \
    sh -c 'pwd; echo "value=$TWINBOX_SELFTEST_VALUE"; echo written >shared.txt
        printf "info kvm\nquit\n" | timeout 120 qemu-system-x86_64 -machine none,accel=kvm \
            -display none -nodefaults -monitor stdio 2>&1 | tr -d "\r" |
            grep -o "kvm support: [a-z]*"'
((status == 0)) || fail "exit status $status, expected 0"
expect_line "working directory" "^$scratch\$"
expect_line "environment" "^value=it's \"quoted\"\$"
expect_line "QEMU inside uses KVM" '^kvm support: enabled$'
[[ $(cat "$scratch/shared.txt" 2>/dev/null) == written ]] ||
    fail "the file written to the --share directory is not on the host"

if ((failures > 0)); then
    echo "selftest: $failures check(s) failed" >&2
    exit 1
fi
echo "selftest: all checks passed"
