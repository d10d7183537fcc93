"""bench/suite/micro.py: the micro-benchmark table and plot from fixed JSON."""

import json
import os
import shutil
import tempfile
import unittest

import fixture  # noqa: F401  (puts bench/ on the path)
from suite import micro


def gbench(backend, entries):
    """A Google Benchmark JSON document (the fields micro.py reads)."""
    return {"context": {"kvm_backend": backend},
            "benchmarks": [dict({"run_type": "iteration", "time_unit": "ns",
                                 "iterations": 10}, **entry) for entry in entries]}


EXITS = gbench("PVM", [
    {"name": "exit/kvm_run_no_entry/real_time", "run_name": "exit/kvm_run_no_entry/real_time",
     "real_time": 900.0, "batch": 0},
    {"name": "exit/pio_out/real_time", "run_name": "exit/pio_out/real_time",
     "real_time": 9.5, "time_unit": "us", "batch": 0},
    {"name": "exit/mmio_read/real_time", "run_name": "exit/mmio_read/real_time",
     "error_occurred": True, "error_message": "the guest made KVM_EXIT_HLT instead of KVM_EXIT_MMIO"},
    {"name": "exit/cpuid_batch/100/real_time", "run_name": "exit/cpuid_batch/100/real_time",
     "real_time": 1.1095, "time_unit": "ms", "batch": 100},
    {"name": "exit/guest_loop_batch/100/real_time", "run_name": "exit/guest_loop_batch/100/real_time",
     "real_time": 609.5, "time_unit": "us", "batch": 100},
])
HOST = gbench("none (no /dev/kvm)", [
    {"name": "host/getpid", "run_name": "host/getpid", "real_time": 250.0, "cpu_time": 200.0},
    {"name": "host/clone/none/real_time", "run_name": "host/clone/none/real_time",
     "real_time": 100.0, "cpu_time": 60.0, "child_cpu_ns": 40000.0, "time_unit": "us"},
    {"name": "host/clone/net/real_time", "run_name": "host/clone/net/real_time",
     "real_time": 1100.0, "cpu_time": 150.0, "child_cpu_ns": 250000.0, "time_unit": "us"},
])
COMPARE = {"kvm_backend": "PVM", "exits": 1000, "port": "0x3ff (COM1 scratch register)",
           "twinbox": {"status": "ok", "per_exit_ns": 8000.0, "per_exit_ns_from_min": 7500.0,
                       "median_ms_at_n": 60.0,
                       "median_ms_at_0": 52.0},
           "qemu": {"status": "ok", "per_exit_ns": 10000.0, "median_ms_at_n": 80.0,
                    "median_ms_at_0": 70.0}}


class MicroTest(unittest.TestCase):
    def summary(self):
        return micro.summarize({"exits": EXITS, "host": HOST, "compare": COMPARE})

    def test_derived_figures(self):
        summary = self.summary()
        # (609.5 us - 9.5 us) / (4 * 100) = 1.5 us per guest instruction
        self.assertAlmostEqual(summary["instruction_ns"], 1500.0)
        rows = {row["name"]: row for row in summary["exits"]}
        self.assertAlmostEqual(rows["exit/pio_out"]["exit_ns"], 8000.0)
        # (1109.5 - 609.5) us / 100 + 1.5 us = 6.5 us per CPUID
        self.assertAlmostEqual(rows["exit/cpuid_batch"]["exit_ns"], 6500.0)
        self.assertAlmostEqual(rows["exit/kvm_run_no_entry"]["exit_ns"], 900.0)
        self.assertIn("KVM_EXIT_HLT", rows["exit/mmio_read"]["error"])
        host = {row["name"]: row for row in summary["host"]}
        self.assertAlmostEqual(host["host/clone/net"]["extra_ns"], 1_000_000.0)
        self.assertAlmostEqual(host["host/clone/net"]["extra_cpu_ns"], 300_000.0)

    def test_markdown(self):
        markdown = micro.render_markdown(self.summary())
        lines = markdown.splitlines()
        self.assertIn("VM exits, KVM backend **PVM**.", markdown)
        self.assertIn("Guest instruction (from guest_loop_batch): 1500.0 ns "
                      "(PVM emulates guest ring-0 code)", lines)
        self.assertIn("| port I/O out | twinbox (user space) | 9.50 | 1 | 8.00 |", lines)
        self.assertIn("| CPUID (in kernel) | KVM (kernel) | 1109.50 | 100 | 6.50 |", lines)
        self.assertIn("| MMIO read | twinbox (user space) | error: the guest made KVM_EXIT_HLT "
                      "instead of KVM_EXIT_MMIO | | |", lines)
        self.assertIn("| twinbox | 8.00 | 7.50 | 60.0 | 52.0 |", lines)
        self.assertIn("| qemu | 10.00 | - | 80.0 | 70.0 |", lines)
        self.assertIn("twinbox / QEMU = 0.80 from the medians (target: at most 1.00, met).", lines)
        self.assertIn("| getpid(2) | 0.25 | - | 0.20 | - |", lines)
        self.assertIn("| ... + network namespace | 1100.00 | 1000.00 | 400.00 | 300.00 |", lines)

    def test_missing_comparison_is_said(self):
        summary = micro.summarize({"exits": EXITS, "host": None, "compare": None})
        self.assertIn("No QEMU comparison (exit_compare.json is missing).",
                      micro.render_markdown(summary))

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_render_writes_markdown_and_plots(self):
        with tempfile.TemporaryDirectory() as directory:
            for name, document in (("exits", EXITS), ("host", HOST), ("exit_compare", COMPARE)):
                with open(os.path.join(directory, f"{name}.json"), "w") as out:
                    json.dump(document, out)
            markdown = micro.render(directory)
            self.assertIn("![VM exit cost by kind](exits.svg)", markdown)
            with open(os.path.join(directory, "micro.md")) as written:
                self.assertEqual(written.read(), markdown)
            for extension in ("svg", "png"):
                self.assertGreater(os.path.getsize(os.path.join(directory, f"exits.{extension}")),
                                   1000)
            with open(os.path.join(directory, "exits.dat")) as dat:
                lines = dat.read().splitlines()
            self.assertIn('"port I/O out" 8.0000', lines)
            self.assertIn('"getpid(2) syscall" 0.2500', lines)
            self.assertIn('"QEMU port I/O out (vm run)" 10.0000', lines)


if __name__ == "__main__":
    unittest.main()
