"""``sim run [SCENARIO] [--runs N] [--seed S] [--out DIR] [--force] [--workers W] [--set ...]``:
run a scenario as an ensemble and write tidy tables, a manifest and figures into one folder.

SCENARIO is a file or a shipped scenario's name (``sim scenarios`` lists them). The default
folder, ``runs/<scenario>-seed<S>-n<N>[-set<hash>]``, names the overrides by a short hash, so
runs with different ``--set`` values never share a folder; an existing folder is replaced only
with ``--force``, and only if ``sim run`` wrote it (:mod:`sim.folders`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.commands.arguments import (
    add_ensemble_arguments,
    check_ensemble_arguments,
    overrides_tag,
    parse_overrides,
)
from sim.shipped import DEFAULT_SCENARIO, resolve_scenario

DEFAULT_RUNS = 100
RUNS_FOLDER = Path("runs")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=None,
                        help=f"scenario file or shipped name (default: {DEFAULT_SCENARIO})")
    add_ensemble_arguments(parser, DEFAULT_RUNS)
    parser.add_argument("--no-figures", action="store_true",
                        help="skip the figures and the HTML report")


def default_out(stem: str, seed: int, runs: int, overrides: dict) -> Path:
    return RUNS_FOLDER / f"{stem}-seed{seed}-n{runs}{overrides_tag(overrides)}"


def run(args: argparse.Namespace) -> int:
    from sim.ensemble import default_workers, start_workers_early

    check_ensemble_arguments(args)
    # the workers' imports overlap this process's own (the model, pandas) and the loading
    start_workers_early(args.workers or default_workers(), args.scheduler)
    from sim.output import write_run_folder
    from sim.scenario import load_scenario

    path = resolve_scenario(args.scenario)
    overrides = parse_overrides(args.overrides)
    loaded = load_scenario(path, overrides, folders=args.data_dir)
    seed = loaded.scenario.meta.seed if args.seed is None else args.seed
    out = args.out or default_out(path.stem, seed, args.runs, overrides)
    started = time.perf_counter()
    write_run_folder(loaded, seed, args.runs, out, workers=args.workers,
                     scheduler=args.scheduler, force=args.force, progress=not args.quiet,
                     figures=not args.no_figures)
    elapsed = time.perf_counter() - started
    print(f"{args.runs} runs of {path.name} (seed {seed}) in {elapsed:.1f} s")
    print(f"results: {out}/ (trajectories.csv, indices.csv, events.csv, agreements.csv, "
          "status_quo.csv, manifest.json)")
    if not args.no_figures:
        print(f"figures: {out / 'figures'}/   report: {out / 'report.html'}")
    print(f"why did an actor act? sim explain {out} --run 0 --month {loaded.scenario.meta.start}"
          f" --actor {next(iter(loaded.scenario.actors))}")
    return 0
