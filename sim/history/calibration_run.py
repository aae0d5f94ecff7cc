"""The ``--calibrate`` branch of ``sim history``: options, the output folder and the report.

Writes an experiment-like folder (default ``runs/history-calibration-seed<S>``) through the
project's folder rules (:mod:`sim.folders`: a marker, staging in ``<out>.partial``, complete
last, never overwriting without ``--force``, never touching a folder it did not write):

- ``manifest.json``: software and library versions (pyabc among them), the scenario files and
  the calibration file with their sha256, the settings and priors, the seeds and the budget;
- ``particles.csv``: ``generation, particle, weight, distance, <parameters>``;
- ``generations.csv``: ``generation, epsilon, particles, evaluations, acceptance_rate,
  seconds``;
- ``posterior.csv``: ``parameter, prior_low, prior_high, posterior_mean, posterior_low,
  posterior_high, interval_share, identified``;
- ``predictive.csv``: one row per predictive draw and one for the baseline: ``draw, source``,
  the parameters, then every score of every window as ``<window>: <score>``;
- ``figures/pair_plot.png``, ``figures/predictive.png`` and pyABC's database ``abc.db``.

The method itself is :mod:`sim.history.calibrate`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.history import calibrate
from sim.history.calibration_file import (
    AbcSettings,
    CalibrationFile,
    default_calibration_file,
    load_calibration,
    with_overrides,
)
from sim.history.reference import Reference

KIND = "calibration"  # the folder marker's kind (sim.folders)
DB_FILE = "abc.db"
FLOAT_FORMAT = "%.6g"
METHOD = ("ABC-SMC (Toni et al. 2009; Beaumont et al. 2009; Del Moral et al. 2012) with pyABC "
          "(Klinger, Rickert & Hasenauer 2018)")
DISTANCE = ("Euclidean distance of the fitted window's goodness scores (each in [0, 1]) from "
            "the record's, all 1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "calibration (with --calibrate; defaults from the calibration file)")
    group.add_argument("--calibrate", action="store_true",
                       help="fit the behavioural parameters to the in-sample record by ABC-SMC "
                            "instead of replaying (needs the extra: pip install "
                            "\"jk-dispute-sim[calibration]\")")
    group.add_argument("--calibration", type=Path, default=None, metavar="FILE",
                       help="priors and settings (default: the shipped "
                            "scenarios/reference/calibration.yaml)")
    group.add_argument("--population", type=int, default=None, metavar="N",
                       help="particles per generation")
    group.add_argument("--generations", type=int, default=None, metavar="N",
                       help="most generations")
    group.add_argument("--calibration-runs", type=int, default=None, metavar="N",
                       help="runs per evaluation of a parameter set")
    group.add_argument("--predictive-draws", type=int, default=None, metavar="N",
                       help="posterior draws in the predictive check")


def settings_from(args: argparse.Namespace, reference: Reference) -> CalibrationFile:
    """The calibration file with the command line's values over its ``abc`` settings."""
    loaded = load_calibration(args.calibration, reference.windows)
    abc = with_overrides(loaded.abc, {
        "population": ("--population", args.population),
        "generations": ("--generations", args.generations),
        "runs_per_evaluation": ("--calibration-runs", args.calibration_runs),
        "predictive_draws": ("--predictive-draws", args.predictive_draws),
        "seed": ("--seed", args.seed),
    })
    return loaded.model_copy(update={"abc": abc})


@dataclass
class Outcome:
    """What a calibration produced, for its folder and its report."""

    particles: pd.DataFrame
    generations: pd.DataFrame
    posterior: pd.DataFrame
    predictive: pd.DataFrame
    summary: dict[str, dict[str, float]]
    baseline: dict[str, float]
    budget: dict[str, Any]


