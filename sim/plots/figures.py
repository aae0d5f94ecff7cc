"""The figures of a run, one function each: tables and manifest in, a matplotlib Figure out.

No file I/O here: ``plot_cmd`` reads the run folder and saves, ``report`` embeds. Every figure
summarises the ensemble (median and 50%/90% bands over runs, or means over runs), because a single
stochastic run says little on its own.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.months import months_between
from sim.plots import palette, style

QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_TRAJECTORY_DYADS = 6  # without key dyads: more rows would not fit a slide
Manifest = Mapping[str, Any]


# ---------------------------------------------------------------- shared helpers
def ensemble_quantiles(table: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Quantiles of ``value`` over runs for each ``keys`` group, columns q05 ... q95."""
    q = table.groupby(keys)[value].quantile(list(QUANTILES)).unstack()
    q.columns = [f"q{round(c * 100):02d}" for c in q.columns]
    return q


def draw_band(ax: Axes, dates: pd.DatetimeIndex, q: pd.DataFrame, colour: str, label: str) -> None:
    """Median line over its 50% and 90% bands (bands first, so the line stays on top)."""
    ax.fill_between(dates, q["q05"], q["q95"], color=colour, alpha=style.BAND_ALPHAS[1], lw=0)
    ax.fill_between(dates, q["q25"], q["q75"], color=colour, alpha=style.BAND_ALPHAS[0], lw=0)
    ax.plot(dates, q["q50"], color=colour, label=label)


def band_key_handles(runs: int = 2) -> list[Any]:
    """Grey legend entries explaining line and bands once for all series (one game: its line)."""
    grey = "#777777"
    if runs == 1:
        return [Line2D([], [], color=grey, label="This game")]
    return [
        Line2D([], [], color=grey, label="Ensemble median"),
        Patch(color=grey, alpha=style.BAND_ALPHAS[0] + style.BAND_ALPHAS[1], label="50% of runs"),
        Patch(color=grey, alpha=style.BAND_ALPHAS[1], label="90% of runs"),
    ]


