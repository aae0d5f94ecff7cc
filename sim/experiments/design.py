"""Design points, per-run seeds and tasks of an experiment.

- A **grid** is the full factorial of its factors' levels (first factor varies slowest); a
  **points** design lists named points; a **Latin hypercube** (McKay, Beckman and Conover 1979)
  is drawn with :class:`scipy.stats.qmc.LatinHypercube`; **Sobol** (Saltelli's scheme, Saltelli
  et al. 2010) and **Morris** (Morris 1991, Campolongo et al. 2007) samples come from SALib.
  With several scenarios, the design is repeated for each scenario.
- **Seeds**: one :class:`numpy.random.SeedSequence` child per design point, then one grandchild
  per replicate, so that a run's seed depends only on the experiment seed, its design point and
  its replicate: never on the backend, the number of workers or the completion order, and adding
  replicates (``--runs``) leaves the existing runs' seeds unchanged.
- A **task** is a run of consecutive runs in (design point, replicate) order, the unit sent to
  a worker and written as one part file named by its first and last run.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import InputError, Problem
from sim.experiments.schema import (
    MAX_RUNS,
    Experiment,
    GridDesign,
    LatinHypercubeDesign,
    MorrisDesign,
    PointsDesign,
    Range,
    SobolDesign,
    short_names,
)
from sim.scenario.yamlio import line_of

DESIGN_STREAM = 0x5EED  # separates the design sample's random stream from the runs' seeds
# An experiment's runs (design points x runs per point x scenarios) are listed before any runs:


@dataclass(frozen=True)
class DesignPoint:
    """One setting of the factors in one scenario."""

    index: int
    scenario: str
    values: dict[str, Any]
    name: str = ""


@dataclass(frozen=True)
class Run:
    """One run: replicate ``replicate`` of design point ``point``, with its seed."""

    point: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Task:
    """Consecutive runs (point-major, then replicate), the unit sent to a worker and written as
    one part file. ``settings`` gives each of its points' scenario file and overrides."""

    runs: tuple[Run, ...]
    settings: dict[int, tuple[str, tuple[tuple[str, Any], ...]]]
    dyads: dict[int, tuple[str, ...] | None]

    @property
    def name(self) -> str:
        a, b = self.runs[0], self.runs[-1]
        return f"p{a.point:06d}r{a.replicate:06d}-p{b.point:06d}r{b.replicate:06d}"

    @property
    def size(self) -> int:
        return len(self.runs)


def design_points(exp: Experiment) -> int:
    """How many points the design has in each scenario, computed without building them."""
    design = exp.design
    if isinstance(design, GridDesign):
        return math.prod(len(levels) for levels in design.factors.values())
    if isinstance(design, PointsDesign):
        return len(design.points)
    if isinstance(design, LatinHypercubeDesign):
        return design.samples
    factors = len(design.factors)
    if isinstance(design, SobolDesign):  # Saltelli's scheme: N (2D + 2) or N (D + 2) rows
        return design.samples * (2 * factors + 2 if design.second_order else factors + 2)
    return design.trajectories * (factors + 1)  # Morris: D + 1 points per trajectory


def check_size(exp: Experiment, runs: int, limit: int = MAX_RUNS) -> None:
    """Refuse a design whose runs exceed ``limit``, before anything is built."""
    points = design_points(exp)
    scenarios = max(len(exp.scenarios), 1)
    total = points * runs * scenarios
    if total <= limit:
        return
    times = f" x {scenarios} scenarios" if scenarios > 1 else ""
    raise InputError([Problem(*line_of(exp.lines, ("design",), exp.name), "design",
                              f"{points:,} design points x {runs:,} runs{times} = {total:,} "
                              f"runs; at most {limit:,} are allowed (fewer levels, samples or "
                              f"runs, or raise the limit with --max-runs)")])


def design_seed(master: int) -> int:
    """The seed of the design sample (LHS, Sobol, Morris), derived from the experiment seed."""
    state = np.random.SeedSequence([master, DESIGN_STREAM]).generate_state(1, dtype=np.uint32)
    return int(state[0])


