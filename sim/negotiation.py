"""Negotiation over the dispute's issues (MODEL.md 5.3-5.5): bargaining moves negotiating
positions, a package is proposed when the veto players come close, each decides whether to
accept it, governments carry it home (two-level ratification), and a ratified package becomes an
agreement that moves the status quo and restores ties.

Positions move by the expected-utility bargaining kernel (:mod:`sim.bargaining`: Bueno de
Mesquita 1994; Scholz, Calbert & Smith 2011; KTAB's SMP), a fraction ``bargaining_rate`` of a
kernel round each month, with mistrust equal to dyadic tension (high tension means smaller
concessions), and an ``position_anchor`` pull back toward each government's own line.
A package is the capability-and-salience weighted mean of the veto players' negotiating
positions (and the victims', when they take part). Talks toward it open when the negotiators
are close or the package lies in every veto player's win-set (Putnam 1988; Tsebelis 2002), and
it is tabled once the talks' lead time has passed (the catalogue's ``prepare_settlement``);
while they run, the ties the package restores are held for it (sim.decision.held_for_package).
Acceptance is a logit choice on the gain over the status quo, the home audience's view of it, a
common ally's pressure, and trust: what the partner recently did to the government.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import ratification
from sim.agreements import sign, status_quo_with
from sim.bargaining import bargaining_positions
from sim.columns import COMPONENTS
from sim.decision import Decision, Option
from sim.options import settlement_talks_marker
from sim.utility import logit_probabilities, spatial_gain

if TYPE_CHECKING:
    from sim.agents import ActorAgent
    from sim.model import DisputeModel


# where acceptance_components puts its parts, in the order it computes them
ACCEPTANCE_PARTS = [COMPONENTS.index(c)
                    for c in ("position", "domestic", "alliance", "reciprocity", "cost")]


def bargaining_step(model: DisputeModel) -> None:
    idx = model.negotiation_issue_idx
    agents = model.actor_agents
    x = np.array([a.negotiating[idx] for a in agents])
    s, ideal = model.saliences[:, idx], model.ideals[:, idx]
    new = bargaining_positions(model.traits.capability, x, s, model.world.tension,
                               model.traits.bargaining)
    p = model.params
    moved = (x + p.bargaining_rate * (new - x) + p.position_anchor * (ideal - x)).clip(0.0, 1.0)
    for agent, row in zip(agents, moved, strict=True):
        agent.negotiating[idx] = row


def mediate(model: DisputeModel, pair: list[str]) -> None:
    """A mediator's act between two actors narrows the gap between their negotiating positions:
    each moves ``mediation_convergence`` of the way toward the pair's capability-and-salience
    weighted midpoint on the negotiated issues. Mediators formulate compromises and add
    incentives for them (Touval & Zartman 1985, "manipulative" and "formulative" mediation;
    Beardsley et al. 2006 find both narrow bargaining gaps), beyond lowering the pair's tension.
    """
    idx = model.negotiation_issue_idx
    a, b = (model.agent_by_id[x] for x in pair)
    wa, wb = a.capability * a.salience[idx], b.capability * b.salience[idx]
    total = wa + wb
    midpoint = np.where(total > 0.0, (wa * a.negotiating[idx] + wb * b.negotiating[idx])
                        / np.where(total > 0.0, total, 1.0), 0.5 * (a.negotiating[idx]
                                                                   + b.negotiating[idx]))
    share = model.params.mediation_convergence
    for agent in (a, b):
        agent.negotiating[idx] += share * (midpoint - agent.negotiating[idx])


def veto_distance(model: DisputeModel) -> float:
    """Salience-weighted mean gap between the veto players' negotiating positions."""
    idx = model.negotiation_issue_idx
    players = model.veto_agents
    gaps, weights = [], []
    for x, a in enumerate(players):
        for b in players[x + 1:]:
            w = a.salience[idx] + b.salience[idx]
            gaps.append(np.add.reduce(w * np.abs(a.negotiating[idx] - b.negotiating[idx])))
            weights.append(np.add.reduce(w))  # np.sum without its wrapper
    return float(sum(gaps) / (sum(weights) or 1.0))


def veto_tension(model: DisputeModel) -> float:
    """Mean tension among the veto players: mistrust narrows what they dare to table."""
    w = model.world
    idx = [w.index[a.actor_id] for a in model.veto_agents]
    pairs = [(i, j) for x, i in enumerate(idx) for j in idx[x + 1:]]
    values = w.tension[[i for i, _ in pairs], [j for _, j in pairs]]
    return float(np.add.reduce(values) / len(values))  # np.mean's sum and division


def draft_package(model: DisputeModel, include_victims: bool) -> np.ndarray:
    idx = model.negotiation_issue_idx
    players = list(model.veto_agents)
    if include_victims and model.victims_agent is not None:
        players.append(model.victims_agent)
    w = np.array([a.capability * a.salience[idx] for a in players]) + 1e-9
    x = np.array([a.negotiating[idx] for a in players])
    return (w * x).sum(axis=0) / w.sum(axis=0)


