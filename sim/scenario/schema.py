"""The scenario format as pydantic models: what a scenario, the action catalogue and the
bibliography may contain, with types and ranges. Cross-references between parts (actor ids,
issue ids, tie ids) and provenance are checked in :mod:`sim.scenario.checks`.

Numbers are written either bare (covered by the ``source:`` or ``assumption:`` of the mapping
they stand in) or as ``{value: 0.6, source: usip-2023-mend-ties#P15}``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(-\d{2})?$")
# a run steps through every month from start to end: the horizon is bounded so that a typo in
# a year (0000-01) cannot make a run that never ends
MAX_MONTHS = 1200
ID_RE = r"^[A-Za-z][A-Za-z0-9_+\-]*$"
CAMEO_RE = r"^\d{2,4}$"
TIE_REF_RE = r"^[a-z][a-z0-9_]*(:[A-Za-z][A-Za-z0-9_]*>[A-Za-z][A-Za-z0-9_]*)?$"


def _unwrap_cited(value: Any) -> Any:
    """Accept ``{value: x, source: ...}`` / ``{value: x, assumption: ...}`` for any number."""
    if isinstance(value, dict) and "value" in value:
        extra = set(value) - {"value", "source", "assumption"}
        if extra:
            raise ValueError(
                f"unexpected key(s) {sorted(extra)} beside value (inside {{...}} a comma starts "
                "a new key: put text with commas in quotes)"
            )
        value = value["value"]
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _not_bool(value: Any) -> Any:
    """YAML reads `true` as a boolean, which Python (and pydantic's lax mode) would take as 1."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _to_month(value: Any) -> Any:
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        match = MONTH_RE.match(value.strip())
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    raise ValueError("expected a month as YYYY-MM")


def months_from(start: str, end: str) -> int:
    """Months from one YYYY-MM to another (0 for the same month)."""
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


def _strip_provenance(value: Any) -> Any:
    """Maps of numbers (issue -> value) may carry their own source/assumption keys."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ("source", "assumption")}
    return value


Num = Annotated[float, BeforeValidator(_unwrap_cited)]
Unit = Annotated[float, BeforeValidator(_unwrap_cited), Field(ge=0.0, le=1.0)]
Signed = Annotated[float, BeforeValidator(_unwrap_cited), Field(ge=-1.0, le=1.0)]
NonNeg = Annotated[float, BeforeValidator(_unwrap_cited), Field(ge=0.0, le=1000.0)]
Positive = Annotated[float, BeforeValidator(_unwrap_cited), Field(gt=0.0, le=1000.0)]
Goldstein = Annotated[float, BeforeValidator(_unwrap_cited), Field(ge=-10.0, le=10.0)]
# a capability divides the coercion model's share of power: zero is not a capability
Capability = Annotated[float, BeforeValidator(_unwrap_cited), Field(gt=0.0, le=1.0)]
Whole = Annotated[int, BeforeValidator(_not_bool)]
Real = Annotated[float, BeforeValidator(_not_bool)]
Seed = Annotated[Whole, Field(ge=0, lt=2**32)]
QuadClass = Annotated[Whole, Field(ge=0, le=4)]
Month = Annotated[str, BeforeValidator(_to_month)]
Id = Annotated[str, Field(pattern=ID_RE, max_length=40)]
UnitMap = Annotated[dict[Id, Unit], BeforeValidator(_strip_provenance)]
SignedMap = Annotated[dict[Id, Signed], BeforeValidator(_strip_provenance)]
TieRef = Annotated[str, Field(pattern=TIE_REF_RE, max_length=80)]
Kind = Literal["state", "group"]
Posture = Literal["passive", "shuttle", "envoy"]


class Strict(BaseModel):
    """Unknown keys, NaN and infinities are errors everywhere."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class Cited(Strict):
    """A mapping whose bare numbers are covered by one citation or one stated assumption."""

    source: str | None = None
    assumption: str | None = None


# --- scenario ---------------------------------------------------------------------------------


class Meta(Strict):
    title: str = Field(min_length=1, max_length=200)
    question: str = Field("", max_length=300, description="the question the scenario asks")
    description: str = ""
    start: Month
    end: Month
    seed: Seed
    catalogue: str = "actions.yaml"
    sources: str = "sources.yaml"
    key_dyads: list[str] = []
    trilateral: list[Id] = []

    @model_validator(mode="after")
    def _ordered(self) -> Meta:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if months_from(self.start, self.end) >= MAX_MONTHS:
            raise ValueError(f"{self.start} to {self.end} is more than {MAX_MONTHS} months "
                             f"({MAX_MONTHS // 12} years), the longest run a scenario may ask for")
        return self


class Issue(Strict):
    label: str
    zero: str = Field(min_length=1, description="what position 0 means")
    one: str = Field(min_length=1, description="what position 1 means")


class Stance(Cited):
    position: Unit
    salience: Unit


class Opinion(Cited):
    """A state's domestic audience (two-level games: Putnam 1988)."""

    approval: Unit
    public: UnitMap = Field(description="the median voter's ideal point per issue")
    audience: Unit = Field(description="weight of domestic politics in the government's choices")
    hostility: UnitMap = Field(default={}, description="public animus toward other actors")


class Administration(Cited):
    leader: str
    camp: str = ""
    start: Month
    end: Month | None = None
    positions: dict[Id, Stance] = {}
    mediation: Posture | None = Field(
        default=None, description="the posture this administration takes toward its allies' "
                                  "disputes (default: the actor's own)")
    alliance_pressure: Unit | None = Field(
        default=None, description="its pressure on its allies (default: the actor's own)")


class Actor(Cited):
    name: str
    kind: Kind
    colour: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    tags: list[Id] = []
    capability: Capability
    reciprocity: Unit
    risk: Signed = Field(description="risk attitude: -1 averse, 0 neutral, 1 acceptant")
    positions: dict[Id, Stance]
    opinion: Opinion | None = None
    administrations: dict[Id, Administration] = {}
    alliance_pressure: Unit = 0.0
    mediation: Posture = "passive"
    inclinations: SignedMap = {}
    consent_of: list[Id] = []

    @model_validator(mode="after")
    def _kind_rules(self) -> Actor:
        if self.kind == "group" and (self.administrations or self.opinion):
            raise ValueError("a group has no administrations or domestic opinion (states only)")
        if self.kind == "state" and self.opinion is None:
            raise ValueError("a state needs an `opinion` block (approval, public, audience)")
        return self


class Relation(Cited):
    baseline_tension: Unit | None = None
    tension: Unit | None = None
    cooperation: Unit | None = None
    baseline_cooperation: Unit | None = None
    alliance: bool = False
    adversary: bool = False
    ties: list[TieRef] = []
    past_ties: list[TieRef] = Field(
        default=[], description="ties held before the start but not in force at it"
    )


class RelationDefaults(Cited):
    baseline_tension: Unit
    tension: Unit
    cooperation: Unit
    baseline_cooperation: Unit


class EventEffects(Cited):
    status_quo: SignedMap = {}
    approval: SignedMap = {}
    add_ties: list[TieRef] = []
    remove_ties: list[TieRef] = []


class ScriptedEvent(Cited):
    """Something no modelled actor chooses: a court ruling, an election, an incident."""

    label: str
    kind: Literal["ruling", "election", "hosting", "incident", "crisis", "other"] = Field(
        default="other",
        description="an election or a hosted summit is its actor's domestic or diplomatic "
                    "calendar (the decisions read it); the others are plain events",
    )
    actor: str = Field(description="who acts, e.g. COURT-KOR; need not be a modelled actor")
    attribute_to: Id | None = Field(default=None, description="modelled actor it counts against")
    target: list[Id] = []
    date: Month | None = None
    rate: Unit | None = Field(default=None, description="monthly probability")
    window_start: Month | None = None
    window_end: Month | None = None
    cameo: str = Field(pattern=CAMEO_RE)
    goldstein: Goldstein
    quad_class: QuadClass
    effects: EventEffects = EventEffects()

    @model_validator(mode="before")
    @classmethod
    def _target_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("target"), str):
            data = {**data, "target": [data["target"]]}
        return data

    @model_validator(mode="after")
    def _date_or_rate(self) -> ScriptedEvent:
        if (self.date is None) == (self.rate is None):
            raise ValueError("give exactly one of `date` (YYYY-MM) or `rate` (monthly probability)")
        return self


