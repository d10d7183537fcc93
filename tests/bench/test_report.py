"""bench/suite/report.py: a known results table renders to known Markdown."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import fixture
from suite import report

RUN_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "suite",
                      "run.py")


class ReportTest(unittest.TestCase):
    def test_main_table(self):
        self.assertEqual(report.main_table(fixture.results()), [
            "| workload | unit | native | crun |",
            "|---|---|---:|---:|",
            "| STREAM copy | MB/s, higher is better | 11,000 (1.00) | 8,250 (0.75) |",
            "| syscall: getpid | ns, lower is better | 50 (1.00) | failed |",
        ])

    def test_startup_and_memory_tables(self):
        self.assertEqual(report.startup_table(fixture.results()), [
            "| environment | median ms | min ms | max ms | runs | vs native |",
            "|---|---:|---:|---:|---:|---:|",
            "| native | 2 | 1 | 3 | 3 | 1.0x |",
            "| crun | 110 | 100 | 120 | 2 | 55.0x |",
        ])
        self.assertEqual(report.memory_table(fixture.results())[2:], [
            "| native | 700 | 0 |",
            "| crun | 1,900 | 1,200 |",
        ])

    def test_skips_failures_and_host_are_reported(self):
        text = report.render(fixture.results())
        self.assertIn("- twinbox-vm: **skipped**: no /dev/kvm", text)
        self.assertIn("- syscall in crun: exit status 1 (1 run(s)); output: `boom failed`", text)
        self.assertIn("nested virtualisation (hypervisor CPU flag): yes; KVM backend: PVM", text)
        self.assertNotIn("Interrupted", text)
        interrupted = fixture.results()
        interrupted["interrupted"] = True
        self.assertIn("**Interrupted: partial results.**", report.render(interrupted))

    def test_fmt(self):
        self.assertEqual([report.fmt(v) for v in (None, 0, 1234.6, 12.34, 1.234)],
                         ["-", "0", "1,235", "12.3", "1.23"])

    def test_compare(self):
        old, new = fixture.results(), fixture.results()
        new["results"]["stream"]["crun"]["summary"]["copy_mb_s"]["median"] = 9075.0
        lines = report.compare(old, new)
        self.assertIn("| STREAM copy (MB/s) | crun | 8,250 | 9,075 | +10.0% |", lines)
        self.assertIn("| start-up to exit (ms) | native | 2 | 2 | +0.0% |", lines)

    def test_report_command_rerenders(self):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "results.json"), "w") as out:
                json.dump(fixture.results(), out)
            result = subprocess.run([sys.executable, RUN_PY, "report", directory],
                                    capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(directory, "report.md")) as markdown:
                self.assertIn("| STREAM copy | MB/s, higher is better | 11,000 (1.00) | "
                              "8,250 (0.75) |", markdown.read())

    def test_report_command_bad_directory(self):
        result = subprocess.run([sys.executable, RUN_PY, "report", "/nonexistent-bench-dir"],
                                capture_output=True, text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("cannot read /nonexistent-bench-dir/results.json", result.stderr)


if __name__ == "__main__":
    unittest.main()