def acceptance_components(model: DisputeModel, agent: ActorAgent, terms: np.ndarray,
                          included: bool) -> np.ndarray:
    """Utility of accepting a package rather than keeping the status quo, by component."""
    p, w = model.params, model.world
    after = status_quo_with(model, terms)
    position = spatial_gain(agent.ideal, agent.salience, w.status_quo, after)
    domestic = 0.0
    if agent.opinion is not None:
        domestic = agent.opinion.audience * spatial_gain(agent.public, agent.salience,
                                                         w.status_quo, after)
    i = agent.index
    others = [a.index for a in model.veto_agents if a is not agent]
    # the pressure of every ally it shares with each partner (exact: the other terms are zeros)
    alliance = float((model.pressures * (w.alliance[i] & w.alliance[others])).sum())
    # trust: what the partners recently did to it, goodwill or hostility (not its own balance:
    # a government that has been the more hostile owes no deal for it; Kydd 2005 on trust built
    # by the other side's conduct, Keohane 1986 on specific reciprocity)
    reciprocity = (agent.reciprocity * float(np.mean(w.received[i, others])) if others else 0.0)
    values = np.zeros(len(COMPONENTS))
    values[ACCEPTANCE_PARTS] = (p.weight_position * position, p.weight_domestic * domestic,
                                p.weight_alliance * p.ally_deal_pressure * alliance,
                                p.weight_reciprocity * reciprocity, -p.acceptance_margin)
    return values


def respond(model: DisputeModel, agent: ActorAgent, terms: np.ndarray, included: bool) -> Decision:
    """Accept or reject a package: a two-option logit choice, logged like any decision."""
    accept = acceptance_components(model, agent, terms, included)
    components = np.vstack([np.zeros(len(COMPONENTS)), accept])
    probabilities = logit_probabilities(components.sum(axis=1), model.params.choice_temperature)
    chosen = int(model.rng.random() < probabilities[1])
    options = [Option(model.action_by_tag["rejection"]), Option(model.action_by_tag["signature"])]
    return Decision(agent.actor_id, options, components, probabilities, chosen)


def choose_package(model: DisputeModel) -> tuple[np.ndarray, bool]:
    mode = model.stage.negotiation.victim_inclusion
    if mode == "required":
        return draft_package(model, True), True
    if mode == "excluded" or model.victims_agent is None:
        return draft_package(model, False), False
    inclusive = draft_package(model, True)
    if all(acceptance_components(model, a, inclusive, True).sum() > 0 for a in model.veto_agents):
        return inclusive, True
    return draft_package(model, False), False


def choose_proposer(model: DisputeModel, terms: np.ndarray, included: bool) -> str:
    for agent in model.actor_agents:  # an envoy allied to every veto player tables the package
        if agent.mediation == "envoy" and all(
            model.world.alliance[model.world.index[agent.actor_id], model.world.index[v.actor_id]]
            for v in model.veto_agents
        ):
            return agent.actor_id
    gains = [acceptance_components(model, a, terms, included).sum() for a in model.veto_agents]
    return model.veto_agents[int(np.argmax(gains))].actor_id


# --- the monthly negotiation --------------------------------------------------------------------


def negotiation_step(model: DisputeModel) -> None:
    bargaining_step(model)
    vetoes = [a.actor_id for a in model.veto_agents]
    if any(model.agreements.in_force_between(a, b) for a in vetoes for b in vetoes if a < b):
        return
    if model.month_index < model.next_proposal_month and model.player_package is None:
        return
    package = _tabled_package(model)
    if package is None:
        _forget_preparations(model, vetoes)  # the talks lapse when their conditions go
        return
    terms, included, proposer, prepared = package
    others = [v for v in vetoes if v != proposer]
    if not prepared and not _ready(model, proposer, others):
        return
    model.log_action(proposer, model.action_by_tag["proposal"], others,
                     note=_terms_note(model, terms, included))
    if _accepted_by_all(model, terms, included, proposer) and _ratified(model, terms, included):
        sign(model, terms, included)
        _forget_preparations(model, vetoes)
    else:
        model.next_proposal_month = model.month_index + model.params.reproposal_delay


def _ready(model: DisputeModel, proposer: str, others: list[str]) -> bool:
    """Whether the package has been prepared. A government-level package is drafted before it
    is tabled: working-level talks, consultations at home with the victims and the parties,
    the partner sounded out (Putnam 1988 on the groundwork of the two-level game). When the
    catalogue's proposal act names a ``preparation``, the first month the conditions for a
    package hold the proposer opens the talks (the preparing act is logged); the package is
    tabled, by whichever side proposes, once their lead time has passed; a month in which the
    conditions no longer hold ends the talks, and they start again from the beginning."""
    action_id = model.action_by_tag["proposal"]
    ties = _preparation_ties(model, [proposer, *others])
    if ties is None:
        return True
    started = [model.prepared_ready[t] for t in ties if t in model.world.ties]
    if not started:
        model.prepare(proposer, action_id, others, "the conditions for a package hold")
        return False
    return model.month_index >= min(started)


