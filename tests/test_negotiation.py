"""Negotiation (sim.negotiation): bargaining, packages, proposals and acceptance."""

from __future__ import annotations

import numpy as np

from sim import negotiation
from sim.model import DisputeModel, simulate
from sim.scenario import load_scenario


def model_at(loaded, seed=3):
    model = DisputeModel(loaded, seed)
    model.snapshot()
    return model


def test_bargaining_moves_negotiators_closer(history):
    model = model_at(history)
    before = negotiation.veto_distance(model)
    for _ in range(12):
        negotiation.bargaining_step(model)
    assert negotiation.veto_distance(model) < before


def test_mistrust_slows_concessions(history):
    calm, tense = model_at(history), model_at(history)
    calm.world.tension[:] = 0.0
    tense.world.tension[:] = 0.9
    for m in (calm, tense):
        for _ in range(6):
            negotiation.bargaining_step(m)
    assert negotiation.veto_distance(calm) < negotiation.veto_distance(tense)


def test_package_lies_between_the_veto_players(history):
    model = model_at(history)
    terms = negotiation.draft_package(model, include_victims=False)
    idx = model.negotiation_issue_idx
    lows = np.minimum(*(a.negotiating[idx] for a in model.veto_agents))
    highs = np.maximum(*(a.negotiating[idx] for a in model.veto_agents))
    assert np.all(terms >= lows - 1e-9) and np.all(terms <= highs + 1e-9)


def test_including_the_victims_moves_the_package_their_way(history):
    model = model_at(history)
    k = model.negotiation_issues.index("compensation")
    without = negotiation.draft_package(model, include_victims=False)
    with_victims = negotiation.draft_package(model, include_victims=True)
    victims = model.victims_agent.negotiating[model.negotiation_issue_idx][k]
    assert abs(with_victims[k] - victims) < abs(without[k] - victims)


def test_a_package_nearer_its_ideal_is_more_acceptable(history):
    model = model_at(history)
    jpn = model.agent_by_id["JPN"]
    friendly = np.array([0.95, 0.2])  # Tokyo's own line on compensation and apology
    hostile = np.array([0.0, 1.0])
    gain = negotiation.acceptance_components(model, jpn, friendly, False).sum()
    loss = negotiation.acceptance_components(model, jpn, hostile, False).sum()
    assert gain > loss


def test_a_package_on_the_table_is_signed_or_rejected_in_month_one():
    scenario = load_scenario("scenarios/thaw_2023.yaml", {"meta.end": "2023-05"})
    model = simulate(scenario, 11)
    actions = [row[3] for row in model.rows_events if row[0] == "2023-03"]
    assert "propose_settlement" in actions
    assert "sign_agreement" in actions or "reject_proposal" in actions


def test_the_fast_bargaining_round_moves_positions_exactly_as_the_kernel():
    """The simulation's vectorised round is the kernel's round (sim.bargaining), bit for bit."""
    from sim.bargaining import RoundConstants, bargaining_positions, bargaining_round

    rng = np.random.default_rng(3)
    for case in range(300):
        n, dims = int(rng.integers(2, 8)), int(rng.integers(1, 5))
        c, s = rng.random(n) * 3, rng.random((n, dims))
        x = np.round(rng.random((n, dims)), 1 if case % 3 == 0 else 6)  # ties and capitulations
        mistrust = rng.random((n, n))
        risk = rng.uniform(-1, 1, n)
        kernel = bargaining_round(c, x, s, mistrust=mistrust, position_range=(0.0, 1.0),
                                  risk=risk).position
        fast = bargaining_positions(c, x, s, mistrust, RoundConstants.of(risk))
        assert np.array_equal(np.asarray(kernel).reshape(n, dims), fast), case


def test_a_mediator_narrows_the_gap_between_the_two_it_mediates(history):
    model = model_at(history)
    idx = model.negotiation_issue_idx
    kor, jpn = model.agent_by_id["KOR"], model.agent_by_id["JPN"]
    gap = np.abs(kor.negotiating[idx] - jpn.negotiating[idx])
    negotiation.mediate(model, ["KOR", "JPN"])
    after = np.abs(kor.negotiating[idx] - jpn.negotiating[idx])
    np.testing.assert_allclose(after, (1 - model.params.mediation_convergence) * gap)
    usa = model.agent_by_id["USA"].negotiating.copy()
    negotiation.mediate(model, ["KOR", "JPN"])
    np.testing.assert_array_equal(model.agent_by_id["USA"].negotiating, usa)


