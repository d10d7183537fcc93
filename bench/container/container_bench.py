#!/usr/bin/env python3
"""Container benchmark: twinbox-oci against crun and runc, the same bundle.

Measures, with the runs of all participants interleaved so that a slow
moment of the machine hits each alike:

  (a) start to exit: wall time from spawning `RUNTIME run` until it has
      exited, for a container that runs /bin/true from a busybox root with
      new pid, network, ipc, uts and mount namespaces and a cgroup
      (bundle.py writes the config.json, the same file for every runtime);
  (b) peak RSS: the largest ru_maxrss of any process of the run (GNU time's
      %M), in separate interleaved runs.

Every runtime is started through the same wrapper, because crun 1.8 refuses
this machine's hybrid cgroup layout (v1 controllers plus a cgroup2 mount at
/sys/fs/cgroup/unified) unless the cgroup2 mount is hidden from it:

  unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec RUNTIME ...'

(with busybox's umount, see wrapper()). Two reference rows put the figures in proportion: "unshare floor" (the
wrapper running /bin/true, no container) and plain /bin/true. Needs root.

It prints a table (median, min and max; ratios to crun) and the issue's
targets for twinbox-oci (median at most 0.6x crun's, peak RSS at most
crun's), and writes container_bench.json and container_bench.md to --out.
Speed is measured here only, never in a unit test (docs/benchmarks.md).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

# The helper modules sit next to this script; keep the source tree free of
# __pycache__ directories.
sys.dont_write_bytecode = True
import bundle  # noqa: E402
import report  # noqa: E402
import runner  # noqa: E402

CGROUP2_HYBRID_MOUNT = "/sys/fs/cgroup/unified"
REFERENCE = "crun"
UNSHARE_FLOOR = "reference: unshare floor"
PLAIN_TRUE = "reference: /bin/true"
TWINBOX_RUN = "twinbox run busybox"

# The targets for twinbox-oci ("Container engine", Performance).
TARGET_TIME_RATIO = 0.6
TARGET_RSS_RATIO = 1.0
# Issue 17's targets for `twinbox run IMAGE`: against twinbox-oci on the same
# root, and its peak RSS.
TARGET_RUN_RATIO = 1.3
TARGET_RUN_RSS_MIB = 6

# What the sanity run prints when it really is PID 1 of a new pid namespace.
SANITY_MARKER = b"container-bench: pid 1 ok"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox-oci", default="",
                        help="the twinbox-oci binary (left out of the comparison if absent)")
    parser.add_argument("--twinbox", default="",
                        help="the twinbox binary: adds `twinbox run --rm busybox` (the image "
                             "store's built-in busybox, warmed up before timing) to the comparison")
    parser.add_argument("--crun", default="crun", help="the crun binary")
    parser.add_argument("--runc", default="runc", help="the runc binary")
    parser.add_argument("--runs", type=int, default=100,
                        help="start-to-exit runs of each participant (a)")
    parser.add_argument("--rss-runs", type=int, default=20,
                        help="peak-RSS runs of each participant (b)")
    parser.add_argument("--rootfs", default="",
                        help="use this busybox root instead of building one from /bin/busybox "
                             "(runtimes may create mount points in it)")
    parser.add_argument("--busybox", default="/bin/busybox", help="static busybox for the root")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one run may take")
    parser.add_argument("--out", default="", help="directory for container_bench.json and .md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary bundle")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.rss_runs < 0:
        parser.error("--runs must be at least 1 and --rss-runs at least 0")
    return arguments


# ---------------------------------------------------------------------------
# The command lines
# ---------------------------------------------------------------------------

def hybrid_cgroups():
    """True when a cgroup2 file system is mounted at /sys/fs/cgroup/unified."""
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            separator = fields.index("-")
            if fields[4] == CGROUP2_HYBRID_MOUNT and fields[separator + 1] == "cgroup2":
                return True
    return False


def wrapper(hide_cgroup2, busybox):
    """The prefix every measured command runs under (see the module comment).

    The static busybox's umount does the unmount when it is there: it peaks
    at ~1.7 MiB where util-linux's umount (libmount) reaches ~2.7 MiB, and
    the wrapper's peak is a floor under every peak RSS figure, so a lower
    floor lets smaller runtimes show. "$0" "$@" hands the command to exec
    without any shell quoting.
    """
    script = 'exec "$0" "$@"'
    if hide_cgroup2:
        umount = f"{busybox} umount" if os.access(busybox, os.X_OK) else "umount"
        script = f"{umount} {CGROUP2_HYBRID_MOUNT} && " + script
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]


class Runtime:
    """One OCI runtime: its binary and a state directory of its own."""

    def __init__(self, name, binary, state_root):
        self.name = name
        self.binary = binary
        self.state_root = state_root

    def run(self, bundle_dir, container_id):
        return [self.binary, "--root", self.state_root, "run", "--bundle", bundle_dir,
                container_id]

    def delete(self, container_id):
        return [self.binary, "--root", self.state_root, "delete", "--force", container_id]

    def version(self):
        try:
            output = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                    timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return output.splitlines()[0] if output else "unknown"


class TwinboxRun(Runtime):
    """`twinbox run --rm busybox ARGS`: the engine's own start, image to exit.

    ARGS are the process args of the bundle's config.json, so the sanity and
    the timed runs do what they do in the OCI runtimes. TWINBOX_ROOT (set
    for the whole benchmark, see run_benchmark) is a private store, warmed
    by the sanity run, so no run unpacks the image.
    """

    def run(self, bundle_dir, container_id):
        with open(os.path.join(bundle_dir, "config.json")) as config:
            args = json.load(config)["process"]["args"]
        return [self.binary, "run", "--rm", "--name", container_id, "busybox"] + args

    def delete(self, container_id):
        return [self.binary, "rm", "--force", container_id]


def find_runtimes(arguments, state_dir, log):
    runtimes = []
    for name, binary in (("twinbox-oci", arguments.twinbox_oci), ("crun", arguments.crun),
                         ("runc", arguments.runc)):
        found = shutil.which(binary) if binary else None
        if not found:
            log(f"{name}: not found ({binary or 'no --twinbox-oci given'}), left out")
            continue
        runtimes.append(Runtime(name, os.path.abspath(found), os.path.join(state_dir, name)))
    if arguments.twinbox:
        found = shutil.which(arguments.twinbox)
        if found:
            # The state of `twinbox run` lives under TWINBOX_ROOT/run/containers;
            # the state_root here is only where clean_up_after looks for leftovers.
            os.environ["TWINBOX_ROOT"] = os.path.join(state_dir, "twinbox-root")
            runtimes.append(TwinboxRun(TWINBOX_RUN, os.path.abspath(found),
                                       os.path.join(state_dir, "twinbox-root", "run", "containers")))
        else:
            log(f"{TWINBOX_RUN}: {arguments.twinbox} not found, left out")
    return runtimes


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------

class Bench:
    """The bundles, the runtimes and the bookkeeping around each run."""

    def __init__(self, arguments, work_dir, runtimes, log):
        self.arguments = arguments
        self.log = log
        self.runtimes = {runtime.name: runtime for runtime in runtimes}
        self.prefix = wrapper(hybrid_cgroups(), arguments.busybox)
        rootfs = arguments.rootfs or os.path.join(work_dir, "rootfs")
        if not arguments.rootfs:
            bundle.build_rootfs(rootfs, arguments.busybox)
        self.rootfs = os.path.abspath(rootfs)
        self.true_bundle = bundle.write_bundle(os.path.join(work_dir, "true"), ["/bin/true"],
                                               self.rootfs, "bench")
        self.sanity_bundle = bundle.write_bundle(
            os.path.join(work_dir, "sanity"),
            ["/bin/sh", "-c", f"test $$ = 1 && echo '{SANITY_MARKER.decode()}'"],
            self.rootfs, "sanity")
        self.sequence = 0
        self.leftovers = []

    def participants(self):
        return list(self.runtimes) + [UNSHARE_FLOOR, PLAIN_TRUE]

    def command(self, name, bundle_dir=None):
        """(argv, container id or None) for one run of participant `name`."""
        if name == PLAIN_TRUE:
            return ["/bin/true"], None
        if name == UNSHARE_FLOOR:
            return self.prefix + ["/bin/true"], None
        self.sequence += 1
        container_id = f"bench-{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}-{self.sequence}"
        runtime = self.runtimes[name]
        return self.prefix + runtime.run(bundle_dir or self.true_bundle, container_id), \
            container_id

    def clean_up_after(self, name, container_id):
        """Untimed: checks that the runtime left no state or cgroup behind.

        `RUNTIME run` deletes the container when it ends; what is left is
        recorded and removed, so the next run starts from the same state.
        """
        if container_id is None:
            return
        runtime = self.runtimes[name]
        state = os.path.join(runtime.state_root, container_id)
        if os.path.exists(state):
            self.leftovers.append(f"{name}: state {state}")
            runner.timed_run(self.prefix + runtime.delete(container_id), self.arguments.timeout)
        for cgroup in bundle.container_cgroups():
            self.leftovers.append(f"{name}: cgroup {cgroup}")
            try:
                os.rmdir(cgroup)
            except OSError:
                pass

    def sanity_check(self):
        """Runs the sanity bundle once per runtime; drops runtimes that fail it."""
        for name in list(self.runtimes):
            argv, container_id = self.command(name, self.sanity_bundle)
            _, status, output = runner.timed_run(argv, self.arguments.timeout)
            self.clean_up_after(name, container_id)
            if status != 0 or SANITY_MARKER not in output:
                self.log(f"{name}: sanity run failed (exit status {status}), left out; "
                         f"output: {output.decode(errors='replace')[-800:]}")
                del self.runtimes[name]
            else:
                self.log(f"{name}: sanity run ok (the container's sh is PID 1)")


def rotated(names, run):
    """The participants in the order of run `run`: each one goes first in turn."""
    return names[run % len(names):] + names[:run % len(names)]


def measure(bench, runs, measure_one, what, log):
    """Interleaved runs; measure_one(argv) -> (value or None, status, output)."""
    values = {name: [] for name in bench.participants()}
    failures = []
    for run in range(runs):
        for name in rotated(bench.participants(), run):
            argv, container_id = bench.command(name)
            value, status, output = measure_one(argv)
            bench.clean_up_after(name, container_id)
            if status != 0 or value is None:
                failure = (f"{name}: exit status {status}: "
                           f"{output.decode(errors='replace')[-400:]}")
                failures.append(failure)
                log(f"  {what} FAILED: {failure}")
            else:
                values[name].append(value)
        if (run + 1) % 10 == 0 or run + 1 == runs:
            log(f"  {what} run {run + 1}/{runs}: " + ", ".join(
                f"{name} {values[name][-1]:.1f}" for name in values if values[name]))
    return values, failures


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

def describe_machine(runtimes):
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as release:
            match = re.search(r'^PRETTY_NAME="?([^"\n]*)', release.read(), re.MULTILINE)
            os_name = match.group(1) if match else ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "os": os_name,
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "hybrid_cgroups": hybrid_cgroups(),
        "runtimes": {runtime.name: runtime.version() for runtime in runtimes},
    }


def target_lines(times, peaks):
    """The issue's two targets for twinbox-oci, each with PASS or FAIL."""
    if "twinbox-oci" not in times:
        return ["twinbox-oci was not measured: targets not checked"]
    lines = []
    for what, values, target, unit in (("median start to exit", times, TARGET_TIME_RATIO, "x"),
                                       ("median peak RSS", peaks, TARGET_RSS_RATIO, "x")):
        found = report.ratio(report.summary(values.get("twinbox-oci", [])),
                             report.summary(values.get(REFERENCE, [])))
        verdict = "not measured" if found is None else ("PASS" if found <= target else "FAIL")
        shown = "-" if found is None else f"{found:.2f}{unit}"
        lines.append(f"twinbox-oci {what}: {shown} crun's (target <= {target}{unit}): {verdict}")
    if TWINBOX_RUN in times:
        found = report.ratio(report.summary(times.get(TWINBOX_RUN, [])),
                             report.summary(times.get("twinbox-oci", [])))
        verdict = "not measured" if found is None else (
            "PASS" if found <= TARGET_RUN_RATIO else "FAIL")
        shown = "-" if found is None else f"{found:.2f}x"
        lines.append(f"{TWINBOX_RUN} median start to exit: {shown} twinbox-oci's "
                     f"(target <= {TARGET_RUN_RATIO}x): {verdict}")
        peak = report.summary(peaks.get(TWINBOX_RUN, []))
        if peak:
            mib = peak["median"] / 1024
            verdict = "PASS" if mib <= TARGET_RUN_RSS_MIB else "FAIL"
            lines.append(f"{TWINBOX_RUN} median peak RSS: {mib:.1f} MiB "
                         f"(target <= {TARGET_RUN_RSS_MIB} MiB): {verdict}")
    return lines


