"""The whole model (sim.model) and its run folder: determinism, invariants, outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.model import simulate
from sim.output import write_run_folder
from sim.scenario import load_scenario

SIM = Path(__file__).resolve().parent.parent / "sim"
SCENARIO_SHORT_PATH = str(Path(__file__).resolve().parent / "scenarios" / "history_to_2020.yaml")
LEVERS = {
    "levers.us_mediation.setting": ["passive", "shuttle", "envoy"],
    "levers.victim_inclusion.setting": ["required", "optional", "excluded"],
    "levers.pyongyang_provocation.setting": ["low", "historical", "high"],
    "levers.beijing_coercion.setting": ["off", "restrained", "active"],
}


def test_same_seed_same_run_different_seed_different_run(history_short):
    a, b, c = (simulate(history_short, s).record() for s in (7, 7, 8))
    assert a.events == b.events and a.trajectories == b.trajectories
    assert a.events != c.events


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       levers=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in LEVERS.items()}))
def test_invariants_hold_for_any_seed_and_levers(seed, levers):
    scenario = load_scenario("scenarios/thaw_2023.yaml", {**levers, "meta.end": "2024-06"})
    model = simulate(scenario, seed)
    w = model.world
    for m in (w.tension, w.cooperation, w.status_quo, w.approval):
        assert np.all((m >= 0) & (m <= 1)) and not np.isnan(m).any()
    for month, _dyad, tension, cooperation, goldstein, _ties in model.rows_trajectories:
        assert 0 <= tension <= 1 and 0 <= cooperation <= 1 and np.isfinite(goldstein)
        assert re.match(r"^\d{4}-\d{2}$", month)
    for a in model.agreements.all:
        assert a.ended is None or a.ended >= a.signed


def test_no_actor_names_in_the_package_code():
    names = re.compile(r"[\"'](KOR|JPN|USA|PRK|CHN|VICTIMS|Seoul|Tokyo|Washington|Pyongyang"
                       r"|Beijing)[\"']")
    offenders = [f"{p}:{n}" for p in SIM.rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), 1) if names.search(line)]
    assert not offenders


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "workers" not in manifest  # the manifest does not depend on how the runs were spread
    manifest.pop("created")
    files["manifest"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def test_run_folder_is_identical_whatever_the_number_of_workers(history_short, tmp_path):
    one = write_run_folder(history_short, 42, 3, tmp_path / "one", workers=1, progress=False,
                           figures=False)
    two = write_run_folder(history_short, 42, 3, tmp_path / "two", workers=2, progress=False,
                           figures=False)
    assert _folder_bytes(one) == _folder_bytes(two)


def test_run_folder_has_the_documented_tables(history_short, tmp_path):
    out = write_run_folder(history_short, 1, 2, tmp_path / "run", workers=1, progress=False,
                           figures=False)
    traj = pd.read_csv(out / "trajectories.csv")
    assert list(traj.columns) == ["run", "month", "dyad", "tension", "cooperation", "goldstein",
                                  "ties"]
    assert set(traj["run"]) == {0, 1}
    assert (traj["dyad"] == "JPN-KOR").any()
    assert all(d == "-".join(sorted(d.split("-"))) for d in traj["dyad"].unique())
    events = pd.read_csv(out / "events.csv")
    for column in ("actor", "target", "action", "cameo", "goldstein", "quad_class", "scripted",
                   "u_position", "u_reciprocity", "u_domestic", "u_alliance", "u_threat",
                   "u_cost", "u_total"):
        assert column in events.columns
    assert events["scripted"].any() and (~events["scripted"]).any()
    agreements = pd.read_csv(out / "agreements.csv")
    assert {"id", "terms", "signatories", "victims_included", "signed", "ended",
            "end_reason"} <= set(agreements.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(len(f["sha256"]) == 64 for f in manifest["scenario"]["files"])
    assert manifest["parameters"]["choice_temperature"] > 0
    assert manifest["levers"]["us_mediation"] == "passive"
    assert len(manifest["run_seeds"]) == 2


def test_run_and_explain_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["run", "scenarios/history_2018_2023.yaml", "--runs", "2", "--out", str(out),
                 "--set", "meta.end=2019-08", "--workers", "1", "--quiet", "--no-figures"])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    code = main(["explain", str(out), "--run", "1", "--month", "2019-07", "--actor", "JPN"])
    text = capsys.readouterr().out
    assert code == 0
    assert "chose:" in text and "reciprocity" in text and "wait" in text
    # Seoul's government reviews the 2015 deal before it may abandon it: the explanation says
    # that the chosen abandonment was carried out as the review
    code = main(["explain", str(out), "--run", "1", "--month", "2018-01", "--actor", "KOR"])
    text = capsys.readouterr().out
    assert code == 0
    assert "chose: withdraw_from_agreement -> JPN" in text
    assert "carried out: review_agreement -> JPN (the chosen act must first be prepared" in text


def test_explain_rejects_bad_arguments_cleanly(tmp_path, capsys):
    assert main(["explain", str(tmp_path), "--month", "2019-07", "--actor", "JPN"]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert main(["explain", str(tmp_path), "--month", "July", "--actor", "JPN"]) == 2


def test_bad_scenario_on_the_command_line_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: nowhere.yaml\n")
    assert main(["run", str(bad), "--runs", "1", "--quiet", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:1: extends" in err and "Traceback" not in err


# --- the Mesa way -------------------------------------------------------------------------------


def test_a_step_after_the_last_month_does_nothing(history_short):
    model = simulate(history_short, 3)
    rows = list(model.rows_trajectories)
    months = len(model.datacollector.model_vars["regional_tension"])
    model.step()
    assert not model.running
    assert model.rows_trajectories == rows
    assert len(model.datacollector.model_vars["regional_tension"]) == months


def test_constructor_takes_a_path_a_seed_and_parameters_by_name(history_short):
    from sim.model import DisputeModel

    model = DisputeModel(scenario=SCENARIO_SHORT_PATH, rng=5, choice_temperature=0.3)
    assert model.params.choice_temperature == 0.3
    same = DisputeModel(history_short, 5)
    assert same.params.choice_temperature != 0.3
    overridden = DisputeModel(history_short, 5, choice_temperature=0.3)
    assert overridden.params.choice_temperature == 0.3
    assert overridden.stage.meta.end == "2019-12"  # the loaded scenario's own overrides stay


def test_mesa_batch_run_runs_the_model_and_reads_its_reporters():
    import mesa

    from sim.model import DisputeModel

    results = mesa.batch_run(
        DisputeModel,
        parameters={"scenario": SCENARIO_SHORT_PATH, "rng": [1, 2],
                    "choice_temperature": [0.05, 0.2]},
        iterations=1, max_steps=100, number_processes=1, display_progress=False)
    assert len(results) == 4
    for row in results:
        assert 0 <= row["regional_tension"] <= 1 and 0 <= row["tension JPN-KOR"] <= 1
    cold = [r["tension JPN-KOR"] for r in results if r["choice_temperature"] == 0.05]
    assert len(set(cold)) == 2  # different seeds, different runs




def test_a_finished_model_is_freed(history_short):
    """Nothing keeps a run's model alive once its record is taken (Mesa 3.3's class-level agent
    counters did: an ensemble's memory grew with every run)."""
    import gc
    import weakref

    from sim.model import simulate

    model = simulate(history_short, 3)
    model.record()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
