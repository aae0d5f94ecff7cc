"""Statistics of an experiment's outcomes: summaries per design point, comparisons of A against
B, and sensitivity indices.

- **Confidence intervals** of a mean and of a difference of means are bootstrap intervals
  (Efron and Tibshirani 1993), bias-corrected and accelerated (BCa) through
  :func:`scipy.stats.bootstrap`, falling back to the percentile interval where BCa is undefined
  (e.g. a proportion of 0 or 1).
- **Effect sizes**: Cohen's d with the pooled standard deviation (Cohen 1988) and Cliff's delta,
  P(A > B) - P(A < B) (Cliff 1993), which suits skewed and 0/1 outcomes; with a two-sided
  Mann-Whitney U test.
- **Sensitivity**: Sobol' first-order and total indices (Saltelli et al. 2010, Jansen's total
  effect estimator, as SALib computes them) and Morris's mu* and sigma (Campolongo et al. 2007),
  both with SALib's bootstrap intervals; for a Latin hypercube, Spearman's rank correlation
  with a Fisher-z interval (standard error 1.06 / sqrt(n - 3), Fieller et al. 1957). A
  stochastic model gives each design point the mean of its replicates' outcomes.

Every resampling draws from a generator seeded by the experiment seed, so the tables are the
same on every machine.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

QUANTILES = {"q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95}
SUMMARY_STREAM, COMPARISON_STREAM, SENSITIVITY_STREAM = 1, 2, 3
BOOTSTRAP_CELLS = 2_000_000  # 16 MB of float64 per batch of resamples


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def bootstrap_batch(samples: tuple[np.ndarray, ...]) -> int:
    """Resamples drawn at a time, so that a bootstrap (and BCa's jackknife) of many runs holds
    at most about BOOTSTRAP_CELLS values at once: memory stays flat however many runs."""
    return max(1, BOOTSTRAP_CELLS // max(len(s) for s in samples))


def _bootstrap(samples: tuple[np.ndarray, ...], statistic: Any, confidence: float,
               resamples: int, rng: np.random.Generator) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("BCa", "percentile"):
            res = stats.bootstrap(samples, statistic, n_resamples=resamples, vectorized=True,
                                  confidence_level=confidence, method=method, rng=rng,
                                  batch=bootstrap_batch(samples))
            low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
            if math.isfinite(low) and math.isfinite(high):
                return low, high
    return math.nan, math.nan


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def mean_ci(x: np.ndarray, confidence: float, resamples: int,
            rng: np.random.Generator) -> tuple[float, float]:
    """Bootstrap interval of the mean; a constant sample's interval is that constant."""
    if len(x) < 2:
        return math.nan, math.nan
    if np.all(x == x[0]):
        return float(x[0]), float(x[0])
    return _bootstrap((x,), _mean, confidence, resamples, rng)


def difference_ci(a: np.ndarray, b: np.ndarray, confidence: float, resamples: int,
                  rng: np.random.Generator) -> tuple[float, float]:
    """Bootstrap interval of mean(a) - mean(b), independent samples."""
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan
    if np.all(a == a[0]) and np.all(b == b[0]):
        return float(a[0] - b[0]), float(a[0] - b[0])
    return _bootstrap((a, b), _mean_difference, confidence, resamples, rng)


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """(mean a - mean b) / pooled standard deviation; nan when it is zero or undefined."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    diff = float(a.mean() - b.mean())
    return diff / math.sqrt(pooled) if pooled > 0 else math.nan


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(A > B) - P(A < B) over all pairs, in O(n log n) by sorting."""
    if len(a) == 0 or len(b) == 0:
        return math.nan
    sorted_b = np.sort(b)
    below = np.searchsorted(sorted_b, a, side="left").sum()
    above = (len(b) - np.searchsorted(sorted_b, a, side="right")).sum()
    return float(below - above) / (len(a) * len(b))


def mann_whitney_p(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0 or (np.all(a == a[0]) and np.all(b == a[0])):
        return math.nan
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


# --- summaries --------------------------------------------------------------------------------


def summarise(frame: pd.DataFrame, names: list[str], points: int, confidence: float,
              resamples: int, seed: int) -> pd.DataFrame:
    """One row per design point and outcome: n, missing, failed, mean, sd, quantiles, CI."""
    failed = (frame["status"] != "ok").groupby(frame["point"]).sum()
    ok = frame[frame["status"] == "ok"]
    by_outcome = {name: {int(p): g.to_numpy(dtype=float)
                         for p, g in ok.groupby("point", sort=True)[name]} for name in names}
    empty = np.array([], dtype=float)
    rows = []
    for point in range(points):
        for k, name in enumerate(names):
            x = by_outcome[name].get(point, empty)
            missing = int(np.isnan(x).sum())
            x = x[~np.isnan(x)]
            rng = rng_for(seed, SUMMARY_STREAM, point, k)
            low, high = mean_ci(x, confidence, resamples, rng)
            quantiles = np.quantile(x, list(QUANTILES.values())) if len(x) else [math.nan] * 5
            rows.append({
                "point": point, "outcome": name, "n": len(x), "missing": missing,
                "failed": int(failed.get(point, 0)),
                "mean": float(x.mean()) if len(x) else math.nan,
                "sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
                **dict(zip(QUANTILES, map(float, quantiles), strict=True)),
                "ci_low": low, "ci_high": high,
            })
    return pd.DataFrame(rows)


def compare(frame: pd.DataFrame, a_points: list[int], b_points: list[int], name: str,
            confidence: float, resamples: int, rng: np.random.Generator) -> dict[str, Any]:
    """A against B on one outcome: the runs of the points each side selects, pooled."""
    ok = frame[frame["status"] == "ok"]
    a = ok.loc[ok["point"].isin(a_points), name].dropna().to_numpy(dtype=float)
    b = ok.loc[ok["point"].isin(b_points), name].dropna().to_numpy(dtype=float)
    low, high = difference_ci(a, b, confidence, resamples, rng)
    return {
        "outcome": name, "n_a": len(a), "n_b": len(b),
        "mean_a": float(a.mean()) if len(a) else math.nan,
        "mean_b": float(b.mean()) if len(b) else math.nan,
        "difference": float(a.mean() - b.mean()) if len(a) and len(b) else math.nan,
        "ci_low": low, "ci_high": high,
        "cohens_d": cohens_d(a, b), "cliffs_delta": cliffs_delta(a, b),
        "p_mann_whitney": mann_whitney_p(a, b),
    }


# --- sensitivity ------------------------------------------------------------------------------


def point_means(frame: pd.DataFrame, name: str, point_ids: list[int]) -> np.ndarray:
    """Each design point's mean outcome over its successful replicates (nan if none)."""
    ok = frame[frame["status"] == "ok"]
    means = ok.groupby("point")[name].mean()
    return np.array([means.get(p, math.nan) for p in point_ids], dtype=float)


def sobol_indices(problem: dict[str, Any], y: np.ndarray, second_order: bool,
                  confidence: float, resamples: int, seed: int) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(problem, y, calc_second_order=second_order,
                            num_resamples=resamples, conf_level=confidence, seed=seed)
    rows = []
    for i, factor in enumerate(problem["names"]):
        for measure in ("S1", "ST"):
            value, half = float(res[measure][i]), float(res[f"{measure}_conf"][i])
            rows.append(_index_row(factor, measure, value, value - half, value + half))
    if second_order:
        names = problem["names"]
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                value, half = float(res["S2"][i, j]), float(res["S2_conf"][i, j])
                rows.append(_index_row(f"{names[i]} x {names[j]}", "S2", value, value - half,
                                       value + half))
    return rows


def morris_indices(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int,
                   confidence: float, resamples: int, seed: int) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = morris.analyze(problem, x, y, num_resamples=resamples, conf_level=confidence,
                             num_levels=levels, seed=seed)
    rows = []
    for i, factor in enumerate(problem["names"]):
        mu_star, half = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
        rows.append(_index_row(factor, "mu_star", mu_star, mu_star - half, mu_star + half))
        rows.append(_index_row(factor, "mu", float(res["mu"][i]), math.nan, math.nan))
        rows.append(_index_row(factor, "sigma", float(res["sigma"][i]), math.nan, math.nan))
    return rows


def rank_correlations(names: list[str], x: np.ndarray, y: np.ndarray,
                      confidence: float) -> list[dict[str, Any]]:
    """Spearman's rho of each factor with the outcome, with a Fisher-z interval."""
    rows, n = [], len(y)
    z_crit = stats.norm.ppf(0.5 + confidence / 2)
    for i, factor in enumerate(names):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rho = float(stats.spearmanr(x[:, i], y).statistic)
        if n > 3 and math.isfinite(rho) and abs(rho) < 1:
            half = z_crit * 1.06 / math.sqrt(n - 3)
            low, high = math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half)
        else:
            low = high = math.nan
        rows.append(_index_row(factor, "spearman_rho", rho, low, high))
    return rows


def _index_row(factor: str, measure: str, value: float, low: float,
               high: float) -> dict[str, Any]:
    return {"factor": factor, "measure": measure, "value": value, "ci_low": low, "ci_high": high}
