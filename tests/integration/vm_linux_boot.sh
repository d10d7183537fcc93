#!/bin/bash
# An unmodified Linux kernel (Debian's) boots the default initramfs with 2
# vCPUs, sees both, writes the boot marker, and powers off with exit 0; a
# guest reboot also ends the VM with 0.
# usage: vm_linux_boot.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
guest="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
[ -n "$kernel" ] || { echo "SKIP: no /boot/vmlinuz-*"; exit 77; }
# twinbox's default command line (vmm/machine/default_guest.h): no pci=off.
base="console=ttyS0 reboot=t panic=-1 i8042.noaux quiet"

start=$(date +%s%N)
timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" --cpus 2 --memory 512M \
    --cmdline "$base TWINBOX_RUN=\"echo cpus=\$(grep -c ^processor /proc/cpuinfo)\"" \
    </dev/null >"$work/out" 2>"$work/err"
status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$work/out" "$work/err"
expect_status 0 "$status" "Linux guest poweroff"
expect_contains "$work/out" "twinbox guest ready" "banner"
expect_contains "$work/out" "cpus=2" "both vCPUs online"
expect_contains "$work/err" "boot marker" "boot-timer marker"
# Debian's kernel finds a PCI configuration mechanism (the PCI host bridge);
# without one it prints "PCI: Fatal: No config space access function found".
grep -n "Fatal" "$work/out" && fail "the boot printed a Fatal line"
pass "Debian kernel booted with 2 vCPUs and powered off in $elapsed ms"

timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" \
    --cmdline "$base TWINBOX_RUN=\"reboot -f\"" </dev/null >"$work/out" 2>"$work/err"
status=$?
expect_status 0 "$status" "Linux guest reboot"
pass "guest reboot ends the VM with 0"

# Keystrokes reach the guest's shell through the UART: wait for the banner,
# type a command, and leave the shell, which powers the VM off.
fifo="$work/console-in"
mkfifo "$fifo"
timeout 600 "$twinbox" vm run --kernel "$kernel" --initrd "$guest/initramfs.cpio.gz" --cmdline "$base" \
    <"$fifo" >"$work/out" 2>"$work/err" &
pid=$!
exec 3>"$fifo"
for _ in $(seq 1200); do
    grep -q "twinbox guest ready" "$work/out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
expect_contains "$work/out" "twinbox guest ready" "banner before typing"
sleep 2  # let the shell start and open the console
printf 'echo typed-$((6 * 7))\nexit\n' >&3
wait "$pid"
status=$?
exec 3>&-
expect_status 0 "$status" "interactive shell exit"
expect_contains "$work/out" "typed-42" "console input reaches the guest shell"
pass "keystrokes reached the guest shell and exit powered off"
