#!/usr/bin/env python3
"""Disk benchmark: virtio-blk of twinbox against QEMU's microvm machine.

Runs on a host with a usable /dev/kvm (the bench-virtio-disk target starts it
through tests/integration/with-kvm.sh, so on a machine without hardware KVM
it runs inside the nested test host VM). Both VMMs boot the same Linux
kernel, the same initramfs (the default one plus bench/virtio/diskio.c as
/usr/bin/diskio) and the same command line, with the same virtio-mmio
devices: one virtio-blk disk backed by the same raw image file (host page
cache, no O_DIRECT on the host, which is QEMU's default cache=writeback and
twinbox's only mode) and virtio-rng. Inside the guest, diskio measures the
raw device /dev/vda with O_DIRECT:

  (a) sequential write, MiB/s (BLOCK_KIB requests, then fsync);
  (b) sequential read, MiB/s;
  (c) 4 KiB random reads, IOPS (one request in flight per thread).

The runs of the two VMMs are interleaved (each goes first in turn), so a
slow moment of the machine hits both alike. It prints a table (median, min
and max, the ratio twinbox/QEMU, the targets of the virtio issue: at least
1.0x QEMU) and writes the table and every measurement to --out after each
run. Speed is measured here only, never in a unit test (docs/benchmarks.md).
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

# Reuse the boot benchmark's runner and table (bench/boot/); keep the source
# tree free of __pycache__ (the test host's root is read-only anyway).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import report  # noqa: E402
import runner  # noqa: E402

TESTS = (("seqwrite", "MiB/s"), ("seqread", "MiB/s"), ("randread", "IOPS"))
TARGET_RATIO = 1.0  # virtio issue: disk throughput and IOPS at least 1.0x QEMU's
RESULT_LINE = re.compile(rb"diskio-result (\w+) ([0-9.]+) (\S+) (\w+)")

DEFAULT_CMDLINE = "console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox", required=True, help="the twinbox binary")
    parser.add_argument("--initrd", required=True,
                        help="initramfs with /usr/bin/diskio (target bench-virtio-initramfs)")
    parser.add_argument("--kernel", default="",
                        help="Linux kernel (default: newest /boot/vmlinuz-*)")
    parser.add_argument("--cmdline", default=DEFAULT_CMDLINE,
                        help="kernel command line without TWINBOX_RUN, the same for both VMMs")
    parser.add_argument("--memory", type=int, default=256, help="guest MiB")
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="the QEMU binary")
    parser.add_argument("--qemu-cpu", default="host",
                        help="QEMU -cpu (host,-arch-capabilities on a PVM host)")
    parser.add_argument("--image", default="",
                        help="raw image to use (default: a new one in a temporary directory)")
    parser.add_argument("--mib", type=int, default=64, help="MiB each test covers")
    parser.add_argument("--block-kib", type=int, default=1024, help="sequential request size")
    parser.add_argument("--seconds", type=int, default=5, help="length of the random-read test")
    parser.add_argument("--threads", type=int, default=1, help="random-read threads (depth)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each VMM")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one run may take")
    parser.add_argument("--no-idle-vm", action="store_true",
                        help="do not hold an idle VM open (bench/boot/runner.py open_idle_vm)")
    parser.add_argument("--out", default="", help="directory for disk_bench.json and .txt")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    if not arguments.kernel:
        kernels = sorted(glob.glob("/boot/vmlinuz-*"), key=natural_key)
        if not kernels:
            parser.error("no /boot/vmlinuz-* found; give --kernel")
        arguments.kernel = kernels[-1]
    return arguments


def natural_key(text):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def make_image(path, mib):
    """A raw image of 2 x mib MiB filled with non-zero bytes, so reads move real data."""
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with open(path, "wb") as image:
        for _ in range(2 * mib):
            image.write(chunk)


def workload(arguments):
    return (f"diskio all /dev/vda {arguments.mib} {arguments.block_kib} {arguments.seconds} "
            f"{arguments.threads}")


def command_line(arguments):
    # Linux passes NAME="value with spaces" to init with the quotes removed
    # (guest/README.md, "The TWINBOX_RUN convention").
    return f'{arguments.cmdline} TWINBOX_RUN="{workload(arguments)}"'


def twinbox_command(arguments, image):
    return [arguments.twinbox, "vm", "run", "--kernel", arguments.kernel, "--initrd",
            arguments.initrd, "--cpus", "1", "--memory", f"{arguments.memory}M",
            "--cmdline", command_line(arguments), "--disk", image]


def qemu_command(arguments, image):
    # virtio-mmio in its modern (virtio 1.x) layout, as twinbox offers it;
    # microvm announces the devices in its ACPI DSDT, as twinbox does.
    return [arguments.qemu, "-enable-kvm", "-cpu", arguments.qemu_cpu, "-nodefaults",
            "-no-user-config", "-nographic", "-serial", "stdio", "-M", "microvm",
            "-smp", "1", "-m", str(arguments.memory), "-no-reboot",
            "-global", "virtio-mmio.force-legacy=false",
            "-kernel", arguments.kernel, "-initrd", arguments.initrd,
            "-append", command_line(arguments),
            "-drive", f"id=disk0,file={image},format=raw,if=none",
            "-device", "virtio-blk-device,drive=disk0",
            "-device", "virtio-rng-device"]


def parse_results(output):
    """{test: (value, mode)} from diskio's lines."""
    found = {}
    for match in RESULT_LINE.finditer(output):
        found[match.group(1).decode()] = (float(match.group(2)), match.group(4).decode())
    return found


