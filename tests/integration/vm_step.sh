#!/bin/bash
# twinbox vm step on the example guests: the instruction sequence of the
# real-mode example (addresses and bytes from objdump of the flat binary, not
# from twinbox), the serial output shown with the `out` that wrote it, --break
# by hardware breakpoint and by stepping, stepping past the guest's end, a
# halted guest, a breakpoint never reached, Ctrl-C, and bad input.
# usage: vm_step.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
examples="$2/examples"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
real="$examples/hello-real.bin"
long="$examples/hello-long.bin"
command -v objdump >/dev/null || { echo "SKIP: objdump (binutils) is needed to derive the expected listing"; exit 77; }

# step ARGS...: runs vm step, output in $work/out and $work/err, status in $status.
step() {
    timeout 120 "$twinbox" vm step "$@" </dev/null >"$work/out" 2>"$work/err"
    status=$?
}

# "ADDRESS BYTES" per listed instruction, from twinbox's listing: "  3    0x7c03  8e d8   mov ds, ax  ..."
listing() {
    awk '$1 ~ /^[0-9]+$/ && $2 ~ /^0x/ {
        line = $2; for (i = 3; i <= NF && $i ~ /^[0-9a-f][0-9a-f]$/; i++) line = line " " $i; print line }' "$1"
}

# "ADDRESS BYTES" per instruction of a flat binary, in file order, from objdump.
# objdump_listing FILE ARCH VMA
objdump_listing() {
    objdump -D -b binary -m "$2" --adjust-vma="$3" -M intel "$1" |
        awk -F'\t' '/^ *[0-9a-f]+:\t/ { sub(/^ */, "", $1); sub(/:$/, "", $1); gsub(/ +$/, "", $2);
                                         print "0x" $1 " " $2 "\t" $3 }'
}

# --- the real-mode example, instruction by instruction ----------------------
objdump_listing "$real" i8086 0x7c00 >"$work/objdump"
# Execution follows file order up to the first jmp (the jz is not taken: 'H' is not 0),
# then continues at the jmp's target: the lodsb that starts the print loop.
awk -F'\t' '{ print $1 } $2 ~ /^jmp/ { exit }' "$work/objdump" >"$work/expected"
straight=$(wc -l <"$work/expected")
jump_target=$(awk -F'\t' '$2 ~ /^jmp/ { print $2; exit }' "$work/objdump" | awk '{ print $2 }')
out_address=$(awk -F'\t' '$2 ~ /^out +dx,al/ { print $1; exit }' "$work/objdump" | awk '{ print $1 }')
[ "$straight" -ge 10 ] && [ -n "$jump_target" ] && [ -n "$out_address" ] ||
    { cat "$work/objdump"; fail "could not derive the expected sequence from objdump"; }

count=$((straight + 1))
step --flat "$real" --count "$count"
expect_status 0 "$status" "vm step --count $count"
listing "$work/out" >"$work/got"
head -n "$straight" "$work/got" | diff -u "$work/expected" - ||
    { cat "$work/out"; fail "the first $straight instructions differ from objdump's"; }
got_target=$(sed -n "${count}p" "$work/got" | awk '{ print $1 }')
[ "$((got_target))" = "$((jump_target))" ] ||
    { cat "$work/out"; fail "instruction $count at $got_target, expected the jmp target $jump_target"; }
[ "$(wc -l <"$work/got")" = "$count" ] || { cat "$work/out"; fail "--count $count listed $(wc -l <"$work/got") instructions"; }
expect_contains "$work/out" "-- stopped after $count instructions" "--count bound"
grep -qE "^ +10 +$out_address +ee +out dx, al" "$work/out" || { cat "$work/out"; fail "'out dx, al' at $out_address as step 10"; }
# Registers: xor ax, ax sets ZF and PF; mov si loads the message address (from objdump).
message=$(awk -F'\t' '$2 ~ /^mov +si,/ { split($2, a, ","); print a[2]; exit }' "$work/objdump")
expect_contains "$work/out" "si 0x0->$message" "mov si changes si"
grep -qE "^ +2 +0x7c01 +31 c0 +xor ax, ax +flags 0x[0-9a-f]+->0x[0-9a-f]+ \(.*\+ZF" "$work/out" ||
    { cat "$work/out"; fail "xor ax, ax sets ZF"; }
# The UART's output shows under the out that wrote it, with the exit that carried it.
expect_contains "$work/out" "| exit: IO port 0x3f8 out 0x48" "the out's port exit"
expect_contains "$work/out" '| serial: "H"' "the serial byte under its out"
pass "hello-real: $count instructions match objdump, out dx, al at $out_address, H on the UART"

