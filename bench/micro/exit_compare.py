#!/usr/bin/env python3
"""The KVM half of `make bench-micro` (bench/micro, docs/benchmarking.md
"Micro-benchmarks"), run where /dev/kvm works (with-kvm.sh --baremetal):

1. twinbox-micro's exit benchmarks and host/getpid into OUT/exits.json;
2. the port-I/O exit of QEMU against twinbox with the same guest code
   (guest/exit-loop.asm, mode "q"): N `out` instructions to COM1's scratch
   register, served by each VMM's 16550 model in user space, then the
   isa-debug-exit port (status 33). QEMU boots exit-loop-pvh.elf with
   -M microvm by the PVH entry; twinbox boots exit-loop.elf with `vm run
   --multiboot`. Each VMM runs with N = 0 and N = the chosen count,
   interleaved; per exit = (median time at N - median time at 0) / N, so
   start-up and teardown cancel out (and the same from the minimums, less
   sensitive to a loaded machine). Results in OUT/exit_compare.json.

Every child has a timeout; a VMM that fails is recorded with its output and
the other one still runs. Python standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

EXIT_STATUS = 33  # exit-loop.asm: debug-exit 0x10 -> (0x10 << 1) | 1
QEMU_MACHINE = "microvm,x-option-roms=off,rtc=off,pit=off,pic=off,isa-serial=on"
QEMU_CPUS = ["host,-arch-capabilities", "host", "max"]  # ENVIRONMENT.md: PVM needs the first


def kvm_backend_label():
    """Names /dev/kvm's backend as twinbox-micro does (micro_vm.cpp)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "none (no /dev/kvm)"
    nested = False
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    nested = "hypervisor" in line.split()
                    break
    except OSError:
        pass
    if os.path.isdir("/sys/module/kvm_pvm"):
        return "PVM"
    for module, name in (("kvm_amd", "SVM"), ("kvm_intel", "VMX")):
        if os.path.isdir(f"/sys/module/{module}"):
            return f"nested {name}" if nested else name
    return "unknown"


def timed(argv, timeout):
    """Runs argv; returns (ms, status, output). A timeout kills it: status None."""
    start = time.perf_counter_ns()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        return None, None, (expired.output or b"").decode(errors="replace") + "\n(timed out)"
    except OSError as error:  # not installed, not executable
        return None, None, f"{argv[0]}: {error.strerror}"
    elapsed_ms = (time.perf_counter_ns() - start) / 1e6
    return elapsed_ms, done.returncode, done.stdout.decode(errors="replace")


def qemu_argv(arguments, cpu, count):
    return [arguments.qemu, "-M", QEMU_MACHINE, "-enable-kvm", "-cpu", cpu, "-m", "32",
            "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "null",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", arguments.guest_pvh, "-append", f"@q {count}"]


def twinbox_argv(arguments, count):
    return [arguments.twinbox, "vm", "run", "--multiboot", arguments.guest, "--cmdline",
            f"@q {count}", "--memory", "32", "--serial", "none", "--no-rng"]


def choose_qemu_cpu(arguments):
    """The first -cpu model with which QEMU runs the guest; (cpu, why not)."""
    reasons = []
    for cpu in QEMU_CPUS:
        _, status, output = timed(qemu_argv(arguments, cpu, 0), arguments.timeout)
        if status == EXIT_STATUS:
            return cpu, None
        reasons.append(f"-cpu {cpu}: status {status}: {output.strip()[-200:]}")
    return None, "; ".join(reasons)


