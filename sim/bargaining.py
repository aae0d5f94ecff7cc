"""Expected-utility bargaining kernel (pure numpy, no I/O).

Theory
------
This is the group-decision ("expected utility") model of Bueno de Mesquita:

* B. Bueno de Mesquita (1994), "Political forecasting: an expected utility method", in
  Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, Yale UP;
  (1997) "A decision making model: its structure and form", *International Interactions* 23;
  (2002) *Predicting Politics*, Ohio State UP.
* S. Scholz, G. Calbert & G. Smith (2011), "Unravelling Bueno De Mesquita's group decision
  model", *Journal of Theoretical Politics* 23(4): 510-531 -- the public replication whose
  equations we follow and whose ten-actor European Community example we reproduce.
* B. Wise et al. (2015), KTAB's Spatial Model of Politics (SMP), KAPSARC -- the open-source
  descendant; like SMP we apply the model independently to each issue dimension.

Each actor ``i`` has a capability ``c_i >= 0``, a position ``x_i`` and a salience ``s_i`` in
[0, 1]. ``span`` is the width of the position range (4..10 gives 6 in the EC example).

Rules implemented (the variant choices are marked VARIANT)
-----------------------------------------------------------
Votes. Actor ``k``'s vote for option ``x_i`` over ``x_j`` is
``v_k(i, j) = c_k s_k (|x_k - x_j| - |x_k - x_i|) / span``: capability times salience times how
much nearer ``x_i`` is to ``k`` than ``x_j`` (Scholz et al., eq. for the Condorcet contests).

Pairwise median. ``x_i`` beats ``x_j`` when ``sum_k v_k(i, j) > 0``. Because that sum equals
``f(x_j) - f(x_i)`` with ``f(y) = sum_k c_k s_k |x_k - y| / span``, the contests are transitive:
a Condorcet winner among actor positions always exists and is the actor position minimising
``f`` (a weighted median). Ties (equal ``f``) go to the candidate nearest the weighted mean,
then to the smaller value. The EC example gives 7.

Probability of success. ``P(i, j) = sum_k max(v_k(i, j), 0) / sum_k |v_k(i, j)|``: the share
of the vote mass that backs ``i`` against ``j`` (so ``P(i, j) + P(j, i) = 1``); 0.5 when no
one has a preference between them.

Utilities (Scholz et al. section 3), with ``d = |x_i - x_j| / span``, ``dm = |x_i - mu| / span``,
``mu`` the weighted mean and ``r_i`` the risk exponent::

    Us  = 2 - 4 (0.5 - 0.5 d) ** r         (i wins: j adopts x_i)
    Uf  = 2 - 4 (0.5 + 0.5 d) ** r         (i loses: i adopts x_j)
    Ub  = 2 - 4 (0.5 - 0.25 (dm + d)) ** r (no challenge, things get better)
    Uw  = 2 - 4 (0.5 + 0.25 (dm + d)) ** r (no challenge, things get worse)
    Usq = 2 - 4 (0.5) ** r                 (status quo)
    EU(i, j) = s_j (P Us + (1 - P) Uf) + (1 - s_j) Us - Q Usq - (1 - Q)(T Ub + (1 - T) Uw)

VARIANT ``Q = 1`` (``T`` then irrelevant) by default: without a challenge the status quo is
assumed to hold, as in Scholz et al.'s baseline; both are keyword arguments.

Risk. BDM's risk exponent depends on expected utilities that depend on risk; following
Scholz et al. we break the circle with one pass: compute all EUs with ``r = 1``, take actor
``i``'s vulnerability ``S_i = sum_j EU(j, i)`` (what the others gain by challenging it),
``R_i = (2 S_i - S_max - S_min) / (S_max - S_min)`` in [-1, 1] (0 when all are equal) and
``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2]; then recompute the EUs with ``r_i``.
VARIANT: a caller may pass ``risk`` (each actor's ``R_i`` in [-1, 1], e.g. the scenario's
risk attitude) instead, which skips the derivation. Every term stays bounded because
``0 <= d, dm <= 1``.

Offers (the expected-utility quadrants). Actor ``i`` challenges ``j`` only when
``EU(i, j) > 0`` (a credible threat; nobody challenges an actor at its own position).
Receiver ``j`` reads the challenge at ``a = EU(i, j)`` against its own ``b = EU(j, i)``:

* conflict (``b > 0``, both expect to gain): VARIANT -- instead of BDM's all-or-nothing
  result (the side with the lower EU adopts the other's position), the conflict is settled at
  its *expected* outcome ``x_j + P(i, j) (x_i - x_j)``. That point is the same whichever side
  computes it, so both parties meet there, and the winner is decided by the votes (``P``)
  rather than by who is more eager;
* compromise (``b <= 0`` and ``|b| < a``): the receiver moves the fraction ``|b| / a`` of the
  way to ``x_i`` (BDM);
* capitulation (``b <= 0`` and ``|b| >= a``): the receiver adopts ``x_i`` (BDM).

VARIANT (choice): of all the proposals it receives, an actor accepts the most attractive one
for itself, the one that asks the smallest move (BDM's "best credible offer"). Some
replications instead take the offer of the most motivated challenger, which moves more.

Why these variants: with the all-or-nothing conflict rule our EC run sent the most capable
actor at 10 to 4 in round 1 (it "lost" to a weak actor only because its risk exponent made it
less eager) and then oscillated for rounds; with the expected-outcome rule the EC example
settles within two rounds (median 7.185), a conflict move varies smoothly with the votes, and
mistrust has a proportional effect, which the simulation needs.

Mistrust. The accepted move is scaled by ``1 - mistrust[receiver, sender]``: a distrusted
challenger extracts smaller concessions ("high tension means smaller concessions"). The
choice of offer ignores mistrust, so uniform mistrust ``m`` scales every move by ``1 - m``.

Updates are synchronous: every actor reacts to the positions at the start of the round.
Positions are convex combinations of current positions, hence stay in [min, max] of the
input; they are also clipped to ``position_range``.

Dimensions. Positions may be ``(n,)`` or ``(n, d)`` with salience ``(n,)`` or ``(n, d)``; each
dimension is bargained independently with the 1-D rules above (issue-by-issue, as in SMP).

Known behaviour. BDM's model oscillates: capitulations and all-or-nothing conflicts move
actors all the way, so an actor can jump back and forth between camps from round to round,
and public replications disagree on later rounds (they differ in Q, T, the offer choice and
the risk pass). Our variants damp this but capitulations can still make an actor jump.
The forecast of :func:`run_rounds` is therefore the weighted *mean* of the final round: it
is continuous in the inputs (the median jumps between actor positions, so a tiny change of
capability can flip it), it is defined per dimension, and it moves smoothly with mistrust,
which the simulation needs. The median is reported too. See ``docs/bargaining.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Outcome codes of a receiver's round, one per actor (per dimension).
NONE, CONFLICT, COMPROMISE, CAPITULATION = "none", "conflict", "compromise", "capitulation"


@dataclass(frozen=True)
class RoundResult:
    """One round of bargaining.

    Arrays are ``(n,)`` for 1-D input and ``(n, d)`` for ``d`` dimensions; matrices
    ``(n, n)`` / ``(n, n, d)``. ``mean`` and ``median`` describe the positions at the start.
    """

    position: FloatArray  # positions after the round
    mean: float | FloatArray
    median: float | FloatArray
    risk: FloatArray  # risk exponent r_i used
    expected_utility: FloatArray  # EU[i, j]: i's expected utility of challenging j
    partner: NDArray[np.int64]  # whose offer each actor accepted, -1 for none
    outcome: NDArray[np.str_]  # NONE / CONFLICT / COMPROMISE / CAPITULATION


@dataclass(frozen=True)
class RunResult:
    """Several rounds: ``history[0]`` is the input, ``history[k]`` after round ``k``."""

    history: FloatArray  # (rounds + 1, n) or (rounds + 1, n, d)
    means: FloatArray  # weighted mean per round, (rounds + 1,) or (rounds + 1, d)
    medians: FloatArray  # pairwise median per round
    rounds: list[RoundResult]
    forecast: float | FloatArray  # weighted mean of the final positions


# ---------------------------------------------------------------------------------------------
# Input shapes
# ---------------------------------------------------------------------------------------------


def _as_2d(
    capability: ArrayLike, position: ArrayLike, salience: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """Return (c (n,), x (n, d), s (n, d), was_1d), checking shapes."""
    c = np.asarray(capability, dtype=float)
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    was_1d = x.ndim == 1
    x2 = x[:, None] if was_1d else x
    if x2.ndim != 2 or c.shape != (x2.shape[0],):
        raise ValueError(f"capability {c.shape} and position {x.shape} do not match")
    s2 = np.broadcast_to(s[:, None] if s.ndim == 1 else s, x2.shape)
    return c, x2, np.asarray(s2, dtype=float), was_1d


def _column_range(
    x: FloatArray, position_range: tuple[ArrayLike, ArrayLike] | None
) -> tuple[FloatArray, FloatArray]:
    """Per-dimension (low, high); defaults to the span of the input positions."""
    if position_range is None:
        return x.min(axis=0), x.max(axis=0)
    lo = np.broadcast_to(np.asarray(position_range[0], dtype=float), (x.shape[1],))
    hi = np.broadcast_to(np.asarray(position_range[1], dtype=float), (x.shape[1],))
    return lo, hi


def _squeeze(value: FloatArray, was_1d: bool) -> float | FloatArray:
    """Undo the (n, 1) promotion of 1-D input."""
    if not was_1d:
        return value
    out = value[..., 0]
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------
# Summary positions
# ---------------------------------------------------------------------------------------------


def _mean_1d(c: FloatArray, x: FloatArray, s: FloatArray) -> float:
    weights = c * s
    total = weights.sum()
    # Nobody cares (all weights 0): the plain mean is the only neutral answer.
    if total <= 0:
        return float(x.mean())
    if total < np.finfo(float).tiny:  # subnormal weights have lost their digits: rescale
        weights = weights / weights.max()
        total = weights.sum()
    return float((weights * x).sum() / total)


def weighted_mean(
    capability: ArrayLike, position: ArrayLike, salience: ArrayLike
) -> float | FloatArray:
    """Capability-and-salience weighted mean position, per dimension for ``(n, d)`` input."""
    c, x, s, was_1d = _as_2d(capability, position, salience)
    means = np.array([_mean_1d(c, x[:, k], s[:, k]) for k in range(x.shape[1])])
    return _squeeze(means, was_1d)


def pairwise_votes(c: FloatArray, x: FloatArray, s: FloatArray, span: float) -> FloatArray:
    """Per-voter votes ``v[k, i, j]`` for ``x_i`` over ``x_j`` (1-D positions)."""
    dist = np.abs(x[:, None] - x[None, :]) / span  # dist[k, i] = |x_k - x_i| / span
    return (c * s)[:, None, None] * (dist[:, None, :] - dist[:, :, None])


def _median_1d(c: FloatArray, x: FloatArray, s: FloatArray, span: float) -> float:
    if span <= 0:
        return float(x[0])
    net = pairwise_votes(c, x, s, span).sum(axis=0)  # net[i, j] > 0: x_i beats x_j
    worst = np.where(np.eye(len(x), dtype=bool), np.inf, net).min(axis=1)
    # Transitive contests: the best worst-case is the Condorcet winner (worst >= 0).
    best = np.flatnonzero(np.isclose(worst, worst.max(), rtol=0.0, atol=1e-12))
    mean = _mean_1d(c, x, s)
    return float(min(x[best], key=lambda v: (abs(v - mean), v)))


def pairwise_median(
    capability: ArrayLike, position: ArrayLike, salience: ArrayLike
) -> float | FloatArray:
    """Pairwise (Condorcet) median: the actor position that wins every pairwise vote.

    Votes are weighted by capability x salience x distance difference (see module docstring);
    ties go to the candidate nearest the weighted mean, then to the smaller value.
    """
    c, x, s, was_1d = _as_2d(capability, position, salience)
    span = x.max(axis=0) - x.min(axis=0)
    medians = np.array([_median_1d(c, x[:, k], s[:, k], span[k]) for k in range(x.shape[1])])
    return _squeeze(medians, was_1d)


# ---------------------------------------------------------------------------------------------
# Expected utilities (1-D)
# ---------------------------------------------------------------------------------------------


def win_probability(c: FloatArray, x: FloatArray, s: FloatArray, span: float) -> FloatArray:
    """``P[i, j]``: share of the vote mass backing ``i`` against ``j``."""
    votes = pairwise_votes(c, x, s, span)
    mass = np.abs(votes).sum(axis=0)
    backing = np.clip(votes, 0.0, None).sum(axis=0)
    return np.divide(backing, mass, out=np.full_like(mass, 0.5), where=mass > 0)


def expected_utilities(
    c: FloatArray,
    x: FloatArray,
    s: FloatArray,
    r: FloatArray,
    span: float,
    *,
    q: float = 1.0,
    t: float = 1.0,
) -> FloatArray:
    """``EU[i, j]``: i's expected utility of challenging j (Scholz et al., section 2.2)."""
    mu = _mean_1d(c, x, s)
    d = np.abs(x[:, None] - x[None, :]) / span
    dm = (np.abs(x - mu) / span)[:, None]
    rr = r[:, None]

    def util(base: FloatArray | float) -> FloatArray:
        # Clip guards against rounding just outside [0, 1] before a fractional power.
        return 2.0 - 4.0 * np.clip(base, 0.0, 1.0) ** rr

    p = win_probability(c, x, s, span)
    u_s, u_f = util(0.5 - 0.5 * d), util(0.5 + 0.5 * d)
    u_b, u_w = util(0.5 - 0.25 * (dm + d)), util(0.5 + 0.25 * (dm + d))
    u_sq = util(0.5)
    challenge = s[None, :] * (p * u_s + (1 - p) * u_f) + (1 - s[None, :]) * u_s
    quiet = q * u_sq + (1 - q) * (t * u_b + (1 - t) * u_w)
    eu = challenge - quiet
    np.fill_diagonal(eu, 0.0)
    return eu


