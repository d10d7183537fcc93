"""Summary statistics for the suite: median, min, max, count and ratios.

None stands for "no value" everywhere (a failed or skipped run): it is left
out of a summary, and a ratio with a missing side is None.
"""


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def summarize(values):
    """{"median", "min", "max", "count"} of the values that are not None."""
    present = [v for v in values if v is not None]
    if not present:
        return {"median": None, "min": None, "max": None, "count": 0}
    return {"median": median(present), "min": min(present), "max": max(present),
            "count": len(present)}


def ratio(value, reference, higher_is_better=True):
    """Performance relative to `reference`: > 1 better, < 1 worse, None if unknown.

    For a higher-is-better metric (MB/s) it is value / reference; for a
    lower-is-better one (ns, ms) reference / value, so that 0.5 always means
    "half as fast as native", whatever the unit.
    """
    if value is None or reference is None:
        return None
    numerator, denominator = (value, reference) if higher_is_better else (reference, value)
    if denominator == 0:
        return None
    return numerator / denominator


def relative_change(old, new, higher_is_better=True):
    """The change from `old` to `new` as a fraction, positive when better."""
    if old is None or new is None or old == 0:
        return None
    change = (new - old) / abs(old)
    return (change if higher_is_better else -change) + 0.0  # no "-0.0%"
