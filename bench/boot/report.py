"""Statistics and the result table of the boot benchmark (boot_bench.py)."""

import statistics


def summary(values):
    """Median, min, max and count of a list of numbers (None if empty)."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def ratio(twinbox, qemu):
    """twinbox's median over QEMU's, or None."""
    if not twinbox or not qemu or qemu["median"] == 0:
        return None
    return twinbox["median"] / qemu["median"]


def format_summary(value, unit):
    if not value:
        return "-"
    digits = 0 if unit == "KiB" else 1
    return (f"{value['median']:.{digits}f} ({value['min']:.{digits}f}-"
            f"{value['max']:.{digits}f}) {unit}, n={value['runs']}")


def table_row(metric, twinbox, qemu, unit, target="-", passed=None):
    """One row; passed is True, False, or None for rows without a target."""
    found = ratio(twinbox, qemu)
    return {
        "metric": metric,
        "twinbox": format_summary(twinbox, unit),
        "qemu": format_summary(qemu, unit),
        "ratio": f"{found:.2f}x" if found is not None else "-",
        "target": target,
        "result": "-" if passed is None else ("PASS" if passed else "FAIL"),
    }


def render_table(rows):
    """A Markdown table, also readable as plain text."""
    headers = ["metric", "twinbox median (min-max)", "QEMU median (min-max)", "ratio",
               "target", "result"]
    keys = ["metric", "twinbox", "qemu", "ratio", "target", "result"]
    cells = [headers] + [[row[key] for key in keys] for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    lines = []
    for index, line in enumerate(cells):
        lines.append("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths))
                     + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
