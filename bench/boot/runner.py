"""Running one VMM once and measuring it (used by boot_bench.py).

Every run starts the VMM with posix_spawn (stdin /dev/null, in a process
group of its own) and waits for it with a blocking wait, not a polling loop,
so that the harness takes no CPU time from the VMM while the clock runs.
"""

import ctypes
import fcntl
import os
import re
import select
import shutil
import signal
import tempfile
import threading
import time

# prctl(2): PR_SET_THP_DISABLE, from <linux/prctl.h>. The flag belongs to the
# address space, is copied into a new one at execve and inherited at fork, so
# setting it around a spawn applies it to the VMM and not to later spawns.
PR_SET_THP_DISABLE = 41
libc = ctypes.CDLL(None, use_errno=True)

# KVM ioctls from <linux/kvm.h>: _IO(KVMIO = 0xAE, number).
KVM_CREATE_VM = 0xAE01
KVM_CREATE_IRQCHIP = 0xAE60
KVM_CREATE_VCPU = 0xAE41


def open_idle_vm():
    """Creates a VM with an in-kernel irqchip and one vCPU that never runs.

    Holding it open for the whole benchmark keeps KVM's start-up state (its
    static keys, which are switched by patching kernel code when the first
    VM or LAPIC appears and the last goes) switched on, so no run pays for
    that patching. On the nested test host, starting and stopping many
    short-lived VMs has frozen the whole test host VM (both vCPUs in soft
    lockup), most likely through that code patching; with one idle VM held
    open it did not (docs/benchmarks.md, "Pitfalls"). The descriptors are
    close-on-exec, so VMMs do not inherit them; they stay open until this
    process ends.
    """
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
    return kvm, vm, vcpu


def set_transparent_huge_pages(enabled):
    if libc.prctl(PR_SET_THP_DISABLE, 0 if enabled else 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_THP_DISABLE)")


def spawn(argv, stdout_fd, stderr_fd, huge_pages=True):
    """Starts argv with stdin from /dev/null; returns the child's pid.

    The child gets a process group of its own, so that a watchdog can stop it
    together with its children (GNU time's VMM). With huge_pages=False the
    child runs without transparent huge pages (see measure_peak_rss).
    """
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, stdout_fd, 1),
               (os.POSIX_SPAWN_DUP2, stderr_fd, 2)]
    if not huge_pages:
        set_transparent_huge_pages(False)
    try:
        return os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions, setpgroup=0)
    finally:
        if not huge_pages:
            set_transparent_huge_pages(True)


def kill_after(pid, seconds):
    """Starts a watchdog that kills pid's process group after `seconds`.

    A guest or VMM that hangs then ends as a failed run (killed by SIGKILL)
    instead of stopping the benchmark. The watchdog thread sleeps in one
    timed wait, so it adds no wake-ups. cancel() it when the run is over.
    """
    def kill():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    watchdog = threading.Timer(seconds, kill)
    watchdog.daemon = True
    watchdog.start()
    return watchdog


def wait_for(pid, timeout_seconds):
    """Blocks until pid exits; returns its exit code (negative: a signal)."""
    watchdog = kill_after(pid, timeout_seconds)
    _, wait_status, _ = os.wait4(pid, 0)
    watchdog.cancel()
    return os.waitstatus_to_exitcode(wait_status)


def timed_run(argv, timeout_seconds=120):
    """Runs argv to its end. Returns (milliseconds, exit code, output).

    The clock starts just before the spawn and stops when wait returns, so it
    covers exec, the dynamic loader, VM set-up, the guest, and the teardown
    (closing the VM, unmapping guest RAM) that comes before a process has
    fully exited. Output goes to a file and is read afterwards.
    """
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter_ns()
        pid = spawn(argv, output.fileno(), output.fileno())
        status = wait_for(pid, timeout_seconds)
        elapsed_ns = time.perf_counter_ns() - start
        output.seek(0)
        return elapsed_ns / 1e6, status, output.read()


def gnu_time():
    found = shutil.which("time", path="/usr/bin:/bin")
    if not found:
        raise SystemExit("boot_bench: GNU time (/usr/bin/time) is needed for the peak RSS: "
                         "apt-get install time")
    return found


