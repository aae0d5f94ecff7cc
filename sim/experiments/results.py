"""Writing an experiment folder's tables, figures and manifest (see ``experiments/README.md``).

Every table is sorted and written with fixed number formats, and every statistic is computed
with generators seeded by the experiment seed, so an experiment gives the same bytes whatever
the backend, the worker count, the completion order or an interruption and ``--resume``; only
the manifest's ``created`` time stamp differs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import analysis
from sim.experiments.design import DesignPoint, salib_problem
from sim.experiments.schema import (
    SAMPLED,
    Experiment,
    LatinHypercubeDesign,
    MorrisDesign,
    SobolDesign,
    same_value,
    short_names,
)

FLOAT_FORMAT = "%.6g"
SEED_SCHEME = ("seed of replicate r of design point p: numpy SeedSequence(seed).spawn(points)[p]"
               ".spawn(runs)[r].generate_state(1, uint32)[0]")


def format_value(value: Any) -> str:
    """A design value as written in the tables: full precision for floats, YAML-like booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def design_frame(exp: Experiment, points: list[DesignPoint]) -> pd.DataFrame:
    """One row per design point: index, scenario, name and each factor's value."""
    short = short_names(exp.factors)
    rows = [{"point": p.index, "scenario": p.scenario, "name": p.name,
             **{short[f]: format_value(p.values.get(f)) for f in exp.factors}} for p in points]
    return pd.DataFrame(rows, columns=["point", "scenario", "name", *short.values()])


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    os.replace(tmp, path)


def write_results(out: Path, exp: Experiment, points: list[DesignPoint], runs: int,
                  frame: pd.DataFrame, loaded: dict[str, Any], figures: bool = True) -> None:
    """Write outcomes, design, summary, comparisons, sensitivity, figures and the manifest."""
    names = list(exp.outcomes)
    a = exp.file.analysis
    design = design_frame(exp, points)
    per_run = design.drop(columns="name").merge(frame, on="point", how="right")
    write_csv(per_run[[*design.columns.drop("name"), "replicate", "seed", "status", "error",
                       *names]], out / "outcomes.csv")
    write_csv(design, out / "design.csv")
    summary = design.merge(analysis.summarise(frame, names, len(points), a.confidence,
                                              a.resamples, exp.file.seed), on="point")
    write_csv(summary, out / "summary.csv")
    comparisons = comparison_table(exp, points, frame)
    if comparisons is not None:
        write_csv(comparisons, out / "comparisons.csv")
    sensitivity = sensitivity_table(exp, points, frame)
    if sensitivity is not None:
        write_csv(sensitivity, out / "sensitivity.csv")
    written = [n for n in ("runs.parquet", "outcomes.csv", "design.csv", "summary.csv",
                           "comparisons.csv", "sensitivity.csv") if (out / n).is_file()]
    shutil.rmtree(out / "figures", ignore_errors=True)
    if figures:
        from sim.experiments.figures import draw_figures

        written += [f"figures/{p.name}" for p in
                    draw_figures(out / "figures", exp, points, frame, summary, sensitivity)]
    data = manifest(exp, points, runs, frame, loaded, written)
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")


# --- comparisons ------------------------------------------------------------------------------


def select_points(points: list[DesignPoint], selector: Any) -> list[int]:
    """The design points a comparison side selects (see experiments/README.md)."""
    if isinstance(selector, str):
        return [p.index for p in points if selector in (p.name, p.scenario)]
    return [p.index for p in points
            if all(p.scenario == v if k == "scenario" else same_value(p.values.get(k), v)
                   for k, v in selector.items())]


def describe_selector(exp: Experiment, selector: Any) -> str:
    if isinstance(selector, str):
        return selector
    short = short_names(exp.factors)
    return ", ".join(f"{short.get(k, k)}={format_value(v)}" for k, v in selector.items())


def comparison_table(exp: Experiment, points: list[DesignPoint],
                     frame: pd.DataFrame) -> pd.DataFrame | None:
    """One row per comparison and outcome: A against B (difference = mean A - mean B)."""
    if not exp.file.comparisons:
        return None
    a = exp.file.analysis
    rows = []
    for c, (cid, comp) in enumerate(exp.file.comparisons.items()):
        a_points, b_points = select_points(points, comp.a), select_points(points, comp.b)
        for k, name in enumerate(comp.outcomes or list(exp.outcomes)):
            rng = analysis.rng_for(exp.file.seed, analysis.COMPARISON_STREAM, c, k)
            rows.append({"comparison": cid, "label": comp.label,
                         "a": describe_selector(exp, comp.a), "b": describe_selector(exp, comp.b),
                         **analysis.compare(frame, a_points, b_points, name, a.confidence,
                                            a.resamples, rng)})
    return pd.DataFrame(rows)


