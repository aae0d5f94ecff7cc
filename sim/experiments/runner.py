"""Running an experiment: tasks on a backend, results streamed to part files, resume, and the
consolidation of the parts into the final tables.

- **Backends**: the main process (one worker), local worker processes (``--workers W``), or an
  existing Dask cluster (``--scheduler tcp://host:port``; its workers must see the same files).
  At most two tasks per worker are in flight, so memory stays flat however many runs there are.
- **Parts**: each finished task is written by the main process as
  ``parts/<first run>-<last run>.runs.parquet`` and ``.outcomes.parquet``, each to a temporary
  name then renamed (atomic on POSIX); the outcomes file is written last and marks the task done.
- **Resume**: ``parts/state.json`` records the experiment file's hash and the run count; with
  ``--resume`` only the tasks without an outcomes part are run. Since every run's seed is fixed
  by the design (:func:`sim.experiments.design.run_seeds`), the final files equal an
  uninterrupted run's byte for byte (except the manifest's ``created`` time stamp).
- **Consolidation**: the parts are read back in task order into ``runs.parquet`` (one row group
  per part, streamed) and the per-run outcomes, then the parts are removed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.errors import InputError, Problem, fail
from sim.experiments.design import DesignPoint, Task, build_design, make_tasks
from sim.experiments.schema import Experiment
from sim.experiments.worker import (
    RUNS_SCHEMA,
    FunctionEvaluator,
    ScenarioEvaluator,
    TaskResult,
    failed_task,
    outcomes_schema,
    run_task,
)

PARTS = "parts"
STATE = "state.json"
IN_FLIGHT_PER_WORKER = 2
FINAL_FILES = ("runs.parquet", "outcomes.csv", "design.csv", "summary.csv", "comparisons.csv",
               "sensitivity.csv", "manifest.json")


class WorkersLost(RuntimeError):
    """The local worker processes died (killed, out of memory): the runs in flight are not
    recorded as failed, so that ``--resume`` runs them again."""


@dataclass
class Outcome:
    """What an experiment run did, for the closing summary and the exit code."""

    out: Path
    runs: int
    ran: int
    failed: int
    seconds: float
    run_seconds: float
    backend: str
    points: list[DesignPoint] = field(default_factory=list)
    outcomes: pd.DataFrame | None = None

    @property
    def rate(self) -> float:
        """Runs per second while the runs were running (setup and analysis excluded)."""
        return self.ran / self.run_seconds if self.run_seconds > 0 else 0.0


# --- backends ---------------------------------------------------------------------------------

Done = Iterator[tuple[Task, TaskResult | BaseException]]


class SerialBackend:
    """Runs tasks one after the other in this process."""

    description = "1 worker (this process)"
    workers = 1

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, tasks: Iterable[Task], evaluator: Any) -> Done:
        for task in tasks:
            try:
                yield task, run_task(task, evaluator)
            except Exception as err:  # noqa: BLE001 - recorded as a failed task
                yield task, err


class ProcessBackend:
    """Local worker processes, started by a fork server (safe beside threads such as Dask's or
    tqdm's, and cheap: the server has imported the model once)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.description = f"{workers} local worker processes"
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessBackend:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.worker", "sim.model"])
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.pool is not None
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, tasks: Iterable[Task], evaluator: Any) -> Done:
        assert self.pool is not None
        queue, pending = iter(tasks), {}
        while True:
            while len(pending) < self.workers * IN_FLIGHT_PER_WORKER:
                task = next(queue, None)
                if task is None:
                    break
                try:
                    pending[self.pool.submit(run_task, task, evaluator)] = task
                except BrokenProcessPool as err:
                    raise WorkersLost(str(err)) from None
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].name):
                task = pending.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    raise WorkersLost(str(error)) from None
                yield task, error if error is not None else future.result()


