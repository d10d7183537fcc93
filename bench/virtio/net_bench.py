#!/usr/bin/env python3
"""Network benchmark: virtio-net of twinbox against QEMU's microvm machine.

Runs as root on a host with a usable /dev/kvm (on a machine without hardware
KVM, start it through tests/integration/with-kvm.sh, which runs it inside the
nested test host VM). Three participants boot the same Linux kernel, the same
initramfs (the default one plus bench/virtio/netperf.c as /usr/bin/netperf,
appended as a second cpio archive) and the same command line, with one
virtio-net card on the same TAP device and a virtio-rng device:

  twinbox              --net tap=TAP,mac=MAC (twinbox's own virtio-net, tap offloads)
  qemu microvm         -netdev tap,vhost=off: QEMU's userspace virtio-net
  qemu microvm vhost   -netdev tap,vhost=on: the kernel's vhost-net data path

The tap lives in a network namespace the harness creates (and deletes at
the end, also on failure) and holds the host's address; netperf's server
runs there. Inside the guest, netperf measures, one after the other:

  (a) TCP stream guest -> host, Mbit/s (the guest transmits);
  (b) TCP stream host -> guest, Mbit/s (the guest receives);
  (c) TCP request/response, 1 byte each way: transactions/s and the median
      round-trip time in microseconds.

The runs are interleaved (each participant goes first in turn), medians with
min and max, and the ratio of twinbox to each QEMU. Targets (virtio issue):
network throughput at least 1.0x QEMU's userspace virtio-net; vhost-net is a
second reference without a target. Speed is measured here only, never in a
unit test (docs/benchmarks.md).
"""

import argparse
import datetime
import glob
import gzip
import io
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import report  # noqa: E402
import runner  # noqa: E402

NAMESPACE = f"tbx-netbench-{os.getpid()}"
TAP = "tbxbench0"
HOST_ADDRESS = "10.210.0.1"
GUEST_ADDRESS = "10.210.0.2"
GUEST_MAC = "02:00:00:10:21:02"
PORT = 5201
DEFAULT_CMDLINE = "console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"

# (key, label, unit, higher is better, has a target)
METRICS = (
    ("stream-send", "TCP stream guest -> host", "Mbit/s", True, True),
    ("stream-recv", "TCP stream host -> guest", "Mbit/s", True, True),
    ("rr-per-s", "TCP request/response, 1 byte", "trans/s", True, False),
    ("rr-p50-us", "TCP request/response round trip, median", "us", False, False),
)
TARGET_RATIO = 1.0
RESULT_LINE = re.compile(rb"netperf: mode=(\S+) (.*)")

GUEST_SCRIPT = """#!/bin/sh
# net-bench ADDRESS HOST SECONDS: the guest side of bench/virtio/net_bench.py.
ip link set lo up
ip link set eth0 up
ip addr add "$1/24" dev eth0
ping -c 2 -W 10 "$2" >/dev/null || echo "net-bench: no answer from $2"
netperf stream-send "$2" {port} "$3"
netperf stream-recv "$2" {port} "$3"
netperf rr "$2" {port} "$3" 1
""".format(port=PORT)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox", required=True, help="the twinbox binary")
    parser.add_argument("--initrd", required=True, help="the default guest initramfs")
    parser.add_argument("--netperf", default="",
                        help="static netperf binary (default: compile bench/virtio/netperf.c)")
    parser.add_argument("--kernel", default="", help="Linux kernel (default: newest /boot/vmlinuz-*)")
    parser.add_argument("--cmdline", default=DEFAULT_CMDLINE,
                        help="kernel command line without TWINBOX_RUN, the same for all")
    parser.add_argument("--memory", type=int, default=256, help="guest MiB")
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="the QEMU binary")
    parser.add_argument("--qemu-cpu", default="host", help="QEMU -cpu")
    parser.add_argument("--seconds", type=int, default=5, help="length of each netperf test")
    parser.add_argument("--runs", type=int, default=3, help="runs (boots) of each participant")
    parser.add_argument("--no-vhost", action="store_true", help="leave out the vhost-net baseline")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one run may take")
    parser.add_argument("--no-idle-vm", action="store_true",
                        help="do not hold an idle VM open (bench/boot/runner.py open_idle_vm)")
    parser.add_argument("--out", default="", help="directory for net_bench.json and .txt")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.seconds < 1:
        parser.error("--runs and --seconds must be at least 1")
    if not arguments.kernel:
        kernels = sorted(glob.glob("/boot/vmlinuz-*"),
                         key=lambda text: [int(p) if p.isdigit() else p
                                           for p in re.split(r"(\d+)", text)])
        if not kernels:
            parser.error("no /boot/vmlinuz-* found; give --kernel")
        arguments.kernel = kernels[-1]
    return arguments


