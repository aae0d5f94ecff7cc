"""Benchmark: the experiment runner against ``mesa.batch_run`` on the same model.

What the issue asks: run the same ensemble with this project's experiment runner
(:func:`sim.experiments.run_experiment`) and with Mesa's own ``mesa.batch_run``
(``DisputeModel`` is a Mesa model that ``batch_run`` takes as it is), on 1 and 2 processes
each, and report

- the throughput ratio (runs per second of the runner / of ``batch_run``),
- the parallel efficiency from 1 to 2 workers (speed-up / 2) of each,
- the peak memory (proportional set size of the process and all its children, sampled with
  psutil every 0.1 s) at 1,000 against 20,000 runs: the runner streams results to part files,
  so its memory should stay flat; ``batch_run`` keeps every result in a list.

The defaults are small (20 and 200 runs of the twelve-month classroom scenario) so that the
benchmark finishes in a few minutes on a shared machine. The issue's sizes::

    python3 benchmarks/bench_experiment.py --runs 1000 20000

Other options: ``--workers 1 2``, ``--scenario scenarios/thaw_2023.yaml``, ``--skip-mesa``.
Each configuration runs in a fresh child process, so that imports, caches and memory of one do
not flatter the next. This is not a test: it prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import mesa  # note: importing Mesa sets the multiprocessing start method to "spawn"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "classroom.yaml"
SEED = 1234
SAMPLE_SECONDS = 0.1


# --- one configuration, in a child process ----------------------------------------------------


def child(backend: str, runs: int, workers: int, scenario: str) -> None:
    started = time.perf_counter()
    if backend == "runner":
        _run_with_runner(runs, workers, scenario)
    else:
        _run_with_batch_run(runs, workers, scenario)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _run_with_runner(runs: int, workers: int, scenario: str) -> None:
    from sim.experiments import load_experiment, run_experiment

    with tempfile.TemporaryDirectory() as tmp:
        exp_path = Path(tmp) / "bench.yaml"
        exp_path.write_text(
            f"title: benchmark\nscenario: {scenario}\nruns: {runs}\nseed: {SEED}\n"
            "design: {kind: grid}\noutcomes:\n"
            "  cohesion: {kind: final_cohesion}\noutput: {runs_per_part: 50, figures: false}\n",
            encoding="utf-8")
        data = (str(Path(scenario).resolve().parent),)  # the scenario's own folder
        run_experiment(load_experiment(exp_path, folders=data), Path(tmp) / "out",
                       workers=workers, progress=False, figures=False, folders=data)


def _run_with_batch_run(runs: int, workers: int, scenario: str) -> None:
    """The model the Mesa way: ``mesa.batch_run(DisputeModel, ...)`` with the scenario loaded
    once (as the runner does) and its DataCollector's model reporters (the regional indices and
    the key dyads) collected every month, as the runner keeps them in runs.parquet."""
    from sim.experiments.design import run_seeds
    from sim.model import DisputeModel
    from sim.scenario import load_scenario

    seeds = run_seeds(SEED, 1, runs)[0]
    results = mesa.batch_run(DisputeModel,
                             parameters={"scenario": load_scenario(scenario), "rng": seeds},
                             number_processes=workers, iterations=1, data_collection_period=1,
                             max_steps=10_000, display_progress=False)
    assert len(results) >= runs


# --- the parent: run every configuration, watch its memory ------------------------------------


def tree_memory(pid: int) -> int:
    """Memory of a process and all its children: the proportional set size (PSS: shared pages
    split between the processes sharing them, so forked workers are not counted twice) where
    the system reports it, else the resident set size."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measure(backend: str, runs: int, workers: int, scenario: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", backend, str(runs), str(workers), scenario]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = [0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_memory(proc.pid))
            time.sleep(SAMPLE_SECONDS)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{backend} with {workers} workers and {runs} runs failed")
    seconds = json.loads(out.strip().splitlines()[-1])["seconds"]
    return {"seconds": seconds, "rate": runs / seconds, "peak_mb": peak[0] / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, nargs=2, default=[20, 200], metavar=("SMALL", "LARGE"),
                        help="the two ensemble sizes (the issue asks 1000 and 20000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    parser.add_argument("--skip-mesa", action="store_true", help="only time the runner")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        backend, runs, workers, scenario = args.child
        child(backend, int(runs), int(workers), scenario)
        return 0
    backends = ["runner"] + ([] if args.skip_mesa else ["batch_run"])
    results: dict[tuple[str, int, int], dict[str, float]] = {}
    print(f"scenario {args.scenario}; runs {args.runs}; workers {args.workers}; {load()}")
    print(f"{'backend':<10} {'workers':>7} {'runs':>7} {'seconds':>9} {'runs/s':>8} "
          f"{'peak MB':>8}  (PSS of the process tree)")
    for runs in args.runs:
        for workers in args.workers:
            for backend in backends:
                r = measure(backend, runs, workers, args.scenario)
                results[(backend, runs, workers)] = r
                print(f"{backend:<10} {workers:>7} {runs:>7} {r['seconds']:>9.1f} "
                      f"{r['rate']:>8.2f} {r['peak_mb']:>8.0f}", flush=True)
    report(results, backends, args.runs, args.workers)
    print(load())
    return 0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def report(results: dict, backends: list[str], sizes: list[int], workers: list[int]) -> None:
    large = sizes[-1]
    print()
    if "batch_run" in backends:
        for w in workers:
            ratio = results[("runner", large, w)]["rate"] / results[("batch_run", large, w)]["rate"]
            print(f"throughput ratio runner / batch_run at {large} runs, {w} workers: "
                  f"{ratio:.2f}")
    if len(workers) >= 2:
        w1, w2 = workers[0], workers[1]
        for b in backends:
            speedup = results[(b, large, w2)]["rate"] / results[(b, large, w1)]["rate"]
            print(f"parallel efficiency of {b} from {w1} to {w2} workers at {large} runs: "
                  f"{speedup / (w2 / w1):.0%} (speed-up {speedup:.2f})")
    for b in backends:
        for w in workers:
            small_mb = results[(b, sizes[0], w)]["peak_mb"]
            large_mb = results[(b, large, w)]["peak_mb"]
            print(f"peak memory of {b}, {w} workers: {small_mb:.0f} MB at {sizes[0]} runs, "
                  f"{large_mb:.0f} MB at {large} runs")


if __name__ == "__main__":
    sys.exit(main())
