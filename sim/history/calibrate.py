"""``sim history --calibrate``: fit a few global behavioural parameters on 2018-01..2021-12.

Method (docs/validation.md, "Calibration"):

1. **Search**: a Latin hypercube (McKay, Beckman & Conover 1979; ``scipy.stats.qmc``) of
   ``--points`` parameter sets over the ranges of :data:`PARAMETERS`, plus the current values of
   ``scenarios/base.yaml``. Each set is scored by the in-sample composite of
   :mod:`sim.history.scoring` over ``--calibration-runs`` runs of the history scenario cut at the
   end of the in-sample window, so no held-out month is ever simulated while fitting. Every set
   uses the same run seeds (common random numbers): two sets are compared on the same luck.
2. **Refinement**: a response surface (a quadratic in the parameters, fitted by ridge-regularised
   least squares to every evaluated set; Box & Wilson 1951) smooths the runs' noise across
   neighbouring sets, and ``scipy.optimize.minimize`` (L-BFGS-B, within the ranges, started from
   the best sets found) finds its maximum: the candidate.
3. **Check**: the candidate and the current values are scored again on fresh seeds with
   ``--check-runs`` runs each, because a maximum found on noisy evaluations is flattered by its
   noise (the winner's curse). The candidate is recommended only if a paired bootstrap over the
   runs (Efron & Tibshirani 1993) puts the gain above zero with 95% confidence (one-sided).

Why a script rather than an experiment file: the scores are properties of a whole ensemble
compared with the record (shares of runs, a rank correlation of ensemble means, Brier scores of
run shares), while an experiment's outcomes are per-run numbers; and the refinement needs an
optimiser that chooses its point from the search's results, which a fixed design cannot express.

Writes ``calibration.csv`` (every evaluated set and its in-sample composite) and
``calibration.json`` (method, budget, current and candidate sets, check) into ``--out``, and
prints the ``parameters:`` lines to copy into ``scenarios/base.yaml`` if the check is passed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import optimize
from scipy.stats import qmc

from sim.history.reference import Reference, load_reference
from sim.history.scoring import COMPOSITE, score_ensemble, score_value
from sim.history.series import DyadEnsemble, from_records
from sim.model import RunRecord

if TYPE_CHECKING:
    from sim.ensemble import Backend

# name -> (low, high): plausible ranges around the reference values of base.yaml
PARAMETERS: dict[str, tuple[float, float]] = {
    "choice_temperature": (0.02, 0.15),  # from near-deterministic to frequent "mistakes"
    "weight_reciprocity": (0.3, 2.0),  # how much an act received weighs in the next choice
    "relaxation": (0.02, 0.12),  # a shock halves in about 3 years .. 6 months
    "ratification_threshold": (0.45, 0.85),  # domestic support a deal needs at home
    "attention_cost": (0.05, 0.5),  # how worthwhile a move must be before a leader acts
}
IN_SAMPLE = "in sample"
CALIBRATION_SEED = 19650622  # the 1965 normalisation treaty: fixed, so a calibration repeats
CHECK_SEED = 20230316
SOURCE = "calibration sim/history/calibrate.py"
RIDGE = 1e-2  # shrinks the surface's curvature where the search's points say little
RESAMPLES = 200
CONFIDENCE = 0.95


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("calibration (with --calibrate)")
    group.add_argument("--calibrate", action="store_true",
                       help="fit the behavioural parameters on the in-sample window instead of "
                            "replaying")
    group.add_argument("--points", type=int, default=48,
                       help="Latin-hypercube parameter sets (default 48)")
    group.add_argument("--calibration-runs", type=int, default=10,
                       help="runs per parameter set in the search (default 10)")
    group.add_argument("--check-runs", type=int, default=200,
                       help="runs per set in the final check on fresh seeds (default 200)")
    group.add_argument("--check-seed", type=int, default=CHECK_SEED,
                       help=f"master seed of the check's runs (default {CHECK_SEED})")
    group.add_argument("--confidence", type=float, default=CONFIDENCE,
                       help=f"one-sided confidence the gain must reach (default {CONFIDENCE})")


@dataclass
class Evaluation:
    stage: str
    values: dict[str, float]
    composite: float
    seconds: float


@dataclass
class Calibrator:
    """Scores parameter sets on the in-sample window with a persistent pool of workers."""

    scenario: Path
    reference: Reference
    seeds: list[int]
    backend: Backend
    base_overrides: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    log: list[Evaluation] = field(default_factory=list)

    def ensemble(self, values: dict[str, float], seeds: list[int]) -> DyadEnsemble:
        overrides = {**self.base_overrides,
                     **{f"parameters.{p}": round(v, 6) for p, v in values.items()}}
        return from_records(self._simulate(overrides, seeds), self.reference.dyad_name)

    def composite(self, values: dict[str, float], stage: str,
                  seeds: list[int] | None = None) -> tuple[float, DyadEnsemble]:
        """In-sample composite of a parameter set, and the ensemble it was computed on."""
        started = time.perf_counter()
        ensemble = self.ensemble(values, seeds or self.seeds)
        value = in_sample_composite(ensemble, self.reference)
        self.log.append(Evaluation(stage, dict(values), value, time.perf_counter() - started))
        if self.progress:
            shown = ", ".join(f"{p}={v:.3g}" for p, v in values.items())
            print(f"[{len(self.log):3d}] {stage:<9} composite {value:.3f}  {shown} "
                  f"({self.log[-1].seconds:.0f} s)", file=sys.stderr, flush=True)
        return value, ensemble

    def _simulate(self, overrides: dict[str, Any], seeds: list[int]) -> list[RunRecord]:
        from sim.ensemble import run_ensemble
        from sim.scenario import load_scenario

        loaded = load_scenario(self.scenario, overrides)
        return list(run_ensemble(loaded, seeds, backend=self.backend))


def in_sample_composite(ensemble: DyadEnsemble, reference: Reference) -> float:
    return score_value(score_ensemble(ensemble, reference), COMPOSITE, IN_SAMPLE)


# --- the unit cube ----------------------------------------------------------------------------


def to_values(unit: np.ndarray) -> dict[str, float]:
    """A point of the unit cube -> parameter values."""
    return {p: lo + float(np.clip(u, 0.0, 1.0)) * (hi - lo)
            for u, (p, (lo, hi)) in zip(unit, PARAMETERS.items(), strict=True)}


def to_unit(values: dict[str, float]) -> np.ndarray:
    return np.array([(values[p] - lo) / (hi - lo) for p, (lo, hi) in PARAMETERS.items()])


def latin_hypercube(points: int, seed: int) -> np.ndarray:
    return qmc.LatinHypercube(d=len(PARAMETERS), rng=np.random.default_rng(seed)).random(points)


# --- search and response surface --------------------------------------------------------------


def search(cal: Calibrator, current: dict[str, float], points: int) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Score the current set and a Latin hypercube; return the unit points and their scores."""
    units = [to_unit(current), *latin_hypercube(points, CALIBRATION_SEED)]
    scores = [cal.composite(to_values(u), "current" if k == 0 else "search")[0]
              for k, u in enumerate(units)]
    return np.array(units), np.array(scores)


