"""Units of the experiment runner: outcome kinds on a hand-made run record, the effect sizes,
the design builders, and the worker's shared-load shortcut for parameter overrides."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.agreements import Agreement
from sim.experiments import analysis
from sim.experiments.design import build_design, make_tasks
from sim.experiments.loader import load_experiment
from sim.experiments.outcomes import KINDS, RunContext, evaluate
from sim.experiments.worker import scenario_for
from sim.model import RunRecord, simulate
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
CTX = RunContext("2020-01", "2020-12")
MONTHS = [f"2020-{m:02d}" for m in range(1, 13)]


def deal(signed: str, ended: str | None, included: bool = False, gid: str = "A1") -> Agreement:
    return Agreement(id=gid, terms={"compensation": 0.5}, signatories=["X", "Y"], signed=signed,
                     signed_by={}, ideals_at_signing={}, victims_included=included,
                     refusal=0.0, opposition=0.0, ended=ended)


def record() -> RunRecord:
    """Tension of X-Y rises by 0.1 a month from 0.0; two deals; a few events."""
    trajectories = [(m, "X-Y", round(0.1 * i, 6), 0.5, float(i), "") for i, m in
                    enumerate(MONTHS)]
    trajectories += [(m, "X-Z", 0.2, 0.1, 0.0, "") for m in MONTHS]
    indices = [(m, 0.3, 0.4 + 0.01 * i, 1, i % 2) for i, m in enumerate(MONTHS)]
    event = ("2020-03", "X", "Y", "threaten", "138", -7.0, 3, False, 0.5)
    events = [event, ("2020-04", "X", "Y+Z", "missile_test", "150", -7.2, 4, False, 0.4),
              ("2020-05", "COURT", "Y", "ruling", "116", -2.0, 3, True, None)]
    agreements = [deal("2015-12", None, gid="old"), deal("2020-04", "2020-09"),
                  deal("2020-10", None, included=True, gid="A2")]
    status_quo = [(m, "trade", 0.5 + 0.01 * i) for i, m in enumerate(MONTHS)]
    return RunRecord(trajectories, indices, events, agreements, status_quo)


def value(kind: str, **params: object) -> float:
    return KINDS[kind](record(), CTX, {"kind": kind, **params})


def test_window_means_and_sums() -> None:
    assert value("mean_tension", dyad="X-Y") == pytest.approx(0.55)
    assert value("mean_tension", dyad="X-Y", **{"from": "2020-11"}) == pytest.approx(1.05)
    assert value("mean_cooperation", dyad="X-Z", to="2020-02") == pytest.approx(0.1)
    assert value("goldstein_sum", dyad="X-Y", to="2020-03") == 0 + 1 + 2
    assert math.isnan(value("mean_tension", dyad="Y-Z"))
    assert value("mean_index", index="trilateral_cohesion", to="2020-02") == pytest.approx(0.405)
    assert value("final_cohesion") == pytest.approx(0.51)
    assert value("final_cohesion", at="2020-01") == pytest.approx(0.4)
    assert value("coercive_acts") == 6
    assert value("mean_status_quo", issue="trade", **{"from": "2020-12"}) == pytest.approx(0.61)
    assert math.isnan(value("mean_status_quo", issue="apology"))


def test_event_counts_filter_by_every_field() -> None:
    assert value("event_count") == 3
    assert value("event_count", actions=["missile_test", "ruling"]) == 2
    assert value("event_count", actor="X") == 2
    assert value("event_count", target="Z") == 1
    assert value("event_count", quad_class=[3]) == 2
    assert value("event_count", scripted=True) == 1
    assert value("event_count", **{"from": "2020-04", "to": "2020-04"}) == 1


def test_agreement_outcomes_leave_out_deals_signed_before_the_run() -> None:
    assert value("months_to_first_agreement") == 3
    assert value("months_to_first_agreement", victims_included=True) == 9
    assert value("agreements_signed") == 2
    assert value("agreements_signed", **{"from": "2015-01"}) == 3
    assert value("agreement_survives") == 0.0
    assert value("agreement_survives", victims_included=True) == 1.0
    assert value("agreement_survives", until="2020-08") == 1.0
    assert value("agreement_survives", id="A2") == 1.0
    assert value("months_in_force") == 5
    assert value("months_in_force", victims_included=True) == 3  # censored at the horizon
    assert value("collapses") == 1
    assert value("collapses", victims_included=True) == 0


def test_survival_for_a_fixed_time_is_censored_when_the_run_ends_first() -> None:
    assert value("agreement_survives", for_months=4) == 1.0
    assert value("agreement_survives", for_months=6) == 0.0
    assert math.isnan(value("agreement_survives", victims_included=True, for_months=6))
    assert value("agreement_survives", victims_included=True, for_months=3) == 1.0


def test_missing_agreements_give_nan_or_zero() -> None:
    empty = {"to": "2020-03"}
    assert math.isnan(value("agreement_survives", **empty))
    assert value("agreement_survives", if_none="zero", **empty) == 0.0
    assert math.isnan(value("months_to_first_agreement", **empty))
    assert value("months_in_force", if_none="zero", **empty) == 0.0


def test_evaluate_keeps_the_experiments_order() -> None:
    specs = {"b": {"kind": "agreements_signed"}, "a": {"kind": "coercive_acts"}}
    assert list(evaluate(specs, record(), CTX)) == ["b", "a"]


def test_effect_sizes() -> None:
    a, b = np.array([3.0, 4.0, 5.0]), np.array([1.0, 2.0, 3.0])
    assert analysis.cohens_d(a, b) == pytest.approx(2.0)
    assert analysis.cliffs_delta(a, b) == pytest.approx(8 / 9)
    assert analysis.cliffs_delta(b, a) == pytest.approx(-8 / 9)
    assert analysis.cliffs_delta(a, a) == 0.0
    rng = np.random.default_rng(0)
    low, high = analysis.mean_ci(rng.normal(1.0, 1.0, 400), 0.95, 2000, rng)
    assert low < 1.0 < high and high - low < 0.3
    assert analysis.mean_ci(np.array([1.0, 1.0]), 0.95, 2000, rng) == (1.0, 1.0)
    low, high = analysis.difference_ci(a, b, 0.95, 2000, rng)
    assert low <= 2.0 <= high


def test_grid_design_points_and_tasks(tmp_path: Path) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(f"""\
title: grid
scenarios: {{first: {CLASSROOM}, second: {CLASSROOM}}}
runs: 5
seed: 3
set: {{parameters.memory: 0.7}}
design:
  kind: grid
  factors:
    levers.us_mediation.setting: [passive, envoy]
    parameters.relaxation: [0.05, 0.1, 0.2]
