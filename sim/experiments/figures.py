"""Figures of an experiment folder (PNG), in the project's slide style (:mod:`sim.plots.style`)
with the Okabe-Ito colour-blind-safe palette:

- ``outcome_<name>.png``: each design point's runs (one dot per run), their mean and the
  bootstrap confidence interval of the mean; for a 0/1 outcome, the proportion and its interval.
- ``effects_<name>.png``: the effect of each factor: for a grid, the mean outcome at each level
  (pooled over the other factors) with its interval; for a sampled design, each design point's
  mean outcome against the factor's value with a binned trend.
- ``sobol_<name>.png``: first-order (S1) and total (ST) Sobol' indices with their intervals.
- ``morris_<name>.png``: Morris mu* against sigma (Campolongo et al. 2007), with mu*'s interval.
- ``rank_<name>.png``: Spearman rank correlations with their intervals (Latin hypercube).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.experiments import analysis
from sim.experiments.design import DesignPoint
from sim.experiments.schema import SAMPLED, Experiment, GridDesign, same_value, short_names
from sim.plots.style import OKABE_ITO, new_figure, slide_style

MAX_POINTS_DRAWN = 40  # beyond this, distributions per point are unreadable; effects remain
BINARY_KINDS = ("agreement_survives",)
MEAN_COLOUR = "#000000"
NO_VALUE_NOTE = ("n: runs with a value. A run has no value when what is measured did not happen "
                 "(e.g. no agreement was signed).")


def draw_figures(folder: Path, exp: Experiment, points: list[DesignPoint], frame: pd.DataFrame,
                 summary: pd.DataFrame, sensitivity: pd.DataFrame | None) -> list[Path]:
    """Draw every figure the design allows; return the files written, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with slide_style():
        for name in exp.outcomes:
            if exp.design.kind not in SAMPLED and len(points) <= MAX_POINTS_DRAWN:
                written.append(_save(outcome_figure(exp, points, frame, summary, name),
                                     folder / f"outcome_{_slug(name)}.png"))
            if exp.factors and exp.design.kind != "points":
                written.append(_save(effects_figure(exp, points, frame, name),
                                     folder / f"effects_{_slug(name)}.png"))
            if sensitivity is not None:
                written += _sensitivity_figures(folder, exp, sensitivity, frame, name)
    return written


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]+", "_", text)


def _footnote(fig: Any, exp: Experiment, frame: pd.DataFrame) -> None:
    """What produced the figure, so that a slide can be traced to its experiment: wrapped to
    the figure's width (about 13 characters per inch at 9 points)."""
    per = _runs_per_point(frame)
    text = (f"experiment: {exp.file.title} · {len(frame)} runs ({per} per design point) · "
            f"seed {exp.file.seed} · jk-dispute-sim {__version__}")
    # a supxlabel, not free text: the layout engine keeps room for it below everything else
    fig.supxlabel(_wrap(text, int(fig.get_figwidth() * 13)), x=0.01, ha="left", fontsize=9,
                  color="#666666")


def _wrap(text: str, width: int = 70) -> str:
    """Wrap each line of the text to ``width`` characters, keeping its line breaks."""
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def _title(fig: Any, text: str, width_inches: float) -> None:
    """A left-aligned title wrapped to the figure's width (about 7 characters per inch)."""
    fig.suptitle(_wrap(text, int(width_inches * 7)), x=0.01, ha="left", fontsize=14)


