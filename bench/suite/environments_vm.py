"""The VMM baselines: QEMU microvm, libvirt (QEMU/KVM) and libvirt-lxc.

qemu-microvm and libvirt-qemu boot the guest of `twinbox run --isolation vm`
unchanged (vm_guest.py: same kernel, initramfs, ext4 disk of the image,
agent, command line, memory and vCPUs), so the difference to twinbox-vm is
the VMM alone. libvirt-lxc runs the workload in crun's root file system
(environments.OciRuntime) under libvirt's LXC driver.

libvirtd: used as is when `virsh -c qemu:///system version` answers; else
started here (no systemd: `virtlogd -d`, `libvirtd -d`, ENVIRONMENT.md) in a
private mount namespace that hides the hybrid cgroup2 mount (libvirt-lxc
refuses it), puts a tmpfs on libvirt's state directories where they are
read-only (the test host's root is a read-only 9p mount) and binds a
qemu.conf that runs QEMU as root without relabelling files (user/group
root, dynamic_ownership 0), and stopped at cleanup. The memory of a
libvirt run counts the domain's QEMU (or
libvirt_lxc) process and the daemons, which live outside the run's tree.
"""

import os
import shutil
import signal
import subprocess
import time

from . import vm_guest
from .environments import (GUEST_WORKLOAD, IMAGE, VM_MEMORY, Environment, Skipped, bundle,
                           hardware_kvm)

RUN_DIR = "/run/twinbox-bench-libvirt"


def memory_bytes(text):
    units = {"k": 10, "m": 20, "g": 30}
    return int(text[:-1]) << units[text[-1].lower()] if text[-1].lower() in units else int(text)


class GuestConfigs:
    """vm.json per workload command line, from `twinbox bench vm-config`."""

    def __init__(self, twinbox, image):
        self.twinbox, self.image, self.configs, self.root = twinbox, image, {}, None

    def get(self, workload_args):
        key = tuple(workload_args)
        if key not in self.configs:
            directory = os.path.join(self.root, f"guest-{len(self.configs)}")
            self.configs[key] = vm_guest.load(self.twinbox, IMAGE, VM_MEMORY,
                                              [GUEST_WORKLOAD, *workload_args], directory)
        return self.configs[key]

    def prepare(self, work_dir, log):
        self.image.ensure(work_dir, log)
        self.root = os.path.join(work_dir, "vm-guest")
        try:
            self.get(["nop"])
        except (RuntimeError, OSError, ValueError) as error:
            raise Skipped(str(error))


class QemuMicrovm(Environment):
    name = "qemu-microvm"

    def __init__(self, guests, qemu="qemu-system-x86_64"):
        self.guests, self.qemu, self.serial_log = guests, qemu, None

    def prepare(self, work_dir, log):
        binary = shutil.which(self.qemu)
        if not binary:
            raise Skipped(f"{self.qemu} is not installed (apt-get install qemu-system-x86)")
        why = hardware_kvm()
        if why:
            raise Skipped(why)
        self.guests.prepare(work_dir, log)
        self.serial_log = os.path.join(work_dir, "qemu-serial.log")
        version = subprocess.run([binary, "--version"], capture_output=True, text=True)
        self.description = (f"{version.stdout.splitlines()[0] if version.stdout else binary} "
                            f"-M microvm,acpi=on -accel kvm, twinbox-vm's kernel, initramfs, "
                            f"disk, agent and command line, -m {VM_MEMORY}")

    def argv(self, workload_args):
        return vm_guest.qemu_argv(self.guests.get(workload_args), self.qemu, self.serial_log)

    def exit_status(self, result):
        if result["status"] != 0:
            return result["status"]
        return _serial_status(self.serial_log)


def _serial_status(path):
    try:
        with open(path, errors="replace") as serial:
            status = vm_guest.guest_exit_status(serial.read())
    except OSError:
        status = None
    return 125 if status is None else status