def _preparation_ties(model: DisputeModel, vetoes: list[str]) -> list[tuple] | None:
    """The ties that mark a package prepared between any two veto players (None: proposals
    need no preparation in this catalogue)."""
    marker = settlement_talks_marker(model.catalogue)
    if marker is None:
        return None
    return [model.world.resolve(marker, a, b) for a in vetoes for b in vetoes if a != b]


def _forget_preparations(model: DisputeModel, vetoes: list[str]) -> None:
    """Talks that led to a signed package, or lapsed, are over: the next are prepared anew."""
    for tie in _preparation_ties(model, vetoes) or []:
        model.world.ties.discard(tie)


def _tabled_package(model: DisputeModel) -> tuple[np.ndarray, bool, str, bool] | None:
    """The package tabled this month, if any: terms, whether the victims take part, the
    proposer, and whether it is already prepared (a human's or the scenario's opening one)."""
    if model.player_package is not None:  # a human player tables a package
        proposer, terms_by_issue, included = model.player_package
        model.player_package = None
        terms = model.world.status_quo[model.negotiation_issue_idx].copy()
        for issue, value in terms_by_issue.items():
            terms[model.negotiation_issues.index(issue)] = value
        return terms, included, proposer, True
    table = model.stage.negotiation.on_table
    if table is not None and model.month_index == 0:
        idx = model.negotiation_issue_idx
        terms = model.world.status_quo[idx].copy()
        for issue, value in table.terms.items():
            terms[model.negotiation_issues.index(issue)] = value
        return terms, table.victims_included, table.proposer, True
    close = veto_distance(model) <= model.params.proposal_distance * (1.0 - veto_tension(model))
    terms, included = choose_package(model)
    if not (close or in_win_sets(model, terms, included)):
        return None
    return terms, included, choose_proposer(model, terms, included), False


def in_win_sets(model: DisputeModel, terms: np.ndarray, included: bool) -> bool:
    """Whether every veto player would gain from accepting the package rather than keeping
    the status quo (its position, home audience and ally's pressure): the package lies in the
    intersection of their win-sets, so talks toward it are worth opening even if the
    negotiators' positions are still some way apart (Putnam 1988; Tsebelis 2002)."""
    return all(acceptance_components(model, a, terms, included).sum() > 0.0
               for a in model.veto_agents)


def _accepted_by_all(model: DisputeModel, terms, included: bool, proposer: str) -> bool:
    for agent in model.veto_agents:
        if agent.actor_id == proposer:
            continue
        decision = respond(model, agent, terms, included)
        if agent.actor_id in model.player_answers:  # a human player answers for this actor
            decision.chosen = int(model.player_answers[agent.actor_id])
            decision.by_human = True
        model.record_decision(decision, negotiation=True)
        if decision.chosen == 0:
            others = [v.actor_id for v in model.veto_agents if v is not agent]
            model.log_action(agent.actor_id, model.action_by_tag["rejection"], others,
                             decision=decision, note="rejects the package")
            return False
    return True


def _ratified(model: DisputeModel, terms: np.ndarray, included: bool) -> bool:
    p = model.params
    after = status_quo_with(model, terms)
    results = []
    for agent in model.veto_agents:
        opposition = ratification.public_opposition(
            agent.public, agent.salience, model.world.status_quo, after, p.opposition_sensitivity
        ) if agent.public is not None else 0.0
        refusal = max((victims_refusal(model, g, after, included) for g in agent.spec.consent_of),
                      default=0.0)
        audience = agent.opinion.audience if agent.opinion else 0.0
        prob = ratification.ratification_probability(audience, opposition, refusal,
                                                     p.ratification_threshold,
                                                     p.ratification_steepness, p.refusal_weight)
        ok = bool(model.rng.random() < prob)
        results.append(ratification.Ratification(agent.actor_id, opposition, refusal, prob, ok))
    model.last_ratification = results
    failed = [r for r in results if not r.ratified]
    for r in failed:
        others = [v.actor_id for v in model.veto_agents if v.actor_id != r.actor]
        model.log_action(r.actor, model.action_by_tag["rejection"], others,
                         note=f"not ratified at home (opposition {r.opposition:.2f}, "
                              f"victims refusing {r.refusal:.2f}, p={r.probability:.2f})")
    return not failed


def victims_refusal(model: DisputeModel, group_id: str, after: np.ndarray, included: bool) -> float:
    group = model.agent_by_id[group_id]
    p = model.params
    return ratification.refusal_share(group.ideal, group.salience, model.world.status_quo, after,
                                      included, p.refusal_sensitivity, p.refusal_offset,
                                      p.inclusion_refusal_factor)


def _terms_note(model: DisputeModel, terms: np.ndarray, included: bool) -> str:
    pairs = ";".join(f"{k}={v:.2f}" for k, v in zip(model.negotiation_issues, terms, strict=True))
    return pairs + (";victims included" if included else "")
