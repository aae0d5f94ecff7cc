"""``sim history --calibrate``: fit behavioural parameters to the in-sample record by approximate
Bayesian computation with sequential Monte Carlo (ABC-SMC).

Method (docs/validation.md, "Calibration"):

- **Priors** are data: ``scenarios/reference/calibration.yaml`` gives every calibrated parameter a
  uniform prior and the reason for its range (:mod:`sim.history.calibration_file`); nothing here
  knows which parameters they are.
- **Model.** One evaluation of a parameter set is a small ensemble (``runs_per_evaluation`` runs)
  of the shipped history scenario cut at the last month of the fitted window (``meta.end``), run
  through :func:`sim.ensemble.run_ensemble` on one backend made once, so no held-out month is
  ever simulated while fitting.
- **Summary statistics** are the fitted window's scores of :func:`sim.history.scoring.
  score_ensemble` that have a goodness, each in [0, 1]. The **observed data** is the record
  itself: every goodness equal to 1 (a perfect replay). The **distance** is the Euclidean
  distance of the goodness vector from that vector of ones (:func:`distance`).
- **ABC-SMC** (Toni et al. 2009, J. R. Soc. Interface 6:187; with the importance weights and
  the perturbation kernel of Beaumont et al. 2009, Biometrika 96:983, and the adaptive
  tolerances of Del Moral, Doucet & Jasra 2012, Stat. Comput. 22:1009) as implemented by pyABC
  (Klinger, Rickert & Hasenauer 2018, Bioinformatics 34:3591): generation 0 is a sample of the
  prior, accepted whole; each later generation perturbs particles of the previous one (a
  multivariate normal with ``kernel_scale`` times its weighted covariance), accepts those
  within a tolerance equal to the ``epsilon_quantile`` weighted quantile of the previous
  distances, and weights them by prior over proposal density. It stops after ``generations``,
  when the tolerance falls below ``minimum_epsilon`` or when a generation's acceptance rate
  would fall below ``min_acceptance_rate``. Each generation's effective number of particles
  (Kish's ``1 / sum(w**2)``) is reported: a posterior carried by a few particles identifies
  nothing, whatever the width of its intervals (:func:`posterior_table`).
- **Posterior predictive check**: ``predictive_draws`` particles drawn from the final weighted
  population, each run as a fresh full-length ensemble and scored in every window (in sample: a
  posterior predictive check; out of sample: scores never used in fitting), beside as many
  fresh ensembles of the scenario's current values (the baseline), so that the two are compared
  with the same noise.

**Determinism.** The same seed and settings repeat a calibration exactly (identical particles,
weights and distances). Every evaluation's run seeds come from numpy's ``SeedSequence`` of the
master seed and a counter (:func:`evaluation_seeds`), never from a clock or a worker; pyABC
draws its proposals from numpy's *global* legacy random state, which is seeded from the master
seed for the duration of the fit (and restored after it, :func:`seeded_global_numpy`); and the
sampler is pyABC's single-core sampler, so evaluations happen in one fixed order (the runs of an
evaluation may still spread over worker processes: their results do not depend on the number of
workers). Only time stamps and timings differ between repetitions (``manifest.json``'s
``created``, the seconds in ``generations.csv`` and the time columns inside ``abc.db``).

pyABC is imported here only, lazily: it is the optional extra ``calibration``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.history.calibration_file import AbcSettings, Prior
from sim.history.reference import Reference
from sim.history.scoring import COMPOSITE, Score, score_ensemble
from sim.history.series import DyadEnsemble, from_records

if TYPE_CHECKING:
    from sim.ensemble import Backend

# independent random streams under the master seed (numpy SeedSequence spawn keys)
FIT_STREAM, PREDICTIVE_STREAM, BASELINE_STREAM, DRAW_STREAM = 0, 1, 2, 3
POSTERIOR, BASELINE = "posterior", "baseline"
PYABC_LOGGER = "ABC"
INSTALL_HINT = 'pyabc is not installed: pip install "jk-dispute-sim[calibration]"'


def require_pyabc() -> Any:
    """The pyabc module, or a one-line error (exit code 2) saying how to install it."""
    from sim.errors import fail

    try:
        import pyabc
    except ImportError:
        raise fail("--calibrate", INSTALL_HINT) from None
    return pyabc


# --- seeds, summary statistics, distance ------------------------------------------------------


def evaluation_seeds(master: int, key: tuple[int, ...], runs: int) -> list[int]:
    """The run seeds of one evaluation: the runs' children of the master seed's child ``key``
    (a stream and a counter), the same on every machine."""
    children = np.random.SeedSequence(master, spawn_key=key).spawn(runs)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


@contextlib.contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed numpy's global legacy random state (what pyABC draws from) and restore it after."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved)


def goodness_of(scores: list[Score], window: str) -> dict[str, float]:
    """The summary statistics: every score of the window that has a goodness (in [0, 1])."""
    return {s.name: float(s.goodness) for s in scores
            if s.window == window and s.goodness is not None}


def perfect(names: list[str]) -> dict[str, float]:
    """The observed data: the record replayed perfectly, every goodness 1."""
    return dict.fromkeys(names, 1.0)


def distance(x: Mapping[str, float], x_0: Mapping[str, float]) -> float:
    """Euclidean distance of the simulated goodness vector from the observed one (all ones)."""
    return float(np.linalg.norm([x_0[name] - x[name] for name in x_0]))


# --- simulation -------------------------------------------------------------------------------


@dataclass
class Simulator:
    """Ensembles of the history scenario for given parameter values, on one backend."""

    scenario: Path
    reference: Reference
    backend: Backend
    runs: int
    seed: int
    overrides: dict[str, Any] = field(default_factory=dict)
    folders: tuple[str | Path, ...] = ()  # --data-dir: where the scenario's files may be

    def ensemble(self, values: Mapping[str, float], key: tuple[int, ...],
                 end: str | None = None) -> DyadEnsemble:
        """``runs`` runs with these parameter values, seeded from ``key``; cut at ``end``."""
        from sim.ensemble import run_ensemble
        from sim.scenario import load_scenario

        overrides = {**self.overrides, **{f"parameters.{p}": float(v) for p, v in values.items()}}
        if end is not None:
            overrides["meta.end"] = end
        loaded = load_scenario(self.scenario, overrides, folders=self.folders)
        seeds = evaluation_seeds(self.seed, key, self.runs)
        records = run_ensemble(loaded, seeds, backend=self.backend)
        return from_records(records, self.reference.dyad_name)

    def scores(self, values: Mapping[str, float], key: tuple[int, ...],
               end: str | None = None) -> list[Score]:
        return score_ensemble(self.ensemble(values, key, end), self.reference)

    def current_values(self, names: list[str]) -> dict[str, float]:
        """The scenario's own values of the parameters (the baseline)."""
        from sim.scenario import load_scenario

        params = load_scenario(self.scenario, self.overrides,
                               folders=self.folders).scenario.parameters
        return {p: float(getattr(params, p)) for p in names}

    def statistic_names(self, window: str, end: str) -> list[str]:
        """The names of the summary statistics of runs ending at ``end``: which scores exist
        depends only on the months simulated, so an empty ensemble of those months tells."""
        from sim.months import month_range
        from sim.scenario import load_scenario

        meta = load_scenario(self.scenario, {**self.overrides, "meta.end": end},
                             folders=self.folders).scenario.meta
        months = month_range(meta.start, end)
        empty = DyadEnsemble(months, np.zeros((1, len(months))), np.zeros((1, len(months))),
                             [[]])
        return list(goodness_of(score_ensemble(empty, self.reference), window))


