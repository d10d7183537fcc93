"""Running one OCI runtime once and measuring it (used by container_bench.py).

Every run starts the command with posix_spawn (stdin /dev/null, output to a
file, a process group of its own) and waits for it with a blocking wait4, so
that the harness takes no CPU time while the clock runs.

Peak RSS comes from GNU time (%M, the kernel's ru_maxrss), not from this
process's own wait4: posix_spawn starts the child with Python's address
space (vfork), and the kernel folds that address space's high-water mark
into the child's ru_maxrss at exec, so every figure would start at Python's
~10 MB. GNU time forks from its own small address space instead.
"""

import os
import shutil
import signal
import tempfile
import threading
import time


def spawn(argv, stdout_fd, stderr_fd):
    """Starts argv with stdin from /dev/null; returns the child's pid."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, stdout_fd, 1),
               (os.POSIX_SPAWN_DUP2, stderr_fd, 2)]
    return os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions, setpgroup=0)


def kill_after(pid, seconds):
    """A watchdog thread that kills pid's process group after `seconds`.

    A runtime that hangs then ends as a failed run instead of stopping the
    benchmark. cancel() it when the run is over.
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


def timed_run(argv, timeout_seconds=60):
    """Runs argv to its end. Returns (milliseconds, exit code, output bytes).

    The clock starts just before the spawn and stops when wait4 returns: it
    covers exec and the dynamic loader of the wrapper and the runtime, the
    namespaces, mounts and cgroup, the container's /bin/true, and the
    runtime's teardown (unmounting, removing the cgroup and its state).
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
        raise SystemExit("container_bench: GNU time (/usr/bin/time) is needed for the peak RSS: "
                         "apt-get install time")
    return found


def measure_peak_rss(argv, timeout_seconds=60):
    """Runs argv under GNU time; returns (KiB of peak RSS or None, exit code, output).

    The figure is the largest ru_maxrss of any one process in the tree that
    GNU time waited for (the kernel keeps the maximum over an exec chain and
    over waited-for children): the wrapper's unshare, sh and umount, the
    runtime and any helper process it forks (runc's `runc init`), and the
    container's /bin/true. The "unshare floor" row gives the wrapper's part.
    """
    with tempfile.NamedTemporaryFile("r") as report, tempfile.TemporaryFile() as output:
        wrapped = [gnu_time(), "-f", "%M", "-o", report.name] + argv
        pid = spawn(wrapped, output.fileno(), output.fileno())
        status = wait_for(pid, timeout_seconds)
        output.seek(0)
        text = output.read()
        lines = report.read().split("\n")
    # GNU time writes "Command exited with non-zero status N" before the
    # number when the command failed.
    numbers = [line for line in lines if line.strip().isdigit()]
    return (int(numbers[-1]) if numbers else None), status, text
