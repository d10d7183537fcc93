#!/usr/bin/env python3
"""twinbox bench: run the suite, re-render a report, compare two result sets.

  run.py run --twinbox BIN --workload BIN [--quick] [--suite NAME] [--out DIR]
             [--runs N] [--timeout S] [--env NAME ...]
  run.py report DIR         re-render DIR/report.md and the plots from results.json
  run.py compare OLD NEW    what changed between two results directories

`run` prepares every environment (skipping, with the reason, those that
cannot run here), then for each workload does warm-up + measured rounds,
interleaved: round r starts with environment r mod n (A B C, B C A, ...),
so drift on a loaded machine hits every environment alike. A failed or
timed-out run is recorded with its output and the run goes on; Ctrl-C
stops the current run, cleans up, and still writes the partial report.
Writes results.json, report.md and the plots to --out.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import sys
import time

# The package lives in bench/suite; bench/ goes on the path, this directory
# comes off it (bench/container has a report.py of its own, which its
# container_bench imports as `report`).
sys.dont_write_bytecode = True
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

from suite import (environments, host, measure, network, plots, report, stats,  # noqa: E402
                   workloads)
from suite import where  # noqa: E402


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_workload_line(stdout):
    """The last line of stdout that is a JSON object, or None."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def user_command():
    """The `twinbox bench ...` command line, without the paths cli/bench.cpp adds."""
    words, skip = ["twinbox", "bench"], False
    for word in sys.argv[2:]:
        if skip:
            skip = False
        elif word in ("--twinbox", "--workload", "--testhost", "--work"):
            skip = True
        elif word == "--inside-testhost":
            continue
        else:
            words.append(word)
    return " ".join(words)


def one_run(environment, workload, arguments, peer=None):
    """Runs one workload once; returns (values dict or None, failure dict or None).

    `peer`: the network.Peer the network workloads connect to.
    """
    args = workload.quick_args if arguments.quick else workload.args
    timeout = arguments.timeout or workload.timeout
    sample = 0.2 if workload.kind == "memory" else None
    argv = peer.argv(environment, list(args)) if peer else environment.argv(list(args))
    try:
        result = measure.run(argv, timeout, sample_every=sample,
                             extra_roots=environment.memory_roots)
        result["status"] = environment.exit_status(result)  # a VMM's status is not the guest's
    finally:
        environment.after_run()
    output = (result["stdout"] + result["stderr"])[-2000:]
    if result["timed_out"]:
        return None, {"why": f"timed out after {timeout} s", "output": output, "argv": argv}
    if result["status"] != 0:
        return None, {"why": f"exit status {result['status']}", "output": output, "argv": argv}
    if workload.kind == "startup":
        return {"startup_ms": result["wall_s"] * 1000}, None
    line = parse_workload_line(result["stdout"])
    if line is None:
        return None, {"why": "no JSON line on stdout", "output": output, "argv": argv}
    if workload.kind == "memory":
        if result["memory_kib"] is None:
            return None, {"why": "no memory sample (the run ended within 0.2 s)",
                          "output": output, "argv": argv}
        line["memory_kib"] = result["memory_kib"]
    line["wall_s"] = result["wall_s"]
    return line, None


def sanity_check(env):
    """One untimed `workload nop`; raises Skipped with the output's last line if it fails."""
    try:
        result = measure.run(env.argv(["nop"]), 300)
        result["status"] = env.exit_status(result)
    finally:
        env.after_run()
    if result["timed_out"] or result["status"] != 0:
        lines = (result["stderr"] + result["stdout"]).strip().splitlines()
        why = "timed out" if result["timed_out"] else f"exit status {result['status']}"
        raise environments.Skipped(f"the sanity run (workload nop) failed, {why}: "
                                   f"{lines[-1] if lines else 'no output'}")


class Progress:
    def __init__(self, total):
        self.total, self.done, self.start = total, 0, time.monotonic()

    def step(self, what):
        self.done += 1
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        print(f"\rbench: [{self.done}/{self.total}] {elapsed:5.0f} s elapsed, ~{left:4.0f} s left"
              f"  {what:<48.48}", end="" if sys.stderr.isatty() else "\n",
              file=sys.stderr, flush=True)


