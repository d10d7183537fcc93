#!/usr/bin/env python3
"""PVH against bzImage: the same Linux kernel booted both ways, twinbox and QEMU.

Boots Debian's kernel (or --bzimage/--vmlinux) with the default initramfs to
the line "twinbox guest ready" that guest/initramfs/init prints, in four
ways, the runs interleaved (each way goes first in turn) so that a slow
moment of the machine hits all alike:

  twinbox PVH       twinbox vm run --kernel VMLINUX  (PVH, vmm/boot/pvh.cpp)
  twinbox bzImage   twinbox vm run --kernel BZIMAGE  (Linux 64-bit boot protocol)
  QEMU bzImage      qemu-system-x86_64 -M microvm -kernel BZIMAGE
  QEMU PVH          qemu-system-x86_64 -M microvm -kernel VMLINUX (QEMU's PVH entry)

Wall time from spawn to the marker line (bench/boot/runner.py linux_run),
and for twinbox also the guest's own boot marker (/init writes it to the
boot-timer device; "guest boot marker: N ms since twinbox started", the time
to /init). Medians with min-max, and the ratios the PVH target of issue 18
names (twinbox PVH over QEMU microvm's bzImage boot). The VMLINUX is the
bzImage's payload (guest/kernel/extract-vmlinux.py), so both are the same
kernel. Run it where /dev/kvm boots Linux (tests/integration/with-kvm.sh);
docs/benchmarks.md, "PVH boot", has the command.
"""

import argparse
import json
import os
import re
import sys

sys.dont_write_bytecode = True
import report  # noqa: E402
import runner  # noqa: E402

MARKER = b"twinbox guest ready"
BOOT_MARKER = re.compile(rb"guest boot marker: (\d+) ms")
CMDLINE = "console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twinbox", required=True)
    parser.add_argument("--bzimage", required=True)
    parser.add_argument("--vmlinux", required=True)
    parser.add_argument("--initrd", required=True)
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--qemu-cpu", default="host")
    parser.add_argument("--no-qemu", action="store_true")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--memory", type=int, default=256, help="guest MiB")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--out", help="directory for pvh_bench.{txt,json}")
    return parser.parse_args()


def participants(arguments):
    def twinbox(kernel):
        return [arguments.twinbox, "vm", "run", "--kernel", kernel, "--initrd", arguments.initrd,
                "--cpus", "1", "--memory", f"{arguments.memory}M", "--cmdline", CMDLINE]

    def qemu(kernel):
        return [arguments.qemu, "-enable-kvm", "-cpu", arguments.qemu_cpu, "-nodefaults",
                "-no-user-config", "-nographic", "-serial", "stdio", "-M", "microvm", "-smp",
                "1", "-m", str(arguments.memory), "-no-reboot", "-kernel", kernel, "-initrd",
                arguments.initrd, "-append", CMDLINE]

    found = {"twinbox PVH": twinbox(arguments.vmlinux),
             "twinbox bzImage": twinbox(arguments.bzimage)}
    if not arguments.no_qemu:
        found["QEMU microvm bzImage"] = qemu(arguments.bzimage)
        found["QEMU microvm PVH"] = qemu(arguments.vmlinux)
    return found


def measure(arguments, commands):
    ready = {name: [] for name in commands}
    init = {name: [] for name in commands}
    failures = []
    for run in range(arguments.runs + 1):  # run 0 warms the page cache and is not counted
        names = list(commands)
        names = names[run % len(names):] + names[:run % len(names)]
        for name in names:
            ready_ms, console = runner.linux_run(commands[name], MARKER, arguments.timeout)
            if ready_ms is None:
                failures.append(f"{name}: {console.decode(errors='replace')[-800:]}")
                print(f"FAILED: {name}: no marker", file=sys.stderr)
                continue
            if run == 0:
                continue
            ready[name].append(ready_ms)
            boot_marker = BOOT_MARKER.search(console)
            if boot_marker:
                init[name].append(float(boot_marker.group(1)))
        if run:
            print(f"run {run}/{arguments.runs}: " + ", ".join(
                f"{name} {ready[name][-1]:.0f} ms" for name in commands if ready[name]),
                file=sys.stderr, flush=True)
    return ready, init, failures


def table(ready, init):
    lines = ["| boot | to 'twinbox guest ready', median (min-max) | to /init (boot marker) |",
             "|---|---|---|"]
    for name in ready:
        lines.append(f"| {name} | {report.format_summary(report.summary(ready[name]), 'ms')} | "
                     f"{report.format_summary(report.summary(init[name]), 'ms')} |")
    ratios = [("twinbox PVH", "twinbox bzImage"), ("twinbox PVH", "QEMU microvm bzImage"),
              ("twinbox PVH", "QEMU microvm PVH"), ("twinbox bzImage", "QEMU microvm bzImage")]
    lines.append("")
    for left, right in ratios:
        if left in ready and right in ready:
            found = report.ratio(report.summary(ready[left]), report.summary(ready[right]))
            if found is not None:
                lines.append(f"- {left} / {right}: {found:.2f}x")
    return "\n".join(lines)


def main():
    arguments = parse_arguments()
    runner.open_idle_vm()  # keeps KVM's start-up state switched on (runner.py)
    commands = participants(arguments)
    ready, init, failures = measure(arguments, commands)
    text = table(ready, init)
    print(text)
    if arguments.out:
        os.makedirs(arguments.out, exist_ok=True)
        with open(os.path.join(arguments.out, "pvh_bench.json"), "w") as out:
            json.dump({"commands": commands, "ready_ms": ready, "init_ms": init,
                       "failures": failures}, out, indent=2)
        with open(os.path.join(arguments.out, "pvh_bench.txt"), "w") as out:
            out.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