def risk_exponents(eu: FloatArray) -> FloatArray:
    """BDM's ``r_i`` in [0.5, 2] from the ``r = 1`` expected utilities (vulnerability)."""
    vulnerability = eu.sum(axis=0)  # sum_j EU[j, i]
    lo, hi = vulnerability.min(), vulnerability.max()
    if np.isclose(hi, lo):
        return np.ones_like(vulnerability)
    big_r = (2 * vulnerability - hi - lo) / (hi - lo)
    return risk_from_attitude(big_r)


def risk_from_attitude(big_r: ArrayLike) -> FloatArray:
    """Map a risk attitude ``R`` in [-1, 1] to BDM's exponent ``r = (1 - R/3) / (1 + R/3)``."""
    big_r = np.clip(np.asarray(big_r, dtype=float), -1.0, 1.0)
    return (1 - big_r / 3) / (1 + big_r / 3)


# ---------------------------------------------------------------------------------------------
# Offers (1-D)
# ---------------------------------------------------------------------------------------------


def _offer(a: float, b: float, p: float) -> tuple[str, float]:
    """Receiver's reading of a credible challenge: (outcome, fraction of the way to move).

    ``a`` = EU(sender, receiver), ``b`` = EU(receiver, sender), ``p`` = P(sender beats receiver).
    """
    if b > 0:
        # Both sides fight; both settle at the expected outcome x_j + p (x_i - x_j).
        return CONFLICT, p
    if abs(b) < a:
        return COMPROMISE, abs(b) / a
    return CAPITULATION, 1.0


