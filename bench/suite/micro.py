#!/usr/bin/env python3
"""The micro-benchmarks in the report: VM exit cost by kind next to the cost
of a system call (bench/micro, docs/benchmarking.md "Micro-benchmarks").

  micro.py DIR   reads DIR/exits.json and DIR/host.json (twinbox-micro's
                 Google Benchmark JSON) and DIR/exit_compare.json (QEMU
                 against twinbox, bench/micro/exit_compare.py); writes
                 DIR/micro.md and the plot DIR/exits.svg/.png; prints the
                 Markdown.

Derived figures (every raw figure stays in the table):
  guest instruction  (guest_loop_batch - pio_out) / (4 N): the guest loop of
                     the batch benchmarks has 4 instructions per round, and
                     its one port write is taken out. On PVM this is about
                     1.5 us (ring-0 guest code is emulated); with VMX/SVM a
                     fraction of a nanosecond.
  user-space exit    time per iteration minus one guest instruction (the jmp
                     of the loop).
  in-kernel exit     (batch time - guest_loop_batch time) / N plus one guest
                     instruction (the NOP that the exit replaces).
"""

import json
import os
import sys

if __name__ == "__main__":  # run as a script: import the package as run.py does
    sys.dont_write_bytecode = True
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    sys.path.insert(0, os.path.dirname(_HERE))
    from suite import plots  # noqa: E402
else:
    from . import plots

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
LOOP_INSTRUCTIONS = 4  # exit-loop.asm: mov eax,1; nop; dec esi; jnz

# name in twinbox-micro -> (label, kind): "user" exits reach twinbox, "kernel"
# exits are handled in KVM, "entry" is KVM_RUN without entering the guest.
EXITS = [
    ("exit/kvm_run_no_entry", "KVM_RUN, no guest entry", "entry"),
    ("exit/pio_out", "port I/O out", "user"),
    ("exit/pio_in", "port I/O in", "user"),
    ("exit/mmio_write", "MMIO write", "user"),
    ("exit/mmio_read", "MMIO read", "user"),
    ("exit/hlt_no_irqchip", "HLT (no in-kernel irqchip)", "user"),
    ("exit/cpuid_batch", "CPUID (in kernel)", "kernel"),
    ("exit/hypercall_vmcall_batch", "VMCALL hypercall (in kernel)", "kernel"),
    ("exit/hypercall_vmmcall_batch", "VMMCALL hypercall (in kernel)", "kernel"),
]
HOST = [
    ("host/getpid", "getpid(2)"),
    ("host/clone/none", "clone + exit + wait, no namespace"),
    ("host/clone/user", "... + user namespace"),
    ("host/clone/mount", "... + mount namespace"),
    ("host/clone/uts", "... + UTS namespace"),
    ("host/clone/ipc", "... + IPC namespace"),
    ("host/clone/net", "... + network namespace"),
    ("host/clone/pid", "... + PID namespace"),
    ("host/clone/cgroup", "... + cgroup namespace"),
    ("host/clone/all", "... + all seven"),
    ("host/cgroup_v1_create_attach_remove", "cgroup v1: create, attach, remove"),
    ("host/cgroup_v2_create_attach_remove", "cgroup v2: create, attach, remove"),
    ("host/veth_create_delete", "veth pair: create, delete"),
    ("host/overlay_mount_umount", "overlay: mount, umount"),
    ("host/pivot_root", "clone(mount ns) + bind + pivot_root"),
]


def _read(path):
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return None


def load(directory):
    return {"exits": _read(os.path.join(directory, "exits.json")),
            "host": _read(os.path.join(directory, "host.json")),
            "compare": _read(os.path.join(directory, "exit_compare.json"))}


