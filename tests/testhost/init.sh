#!/bin/sh
# shellcheck shell=sh
#
# /init of the twinbox test host: the nested L1 virtual machine that gives
# KVM integration tests a hardware-style /dev/kvm on machines that have none
# (see README.md). testhost.sh packs this file into the L1 initramfs; the
# kernel runs it as PID 1 under busybox sh.
#
# Boot flow:
#   1. mount /proc, /sys, /dev (devtmpfs) for ourselves;
#   2. insmod the modules listed in /etc/testhost/modules, which testhost.sh
#      wrote in dependency order (from modules.dep): the KVM group
#      (kvm-amd nested=1 npt=1) in the background, the file system group
#      (virtio, 9p, overlay) in the foreground;
#   3. mount the host's root file system (9p, read-only) on /newroot and build
#      the chroot: /proc, /sys, /dev, /dev/pts, /dev/shm, /tmp, /run, then the
#      read-write shares on top;
#   4. wait for the KVM group; without /dev/kvm, stop and say why;
#   5. run the command that testhost.sh put in /job/job.sh (a second cpio
#      archive appended to the initramfs for this run only);
#   6. report its exit status on the status port and power off.
#
# Channels to the host (testhost.sh connects the QEMU side):
#   ttyS0  kernel console and our own diagnostics (a log file, or stderr
#          with --verbose);
#   ttyS1  status: "note=TEXT" lines for the user, "error=TEXT" if the test
#          host failed, else "status=N" at the end;
#   virtio serial port "org.twinbox.output": the command's stdout and
#          stderr, byte for byte. A virtio port moves a whole buffer per
#          request; the 8250 UART costs QEMU one write(2) per byte.
#
# PID 1 must not exit (the kernel would panic), so every failure goes through
# fail(), which reports it on the status port and powers off. The kernel runs
# with panic=1 and QEMU with -no-reboot, so even a crash ends the run.

set -eu
# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail

PATH=/bin
export PATH

readonly status_port=/dev/ttyS1
readonly output_port_name=org.twinbox.output
readonly nine_p_options=trans=virtio,version=9p2000.L,msize=262144

verbose=0
job_share_count=0

# Messages for the console log (and live output with --verbose).
log() {
    echo "testhost: $*"
}

# Messages the user should see even without --verbose: testhost.sh prints
# the note= lines of the status port on its stderr.
note() {
    log "$*"
    echo "note=$(one_line "$*")" >"$status_port" 2>/dev/null || true
}

# The status port is read line by line.
one_line() {
    echo "$1" | tr '\n' ' '
}

power_off() {
    sync
    poweroff -f
    # poweroff -f only returns if ACPI is unusable; a reboot also ends QEMU
    # because testhost.sh runs it with -no-reboot.
    reboot -f
}

fail() {
    log "error: $*"
    echo "error=$(one_line "$*")" >"$status_port" 2>/dev/null || true
    power_off
}

# An unexpected failure under set -e lands here instead of panicking the
# kernel.
on_exit() {
    fail "init stopped unexpectedly (status $?); see the console log"
}

progress() {
    if [ "$verbose" = 1 ]; then
        read -r uptime _ </proc/uptime
        log "[$uptime s] $*"
    fi
}

mount_early_filesystems() {
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    exec </dev/null >/dev/console 2>&1
}

# Loads the modules of one group from /etc/testhost/modules, whose lines
# are "group path parameters" in dependency order (testhost.sh wrote them
# from modules.dep); the path is relative to /lib/modules/<version>.
# Returns 1, naming the module in /failed-module, if one fails to load.
load_modules() {
    version=$(uname -r)
    while read -r group module parameters; do
        [ "$group" = "$1" ] || continue
        # shellcheck disable=SC2086 # the parameters are separate words
        if ! insmod "/lib/modules/$version/$module" $parameters; then
            echo "$module $parameters" >/failed-module
            return 1
        fi
        progress "loaded $module"
    done </etc/testhost/modules
}

# Loading kvm.ko takes a second or two under TCG: do it on the other vCPU
# while this one mounts the file systems.
start_loading_kvm() {
    load_modules common || fail "insmod $(cat /failed-module) failed"
    (
        trap - EXIT
        load_modules kvm
    ) &
    kvm_loader=$!
    load_modules fs || fail "insmod $(cat /failed-module) failed"
}

# The test host exists to provide /dev/kvm: without it, stop and say why.
finish_loading_kvm() {
    if ! wait "$kvm_loader"; then
        fail "insmod $(cat /failed-module) failed: $(kvm_diagnosis)"
    fi
    [ -c /dev/kvm ] || fail "/dev/kvm did not appear: $(kvm_diagnosis)"
    progress "KVM modules loaded"
}

kvm_diagnosis() {
    hint=""
    if ! grep -qw svm /proc/cpuinfo; then
        hint="the L1 vCPU has no svm flag (QEMU must run with -cpu max); "
    fi
    echo "${hint}kernel log: $(dmesg | grep -iE 'kvm|svm' | tail -n 2)"
}

# The virtio console driver learns about ports from the host after it
# starts, so the port's device node appears shortly after insmod returns.
find_output_port() {
    tries=0
    while [ "$tries" -lt 100 ]; do
        for port in /sys/class/virtio-ports/*; do
            if [ -r "$port/name" ] &&
                [ "$(cat "$port/name")" = "$output_port_name" ] &&
                [ -c "/dev/${port##*/}" ]; then
                output_port=/dev/${port##*/}
                return 0
            fi
        done
        usleep 50000
        tries=$((tries + 1))
    done
    fail "the virtio serial port $output_port_name did not appear"
}