def save(arguments, results, markdown=None):
    if not arguments.out:
        return
    os.makedirs(arguments.out, exist_ok=True)
    with open(os.path.join(arguments.out, "container_bench.json"), "w") as json_file:
        json.dump(results, json_file, indent=2)
    if markdown is not None:
        with open(os.path.join(arguments.out, "container_bench.md"), "w") as text_file:
            text_file.write(markdown + "\n")


def run_benchmark(arguments, work_dir, log):
    if os.geteuid() != 0:
        sys.exit("container_bench: must run as root (the runtimes create namespaces and cgroups)")
    runtimes = find_runtimes(arguments, os.path.join(work_dir, "state"), log)
    bench = Bench(arguments, work_dir, runtimes, log)
    machine = describe_machine(runtimes)
    log(f"machine: {machine['os']}, kernel {machine['kernel']}, {machine['cpus']} CPUs, "
        f"{machine['cpu_model']}; hybrid cgroups: {machine['hybrid_cgroups']}; load average "
        + " ".join(f"{load:.1f}" for load in machine["load_average_at_start"]))
    for name, version in machine["runtimes"].items():
        log(f"{name}: {version}")
    log("wrapper: " + " ".join(bench.prefix))
    bench.sanity_check()
    if REFERENCE not in bench.runtimes:
        log(f"{REFERENCE} is not usable: ratios are left out")
    with open(os.path.join(bench.true_bundle, "config.json")) as config_file:
        config = json.load(config_file)
    results = {"machine": machine, "command": sys.argv, "wrapper": bench.prefix,
               "config_json": config, "runs": arguments.runs, "rss_runs": arguments.rss_runs,
               "participants": bench.participants()}

    # One unmeasured run of each first, so that no one pays for a cold page cache.
    measure(bench, 1, lambda argv: runner.timed_run(argv, arguments.timeout), "warm-up", log)
    log(f"(a) start to exit of /bin/true, {arguments.runs} interleaved runs each")
    times, results["time_failures"] = measure(
        bench, arguments.runs, lambda argv: runner.timed_run(argv, arguments.timeout),
        "(a) ms", log)
    results["start_to_exit_ms"] = times
    save(arguments, results)

    log(f"(b) peak RSS, {arguments.rss_runs} interleaved runs each")
    peaks, results["rss_failures"] = measure(
        bench, arguments.rss_runs, lambda argv: runner.measure_peak_rss(argv, arguments.timeout),
        "(b) KiB", log)
    results["peak_rss_kib"] = peaks
    results["leftovers"] = bench.leftovers

    rows = report.table_rows(bench.participants(), times, peaks, REFERENCE)
    table = report.render_table(rows, REFERENCE)
    targets = target_lines(times, peaks)
    results["table"] = rows
    results["targets"] = targets
    # Other work on the machine inflates every row alike; the ratios hold up
    # better than the absolute figures, but say how busy it was.
    results["load_average_at_end"] = os.getloadavg()
    markdown = "\n".join([table, ""] + [f"- {line}" for line in targets])
    save(arguments, results, markdown)
    print()
    print(markdown)
    if bench.leftovers:
        print(f"\nleft behind by runtimes (removed by the harness): {len(bench.leftovers)}, "
              f"e.g. {bench.leftovers[0]}")
    if arguments.out:
        print(f"\nresults in {arguments.out}/container_bench.json and container_bench.md")


def main():
    arguments = parse_arguments()
    started = time.monotonic()

    def log(message):
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    work_dir = tempfile.mkdtemp(prefix="container-bench-")
    try:
        run_benchmark(arguments, work_dir, log)
    finally:
        bundle.remove_cgroups(log)
        if arguments.keep:
            log(f"bundle kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
