"""Two-level ratification (sim.ratification)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ratification import public_opposition, ratification_probability, refusal_share

PUBLIC = np.array([0.2, 0.9])
SALIENCE = np.array([0.8, 0.6])
SQ = np.array([0.3, 0.55])


def test_opposition_grows_as_the_package_moves_away_from_the_public():
    near = public_opposition(PUBLIC, SALIENCE, SQ, np.array([0.35, 0.6]), 2.0)
    far = public_opposition(PUBLIC, SALIENCE, SQ, np.array([0.85, 0.45]), 2.0)
    assert 0 < near < far < 1
    assert far == pytest.approx(0.6, abs=0.15)  # about 60% opposed the 2023 plan


def test_victims_refuse_less_when_they_took_part():
    ideal, salience = np.array([0.0, 1.0]), np.array([1.0, 0.9])
    package = np.array([0.85, 0.45])
    excluded = refusal_share(ideal, salience, SQ, package, False, 3.0, 2.5, 2.0)
    included = refusal_share(ideal, salience, SQ, package, True, 3.0, 2.5, 2.0)
    assert included < excluded


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_ratification_falls_with_opposition_and_refusal(audience, opposition, refusal):
    rules = (0.65, 10.0, 0.5)  # threshold, steepness, refusal weight
    p = ratification_probability(audience, opposition, refusal, *rules)
    assert 0 <= p <= 1
    assert ratification_probability(audience, min(1, opposition + 0.1), refusal, *rules) <= p
    assert ratification_probability(audience, opposition, min(1, refusal + 0.1), *rules) <= p


def test_a_government_deaf_to_its_public_ratifies_anyway():
    assert ratification_probability(0.0, 0.9, 0.9, 0.65, 10.0, 0.5) > 0.99