class DaskBackend:
    """Tasks submitted to an existing ``dask.distributed`` scheduler."""

    def __init__(self, address: str):
        self.address = address
        self.client: Any = None
        self.workers = 0
        self.description = f"Dask cluster at {address}"

    def __enter__(self) -> DaskBackend:
        try:
            from distributed import Client
        except ImportError:
            raise fail("--scheduler", "dask.distributed is not installed "
                       "(pip install 'dask[distributed]')") from None
        try:
            self.client = Client(self.address, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise fail("--scheduler", f"cannot connect to {self.address} ({err})") from None
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
        self.description = f"Dask cluster at {self.address} ({self.workers} worker threads)"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def run(self, tasks: Iterable[Task], evaluator: Any) -> Done:
        from distributed import as_completed

        queue, futures = iter(tasks), {}

        def submit() -> Any:
            task = next(queue, None)
            if task is None:
                return None
            future = self.client.submit(run_task, task, evaluator, pure=False,
                                        key=f"sim-experiment-{task.name}-{os.getpid()}-{id(self)}")
            futures[future.key] = task
            return future

        first = [f for f in (submit() for _ in range(self.workers * IN_FLIGHT_PER_WORKER)) if f]
        stream = as_completed(first)
        for future in stream:
            task = futures.pop(future.key)
            try:
                yield task, future.result()
            except Exception as err:  # noqa: BLE001 - a worker's failure is recorded
                yield task, err
            new = submit()
            if new is not None:
                stream.add(new)


def make_backend(workers: int, scheduler: str | None) -> Any:
    if scheduler:
        return DaskBackend(scheduler)
    return SerialBackend() if workers <= 1 else ProcessBackend(workers)


# --- the folder -------------------------------------------------------------------------------


def _state(exp: Experiment, runs: int, tasks: list[Task]) -> dict[str, Any]:
    return {"experiment_sha256": exp.sha256, "runs": runs, "tasks": len(tasks),
            "first_runs": [t.name for t in tasks[:3]], "version": __version__}


def prepare_folder(out: Path, exp: Experiment, runs: int, tasks: list[Task],
                   resume: bool) -> set[str]:
    """Create or check the output folder; return the names of the tasks already done."""
    from sim.folders import read_marker

    parts, state_path = out / PARTS, out / PARTS / STATE
    state = _state(exp, runs, tasks)
    if state_path.is_file():
        if not resume:
            raise InputError([Problem(str(out), 0, "--out", "an unfinished experiment is in "
                                      "this folder: add --resume to finish it, or choose "
                                      "another --out")])
        old = json.loads(state_path.read_text(encoding="utf-8"))
        if old != state:
            why = "--runs differs" if old.get("runs") != runs else "the experiment file changed"
            raise InputError([Problem(str(out), 0, "--resume", f"cannot resume: {why} since "
                                      "the folder was started; use another --out")])
        for tmp in parts.glob(".*.tmp"):
            tmp.unlink()  # a part being written when the process was killed
        return {p.name.removesuffix(".outcomes.parquet") for p in parts.glob("*.outcomes.parquet")}
    if out.exists() and any(out.iterdir()) and read_marker(out) is None:
        raise InputError([Problem(str(out), 0, "--out", "folder exists and is not an experiment "
                                  "folder; choose another")])
    _clear_finished(out)
    parts.mkdir(parents=True, exist_ok=True)
    _write_atomic(state_path, json.dumps(state, indent=1).encode())
    return set()


def _finished(out: Path, exp: Experiment, runs: int) -> bool:
    """Whether ``out`` holds this very experiment, complete (nothing left to resume)."""
    if (out / PARTS / STATE).is_file() or not (out / "manifest.json").is_file():
        return False
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (manifest.get("experiment", {}).get("sha256") == exp.sha256
            and manifest.get("runs_per_point") == runs)


def _clear_finished(out: Path) -> None:
    """A finished experiment in the folder is replaced by the new one."""
    for name in FINAL_FILES:
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "figures", ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_part(parts: Path, result: TaskResult) -> None:
    """The runs part, then the outcomes part (which marks the task done), each atomically."""
    for kind, table in (("runs", result.runs), ("outcomes", result.outcomes)):
        final = parts / f"{result.name}.{kind}.parquet"
        tmp = parts / f".{final.name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, final)


def consolidate(out: Path, tasks: list[Task], names: list[str]) -> pd.DataFrame:
    """Stream the runs parts into runs.parquet in task order; return the per-run outcomes."""
    parts = out / PARTS
    tmp = out / ".runs.parquet.tmp"
    with pq.ParquetWriter(tmp, RUNS_SCHEMA) as writer:
        for task in tasks:
            writer.write_table(pq.read_table(parts / f"{task.name}.runs.parquet",
                                             schema=RUNS_SCHEMA))
    os.replace(tmp, out / "runs.parquet")
    schema = outcomes_schema(names)
    tables = [pq.read_table(parts / f"{t.name}.outcomes.parquet", schema=schema) for t in tasks]
    return pa.concat_tables(tables).to_pandas().sort_values(["point", "replicate"],
                                                            ignore_index=True)


def remove_parts(out: Path) -> None:
    shutil.rmtree(out / PARTS, ignore_errors=True)


# --- the whole run ----------------------------------------------------------------------------


def run_experiment(exp: Experiment, out: Path, runs: int | None = None, workers: int = 1,
                   scheduler: str | None = None, resume: bool = False, progress: bool = True,
                   figures: bool = True,
                   function: Callable[[dict[str, Any], int], dict[str, float]] | None = None,
                   ) -> Outcome:
    """Run (or finish) an experiment into ``out`` and write every output file.

    ``function`` replaces the simulation by a plug-in Python model (see
    :class:`sim.experiments.worker.FunctionEvaluator`).
    """
    from sim.experiments.checks import check_against_scenarios, stored_dyads
    from sim.experiments.results import write_results

    runs = runs or exp.file.runs
    if function is None:
        loaded = exp.loaded or check_against_scenarios(exp)
        dyads = {label: stored_dyads(exp, one) for label, one in loaded.items()}
        evaluator: Any = ScenarioEvaluator({k: v.model_dump() for k, v in exp.outcomes.items()})
    else:
        loaded, dyads = {}, {}
        evaluator = FunctionEvaluator(function, tuple(exp.outcomes))
    points = build_design(exp)
    if resume and _finished(out, exp, runs):
        frame = pd.read_csv(out / "outcomes.csv", keep_default_na=False)
        return Outcome(out, len(points) * runs, 0, int((frame["status"] == "failed").sum()),
                       0.0, 0.0, "none: the experiment was already complete", points, None)
    tasks = make_tasks(exp, points, runs, dyads)
    done = prepare_folder(out, exp, runs, tasks, resume)
    pending = [t for t in tasks if t.name not in done]
    started = time.perf_counter()
    total, ran = len(points) * runs, sum(t.size for t in pending)
    backend = make_backend(workers, scheduler)
    with backend:
        _execute(backend, pending, evaluator, out / PARTS, total=total, done=total - ran,
                 progress=progress)
    run_seconds = time.perf_counter() - started
    frame = consolidate(out, tasks, evaluator.names)
    write_results(out, exp, points, runs, frame, loaded, figures=figures)
    remove_parts(out)
    failed = int((frame["status"] == "failed").sum())
    return Outcome(out, total, ran, failed, time.perf_counter() - started, run_seconds,
                   backend.description, points, frame)


def _execute(backend: Any, tasks: list[Task], evaluator: Any, parts: Path, total: int,
             done: int, progress: bool) -> None:
    """Run the tasks, writing each result as it arrives, with a progress bar and ETA."""
    from tqdm import tqdm

    failed = 0
    with tqdm(total=total, initial=done, unit="run", desc="runs", file=sys.stderr,
              disable=not progress, smoothing=0.1, dynamic_ncols=True) as bar:
        for task, result in backend.run(tasks, evaluator):
            if isinstance(result, BaseException):
                result = failed_task(task, evaluator.names, result)
            write_part(parts, result)
            failed += result.failures
            bar.update(task.size)
            if failed:
                bar.set_postfix(failed=failed)
