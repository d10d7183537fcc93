#!/bin/bash
# Installs everything twinbox needs to build, test and benchmark on Debian 12.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
    # toolchain and build
    g++ cmake make pkg-config nasm binutils
    # libraries (see docs/design.md, "Libraries")
    libfmt-dev libcli11-dev nlohmann-json3-dev libcapstone-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    # virtio-blk's asynchronous I/O; the container engine's capabilities and seccomp
    liburing-dev libcap-dev libseccomp-dev
    # networking (netlink, nftables), image layers (tar, gzip, zstd), libvirt domain XML
    libnl-route-3-dev libarchive-dev libzstd-dev libssl-dev libnftables-dev libvirt-dev
    # clang for the libFuzzer targets; e2fsprogs for ext4 disk images (mkfs.ext4 -d)
    clang e2fsprogs
    # tests: ip/bridge for network namespaces; crun and runc as container baselines
    iproute2 iputils-ping crun runc
    # real clients of twinbox-oci (tests/integration/docker_runtime.sh, containerd_runtime.sh)
    docker.io containerd
    # guest images: busybox for the initramfs, Debian's kernel as the default guest
    busybox-static linux-image-amd64 cpio gzip xz-utils zstd kmod
    # the test host VM and the QEMU baseline
    qemu-system-x86 qemu-utils
    # the libvirt baseline (libvirtd is started by hand: no systemd) and plots
    libvirt-daemon-system libvirt-daemon-driver-lxc libvirt-clients gnuplot-nox
    # ACPI table checks (iasl -d)
    acpica-tools
    # the cloud (docs/cloud.md): the instance metadata server's HTTP, the SSH
    # server inside the provided AMI, and ssh as the student's client in tests
    libcpp-httplib-dev dropbear-bin openssh-client
    # the EC2 API (twinbox cloud serve): XML responses, and the real AWS
    # clients its tests drive (/usr/bin/aws and /usr/bin/python3's boto3)
    libpugixml-dev awscli python3-boto3
    # scripts
    python3 procps jq
)

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: run as root (sudo $0)" >&2
    exit 1
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps.sh: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
