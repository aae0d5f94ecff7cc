"""Settlements wherever their conditions hold: synthetic stages (tests/scenarios/stage_*.yaml),
not history. Ensemble statements over fixed seeds, each share printed with its standard error
(run with ``-s``), enough runs for that error to stay under 0.03.

- two governments with close lines on the negotiated issues settle in most runs;
- far apart, almost never;
- an active mediator (an envoy) narrows the gap between governments some way apart, more than
  a passive ally does, and so makes a deal likelier.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import negotiation
from sim.ensemble import spawn_seeds
from sim.model import DisputeModel
from sim.scenario import load_scenario
from tests.conftest import TEST_SCENARIOS

RUNS = 300
SEED = 20300101
MAX_STANDARD_ERROR = 0.03


def finals(name: str, **overrides) -> list[DisputeModel]:
    loaded = load_scenario(TEST_SCENARIOS / f"{name}.yaml", overrides)
    models = []
    for seed in spawn_seeds(SEED, RUNS):
        model = DisputeModel(loaded, seed)
        while model.running:
            model.step()
        models.append(model)
    return models


def settled(model: DisputeModel) -> bool:
    return any(a.signed >= model.months[0] for a in model.agreements.all)


def share(models: list[DisputeModel], name: str) -> float:
    hits = [settled(m) for m in models]
    p = float(np.mean(hits))
    error = float(np.sqrt(p * (1 - p) / len(hits)))
    print(f"{name}: {p:.3f} (standard error {error:.3f}, n={len(hits)})")
    assert error < MAX_STANDARD_ERROR
    return p


@pytest.fixture(scope="module")
def apart():
    return {lever: finals("stage_apart", **{"levers.us_mediation.setting": lever})
            for lever in ("passive", "envoy")}


def test_close_positions_settle_in_most_runs():
    assert share(finals("stage_close"), "close positions: a deal within two years") >= 0.8


def test_far_apart_positions_almost_never_settle():
    assert share(finals("stage_far"), "far-apart positions: a deal within two years") <= 0.05


def test_an_envoy_narrows_the_gap(apart):
    gaps = {lever: np.array([negotiation.veto_distance(m) for m in models])
            for lever, models in apart.items()}
    for lever, values in gaps.items():
        print(f"{lever}: final gap {values.mean():.3f} "
              f"(standard error {values.std(ddof=1) / np.sqrt(len(values)):.4f})")
    difference = gaps["passive"] - gaps["envoy"]
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    assert difference.mean() > 3 * error and difference.mean() > 0.01
    assert (share(apart["envoy"], "some way apart, an envoy: a deal")
            >= share(apart["passive"], "some way apart, Washington passive: a deal"))