def describe_machine(arguments):
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    qemu_version = subprocess.run([arguments.qemu, "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "nested_tcg_test_host": "QEMU TCG CPU" in cpu_model,
        "qemu_version": qemu_version,
        "guest_kernel": arguments.kernel,
    }


def rotated(names, run):
    names = list(names)
    return names[run % len(names):] + names[:run % len(names)]


def rows_of(values):
    rows = []
    for test, unit in TESTS:
        twinbox = report.summary(values["twinbox"][test])
        qemu = report.summary(values["qemu microvm"][test])
        found = report.ratio(twinbox, qemu)
        rows.append(report.table_row(
            f"{test} ({unit}, /dev/vda, O_DIRECT)", twinbox, qemu, unit,
            f">= {TARGET_RATIO}x QEMU", None if found is None else found >= TARGET_RATIO))
    return rows


def save(arguments, results, table=None):
    if not arguments.out:
        return
    os.makedirs(arguments.out, exist_ok=True)
    with open(os.path.join(arguments.out, "disk_bench.json"), "w") as json_file:
        json.dump(results, json_file, indent=2)
    if table is not None:
        with open(os.path.join(arguments.out, "disk_bench.txt"), "w") as text_file:
            text_file.write(table + "\n")


def main():
    arguments = parse_arguments()
    started = time.monotonic()

    def log(message):
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    idle_vm = None if arguments.no_idle_vm else runner.open_idle_vm()
    scratch = tempfile.TemporaryDirectory(prefix="twinbox-disk-bench-")
    image = arguments.image or os.path.join(scratch.name, "disk.raw")
    if not arguments.image:
        make_image(image, arguments.mib)
    machine = describe_machine(arguments)
    log(f"machine: kernel {machine['kernel']}, {machine['cpus']} CPUs, {machine['cpu_model']}; "
        f"{machine['qemu_version']}; image {image}; workload: {workload(arguments)}")
    participants = {"twinbox": twinbox_command(arguments, image),
                    "qemu microvm": qemu_command(arguments, image)}
    values = {name: {test: [] for test, _ in TESTS} for name in participants}
    results = {"machine": machine, "command": sys.argv, "commands": participants,
               "idle_vm_held_open": idle_vm is not None, "values": values, "failures": []}
    for run in range(arguments.runs):
        for name in rotated(participants, run):
            milliseconds, status, output = runner.timed_run(participants[name],
                                                            arguments.timeout)
            found = parse_results(output)
            if len(found) != len(TESTS):
                tail = output.decode(errors="replace")[-1500:]
                results["failures"].append(f"{name}: exit {status}, output tail: {tail}")
                log(f"FAILED: {name} (exit status {status}); output tail:\n{tail}")
                continue
            for test, (value, mode) in found.items():
                if test in values[name]:
                    values[name][test].append(value)
            log(f"run {run + 1}/{arguments.runs}, {name} ({milliseconds / 1000:.1f} s): " +
                ", ".join(f"{test} {value:.1f}" + ("" if mode == "direct" else f" ({mode})")
                          for test, (value, mode) in found.items()))
        save(arguments, results)

    rows = rows_of(values)
    table = report.render_table(rows)
    results["table"] = rows
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    save(arguments, results, table)
    log("done")
    print()
    print(table)
    if arguments.out:
        print(f"\nresults in {arguments.out}/disk_bench.json and disk_bench.txt")
    return 0 if not results["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
