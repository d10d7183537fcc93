#!/bin/bash
# The main job on a fresh Debian 12 machine: install dependencies, build
# twinbox and the default guest image, then boot the default guest (Debian's
# kernel with the busybox initramfs) to its banner and back.
#
# On a host whose /dev/kvm is hardware-backed (Intel VMX or AMD SVM) twinbox
# runs directly. Where /dev/kvm is PVM or absent (this project's development
# and CI machines), it runs inside the nested test host VM (tests/testhost).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Only what booting the default guest needs: the twinbox program and the
# initramfs. The test command (scripts/test.sh) builds everything else.
./scripts/build.sh twinbox guest-initramfs
cmdline='console=ttyS0 reboot=t panic=-1 i8042.noaux quiet TWINBOX_RUN="echo twinbox quickstart: hello from $(uname -r) with $(grep -c ^processor /proc/cpuinfo) vCPUs"'
echo "quickstart: booting the default guest with: build/cli/twinbox vm run --cpus 2 --cmdline '$cmdline'"
exec tests/integration/with-kvm.sh -- "$PWD/build/cli/twinbox" vm run -v --cpus 2 --cmdline "$cmdline"
