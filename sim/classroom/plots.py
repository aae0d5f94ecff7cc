"""Live plots of a game: tension and cooperation of the key pairs, month by month, as SVG.

Drawn on the server with matplotlib's object API (a ``Figure`` and its own canvas, never
``pyplot``), so that several requests can draw at once without sharing pyplot's global state,
and cached by game version by the caller: thirty team pages polling cost one drawing a month.
The x axis spans the whole scenario from the start, so the class sees how far the game has gone.
"""

from __future__ import annotations

import calendar
import io

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from sim.classroom.game import Game
from sim.plots.style import OKABE_ITO

MAX_DYADS = 6
MAX_TICKS = 7
START = "start"


def month_label(month: str) -> str:
    """'2023-03' -> 'Mar 2023'; 'start' stays."""
    if month == START:
        return month
    year, number = month.split("-")
    return f"{calendar.month_abbr[int(number)]} {year}"


def dyads_to_show(game: Game) -> list[str]:
    """The scenario's key pairs (all pairs if it names none), at most ``MAX_DYADS``."""
    pairs = [d for d in game.scenario.meta.key_dyads if d in game.initial_relations]
    return (pairs or list(game.initial_relations))[:MAX_DYADS]


def dyad_label(game: Game, dyad: str) -> str:
    w = game.model.world
    for a in w.actors:  # actor ids may contain '-': split on a known id
        if dyad.startswith(a + "-") and dyad[len(a) + 1:] in w.index:
            return f"{game.short_name(a)} - {game.short_name(dyad[len(a) + 1:])}"
    return dyad


def series(game: Game, dyad: str) -> tuple[list[float], list[float]]:
    """Tension and cooperation at the start and after each month played."""
    tension, cooperation = [game.initial_relations[dyad][0]], [game.initial_relations[dyad][1]]
    for row in game.model.rows_trajectories:
        if row[1] == dyad:
            tension.append(float(row[2]))
            cooperation.append(float(row[3]))
    return tension, cooperation


def relations_svg(game: Game) -> bytes:
    """Two panels (tension above, cooperation below) for the key pairs, the same for every
    page of a game (one drawing per month: about a third of a second of matplotlib)."""
    months = game.model.months
    x_labels = [START, *months]
    fig = Figure(figsize=(7.2, 5.0), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.2, hspace=0.25)
    FigureCanvasSVG(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for k, dyad in enumerate(dyads_to_show(game)):
        tension, cooperation = series(game, dyad)
        xs = list(range(len(tension)))
        style = {"color": OKABE_ITO[k % len(OKABE_ITO)], "linewidth": 1.8,
                 "marker": "o", "markersize": 3, "label": dyad_label(game, dyad)}
        top.plot(xs, tension, **style)
        bottom.plot(xs, cooperation, **style)
    for ax, title in ((top, "Tension (0 calm - 1 crisis)"),
                      (bottom, "Cooperation (0 none - 1 close)")):
        ax.set_ylim(0.0, 1.0)
        ax.set_xlim(-0.3, len(months) + 0.3)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(alpha=0.3)
        ax.axvline(len(game.history), color="#999999", linestyle=":", linewidth=1)
    step = -(-len(x_labels) // MAX_TICKS)  # ceiling: at most MAX_TICKS labels, never crowded
    ticks = list(range(0, len(x_labels), step))
    bottom.set_xticks(ticks, [month_label(x_labels[t]) for t in ticks], fontsize=8)
    handles, labels = top.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    buffer = io.BytesIO()
    # text as SVG text, not glyph outlines: twice as fast and half the size
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
