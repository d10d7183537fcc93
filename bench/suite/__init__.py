"""The benchmark suite (docs/benchmarking.md): `twinbox bench`, docs/benchmarking.md.

One static workload binary (bench/workload) runs natively, in a twinbox
container, in a twinbox VM and under crun and runc; run.py interleaves the
runs, stats.py summarises them, report.py and plots.py render the results.
Python 3 standard library only.
"""
