"""The host description every report starts with (CPU, kernel, KVM, tools)."""

import datetime
import os
import platform
import re
import subprocess

from . import where


def _first_line(argv):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else None


def kvm_backend():
    """VMX, SVM, PVM or none, from the loaded modules, and whether /dev/kvm exists."""
    modules = set(os.listdir("/sys/module")) if os.path.isdir("/sys/module") else set()
    names = [name for module, name in (("kvm_intel", "VMX"), ("kvm_amd", "SVM"),
                                       ("kvm_pvm", "PVM")) if module in modules]
    backend = "+".join(names) or "none"
    return backend + ("" if os.path.exists("/dev/kvm") else " (no /dev/kvm)")


def cgroup_layout():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "v2"
    if os.path.ismount("/sys/fs/cgroup/unified"):
        return "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
    return "v1"


def describe(tools):
    """A dict for results.json; `tools` maps names to argv printing a version."""
    cpu_model, flags = where.cpu_info()
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as release:
            match = re.search(r'^PRETTY_NAME="?([^"\n]*)', release.read(), re.MULTILINE)
            os_name = match.group(1) if match else ""
    with open("/proc/meminfo") as meminfo:
        mem_kib = int(meminfo.readline().split()[1])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "os": os_name,
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_mib": mem_kib // 1024,
        "nested_virtualisation": " hypervisor" in f" {flags}",
        "kvm_backend": kvm_backend(),
        "cgroups": cgroup_layout(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "tools": {name: _first_line(argv) for name, argv in tools.items()},
    }
