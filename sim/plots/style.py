"""One look for every figure: colour-blind-safe palettes, slide-readable fonts, dated axes.

Colours are fixed by data, never by drawing order, so an actor or a dyad has the same colour in
every figure of every run of a scenario: actors take the manifest's colour (else Okabe-Ito by their
order in the manifest), dyads take Paul Tol's qualitative colours by their order in ``key_dyads``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, LinearSegmentedColormap
from matplotlib.figure import Figure

from sim.plots.palette import DYAD_PALETTE, OKABE_ITO

EVENT_LINE_COLOUR = "#555555"
BAND_ALPHAS: tuple[float, float] = (0.30, 0.13)  # 50% band, 90% band
FIG_DPI = 100  # figures are drawn at slide size (13-14 inches wide): 1300+ pixels

SLIDE_RC: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 17,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.4,
}


@contextlib.contextmanager
def slide_style() -> Iterator[None]:
    """Apply the slide-readable defaults while a figure is being drawn."""
    with mpl.rc_context(SLIDE_RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, outside pyplot, so no GUI and no global figure registry."""
    fig = Figure(figsize=(width, height), dpi=FIG_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def tension_cmap() -> Colormap:
    """Sequential yellow-orange-red without its near-white end, so low tension stays visible."""
    base = mpl.colormaps["YlOrRd"]
    return LinearSegmentedColormap.from_list("tension", base(np.linspace(0.12, 1.0, 256)))


def actor_ids(manifest: Mapping[str, Any]) -> list[str]:
    """Actor ids in the manifest's order."""
    return list(manifest.get("actors", {}))


MAX_LABEL = 24  # characters: longer names crowd panel titles and tick labels


def actor_name(actor: str, manifest: Mapping[str, Any]) -> str:
    """The actor's full name from the manifest, else its id (e.g. a scripted source label)."""
    info = manifest.get("actors", {}).get(actor, {})
    return str(info.get("name") or actor) if isinstance(info, Mapping) else actor


def actor_label(actor: str, manifest: Mapping[str, Any]) -> str:
    """Short display name for figures: 'Capital (Republic of ...)' -> 'Capital'; the id if the name
    is still long. A manifest ``short_name`` wins."""
    info = manifest.get("actors", {}).get(actor, {})
    if isinstance(info, Mapping) and info.get("short_name"):
        return str(info["short_name"])
    short = actor_name(actor, manifest).split(" (")[0].strip()
    return short if short and len(short) <= MAX_LABEL else actor


def actor_colours(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each actor's colour: the manifest's choice, else Okabe-Ito by the actor's position."""
    colours = {}
    for i, (actor, info) in enumerate(manifest.get("actors", {}).items()):
        given = info.get("colour") if isinstance(info, Mapping) else None
        colours[actor] = str(given or OKABE_ITO[i % len(OKABE_ITO)])
    return colours


def dyad_actors(dyad: str, manifest: Mapping[str, Any]) -> tuple[str, str]:
    """Split a dyad id into its two actors; ids may contain '-', so prefer a split on known ids."""
    known = set(actor_ids(manifest))
    pieces = dyad.split("-")
    for cut in range(1, len(pieces)):
        left, right = "-".join(pieces[:cut]), "-".join(pieces[cut:])
        if left in known and right in known:
            return left, right
    left, _, right = dyad.partition("-")
    return left, right


def dyad_label(dyad: str, manifest: Mapping[str, Any]) -> str:
    """'Name A – Name B' for a dyad id."""
    first, second = dyad_actors(dyad, manifest)
    return f"{actor_label(first, manifest)} – {actor_label(second, manifest)}"


def dyad_order(dyads: Iterable[str], manifest: Mapping[str, Any]) -> list[str]:
    """Key dyads first, in the manifest's order, then the others alphabetically."""
    present = set(dyads)
    key = [d for d in manifest.get("key_dyads", []) if d in present]
    return key + sorted(present - set(key))


def dyad_colours(dyads: Iterable[str], manifest: Mapping[str, Any]) -> dict[str, str]:
    """A fixed colour per dyad, by its rank in :func:`dyad_order` over all the manifest's dyads."""
    ordered = dyad_order(set(dyads) | set(manifest.get("key_dyads", [])), manifest)
    return {d: DYAD_PALETTE[i % len(DYAD_PALETTE)] for i, d in enumerate(ordered)}


def month_starts(months: Sequence[str] | pd.Series | pd.Index) -> pd.DatetimeIndex:
    """'YYYY-MM' strings as timestamps at the first of the month (what date axes plot)."""
    return pd.DatetimeIndex(pd.to_datetime(pd.Index(months), format="%Y-%m"))


def month_title(month: str) -> str:
    """'2019-08' -> 'Aug 2019', for panel titles a student reads at a glance."""
    return pd.Timestamp(month_starts([month])[0]).strftime("%b %Y")


def format_date_axis(ax: Axes, label: str = "Month",
                     window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> None:
    """Concise month/year ticks and an axis label. Given the axis' date ``window``, the ticks
    are worked out once and fixed: a figure of many panels sharing one time axis otherwise
    recomputes them for every panel at every layout pass (seconds per figure)."""
    from matplotlib.ticker import FixedFormatter, FixedLocator

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    formatter = mdates.ConciseDateFormatter(locator)
    if window is None:
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
    else:
        ticks = locator.tick_values(*(pd.Timestamp(t).to_pydatetime() for t in window))
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FixedFormatter(formatter.format_ticks(ticks)))
    ax.set_xlabel(label)


def add_provenance(fig: Figure, manifest: Mapping[str, Any]) -> None:
    """Small footnote with what produced the figure, so a slide is traceable to its run."""
    runs = manifest.get("runs")
    parts = [
        str(manifest.get("scenario", {}).get("title") or "").strip(),
        ("one game" if runs == 1 else f"{runs} runs") if runs else "",
        f"seed {manifest['seed']}" if "seed" in manifest else "",
        f"{manifest.get('tool', 'sim')} {manifest.get('version', '')}".strip(),
    ]
    # A supxlabel, not free text: the layout engine reserves room for it below everything else.
    fig.supxlabel(" · ".join(p for p in parts if p), x=0.995, ha="right", fontsize=9,
                  color="#666666")
