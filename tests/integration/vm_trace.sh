#!/bin/bash
# The exit tracer on the real-mode example guest: every byte it prints is one
# port exit recorded as `out dx, al` at the address objdump gives for that
# instruction; --exit-stats counts as many serial writes as the message in the
# guest's source has bytes; tracing does not change what the guest prints;
# a trace file that cannot be written is a one-line error.
# usage: vm_trace.sh TWINBOX_BINARY GUEST_BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"

twinbox="$1"
examples="$2/examples"
source_dir="$(cd "$(dirname "$0")/../../guest/examples" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
real="$examples/hello-real.bin"
command -v objdump >/dev/null || { echo "SKIP: objdump (binutils) is needed for the expected addresses"; exit 77; }

# Expected, from the guest's source and binary: the message's length (plus the
# newline the source appends) and the address of each port-writing instruction.
message=$(sed -n 's/^ *db "\(.*\)", 10, 0$/\1/p' "$source_dir/hello-real.asm")
[ -n "$message" ] || fail "no message found in hello-real.asm"
writes=$(( ${#message} + 1 ))
objdump -D -b binary -m i8086 --adjust-vma=0x7c00 -M intel "$real" >"$work/objdump"
out_dx=$(awk -F'\t' '$3 ~ /^out +dx,al/ { sub(/^ */, "", $1); sub(/:$/, "", $1); print "0x" $1; exit }' "$work/objdump")
out_f4=$(awk -F'\t' '$3 ~ /^out +0xf4,al/ { sub(/^ */, "", $1); sub(/:$/, "", $1); print "0x" $1; exit }' "$work/objdump")
[ -n "$out_dx" ] && [ -n "$out_f4" ] || { cat "$work/objdump"; fail "no out instructions in objdump's listing"; }

# Without tracing, for comparison.
timeout 120 "$twinbox" vm run --flat "$real" </dev/null >"$work/plain.out" 2>"$work/plain.err"
expect_status 1 "$?" "untraced run"

timeout 120 "$twinbox" vm run --flat "$real" --trace-exits="$work/trace" --exit-stats \
    </dev/null >"$work/out" 2>"$work/err"
expect_status 1 "$?" "traced run"
cmp -s "$work/plain.out" "$work/out" || { diff "$work/plain.out" "$work/out"; fail "tracing changed the guest's output"; }
expect_contains "$work/out" "$message" "the guest's message"

# Trace lines: "vcpu time reason mode rip instruction | detail | handled_us".
serial_lines=$(grep -c " IO real $out_dx out dx, al | port 0x3f8 out 1 byte(s) " "$work/trace" || true)
[ "$serial_lines" = "$writes" ] ||
    { cat "$work/trace"; fail "$serial_lines traced 'out dx, al' exits at $out_dx, expected $writes"; }
grep -q " IO real $out_f4 out 0xf4, al | port 0xf4 out 1 byte(s) 0x0 " "$work/trace" ||
    { cat "$work/trace"; fail "the debug-exit write at $out_f4"; }
# The bytes in the trace spell the message.
spelled=$(grep " port 0x3f8 out 1 byte(s) " "$work/trace" | sed 's/.* byte(s) \(0x[0-9a-f]*\) .*/\1/' |
    while read -r byte; do printf "\\x${byte#0x}"; done)
[ "$spelled" = "$message" ] || fail "the traced bytes spell '$spelled'"
pass "trace: $writes x 'out dx, al' at $out_dx carrying '$message', then 'out 0xf4, al' at $out_f4"

# --exit-stats: the table on stderr counts the same writes.
stats_serial=$(awk '/^port 0x03f8/ { print $(NF-2) }' "$work/err")
stats_exit=$(awk '/^port 0x00f4/ { print $(NF-2) }' "$work/err")
stats_io=$(awk '/^IO / { print $2 }' "$work/err")
[ "$stats_serial" = "$writes" ] || { cat "$work/err"; fail "--exit-stats: $stats_serial serial exits, expected $writes"; }
[ "$stats_exit" = 1 ] || { cat "$work/err"; fail "--exit-stats: $stats_exit debug-exit writes, expected 1"; }
[ "$stats_io" = "$((writes + 1))" ] || { cat "$work/err"; fail "--exit-stats: $stats_io IO exits, expected $((writes + 1))"; }
pass "--exit-stats: $stats_serial serial writes, $stats_exit debug-exit write, $stats_io IO exits"

# A trace file that cannot be written.
timeout 60 "$twinbox" vm run --flat "$real" --trace-exits="$work/no/such/dir/trace" </dev/null >"$work/out" 2>"$work/err"
expect_status 125 "$?" "unwritable trace file"
expect_one_line "$work/err" "unwritable trace file"
pass "unwritable trace file: $(cat "$work/err")"
