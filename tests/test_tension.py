"""Dyadic tension and cooperation, and the actors' memories (sim.tension)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.tension import Impact, relation_floors, update_memories, update_relations
from sim.world import build_world

GAIN_T, GAIN_C, RELAX = 0.3, 0.25, 0.05


def pair(world, a="JPN", b="KOR"):
    return world.index[a], world.index[b]


def test_hostile_events_raise_tension_and_lower_cooperation(history):
    w = build_world(history)
    i, j = pair(w)
    t0, c0 = w.tension[i, j], w.cooperation[i, j]
    g = update_relations(w, [Impact(i, (j,), -5.0, 4)], GAIN_T, GAIN_C, RELAX, 0.5, 1.0)
    assert w.tension[i, j] > t0 and w.cooperation[i, j] < c0
    assert w.tension[i, j] == w.tension[j, i]
    assert g[i, j] == g[j, i] == -5.0


def test_cooperative_events_lower_tension(history):
    w = build_world(history)
    i, j = pair(w)
    t0 = w.tension[i, j]
    update_relations(w, [Impact(i, (j,), 8.0, 1)], GAIN_T, GAIN_C, RELAX, 0.5, 1.0)
    assert w.tension[i, j] < t0


def test_without_events_tension_relaxes_toward_a_floor_above_zero(history):
    w = build_world(history)
    i, j = pair(w)
    w.tension[i, j] = w.tension[j, i] = 0.95
    for _ in range(400):
        update_relations(w, [], GAIN_T, GAIN_C, RELAX, 0.5, 1.0)
    floor_t, _ = relation_floors(w)
    assert abs(w.tension[i, j] - floor_t[i, j]) < 1e-3
    assert floor_t[i, j] >= w.base_tension[i, j] > 0  # the grievance never drops to zero


def test_sanctions_in_force_hold_tension_up(history):
    w = build_world(history)
    i, j = pair(w)
    before, _ = relation_floors(w)
    w.ties.add(("export_controls", "JPN", "KOR"))
    after_t, after_c = relation_floors(w)
    assert after_t[i, j] > before[i, j]
    w.ties.discard(("gsomia", "JPN", "KOR"))
    assert relation_floors(w)[1][i, j] < after_c[i, j]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.floats(-10, 10),
                          st.integers(1, 4)), max_size=40))
def test_tension_and_cooperation_stay_in_bounds(history, events):
    w = build_world(history)
    impacts = [Impact(a, (b,), g, q) for a, b, g, q in events if a != b]
    for _ in range(3):
        update_relations(w, impacts, 1.0, 1.0, RELAX, 0.5, 1.0)
        update_memories(w, impacts, 0.8, 0.25, 0.9)
    for m in (w.tension, w.cooperation):
        assert np.all((m >= 0) & (m <= 1)) and not np.isnan(m).any()
        assert np.allclose(m, m.T)


def test_memories_are_moving_averages_that_fade(history):
    w = build_world(history)
    i, j = pair(w)
    update_memories(w, [Impact(i, (j,), -5.0, 4)], 0.8, 0.25, 0.9)
    assert w.received[j, i] < 0 and w.given[i, j] < 0
    first = w.received[j, i]
    update_memories(w, [], 0.8, 0.25, 0.9)
    assert first < w.received[j, i] < 0  # forgiveness: the slight fades


def test_scripted_events_count_as_received_but_not_as_given(history):
    w = build_world(history)
    i, j = pair(w, "KOR", "JPN")
    update_memories(w, [Impact(i, (j,), -2.0, 3, chosen=False)], 0.8, 0.25, 0.9)
    assert w.received[j, i] < 0  # Tokyo blames Seoul for the court's ruling
    assert w.given[i, j] == 0  # but Seoul did not choose it


def test_threat_grows_with_adversaries_provocations_and_alliances(history):
    w = build_world(history)
    prk, jpn, usa, kor = (w.index[a] for a in ("PRK", "JPN", "USA", "KOR"))
    update_memories(w, [Impact(prk, (jpn,), -7.2, 4)], 0.8, 0.25, 0.9)
    assert w.threat[jpn] > 0 and w.threat[prk] == 0
    w2 = build_world(history)
    update_memories(w2, [Impact(usa, (kor,), 7.4, 2, security_cooperation=True)], 0.8, 0.25, 0.9)
    assert w2.threat[prk] > 0  # one side's alliance drill is the other's threat


def test_a_word_moves_tension_less_than_a_deed_of_the_same_value(history):
    """Statements are cheap talk, deeds costly signals (Fearon 1997): with verbal_weight below
    one a threat raises tension less than a sanction of the same Goldstein value."""
    said, done = build_world(history), build_world(history)
    i, j = pair(said)
    update_relations(said, [Impact(i, (j,), -5.0, 3)], GAIN_T, GAIN_C, RELAX, 0.5, 0.5)
    update_relations(done, [Impact(i, (j,), -5.0, 4)], GAIN_T, GAIN_C, RELAX, 0.5, 0.5)
    start = build_world(history).tension[i, j]
    assert start < said.tension[i, j] < done.tension[i, j]


def test_only_coercive_blows_open_the_account_and_only_countermeasures_answer_it(history):
    w = build_world(history)
    i, j = pair(w)
    update_memories(w, [Impact(i, (j,), -5.0, 4, coercive=True, countermeasure=True),
                        Impact(i, (j,), -4.0, 4, countermeasure=True),
                        Impact(i, (j,), -6.5, 4), Impact(j, (i,), 7.0, 2)], 0.8, 0.25, 0.9)
    assert w.received_coercion[j, i] == -0.5  # the sanction, not the other material blows
    assert w.given_coercion[i, j] == -0.9  # the two countermeasures answer, the rally does not
    assert w.given_coercion[j, i] == 0.0  # goodwill does not reopen an account


def test_words_and_deeds_are_kept_in_accounts_of_their_own(history):
    """Reciprocity answers in kind: the deeds account holds the material acts only; the
    general account holds every act, coercive blows included."""
    w = build_world(history)
    i, j = pair(w)
    acts = [Impact(i, (j,), -4.4, 3), Impact(i, (j,), -5.0, 4, coercive=True),
            Impact(i, (j,), 7.0, 2)]
    update_memories(w, acts, 0.8, 0.25, 0.9)
    assert w.received[j, i] == pytest.approx(-0.44 - 0.5 + 0.7)
    assert w.received_deeds[j, i] == pytest.approx(-0.5 + 0.7)
    assert w.given_deeds[i, j] == pytest.approx(-0.5 + 0.7)
    update_memories(w, [], 0.8, 0.25, 0.9)
    assert w.received_deeds[j, i] == pytest.approx(0.8 * 0.2)  # forgotten at `memory`


def test_coercive_blows_anger_the_targets_public_and_the_anger_fades(history):
    """Sanctions rally the target's public against the sender (Galtung 1967): the anger is
    `sanction_rally` times the blow's size and is forgotten as the blow is."""
    w = build_world(history)
    i, j = pair(w)
    update_memories(w, [Impact(i, (j,), -5.0, 4, coercive=True), Impact(i, (j,), -6.5, 4)],
                    0.8, 0.25, 0.9, sanction_rally=0.6)
    assert w.anger[j, i] == pytest.approx(0.3)  # only the coercive blow
    assert w.anger[i, j] == 0.0
    update_memories(w, [], 0.8, 0.25, 0.9, sanction_rally=0.6)
    assert w.anger[j, i] == pytest.approx(0.9 * 0.3)
