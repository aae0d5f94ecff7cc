"""Settlements wherever their conditions hold, on stages written from the public record at other
starting points than 2018 (scenarios/declaration_1998.yaml, deal_2015.yaml, freeze_2012.yaml):
nothing in the model was set for these years, and none of them is scored by ``sim history``.

- 1998: a liberal Seoul government that puts the future first and a Tokyo ready to apologise in
  writing reach a government-level deal (the Kim-Obuchi declaration, October 1998);
- 2014-2016: Park and Abe, pressed by Washington, reach one (the agreement of December 2015);
- 2011-2013: after the rulings and the islets visit, with Washington passive, none is reached.

Ensemble statements over fixed seeds, each share printed with its standard error (run with
``-s``), enough runs for that error to stay under 0.03.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.ensemble import run_ensemble, spawn_seeds
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

RUNS = 300
SEED = 19650622
MAX_STANDARD_ERROR = 0.03

pytestmark = pytest.mark.slow


def deal_share(name: str) -> tuple[float, list[str]]:
    """The share of runs with a government-level deal signed on the stage, and their months."""
    loaded = load_scenario(SCENARIOS / f"{name}.yaml")
    start = loaded.scenario.meta.start
    months = []
    hits = []
    for record in run_ensemble(loaded, spawn_seeds(SEED, RUNS), workers=2):
        signed = sorted(a.signed for a in record.agreements if a.signed >= start)
        hits.append(bool(signed))
        months += signed[:1]
    p = float(np.mean(hits))
    error = float(np.sqrt(p * (1 - p) / len(hits)))
    median = sorted(months)[len(months) // 2] if months else "-"
    print(f"{name}: a deal in {p:.3f} of runs (standard error {error:.3f}, n={len(hits)}; "
          f"median month of the first {median})")
    assert error < MAX_STANDARD_ERROR
    return p, months


def test_the_1998_declaration_is_reached():
    share, months = deal_share("declaration_1998")
    assert share >= 0.7


def test_the_2015_agreement_is_reached():
    share, months = deal_share("deal_2015")
    assert share >= 0.7


def test_no_deal_in_the_freeze_of_2011_2013():
    share, _ = deal_share("freeze_2012")
    assert share <= 0.15
