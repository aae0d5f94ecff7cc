"""The monthly choice (sim.decision): feasibility, utility components and the logit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import decision
from sim.columns import COMPONENTS
from sim.decision import Option, logit_probabilities, utility_components
from sim.model import DisputeModel


def fresh_model(loaded, seed: int = 1) -> DisputeModel:
    model = DisputeModel(loaded, seed)
    model.snapshot()
    return model


def components(model, actor: str, action: str, *targets: str) -> dict[str, float]:
    agent = model.agent_by_id[actor]
    values = utility_components(model, agent, Option(action, tuple(targets)))
    return dict(zip(COMPONENTS, values, strict=True))


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=30), st.floats(0.01, 5))
def test_logit_probabilities_are_a_distribution(utilities, temperature):
    p = logit_probabilities(np.array(utilities), temperature)
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0)
    assert p[int(np.argmax(utilities))] == pytest.approx(p.max())


def test_lower_temperature_concentrates_choice():
    u = np.array([0.0, 0.1, 0.2])
    assert logit_probabilities(u, 0.01)[2] > logit_probabilities(u, 1.0)[2]


def test_doing_nothing_is_always_feasible_and_worth_zero(history):
    model = fresh_model(history)
    for agent in model.actor_agents:
        options = decision.feasible_options(model, agent)
        assert options[0] == Option("wait")
        assert all(v == 0 for v in utility_components(model, agent, options[0]))


def test_preconditions_follow_ties(history):
    model = fresh_model(history)
    jpn = model.agent_by_id["JPN"]
    names = {(o.action, o.targets) for o in decision.feasible_options(model, jpn)}
    # white list in force: it can be removed, not restored; no controls yet to lift
    assert ("remove_from_white_list", ("KOR",)) in names
    assert ("restore_white_list", ("KOR",)) not in names
    assert ("lift_export_controls", ("KOR",)) not in names
    model.world.ties.add(("export_controls", "JPN", "KOR"))
    names = {(o.action, o.targets) for o in decision.feasible_options(model, jpn)}
    assert ("lift_export_controls", ("KOR",)) in names
    assert ("impose_export_controls", ("KOR",)) not in names


def test_kind_and_tags_restrict_the_repertoire(history):
    model = fresh_model(history)
    actions = {o.action for o in decision.feasible_options(model, model.agent_by_id["JPN"])}
    assert "missile_test" not in actions  # only for actors tagged missile_power
    assert "lawsuit" not in actions  # only for groups
    group = {o.action for o in decision.feasible_options(model, model.agent_by_id["VICTIMS"])}
    assert "lawsuit" in group and "impose_export_controls" not in group


def test_mediation_needs_a_posture(history):
    passive = fresh_model(history)
    usa = passive.agent_by_id["USA"]
    assert not any(o.action == "envoy_mediation" for o in usa.candidates)
    from sim.scenario import load_scenario

    envoy = load_scenario(history.path, {"levers.us_mediation.setting": "envoy"})
    model = fresh_model(envoy)
    assert any(o.action == "envoy_mediation" and set(o.targets) == {"JPN", "KOR"}
               for o in model.agent_by_id["USA"].candidates)


def test_reciprocity_answers_hostility_received(history):
    model = fresh_model(history)
    i, j = model.world.index["KOR"], model.world.index["JPN"]
    before = components(model, "KOR", "criticise", "JPN")["reciprocity"]
    model.world.received[i, j] = -0.5  # Tokyo has been hostile to Seoul
    model.snapshot()
    after = components(model, "KOR", "criticise", "JPN")
    assert after["reciprocity"] > before
    assert components(model, "KOR", "praise", "JPN")["reciprocity"] < 0
    model.world.given[i, j] = -0.5  # ... and Seoul has already answered in kind
    model.snapshot()
    assert components(model, "KOR", "criticise", "JPN")["reciprocity"] == pytest.approx(0)


def test_coercion_expects_a_concession_that_grows_with_the_gap(history):
    model = fresh_model(history)
    k = model.world.issue_index["compensation"]
    model.world.status_quo[k] = 0.6
    near = components(model, "JPN", "remove_from_white_list", "KOR")["position"]
    model.world.status_quo[k] = 0.1  # after the rulings: far from Tokyo's 1965 position
    far = components(model, "JPN", "remove_from_white_list", "KOR")["position"]
    assert far > near


def test_common_ally_pressure_penalises_hostility_between_its_allies():
    from sim.scenario import load_scenario
    from tests.conftest import SCENARIOS

    rupture = SCENARIOS / "rupture_2019.yaml"
    weak = fresh_model(load_scenario(rupture))
    strong = fresh_model(load_scenario(rupture, {"levers.us_mediation.setting": "envoy"}))
    hostile_weak = components(weak, "JPN", "impose_export_controls", "KOR")["alliance"]
    hostile_strong = components(strong, "JPN", "impose_export_controls", "KOR")["alliance"]
    assert hostile_strong < hostile_weak < 0
    assert components(strong, "JPN", "praise", "KOR")["alliance"] > 0


def test_an_administration_brings_its_own_mediation_posture(history):
    """In the replay Washington is passive under Trump and works through shuttle diplomacy
    under Biden (usip-2023-mend-ties#P27): its mediation acts open with the new administration,
    and its pressure on its allies grows."""
    model = fresh_model(history)
    usa = model.agent_by_id["USA"]
    shuttle = Option("shuttle_mediation", ("KOR", "JPN"))
    assert usa.mediation == "passive" and shuttle in usa.candidates
    model.world.tension[model.world.index["JPN"], model.world.index["KOR"]] = 0.6
    model.world.tension[model.world.index["KOR"], model.world.index["JPN"]] = 0.6
    assert shuttle not in decision.feasible_options(model, usa)
    before = components(model, "JPN", "impose_export_controls", "KOR")["alliance"]
    model.month_index = model.months.index("2021-02")
    model._update_administrations()
    model.snapshot()
    assert usa.mediation == "shuttle" and shuttle in decision.feasible_options(model, usa)
    assert components(model, "JPN", "impose_export_controls", "KOR")["alliance"] < before


def test_common_threat_favours_security_cooperation(history):
    model = fresh_model(history)
    calm = components(model, "JPN", "joint_drills", "USA")["threat"]
    model.world.threat[model.world.index["JPN"]] = 0.8  # Pyongyang has been testing missiles
    model.snapshot()
    threatened = components(model, "JPN", "joint_drills", "USA")
    assert threatened["threat"] > calm
    assert components(model, "JPN", "impose_export_controls", "KOR")["threat"] < 0


def test_election_raises_the_weight_of_the_home_audience(history):
    model = fresh_model(history)
    model.month_index = model.months.index("2018-01")
    model.snapshot()
    quiet = components(model, "JPN", "threaten", "KOR")["domestic"]
    model.month_index = model.months.index("2019-03")  # four months before the 2019 election
    model.snapshot()
    campaign = components(model, "JPN", "threaten", "KOR")["domestic"]
    assert campaign > quiet > 0


def test_disposition_comes_from_levers(history):
    from sim.scenario import load_scenario

    high = fresh_model(load_scenario(history.path,
                                     {"levers.pyongyang_provocation.setting": "high"}))
    low = fresh_model(load_scenario(history.path, {"levers.pyongyang_provocation.setting": "low"}))
    assert components(high, "PRK", "missile_test", "JPN")["disposition"] > 0
    assert components(low, "PRK", "missile_test", "JPN")["disposition"] < 0


def test_every_decision_is_logged_with_its_breakdown(history_short):
    from sim.model import simulate

    model = simulate(history_short, 5)
    from sim.columns import EVENT_COLUMNS, UTILITY_COLUMNS

    column = {name: k for k, name in enumerate(EVENT_COLUMNS)}
    chosen = [row for row in model.rows_events
              if row[column["scripted"]] is False and row[column["probability"]] is not None]
    assert chosen, "actors made no decisions at all"
    for row in chosen:
        parts = [row[column[name]] for name in UTILITY_COLUMNS]
        assert sum(parts) == pytest.approx(row[column["u_total"]], abs=1e-5)
        assert 0 < row[column["probability"]] <= 1


def test_spoilers_coerce_more_when_the_allies_cooperate_on_security(history):
    """Beijing gains from a divided Seoul and Tokyo: the closer their security cooperation, the
    more coercing Seoul is worth to it (dispatch-2023-thaw#P14)."""
    model = fresh_model(history)
    k = model.world.issue_index["security"]
    model.world.status_quo[k] = 0.3  # divided: intelligence sharing ended
    divided = sum(components(model, "CHN", "economic_coercion", "KOR").values())
    model.world.status_quo[k] = 0.95  # united: trilateral cooperation
    united = sum(components(model, "CHN", "economic_coercion", "KOR").values())
    assert united > divided


def test_pyongyang_answers_its_adversaries_alignment(history):
    """Pyongyang would rather Seoul and Tokyo stayed divided (usip-2023-mend-ties#P25): their
    alignment raises the threat it perceives and so the value of a show of force."""
    from sim.tension import Impact, update_memories

    model = fresh_model(history)
    calm = sum(components(model, "PRK", "missile_test", "JPN").values())
    w = model.world
    summit = Impact(w.index["KOR"], (w.index["JPN"],), 8.0, 1, security_cooperation=True)
    update_memories(w, [summit], model.params.memory,
                    model.params.security_cooperation_threat, model.params.coercion_memory)
    model.snapshot()
    assert sum(components(model, "PRK", "missile_test", "JPN").values()) > calm


def test_a_decisions_options_behave_as_a_list(history):
    model = fresh_model(history)
    model.agents.do("decide")
    decision = model.agent_by_id["JPN"].decision
    options = list(decision.options)
    assert len(options) == len(decision.components) == len(decision.probabilities)
    assert decision.options.index(options[-1]) == len(options) - 1
    assert options[0] in decision.options and decision.options == options
    assert decision.option == options[decision.chosen]


def test_a_coercive_blow_calls_for_a_proportionate_countermeasure(history):
    """Export controls received open an account: a countermeasure toward the coercer (a
    coercive act, or an act tagged `countermeasure` such as a GSOMIA notice) is worth the square
    of what it closes (an answer of the blow's size most), a word nothing, and an answered blow
    calls for nothing more (sim.decision.countermeasure_value)."""
    from sim.decision import countermeasure_value
    from sim.tension import Impact, update_memories

    model = fresh_model(history)
    w, p = model.world, model.params

    def reciprocity(action: str) -> float:
        model.snapshot()
        return components(model, "KOR", action, "JPN")["reciprocity"]

    calm = {a: reciprocity(a) for a in ("remove_from_white_list", "terminate_gsomia", "criticise")}
    controls = Impact(w.index["JPN"], (w.index["KOR"],), -5.0, 4, coercive=True,
                      countermeasure=True)
    update_memories(w, [controls], p.memory, p.security_cooperation_threat, p.coercion_memory)
    gain = {a: reciprocity(a) - calm[a] for a in calm}
    r = model.agent_by_id["KOR"].reciprocity
    # the deeds account: r * g * received (-0.5); the blows: coercion_reciprocity * r * 0.5**2
    expected = p.weight_reciprocity * (r * -0.5 * -0.5 + p.coercion_reciprocity * r * 0.25)
    assert gain["remove_from_white_list"] == pytest.approx(expected, rel=1e-9)
    gsomia = p.weight_reciprocity * (r * -0.4 * -0.5 + p.coercion_reciprocity * r * 0.4 ** 2)
    assert gain["terminate_gsomia"] == pytest.approx(gsomia, rel=1e-9)
    assert gain["remove_from_white_list"] > gain["terminate_gsomia"] > 0  # -5 answers -5 best
    assert gain["criticise"] == pytest.approx(0.0)  # a word answers no deed
    answer = Impact(w.index["KOR"], (w.index["JPN"],), -5.0, 4, coercive=True,
                    countermeasure=True)
    update_memories(w, [answer], p.memory, p.security_cooperation_threat, p.coercion_memory)
    model.snapshot()
    assert model.world.received_coercion[w.index["KOR"], w.index["JPN"]] < 0
    assert not countermeasure_value(model).any()  # the account is closed


def test_reciprocity_answers_in_kind(history):
    """Words answer words and deeds answer deeds (Leng 1993): a threat received makes a threat
    in answer worth more, not a sanction; a missile test received makes a sanction in answer
    worth more, not a threat."""
    from sim.tension import Impact, update_memories

    model = fresh_model(history)
    w, p = model.world, model.params

    def reciprocity(actor: str, action: str, target: str) -> float:
        model.snapshot()
        return components(model, actor, action, target)["reciprocity"]

    before = {(a, t): reciprocity("JPN", a, t) for a, t in
              (("threaten", "CHN"), ("threaten", "PRK"), ("pressure_adversary", "PRK"))}
    words = Impact(w.index["CHN"], (w.index["JPN"],), -4.4, 3)
    deeds = Impact(w.index["PRK"], (w.index["JPN"],), -7.2, 4)
    update_memories(w, [words, deeds], p.memory, p.security_cooperation_threat, p.coercion_memory)
    gain = {key: reciprocity("JPN", *key) - value for key, value in before.items()}
    assert gain[("threaten", "CHN")] > 0
    assert gain[("threaten", "PRK")] == pytest.approx(0.0)
    assert gain[("pressure_adversary", "PRK")] > 0


def test_an_election_ahead_restrains_material_escalation_not_words(history):
    """In the months before a vote a government pays `election_restraint` per unit of
    hostility for deeds (Gaubatz 1991), while words cost no more."""
    model = fresh_model(history)

    def cost(action: str, month: str) -> float:
        model.month_index = model.months.index(month)
        model.snapshot()
        return components(model, "JPN", action, "KOR")["cost"]

    p = model.params
    quiet, campaign = "2018-06", "2019-03"  # the Japanese vote of July 2019 is four months on
    for month, ahead in ((quiet, False), (campaign, True)):
        model.month_index = model.months.index(month)
        assert model.election_ahead("JPN") == ahead
    assert cost("terminate_gsomia", campaign) == pytest.approx(
        cost("terminate_gsomia", quiet) - p.weight_cost * p.election_restraint * 0.4)
    assert cost("threaten", campaign) == cost("threaten", quiet)
    model.month_index = model.months.index(campaign)
    model.snapshot()
    assert components(model, "KOR", "terminate_gsomia", "JPN")["cost"] == pytest.approx(
        -p.weight_cost * (0.12 + p.attention_cost))  # Seoul has no vote ahead


def test_a_coercers_blows_rally_the_targets_public_against_it(history):
    """Sanctions rally the target's public against the sender (Galtung 1967): after Tokyo's
    controls Seoul's home audience rewards hostility toward Tokyo more, and toward no one else."""
    from sim.tension import Impact, update_memories

    model = fresh_model(history)
    w, p = model.world, model.params

    def domestic(action: str, target: str) -> float:
        model.snapshot()
        return components(model, "KOR", action, target)["domestic"]

    before = domestic("criticise", "JPN"), domestic("criticise", "CHN")
    controls = Impact(w.index["JPN"], (w.index["KOR"],), -5.0, 4, coercive=True,
                      countermeasure=True)
    update_memories(w, [controls], p.memory, p.security_cooperation_threat, p.coercion_memory,
                    p.sanction_rally)
    assert w.anger[w.index["KOR"], w.index["JPN"]] == pytest.approx(0.5 * p.sanction_rally)
    assert domestic("criticise", "JPN") > before[0]
    assert domestic("criticise", "CHN") == before[1]


def test_a_court_ruling_is_a_weaker_trigger_than_a_seizure(history):
    """A ruling is a word (verbal conflict); a seizure of assets a coercive measure: only the
    seizure opens the account that calls for coercion in answer."""
    from sim.decision import countermeasure_value
    from sim.tension import Impact, is_coercive, update_memories

    assert is_coercive("1711") and is_coercive("172") and is_coercive("163")
    assert not is_coercive("116") and not is_coercive("161") and not is_coercive("150")
    model = fresh_model(history)
    w, p = model.world, model.params
    ruling = Impact(w.index["KOR"], (w.index["JPN"],), -2.0, 3, chosen=False,
                    coercive=is_coercive("116"))
    update_memories(w, [ruling], p.memory, p.security_cooperation_threat, p.coercion_memory)
    model.snapshot()
    assert not countermeasure_value(model).any()
    seizure = Impact(w.index["KOR"], (w.index["JPN"],), -9.2, 4, chosen=False,
                     coercive=is_coercive("1711"), countermeasure=True)
    update_memories(w, [seizure], p.memory, p.security_cooperation_threat, p.coercion_memory)
    model.snapshot()
    row = model.candidate_row("JPN", Option("impose_export_controls", ("KOR",)))
    assert countermeasure_value(model)[row] > 0
