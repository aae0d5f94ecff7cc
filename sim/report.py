"""``sim report DIR``: one self-contained HTML page that tells a run folder's story
(``DIR/report.html``), and the debrief of a classroom game built on the same template.

The page reads top-down as a reader needs it: what was asked, the key numbers, the trajectories
with the actors' key acts, the other figures; the technical record (files and hashes, levers,
parameters, sources, every agreement, the event log) is folded away at the end. Jargon (pairs,
QuadClass, Goldstein) is explained where it first appears.

Everything is inside the file (figures as base64 PNG, inline CSS and a few lines of inline
JavaScript to filter the event log), so it opens offline, mails as one attachment and shows the
same thing in ten years. The figures are those already drawn into ``DIR/figures/`` (drawn here
in memory only when they are missing): nothing is drawn twice. Templates: ``sim/templates/``.
"""

from __future__ import annotations

import argparse
import base64
import functools
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.columns import COMPONENTS, UTILITY_COLUMNS

if TYPE_CHECKING:
    import pandas as pd
    from jinja2 import Environment

    from sim.plots.plot_cmd import RunFolder

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_EVENT_ROWS = 2000  # above this the page gets heavy: list run 0 only
MAX_AGREEMENT_ROWS = 500
FIGURE_ORDER = ("trajectories", "indices", "events", "tension_heatmap", "network", "agreements")
LOGGED_UTILITIES = ("u_total", *UTILITY_COLUMNS)  # the total first, then its parts
EVENT_HEADERS = ["run", "month", "actor", "target", "action", "CAMEO", "Goldstein", "QuadClass",
                 "source", "probability", "utility", *COMPONENTS, "note"]
QUAD_NAMES = {1: "verbal coop.", 2: "material coop.", 3: "verbal conflict",
              4: "material conflict"}


def captions(runs: int) -> dict[str, str]:
    """What each figure shows, in words a student follows; an ensemble and one game differ."""
    one = runs == 1
    middle = ("the line is this game" if one else
              "the line is the median over runs, the shaded bands where the middle 50% and 90% "
              "of runs fall")
    return {
        "trajectories": (
            f"Tension (0 calm, 1 crisis) and cooperation (0 none, 1 close) of each key pair of "
            f"actors, month by month: {middle}. Grey dashed lines: scripted events, the same in "
            "every run (court rulings, elections, the pandemic), numbered in the key. Coloured "
            "dotted lines and letters: the actors' own key acts, "
            + ("where they happened in this game." if one else
               "chosen by the model and so different from run to run; the top panel shows in "
               "what share of runs each had happened by then, and the dotted line marks the "
               "month it reached half of the runs.")),
        "indices": ("Regional tension (the mean over every pair of states) and the cohesion of "
                    "the trilateral partners; below, agreements in force and coercive acts "
                    "(sanctions, seizures, threats carried out) per month."
                    + ("" if one else " Counts are means over runs.")),
        "events": ("What the actors did, month by month, sorted into the four classes of the "
                   "QuadClass scheme used in conflict research: verbal or material cooperation, "
                   "verbal or material conflict. The bottom panel adds up every act's Goldstein "
                   "score, a standard rating of how cooperative (+10) or hostile (-10) an act "
                   "is: above zero, a cooperative month." + ("" if one else
                                                              " Counts are means over runs.")),
        "tension_heatmap": ("Tension of every pair of actors in every month ("
                            + ("this game" if one else "median over runs")
                            + "): darker is tenser."),
        "network": ("The actors as a network at a few moments: an edge's colour is the pair's "
                    "tension, its width their cooperation"
                    + ("." if one else " (medians over runs).")),
        "agreements": ("How long agreements last once signed (a Kaplan-Meier estimate: deals "
                       "still in force at the end count as lasting at least that long), for "
                       "deals that include the victims and deals between governments only."),
    }