def run(*command, check=True):
    return subprocess.run(command, check=check, capture_output=True, text=True)


def in_namespace(*command):
    return ["ip", "netns", "exec", NAMESPACE, *command]


# ------------------------------------------------------------------ guest image

def newc_entry(name, mode, data):
    """One cpio "newc" record (the format Linux's initramfs unpacker reads)."""
    name_bytes = name.encode() + b"\0"
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08X" % field for field in fields)
    pad = lambda length: b"\0" * (-length % 4)  # noqa: E731
    return header + name_bytes + pad(len(header) + len(name_bytes)) + data + pad(len(data))


def build_initrd(arguments, scratch):
    """The default initramfs with netperf and the guest script appended as a second archive."""
    netperf = arguments.netperf
    if not netperf:
        netperf = os.path.join(scratch, "netperf")
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netperf.c")
        subprocess.run(["cc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", netperf,
                        source], check=True)
    archive = io.BytesIO()
    directory = stat.S_IFDIR | 0o755
    executable = stat.S_IFREG | 0o755
    for name in ("usr", "usr/bin"):
        archive.write(newc_entry(name, directory, b""))
    with open(netperf, "rb") as binary:
        archive.write(newc_entry("usr/bin/netperf", executable, binary.read()))
    archive.write(newc_entry("usr/bin/net-bench", executable, GUEST_SCRIPT.encode()))
    archive.write(newc_entry("TRAILER!!!", 0, b""))
    path = os.path.join(scratch, "initramfs-netperf.cpio.gz")
    with open(path, "wb") as output:
        with open(arguments.initrd, "rb") as default:
            shutil.copyfileobj(default, output)
        output.write(gzip.compress(archive.getvalue()))
    return path, netperf


# ------------------------------------------------------------------ network

def set_up_network(netperf):
    """Namespace, persistent tap with the host address, netperf server; returns the server."""
    for module in ("tun", "vhost_net"):
        run("modprobe", module, check=False)
    run("ip", "netns", "add", NAMESPACE)
    run(*in_namespace("ip", "link", "set", "lo", "up"))
    run(*in_namespace("ip", "tuntap", "add", TAP, "mode", "tap"))
    run(*in_namespace("ip", "addr", "add", f"{HOST_ADDRESS}/24", "dev", TAP))
    run(*in_namespace("ip", "link", "set", TAP, "up"))
    server = subprocess.Popen(in_namespace(netperf, "server", str(PORT)), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    server.stdout.readline()  # "netperf: server listening ..."
    return server


def tear_down_network(server):
    if server is not None:
        server.kill()
        server.wait()
    run("ip", "netns", "del", NAMESPACE, check=False)  # deletes the tap with it


# ------------------------------------------------------------------ commands

def command_line(arguments):
    return (f'{arguments.cmdline} TWINBOX_RUN="net-bench {GUEST_ADDRESS} {HOST_ADDRESS} '
            f'{arguments.seconds}"')


def twinbox_command(arguments, initrd):
    return in_namespace(arguments.twinbox, "vm", "run", "--kernel", arguments.kernel,
                        "--initrd", initrd, "--cpus", "1", "--memory", f"{arguments.memory}M",
                        "--cmdline", command_line(arguments),
                        "--net", f"tap={TAP},mac={GUEST_MAC}")


def qemu_command(arguments, initrd, vhost):
    # virtio-mmio in its modern layout and the DSDT announcement, as twinbox
    # offers them; QEMU's tap back end also uses IFF_VNET_HDR and offloads.
    return in_namespace(
        arguments.qemu, "-enable-kvm", "-cpu", arguments.qemu_cpu, "-nodefaults",
        "-no-user-config", "-nographic", "-serial", "stdio", "-M", "microvm", "-smp", "1",
        "-m", str(arguments.memory), "-no-reboot", "-global", "virtio-mmio.force-legacy=false",
        "-kernel", arguments.kernel, "-initrd", initrd, "-append", command_line(arguments),
        "-netdev", f"tap,id=net0,ifname={TAP},script=no,downscript=no,"
                   f"vhost={'on' if vhost else 'off'}",
        "-device", f"virtio-net-device,netdev=net0,mac={GUEST_MAC}",
        "-device", "virtio-rng-device")


def parse_results(output):
    """{metric: value} from netperf's lines."""
    found = {}
    for match in RESULT_LINE.finditer(output):
        mode = match.group(1).decode()
        fields = dict(item.split("=", 1) for item in match.group(2).decode().split()
                      if "=" in item)
        if mode in ("stream-send", "stream-recv"):
            found[mode] = float(fields["mbit_per_s"])
        elif mode == "rr":
            found["rr-per-s"] = float(fields["per_s"])
            found["rr-p50-us"] = float(fields["p50_us"])
    return found


# ------------------------------------------------------------------ report

def describe_machine(arguments):
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    qemu_version = run(arguments.qemu, "--version").stdout.splitlines()[0]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "nested_tcg_test_host": "QEMU TCG CPU" in cpu_model,
        "qemu_version": qemu_version,
        "guest_kernel": arguments.kernel,
        "vhost_net": os.path.exists("/dev/vhost-net"),
    }


