"""What the suite runs: the workloads, their metrics and the named suites.

Each workload is a subcommand of bench/workload that prints one JSON line;
a metric is one number of that line. `higher_is_better` decides the
direction of the ratio to native (report.py: ratio > 1 is faster than
native, < 1 slower, as in Felter et al.'s relative-performance figures).
Two workloads are measured by the harness rather than by the workload:
start-up (wall time of `workload nop`, launcher included) and idle memory
(the peak proportional set size of everything the environment started).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metric:
    name: str              # key in the workload's JSON line (or the harness's)
    label: str             # row label in the report
    unit: str
    higher_is_better: bool


@dataclass(frozen=True)
class Workload:
    name: str
    args: tuple            # the workload binary's arguments (full suite)
    quick_args: tuple      # the same, for --quick
    metrics: tuple
    kind: str = "runtime"  # runtime (main table), startup or memory
    timeout: int = 120     # seconds one run may take (full suite)
    notes: tuple = field(default_factory=tuple)
    needs_peer: bool = False  # a client of `workload net-server` (network.py)


STARTUP_MS = Metric("startup_ms", "start-up to exit", "ms", False)
MEMORY_KIB = Metric("memory_kib", "peak memory running idle (PSS)", "KiB", False)

WORKLOADS = {
    "startup": Workload("startup", ("nop",), ("nop",), (STARTUP_MS,), kind="startup", timeout=120),
    "cpu": Workload("cpu", ("cpu", "--seconds", "2"), ("cpu", "--seconds", "0.4"), (
        Metric("sieve_per_s", "cpu: integer sieve to 4M", "sieves/s", True),
        Metric("matmul_mflops", "cpu: 192x192 matrix product", "MFLOP/s", True))),
    "stream": Workload("stream", ("stream", "--size-mib", "64", "--iterations", "10"),
                       ("stream", "--size-mib", "32", "--iterations", "3"), (
        Metric("copy_mb_s", "STREAM copy", "MB/s", True),
        Metric("scale_mb_s", "STREAM scale", "MB/s", True),
        Metric("add_mb_s", "STREAM add", "MB/s", True),
        Metric("triad_mb_s", "STREAM triad", "MB/s", True))),
    "gups": Workload("gups", ("gups", "--size-mib", "256", "--seconds", "2"),
                     ("gups", "--size-mib", "64", "--seconds", "0.4"), (
        Metric("mups", "random access (GUPS)", "M updates/s", True),)),
    "syscall": Workload("syscall", ("syscall", "--seconds", "1"), ("syscall", "--seconds", "0.2"), (
        Metric("getpid_ns", "syscall: getpid", "ns", False),
        Metric("pipe_rw_ns", "syscall: pipe write+read", "ns", False))),
    "forkexec": Workload("forkexec", ("forkexec", "--seconds", "1"),
                         ("forkexec", "--seconds", "0.3"), (
        Metric("fork_wait_us", "fork + wait", "us", False),
        Metric("forkexec_us", "fork + exec + wait", "us", False))),
    "fileio": Workload("fileio", ("fileio", "--size-mib", "128", "--seconds", "2", "--dir", "/tmp"),
                       ("fileio", "--size-mib", "16", "--seconds", "0.3", "--dir", "/tmp"), (
        Metric("seq_write_mb_s", "file: sequential write", "MB/s", True),
        Metric("seq_read_mb_s", "file: sequential read", "MB/s", True),
        Metric("rand_read_iops", "file: 4 KiB random read", "IOPS", True))),
    "idle": Workload("idle", ("idle", "--seconds", "4"), ("idle", "--seconds", "1.5"), (MEMORY_KIB,),
                     kind="memory"),
    # network.py fills in {host} and {port}: the peer runs natively, in a
    # network namespace of the run's own.
    "net-stream": Workload(
        "net-stream", ("net-stream", "--host", "{host}", "--port", "{port}", "--seconds", "2"),
        ("net-stream", "--host", "{host}", "--port", "{port}", "--seconds", "0.5"), (
            Metric("send_mb_s", "network: TCP stream to the peer", "MB/s", True),
            Metric("recv_mb_s", "network: TCP stream from the peer", "MB/s", True)),
        needs_peer=True),
    "net-rr": Workload(
        "net-rr", ("net-rr", "--host", "{host}", "--port", "{port}", "--seconds", "2"),
        ("net-rr", "--host", "{host}", "--port", "{port}", "--seconds", "0.5"), (
            Metric("transactions_per_s", "network: 1-byte request/response", "transactions/s",
                   True),
            Metric("latency_us", "network: request/response round trip", "us", False)),
        needs_peer=True),
}

SUITES = {
    "full": ("startup", "cpu", "stream", "gups", "syscall", "forkexec", "fileio", "idle",
             "net-stream", "net-rr"),
    "quick": ("startup", "cpu", "stream", "gups", "syscall", "forkexec", "fileio", "idle"),
    "cpu": ("cpu",),
    "memory": ("stream", "gups", "idle"),
    "syscall": ("syscall", "forkexec"),
    "startup": ("startup",),
    "io": ("fileio",),
    "network": ("net-stream", "net-rr"),
}


def resolve_suite(name):
    """The workload names of suite `name`, or of a comma-separated list.

    Raises ValueError naming what is unknown.
    """
    if name in SUITES:
        return list(SUITES[name])
    names = [part.strip() for part in name.split(",") if part.strip()]
    unknown = [part for part in names if part not in WORKLOADS]
    if not names or unknown:
        raise ValueError(f"unknown suite or workload {', '.join(unknown) or repr(name)}: "
                         f"suites are {', '.join(SUITES)}; workloads are {', '.join(WORKLOADS)}")
    return names


def metric_table(names):
    """{workload: [metric dict]} for results.json (report.py needs no imports)."""
    return {name: [{"name": m.name, "label": m.label, "unit": m.unit,
                    "higher_is_better": m.higher_is_better} for m in WORKLOADS[name].metrics]
            for name in names}
