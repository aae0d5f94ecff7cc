"""The shared math (sim.utility): each fast form gives exactly what its plain form gives."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.utility import (
    logistic,
    logit_draw,
    logit_probabilities,
    round_decimal,
    slot_gain,
    spatial_gain,
    unit_clip,
)


def test_round_decimal_is_pythons_rounding_including_halves_and_signs():
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.random(20000), rng.uniform(-100, 100, 20000),
        (np.arange(20000) + 0.5) / 1e6,  # halves of the last kept digit
        -rng.random(2000) * 1e-6, [0.0, -0.0, 1e12 + 0.5, 2.5e-7, -2.5e-7],
    ])
    expected = [round(float(v), 6) for v in values]
    got = round_decimal(values)
    assert got == expected
    assert [math.copysign(1, v) for v in got] == [math.copysign(1, v) for v in expected]


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3), st.floats(0, 1), st.floats(-0.5, 0.5))
def test_slot_gain_is_the_spatial_gain_of_the_shifted_issues(ideal, before, shift):
    salience = np.array([0.9, 0.4, 0.7])
    sq = np.array([before, 0.5, 0.2])
    after = sq.copy()
    after[0] = sq[0] + shift
    plain = spatial_gain(np.array(ideal), salience, sq, after)
    fast = slot_gain(np.array([ideal[:1]]), salience[None, :1], sq[None, :1],
                     np.array([[shift]]))[0]
    assert math.isclose(plain, fast, rel_tol=1e-12, abs_tol=1e-12)


def test_logit_draw_is_the_generators_choice():
    rng = np.random.default_rng(5)
    ours, theirs = np.random.default_rng(9), np.random.default_rng(9)
    for _ in range(2000):
        p = logit_probabilities(rng.normal(size=int(rng.integers(1, 40))), 0.3)
        assert logit_draw(ours, p) == int(theirs.choice(len(p), p=p))


def test_unit_clip_and_logistic_stay_in_bounds():
    x = np.array([-0.5, -0.0, 0.0, 0.3, 1.0, 1.7])
    assert unit_clip(x).tolist() == [0.0, 0.0, 0.0, 0.3, 1.0, 1.0]
    assert 0.0 < logistic(-1e9) < logistic(0.0) == 0.5 < logistic(1e9) <= 1.0