def resolve_offers(
    x: FloatArray, eu: FloatArray, p: FloatArray, mistrust: FloatArray
) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.str_]]:
    """Each receiver takes the credible offer asking the smallest move, scaled by trust."""
    n = len(x)
    new_x = x.copy()
    partner = np.full(n, -1, dtype=np.int64)
    outcome = np.full(n, NONE, dtype=object)
    for j in range(n):
        best: tuple[float, int, str, float] | None = None
        for i in range(n):
            if i == j or x[i] == x[j] or eu[i, j] <= 0:
                continue  # no challenge: same position or not worth it for the sender
            kind, fraction = _offer(eu[i, j], eu[j, i], p[i, j])
            move = fraction * (x[i] - x[j])
            if kind != NONE and (best is None or abs(move) < abs(best[0])):
                best = (move, i, kind, fraction)
        if best is not None:
            move, i, kind, _ = best
            new_x[j] = x[j] + (1.0 - mistrust[j, i]) * move
            partner[j], outcome[j] = i, kind
    return new_x, partner, outcome.astype(str)


# ---------------------------------------------------------------------------------------------
# Rounds
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Round1D:
    position: FloatArray
    risk: FloatArray
    eu: FloatArray
    partner: NDArray[np.int64]
    outcome: NDArray[np.str_]