def lever_label(exp: Experiment, path: str) -> str | None:
    """The scenario's label of the lever a ``levers.X.setting`` factor sets, if any."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "levers":
        for loaded in exp.loaded.values():
            lever = loaded.scenario.levers.get(parts[1])
            if lever is not None:
                return str(lever.label)
    return None


def factor_title(exp: Experiment, path: str, short: str) -> str:
    """A factor's column name, after the lever's own label when the factor is a lever."""
    label = lever_label(exp, path)
    return f"{label} ({short})" if label else short


def _is_binary(exp: Experiment, name: str) -> bool:
    return exp.outcomes[name].model_dump()["kind"] in BINARY_KINDS


def _scenario_colours(points: list[DesignPoint]) -> dict[str, str]:
    labels = list(dict.fromkeys(p.scenario for p in points))
    return {label: OKABE_ITO[i % len(OKABE_ITO)] for i, label in enumerate(labels)}


# --- distributions per design point -----------------------------------------------------------


def outcome_figure(exp: Experiment, points: list[DesignPoint], frame: pd.DataFrame,
                   summary: pd.DataFrame, name: str) -> Any:
    """Runs, mean and confidence interval per design point (rows top to bottom)."""
    label = exp.outcome_label(name)
    binary = _is_binary(exp, name)
    colours = _scenario_colours(points)
    several = len(colours) > 1
    rows = summary[summary["outcome"] == name].set_index("point")
    note_room = 0.7 if rows["missing"].any() else 0.0
    fig = new_figure(10, 2.2 + 0.6 * len(points) + note_room)
    ax = fig.add_subplot()
    ok = frame[frame["status"] == "ok"]
    jitter = np.random.default_rng(0)  # fixed: the figure is the same on every run
    ticks = []
    for y, p in enumerate(reversed(points)):
        row = rows.loc[p.index]
        values = ok.loc[ok["point"] == p.index, name].dropna().to_numpy(dtype=float)
        colour = colours[p.scenario]
        if binary:
            ax.barh(y, row["mean"], height=0.6, color=colour, alpha=0.55)
        else:
            ax.scatter(values, y + jitter.uniform(-0.22, 0.22, len(values)), s=14,
                       color=colour, alpha=0.45, linewidths=0)
        ax.plot([row["ci_low"], row["ci_high"]], [y, y], color=MEAN_COLOUR, lw=3,
                solid_capstyle="butt")
        ax.plot(row["mean"], y, marker="D", color=MEAN_COLOUR, ms=7, ls="none")
        missing = f", {int(row['missing'])} without a value" if row["missing"] else ""
        failed = f", {int(row['failed'])} failed" if row["failed"] else ""
        where = f"{p.scenario}: " if several else ""
        ticks.append(f"{where}{p.name}\n(n={int(row['n'])}{missing}{failed})")
    ax.set_yticks(range(len(points)), ticks, fontsize=10)
    ax.set_ylim(-0.7, len(points) - 0.3)
    conf = f"{exp.file.analysis.confidence:.0%}"
    xlabel = f"Share of runs: {label}" if binary else label
    if rows["missing"].any():
        xlabel += "\n" + NO_VALUE_NOTE
    ax.set_xlabel(_wrap(xlabel, 80))
    if binary:
        ax.set_xlim(0, 1)
    ax.set_ylabel("Design point")
    _title(fig, f"{exp.file.title}: {label}", 10)
    handles = _legend_handles(colours, binary, conf)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
              fontsize=10)
    _footnote(fig, exp, frame)
    return fig


def _legend_handles(colours: dict[str, str], binary: bool, conf: str) -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    for label, colour in colours.items():
        what = "share of runs" if binary else "one run"
        what += f" ({label})" if len(colours) > 1 else ""
        handles.append(Patch(color=colour, alpha=0.55, label=what) if binary else
                       Line2D([], [], marker="o", ls="none", color=colour, alpha=0.6, label=what))
    handles.append(Line2D([], [], marker="D", ls="none", color=MEAN_COLOUR, label="mean"))
    handles.append(Line2D([], [], lw=3, color=MEAN_COLOUR,
                          label=f"{conf} CI of the mean\n(bootstrap)"))
    return handles


# --- factor effects ---------------------------------------------------------------------------


def effects_figure(exp: Experiment, points: list[DesignPoint], frame: pd.DataFrame,
                   name: str) -> Any:
    """One panel per factor: how the mean outcome moves with that factor."""
    factors = exp.factors
    short = short_names(factors)
    columns = min(len(factors), 4)
    rows_n = -(-len(factors) // columns)
    width = max(9.0, 3.6 * columns + 1.5)
    fig = new_figure(width, 4.0 * rows_n + 1.4)
    axes = np.atleast_1d(fig.subplots(rows_n, columns, squeeze=False, sharey=True)).ravel()
    colours = _scenario_colours(points)
    ok = frame[frame["status"] == "ok"]
    label = exp.outcome_label(name)
    for k, (ax, factor) in enumerate(zip(axes, factors, strict=False)):
        for scenario, colour in colours.items():
            mine = [p for p in points if p.scenario == scenario]
            if isinstance(exp.design, GridDesign):
                _level_means(ax, exp, mine, ok, name, factor, colour, scenario, k,
                             len(colours) > 1)
            else:
                _sampled_trend(ax, mine, ok, name, factor, colour, scenario)
        ax.set_xlabel(_wrap(factor_title(exp, factor, short[factor]), 40))
        if k % columns == 0:
            ax.set_ylabel(_wrap(f"Share of runs: {label}" if _is_binary(exp, name) else label,
                                28))
    for ax in axes[len(factors):]:
        ax.set_visible(False)
    if not isinstance(exp.design, GridDesign):
        what = " (each dot: one design point's mean over its runs)"
    elif len(factors) > 1:
        what = " (mean at each level, pooled over the other factors)"
    else:
        what = ""
    subject = "each factor" if len(factors) > 1 else (lever_label(exp, factors[0])
                                                      or short[factors[0]])
    _title(fig, f"Effect of {subject} on {label}{what}", width)
    axes[0].legend(loc="best", fontsize=10)
    _footnote(fig, exp, frame)
    return fig


def _level_means(ax: Any, exp: Experiment, points: list[DesignPoint], ok: pd.DataFrame,
                 name: str, factor: str, colour: str, scenario: str, k: int,
                 several: bool) -> None:
    levels = exp.design.factors[factor]
    means, lows, highs = [], [], []
    for j, level in enumerate(levels):
        ids = [p.index for p in points if same_value(p.values[factor], level)]
        x = ok.loc[ok["point"].isin(ids), name].dropna().to_numpy(dtype=float)
        rng = analysis.rng_for(exp.file.seed, 9, k, j)
        low, high = analysis.mean_ci(x, exp.file.analysis.confidence,
                                     exp.file.analysis.resamples, rng)
        means.append(x.mean() if len(x) else np.nan)
        lows.append(low)
        highs.append(high)
    xs = np.arange(len(levels))
    means_a = np.array(means, dtype=float)
    err = np.array([means_a - np.array(lows), np.array(highs) - means_a])
    ax.errorbar(xs, means_a, yerr=np.nan_to_num(err), color=colour, marker="o", capsize=5,
                lw=2, label=f"{scenario}: mean, {exp.file.analysis.confidence:.0%} CI"
                if several else f"mean, {exp.file.analysis.confidence:.0%} CI (bootstrap)")
    ax.set_xticks(xs, [str(v) for v in levels], rotation=20 if len(levels) > 3 else 0)
    ax.set_xlim(-0.5, len(levels) - 0.5)


def _sampled_trend(ax: Any, points: list[DesignPoint], ok: pd.DataFrame, name: str,
                   factor: str, colour: str, scenario: str) -> None:
    means = ok.groupby("point")[name].mean()
    x = np.array([p.values[factor] for p in points], dtype=float)
    y = np.array([means.get(p.index, np.nan) for p in points], dtype=float)
    ax.scatter(x, y, s=12, color=colour, alpha=0.5, linewidths=0,
               label=f"{scenario}: design points" if scenario else "design points")
    edges = np.quantile(x, np.linspace(0, 1, 11 if len(x) >= 100 else 6))
    centres, binned = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (x >= lo) & (x <= hi) & ~np.isnan(y)
        if inside.any():
            centres.append((lo + hi) / 2)
            binned.append(y[inside].mean())
    ax.plot(centres, binned, color=MEAN_COLOUR, lw=2, label="binned mean")


# --- sensitivity ------------------------------------------------------------------------------


def _sensitivity_figures(folder: Path, exp: Experiment, table: pd.DataFrame,
                         frame: pd.DataFrame, name: str) -> list[Path]:
    out = []
    mine = table[(table["outcome"] == name) & (table["note"] == "")]
    labels = list(dict.fromkeys(mine["scenario"]))
    for scenario in labels:
        rows = mine[mine["scenario"] == scenario]
        suffix = f"_{_slug(scenario)}" if len(labels) > 1 else ""
        kind = exp.design.kind
        if kind == "sobol":
            fig, stem = sobol_figure(exp, rows, frame, name), "sobol"
        elif kind == "morris":
            fig, stem = morris_figure(exp, rows, frame, name), "morris"
        else:
            fig, stem = rank_figure(exp, rows, frame, name), "rank"
        out.append(_save(fig, folder / f"{stem}_{_slug(name)}{suffix}.png"))
    return out


def _runs_per_point(frame: pd.DataFrame) -> int:
    return int(frame.groupby("point").size().max()) if len(frame) else 0


def _runs_note(exp: Experiment, frame: pd.DataFrame) -> str:
    per = _runs_per_point(frame)
    return (f"{per} run{'s' * (per != 1)} per design point; "
            f"bars: {exp.file.analysis.confidence:.0%} CI")


def sobol_figure(exp: Experiment, rows: pd.DataFrame, frame: pd.DataFrame, name: str) -> Any:
    """Grouped bars: S1 and ST per factor, sorted by ST, with bootstrap intervals."""
    s1 = rows[rows["measure"] == "S1"].set_index("factor")
    st = rows[rows["measure"] == "ST"].set_index("factor")
    order = list(st["value"].sort_values(ascending=False).index)
    fig = new_figure(max(7.0, 1.1 * len(order) + 3), 5.2)
    ax = fig.add_subplot()
    xs = np.arange(len(order))
    for offset, (table, label, colour) in zip(
            (-0.2, 0.2), ((s1, "first order S1 (alone)", OKABE_ITO[0]),
                          (st, "total ST (with interactions)", OKABE_ITO[1])), strict=True):
        v = table.loc[order, "value"].to_numpy(dtype=float)
        err = np.array([v - table.loc[order, "ci_low"], table.loc[order, "ci_high"] - v])
        ax.bar(xs + offset, v, width=0.4, color=colour, label=label)
        ax.errorbar(xs + offset, v, yerr=np.clip(np.nan_to_num(err), 0, None), fmt="none",
                    ecolor="#333333", capsize=4, lw=1.3)
    ax.axhline(0, color="#555555", lw=0.8)
    ax.set_xticks(xs, order, rotation=30, ha="right")
    ax.set_ylabel("Sobol' index\n(share of outcome variance)")
    ax.set_xlabel("Factor (sorted by total index). An index below 0 or above 1 is estimation "
                  "noise:\nraise `samples` (and `runs`) for tighter intervals")
    _title(fig, f"Which assumption drives {exp.outcome_label(name)}? "
           f"({_runs_note(exp, frame)})", fig.get_figwidth())
    ax.legend(loc="upper right", frameon=False)
    _footnote(fig, exp, frame)
    return fig


def morris_figure(exp: Experiment, rows: pd.DataFrame, frame: pd.DataFrame, name: str) -> Any:
    """mu* (overall influence) against sigma (non-linearity and interactions)."""
    mu_star = rows[rows["measure"] == "mu_star"].set_index("factor")
    sigma = rows[rows["measure"] == "sigma"].set_index("factor")
    fig = new_figure(8.5, 6.2)
    ax = fig.add_subplot()
    for i, factor in enumerate(mu_star.index):
        m, s = float(mu_star.loc[factor, "value"]), float(sigma.loc[factor, "value"])
        low, high = mu_star.loc[factor, "ci_low"], mu_star.loc[factor, "ci_high"]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(m, s, xerr=[[max(m - low, 0)], [max(high - m, 0)]], fmt="o", ms=8,
                    color=colour, capsize=4, label=factor)
    top = float(np.nanmax([mu_star["value"].max(), sigma["value"].max(), 1e-9])) * 1.1
    ax.plot([0, top], [0, top], ls="--", color="#777777", lw=1.2,
            label="σ = μ* (above: non-linear\nor interacting)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("μ* (mean absolute elementary effect): overall influence")
    ax.set_ylabel("σ (spread of elementary effects)")
    _title(fig, f"Morris screening of {exp.outcome_label(name)} ({_runs_note(exp, frame)})",
           fig.get_figwidth())
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=10)
    _footnote(fig, exp, frame)
    return fig


def rank_figure(exp: Experiment, rows: pd.DataFrame, frame: pd.DataFrame, name: str) -> Any:
    """Horizontal bars: Spearman's rho of each factor with the outcome, with intervals."""
    rho = rows[rows["measure"] == "spearman_rho"].set_index("factor")
    order = list(rho["value"].abs().sort_values().index)
    fig = new_figure(8.5, 1.5 + 0.5 * len(order))
    ax = fig.add_subplot()
    v = rho.loc[order, "value"].to_numpy(dtype=float)
    err = np.array([v - rho.loc[order, "ci_low"], rho.loc[order, "ci_high"] - v])
    colours = [OKABE_ITO[0] if x >= 0 else OKABE_ITO[1] for x in v]
    ax.barh(range(len(order)), v, color=colours, xerr=np.nan_to_num(err), capsize=4)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_yticks(range(len(order)), order)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("Spearman rank correlation with the outcome (blue: raises it, orange: lowers)")
    _title(fig, f"{exp.outcome_label(name)}: rank correlations ({_runs_note(exp, frame)})",
           fig.get_figwidth())
    _footnote(fig, exp, frame)
    return fig


def redraw_folder(path: Path) -> list[Path]:
    """Redraw the figures of a folder written by ``sim experiment`` (PNG)."""
    import json

    from sim.experiments.design import build_design
    from sim.experiments.loader import load_experiment

    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    exp = load_experiment(manifest["experiment"]["path"])
    points = build_design(exp)
    outcomes = pd.read_csv(path / "outcomes.csv", keep_default_na=False)
    frame = outcomes[["point", "replicate", "seed", "status", "error", *exp.outcomes]]
    frame = frame.assign(**{n: pd.to_numeric(frame[n], errors="coerce") for n in exp.outcomes})
    summary = pd.read_csv(path / "summary.csv")
    sensitivity = (pd.read_csv(path / "sensitivity.csv")
                   if (path / "sensitivity.csv").is_file() else None)
    return draw_figures(path / "figures", exp, points, frame, summary, sensitivity)
