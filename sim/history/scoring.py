"""Scores of a simulated ensemble against the record (``docs/validation.md``).

Three families, each reported per window (in sample: the calibration period; out of sample:
held out), as the record's README advises comparing shapes, turning points and order of events
rather than month-exact numbers:

- **turning points** (MODEL.md section 7, fact 6): the share of runs in which the dyad's tension
  rises after the ruling, peaks in the recorded half-year, and falls after the thaw;
- **endogenous event kinds**: the share of runs in which each kind happens, and the median
  absolute and signed error of its month against the record's, over the runs where it happens,
  and the share of all runs in which it first happens within three months of the record's month
  (reported, not part of the composite, which already counts the share and the timing);
- **shape**: Spearman's rank correlation between the ensemble-mean and the record's quarterly
  Goldstein sums of the dyad (Spearman 1904; ``scipy.stats.spearmanr``), and the Brier score
  (Brier 1950) of each kind by half-year, the forecast probability being the share of runs with
  the kind in that half-year and the outcome whether the record has it.

A **composite** per window averages every score turned into a 0-1 "goodness" (shares as they are;
timing as ``1 - min(error, 12) / 12``; Spearman as ``(1 + rho) / 2``; Brier as ``1 - Brier``);
calibration maximises its in-sample value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.history.reference import Kind, Reference
from sim.history.series import DyadEnsemble, SimEvent
from sim.months import first_month_of_half, half_year, months_between, quarter, shift_month

NAN = math.nan
TIMING_CAP = 12  # months: a kind a year or more off the record counts as wholly mistimed
ON_TIME = 3  # months either side of the record's month that count as "on time"
COMPOSITE = "composite (0-1, higher is better)"
SPEARMAN = "Goldstein by quarter: Spearman rho"


@dataclass(frozen=True)
class Score:
    """One score: its name, its window, its value, and its 0-1 goodness (None: not part of the
    composite, e.g. a signed bias)."""

    name: str
    window: str
    value: float
    goodness: float | None = None


# --- turning points ---------------------------------------------------------------------------


def _mean_over(series: np.ndarray, months: Sequence[str], lo: str, hi: str) -> float:
    picked = [v for v, m in zip(series, months, strict=True) if lo <= m <= hi]
    return float(np.mean(picked)) if picked else NAN


def rises_after(series: np.ndarray, months: Sequence[str], month: str, span: int) -> float:
    """1.0 if the mean over the ``span`` months after ``month`` exceeds the mean over the
    ``span`` months before it, else 0.0; nan if either stretch is not wholly inside the run."""
    if not months or shift_month(month, -span) < months[0] or shift_month(month, span) > months[-1]:
        return NAN
    before = _mean_over(series, months, shift_month(month, -span), shift_month(month, -1))
    after = _mean_over(series, months, shift_month(month, 1), shift_month(month, span))
    if math.isnan(before) or math.isnan(after):
        return NAN
    return float(after > before)


def falls_after(series: np.ndarray, months: Sequence[str], month: str, span: int) -> float:
    """1.0 if the mean over the months after ``month`` (to the end of the run) is below the mean
    over the ``span`` months before it, else 0.0; nan if the months before are not wholly
    inside the run or none is left after."""
    if not months or shift_month(month, -span) < months[0] or month >= months[-1]:
        return NAN
    before = _mean_over(series, months, shift_month(month, -span), shift_month(month, -1))
    after = _mean_over(series, months, shift_month(month, 1), "9999-12")
    if math.isnan(before) or math.isnan(after):
        return NAN
    return float(after < before)


def half_year_means(series: np.ndarray, months: Sequence[str]) -> dict[str, float]:
    """Mean of the series per half-year ('2019H2'), in time order."""
    halves: dict[str, list[float]] = {}
    for value, month in zip(series, months, strict=True):
        halves.setdefault(half_year(month), []).append(float(value))
    return {h: float(np.mean(v)) for h, v in halves.items()}


def peak_half(series: np.ndarray, months: Sequence[str]) -> str:
    """The half-year with the highest mean (the earliest on a tie)."""
    means = half_year_means(series, months)
    return max(means, key=lambda h: (means[h], -int(h[:4]), h[-1] == "1"))


def share(values: Sequence[float]) -> float:
    """Mean of 0/1 values, ignoring nan (nan if none is known)."""
    known = [v for v in values if not math.isnan(v)]
    return float(np.mean(known)) if known else NAN


# --- event kinds ------------------------------------------------------------------------------


def matches(event: SimEvent, kind: Kind) -> bool:
    return (event.action in kind.actions and event.actor in kind.actors
            and any(t in kind.targets and t != event.actor for t in event.targets))


def first_month(events: Sequence[SimEvent], kind: Kind, lo: str, hi: str) -> str | None:
    """The first month in [lo, hi] with an event of the kind (None: there is none)."""
    months = [e.month for e in events if lo <= e.month <= hi and matches(e, kind)]
    return min(months) if months else None


def kind_months(events: Sequence[SimEvent], kinds: dict[str, Kind]) -> dict[str, str | None]:
    """Each kind's first month in a run; a relative kind (``after``) counts only within
    ``within`` months after its anchor kind's first month, and not at all without it."""
    found: dict[str, str | None] = {}
    for kid, kind in kinds.items():
        if kind.after is None:
            found[kid] = first_month(events, kind, kind.start or "", kind.end or "9999-12")
    for kid, kind in kinds.items():
        if kind.after is not None:
            anchor = found.get(kind.after)
            found[kid] = (None if anchor is None else
                          first_month(events, kind, anchor, shift_month(anchor, kind.within or 0)))
    return found