def benchmarks(document):
    """{base name: {"ns": per iteration, "batch": N} or {"error": text}}.

    With --benchmark_repetitions the median aggregate is used. The base name
    drops Google Benchmark's suffixes (/200, /real_time, _median)."""
    found = {}
    for entry in (document or {}).get("benchmarks", []):
        name = entry.get("run_name", entry.get("name", ""))
        base = "/".join(part for part in name.split("/")
                        if part != "real_time" and not part.isdigit())
        if entry.get("run_type") == "aggregate" and entry.get("aggregate_name") != "median":
            continue
        if entry.get("error_occurred"):
            found[base] = {"error": entry.get("error_message", "error")}
            continue
        unit = UNIT_NS[entry.get("time_unit", "ns")]
        if entry.get("run_type") == "aggregate" or base not in found:
            found[base] = {"ns": entry["real_time"] * unit, "batch": entry.get("batch", 0),
                           "cpu_ns": entry.get("cpu_time", 0) * unit
                           + entry.get("child_cpu_ns", 0)}
    return found


def summarize(loaded):
    """The rows of the tables and the plot, from load()'s dictionary."""
    exits = benchmarks(loaded.get("exits"))
    host = benchmarks(loaded.get("host"))
    context = (loaded.get("exits") or {}).get("context", {})
    backend = context.get("kvm_backend", "unknown")
    loop, out = exits.get("exit/guest_loop_batch", {}), exits.get("exit/pio_out", {})
    instruction_ns = None
    if "ns" in loop and "ns" in out and loop.get("batch"):
        instruction_ns = max(0.0, (loop["ns"] - out["ns"]) / (LOOP_INSTRUCTIONS * loop["batch"]))
    exit_rows = []
    for name, label, kind in EXITS:
        cell = exits.get(name)
        if cell is None:
            continue
        row = {"name": name, "label": label, "kind": kind, "raw_ns": None, "exit_ns": None,
               "error": cell.get("error")}
        if "ns" in cell:
            batch = cell.get("batch") or 0
            row["raw_ns"] = cell["ns"]
            row["batch"] = batch
            if kind == "kernel" and batch and "ns" in loop and instruction_ns is not None:
                row["exit_ns"] = (cell["ns"] - loop["ns"]) / batch + instruction_ns
            elif kind == "user" and instruction_ns is not None:
                row["exit_ns"] = cell["ns"] - instruction_ns
            elif kind == "entry":
                row["exit_ns"] = cell["ns"]
        exit_rows.append(row)
    host_rows = []
    baselines = {"host/clone/": host.get("host/clone/none", {}),
                 "host/pivot_root": host.get("host/clone/mount", {})}
    for name, label in HOST:
        cell = host.get(name)
        if cell is None:
            continue
        row = {"name": name, "label": label, "ns": cell.get("ns"), "error": cell.get("error"),
               "extra_ns": None, "cpu_ns": cell.get("cpu_ns"), "extra_cpu_ns": None}
        base = next((b for prefix, b in baselines.items() if name.startswith(prefix)), {})
        if row["ns"] is not None and "ns" in base and name != "host/clone/none":
            row["extra_ns"] = row["ns"] - base["ns"]
            row["extra_cpu_ns"] = row["cpu_ns"] - base["cpu_ns"]
        host_rows.append(row)
    return {"backend": backend, "instruction_ns": instruction_ns, "exits": exit_rows,
            "getpid_ns": exits.get("host/getpid", {}).get("ns"),
            "host": host_rows, "host_backend": (loaded.get("host") or {}).get("context", {})
            .get("kvm_backend"), "compare": loaded.get("compare")}


def _us(ns, digits=2):
    return "-" if ns is None else f"{ns / 1000:.{digits}f}"


