"""Benchmark (run by hand, not a test): the default job's ensemble as a user runs it.

Times ``sim run --runs 100 --no-figures`` on the default scenario (tables only: start-up,
imports, scenario load, the runs, the tables and the manifest) as a whole process, with 2 worker
processes (aim: at most 8 s wall on two cores) and with 1, whose ratio is the parallel
efficiency (aim: at least 85% on an otherwise idle machine), beside ``python -c pass`` measured
in the same run, and the machine's load average before and after::

    python3 benchmarks/bench_run.py [--repeat 3] [--runs 100]

The quick commands' start-up is measured by bench_startup.py, a scenario load by bench_load.py,
a month step by bench_model.py and the drawing of figures by bench_figures.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "history_2018_2023.yaml"


def sim_command() -> list[str]:
    """The installed ``sim`` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.cli"]


def wall_seconds(command: list[str], repeat: int, cwd: Path) -> float:
    """Median wall time of ``command`` over ``repeat`` runs (after one warm-up run)."""
    times = []
    for k in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if k:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    sim = sim_command()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(load())
        base = wall_seconds([sys.executable, "-c", "pass"], args.repeat, work)
        print(f"baseline python -c pass: {base:.3f} s")
        rows = []
        seconds = {}
        for workers in (1, 2):
            out = work / f"run{workers}"
            command = [*sim, "run", str(SCENARIO), "--runs", str(args.runs), "--no-figures",
                       "--quiet", "--workers", str(workers), "--out", str(out), "--force"]
            times = []
            for _ in range(args.repeat):
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
            seconds[workers] = statistics.median(times)
        rows.append((f"sim run --runs {args.runs} --no-figures, 1 worker", seconds[1], None))
        rows.append((f"sim run --runs {args.runs} --no-figures, 2 workers", seconds[2], 8.0))
        print(f"{'command':<46}{'seconds':>9}{'x baseline':>12}{'aim (s)':>9}")
        for name, value, aim in rows:
            shown = f"{aim:g}" if aim else "-"
            print(f"{name:<46}{value:>9.3f}{value / base:>12.1f}{shown:>9}")
        print(f"parallel efficiency of sim run, 1 -> 2 workers: "
              f"{seconds[1] / (2 * seconds[2]):.0%} (aim: at least 85% on an idle machine)")
        print(load())
    return 0


if __name__ == "__main__":
    sys.exit(main())