def _round_1d(
    c: FloatArray,
    x: FloatArray,
    s: FloatArray,
    mistrust: FloatArray,
    lo: float,
    hi: float,
    risk: FloatArray | None,
    q: float,
    t: float,
) -> _Round1D:
    n = len(x)
    span = hi - lo
    if span <= 0 or np.all(x == x[0]):
        return _Round1D(x.copy(), np.ones(n), np.zeros((n, n)), np.full(n, -1), np.full(n, NONE))
    if risk is None:
        r = risk_exponents(expected_utilities(c, x, s, np.ones(n), span, q=q, t=t))
    else:
        r = risk_from_attitude(risk)
    eu = expected_utilities(c, x, s, r, span, q=q, t=t)
    p = win_probability(c, x, s, span)
    new_x, partner, outcome = resolve_offers(x, eu, p, mistrust)
    return _Round1D(np.clip(new_x, lo, hi), r, eu, partner, outcome)


def _mistrust_matrix(mistrust: ArrayLike | None, n: int) -> FloatArray:
    if mistrust is None:
        return np.zeros((n, n))
    m = np.asarray(mistrust, dtype=float)
    if m.shape != (n, n):
        raise ValueError(f"mistrust must be ({n}, {n}), got {m.shape}")
    return np.clip(m, 0.0, 1.0)


