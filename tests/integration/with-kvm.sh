#!/bin/bash
# Runs a command where a usable /dev/kvm exists:
#   - directly, when this host's /dev/kvm is hardware-backed (Intel VMX or AMD SVM),
#     or is PVM and the command only runs bare-metal guests (--baremetal);
#   - otherwise inside the nested test host VM (tests/testhost/testhost.sh),
#     whose /dev/kvm is AMD SVM emulated by QEMU TCG.
# Exits 77 (ctest's "skipped") with the reason when neither is possible.
#
# usage: with-kvm.sh [--baremetal] [--timeout S] -- COMMAND [ARGS...]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
testhost="$here/../testhost/testhost.sh"
baremetal=0
timeout=900
while [ $# -gt 0 ]; do
    case "$1" in
        --baremetal) baremetal=1; shift ;;
        --timeout) timeout="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "with-kvm.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

backend=none
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    if [ -d /sys/module/kvm_pvm ]; then backend=pvm
    elif [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then backend=hardware
    else backend=unknown
    fi
fi

if [ "$backend" = hardware ] || { [ "$backend" = pvm ] && [ "$baremetal" = 1 ]; }; then
    exec "$@"
fi
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: no hardware-backed /dev/kvm here (backend: $backend) and the test host VM needs root"
    exit 77
fi
# The test host exits 77 itself when QEMU or a kernel is missing.
share="${TWINBOX_TEST_SHARE:-}"
args=(--timeout "$timeout")
[ -n "$share" ] && args+=(--share "$share")
exec "$testhost" "${args[@]}" -- "$@"