class LeverOption(Strict):
    description: str
    set: dict[str, Any] = Field(description="dotted scenario paths and the values they take")


class Lever(Strict):
    label: str
    description: str
    setting: str
    options: dict[str, LeverOption] = Field(min_length=2)

    @model_validator(mode="after")
    def _setting_known(self) -> Lever:
        if self.setting not in self.options:
            raise ValueError(
                f"setting {self.setting!r} is not one of the options {sorted(self.options)}"
            )
        return self


class Package(Cited):
    terms: UnitMap = Field(min_length=1)
    proposer: Id
    victims_included: bool = False


class Negotiation(Cited):
    veto_players: list[Id] = Field(min_length=2)
    issues: list[Id] = Field(min_length=1)
    victims: Id | None = None
    victim_inclusion: Literal["required", "optional", "excluded"] = "optional"
    restores_ties: list[Id] = Field(
        default=[], description="ties an agreement restores (hostile ones are lifted)"
    )
    creates_ties: list[Id] = Field(
        default=[], description="ties an agreement creates and its collapse removes"
    )
    claims_issues: list[Id] = Field(
        default=[], description="negotiated issues on which the victims who accept a deal's "
        "money settle their claims: abandoning the deal reopens them only for those who refused"
    )
    on_table: Package | None = None


