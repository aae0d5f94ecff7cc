"""Shared math of the mechanisms: spatial (quadratic-loss) gains, the logit choice rule and the
logistic response. Every mechanism (decision, negotiation, ratification) imports these from here,
so that one formula has one definition.

- Spatial gain: the reduction of an actor's salience-weighted squared distance to its ideal
  point when the status quo moves (the spatial model of Enelow & Hinich 1984, as in KTAB).
- Logit (softmax) choice: bounded rationality (McFadden 1974; quantal response, McKelvey &
  Palfrey 1995).
- Logistic response: shares of a public or a group opposed to a package.
"""

from __future__ import annotations

import math

import numpy as np


def spatial_gain(ideal: np.ndarray, salience: np.ndarray, before: np.ndarray,
                 after: np.ndarray) -> float:
    """Reduction of the salience-weighted squared distance to an ideal point."""
    return float(np.sum(salience * ((before - ideal) ** 2 - (after - ideal) ** 2)))


def slot_gain(ideal: np.ndarray, salience: np.ndarray, before: np.ndarray,
              shift: np.ndarray) -> np.ndarray:
    """:func:`spatial_gain` of many options at once, each moving a few issues ("slots").

    All arguments are ``(options, slots)`` (or broadcast to it, e.g. ``(2, options, slots)``
    for two sets of ideal points): the option's ideal, salience and status quo on
    each issue it moves, and the shift. The slots are added left to right, in the order the
    catalogue lists an act's effects (padding slots have shift 0 and add exactly 0).
    """
    b = before - ideal
    after = b + shift
    terms = salience * (b * b - after * after)
    gain = np.zeros(ideal.shape[:-1])
    for k in range(ideal.shape[-1]):
        gain = gain + terms[..., k]
    return gain


def positive_part(x: np.ndarray) -> np.ndarray:
    """``max(x, 0.0)`` elementwise, with Python's semantics (a negative zero is kept)."""
    return np.where(x < 0.0, 0.0, x)


def unit_clip(x: np.ndarray) -> np.ndarray:
    """``min(1.0, max(0.0, x))`` elementwise, with Python's semantics."""
    return np.where(x > 0.0, np.minimum(x, 1.0), 0.0)  # x > 0: not NaN, so minimum is exact


def logit_probabilities(utilities: np.ndarray, temperature: float) -> np.ndarray:
    """Choice probabilities of a logit (softmax) rule over the options' utilities."""
    z = (utilities - utilities.max()) / temperature
    e = np.exp(z)
    return e / e.sum()


def logit_draw(rng: np.random.Generator, probabilities: np.ndarray) -> int:
    """Draw an option index; the same draw (one uniform number) as ``rng.choice(n, p=...)``."""
    cdf = probabilities.cumsum()
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 60.0), -60.0)))


def round_decimal(values: np.ndarray, digits: int = 6) -> list[float]:
    """``[round(float(v), digits) for v in values]`` (Python's correctly rounded decimal
    rounding) in a few array operations: the scaled value's nearest integer is the answer
    except within a hair of a half, where Python's own rounding decides."""
    scale = 10.0 ** digits
    y = values * scale
    out = (np.rint(y) / scale).tolist()
    fraction = np.abs(y - np.trunc(y))
    unsure = ~(np.abs(fraction - 0.5) >= 1e-6) | ~(np.abs(y) < 1e9)
    for k in np.flatnonzero(unsure):
        out[k] = round(float(values[k]), digits)
    return out