# ---------------------------------------------------------------- formatting
def number(value: Any, digits: int = 3) -> str:
    """A float rounded for reading, blank if missing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return "" if x != x else f"{x:.{digits}f}"


def text(value: Any) -> str:
    """A cell's text; missing values are blank."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(number=number, text=text)
    return env


# ---------------------------------------------------------------- the parts of the story
def run_count(run: RunFolder) -> int:
    """Ensemble size from the manifest, else from the trajectories."""
    return int(run.manifest.get("runs") or run.trajectories["run"].nunique())


def question(manifest: Mapping[str, Any], runs: int) -> str:
    """What was asked, in one sentence."""
    scenario = manifest.get("scenario", {})
    period = f"from {scenario.get('start')} to {scenario.get('end')}"
    changed = [f"{k} = {v.get('setting') if isinstance(v, Mapping) else v}"
               for k, v in (manifest.get("overrides") or {}).items()]
    what = ("One game of the scenario" if runs == 1 else
            f"{runs} runs of the scenario (the same start, different chance draws)")
    return (f"{what} {period}, seed {manifest.get('seed')}"
            + (f", with {'; '.join(changed)}" if changed else "") + ".")


def key_numbers(run: RunFolder) -> list[tuple[str, str]]:
    """(what, value) pairs the story starts from: mean over runs, or this game's values."""
    from sim.plots import style

    traj, first, last = run.trajectories, run.months[0], run.horizon
    runs = run_count(run)
    average = "" if runs == 1 else "mean "
    mean = traj.groupby(["dyad", "month"])["tension"].mean()
    present = set(traj["dyad"].unique())
    key = [d for d in run.manifest.get("key_dyads", []) if d in present]
    span = f"{first} → {last}" if runs > 1 else f"at the start → at the end ({last})"
    rows = []
    for dyad in key:
        label = style.dyad_label(dyad, run.manifest)
        rows.append((f"{label}: {average}tension {span}",
                     f"{mean[(dyad, first)]:.2f} → {mean[(dyad, last)]:.2f}"))
    if key:  # the headline pair's peak: when the dispute was at its worst
        peak = mean[key[0]].idxmax()
        rows.append((f"{style.dyad_label(key[0], run.manifest)}: peak {average}tension",
                     f"{mean[(key[0], peak)]:.2f} in {peak}"))
    regional = run.indices.groupby("month")["regional_tension"].mean()
    if first in regional.index and last in regional.index:
        rows.append((f"Regional tension {span}",
                     f"{regional[first]:.2f} → {regional[last]:.2f}"))
    return rows + agreement_numbers(run.agreements, runs)


def agreement_numbers(agreements: pd.DataFrame, runs: int) -> list[tuple[str, str]]:
    """Agreements signed, kinds, and the share still in force at the horizon."""
    n = len(agreements)
    if n == 0:
        return [("Agreements signed", "none" if runs == 1 else f"none in {runs} runs")]
    in_force = int(agreements["ended"].isna().sum())
    victims = int(agreements["victims_included"].sum())
    if runs == 1:
        return [("Agreements signed", f"{n}: " + ", ".join(
                    f"{d['signed']}{' (victims included)' if d['victims_included'] else ''}"
                    f"{', ended ' + str(d['ended']) if text(d['ended']) else ', still in force'}"
                    for d in agreements.to_dict("records")))]
    return [
        ("Agreements signed", f"{n} in {runs} runs ({n / runs:.2f} per run)"),
        ("Victim-inclusive deals", f"{victims} of {n} ({victims / n:.0%})"),
        ("Still in force at the end", f"{in_force} of {n} ({in_force / n:.0%})"),
    ]