class InitialAgreement(Cited):
    label: str = ""
    terms: UnitMap = Field(min_length=1)
    signatories: list[Id] = Field(min_length=2)
    signed: Month
    signed_by: dict[Id, Id] = Field(description="signatory -> administration id that signed")
    victims_included: bool = False
    victims_refusal: Unit
    opposition: Unit


class Parameters(Cited):
    """Global behavioural parameters; every one is documented in scenarios/README.md."""

    choice_temperature: Positive
    memory: Unit
    tension_gain: Unit
    cooperation_gain: Unit
    relaxation: Unit
    weight_position: NonNeg
    weight_reciprocity: NonNeg
    weight_domestic: NonNeg
    weight_alliance: NonNeg
    weight_threat: NonNeg
    weight_cost: NonNeg
    bargaining_rate: Unit
    proposal_distance: Unit
    acceptance_margin: Signed
    ratification_threshold: Unit
    ratification_steepness: Positive
    collapse_reversion: Unit
    approval_relaxation: Unit
    election_window: Annotated[int, BeforeValidator(_unwrap_cited), Field(ge=0, le=60)]
    audience_cost: NonNeg
    attention_cost: NonNeg
    position_anchor: Unit
    opposition_sensitivity: NonNeg
    refusal_sensitivity: NonNeg
    refusal_offset: Num
    approval_weight: NonNeg
    unpopularity_base: NonNeg
    election_boost: NonNeg
    mediation_gain: NonNeg
    ally_cooperation_share: NonNeg
    ally_deal_pressure: NonNeg
    quarrel_restraint: NonNeg
    coercion_yield: Unit
    security_cooperation_threat: NonNeg
    cross_effect: NonNeg
    refusal_weight: NonNeg
    inclusion_refusal_factor: NonNeg
    reproposal_delay: Annotated[int, BeforeValidator(_unwrap_cited), Field(ge=0, le=120)]
    coercion_reciprocity: NonNeg
    coercion_memory: Unit
    hosting_restraint: NonNeg
    hosting_window: Annotated[int, BeforeValidator(_unwrap_cited), Field(ge=0, le=24)]
    mediation_convergence: Unit
    verbal_weight: Unit
    sanction_rally: NonNeg
    election_restraint: NonNeg

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, data: Any) -> Any:
        """Parameters that no longer exist get a message that says why, not just 'unknown'."""
        if isinstance(data, dict):
            for name in REMOVED_PARAMETERS:
                if name in data:
                    raise ValueError(f"`{name}` was removed in version 0.2: "
                                     f"{REMOVED_PARAMETERS[name]}")
        return data


# Parameters of version 0.1 whose mechanism was replaced (docs/model.md, "Agreements").
REMOVED_PARAMETERS = {
    name: "a deal now ends only when a government decides to abandon it (its utility, not a "
          "hazard); delete the line"
    for name in ("hazard_base", "hazard_refusal", "hazard_opposition", "hazard_administration",
                 "inclusion_protection")
}