def measure(name, make_argv, count, runs, timeout):
    """Interleaved runs at 0 and `count` exits; the summary for one VMM."""
    times = {0: [], count: []}
    for _ in range(runs):
        for n in (0, count):
            ms, status, output = timed(make_argv(n), timeout)
            if status != EXIT_STATUS:
                return {"status": "failed",
                        "reason": f"{name} with {n} exits: status {status} (want {EXIT_STATUS})",
                        "output": output[-2000:]}
            times[n].append(ms)
    zero, full = statistics.median(times[0]), statistics.median(times[count])
    return {"status": "ok", "exits": count, "runs": runs, "ms_at_0": times[0],
            "ms_at_n": times[count], "median_ms_at_0": zero, "median_ms_at_n": full,
            "per_exit_ns": (full - zero) * 1e6 / count,
            "per_exit_ns_from_min": (min(times[count]) - min(times[0])) * 1e6 / count}


def choose_count(arguments):
    """Enough exits for about --seconds of exits in twinbox (at least 1000)."""
    if arguments.exits:
        return arguments.exits
    probe = 2000
    base, status0, _ = timed(twinbox_argv(arguments, 0), arguments.timeout)
    full, status, _ = timed(twinbox_argv(arguments, probe), arguments.timeout)
    if status0 != EXIT_STATUS or status != EXIT_STATUS or full <= base:
        return 20000
    per_exit_ms = (full - base) / probe
    return int(min(500000, max(1000, arguments.seconds / (per_exit_ms / 1000.0))))


def run_micro(arguments, out):
    # getpid too: the floor of a system call on the same machine as the exits.
    argv = [arguments.micro, "--benchmark_filter=^exit/|^host/getpid$",
            "--benchmark_out_format=json",
            f"--benchmark_out={out}"] + arguments.micro_args
    _, status, output = timed(argv, arguments.timeout)
    sys.stdout.write(output)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--micro", required=True, help="twinbox-micro")
    parser.add_argument("--twinbox", required=True)
    parser.add_argument("--guest", required=True, help="exit-loop.elf (Multiboot)")
    parser.add_argument("--guest-pvh", required=True, help="exit-loop-pvh.elf (PVH only)")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--out", required=True, help="results directory")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--exits", type=int, default=0, help="N (default: about --seconds)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per child")
    parser.add_argument("--skip-micro", action="store_true", help="only the QEMU comparison")
    parser.add_argument("micro_args", nargs="*", help="after --: flags for twinbox-micro")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    os.makedirs(arguments.out, exist_ok=True)
    backend = kvm_backend_label()
    print(f"exit_compare: KVM backend {backend}", flush=True)

    status = 0
    if not arguments.skip_micro:
        status = run_micro(arguments, os.path.join(arguments.out, "exits.json"))
        if status != 0:
            print(f"exit_compare: twinbox-micro exited with {status}", file=sys.stderr)

    count = choose_count(arguments)
    result = {"kvm_backend": backend, "exits": count, "port": "0x3ff (COM1 scratch register)",
              "guest": "bench/micro/guest/exit-loop.asm, mode q"}
    result["twinbox"] = measure("twinbox", lambda n: twinbox_argv(arguments, n), count,
                                arguments.runs, arguments.timeout)
    cpu, why_not = choose_qemu_cpu(arguments)
    if cpu is None:
        result["qemu"] = {"status": "skipped", "reason": why_not}
    else:
        result["qemu_cpu"] = cpu
        result["qemu"] = measure("qemu", lambda n: qemu_argv(arguments, cpu, n), count,
                                 arguments.runs, arguments.timeout)
        _, _, version = timed([arguments.qemu, "--version"], 30)
        result["qemu_version"] = version.split("\n")[0]
    with open(os.path.join(arguments.out, "exit_compare.json"), "w") as out:
        json.dump(result, out, indent=2)
    for vmm in ("twinbox", "qemu"):
        entry = result[vmm]
        if entry.get("status") == "ok":
            print(f"exit_compare: {vmm}: {entry['per_exit_ns'] / 1000:.2f} us per port-I/O exit "
                  f"({count} exits, {arguments.runs} runs)")
        else:
            print(f"exit_compare: {vmm}: {entry.get('status')}: {entry.get('reason')}")
    return status


if __name__ == "__main__":
    sys.exit(main())
