"""bench/suite/stats.py on fixed inputs."""

import unittest

import fixture  # noqa: F401  (puts bench/ on sys.path)
from suite import stats


class StatsTest(unittest.TestCase):
    def test_median_odd_even_and_none(self):
        self.assertEqual(stats.median([3, 1, 2]), 2)
        self.assertEqual(stats.median([4, 1, 3, 2]), 2.5)
        self.assertEqual(stats.median([None, 5, None]), 5)
        self.assertIsNone(stats.median([]))
        self.assertIsNone(stats.median([None]))

    def test_summarize(self):
        self.assertEqual(stats.summarize([5, None, 1, 3]),
                         {"median": 3, "min": 1, "max": 5, "count": 3})
        self.assertEqual(stats.summarize([None]),
                         {"median": None, "min": None, "max": None, "count": 0})

    def test_ratio_direction(self):
        self.assertEqual(stats.ratio(50.0, 100.0, higher_is_better=True), 0.5)
        # Twice the time of native is half its performance.
        self.assertEqual(stats.ratio(200.0, 100.0, higher_is_better=False), 0.5)
        self.assertIsNone(stats.ratio(None, 100.0))
        self.assertIsNone(stats.ratio(1.0, None))
        self.assertIsNone(stats.ratio(1.0, 0.0))
        self.assertIsNone(stats.ratio(0.0, 1.0, higher_is_better=False))

    def test_relative_change(self):
        self.assertAlmostEqual(stats.relative_change(100.0, 110.0, True), 0.1)
        self.assertAlmostEqual(stats.relative_change(100.0, 110.0, False), -0.1)
        self.assertEqual(str(stats.relative_change(5.0, 5.0, False)), "0.0")
        self.assertIsNone(stats.relative_change(0.0, 1.0))
        self.assertIsNone(stats.relative_change(None, 1.0))


if __name__ == "__main__":
    unittest.main()
