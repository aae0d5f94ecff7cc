"""Each actor's monthly choice: bounded rationality as a logit (softmax) choice over the expected
utility of its feasible actions (McFadden 1974; quantal response, McKelvey & Palfrey 1995).

The utility of an option has named components, each logged with the decision so that a user can
ask why an actor did what it did (MODEL.md section 5.2):

- ``position``: how far the act moves the status quo toward the actor's ideal point, with a
  quadratic, salience-weighted loss (the spatial model of Enelow & Hinich 1984, as in KTAB);
  a coercive act adds the concession the coercer expects to win (Schelling 1966; George 1991);
- ``reciprocity``: answering what the target did to the actor in recent months, hostility with
  hostility and goodwill with goodwill, with forgiveness as memory decays (Axelrod 1984;
  Goldstein & Freeman 1990 on reciprocity in event data), and in kind: words answer words and
  deeds answer deeds (Leng 1993 on reciprocating crisis bargaining). A coercive blow
  (sanctions, controls, a seizure) also opens an account that a countermeasure of its size
  closes: a prompt, proportionate answer (Goldstein & Pevehouse 1997; proportionality of
  countermeasures, ILC Articles 2001, art. 51; :func:`countermeasure_value`);
- ``domestic``: the home audience (Putnam 1988; Fearon 1994 on audience costs): hostile acts
  toward a target the public dislikes are popular (the more so after the target's coercion
  has rallied the public against it: Galtung 1967), moving the status quo toward the public's
  ideal is popular, reversing one's own earlier measure costs face; stronger near elections and
  for an unpopular government;
- ``alliance``: a common ally's pressure against hostility between its allies and for their
  cooperation (Cha 1999, "quasi-alliance"); for the patron itself, the value of mediation;
- ``threat``: provocations by adversaries raise the value of security cooperation and of shows
  of force, and the cost of quarrels with those who face the same adversary (Cha 1999);
- ``cost``: the act's material cost plus the attention any act demands; for a host in the
  months of a summit it hosts, the reputational cost of hostility (hosts stake their standing
  on the summit's success: Putnam & Bayne 1987); and for a government in the months before a
  vote, the risk of a material escalation going wrong before polling day (democracies are less
  prone to use force late in the electoral cycle and more early in it: Gaubatz 1991), while
  words play to the home audience all the more (``domestic``);
- ``disposition``: a standing inclination set by the scenario or a lever.

The components of every candidate option of every actor are computed at once, as array
operations over the run's :class:`~sim.options.OptionTable`; an actor's decision keeps the rows
of its feasible options (its breakdown for explanations is a row of the same arrays).

A measure that must be prepared (``preparation`` in the catalogue: trade measures, abandoning
a deal) is chosen by the utility of carrying it out; while it is unprepared, choosing it starts
the preparation (:func:`prepares`), and while the preparation runs it is not available.
Abandoning a deal in force (tag ``collapse``) is valued by the reversion it brings, less what
the reversion would have been worth to the government that signed (:func:`reversion_gains`).
While settlement talks run, the ties the package will restore are not restored unilaterally
(:func:`held_for_package`). Every behavioural number is a scenario parameter
(``scenarios/base.yaml``, docs/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.bargaining import RoundConstants
from sim.columns import COMPONENTS
from sim.options import IDLE, Option, OptionTable, candidate_options
from sim.utility import (
    logit_draw,
    logit_probabilities,
    positive_part,
    slot_gain,
    spatial_gain,
    unit_clip,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sim.agents import ActorAgent
    from sim.model import DisputeModel

__all__ = ["IDLE", "Decision", "MonthOptions", "Option", "candidate_options",
           "decide", "feasible_options", "logit_probabilities", "spatial_gain",
           "utility_components"]


@dataclass
class Decision:
    """One actor's choice in one month, with every option's breakdown for explanations."""

    actor: str
    options: Sequence[Option]
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


@dataclass
class MonthOptions:
    """This month's feasible options of every actor with their components and logit
    probabilities; actor i's are the entries ``cuts[i]:cuts[i + 1]``."""

    rows: np.ndarray  # (n_feasible,) the feasible candidates, in table order
    cuts: np.ndarray  # (n_actors + 1,)
    components: np.ndarray  # (n_feasible, n_components), weighted
    probabilities: np.ndarray  # (n_feasible,)
    local: np.ndarray  # (n_feasible,) each option's index among its actor's candidates
    bounds: list[int]  # cuts as Python integers (for slicing)