@dataclass
class Evaluator:
    """The model pyABC fits: a parameter set -> the fitted window's goodness of an ensemble."""

    simulator: Simulator
    window: str
    end: str
    evaluations: int = 0

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        key = (FIT_STREAM, self.evaluations)
        self.evaluations += 1
        return goodness_of(self.simulator.scores(dict(parameters), key, self.end), self.window)


# --- ABC-SMC ----------------------------------------------------------------------------------


def prior_distribution(priors: dict[str, Prior]) -> Any:
    """Independent uniform priors (scipy's ``uniform(loc, scale)``)."""
    pyabc = require_pyabc()
    return pyabc.Distribution(**{p: pyabc.RV("uniform", prior.low, prior.width)
                                 for p, prior in priors.items()})


def whole_covariance(effective_particles: float, dimension: int) -> float:
    """A bandwidth factor of one: the perturbation kernel's covariance is the population's
    weighted covariance times ``kernel_scale`` alone (pyABC's bandwidth selector signature)."""
    return 1.0


def make_abc(evaluator: Evaluator, priors: dict[str, Prior], settings: AbcSettings) -> Any:
    pyabc = require_pyabc()
    from pyabc.sampler import SingleCoreSampler

    # the perturbation kernel of Beaumont et al. (2009): a normal with ``kernel_scale`` (2)
    # times the previous population's weighted covariance. pyABC's default (a Silverman
    # bandwidth) is several times narrower; with a noisy model it lets a particle accepted by
    # luck in a sparse region take most of the weight (a degenerate population)
    kernel = pyabc.MultivariateNormalTransition(scaling=settings.kernel_scale,
                                                bandwidth_selector=whole_covariance)
    return pyabc.ABCSMC(
        evaluator, prior_distribution(priors), distance_function=distance,
        population_size=settings.population, transitions=kernel,
        eps=pyabc.QuantileEpsilon(initial_epsilon=math.inf, alpha=settings.epsilon_quantile),
        # one process, one fixed order of evaluations (the runs of each still use the backend);
        # check_max_eval makes the minimum acceptance rate a hard limit within a generation
        sampler=SingleCoreSampler(check_max_eval=settings.min_acceptance_rate > 0))