def key_act_rows(run: RunFolder) -> list[dict[str, str]]:
    """The actors' key acts (as the trajectories figure letters them), in words."""
    from sim.plots.figures import key_acts

    runs = run_count(run)
    rows = []
    for act in key_acts(run.events, run.manifest, run.months):
        if runs == 1:
            when = next(m for m, s in zip(run.months, act["shares"], strict=True) if s > 0)
            rows.append({"letter": act["letter"], "act": act["label"], "when": when})
        else:
            rows.append({"letter": act["letter"], "act": act["label"],
                         "share": f"{act['final']:.0%}",
                         "when": act["month"] or "never in half of the runs"})
    return rows


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_sources(run: RunFolder) -> dict[str, str]:
    """Figure name -> PNG data URI: the files ``sim plot`` drew into ``figures/``, else the
    figures drawn here in memory (never drawn twice)."""
    folder = run.path / "figures"
    names = [n for n in FIGURE_ORDER if run_count(run) > 1 or n != "agreements"]
    files = {name: folder / f"{name}.png" for name in names}
    if all(f.is_file() for f in files.values()):
        return {name: png_data_uri(f.read_bytes()) for name, f in files.items()}
    from sim.plots.plot_cmd import build_figures

    sources = {}
    for name, fig in build_figures(run).items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        fig.clear()
        sources[name] = png_data_uri(buffer.getvalue())
    return sources


def figure_list(run: RunFolder) -> list[dict[str, str]]:
    """The figures in reading order, each with its caption (one game: no survival curve)."""
    runs = run_count(run)
    words = captions(runs)
    sources = figure_sources(run)
    titles = {"trajectories": "Tension and cooperation, pair by pair",
              "indices": "The region as a whole", "events": "What the actors did",
              "tension_heatmap": "Tension in every pair", "network": "The network of relations",
              "agreements": "How long agreements last"}
    shown = [n for n in FIGURE_ORDER if n in sources and not (runs == 1 and n == "agreements")]
    return [{"id": name, "title": titles[name], "src": sources[name], "caption": words[name]}
            for name in shown]


def limit_rows(frame: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, str]:
    """All rows if few, else run 0's, with a note saying so."""
    if len(frame) <= limit:
        return frame, ""
    first = frame[frame["run"] == frame["run"].min()]
    return first, (f"The run has {len(frame)} of them across all runs; to keep this page light "
                   f"only run {frame['run'].min()}'s {len(first)} are listed here. The full "
                   "table is in the run folder.")


def agreement_rows(run: RunFolder) -> tuple[list[list[str]], str]:
    from sim.plots import style
    from sim.plots.figures import agreement_durations

    deals, note = limit_rows(run.agreements, MAX_AGREEMENT_ROWS)
    if deals.empty:
        return [], note
    months = agreement_durations(deals, run.horizon)["months"]
    rows = []
    for deal, lasted in zip(deals.to_dict("records"), months, strict=True):
        parties = ", ".join(style.actor_label(a, run.manifest)
                            for a in str(deal["signatories"]).split(";") if a)
        rows.append([text(deal["run"]), text(deal["id"]), parties,
                     "yes" if deal["victims_included"] else "no", text(deal["signed"]),
                     text(deal["ended"]) or "in force", text(deal["end_reason"]),
                     f"{lasted:.0f}", str(deal["terms"]).replace(";", "; ")])
    return rows, note


def event_rows(run: RunFolder, max_rows: int) -> tuple[list[dict[str, Any]], str]:
    """The event log's rows (cells as text) and a note if only run 0 is listed."""
    from sim.plots import style

    events, note = limit_rows(run.events, max_rows)
    rows = []
    for e in events.to_dict("records"):
        cells = [text(e["run"]), text(e["month"]), style.actor_label(str(e["actor"]), run.manifest),
                 style.actor_label(str(e["target"]), run.manifest), text(e["action"]),
                 text(e["cameo"]), number(e["goldstein"], 1),
                 QUAD_NAMES.get(int(e["quad_class"]), text(e["quad_class"])),
                 "scripted" if e["scripted"] else "decision", number(e["probability"], 2)]
        cells += [number(e[c]) for c in LOGGED_UTILITIES] + [text(e["note"])]
        rows.append({"actor": text(e["actor"]), "month": text(e["month"]), "cells": cells})
    return rows, note