def bargaining_round(
    capability: ArrayLike,
    position: ArrayLike,
    salience: ArrayLike,
    *,
    mistrust: ArrayLike | None = None,
    position_range: tuple[ArrayLike, ArrayLike] | None = None,
    risk: ArrayLike | None = None,
    q: float = 1.0,
    t: float = 1.0,
) -> RoundResult:
    """One synchronous round of BDM challenges, offers and moves (per dimension).

    ``mistrust[i, j]`` in [0, 1] scales down i's move toward j's offer; ``position_range``
    is ``(low, high)`` (scalars or per dimension), defaulting to the input's min and max;
    ``risk`` is each actor's risk attitude ``R`` in [-1, 1] (derived BDM-style when None).
    """
    c, x, s, was_1d = _as_2d(capability, position, salience)
    n, dims = x.shape
    m = _mistrust_matrix(mistrust, n)
    lo, hi = _column_range(x, position_range)
    per_dim = [_round_1d(c, x[:, k], s[:, k], m, lo[k], hi[k], risk, q, t) for k in range(dims)]
    return RoundResult(
        position=_squeeze(np.stack([r.position for r in per_dim], axis=-1), was_1d),
        mean=weighted_mean(capability, position, salience),
        median=pairwise_median(capability, position, salience),
        risk=_squeeze(np.stack([r.risk for r in per_dim], axis=-1), was_1d),
        expected_utility=_squeeze(np.stack([r.eu for r in per_dim], axis=-1), was_1d),
        partner=_squeeze(np.stack([r.partner for r in per_dim], axis=-1), was_1d),
        outcome=_squeeze(np.stack([r.outcome for r in per_dim], axis=-1), was_1d),
    )


def run_rounds(
    capability: ArrayLike,
    position: ArrayLike,
    salience: ArrayLike,
    *,
    rounds: int = 5,
    mistrust: ArrayLike | None = None,
    position_range: tuple[ArrayLike, ArrayLike] | None = None,
    risk: ArrayLike | None = None,
    q: float = 1.0,
    t: float = 1.0,
) -> RunResult:
    """Run ``rounds`` rounds; the range is fixed from the input so positions cannot drift out.

    The forecast is the weighted mean of the final positions (see module docstring).
    """
    if rounds < 0:
        raise ValueError("rounds must be >= 0")
    x = np.asarray(position, dtype=float)
    if position_range is None:
        position_range = (x.min(axis=0), x.max(axis=0))
    history, results = [x], []
    for _ in range(rounds):
        result = bargaining_round(
            capability,
            history[-1],
            salience,
            mistrust=mistrust,
            position_range=position_range,
            risk=risk,
            q=q,
            t=t,
        )
        results.append(result)
        history.append(np.asarray(result.position, dtype=float))
    means = np.array([weighted_mean(capability, h, salience) for h in history])
    medians = np.array([pairwise_median(capability, h, salience) for h in history])
    return RunResult(
        history=np.stack(history),
        means=means,
        medians=medians,
        rounds=results,
        forecast=weighted_mean(capability, history[-1], salience),
    )


