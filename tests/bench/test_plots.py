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
            self.assertEqual(outcome["made"], ["startup", "relative"])
            for name in ("startup", "relative"):
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