class ActorTraits:
    """The actors' fixed traits as arrays (actor order of the scenario), compiled once."""

    def __init__(self, model: DisputeModel, table: OptionTable):
        agents, w = model.actor_agents, model.world
        n = len(agents)
        self.reciprocity = np.array([a.reciprocity for a in agents], dtype=float)
        self.has_opinion = np.array([a.opinion is not None for a in agents])
        self.public = np.array([a.public if a.public is not None else np.zeros(len(w.issues))
                                for a in agents])
        self.audience = np.array([a.opinion.audience if a.opinion else 0.0 for a in agents])
        self.is_state = np.array([a.kind == "state" for a in agents])
        cap = np.array([a.capability for a in agents], dtype=float)
        self.capability = cap
        self.risk = np.array([a.risk for a in agents], dtype=float)
        self.bargaining = RoundConstants.of(self.risk)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.capability_share = cap[:, None] / (cap[:, None] + cap[None, :])
        self.hostility = np.array([[a.hostility.get(w.actors[j], 0.0) for j in range(n)]
                                   for a in agents], dtype=float)
        self.inclination = np.array([[a.inclinations.get(act, 0.0) for act in table.action_ids]
                                     for a in agents], dtype=float)
        patrons = [[[p for p in range(n) if p not in (i, j) and w.alliance[i, p]
                     and w.alliance[j, p]] for j in range(n)] for i in range(n)]
        slots = max((len(ps) for row in patrons for ps in row), default=0)
        # patron[i, j, s]: the s-th common ally of i and j (n: none), whose alliance pressure
        # is read each month (an administration may change it)
        self.patron = np.full((n, n, slots), n, dtype=np.intp)
        for i, row in enumerate(patrons):
            for j, ps in enumerate(row):
                for s, p in enumerate(ps):
                    self.patron[i, j, s] = p
        self.share_adversary = (w.adversary.astype(int) @ w.adversary.astype(int).T) > 0
        # (2, actors, 1) mask and (2, actors, issues) values: the ideal points, and for an
        # actor with a public opinion the public's (see option_components)
        self.public_mask = np.stack([np.zeros(n, dtype=bool), self.has_opinion])[:, :, None]
        self.public_pair = np.stack([self.public, self.public])


