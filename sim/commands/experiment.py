"""``sim experiment FILE [--runs N] [--workers W] [--scheduler ADDRESS] [--resume] [--out DIR]
[--force]``: run an experiment file and write its tables, figures and manifest into one folder.

The folder is new, empty, or one ``sim experiment`` wrote (its marker, :mod:`sim.folders`): an
unfinished one is finished with ``--resume``, a finished one is replaced only with ``--force``;
a folder it did not write is never touched. The marker says ``incomplete`` until the end.

Exit codes: 0 when every run succeeded; 1 when some runs failed (each is recorded in
``outcomes.csv`` with its seed and error, and the others were completed) or when the local
worker processes died (finish with ``--resume``); 2 for a bad experiment
or scenario file or bad arguments (located messages, no traceback); 130 when interrupted
(finish later with ``--resume``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.commands.arguments import (
    add_backend_arguments,
    add_data_dir_argument,
    check_backend_arguments,
)
from sim.errors import fail

EXIT_SOME_FAILED = 1
KIND = "experiment"  # the folder marker's kind


def configure(parser: argparse.ArgumentParser) -> None:
    from sim.experiments.schema import MAX_RUNS

    parser.add_argument("file", type=Path,
                        help="experiment file, or a shipped experiment's name (us_mediation)")
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per design point (default: the file's `runs`)")
    add_backend_arguments(parser)
    add_data_dir_argument(parser)
    parser.add_argument("--max-runs", type=int, default=MAX_RUNS, metavar="N",
                        help=f"refuse a design of more runs than this (default {MAX_RUNS:,})")
    parser.add_argument("--resume", action="store_true",
                        help="finish an interrupted experiment in --out: run only what is "
                             "missing")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: runs/experiment-<file name>)")
    parser.add_argument("--force", action="store_true",
                        help="replace a finished experiment folder written before")
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sim import folders
    from sim.ensemble import WorkersLost, default_workers
    from sim.experiments.loader import load_experiment
    from sim.experiments.runner import run_experiment
    from sim.shipped import resolve_experiment

    if args.runs is not None and args.runs < 1:
        raise fail("--runs", "expected at least 1 run per design point")
    if args.max_runs < 1:
        raise fail("--max-runs", "expected at least 1 run")
    check_backend_arguments(args)
    path = resolve_experiment(args.file)
    exp = load_experiment(path, runs=args.runs, max_runs=args.max_runs, folders=args.data_dir)
    out = args.out or Path("runs") / f"experiment-{path.stem}"
    folders.claim(out, KIND, force=args.force, resume=args.resume)
    if args.force and not args.resume:
        folders.remove_own(out)
    folders.start(out, KIND)
    workers = args.workers or default_workers()
    try:
        result = run_experiment(exp, out, runs=args.runs, workers=workers,
                                scheduler=args.scheduler, resume=args.resume,
                                progress=not args.quiet, figures=not args.no_figures,
                                folders=tuple(str(Path(d).resolve()) for d in args.data_dir))
    except WorkersLost as err:
        print(f"worker processes died ({err}); the finished runs are saved in {out}/parts: "
              f"run the same command with --resume to finish", file=sys.stderr)
        return EXIT_SOME_FAILED
    except OSError as err:
        if args.scheduler is not None and err.errno not in folders.REASONS:
            raise fail("--scheduler", f"cannot reach {args.scheduler}: {err}") from None
        with folders.os_errors(out):
            raise
    folders.finish(out, KIND)
    resumed = result.runs - result.ran
    print(f"{exp.file.title}: {len(result.points)} design points x "
          f"{result.runs // max(len(result.points), 1)} runs = {result.runs} runs"
          + (f" ({resumed} already done, resumed)" if resumed else ""))
    print(f"  failed: {result.failed}   wall time: {result.seconds:.1f} s "
          f"(runs {result.run_seconds:.1f} s, analysis and figures the rest)   "
          f"runs per second: {result.rate:.2f}   workers: {result.backend}")
    print(f"results: {out}/ (outcomes.csv, summary.csv, runs.parquet, manifest.json"
          + (", comparisons.csv" if (out / "comparisons.csv").is_file() else "")
          + (", sensitivity.csv" if (out / "sensitivity.csv").is_file() else "")
          + (", figures/" if (out / "figures").is_dir() else "") + ")")
    if result.failed:
        print(f"{result.failed} runs failed: see the `status` and `error` columns of "
              f"{out / 'outcomes.csv'} (exit code {EXIT_SOME_FAILED})")
        return EXIT_SOME_FAILED
    return 0
