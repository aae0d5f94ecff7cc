"""The history figure: the simulated tension of the scored dyad against the record.

Top panel: the ensemble's monthly tension (median line over the 50% and 90% bands of runs) with
the record's events of the dyad drawn at their dates (solid: decided by an actor, the events a
replay must reproduce; dashed: scripted courts and incidents) and the key ones labelled.
Bottom panel: Goldstein sums per quarter, the record's beside the ensemble mean's (with the middle
50% of runs). The out-of-sample years are shaded in both. Colours follow ``sim.plots.style``
(Paul Tol's and Okabe-Ito's colour-blind-safe palettes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.history.reference import RecordEvent, Reference
from sim.history.scoring import SPEARMAN, Score, quarterly_sums
from sim.history.series import DyadEnsemble
from sim.plots import style

RECORD_COLOUR = "#222222"
CONFLICT_COLOUR = "#B2182B"  # Tol BuRd: the colours of sim.plots.palette.QUAD_CLASSES
COOPERATION_COLOUR = "#2166AC"
HELD_OUT_SHADE = "#EEEEEE"
QUARTER_DAYS = 91


def history_figure(ensemble: DyadEnsemble, reference: Reference,
                   manifest: Mapping[str, Any], scores: list[Score] | None = None) -> Figure:
    """The two panels, titled, with a legend beside each (and the rank correlations of the
    quarterly sums under the lower legend, if ``scores`` are given)."""
    colour = style.dyad_colours([reference.dyad_name], manifest)[reference.dyad_name]
    pair = style.dyad_label(reference.dyad_name, manifest)
    with style.slide_style():
        fig = style.new_figure(15, 10)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.35, 1.0])
        draw_tension(top, ensemble, reference, colour)
        draw_quarterly(bottom, ensemble, reference, colour)
        for ax in (top, bottom):
            shade_held_out(ax, reference)
        top.set_title(f"{pair}: simulated tension and the recorded events\n(scripted in the "
                      "replay: court rulings, one incident, elections, administrations; "
                      "all else is the actors' own choice)", loc="left",
                      pad=26)  # room for the window names above the panel
        bottom.set_title(f"{pair}: Goldstein sum per quarter, record and simulation",
                         loc="left")
        style.format_date_axis(bottom, "Date")
        bottom.tick_params(labelbottom=True)
        start = style.month_starts([ensemble.months[0]])[0]
        end = style.month_starts([ensemble.months[-1]])[0] + pd.offsets.MonthBegin(1)
        bottom.set_xlim(start, end)
        label_windows(top, reference, start, end)
        if scores:
            note_correlations(bottom, scores)
        years = f"{ensemble.months[0][:4]}-{ensemble.months[-1][:4]}"
        fig.suptitle(f"{pair}, {years}: the simulated replay against the historical record",
                     fontweight="bold")
        style.add_provenance(fig, manifest)
    return fig


def draw_tension(ax: Axes, ensemble: DyadEnsemble, reference: Reference, colour: str) -> None:
    dates = style.month_starts(ensemble.months)
    q05, q25, q50, q75, q95 = np.quantile(ensemble.tension, [0.05, 0.25, 0.5, 0.75, 0.95],
                                          axis=0)
    ax.fill_between(dates, q05, q95, color=colour, alpha=style.BAND_ALPHAS[1], lw=0)
    ax.fill_between(dates, q25, q75, color=colour, alpha=style.BAND_ALPHAS[0], lw=0)
    ax.plot(dates, q50, color=colour)
    inside = [e for e in reference.dyad_rows()
              if ensemble.months[0] <= e.month <= ensemble.months[-1]]
    for event in inside:
        mark_event(ax, event)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("Tension (0 calm, 1 crisis)")
    handles = [
        Line2D([], [], color=colour, label="Simulation: median of runs"),
        Patch(color=colour, alpha=sum(style.BAND_ALPHAS), label="middle 50% of runs"),
        Patch(color=colour, alpha=style.BAND_ALPHAS[1], label="middle 90% of runs"),
        Line2D([], [], color=CONFLICT_COLOUR, lw=1.2, label="Recorded conflict event"),
        Line2D([], [], color=COOPERATION_COLOUR, lw=1.2, label="Recorded cooperation event"),
        Line2D([], [], color=style.EVENT_LINE_COLOUR, lw=1.2, ls=(0, (4, 3)),
               label="Recorded, scripted in the\nreplay (courts, incident)"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              fontsize=11)


def mark_event(ax: Axes, event: RecordEvent) -> None:
    """A vertical at the event's date; its short label, if it has one, along the line."""
    when = pd.Timestamp(event.date)
    if event.endogenous:
        colour = CONFLICT_COLOUR if event.goldstein < 0 else COOPERATION_COLOUR
        ax.axvline(when, color=colour, lw=1.2, alpha=0.85, zorder=1.5)
    else:
        colour = style.EVENT_LINE_COLOUR
        ax.axvline(when, color=colour, lw=1.2, ls=(0, (4, 3)), zorder=1.5)
    if event.label:
        ax.text(when, 0.02, f" {event.label}", rotation=90, ha="right", va="bottom",
                fontsize=10, color=colour, transform=ax.get_xaxis_transform(),
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})


