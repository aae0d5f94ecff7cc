"""The shared state of the simulated world: the status quo in issue space, dyadic tension and
cooperation, institutional ties, memories of what each actor received, and domestic approval.

Mechanism modules read and change this state; the Mesa model owns one instance. Arrays are
indexed by actor (in scenario order) and by issue (in scenario order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.scenario import LoadedScenario
from sim.scenario.checks import dyad_id

Tie = tuple[str, str, str]  # (name, a, b): a<b for undirected ties, a->b for directed ones


@dataclass
class World:
    actors: list[str]
    issues: list[str]
    status_quo: np.ndarray
    tension: np.ndarray
    cooperation: np.ndarray
    base_tension: np.ndarray
    base_cooperation: np.ndarray
    alliance: np.ndarray
    adversary: np.ndarray
    tie_directed: dict[str, bool]
    tie_weight: dict[str, float]
    tie_hostile: dict[str, bool]
    ties: set[Tie] = field(default_factory=set)
    transient: np.ndarray | None = None  # the part of the status quo that fades (MODEL 5.6)
    ever_ties: set[Tie] = field(default_factory=set)
    received: np.ndarray | None = None  # received[i, j]: decayed Goldstein/10 i got from j
    given: np.ndarray | None = None  # given[i, j]: decayed Goldstein/10 i chose to do to j
    # the same for deeds only (material acts, QuadClass 2 and 4): reciprocity answers in kind,
    # words with words and deeds with deeds (tension.update_memories, decision)
    received_deeds: np.ndarray | None = None
    given_deeds: np.ndarray | None = None
    # the account of coercive blows: received (sanctions, seizures) and answered
    # (countermeasures), remembered at their own rate (tension.update_memories)
    received_coercion: np.ndarray | None = None
    given_coercion: np.ndarray | None = None
    threat: np.ndarray | None = None
    # anger[i, j]: how much coercive blows from j have added to the hostility of i's public
    # toward j (a sanction rallies the target's public against the sender; tension.update_memories)
    anger: np.ndarray | None = None
    approval: np.ndarray | None = None
    approval_base: np.ndarray | None = None
    # what depends on the ties in force only, kept per set of ties (see tension.relation_floors)
    by_ties: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.actors)
        self.index = {a: i for i, a in enumerate(self.actors)}
        self.issue_index = {k: i for i, k in enumerate(self.issues)}
        if self.received is None:
            self.received = np.zeros((n, n))
        if self.given is None:
            self.given = np.zeros((n, n))
        if self.received_deeds is None:
            self.received_deeds = np.zeros((n, n))
        if self.given_deeds is None:
            self.given_deeds = np.zeros((n, n))
        if self.received_coercion is None:
            self.received_coercion = np.zeros((n, n))
        if self.given_coercion is None:
            self.given_coercion = np.zeros((n, n))
        if self.threat is None:
            self.threat = np.zeros(n)
        if self.anger is None:
            self.anger = np.zeros((n, n))
        if self.transient is None:
            self.transient = np.zeros(len(self.issues))

    # --- ties -----------------------------------------------------------------------------

    def tie(self, name: str, a: str, b: str) -> Tie:
        """The tie key: directed ties keep their direction, undirected ones are sorted."""
        if self.tie_directed[name]:
            return (name, a, b)
        return (name, *sorted((a, b)))

    def resolve(self, ref: str, actor: str, target: str) -> Tie:
        """A catalogue tie reference (``white_list:actor>target``) for a concrete pair."""
        name, _, direction = ref.partition(":")
        if direction == "target>actor":
            return self.tie(name, target, actor)
        return self.tie(name, actor, target)

    def ties_between(self, a: str, b: str) -> list[Tie]:
        return sorted(t for t in self.ties if {t[1], t[2]} == {a, b})

    def tie_floor_shift(self, a: str, b: str) -> tuple[float, float]:
        """How the ties in force raise the dyad's cooperation floor and its tension floor."""
        coop = hostile = 0.0
        for name, *_ in self.ties_between(a, b):
            if self.tie_hostile[name]:
                hostile += self.tie_weight[name]
            else:
                coop += self.tie_weight[name]
        return coop - hostile, hostile

    def dyads(self) -> list[tuple[int, int]]:
        n = len(self.actors)
        return [(i, j) for i in range(n) for j in range(i + 1, n)]

    def dyad_name(self, i: int, j: int) -> str:
        return dyad_id(self.actors[i], self.actors[j])


def _tie_from_ref(world: World, ref: str, a: str, b: str) -> Tie:
    """A scenario tie reference (``gsomia`` or ``white_list:JPN>KOR``) for the dyad a-b."""
    name, _, direction = ref.partition(":")
    ends = direction.split(">") if direction else [a, b]
    return world.tie(name, ends[0], ends[1])


def build_world(loaded: LoadedScenario) -> World:
    s, cat = loaded.scenario, loaded.catalogue
    actors, issues = list(s.actors), list(s.issues)
    n = len(actors)
    d = s.relation_defaults
    mats = {k: np.full((n, n), getattr(d, k)) for k in
            ("tension", "cooperation", "baseline_tension", "baseline_cooperation")}
    alliance = np.zeros((n, n), dtype=bool)
    adversary = np.zeros((n, n), dtype=bool)
    world = World(
        actors=actors,
        issues=issues,
        status_quo=np.array([s.status_quo[k] for k in issues], dtype=float),
        tension=mats["tension"],
        cooperation=mats["cooperation"],
        base_tension=mats["baseline_tension"],
        base_cooperation=mats["baseline_cooperation"],
        alliance=alliance,
        adversary=adversary,
        tie_directed={k: t.directed for k, t in cat.ties.items()},
        tie_weight={k: t.cooperation for k, t in cat.ties.items()},
        tie_hostile={k: t.hostile for k, t in cat.ties.items()},
    )
    for key, rel in s.relations.items():
        a, b = key.split("-")
        i, j = world.index[a], world.index[b]
        for attr, mat in (("tension", world.tension), ("cooperation", world.cooperation),
                          ("baseline_tension", world.base_tension),
                          ("baseline_cooperation", world.base_cooperation)):
            value = getattr(rel, attr)
            if value is not None:
                mat[i, j] = mat[j, i] = value
        alliance[i, j] = alliance[j, i] = rel.alliance
        adversary[i, j] = adversary[j, i] = rel.adversary
        for ref in rel.ties:
            world.ties.add(_tie_from_ref(world, ref, a, b))
        for ref in rel.past_ties:
            world.ever_ties.add(_tie_from_ref(world, ref, a, b))
    for m in (world.tension, world.cooperation, world.base_tension, world.base_cooperation):
        np.fill_diagonal(m, 0.0)
    world.ever_ties |= world.ties
    approval = np.array([s.actors[a].opinion.approval if s.actors[a].opinion else 0.5
                         for a in actors])
    world.approval, world.approval_base = approval.copy(), approval.copy()
    return world