def month_window(months: Sequence[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Date limits covering the first to the end of the last month."""
    dates = style.month_starts(sorted(months))
    return dates[0], dates[-1] + pd.offsets.MonthBegin(1)


def scripted_in_window(manifest: Manifest, months: Sequence[str]) -> list[dict[str, str]]:
    """The manifest's scripted events that fall inside the plotted months, in date order."""
    inside = set(months)
    events = [e for e in manifest.get("scripted_events", []) if str(e.get("month")) in inside]
    return sorted(events, key=lambda e: str(e["month"]))


def event_levels(dates: pd.DatetimeIndex, span_days: float) -> list[int]:
    """Greedy stacking of event numbers: an event close to the previous one on a level moves up."""
    gap = 0.045 * span_days  # about two digits wide, as a share of the time axis
    last_on_level: list[pd.Timestamp] = []
    levels = []
    for date in dates:
        level = next((i for i, last in enumerate(last_on_level) if (date - last).days > gap),
                     len(last_on_level))
        if level == len(last_on_level):
            last_on_level.append(date)
        last_on_level[level] = date
        levels.append(level)
    return levels


def event_levels_in(events: list[dict[str, str]], months: Sequence[str]) -> list[int]:
    """Stacking level of each scripted event's number on a time axis spanning ``months``."""
    start, end = month_window(months)
    return event_levels(style.month_starts([e["month"] for e in events]), (end - start).days)


def draw_event_strip(ax: Axes, events: list[dict[str, str]], months: Sequence[str]) -> None:
    """Event numbers on a thin strip above the panels, stacked where events are close."""
    dates = style.month_starts([e["month"] for e in events])
    levels = event_levels_in(events, months)
    for n, (date, level) in enumerate(zip(dates, levels, strict=True), start=1):
        ax.text(date, level + 0.5, str(n), ha="center", va="center", fontsize=11,
                fontweight="bold", color=style.EVENT_LINE_COLOUR)
    ax.set_ylim(0, max(levels, default=0) + 1)
    ax.set_title("Scripted events", loc="left", fontsize=12)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(axis="x", length=0)


def mark_scripted_events(axes: Sequence[Axes], events: list[dict[str, str]]) -> None:
    """A dashed vertical at each scripted event on every given panel."""
    for date in style.month_starts([e["month"] for e in events]):
        for ax in axes:
            ax.axvline(date, color=style.EVENT_LINE_COLOUR, ls=(0, (4, 3)), lw=1.1, zorder=1.8)


def event_key_handles(events: list[dict[str, str]]) -> list[Line2D]:
    """Numbered legend entries naming each scripted event."""
    return [
        Line2D([], [], ls="none", marker=f"${n}$", markersize=9, color=style.EVENT_LINE_COLOUR,
               label=textwrap.fill(f"{style.month_title(e['month'])}: {event_name(e)}", 34))
        for n, e in enumerate(events, start=1)
    ]


def event_name(event: Mapping[str, Any]) -> str:
    """A scripted event's label, else its id."""
    return str(event.get("label") or event.get("id") or "")


def administration_rows(manifest: Manifest) -> dict[str, list[Mapping[str, Any]]]:
    """Administrations grouped by actor, actors in the manifest's order."""
    rows: dict[str, list[Mapping[str, Any]]] = {}
    order = {a: i for i, a in enumerate(style.actor_ids(manifest))}
    for adm in manifest.get("administrations", []):
        rows.setdefault(str(adm["actor"]), []).append(adm)
    return dict(sorted(rows.items(), key=lambda kv: order.get(kv[0], len(order))))


def draw_administrations(
    ax: Axes, manifest: Manifest, months: Sequence[str], labels: bool = True
) -> None:
    """One shaded row per actor, a block per administration labelled with its leader."""
    start, end = month_window(months)
    colours = style.actor_colours(manifest)
    rows = administration_rows(manifest)
    span_days = (end - start).days
    width_in = ax.get_position().width * ax.get_figure().get_figwidth() * 0.9  # after layout
    for y, (actor, adms) in enumerate(rows.items()):
        for i, adm in enumerate(sorted(adms, key=lambda a: str(a["start"]))):
            left = max(style.month_starts([adm["start"]])[0], start)
            right = style.month_starts([adm["end"]])[0] if adm.get("end") else end
            right = min(right, end)
            if right <= left:
                continue
            width = mdates.date2num(right) - mdates.date2num(left)
            # Successive leaders alternate in strength so the handover is visible.
            ax.broken_barh([(mdates.date2num(left), width)], (y - 0.4, 0.8),
                           facecolors=colours.get(actor, "#999999"), alpha=(0.35, 0.6)[i % 2],
                           edgecolor="white", linewidth=1.5)
            bar_in = (right - left).days / span_days * width_in
            label = fit_label(str(adm.get("leader", "")), bar_in)
            ax.text(left + (right - left) / 2, y, label, ha="center", va="center", fontsize=10,
                    linespacing=0.95, clip_on=True)
    ax.set_yticks(range(len(rows)), [style.actor_label(a, manifest) for a in rows] if labels
                  else [])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_title("Administrations", loc="left", fontsize=12)
    ax.grid(False)


def fit_label(label: str, inches: float, fontsize: float = 10) -> str:
    """The label on one line if it fits the width, else on two, else nothing (no overflow)."""
    capacity = int(inches * 72 / (0.55 * fontsize))  # an average glyph is ~0.55 em wide
    if len(label) <= capacity:
        return label
    wrapped = textwrap.wrap(label, max(capacity, 1), break_long_words=False)
    return "\n".join(wrapped) if len(wrapped) <= 2 and capacity > 0 and all(
        len(line) <= capacity for line in wrapped) else ""


def side_legend(ax: Axes, handles: Sequence[Any], title: str | None = None, **kw: Any) -> None:
    """Legend to the right of a panel: it never covers data and the layout makes room for it."""
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              title=title, alignment="left", **kw)


def figure_title(fig: Figure, what: str, manifest: Manifest) -> None:
    """Suptitle naming the figure and the scenario, plus the provenance footnote."""
    scenario = str(manifest.get("scenario", {}).get("title") or "").strip()
    fig.suptitle(f"{what}\n{scenario}" if scenario else what, fontweight="bold")
    style.add_provenance(fig, manifest)


def no_data_note(ax: Axes, message: str) -> None:
    """Say so on the axes instead of drawing an empty frame a reader might misread."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            fontsize=13, color="#555555")


# ---------------------------------------------------------------- key acts of the actors
# The actors' own acts that make a story's turning points (export controls, leaving a treaty, a
# settlement), told apart from routine ones by two rules: strong on the Goldstein scale, and
# rare within a run (an act repeated every month is the weather, not an event).
KEY_ACT_MIN_GOLDSTEIN = 4.0  # |Goldstein| on its -10..+10 scale
KEY_ACT_MAX_PER_RUN = 2.0  # mean times per run in which it happened at all
KEY_ACT_MIN_SHARE = 0.1  # of runs: rarer acts are noise in an ensemble figure
KEY_ACT_LIMIT = 6
LETTERS = "ABCDEFGHIJ"


def action_words(action: str, manifest: Manifest) -> str:
    """An action's label from the manifest if it has one, else its id in words."""
    info = manifest.get("actions", {}).get(action)
    label = info.get("label") if isinstance(info, Mapping) else None
    return str(label or action.replace("_", " "))


def key_acts(events: pd.DataFrame, manifest: Manifest, months: Sequence[str]) -> list[dict]:
    """The key acts of the actors (see the rules above), in the order they happen, each with the
    share of runs in which it has happened by each month (``shares``, aligned on ``months``)
    and the month that share first reaches one half (``month``, None if it never does)."""
    months = sorted(months)
    runs = run_count(events, manifest)
    own = events[~events["scripted"].astype(bool)]
    if own.empty:
        return []
    own = own.assign(strength=own["goldstein"].abs())
    per_act = own.groupby(["actor", "action"]).agg(
        times=("run", "size"), runs=("run", "nunique"), strength=("strength", "mean"))
    per_act = per_act[(per_act["strength"] >= KEY_ACT_MIN_GOLDSTEIN)
                      & (per_act["times"] / per_act["runs"] <= KEY_ACT_MAX_PER_RUN)
                      & (per_act["runs"] / runs >= KEY_ACT_MIN_SHARE)]
    per_act = per_act.assign(score=per_act["runs"] / runs * per_act["strength"])
    per_act = per_act.sort_values(["score", "times"], ascending=False)
    per_act = per_act[~per_act.index.get_level_values("action").duplicated()]  # one signatory
    first = own.groupby(["actor", "action", "run"])["month"].min()
    colours = style.actor_colours(manifest)
    acts = []
    for (actor, action) in per_act.index[:KEY_ACT_LIMIT]:
        counts = first.loc[(actor, action)].value_counts().reindex(months, fill_value=0)
        shares = counts.cumsum().to_numpy() / runs
        reached = np.flatnonzero(shares >= 0.5)
        acts.append({"actor": actor, "action": action, "shares": shares,
                     "month": months[reached[0]] if len(reached) else None,
                     "label": f"{style.actor_label(actor, manifest)}: "
                              f"{action_words(action, manifest)}",
                     "colour": colours.get(actor, "#555555"), "final": float(shares[-1])})
    # lettered in the order they happen (in half of the runs), so the letters read left to right
    acts.sort(key=lambda a: (a["month"] or "9999", -a["final"], a["label"]))
    for letter, act in zip(LETTERS, acts, strict=False):
        act["letter"] = letter
    return acts


def draw_key_act_row(ax: Axes, acts: list[dict], months: Sequence[str], runs: int) -> None:
    """One game: each key act's letter at its month. An ensemble: the share of runs in which
    each act has happened by then, lettered where it reaches one half."""
    dates = style.month_starts(months)  # a month's state is plotted at its first day
    ax.grid(False)
    if runs == 1:
        ax.spines[["left", "bottom"]].set_visible(False)
        when = style.month_starts([a["month"] for a in acts])
        start, end = month_window(months)
        levels = event_levels(when, (end - start).days)
        for act, date, level in zip(acts, when, levels, strict=True):
            ax.text(date, level + 0.5, act["letter"], ha="center", va="center", fontsize=12,
                    fontweight="bold", color=act["colour"])
        ax.set_ylim(0, max(levels, default=0) + 1)
        ax.set_yticks([])
        ax.tick_params(axis="x", length=0)
        ax.set_title("Key acts of the actors in this game", loc="left", fontsize=12)
        return
    for act in acts:
        ax.plot(dates, act["shares"], color=act["colour"], lw=2.0)
        at = months.index(act["month"]) if act["month"] else len(months) - 1
        ax.text(dates[at], act["shares"][at], act["letter"], ha="center", va="center",
                fontsize=11, fontweight="bold", color=act["colour"],
                bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": act["colour"]})
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Share\nof runs")
    ax.set_title("Key acts of the actors: share of runs in which each has happened by then",
                 loc="left", fontsize=12)


def mark_key_acts(axes: Sequence[Axes], acts: list[dict]) -> None:
    """A dotted vertical in the actor's colour where each key act happened (one game) or had
    happened in half of the runs (an ensemble)."""
    for act in acts:
        if act["month"]:
            date = style.month_starts([act["month"]])[0]
            for ax in axes:
                ax.axvline(date, color=act["colour"], ls=":", lw=1.6, zorder=1.7)


def key_act_handles(acts: list[dict], runs: int, horizon: str) -> list[Line2D]:
    """Lettered legend entries for the key acts."""
    end = style.month_title(horizon)
    return [Line2D([], [], ls="none", marker=f"${a['letter']}$", markersize=9, color=a["colour"],
                   label=textwrap.fill(a["label"] + ("" if runs == 1 else
                                                     f" ({a['final']:.0%} of runs by {end})"),
                                       40))
            for a in acts]


# ---------------------------------------------------------------- trajectories
PANELS: tuple[str, ...] = ("tension", "cooperation")


def trajectory_figure(
    trajectories: pd.DataFrame, manifest: Manifest, dyads: Sequence[str] | None = None,
    events: pd.DataFrame | None = None,
) -> Figure:
    """Small multiples: a row per pair of actors, tension left and cooperation right, each the
    median over runs with 50% and 90% bands (one game: its line); scripted events numbered on
    top, then the actors' key acts (from ``events``), administrations below."""
    dyads = chosen_dyads(trajectories, manifest, dyads)
    months = sorted(trajectories["month"].unique())
    runs = run_count(trajectories, manifest)
    scripted = scripted_in_window(manifest, months)
    acts = key_acts(events, manifest, months) if events is not None else []
    admins = administration_rows(manifest)
    ratios = [1.8] * len(dyads)
    top_rows = 0
    if acts:
        levels = event_levels_in([{"month": a["month"]} for a in acts], months) if runs == 1 \
            else [0]
        ratios.insert(0, 0.3 * (max(levels) + 1) + 0.3 if runs == 1 else 1.5)
        top_rows += 1
    if scripted:
        ratios.insert(0, 0.3 * (max(event_levels_in(scripted, months)) + 1))
        top_rows += 1
    if admins:
        ratios.append(0.45 + 0.38 * len(admins))
    keys = event_key_handles(scripted) + key_act_handles(acts, runs, months[-1])
    with style.slide_style():
        fig = style.new_figure(14, 1.5 + sum(ratios) + key_height(keys))
        gs = fig.add_gridspec(len(ratios) + bool(keys), 2,
                              height_ratios=ratios + [key_height(keys)] * bool(keys))
        grid = shared_x_grid(fig, gs, len(ratios))
        panels = grid[top_rows:top_rows + len(dyads)]
        draw_dyad_rows(panels, trajectories, manifest, dyads)
        mark_scripted_events(list(panels.ravel()), scripted)
        mark_key_acts(list(panels.ravel()), acts)
        for col in range(2):
            if scripted:
                draw_event_strip(grid[0, col], scripted, months)
            if acts:
                draw_key_act_row(grid[top_rows - 1, col], acts, months, runs)
                if col == 1:  # one title for the row, on the left
                    grid[top_rows - 1, col].set_title("", loc="left")
            if admins:
                draw_administrations(grid[-1, col], manifest, months, labels=col == 0)
            style.format_date_axis(grid[-1, col], window=month_window(months))
        grid[0, 0].set_xlim(*month_window(months))
        side_legend(panels[0, 1], band_key_handles(runs), "Each pair")
        if keys:  # in its own row: a tall key beside a panel would stretch that panel's row
            draw_key(fig.add_subplot(gs[-1, :]), keys, " and ".join(
                part for part, there in (("Scripted events (numbers)", scripted),
                                         ("key acts of the actors (letters)", acts)) if there
            ).capitalize())
        figure_title(fig, "Tension and cooperation, pair by pair" if runs > 1 else
                     "Tension and cooperation in this game, pair by pair", manifest)
    return fig


KEY_COLUMNS = 3


def key_height(handles: Sequence[Any]) -> float:
    """Inches a key of (possibly multi-line) entries needs when laid out in KEY_COLUMNS."""
    if not handles:
        return 0.0
    per_column = -(-len(handles) // KEY_COLUMNS)
    lines = [h.get_label().count("\n") + 1 for h in handles]
    rows = [max(lines[r::per_column]) for r in range(per_column)]  # legends fill column-wise
    return 0.5 + 0.24 * sum(rows)


def draw_key(ax: Axes, handles: Sequence[Any], title: str) -> None:
    """A legend filling an otherwise empty axes (part of the layout, unlike figure legends)."""
    ax.set_axis_off()
    ax.legend(handles=handles, loc="center", ncols=min(KEY_COLUMNS, len(handles)), title=title,
              fontsize=11, handletextpad=0.4, borderaxespad=0.0)


def shared_x_grid(fig: Figure, gs: Any, nrows: int) -> np.ndarray:
    """An nrows x 2 array of axes sharing one time axis, tick labels on the bottom row only."""
    grid = np.empty((nrows, 2), dtype=object)
    for row in range(nrows):
        for col in range(2):
            grid[row, col] = fig.add_subplot(gs[row, col], sharex=grid[0, 0] if row or col
                                             else None)
            grid[row, col].tick_params(labelbottom=row == nrows - 1)
    return grid


def chosen_dyads(
    trajectories: pd.DataFrame, manifest: Manifest, dyads: Sequence[str] | None
) -> list[str]:
    """The dyads asked for, else the manifest's key dyads, else the first few of all."""
    present = set(trajectories["dyad"].unique())
    if dyads:
        unknown = sorted(set(dyads) - present)
        if unknown:
            raise ValueError(f"dyads not in the trajectories: {', '.join(unknown)}")
        return list(dyads)
    key = [d for d in manifest.get("key_dyads", []) if d in present]
    return key or style.dyad_order(present, manifest)[:MAX_TRAJECTORY_DYADS]


def draw_dyad_rows(
    panels: np.ndarray, trajectories: pd.DataFrame, manifest: Manifest, dyads: Sequence[str]
) -> None:
    """One row of panels per dyad: a median line and two bands in each."""
    colours = style.dyad_colours(trajectories["dyad"].unique(), manifest)
    wanted = trajectories[trajectories["dyad"].isin(dyads)]
    for col, column in enumerate(PANELS):
        q = ensemble_quantiles(wanted, ["dyad", "month"], column)
        for row, dyad in enumerate(dyads):
            ax, dq = panels[row, col], q.loc[dyad]
            label = style.dyad_label(dyad, manifest)
            draw_band(ax, style.month_starts(dq.index), dq, colours[dyad], label)
            ax.set_ylim(0, 1)
            # Short axis label (long ones overrun a short panel); the scale goes in the title.
            ax.set_ylabel(column.capitalize())
            ax.set_title(f"{label}: {column} (0–1)", loc="left")


# ---------------------------------------------------------------- heatmap
def tension_heatmap(trajectories: pd.DataFrame, manifest: Manifest) -> Figure:
    """Ensemble-median tension of every dyad in every month, key dyads on top."""
    dyads = style.dyad_order(trajectories["dyad"].unique(), manifest)
    grid = trajectories.groupby(["dyad", "month"])["tension"].median().unstack("month")
    grid = grid.reindex(index=dyads, columns=sorted(grid.columns))
    starts = style.month_starts(grid.columns)
    edges = starts.append(pd.DatetimeIndex([starts[-1] + pd.offsets.MonthBegin(1)]))
    with style.slide_style():
        fig = style.new_figure(13, 2.6 + 0.5 * len(dyads))
        ax = fig.add_subplot()
        mesh = ax.pcolormesh(edges, np.arange(len(dyads) + 1), grid.to_numpy(),
                             cmap=style.tension_cmap(), vmin=0, vmax=1, shading="flat")
        ax.set_yticks(np.arange(len(dyads)) + 0.5, [style.dyad_label(d, manifest) for d in dyads])
        ax.set_ylim(len(dyads), 0)
        key = [d for d in manifest.get("key_dyads", []) if d in dyads]
        if 0 < len(key) < len(dyads):  # a rule under the scenario's key dyads, said in words
            ax.axhline(len(key), color="black", lw=2)
            ax.set_title("Above the black line: the scenario's key pairs; below it: every "
                         "other pair", loc="left", fontsize=12)
        ax.set_ylabel("Pair of actors")
        ax.grid(False)
        style.format_date_axis(ax, window=(edges[0], edges[-1]))
        one = run_count(trajectories, manifest) == 1
        fig.colorbar(mesh, ax=ax, label="Tension (0–1)" + ("" if one else ", median over runs"),
                     pad=0.01)
        figure_title(fig, "Tension in every pair of actors, month by month", manifest)
    return fig


# ---------------------------------------------------------------- network
def default_network_months(trajectories: pd.DataFrame, manifest: Manifest) -> list[str]:
    """Start, the month of peak key-dyad tension, and end: the story in three snapshots."""
    months = sorted(trajectories["month"].unique())
    present = set(trajectories["dyad"].unique())
    key = [d for d in manifest.get("key_dyads", []) if d in present]
    focus = trajectories[trajectories["dyad"].isin(key)] if key else trajectories
    peak = str(focus.groupby("month")["tension"].mean().idxmax())
    if peak in (months[0], months[-1]):
        peak = months[len(months) // 2]
    return sorted({months[0], peak, months[-1]})


def circle_layout(actors: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Actors clockwise on a circle from the top, in manifest order (same in every panel)."""
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(actors)) / max(len(actors), 1)
    return {a: (float(np.cos(t)), float(np.sin(t))) for a, t in zip(actors, angles, strict=True)}


def network_figure(
    trajectories: pd.DataFrame, manifest: Manifest, months: Sequence[str] | None = None
) -> Figure:
    """Actors as nodes; edges coloured by median tension and as wide as median cooperation."""
    months = list(months) if months else default_network_months(trajectories, manifest)
    in_dyads = {a for d in trajectories["dyad"].unique() for a in style.dyad_actors(d, manifest)}
    actors = [a for a in style.actor_ids(manifest) if a in in_dyads]
    actors += sorted(in_dyads - set(actors))
    layout = circle_layout(actors)
    medians = trajectories.groupby(["month", "dyad"])[["tension", "cooperation"]].median()
    ncols = min(len(months), 4)
    nrows = -(-len(months) // ncols)
    with style.slide_style():
        fig = style.new_figure(4.4 * ncols + 1.6, 4.0 * nrows + 1.9)
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, month in zip(axes, months, strict=False):
            draw_network(ax, medians.loc[month], layout, manifest)
            ax.set_title(style.month_title(month))
        for ax in axes[len(months):]:
            ax.set_axis_off()
        mappable = ScalarMappable(norm=Normalize(0, 1), cmap=style.tension_cmap())
        fig.colorbar(mappable, ax=list(axes), label="Tension (0–1), edge colour", shrink=0.8)
        fig.legend(handles=cooperation_width_keys(), loc="outside lower center", ncols=3,
                   title="Cooperation (0–1), edge width")
        figure_title(fig, "Relations network" + (
            "" if run_count(trajectories, manifest) == 1 else " (medians over runs)"), manifest)
    return fig


def edge_width(cooperation: float) -> float:
    """Line width in points for a cooperation level; never zero so weak ties stay visible."""
    return 1.0 + 9.0 * float(cooperation)


def cooperation_width_keys() -> list[Line2D]:
    """Legend samples of edge width."""
    return [Line2D([], [], color="#777777", lw=edge_width(c), label=f"{c:.2f}")
            for c in (0.1, 0.5, 0.9)]


def draw_network(
    ax: Axes, month_values: pd.DataFrame, layout: Mapping[str, tuple[float, float]],
    manifest: Manifest,
) -> None:
    """One month's network on one axes."""
    cmap = style.tension_cmap()
    segments, colours, widths = [], [], []
    # Calm edges first, so the tense ones are drawn on top where edges cross.
    for dyad, row in month_values.sort_values("tension").iterrows():
        a, b = style.dyad_actors(str(dyad), manifest)
        if a in layout and b in layout:
            segments.append([layout[a], layout[b]])
            colours.append(cmap(float(row["tension"])))
            widths.append(edge_width(row["cooperation"]))
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths, zorder=1,
                                     capstyle="round"))
    node_colours = style.actor_colours(manifest)
    for actor, (x, y) in layout.items():
        ax.scatter([x], [y], s=420, color=node_colours.get(actor, "#999999"), edgecolor="black",
                   linewidth=1.2, zorder=3)
        draw_node_label(ax, x, y, style.actor_label(actor, manifest))
    ys = [y for _, y in layout.values()]
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(min(ys) - 0.45, max(ys) + 0.45)  # a triangle needs less room below than a circle
    ax.set_aspect("equal")
    ax.set_axis_off()


def draw_node_label(ax: Axes, x: float, y: float, label: str) -> None:
    """Name just outside the node, anchored away from the centre so it never covers the node."""
    ha = "left" if x > 0.2 else "right" if x < -0.2 else "center"
    va = "bottom" if y > 0.2 else "top" if y < -0.2 else "center"
    ax.text(1.13 * x, 1.13 * y + 0.1 * np.sign(y), textwrap.fill(label, 14), ha=ha, va=va,
            fontsize=11, zorder=4)


# ---------------------------------------------------------------- event timeline
def event_rows(events: pd.DataFrame, manifest: Manifest) -> list[str]:
    """Modelled actors that acted (manifest order), then one row for all scripted events."""
    own = events.loc[~events["scripted"], "actor"].unique()
    rows = [a for a in style.actor_ids(manifest) if a in set(own)]
    rows += sorted(set(own) - set(rows))
    return rows + ([SCRIPTED_ROW] if events["scripted"].any() else [])


SCRIPTED_ROW = "__scripted__"


def run_count(table: pd.DataFrame, manifest: Manifest) -> int:
    """Ensemble size: the manifest's, else what the table shows (runs without events included)."""
    if manifest.get("runs"):
        return int(manifest["runs"])
    return int(table["run"].max()) + 1 if len(table) else 1


def event_timeline(
    events: pd.DataFrame, manifest: Manifest, months: Sequence[str]
) -> Figure:
    """Events per QuadClass per actor and month (mean over runs), and the monthly Goldstein sum."""
    months = sorted(months)
    rows = event_rows(events, manifest)
    runs = run_count(events, manifest)
    with style.slide_style():
        fig = style.new_figure(13, 2.6 + 1.25 * len(rows) + 2.4)
        axes = np.atleast_1d(fig.subplots(len(rows) + 1, 1, sharex=True, gridspec_kw={
            "height_ratios": [1.0] * len(rows) + [1.8]}))
        for ax, row in zip(axes[:-1], rows, strict=True):
            draw_quad_bars(ax, row_events(events, row), months, runs)
            name = style.actor_label(row, manifest) if row != SCRIPTED_ROW else "Scripted events"
            ax.set_ylabel(textwrap.fill(name, 14), rotation=0, ha="right", va="center")
        if rows:
            axes[0].set_title("Events per month by actor" + (
                "" if runs == 1 else " (mean over runs)"), loc="left")
            share_y(axes[:-1])
        draw_goldstein(axes[-1], events, months, runs)
        if events.empty:
            no_data_note(axes[-1], "No events were recorded in this run")
        axes[-1].set_xlim(*month_window(months))
        style.format_date_axis(axes[-1], window=month_window(months))
        if rows:
            kinds = [Patch(color=c, label=n) for n, c in palette.QUAD_CLASSES.values()]
            side_legend(axes[0], kinds, "Kind of act\n(QuadClass)")
        side_legend(axes[-1], band_key_handles(runs), "Goldstein sum")
        figure_title(fig, "Event timeline", manifest)
    return fig


def row_events(events: pd.DataFrame, row: str) -> pd.DataFrame:
    """The events of one timeline row: an actor's own decisions, or all scripted events."""
    if row == SCRIPTED_ROW:
        return events[events["scripted"]]
    return events[(events["actor"] == row) & ~events["scripted"]]


def share_y(axes: Sequence[Axes]) -> None:
    """Same count scale on every actor row, so rows compare by eye."""
    top = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(0, top)


def draw_quad_bars(ax: Axes, events: pd.DataFrame, months: Sequence[str], runs: int) -> None:
    """Stacked steps of mean monthly counts per QuadClass (one filled shape per class: as
    readable as bars, and a few shapes to draw instead of thousands of rectangles)."""
    counts = events.groupby(["month", "quad_class"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=months, columns=list(palette.QUAD_CLASSES), fill_value=0) / runs
    edges = mdates.date2num(style.month_starts(months).append(
        pd.DatetimeIndex([month_window(months)[1]])))
    bottom = np.zeros(len(months))
    for quad, (name, colour) in palette.QUAD_CLASSES.items():
        top = bottom + counts[quad].to_numpy()
        ax.stairs(top, edges, baseline=bottom, fill=True, color=colour, label=name, lw=0)
        bottom = top
    ax.grid(axis="x", visible=False)
    ax.set_axisbelow(True)  # grid lines behind the filled counts


def draw_goldstein(ax: Axes, events: pd.DataFrame, months: Sequence[str], runs: int) -> None:
    """Monthly Goldstein sum over all events: median and bands over runs (empty months are 0)."""
    sums = events.groupby(["run", "month"])["goldstein"].sum()
    full = pd.MultiIndex.from_product([range(runs), months], names=["run", "month"])
    table = sums.reindex(full, fill_value=0.0).rename("goldstein").reset_index()
    q = ensemble_quantiles(table, ["month"], "goldstein").reindex(months)
    dates = style.month_starts(months) + pd.Timedelta(days=12)  # centre on the bars above
    draw_band(ax, dates, q, "#333333", "Goldstein sum")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("Goldstein sum")
    ax.set_title("How cooperative each month was: the sum of its acts' Goldstein scores\n"
                 "(each act from −10, most hostile, to +10, most cooperative)", loc="left")


# ---------------------------------------------------------------- agreements
def months_apart(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole months from ``start`` to ``end`` ('YYYY-MM' strings), element by element."""
    return pd.Series([months_between(a, b) for a, b in zip(start, end, strict=True)],
                     index=start.index)


def agreement_durations(agreements: pd.DataFrame, horizon: str) -> pd.DataFrame:
    """Months in force and whether the end was observed; deals in force are censored at the
    horizon, having lasted through its last month."""
    ended = agreements["ended"].notna() & (agreements["ended"].astype(str) != "")
    end = agreements["ended"].where(ended, horizon).astype(str)
    months = months_apart(agreements["signed"].astype(str), end) + (~ended).astype(int)
    return pd.DataFrame({"months": months.astype(float), "observed": ended,
                         "victims_included": agreements["victims_included"].astype(bool)})


def kaplan_meier(durations: pd.DataFrame) -> Any:
    """scipy's Kaplan-Meier estimate (``ecdf`` on right-censored data)."""
    from scipy import stats  # a second of import time, needed only when deals were signed

    data = stats.CensoredData(
        uncensored=durations.loc[durations["observed"], "months"].to_numpy(),
        right=durations.loc[~durations["observed"], "months"].to_numpy(),
    )
    return stats.ecdf(data)


def survival_steps(result: Any, t_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Step coordinates (drawn 'post') of the survival function from t = 0 to ``t_max``."""
    grid = np.unique(np.concatenate([[0.0], result.sf.quantiles, [t_max]]))
    return grid, result.sf.evaluate(grid)


def draw_km(ax: Axes, durations: pd.DataFrame, included: bool) -> None:
    """One kind of deal: survival step, its 95% confidence band and censoring ticks; the curve
    stops at the group's last observation, beyond which it says nothing."""
    name, colour, ls = palette.DEAL_KINDS[included]
    result = kaplan_meier(durations)
    x, y = survival_steps(result, float(durations["months"].max()))
    with warnings.catch_warnings():  # scipy warns where Greenwood's CI is undefined; we leave gaps
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = result.sf.confidence_interval(0.95)
        low, high = ci.low.evaluate(x), ci.high.evaluate(x)
    ax.fill_between(x, low, high, step="post", color=colour, alpha=0.15, lw=0)
    n, ended = len(durations), int(durations["observed"].sum())
    ax.step(x, y, where="post", color=colour, ls=ls, label=f"{name} (n={n}, {ended} ended)")
    censored = durations.loc[~durations["observed"], "months"].to_numpy()
    ax.plot(censored, result.sf.evaluate(censored), ls="none", marker="|", markersize=12,
            markeredgewidth=2, color=colour)


def agreement_survival(agreements: pd.DataFrame, manifest: Manifest, horizon: str) -> Figure:
    """Kaplan-Meier survival of agreements by kind of deal, censored at the horizon month."""
    durations = agreement_durations(agreements, horizon) if len(agreements) else None
    with style.slide_style():
        fig = style.new_figure(11, 6.5)
        ax = fig.add_subplot()
        if durations is None:
            no_data_note(ax, "No agreement was signed in any run")
        else:
            t_max = float(durations["months"].max())
            for included in (True, False):
                group = durations[durations["victims_included"] == included]
                if len(group):
                    draw_km(ax, group, included)
                else:  # say so, rather than leave the reader looking for the missing curve
                    name, colour, ls = palette.DEAL_KINDS[included]
                    ax.plot([], [], color=colour, ls=ls, label=f"{name} (none signed)")
            ax.set_xlim(0, max(t_max, 1.0) * 1.03)  # room for censoring ticks at the end
            ax.plot([], [], ls="none", marker="|", markersize=12, markeredgewidth=2,
                    color="#555555", label="Still in force at\nthe horizon (censored)")
            side_legend(ax, ax.get_legend_handles_labels()[0], "Kind of deal\n(shaded: 95% CI)")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Months since signing")
        ax.set_ylabel("Share of agreements still in force")
        ax.set_title(f"Kaplan-Meier estimate, censored at {style.month_title(horizon)}", loc="left")
        figure_title(fig, "How long agreements last", manifest)
    return fig


# ---------------------------------------------------------------- regional indices
def indices_figure(indices: pd.DataFrame, manifest: Manifest) -> Figure:
    """Regional tension and trilateral cohesion (bands), agreements in force and coercive acts."""
    months = sorted(indices["month"].unique())
    dates = style.month_starts(months)
    trilateral = ", ".join(style.actor_label(a, manifest) for a in manifest.get("trilateral", []))
    with style.slide_style():
        fig = style.new_figure(13, 8)
        top, bottom = fig.subplots(2, 1, sharex=True)
        for column, label, colour in (
            ("regional_tension", "Regional tension (mean over pairs of states)", "#B2182B"),
            ("trilateral_cohesion", f"Trilateral cohesion ({trilateral or 'trilateral'})",
             "#2166AC"),
        ):
            draw_band(top, dates, ensemble_quantiles(indices, ["month"], column).reindex(months),
                      colour, textwrap.fill(label, 26))
        top.set_ylim(0, 1)
        top.set_ylabel("Index (0–1)")
        top.set_title("Regional indices", loc="left")
        means = indices.groupby("month")[["agreements_in_force", "coercive_acts"]].mean()
        means = means.reindex(months)
        bottom.bar(mdates.date2num(dates), means["coercive_acts"], width=24, align="edge",
                   color="#B2182B", alpha=0.7, label="Coercive acts\n(material conflict)")
        edges = mdates.date2num(dates.append(pd.DatetimeIndex([month_window(months)[1]])))
        bottom.stairs(means["agreements_in_force"].to_numpy(), edges, color="#117733", lw=2.4,
                      label="Agreements in force", baseline=None, zorder=3)
        runs = run_count(indices, manifest)
        bottom.set_ylabel("Count" if runs == 1 else "Count (mean over runs)")
        bottom.set_title("Agreements in force and coercive acts per month", loc="left")
        bottom.set_xlim(*month_window(months))
        style.format_date_axis(bottom, window=month_window(months))
        side_legend(top, top.get_legend_handles_labels()[0] + band_key_handles(runs))
        side_legend(bottom, bottom.get_legend_handles_labels()[0])
        figure_title(fig, "Regional tension and cohesion", manifest)
    return fig