def run(args: argparse.Namespace) -> int:
    """``sim history --calibrate``: calibrate into a new folder and print the report."""
    from sim import folders
    from sim.commands.arguments import parse_overrides
    from sim.ensemble import default_workers
    from sim.history.reference import check_replayable, load_reference, replay_name
    from sim.scenario import load_scenario
    from sim.shipped import HISTORY_SCENARIO, resolve_scenario

    calibrate.require_pyabc()
    reference = load_reference()
    scenario = resolve_scenario(args.scenario, HISTORY_SCENARIO)
    overrides = parse_overrides(args.overrides)
    check_replayable(load_scenario(scenario, overrides, folders=args.data_dir), reference)
    settings = settings_from(args, reference)
    out = args.out or Path("runs") / f"{replay_name(scenario)}-calibration-seed{settings.abc.seed}"
    folders.claim(out, KIND, args.force)
    workers = args.workers or default_workers()
    staging = folders.staging_folder(out, KIND)
    with folders.os_errors(staging):
        outcome = calibrate_into(staging, scenario, reference, settings, overrides, workers,
                                 args.scheduler, progress=not args.quiet,
                                 folders=tuple(args.data_dir))
        write_folder(staging, out.name, scenario, reference, settings, overrides, outcome,
                     args.calibration or default_calibration_file(), figures=not args.no_figures)
    folders.publish(staging, out, KIND)
    print(report(outcome, settings, reference, out))
    return 0


def fit_end(settings: AbcSettings, reference: Reference) -> str:
    """The last month simulated while fitting: the fitted window's, or an earlier ``end``."""
    return settings.end or reference.windows[settings.window][1]


def calibrate_into(folder: Path, scenario: Path, reference: Reference,
                   settings: CalibrationFile, overrides: dict[str, Any], workers: int,
                   scheduler: str | None, progress: bool,
                   folders: tuple[str | Path, ...] = ()) -> Outcome:
    """Fit, summarise and check the posterior; pyABC's database goes into ``folder``."""
    from sim.ensemble import make_backend

    abc, names = settings.abc, list(settings.parameters)
    say = calibrate.stderr_progress if progress else None
    started = time.perf_counter()
    with make_backend(workers, scheduler) as backend:
        simulator = calibrate.Simulator(scenario, reference, backend, abc.runs_per_evaluation,
                                        abc.seed, overrides, folders)
        evaluator = calibrate.Evaluator(simulator, abc.window, fit_end(abc, reference))
        history = calibrate.fit(evaluator, settings.parameters, abc, folder / DB_FILE, say)
        fitted = time.perf_counter()
        particles = calibrate.particles_table(history, names)
        final = calibrate.final_population(particles)
        draws = calibrate.draw_particles(final, names, abc.predictive_draws, abc.seed)
        baseline = simulator.current_values(names)
        predictive = calibrate.predictive_table(simulator, draws, baseline, say)
    done = time.perf_counter()
    runs = (evaluator.evaluations + 2 * len(draws)) * abc.runs_per_evaluation
    budget = {"evaluations": evaluator.evaluations, "predictive_ensembles": 2 * len(draws),
              "runs_per_evaluation": abc.runs_per_evaluation, "runs": runs,
              "seconds": round(done - started, 1), "fit_seconds": round(fitted - started, 1),
              "predictive_seconds": round(done - fitted, 1), "workers": backend.workers,
              "runs_per_second": round(runs / max(done - started, 1e-9), 1)}
    return Outcome(particles, calibrate.generations_table(history, particles),
                   calibrate.posterior_table(final, settings.parameters, abc), predictive,
                   calibrate.predictive_summary(predictive, list(reference.windows),
                                                abc.interval), baseline, budget)


# --- the folder -------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_folder(folder: Path, name: str, scenario: Path, reference: Reference,
                 settings: CalibrationFile, overrides: dict[str, Any], outcome: Outcome,
                 calibration_file: Path, figures: bool = True) -> None:
    from sim.output import write_manifest

    write_csv(outcome.particles, folder / "particles.csv")
    write_csv(outcome.generations, folder / "generations.csv")
    write_csv(outcome.posterior, folder / "posterior.csv")
    write_csv(outcome.predictive, folder / "predictive.csv")
    data = manifest(name, scenario, reference, settings, overrides, outcome, calibration_file)
    write_manifest(folder, data)
    if figures:
        draw_figures(folder, settings, reference, outcome, data)


