"""``sim report DIR``: one self-contained HTML debrief of a run folder (``DIR/report.html``).

Everything is inside the file (figures as base64 PNG, inline CSS and a few lines of inline
JavaScript to filter the event log), so it opens offline, mails as one attachment and shows the
same thing in ten years. Nothing in it points outside itself.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.plots.plot_cmd import RunFolder

MAX_EVENT_ROWS = 2000  # above this the page gets heavy: list run 0 only
MAX_AGREEMENT_ROWS = 500
REPORT_DPI = 110
CAPTIONS: dict[str, str] = {
    "trajectories": "Tension and cooperation of the key dyads: ensemble median, with the bands "
                    "where the middle 50% and 90% of runs fall. Dashed lines mark scripted "
                    "(exogenous) events; the strip below shows who governed.",
    "tension_heatmap": "Median tension of every dyad in every month.",
    "network": "The relations network at a few months: edge colour is tension, edge width is "
               "cooperation (ensemble medians).",
    "indices": "Regional tension and trilateral cohesion (median and bands), and the mean number "
               "of agreements in force and coercive acts per month.",
    "events": "Events per month by actor and QuadClass (mean over runs) and the monthly "
              "Goldstein sum of all events.",
    "agreements": "Kaplan-Meier survival of agreements by kind of deal; deals still in force at "
                  "the end of the run are censored.",
}
UTILITY_COLUMNS = ("u_total", "u_position", "u_reciprocity", "u_domestic", "u_alliance",
                   "u_threat", "u_cost")
QUAD_NAMES = {1: "verbal coop.", 2: "material coop.", 3: "verbal conflict",
              4: "material conflict"}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1200px;
margin:0 auto;padding:1rem 2rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}.note{color:#555;font-style:italic}
.scroll{max-height:70vh;overflow:auto;border:1px solid #ddd}
.filters{margin:.5rem 0;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
nav a{margin-right:1rem}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle;
border:1px solid #999}
"""

FILTER_SCRIPT = """
(function () {
  var actor = document.getElementById("filter-actor");
  var month = document.getElementById("filter-month");
  var count = document.getElementById("filter-count");
  var rows = document.querySelectorAll("#event-log tbody tr");
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!actor.value || row.dataset.actor === actor.value) &&
               (!month.value || row.dataset.month === month.value);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " events shown";
  }
  actor.addEventListener("change", apply);
  month.addEventListener("change", apply);
  apply();
})();
"""


# ---------------------------------------------------------------- small HTML helpers
def esc(value: Any) -> str:
    """Escaped text of a cell; missing values are blank."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """A float rounded for reading, blank if missing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return esc(value)
    return "" if x != x else f"{x:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = (),
          attrs: str = "") -> str:
    """An HTML table from already escaped cells; ``numeric`` column indexes align right."""
    right = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in right else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_value_table(pairs: Mapping[str, Any]) -> str:
    """Two-column table of a mapping (levers, parameters)."""
    if not pairs:
        return '<p class="note">None.</p>'
    return table(["name", "value"], [(esc(k), esc(v)) for k, v in pairs.items()])


# ---------------------------------------------------------------- sections
def header_section(manifest: Mapping[str, Any]) -> str:
    """Title and description of the scenario."""
    scenario = manifest.get("scenario", {})
    title = scenario.get("title") or "Run report"
    description = scenario.get("description") or ""
    lede = f'<p class="lede">{esc(description)}</p>' if description else ""
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("run", "What was run"), ("numbers", "Key numbers"), ("figures", "Figures"),
        ("agreements", "Agreements"), ("events", "Event log")))
    return f"<header><h1>{esc(title)}</h1>{lede}<nav>{nav}</nav></header>"


