"""Loading an experiment file (``experiments/README.md``).

An experiment file is read like a scenario: safe YAML with line numbers
(:func:`sim.scenario.yamlio.read_yaml`), validated against the models of
:mod:`sim.experiments.schema` with every problem located as ``file:line: path: expected`` and
misspellings answered with a did-you-mean (:func:`sim.scenario.loader.validate_model`). The
``design`` and each outcome are dispatched on their ``kind`` first, so that an error names the
fields of *that* kind. Then the file is checked against its scenarios
(:mod:`sim.experiments.checks`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.errors import InputError, Problem
from sim.experiments.checks import check_against_scenarios
from sim.experiments.design import check_size
from sim.experiments.schema import (
    DESIGNS,
    MAX_RUNS,
    OUTCOMES,
    RESERVED_COLUMNS,
    SAMPLED,
    Experiment,
    ExperimentFile,
    PointsDesign,
    factor_levels,
    same_value,
    short_names,
)
from sim.scenario.checks import Reporter
from sim.scenario.loader import did_you_mean, named_file, readable_folders, validate_model
from sim.scenario.yamlio import LineMap, line_of, read_yaml


def load_experiment(path: str | Path, require_scenario: bool = True, runs: int | None = None,
                    max_runs: int = MAX_RUNS, folders: Sequence[str | Path] = ()) -> Experiment:
    """Read and validate an experiment file, and check it against its scenarios (see
    :mod:`sim.experiments.checks`); raise InputError listing every problem found.

    ``require_scenario=False`` admits a file without scenarios, for a plug-in Python model.
    ``runs`` (runs per design point, default the file's) times the design's points may not
    exceed ``max_runs``. Scenario files must be YAML files inside the experiment's folder, the
    shipped scenarios' folder or one of ``folders``.
    """
    path = Path(path)
    data, lines = read_yaml(path)
    name = str(path)
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "expected a mapping (title, scenario, runs, ...)")])
    top = validate_model(ExperimentFile, data, lines, name)
    problems: list[Problem] = []
    design = _typed(DESIGNS, top.design, lines, name, ("design",), problems)
    outcomes = {key: _typed(OUTCOMES, spec, lines, name, ("outcomes", key), problems)
                for key, spec in top.outcomes.items()}
    if problems:
        raise InputError(problems)
    experiment = Experiment(file=top, design=design, outcomes=outcomes, path=path,
                            sha256=hashlib.sha256(path.read_bytes()).hexdigest(), lines=lines,
                            folders=tuple(Path(f) for f in folders))
    experiment.scenarios = _scenario_paths(experiment, require_scenario)
    check_size(experiment, runs or top.runs, max_runs)
    problems = _check_structure(experiment)
    if experiment.scenarios:
        try:
            experiment.loaded = check_against_scenarios(experiment)
        except InputError as err:
            problems += err.problems
    if problems:
        raise InputError(problems)
    return experiment


def _typed(kinds: dict[str, type[BaseModel]], data: Any, lines: LineMap, file: str,
           prefix: tuple[str, ...], problems: list[Problem]) -> Any:
    """Validate ``data`` against the model its ``kind`` names; collect located problems."""
    where = line_of(lines, prefix, file)
    dotted = ".".join(prefix)
    options = ", ".join(kinds)
    if not isinstance(data, dict):
        problems.append(Problem(*where, dotted, f"expected a mapping with a kind ({options})"))
        return None
    kind = data.get("kind")
    if kind is None:
        problems.append(Problem(*where, f"{dotted}.kind",
                                f"required field is missing (one of: {options})"))
        return None
    if not isinstance(kind, str) or kind not in kinds:
        hint = did_you_mean(str(kind), list(kinds))
        problems.append(Problem(*line_of(lines, (*prefix, "kind"), file), f"{dotted}.kind",
                                f"unknown kind {kind!r}{hint} (expected one of: {options})"))
        return None
    sub = {k[len(prefix):]: v for k, v in lines.items() if k[: len(prefix)] == prefix}
    try:
        return validate_model(kinds[kind], data, sub, file)
    except InputError as err:
        problems.extend(Problem(p.file, p.line, ".".join(x for x in (dotted, p.path) if x),
                                p.message) for p in err.problems)
        return None


def _scenario_paths(exp: Experiment, require: bool) -> dict[str, Path]:
    """Scenario label -> path, relative to the experiment file's folder."""
    f = exp.file
    if f.scenario is not None:
        named = {Path(f.scenario).stem: (f.scenario, ("scenario",))}
    elif f.scenarios:
        named = {label: (name, ("scenarios", label)) for label, name in f.scenarios.items()}
    elif require:
        raise InputError([Problem(str(exp.path), 1, "scenario",
                                  "required field is missing (or give `scenarios:`)")])
    else:
        return {}
    folders = readable_folders(exp.path, exp.folders)
    paths, problems = {}, []
    for label, (name, where) in named.items():
        target, message = named_file(name, exp.path.parent, folders, "scenario file")
        if target is None:
            problems.append(Problem(*line_of(exp.lines, where, exp.name), ".".join(where),
                                    message))
        else:
            paths[label] = target
    if problems:
        raise InputError(problems)
    return paths


def _check_structure(exp: Experiment) -> list[Problem]:
    """Checks between parts of the file: comparisons name outcomes and design points that exist;
    no path is both fixed (`set`) and varied (`design`)."""
    r = Reporter(exp.lines, exp.name)
    for path in exp.factors:
        if path in exp.file.set:
            r.add(("set", path), "also varied by the design; set it in one place only")
    columns = set(short_names(exp.factors).values()) | set(RESERVED_COLUMNS)
    for name in exp.outcomes:
        if name in columns:
            r.add(("outcomes", name), "this name is taken by a factor or a fixed column of "
                  "outcomes.csv; choose another")
    for cid, comp in exp.file.comparisons.items():
        base = ("comparisons", cid)
        if exp.design.kind in SAMPLED:
            r.add(base, f"comparisons need a grid or points design, not {exp.design.kind}")
            continue
        for j, name in enumerate(comp.outcomes):
            r.member((*base, "outcomes", j), name, exp.outcomes, "outcome")
        for side in ("a", "b"):
            _check_selector(r, exp, (*base, side), getattr(comp, side))
    return r.problems


def _check_selector(r: Reporter, exp: Experiment, where: tuple, selector: Any) -> None:
    """A selector is a point name (points design), a scenario label, or factor values."""
    if isinstance(selector, str):
        names = [*exp.scenarios]
        if isinstance(exp.design, PointsDesign):
            names = [*exp.design.points, *names]
        r.member(where, selector, names, "design point or scenario")
        return
    for key, value in selector.items():
        if key == "scenario":
            r.member((*where, key), str(value), exp.scenarios, "scenario")
            continue
        if not r.member((*where, key), key, exp.factors, "factor"):
            continue
        levels = factor_levels(exp, key)
        if not any(same_value(value, level) for level in levels):
            r.member((*where, key), str(value), [str(v) for v in levels], f"value of {key}")
