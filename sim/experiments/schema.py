"""The experiment file format (``experiments/README.md``) as pydantic models, and what the
other modules compute from a validated file (factor levels, column names).

Loading and checking a file is :mod:`sim.experiments.loader`; checks that need the scenario
(factor paths, dyads, actions, months) are in :mod:`sim.experiments.checks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, create_model, model_validator

from sim.scenario.schema import Id, Month, Real, Seed, Strict, Whole
from sim.scenario.yamlio import LineMap

# a design too large for memory must be refused before it is built, not four minutes in.
MAX_RUNS = 1_000_000


# A value a design may give to a scenario field (a lever setting, a parameter, a month...);
# null empties an optional field (e.g. `negotiation.on_table: null`: no package on the table).
Scalar = bool | int | float | str | None
DOTTED_RE = r"^[A-Za-z_][A-Za-z0-9_+\-]*(\.[A-Za-z0-9_+\-]+)*$"
DottedPath = Annotated[str, Field(pattern=DOTTED_RE, max_length=200)]


def _distinct(values: list[Any]) -> list[Any]:
    if len({repr(v) for v in values}) != len(values):
        raise ValueError("values must be distinct")
    return values


Levels = Annotated[list[Scalar], Field(min_length=1, max_length=1000), AfterValidator(_distinct)]


# --- designs ----------------------------------------------------------------------------------


class Range(Strict):
    """A continuous factor: sampled uniformly between ``low`` and ``high``."""

    low: Real
    high: Real
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"expected low < high (got {self.low} and {self.high})")
        return self


class GridDesign(Strict):
    """Full factorial: every combination of the listed values (none: one baseline point)."""

    kind: Literal["grid"]
    factors: dict[DottedPath, Levels] = {}


class PointsDesign(Strict):
    """Named design points, each a set of overrides."""

    kind: Literal["points"]
    points: dict[Id, dict[DottedPath, Scalar]] = Field(min_length=1, max_length=10_000)


class LatinHypercubeDesign(Strict):
    """Latin hypercube sample of the ranges (McKay et al. 1979; scipy.stats.qmc)."""

    kind: Literal["latin_hypercube"]
    samples: Whole = Field(ge=2, le=100_000)
    factors: dict[DottedPath, Range] = Field(min_length=1)


def _power_of_two(n: int) -> int:
    if n & (n - 1):
        raise ValueError(f"expected a power of two (Sobol' sequences need one), e.g. "
                         f"{1 << max(1, n.bit_length() - 1)} or {1 << n.bit_length()}")
    return n


class SobolDesign(Strict):
    """Saltelli's scheme for Sobol' indices (Saltelli 2002; Saltelli et al. 2010; SALib)."""

    kind: Literal["sobol"]
    samples: Annotated[Whole, Field(ge=2, le=65_536), AfterValidator(_power_of_two)]
    second_order: bool = False
    factors: dict[DottedPath, Range] = Field(min_length=2)


class MorrisDesign(Strict):
    """Morris elementary effects (Morris 1991; Campolongo et al. 2007; SALib)."""

    kind: Literal["morris"]
    trajectories: Whole = Field(ge=2, le=10_000)
    levels: Whole = Field(default=4, ge=2, le=32, multiple_of=2)
    factors: dict[DottedPath, Range] = Field(min_length=2)


DESIGNS: dict[str, type[BaseModel]] = {
    "grid": GridDesign,
    "points": PointsDesign,
    "latin_hypercube": LatinHypercubeDesign,
    "sobol": SobolDesign,
    "morris": MorrisDesign,
}
SAMPLED = ("latin_hypercube", "sobol", "morris")

# --- outcomes ---------------------------------------------------------------------------------


class _OutcomeBase(Strict):
    label: str = Field(default="", max_length=120)


# `from` is a Python keyword, so the window's fields are declared through create_model.
_Window: type[BaseModel] = create_model(
    "_Window", __base__=_OutcomeBase, **{"from": (Month | None, None), "to": (Month | None, None)}
)


class MeanTension(_Window):
    kind: Literal["mean_tension"]
    dyad: str


class MeanCooperation(_Window):
    kind: Literal["mean_cooperation"]
    dyad: str


class GoldsteinSum(_Window):
    kind: Literal["goldstein_sum"]
    dyad: str


IndexName = Literal["regional_tension", "trilateral_cohesion", "agreements_in_force",
                    "coercive_acts"]


class MeanIndex(_Window):
    kind: Literal["mean_index"]
    index: IndexName


class MeanStatusQuo(_Window):
    kind: Literal["mean_status_quo"]
    issue: Id


class FinalCohesion(_OutcomeBase):
    kind: Literal["final_cohesion"]
    at: Month | None = None


class CoerciveActs(_Window):
    kind: Literal["coercive_acts"]


class EventCount(_Window):
    kind: Literal["event_count"]
    actions: list[Id] = []
    actor: str | None = None
    target: str | None = None
    quad_class: list[Literal[1, 2, 3, 4]] = []
    scripted: bool | None = None


class _AgreementFilter(_Window):
    """Agreements signed within [from, to] (default: the whole run, so inherited deals such as
    one signed before the scenario starts are left out), optionally by kind or id."""

    victims_included: bool | None = None
    id: Id | None = None


class MonthsToFirstAgreement(_AgreementFilter):
    kind: Literal["months_to_first_agreement"]


class AgreementSurvives(_AgreementFilter):
    kind: Literal["agreement_survives"]
    until: Month | None = None
    for_months: Whole | None = Field(default=None, ge=1, le=1200)
    if_none: Literal["missing", "zero"] = "missing"

    @model_validator(mode="after")
    def _one_horizon(self) -> AgreementSurvives:
        if self.until is not None and self.for_months is not None:
            raise ValueError("give either until or for_months, not both")
        return self


class MonthsInForce(_AgreementFilter):
    kind: Literal["months_in_force"]
    if_none: Literal["missing", "zero"] = "missing"


class AgreementsSigned(_AgreementFilter):
    kind: Literal["agreements_signed"]


class Collapses(_AgreementFilter):
    kind: Literal["collapses"]


class Plugin(_OutcomeBase):
    """The value a plug-in Python model function returns under this outcome's name."""

    kind: Literal["plugin"]


