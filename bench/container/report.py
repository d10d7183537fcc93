"""Statistics and the result table of the container benchmark (container_bench.py)."""

import statistics


def summary(values):
    """Median, min, max and count of a list of numbers (None if empty)."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def ratio(value, reference):
    """value's median over reference's, or None."""
    if not value or not reference or reference["median"] == 0:
        return None
    return value["median"] / reference["median"]


def format_ms(value):
    if not value:
        return "-"
    return f"{value['median']:.1f} ({value['min']:.1f}-{value['max']:.1f})"


def format_mib(value):
    """KiB figures shown in MiB, as ENVIRONMENT.md and docs/benchmarks.md give them."""
    if not value:
        return "-"
    return (f"{value['median'] / 1024:.1f} ({value['min'] / 1024:.1f}-"
            f"{value['max'] / 1024:.1f})")


def format_ratio(found):
    return f"{found:.2f}x" if found is not None else "-"


def table_rows(participants, times, peaks, reference):
    """One row per participant: start to exit and peak RSS, each with its ratio to `reference`."""
    time_reference = summary(times.get(reference, []))
    rss_reference = summary(peaks.get(reference, []))
    rows = []
    for name in participants:
        start = summary(times.get(name, []))
        peak = summary(peaks.get(name, []))
        rows.append({
            "participant": name,
            "start_to_exit_ms": format_ms(start),
            "runs": str(start["runs"]) if start else "0",
            "time_ratio": format_ratio(ratio(start, time_reference)),
            "peak_rss_mib": format_mib(peak),
            "rss_runs": str(peak["runs"]) if peak else "0",
            "rss_ratio": format_ratio(ratio(peak, rss_reference)),
        })
    return rows


def render_table(rows, reference):
    """A Markdown table, also readable as plain text."""
    headers = ["participant", "start to exit, ms: median (min-max)", "runs",
               f"ratio to {reference}", "peak RSS, MiB: median (min-max)", "runs",
               f"ratio to {reference}"]
    keys = ["participant", "start_to_exit_ms", "runs", "time_ratio", "peak_rss_mib",
            "rss_runs", "rss_ratio"]
    cells = [headers] + [[row[key] for key in keys] for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    lines = []
    for index, line in enumerate(cells):
        lines.append("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths))
                     + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