mount_host_root() {
    # cache=loose: the host root is read-only and the L1 lives for one
    # command, so caching pages and directory entries is safe, and it makes
    # starting programs from 9p several times faster.
    mount -t 9p -o "ro,$nine_p_options,cache=loose" hostroot /newroot ||
        fail "cannot mount the host root file system over 9p"
    progress "host root mounted"
}

mount_chroot_filesystems() {
    root=/newroot
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    if [ -d "$root/sys/fs/cgroup" ]; then
        mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup" || true
    fi
    # devtmpfs has a single instance: the same nodes as our own /dev,
    # including /dev/kvm.
    mount -t devtmpfs devtmpfs "$root/dev"
    mkdir -p "$root/dev/pts" "$root/dev/shm"
    mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$root/dev/pts"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    # Symbolic links that udev would normally create; bash's process
    # substitution needs /dev/fd.
    ln -sfn /proc/self/fd "$root/dev/fd"
    ln -sfn /proc/self/fd/0 "$root/dev/stdin"
    ln -sfn /proc/self/fd/1 "$root/dev/stdout"
    ln -sfn /proc/self/fd/2 "$root/dev/stderr"
    mount_tmp "$root"
    mount -t tmpfs -o mode=755 tmpfs "$root/run"
}

# /tmp is writable and private to this L1 (a tmpfs), but it also shows the
# host's /tmp read-only underneath (overlayfs), so a build tree or a
# working directory under the host's /tmp still works.
mount_tmp() {
    mkdir -p /overlay
    mount -t tmpfs -o mode=755 tmpfs /overlay
    mkdir -p /overlay/upper /overlay/work
    chmod 1777 /overlay/upper
    if ! mount -t overlay -o \
        "lowerdir=$1/tmp,upperdir=/overlay/upper,workdir=/overlay/work" \
        overlay "$1/tmp"; then
        note "warning: overlay on /tmp failed; /tmp is an empty tmpfs"
        mount -t tmpfs -o mode=1777 tmpfs "$1/tmp"
    fi
}

# job.sh sets job_share_count and job_share_<i> (the host paths); QEMU
# exports share <i> with the 9p mount tag share<i>.
mount_shares() {
    index=0
    path=""
    while [ "$index" -lt "$job_share_count" ]; do
        eval "path=\$job_share_$index"
        # The path may lie in a tmpfs (/run) where it does not exist yet.
        mkdir -p "/newroot$path" 2>/dev/null || true
        # cache=mmap: writes go straight to the host, and shared writable
        # mappings work.
        mount -t 9p -o "rw,$nine_p_options,cache=mmap" "share$index" \
            "/newroot$path" || fail "cannot mount the shared directory $path"
        index=$((index + 1))
    done
}

# Runs inside the chroot, under the host's /bin/sh. Its arguments, from
# job.sh: NAME=VALUE environment entries, "--", the working directory, then
# the command and its arguments.
# shellcheck disable=SC2016 # expanded by the inner shell, not here
readonly inner_script='
while [ "$1" != -- ]; do export "$1"; shift; done
shift
cd "$1" || exit 125
shift
exec "$@"'

# The command writes straight into the virtio port, which is not a tty (so
# the command sees the same kind of stdout as under ctest, and nothing turns
# \n into \r\n). A write returns once the host has taken the data, so all of
# it has reached QEMU when the command exits.
# Holds one VM (in-kernel irqchip, one vCPU that never runs) open while the
# command runs. Starting and tearing down many short VMs, or a SIGKILLed VMM,
# has frozen this TCG test host (both vCPUs in soft lockup), most likely in
# the kernel code patching KVM does when the first VM appears and the last
# goes; with one VM always open that never happens (bench/boot/runner.py's
# open_idle_vm, docs/benchmarks.md "Pitfalls"). Best effort: without python3
# the command runs anyway.
hold_idle_vm() {
    [ -x /newroot/usr/bin/python3 ] || return 0
    env -i /bin/chroot /newroot /usr/bin/python3 -c '
import fcntl, os, signal
kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
vm = fcntl.ioctl(kvm, 0xAE01, 0)        # KVM_CREATE_VM
fcntl.ioctl(vm, 0xAE60, 0)              # KVM_CREATE_IRQCHIP
fcntl.ioctl(vm, 0xAE41, 0)              # KVM_CREATE_VCPU
signal.pause()' </dev/null >/dev/null 2>&1 &
    idle_vm_holder=$!
}

run_command() {
    progress "starting the command"
    set +e
    env -i /bin/chroot /newroot /bin/sh -c "$inner_script" testhost "$@" \
        </dev/null >"$output_port" 2>&1
    status=$?
    set -e
    progress "command finished"
}

main() {
    trap on_exit EXIT
    mount_early_filesystems
    [ -r /job/job.sh ] || fail "no /job/job.sh: the per-run archive is missing"
    progress "init started"
    start_loading_kvm
    ip link set lo up
    hostname testhost
    mount_host_root
    mount_chroot_filesystems
    mount_shares
    find_output_port
    progress "chroot ready"
    finish_loading_kvm
    hold_idle_vm
    run_command "$@"
    [ -z "${idle_vm_holder:-}" ] || kill "$idle_vm_holder" 2>/dev/null || true
    echo "status=$status" >"$status_port"
    trap - EXIT
    power_off
}

# job.sh sets verbose, job_share_count, job_share_<i>, and the positional
# parameters (see inner_script). It is sourced here, at the top level, so
# that its "set --" reaches main.
# shellcheck source=/dev/null
. /job/job.sh
main "$@"
