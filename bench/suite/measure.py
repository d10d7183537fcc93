"""One timed run of a command: wall time, exit status, output, memory.

The command runs in a session of its own so that a timeout or Ctrl-C can
stop it and everything it started (os.killpg). For the idle workload the
memory of the whole process tree (launcher, runtime, VMM with guest RAM,
the workload) is sampled every 0.2 s for the whole run and the peak kept:
the sum of each process's proportional set size (/proc/PID/smaps_rollup
"Pss:"), so shared pages are counted once across the tree.
"""

import os
import signal
import subprocess
import threading
import time


def _children(pid):
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    except OSError:
        pass
    return found


def tree_pss_kib(root):
    """The summed PSS (KiB) of `root` and all its descendants, or None."""
    total, seen, todo = 0, set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
        todo += _children(pid)
    return total or None


def run(argv, timeout, sample_every=None, env=None, extra_roots=None):
    """Runs argv; returns a dict: wall_s, status, timed_out, stdout, stderr, memory_kib.

    `sample_every` (seconds): sample the tree's memory at that interval for
    the whole run and report the peak (a VM boots before its workload
    starts, so a single sample at a fixed time would miss the idle phase).
    `extra_roots`: a callable giving more process ids whose trees belong to
    the run (libvirt's QEMU and daemons, which are not our descendants).
    Raises KeyboardInterrupt after killing the process group.
    """
    start = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, env=env)
    memory, chunks = None, {"out": [], "err": []}
    try:
        if sample_every is not None:
            # Drain the pipes in threads so the sampling loop can poll.
            readers = [threading.Thread(target=lambda f=f, k=k: chunks[k].append(f.read()))
                       for f, k in ((process.stdout, "out"), (process.stderr, "err"))]
            for reader in readers:
                reader.start()
            while process.poll() is None and time.monotonic() - start < timeout:
                sample = tree_pss_kib(process.pid)
                for root in (extra_roots() if extra_roots else []):
                    sample = (sample or 0) + (tree_pss_kib(root) or 0)
                if sample is not None and (memory is None or sample > memory):
                    memory = sample
                time.sleep(sample_every)
            timed_out = process.poll() is None
            if timed_out:
                kill_group(process)
            process.wait()
            for reader in readers:
                reader.join()
            out, err = b"".join(chunks["out"]), b"".join(chunks["err"])
        else:
            try:
                out, err = process.communicate(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                kill_group(process)
                out, err = process.communicate()
                timed_out = True
    except BaseException:
        kill_group(process)
        process.wait()
        raise
    return {"wall_s": time.monotonic() - start, "status": process.returncode,
            "timed_out": timed_out, "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace"), "memory_kib": memory}


def kill_group(process):
    """SIGTERM to the run's session (containers and VMs stop cleanly), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