def rows_of(values, baselines):
    rows = []
    twinbox_values = values["twinbox"]
    for key, label, unit, higher_better, has_target in METRICS:
        twinbox = report.summary(twinbox_values[key])
        for baseline in baselines:
            other = report.summary(values[baseline][key])
            found = report.ratio(twinbox, other)
            target, passed = "-", None
            if has_target and baseline == "qemu microvm":
                target = f">= {TARGET_RATIO}x QEMU"
                passed = None if found is None else found >= TARGET_RATIO
            elif not higher_better:
                target = "lower is better"
            row = report.table_row(f"{label} ({unit}) vs {baseline}", twinbox, other, unit,
                                   target, passed)
            rows.append(row)
    return rows


def save(arguments, results, table=None):
    if not arguments.out:
        return
    os.makedirs(arguments.out, exist_ok=True)
    with open(os.path.join(arguments.out, "net_bench.json"), "w") as json_file:
        json.dump(results, json_file, indent=2)
    if table is not None:
        with open(os.path.join(arguments.out, "net_bench.txt"), "w") as text_file:
            text_file.write(table + "\n")


def rotated(names, index):
    names = list(names)
    return names[index % len(names):] + names[:index % len(names)]


def main():
    arguments = parse_arguments()
    if os.geteuid() != 0:
        sys.exit("net_bench: needs root (network namespace, tap, vhost-net)")
    started = time.monotonic()

    def log(message):
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    scratch = tempfile.TemporaryDirectory(prefix="twinbox-net-bench-")
    initrd, netperf = build_initrd(arguments, scratch.name)
    idle_vm = None if arguments.no_idle_vm else runner.open_idle_vm()
    server = None
    try:
        server = set_up_network(netperf)
        machine = describe_machine(arguments)
        participants = {"twinbox": twinbox_command(arguments, initrd),
                        "qemu microvm": qemu_command(arguments, initrd, vhost=False)}
        if not arguments.no_vhost:
            if machine["vhost_net"]:
                participants["qemu microvm vhost-net"] = qemu_command(arguments, initrd, True)
            else:
                log("no /dev/vhost-net (modprobe vhost_net): leaving out the vhost-net baseline")
        log(f"machine: kernel {machine['kernel']}, {machine['cpus']} CPUs, "
            f"{machine['cpu_model']}; {machine['qemu_version']}; {arguments.seconds} s per test")
        values = {name: {key: [] for key, *_ in METRICS} for name in participants}
        results = {"machine": machine, "command": sys.argv, "commands": participants,
                   "idle_vm_held_open": idle_vm is not None, "values": values, "failures": []}
        for index in range(arguments.runs):
            for name in rotated(participants, index):
                milliseconds, status, output = runner.timed_run(participants[name],
                                                                arguments.timeout)
                found = parse_results(output)
                if len(found) != len(METRICS):
                    tail = output.decode(errors="replace")[-1500:]
                    results["failures"].append(f"{name}: exit {status}, output tail: {tail}")
                    log(f"FAILED: {name} (exit status {status}); output tail:\n{tail}")
                    continue
                for key, value in found.items():
                    values[name][key].append(value)
                log(f"run {index + 1}/{arguments.runs}, {name} ({milliseconds / 1000:.1f} s): "
                    + ", ".join(f"{key} {value:.1f}" for key, value in found.items()))
            save(arguments, results)
        baselines = [name for name in participants if name != "twinbox"]
        rows = rows_of(values, baselines)
        table = report.render_table(rows)
        results["table"] = rows
        results["duration_seconds"] = round(time.monotonic() - started, 1)
        save(arguments, results, table)
    finally:
        tear_down_network(server)
    log("done")
    print()
    print(table)
    if arguments.out:
        print(f"\nresults in {arguments.out}/net_bench.json and net_bench.txt")
    return 0 if not results["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