def test_a_package_is_prepared_before_it_is_tabled():
    """When the conditions for a package first hold, the proposer opens working-level talks
    (the preparing act) and tables the package only once their lead time has passed."""
    scenario = load_scenario("tests/scenarios/stage_close.yaml", {"meta.end": "2034-12"})
    model = simulate(scenario, 5)
    acts = [(row[0], row[1], row[3]) for row in model.rows_events]
    prepared = [(m, a) for m, a, act in acts if act == "prepare_settlement"]
    proposed = [(m, a) for m, a, act in acts if act == "propose_settlement"]
    assert prepared and proposed
    lead = model.catalogue.actions["prepare_settlement"].lead_months
    first_prepared, proposer = prepared[0]
    first_proposed = proposed[0][0]
    months = model.months.index(first_proposed) - model.months.index(first_prepared)
    assert lead.low <= months
    assert len(prepared) == 1 and proposer in {"JPN", "KOR"}  # one round of talks for both


def test_a_signed_package_uses_up_its_preparation():
    scenario = load_scenario("tests/scenarios/stage_close.yaml", {"meta.end": "2034-12"})
    for seed in range(4):
        model = simulate(scenario, seed)
        if any(a.signed >= model.months[0] for a in model.agreements.all):
            assert not any(t[0] == "settlement_prepared" for t in model.world.ties)
            return
    raise AssertionError("no deal in four runs of the close stage")


def test_while_talks_run_the_packages_concessions_are_held_for_it(history):
    """Nothing is agreed until everything is agreed: while settlement talks run between Seoul
    and Tokyo, neither restores on its own a tie the package will restore (GSOMIA, a white
    list, controls lifted); other acts, and acts toward others, stay open."""
    from sim.decision import Option, feasible_options

    model = model_at(history)
    w = model.world
    w.ties.discard(("gsomia", "JPN", "KOR"))
    w.ties.add(("gsomia_notice", "KOR", "JPN"))  # Seoul gave notice
    w.ties.discard(("white_list", "KOR", "JPN"))
    w.ties.add(("export_controls", "JPN", "KOR"))

    def open_to(actor: str) -> set[Option]:
        model.tie_masks.clear()
        return set(feasible_options(model, model.agent_by_id[actor]))

    held = {("KOR", Option("restore_gsomia", ("JPN",))),
            ("KOR", Option("restore_white_list", ("JPN",))),
            ("JPN", Option("lift_export_controls", ("KOR",)))}
    assert all(option in open_to(actor) for actor, option in held)
    w.ties.add(("settlement_prepared", "JPN", "KOR"))  # Tokyo opened talks
    assert not any(option in open_to(actor) for actor, option in held)
    assert Option("praise", ("JPN",)) in open_to("KOR")
    w.ties.discard(("settlement_prepared", "JPN", "KOR"))
    assert all(option in open_to(actor) for actor, option in held)


def test_a_partners_conduct_not_ones_own_sets_the_trust_a_package_needs(history):
    """Acceptance weighs what the partner recently did (trust built by the other side's
    conduct: Kydd 2005), not the actor's own balance: having been the more hostile side does
    not make a government keener to accept."""
    model = model_at(history)
    w = model.world
    kor, jpn = w.index["KOR"], w.index["JPN"]
    seoul = model.agent_by_id["KOR"]
    terms = np.array([0.6, 0.6])

    def trust() -> float:
        return dict(zip(negotiation.COMPONENTS,
                        negotiation.acceptance_components(model, seoul, terms, False),
                        strict=True))["reciprocity"]

    calm = trust()
    w.given[kor, jpn] = -1.0  # Seoul has been hostile to Tokyo
    assert trust() == calm
    w.received[kor, jpn] = -1.0  # Tokyo has been hostile to Seoul
    assert trust() < calm
    w.received[kor, jpn] = 1.0  # Tokyo has been friendly
    assert trust() > calm