class OptionConstants:
    """Every part of the options' utilities that does not change during a run (the act, its
    targets, the actors' traits and the scenario's parameters), computed once per option with
    the same operations, in the same order, as the monthly formulas they stand in for."""

    def __init__(self, table: OptionTable, traits: ActorTraits, params):
        t, p, a = table, params, table.actor
        one, two = t.n_targets >= 1, t.n_targets == 2
        self.one, self.two = one, two
        self.g = t.goldstein / 10.0
        self.minus_g = -self.g
        self.reciprocity = traits.reciprocity[a] * self.g
        self.reciprocity_trait = traits.reciprocity[a]
        self.targets = np.maximum(t.n_targets, 1)
        self.approval = p.approval_weight * t.approval
        self.audience = traits.audience[a]
        self.has_opinion = traits.has_opinion[a]
        cooperative = p.ally_cooperation_share * positive_part(self.g)
        self.cooperative = cooperative
        # a common ally's pressure on the act: its alliance pressure (read each month) times
        # this; patrons[k, s] is the s-th common ally of the option's actor and target
        self.pressure_term = np.where(t.n_targets == 1, cooperative - positive_part(-self.g),
                                      0.0)
        self.patrons = traits.patron[a, t.t0]
        self.mediation_scale = -p.mediation_gain
        self.hostility = positive_part(-t.goldstein / 10.0)
        self.quarrel = [one & traits.share_adversary[a, t.t0],
                        two & traits.share_adversary[a, t.t1]]
        self.cost = p.weight_cost * -(t.cost + p.attention_cost)
        self.disposition = traits.inclination[a, t.action]
        self.coerces = t.coercion | t.lifts_coercion
        self.both = bool((t.coercion & t.lifts_coercion).any())
        self.share = [np.where(one & traits.is_state[t.t0], traits.capability_share[a, t.t0], 0.0),
                      np.where(two & traits.is_state[t.t1], traits.capability_share[a, t.t1], 0.0)]
        self.yields = [one & traits.is_state[t.t0], two & traits.is_state[t.t1]]
        self.rows = (a[:, None], t.slot_issue)
        # flat indices for ``take`` (cheaper than fancy indexing with two index arrays)
        n, n_issues = len(traits.reciprocity), traits.public.shape[1]
        self.rows_flat = a[:, None] * n_issues + t.slot_issue
        self.pair_flat = [a * n + t.t0, a * n + t.t1]
        # the same into the stacked accounts (words, deeds) of reciprocity in kind
        self.kind_pair_flat = [np.where(t.deed, n * n, 0) + flat for flat in self.pair_flat]
        self.targets_flat = t.t0 * n + t.t1
        self.usage_flat = a * len(t.action_ids) + t.action
        self.share2, self.yields2 = np.array(self.share), np.array(self.yields)
        self.quarrel_any = self.quarrel[0] | self.quarrel[1]
        self.idle_rows = np.flatnonzero(t.idle)
        self.issue_offsets = np.arange(n) * n_issues
        self.dyad_flat = t.dyad_a * n + t.dyad_b
        self.no_targets = ~t.has_targets
        self.bounds = np.array([*t.start, len(t.options)])
        self.constant_columns = np.zeros((len(a), len(COMPONENTS)))
        self.constant_columns[:, COMPONENTS.index("cost")] = self.cost
        self.constant_columns[:, COMPONENTS.index("disposition")] = self.disposition
        # month index -> the calendar's restraint (calendar_restraint): the summits hosted and
        # the votes ahead are the scenario's, so runs of one scenario share it
        self.restraints: dict[int, np.ndarray | None] = {}


# Compiled tables of the scenarios loaded last (an ensemble runs one scenario many times);
# keyed by the loaded scenario's identity, which the entry keeps alive.
_COMPILED: dict[int, tuple] = {}
_COMPILED_KEEP = 4


def compile_options(model: DisputeModel) -> None:
    """Compile the run's option table, the actors' traits and the options' constant parts.

    They depend on the loaded scenario only, so runs of the same loaded scenario share them
    (read-only)."""
    key = id(model.loaded)
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not model.loaded:
        table = OptionTable(model)
        traits = ActorTraits(model, table)
        hit = (model.loaded, table, traits, OptionConstants(table, traits, model.params))
        _COMPILED[key] = hit
        while len(_COMPILED) > _COMPILED_KEEP:
            del _COMPILED[next(iter(_COMPILED))]
    _, model.option_table, model.traits, model.option_constants = hit


# --- feasibility --------------------------------------------------------------------------------


def feasibility(model: DisputeModel, table: OptionTable) -> np.ndarray:
    """Which candidates' month-dependent preconditions hold: tension and the ties in force."""
    tension = model.world.tension.take(model.option_constants.dyad_flat)
    ok = ~((tension < table.min_tension) | (tension > table.max_tension))
    ok &= standing_conditions(model, table)
    ok &= table.posture_allows[model.posture_index.take(table.actor), table.candidate_index]
    ok |= model.option_constants.no_targets
    under_way = {tie for tie, ready in model.prepared_ready.items() if ready > model.month_index}
    if under_way:  # most months no preparation is under way: nothing to check
        for k in table.prepared_rows:
            if ok[k] and table.prepared_tie[k] in under_way and preparing(model, table, int(k)):
                ok[k] = False
    return ok


