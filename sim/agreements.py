"""Agreements live and die (MODEL.md 5.5).

An agreement in force has moved the status quo on its issues to its terms and restored the
ties the scenario lists (``negotiation.restores_ties``). Each month it collapses with
probability ``1 - exp(-h)``, a proportional-hazards form (Cox 1972) whose hazard grows with the
victims' refusal, the public's opposition and the distance between the preferences of the
administrations that signed it and those in office now (the 2015 deal was abandoned under the
next government: onero-2021-reconciliation#P9). Victim-inclusive deals get a lower hazard
(usip-2023-mend-ties#P30). A collapse is an event (the withdrawing government's act) that moves
the status quo back toward that government's ideal and removes the ties the deal created.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Agreement:
    id: str
    terms: dict[str, float]
    signatories: list[str]
    signed: str
    signed_by: dict[str, str | None]
    ideals_at_signing: dict[str, np.ndarray]
    victims_included: bool
    refusal: float
    opposition: float
    ended: str | None = None
    end_reason: str = ""
    label: str = ""
    hazard_history: list[float] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        return self.ended is None


def administration_distance(ideal_then: np.ndarray, ideal_now: np.ndarray,
                            salience: np.ndarray) -> float:
    """Salience-weighted mean distance between two sets of ideal points on the deal's issues."""
    weight = salience.sum() or 1.0
    return float(np.sum(salience * np.abs(ideal_now - ideal_then)) / weight)


def hazard_terms(agreement: Agreement, distance: float, params) -> dict[str, float]:
    """The log-hazard contributions, named so a collapse can say what drove it."""
    return {
        "victims' refusal": params.hazard_refusal * agreement.refusal,
        "public opposition": params.hazard_opposition * agreement.opposition,
        "change of administration": params.hazard_administration * distance,
    }


def monthly_hazard(agreement: Agreement, distance: float, params) -> float:
    h = params.hazard_base * math.exp(sum(hazard_terms(agreement, distance, params).values()))
    if agreement.victims_included:
        h *= 1.0 - params.inclusion_protection
    return h


def collapse_probability(hazard: float) -> float:
    return 1.0 - math.exp(-hazard)


class AgreementBook:
    """All agreements of a run, in the order they were signed."""

    def __init__(self) -> None:
        self.all: list[Agreement] = []

    def add(self, agreement: Agreement) -> None:
        self.all.append(agreement)

    def in_force(self) -> list[Agreement]:
        return [a for a in self.all if a.in_force]

    def in_force_between(self, a: str, b: str) -> bool:
        return any(a in g.signatories and b in g.signatories for g in self.in_force())

    def next_id(self) -> str:
        return f"A{len(self.all) + 1}"
