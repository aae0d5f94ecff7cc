"""The options of a run, compiled once into arrays (MODEL.md section 5.2).

Every (action, targets) pair an actor's kind, tags, posture, alliances and rivalries allow is a
*candidate*; candidates do not change during a run. :class:`OptionTable` holds them for all
actors at once, actor by actor in scenario order and, within an actor, in catalogue order, with
one array entry per candidate for everything the monthly choice reads: the act, its targets,
its Goldstein value and cost, its tags as boolean columns, its status-quo effects, its
preconditions (tension thresholds, ties required or forbidden, agreements in force). The monthly
feasibility masks and utility components (:mod:`sim.decision`) are then array operations over
the whole table instead of a Python call per option and component.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

import numpy as np

from sim.scenario.schema import Posture
from sim.tension import MATERIAL, is_countermeasure

if TYPE_CHECKING:
    from sim.agents import ActorAgent
    from sim.model import DisputeModel
    from sim.scenario.schema import Action

IDLE = "idle"
POSTURES = get_args(Posture)  # a state's mediation postures, in the schema's order


@dataclass(frozen=True)
class Option:
    action: str
    targets: tuple[str, ...] = ()


def settlement_talks_marker(catalogue) -> str | None:
    """The tie reference that marks settlement talks open (the tie the proposal act's
    preparing act adds), or None when proposals need no preparation in this catalogue."""
    proposal = next((a for a in catalogue.actions.values() if "proposal" in a.tags), None)
    if proposal is None or proposal.preparation is None:
        return None
    return catalogue.actions[proposal.preparation.act].effects.add_ties[0]


# --- candidates ---------------------------------------------------------------------------------


def candidate_options(model: DisputeModel, agent: ActorAgent) -> list[Option]:
    """Every (action, target) the actor's kind and tags allow at all; fixed during a run."""
    options: list[Option] = []
    relations = model.world.alliance.tolist(), model.world.adversary.tolist()
    for action_id in model.choice_actions:
        action = model.catalogue.actions[action_id]
        if agent.kind not in action.actor_kinds or not set(action.actor_tags) <= agent.tags:
            continue
        options.extend(Option(action_id, t) for t in target_sets(model, agent, action)
                       if static_conditions_hold(model, agent, action, t, relations))
    return options


def static_conditions_hold(model: DisputeModel, agent: ActorAgent, action: Action,
                           targets: tuple[str, ...],
                           relations: tuple[list, list] | None = None) -> bool:
    """Preconditions that cannot change during a run: alliances, rivalries, and a posture the
    actor can take at some time (which posture is in force is checked each month)."""
    pre, w = action.preconditions, model.world
    if pre.posture and not agent.postures & set(pre.posture):
        return False
    if pre.alliance is None and pre.adversary is None:
        return True
    allied, adverse = relations or (w.alliance.tolist(), w.adversary.tolist())
    i = w.index[agent.actor_id]
    for j in (w.index[t] for t in targets):
        if pre.alliance is not None and allied[i][j] != pre.alliance:
            return False
        if pre.adversary is not None and adverse[i][j] != pre.adversary:
            return False
    return True


def target_sets(model: DisputeModel, agent: ActorAgent, action: Action
                ) -> Iterator[tuple[str, ...]]:
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


# --- the compiled table -------------------------------------------------------------------------


class OptionView(Sequence):
    """The options of one decision: a view of the candidates by index (no copies)."""

    def __init__(self, candidates: list[Option], rows: np.ndarray):
        self.candidates, self.rows = candidates, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self.candidates[j] for j in self.rows[k]]
        return self.candidates[self.rows[k]]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None