def start_peer(arguments, ready, cells, workload):
    """The network peer and the environments that can reach it.

    The others' cells are marked skipped with the reason; without a peer
    every cell is (with the peer's error).
    """
    taking_part = []
    for env in ready:
        why = network.unsupported(env)
        if why:
            cells[env.name].update(status="skipped", reason=why)
        else:
            taking_part.append(env)
    if not taking_part:
        return [], None
    peer = network.Peer(arguments.workload)
    try:
        peer.start(log)
    except network.PeerError as error:
        for env in taking_part:
            cells[env.name].update(status="skipped", reason=f"no network peer: {error}")
        return [], None
    args = workload.quick_args if arguments.quick else workload.args
    for env in list(taking_part):
        try:
            peer.argv(env, list(args))
        except (ValueError, OSError) as error:
            cells[env.name].update(status="skipped", reason=str(error))
            taking_part.remove(env)
    return taking_part, peer


def summarize_cell(cell, metrics):
    cell["summary"] = {m["name"]: stats.summarize([run.get(m["name"]) for run in cell["runs"]])
                       for m in metrics}
    if cell.get("status") == "skipped":
        return
    cell["status"] = "ok" if not cell["failures"] else ("failed" if not cell["runs"] else "partial")


def write_outputs(results, out_dir):
    results["plots"] = plots.make(results, out_dir)
    with open(os.path.join(out_dir, "results.json"), "w") as out:
        json.dump(results, out, indent=2)
    with open(os.path.join(out_dir, "report.md"), "w") as out:
        out.write(report.render(results))


def save_results(results, out_dir):
    with open(os.path.join(out_dir, "results.json.tmp"), "w") as out:
        json.dump(results, out)
    os.replace(os.path.join(out_dir, "results.json.tmp"), os.path.join(out_dir, "results.json"))


def finish_testhost_run(results, out_dir):
    results["config"]["command"] = user_command()
    write_outputs(results, out_dir)
    log(f"results in {out_dir}/results.json, report in {out_dir}/report.md")
    print(report.render(results))