def timing_errors(months: Sequence[str | None], recorded: str) -> list[int]:
    """Signed errors in months (simulated minus recorded) over the runs where the kind happens
    (negative: too early)."""
    return [months_between(recorded, m) for m in months if m is not None]


def median_abs_error(errors: Sequence[int]) -> float:
    return float(np.median(np.abs(errors))) if len(errors) else NAN


def median_error(errors: Sequence[int]) -> float:
    return float(np.median(errors)) if len(errors) else NAN


def timing_goodness(mae: float) -> float:
    """1 when on time, 0 when a year or more off or never happening."""
    return 0.0 if math.isnan(mae) else 1.0 - min(mae, TIMING_CAP) / TIMING_CAP


# --- shape ------------------------------------------------------------------------------------


def quarterly_sums(values: Sequence[float], months: Sequence[str]) -> dict[str, float]:
    """Sum per calendar quarter, in time order."""
    sums: dict[str, float] = {}
    for value, month in zip(values, months, strict=True):
        sums[quarter(month)] = sums.get(quarter(month), 0.0) + float(value)
    return sums


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rho (ties get mid-ranks); nan when a series is constant or too short."""
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return NAN
    return float(stats.spearmanr(a, b).statistic)


def brier(probabilities: Sequence[float], outcomes: Sequence[float]) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    p, o = np.asarray(probabilities, dtype=float), np.asarray(outcomes, dtype=float)
    return float(np.mean((p - o) ** 2)) if p.size else NAN


def half_year_shares(ensemble: DyadEnsemble, kind: Kind, halves: Sequence[str]) -> list[float]:
    """For each half-year, the share of runs with at least one event of the kind in it."""
    hits = np.zeros(len(halves))
    index = {h: k for k, h in enumerate(halves)}
    for events in ensemble.events:
        seen = {half_year(e.month) for e in events if matches(e, kind)}
        for h in seen & set(index):
            hits[index[h]] += 1
    return list(hits / max(ensemble.runs, 1))


# --- all scores of an ensemble ----------------------------------------------------------------


def score_ensemble(ensemble: DyadEnsemble, reference: Reference) -> list[Score]:
    """Every score of the ensemble against the record, per window, then the composites."""
    scores = (turning_point_scores(ensemble, reference) + kind_scores(ensemble, reference)
              + shape_scores(ensemble, reference))
    return scores + composites(scores, list(reference.windows))


def turning_point_scores(ensemble: DyadEnsemble, ref: Reference) -> list[Score]:
    tp, months = ref.mapping.turning_points, ensemble.months
    if not months:
        return []
    rise = share([rises_after(row, months, tp.ruling, tp.span) for row in ensemble.tension])
    peak_month = first_month_of_half(tp.peak)
    # the peak is sought within the peak's own window only, so that an in-sample score never
    # reads held-out months
    lo, hi = ref.windows.get(ref.window_of(peak_month) or "", (months[0], months[-1]))
    keep = np.array([lo <= m <= hi for m in months])
    inside = [m for m in months if lo <= m <= hi]
    has_peak_half = tp.peak in {half_year(m) for m in inside}
    peak = share([float(peak_half(row[keep], inside) == tp.peak) for row in ensemble.tension]
                 if has_peak_half else [])
    fall = share([falls_after(row, months, tp.thaw, tp.span) for row in ensemble.tension])
    items = [(f"tension rises after the {tp.ruling} ruling (share of runs)", tp.ruling, rise),
             (f"tension peaks in {tp.peak} (share of runs)", peak_month, peak),
             (f"tension falls after {tp.thaw} (share of runs)", tp.thaw, fall)]
    return [Score(name, window, value, 0.0 if math.isnan(value) else value)
            for name, month, value in items if (window := ref.window_of(month)) is not None]


def kind_scores(ensemble: DyadEnsemble, ref: Reference) -> list[Score]:
    """Share of runs, timing error and bias for every kind the record has."""
    per_run = [kind_months(events, ref.kinds) for events in ensemble.events]
    scores = []
    for kid in ref.kinds:
        recorded = ref.recorded_month(kid)
        window = ref.window_of(recorded) if recorded else None
        if window is None or not _covered(ensemble.months, recorded):
            continue
        months = [found[kid] for found in per_run]
        happens = share([float(m is not None) for m in months])
        errors = timing_errors(months, recorded)
        mae = median_abs_error(errors)
        on_time = share([float(m is not None and abs(months_between(recorded, m)) <= ON_TIME)
                         for m in months])
        scores += [
            Score(f"{kid}: share of runs (record: {recorded})", window, happens, happens),
            Score(f"{kid}: timing error, median |months|", window, mae, timing_goodness(mae)),
            Score(f"{kid}: timing bias, median months (- early)", window, median_error(errors)),
            Score(f"{kid}: within {ON_TIME} months of the record (share of runs)", window,
                  on_time),
        ]
    return scores


def _covered(months: Sequence[str], recorded: str) -> bool:
    """Whether the run reaches the recorded month (a shortened run cannot score later kinds)."""
    return bool(months) and months[0] <= recorded <= months[-1]


def shape_scores(ensemble: DyadEnsemble, ref: Reference) -> list[Score]:
    """Spearman of quarterly Goldstein sums and Brier scores by half-year, per window."""
    months = ensemble.months
    if not months:
        return []
    simulated = quarterly_sums(ensemble.goldstein.mean(axis=0), months)
    recorded = quarterly_sums([e.goldstein for e in ref.dyad_rows()],
                              [e.month for e in ref.dyad_rows()])
    scores = []
    for window, (lo, hi) in ref.windows.items():
        inside = [m for m in months if lo <= m <= hi]
        if not inside:
            continue
        quarters = sorted({quarter(m) for m in inside})
        rho = spearman([simulated[q] for q in quarters], [recorded.get(q, 0.0) for q in quarters])
        scores.append(Score(SPEARMAN, window, rho,
                            0.5 if math.isnan(rho) else (1.0 + rho) / 2.0))
        scores += brier_scores(ensemble, ref, window, sorted({half_year(m) for m in inside}))
    return scores


def brier_scores(ensemble: DyadEnsemble, ref: Reference, window: str,
                 halves: list[str]) -> list[Score]:
    scores = []
    for kid, kind in ref.kinds.items():
        happened = {half_year(e.month) for e in ref.rows_of_kind(kid)}
        value = brier(half_year_shares(ensemble, kind, halves),
                      [float(h in happened) for h in halves])
        scores.append(Score(f"{kid}: Brier by half-year", window, value, 1.0 - value))
    mean = float(np.mean([s.value for s in scores])) if scores else NAN
    return [*scores, Score("Brier by half-year: mean over kinds", window, mean)]


def composites(scores: list[Score], windows: list[str]) -> list[Score]:
    """Per window, the mean goodness of the scores that have one."""
    out = []
    for window in windows:
        parts = [s.goodness for s in scores if s.window == window and s.goodness is not None]
        if parts:
            out.append(Score(COMPOSITE, window, float(np.mean(parts))))
    return out


def score_value(scores: list[Score], name: str, window: str) -> float:
    """The value of one score (nan if absent)."""
    return next((s.value for s in scores if s.name == name and s.window == window), NAN)
