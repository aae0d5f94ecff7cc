"""Loading a scenario: wall time of ``load_scenario`` for each shipped scenario, with libyaml's C
parser (the default when PyYAML has it) against the pure-Python parser measured in the same
process (their ratio), and the CPU time of the fast load. Aim (issue 10): at most 0.1 s per
scenario, every lever option validated included. Run by hand:

    python benchmarks/bench_load.py
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from unittest import mock

import yaml

from sim.scenario import load_scenario, yamlio

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REPEATS = 5
AIM = 0.1  # seconds per load; wall time equals CPU time only on an idle machine (load printed)


def median_load_time(path: Path) -> tuple[float, float]:
    """Median wall and CPU seconds of one load (CPU time is less disturbed by a busy machine)."""
    wall, cpu = [], []
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        load_scenario(path)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    load = os.getloadavg()[0]
    print(f"load average (1 min) {load:.2f} on {os.cpu_count()} cores; "
          f"fast parser: {yamlio.FAST_LOADER.__name__}")
    print(f"{'scenario':28} {'fast s':>8} {'cpu s':>8} {'pure s':>8} {'ratio':>6}")
    for path in sorted(SCENARIOS.glob("*.yaml")):
        if path.name in ("actions.yaml", "sources.yaml"):
            continue
        fast, cpu = median_load_time(path)
        with mock.patch.object(yamlio, "FAST_LOADER", yaml.SafeLoader):
            pure, _ = median_load_time(path)
        flag = "" if cpu <= AIM else "  (CPU time over the aim)"
        print(f"{path.name:28} {fast:8.3f} {cpu:8.3f} {pure:8.3f} {pure / fast:6.1f}{flag}")


if __name__ == "__main__":
    main()
