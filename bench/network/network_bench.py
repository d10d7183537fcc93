#!/usr/bin/env python3
"""Container networking benchmark (docs/benchmarks.md "Networking").

TCP throughput (both directions) and 1-byte request/response between:

  native        two processes in one network namespace, over loopback
  host-veth     the namespace and a container on twinbox0 (veth + bridge)
  ctr-ctr       two containers on twinbox0 (veth -> bridge -> veth)

with bench/virtio/netperf.c (the same static program everywhere), and the
time the network adds to `twinbox run --rm true`: --network none against
--network bridge. Everything runs in a network namespace made for the
benchmark (twinbox runs in it through nsenter), so the host's network is
untouched. The paths are measured interleaved, round after round in a
rotating order, so that a change in machine load hits all of them alike;
each figure is the median (min-max) over the rounds, with its ratio to
native. Needs root.

usage: network_bench.py --twinbox BIN --netperf BIN --rootfs DIR [--out DIR]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "container"))
import report  # noqa: E402  (bench/container/report.py: summary, ratio, format_ratio)
import runner  # noqa: E402  (bench/container/runner.py: timed_run)

RESULT_LINE = re.compile(r"netperf: mode=(\S+) (.*)")
MODES = ("stream-send", "stream-recv", "rr")
PORT = 5201


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox", required=True)
    parser.add_argument("--netperf", required=True, help="static netperf (bench/virtio/netperf.c)")
    parser.add_argument("--rootfs", required=True, help="busybox root (build/guest/rootfs)")
    parser.add_argument("--seconds", type=int, default=3, help="length of one netperf run")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each path and mode")
    parser.add_argument("--start-runs", type=int, default=30, help="container starts per mode")
    parser.add_argument("--out", default=None, help="directory for results.json and table.md")
    return parser.parse_args()


class Bench:
    def __init__(self, arguments, work):
        self.arguments = arguments
        self.work = work
        self.namespace = f"tbnetbench-{os.getpid()}"
        self.environment = dict(os.environ, TWINBOX_ROOT=os.path.join(work, "root"))
        self.bench_dir = os.path.join(work, "bench")
        os.makedirs(self.bench_dir)
        shutil.copy(arguments.netperf, os.path.join(self.bench_dir, "netperf"))
        self.netperf = os.path.join(self.bench_dir, "netperf")
        self.native_server = None

    def in_ns(self, *command):
        """argv running `command` in the benchmark's network namespace."""
        return ["nsenter", f"--net=/run/netns/{self.namespace}", *command]

    def twinbox(self, *args, check=True):
        done = subprocess.run(self.in_ns(self.arguments.twinbox, *args), env=self.environment,
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise SystemExit(f"twinbox {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def set_up(self):
        subprocess.run(["ip", "netns", "add", self.namespace], check=True)
        subprocess.run(["ip", "netns", "exec", self.namespace, "ip", "link", "set", "lo", "up"],
                       check=True)
        volume = f"{self.bench_dir}:/bench:ro"
        rootfs = self.arguments.rootfs
        self.server = self.twinbox("run", "-d", "--network", "bridge", "-v", volume, "--rootfs",
                                   rootfs, "/bench/netperf", "server", str(PORT))
        self.client = self.twinbox("run", "-d", "--network", "bridge", "-v", volume, "--rootfs",
                                   rootfs, "sleep", "100000")
        members = json.loads(self.twinbox("network", "inspect", "twinbox0"))[0]["Members"]
        self.server_address = next(m["IPv4Address"].split("/")[0] for m in members
                                   if m["Id"] == self.server)
        self.native_server = subprocess.Popen(self.in_ns(self.netperf, "server", str(PORT)),
                                              stdout=subprocess.DEVNULL)
        time.sleep(0.5)

    def tear_down(self):
        if self.native_server:
            self.native_server.kill()
            self.native_server.wait()
        for container in (getattr(self, "server", None), getattr(self, "client", None)):
            if container:
                self.twinbox("rm", "-f", container, check=False)
        self.twinbox("network", "rm", "twinbox0", check=False)
        subprocess.run(["ip", "netns", "del", self.namespace])

    def client_argv(self, path, mode):
        seconds = str(self.arguments.seconds)
        if path == "native":
            return self.in_ns(self.netperf, mode, "127.0.0.1", str(PORT), seconds)
        if path == "host-veth":
            return self.in_ns(self.netperf, mode, self.server_address, str(PORT), seconds)
        return self.in_ns(self.arguments.twinbox, "exec", self.client, "/bench/netperf", mode,
                          self.server_address, str(PORT), seconds)

    def netperf_once(self, path, mode):
        done = subprocess.run(self.client_argv(path, mode), env=self.environment,
                              capture_output=True, text=True, timeout=self.arguments.seconds + 60)
        match = RESULT_LINE.search(done.stdout)
        if not match:
            raise SystemExit(f"{path} {mode}: no result: {done.stdout} {done.stderr}")
        fields = dict(item.split("=", 1) for item in match.group(2).split() if "=" in item)
        if mode == "rr":
            return {"rr-per-s": float(fields["per_s"]), "rr-p50-us": float(fields["p50_us"])}
        return {mode: float(fields["mbit_per_s"])}

    def start_once(self, network):
        argv = self.in_ns(self.arguments.twinbox, "run", "--rm", "--network", network, "--rootfs",
                          self.arguments.rootfs, "true")
        saved = os.environ.get("TWINBOX_ROOT")
        os.environ["TWINBOX_ROOT"] = self.environment["TWINBOX_ROOT"]
        try:
            milliseconds, status, output = runner.timed_run(argv)
        finally:
            if saved is None:
                os.environ.pop("TWINBOX_ROOT")
            else:
                os.environ["TWINBOX_ROOT"] = saved
        if status != 0:
            raise SystemExit(f"twinbox run --network {network}: {output.decode().strip()}")
        return milliseconds


def rotated(names, index):
    index %= len(names)
    return list(names[index:]) + list(names[:index])


def measure(bench, arguments):
    paths = ("native", "host-veth", "ctr-ctr")
    values = {path: {} for path in paths}
    for round_index in range(arguments.rounds):
        for path in rotated(paths, round_index):
            for mode in MODES:
                for metric, value in bench.netperf_once(path, mode).items():
                    values[path].setdefault(metric, []).append(value)
        print(f"round {round_index + 1}/{arguments.rounds} done", file=sys.stderr)
    starts = {"none": [], "bridge": []}
    for run_index in range(arguments.start_runs):
        for network in rotated(("none", "bridge"), run_index):
            starts[network].append(bench.start_once(network))
    return values, starts


def render(values, starts, load_before, load_after, arguments):
    metrics = (("stream-send", "TCP send, Mbit/s"), ("stream-recv", "TCP receive, Mbit/s"),
               ("rr-per-s", "1-byte RR, transactions/s"), ("rr-p50-us", "1-byte RR p50, us"))
    native = {metric: report.summary(values["native"].get(metric, [])) for metric, _ in metrics}
    lines = ["| metric | native (loopback) | host <-> container (veth) | container <-> container |",
             "|---|---|---|---|"]
    for metric, label in metrics:
        cells = []
        for path in ("native", "host-veth", "ctr-ctr"):
            found = report.summary(values[path].get(metric, []))
            text = f"{found['median']:.0f} ({found['min']:.0f}-{found['max']:.0f})"
            if path != "native":
                text += f", {report.format_ratio(report.ratio(found, native[metric]))}"
            cells.append(text)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    none, bridge = report.summary(starts["none"]), report.summary(starts["bridge"])
    lines += ["", "| `twinbox run --rm true` | median (min-max), ms | runs |", "|---|---|---|",
              f"| --network none | {none['median']:.1f} ({none['min']:.1f}-{none['max']:.1f}) | "
              f"{none['runs']} |",
              f"| --network bridge | {bridge['median']:.1f} ({bridge['min']:.1f}-"
              f"{bridge['max']:.1f}) | {bridge['runs']} |",
              f"| the network's cost | {bridge['median'] - none['median']:+.1f} | |", "",
              f"{arguments.rounds} rounds of {arguments.seconds} s per path and mode, "
              f"interleaved; load average {load_before[0]:.2f} before, {load_after[0]:.2f} "
              f"after (1 min)."]
    return "\n".join(lines)


def main():
    arguments = parse_arguments()
    if os.geteuid() != 0:
        raise SystemExit("network_bench: needs root (network namespaces, containers)")
    work = tempfile.mkdtemp(prefix="twinbox-netbench-")
    bench = Bench(arguments, work)
    load_before = os.getloadavg()
    try:
        bench.set_up()
        values, starts = measure(bench, arguments)
    finally:
        bench.tear_down()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    table = render(values, starts, load_before, load_after, arguments)
    print(table)
    if arguments.out:
        os.makedirs(arguments.out, exist_ok=True)
        with open(os.path.join(arguments.out, "results.json"), "w") as out:
            json.dump({"netperf": values, "start_ms": starts, "load": [load_before, load_after],
                       "nproc": os.cpu_count(), "kernel": os.uname().release}, out, indent=2)
        with open(os.path.join(arguments.out, "table.md"), "w") as out:
            out.write(table + "\n")


if __name__ == "__main__":
    main()
