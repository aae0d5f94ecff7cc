"""The figures of a calibration folder (``sim history --calibrate``), drawn with the project's
slide style (:mod:`sim.plots.style`) and colour-blind-safe palette.

- ``pair_plot.png``: the weighted posterior of the final generation. Diagonal: each parameter's
  weighted histogram, its posterior mean and interval; below: every pair as a weighted kernel
  density (pyABC's ``kde_2d``) with the particles on top (area by weight). Every axis spans the
  parameter's prior range, so a flat histogram across its panel reads "not identified".
- ``predictive.png``: the posterior predictive check: the composite of every window over the
  predictive draws, the median and interval, and the baseline (the scenario's current values).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.history.calibrate import BASELINE, POSTERIOR, composite_column
from sim.history.calibration_file import Prior
from sim.plots import style
from sim.plots.palette import OKABE_ITO

POSTERIOR_COLOUR = OKABE_ITO[0]
BASELINE_COLOUR = OKABE_ITO[1]
INTERVAL_COLOUR = OKABE_ITO[5]
HISTOGRAM_BINS = 20
KDE_GRID = 40
KDE_LEVELS = 8
PANEL_INCHES = 2.8
MARKER_AREA = 400.0  # points^2 of a particle holding all the weight


def draw_pair_plot(final: pd.DataFrame, priors: dict[str, Prior], posterior: pd.DataFrame,
                   manifest: Mapping[str, Any], path: Path) -> Path:
    fig = pair_plot(final, priors, posterior, manifest)
    fig.savefig(path, dpi=style.FIG_DPI)
    return path


def pair_plot(final: pd.DataFrame, priors: dict[str, Prior], posterior: pd.DataFrame,
              manifest: Mapping[str, Any]) -> Figure:
    names = list(priors)
    size = max(2, len(names))
    weights = final["weight"].to_numpy(dtype=float)
    weights = weights / weights.sum()
    rows = posterior.set_index("parameter")
    with style.slide_style():
        fig = style.new_figure(PANEL_INCHES * size + 1.5, PANEL_INCHES * size + 1.0)
        axes = np.atleast_2d(fig.subplots(len(names), len(names), squeeze=False))
        for i, y in enumerate(names):
            for j, x in enumerate(names):
                ax = axes[i, j]
                if i == j:
                    draw_marginal(ax, final[x].to_numpy(dtype=float), weights, priors[x],
                                  rows.loc[x])
                elif i > j:
                    draw_pair(ax, final, weights, x, y, priors)
                else:
                    ax.set_axis_off()
                label_panel(ax, i, j, names)
        generation = int(final["generation"].iloc[0])
        fig.legend(handles=pair_legend(), loc="upper right", frameon=False,
                   title="every axis spans the parameter's prior range")
        fig.suptitle(f"Posterior of the calibrated parameters\n(ABC-SMC, generation "
                     f"{generation}, {len(final)} weighted particles)", fontweight="bold")
        style.add_provenance(fig, manifest)
    return fig


def pair_legend() -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [Patch(color=POSTERIOR_COLOUR, alpha=0.85, label="weighted histogram (diagonal)"),
            Line2D([], [], color="#000000", lw=1.6, label="posterior mean"),
            Patch(color=INTERVAL_COLOUR, alpha=0.25, label="posterior interval"),
            Patch(color="#6BAED6", label="weighted kernel density (below)"),
            Line2D([], [], ls="", marker="o", color=POSTERIOR_COLOUR,
                   label="particles (area: weight)")]


def label_panel(ax: Axes, i: int, j: int, names: list[str]) -> None:
    """Parameter names on the outer axes only: the bottom row and the left column."""
    last = len(names) - 1
    if i == last:
        ax.set_xlabel(names[j])
    else:
        ax.tick_params(labelbottom=False)
    if j == 0 and i > 0:
        ax.set_ylabel(names[i])
    elif i == 0 == j:
        ax.set_ylabel("posterior weight")


def draw_marginal(ax: Axes, values: np.ndarray, weights: np.ndarray, prior: Prior,
                  row: pd.Series) -> None:
    """Weighted histogram over the prior range, with the posterior mean and interval."""
    bins = np.linspace(prior.low, prior.high, HISTOGRAM_BINS + 1)
    ax.axvspan(row["posterior_low"], row["posterior_high"], color=INTERVAL_COLOUR, alpha=0.25,
               lw=0)
    ax.hist(values, bins=bins, weights=weights, color=POSTERIOR_COLOUR, alpha=0.85)
    ax.axvline(row["posterior_mean"], color="#000000", lw=1.6)
    ax.set_xlim(prior.low, prior.high)
    verdict = "identified" if bool(row["identified"]) else "not identified"
    ax.set_title(f"{row.name}\n{verdict} ({row['interval_share']:.0%} of prior)", fontsize=11)


def draw_pair(ax: Axes, final: pd.DataFrame, weights: np.ndarray, x: str, y: str,
              priors: dict[str, Prior]) -> None:
    """Weighted kernel density of the pair (where it can be fitted) and the particles."""
    px, py = priors[x], priors[y]
    density = pair_density(final, weights, x, y, priors)
    if density is not None:
        top = float(np.max(density[2]))
        # the lowest level is above zero, so that where the posterior has no mass stays white
        ax.contourf(*density, levels=np.linspace(top / KDE_LEVELS, top, KDE_LEVELS),
                    cmap="Blues", extend="max")
    ax.scatter(final[x], final[y], s=np.maximum(weights * MARKER_AREA, 4.0),
               color=POSTERIOR_COLOUR, edgecolor="white", linewidth=0.4, alpha=0.8)
    ax.set_xlim(px.low, px.high)
    ax.set_ylim(py.low, py.high)


def pair_density(final: pd.DataFrame, weights: np.ndarray, x: str, y: str,
                 priors: dict[str, Prior]) -> tuple[np.ndarray, ...] | None:
    """pyABC's weighted kernel density on the prior rectangle; None when the particles are too
    few or too alike for a covariance."""
    from pyabc.visualization.kde import kde_2d

    px, py = priors[x], priors[y]
    try:
        grid = kde_2d(final[[x, y]], weights, x, y, xmin=px.low, xmax=px.high, ymin=py.low,
                      ymax=py.high, numx=KDE_GRID, numy=KDE_GRID)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return grid if np.all(np.isfinite(grid[2])) else None


# --- the predictive check -----------------------------------------------------------------------


def draw_predictive(predictive: pd.DataFrame, windows: dict[str, tuple[str, str]],
                    summary: Mapping[str, Mapping[str, float]], level: float,
                    manifest: Mapping[str, Any], path: Path) -> Path:
    fig = predictive_figure(predictive, windows, summary, level, manifest)
    fig.savefig(path, dpi=style.FIG_DPI)
    return path


def predictive_figure(predictive: pd.DataFrame, windows: dict[str, tuple[str, str]],
                      summary: Mapping[str, Mapping[str, float]], level: float,
                      manifest: Mapping[str, Any]) -> Figure:
    shown = [w for w in windows if w in summary]
    draws = predictive[predictive["source"] == POSTERIOR]
    base = predictive[predictive["source"] == BASELINE]
    with style.slide_style():
        fig = style.new_figure(7.0 * max(1, len(shown)), 6.0)
        axes = np.atleast_1d(fig.subplots(1, max(1, len(shown)), sharey=True, squeeze=False)[0])
        for k, (ax, window) in enumerate(zip(axes, shown, strict=False)):
            column = composite_column(window)
            draw_composites(ax, draws[column].to_numpy(dtype=float),
                            base[column].to_numpy(dtype=float), summary[window], level)
            lo, hi = windows[window]
            role = ("fitted: posterior predictive check" if k == 0
                    else "held out: never used in fitting")
            ax.set_title(f"{window}, {lo} to {hi}\n({role})", loc="left")
            ax.set_xlabel("composite goodness (0-1, higher is better)")
        axes[0].set_ylabel("ensembles")
        axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower left", ncols=4,
                   frameon=False)
        fig.suptitle(f"Posterior predictive check: the composite of {len(draws)} parameter "
                     "sets drawn from the posterior,\neach a fresh ensemble, against as many "
                     "ensembles of the scenario's current values", fontweight="bold")
        style.add_provenance(fig, manifest)
    return fig


def draw_composites(ax: Axes, values: np.ndarray, baseline: np.ndarray,
                    summary: Mapping[str, float], level: float) -> None:
    finite = values[np.isfinite(values)]
    reference = baseline[np.isfinite(baseline)]
    both = np.concatenate([finite, reference])
    lo, hi = np.min(both, initial=1.0), np.max(both, initial=0.0)
    pad = max(0.02, 0.1 * (hi - lo))
    bins = np.linspace(max(0.0, lo - pad), min(1.0, hi + pad), HISTOGRAM_BINS + 1)
    ax.axvspan(summary["low"], summary["high"], color=INTERVAL_COLOUR, alpha=0.25, lw=0,
               label=f"{level:.0%} of posterior draws")
    ax.hist(finite, bins=bins, color=POSTERIOR_COLOUR, alpha=0.7, label="posterior draws")
    # the baseline as an outline, so that where the two overlap both stay readable
    ax.hist(reference, bins=bins, histtype="step", color=BASELINE_COLOUR, linewidth=2.4,
            label=f"{BASELINE}: current values")
    ax.axvline(summary["median"], color="#000000", lw=1.8, label="median of draws")
    ax.axvline(summary["baseline"], color=BASELINE_COLOUR, lw=2.4, ls="--",
               label="median of baseline")