def draw_figures(folder: Path, settings: CalibrationFile, reference: Reference,
                 outcome: Outcome, manifest_data: dict[str, Any]) -> None:
    from sim.history.calibration_figures import draw_pair_plot, draw_predictive

    (folder / "figures").mkdir(exist_ok=True)
    final = calibrate.final_population(outcome.particles)
    draw_pair_plot(final, settings.parameters, outcome.posterior, manifest_data,
                   folder / "figures" / "pair_plot.png")
    draw_predictive(outcome.predictive, reference.windows, outcome.summary,
                    settings.abc.interval, manifest_data, folder / "figures" / "predictive.png")


def manifest(name: str, scenario: Path, reference: Reference, settings: CalibrationFile,
             overrides: dict[str, Any], outcome: Outcome,
             calibration_file: Path) -> dict[str, Any]:
    from sim.output import resolved, software_stamp
    from sim.scenario import load_scenario
    from sim.scenario.loader import sha256_of

    loaded = load_scenario(scenario, overrides)
    abc = settings.abc
    return {
        **software_stamp(extra_libraries=("pyabc",)),
        "kind": "history calibration",
        "name": name,
        "method": METHOD,
        "distance": DISTANCE,
        "scenario": {"path": resolved(loaded.path), "title": loaded.scenario.meta.title,
                     "files": [{**e, "path": resolved(e["path"])} for e in loaded.file_hashes()],
                     "start": loaded.scenario.meta.start, "end": loaded.scenario.meta.end,
                     "fitted_window": abc.window, "fitted_end": fit_end(abc, reference)},
        "calibration_file": {"path": resolved(calibration_file),
                             "sha256": sha256_of(calibration_file)},
        "reference": {"path": resolved(reference.folder), "windows": reference.windows},
        "overrides": overrides,
        "settings": abc.model_dump(),
        "priors": {p: prior.model_dump() for p, prior in settings.parameters.items()},
        "baseline": outcome.baseline,
        "seed": abc.seed,
        "seeds": {"master": abc.seed, "streams": {
            "fit": calibrate.FIT_STREAM, "predictive": calibrate.PREDICTIVE_STREAM,
            "baseline": calibrate.BASELINE_STREAM, "draws": calibrate.DRAW_STREAM},
            "rule": "run seeds of evaluation k of a stream: numpy SeedSequence(master, "
                    "spawn_key=(stream, k)).spawn(runs); pyABC draws from numpy's global "
                    "random state seeded with the master seed"},
        "runs": outcome.budget["runs"],
        "budget": outcome.budget,
        "generations": len(outcome.generations),
    }


# --- the report -------------------------------------------------------------------------------


def report(outcome: Outcome, settings: CalibrationFile, reference: Reference, out: Path) -> str:
    abc = settings.abc
    parts = [budget_text(outcome.budget, len(outcome.generations)),
             generations_text(outcome.generations),
             posterior_text(outcome.posterior, abc),
             identification_text(outcome.posterior, abc),
             predictive_text(outcome.summary, abc, reference),
             "for scenarios/base.yaml `parameters:` (posterior means):\n"
             + "\n".join(yaml_lines(outcome.posterior, out.name, abc.interval)),
             f"folder: {out} (particles.csv, generations.csv, posterior.csv, predictive.csv, "
             f"manifest.json, figures/, {DB_FILE}); the method: docs/validation.md"]
    return "\n\n".join(parts)


def budget_text(budget: dict[str, Any], generations: int) -> str:
    return (f"calibration (ABC-SMC): {generations} generations, {budget['evaluations']} "
            f"evaluations and {budget['predictive_ensembles']} predictive ensembles of "
            f"{budget['runs_per_evaluation']} runs = {budget['runs']} runs in "
            f"{budget['seconds']:.0f} s on {workers(budget['workers'])} "
            f"({budget['runs_per_second']:.1f} runs/s; fit {budget['fit_seconds']:.0f} s, "
            f"predictive check {budget['predictive_seconds']:.0f} s)")