@dataclass(frozen=True)
class GenerationDone:
    generation: int
    epsilon: float
    particles: int
    effective: float
    evaluations: int
    seconds: float


def effective_particles(weights: np.ndarray) -> float:
    """Kish's effective sample size of a weighted population, ``1 / sum(w**2)`` for weights
    normalised to one: the number of equally weighted particles it is worth."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    return float(1.0 / np.sum(w * w))


def fit(evaluator: Evaluator, priors: dict[str, Prior], settings: AbcSettings, db: Path,
        progress: Callable[[str], None] | None = None) -> Any:
    """Run ABC-SMC into the database ``db``; return pyABC's History of the run."""
    from pyabc.storage import create_sqlite_db_id

    logging.getLogger(PYABC_LOGGER).setLevel(logging.WARNING)
    names = evaluator.simulator.statistic_names(evaluator.window, evaluator.end)
    with seeded_global_numpy(settings.seed):
        abc = make_abc(evaluator, priors, settings)
        history = abc.new(create_sqlite_db_id(str(db.parent), db.name), perfect(names))
        for done in generations(abc, settings, evaluator):
            if progress is not None:
                progress(generation_line(done, settings.population))
    return history


def generations(abc: Any, settings: AbcSettings, evaluator: Evaluator
                ) -> Iterator[GenerationDone]:
    """pyABC's ``ABCSMC.run`` loop, step by step through its public methods, so that each
    generation is reported as it ends. A generation cut short by the minimum acceptance rate is
    not stored (pyABC's rule) and ends the run."""
    t = abc.initialize_components_before_run(
        minimum_epsilon=settings.minimum_epsilon, max_nr_populations=settings.generations,
        min_acceptance_rate=settings.min_acceptance_rate,
        max_total_nr_simulations=math.inf, max_walltime=None, min_eps_diff=0.0)
    try:
        while True:
            started, before = time.perf_counter(), evaluator.evaluations
            result = abc.run_generation(t=t)
            if not result["successful"]:
                return
            _, weights = abc.history.get_distribution(m=0, t=t)
            yield GenerationDone(t, float(abc.eps(t)), settings.population,
                                 effective_particles(weights), evaluator.evaluations - before,
                                 time.perf_counter() - started)
            with np.errstate(invalid="ignore"):  # pyABC subtracts an infinite epsilon at t=0
                stop = abc.check_terminate(t=t, acceptance_rate=result["acceptance_rate"])
            if stop:
                return
            t += 1
    finally:
        abc.history.done()
        abc.sampler.stop()


