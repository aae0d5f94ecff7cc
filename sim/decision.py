"""Each actor's monthly choice: bounded rationality as a logit (softmax) choice over the expected
utility of its feasible actions (McFadden 1974; quantal response, McKelvey & Palfrey 1995).

The utility of an option has named components, each logged with the decision so that a user can
ask why an actor did what it did (MODEL.md section 5.2):

- ``position``: how far the act moves the status quo toward the actor's ideal point, with a
  quadratic, salience-weighted loss (the spatial model of Enelow & Hinich 1984, as in KTAB);
- ``reciprocity``: answering what the target did to the actor in recent months, hostility with
  hostility and goodwill with goodwill, with forgiveness as memory decays (Axelrod 1984;
  Goldstein & Freeman 1990 on reciprocity in event data);
- ``domestic``: the home audience (Putnam 1988; Fearon 1994 on audience costs): hostile acts
  toward a target the public dislikes are popular, moving the status quo toward the public's
  ideal is popular, reversing one's own earlier measure costs face; stronger near elections and
  for an unpopular government;
- ``alliance``: a common ally's pressure against hostility between its allies and for their
  cooperation (Cha 1999, "quasi-alliance"); for the patron itself, the value of mediation;
- ``threat``: provocations by adversaries raise the value of security cooperation and of shows
  of force, and the cost of quarrels with those who face the same adversary (Cha 1999);
- ``cost``: the act's material cost plus the attention any act demands;
- ``disposition``: a standing inclination set by the scenario or a lever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.agents import ActorAgent
    from sim.model import DisputeModel
    from sim.scenario.schema import Action

COMPONENTS = ("position", "reciprocity", "domestic", "alliance", "threat", "cost", "disposition")
IDLE = "idle"
# A shared threat restrains quarrels between those who face it far less than it spurs their
# security cooperation (2019: GSOMIA notice despite Pyongyang's tests).
QUARREL_RESTRAINT = 0.125
COERCION_YIELD = 0.12  # share of the gap a coercer expects an equally strong target to yield


@dataclass(frozen=True)
class Option:
    action: str
    targets: tuple[str, ...] = ()


@dataclass
class Decision:
    """One actor's choice in one month, with every option's breakdown for explanations."""

    actor: str
    options: list[Option]
    components: np.ndarray  # (n_options, n_components), weighted
    probabilities: np.ndarray
    chosen: int
    by_human: bool = False

    @property
    def option(self) -> Option:
        return self.options[self.chosen]

    def breakdown(self, k: int | None = None) -> dict[str, float]:
        row = self.components[self.chosen if k is None else k]
        return dict(zip(COMPONENTS, (float(v) for v in row), strict=True))


# --- feasibility --------------------------------------------------------------------------------


def candidate_options(model: DisputeModel, agent: ActorAgent) -> list[Option]:
    """Every (action, target) the actor's kind and tags allow at all; fixed during a run."""
    options: list[Option] = []
    for action_id in model.choice_actions:
        action = model.catalogue.actions[action_id]
        if agent.kind not in action.actor_kinds or not set(action.actor_tags) <= agent.tags:
            continue
        options.extend(Option(action_id, t) for t in _target_sets(model, agent, action)
                       if _static_conditions_hold(model, agent, action, t))
    return options


def _static_conditions_hold(model: DisputeModel, agent: ActorAgent, action: Action,
                            targets: tuple[str, ...]) -> bool:
    """Preconditions that cannot change during a run: posture, alliances, rivalries."""
    pre, w = action.preconditions, model.world
    if pre.posture and agent.mediation not in pre.posture:
        return False
    i = w.index[agent.actor_id]
    for j in (w.index[t] for t in targets):
        if pre.alliance is not None and model.allied[i][j] != pre.alliance:
            return False
        if pre.adversary is not None and model.adverse[i][j] != pre.adversary:
            return False
    return True


def feasible_options(model: DisputeModel, agent: ActorAgent) -> list[Option]:
    """The candidates whose preconditions hold this month, in catalogue order."""
    actions = model.catalogue.actions
    return [o for o in agent.candidates
            if _preconditions_hold(model, agent, actions[o.action], o.targets)]


