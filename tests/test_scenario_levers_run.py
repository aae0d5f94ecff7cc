"""Every shipped scenario runs with every option of every lever: what validates, runs. Each case
is one run over the scenario's first three months (``meta.end`` cut), to keep the test quick."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.model import simulate
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SUPPORT = {"actions.yaml", "sources.yaml"}
MONTHS = 3


def shipped() -> list[Path]:
    return [p for p in sorted(SCENARIOS.glob("*.yaml")) if p.name not in SUPPORT]


def month_after(start: str, months: int) -> str:
    year, month = int(start[:4]), int(start[5:7]) - 1 + months
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def lever_cases() -> list:
    cases = []
    for path in shipped():
        loaded = load_scenario(path)
        for lever, spec in loaded.scenario.levers.items():
            cases += [pytest.param(path, loaded.scenario.meta.start, lever, option,
                                   id=f"{path.stem}-{lever}-{option}")
                      for option in spec.options]
    return cases


CASES = lever_cases()


def test_every_shipped_scenario_has_levers_to_try() -> None:
    with_levers = {case.values[0] for case in CASES}
    assert len(with_levers) == len(shipped()) and len(CASES) >= 2 * len(shipped())


@pytest.mark.parametrize("path, start, lever, option", CASES)
def test_a_shipped_scenario_runs_with_each_lever_option(path: Path, start: str, lever: str,
                                                        option: str) -> None:
    end = month_after(start, MONTHS - 1)
    loaded = load_scenario(path, {f"levers.{lever}.setting": option, "meta.end": end})
    assert loaded.lever_settings()[lever] == option
    record = simulate(loaded, seed=1).record()
    months = sorted({row[0] for row in record.indices})
    assert months == [month_after(start, k) for k in range(MONTHS)]
    values = [v for row in record.trajectories for v in row[2:5]]
    assert values and all(math.isfinite(v) for v in values)

