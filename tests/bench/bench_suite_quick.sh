#!/bin/sh
# bench_suite_quick: a tiny real run of `twinbox bench` (bench/suite): the cpu
# workload, two measured runs, in every environment available here (--where
# here: on a PVM host the VM environments are skipped rather than moved into
# the test host), with a private TWINBOX_ROOT. Checks that results.json and
# report.md hold a value for each environment that ran, that native and the
# twinbox container did run, and that no container is left behind.
# Usage: bench_suite_quick.sh TWINBOX WORKLOAD. Exit 77 (skip) without root.
set -eu
twinbox=$1
workload=$2
if [ "$(id -u)" != 0 ]; then
    echo "bench_suite_quick: skipped: containers need root" >&2
    exit 77
fi
[ -x "$workload" ] || { echo "bench_suite_quick: no workload at $workload" >&2; exit 1; }
work=$(mktemp -d /tmp/bench-suite-test.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export TWINBOX_ROOT="$work/root"
out="$work/out"

"$twinbox" bench --quick --suite cpu --runs 2 --timeout 300 --where here --out "$out" >"$work/stdout" 2>"$work/stderr" || {
    echo "bench_suite_quick: twinbox bench failed with status $?" >&2
    tail -20 "$work/stderr" >&2
    exit 1
}

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
results = json.load(open(f"{out}/results.json"))
report = open(f"{out}/report.md").read()
ran = [name for name, env in results["environments"].items() if env["status"] == "ok"]
problems = []
for required in ("native", "twinbox-container"):
    if required not in ran:
        problems.append(f"{required} did not run: {results['environments'].get(required)}")
rows = [line for line in report.splitlines() if line.startswith("| cpu: integer sieve")]
header = [line for line in report.splitlines() if line.startswith("| workload | unit |")]
for env in ran:
    cell = results["results"]["cpu"][env]
    for metric in ("sieve_per_s", "matmul_mflops"):
        summary = cell["summary"][metric]
        if summary["count"] != 2 or not summary["median"] > 0:
            problems.append(f"{env}: {metric} has {summary} (failures: {cell['failures']})")
    if not header or f" {env} " not in header[0]:
        problems.append(f"report.md has no column for {env}")
if len(rows) != 1 or rows[0].count("(") != len(ran):
    problems.append(f"report.md sieve row lacks a value per environment: {rows}")
for env, info in results["environments"].items():
    print(f"bench_suite_quick: {env}: {info['status']} {info.get('reason', '')}")
print(rows[0] if rows else "no sieve row")
if problems:
    print("bench_suite_quick: FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
PY

left=$("$twinbox" ps -a -q 2>/dev/null | wc -l)
if [ "$left" != 0 ]; then
    echo "bench_suite_quick: $left container(s) left behind" >&2
    "$twinbox" ps -a >&2
    exit 1
fi
echo "bench_suite_quick: ok"