def _target_sets(model: DisputeModel, agent: ActorAgent, action: Action):
    if action.target == "none":
        yield ()
        return
    others = [a for a in model.actor_agents if a.unique_id != agent.unique_id
              and a.kind in action.target_kinds and set(action.target_tags) <= a.tags]
    if action.target == "other":
        for other in others:
            yield (other.actor_id,)
    else:
        for x, first in enumerate(others):
            for second in others[x + 1:]:
                yield (first.actor_id, second.actor_id)


def _preconditions_hold(
    model: DisputeModel, agent: ActorAgent, action: Action, targets: tuple[str, ...]
) -> bool:
    """Preconditions that depend on the month: tension and the ties in force."""
    if not targets:
        return True
    pre, w = action.preconditions, model.world
    i = w.index[agent.actor_id]
    idx = [w.index[t] for t in targets]
    a, b = (idx[0], idx[1]) if len(idx) == 2 else (i, idx[0])
    tension = model.snap_tension[a][b]
    if pre.min_tension is not None and tension < pre.min_tension:
        return False
    if pre.max_tension is not None and tension > pre.max_tension:
        return False
    target = targets[0]
    if any(w.resolve(r, agent.actor_id, target) not in w.ties for r in pre.requires_ties):
        return False
    if any(w.resolve(r, agent.actor_id, target) in w.ties for r in pre.forbids_ties):
        return False
    if any(w.resolve(r, agent.actor_id, target) not in w.ever_ties
           for r in pre.requires_past_ties):
        return False
    if pre.previously_held and any(w.resolve(r, agent.actor_id, target) not in w.ever_ties
                                   for r in action.effects.add_ties):
        return False
    if pre.agreement_in_force is not None:
        bound = model.agreements.in_force_between(agent.actor_id, target)
        if bound != pre.agreement_in_force:
            return False
    return True


# --- utility ------------------------------------------------------------------------------------


def status_quo_shifts(model: DisputeModel, action: Action, scale: float) -> dict[int, float]:
    """The realised shift of each issue the act touches (the status quo stays in [0, 1])."""
    sq = model.world.status_quo
    shifts = {}
    for issue, delta in action.effects.status_quo.items():
        k = model.world.issue_index[issue]
        shifts[k] = min(1.0, max(0.0, sq[k] + scale * delta)) - sq[k]
    return shifts


def spatial_gain(ideal: np.ndarray, salience: np.ndarray, before: np.ndarray,
                 after: np.ndarray) -> float:
    """Reduction of the salience-weighted squared distance to an ideal point."""
    return float(np.sum(salience * ((before - ideal) ** 2 - (after - ideal) ** 2)))


def shift_gain(ideal, salience, sq, shifts: dict[int, float]) -> float:
    """:func:`spatial_gain` for a few shifted issues (the hot path: plain floats)."""
    gain = 0.0
    for k, d in shifts.items():
        before = sq[k] - ideal[k]
        gain += salience[k] * (before * before - (before + d) * (before + d))
    return gain


def anticipated_concession(model: DisputeModel, agent: ActorAgent, target: str,
                           scale: float) -> float:
    """What a coercer expects to win: the target yielding part of the way on the issue where
    the coercer's salience-weighted disagreement with the status quo is largest (coercive
    diplomacy: Schelling 1966; George 1991). The share yielded grows with the coercer's share
    of the pair's capability. It is an expectation only: the target decides for itself."""
    other = model.agent_by_id[target]
    if other.kind != "state":
        return 0.0
    sq = model.world.status_quo
    gaps = agent.salience * np.abs(agent.ideal - sq)
    k = int(np.argmax(gaps))
    share = agent.capability / (agent.capability + other.capability)
    shift = scale * COERCION_YIELD * share * (agent.ideal[k] - sq[k])
    return shift_gain(agent.ideal, agent.salience, sq, {k: shift})