def salib_problem(factors: dict[str, Range]) -> dict[str, Any]:
    """The SALib problem dict for the ranges."""
    return {"num_vars": len(factors), "names": list(factors),
            "bounds": [[r.low, r.high] for r in factors.values()]}


def sample_matrix(design: Any, seed: int) -> np.ndarray:
    """The unit-free sample of a sampled design (rows are points, columns factors)."""
    rng_seed = design_seed(seed)
    problem = salib_problem(design.factors)
    if isinstance(design, LatinHypercubeDesign):
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(design.factors), rng=np.random.default_rng(rng_seed))
        return qmc.scale(unit.random(design.samples), *np.array(problem["bounds"]).T)
    if isinstance(design, SobolDesign):
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=design.second_order,
                            seed=rng_seed)
    if isinstance(design, MorrisDesign):
        from SALib.sample import morris

        return morris.sample(problem, design.trajectories, num_levels=design.levels,
                             seed=rng_seed)
    raise TypeError(f"not a sampled design: {design!r}")


def _point_values(exp: Experiment) -> list[tuple[dict[str, Any], str]]:
    """(values, name) for every point of the design, before crossing with scenarios."""
    design = exp.design
    if isinstance(design, GridDesign):
        paths = list(design.factors)
        short = short_names(paths)
        combos = itertools.product(*design.factors.values())
        return [(dict(zip(paths, combo, strict=True)),
                 ", ".join(f"{short[p]}={v}" for p, v in zip(paths, combo, strict=True))
                 or "baseline")
                for combo in combos]
    if isinstance(design, PointsDesign):
        return [(dict(values), name) for name, values in design.points.items()]
    matrix = sample_matrix(design, exp.file.seed)
    out = []
    for row in matrix:
        values = {}
        for (path, r), x in zip(design.factors.items(), row, strict=True):
            values[path] = int(round(float(x))) if r.integer else float(x)
        out.append((values, ""))
    return out


def build_design(exp: Experiment) -> list[DesignPoint]:
    """Every design point, scenario by scenario, numbered from 0."""
    base = _point_values(exp)
    labels = list(exp.scenarios) or [""]
    points = []
    for label, (values, name) in itertools.product(labels, base):
        index = len(points)
        points.append(DesignPoint(index, label, values, name or f"point {index}"))
    return points


def run_seeds(master: int, points: int, runs: int) -> list[list[int]]:
    """Seed of replicate r of design point p: SeedSequence(master).spawn(points)[p]
    .spawn(runs)[r], as one 32-bit integer (what the model's ``rng`` takes)."""
    out = []
    for child in np.random.SeedSequence(master).spawn(points):
        out.append([int(g.generate_state(1, dtype=np.uint32)[0]) for g in child.spawn(runs)])
    return out


def make_tasks(exp: Experiment, points: list[DesignPoint], runs: int,
               dyads: dict[str, tuple[str, ...] | None]) -> list[Task]:
    """All runs in point-major order, cut into tasks of ``output.runs_per_part`` runs (a task
    may span design points, so that designs with one run per point do not write one file per
    run)."""
    per = exp.file.output.runs_per_part
    seeds = run_seeds(exp.file.seed, len(points), runs)
    every = [Run(p.index, r, seeds[p.index][r]) for p in points for r in range(runs)]
    settings = {p.index: (str(exp.scenarios[p.scenario]) if p.scenario else "",
                          tuple({**exp.file.set, **p.values}.items())) for p in points}
    stored = {p.index: dyads.get(p.scenario) for p in points}
    tasks = []
    for start in range(0, len(every), per):
        chunk = every[start:start + per]
        used = {run.point for run in chunk}
        tasks.append(Task(tuple(chunk), {i: settings[i] for i in sorted(used)},
                          {i: stored[i] for i in sorted(used)}))
    return tasks