def generation_line(done: GenerationDone, population: int) -> str:
    rate = done.particles / max(done.evaluations, 1)
    return (f"generation {done.generation}: epsilon {done.epsilon:.3f}, {done.particles} "
            f"particles (worth {done.effective:.0f} equally weighted) from {done.evaluations} "
            f"evaluations (acceptance {rate:.0%}), {done.seconds:.0f} s")


# --- tables from pyABC's History ---------------------------------------------------------------


def particles_table(history: Any, names: list[str]) -> pd.DataFrame:
    """Every generation's particles: ``generation, particle, weight, distance, <parameters>``,
    particles in the order pyABC accepted them, weights normalised within each generation."""
    frames = [generation_particles(history, t, names) for t in range(history.max_t + 1)]
    return pd.concat(frames, ignore_index=True)


def generation_particles(history: Any, t: int, names: list[str]) -> pd.DataFrame:
    raw = history.get_population_extended(m=0, t=t, tidy=False)
    per = raw.groupby("particle_id", sort=True)[["w", "distance"]].first()
    values = (raw.drop_duplicates(["particle_id", "par_name"])
              .pivot(index="particle_id", columns="par_name", values="par_val").sort_index())
    frame = pd.DataFrame({"generation": t, "particle": np.arange(len(per)),
                          "weight": (per["w"] / per["w"].sum()).to_numpy(),
                          "distance": per["distance"].to_numpy()})
    for name in names:
        frame[name] = values[name].to_numpy(dtype=float)
    return frame


