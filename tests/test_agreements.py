"""Agreements live and die (sim.agreements): a deal ends only when a signatory decides to
abandon it, for reasons its utility breakdown names."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import agreements
from sim.columns import COMPONENTS
from sim.decision import (
    Option,
    feasible_options,
    reversion_gains,
    reversion_shares,
    utility_components,
)
from sim.model import DisputeModel, simulate

WITHDRAW = "withdraw_from_agreement"


def fresh(loaded, seed: int = 1) -> DisputeModel:
    model = DisputeModel(loaded, seed)
    model.snapshot()
    return model


def parts(model, actor: str, action: str, *targets: str) -> dict[str, float]:
    values = utility_components(model, model.agent_by_id[actor], Option(action, targets))
    return dict(zip(COMPONENTS, values, strict=True))


def test_only_a_signatory_of_a_deal_in_force_may_abandon_it(history):
    model = fresh(history)
    kor = model.agent_by_id["KOR"]
    assert Option(WITHDRAW, ("JPN",)) in feasible_options(model, kor)
    assert Option(WITHDRAW, ("USA",)) not in feasible_options(model, kor)
    agreements.withdraw(model, "KOR", "JPN")
    model.tie_masks.clear()
    assert Option(WITHDRAW, ("JPN",)) not in feasible_options(model, kor)


def test_abandoning_is_worth_the_new_governments_distance_from_the_terms(history):
    """The position component of abandoning the 2015 deal is the gain of moving the status quo
    `collapse_reversion` of the way toward the government's ideal, less that gain for the
    government that signed (Leeds, Mattes & Vogel 2009): large for Seoul under Moon (far from
    the terms Park signed), nothing for Tokyo, whose government signed them."""
    from sim.decision import reversion_gain

    model = fresh(history)
    p = model.params
    kor, jpn = (model.agent_by_id[a].index for a in ("KOR", "JPN"))
    gains = reversion_gains(model, np.array([kor, jpn]))
    seoul = parts(model, "KOR", WITHDRAW, "JPN")["position"]
    assert seoul == np.float64(p.weight_position * gains[0, 0])
    assert gains[0, 0] > 0.0 and gains[0, 1] == 0.0
    idx = model.negotiation_issue_idx
    sq, moon = model.world.status_quo[idx], model.agent_by_id["KOR"].ideal[idx]
    park = model.agent_by_id["KOR"].ideal_of("park")[idx]
    shares, salience = reversion_shares(model, np.array([kor])), model.saliences[[kor]][:, idx]
    expected = (reversion_gain(sq, shares, moon[None], moon[None], salience)
                - reversion_gain(sq, shares, park[None], park[None], salience))
    np.testing.assert_allclose(gains[0, :1], expected)
    assert gains[1, 1] > 0.0  # Tokyo's public would still like the terms moved its way


def test_the_government_that_signed_pays_an_audience_cost_to_abandon_it(history):
    """Undoing one's own signature costs face at home; a successor does not pay it."""
    model = fresh(history)
    before = parts(model, "KOR", WITHDRAW, "JPN")["domestic"]
    model.agent_by_id["KOR"].remember_measure("sign_agreement")  # as if Moon had signed
    model.tie_masks.clear()
    after = parts(model, "KOR", WITHDRAW, "JPN")["domestic"]
    assert after < before


def test_abandonment_reverts_the_status_quo_and_frees_the_victims_claims(history):
    model = fresh(history)
    w, idx = model.world, model.negotiation_issue_idx
    w.ties.update(agreements.settled_claims(model, ["JPN", "KOR"]))
    sq = w.status_quo[idx].copy()
    ideal = model.agent_by_id["KOR"].ideal[idx]
    ended = agreements.withdraw(model, "KOR", "JPN", "test")
    assert [a.id for a in ended] == ["deal_2015"] and ended[0].ended == model.month
    assert ended[0].end_reason == "abandoned by KOR (test)"
    np.testing.assert_allclose(w.status_quo[idx],
                               sq + model.params.collapse_reversion * (ideal - sq))
    assert not any(t[0] == "claims_settled" for t in w.ties)
    assert agreements.withdraw(model, "JPN", "KOR") == []  # nothing left to abandon