def draw_quarterly(ax: Axes, ensemble: DyadEnsemble, reference: Reference,
                   colour: str) -> None:
    """Record and simulation side by side in each quarter."""
    per_run = [quarterly_sums(row, ensemble.months) for row in ensemble.goldstein]
    quarters = list(per_run[0])
    sims = np.array([[run[q] for q in quarters] for run in per_run])
    rows = reference.dyad_rows()
    record = quarterly_sums([e.goldstein for e in rows], [e.month for e in rows])
    recorded = np.array([record.get(q, 0.0) for q in quarters])
    centres = quarter_starts(quarters) + pd.Timedelta(days=QUARTER_DAYS // 2)
    width = pd.Timedelta(days=QUARTER_DAYS * 0.4)
    ax.bar(centres - width / 2, recorded, width=width, color=RECORD_COLOUR,
           label="Record (hand-coded events)")
    low, high = np.quantile(sims, [0.25, 0.75], axis=0)
    mean = sims.mean(axis=0)
    ax.bar(centres + width / 2, mean, width=width, color=colour, label="Simulation: mean of runs")
    ax.errorbar(centres + width / 2, mean, yerr=[mean - np.minimum(low, mean),
                                                 np.maximum(high, mean) - mean],
                fmt="none", ecolor="#555555", elinewidth=1.2, capsize=2,
                label="middle 50% of runs")
    ax.axhline(0, color="#555555", lw=0.8)
    ax.set_ylabel("Goldstein sum\n(< 0 conflict, > 0 cooperation)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=11)


def note_correlations(ax: Axes, scores: list[Score]) -> None:
    """Spearman's rho of the quarterly sums per window, below the panel's legend."""
    rhos = [f"{s.window}: {s.value:.2f}" for s in scores
            if s.name == SPEARMAN and not math.isnan(s.value)]
    if rhos:
        ax.text(1.01, 0.35, "Rank correlation of\nrecord and simulation\n(Spearman rho)\n"
                + "\n".join(rhos), transform=ax.transAxes, ha="left", va="top", fontsize=11,
                color="#333333")


def quarter_starts(quarters: list[str]) -> pd.DatetimeIndex:
    """'2019Q3' -> 2019-07-01."""
    return pd.DatetimeIndex([pd.Timestamp(int(q[:4]), 3 * int(q[-1]) - 2, 1) for q in quarters])


def shade_held_out(ax: Axes, reference: Reference) -> None:
    """Shade every window but the first (the calibration window)."""
    for lo, hi in list(reference.windows.values())[1:]:
        start = style.month_starts([lo])[0]
        end = style.month_starts([hi])[0] + pd.offsets.MonthBegin(1)
        ax.axvspan(start, end, color=HELD_OUT_SHADE, zorder=0, lw=0)


def label_windows(ax: Axes, reference: Reference, start: pd.Timestamp,
                  end: pd.Timestamp) -> None:
    """Name each window above the top panel, centred on its visible part."""
    for name, (lo, hi) in reference.windows.items():
        a = max(style.month_starts([lo])[0], start)
        b = min(style.month_starts([hi])[0] + pd.offsets.MonthBegin(1), end)
        if a >= b:
            continue
        years = f"{lo[:4]}-{hi[:4]}"
        what = "calibration" if name == next(iter(reference.windows)) else "held out"
        ax.text(a + (b - a) / 2, 1.01, f"{name} ({what}, {years})", ha="center", va="bottom",
                fontsize=11, color="#444444", transform=ax.get_xaxis_transform())


def write_history_figure(folder: Path, ensemble: DyadEnsemble, reference: Reference,
                         manifest: Mapping[str, Any], scores: list[Score] | None = None) -> Path:
    """Save the figure as ``figures/history.png`` in the run folder."""
    from sim.plots.plot_cmd import save_figure

    out = folder / "figures"
    out.mkdir(exist_ok=True)
    fig = history_figure(ensemble, reference, manifest, scores)
    path = save_figure(fig, out / "history.png")
    fig.clear()
    return path