def run_facts(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    scenario = manifest.get("scenario", {})
    files = "; ".join(f"{f.get('path')} (sha256 {f.get('sha256')})"
                      for f in scenario.get("files", []))
    return [
        ("Scenario file(s)", files or text(scenario.get("path"))),
        ("Period", f"{scenario.get('start')} to {scenario.get('end')}"),
        ("Runs", text(manifest.get("runs"))),
        ("Seed", text(manifest.get("seed"))),
        ("Version", f"{manifest.get('tool', '')} {manifest.get('version', '')}".strip()),
        ("Mesa / Python", f"{manifest.get('mesa', '?')} / {manifest.get('python', '?')}"),
        ("Created", text(manifest.get("created"))),
    ]


def actor_rows(manifest: Mapping[str, Any]) -> list[dict[str, str]]:
    from sim.plots import style

    colours = style.actor_colours(manifest)
    return [{"id": a, "colour": colours[a], "name": style.actor_name(a, manifest),
             "label": style.actor_label(a, manifest),
             "kind": text(info.get("kind", "")) if isinstance(info, Mapping) else ""}
            for a, info in manifest.get("actors", {}).items()]


def source_rows(sources: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for key, src in sources.items():
        src = src if isinstance(src, Mapping) else {"title": src}
        rows.append({"id": key, "title": text(src.get("title", "")),
                     "detail": ", ".join(text(src[k]) for k in ("outlet", "date") if src.get(k))})
    return rows


def context(run: RunFolder, max_event_rows: int = MAX_EVENT_ROWS) -> dict[str, Any]:
    """Everything the report template shows (the debrief adds its own part)."""
    from sim.plots import style

    manifest = run.manifest
    scenario = manifest.get("scenario", {})
    runs = run_count(run)
    events, events_note = event_rows(run, max_event_rows)
    agreements, agreements_note = agreement_rows(run)
    actors = sorted({str(e["actor"]) for e in events},
                    key=lambda a: style.actor_label(a, manifest))
    return {
        "title": scenario.get("title") or "Run report",
        "description": text(scenario.get("description")),
        "question": question(manifest, runs), "runs": runs,
        "numbers": key_numbers(run), "key_acts": key_act_rows(run),
        "figures": figure_list(run),
        "facts": run_facts(manifest), "actors": actor_rows(manifest),
        "levers": dict(manifest.get("levers", {})), "overrides": dict(manifest.get("overrides")
                                                                       or {}),
        "disabled": list(manifest.get("disabled_actions") or []),
        "parameters": dict(manifest.get("parameters", {})),
        "sources": source_rows(manifest.get("sources", {})),
        "agreements": agreements, "agreements_note": agreements_note,
        "events": events, "events_note": events_note, "event_headers": EVENT_HEADERS,
        "numeric_event_cells": {0, 6, 9, *range(10, 17)},
        "filter_actors": [(a, style.actor_label(a, manifest)) for a in actors],
        "filter_months": sorted({e["month"] for e in events}),
    }


def render_report(run: RunFolder, max_event_rows: int = MAX_EVENT_ROWS,
                  template: str = "report.html", **extra: Any) -> str:
    """The whole HTML page of a loaded run folder."""
    return environment().get_template(template).render(**context(run, max_event_rows), **extra)


def write_report(run_dir: Path, *, max_event_rows: int = MAX_EVENT_ROWS,
                 template: str = "report.html", **extra: Any) -> Path:
    """Write ``run_dir/report.html`` and return its path."""
    from sim.plots.plot_cmd import load_run_folder

    run = load_run_folder(Path(run_dir))
    out = run.path / "report.html"
    out.write_text(render_report(run, max_event_rows, template, **extra), encoding="utf-8")
    return out


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sim report``."""
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="a run folder written by `sim run --out DIR`")


def run(args: argparse.Namespace) -> int:
    """Write the report and print where it is."""
    print(write_report(args.dir))
    return 0