def workers(count: int) -> str:
    return "1 worker" if count == 1 else f"{count} workers"


def generations_text(generations: pd.DataFrame) -> str:
    lines = [f"{'generation':>10}{'epsilon':>10}{'particles':>11}{'effective':>11}"
             f"{'evaluations':>13}{'acceptance':>12}{'seconds':>9}"]
    for g in generations.itertuples(index=False):
        lines.append(f"{g.generation:>10}{g.epsilon:>10.3f}{g.particles:>11}"
                     f"{g.effective_particles:>11.0f}{g.evaluations:>13}"
                     f"{g.acceptance_rate:>12.0%}{g.seconds:>9.0f}")
    return "\n".join(lines)


def posterior_text(posterior: pd.DataFrame, abc: AbcSettings) -> str:
    width = max(len("parameter"), *(len(p) for p in posterior["parameter"])) + 2
    lines = [f"{'parameter':<{width}}{'prior':>16}{'mean':>9}{f'{abc.interval:.0%} interval':>19}"
             f"{'of prior':>10}  identified"]
    for r in posterior.itertuples(index=False):
        prior = f"{r.prior_low:.3g}-{r.prior_high:.3g}"
        interval = f"{r.posterior_low:.3g}-{r.posterior_high:.3g}"
        lines.append(f"{r.parameter:<{width}}{prior:>16}{r.posterior_mean:>9.3g}"
                     f"{interval:>19}{r.interval_share:>10.0%}  "
                     f"{'yes' if r.identified else 'no'}")
    return "\n".join(lines)


def identification_text(posterior: pd.DataFrame, abc: AbcSettings) -> str:
    effective = float(posterior["effective_particles"].iloc[0])
    if effective < abc.min_effective_particles:
        return (f"nothing is identified: the final population is worth {effective:.0f} "
                f"equally weighted particles, fewer than min_effective_particles "
                f"({abc.min_effective_particles:.0f}); its intervals reflect a few heavy "
                "particles, not the record")
    loose = list(posterior.loc[~posterior["identified"].astype(bool), "parameter"])
    rule = (f"(the {abc.interval:.0%} interval still covers more than "
            f"{abc.identified_share:.0%} of the prior range)")
    if not loose:
        return f"every parameter is identified: none is loose {rule}"
    return f"not identified {rule}: {', '.join(loose)}"


def predictive_text(summary: dict[str, dict[str, float]], abc: AbcSettings,
                    reference: Reference) -> str:
    span = f"{abc.interval:.0%} range"
    lines = [f"posterior predictive composite ({abc.predictive_draws} draws of "
             f"{abc.runs_per_evaluation} full-length runs each) against the baseline (as many "
             "ensembles of the scenario's current values):",
             f"{'window':<16}{'median':>8}{span:>15}{'baseline':>10}{span:>15}"]
    for window, s in summary.items():
        lo, hi = reference.windows[window]
        lines.append(f"{window:<16}{s['median']:>8.3f}{s['low']:>9.3f}-{s['high']:.3f}"
                     f"{s['baseline']:>10.3f}{s['baseline_low']:>9.3f}-{s['baseline_high']:.3f}"
                     f"   ({lo} to {hi})")
    return "\n".join(lines)


def yaml_lines(posterior: pd.DataFrame, folder_name: str, interval: float) -> list[str]:
    """``parameters:`` lines citing the calibration (quoted: the source has commas)."""
    return [f'  {r.parameter}: {{value: {r.posterior_mean:.3g}, source: "calibration '
            f'{folder_name} (ABC-SMC, posterior mean; {interval:.0%} interval '
            f'{r.posterior_low:.3g}-{r.posterior_high:.3g})"}}'
            for r in posterior.itertuples(index=False)]