def run_suite(arguments):
    names = workloads.resolve_suite(arguments.suite or ("quick" if arguments.quick else "full"))
    runs = arguments.runs or (3 if arguments.quick else 5)
    warmup = 1
    out_dir = os.path.abspath(arguments.out or os.path.join(
        "bench-results", datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    work_dir = arguments.work or os.path.join(out_dir, "work")
    os.makedirs(work_dir, exist_ok=True)
    backend = where.kvm_backend()
    tools = {"twinbox": [arguments.twinbox, "--version"], "crun": ["crun", "--version"],
             "runc": ["runc", "--version"], "gnuplot": ["gnuplot", "--version"]}
    results = {"schema": 1, "host": host.describe(tools), "interrupted": False,
               "config": {"command": user_command(), "suite": names,
                          "quick": arguments.quick, "runs": runs, "warmup": warmup},
               "metrics": workloads.metric_table(names), "environments": {}, "results": {}}
    envs = environments.make(arguments.env or environments.ALL, arguments.twinbox,
                             arguments.workload)
    ready, peer = [], None
    try:
        for env in envs:
            try:
                env.prepare(work_dir, log)
                sanity_check(env)
                ready.append(env)
                results["environments"][env.name] = {
                    "status": "ok", "description": env.description,
                    # the KVM backend behind this environment's figures, and where they ran
                    "kvm": backend["label"] if env.name in environments.BOOTS_LINUX else "not used",
                    "ran_in": "the nested test host (QEMU TCG L1)" if arguments.inside_testhost
                    else ("this host, itself a VM" if backend["nested"] else "this host")}
                log(f"{env.name}: ready ({env.description})")
            except (environments.Skipped, OSError) as reason:
                results["environments"][env.name] = {"status": "skipped", "reason": str(reason)}
                log(f"{env.name}: skipped: {reason}")
        progress = Progress(len(names) * (runs + warmup) * len(ready))
        for name in names:
            workload = workloads.WORKLOADS[name]
            metrics = results["metrics"][name]
            cells = results["results"].setdefault(name, {})
            for env in ready:
                cells[env.name] = {"runs": [], "failures": []}
            taking_part = ready
            if workload.needs_peer:  # the network workloads (network.py)
                taking_part, peer = start_peer(arguments, ready, cells, workload)
                progress.total -= (warmup + runs) * (len(ready) - len(taking_part))
            for round_index in range(warmup + runs):
                shift = round_index % len(taking_part) if taking_part else 0
                for env in taking_part[shift:] + taking_part[:shift]:
                    values, failure = one_run(env, workload, arguments, peer)
                    cell = cells[env.name]
                    if failure:
                        failure["round"] = round_index
                        cell["failures"].append(failure)
                    elif round_index >= warmup:
                        cell["runs"].append(values)
                    progress.step(f"{name} in {env.name}"
                                  f"{' (warm-up)' if round_index < warmup else ''}"
                                  f"{' FAILED' if failure else ''}")
                    summarize_cell(cell, metrics)
                    if arguments.inside_testhost:  # the outer run renders what is there on Ctrl-C
                        save_results(results, out_dir)
            if peer:
                peer.stop()
                peer = None
    except KeyboardInterrupt:
        results["interrupted"] = True
        print(file=sys.stderr)
        log("interrupted: cleaning up and writing the partial report")
    finally:
        if peer:
            peer.stop()
        for env in envs:
            env.cleanup()
        shutil.rmtree(work_dir, ignore_errors=True)
    print(file=sys.stderr)
    write_outputs(results, out_dir)
    log(f"results in {out_dir}/results.json, report in {out_dir}/report.md")
    print(report.render(results))
    return 130 if results["interrupted"] else 0


def load(directory):
    path = os.path.join(directory, "results.json")
    try:
        with open(path) as results:
            return json.load(results)
    except (OSError, ValueError) as error:
        log(f"cannot read {path}: {error.__class__.__name__}: {error} - give a directory "
            f"that `twinbox bench --out` wrote")
        sys.exit(125)


class Parser(argparse.ArgumentParser):
    """Bad input: one line on stderr and twinbox's own exit status, 125."""

    def error(self, message):
        log(f"{message} - see 'twinbox bench --help'")
        sys.exit(125)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    # Ctrl-C and SIGTERM (a timeout around the whole run) both stop the current
    # run, clean up and write the partial report; installed explicitly because a
    # shell's background job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    # `twinbox bench compare A B | head`: end quietly (twinbox ignored SIGPIPE).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = Parser(prog="twinbox bench", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suite")
    run.add_argument("--twinbox", required=True, help="the twinbox binary")
    run.add_argument("--workload", required=True, help="the workload binary (bench/workload)")
    run.add_argument("--quick", action="store_true")
    run.add_argument("--suite", help=f"one of {', '.join(workloads.SUITES)}, micro, or workloads a,b,c")
    run.add_argument("--out", help="results directory")
    run.add_argument("--runs", type=int, help="measured runs per cell (default 5, quick 3)")
    run.add_argument("--timeout", type=int, help="seconds one run may take")
    run.add_argument("--env", action="append", choices=environments.ALL,
                     help="only this environment (repeatable)")
    run.add_argument("--where", choices=("auto", "here", "testhost"), default="auto",
                     help="auto: inside the nested test host when /dev/kvm cannot boot Linux")
    run.add_argument("--testhost", help="tests/testhost/testhost.sh (cli/bench.cpp passes it)")
    run.add_argument("--work", help=argparse.SUPPRESS)  # scratch directory (the test host's tmpfs)
    run.add_argument("--inside-testhost", action="store_true", help=argparse.SUPPRESS)
    rerender = commands.add_parser("report", help="re-render report.md and plots")
    rerender.add_argument("dir")
    compare = commands.add_parser("compare", help="compare two results directories")
    compare.add_argument("old")
    compare.add_argument("new")
    arguments = parser.parse_args()
    if arguments.command == "report":
        results = load(arguments.dir)
        write_outputs(results, os.path.abspath(arguments.dir))
        print(report.render(results))
        return 0
    if arguments.command == "compare":
        print("\n".join(report.compare(load(arguments.old), load(arguments.new))))
        return 0
    if arguments.runs is not None and arguments.runs < 1:
        parser.error("--runs must be at least 1")
    if arguments.suite == "micro":  # Google Benchmark micro-benchmarks (bench/micro)
        from suite import micro
        return micro.run_suite(arguments, log)
    try:
        workloads.resolve_suite(arguments.suite or "full")
    except ValueError as error:
        parser.error(str(error))
    if not os.access(arguments.workload, os.X_OK):
        parser.error(f"no workload binary at {arguments.workload} - build the bench-workload target")
    backend = where.kvm_backend()
    if arguments.testhost:
        arguments.testhost = os.path.normpath(arguments.testhost)
    try:
        selected = arguments.env or environments.ALL
        mode = where.decide(arguments.where, backend, arguments.testhost, os.geteuid() == 0,
                            any(name in environments.BOOTS_LINUX for name in selected))
    except ValueError as error:
        parser.error(str(error))
    if mode == "testhost":
        tools = {"twinbox": [arguments.twinbox, "--version"]}
        return where.run_in_testhost(arguments, os.path.abspath(__file__), sys.executable,
                                     backend, log, lambda: host.describe(tools),
                                     finish_testhost_run)
    return run_suite(arguments)


if __name__ == "__main__":
    sys.exit(main())