class Libvirtd:
    """libvirtd + virtlogd: found running, or started (and later stopped) by us."""

    def __init__(self):
        self.ready, self.error, self.started = False, None, False

    def _answers(self, uri):
        try:
            return subprocess.run(["virsh", "-c", uri, "version"], capture_output=True,
                                  timeout=30).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def ensure(self, uri, log):
        if self.error:
            raise Skipped(self.error)
        if self.ready:
            return
        missing = [tool for tool in ("virsh", "libvirtd", "virtlogd") if not shutil.which(tool)]
        if missing:
            self.error = (f"{', '.join(missing)} not installed "
                          "(apt-get install libvirt-daemon-system)")
            raise Skipped(self.error)
        if os.geteuid() != 0:
            self.error = "libvirt's system instance needs root"
            raise Skipped(self.error)
        if not self._answers("qemu:///system"):
            self.start(log)
        self.ready = True

    def start(self, log):
        os.makedirs(RUN_DIR, exist_ok=True)
        # Our own daemon runs QEMU as root and leaves file owners alone: the
        # kernel and disks may sit on read-only or private (0700) paths.
        with open(os.path.join(RUN_DIR, "qemu.conf"), "w") as conf:
            conf.write('user = "root"\ngroup = "root"\ndynamic_ownership = 0\n'
                       'remember_owner = 0\nnamespaces = []\n')
        script = f"""set -e
if [ -f /etc/libvirt/qemu.conf ]; then mount --bind {RUN_DIR}/qemu.conf /etc/libvirt/qemu.conf; fi
for d in /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
    if [ -d $d ] && ! touch $d/.twinbox-bench 2>/dev/null; then mount -t tmpfs -o mode=0755 tmpfs $d
    else rm -f $d/.twinbox-bench; fi
done
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mounts; then umount /sys/fs/cgroup/unified; fi
# Pure cgroup2 (the test host): the controllers libvirt-lxc puts its machine under.
if [ -f /sys/fs/cgroup/cgroup.subtree_control ]; then
    for c in cpu cpuset memory pids io; do
        echo +$c >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    done
fi
virtlogd -d -p {RUN_DIR}/virtlogd.pid
libvirtd -d -p {RUN_DIR}/libvirtd.pid
"""
        log("starting virtlogd and libvirtd (private mount namespace)")
        begin = time.monotonic()
        result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                capture_output=True, text=True, timeout=120)
        self.started = True
        if result.returncode != 0:
            self.error = f"cannot start libvirtd: {(result.stderr or '').strip()[-200:]}"
            raise Skipped(self.error)
        while time.monotonic() - begin < 180:
            if self._answers("qemu:///system"):
                log(f"libvirtd answers after {time.monotonic() - begin:.1f} s")
                return
            time.sleep(0.5)
        self.error = "libvirtd started but did not answer on qemu:///system within 180 s"
        raise Skipped(self.error)

    def pids(self):
        found = []
        for name in ("libvirtd", "virtlogd"):
            try:
                with open(os.path.join(RUN_DIR, f"{name}.pid")) as pidfile:
                    found.append(int(pidfile.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return found

    def stop(self):
        if not self.started:
            return
        for pid in self.pids():
            _terminate(pid)
        shutil.rmtree(RUN_DIR, ignore_errors=True)
        self.started = self.ready = False


def _terminate(pid):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def _virsh_script(uri, xml, name, output, log_file=""):
    """Create the transient domain, wait for it to go away, print its output.

    When libvirt fails, the last lines of the domain's log (`log_file`, seen
    through /proc/PID/root when our libvirtd runs in its own mount namespace).
    """
    return ["sh", "-c", f'virsh -q -c {uri} create "$1" >/dev/null || '
            f'{{ tail -n 4 "$3" 2>/dev/null | tr "\\n" " " >&2; echo >&2; exit 125; }}\n'
            f'while virsh -q -c {uri} domid "$2" >/dev/null 2>&1; do sleep 0.05; done\n'
            f'cat {output}', "sh", xml, name, log_file]


class LibvirtDomain(Environment):
    """Shared by libvirt-qemu and libvirt-lxc: one domain per run, destroyed after it."""

    uri = "?"

    def __init__(self, daemon):
        self.daemon, self.work_dir, self.last, self.sequence = daemon, None, None, 0

    def memory_roots(self):
        """Processes outside the run's tree that belong to this run: QEMU, the daemons."""
        pids = self.daemon.pids() if self.daemon.started else []
        if self.last:
            driver = "qemu" if self.uri.startswith("qemu") else "lxc"
            try:
                with open(f"/run/libvirt/{driver}/{self.last}.pid") as pidfile:
                    pids.append(int(pidfile.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return pids

    def after_run(self):
        if self.last:
            subprocess.run(["virsh", "-q", "-c", self.uri, "destroy", self.last],
                           capture_output=True, timeout=60)
        self.last = None

    def cleanup(self):
        self.after_run()
        self.daemon.stop()

    def next_name(self):
        self.sequence += 1
        self.last = f"tbbench-{self.name}-{os.getpid()}-{self.sequence}"
        return self.last

    def log_file(self, name):
        """libvirt's log of domain `name`, as seen from here."""
        driver = "qemu" if self.uri.startswith("qemu") else "lxc"
        pids = self.daemon.pids()
        root = f"/proc/{pids[0]}/root" if self.daemon.started and pids else ""
        return f"{root}/var/log/libvirt/{driver}/{name}.log"


class LibvirtQemu(LibvirtDomain):
    name = "libvirt-qemu"
    uri = "qemu:///system"

    def __init__(self, daemon, guests):
        super().__init__(daemon)
        self.guests = guests

    def prepare(self, work_dir, log):
        why = hardware_kvm()
        if why:
            raise Skipped(why)
        self.daemon.ensure(self.uri, log)
        self.guests.prepare(work_dir, log)
        self.work_dir = os.path.join(work_dir, self.name)
        os.makedirs(self.work_dir, exist_ok=True)
        self.serial_log = os.path.join(self.work_dir, "serial.log")
        self.console_log = os.path.join(self.work_dir, "console.log")
        version = subprocess.run(["virsh", "-c", self.uri, "version"], capture_output=True,
                                 text=True).stdout.split("\n")
        versions = "; ".join(line.strip() for line in version
                             if "libvirt" in line or "hypervisor" in line)
        self.description = (f"virsh create (qemu:///system, microvm, domain type kvm), the "
                            f"same guest as qemu-microvm; "
                            f"{versions}"
                            f"{'; libvirtd started by the harness' if self.daemon.started else ''}")

    def argv(self, workload_args):
        name = self.next_name()
        xml = os.path.join(self.work_dir, "domain.xml")
        with open(xml, "w") as out:
            out.write(vm_guest.libvirt_qemu_xml(self.guests.get(workload_args), name,
                                                self.console_log, self.serial_log))
        for path in (self.console_log, self.serial_log):
            open(path, "w").close()
        return _virsh_script(self.uri, xml, name, self.console_log, self.log_file(name))

    def exit_status(self, result):
        if result["status"] != 0:
            return result["status"]
        return _serial_status(self.serial_log)


class LibvirtLxc(LibvirtDomain):
    """The workload as the container's init: sh redirects its output to a shared directory."""

    name = "libvirt-lxc"
    uri = "lxc:///system"

    def __init__(self, daemon, workload, busybox="/bin/busybox"):
        super().__init__(daemon)
        self.workload, self.busybox = workload, busybox

    def prepare(self, work_dir, log):
        if not os.path.exists("/usr/lib/libvirt/libvirt_lxc"):
            raise Skipped("libvirt's LXC driver is not installed (apt-get install "
                          "libvirt-daemon-driver-lxc)")
        if not os.path.exists("/dev/fuse"):
            # libvirt_lxc mounts a FUSE /proc/meminfo; a kernel that cannot
            # autoload modules (the test host) needs fuse loaded by hand.
            subprocess.run(["modprobe", "fuse"], capture_output=True, timeout=60)
        self.daemon.ensure(self.uri, log)
        self.work_dir = os.path.join(work_dir, self.name)
        if not os.access(self.busybox, os.X_OK):
            raise Skipped(f"no static busybox at {self.busybox} (apt-get install busybox-static)")
        self.rootfs = os.path.join(self.work_dir, "rootfs")
        bundle.build_rootfs(self.rootfs, self.busybox)
        os.makedirs(os.path.join(self.rootfs, "usr", "bin"), exist_ok=True)
        shutil.copy2(self.workload, os.path.join(self.rootfs, "usr", "bin", "workload"))
        os.makedirs(os.path.join(self.rootfs, "out"), exist_ok=True)
        self.description = ("virsh create (lxc:///system) with crun's root file system; the "
                            "workload is init, started by /bin/sh redirecting its output")

    def argv(self, workload_args):
        name = self.next_name()
        os.makedirs(self.work_dir, exist_ok=True)
        for leftover in ("stdout", "status"):
            try:
                os.unlink(os.path.join(self.rootfs, "out", leftover))
            except FileNotFoundError:
                pass
        quoted = " ".join("'" + arg.replace("'", "'\\''") + "'" for arg in workload_args)
        init = ["/bin/sh", "-c",
                f"{GUEST_WORKLOAD} {quoted} >/out/stdout 2>&1; echo $? >/out/status"]
        xml = os.path.join(self.work_dir, "domain.xml")
        with open(xml, "w") as out:
            out.write(vm_guest.libvirt_lxc_xml(name, self.rootfs, init, memory_bytes(VM_MEMORY)))
        return _virsh_script(self.uri, xml, name, os.path.join(self.rootfs, "out", "stdout"),
                             self.log_file(name))

    def exit_status(self, result):
        if result["status"] != 0:
            return result["status"]
        try:
            with open(os.path.join(self.rootfs, "out", "status")) as status:
                return int(status.read().strip())
        except (OSError, ValueError):
            return 125

    def cleanup(self):
        super().cleanup()
        if self.work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