def answers_in_kind(model: DisputeModel, table: OptionTable, k: int) -> bool:
    """The measure answers one of the target's own in kind (needs no preparation)."""
    w = model.world
    return any((tie in w.ties) if hostile else (tie in w.ever_ties and tie not in w.ties)
               for tie, hostile in table.answers[k])


def preparing(model: DisputeModel, table: OptionTable, k: int) -> bool:
    """The measure's preparation has started but is not finished this month."""
    tie = table.prepared_tie[k]
    return (tie in model.world.ties and model.prepared_ready.get(tie, 0) > model.month_index
            and not answers_in_kind(model, table, k))


def prepares(model: DisputeModel, table: OptionTable, k: int) -> bool:
    """Choosing candidate ``k`` starts its preparation rather than imposing it: the measure
    must be prepared, is not yet, and does not answer the target's own measure in kind."""
    return (k in table.prepared_tie and table.prepared_tie[k] not in model.world.ties
            and not answers_in_kind(model, table, k))


def standing_conditions(model: DisputeModel, table: OptionTable) -> np.ndarray:
    """The candidates whose tie and agreement preconditions hold; these change rarely, so the
    answer is kept for the ties and agreements in force."""
    in_force = model.agreements.in_force()
    key = ("standing", ties_key(model), *(tuple(a.signatories) for a in in_force))
    cached = model.tie_masks.get(key)
    if cached is not None:
        return cached
    ok = ties_allow(model, table).copy()
    bound = agreements_in_force(model)[table.actor, table.t0]
    ok &= (table.agreement < 0) | (bound == (table.agreement == 1))
    held_for_package(model, table, ok)
    return remember_mask(model, key, ok)


def held_for_package(model: DisputeModel, table: OptionTable, ok: np.ndarray) -> None:
    """While settlement talks run between two veto players, neither restores on its own a tie
    the package will restore (GSOMIA, a white list, controls lifted, a WTO case withdrawn):
    those concessions are the currency of the package, and nothing is agreed until everything
    is agreed (Sebenius 1983 on adding issues to a negotiation; Putnam 1988 on side payments
    kept for the final bargain)."""
    ties = model.world.ties
    for k, talks in table.reserved.items():
        if ok[k] and (talks[0] in ties or talks[1] in ties):
            ok[k] = False


def ties_key(model: DisputeModel) -> tuple[frozenset, frozenset]:
    w = model.world
    return frozenset(w.ties), frozenset(w.ever_ties)


def ties_allow(model: DisputeModel, table: OptionTable) -> np.ndarray:
    """The candidates whose tie preconditions hold (required, forbidden, once held). Ties
    change rarely, so the answer is kept for the ties in force and the ties ever held."""
    w = model.world
    key = ties_key(model)
    cached = model.tie_masks.get(key)
    if cached is not None:
        return cached
    ok = np.ones(len(table.options), dtype=bool)
    if table.tie_keys:
        present = np.array([k in w.ties for k in table.tie_keys])
        ever = np.array([k in w.ever_ties for k in table.tie_keys])
        ok &= ~(table.requires & ~present).any(axis=1)
        ok &= ~(table.forbids & present).any(axis=1)
        ok &= ~(table.past & ~ever).any(axis=1)
    return remember_mask(model, key, ok)


def agreements_in_force(model: DisputeModel) -> np.ndarray:
    """``bound[i, j]``: an agreement in force binds both i and j."""
    n = len(model.actor_agents)
    bound = np.zeros((n, n), dtype=bool)
    for agreement in model.agreements.in_force():
        idx = [model.world.index[a] for a in agreement.signatories]
        bound[np.ix_(idx, idx)] = True
    return bound


def feasible_options(model: DisputeModel, agent: ActorAgent) -> list[Option]:
    """The candidates whose preconditions hold this month, in catalogue order."""
    table = model.option_table
    i = model.actor_agents.index(agent)
    mask = feasibility(model, table)[table.start[i]:table.stop[i]]
    return list(table.view(i, np.flatnonzero(mask)))


# --- utility ------------------------------------------------------------------------------------


