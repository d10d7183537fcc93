"""bench/suite/plots.py: SVG and PNG are produced and non-empty (needs gnuplot)."""

import os
import shutil
import tempfile
import unittest

import fixture
from suite import plots


class PlotsTest(unittest.TestCase):
    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_plots_are_made(self):
        with tempfile.TemporaryDirectory() as directory:
            outcome = plots.make(fixture.results(), directory)
            self.assertIsNone(outcome["skipped"])
            self.assertEqual(outcome["made"], ["startup", "relative", "memory"])
            for name in ("startup", "relative", "memory"):
                for extension in ("svg", "png"):
                    path = os.path.join(directory, f"{name}.{extension}")
                    self.assertGreater(os.path.getsize(path), 1000, path)
                with open(os.path.join(directory, f"{name}.svg")) as svg:
                    self.assertIn("<svg", svg.read())
                with open(os.path.join(directory, f"{name}.png"), "rb") as png:
                    self.assertEqual(png.read(8), b"\x89PNG\r\n\x1a\n")
            with open(os.path.join(directory, "relative.dat")) as dat:
                lines = dat.read().splitlines()
            self.assertEqual(lines, ['metric "native" "crun"', '"STREAM copy" 1.0000 0.7500',
                                     '"syscall: getpid" 1.0000 NaN'])

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_memory_plot_has_median_min_max_per_environment(self):
        results = fixture.results()
        results["results"]["idle"]["native"] = fixture.cell(
            [{"memory_kib": 1024}, {"memory_kib": 2048}, {"memory_kib": 4096}])
        with tempfile.TemporaryDirectory() as directory:
            outcome = plots.make(results, directory)
            self.assertIn("memory", outcome["made"])
            with open(os.path.join(directory, "memory.dat")) as dat:
                lines = dat.read().splitlines()
            self.assertEqual(lines, ["# environment median_mib min_mib max_mib",
                                     '"native" 2.000 1.000 4.000', '"crun" 1.855 1.855 1.855'])
            with open(os.path.join(directory, "memory.svg")) as svg:
                text = svg.read()
            self.assertIn("crun", text)
            self.assertIn("Peak memory", text)

    def test_no_memory_plot_without_idle_results(self):
        results = fixture.results()
        del results["results"]["idle"]
        with tempfile.TemporaryDirectory() as directory:
            self.assertFalse(plots._memory(results, directory))
            self.assertEqual(os.listdir(directory), [])

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_environment_without_values_is_left_out(self):
        results = fixture.results()
        results["environments"]["runc"] = {"status": "ok", "description": "all runs failed"}
        with tempfile.TemporaryDirectory() as directory:
            outcome = plots.make(results, directory)
            self.assertIsNone(outcome["skipped"])
            with open(os.path.join(directory, "relative.dat")) as dat:
                self.assertEqual(dat.readline().strip(), 'metric "native" "crun"')

    def test_without_gnuplot_says_why(self):
        saved = os.environ["PATH"]
        os.environ["PATH"] = "/nonexistent"
        try:
            with tempfile.TemporaryDirectory() as directory:
                outcome = plots.make(fixture.results(), directory)
        finally:
            os.environ["PATH"] = saved
        self.assertEqual(outcome["made"], [])
        self.assertIn("gnuplot is not installed", outcome["skipped"])


if __name__ == "__main__":
    unittest.main()
