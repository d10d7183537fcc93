# Helpers of the `twinbox ec2` tests (cloud_keys.sh, cloud_instances.sh);
# sourced after lib.sh, with $twinbox and $work set. EC2_TIMEOUT bounds one
# verb (default 60 s).

ec2() { timeout "${EC2_TIMEOUT:-60}" "$twinbox" ec2 "$@"; }
# json_get FILE PYTHON_EXPR: evaluates EXPR on the parsed JSON `d`.
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# fails WANT_STATUS CODE_OR_TEXT NAME ARGS...: one line on stderr, the status, the text.
fails() {
    local want="$1" text="$2" name="$3"
    shift 3
    ec2 "$@" >"$work/out" 2>"$work/err"
    expect_status "$want" $? "$name"
    expect_one_line "$work/err" "$name"
    expect_contains "$work/err" "$text" "$name"
    pass "$name: $(cat "$work/err")"
}
