"""The instructor's small menu of exogenous shocks (the "inject" of ICONS and Statecraft).

Actors are data, not code: a shock names the parts it needs by *role*, and the roles are found
in the scenario - the claimant government (a negotiating government tagged ``claimant``), the
former colonial power (tagged ``colonial_power``), the victims' groups (``negotiation.victims``),
a missile power (tagged ``missile_power``). A shock whose roles or issues the scenario lacks is
not offered. Injected shocks are classroom devices, not evidence: their sizes are stated
assumptions of the same order as the scenarios' scripted events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.scenario import LoadedScenario
from sim.scenario.schema import ScriptedEvent


@dataclass(frozen=True)
class Shock:
    """A template: ``{role}`` placeholders in ties are filled from the scenario."""

    label: str
    kind: str
    source_role: str | None  # the actor the event counts as (its government), if any
    target_role: str | None
    cameo: str
    goldstein: float
    quad_class: int
    status_quo: dict[str, float] = field(default_factory=dict)
    approval: dict[str, float] = field(default_factory=dict)  # role -> change
    add_ties: tuple[str, ...] = ()
    source_label: str = "EXOGENOUS"
    source_optional: bool = False  # offered without the source role (then counted against nobody)


SHOCKS: dict[str, Shock] = {
    "asset_sale": Shock(
        label="A court orders the sale of a Japanese firm's seized assets to pay the plaintiffs",
        kind="ruling", source_role="claimant", target_role="colonial", cameo="116",
        goldstein=-4.0, quad_class=4, status_quo={"compensation": -0.05},
        add_ties=("asset_seizure:{victims}>{colonial}",), source_label="COURT",
    ),
    "denial": Shock(
        label="A senior Japanese politician says the comfort women were not coerced",
        kind="incident", source_role="colonial", target_role="claimant", cameo="111",
        goldstein=-3.0, quad_class=3, status_quo={"apology": -0.04},
        approval={"claimant": -0.02}, source_label="POLITICIAN",
    ),
    "survivor": Shock(
        label="A well-known survivor dies without having received an apology; mourning and anger",
        kind="incident", source_role=None, target_role="claimant", cameo="000",
        goldstein=0.0, quad_class=0, approval={"claimant": -0.04}, source_label="NEWS",
    ),
    "missile": Shock(
        label="A ballistic missile flies over Japan; alarm in Tokyo and Seoul",
        kind="incident", source_role="missile", target_role="colonial", cameo="195",
        goldstein=-9.5, quad_class=4, status_quo={"security": 0.04, "nk_policy": 0.03},
        source_label="MISSILE", source_optional=True,
    ),
    "chips": Shock(
        label="A global chip shortage makes Korean-Japanese supply chains urgent",
        kind="other", source_role=None, target_role=None, cameo="000", goldstein=0.0,
        quad_class=0, status_quo={"trade": 0.04}, source_label="MARKETS",
    ),
    "scandal": Shock(
        label="A corruption scandal shakes Seoul's government",
        kind="crisis", source_role=None, target_role=None, cameo="000", goldstein=0.0,
        quad_class=0, approval={"claimant": -0.08}, source_label="NEWS",
    ),
}
ASSUMPTION = "classroom inject chosen by the instructor; sized like the scenarios' scripted events"


def roles(loaded: LoadedScenario) -> dict[str, str]:
    """Role -> actor id, for the roles this scenario has."""
    s = loaded.scenario
    found: dict[str, str] = {}
    vetoes = s.negotiation.veto_players
    for actor_id in vetoes:
        tags = set(s.actors[actor_id].tags)
        if "claimant" in tags:
            found.setdefault("claimant", actor_id)
        if "colonial_power" in tags:
            found.setdefault("colonial", actor_id)
    for actor_id, actor in s.actors.items():
        if "missile_power" in actor.tags:
            found.setdefault("missile", actor_id)
    if s.negotiation.victims:
        found["victims"] = s.negotiation.victims
    return found


def _needed_roles(shock: Shock) -> set[str]:
    needed = {shock.target_role} if shock.target_role else set()
    if shock.source_role and not shock.source_optional:
        needed.add(shock.source_role)
    needed |= set(shock.approval)
    for tie in shock.add_ties:
        needed |= {part.strip("{}") for part in tie.split(":")[1].split(">")}
    return needed


def available(loaded: LoadedScenario, shock: Shock) -> bool:
    """The scenario has every role, issue and tie the shock refers to."""
    have = roles(loaded)
    issues = loaded.scenario.issues
    ties = loaded.catalogue.ties
    return (_needed_roles(shock) <= set(have) and set(shock.status_quo) <= set(issues)
            and all(t.split(":")[0] in ties for t in shock.add_ties))


def menu(loaded: LoadedScenario) -> dict[str, str]:
    """Shock id -> label, for the shocks this scenario supports."""
    return {sid: shock.label for sid, shock in SHOCKS.items() if available(loaded, shock)}


def build(loaded: LoadedScenario, shock_id: str) -> ScriptedEvent | None:
    """The shock as a scripted event of this scenario, dated now; None if it does not apply."""
    shock = SHOCKS.get(shock_id)
    if shock is None or not available(loaded, shock):
        return None
    have = roles(loaded)
    source = have.get(shock.source_role) if shock.source_role else None
    data: dict[str, Any] = {
        "label": f"(injected) {shock.label}",
        "kind": shock.kind,
        "actor": f"{shock.source_label}-{source}" if source else shock.source_label,
        "attribute_to": source,
        "target": [have[shock.target_role]] if shock.target_role else [],
        "rate": 0.0,  # never fires by itself; only when injected
        "cameo": shock.cameo,
        "goldstein": shock.goldstein,
        "quad_class": shock.quad_class,
        "effects": {
            "status_quo": dict(shock.status_quo),
            "approval": {have[r]: v for r, v in shock.approval.items()},
            "add_ties": [t.format(**have) for t in shock.add_ties],
            "assumption": ASSUMPTION,
        },
        "assumption": ASSUMPTION,
    }
    return ScriptedEvent.model_validate(data)