OUTCOMES: dict[str, type[BaseModel]] = {
    m.model_fields["kind"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in (MeanTension, MeanCooperation, GoldsteinSum, MeanIndex, MeanStatusQuo,
              FinalCohesion, CoerciveActs,
              EventCount, MonthsToFirstAgreement, AgreementSurvives, MonthsInForce,
              AgreementsSigned, Collapses, Plugin)
}

# --- the file ---------------------------------------------------------------------------------

Selector = Id | dict[DottedPath, Scalar]


class Comparison(Strict):
    """A against B: the design points each selector matches, pooled."""

    a: Selector
    b: Selector
    outcomes: list[Id] = []
    label: str = Field(default="", max_length=120)


class Analysis(Strict):
    confidence: Real = Field(default=0.95, gt=0.5, lt=1.0)
    resamples: Whole = Field(default=2000, ge=100, le=100_000)


class Output(Strict):
    dyads: Literal["key", "all", "none"] | list[str] = "key"
    runs_per_part: Whole = Field(default=10, ge=1, le=100_000)
    figures: bool = True


class ExperimentFile(Strict):
    title: str = Field(min_length=1, max_length=200)
    question: str = ""
    scenario: str | None = None
    scenarios: dict[Id, str] | None = Field(default=None, min_length=1)
    runs: Whole = Field(ge=1, le=1_000_000)
    seed: Seed
    set: dict[DottedPath, Scalar] = {}
    design: dict[str, Any]
    outcomes: dict[Id, dict[str, Any]] = Field(min_length=1)
    comparisons: dict[Id, Comparison] = {}
    analysis: Analysis = Analysis()
    output: Output = Output()

    @model_validator(mode="after")
    def _one_scenario_key(self) -> ExperimentFile:
        if self.scenario is not None and self.scenarios is not None:
            raise ValueError("give either scenario or scenarios, not both")
        return self


# --- the loaded experiment --------------------------------------------------------------------


@dataclass
class Experiment:
    """A validated experiment: the file's settings with its design and outcomes typed."""

    file: ExperimentFile
    design: Any
    outcomes: dict[str, Any]
    path: Path
    sha256: str = ""
    lines: LineMap = field(default_factory=dict)
    scenarios: dict[str, Path] = field(default_factory=dict)
    loaded: dict[str, Any] = field(default_factory=dict)  # label -> baseline LoadedScenario
    folders: tuple[Path, ...] = ()  # folders the user named, whose YAML files scenarios may read

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def factors(self) -> list[str]:
        """The dotted paths the design varies, in file order."""
        if isinstance(self.design, PointsDesign):
            paths: dict[str, None] = {}
            for point in self.design.points.values():
                paths.update(dict.fromkeys(point))
            return list(paths)
        return list(self.design.factors)

    def outcome_label(self, name: str) -> str:
        return self.outcomes[name].label or describe_outcome(self.outcomes[name])


def describe_outcome(spec: BaseModel) -> str:
    """A readable default label, e.g. 'mean tension A-B, 2023-06 to 2028-12'."""
    p = spec.model_dump()
    words = p["kind"].replace("_", " ")
    what = p.get("dyad") or p.get("index") or p.get("issue") or ""
    start, end = p.get("from"), p.get("to")
    window = (f"{start} to {end}" if start and end else f"from {start}" if start
              else f"to {end}" if end else "")
    return ", ".join(x for x in (f"{words} {what}".strip(), window) if x)


def factor_levels(exp: Experiment, path: str) -> list[Any]:
    """The values a grid or points design gives a factor, in order of appearance."""
    if isinstance(exp.design, GridDesign):
        return list(exp.design.factors.get(path, []))
    levels: list[Any] = []
    for point in exp.design.points.values():
        if path in point and not any(same_value(point[path], v) for v in levels):
            levels.append(point[path])
    return levels


def same_value(a: Any, b: Any) -> bool:
    """Equal as design values: 0.1 == 0.1, 'envoy' == 'envoy', but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b


def short_names(paths: list[str]) -> dict[str, str]:
    """A column name per factor: the lever's name for ``levers.X.setting``, else the last part
    of the path; the whole path where two would clash."""
    def short(p: str) -> str:
        parts = p.split(".")
        if len(parts) == 3 and parts[0] == "levers" and parts[2] == "setting":
            return parts[1]
        return parts[-1]
    names = [short(p) for p in paths]
    return {p: (n if names.count(n) == 1 and n not in RESERVED_COLUMNS else p)
            for p, n in zip(paths, names, strict=True)}


# columns of outcomes.csv, design.csv and summary.csv that a factor or an outcome cannot be named
RESERVED_COLUMNS = ("point", "scenario", "name", "replicate", "seed", "status", "error",
                    "outcome", "n", "missing", "failed", "mean", "sd", "q05", "q25", "median",
                    "q75", "q95", "ci_low", "ci_high")