def test_victims_who_took_the_money_do_not_sue_or_rally_against_the_signatories(history):
    model = fresh(history)
    victims = model.agent_by_id["VICTIMS"]

    def open_acts() -> set[tuple[str, tuple]]:
        model.tie_masks.clear()
        return {(o.action, o.targets) for o in feasible_options(model, victims)}

    legal = {("lawsuit", ("JPN",)), ("rally", ("KOR",)), ("rally", ("JPN",))}
    assert legal <= open_acts()
    model.world.ties.update(agreements.settled_claims(model, ["JPN", "KOR"]))
    assert not legal & open_acts()


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**31))
def test_agreements_end_after_they_start_and_say_who_ended_them(history, seed):
    model = simulate(history, seed)
    for a in model.agreements.all:
        assert a.ended is None or a.ended >= a.signed
        assert (a.ended is None) == (a.end_reason == "")
        if a.ended:
            assert a.end_reason.startswith("abandoned by ")
        assert all(0.0 <= r <= 1.0 for r in a.risk_history)


def test_a_deal_is_reviewed_before_it_is_abandoned(history):
    """Choosing to abandon a deal first opens a review (a visible criticism of the deal, CAMEO
    111); the deal can be abandoned only once the review's lead time has passed."""
    from sim.decision import prepares

    model = fresh(history)
    option = Option(WITHDRAW, ("JPN",))
    row = model.candidate_row("KOR", option)
    assert prepares(model, model.option_table, row)
    options = feasible_options(model, model.agent_by_id["KOR"])
    n = len(options)
    model._carry_out(agreements_decision(model, options, option))
    event = model.rows_events[-1]
    assert (event[1], event[3], event[4]) == ("KOR", "review_agreement", "111")
    tie = ("agreement_review", "KOR", "JPN")
    lead = model.catalogue.actions["review_agreement"].lead_months
    assert lead.low <= model.prepared_ready[tie] - model.month_index <= lead.high
    assert model.agreements.in_force() and n
    model.tie_masks.clear()
    assert option not in feasible_options(model, model.agent_by_id["KOR"])
    model.month_index = model.prepared_ready[tie]
    assert option in feasible_options(model, model.agent_by_id["KOR"])
    assert not prepares(model, model.option_table, row)


def agreements_decision(model, options, option):
    from sim.decision import Decision

    n = len(options)
    return Decision("KOR", options, np.zeros((n, len(COMPONENTS))), np.full(n, 1.0 / n),
                    options.index(option))


def test_the_2015_deal_is_abandoned_under_the_next_government(history):
    ended = [next(a for a in simulate(history, s).agreements.all if a.id == "deal_2015")
             for s in range(6)]
    assert sum(a.ended is not None and a.end_reason.startswith("abandoned by KOR")
               for a in ended) >= 5


def test_each_month_a_deal_in_force_records_the_chance_it_is_abandoned(history_short):
    model = simulate(history_short, 3)
    deal = model.agreements.all[0]
    months_in_force = len(model.months) if deal.ended is None else (
        model.months.index(deal.ended) + 1)
    assert len(deal.risk_history) == months_in_force
    assert deal.risk_history[0] == 0.0  # under review first: it cannot be abandoned at once


def test_claims_the_victims_settled_are_reopened_only_for_those_who_refused(history):
    """Abandoning a deal whose money the victims took moves the claims issues only by the
    refusing share of the usual reversion: a deal refused by few is worth little to undo."""
    model = fresh(history)
    p = model.params
    actors = np.array([model.agent_by_id[a].index for a in ("KOR", "JPN", "USA")])
    deal = next(a for a in model.agreements.in_force() if a.id == "deal_2015")
    claims = model.claims_issue_mask
    assert claims.any()
    before = reversion_shares(model, actors)
    np.testing.assert_array_equal(before, p.collapse_reversion)
    gains_before = reversion_gains(model, actors[:1])
    deal.claims_settled, deal.refusal = True, 0.2
    after = reversion_shares(model, actors)
    np.testing.assert_allclose(after[:2][:, claims], p.collapse_reversion * 0.2)
    np.testing.assert_array_equal(after[:2][:, ~claims], p.collapse_reversion)
    np.testing.assert_array_equal(after[2], p.collapse_reversion)  # not a signatory
    assert (reversion_gains(model, actors[:1]) < gains_before).all()
    sq = model.world.status_quo[model.negotiation_issue_idx].copy()
    ideal = model.agent_by_id["KOR"].ideal[model.negotiation_issue_idx]
    agreements.withdraw(model, "KOR", "JPN")
    np.testing.assert_allclose(model.world.status_quo[model.negotiation_issue_idx],
                               sq + after[0] * (ideal - sq))