outcomes: {{c: {{kind: final_cohesion}}}}
output: {{runs_per_part: 4}}
""", encoding="utf-8")
    exp = load_experiment(path)
    points = build_design(exp)
    assert len(points) == 2 * 2 * 3
    assert [p.scenario for p in points[:6]] == ["first"] * 6
    assert points[1].values == {"levers.us_mediation.setting": "passive",
                                "parameters.relaxation": 0.1}
    assert points[1].name == "us_mediation=passive, relaxation=0.1"
    tasks = make_tasks(exp, points, 5, {"first": None, "second": ()})
    assert sum(t.size for t in tasks) == 60 and all(t.size <= 4 for t in tasks)
    assert tasks[1].name == "p000000r000004-p000001r000002"
    assert tasks[1].settings[1][1] == (("parameters.memory", 0.7),
                                       ("levers.us_mediation.setting", "passive"),
                                       ("parameters.relaxation", 0.1))


def test_parameter_overrides_on_a_shared_load_equal_a_full_load() -> None:
    overrides = (("levers.us_mediation.setting", "envoy"), ("parameters.memory", 0.6),
                 ("parameters.election_window", 3))
    fast = scenario_for(str(CLASSROOM), overrides)
    full = load_scenario(CLASSROOM, dict(overrides))
    assert fast.scenario.parameters == full.scenario.parameters
    assert fast.scenario.model_dump() == full.scenario.model_dump()
    a, b = simulate(fast, 99).record(), simulate(full, 99).record()
    assert a.trajectories == b.trajectories and a.events == b.events


def test_a_bad_parameter_value_fails_like_a_full_load() -> None:
    from sim.errors import InputError

    with pytest.raises(InputError, match="parameters.memory"):
        scenario_for(str(CLASSROOM), (("parameters.memory", 1.5),))
