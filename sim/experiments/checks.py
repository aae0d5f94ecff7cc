"""Checks of an experiment file against the scenarios it names.

The scenario is loaded once per extreme of the design (the first grid level of every factor, each
named point, the low and the high end of every range) with the file's ``set`` overrides, so a
misspelt path or an impossible value is reported at its line in the experiment file, with the
loader's did-you-mean. Outcomes are checked against the scenario too: dyads, actors, actions and
months must exist. A value that only fails at some inner design point is not caught here: its
runs fail and are recorded (see :mod:`sim.experiments.runner`).
"""

from __future__ import annotations

from typing import Any

from sim.errors import InputError, Problem
from sim.experiments.schema import (
    EventCount,
    Experiment,
    GridDesign,
    PointsDesign,
    Range,
)
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.checks import Reporter, dyad_id
from sim.scenario.yamlio import line_of

MAX_POINTS_CHECKED = 50  # a long list of named points is checked on its first points only


def check_against_scenarios(exp: Experiment) -> dict[str, LoadedScenario]:
    """Load every scenario with the design's extreme settings; return the baseline loads."""
    problems: list[Problem] = []
    loaded: dict[str, LoadedScenario] = {}
    for label in exp.scenarios:
        where = ("scenario",) if exp.file.scenario is not None else ("scenarios", label)
        try:
            loaded[label] = _load_variants(exp, label, where)
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    r = Reporter(exp.lines, exp.name)
    for loaded_one in loaded.values():
        _check_outcomes(r, exp, loaded_one)
        _check_stored_dyads(r, exp, loaded_one)
    if r.problems:
        raise InputError(r.problems)
    return loaded


Origins = dict[str, tuple]  # dotted path -> where the experiment file writes its value


def _load_variants(exp: Experiment, label: str, where: tuple) -> LoadedScenario:
    """Load the scenario with the file's ``set`` (the baseline, for the manifest), check the
    lever settings the design names, then load it at each checked design setting."""
    fixed: Origins = {p: ("set", p) for p in exp.file.set}
    baseline = _load(exp, label, dict(exp.file.set), fixed, where)
    lever_problems = _check_lever_values(exp, baseline)
    if lever_problems:
        raise InputError(lever_problems)
    for overrides, origins in _variants(exp):
        if overrides:
            _load(exp, label, {**exp.file.set, **overrides}, {**fixed, **origins}, where)
    return baseline


def _load(exp: Experiment, label: str, overrides: dict[str, Any], origins: Origins,
          where: tuple) -> LoadedScenario:
    try:
        return load_scenario(exp.scenarios[label], overrides, folders=exp.folders)
    except InputError as err:
        raise InputError(_relocate(exp, err.problems, origins, where)) from None


def _variants(exp: Experiment) -> list[tuple[dict[str, Any], Origins]]:
    """The design settings checked up front, each with where its values are written."""
    design = exp.design
    if isinstance(design, GridDesign):
        return [({p: levels[0] for p, levels in design.factors.items()},
                 {p: ("design", "factors", p) for p in design.factors})]
    if isinstance(design, PointsDesign):
        return [(dict(values), {p: ("design", "points", name, p) for p in values})
                for name, values in list(design.points.items())[:MAX_POINTS_CHECKED]]
    return [({p: _range_end(r, end) for p, r in design.factors.items()},
             {p: ("design", "factors", p, end) for p in design.factors})
            for end in ("low", "high")]


def _range_end(r: Range, end: str) -> float | int:
    value = getattr(r, end)
    return round(value) if r.integer else value


def _check_lever_values(exp: Experiment, loaded: LoadedScenario) -> list[Problem]:
    """``levers.X.setting`` values must be options of lever X (checked here so the problem is
    reported where the experiment file names the value, not inside the scenario)."""
    levers = loaded.scenario.levers
    r = Reporter(exp.lines, exp.name)
    for where, path, value in _written_values(exp):
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "levers" and parts[2] == "setting" \
                and parts[1] in levers:  # an unknown lever is reported by the loader
            r.member(where, str(value), list(levers[parts[1]].options),
                     f"option of lever {parts[1]!r}:")
    return r.problems


