#!/usr/bin/env python3
"""Boot benchmark: twinbox against QEMU's microvm machine, the same guests.

Runs on a host with a usable /dev/kvm (the bench-boot target starts it
through tests/integration/with-kvm.sh, so on a machine without hardware KVM
it runs inside the nested test host VM). With the runs of the two VMMs
interleaved, so that a slow moment of the machine hits both alike, it
measures:

  (a) start to exit: wall time from spawning the VMM until it has exited, for
      a trivial guest (bench/boot/guest/boot-marker.asm) that prints one line
      on COM1 and ends the VM through isa-debug-exit at once;
  (b) the VMM's peak RSS for the same guest, not counting guest RAM: the
      kernel's ru_maxrss (GNU time's %M) of a run without transparent huge
      pages, minus the guest RAM pages resident at the end of the guest
      (read from /proc/PID/smaps once, in a separate run); the peak with the
      system's huge page setting is shown too;
  (c) time to the marker line "twinbox guest ready" that the default
      initramfs's /init prints (guest/initramfs/init), with the same Linux
      kernel, initramfs and command line for both VMMs.

It prints a table (median, min and max of each side, the ratio twinbox/QEMU,
the targets of the "Foundation" issue and whether they are met) and writes
the table and every single measurement to --out, after each phase, so that
an interrupted run keeps what it measured. Speed is measured here only, never
in a unit test (docs/benchmarks.md).
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
import time

# The helper modules sit next to this script; keep the source tree free of
# __pycache__ directories (and the test host's root is read-only anyway).
sys.dont_write_bytecode = True
import report  # noqa: E402
import runner  # noqa: E402

# What the trivial guest prints, and the status both VMMs exit with when it
# writes 0x10 to isa-debug-exit: (0x10 << 1) | 1 (boot-marker.asm).
TRIVIAL_MARKER = b"twinbox-bench: guest up"
TRIVIAL_EXIT_STATUS = 33
# The line guest/initramfs/init prints once user space is up.
LINUX_MARKER = b"twinbox guest ready"

# The targets of the "Foundation" issue.
TARGET_START_TO_EXIT_RATIO = 0.2
TARGET_VMM_RSS_KIB = 5 * 1024  # Firecracker's published bound: 5 MiB
TARGET_LINUX_READY_RATIO = 0.7

# QEMU with KVM needs "host,-arch-capabilities" on some hosts (a PVM host
# rejects MSR 0x10a); "host" is tried first.
QEMU_CPU_CANDIDATES = ("host", "host,-arch-capabilities")

# The microvm machine as lean as QEMU makes it for the trivial guest: no
# option ROMs (the qboot firmware then starts the kernel itself), none of
# the legacy timers and interrupt controllers the guest does not use, the
# ISA serial port for the console.
QEMU_MICROVM_TRIVIAL = "microvm,x-option-roms=off,rtc=off,pit=off,pic=off,isa-serial=on"
# For Linux, microvm as QEMU configures it by default (RTC, PIT, PIC, ACPI,
# option ROMs on), which the kernel can use; turning the option ROMs or the
# PIT and PIC off did not make it reach the marker sooner (docs/benchmarks.md).
QEMU_MICROVM_LINUX = "microvm"

TWINBOX_128 = "twinbox --memory 128M"
TWINBOX_DEFAULT = "twinbox (default 256M)"
QEMU_128 = "qemu microvm -m 128"
REFERENCE_TRUE = "reference: /bin/true"
REFERENCE_KVM_FLOOR = "reference: KVM floor"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--twinbox", required=True, help="the twinbox binary")
    parser.add_argument("--guest", required=True,
                        help="trivial guest with a Multiboot header (twinbox --multiboot)")
    parser.add_argument("--guest-pvh", required=True,
                        help="the same guest with only the PVH note (QEMU -kernel)")
    parser.add_argument("--guest-halt", required=True,
                        help="the guest's variant that halts after the marker (Multiboot)")
    parser.add_argument("--guest-halt-pvh", required=True,
                        help="the halting variant with only the PVH note (QEMU)")
    parser.add_argument("--initrd", required=True, help="initramfs for the Linux boot (c)")
    parser.add_argument("--kernel", default="",
                        help="Linux kernel for (c) (default: newest /boot/vmlinuz-*)")
    parser.add_argument("--cmdline",
                        default="console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet",
                        help="kernel command line for (c), the same for both VMMs")
    parser.add_argument("--linux-memory", type=int, default=256, help="guest MiB for (c)")
    parser.add_argument("--qemu", default="qemu-system-x86_64", help="the QEMU binary")
    parser.add_argument("--qemu-linux-machine", default=QEMU_MICROVM_LINUX,
                        help="QEMU -M value for (c) (e.g. pc if microvm cannot boot the kernel)")
    parser.add_argument("--kvm-floor", default="",
                        help="the bench-kvm-floor binary, timed as a reference row")
    parser.add_argument("--runs", type=int, default=10, help="runs of each VMM for (a) and (b)")
    parser.add_argument("--linux-runs", type=int, default=10, help="runs of each VMM for (c)")
    parser.add_argument("--linux-timeout", type=float, default=180,
                        help="seconds one Linux boot may take to print its marker")
    parser.add_argument("--no-idle-vm", action="store_true",
                        help="do not hold an idle VM open during the runs (runner.open_idle_vm)")
    parser.add_argument("--out", default="", help="directory for boot_bench.json and .txt")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.linux_runs < 0:
        parser.error("--runs must be at least 1 and --linux-runs at least 0")
    if not arguments.kernel:
        kernels = sorted(glob.glob("/boot/vmlinuz-*"), key=natural_key)
        arguments.kernel = kernels[-1] if kernels else ""
    return arguments


def natural_key(text):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# ---------------------------------------------------------------------------
# The command lines
# ---------------------------------------------------------------------------

def twinbox_trivial(arguments, memory="", halt=False):
    guest = arguments.guest_halt if halt else arguments.guest
    command = [arguments.twinbox, "vm", "run", "--multiboot", guest]
    return command + (["--memory", memory] if memory else [])


def qemu_common(arguments, cpu):
    return [arguments.qemu, "-enable-kvm", "-cpu", cpu, "-nodefaults", "-no-user-config",
            "-nographic", "-serial", "stdio"]


def qemu_trivial(arguments, cpu, halt=False):
    guest = arguments.guest_halt_pvh if halt else arguments.guest_pvh
    return qemu_common(arguments, cpu) + [
        "-M", QEMU_MICROVM_TRIVIAL, "-m", "128",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", guest]


def twinbox_linux(arguments):
    return [arguments.twinbox, "vm", "run", "--kernel", arguments.kernel, "--initrd",
            arguments.initrd, "--cpus", "1", "--memory", f"{arguments.linux_memory}M",
            "--cmdline", arguments.cmdline]


def qemu_linux(arguments, cpu):
    return qemu_common(arguments, cpu) + [
        "-M", arguments.qemu_linux_machine, "-smp", "1", "-m", str(arguments.linux_memory),
        "-no-reboot", "-kernel", arguments.kernel, "-initrd", arguments.initrd,
        "-append", arguments.cmdline]


def trivial_failure(name, status, output):
    """None when the trivial guest ran as it should, else what went wrong."""
    if status == TRIVIAL_EXIT_STATUS and TRIVIAL_MARKER in output:
        return None
    return (f"{name} did not run the trivial guest (exit status {status}, expected "
            f"{TRIVIAL_EXIT_STATUS}); output: {output.decode(errors='replace')[-600:]}")


def choose_qemu_cpu(arguments):
    """The first -cpu model with which QEMU runs the trivial guest."""
    for cpu in QEMU_CPU_CANDIDATES:
        _, status, output = runner.timed_run(qemu_trivial(arguments, cpu))
        failure = trivial_failure(f"QEMU -cpu {cpu}", status, output)
        if not failure:
            return cpu
        print(f"boot_bench: {failure}", file=sys.stderr)
    sys.exit("boot_bench: QEMU could not run the trivial guest with any -cpu model")


def describe_machine(arguments):
    cpu_model = ""
    flags = set()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name") and not cpu_model:
                cpu_model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    _, _, verbose = runner.timed_run(twinbox_trivial(arguments, "128M") + ["-v"])
    backend = re.search(rb"KVM backend: ([^\n]*)", verbose)
    qemu_version = subprocess.run([arguments.qemu, "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as release:
            match = re.search(r'^PRETTY_NAME="?([^"\n]*)', release.read(), re.MULTILINE)
            os_name = match.group(1) if match else ""
    huge_pages = ""
    if os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as setting:
            huge_pages = setting.read().strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "os": os_name,
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "cpu_virtualization": sorted(flags & {"vmx", "svm"}),
        "hypervisor_flag": "hypervisor" in flags,
        "nested_tcg_test_host": "QEMU TCG CPU" in cpu_model,
        "transparent_hugepage": huge_pages,
        "twinbox_backend": backend.group(1).decode() if backend else "unknown",
        "qemu_version": qemu_version,
    }


# ---------------------------------------------------------------------------
# The measurements
# ---------------------------------------------------------------------------

def rotated(names, run):
    """The participants in the order of run `run`: each one goes first in turn."""
    names = list(names)
    return names[run % len(names):] + names[:run % len(names)]


def measure_start_to_exit(arguments, participants, log):
    """(a). A failed run is logged and left out of the figures."""
    times = {name: [] for name in participants}
    failures = []
    for run in range(arguments.runs):
        for name in rotated(participants, run):
            milliseconds, status, output = runner.timed_run(participants[name])
            failure = (f"{name} exited with {status}" if status != 0 else None) \
                if name.startswith("reference") else trivial_failure(name, status, output)
            if failure:
                failures.append(failure)
                log(f"  (a) FAILED: {failure}")
            else:
                times[name].append(milliseconds)
        log(f"  (a) run {run + 1}/{arguments.runs}: " + ", ".join(
            f"{name} {times[name][-1]:.1f} ms" for name in participants if times[name]))
    return times, failures


def measure_peak_rss(arguments, participants, log):
    """(b), peak RSS: each participant without and with transparent huge pages."""
    peaks = {f"{name}, THP {mode}": [] for name in participants for mode in ("off", "default")}
    failures = []
    for run in range(arguments.runs):
        for name in rotated(participants, run):
            argv, _ = participants[name]
            for mode, huge_pages in (("off", False), ("default", True)):
                peak, status, output = runner.measure_peak_rss(argv, huge_pages)
                failure = trivial_failure(name, status, output) or \
                    (None if peak is not None else f"{name}: GNU time reported no RSS")
                if failure:
                    failures.append(failure)
                    log(f"  (b) FAILED: {failure}")
                else:
                    peaks[f"{name}, THP {mode}"].append(peak)
        log(f"  (b) run {run + 1}/{arguments.runs}: " + ", ".join(
            f"{key} {values[-1]} KiB" for key, values in peaks.items() if values))
    return peaks, failures


def measure_guest_ram(participants, log):
    """(b), guest RAM resident once the trivial guest is done, THP off.

    The loaders write the same pages on every run, so this is measured once
    per VMM, with the halting variant of the guest (participants map a name
    to (argv, guest KiB)).
    """
    guest_ram = {}
    for name, (argv, guest_kib) in participants.items():
        resident, high_water = runner.guest_ram_resident_kib(argv, guest_kib, TRIVIAL_MARKER)
        if resident is not None:
            guest_ram[name] = {"resident_kib": resident, "high_water_kib": high_water}
        log(f"  (b) guest RAM resident, {name}: "
            + (f"{resident} KiB (VmHWM then {high_water} KiB)" if resident is not None
               else "not measured (no marker)"))
    return guest_ram


def measure_linux(arguments, participants, log):
    """(c), alternating which VMM boots first."""
    times = {name: [] for name in participants}
    failures = []
    for run in range(arguments.linux_runs):
        for name in rotated(participants, run):
            ready_ms, console = runner.linux_run(participants[name], LINUX_MARKER,
                                                 arguments.linux_timeout)
            if ready_ms is None:
                tail = console.decode(errors="replace")[-1500:]
                failures.append(f"{name}: no marker; console tail: {tail}")
                log(f"  (c) FAILED: {name}: no marker within {arguments.linux_timeout} s; "
                    f"console tail:\n{tail}")
            else:
                times[name].append(ready_ms)
        log(f"  (c) run {run + 1}/{arguments.linux_runs}: " + ", ".join(
            f"{name} {times[name][-1]:.0f} ms" for name in participants if times[name]))
    return times, failures


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def start_to_exit_rows(times):
    rows = []
    summaries = {name: report.summary(values) for name, values in times.items()}
    qemu = summaries[QEMU_128]
    for name in (TWINBOX_128, TWINBOX_DEFAULT):
        found = report.ratio(summaries[name], qemu)
        rows.append(report.table_row(
            f"(a) start to exit, {name}", summaries[name], qemu, "ms",
            f"<= {TARGET_START_TO_EXIT_RATIO}x QEMU",
            found is not None and found <= TARGET_START_TO_EXIT_RATIO))
    for name in (REFERENCE_TRUE, REFERENCE_KVM_FLOOR):
        if name in summaries:
            rows.append(report.table_row(f"(a) {name}", summaries[name], None, "ms"))
    return rows


def vmm_rss(peaks, guest_ram, name):
    """Peak RSS without THP minus the guest RAM pages, per run."""
    if name not in guest_ram:
        return None
    guest = guest_ram[name]["resident_kib"]
    return report.summary([peak - guest for peak in peaks[f"{name}, THP off"]])


def guest_summary(guest_ram, name):
    if name not in guest_ram:
        return None
    return report.summary([guest_ram[name]["resident_kib"]])


def rss_rows(peaks, guest_ram):
    rows = []
    qemu_vmm = vmm_rss(peaks, guest_ram, QEMU_128)
    for name in (TWINBOX_128, TWINBOX_DEFAULT):
        twinbox_vmm = vmm_rss(peaks, guest_ram, name)
        rows.append(report.table_row(
            f"(b) VMM RSS without guest RAM, {name}", twinbox_vmm, qemu_vmm, "KiB",
            f"<= {TARGET_VMM_RSS_KIB} KiB",
            twinbox_vmm is not None and twinbox_vmm["median"] <= TARGET_VMM_RSS_KIB))
    rows.append(report.table_row(
        "(b) guest RAM resident at the end, THP off", guest_summary(guest_ram, TWINBOX_128),
        guest_summary(guest_ram, QEMU_128), "KiB"))
    for name in (TWINBOX_128, TWINBOX_DEFAULT):
        for mode in ("off", "default"):
            rows.append(report.table_row(
                f"(b) peak RSS with guest RAM, THP {mode}, {name}",
                report.summary(peaks[f"{name}, THP {mode}"]),
                report.summary(peaks[f"{QEMU_128}, THP {mode}"]), "KiB"))
    return rows


def linux_rows(times, qemu_name):
    twinbox = report.summary(times["twinbox"])
    qemu = report.summary(times[qemu_name])
    found = report.ratio(twinbox, qemu)
    return [report.table_row(f"(c) Linux to '{LINUX_MARKER.decode()}' ({qemu_name})", twinbox,
                             qemu, "ms", f"<= {TARGET_LINUX_READY_RATIO}x QEMU",
                             found is not None and found <= TARGET_LINUX_READY_RATIO)]


def save(arguments, results, table=None):
    if not arguments.out:
        return
    os.makedirs(arguments.out, exist_ok=True)
    with open(os.path.join(arguments.out, "boot_bench.json"), "w") as json_file:
        json.dump(results, json_file, indent=2)
    if table is not None:
        with open(os.path.join(arguments.out, "boot_bench.txt"), "w") as text_file:
            text_file.write(table + "\n")


def main():
    arguments = parse_arguments()
    started = time.monotonic()

    def log(message):
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    idle_vm = None if arguments.no_idle_vm else runner.open_idle_vm()
    machine = describe_machine(arguments)
    log(f"machine: {machine['os']}, kernel {machine['kernel']}, {machine['cpus']} CPUs, "
        f"{machine['cpu_model']}; twinbox backend: {machine['twinbox_backend']}; "
        f"{machine['qemu_version']}; THP {machine['transparent_hugepage']}")
    log("an idle VM is held open for the whole benchmark" if idle_vm
        else "no idle VM is held open (--no-idle-vm)")
    cpu = choose_qemu_cpu(arguments)
    log(f"QEMU runs with -cpu {cpu}")
    results = {"machine": machine, "command": sys.argv, "qemu_cpu": cpu,
               "idle_vm_held_open": idle_vm is not None,
               "runs": arguments.runs, "linux_runs": arguments.linux_runs, "failures": {}}

    trivial = {TWINBOX_128: twinbox_trivial(arguments, "128M"),
               TWINBOX_DEFAULT: twinbox_trivial(arguments),
               QEMU_128: qemu_trivial(arguments, cpu),
               REFERENCE_TRUE: ["/bin/true"]}
    if arguments.kvm_floor:
        trivial[REFERENCE_KVM_FLOOR] = [arguments.kvm_floor]
    results["commands"] = {"trivial": trivial}
    # One unmeasured run of each first, so that no side pays for a cold page cache.
    for name, argv in trivial.items():
        runner.timed_run(argv)
    log(f"(a) start to exit of the trivial guest, {arguments.runs} interleaved runs each")
    times, results["failures"]["start_to_exit"] = measure_start_to_exit(arguments, trivial, log)
    results["start_to_exit_ms"] = times
    rows = start_to_exit_rows(times)
    save(arguments, results)

    log(f"(b) peak RSS of the trivial guest, {arguments.runs} interleaved runs each")
    memory = {TWINBOX_128: (trivial[TWINBOX_128], 128 * 1024),
              TWINBOX_DEFAULT: (trivial[TWINBOX_DEFAULT], 256 * 1024),
              QEMU_128: (trivial[QEMU_128], 128 * 1024)}
    peaks, results["failures"]["rss"] = measure_peak_rss(arguments, memory, log)
    halting = {TWINBOX_128: (twinbox_trivial(arguments, "128M", halt=True), 128 * 1024),
               TWINBOX_DEFAULT: (twinbox_trivial(arguments, halt=True), 256 * 1024),
               QEMU_128: (qemu_trivial(arguments, cpu, halt=True), 128 * 1024)}
    guest_ram = measure_guest_ram(halting, log)
    results["peak_rss_kib"] = peaks
    results["guest_ram_resident"] = guest_ram
    rows += rss_rows(peaks, guest_ram)
    save(arguments, results)

    if arguments.linux_runs and arguments.kernel:
        qemu_name = f"qemu -M {arguments.qemu_linux_machine}"
        linux = {"twinbox": twinbox_linux(arguments), qemu_name: qemu_linux(arguments, cpu)}
        results["commands"]["linux"] = linux
        log(f"(c) Linux to '{LINUX_MARKER.decode()}', {arguments.linux_runs} interleaved "
            f"runs each")
        linux_times, results["failures"]["linux"] = measure_linux(arguments, linux, log)
        results["linux_ready_ms"] = linux_times
        rows += linux_rows(linux_times, qemu_name)

    table = report.render_table(rows)
    results["table"] = rows
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    save(arguments, results, table)
    log("done")
    print()
    print(table)
    if arguments.out:
        print(f"\nresults in {arguments.out}/boot_bench.json and boot_bench.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
