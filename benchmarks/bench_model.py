"""Benchmark (run by hand, not a test): how expensive is a month of the dispute model?

1. Times a month step of the history scenario against a minimal Mesa model with six agents that
   draws one random number each and collects the same number of values per month (tension,
   cooperation, Goldstein sum per dyad, plus the regional indices), in the same process, and
   prints the ratio (the issue's aim: at most 10).
2. Prints runs per second for an ensemble of ``--runs`` runs with 1 and 2 worker processes
   (the issue asks for 1,000 runs; the default is smaller so that it finishes in minutes).

    python3 benchmarks/bench_model.py [--months 720] [--runs 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import mesa

from sim.ensemble import run_ensemble, spawn_seeds
from sim.model import DisputeModel
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "history_2018_2023.yaml"


class MinimalAgent(mesa.Agent):
    def step(self) -> None:
        self.value = self.model.rng.random()


class MinimalModel(mesa.Model):
    """Six agents, one random draw each, and as many collected values a month as the real one."""

    def __init__(self, seed: int, values_per_month: int):
        super().__init__(rng=seed)
        for _ in range(6):
            MinimalAgent(self)
        self.values_per_month = values_per_month
        self.rows: list[tuple] = []

    def step(self) -> None:
        self.agents.do("step")
        values = [a.value for a in self.agents]
        self.rows.append(tuple(values[k % 6] for k in range(self.values_per_month)))


def seconds_per_month(make, months: int) -> float:
    model, done = make(), 0
    start = time.perf_counter()
    while done < months:
        if not getattr(model, "running", True) or getattr(model, "month_index", 0) >= 71:
            model = make()
        model.step()
        done += 1
    return (time.perf_counter() - start) / months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=720)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    loaded = load_scenario(SCENARIO)
    n = len(loaded.scenario.actors)
    values = 3 * n * (n - 1) // 2 + 4
    real = seconds_per_month(lambda: DisputeModel(loaded, 1), args.months)
    minimal = seconds_per_month(lambda: MinimalModel(1, values), args.months)
    print(f"month step: model {real * 1e3:.2f} ms, minimal Mesa model {minimal * 1e3:.3f} ms, "
          f"ratio {real / minimal:.0f} (aim: at most 10)")
    seeds = spawn_seeds(7, args.runs)
    rates = {}
    for workers in (1, 2):
        start = time.perf_counter()
        for _ in run_ensemble(loaded, seeds, workers=workers):
            pass
        rates[workers] = args.runs / (time.perf_counter() - start)
        print(f"{args.runs} runs with {workers} worker(s): {rates[workers]:.2f} runs/s")
    print(f"parallel efficiency 1 -> 2 workers: {rates[2] / (2 * rates[1]):.0%}")


if __name__ == "__main__":
    main()
