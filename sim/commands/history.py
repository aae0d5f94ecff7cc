"""``sim history [--scenario S] [--runs N] [--seed S] [--out DIR] [--force] [--workers W]
[--calibrate]``: replay 2018-2023 and score the ensemble against the record.

Runs the shipped ``history_2018_2023`` scenario (administrations and exogenous events scripted,
everything else decided by the actors), or another that covers the record's windows (e.g. the
shipped ``history_2018_2023_calibrated``), as an ordinary ensemble into a run folder
(:func:`sim.output.write_run_folder`), then scores it against the shipped reference
(:mod:`sim.history.scoring`): prints a table, writes ``scores.csv`` into the run folder and
``figures/history.png``. With ``--calibrate`` it fits the behavioural parameters to the in-sample
window by ABC-SMC instead (:mod:`sim.history.calibration_run`, :mod:`sim.history.calibrate`).
The scores and the calibration are explained in docs/validation.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.commands.arguments import (
    add_ensemble_arguments,
    check_ensemble_arguments,
    overrides_tag,
    parse_overrides,
)
from sim.shipped import HISTORY_SCENARIO, resolve_scenario

if TYPE_CHECKING:
    from sim.history.reference import Reference
    from sim.history.scoring import Score

DEFAULT_RUNS = 100
SCORES_FILE = "scores.csv"


def configure(parser: argparse.ArgumentParser) -> None:
    from sim.history import calibration_run

    parser.add_argument("--scenario", default=None, metavar="S",
                        help=f"scenario file or shipped name to replay (default: "
                             f"{HISTORY_SCENARIO}); it must cover 2018-2023")
    add_ensemble_arguments(parser, DEFAULT_RUNS)
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    calibration_run.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sim.ensemble import default_workers, start_workers_early

    check_ensemble_arguments(args)
    start_workers_early(args.workers or default_workers(), args.scheduler)
    from sim.history.reference import check_replayable, load_reference, replay_name
    from sim.scenario import load_scenario

    if args.calibrate:
        from sim.history import calibration_run

        return calibration_run.run(args)
    path = resolve_scenario(args.scenario, HISTORY_SCENARIO)
    overrides = parse_overrides(args.overrides)
    loaded = load_scenario(path, overrides, folders=args.data_dir)
    reference = load_reference(catalogue_actions=set(loaded.catalogue.actions))
    check_replayable(loaded, reference)
    seed = loaded.scenario.meta.seed if args.seed is None else args.seed
    out = args.out or Path("runs") / (f"{replay_name(path)}-seed{seed}-n{args.runs}"
                                      f"{overrides_tag(overrides)}")
    started = time.perf_counter()
    scores = replay_and_score(loaded, reference, seed, args.runs, out, args.workers,
                              scheduler=args.scheduler, force=args.force,
                              progress=not args.quiet, figures=not args.no_figures)
    print(f"{args.runs} runs of {path.name} (seed {seed}) scored against the record in "
          f"{time.perf_counter() - started:.1f} s\n")
    print(score_table(scores, list(reference.windows)))
    print(f"\nscores: {out / SCORES_FILE}")
    if not args.no_figures:
        print(f"figure: {out / 'figures' / 'history.png'} (and the run's usual figures)")
    print("what the scores mean: docs/validation.md")
    return 0


def replay_and_score(loaded, reference: Reference, seed: int, runs: int, out: Path,
                     workers: int | None, scheduler: str | None = None, force: bool = False,
                     progress: bool = True, figures: bool = True) -> list[Score]:
    """Run the ensemble into ``out``, score it, and write ``scores.csv`` and the figure (into
    the staged folder, so that the folder is complete only with its scores)."""
    from sim.output import write_run_folder

    scores: list[Score] = []

    def add_scores(folder: Path) -> None:
        scores.extend(score_folder(folder, reference, figures))

    write_run_folder(loaded, seed, runs, out, workers=workers, scheduler=scheduler, force=force,
                     progress=progress, figures=figures, complete=add_scores)
    return scores


def score_folder(folder: Path, reference: Reference, figures: bool) -> list[Score]:
    """Score a run folder against the record; write ``scores.csv`` and the history figure."""
    from sim.history.scoring import score_ensemble
    from sim.history.series import from_run_folder

    ensemble = from_run_folder(folder, reference.dyad_name)
    scores = score_ensemble(ensemble, reference)
    write_scores(folder / SCORES_FILE, scores)
    if figures:
        from sim.history.figure import write_history_figure

        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        write_history_figure(folder, ensemble, reference, manifest, scores)
    return scores


def format_value(value: float) -> str:
    """Up to 6 significant digits, as the run tables; empty when the score has no value."""
    return "" if math.isnan(value) else f"{value:.6g}"


def write_scores(path: Path, scores: list[Score]) -> None:
    """``name, window, value``: one row per score, in the order they were computed."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "window", "value"])
        for s in scores:
            writer.writerow([s.name, s.window, format_value(s.value)])


def score_table(scores: list[Score], windows: list[str]) -> str:
    """A plain-text table: one row per score name, one column per window."""
    names = list(dict.fromkeys(s.name for s in scores))
    value = {(s.name, s.window): s.value for s in scores}
    width = max((len(n) for n in names), default=5) + 2
    lines = ["score".ljust(width) + "".join(w.rjust(16) for w in windows)]
    lines.append("-" * len(lines[0]))
    for name in names:
        cells = [value.get((name, w), math.nan) for w in windows]
        lines.append(name.ljust(width) + "".join(
            ("-" if math.isnan(c) else f"{c:.3f}").rjust(16) for c in cells))
    return "\n".join(lines)