def utility_components(model: DisputeModel, agent: ActorAgent, option: Option) -> list[float]:
    """The weighted utility components of one option (zeros for doing nothing)."""
    action = model.catalogue.actions[option.action]
    if IDLE in action.tags:
        return [0.0] * len(COMPONENTS)
    p, w = model.params, model.world
    i = w.index[agent.actor_id]
    targets = [w.index[t] for t in option.targets]
    g = action.goldstein / 10.0
    freshness = model.freshness(agent.actor_id, option.action)
    shifts = status_quo_shifts(model, action, freshness)
    sq = w.status_quo
    position = shift_gain(agent.ideal, agent.salience, sq, shifts)
    if "coercion" in action.tags:
        position += sum(anticipated_concession(model, agent, t, freshness)
                        for t in option.targets)
    if action.reverses and "coercion" in model.catalogue.actions[action.reverses].tags:
        # lifting a coercive measure gives up the concession it was meant to win
        position -= sum(anticipated_concession(model, agent, t, 1.0) for t in option.targets)
    reciprocity = agent.reciprocity * g * (
        reciprocity_balance(model.snap_received, model.snap_given, i, targets) if targets else 0.0)
    domestic = _domestic(model, agent, action, targets, shifts, freshness)
    alliance = _alliance(model, i, action, targets)
    threat = _threat(model, i, action, targets, freshness)
    cost = -(action.cost + p.attention_cost)
    disposition = agent.inclinations.get(option.action, 0.0)
    return [
        p.weight_position * position,
        p.weight_reciprocity * reciprocity,
        p.weight_domestic * domestic,
        p.weight_alliance * alliance,
        p.weight_threat * threat,
        p.weight_cost * cost,
        disposition,
    ]


def reciprocity_balance(received: list[list[float]], given: list[list[float]], i: int,
                        targets: list[int]) -> float:
    """What i received from its targets minus what it chose to do to them, on average: an act
    that has already been answered no longer calls for an answer (tit for tat, not a spiral)."""
    return sum(received[i][j] - given[i][j] for j in targets) / len(targets)


def _domestic(model, agent, action, targets, shifts, freshness: float) -> float:
    if agent.opinion is None:
        return 0.0
    w, g = model.world, action.goldstein / 10.0
    i = w.index[agent.actor_id]
    # the public rewards standing up to a disliked target, less so the third time in a row
    rally = freshness * sum(agent.hostility.get(w.actors[j], 0.0) for j in targets) * -g
    public = shift_gain(agent.public, agent.salience, w.status_quo, shifts)
    reversal = model.params.audience_cost if agent.reverses_own_measure(action) else 0.0
    value = rally + public + 5.0 * action.effects.approval - reversal
    boost = 2.0 if model.snap_election[agent.actor_id] else 1.0
    unpopularity = 1.5 - model.snap_approval[i]
    return agent.opinion.audience * boost * unpopularity * value


def _alliance(model, i: int, action, targets: list[int]) -> float:
    g = action.goldstein / 10.0
    if len(targets) == 2:  # a patron acting on two allies: the value of bringing them together
        j, k = targets
        own = model.actor_agents[i].alliance_pressure
        return own * (model.snap_tension[j][k] * -10.0 * action.effects.pair_tension
                      + 0.5 * max(g, 0.0))
    value = 0.0
    for j in targets:
        for p in model.patrons[i][j]:
            pressure = model.actor_agents[p].alliance_pressure
            value += pressure * (0.5 * max(g, 0.0) - max(-g, 0.0))
    return value


def _threat(model, i: int, action, targets: list[int], freshness: float) -> float:
    threat = model.snap_threat[i]
    if not threat:
        return 0.0
    tags = set(action.tags)
    value = 0.0
    if tags & {"security_cooperation", "provocation"}:
        value += freshness * threat  # the tenth drill in a row reassures less than the first
    if "security_withdrawal" in tags:  # ending intelligence sharing under threat is costly
        value -= QUARREL_RESTRAINT * threat
    hostility = max(-action.goldstein / 10.0, 0.0)
    for j in targets:  # quarrelling with someone who faces the same adversary
        if model.share_adversary[i][j]:
            value -= QUARREL_RESTRAINT * threat * hostility
    return value


# --- choice -------------------------------------------------------------------------------------


def logit_probabilities(utilities: np.ndarray, temperature: float) -> np.ndarray:
    z = (utilities - utilities.max()) / temperature
    e = np.exp(z)
    return e / e.sum()


def decide(model: DisputeModel, agent: ActorAgent) -> Decision:
    options = feasible_options(model, agent)
    components = np.array([utility_components(model, agent, o) for o in options])
    probabilities = logit_probabilities(components.sum(axis=1), model.params.choice_temperature)
    chosen = int(model.rng.choice(len(options), p=probabilities))
    return Decision(agent.actor_id, options, components, probabilities, chosen)