# --- sensitivity ------------------------------------------------------------------------------


def sensitivity_table(exp: Experiment, points: list[DesignPoint],
                      frame: pd.DataFrame) -> pd.DataFrame | None:
    """Sobol, Morris or rank-correlation indices per scenario and outcome (sampled designs)."""
    design = exp.design
    if design.kind not in SAMPLED:
        return None
    short = short_names(exp.factors)
    problem = salib_problem(design.factors)
    problem["names"] = [short[f] for f in design.factors]
    a = exp.file.analysis
    rows = []
    for label in dict.fromkeys(p.scenario for p in points):
        mine = [p for p in points if p.scenario == label]
        x = np.array([[p.values[f] for f in design.factors] for p in mine], dtype=float)
        for k, name in enumerate(exp.outcomes):
            y = analysis.point_means(frame, name, [p.index for p in mine])
            seed = int(analysis.rng_for(exp.file.seed, analysis.SENSITIVITY_STREAM, k)
                       .integers(2**31))
            base = {"scenario": label, "outcome": name, "method": design.kind}
            if np.isnan(y).any():
                note = f"not computed: {int(np.isnan(y).sum())} design points have no value"
                rows.append({**base, "factor": "", "measure": "", "value": np.nan,
                             "ci_low": np.nan, "ci_high": np.nan, "note": note})
                continue
            if isinstance(design, SobolDesign):
                found = analysis.sobol_indices(problem, y, design.second_order, a.confidence,
                                               a.resamples, seed)
            elif isinstance(design, MorrisDesign):
                found = analysis.morris_indices(problem, x, y, design.levels, a.confidence,
                                                a.resamples, seed)
            else:
                assert isinstance(design, LatinHypercubeDesign)
                found = analysis.rank_correlations(problem["names"], x, y, a.confidence)
            rows += [{**base, **row, "note": ""} for row in found]
    return pd.DataFrame(rows, columns=["scenario", "outcome", "method", "factor", "measure",
                                       "value", "ci_low", "ci_high", "note"])


# --- manifest ---------------------------------------------------------------------------------


def manifest(exp: Experiment, points: list[DesignPoint], runs: int, frame: pd.DataFrame,
             loaded: dict[str, Any], files: list[str]) -> dict[str, Any]:
    from sim.experiments.design import run_seeds
    from sim.output import resolved, software_stamp

    f = exp.file
    return {
        **software_stamp(),
        "experiment": {"path": resolved(exp.path), "sha256": exp.sha256, "title": f.title,
                       "question": f.question},
        "scenarios": {label: _scenario_entry(one) for label, one in loaded.items()},
        "seed": f.seed,
        "runs_per_point": runs,
        "design_points": len(points),
        "runs": len(points) * runs,
        "failed": int((frame["status"] == "failed").sum()),
        "design": f.design,
        "factor_columns": short_names(exp.factors),
        "set": f.set,
        "outcomes": {name: {**spec.model_dump(exclude_none=True),
                            "label": exp.outcome_label(name)}
                     for name, spec in exp.outcomes.items()},
        "comparisons": {cid: c.model_dump() for cid, c in f.comparisons.items()},
        "analysis": f.analysis.model_dump(),
        "output": f.output.model_dump(),
        "seeds": {"scheme": SEED_SCHEME, "run_seeds": run_seeds(f.seed, len(points), runs)},
        "files": files,
    }


def _scenario_entry(loaded: Any) -> dict[str, Any]:
    from sim.output import resolved

    s = loaded.scenario
    files = [{**entry, "path": resolved(entry["path"])} for entry in loaded.file_hashes()]
    return {"path": resolved(loaded.path), "title": s.meta.title, "start": s.meta.start,
            "end": s.meta.end, "files": files, "levers": loaded.lever_settings(),
            "parameters": s.parameters.model_dump(exclude={"source", "assumption"}),
            "key_dyads": s.meta.key_dyads}