class OptionTable:
    """All candidates of all actors as arrays (one entry per candidate)."""

    def __init__(self, model: DisputeModel):
        w, actions = model.world, model.catalogue.actions
        self.action_ids = list(actions)
        action_index = {a: k for k, a in enumerate(self.action_ids)}
        self.options: list[Option] = []
        self.start: list[int] = []
        self.stop: list[int] = []
        owner: list[int] = []
        for i, agent in enumerate(model.actor_agents):
            self.start.append(len(self.options))
            found = [o for o in candidate_options(model, agent) if o.action not in agent.disabled]
            self.options.extend(found)
            owner.extend([i] * len(found))
            self.stop.append(len(self.options))
        self.by_actor = [self.options[a:b] for a, b in zip(self.start, self.stop, strict=True)]
        self.position = [{o: k for k, o in enumerate(opts)} for opts in self.by_actor]
        specs = [actions[o.action] for o in self.options]
        n = len(self.options)
        self.actor = np.array(owner, dtype=np.intp)
        self.action = np.array([action_index[o.action] for o in self.options], dtype=np.intp)
        self.n_targets = np.array([len(o.targets) for o in self.options])
        first = [w.index[o.targets[0]] if o.targets else 0 for o in self.options]
        second = [w.index[o.targets[1]] if len(o.targets) == 2 else 0 for o in self.options]
        self.t0, self.t1 = np.array(first, dtype=np.intp), np.array(second, dtype=np.intp)
        self.goldstein = np.array([a.goldstein for a in specs], dtype=float)
        quad_class = np.array([a.quad_class for a in specs], dtype=int)
        # countermeasures (sanctions, controls, and acts tagged so): what a coercive blow
        # received calls for (decision: reciprocity)
        self.countermeasure = (np.array([is_countermeasure(a.cameo, a.tags) for a in specs])
                               & (self.goldstein < 0.0))
        # deeds (material cooperation or conflict) answer deeds, words answer words
        self.deed = np.isin(quad_class, MATERIAL)
        self.cost = np.array([a.cost for a in specs], dtype=float)
        self.approval = np.array([a.effects.approval for a in specs], dtype=float)
        self.pair_tension = np.array([a.effects.pair_tension for a in specs], dtype=float)

        def tagged(*tags: str) -> np.ndarray:
            return np.array([bool(set(tags) & set(a.tags)) for a in specs], dtype=bool)

        self.idle = tagged(IDLE)
        self.collapses = tagged("collapse")  # abandoning a deal: its utility is the reversion's
        self.collapse_rows = np.flatnonzero(self.collapses)
        self.coercion = tagged("coercion")
        self.reassuring = tagged("security_cooperation", "provocation")
        self.withdrawal = tagged("security_withdrawal")
        self.lifts_coercion = np.array([bool(a.reverses) and "coercion" in actions[a.reverses].tags
                                        for a in specs], dtype=bool)
        self.reverses = np.array([action_index[a.reverses] if a.reverses else -1 for a in specs],
                                 dtype=np.intp)
        # status-quo effects as slots, in the catalogue's order (the order of the sums)
        slots = max((len(a.effects.status_quo) for a in specs), default=0)
        self.slot_issue = np.zeros((n, slots), dtype=np.intp)
        self.slot_delta = np.zeros((n, slots))
        for k, a in enumerate(specs):
            for s, (issue, delta) in enumerate(a.effects.status_quo.items()):
                self.slot_issue[k, s], self.slot_delta[k, s] = w.issue_index[issue], delta
        self._compile_preconditions(model, specs)
        self._compile_preparations(model, specs)
        self._compile_package_reservations(model, specs)

    def _compile_preconditions(self, model: DisputeModel, specs: list[Action]) -> None:
        """Tension thresholds, ties required, forbidden or once held, agreements in force."""
        w = model.world
        n = len(self.options)
        self.has_targets = self.n_targets > 0
        pair = self.n_targets == 2
        self.dyad_a = np.where(pair, self.t0, self.actor)
        self.dyad_b = np.where(pair, self.t1, self.t0)
        self.min_tension = np.array([-np.inf if a.preconditions.min_tension is None
                                     else a.preconditions.min_tension for a in specs])
        self.max_tension = np.array([np.inf if a.preconditions.max_tension is None
                                     else a.preconditions.max_tension for a in specs])
        # posture_allows[p, k]: candidate k is open to an actor whose posture is POSTURES[p]
        self.posture_allows = np.array([[not a.preconditions.posture
                                         or posture in a.preconditions.posture for a in specs]
                                        for posture in POSTURES], dtype=bool).reshape(
                                            len(POSTURES), n)
        self.candidate_index = np.arange(n)
        self.agreement = np.array([-1 if a.preconditions.agreement_in_force is None
                                   else int(a.preconditions.agreement_in_force) for a in specs])
        self.tie_keys: list[tuple] = []
        key_index: dict[tuple, int] = {}
        rows: dict[str, list[tuple[int, int]]] = {"requires": [], "forbids": [], "past": []}
        for k, (o, a) in enumerate(zip(self.options, specs, strict=True)):
            if not o.targets:
                continue
            actor, target = model.actor_agents[self.actor[k]].actor_id, o.targets[0]
            pre = a.preconditions
            past = list(pre.requires_past_ties) + (list(a.effects.add_ties)
                                                   if pre.previously_held else [])
            for kind, refs in (("requires", pre.requires_ties), ("forbids", pre.forbids_ties),
                               ("past", past)):
                for ref in refs:
                    key = w.resolve(ref, actor, target)
                    rows[kind].append((k, key_index.setdefault(key, len(key_index))))
        self.tie_keys = list(key_index)
        for kind, entries in rows.items():
            mat = np.zeros((n, len(self.tie_keys)), dtype=bool)
            for k, j in entries:
                mat[k, j] = True
            setattr(self, kind, mat)

    def _compile_preparations(self, model: DisputeModel, specs: list[Action]) -> None:
        """For each measure that must be prepared: the tie that marks it prepared and the
        target's measures it may answer in kind without preparation (hostile ties in force, or
        cooperative ties withdrawn), resolved for the option's actor and target."""
        w, actions = model.world, model.catalogue.actions
        self.prepared_tie: dict[int, tuple] = {}
        self.answers: dict[int, list[tuple[tuple, bool]]] = {}
        for k, (o, a) in enumerate(zip(self.options, specs, strict=True)):
            if a.preparation is None or not o.targets:
                continue
            actor, target = model.actor_agents[self.actor[k]].actor_id, o.targets[0]
            marker = actions[a.preparation.act].effects.add_ties[0]
            self.prepared_tie[k] = w.resolve(marker, actor, target)
            self.answers[k] = [(w.resolve(ref, actor, target),
                                w.tie_hostile[ref.partition(":")[0]])
                               for ref in a.preparation.in_kind_answer_to]
        self.prepared_rows = np.array(sorted(self.prepared_tie), dtype=np.intp)

    def _compile_package_reservations(self, model: DisputeModel, specs: list[Action]) -> None:
        """The acts between two veto players that would restore, on their own, a tie a
        settlement package restores (``negotiation.restores_ties``: lifting a hostile one,
        putting back a cooperative one), with the ties that mark settlement talks open between
        the two: while the talks run these acts are held for the package."""
        w, negotiation = model.world, model.stage.negotiation
        marker = settlement_talks_marker(model.catalogue)
        vetoes = set(negotiation.veto_players)
        restored = set(negotiation.restores_ties)
        self.reserved: dict[int, tuple[tuple, tuple]] = {}
        if marker is None:
            return
        for k, (o, a) in enumerate(zip(self.options, specs, strict=True)):
            actor = model.actor_agents[self.actor[k]].actor_id
            if len(o.targets) != 1 or not {actor, o.targets[0]} <= vetoes:
                continue
            lifts = any(w.tie_hostile[ref.partition(":")[0]] for ref in a.effects.remove_ties
                        if ref.partition(":")[0] in restored)
            restores = any(not w.tie_hostile[ref.partition(":")[0]] for ref in a.effects.add_ties
                           if ref.partition(":")[0] in restored)
            if lifts or restores:
                target = o.targets[0]
                self.reserved[k] = (w.resolve(marker, actor, target),
                                    w.resolve(marker, target, actor))

    def view(self, actor: int, index: np.ndarray) -> OptionView:
        return OptionView(self.by_actor[actor], index)
