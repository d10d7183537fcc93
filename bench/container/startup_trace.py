#!/usr/bin/env python3
"""Where `twinbox run --rm IMAGE true` spends its time up to the container's clone3.

  startup_trace.py [--runs N] TWINBOX [IMAGE]

Runs the command under `strace -f -ttt` N times (default 5) and splits the
time from execve to the clone3 that makes the container into phases by
the first system call of each (docs/benchmarks.md, "Start-up of twinbox
run"). strace slows every system call, so the phases are in proportion,
not absolute: the figures without strace are container_bench.py's.
Needs root; TWINBOX_ROOT is respected (the image should be in the store).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

# (phase name, predicate on a trace line that starts the phase), in order.
PHASES = [
    ("exec and dynamic loading", lambda line: "execve(" in line),
    ("image store: index, manifest, config", lambda line: "lib/images" in line),
    ("container directories, launch.json", lambda line: "lib/containers/" in line),
    ("cgroups", lambda line: '"/sys/fs/cgroup' in line),
]


def phases_of(trace_lines):
    """{phase: ms} for one trace, or None if it has no clone3."""
    def stamp(line):
        return float(line.split()[1])
    start = stamp(trace_lines[0])
    clone = next((stamp(line) for line in trace_lines if "clone3(" in line and "CLONE_NEWPID" in line), None)
    if clone is None:
        return None
    marks = []
    for name, starts in PHASES:
        hit = next((stamp(line) for line in trace_lines if starts(line)), None)
        if hit is not None and hit <= clone:
            marks.append((name, hit))
    # The dynamic loader is done when libc's start-up asks for the stack
    # limit (the first system call after the loader's own mprotects).
    loader_end = next((stamp(line) for line in trace_lines
                       if "prlimit64(0, RLIMIT_STACK" in line), None)
    if loader_end is not None:
        marks.append(("static initialisers, CLI", loader_end))
    marks.sort(key=lambda mark: mark[1])
    result = {}
    for index, (name, at) in enumerate(marks):
        until = marks[index + 1][1] if index + 1 < len(marks) else clone
        result[name] = (until - at) * 1000
    result["total to clone3"] = (clone - start) * 1000
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("twinbox")
    parser.add_argument("image", nargs="?", default="busybox")
    arguments = parser.parse_args()
    argv = [arguments.twinbox, "run", "--rm", arguments.image, "true"]
    subprocess.run(argv, check=True)  # warm: the store exists, the image is unpacked
    runs = []
    with tempfile.TemporaryDirectory() as work:
        trace = os.path.join(work, "trace")
        for _ in range(arguments.runs):
            subprocess.run(["strace", "-f", "-ttt", "-o", trace] + argv, check=True)
            with open(trace) as lines:
                lines = [line for line in lines.read().splitlines() if line.strip()]
            phases = phases_of(lines)
            if phases:
                runs.append(phases)
    if not runs:
        sys.exit("startup_trace: no run reached clone3")
    names = [PHASES[0][0], "static initialisers, CLI"] + [name for name, _ in PHASES[1:]] + \
        ["total to clone3"]
    print(f"| phase (under strace, {len(runs)} runs) | median ms | share |")
    print("|---|---|---|")
    total = statistics.median(run["total to clone3"] for run in runs)
    for name in names:
        values = [run.get(name, 0.0) for run in runs]
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {100 * median / total:.0f}% |")


if __name__ == "__main__":
    main()