def option_components(model: DisputeModel) -> np.ndarray:
    """The weighted utility components of every candidate (zeros for doing nothing)."""
    t, k, p, w = model.option_table, model.option_constants, model.params, model.world
    ideal, salience = model.ideals, model.saliences
    sq = w.status_quo
    freshness = 1.0 - model.usage.take(k.usage_flat)

    # position: the realised shift of each issue the act touches (the status quo stays in
    # [0, 1]) and, for coercion, the concession the actor expects to win; the public's gain
    # from the same shift (for the domestic component) in the same operations
    before = sq.take(t.slot_issue)
    shift = unit_clip(before + freshness[:, None] * t.slot_delta) - before
    salience_s = salience.take(k.rows_flat)
    preferences = np.where(model.traits.public_mask, model.traits.public_pair, ideal)
    gains = slot_gain(preferences.reshape(2, -1).take(k.rows_flat, axis=1), salience_s,
                      before, shift)
    if len(t.collapse_rows) and model.agreements.in_force():  # else abandoning is infeasible
        gains[:, t.collapse_rows] += reversion_gains(model, t.actor[t.collapse_rows])
    position = with_concessions(model, gains[0], freshness, ideal, salience)

    # reciprocity: what the actor received from its targets minus what it already answered,
    # in kind (a deed answers the account of deeds, a word that of words), and for a
    # countermeasure the account of coercive blows it closes
    accounts = np.empty((2, *w.received.shape))  # words, deeds
    np.subtract(w.received_deeds, w.given_deeds, out=accounts[1])
    np.subtract(w.received, w.given, out=accounts[0])
    accounts[0] -= accounts[1]
    balance = over_targets(k, accounts, k.kind_pair_flat)
    reciprocity = k.reciprocity * (balance / k.targets) + countermeasure_value(model)

    domestic = _domestic(model, gains[1], freshness)
    pressure = np.append(model.pressures, 0.0)  # the last entry: no patron
    ally_pressure = pressure.take(k.patrons).sum(axis=1) * k.pressure_term
    alliance = np.where(k.two, pressure.take(t.actor) * (
        w.tension.take(k.targets_flat) * k.mediation_scale * t.pair_tension + k.cooperative),
        ally_pressure)
    threat = _threat(model, freshness)
    components = k.constant_columns.copy()  # cost and disposition filled in
    restraint = calendar_restraint(model)
    if restraint is not None:
        components[:, COMPONENTS.index("cost")] -= p.weight_cost * restraint
    for name, weight, value in (("position", p.weight_position, position),
                                ("reciprocity", p.weight_reciprocity, reciprocity),
                                ("domestic", p.weight_domestic, domestic),
                                ("alliance", p.weight_alliance, alliance),
                                ("threat", p.weight_threat, threat)):
        np.multiply(weight, value, out=components[:, COMPONENTS.index(name)])
    components[k.idle_rows] = 0.0
    return components


def over_targets(k: OptionConstants, values: np.ndarray, pairs: list[np.ndarray]) -> np.ndarray:
    """Per option, ``values`` (an actor-by-actor array, read at the flat indices ``pairs``)
    summed over the option's one or two targets."""
    return (np.where(k.one, values.take(pairs[0]), 0.0)
            + np.where(k.two, values.take(pairs[1]), 0.0))


def calendar_restraint(model: DisputeModel) -> np.ndarray | None:
    """The extra cost of hostility this month (None when nobody is restrained): a government
    hosting a summit soon pays ``hosting_restraint`` per unit of any act's hostility, one with
    a vote ahead ``election_restraint`` per unit of a deed's (words are not restrained). It
    depends on the scenario's calendar only, so it is kept per month for the scenario's runs."""
    cache, month = model.option_constants.restraints, model.month_index
    if month not in cache:
        t, k, p = model.option_table, model.option_constants, model.params
        hosting = model.hosting_ahead[:, month]
        voting = model.elections_ahead[:, month]
        cache[month] = None
        if hosting.any() or voting.any():
            rate = (np.where(hosting.take(t.actor), p.hosting_restraint, 0.0)
                    + np.where(voting.take(t.actor) & t.deed, p.election_restraint, 0.0))
            cache[month] = rate * k.hostility
    return cache[month]


