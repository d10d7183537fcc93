"""Where the suite runs: here, or entirely inside the nested test host.

The VM environments (environments.BOOTS_LINUX) need a /dev/kvm that boots
Linux: Intel VMX or AMD SVM. Where /dev/kvm is PVM (this development
machine) or missing, `--where auto` (the default) re-executes the WHOLE
suite inside the test host (tests/testhost/testhost.sh: a QEMU/TCG L1 VM
with kvm-amd nested=1), so native, the containers and the VMs are measured
on the same (nested) machine and every ratio compares like with like; the
outer run then renders the report from the results.json the inner run
wrote into the shared results directory. Backend detection follows
tests/integration/with-kvm.sh.
"""

import fcntl
import os
import shlex

LOCK = "/tmp/testhost.lock"  # one test-host VM at a time on a machine
INNER_ROOT = "/dev/shm/twinbox-bench-root"  # tmpfs: can hold overlay upper dirs
INNER_WORK = "/dev/shm/twinbox-bench-work"


def cpu_info():
    """(model name, flags) of the first CPU in /proc/cpuinfo; empty strings if unreadable."""
    model, flags = "", ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name") and not model:
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = line.split(":", 1)[1]
    except OSError:
        pass
    return model, flags


def kvm_backend(modules=None, dev_kvm=None, cpu_model=None, cpu_flags=None):
    """{"kind": hardware|pvm|none|unknown, "label": "SVM (nested, under QEMU TCG)" ...}.

    The arguments default to this host's (/sys/module, /dev/kvm, /proc/cpuinfo).
    """
    if modules is None:
        modules = set(os.listdir("/sys/module")) if os.path.isdir("/sys/module") else set()
    if dev_kvm is None:
        dev_kvm = os.access("/dev/kvm", os.R_OK | os.W_OK)
    if cpu_model is None or cpu_flags is None:
        cpu_model, cpu_flags = cpu_info()
    nested = " hypervisor" in f" {cpu_flags}"
    if not dev_kvm:
        pvm = " (kvm_pvm loaded)" if "kvm_pvm" in modules else ""
        return {"kind": "none", "label": f"none (no usable /dev/kvm){pvm}", "nested": nested}
    if "kvm_pvm" in modules:
        return {"kind": "pvm", "label": "PVM", "nested": nested}
    name = "VMX" if "kvm_intel" in modules else "SVM" if "kvm_amd" in modules else None
    if name is None:
        return {"kind": "unknown", "label": "unknown", "nested": nested}
    if "TCG" in cpu_model:
        name += " (nested, emulated by QEMU TCG)"
    elif nested:
        name += " (nested)"
    return {"kind": "hardware", "label": name, "nested": nested}


def decide(where, backend, testhost, is_root, boots_linux=True):
    """'here' or 'testhost' for --where auto|here|testhost; raises ValueError why not.

    `boots_linux`: some selected environment boots a Linux guest; when none
    does (--env native --env crun ...), auto stays here."""
    if where == "here" or (where == "auto" and not boots_linux):
        return "here"
    usable = testhost and os.access(testhost, os.X_OK)
    if where == "testhost":
        if not usable:
            raise ValueError(f"--where testhost: no test host script at {testhost}")
        if not is_root:
            raise ValueError("--where testhost: the test host VM needs root")
        return "testhost"
    if backend["kind"] == "hardware" or not usable or not is_root:
        return "here"
    return "testhost"


def inner_run_argv(python, run_py, arguments, out_dir):
    """The run.py command line the test host executes (same options, --where here)."""
    argv = ["env", f"TWINBOX_ROOT={INNER_ROOT}", python, run_py, "run",
            "--twinbox", arguments.twinbox, "--workload", arguments.workload,
            "--out", out_dir, "--where", "here", "--work", INNER_WORK, "--inside-testhost"]
    if arguments.quick:
        argv.append("--quick")
    for option in ("suite", "runs", "timeout"):
        value = getattr(arguments, option)
        if value:
            argv += [f"--{option}", str(value)]
    for env in arguments.env or []:
        argv += ["--env", env]
    return argv


