"""Plots with gnuplot: .dat and .gp files next to the results, SVG and PNG.

  startup     start-up time (median ms) per environment, bars with min-max
  relative    performance relative to native per workload metric, one
              cluster per metric, one bar per environment (Felter's figures)
  memory      peak PSS running `workload idle` per environment (median MiB,
              bars with min-max): the memory each isolation costs

The .dat and .gp files stay in the results directory so a plot can be
re-drawn or restyled by hand. Without gnuplot nothing is drawn and the
reason is returned.
"""

import os
import shutil
import subprocess

from . import report, stats

TERMINALS = (("svg", "set terminal svg size 1000,560 dynamic font 'sans,11'"),
             ("png", "set terminal png size 1000,560"))


def _draw(out_dir, name, body):
    """Writes NAME.gp and runs gnuplot once per terminal; returns the files made."""
    made = []
    for extension, terminal in TERMINALS:
        script = os.path.join(out_dir, f"{name}.{extension}.gp")
        with open(script, "w") as gp:
            gp.write(f"{terminal}\nset output '{name}.{extension}'\n{body}")
        result = subprocess.run(["gnuplot", os.path.basename(script)], cwd=out_dir,
                                capture_output=True, text=True, timeout=60)
        path = os.path.join(out_dir, f"{name}.{extension}")
        if result.returncode != 0 or not os.path.exists(path) or os.path.getsize(path) == 0:
            raise RuntimeError(f"gnuplot failed on {script}: {result.stderr.strip()[-300:]}")
        made.append(path)
    return made


def _bar_chart(out_dir, name, rows, title, ylabel, tag, style=""):
    """Bars of medians with min-max error bars, one per (label, median, min, max) row."""
    if not rows:
        return False
    with open(os.path.join(out_dir, f"{name}.dat"), "w") as dat:
        dat.write(f"# environment median_{tag} min_{tag} max_{tag}\n")
        for row in rows:
            dat.write(f"\"{row[0]}\" {row[1]:.3f} {row[2]:.3f} {row[3]:.3f}\n")
    _draw(out_dir, name, (
        f"set title '{title}'\n"
        f"set ylabel '{ylabel}'\nset style fill solid 0.6\nset boxwidth 0.6\nset yrange [0:*]\n"
        "set grid ytics\nunset key\n"
        f"plot '{name}.dat' using 0:2:xtic(1) with boxes {style}, "
        "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1, "
        "'' using 0:4:(sprintf('%.1f', $2)) with labels offset 0,0.8\n"))
    return True


def _summaries(results, workload, metric, scale=1.0):
    """(environment, median, min, max) of one metric for every environment that ran it."""
    rows = []
    for environment in report.ran_environments(results):
        cell = results.get("results", {}).get(workload, {}).get(environment) or {}
        summary = cell.get("summary", {}).get(metric)
        if cell.get("status") != "skipped" and summary and summary["median"] is not None:
            rows.append((environment, summary["median"] / scale, summary["min"] / scale,
                         summary["max"] / scale))
    return rows


def _startup(results, out_dir):
    return _bar_chart(out_dir, "startup", _summaries(results, "startup", "startup_ms"),
                      "Start-up to exit of workload nop (median, min-max)", "ms", "ms")


def _relative(results, out_dir):
    environments = report.ran_environments(results)
    rows = []
    for workload, metrics in results.get("metrics", {}).items():
        if workload in ("startup", "idle"):
            continue
        for metric in metrics:
            cells = results.get("results", {}).get(workload, {})
            native = (cells.get("native") or {}).get("summary", {}).get(metric["name"], {})
            values = []
            for environment in environments:
                summary = (cells.get(environment) or {}).get("summary", {}).get(metric["name"], {})
                r = stats.ratio(summary.get("median"), native.get("median"),
                                metric["higher_is_better"])
                values.append("NaN" if r is None else f"{r:.4f}")
            rows.append((metric["label"], values))
    # gnuplot refuses a histogram column without a single value: keep only the
    # environments that have at least one ratio.
    keep = [i for i in range(len(environments)) if any(v[i] != "NaN" for _, v in rows)]
    environments = [environments[i] for i in keep]
    rows = [(label, [values[i] for i in keep]) for label, values in rows]
    if not rows or not environments:
        return False
    with open(os.path.join(out_dir, "relative.dat"), "w") as dat:
        dat.write("metric " + " ".join(f"\"{e}\"" for e in environments) + "\n")
        for label, values in rows:
            dat.write(f"\"{label}\" " + " ".join(values) + "\n")
    series = ["'relative.dat' using 2:xtic(1) title columnheader(2)"]
    series += [f"'' using {column} title columnheader({column})"
               for column in range(3, len(environments) + 2)]
    _draw(out_dir, "relative", (
        "set title 'Performance relative to native (1.0 = native, higher is better)'\n"
        "set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.7 border -1\nset yrange [0:*]\nset grid ytics\n"
        "set xtics rotate by -30 scale 0\nset key outside top right\nset bmargin 10\n"
        "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n"
        f"plot {', '.join(series)}\n"))
    return True


def _memory(results, out_dir):
    return _bar_chart(out_dir, "memory", _summaries(results, "idle", "memory_kib", 1024),
                      "Peak memory of the whole run of workload idle (PSS; median, min-max)",
                      "MiB", "mib", "lc rgb '#8060c0'")


def make(results, out_dir):
    """Draws what the results allow; returns {"made": [names], "skipped": reason or None}."""
    if not shutil.which("gnuplot"):
        return {"made": [], "skipped": "gnuplot is not installed (apt-get install gnuplot-nox)"}
    made = []
    try:
        if _startup(results, out_dir):
            made.append("startup")
        if _relative(results, out_dir):
            made.append("relative")
        if _memory(results, out_dir):
            made.append("memory")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return {"made": made, "skipped": str(error)}
    return {"made": made, "skipped": None}