def generations_table(history: Any, particles: pd.DataFrame) -> pd.DataFrame:
    """``generation, epsilon, particles, effective_particles, evaluations, acceptance_rate,
    seconds``."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].sort_values("t")
    effective = particles.groupby("generation")["weight"].apply(
        lambda w: effective_particles(w.to_numpy()))
    return pd.DataFrame({
        "generation": pops["t"].to_numpy(dtype=int),
        "epsilon": pops["epsilon"].to_numpy(dtype=float),
        "particles": pops["particles"].to_numpy(dtype=int),
        "effective_particles": effective.reindex(pops["t"].to_numpy(dtype=int)).to_numpy(),
        "evaluations": pops["samples"].to_numpy(dtype=int),
        "acceptance_rate": (pops["particles"] / pops["samples"]).to_numpy(dtype=float),
        "seconds": pops["wall_time"].to_numpy(dtype=float),
    })


def final_population(particles: pd.DataFrame) -> pd.DataFrame:
    return particles[particles["generation"] == particles["generation"].max()]


# --- the posterior ----------------------------------------------------------------------------


def weighted_interval(values: np.ndarray, weights: np.ndarray,
                      level: float) -> tuple[float, float]:
    """The central ``level`` interval of a weighted sample: its (1 - level)/2 and
    (1 + level)/2 weighted quantiles (pyABC's weighted_quantile)."""
    from pyabc.weighted_statistics import weighted_quantile

    w = np.asarray(weights, dtype=float) / np.sum(weights)
    points = np.asarray(values, dtype=float)
    return (float(weighted_quantile(points, w, alpha=(1.0 - level) / 2.0)),
            float(weighted_quantile(points, w, alpha=(1.0 + level) / 2.0)))


def is_identified(interval_share: float, effective: float, settings: AbcSettings) -> bool:
    """A parameter is identified when its posterior interval covers at most
    ``identified_share`` of its prior range (the record narrowed what was assumed) and the
    posterior rests on at least ``min_effective_particles`` effective particles (a narrow
    interval of a few heavy particles is the weights' degeneracy, not information)."""
    return (interval_share <= settings.identified_share
            and effective >= settings.min_effective_particles)


def posterior_table(final: pd.DataFrame, priors: dict[str, Prior],
                    settings: AbcSettings) -> pd.DataFrame:
    """One row per parameter: prior bounds, posterior mean and interval, the interval's width
    as a share of the prior's, the final population's effective particles, and whether the
    parameter is identified."""
    weights = final["weight"].to_numpy(dtype=float)
    weights = weights / weights.sum()
    effective = effective_particles(weights)
    rows = []
    for name, prior in priors.items():
        values = final[name].to_numpy(dtype=float)
        low, high = weighted_interval(values, weights, settings.interval)
        share = (high - low) / prior.width
        rows.append({"parameter": name, "prior_low": prior.low, "prior_high": prior.high,
                     "posterior_mean": float(np.sum(values * weights)),
                     "posterior_low": low, "posterior_high": high, "interval_share": share,
                     "effective_particles": effective,
                     "identified": is_identified(share, effective, settings)})
    return pd.DataFrame(rows)


# --- posterior predictive check -----------------------------------------------------------------


def draw_particles(final: pd.DataFrame, names: list[str], draws: int,
                   seed: int) -> list[dict[str, float]]:
    """``draws`` parameter sets drawn (with replacement) from the final weighted population."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM,)))
    weights = final["weight"].to_numpy(dtype=float)
    picked = rng.choice(len(final), size=draws, replace=True, p=weights / weights.sum())
    rows = final.iloc[picked]
    return [{p: float(row[p]) for p in names} for _, row in rows.iterrows()]


def score_columns(scores: list[Score]) -> dict[str, float]:
    """Every score of every window as ``<window>: <name>`` -> value."""
    return {f"{s.window}: {s.name}": s.value for s in scores}


def predictive_table(simulator: Simulator, draws: list[dict[str, float]],
                     baseline: dict[str, float],
                     progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """One row per posterior draw (``source`` posterior) and as many for the baseline (the
    scenario's values, fresh seeds each): the parameters, then every score of every window of
    a full-length ensemble."""
    rows = []
    for k, values in enumerate(draws):
        scores = simulator.scores(values, (PREDICTIVE_STREAM, k))
        rows.append({"draw": k, "source": POSTERIOR, **values, **score_columns(scores)})
        if progress is not None:
            progress(f"predictive draw {k + 1}/{len(draws)}")
    for k in range(len(draws)):
        scores = simulator.scores(baseline, (BASELINE_STREAM, k))
        rows.append({"draw": k, "source": BASELINE, **baseline, **score_columns(scores)})
    if progress is not None:
        progress(f"baseline: {len(draws)} ensembles")
    return pd.DataFrame(rows)


def composite_column(window: str) -> str:
    return f"{window}: {COMPOSITE}"


def predictive_summary(predictive: pd.DataFrame, windows: list[str],
                       level: float) -> dict[str, dict[str, float]]:
    """Per window: the median and central ``level`` range of the composite over the posterior
    draws and over the baseline's ensembles."""
    draws = predictive[predictive["source"] == POSTERIOR]
    base = predictive[predictive["source"] == BASELINE]
    quantiles = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    out = {}
    for window in windows:
        column = composite_column(window)
        if column not in predictive:
            continue
        values = draws[column].to_numpy(dtype=float)
        reference = base[column].to_numpy(dtype=float)
        lo, hi = np.nanquantile(values, quantiles)
        base_lo, base_hi = np.nanquantile(reference, quantiles)
        out[window] = {"median": float(np.nanmedian(values)), "low": float(lo),
                       "high": float(hi), "baseline": float(np.nanmedian(reference)),
                       "baseline_low": float(base_lo), "baseline_high": float(base_hi)}
    return out


def stderr_progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
