"""Two-level ratification (Putnam 1988, "Diplomacy and domestic politics: the logic of
two-level games"): a government that accepts a package at the table must also carry it at
home. The home level has two parts here:

- public opposition: the share of the public against the package grows with how much the
  package moves away from the public's ideal point compared with the status quo (a logistic
  response; about 60% opposed the 2023 plan in Seoul, usip-2023-mend-ties#P15);
- the victims' consent, for a state whose scenario names groups in ``consent_of``: the share of
  victims refusing grows with how much worse the package is for them than the status quo, and
  falls when they took part in drawing it up (usip-2023-mend-ties#P16, P18).

The government ratifies with a probability that falls as its audience-weighted opposition
(public opposition plus a weighted refusal share) passes a threshold. A refused deal can still be
signed; its refusal and opposition stay with it and raise its hazard of collapse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.utility import logistic, spatial_gain


def public_opposition(public: np.ndarray, salience: np.ndarray, status_quo: np.ndarray,
                      package: np.ndarray, sensitivity: float) -> float:
    """Share of the public opposed: logistic in the package's loss against the status quo."""
    weight = salience.sum() or 1.0
    loss = -spatial_gain(public, salience, status_quo, package) / weight
    return logistic(sensitivity * loss)


def refusal_share(ideal: np.ndarray, salience: np.ndarray, status_quo: np.ndarray,
                  package: np.ndarray, included: bool, sensitivity: float,
                  offset: float, inclusion_factor: float) -> float:
    """Share of a group refusing the package (accepting its money means accepting its terms);
    taking part in drawing it up multiplies the offset by ``inclusion_factor``."""
    loss = -spatial_gain(ideal, salience, status_quo, package)
    return logistic(sensitivity * loss - offset * (inclusion_factor if included else 1.0))


@dataclass(frozen=True)
class Ratification:
    actor: str
    opposition: float
    refusal: float
    probability: float
    ratified: bool


def ratification_probability(audience: float, opposition: float, refusal: float,
                             threshold: float, steepness: float, refusal_weight: float) -> float:
    """Logistic in the threshold minus the audience-weighted pressure (public opposition plus
    ``refusal_weight`` times the victims' refusal share)."""
    pressure = audience * (opposition + refusal_weight * refusal)
    return logistic(steepness * (threshold - pressure))
