"""The stylized facts of MODEL.md section 7, as ensemble statements over fixed seeds.

Each statement compares shares or means over 300 runs with fixed per-run seeds (the same seeds
every time, so the test is deterministic): enough that every asserted share has a standard error
under 0.03 (checked, and printed with the share: run with ``-s`` to see them), with margins wide
enough that a small change to the model does not flip them by chance. These tests take a few
minutes: they run the model a few thousand times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.ensemble import run_ensemble, spawn_seeds
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
TEST_SCENARIOS = Path(__file__).resolve().parent / "scenarios"

RUNS = 300
MAX_STANDARD_ERROR = 0.03
SEED = 20240101
COERCION = {"impose_export_controls", "remove_from_white_list", "economic_coercion"}
COUNTER_MOVES = {"wto_complaint", "terminate_gsomia", "remove_from_white_list"}

pytestmark = pytest.mark.slow


def ensemble(path, **overrides):
    loaded = load_scenario(path, overrides)
    return list(run_ensemble(loaded, spawn_seeds(SEED, RUNS), workers=2))


@pytest.fixture(scope="module")
def history_runs():
    return ensemble(SCENARIOS / "history_2018_2023.yaml")


@pytest.fixture(scope="module")
def to_2020_runs():
    return ensemble(TEST_SCENARIOS / "history_to_2020.yaml")


@pytest.fixture(scope="module")
def thaw_runs():
    return ensemble(SCENARIOS / "thaw_2023.yaml")


def acted(record, actor, target, actions, start, end) -> bool:
    return any(e[1] == actor and e[2] == target and e[3] in actions and start <= e[0] <= end
               for e in record.events)


def share(records, predicate, name: str = "") -> float:
    """The share of records for which the predicate holds, printed with its standard error;
    the ensemble must be large enough for that error to stay under MAX_STANDARD_ERROR."""
    hits = [bool(predicate(r)) for r in records]
    return observed(hits, name or getattr(predicate, "__name__", "share"))


def observed(hits: list[bool], name: str) -> float:
    p = float(np.mean(hits))
    error = float(np.sqrt(p * (1 - p) / len(hits)))
    print(f"{name}: {p:.3f} (standard error {error:.3f}, n={len(hits)})")
    assert error < MAX_STANDARD_ERROR, f"{name}: too few runs for a standard error under 0.03"
    return p


def half_year_tension(record, dyad="JPN-KOR") -> dict[str, float]:
    halves: dict[str, list[float]] = {}
    for month, d, tension, *_ in record.trajectories:
        if d == dyad:
            year, m = month.split("-")
            halves.setdefault(f"{year}H{1 if int(m) <= 6 else 2}", []).append(tension)
    return {k: float(np.mean(v)) for k, v in halves.items()}


def test_1_a_ruling_brings_coercion_within_months(to_2020_runs):
    """Fact 1: after the 2018 ruling Tokyo coerces Seoul within a year in most runs (more than
    half: a first trade measure must be prepared for four to ten months, so the year holds the
    ruling's trigger, the preparation and the measure), and far more often than in the same
    history without the rulings."""
    window = ("2018-10", "2019-09")
    with_ruling = share(to_2020_runs, lambda r: acted(r, "JPN", "KOR", COERCION, *window),
                        "Tokyo coerces within a year of the ruling")
    without = share(ensemble(TEST_SCENARIOS / "history_no_ruling.yaml"),
                    lambda r: acted(r, "JPN", "KOR", COERCION, *window),
                    "... without the rulings")
    assert with_ruling > 0.5
    assert with_ruling - without >= 0.3


def test_2_retaliation_is_answered(to_2020_runs):
    """Fact 2: export controls make a Korean counter-move much more likely than without them."""
    window = ("2018-10", "2020-06")
    with_controls = share(to_2020_runs, lambda r: acted(r, "KOR", "JPN", COUNTER_MOVES, *window),
                          "Seoul counters")
    without = share(ensemble(TEST_SCENARIOS / "history_no_export_controls.yaml"),
                    lambda r: acted(r, "KOR", "JPN", COUNTER_MOVES, *window),
                    "... without export controls")
    assert with_controls >= 1.5 * without
    assert with_controls - without >= 0.25


def test_3_settlement_depends_on_the_administration_in_seoul(history_runs):
    """Fact 3: no settlement under the liberal administration; a likely government-level deal
    under the conservative one, which the public and the victims still oppose."""
    under_moon = share(history_runs, lambda r: any(
        a.id != "deal_2015" and a.signed < "2022-05" for a in r.agreements),
        "a new deal before May 2022")
    under_yoon = share(history_runs, lambda r: any(a.signed >= "2022-05" for a in r.agreements),
                       "a deal from May 2022")
    assert under_moon <= 0.1
    assert under_yoon >= 0.6
    deals = [a for r in history_runs for a in r.agreements if a.signed >= "2022-05"]
    opposition, refusal = (np.array([getattr(a, k) for a in deals])
                           for k in ("opposition", "refusal"))
    for name, values in (("public opposition", opposition), ("victims' refusal", refusal)):
        print(f"mean {name} to those deals: {values.mean():.3f} "
              f"(standard error {values.std(ddof=1) / np.sqrt(len(values)):.3f})")
    assert opposition.mean() >= 0.45
    assert refusal.mean() >= 0.25
    assert not any(a.victims_included for a in deals)


def test_4_victim_inclusive_deals_last_longer(thaw_runs):
    """Fact 4: the 2023 plan drawn up with the victims survives to the horizon more often: the
    difference is more than three standard errors, and it is abandoned at most half as often.
    Nothing protects it by decree: the victims who took its money settled their claims, so a
    later government has less to win by undoing it (sim.decision.reversion_shares)."""
    inclusive = ensemble(TEST_SCENARIOS / "thaw_inclusive.yaml")

    def survival(records, name) -> tuple[float, int]:
        deals = [a for r in records for a in r.agreements if a.signed == "2023-03"]
        assert len(deals) >= RUNS // 2, "the plan was rarely signed"
        return observed([a.ended is None for a in deals], name), len(deals)

    (with_victims, n_with), (without, n_without) = (
        survival(inclusive, "an inclusive plan survives"),
        survival(thaw_runs, "the 2023 plan survives"))
    error = np.sqrt(with_victims * (1 - with_victims) / n_with
                    + without * (1 - without) / n_without)
    print(f"difference {with_victims - without:.3f} (standard error {error:.3f})")
    assert with_victims - without > 3 * error
    assert 1 - with_victims <= 0.5 * (1 - without)


def test_5_pyongyang_and_beijing_gain_from_division(thaw_runs):
    """Fact 5, the gain: the spoilers' utility of the status quo (their salience-weighted
    distance to it) is higher while Seoul and Tokyo are divided (the 2019 rupture) than while
    they cooperate (the 2023 thaw). That they act like it - Beijing's coercion and Pyongyang's
    provocations grow with the allies' security cooperation - is a mechanism tested month by
    month in tests/test_decision.py; across whole runs Pyongyang's tests are dominated by its
    security dilemma with Washington's drills (see docs/validation.md)."""
    rupture = ensemble(SCENARIOS / "rupture_2019.yaml")
    loaded = load_scenario(SCENARIOS / "thaw_2023.yaml")
    for spoiler in ("PRK", "CHN"):
        divided = _status_quo_utility(rupture, loaded, spoiler)
        united = _status_quo_utility(thaw_runs, loaded, spoiler)
        print(f"{spoiler}'s utility of the status quo: divided {divided:.3f}, united {united:.3f}")
        assert divided > united, spoiler