def _compare_lines(compare):
    if not compare:
        return ["No QEMU comparison (exit_compare.json is missing)."]
    lines = [f"Port-I/O exit to the VMM's user space, same guest code (exit-loop.asm mode q, "
             f"{compare.get('exits')} `out` to port {compare.get('port')}), "
             f"KVM backend **{compare.get('kvm_backend')}**:", "",
             "| VMM | per exit (us, medians) | per exit (us, minimums) | median run at N (ms) | "
             "median run at 0 (ms) |", "|---|---:|---:|---:|---:|"]
    figures = {}
    for vmm in ("twinbox", "qemu"):
        entry = compare.get(vmm) or {}
        if entry.get("status") == "ok":
            figures[vmm] = entry["per_exit_ns"]
            lines.append(f"| {vmm} | {_us(entry['per_exit_ns'])} | "
                         f"{_us(entry.get('per_exit_ns_from_min'))} | "
                         f"{entry['median_ms_at_n']:.1f} | {entry['median_ms_at_0']:.1f} |")
        else:
            lines.append(f"| {vmm} | {entry.get('status', 'missing')}: "
                         f"{entry.get('reason', '')} | | | |")
    if len(figures) == 2 and figures["qemu"] > 0:
        ratio = figures["twinbox"] / figures["qemu"]
        verdict = "met" if ratio <= 1.0 else "NOT met"
        lines += ["", f"twinbox / QEMU = {ratio:.2f} from the medians (target: at most 1.00, "
                  f"{verdict})."]
    return lines


def render_markdown(summary):
    lines = ["## Micro-benchmarks", "",
             f"VM exits, KVM backend **{summary['backend']}**. One iteration of a user-space "
             "exit is one KVM_RUN returning to twinbox, served by its device on the bus, "
             "and re-entry; in-kernel exits are timed in batches. Corrected = raw minus the "
             "guest loop's instructions (see docs/benchmarking.md).", ""]
    if summary["instruction_ns"] is not None:
        lines += [f"Guest instruction (from guest_loop_batch): {summary['instruction_ns']:.1f} ns"
                  + (" (PVM emulates guest ring-0 code)" if summary["backend"] == "PVM" else ""),
                  ""]
    lines += ["| exit | handled in | raw (us per iteration) | batch | per exit (us) |",
              "|---|---|---:|---:|---:|"]
    where = {"user": "twinbox (user space)", "kernel": "KVM (kernel)", "entry": "-"}
    for row in summary["exits"]:
        if row["error"]:
            lines.append(f"| {row['label']} | {where[row['kind']]} | error: {row['error']} | | |")
            continue
        lines.append(f"| {row['label']} | {where[row['kind']]} | {_us(row['raw_ns'])} | "
                     f"{int(row.get('batch') or 1)} | {_us(row['exit_ns'])} |")
    lines += ["", *_compare_lines(summary["compare"]), "",
              "Host mechanisms" + (f" (measured where /dev/kvm is {summary['host_backend']})"
                                   if summary.get("host_backend") else "") + ":", "",
              "| mechanism | wall us per operation | over its baseline | CPU us (process + "
              "children) | over its baseline |", "|---|---:|---:|---:|---:|"]
    for row in summary["host"]:
        if row["error"]:
            lines.append(f"| {row['label']} | error: {row['error']} | | | |")
        else:
            lines.append(f"| {row['label']} | {_us(row['ns'])} | {_us(row['extra_ns'])} | "
                         f"{_us(row['cpu_ns'])} | {_us(row['extra_cpu_ns'])} |")
    return "\n".join(lines) + "\n"


def plot(summary, out_dir):
    """exits.svg/.png: per-exit cost by kind next to getpid, log scale. Returns
    the files made; raises RuntimeError when gnuplot fails."""
    rows = [(row["label"], row["exit_ns"] / 1000) for row in summary["exits"]
            if row["exit_ns"] is not None and row["exit_ns"] > 0]
    # getpid from the exits' run (the same machine) if it has one, else the host run's.
    getpid = summary.get("getpid_ns") or next(
        (row["ns"] for row in summary["host"] if row["name"] == "host/getpid"), None)
    if getpid:
        rows.append(("getpid(2) syscall", getpid / 1000))
    compare = summary.get("compare") or {}
    if (compare.get("qemu") or {}).get("status") == "ok":
        rows.append(("QEMU port I/O out (vm run)", compare["qemu"]["per_exit_ns"] / 1000))
    if (compare.get("twinbox") or {}).get("status") == "ok":
        rows.append(("twinbox port I/O out (vm run)", compare["twinbox"]["per_exit_ns"] / 1000))
    if not rows:
        return []
    with open(os.path.join(out_dir, "exits.dat"), "w") as dat:
        dat.write("# label microseconds\n")
        for label, value in rows:
            dat.write(f"\"{label}\" {value:.4f}\n")
    return plots._draw(out_dir, "exits", (
        f"set title 'VM exit cost by kind ({summary['backend']}) next to a system call'\n"
        "set ylabel 'microseconds (log scale)'\nset logscale y\nset style fill solid 0.6\n"
        "set boxwidth 0.6\nset grid ytics\nunset key\n"
        "set xtics rotate by 30 right scale 0 noenhanced\nset bmargin 10\nset lmargin 22\nset rmargin 3\n"
        "plot 'exits.dat' using 0:2:xtic(1) with boxes lc rgb '#4070c0', "
        "'' using 0:2:(sprintf('%.2f', $2)) with labels offset 0,1\n"))