def quadratic_features(units: np.ndarray) -> np.ndarray:
    """1, every u_i, and every product u_i u_j (i <= j): a full quadratic."""
    units = np.atleast_2d(units)
    d = units.shape[1]
    columns = [np.ones(len(units)), *units.T]
    columns += [units[:, i] * units[:, j] for i, j in combinations_with_replacement(range(d), 2)]
    return np.column_stack(columns)


def fit_surface(units: np.ndarray, scores: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Ridge least squares of the scores on the quadratic features (intercept not shrunk)."""
    x = quadratic_features(units)
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    return np.linalg.solve(x.T @ x + penalty, x.T @ scores)


def surface_maximum(coef: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The best local maximum of the fitted surface within the unit cube, from several starts."""
    def negative(u: np.ndarray) -> float:
        return -float((quadratic_features(u) @ coef)[0])

    found = [optimize.minimize(negative, s, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(s))
             for s in starts]
    return min(found, key=lambda r: r.fun).x


def candidate(units: np.ndarray, scores: np.ndarray, starts: int = 5) -> np.ndarray:
    """The response surface's maximum, started from the best evaluated points."""
    coef = fit_surface(units, scores)
    best = units[np.argsort(scores)[::-1][:starts]]
    return surface_maximum(coef, np.vstack([best, np.full(units.shape[1], 0.5)]))


# --- the check --------------------------------------------------------------------------------


def subset(ensemble: DyadEnsemble, index: np.ndarray) -> DyadEnsemble:
    return DyadEnsemble(ensemble.months, ensemble.tension[index], ensemble.goldstein[index],
                        [ensemble.events[i] for i in index])


def paired_bootstrap(a: DyadEnsemble, b: DyadEnsemble, reference: Reference,
                     resamples: int = RESAMPLES, seed: int = CHECK_SEED) -> np.ndarray:
    """Differences of the in-sample composite (b minus a) over resamples of the run indices;
    run i of both ensembles shares its seed, so the same indices are drawn for both."""
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        index = rng.integers(0, a.runs, a.runs)
        diffs.append(in_sample_composite(subset(b, index), reference)
                     - in_sample_composite(subset(a, index), reference))
    return np.array(diffs)


def check(cal: Calibrator, current: dict[str, float], best: dict[str, float], runs: int,
          seed: int = CHECK_SEED, confidence: float = CONFIDENCE) -> dict[str, Any]:
    from sim.ensemble import spawn_seeds

    seeds = spawn_seeds(seed, runs)
    value_current, ens_current = cal.composite(current, "check", seeds)
    value_best, ens_best = cal.composite(best, "check", seeds)
    diffs = paired_bootstrap(ens_current, ens_best, cal.reference, seed=seed)
    low = float(np.quantile(diffs, 1.0 - confidence))
    return {"runs": runs, "seed": seed, "current": value_current, "candidate": value_best,
            "gain": value_best - value_current, "gain_lower_bound": low,
            "confidence": confidence, "resamples": len(diffs), "improves": low > 0.0}


def surface_skill(units: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Leave-one-out prediction error of the response surface beside the scores' spread: a
    surface no better than the spread has learnt nothing beyond the runs' noise."""
    mask = np.ones(len(scores), dtype=bool)
    errors = []
    for i in range(len(scores)):
        mask[i] = False
        coef = fit_surface(units[mask], scores[mask])
        errors.append(float((quadratic_features(units[i]) @ coef)[0]) - scores[i])
        mask[i] = True
    return {"loo_rmse": float(np.sqrt(np.mean(np.square(errors)))),
            "score_sd": float(np.std(scores))}


# --- the command ------------------------------------------------------------------------------


def current_values(scenario: Path) -> dict[str, float]:
    from sim.scenario import load_scenario

    params = load_scenario(scenario).scenario.parameters
    return {p: float(getattr(params, p)) for p in PARAMETERS}


def run(args: argparse.Namespace) -> int:
    """The ``--calibrate`` branch of ``sim history``."""
    from sim.commands.arguments import parse_overrides
    from sim.ensemble import default_workers, make_backend, spawn_seeds
    from sim.errors import fail
    from sim.shipped import HISTORY_SCENARIO, shipped_scenario

    for name in ("points", "calibration_runs", "check_runs"):
        if getattr(args, name) < 2:
            raise fail(f"--{name.replace('_', '-')}", "expected at least 2")
    if not 0.5 < args.confidence < 1.0:
        raise fail("--confidence", "expected a number between 0.5 and 1")
    scenario = shipped_scenario(HISTORY_SCENARIO)
    reference = load_reference()
    overrides = {**parse_overrides(args.overrides), "meta.end": reference.windows[IN_SAMPLE][1]}
    out = args.out or Path("runs") / "history-calibration"
    out.mkdir(parents=True, exist_ok=True)
    workers = args.workers or default_workers()
    started = time.perf_counter()
    with make_backend(workers) as backend:
        cal = Calibrator(scenario, reference, spawn_seeds(CALIBRATION_SEED, args.calibration_runs),
                         backend, overrides, progress=not args.quiet)
        current = current_values(scenario)
        units, scores = search(cal, current, args.points)
        best = to_values(candidate(units, scores))
        checked = check(cal, current, best, args.check_runs, args.check_seed, args.confidence)
    elapsed = time.perf_counter() - started
    write_log(out / "calibration.csv", cal.log)
    summary = summarise(args, current, best, checked, cal.log, elapsed, workers)
    summary["surface"] = surface_skill(units, scores)
    (out / "calibration.json").write_text(json.dumps(summary, indent=2) + "\n",
                                          encoding="utf-8")
    report(summary, out)
    return 0


def write_log(path: Path, log: list[Evaluation]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["evaluation", "stage", *PARAMETERS, "in_sample_composite", "seconds"])
        for k, e in enumerate(log):
            writer.writerow([k, e.stage, *(f"{e.values[p]:.6g}" for p in PARAMETERS),
                             f"{e.composite:.6g}", f"{e.seconds:.1f}"])


def summarise(args: argparse.Namespace, current: dict[str, float], best: dict[str, float],
              checked: dict[str, Any], log: list[Evaluation], elapsed: float,
              workers: int) -> dict[str, Any]:
    searched = sum(1 for e in log if e.stage != "check")
    return {
        "method": "Latin hypercube search (common random numbers), quadratic response surface "
                  "maximised by L-BFGS-B, paired-bootstrap check on fresh seeds",
        "objective": f"{COMPOSITE}, {IN_SAMPLE}",
        "ranges": {p: list(r) for p, r in PARAMETERS.items()},
        "budget": {"points": args.points, "calibration_runs": args.calibration_runs,
                   "check_runs": args.check_runs, "evaluations": len(log),
                   "runs": searched * args.calibration_runs + 2 * args.check_runs,
                   "workers": workers, "seconds": round(elapsed, 1)},
        "current": current,
        "candidate": best,
        "check": checked,
    }


def report(summary: dict[str, Any], out: Path) -> None:
    budget, check = summary["budget"], summary["check"]
    print(f"calibration: {budget['evaluations']} parameter sets, {budget['runs']} runs, "
          f"{budget['seconds']:.0f} s on {budget['workers']} workers")
    print(f"in-sample composite on {check['runs']} fresh runs: current {check['current']:.3f}, "
          f"candidate {check['candidate']:.3f} (gain {check['gain']:+.3f}; "
          f"{check['confidence']:.0%} lower bound {check['gain_lower_bound']:+.3f})")
    skill = summary.get("surface")
    if skill:
        print(f"response surface: leave-one-out error {skill['loo_rmse']:.3f} against a spread "
              f"of {skill['score_sd']:.3f} among the searched sets")
    print(f"{'parameter':<26}{'current':>10}{'candidate':>11}")
    for p in PARAMETERS:
        print(f"{p:<26}{summary['current'][p]:>10.4g}{summary['candidate'][p]:>11.4g}")
    if check["improves"]:
        print("\nthe candidate beats the current values; for scenarios/base.yaml `parameters:`:")
        for line in yaml_lines(summary["candidate"]):
            print(line)
    else:
        print("\nthe candidate does not reliably beat the current values: keep them")
    print(f"\nlog: {out / 'calibration.csv'}, {out / 'calibration.json'}")


def yaml_lines(values: dict[str, float]) -> list[str]:
    return [f"  {p}: {{value: {v:.3g}, source: {SOURCE}}}" for p, v in values.items()]
