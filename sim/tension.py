"""Dyadic tension and cooperation, updated from the month's events and relaxing toward each
dyad's floor (MODEL.md 5.6).

Event-data practice (Goldstein 1992; Azar's COPDAB) treats the Goldstein value of an event as
its conflict-cooperation intensity; here hostile events push tension up and cooperation down,
cooperative ones the reverse, with saturating updates that keep both in [0, 1]. Without new
events a dyad relaxes toward its historical baseline (the grievance never drops to zero), a
floor that ties in force shift: sanctions hold tension up, intelligence sharing and trade
status hold cooperation up. The same events feed the actors' memories of what they received
(for reciprocity) and of the threats they face.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.utility import unit_clip
from sim.world import World

# Coercive measures in CAMEO: embargoes, boycotts and sanctions (163) and the "coerce" family
# (17: seizures, administrative sanctions such as export controls, arrests...). A coercive blow
# received opens an account that calls for an answer in kind (decision: reciprocity).
COERCIVE_CAMEO = ("163", "17")
MATERIAL_CONFLICT = 4  # the QuadClass of material conflict
VERBAL = (1, 3)  # the QuadClasses of verbal cooperation and verbal conflict
MATERIAL = (2, 4)  # the QuadClasses of material cooperation and material conflict
COUNTERMEASURE_TAG = "countermeasure"  # catalogue tag: answers coercive blows besides coercion


def is_coercive(cameo: str) -> bool:
    """Whether an event of this CAMEO code is a coercive measure (sanction, seizure...)."""
    return cameo.startswith(COERCIVE_CAMEO)


def is_countermeasure(cameo: str, tags: list[str]) -> bool:
    """Whether an act answers coercive blows: a coercive measure in kind, or an act the
    catalogue tags ``countermeasure`` (a WTO complaint against a trade measure, a security
    pact suspended in protest)."""
    return is_coercive(cameo) or COUNTERMEASURE_TAG in tags


class Impact(NamedTuple):
    """One event as the dyadic mechanisms see it: who did what to whom (a named tuple: a
    month creates several, and a tuple is cheaper to make than a frozen dataclass)."""

    source: int | None  # None: not a modelled actor (and attributed to no one)
    targets: tuple[int, ...]
    goldstein: float
    quad_class: int
    security_cooperation: bool = False
    chosen: bool = True  # an actor's own decision, not a scripted event attributed to it
    coercive: bool = False  # a sanction, seizure or other coercive measure (is_coercive)
    countermeasure: bool = False  # an answer to coercive blows (coercive, or tagged so)


def monthly_impulses(n: int, impacts: list[Impact], verbal_weight: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hostile and cooperative impulses per dyad (symmetric) and the Goldstein sum per dyad;
    a verbal act's impulse (QuadClass 1 and 3) is ``verbal_weight`` of its Goldstein value."""
    hostile, friendly, goldstein = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    for ev in impacts:
        if ev.source is None:
            continue
        weight = verbal_weight if ev.quad_class in VERBAL else 1.0
        for t in ev.targets:
            g = weight * ev.goldstein / 10.0
            for a, b in ((ev.source, t), (t, ev.source)):
                hostile[a, b] += max(-g, 0.0)
                friendly[a, b] += max(g, 0.0)
                goldstein[a, b] += ev.goldstein
    return hostile, friendly, goldstein


def update_relations(world: World, impacts: list[Impact], gain_t: float, gain_c: float,
                     relaxation: float, cross_effect: float, verbal_weight: float
                     ) -> np.ndarray:
    """Apply a month's events to tension and cooperation; return the dyadic Goldstein sums.

    ``cross_effect`` is how much a cooperative act lowers tension (and a hostile one lowers
    cooperation) relative to how much it raises cooperation (tension); ``verbal_weight`` how
    much a word moves them relative to a deed of the same Goldstein value: statements are
    cheap talk, deeds costly signals (Fearon 1997), so deeds say more about intentions."""
    n = len(world.actors)
    hostile, friendly, goldstein = monthly_impulses(n, impacts, verbal_weight)
    t, c = world.tension, world.cooperation
    t += gain_t * (hostile * (1.0 - t) - cross_effect * friendly * t)
    c += gain_c * (friendly * (1.0 - c) - cross_effect * hostile * c)
    floor_t, floor_c = relation_floors(world)
    t += relaxation * (floor_t - t)
    c += relaxation * (floor_c - c)
    t.clip(0.0, 1.0, out=t)
    c.clip(0.0, 1.0, out=c)
    t.flat[::n + 1] = 0.0  # the diagonal, as np.fill_diagonal sets it
    c.flat[::n + 1] = 0.0
    return goldstein