def run_section(manifest: Mapping[str, Any]) -> str:
    """What was run: scenario files, period, ensemble, versions, levers, parameters, sources."""
    scenario = manifest.get("scenario", {})
    files = "<br>".join(f"{esc(f.get('path'))} <small>sha256 {esc(f.get('sha256'))}</small>"
                        for f in scenario.get("files", []))
    facts = {
        "Scenario file(s)": files or esc(scenario.get("path")),
        "Period": f"{esc(scenario.get('start'))} to {esc(scenario.get('end'))}",
        "Runs": esc(manifest.get("runs")),
        "Seed": esc(manifest.get("seed")),
        "Version": esc(f"{manifest.get('tool', '')} {manifest.get('version', '')}".strip()),
        "Mesa / Python": esc(f"{manifest.get('mesa', '?')} / {manifest.get('python', '?')}"),
        "Created": esc(manifest.get("created")),
    }
    facts_html = table(["", ""], facts.items())
    return (
        '<section id="run"><h2>What was run</h2>' + facts_html
        + "<h3>Actors</h3>" + actors_table(manifest)
        + "<h3>Levers</h3>" + key_value_table(manifest.get("levers", {}))
        + overrides_part(manifest)
        + "<h3>Parameters</h3>" + key_value_table(manifest.get("parameters", {}))
        + "<h3>Sources cited by the scenario</h3>" + sources_list(manifest.get("sources", {}))
        + "</section>"
    )


def overrides_part(manifest: Mapping[str, Any]) -> str:
    """Values changed on the command line (``--set``) and disabled actions, when there are any:
    a reader must know the run departs from the scenario file."""
    parts = ""
    if manifest.get("overrides"):
        parts += "<h3>Overrides (--set)</h3>" + key_value_table(dict(manifest["overrides"]))
    if manifest.get("disabled_actions"):
        parts += ("<h3>Disabled actions</h3><p>"
                  + ", ".join(esc(a) for a in manifest["disabled_actions"]) + "</p>")
    return parts


def actors_table(manifest: Mapping[str, Any]) -> str:
    """Actors with their id, full name, kind and the colour they have in every figure."""
    from sim.plots import style

    colours = style.actor_colours(manifest)
    rows = [(f'<span class="swatch" style="background:{esc(colours[a])}"></span>{esc(a)}',
             esc(style.actor_name(a, manifest)), esc(style.actor_label(a, manifest)),
             esc(info.get("kind", "") if isinstance(info, Mapping) else ""))
            for a, info in manifest.get("actors", {}).items()]
    return table(["id", "name", "in figures", "kind"], rows)


def sources_list(sources: Mapping[str, Any]) -> str:
    """The scenario's sources as a citation list (ids match the provenance in scenario files)."""
    if not sources:
        return '<p class="note">The manifest lists no sources.</p>'
    items = []
    for key, src in sources.items():
        src = src if isinstance(src, Mapping) else {"title": src}
        detail = ", ".join(esc(src[k]) for k in ("outlet", "date") if src.get(k))
        items.append(f"<li><code>{esc(key)}</code>: <cite>{esc(src.get('title', ''))}</cite>"
                     f"{', ' + detail if detail else ''}</li>")
    return f"<ul>{''.join(items)}</ul>"


def key_numbers(run: RunFolder) -> list[tuple[str, str]]:
    """(what, value) pairs a debrief starts from."""
    from sim.plots import style

    traj, first, last = run.trajectories, run.months[0], run.horizon
    mean = traj.groupby(["dyad", "month"])["tension"].mean()
    rows = []
    for dyad in [d for d in run.manifest.get("key_dyads", []) if d in set(traj["dyad"])]:
        label = style.dyad_label(dyad, run.manifest)
        rows.append((f"{label}: mean tension {first} → {last}",
                     f"{mean[(dyad, first)]:.2f} → {mean[(dyad, last)]:.2f}"))
    if rows:  # the headline dyad's peak: when the dispute was at its worst
        dyad = next(d for d in run.manifest["key_dyads"] if d in set(traj["dyad"]))
        peak = mean[dyad].idxmax()
        rows.append((f"{style.dyad_label(dyad, run.manifest)}: peak mean tension",
                     f"{mean[(dyad, peak)]:.2f} in {peak}"))
    regional = run.indices.groupby("month")["regional_tension"].mean()
    if first in regional.index and last in regional.index:
        rows.append((f"Regional tension {first} → {last}",
                     f"{regional[first]:.2f} → {regional[last]:.2f}"))
    return rows + agreement_numbers(run.agreements, run_count(run))