def countermeasure_value(model: DisputeModel) -> np.ndarray:
    """The part of a countermeasure's reciprocity that answers coercive blows. With ``b`` the
    open account of blows (the coercive measures received from the target minus the
    countermeasures already chosen toward it, in Goldstein/10) and ``g`` the act's, the answer
    is worth the square of the part of the account it closes less the square of any excess,
    ``min(|g|, |b|)**2 - max(|g| - |b|, 0)**2`` where positive: an answer of the blow's size is
    worth most, a smaller one less, one twice as large nothing (a proportionate answer in
    kind: Leng 1993; the proportionality of countermeasures, ILC Articles 2001, art. 51).
    Countermeasures are coercive acts and acts the catalogue tags ``countermeasure``; words
    answer words only (the general term)."""
    t, k, p, w = model.option_table, model.option_constants, model.params, model.world
    account = -(w.received_coercion - w.given_coercion).take(k.pair_flat[0])
    size = k.hostility  # |g| of a hostile act
    closed = np.minimum(size, account)
    excess = np.maximum(size - account, 0.0)
    value = np.where(t.countermeasure & k.one & (account > 0.0),
                     positive_part(closed * closed - excess * excess), 0.0)
    return p.coercion_reciprocity * k.reciprocity_trait * value


def reversion_gains(model: DisputeModel, actors: np.ndarray) -> np.ndarray:
    """``(2, rows)``: what abandoning the deal in force would bring the actor's government and
    its public. Abandoning moves the status quo on the negotiated issues ``collapse_reversion``
    of the way toward the government's ideal; the public's row is that move's gain for the
    public's ideal point. The government's row is its gain less the gain a government with the
    ideal of the one that signed would have had: the signatory accepted the terms as the best
    bargain it could strike, so a government of the same mind has nothing to win by undoing
    them, and one further from them wins by its distance (leaders from a different coalition
    than the one that made a commitment are the ones who break it: Leeds, Mattes & Vogel
    2009)."""
    idx = model.negotiation_issue_idx
    sq = model.world.status_quo[idx]
    shares = reversion_shares(model, actors)
    ideal = model.ideals[actors][:, idx]
    salience = model.saliences[actors][:, idx]
    public = np.where(model.traits.has_opinion[actors][:, None],
                      model.traits.public[actors][:, idx], ideal)
    signed = signing_ideals(model, actors, ideal)
    gains = np.stack([reversion_gain(sq, shares, ideal, ideal, salience),
                      reversion_gain(sq, shares, ideal, public, salience)])
    gains[0] -= reversion_gain(sq, shares, signed, signed, salience)
    return gains