def relation_floors(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Baselines shifted by the ties in force between each pair (kept per set of ties: ties
    change rarely; the floors are read, never written)."""
    key = ("floors", frozenset(world.ties))
    floors = world.by_ties.get(key)
    if floors is None:
        if len(world.by_ties) > 64:
            world.by_ties.clear()
        floors = world.by_ties[key] = compute_floors(world)
    return floors


def compute_floors(world: World) -> tuple[np.ndarray, np.ndarray]:
    n = len(world.actors)
    coop, hostile = np.zeros((n, n)), np.zeros((n, n))
    index = world.index
    for name, a, b in sorted(world.ties):  # the order of World.tie_floor_shift's sums
        if a not in index or b not in index:
            continue
        i, j = sorted((index[a], index[b]))
        (hostile if world.tie_hostile[name] else coop)[i, j] += world.tie_weight[name]
    coop, hostile = coop + coop.T, hostile + hostile.T
    np.fill_diagonal(coop, 0.0)
    np.fill_diagonal(hostile, 0.0)
    floor_c = unit_clip(world.base_cooperation + (coop - hostile))
    raised = world.base_tension + hostile
    floor_t = np.where(raised < 1.0, raised, 1.0)
    return floor_t, floor_c


def update_memories(world: World, impacts: list[Impact], memory: float,
                    alliance_threat: float, coercion_memory: float,
                    sanction_rally: float = 0.0) -> None:
    """Decay what each actor remembers receiving, then add this month's acts.

    All are exponentially decayed sums of monthly amounts (Goldstein/10), so an act is felt in
    full the month it happens and the memory sets how fast it is forgotten (forgiveness).
    Reciprocity answers in kind and degree (Leng 1993; Goldstein & Pevehouse 1997), so the acts
    are kept in three accounts, each answered only by acts of its own kind:

    - ``received[i, j]`` sums what i received from j as i perceives it (a court ruling counts as
      its government's act) and ``given[i, j]`` what i itself chose to do to j;
      ``received_deeds`` and ``given_deeds`` are their material part (QuadClass 2 and 4):
      words answer words and deeds answer deeds;
    - ``received_coercion`` sums, besides, the coercive blows i received from j (sanctions,
      controls, seizures: :func:`is_coercive`) and ``given_coercion`` the countermeasures i
      chose toward j (coercive acts and acts the catalogue tags ``countermeasure``, such as a
      WTO complaint), both forgotten at the slower ``coercion_memory``: a costly blow is a
      clearer signal than a word (Fearon 1997), it calls for a countermeasure of its size, and
      goodwill does not close it;
    - ``anger[i, j]`` is what the coercive blows i received from j add to the hostility of i's
      public toward j: ``sanction_rally`` times their size, forgotten at ``coercion_memory``.
      Sanctions rally the target's public against the sender rather than against its own
      government (Galtung 1967; Mueller 1970 on rallies round the flag);
    - ``threat[i]`` averages material conflict from i's adversaries and security cooperation
      among those adversaries (one side's alliance is the other's threat); ``alliance_threat``
      is how much an adversaries' act of security cooperation weighs against a show of force
      aimed at oneself.
    """
    n = len(world.actors)
    received, given, threat = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
    received_d, given_d = np.zeros((n, n)), np.zeros((n, n))
    received_c, given_c = np.zeros((n, n)), np.zeros((n, n))
    adv = world.adversary
    for ev in impacts:
        if ev.source is None:
            continue
        g = ev.goldstein / 10.0
        blow = ev.coercive and g < 0.0
        answer = ev.countermeasure and g < 0.0
        deed = ev.quad_class in MATERIAL
        for t in ev.targets:
            received[t, ev.source] += g
            if deed:
                received_d[t, ev.source] += g
            if blow:
                received_c[t, ev.source] += g
            if ev.chosen:  # any act answers the account of its kind; a countermeasure, blows
                given[ev.source, t] += g
                if deed:
                    given_d[ev.source, t] += g
                if answer:
                    given_c[ev.source, t] += g
            if ev.quad_class == MATERIAL_CONFLICT and adv[t, ev.source]:
                threat[t] += max(-g, 0.0)
        if ev.security_cooperation:
            parties = [ev.source, *ev.targets]
            watchers = adv[:, parties].all(axis=1)
            threat[watchers] += alliance_threat * max(g, 0.0)
    world.received = memory * world.received + received
    world.given = memory * world.given + given
    world.received_deeds = memory * world.received_deeds + received_d
    world.given_deeds = memory * world.given_deeds + given_d
    world.threat = memory * world.threat + threat
    world.received_coercion = coercion_memory * world.received_coercion + received_c
    world.given_coercion = coercion_memory * world.given_coercion + given_c
    world.anger = coercion_memory * world.anger - sanction_rally * received_c