# --- past the end: the guest writes isa-debug-exit, the VM ends with its status
step --flat "$real" --count 100000
expect_status 1 "$status" "stepping past the end (isa-debug-exit 0 gives 1)"
text=$(sed -n 's/^ *| serial: "\(.*\)"$/\1/p' "$work/out" | tr -d '\n')
[ "$text" = 'Hello from real mode!\n' ] || fail "serial output while stepping: '$text'"
expect_contains "$work/out" "the guest ended the VM during this instruction" "end message"
expect_contains "$work/out" "out 0xf4, al" "the last instruction is the debug-exit write"
last=$(listing "$work/out" | tail -1 | awk '{ print $1 }')
want=$(awk -F'\t' '$2 ~ /^out +0xf4,al/ { print $1; exit }' "$work/objdump" | awk '{ print $1 }')
[ "$last" = "$want" ] || fail "the last instruction is at $last, expected $want"
steps=$(listing "$work/out" | wc -l)
pass "stepped to the guest's end: $steps instructions, the whole greeting, status 1"

# --- --break: hardware breakpoint (auto) and single-stepping to the address
for method in auto step; do
    step --flat "$real" --break "$out_address" --break-by "$method" --count 2
    expect_status 0 "$status" "--break $out_address --break-by $method"
    first=$(listing "$work/out" | head -1)
    [ "$first" = "$out_address ee" ] || { cat "$work/out" "$work/err"; fail "--break-by $method: first line '$first'"; }
    expect_contains "$work/out" "-- reached $out_address" "--break-by $method message"
    pass "--break $out_address by $method: $(grep -- '-- reached' "$work/out")"
done

# --- a halted guest (cli; hlt) ends the listing instead of hanging ---------
printf '\xfa\xf4' >"$work/halt.bin"
start=$(date +%s)
step --flat "$work/halt.bin" --count 10 --timeout 2
expect_status 0 "$status" "cli; hlt"
expect_contains "$work/out" "halted (hlt) after 2 instructions" "halt message"
pass "a halted guest ends the listing in $(( $(date +%s) - start )) s"

# --- a breakpoint never reached: bounded by --max-steps or --timeout ---------
printf '\xeb\xfe' >"$work/spin.bin"  # jmp $
step --flat "$work/spin.bin" --break 0x9000 --break-by step --max-steps 300
expect_status 125 "$status" "--break never reached (step)"
expect_one_line "$work/err" "--break never reached (step)"
expect_contains "$work/err" "not reached after 300 instructions" "step limit message"
start=$(date +%s)
step --flat "$work/spin.bin" --break 0x9000 --timeout 2
expect_status 125 "$status" "--break never reached (auto)"
expect_one_line "$work/err" "--break never reached (auto)"
expect_contains "$work/err" "not reached within 2 s" "time limit message"
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 30 ] || fail "--break never reached took $elapsed s"
pass "a breakpoint never reached: '$(cat "$work/err")' after $elapsed s"
step --flat "$real" --break 0x9000 --break-by step
expect_status 1 "$status" "--break past the guest's end"
expect_contains "$work/out" "before reaching the breakpoint" "guest ended before the breakpoint"
pass "a guest that ends before --break: status 1"

# --- Ctrl-C ----------------------------------------------------------------
"$twinbox" vm step --flat "$work/spin.bin" --count 100000000 </dev/null >"$work/out" 2>"$work/err" &
pid=$!
sleep 3
kill -0 "$pid" 2>/dev/null || { cat "$work/out" "$work/err"; fail "stepping a spinning guest ended on its own"; }
kill -INT "$pid"
start=$(date +%s%N)
wait "$pid"
status=$?
expect_status 130 "$status" "SIGINT"
expect_contains "$work/out" "-- interrupted by Interrupt after" "interrupt message"
pass "SIGINT stopped stepping in $(( ($(date +%s%N) - start) / 1000000 )) ms: $(tail -1 "$work/out")"

# --- long mode -----------------------------------------------------------------
objdump_listing "$long" i386:x86-64 0x100000 | head -4 | cut -f1 >"$work/expected"
step --flat "$long" --mode long --count 4
expect_status 0 "$status" "long mode"
listing "$work/out" | diff -u "$work/expected" - || { cat "$work/out"; fail "hello-long: first 4 instructions"; }
expect_contains "$work/out" "lea rsi, [rip + " "64-bit disassembly"
pass "hello-long: 4 instructions match objdump"

# --- bad input ---------------------------------------------------------------
bad() {
    local what="$1"
    shift
    step "$@"
    expect_status 125 "$status" "$what"
    expect_one_line "$work/err" "$what"
    pass "$what: $(cat "$work/err")"
}
bad "missing file" --flat "$work/nonexistent.bin"
bad "bad --break" --flat "$real" --break 0xzz
bad "--count 0" --flat "$real" --count 0
bad "bad --mode" --flat "$real" --mode virtual86
exit 0
