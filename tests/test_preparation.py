"""Why retaliation waits (sim.decision, sim.model): a formal measure is prepared before it is
imposed, an answer in kind needs no preparation, and a host restrains its quarrels."""

from __future__ import annotations

import numpy as np
import pytest

from sim.columns import COMPONENTS
from sim.decision import Decision, Option, feasible_options, prepares, utility_components
from sim.model import DisputeModel
from sim.tension import update_memories, update_relations

CONTROLS = Option("impose_export_controls", ("KOR",))
WHITE_LIST = Option("remove_from_white_list", ("KOR",))


def fresh(loaded, seed: int = 1) -> DisputeModel:
    model = DisputeModel(loaded, seed)
    model.snapshot()
    return model


def choose(model: DisputeModel, actor: str, option: Option) -> Decision:
    """A decision of ``actor`` that picks ``option`` among its feasible options."""
    options = feasible_options(model, model.agent_by_id[actor])
    n = len(options)
    return Decision(actor, options, np.zeros((n, len(COMPONENTS))), np.full(n, 1.0 / n),
                    options.index(option))


def test_choosing_an_unprepared_measure_starts_its_preparation(history):
    model = fresh(history)
    lead = model.catalogue.actions["prepare_trade_measures"].lead_months
    tie = ("measures_prepared", "JPN", "KOR")
    assert prepares(model, model.option_table, model.candidate_row("JPN", CONTROLS))
    model._carry_out(choose(model, "JPN", CONTROLS))
    assert tie in model.world.ties
    assert lead.low <= model.prepared_ready[tie] - model.month_index <= lead.high
    event = model.rows_events[-1]
    assert (event[1], event[3]) == ("JPN", "prepare_trade_measures")
    assert "prepares impose_export_controls" in event[-1]
    assert ("export_controls", "JPN", "KOR") not in model.world.ties  # not imposed yet


def test_a_measure_in_preparation_is_unavailable_until_it_is_ready(history):
    model = fresh(history)
    model._carry_out(choose(model, "JPN", CONTROLS))
    ready = model.prepared_ready[("measures_prepared", "JPN", "KOR")]
    model.tie_masks.clear()
    japan = model.agent_by_id["JPN"]
    assert CONTROLS not in feasible_options(model, japan)
    assert WHITE_LIST not in feasible_options(model, japan)  # the same groundwork
    model.month_index = ready
    assert CONTROLS in feasible_options(model, japan) and WHITE_LIST in feasible_options(
        model, japan)
    assert not prepares(model, model.option_table, model.candidate_row("JPN", CONTROLS))
    model._carry_out(choose(model, "JPN", CONTROLS))
    assert ("export_controls", "JPN", "KOR") in model.world.ties


def test_an_answer_in_kind_needs_no_preparation(history):
    """Seoul may answer Tokyo's controls or its white-list removal at once, in kind."""
    model = fresh(history)
    w = model.world
    answer = Option("remove_from_white_list", ("JPN",))
    row = model.candidate_row("KOR", answer)
    assert prepares(model, model.option_table, row)
    w.ties.add(("export_controls", "JPN", "KOR"))
    assert not prepares(model, model.option_table, row)
    w.ties.discard(("export_controls", "JPN", "KOR"))
    w.ties.discard(("white_list", "JPN", "KOR"))  # once held, now withdrawn
    assert not prepares(model, model.option_table, row)


def test_a_host_restrains_its_quarrels_in_the_summits_months(history):
    """Tokyo hosts the G20 in June 2019: hostility costs it more in May and June, not in April,
    and costs Seoul no more."""
    model = fresh(history)

    def cost(actor: str, option: Option, month: str) -> float:
        model.month_index = model.months.index(month)
        model.snapshot()
        values = utility_components(model, model.agent_by_id[actor], option)
        return dict(zip(COMPONENTS, values, strict=True))["cost"]

    criticise = Option("criticise", ("KOR",))
    before, during = cost("JPN", criticise, "2019-04"), cost("JPN", criticise, "2019-06")
    p = model.params
    assert during == pytest.approx(before - p.weight_cost * p.hosting_restraint * 0.2)
    assert cost("JPN", criticise, "2019-05") == during
    assert cost("JPN", Option("praise", ("KOR",)), "2019-06") == cost(
        "JPN", Option("praise", ("KOR",)), "2019-04")
    seoul = Option("criticise", ("JPN",))
    assert cost("KOR", seoul, "2019-06") == cost("KOR", seoul, "2019-04")


def test_the_catalogue_checks_preparations(base_stage):
    from sim.errors import InputError
    from sim.scenario import load_scenario

    text = (base_stage / "actions.yaml").read_text(encoding="utf-8")
    broken = text.replace("    role: preparation\n", "    role: choice\n", 1)
    (base_stage / "broken_actions.yaml").write_text(broken, encoding="utf-8")
    (base_stage / "stage.yaml").write_text(
        "extends: base.yaml\nmeta: {catalogue: broken_actions.yaml}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(base_stage / "stage.yaml")
    message = str(caught.value)
    assert "broken_actions.yaml" in message and "must have `role: preparation`" in message


def test_the_groundwork_of_a_trade_measure_is_kept_quiet(history):
    """Trade measures are prepared in confidence, so that the target's firms cannot stockpile:
    the preparing act is logged (CAMEO 014, considering a policy option) but moves neither
    tension nor anyone's memories, and the prepared tie weighs nothing on the dyad."""
    model = fresh(history)
    w = model.world
    i, j = w.index["JPN"], w.index["KOR"]
    before = w.tension[i, j], w.received[j, i]
    model._carry_out(choose(model, "JPN", CONTROLS))
    event = model.rows_events[-1]
    assert (event[3], event[4], event[5]) == ("prepare_trade_measures", "014", 0.0)
    p = model.params
    update_relations(w, model.impacts, p.tension_gain, p.cooperation_gain, 0.0, p.cross_effect,
                     p.verbal_weight)
    update_memories(w, model.impacts, p.memory, p.security_cooperation_threat,
                    p.coercion_memory, p.sanction_rally)
    assert (w.tension[i, j], w.received[j, i]) == before
    assert w.tie_weight["measures_prepared"] == 0.0


def test_only_a_final_judgment_lets_the_victims_seek_a_seizure():
    """Enforcement needs a final judgment for the plaintiffs (the ruling's `judgment` tie);
    victims whose seizure is pending cannot seek another. (The replay scripts the court's order
    and so disables the victims' own request; the stage of the shared base file does not.)"""
    from sim.scenario import load_scenario
    from tests.conftest import SCENARIOS

    model = fresh(load_scenario(SCENARIOS / "base.yaml"))
    w = model.world
    victims = model.agent_by_id["VICTIMS"]
    seizure = Option("seek_asset_seizure", ("JPN",))

    def can_seize() -> bool:
        model.tie_masks.clear()
        return seizure in feasible_options(model, victims)

    assert not can_seize()  # January 2018: no final judgment yet
    w.ties.add(("judgment", "VICTIMS", "JPN"))
    assert can_seize()
    w.ties.add(("asset_seizure", "VICTIMS", "JPN"))
    assert not can_seize()


def test_a_ruling_of_the_replay_gives_the_plaintiffs_their_judgment(history):
    from sim.model import DisputeModel

    model = DisputeModel(history, 2)
    ruling = model.months.index("2018-10")
    while model.month_index < ruling:
        model.step()
    assert ("judgment", "VICTIMS", "JPN") not in model.world.ties
    model.step()
    assert ("judgment", "VICTIMS", "JPN") in model.world.ties