def measure_peak_rss(argv, huge_pages, timeout_seconds=120):
    """Runs argv under GNU time; returns (KiB of peak RSS, exit code, output).

    The peak is ru_maxrss of the VMM process as the kernel reports it (GNU
    time's %M). GNU time forks a small process for the VMM, so the figure is
    the VMM's own; a child spawned from this Python process directly would
    report Python's larger RSS instead, because posix_spawn shares Python's
    memory until exec. The peak includes the guest RAM pages that are
    resident: with transparent huge pages each touched 2 MiB of guest RAM
    may count in full, without them only the 4 KiB pages touched.
    """
    with tempfile.NamedTemporaryFile("r") as report, tempfile.TemporaryFile() as output:
        wrapped = [gnu_time(), "-f", "%M", "-o", report.name] + argv
        pid = spawn(wrapped, output.fileno(), output.fileno(), huge_pages)
        time_status = wait_for(pid, timeout_seconds)
        output.seek(0)
        text = output.read()
        lines = report.read().split("\n")
    # GNU time exits with its child's status and writes "Command exited with
    # non-zero status N" before the number when that is not 0.
    numbers = [line for line in lines if line.strip().isdigit()]
    return (int(numbers[-1]) if numbers else None), time_status, text


def guest_ram_resident_kib(argv, guest_kib, marker, timeout_seconds=120):
    """Returns (KiB of guest RAM resident, VmHWM KiB) of a halting guest.

    argv boots the trivial guest's HALT_AT_END variant, which halts for good
    after its marker line instead of ending the VM: when the line arrives,
    the guest has done everything the exiting variant does, and the VMM
    still holds its guest RAM. /proc/PID/smaps is read once, then the VMM is
    killed. Guest RAM is every mapping at least as large as the guest's
    memory: the one mapping each VMM keeps for it. Without transparent huge
    pages, like the peak RSS it is subtracted from. (None, None) when the
    marker never came.
    """
    read_end, write_end = os.pipe()
    pid = spawn(argv, write_end, write_end, huge_pages=False)
    os.close(write_end)
    watchdog = kill_after(pid, timeout_seconds)
    seen = b""
    resident = high_water = None
    while True:
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        seen += chunk
        at = seen.find(marker)
        if at >= 0 and b"\n" in seen[at:]:
            resident, high_water = read_guest_resident(pid, guest_kib)
            break
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while os.read(read_end, 4096):
        pass
    os.close(read_end)
    os.waitpid(pid, 0)
    watchdog.cancel()
    return resident, high_water


def read_guest_resident(pid, guest_kib):
    try:
        with open(f"/proc/{pid}/smaps") as smaps:
            text = smaps.read()
        with open(f"/proc/{pid}/status") as status:
            status_text = status.read()
    except OSError:
        return None, None
    resident = 0
    found = False
    size = 0
    for line in text.splitlines():
        if line.startswith("Size:"):
            size = int(line.split()[1])
        elif line.startswith("Rss:") and size >= guest_kib:
            resident += int(line.split()[1])
            found = True
    high_water = re.search(r"^VmHWM:\s+(\d+) kB", status_text, re.MULTILINE)
    if not found or not high_water:
        return None, None
    return resident, int(high_water.group(1))


def linux_run(argv, marker, timeout_seconds):
    """Boots Linux; returns (milliseconds until the marker line or None, console).

    The console is read from a pipe as it comes (select, then read: one
    wake-up per burst of output, and a quiet boot prints little); the clock
    stops when the line with the marker has arrived. The VM is then stopped
    with SIGTERM (both VMMs end on it): only the time to the marker counts.
    """
    read_end, write_end = os.pipe()
    start = time.perf_counter_ns()
    pid = spawn(argv, write_end, write_end)
    os.close(write_end)
    seen = b""
    ready_ms = None
    deadline = time.monotonic() + timeout_seconds
    while ready_ms is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
            break
        chunk = os.read(read_end, 65536)
        if not chunk:
            break  # the VMM exited before the marker
        seen += chunk
        at = seen.find(marker)
        if at >= 0 and b"\n" in seen[at:]:
            ready_ms = (time.perf_counter_ns() - start) / 1e6
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    # Drain the console until the VMM has gone, so that it never blocks on a
    # full pipe while stopping; SIGKILL if it takes more than 20 s.
    watchdog = kill_after(pid, 20)
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        seen += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    watchdog.cancel()
    return ready_ms, seen