def run_suite(arguments, log):
    """`twinbox bench --suite micro`: what `make bench-micro` does, from
    run.py's arguments (the build tree is found from --workload,
    <build>/bench/workload). Returns the exit status."""
    import datetime
    import subprocess
    bench_build = os.path.dirname(os.path.abspath(arguments.workload))
    micro_dir = os.path.join(bench_build, "micro")
    binary = os.path.join(micro_dir, "twinbox-micro")
    guests = [os.path.join(micro_dir, name) for name in ("exit-loop.elf", "exit-loop-pvh.elf")]
    missing = [path for path in [binary] + guests if not os.path.exists(path)]
    if missing:
        log(f"no {missing[0]}: build the bench-micro-bin target (needs libbenchmark-dev)")
        return 125
    out = os.path.abspath(arguments.out or os.path.join(
        "bench-results", datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + "-micro"))
    os.makedirs(out, exist_ok=True)
    flags = (["--benchmark_min_time=0.1"] if arguments.quick else
             ["--benchmark_min_time=1", "--benchmark_repetitions=3",
              "--benchmark_report_aggregates_only=true"])
    timeout = arguments.timeout or 1800
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    log("micro: host mechanisms (namespaces, cgroups, veth, mounts)")
    subprocess.run([binary, "--benchmark_filter=^host/", "--benchmark_out_format=json",
                    f"--benchmark_out={os.path.join(out, 'host.json')}"] + flags,
                   timeout=timeout, check=False)
    log("micro: VM exits and QEMU's port-I/O exit (in the test host if /dev/kvm is missing)")
    compare = [sys.executable, os.path.join(source, "bench", "micro", "exit_compare.py"),
               "--micro", binary, "--twinbox", arguments.twinbox, "--guest", guests[0],
               "--guest-pvh", guests[1], "--out", out,
               "--runs", "3" if arguments.quick else "5", "--"] + flags
    # One test-host VM at a time on a machine: flock(1) on /tmp/testhost.lock,
    # which with-kvm.sh needs when it falls back to the test host.
    subprocess.run(["flock", "/tmp/testhost.lock",
                    os.path.join(source, "tests", "integration", "with-kvm.sh"), "--baremetal",
                    "--timeout", str(timeout), "--"] + compare, timeout=3 * timeout,
                   env=dict(os.environ, TWINBOX_TEST_SHARE=out), check=False)
    sys.stdout.write(render(out))
    log(f"micro: results in {out}")
    return 0


def render(directory):
    """Writes micro.md and the plot; returns the Markdown."""
    summary = summarize(load(directory))
    markdown = render_markdown(summary)
    try:
        made = plot(summary, directory)
        if made:
            markdown += "\n![VM exit cost by kind](exits.svg)\n"
    except (RuntimeError, OSError) as error:
        markdown += f"\nNo plot: {error}\n"
    with open(os.path.join(directory, "micro.md"), "w") as out:
        out.write(markdown)
    return markdown


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: micro.py RESULTS_DIR")
    sys.stdout.write(render(sys.argv[1]))