def testhost_argv(testhost, out_dir, timeout_s, inner, memory_mib=3072):
    """testhost.sh with the results directory shared read-write."""
    return [testhost, "--timeout", str(timeout_s), "--memory", str(memory_mib),
            "--share", out_dir, "--", "/bin/sh", "-c",
            f"rm -rf {INNER_ROOT} {INNER_WORK}; {shlex.join(inner)}"]


def suite_timeout(workload_count, env_count, runs, per_run_s=90, boot_s=900):
    """Seconds the whole inner run may take: the test host boot, image builds,
    libvirtd's cold start, then every run at worst per_run_s."""
    return boot_s + workload_count * env_count * (runs + 2) * per_run_s


class TesthostLock:
    """flock(2) on /tmp/testhost.lock, as `flock /tmp/testhost.lock testhost.sh` does."""

    def __init__(self, log):
        self.log, self.fd = log, None

    def __enter__(self):
        self.fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.log(f"waiting for the test host ({LOCK} is held by another run)")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def run_in_testhost(arguments, run_py, python, backend, log, describe_host, finish):
    """Runs the whole suite inside the test host; `finish(results, out_dir)` renders it.

    Returns the exit status. Ctrl-C/SIGTERM stop the test host (testhost.sh
    stops its QEMU on SIGTERM) and the partial results.json, which the inner
    run rewrites after every run, is still rendered.
    """
    import datetime
    import json
    import signal
    import subprocess
    import time
    out_dir = os.path.abspath(arguments.out or os.path.join(
        "bench-results", datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out_dir, exist_ok=True)
    results_path = os.path.join(out_dir, "results.json")
    if os.path.exists(results_path):
        os.unlink(results_path)
    from . import workloads
    from . import environments
    names = workloads.resolve_suite(arguments.suite or ("quick" if arguments.quick else "full"))
    runs = arguments.runs or (3 if arguments.quick else 5)
    timeout_s = suite_timeout(len(names), len(arguments.env or environments.ALL), runs)
    inner = inner_run_argv(python, run_py, arguments, out_dir)
    argv = testhost_argv(arguments.testhost, out_dir, timeout_s, inner)
    outer_host = describe_host()
    log(f"/dev/kvm here is {backend['label']}: Linux VMs cannot boot on it, so the WHOLE suite "
        f"(native and containers too, for like-with-like ratios) runs inside the nested test "
        f"host ({arguments.testhost}, QEMU TCG with nested SVM); its progress follows")
    interrupted, status = False, 125
    with TesthostLock(log):
        begin = time.monotonic()  # the test host's own time, not the wait for the lock
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            status = process.wait()
        except KeyboardInterrupt:
            interrupted = True
            log("interrupted: stopping the test host, then rendering the partial results")
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
    elapsed = time.monotonic() - begin
    try:
        with open(results_path) as results_file:
            results = json.load(results_file)
    except (OSError, ValueError) as error:
        log(f"the test host run (status {status}, {elapsed:.0f} s) wrote no results: {error}")
        return 130 if interrupted else 125
    results["interrupted"] = (results.get("interrupted", False) or interrupted
                              or status not in (0, 130))
    results["outer_host"] = outer_host
    results["config"]["where"] = {
        "mode": "testhost", "outer_kvm_backend": backend["label"],
        "testhost_status": status, "testhost_seconds": round(elapsed, 1),
        "how": "the whole suite ran inside the nested test host (tests/testhost/testhost.sh: "
               "QEMU TCG L1 with kvm-amd nested=1); every figure, native included, was "
               "measured there"}
    log(f"the test host run took {elapsed:.0f} s (status {status})")
    finish(results, out_dir)
    return 130 if interrupted else (0 if status == 0 else status)
