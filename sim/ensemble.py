"""Running a scenario many times: per-run seeds spawned from one master seed (numpy's
``SeedSequence``, never drawn in workers), runs spread over local worker processes, results
returned in run order so that the output is byte-identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from sim.model import RunRecord, simulate
from sim.scenario import LoadedScenario, load_scenario


def spawn_seeds(master_seed: int, runs: int) -> list[int]:
    """Independent per-run seeds derived from the master seed (the same on every machine)."""
    children = np.random.SeedSequence(master_seed).spawn(runs)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def run_once(loaded: LoadedScenario, seed: int) -> RunRecord:
    return simulate(loaded, seed).record()


_WORKER_SCENARIO: LoadedScenario | None = None


def _init_worker(path: str, overrides: dict[str, Any]) -> None:
    global _WORKER_SCENARIO
    _WORKER_SCENARIO = load_scenario(path, overrides)


def _run_in_worker(seed: int) -> RunRecord:
    assert _WORKER_SCENARIO is not None
    return run_once(_WORKER_SCENARIO, seed)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_ensemble(loaded: LoadedScenario, seeds: list[int], workers: int = 1) -> Iterator[RunRecord]:
    """Yield each run's record in seed order, computed on ``workers`` processes."""
    if workers <= 1 or len(seeds) <= 1:
        for seed in seeds:
            yield run_once(loaded, seed)
        return
    chunk = max(1, len(seeds) // (workers * 8))
    # "spawn" behaves the same on every platform and is safe beside threads (tqdm, dask)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, mp_context=context,
                             initargs=(str(loaded.path), loaded.overrides)) as pool:
        yield from pool.map(_run_in_worker, seeds, chunksize=chunk)

