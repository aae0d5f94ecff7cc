"""``sim run [SCENARIO] [--runs N] [--seed S] [--out DIR] [--workers W]``: run a scenario as an
ensemble and write tidy tables, a manifest and figures into one folder."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from sim.errors import InputError, Problem, fail

DEFAULT_SCENARIO = "history_2018_2023.yaml"
DEFAULT_RUNS = 100


def scenarios_dir() -> Path:
    """The shipped scenarios: beside the package in a checkout, else ./scenarios."""
    beside = Path(__file__).resolve().parent.parent / "scenarios"
    return beside if beside.is_dir() else Path("scenarios")


def default_scenario() -> Path:
    return scenarios_dir() / DEFAULT_SCENARIO


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``--set path.to.field=value`` pairs; values are read as YAML scalars (safe)."""
    import yaml

    overrides: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path:
            raise fail("--set", f"expected PATH=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise fail("--set", f"cannot read the value of {item!r}") from None
        # YAML 1.1 reads off/on/yes/no as booleans; a lever option named `off` is meant
        if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
            value = text.strip()
        overrides[path.strip()] = value
    return overrides


def add_ensemble_arguments(parser: argparse.ArgumentParser, runs: int) -> None:
    parser.add_argument("--runs", type=int, default=runs, help=f"number of runs (default {runs})")
    parser.add_argument("--seed", type=int, default=None,
                        help="master seed (default: the scenario's meta.seed)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores, at most 8)")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a scenario value, e.g. levers.us_mediation.setting=envoy")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", type=Path, default=None,
                        help=f"scenario file (default: scenarios/{DEFAULT_SCENARIO})")
    add_ensemble_arguments(parser, DEFAULT_RUNS)
    parser.add_argument("--no-figures", action="store_true",
                        help="skip the figures and the HTML report")


def run(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    path = args.scenario or default_scenario()
    if args.runs < 1:
        raise fail("--runs", "expected at least 1 run")
    loaded = load_scenario(path, parse_overrides(args.overrides))
    seed = loaded.scenario.meta.seed if args.seed is None else args.seed
    out = args.out or Path("runs") / f"{path.stem}-seed{seed}-n{args.runs}"
    started = time.perf_counter()
    write_run_folder(loaded, seed, args.runs, out, workers=args.workers,
                     progress=not args.quiet, figures=not args.no_figures)
    elapsed = time.perf_counter() - started
    print(f"{args.runs} runs of {path.name} (seed {seed}) in {elapsed:.1f} s")
    print(f"results: {out}/ (trajectories.csv, indices.csv, events.csv, agreements.csv, "
          "status_quo.csv, manifest.json)")
    if not args.no_figures:
        print(f"figures: {out / 'figures'}/   report: {out / 'report.html'}")
    print(f"why did an actor act? sim explain {out} --run 0 --month {loaded.scenario.meta.start}"
          f" --actor {next(iter(loaded.scenario.actors))}")
    return 0


def write_run_folder(loaded, seed: int, runs: int, out: Path, workers: int | None = None,
                     progress: bool = True, figures: bool = True) -> Path:
    """Run the ensemble into a temporary sibling folder, then move it into place, so that an
    interrupted run never leaves a half-written result."""
    from tqdm import tqdm

    from sim.ensemble import default_workers, run_ensemble, spawn_seeds
    from sim.output import RunTables, manifest, write_manifest

    if out.exists() and not (out / "manifest.json").is_file() and any(out.iterdir()):
        raise InputError([Problem(str(out), 0, "--out",
                                  "folder exists and is not a run folder; choose another")])
    seeds = spawn_seeds(seed, runs)
    workers = workers or default_workers()
    tables = RunTables()
    records = run_ensemble(loaded, seeds, workers=workers)
    bar = tqdm(records, total=runs, desc="runs", unit="run", disable=not progress,
               file=sys.stderr)
    for run_index, record in enumerate(bar):
        tables.add(run_index, record)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    tables.write(staging)
    write_manifest(staging, manifest(loaded, seed, seeds, {"workers": workers}))
    if figures:
        draw_figures(staging)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def draw_figures(folder: Path) -> None:
    """The figures and the self-contained HTML debrief (report.html)."""
    from sim.plots.plot_cmd import plot_run_folder
    from sim.report import write_report

    plot_run_folder(folder)
    write_report(folder)
