"""Agreements live and die (MODEL.md 5.5): signing, the monthly hazard, collapse.

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
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import DisputeModel


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


def status_quo_with(model: DisputeModel, terms: np.ndarray) -> np.ndarray:
    after = model.world.status_quo.copy()
    after[model.negotiation_issue_idx] = terms
    return after


# --- signing and collapse -----------------------------------------------------------------------


def sign(model: DisputeModel, terms: np.ndarray, included: bool) -> Agreement:
    vetoes = [a.actor_id for a in model.veto_agents]
    after = status_quo_with(model, terms)
    results = {r.actor: r for r in model.last_ratification}
    refusal = max((r.refusal for r in results.values()), default=0.0)
    opposition = max((r.opposition for r in results.values()), default=0.0)
    agreement = Agreement(
        id=model.agreements.next_id(),
        terms={k: float(v) for k, v in zip(model.negotiation_issues, terms, strict=True)},
        signatories=vetoes,
        signed=model.month,
        signed_by={a.actor_id: a.administration for a in model.veto_agents},
        ideals_at_signing={a.actor_id: a.ideal[model.negotiation_issue_idx].copy()
                           for a in model.veto_agents},
        victims_included=included,
        refusal=refusal,
        opposition=opposition,
    )
    model.agreements.add(agreement)
    for actor in vetoes:
        model.log_action(actor, model.action_by_tag["signature"], [v for v in vetoes if v != actor],
                         note=f"signs {agreement.id}")
    model.world.status_quo[:] = after
    model.world.transient[model.negotiation_issue_idx] = 0.0  # the deal fixes these issues
    _victims_answer(model, agreement)
    _restore_ties(model, vetoes, agreement.id)
    return agreement


def _victims_answer(model: DisputeModel, agreement: Agreement) -> None:
    group = model.victims_agent
    if group is None:
        return
    states = [a.actor_id for a in model.veto_agents if group.actor_id in a.spec.consent_of]
    refuses = model.rng.random() < agreement.refusal
    tag = "refusal" if refuses else "consent"
    model.log_action(group.actor_id, model.action_by_tag[tag], states,
                     note=f"{agreement.refusal:.0%} of victims refuse {agreement.id}")


def _restore_ties(model: DisputeModel, vetoes: list[str], agreement_id: str) -> None:
    w = model.world
    negotiation = model.stage.negotiation
    for name in negotiation.restores_ties:
        for a in vetoes:
            for b in vetoes:
                if a == b or (not w.tie_directed[name] and a > b):
                    continue
                tie = w.tie(name, a, b)
                present = tie in w.ties
                if w.tie_hostile[name] and present:
                    model.implement(name, a, b, add=False, note=f"implements {agreement_id}")
                elif not w.tie_hostile[name] and not present:
                    model.implement(name, a, b, add=True, note=f"implements {agreement_id}")
    for name in negotiation.creates_ties:
        w.ties.add(w.tie(name, vetoes[0], vetoes[1]))


def agreements_step(model: DisputeModel) -> None:
    for agreement in model.agreements.in_force():
        distances = {}
        for actor in agreement.signatories:
            agent = model.agent_by_id[actor]
            then = agreement.ideals_at_signing[actor]
            now = agent.ideal[model.negotiation_issue_idx]
            distances[actor] = administration_distance(then, now,
                                                       agent.salience[model.negotiation_issue_idx])
        distance = max(distances.values())
        hazard = monthly_hazard(agreement, distance, model.params)
        agreement.hazard_history.append(hazard)
        if model.rng.random() < collapse_probability(hazard):
            _collapse(model, agreement, distances)


def _collapse(model: DisputeModel, agreement: Agreement, distances: dict[str, float]) -> None:
    terms = hazard_terms(agreement, max(distances.values()), model.params)
    agreement.ended = model.month
    agreement.end_reason = "collapse: " + max(terms, key=terms.get)
    withdrawer = max(distances, key=distances.get)
    others = [a for a in agreement.signatories if a != withdrawer]
    model.log_action(withdrawer, model.action_by_tag["collapse"], others,
                     note=f"abandons {agreement.id} ({agreement.end_reason})")
    agent = model.agent_by_id[withdrawer]
    idx = model.negotiation_issue_idx
    sq = model.world.status_quo
    sq[idx] += model.params.collapse_reversion * (agent.ideal[idx] - sq[idx])
    w = model.world
    for name in model.stage.negotiation.creates_ties:
        w.ties.discard(w.tie(name, agreement.signatories[0], agreement.signatories[1]))
