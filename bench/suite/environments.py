"""Where a workload runs: native, twinbox container and VM, crun and runc
(QEMU microvm and libvirt: environments_vm.py).

Every environment runs the SAME workload binary: natively the build's
bench/workload; in twinbox containers and VMs an image built once per run
from a generated Dockerfile (FROM busybox:latest, COPY workload
/usr/bin/workload), the same image for both isolations; under crun and runc
an OCI bundle whose root is Debian's static busybox (bench/container's
bundle.build_rootfs) with the same workload copied to /usr/bin/workload.
crun and runc are started through bench/container's wrapper, which hides
this machine's hybrid cgroup2 mount from crun (container_bench.py).

An environment that cannot run says why in `prepare()` (Skipped); the
harness records the reason and goes on without it.
"""

import os
import json
import shutil
import subprocess
import sys

# bench/container's modules, imported, not copied (see run.py for sys.path).
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "container"))
import bundle  # noqa: E402
import container_bench  # noqa: E402

IMAGE = "twinbox-bench-workload:latest"
GUEST_WORKLOAD = "/usr/bin/workload"
VM_MEMORY = "1g"  # room for the full suite's STREAM (3 x 64 MiB) and GUPS (256 MiB)


class Skipped(Exception):
    """An environment that cannot run here; the message says why."""


class Environment:
    name = "?"
    description = ""

    def prepare(self, work_dir, log):
        """Raises Skipped when the environment cannot run on this host."""

    def argv(self, workload_args):
        raise NotImplementedError

    def exit_status(self, result):
        """The workload's exit status from measure.run's result (a VMM's own
        status is not the guest's: environments_vm.py overrides this)."""
        return result["status"]

    def memory_roots(self):
        """Processes outside the run's own tree whose memory belongs to the run."""
        return []

    def after_run(self):
        """Untimed clean-up after one run (leftover state)."""

    def cleanup(self):
        """Removes everything the environment made (also after Ctrl-C)."""


class Native(Environment):
    name = "native"

    def __init__(self, workload):
        self.workload = workload
        self.description = f"{workload} run directly"

    def prepare(self, work_dir, log):
        if not os.access(self.workload, os.X_OK):
            raise Skipped(f"no workload binary at {self.workload} (build the bench-workload target)")

    def argv(self, workload_args):
        return [self.workload, *workload_args]


