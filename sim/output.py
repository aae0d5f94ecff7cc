"""Writing a run folder: tidy CSV tables and the manifest (see docs/output-format.md).

Tables are sorted and floats are written with a fixed format so that the same scenario, seed
and version give byte-identical files, however many workers ran them; only the manifest's
``created`` time stamp differs. The folder is written aside and moved into place when complete
(:mod:`sim.folders`), so an interrupted run never leaves a folder that looks finished.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.agreements import Agreement
from sim.columns import EVENT_COLUMNS
from sim.model import RunRecord
from sim.plots.palette import OKABE_ITO  # the one palette of every figure
from sim.scenario import LoadedScenario

KIND = "run"  # the folder marker's kind (sim.folders)
FLOAT_FORMAT = "%.6g"
TRAJECTORY_COLUMNS = ("run", "month", "dyad", "tension", "cooperation", "goldstein", "ties")
INDEX_COLUMNS = ("run", "month", "regional_tension", "trilateral_cohesion",
                 "agreements_in_force", "coercive_acts")
AGREEMENT_COLUMNS = ("run", "id", "terms", "signatories", "victims_included", "signed", "ended",
                     "end_reason")
TABLE_COLUMNS = {
    "trajectories": TRAJECTORY_COLUMNS,
    "indices": INDEX_COLUMNS,
    "events": ("run", *EVENT_COLUMNS),
    "agreements": AGREEMENT_COLUMNS,
    "status_quo": ("run", "month", "issue", "value"),
}
BATCH_RUNS = 50  # runs held in memory before their rows are appended to the tables


class RunTables:
    """Writes the rows of many runs into a folder's tables as they arrive, ``batch_runs`` runs at
    a time, so that memory stays flat however many runs there are. The files are the same bytes
    as if each table had been written at once: the columns, their order and the float format are
    fixed here, and runs are appended in run order."""

    def __init__(self, folder: Path, batch_runs: int = BATCH_RUNS) -> None:
        self.folder = folder
        self.batch_runs = batch_runs
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLE_COLUMNS}
        self.pending = 0
        self.written: set[str] = set()

    def add(self, run: int, record: RunRecord) -> None:
        self.rows["trajectories"].extend((run, *row) for row in record.trajectories)
        self.rows["indices"].extend((run, *row) for row in record.indices)
        self.rows["events"].extend((run, *row) for row in record.events)
        self.rows["agreements"].extend(agreement_row(run, a) for a in record.agreements)
        self.rows["status_quo"].extend((run, *row) for row in record.status_quo)
        self.pending += 1
        if self.pending >= self.batch_runs:
            self.flush()

    def flush(self) -> None:
        """Append the rows held so far to the tables (the first batch writes the headers)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, columns in TABLE_COLUMNS.items():
            rows, started = self.rows[name], name in self.written
            if started and not rows:
                continue
            frame = pd.DataFrame(rows, columns=list(columns))
            frame.to_csv(self.folder / f"{name}.csv", mode="a" if started else "w",
                         header=not started, index=False, float_format=FLOAT_FORMAT,
                         lineterminator="\n")
            self.written.add(name)
            rows.clear()
        self.pending = 0

    def close(self) -> dict[str, Path]:
        """Write what is left; the path of every table."""
        self.flush()
        return {name: self.folder / f"{name}.csv" for name in TABLE_COLUMNS}


def agreement_row(run: int, a: Agreement) -> tuple:
    terms = ";".join(f"{k}={v:.3f}" for k, v in a.terms.items())
    return (run, a.id, terms, ";".join(a.signatories), a.victims_included, a.signed,
            a.ended or "", a.end_reason or "in force")


def actor_colours(loaded: LoadedScenario) -> dict[str, str]:
    """Each actor's colour: its own from the scenario, else Okabe-Ito by declaration order."""
    colours = {}
    for k, (aid, actor) in enumerate(loaded.scenario.actors.items()):
        colours[aid] = actor.colour or OKABE_ITO[k % len(OKABE_ITO)]
    return colours


# the distributions whose versions can change results: random streams, intervals, tables
RESULT_LIBRARIES = ("mesa", "numpy", "scipy", "pandas", "SALib")


