"""Agreements live and die (MODEL.md 5.5): signing, the victims' answer, abandonment.

An agreement in force has moved the status quo on its issues to its terms and restored the
ties the scenario lists (``negotiation.restores_ties``). It ends only when a signatory's
government decides to abandon it (the catalogue act tagged ``collapse``, chosen like any other
act in :mod:`sim.decision`): no hazard is drawn. What erodes a deal is therefore what makes
abandoning it worth more than keeping it to the government in office:

- the distance between that government's ideal point and the deal's terms, beyond the signing
  government's (the reversion's position gain less what it would have been worth to the
  administration that signed: leaders of a different coalition break their predecessors'
  commitments, Leeds, Mattes & Vogel 2009): a new administration far from the terms gains from
  abandoning them and pays no audience cost for undoing another government's act, as Moon's
  government closed the 2015 deal's foundation (onero-2021-reconciliation#P9), while a
  government of the same mind as the signatory has nothing to win;
- its public's opposition (the reversion's gain for the public's ideal point) and its approval;
- the victims: when they refuse the deal they keep suing, seeking seizures and rallying against
  its signatories, which costs the government approval and feeds the partner's grievances;
  when they accept its money their claims are settled (tie ``claims_settled``) and those acts
  are closed to them while it lasts (usip-2023-mend-ties#P30). A victim-inclusive deal, whose
  terms are nearer the victims' and the public's, is accepted more often and abandoned less
  (Putnam 1988 on the domestic side of international agreements; Hasenclever, Mayer &
  Rittberger 1997 on the robustness of regimes that carry domestic consent).

A government reviews a deal before it can abandon it (the catalogue's ``review_agreement``,
prepared like a trade measure: :func:`sim.decision.prepares`). Abandonment pulls the status quo
``collapse_reversion`` of the way toward the withdrawing government's ideal (on the scenario's
``claims_issues``, once the victims have taken the money, only the refusing share of that:
claims paid and accepted are not reopened) and removes the ties the deal created and the
victims' settled claims.

Each month every agreement in force records the chance that some signatory abandons it that
month (from the signatories' logit probabilities), for the classroom and the debrief.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.decision import month_options, prepares, reversion_shares

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
    claims_settled: bool = False  # the victims took its money (their claims on it are closed)
    ended: str | None = None
    end_reason: str = ""
    label: str = ""
    risk_history: list[float] = field(default_factory=list)  # monthly chance of abandonment

    @property
    def in_force(self) -> bool:
        return self.ended is None


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
    if not refuses:  # accepting the money settles their claims against every signatory
        agreement.claims_settled = True
        model.world.ties.update(settled_claims(model, agreement.signatories))


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


def record_risks(model: DisputeModel) -> None:
    """Each agreement in force records this month's chance that a signatory abandons it:
    one minus the product of the signatories' probabilities of not abandoning it (choosing to
    abandon a deal not yet reviewed opens the review instead, so it does not count)."""
    in_force = model.agreements.in_force()
    if not in_force:
        return
    month = month_options(model)
    table = model.option_table
    rows = month.rows
    for agreement in in_force:
        keep = 1.0
        for actor in agreement.signatories:
            i = model.agent_by_id[actor].index
            a, b = month.bounds[i], month.bounds[i + 1]
            mine = table.collapses[rows[a:b]]
            for k in np.flatnonzero(mine):
                mine[k] = not prepares(model, table, int(rows[a + k]))
            keep *= 1.0 - float(month.probabilities[a:b][mine].sum())
        agreement.risk_history.append(1.0 - keep)


def withdraw(model: DisputeModel, actor: str, target: str, reason: str = "") -> list[Agreement]:
    """``actor`` abandons every agreement in force that binds it and ``target``: the status quo
    reverts part of the way toward its ideal (:func:`sim.decision.reversion_shares`), the
    deal's created ties and the victims' settled claims go. Returns the agreements ended (none
    if another signatory was quicker)."""
    ended = [a for a in model.agreements.in_force()
             if actor in a.signatories and target in a.signatories]
    w = model.world
    idx = model.negotiation_issue_idx
    agent = model.agent_by_id[actor]
    shares = reversion_shares(model, np.array([agent.index]))[0]
    for agreement in ended:
        agreement.ended = model.month
        agreement.end_reason = f"abandoned by {actor}" + (f" ({reason})" if reason else "")
        sq = w.status_quo
        sq[idx] += shares * (agent.ideal[idx] - sq[idx])
        for name in model.stage.negotiation.creates_ties:
            w.ties.discard(w.tie(name, agreement.signatories[0], agreement.signatories[1]))
        unsettle_claims(model, agreement.signatories)
    if ended:
        model.next_proposal_month = model.month_index + model.params.reproposal_delay
    return ended


def settled_claims(model: DisputeModel, states: list[str]) -> list[tuple]:
    """The ties that mark the victims' claims against these states settled (the consent act's
    ties, from the group to each state)."""
    group = model.victims_agent
    if group is None:
        return []
    consent = model.catalogue.actions[model.action_by_tag["consent"]]
    return [model.world.resolve(ref, group.actor_id, state)
            for ref in consent.effects.add_ties for state in states]


def unsettle_claims(model: DisputeModel, states: list[str]) -> None:
    for tie in settled_claims(model, states):
        model.world.ties.discard(tie)