# ---------------------------------------------------------------------------------------------
# The simulation's fast path
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundConstants:
    """What one round needs that does not change between rounds of a run: the actors' risk
    exponents, the status quo's utility, index arrays."""

    exponent: FloatArray  # r_i as (n, 1, 1)
    status_quo_utility: FloatArray  # Usq_i = 2 - 4 * 0.5 ** r_i, as (n, 1, 1)
    diagonal: NDArray[np.int64]
    rows: NDArray[np.int64]  # (n, 1)

    @classmethod
    def of(cls, risk: ArrayLike) -> RoundConstants:
        r = risk_from_attitude(risk)[:, None, None]
        n = r.shape[0]
        return cls(r, 2.0 - 4.0 * np.clip(0.5, 0.0, 1.0) ** r, np.arange(n),
                   np.arange(n)[:, None])


@functools.cache
def column_index(dims: int) -> NDArray[np.int64]:
    """``[[0, 1, ..., dims - 1]]``: the column index of a ``(n, dims)`` fancy look-up."""
    return np.arange(dims)[None, :]


def bargaining_positions(
    capability: FloatArray,
    position: FloatArray,
    salience: FloatArray,
    mistrust: FloatArray,
    constants: RoundConstants,
    position_range: tuple[float, float] = (0.0, 1.0),
) -> FloatArray:
    """The positions after one round, as :func:`bargaining_round` computes them (bit for bit)
    with ``q = 1`` and given risk attitudes (``constants = RoundConstants.of(risk)``), for all
    dimensions at once and without the summaries (mean, median, outcomes) the simulation does
    not read.

    ``position`` and ``salience`` are ``(n, d)``; ``mistrust`` is ``(n, n)`` in [0, 1]. With
    ``q = 1`` the no-challenge utility is the status quo's, so the weighted mean is not needed.
    """
    c, x, s, m = capability, position, salience, mistrust
    lo, hi = position_range
    span = hi - lo
    # logical_or.reduce is what ndarray.any calls (without its Python wrapper)
    moving = np.logical_or.reduce(x != x[0], axis=0)
    if span <= 0 or not np.logical_or.reduce(moving):
        return x.copy()
    r, rows = constants.exponent, constants.rows
    gap = x[:, None, :] - x[None, :, :]  # gap[i, j] = x_i - x_j
    d = np.abs(gap) / span
    votes = (c[:, None] * s)[:, None, None, :] * (d[:, None, :, :] - d[:, :, None, :])
    # ndarray.sum and np.clip(v, 0, None) are these ufuncs (same order, same values)
    mass = np.add.reduce(np.abs(votes), axis=0)
    backing = np.add.reduce(np.maximum(votes, 0.0), axis=0)
    p = np.divide(backing, mass, out=np.full(mass.shape, 0.5), where=mass > 0)
    # u_s, u_f = 2 - 4 * clip(0.5 -/+ 0.5 d, 0, 1) ** r, in one buffer
    half = 0.5 * d
    u = np.empty((2, *d.shape))
    np.subtract(0.5, half, out=u[0])
    np.add(0.5, half, out=u[1])
    u.clip(0.0, 1.0, out=u)
    np.power(u, r, out=u)
    np.multiply(4.0, u, out=u)
    np.subtract(2.0, u, out=u)
    u_s, u_f = u
    s3 = s[None, :, :]
    challenge = s3 * (p * u_s + (1.0 - p) * u_f) + (1.0 - s3) * u_s
    eu = np.subtract(challenge, constants.status_quo_utility, order="C")  # C: see below
    n = x.shape[0]
    eu.reshape(n * n, -1)[::n + 1] = 0.0  # eu[i, i, :] = 0 (a view: eu is C-ordered)
    eu_received = eu.transpose(1, 0, 2)
    answer = np.abs(eu_received)  # |EU(j, i)|: the receiver's own stake
    credible = (gap != 0.0) & (eu > 0.0)  # i challenges j (never itself: gap is 0)
    fraction = np.where(eu_received > 0, p,
                        np.where(answer < eu, answer / np.where(credible, eu, 1.0), 1.0))
    move = fraction * gap  # move[i, j]: j's move toward x_i if it takes i's offer
    size = np.where(credible, np.abs(move), np.inf)
    best = size.argmin(axis=0)  # (n, d): the smallest move each receiver is offered
    chosen = move[best, rows, column_index(x.shape[1])]
    offered = np.logical_or.reduce(credible, axis=0)
    new_x = np.where(offered, x + (1.0 - m[rows, best]) * chosen, x)
    return np.where(moving, new_x.clip(lo, hi), x)