def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Python's version and that of every library that affects results (and of ``extra``
    ones, e.g. pyabc for a calibration)."""
    versions = {"python": platform.python_version()}
    for name in (*RESULT_LIBRARIES, *extra):
        try:
            versions[name.lower()] = version(name)
        except PackageNotFoundError:
            versions[name.lower()] = "not installed"
    return versions


def software_stamp(extra_libraries: tuple[str, ...] = ()) -> dict[str, Any]:
    """What produced an output folder, and when (the only field that differs between reruns)."""
    versions = library_versions(extra_libraries)
    return {
        "tool": "jk-dispute-sim",
        "version": __version__,
        "mesa": versions["mesa"],
        "python": versions["python"],
        "libraries": versions,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def resolved(path: Path | str) -> str:
    """An absolute path with links resolved: a manifest is read from any directory."""
    return str(Path(path).resolve())


def manifest(loaded: LoadedScenario, seed: int, run_seeds: list[int],
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    s = loaded.scenario
    colours = actor_colours(loaded)
    return {
        **software_stamp(),
        "scenario": {
            "path": resolved(loaded.path),
            "title": s.meta.title,
            "description": s.meta.description,
            "files": [{**entry, "path": resolved(entry["path"])}
                      for entry in loaded.file_hashes()],
            "start": s.meta.start,
            "end": s.meta.end,
        },
        "seed": seed,
        "runs": len(run_seeds),
        "run_seeds": run_seeds,
        "overrides": loaded.overrides,
        "levers": loaded.lever_settings(),
        "parameters": s.parameters.model_dump(exclude={"source", "assumption"}),
        "negotiation": s.negotiation.model_dump(exclude={"source", "assumption"}),
        "disabled_actions": s.disabled_actions,
        "actors": {aid: {"name": a.name, "kind": a.kind, "colour": colours[aid]}
                   for aid, a in s.actors.items()},
        "key_dyads": s.meta.key_dyads,
        "trilateral": s.meta.trilateral,
        "administrations": administrations(loaded),
        "scripted_events": [{"month": e.date, "id": eid, "label": e.label, "kind": e.kind}
                            for eid, e in s.events.items() if e.date and e.kind != "election"],
        "sources": {sid: src.model_dump(exclude_none=True)
                    for sid, src in loaded.bibliography.sources.items()},
        **(extra or {}),
    }


def administrations(loaded: LoadedScenario) -> list[dict[str, Any]]:
    s = loaded.scenario
    rows = []
    for aid, actor in s.actors.items():
        for adm_id, adm in actor.administrations.items():
            if adm.end is not None and adm.end < s.meta.start or adm.start > s.meta.end:
                continue
            rows.append({"actor": aid, "id": adm_id, "leader": adm.leader, "camp": adm.camp,
                         "start": adm.start, "end": adm.end})
    return rows


def write_manifest(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    from sim.errors import fail
    from sim.folders import check_complete

    path = folder / "manifest.json"
    check_complete(folder)
    if not path.is_file():
        raise fail(str(path), "no manifest.json here: expected a folder written by `sim run`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise fail(str(path), f"not a readable manifest ({err})") from None


def write_run_folder(loaded: LoadedScenario, seed: int, runs: int, out: Path,
                     workers: int | None = None, scheduler: str | None = None,
                     force: bool = False, progress: bool = True,
                     figures: bool = True,
                     complete: Callable[[Path], object] | None = None) -> Path:
    """Run the ensemble into ``<out>.partial`` (marked incomplete), then move it into place and
    mark it complete, so that an interrupted run never leaves a folder that looks finished.
    ``out`` must be new, empty, or (with ``force``) a run folder written before. ``complete``
    adds files to the staged folder (given as its argument) before it is moved into place."""
    from sim import folders
    from sim.ensemble import default_workers, progress_bar, run_ensemble, spawn_seeds

    folders.claim(out, KIND, force)
    staging = folders.staging_folder(out, KIND)
    seeds = spawn_seeds(seed, runs)
    records = run_ensemble(loaded, seeds, workers=workers or default_workers(),
                           scheduler=scheduler)
    with folders.os_errors(staging):
        tables = RunTables(staging)
        with progress_bar(runs, progress) as bar:  # closed before the figures are drawn
            for run_index, record in enumerate(records):
                tables.add(run_index, record)
                bar.update()
        tables.close()
        write_manifest(staging, manifest(loaded, seed, seeds))
        if figures:
            if progress:
                print("drawing the figures and the report ...", file=sys.stderr, flush=True)
            draw_figures(staging)
        if complete is not None:
            complete(staging)
    folders.publish(staging, out, KIND)
    return out


def draw_figures(folder: Path) -> None:
    """The figures and the self-contained HTML debrief (report.html)."""
    from sim.plots.plot_cmd import plot_run_folder
    from sim.report import write_report

    plot_run_folder(folder)
    write_report(folder)
