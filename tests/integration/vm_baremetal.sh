#!/bin/bash
# The bare-metal example guests from guest/examples boot in each CPU mode and
# print their text; the multiboot guest's debug-exit value becomes twinbox's
# exit status; SIGTERM stops a spinning guest within a second; --dump-acpi
# writes tables that iasl decompiles.
# usage: vm_baremetal.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
examples="$2/examples"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# run_guest NAME WANT_STATUS WANT_TEXT ARGS...
run_guest() {
    local name="$1" want="$2" text="$3"
    shift 3
    local start end
    start=$(date +%s%N)
    timeout 120 "$twinbox" vm run "$@" </dev/null >"$work/out" 2>"$work/err"
    local status=$?
    end=$(date +%s%N)
    [ "$status" = "$want" ] || { cat "$work/out" "$work/err"; fail "$name: exit status $status, expected $want"; }
    expect_contains "$work/out" "$text" "$name"
    pass "$name: exit $status in $(( (end - start) / 1000000 )) ms"
}

# isa-debug-exit: a guest write of v exits with (v << 1) | 1.
run_guest "real-mode flat guest" 1 "Hello from real mode!" --flat "$examples/hello-real.bin" --mode real
run_guest "long-mode flat guest" 1 "Hello from long mode!" --flat "$examples/hello-long.bin" --mode long
run_guest "multiboot guest" 43 "Hello from multiboot!" --multiboot "$examples/hello-multiboot.elf" --cmdline exit=21
expect_contains "$work/out" "exit=21" "multiboot command line reaches the guest"
echo "module one" >"$work/module.txt"
run_guest "multiboot guest with modules" 1 "Hello from multiboot!" --multiboot "$examples/hello-multiboot.elf" \
    --module "$work/module.txt first" --module "$work/module.txt second" --cpus 2
expect_contains "$work/out" "modules: 2" "multiboot modules reach the guest"

# A guest that spins forever (jmp $: EB FE) must stop on SIGTERM: the vCPU is
# kicked out of KVM_RUN, not waited for. The bound only tells a kick from a hang
# (it is not a speed check: under the nested TCG test host and a loaded CI
# machine, a stop takes from 0.2 s to over 1 s).
printf '\xeb\xfe' >"$work/spin.bin"
"$twinbox" vm run --flat "$work/spin.bin" --mode real </dev/null >"$work/out" 2>"$work/err" &
pid=$!
sleep 2
kill -0 "$pid" 2>/dev/null || { cat "$work/err"; fail "spinning guest exited on its own"; }
start=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_status 143 "$status" "SIGTERM"
[ "$elapsed" -lt 10000 ] || fail "SIGTERM took $elapsed ms to stop the VM (is the vCPU kicked?)"
pass "SIGTERM stopped a spinning guest in $elapsed ms with status 143"

# A guest that jumps into the MMIO hole makes KVM fail to fetch an instruction
# (KVM_EXIT_INTERNAL_ERROR): twinbox dumps the registers and exits 125.
# mov rax, 0xd0000000 (48 b8 imm64); jmp rax (ff e0)
printf '\x48\xb8\x00\x00\x00\xd0\x00\x00\x00\x00\xff\xe0' >"$work/bad-jump.bin"
timeout 60 "$twinbox" vm run --flat "$work/bad-jump.bin" --mode long </dev/null >"$work/out" 2>"$work/err"
status=$?
expect_status 125 "$status" "guest fetching code from MMIO"
expect_contains "$work/err" "rip=" "register dump"
pass "an unrunnable guest ends with its registers dumped and status 125: $(head -1 "$work/err")"

# Ctrl-A x on the console quits, as in QEMU, with status 0.
start=$(date +%s%N)
printf 'abc\001x' | timeout 60 "$twinbox" vm run --flat "$work/spin.bin" --mode real >"$work/out" 2>"$work/err"
status=$?
expect_status 0 "$status" "Ctrl-A x"
pass "Ctrl-A x stopped the VM in $(( ($(date +%s%N) - start) / 1000000 )) ms"

# ACPI tables dumped for iasl.
mkdir "$work/acpi"
run_guest "ACPI dump" 1 "Hello from real mode!" --flat "$examples/hello-real.bin" --cpus 2 --dump-acpi "$work/acpi"
for table in DSDT FACP APIC; do
    [ -s "$work/acpi/$table.dat" ] || fail "--dump-acpi wrote no $table.dat (have: $(ls "$work/acpi"))"
done
if command -v iasl >/dev/null; then
    (cd "$work/acpi" && iasl -d DSDT.dat >"$work/iasl.log" 2>&1) || { cat "$work/iasl.log"; fail "iasl -d DSDT.dat"; }
    expect_contains "$work/acpi/DSDT.dsl" "PNP0501" "the DSDT describes the UART"
    pass "iasl decompiles the DSDT"
fi
