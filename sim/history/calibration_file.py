"""The priors and settings of ``sim history --calibrate``: ``calibration.yaml``, shipped with the
history reference (``scenarios/reference/calibration.yaml``).

Two parts, both data:

- ``parameters``: every calibrated parameter (a name under ``parameters:`` of the scenario
  files) with a uniform prior ``{low, high}`` and ``why``, the reason for the range. Nothing in
  the code knows which parameters these are: any real-valued field of
  :class:`sim.scenario.schema.Parameters` may be listed, and both bounds must be values the
  scenario accepts for it.
- ``abc``: the ABC-SMC settings (window fitted, runs per evaluation, population, generations,
  stopping rules, the perturbation kernel's scale, master seed, predictive draws, the posterior
  interval and the identifiability thresholds), explained by the file's comments.

A bad file is reported as ``file:line: field: expected`` in one :class:`sim.errors.InputError`
(exit code 2), never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from sim.errors import InputError, Problem, fail
from sim.scenario.loader import did_you_mean, validate_model
from sim.scenario.schema import Id, Month, Parameters, Real, Seed, Strict, Whole
from sim.scenario.yamlio import LineMap, line_of, read_yaml
from sim.shipped import reference_dir

CALIBRATION_FILE = "calibration.yaml"


class Prior(Strict):
    """A uniform prior from ``low`` to ``high``, and why the range."""

    low: Real
    high: Real
    why: str = Field(min_length=3, max_length=300)

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"expected low < high (got {self.low} and {self.high})")
        return self

    @property
    def width(self) -> float:
        return self.high - self.low


class AbcSettings(Strict):
    """The method's settings; ``calibration.yaml`` comments each one."""

    window: str = Field(min_length=1)
    end: Month | None = None
    runs_per_evaluation: Whole = Field(ge=1, le=100_000)
    population: Whole = Field(ge=2, le=1_000_000)
    generations: Whole = Field(ge=1, le=1000)
    epsilon_quantile: Real = Field(gt=0.0, lt=1.0)
    minimum_epsilon: Real = Field(ge=0.0)
    min_acceptance_rate: Real = Field(ge=0.0, lt=1.0)
    seed: Seed
    predictive_draws: Whole = Field(ge=1, le=100_000)
    kernel_scale: Real = Field(gt=0.0, le=100.0)
    interval: Real = Field(gt=0.0, lt=1.0)
    identified_share: Real = Field(gt=0.0, le=1.0)
    min_effective_particles: Real = Field(ge=1.0)


class CalibrationFile(Strict):
    parameters: dict[Id, Prior] = Field(min_length=1)
    abc: AbcSettings


def default_calibration_file() -> Path:
    return reference_dir() / CALIBRATION_FILE


def load_calibration(path: Path | None = None,
                     windows: dict[str, tuple[str, str]] | None = None) -> CalibrationFile:
    """Read and check a calibration file (default: the shipped one); with the reference's
    ``windows``, also check that the fitted window exists and that ``end`` lies inside it."""
    path = Path(path) if path is not None else default_calibration_file()
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise fail(str(path), "expected a mapping with `parameters` and `abc`", line=1)
    settings = validate_model(CalibrationFile, data, lines, str(path))
    problems = parameter_problems(settings, lines, str(path))
    problems += window_problems(settings.abc, windows, lines, str(path))
    if problems:
        raise InputError(problems)
    return settings


def parameter_problems(settings: CalibrationFile, lines: LineMap, file: str) -> list[Problem]:
    """Every prior must name a real-valued scenario parameter, with bounds the scenario
    accepts for it."""
    problems = []
    fields = Parameters.model_fields
    for name, prior in settings.parameters.items():
        where = line_of(lines, ("parameters", name), file)
        if name not in fields:
            hint = did_you_mean(name, list(fields))
            problems.append(Problem(*where, f"parameters.{name}",
                                    f"not a parameter of the scenarios{hint} (expected a name "
                                    "under `parameters:` of scenarios/base.yaml)"))
        elif fields[name].annotation is not float:
            problems.append(Problem(*where, f"parameters.{name}",
                                    "a whole-number parameter cannot have a continuous prior: "
                                    "expected a real-valued parameter"))
        else:
            problems += bound_problems(name, prior, lines, file)
    return problems


def bound_problems(name: str, prior: Prior, lines: LineMap, file: str) -> list[Problem]:
    """Each bound checked against the scenario schema's own constraints for the parameter."""
    info = Parameters.model_fields[name]
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[(info.annotation, *info.metadata)])
    problems = []
    for bound in ("low", "high"):
        try:
            adapter.validate_python(getattr(prior, bound))
        except ValidationError as err:
            reason = err.errors()[0]["msg"]
            problems.append(Problem(*line_of(lines, ("parameters", name, bound), file),
                                    f"parameters.{name}.{bound}",
                                    f"not a value the scenario accepts for {name} ({reason})"))
    return problems


def window_problems(abc: AbcSettings, windows: dict[str, tuple[str, str]] | None,
                    lines: LineMap, file: str) -> list[Problem]:
    if windows is None:
        return []
    if abc.window not in windows:
        return [Problem(*line_of(lines, ("abc", "window"), file), "abc.window",
                        f"expected one of the reference's windows: {', '.join(windows)}")]
    lo, hi = windows[abc.window]
    if abc.end is not None and not lo <= abc.end <= hi:
        return [Problem(*line_of(lines, ("abc", "end"), file), "abc.end",
                        f"expected a month inside the fitted window, {lo} to {hi}: a fitting "
                        "run must never simulate a held-out month")]
    return []


def with_overrides(abc: AbcSettings, overrides: dict[str, tuple[str, Any]]) -> AbcSettings:
    """The settings with command-line values (field -> (option, value); None: not given),
    each checked as the file's would be: a bad one is a one-line error naming its option."""
    given = {name: value for name, (_, value) in overrides.items() if value is not None}
    try:
        return AbcSettings.model_validate({**abc.model_dump(), **given})
    except ValidationError as err:
        first = err.errors()[0]
        option = overrides[str(first["loc"][0])][0]
        raise fail(option, f"{first['msg'].lower()}, got {first.get('input')!r}") from None