class WorkloadImage:
    """busybox:latest + the workload, built once with `twinbox build`."""

    def __init__(self, twinbox, workload):
        self.twinbox, self.workload = twinbox, workload
        self.error, self.built = None, False

    def ensure(self, work_dir, log):
        if self.built or self.error:
            if self.error:
                raise Skipped(self.error)
            return
        context = os.path.join(work_dir, "image-context")
        os.makedirs(context, exist_ok=True)
        shutil.copy2(self.workload, os.path.join(context, "workload"))
        with open(os.path.join(context, "Dockerfile"), "w") as dockerfile:
            dockerfile.write(f"FROM busybox:latest\nCOPY workload {GUEST_WORKLOAD}\n")
        log(f"building image {IMAGE} (busybox:latest + the workload)")
        result = subprocess.run([self.twinbox, "build", "-t", IMAGE, context],
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            self.error = f"twinbox build failed: {lines[-1] if lines else result.returncode}"
            raise Skipped(self.error)
        self.built = True


class TwinboxContainer(Environment):
    name = "twinbox-container"

    def __init__(self, twinbox, image):
        self.twinbox, self.image = twinbox, image
        self.description = f"twinbox run --rm {IMAGE} (namespaces, cgroup, seccomp, overlay root)"

    def prepare(self, work_dir, log):
        if os.geteuid() != 0:
            raise Skipped("twinbox containers need root here")
        self.image.ensure(work_dir, log)

    def argv(self, workload_args):
        return [self.twinbox, "run", "--rm", IMAGE, GUEST_WORKLOAD, *workload_args]


TESTHOST_HINT = "twinbox bench --where testhost runs the suite in the nested test host"


def hardware_kvm():
    """None when /dev/kvm can boot Linux (VMX or SVM), else why not."""
    if not os.path.exists("/dev/kvm"):
        return f"no /dev/kvm on this host ({TESTHOST_HINT})"
    if os.path.isdir("/sys/module/kvm_pvm"):
        return f"/dev/kvm is PVM, which cannot boot Linux ({TESTHOST_HINT})"
    if not (os.path.isdir("/sys/module/kvm_intel") or os.path.isdir("/sys/module/kvm_amd")):
        return "/dev/kvm is neither VMX nor SVM"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as error:
        return f"cannot open /dev/kvm: {error.strerror}"
    return None


class TwinboxVM(Environment):
    name = "twinbox-vm"

    def __init__(self, twinbox, image):
        self.twinbox, self.image = twinbox, image
        self.description = f"twinbox run --rm --isolation vm -m {VM_MEMORY} {IMAGE} (microVM)"

    def prepare(self, work_dir, log):
        why = hardware_kvm()
        if why:
            raise Skipped(why)
        self.image.ensure(work_dir, log)

    def argv(self, workload_args):
        return [self.twinbox, "run", "--rm", "--isolation", "vm", "-m", VM_MEMORY, IMAGE,
                GUEST_WORKLOAD, *workload_args]


class OciRuntime(Environment):
    """crun or runc with a bundle per command line, through the cgroup wrapper."""

    def __init__(self, name, workload, busybox="/bin/busybox"):
        self.name, self.workload, self.busybox = name, workload, busybox
        self.description = f"{name} run with an OCI bundle (busybox-static root + the workload)"
        self.runtime, self.prefix, self.work_dir = None, None, None
        self.bundles, self.sequence, self.last_id = {}, 0, None

    def prepare(self, work_dir, log):
        if os.geteuid() != 0:
            raise Skipped(f"{self.name} needs root here")
        binary = shutil.which(self.name)
        if not binary:
            raise Skipped(f"{self.name} is not installed")
        if not os.access(self.busybox, os.X_OK):
            raise Skipped(f"no static busybox at {self.busybox} (apt-get install busybox-static)")
        self.work_dir = os.path.join(work_dir, self.name)
        rootfs = os.path.join(self.work_dir, "rootfs")
        bundle.build_rootfs(rootfs, self.busybox)
        os.makedirs(os.path.join(rootfs, "usr", "bin"), exist_ok=True)
        shutil.copy2(self.workload, os.path.join(rootfs, "usr", "bin", "workload"))
        self.rootfs = rootfs
        self.runtime = container_bench.Runtime(self.name, binary,
                                               os.path.join(self.work_dir, "state"))
        self.prefix = container_bench.wrapper(container_bench.hybrid_cgroups(), self.busybox)
        self.description += f"; {self.runtime.version()}"

    def _bundle(self, args):
        """One bundle directory per command line (config.json holds the args)."""
        key = tuple(args)
        if key not in self.bundles:
            directory = os.path.join(self.work_dir, f"bundle-{len(self.bundles)}")
            config = bundle.config(list(args), self.rootfs, f"{self.name}-{len(self.bundles)}")
            config["root"]["readonly"] = False  # fileio writes /tmp, as in the other environments
            os.makedirs(directory)
            with open(os.path.join(directory, "config.json"), "w") as config_file:
                json.dump(config, config_file, indent=4)
            self.bundles[key] = directory
        return self.bundles[key]

    def argv(self, workload_args):
        self.sequence += 1
        self.last_id = f"suite-{self.name}-{os.getpid()}-{self.sequence}"
        directory = self._bundle([GUEST_WORKLOAD, *workload_args])
        return self.prefix + self.runtime.run(directory, self.last_id)

    def after_run(self):
        if self.last_id and os.path.exists(os.path.join(self.runtime.state_root, self.last_id)):
            subprocess.run(self.prefix + self.runtime.delete(self.last_id),
                           capture_output=True, timeout=60)
        self.last_id = None

    def cleanup(self):
        if self.runtime:
            self.after_run()
            bundle.remove_cgroups(lambda message: None)
        if self.work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


ALL = ("native", "twinbox-container", "twinbox-vm", "crun", "runc", "qemu-microvm",
       "libvirt-qemu", "libvirt-lxc")
# Those that boot Linux in a VM: they need VMX or SVM (not PVM), see run.py --where.
BOOTS_LINUX = ("twinbox-vm", "qemu-microvm", "libvirt-qemu")


def make(names, twinbox, workload):
    """The environments called `names` (a subset of ALL, in that order)."""
    from . import environments_vm  # noqa: E402 (it imports this module)
    image = WorkloadImage(twinbox, workload)
    guests = environments_vm.GuestConfigs(twinbox, image)
    daemon = environments_vm.Libvirtd()
    factories = {
        "native": lambda: Native(workload),
        "twinbox-container": lambda: TwinboxContainer(twinbox, image),
        "twinbox-vm": lambda: TwinboxVM(twinbox, image),
        "crun": lambda: OciRuntime("crun", workload),
        "runc": lambda: OciRuntime("runc", workload),
        "qemu-microvm": lambda: environments_vm.QemuMicrovm(guests),
        "libvirt-qemu": lambda: environments_vm.LibvirtQemu(daemon, guests),
        "libvirt-lxc": lambda: environments_vm.LibvirtLxc(daemon, workload),
    }
    return [factories[name]() for name in ALL if name in names]
