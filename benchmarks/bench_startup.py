"""Benchmark (run by hand, not a test): how long do the quick commands take to start?

Times ``sim --help`` and ``sim validate FILE`` (each a fresh interpreter, best of ``--repeat``)
against a bare interpreter that only starts (``python -c pass``), measured in the same run, and
prints the times, the ratios and the machine's load. The aim: each command within 0.5 s on an
idle machine. ``python3 -X importtime -m sim.cli --help`` shows where an import's time goes.

    python3 benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "sim --help": [sys.executable, "-m", "sim.cli", "--help"],
    "sim validate classroom.yaml": [sys.executable, "-m", "sim.cli", "validate",
                                    str(ROOT / "scenarios" / "classroom.yaml")],
}


def best_time(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    baseline = None
    for name, command in COMMANDS.items():
        seconds = best_time(command, args.repeat)
        baseline = baseline or seconds
        print(f"{name:32s} {seconds:6.3f} s   x{seconds / baseline:5.1f} the bare interpreter")
    print(f"load average (1 min) at the start: {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
