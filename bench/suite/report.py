"""results.json -> report.md: the Felter-style tables and the host block.

Main table: one row per workload metric, one column per environment, each
cell "median (ratio)" where the ratio is the performance relative to native
(stats.ratio: 1.00 = native, 0.50 = half as fast, whatever the unit).
Start-up and idle memory get tables of their own: their absolute figures
and the difference to native matter more than a ratio.
"""

from . import stats


def fmt(value):
    """A number with about three significant digits; '-' for None."""
    if value is None:
        return "-"
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e15:
        return f"{int(value):,}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(results, workload, environment):
    return results.get("results", {}).get(workload, {}).get(environment)


def _median(cell, metric):
    if not cell or cell.get("status") == "skipped":
        return None
    return cell.get("summary", {}).get(metric, {}).get("median")


def ran_environments(results):
    return [name for name, env in results.get("environments", {}).items()
            if env.get("status") == "ok"]


def main_table(results):
    environments = ran_environments(results)
    lines = ["| workload | unit | " + " | ".join(environments) + " |",
             "|---|---|" + "---:|" * len(environments)]
    for workload, metrics in results.get("metrics", {}).items():
        if workload in ("startup", "idle"):
            continue
        for metric in metrics:
            reference = _median(_cell(results, workload, "native"), metric["name"])
            cells = []
            for environment in environments:
                cell = _cell(results, workload, environment)
                value = _median(cell, metric["name"])
                if value is None:
                    cells.append("failed" if cell and cell.get("status") == "failed" else "-")
                    continue
                r = stats.ratio(value, reference, metric["higher_is_better"])
                cells.append(f"{fmt(value)} ({r:.2f})" if r is not None else fmt(value))
            arrow = "higher is better" if metric["higher_is_better"] else "lower is better"
            lines.append(f"| {metric['label']} | {metric['unit']}, {arrow} | "
                         + " | ".join(cells) + " |")
    return lines


def startup_table(results):
    lines = ["| environment | median ms | min ms | max ms | runs | vs native |",
             "|---|---:|---:|---:|---:|---:|"]
    native = _median(_cell(results, "startup", "native"), "startup_ms")
    for environment in ran_environments(results):
        cell = _cell(results, "startup", environment)
        summary = (cell or {}).get("summary", {}).get("startup_ms")
        if not summary or summary["median"] is None:
            continue
        times = (f"{summary['median'] / native:.1f}x" if native else "-")
        lines.append(f"| {environment} | {fmt(summary['median'])} | {fmt(summary['min'])} | "
                     f"{fmt(summary['max'])} | {summary['count']} | {times} |")
    return lines


def memory_table(results):
    lines = ["| environment | peak PSS running idle, KiB (median) | overhead over native, KiB |",
             "|---|---:|---:|"]
    native = _median(_cell(results, "idle", "native"), "memory_kib")
    for environment in ran_environments(results):
        value = _median(_cell(results, "idle", environment), "memory_kib")
        if value is None:
            continue
        overhead = value - native if native is not None else None
        lines.append(f"| {environment} | {fmt(value)} | {fmt(overhead)} |")
    return lines


def host_block(results):
    host = results.get("host", {})
    config = results.get("config", {})
    lines = [f"- date: {host.get('date', '?')}; command: `{config.get('command', '?')}`",
             f"- CPU: {host.get('cpu_model', '?')} ({host.get('cpus', '?')} CPUs), "
             f"{host.get('memory_mib', '?')} MiB; load average at start: "
             f"{host.get('load_average_at_start', '?')}",
             f"- OS: {host.get('os', '?')}, kernel {host.get('kernel', '?')}; cgroups "
             f"{host.get('cgroups', '?')}",
             f"- nested virtualisation (hypervisor CPU flag): "
             f"{'yes' if host.get('nested_virtualisation') else 'no'}; KVM backend: "
             f"{host.get('kvm_backend', '?')}",
             f"- runs: {config.get('runs', '?')} measured + {config.get('warmup', '?')} warm-up per "
             f"workload and environment, interleaved (each environment goes first in turn)"]
    for name, version in host.get("tools", {}).items():
        lines.append(f"- {name}: {version or 'not found'}")
    where = config.get("where")
    if isinstance(where, dict) and where.get("mode") == "testhost":  # run.py --where testhost
        outer = results.get("outer_host", {})
        lines.append(f"- **nested virtualisation**: {where.get('how', '')}. The host above is "
                     f"that test host; it ran on {outer.get('cpu_model', '?')}, kernel "
                     f"{outer.get('kernel', '?')}, whose /dev/kvm is "
                     f"{where.get('outer_kvm_backend', '?')} ({where.get('testhost_seconds', '?')} s)")
    return lines


