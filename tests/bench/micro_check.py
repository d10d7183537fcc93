#!/usr/bin/env python3
"""Runs twinbox-micro briefly and checks its JSON (bench/micro).

  micro_check.py exits BIN   every VM exit kind has a positive time and no
                             error, and the context names the KVM backend
                             (run through with-kvm.sh --baremetal)
  micro_check.py host BIN    getpid, namespaces, cgroups, veth, overlay and
                             pivot_root: positive times; a cgroup version the
                             host lacks may be skipped with its reason

Exits 0 when the checks pass, 1 with the failures listed, 77 (skipped) only
when there is no /dev/kvm for the exit benchmarks.
"""

import json
import os
import subprocess
import sys

EXIT_KINDS = ["exit/kvm_run_no_entry", "exit/pio_out", "exit/pio_in", "exit/mmio_write",
              "exit/mmio_read", "exit/hlt_no_irqchip", "exit/cpuid_batch",
              "exit/hypercall_", "exit/guest_loop_batch"]
HOST_KINDS = ["host/getpid", "host/clone/none", "host/clone/all", "host/cgroup_v1_",
              "host/cgroup_v2_", "host/veth_create_delete", "host/overlay_mount_umount",
              "host/pivot_root"]
HOST_FILTER = "^host/(getpid|clone/none|clone/all|cgroup|veth|overlay|pivot)"


def run(binary, benchmark_filter):
    done = subprocess.run([binary, f"--benchmark_filter={benchmark_filter}",
                           "--benchmark_min_time=0.01", "--benchmark_format=json"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"micro_check: {binary} exited with {done.returncode}: {done.stderr[-1000:]}")
    return json.loads(done.stdout)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("exits", "host"):
        sys.exit(__doc__)
    mode, binary = sys.argv[1], sys.argv[2]
    if mode == "exits" and not os.path.exists("/dev/kvm"):
        print("SKIP: no /dev/kvm on this host")
        return 77
    document = run(binary, "^exit/" if mode == "exits" else HOST_FILTER)
    entries = document.get("benchmarks", [])
    failures = []
    for kind in EXIT_KINDS if mode == "exits" else HOST_KINDS:
        found = [e for e in entries if e["name"].startswith(kind)]
        if not found:
            failures.append(f"{kind}: missing from the output")
            continue
        entry = found[0]
        message = entry.get("error_message", "")
        if entry.get("error_occurred"):
            if mode == "host" and kind.startswith("host/cgroup_") and "on this host" in message:
                print(f"{entry['name']}: skipped: {message}")
                continue
            failures.append(f"{entry['name']}: {message}")
        elif not entry.get("real_time", 0) > 0 or not entry.get("iterations", 0) > 0:
            failures.append(f"{entry['name']}: no positive time ({entry.get('real_time')})")
        else:
            print(f"{entry['name']}: {entry['real_time']:.0f} {entry['time_unit']} per iteration")
    if mode == "exits":
        backend = document.get("context", {}).get("kvm_backend", "")
        if not backend or backend.startswith("none"):
            failures.append(f"context names no KVM backend ({backend!r})")
        print(f"KVM backend: {backend}")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