def reversion_gain(sq: np.ndarray, shares: np.ndarray, toward: np.ndarray,
                   preferences: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """``(rows,)``: the salience-weighted gain, for ideal points ``preferences``, of moving the
    status quo ``shares`` of the way toward ``toward``."""
    after = sq + shares * (toward - sq)
    return (salience * ((sq - preferences) ** 2 - (after - preferences) ** 2)).sum(axis=1)


def signing_ideals(model: DisputeModel, actors: np.ndarray, current: np.ndarray) -> np.ndarray:
    """``(rows, negotiated issues)``: for each actor, the ideal point (on the negotiated issues)
    of the administration that signed the deal in force binding it (its current ideal if
    none binds it)."""
    signed = current.copy()
    in_force = model.agreements.in_force()
    for row, i in enumerate(actors):
        actor = model.actor_agents[i].actor_id
        for agreement in in_force:
            if actor in agreement.ideals_at_signing:
                signed[row] = agreement.ideals_at_signing[actor]
                break
    return signed


def reversion_shares(model: DisputeModel, actors: np.ndarray) -> np.ndarray:
    """``(actors, negotiated issues)``: how far abandoning the deals in force would move each
    issue toward the actor's ideal. ``collapse_reversion`` in general; on the claims issues of
    a deal whose money the victims accepted, only the share of victims who refused it, since
    claims paid and accepted cannot be reopened by the government (usip-2023-mend-ties#P16:
    the plaintiffs who refused keep suing; #P30: closure for the victims is what makes a
    settlement last). This is how a victim-inclusive deal, refused by few, becomes harder to
    undo: through what the victims did, not a protection factor."""
    shares = np.full((len(actors), len(model.negotiation_issue_idx)),
                     model.params.collapse_reversion)
    claims = model.claims_issue_mask
    if not claims.any():
        return shares
    for agreement in model.agreements.in_force():
        if not agreement.claims_settled:
            continue
        bound = np.isin(actors, [model.agent_by_id[a].index for a in agreement.signatories])
        shares[np.ix_(bound, claims)] *= agreement.refusal
    return shares


def with_concessions(model: DisputeModel, position: np.ndarray, freshness: np.ndarray,
                     ideal: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Add what a coercer expects to win from its targets; lifting a coercive measure gives
    up the concession it was meant to win (at full strength)."""
    t, k = model.option_table, model.option_constants
    if k.both:  # an act that both coerces and lifts coercion: the two terms in turn
        position = np.where(t.coercion, position + concessions(model, freshness, ideal,
                                                               salience), position)
        return np.where(t.lifts_coercion, position - concessions(
            model, np.ones(len(position)), ideal, salience), position)
    conceded = concessions(model, np.where(t.coercion, freshness, 1.0), ideal, salience)
    return np.where(t.coercion, position + conceded,
                    np.where(t.lifts_coercion, position - conceded, position))


def concessions(model: DisputeModel, scale: np.ndarray, ideal: np.ndarray,
                salience: np.ndarray) -> np.ndarray:
    """What a coercer expects to win from its targets (summed over them): each state target
    yields part of the way on the issue where the coercer's salience-weighted disagreement with
    the status quo is largest (coercive diplomacy: Schelling 1966; George 1991). The share
    yielded grows with the coercer's share of the pair's capability. It is an expectation
    only: the target decides for itself."""
    t, k = model.option_table, model.option_constants
    sq = model.world.status_quo
    worst = (salience * np.abs(ideal - sq)).argmax(axis=1)
    flat = worst + k.issue_offsets  # (actor, worst issue) in the flattened matrices
    per_actor = np.empty((3, len(ideal)))
    ideal_w, sq_w = ideal.take(flat), sq.take(worst)
    np.subtract(ideal_w, sq_w, out=per_actor[0])
    np.subtract(sq_w, ideal_w, out=per_actor[1])
    per_actor[2] = salience.take(flat)
    gap, before, weight = per_actor.take(t.actor, axis=1)
    # both target slots at once, added left to right as one slot after the other
    after = before + scale * model.params.coercion_yield * k.share2 * gap
    gain = np.where(k.yields2, 0.0 + weight * (before * before - after * after), 0.0)
    total = 0.0 + gain[0]
    for slot in gain[1:]:
        total = total + slot
    return total


def _domestic(model: DisputeModel, public_gain: np.ndarray,
              freshness: np.ndarray) -> np.ndarray:
    """The home audience's verdict on an act (zero for actors without a public)."""
    t, k, p, w = model.option_table, model.option_constants, model.params, model.world
    # the public rewards standing up to a disliked target, less so the third time in a row;
    # its dislike is the scenario's animus plus the anger the target's coercion provoked
    dislike = np.minimum(model.traits.hostility + w.anger, 1.0)
    rally = freshness * over_targets(k, dislike, k.pair_flat) * k.minus_g
    reversal = np.where(reverses_own_measure(model), p.audience_cost, 0.0)
    value = rally + public_gain + k.approval - reversal
    boost = np.where(model.elections_ahead[:, model.month_index], p.election_boost, 1.0)
    # audience * boost * unpopularity per actor: the same products, taken per candidate
    weight = model.traits.audience * boost * (p.unpopularity_base - w.approval)
    return np.where(k.has_opinion, weight.take(t.actor) * value, 0.0)


def reverses_own_measure(model: DisputeModel) -> np.ndarray:
    """Undoing a measure the same administration took costs it face at home (per candidate).
    Measures are rarely taken, so the answer is kept for the measures and administrations."""
    t = model.option_table
    key = ("measures", *((a.administration, *a.measures_taken.items())
                         for a in model.actor_agents))
    cached = model.tie_masks.get(key)
    if cached is not None:
        return cached
    own = np.zeros((len(model.actor_agents), len(t.action_ids) + 1), dtype=bool)
    for i, agent in enumerate(model.actor_agents):
        for action_id, admin in agent.measures_taken.items():
            own[i, model.action_index[action_id]] = admin == agent.administration
    return remember_mask(model, key, own[t.actor, t.reverses])  # -1: the always-False column


def remember_mask(model: DisputeModel, key: tuple, mask: np.ndarray) -> np.ndarray:
    """Keep a per-candidate mask for a state of the world that recurs (bounded cache)."""
    if len(model.tie_masks) > 64:
        model.tie_masks.clear()
    model.tie_masks[key] = mask
    return mask


def _threat(model: DisputeModel, freshness: np.ndarray) -> np.ndarray:
    """Security cooperation under threat reassures (the tenth drill in a row less than the
    first); ending it, or quarrelling with those who face the same adversary, is costly."""
    t, k, p = model.option_table, model.option_constants, model.params
    threat_actor = model.world.threat
    threat = threat_actor.take(t.actor)
    restraint = (p.quarrel_restraint * threat_actor).take(t.actor)
    value = 0.0 + np.where(t.reassuring, freshness * threat, 0.0)
    value = np.where(t.withdrawal, value - restraint, value)
    quarrel = restraint * k.hostility
    for mask in k.quarrel:
        value = np.where(mask, value - quarrel, value)
    return np.where(threat != 0.0, value, 0.0)


def month_options(model: DisputeModel) -> MonthOptions:
    """The month's options, computed once per snapshot of the world for all actors at once.

    Each actor's logit is the one of :func:`~sim.utility.logit_probabilities` over its own
    feasible options (the same operations on the same values: the segments' maxima and the
    elementwise steps are shared, each segment's sum is its own)."""
    if model.month_options is not None:
        return model.month_options
    table = model.option_table
    rows = np.flatnonzero(feasibility(model, table))
    components = option_components(model)[rows]
    cuts = rows.searchsorted(model.option_constants.bounds)
    counts = cuts[1:] - cuts[:-1]
    if not counts.all():  # an actor without a feasible option: the catalogue lacks `wait`
        raise ValueError("every actor needs a feasible option (the catalogue's idle act)")
    totals = components.sum(axis=1)
    z = (totals - np.maximum.reduceat(totals, cuts[:-1]).repeat(counts))
    e = np.exp(z / model.params.choice_temperature)
    # each actor's own sum (numpy's pairwise summation of its segment, as in the logit)
    sums = np.array([e[a:b].sum() for a, b in zip(cuts[:-1], cuts[1:], strict=True)])
    local = rows - model.option_constants.bounds[:-1].repeat(counts)
    model.month_options = MonthOptions(rows, cuts, components, e / sums.repeat(counts), local,
                                       cuts.tolist())
    return model.month_options


def utility_components(model: DisputeModel, agent: ActorAgent, option: Option) -> list[float]:
    """The weighted utility components of one option, for the world as it is now."""
    i = model.actor_agents.index(agent)
    table = model.option_table
    row = option_components(model)[table.start[i] + table.position[i][option]]
    return [float(v) for v in row]


# --- choice -------------------------------------------------------------------------------------


def decide(model: DisputeModel, agent: ActorAgent) -> Decision:
    """The actor's logit choice among this month's feasible options (one uniform draw)."""
    month = month_options(model)
    table = model.option_table
    i = agent.index
    a, b = month.bounds[i], month.bounds[i + 1]
    probabilities = month.probabilities[a:b]
    chosen = logit_draw(model.rng, probabilities)
    return Decision(agent.actor_id, table.view(i, month.local[a:b]),
                    month.components[a:b], probabilities, chosen)
