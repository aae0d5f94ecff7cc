"""What a worker does with a task: run each of its runs and turn them into two small tables.

The same function runs in the main process, in a local worker process and on a Dask worker, so
the tables (and hence the part files) are identical whatever the backend. A run that raises is
caught here and recorded as ``failed`` with its seed and error; the others go on.

Loaded scenarios are cached per process. Design points that differ only in ``parameters.*`` share
one load of the scenario with the other overrides, and get their parameters validated against
the scenario schema (:class:`sim.scenario.schema.Parameters`): parsing the YAML again for every
point of a Sobol design would cost about as much as the runs themselves.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from sim.experiments.design import Run, Task
from sim.experiments.outcomes import RunContext, evaluate
from sim.model import RunRecord

RUN_FIELDS = [
    ("point", pa.int32()), ("replicate", pa.int32()), ("month", pa.string()),
    ("dyad", pa.string()), ("tension", pa.float64()), ("cooperation", pa.float64()),
    ("goldstein", pa.float64()), ("ties", pa.string()), ("regional_tension", pa.float64()),
    ("trilateral_cohesion", pa.float64()), ("agreements_in_force", pa.int32()),
    ("coercive_acts", pa.int32()),
]
RUNS_SCHEMA = pa.schema(RUN_FIELDS)
OUTCOME_FIELDS = [("point", pa.int32()), ("replicate", pa.int32()), ("seed", pa.int64()),
                  ("status", pa.string()), ("error", pa.string())]
CACHE_SIZE = 8
PARAMETERS = "parameters."


def outcomes_schema(names: list[str]) -> pa.Schema:
    return pa.schema([*OUTCOME_FIELDS, *((n, pa.float64()) for n in names)])


@dataclass
class TaskResult:
    """A finished task: one outcome row per run, and the runs' monthly rows."""

    name: str
    outcomes: pa.Table
    runs: pa.Table

    @property
    def failures(self) -> int:
        return self.outcomes.column("status").to_pylist().count("failed")


# --- scenario cache ---------------------------------------------------------------------------


def scenario_for(path: str, overrides: tuple[tuple[str, Any], ...],
                 folders: tuple[str, ...] = ()) -> Any:
    """The loaded scenario for a design point (cached; parameters applied on a shared load).
    ``folders``: the folders besides the scenario's own whose files it may name."""
    from sim.scenario import load_scenario

    other = {k: v for k, v in overrides if not k.startswith(PARAMETERS)}
    params = {k[len(PARAMETERS):]: v for k, v in overrides if k.startswith(PARAMETERS)}
    base = load_cached(path, json.dumps(other, sort_keys=True), folders)
    if not params:
        return base
    try:
        return _with_parameters(base, params, dict(overrides))
    except (ValidationError, ValueError, TypeError):
        # the full load reports the problem as a located InputError
        return load_scenario(path, dict(overrides), folders=folders)


@functools.lru_cache(maxsize=CACHE_SIZE)
def load_cached(path: str, overrides_json: str, folders: tuple[str, ...] = ()) -> Any:
    """A scenario loaded once per worker process for each set of (JSON-encoded) overrides."""
    from sim.scenario import load_scenario

    return load_scenario(path, json.loads(overrides_json), folders=folders)


def _with_parameters(base: Any, params: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """A copy of a loaded scenario with some parameters replaced (validated by the schema)."""
    from sim.scenario.schema import Parameters

    s = base.scenario
    merged = {**s.parameters.model_dump(), **params}
    parameters = Parameters.model_validate(merged)
    return dataclasses.replace(base, scenario=s.model_copy(update={"parameters": parameters}),
                               overrides=overrides)


# --- evaluators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioEvaluator:
    """Runs the model on the task's scenario and computes the experiment's outcomes."""

    outcomes: dict[str, dict[str, Any]]
    folders: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return list(self.outcomes)

    def run(self, task: Task, run: Run) -> tuple[dict[str, float], list[tuple]]:
        from sim.model import simulate

        path, overrides = task.settings[run.point]
        loaded = scenario_for(path, overrides, self.folders)
        record = simulate(loaded, run.seed).record()
        meta = loaded.scenario.meta
        values = evaluate(self.outcomes, record, RunContext(meta.start, meta.end))
        return values, monthly_rows(record, task.dyads[run.point])


@dataclass(frozen=True)
class FunctionEvaluator:
    """A plug-in model: ``function(values, seed) -> {outcome: value}``, where ``values`` maps
    each dotted path of the design (and of ``set``) to its value at the run's design point.
    Used to check the design and analysis code on functions with known answers (Ishigami)."""

    function: Callable[[dict[str, Any], int], dict[str, float]]
    outcome_names: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return list(self.outcome_names)

    def run(self, task: Task, run: Run) -> tuple[dict[str, float], list[tuple]]:
        values = dict(task.settings[run.point][1])
        result = self.function(values, run.seed)
        return {n: float(result[n]) for n in self.outcome_names}, []


def monthly_rows(record: RunRecord, dyads: tuple[str, ...] | None) -> list[tuple]:
    """(month, dyad, tension, cooperation, goldstein, ties, *indices) for the kept dyads,
    sorted by month and dyad."""
    keep = None if dyads is None else set(dyads)
    if keep is not None and not keep:
        return []
    indices = {row[0]: row[1:] for row in record.indices}
    rows = [(row[0], row[1], float(row[2]), float(row[3]), float(row[4]), str(row[5]),
             *indices[row[0]])
            for row in record.trajectories if keep is None or row[1] in keep]
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


# --- a task -----------------------------------------------------------------------------------


def run_task(task: Task, evaluator: Any) -> TaskResult:
    """Run every run of the task; never raises for a failing run."""
    names = evaluator.names
    out_rows: list[tuple] = []
    run_rows: list[tuple] = []
    for run in task.runs:
        try:
            values, rows = evaluator.run(task, run)
        except Exception as err:  # noqa: BLE001 - any failure of one run is recorded, not fatal
            out_rows.append((run.point, run.replicate, run.seed, "failed", describe_error(err),
                             *([None] * len(names))))
            continue
        out_rows.append((run.point, run.replicate, run.seed, "ok", "",
                         *(values[n] for n in names)))
        run_rows.extend((run.point, run.replicate, *row) for row in rows)
    return TaskResult(task.name, rows_table(out_rows, outcomes_schema(names)),
                      rows_table(run_rows, RUNS_SCHEMA))


def failed_task(task: Task, names: list[str], error: BaseException) -> TaskResult:
    """Every run of a task whose worker itself failed (e.g. a worker process died)."""
    message = "worker failed: " + describe_error(error)
    rows = [(r.point, r.replicate, r.seed, "failed", message, *([None] * len(names)))
            for r in task.runs]
    return TaskResult(task.name, rows_table(rows, outcomes_schema(names)),
                      rows_table([], RUNS_SCHEMA))


def describe_error(err: BaseException) -> str:
    """One line: the exception type and message, and where in the code it was raised."""
    where = traceback.extract_tb(err.__traceback__)[-1:] if err.__traceback__ else []
    place = f" (at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    text = " | ".join(str(err).splitlines()) or type(err).__name__
    return f"{type(err).__name__}: {text}{place}"


def rows_table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(list(col), type=f.type)
                                 for col, f in zip(columns, schema, strict=True)], schema=schema)
