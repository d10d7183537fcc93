#!/usr/bin/env python3
"""One image, two isolations: start-to-exit of the same command from the same
image as a twinbox container and as a twinbox microVM (docs/images.md).

    isolation_bench.py --twinbox build/cli/twinbox --out DIR [--runs N]
                       [--vm-kernel LABEL=PATH ...]

Measured, in this order, with a private TWINBOX_ROOT:
  1. the first `twinbox run --isolation vm busybox:latest /bin/true`, which
     builds the image's ext4 disk; the disk build time is that run minus the
     median of the cached runs;
  2. N interleaved rounds (container, vm; then vm, container; ...), each a
     timed `twinbox run [--isolation vm] busybox:latest /bin/true` from spawn
     to exit, as the user sees it: the container's namespaces, overlay and
     cgroup, or the VM's kernel boot, agent and power-off.
  3. with --vm-kernel LABEL=PATH, one more microVM column per kernel
     (`twinbox run --isolation vm --vm-kernel PATH`), in the same rounds,
     e.g. the minimal kernel of guest/kernel next to Debian's.
Reports medians, min and max and the ratio vm / container; the target is at
most 3x. The clock is wall time on this machine: where /dev/kvm is PVM, run
it inside the test host (make bench-isolation does), so both isolations run
on the same (nested) machine.
"""

import argparse
import json
import os
import platform
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "container"))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import runner  # noqa: E402  (bench/container/runner.py: spawn, timed_run)
from report import summary  # noqa: E402  (bench/boot/report.py)

TARGET_RATIO = 3.0


def kvm_backend():
    if os.path.isdir("/sys/module/kvm_pvm"):
        return "PVM"
    for module, name in (("kvm_intel", "VMX"), ("kvm_amd", "SVM")):
        if os.path.isdir(f"/sys/module/{module}"):
            nested = os.path.exists("/sys/devices/system/cpu/cpu0") and "hypervisor" in open(
                "/proc/cpuinfo").read()
            return f"{name}{' (nested: this machine is itself a VM)' if nested else ''}"
    return "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twinbox", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--image", default="busybox:latest")
    parser.add_argument("--vm-kernel", action="append", default=[], metavar="LABEL=PATH",
                        help="also measure a microVM with this guest kernel")
    arguments = parser.parse_args()
    kernels = {}
    for spec in arguments.vm_kernel:
        label, _, path = spec.partition("=")
        if not label or not os.access(path, os.R_OK):
            parser.error(f"--vm-kernel {spec}: expected LABEL=PATH of a readable kernel")
        kernels[f"vm-{label}"] = path
    os.makedirs(arguments.out, exist_ok=True)

    def log(text):
        print(text, flush=True)

    # twinbox's state on /dev/shm, a tmpfs: inside the test host /tmp is an
    # overlayfs, which cannot hold a container's upper directory.
    with tempfile.TemporaryDirectory(prefix="twinbox-isolation-bench.", dir="/dev/shm") as root:
        os.environ["TWINBOX_ROOT"] = root
        commands = {
            "container": [arguments.twinbox, "run", "--rm", arguments.image, "/bin/true"],
            "vm": [arguments.twinbox, "run", "--isolation", "vm", arguments.image, "/bin/true"],
        }
        for name, path in kernels.items():
            commands[name] = [arguments.twinbox, "run", "--isolation", "vm", "--vm-kernel", path,
                              arguments.image, "/bin/true"]
        # A container run first seeds the store (busybox:latest) for both.
        ms, status, output = runner.timed_run(commands["container"], 120)
        if status != 0:
            sys.exit(f"isolation_bench: the container run failed ({status}): {output[-400:]}")
        first_vm, status, output = runner.timed_run(commands["vm"], 600)
        if status != 0:
            sys.exit(f"isolation_bench: the first VM run failed ({status}): {output[-400:]}")
        log(f"first VM run (builds the disk): {first_vm:.0f} ms")

        values = {name: [] for name in commands}
        failures = []
        order = list(commands)
        for run in range(arguments.runs + 1):  # round 0 is a warm-up, not counted
            shift = run % len(order)  # A B C, B C A, C A B, ...
            for name in order[shift:] + order[:shift]:
                ms, status, output = runner.timed_run(commands[name], 600)
                if status != 0:
                    failures.append(f"{name}: status {status}: {output[-300:]!r}")
                elif run > 0:
                    values[name].append(ms)
            if run > 0:
                log(f"  round {run}/{arguments.runs}: " + ", ".join(
                    f"{name} {values[name][-1]:.1f} ms" for name in order if values[name]) +
                    (f"; failures so far {len(failures)}" if failures else ""))

    container, vm = summary(values["container"]), summary(values["vm"])
    ratio = vm["median"] / container["median"] if vm and container else None
    disk_build = first_vm - vm["median"] if vm else None
    results = {
        "benchmark": "isolation",
        "image": arguments.image,
        "command": "/bin/true",
        "kvm_backend": kvm_backend(),
        "kernel": platform.release(),
        "load_average": os.getloadavg(),
        "container_ms": container,
        "vm_ms": vm,
        "ratio_vm_to_container": ratio,
        "target_ratio": TARGET_RATIO,
        "first_vm_run_ms": first_vm,
        "vm_kernels": {name: {"path": path, "ms": summary(values[name])}
                       for name, path in kernels.items()},
        "disk_build_ms_estimate": disk_build,
        "failures": failures,
        "raw": values,
    }
    with open(os.path.join(arguments.out, "isolation.json"), "w") as out:
        json.dump(results, out, indent=2)

    def cell(s):
        return f"{s['median']:.1f} ({s['min']:.1f}-{s['max']:.1f}) ms, n={s['runs']}" if s else "-"
    verdict = "-" if ratio is None else ("PASS" if ratio <= TARGET_RATIO else "FAIL")

    def extra_row(name):
        row = summary(values[name])
        if not row or not container:
            return f"| microVM, kernel {kernels[name]} | - | - |\n"
        extra = row["median"] / container["median"]
        return (f"| microVM, kernel {kernels[name]} | {cell(row)} | {extra:.2f}x (target <= "
                f"{TARGET_RATIO:.0f}x: {'PASS' if extra <= TARGET_RATIO else 'FAIL'}) |\n")
    table = (
        f"KVM backend: {results['kvm_backend']}; kernel {results['kernel']}; "
        f"load average {results['load_average'][0]:.1f}\n\n"
        "| isolation | start-to-exit of /bin/true, median (min-max) | ratio to container |\n"
        "|---|---|---|\n"
        f"| container | {cell(container)} | 1.00x |\n"
        f"| microVM | {cell(vm)} | {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x: {verdict}) |\n"
        + "".join(extra_row(name) for name in kernels) + "\n" +
        f"First VM run, which builds the image's disk: {first_vm:.0f} ms "
        f"(disk build about {disk_build:.0f} ms).\n" if ratio is not None else
        "no result: every run failed\n")
    with open(os.path.join(arguments.out, "isolation.md"), "w") as out:
        out.write(table)
    print(table)
    for failure in failures:
        print("FAILED:", failure)
    return 0 if ratio is not None else 1


if __name__ == "__main__":
    sys.exit(main())
