# Helpers shared by the integration test scripts (sourced, not run).
# Each test prints what it checks and fails with a message naming the check.

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# expect_status WANT GOT WHAT
expect_status() {
    [ "$2" = "$1" ] || fail "$3: exit status $2, expected $1"
}

# expect_contains FILE TEXT WHAT
expect_contains() {
    grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$3: '$2' not found"; }
}

# expect_one_line FILE WHAT: stderr holds exactly one line (the error).
expect_one_line() {
    local lines
    lines=$(grep -c . "$1" || true)
    [ "$lines" = 1 ] || { echo "--- $1:"; cat "$1"; fail "$2: expected one line on stderr, got $lines"; }
}

# count_open_fds PID: how many descriptors a process holds.
count_open_fds() { ls "/proc/$1/fd" | wc -l; }