def run_count(run: RunFolder) -> int:
    """Ensemble size from the manifest, else from the trajectories."""
    return int(run.manifest.get("runs") or run.trajectories["run"].nunique())


def agreement_numbers(agreements: pd.DataFrame, runs: int) -> list[tuple[str, str]]:
    """Agreements signed, kinds, and the share still in force at the horizon."""
    n = len(agreements)
    if n == 0:
        return [("Agreements signed", f"none in {runs} runs")]
    in_force = int(agreements["ended"].isna().sum())
    victims = int(agreements["victims_included"].sum())
    return [
        ("Agreements signed", f"{n} in {runs} runs ({n / runs:.2f} per run)"),
        ("Victim-inclusive deals", f"{victims} of {n} ({victims / n:.0%})"),
        ("Still in force at the end", f"{in_force} of {n} ({in_force / n:.0%})"),
    ]


def numbers_section(run: RunFolder) -> str:
    """The key numbers as a table."""
    rows = [(esc(k), esc(v)) for k, v in key_numbers(run)]
    return ('<section id="numbers"><h2>Key numbers</h2>'
            + table(["", "over all runs"], rows, numeric=[1]) + "</section>")


def png_data_uri(fig: Figure) -> str:
    """The figure as a base64 PNG data URI (no tool URL in the PNG metadata)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=REPORT_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figures_section(run: RunFolder) -> str:
    """Every figure of ``sim plot``, embedded."""
    from sim.plots.plot_cmd import build_figures

    parts = []
    for name, fig in build_figures(run).items():
        title = fig.get_suptitle().split("\n")[0]
        parts.append(f'<figure id="fig-{name}"><img src="{png_data_uri(fig)}" alt="{esc(title)}">'
                     f"<figcaption>{esc(CAPTIONS.get(name, title))}</figcaption></figure>")
        fig.clear()
    return '<section id="figures"><h2>Figures</h2>' + "".join(parts) + "</section>"


def agreements_section(run: RunFolder) -> str:
    """Every agreement (or run 0's if there are many): terms, parties, kind, life."""
    from sim.plots import style
    from sim.plots.figures import agreement_durations

    deals, note = limit_rows(run.agreements, MAX_AGREEMENT_ROWS, "agreements")
    if deals.empty:
        return ('<section id="agreements"><h2>Agreements</h2>'
                '<p class="note">No agreement was signed in the listed runs.</p></section>')
    months = agreement_durations(deals, run.horizon)["months"]
    rows = []
    for (_, deal), lasted in zip(deals.iterrows(), months, strict=True):
        parties = ", ".join(style.actor_label(a, run.manifest)
                            for a in str(deal["signatories"]).split(";") if a)
        rows.append((esc(deal["run"]), esc(deal["id"]), esc(parties),
                     "yes" if deal["victims_included"] else "no", esc(deal["signed"]),
                     esc(deal["ended"]) or "in force", esc(deal["end_reason"]),
                     f"{lasted:.0f}", esc(str(deal["terms"]).replace(";", "; "))))
    headers = ["run", "id", "signatories", "victims included", "signed", "ended", "end reason",
               "months in force", "terms"]
    return ('<section id="agreements"><h2>Agreements</h2>' + note
            + table(headers, rows, numeric=[0, 7]) + "</section>")


def limit_rows(frame: pd.DataFrame, limit: int, what: str) -> tuple[pd.DataFrame, str]:
    """All rows if few, else run 0's, with a note saying so."""
    if len(frame) <= limit:
        return frame, ""
    first = frame[frame["run"] == frame["run"].min()]
    note = (f'<p class="note">The run has {len(frame)} {what} across all runs; to keep this page '
            f"light only run {esc(frame['run'].min())}'s {len(first)} are listed here. "
            "The full table is in the run folder.</p>")
    return first, note


def event_row(event: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """One event as a table row, tagged with its actor and month for the filter."""
    from sim.plots import style

    name = {k: esc(style.actor_label(str(event[k]), manifest)) for k in ("actor", "target")}
    cells = [esc(event["run"]), esc(event["month"]), name["actor"], name["target"],
             esc(event["action"]),
             esc(event["cameo"]), number(event["goldstein"], 1),
             esc(QUAD_NAMES.get(int(event["quad_class"]), event["quad_class"])),
             "scripted" if event["scripted"] else "decision", number(event["probability"], 2)]
    cells += [number(event[c]) for c in UTILITY_COLUMNS] + [esc(event["note"])]
    tds = "".join(f'<td class="num">{c}</td>' if i in NUMERIC_EVENT_CELLS else f"<td>{c}</td>"
                  for i, c in enumerate(cells))
    return f'<tr data-actor="{esc(event["actor"])}" data-month="{esc(event["month"])}">{tds}</tr>'


EVENT_HEADERS = ["run", "month", "actor", "target", "action", "CAMEO", "Goldstein", "QuadClass",
                 "source", "probability", "utility", "position", "reciprocity", "domestic",
                 "alliance", "threat", "cost", "note"]
NUMERIC_EVENT_CELLS = {0, 6, 9, *range(10, 17)}


def select(element_id: str, label: str, options: Iterable[tuple[str, str]]) -> str:
    """A labelled drop-down with an 'all' choice first."""
    opts = "".join(f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in options)
    return (f'<label>{esc(label)} <select id="{element_id}"><option value="">all</option>'
            f"{opts}</select></label>")


def events_section(run: RunFolder, max_rows: int) -> str:
    """The event log with each decision's utility breakdown, filterable by actor and month."""
    from sim.plots import style

    events, note = limit_rows(run.events, max_rows, "events")
    actors = sorted(events["actor"].unique(), key=lambda a: style.actor_label(a, run.manifest))
    filters = (
        '<div class="filters">'
        + select("filter-actor", "Actor",
                 [(a, style.actor_label(a, run.manifest)) for a in actors])
        + select("filter-month", "Month", [(m, m) for m in sorted(events["month"].unique())])
        + '<span id="filter-count" class="note"></span></div>'
    )
    explain = ('<p>Each decision shows the logit probability of the chosen action and its '
               "utility components (scripted events have none). A decision to do nothing is "
               "not an event; <code>sim explain</code> shows the full decision log.</p>")
    rows = "".join(event_row(e, run.manifest) for e in events.to_dict("records"))
    head = "".join(f"<th>{esc(h)}</th>" for h in EVENT_HEADERS)
    log = (f'<div class="scroll"><table id="event-log"><thead><tr>{head}</tr></thead>'
           f"<tbody>{rows}</tbody></table></div>")
    return ('<section id="events"><h2>Event log</h2>' + explain + note + filters + log
            + "</section>")


# ---------------------------------------------------------------- the report
def render_report(run: RunFolder, max_event_rows: int = MAX_EVENT_ROWS) -> str:
    """The whole HTML page of a loaded run folder."""
    title = run.manifest.get("scenario", {}).get("title") or "Run report"
    body = (header_section(run.manifest) + run_section(run.manifest) + numbers_section(run)
            + figures_section(run) + agreements_section(run)
            + events_section(run, max_event_rows))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Debrief: {esc(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}<script>{FILTER_SCRIPT}</script></body></html>\n"
    )


def write_report(run_dir: Path, *, max_event_rows: int = MAX_EVENT_ROWS) -> Path:
    """Write ``run_dir/report.html`` and return its path."""
    from sim.plots.plot_cmd import load_run_folder

    run = load_run_folder(Path(run_dir))
    out = run.path / "report.html"
    out.write_text(render_report(run, max_event_rows), encoding="utf-8")
    return out


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sim report``."""
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="a run folder written by `sim run --out DIR`")


def run(args: argparse.Namespace) -> int:
    """Write the report and print where it is."""
    print(write_report(args.dir))
    return 0
