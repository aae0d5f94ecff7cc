"""Agreements live and die (sim.agreements)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agreements import Agreement, administration_distance, monthly_hazard
from sim.model import simulate


def deal(refusal=0.3, opposition=0.6, included=False) -> Agreement:
    return Agreement(id="A", terms={"compensation": 0.8}, signatories=["X", "Y"], signed="2023-03",
                     signed_by={}, ideals_at_signing={}, victims_included=included,
                     refusal=refusal, opposition=opposition)


def test_hazard_grows_with_refusal_opposition_and_distance(history):
    p = history.scenario.parameters
    base = monthly_hazard(deal(), 0.0, p)
    assert monthly_hazard(deal(refusal=0.8), 0.0, p) > base
    assert monthly_hazard(deal(opposition=0.9), 0.0, p) > base
    assert monthly_hazard(deal(), 0.5, p) > base


def test_victim_inclusive_deals_are_protected(history):
    p = history.scenario.parameters
    assert monthly_hazard(deal(included=True), 0.2, p) < monthly_hazard(deal(), 0.2, p)


def test_administration_distance_is_zero_for_the_same_government():
    ideal, salience = np.array([0.8, 0.5]), np.array([0.6, 0.4])
    assert administration_distance(ideal, ideal, salience) == 0
    assert administration_distance(ideal, np.array([0.15, 0.9]), salience) > 0.4


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**31))
def test_agreements_end_after_they_start_and_record_why(history, seed):
    model = simulate(history, seed)
    for a in model.agreements.all:
        assert a.ended is None or a.ended >= a.signed
        assert (a.ended is None) == (a.end_reason == "")
        if a.ended:
            assert a.end_reason.startswith("collapse: ")


def test_the_2015_deal_is_abandoned_under_the_next_government(history):
    ended = [next(a for a in simulate(history, s).agreements.all if a.id == "deal_2015")
             for s in range(6)]
    assert sum(a.ended is not None for a in ended) >= 5