def environment_lines(results):
    lines = []
    for name, env in results.get("environments", {}).items():
        text = env.get("description") if env.get("status") == "ok" else \
            f"**skipped**: {env.get('reason', '')}"
        if env.get("status") == "ok" and env.get("kvm"):  # the backend of its figures
            text += f" [KVM: {env['kvm']}; ran in {env.get('ran_in', '?')}]"
        lines.append(f"- {name}: {text}")
    return lines


def failure_lines(results):
    lines = []
    for workload, cells in results.get("results", {}).items():
        for environment, cell in cells.items():
            for failure in cell.get("failures", [])[:1]:
                output = " ".join(failure.get("output", "").split())[-300:]
                lines.append(f"- {workload} in {environment}: {failure.get('why', '?')} "
                             f"({len(cell['failures'])} run(s)); output: `{output}`")
    return lines


def skipped_cell_lines(results):
    """Workloads an environment did not run, with the reason (e.g. no network set-up)."""
    return [f"- {workload} in {environment}: {cell.get('reason', 'skipped')}"
            for workload, cells in results.get("results", {}).items()
            for environment, cell in cells.items() if cell.get("status") == "skipped"]


def storage_lines(results):
    """fileio's file system and O_DIRECT per environment: the storage stack differs."""
    lines = []
    for environment, cell in results.get("results", {}).get("fileio", {}).items():
        seen = sorted({(run.get("fs", "?"), run.get("o_direct"), run.get("note", ""))
                       for run in cell.get("runs", [])}, key=str)
        for fs, direct, note in seen:
            lines.append(f"- fileio in {environment}: file on {fs}, "
                         f"{'O_DIRECT' if direct else 'buffered'}{'; ' + note if note else ''}")
    return lines


def render(results):
    """The whole report.md as one string."""
    title = "# twinbox bench: native, containers and VMs side by side"
    parts = [title, ""]
    if results.get("interrupted"):
        parts += ["**Interrupted: partial results.**", ""]
    parts += ["## Host", ""] + host_block(results) + ["", "## Environments", ""]
    parts += environment_lines(results)
    parts += ["", "## Performance relative to native",
              "", "Cells: median (performance relative to native: 1.00 = native, "
              "below 1 = slower, above 1 = faster).", ""] + main_table(results)
    parts += ["", "## Start-up (launch to exit of `workload nop`)", ""] + startup_table(results)
    parts += ["", "## Memory (peak PSS of the whole run of `workload idle`)", ""] + memory_table(results)
    storage = storage_lines(results)
    if storage:
        parts += ["", "## Storage under the file I/O workload", ""] + storage
    failures = failure_lines(results)
    if failures:
        parts += ["", "## Failed runs", ""] + failures
    skipped = skipped_cell_lines(results)
    if skipped:
        parts += ["", "## Not run", ""] + skipped
    plots = results.get("plots")
    if plots:
        parts += ["", "## Plots", ""]
        parts += [f"![{name}]({name}.svg)" for name in plots.get("made", [])]
        if plots.get("skipped"):
            parts.append(f"Plots skipped: {plots['skipped']}")
    return "\n".join(parts) + "\n"


def compare(old, new):
    """Markdown lines: each metric's old and new median and the change (+ = better)."""
    lines = ["| workload | environment | old | new | change |", "|---|---|---:|---:|---:|"]
    for workload, metrics in new.get("metrics", {}).items():
        for metric in metrics:
            for environment in ran_environments(new):
                a = _median(_cell(old, workload, environment), metric["name"])
                b = _median(_cell(new, workload, environment), metric["name"])
                if a is None and b is None:
                    continue
                change = stats.relative_change(a, b, metric["higher_is_better"])
                text = f"{change * 100:+.1f}%" if change is not None else "-"
                lines.append(f"| {metric['label']} ({metric['unit']}) | {environment} | {fmt(a)} "
                             f"| {fmt(b)} | {text} |")
    return lines
