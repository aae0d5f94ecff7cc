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

import functools
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.ensemble import MODEL_MODULES, make_backend, progress_bar
from sim.errors import InputError, Problem
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
WORKER_MODULES = (*MODEL_MODULES, "sim.experiments.worker")
FINAL_FILES = ("runs.parquet", "outcomes.csv", "design.csv", "summary.csv", "comparisons.csv",
               "sensitivity.csv", "manifest.json")


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
    finished = [name for name in FINAL_FILES if (out / name).exists()]
    if finished:  # another experiment's results: never replaced here (the command's --force)
        raise InputError([Problem(str(out), 0, "--out", f"holds the results of another "
                                  f"experiment ({finished[0]}, ...): pass --force to replace "
                                  "them, or choose another --out")])
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
                   figures: bool = True, folders: tuple[str, ...] = (),
                   function: Callable[[dict[str, Any], int], dict[str, float]] | None = None,
                   ) -> Outcome:
    """Run (or finish) an experiment into ``out`` and write every output file.

    ``folders``: folders besides each scenario's own whose files the scenarios may name.
    ``function`` replaces the simulation by a plug-in Python model (see
    :class:`sim.experiments.worker.FunctionEvaluator`).
    """
    from sim.experiments.checks import check_against_scenarios, stored_dyads
    from sim.experiments.results import write_results

    runs = runs or exp.file.runs
    if function is None:
        loaded = exp.loaded or check_against_scenarios(exp)
        dyads = {label: stored_dyads(exp, one) for label, one in loaded.items()}
        evaluator: Any = ScenarioEvaluator({k: v.model_dump() for k, v in exp.outcomes.items()},
                                           folders)
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
    backend = make_backend(workers, scheduler, WORKER_MODULES)
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
    failed = 0
    with progress_bar(total, progress, initial=done) as bar:
        for task, result in backend.run(functools.partial(run_task, evaluator=evaluator), tasks):
            if isinstance(result, BaseException):
                result = failed_task(task, evaluator.names, result)
            write_part(parts, result)
            failed += result.failures
            bar.update(task.size)
            if failed:
                bar.set_postfix(failed=failed)