class Scenario(Strict):
    extends: str | None = None
    meta: Meta
    issues: dict[Id, Issue] = Field(min_length=1)
    actors: dict[Id, Actor] = Field(min_length=2)
    relation_defaults: RelationDefaults
    relations: dict[str, Relation] = {}
    events: dict[Id, ScriptedEvent] = {}
    levers: dict[Id, Lever] = {}
    negotiation: Negotiation
    agreements: dict[Id, InitialAgreement] = {}
    status_quo: UnitMap = Field(min_length=1, description="the point in issue space at the start")
    disabled_actions: list[Id] = Field(default=[], description="catalogue actions unavailable")
    parameters: Parameters


# --- the action catalogue ---------------------------------------------------------------------


class Tie(Cited):
    label: str
    directed: bool = False
    cooperation: Unit = Field(description="how much the tie adds to the dyad's cooperation floor")
    hostile: bool = Field(default=False, description="a sanction rather than a link")


class Preconditions(Cited):
    requires_ties: list[TieRef] = []
    forbids_ties: list[TieRef] = []
    alliance: bool | None = None
    adversary: bool | None = None
    min_tension: Unit | None = None
    max_tension: Unit | None = None
    posture: list[Posture] = []
    agreement_in_force: bool | None = None
    requires_past_ties: list[TieRef] = Field(
        default=[], description="ties that must have existed between the two at some time"
    )
    previously_held: bool = Field(
        default=False,
        description="the ties this act adds must have existed between the two before",
    )


class ActionEffects(Cited):
    status_quo: SignedMap = {}
    add_ties: list[TieRef] = []
    remove_ties: list[TieRef] = []
    approval: Signed = Field(default=0.0, description="change of the actor's own approval")
    target_approval: Signed = Field(default=0.0, description="change of the target's approval")
    pair_tension: Signed = Field(
        default=0.0, description="for mediation: change of the pair's tension"
    )


class LeadTime(Cited):
    """Months a preparation takes, drawn uniformly from low to high when it starts."""

    low: Annotated[Whole, Field(ge=0, le=60)]
    high: Annotated[Whole, Field(ge=0, le=60)]

    @model_validator(mode="after")
    def _ordered(self) -> LeadTime:
        if self.high < self.low:
            raise ValueError(f"high {self.high} is below low {self.low}")
        return self


class Preparation(Cited):
    """A measure that must be prepared before it is imposed: choosing it first carries out the
    preparing act, and the measure becomes available once the lead time has passed."""

    act: Id = Field(description="the catalogue act that prepares it (role: preparation)")
    in_kind_answer_to: list[TieRef] = Field(
        default=[],
        description="no preparation is needed to answer these measures of the target's in kind: "
                    "a hostile tie of the target's in force, or a cooperative one it withdrew",
    )


class Action(Cited):
    label: str
    cameo: str = Field(pattern=CAMEO_RE)
    goldstein: Goldstein
    quad_class: QuadClass = Field(description="0 none, 1-4 QuadClass")
    actor_kinds: list[Kind] = Field(min_length=1)
    actor_tags: list[Id] = []
    target_tags: list[Id] = []
    target: Literal["other", "pair", "none"] = "other"
    target_kinds: list[Kind] = ["state"]
    role: Literal["choice", "negotiation", "implementation", "preparation"] = "choice"
    preconditions: Preconditions = Preconditions()
    effects: ActionEffects = ActionEffects()
    cost: NonNeg = 0.0
    tags: list[Id] = []
    reverses: Id | None = None
    preparation: Preparation | None = None
    lead_months: LeadTime | None = Field(
        default=None, description="for a preparing act: how long the preparation takes"
    )


class Catalogue(Strict):
    ties: dict[Id, Tie]
    actions: dict[Id, Action] = Field(min_length=1)


# --- the bibliography -------------------------------------------------------------------------


class SourceEntry(Strict):
    outlet: str
    title: str
    date: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int | dt.date) else v)]
    authors: list[str] = []
    url: str | None = None
    note: str | None = None


class Bibliography(Strict):
    sources: dict[str, SourceEntry] = Field(min_length=1)
