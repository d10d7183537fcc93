"""A fixed, hand-written results.json for the suite's unit tests."""

import os
import sys

# bench/ on the path, so that `suite` is the package bench/suite.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))


def cell(runs, failures=()):
    from suite import stats
    names = sorted({key for run in runs for key in run})
    return {"runs": runs, "failures": list(failures), "status": "ok" if runs else "failed",
            "summary": {name: stats.summarize([run.get(name) for run in runs]) for name in names}}


def results():
    return {
        "schema": 1,
        "host": {"date": "2026-01-01T00:00:00+00:00", "cpu_model": "Test CPU", "cpus": 2,
                 "memory_mib": 1024, "os": "Debian", "kernel": "6.1", "cgroups": "v2",
                 "nested_virtualisation": True, "kvm_backend": "PVM",
                 "load_average_at_start": [1.0, 1.0, 1.0], "tools": {"crun": "crun 1.8"}},
        "config": {"command": "twinbox bench --quick", "runs": 3, "warmup": 1},
        "interrupted": False,
        "metrics": {
            "startup": [{"name": "startup_ms", "label": "start-up to exit", "unit": "ms",
                         "higher_is_better": False}],
            "stream": [{"name": "copy_mb_s", "label": "STREAM copy", "unit": "MB/s",
                        "higher_is_better": True}],
            "syscall": [{"name": "getpid_ns", "label": "syscall: getpid", "unit": "ns",
                         "higher_is_better": False}],
            "idle": [{"name": "memory_kib", "label": "memory while idle (PSS)", "unit": "KiB",
                      "higher_is_better": False}],
        },
        "environments": {
            "native": {"status": "ok", "description": "workload run directly"},
            "crun": {"status": "ok", "description": "crun run"},
            "twinbox-vm": {"status": "skipped", "reason": "no /dev/kvm"},
        },
        "results": {
            "startup": {"native": cell([{"startup_ms": 2.0}, {"startup_ms": 1.0},
                                        {"startup_ms": 3.0}]),
                        "crun": cell([{"startup_ms": 100.0}, {"startup_ms": 120.0}])},
            "stream": {"native": cell([{"copy_mb_s": 10000.0}, {"copy_mb_s": 12000.0}]),
                       "crun": cell([{"copy_mb_s": 8250.0}])},
            "syscall": {"native": cell([{"getpid_ns": 50.0}]),
                        "crun": cell([], [{"why": "exit status 1", "output": "boom\nfailed"}])},
            "idle": {"native": cell([{"memory_kib": 700}]), "crun": cell([{"memory_kib": 1900}])},
        },
    }
