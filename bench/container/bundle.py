"""The OCI bundle every runtime runs: a busybox root and one config.json.

The root file system is built here from the static /bin/busybox (Debian's
busybox-static), so the benchmark needs no network and no image: a few
directories, busybox itself and the applet links the runs use. The
configuration is the one `runc spec` writes (runc 1.1), with the changes a
benchmark needs: ociVersion 1.0.2 (crun 1.8 rejects 1.2.0+), /bin/true
without a terminal, Docker's default capabilities (as `docker run` passes
them), and a cgroupsPath so that every runtime creates, joins and removes a
cgroup, as it would for any real container.
"""

import json
import os
import shutil

# The applets the runs call: /bin/true for the measurement, sh, test and echo
# for the sanity check.
APPLETS = ("sh", "true", "test", "echo", "cat")

# runc spec's default mounts (libcontainer/specconv/example.go).
DEFAULT_MOUNTS = [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
]

MASKED_PATHS = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
# Docker's default capabilities (moby oci/caps/defaults.go), in the sets
# Docker fills: bounding, effective and permitted. (`runc spec` puts three
# capabilities in the ambient set too, without the inheritable set the
# kernel requires for raising them; runtimes are to warn and go on there,
# config.md "Linux Process", and this benchmark stays out of that corner.)
CAPABILITIES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]

# The parent of every benchmark container's cgroup (cgroupsPath /PARENT/ID).
CGROUP_PARENT = "twinbox-bench"


def build_rootfs(directory, busybox="/bin/busybox"):
    """Makes a minimal busybox root in `directory` (which must not exist)."""
    for sub in ("bin", "dev", "proc", "sys", "tmp", "etc", "root"):
        os.makedirs(os.path.join(directory, sub))
    shutil.copy2(busybox, os.path.join(directory, "bin", "busybox"))
    for applet in APPLETS:
        os.symlink("busybox", os.path.join(directory, "bin", applet))
    with open(os.path.join(directory, "etc", "passwd"), "w") as passwd:
        passwd.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(directory, "etc", "group"), "w") as group:
        group.write("root:x:0:\n")


def config(args, rootfs, container_id):
    """config.json for one container running `args` from `rootfs`.

    The namespaces are the issue's: pid, network, ipc, uts and mount (no
    cgroup namespace, which runc 1.1's `runc spec` does not create either).
    """
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm"],
            "cwd": "/",
            "capabilities": {key: CAPABILITIES for key in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": True},
        "hostname": "bench",
        "mounts": DEFAULT_MOUNTS,
        "linux": {
            "cgroupsPath": f"/{CGROUP_PARENT}/{container_id}",
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": kind} for kind in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": MASKED_PATHS,
            "readonlyPaths": READONLY_PATHS,
        },
    }


def write_bundle(directory, args, rootfs, container_id=""):
    """Writes directory/config.json; returns the directory.

    Every runtime gets the same file. cgroupsPath is fixed per bundle (the
    container ids differ per run, but runtimes remove a container's cgroup
    when it is deleted, so runs do not collide).
    """
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as config_file:
        json.dump(config(args, rootfs, container_id or os.path.basename(directory)),
                  config_file, indent=4)
    return directory


def cgroup_roots():
    """/sys/fs/cgroup (v2) and every hierarchy mounted below it (v1, hybrid)."""
    top = "/sys/fs/cgroup"
    return [top] + [os.path.join(top, name) for name in sorted(os.listdir(top))
                    if os.path.isdir(os.path.join(top, name))]


def container_cgroups():
    """The containers' cgroups that exist now: /sys/fs/cgroup/*/twinbox-bench/*."""
    found = []
    for root in cgroup_roots():
        parent = os.path.join(root, CGROUP_PARENT)
        if os.path.isdir(parent):
            found += [os.path.join(parent, name) for name in sorted(os.listdir(parent))
                      if os.path.isdir(os.path.join(parent, name))]
    return found


def remove_cgroups(log):
    """Removes /sys/fs/cgroup/*/twinbox-bench and what is below it (rmdir only).

    Runtimes remove a container's own cgroup when they delete it; the parent
    they created along the way stays. An rmdir that fails (a cgroup still in
    use) is reported, never forced.
    """
    for root in cgroup_roots():
        parent = os.path.join(root, CGROUP_PARENT)
        if not os.path.isdir(parent):
            continue
        for current, subdirectories, _ in os.walk(parent, topdown=False):
            try:
                os.rmdir(current)
            except OSError as error:
                log(f"  cannot remove cgroup {current}: {error.strerror}")