def _written_values(exp: Experiment) -> list[tuple[tuple, str, Any]]:
    """(where written, dotted path, value) for every fixed value of the file."""
    out = [(("set", p), p, v) for p, v in exp.file.set.items()]
    design = exp.design
    if isinstance(design, GridDesign):
        for path, levels in design.factors.items():
            out += [(("design", "factors", path, i), path, v) for i, v in enumerate(levels)]
    elif isinstance(design, PointsDesign):
        for name, point in design.points.items():
            out += [(("design", "points", name, p), p, v) for p, v in point.items()]
    return out


def _relocate(exp: Experiment, problems: list[Problem], origins: Origins,
              where: tuple) -> list[Problem]:
    """Problems with an override (line 0 in the scenario) are moved to where the experiment
    file writes that override; others stay in the scenario, under a pointer from here."""
    out, stay = [], []
    for p in problems:
        target = next((w for path, w in origins.items()
                       if p.path == path or p.path.startswith(path + ".")), None)
        if p.line == 0 and target is not None:
            out.append(Problem(*line_of(exp.lines, tuple(map(str, target)), exp.name),
                               ".".join(map(str, target)), p.message))
        else:
            stay.append(p)
    if stay:
        out.append(Problem(*line_of(exp.lines, where, exp.name), ".".join(where),
                           "the scenario does not load with this experiment's settings "
                           "(see the problems in the scenario listed here)"))
    return out + stay


def _check_outcomes(r: Reporter, exp: Experiment, loaded: LoadedScenario) -> None:
    s = loaded.scenario
    dyads = all_dyads(loaded)
    sources = sorted({*s.actors, *(e.actor for e in s.events.values())})
    actions = sorted({*loaded.catalogue.actions, *s.events})
    for name, spec in exp.outcomes.items():
        base = ("outcomes", name)
        params = spec.model_dump()
        if params["kind"] == "plugin":
            r.add((*base, "kind"), "plugin outcomes are for plug-in Python models only; "
                  "a scenario run cannot compute them")
        if params.get("dyad") is not None:
            _check_dyad(r, (*base, "dyad"), params["dyad"], dyads)
        if params.get("issue") is not None:
            r.member((*base, "issue"), params["issue"], list(s.issues), "issue")
        for key in ("from", "to", "until", "at"):
            month = params.get(key)
            if month is not None and not s.meta.start <= month <= s.meta.end:
                r.add((*base, key), f"expected a month within {s.meta.start}..{s.meta.end} "
                      f"(the scenario's run)")
        if params.get("from") and params.get("to") and params["from"] > params["to"]:
            r.add((*base, "to"), f"is before from ({params['from']})")
        if isinstance(spec, EventCount):
            for key in ("actor", "target"):
                if params.get(key) is not None:
                    r.member((*base, key), params[key], sources, "actor or event source")
            for i, action in enumerate(spec.actions):
                r.member((*base, "actions", i), action, actions, "action or scripted event")


def _check_dyad(r: Reporter, where: tuple, dyad: str, dyads: list[str]) -> None:
    if dyad in dyads:
        return
    left, sep, right = dyad.partition("-")
    if sep and dyad_id(left, right) in dyads:
        r.add(where, f"write the dyad as {dyad_id(left, right)!r} (actor ids in alphabetical "
              "order)")
        return
    r.member(where, dyad, dyads, "dyad")


def _check_stored_dyads(r: Reporter, exp: Experiment, loaded: LoadedScenario) -> None:
    chosen = exp.file.output.dyads
    if isinstance(chosen, list):
        dyads = all_dyads(loaded)
        for i, dyad in enumerate(chosen):
            _check_dyad(r, ("output", "dyads", i), dyad, dyads)


def all_dyads(loaded: LoadedScenario) -> list[str]:
    actors = list(loaded.scenario.actors)
    return sorted({dyad_id(a, b) for i, a in enumerate(actors) for b in actors[i + 1:]})


def stored_dyads(exp: Experiment, loaded: LoadedScenario) -> tuple[str, ...] | None:
    """The dyads kept in runs.parquet: None means all of them."""
    chosen = exp.file.output.dyads
    if chosen == "all":
        return None
    if chosen == "none":
        return ()
    if chosen == "key":
        return tuple(loaded.scenario.meta.key_dyads)
    return tuple(chosen)