def _status_quo_utility(records, loaded, actor: str) -> float:
    stances = loaded.scenario.actors[actor].positions
    values = []
    for r in records:
        by_month: dict[str, float] = {}
        for month, issue, value in r.status_quo:
            s = stances[issue]
            by_month[month] = by_month.get(month, 0.0) - s.salience * (value - s.position) ** 2
        values.extend(by_month.values())
    return float(np.mean(values))


def test_6_history_turning_points(history_runs):
    """Fact 6: Seoul-Tokyo tension rises after the October 2018 ruling and is lower after the
    2023 thaw than before it (the peak is asserted on its own, below)."""
    halves = [half_year_tension(r) for r in history_runs]
    assert share(halves, lambda h: h["2019H1"] > h["2018H1"] + 0.1, "tension rises") >= 0.8
    assert share(halves, lambda h: h["2023H2"] < h["2022H2"], "lower after the thaw") >= 0.65
    assert share(halves, lambda h: h["2023H2"] < h["2019H2"] - 0.1, "below 2019") >= 0.8


@pytest.mark.xfail(strict=True, reason=(
    "known miss (docs/validation.md, 'What it still gets wrong'): the radar incident and the "
    "seizure order lift tension in the first half of 2019, and Tokyo's measures, spread over May "
    "to December 2019 by their preparation, and Seoul's answer exceed it in about a third of "
    "runs, not in most"))
def test_6_history_tension_peaks_in_the_second_half_of_2019(history_runs):
    """Fact 6 as MODEL.md states it: the peak in the second half of 2019, in most runs. The
    share is printed; the test is expected to fail until the model reaches it, and fails
    loudly (strict) when it does, so that this mark is removed."""
    halves = [half_year_tension(r) for r in history_runs]
    share(halves, lambda h: max(h, key=h.get).startswith("2019"), "peak in 2019")
    assert share(halves, lambda h: max(h, key=h.get) == "2019H2", "peak in 2019H2") >= 0.5
