"""``sim history``: the scoring functions on small series with known answers, the reference
file's integrity, and the command end to end (2 runs of the full history)."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import InputError
from sim.history import scoring
from sim.history.reference import (
    EVENTS_FILE,
    MAPPING_FILE,
    Kind,
    load_reference,
    read_record,
)
from sim.history.series import DyadEnsemble, SimEvent
from sim.months import month_range, shift_month
from sim.scenario import load_scenario
from sim.shipped import reference_dir, shipped_scenario

ROOT = Path(__file__).resolve().parent.parent
SHARED_RECORD = ROOT.parent / "shared" / "history" / "events-2018-2023.csv"
CALIBRATED = "history_2018_2023_calibrated"


@pytest.fixture(scope="module")
def catalogue_actions() -> set[str]:
    return set(load_scenario(ROOT / "scenarios" / "history_2018_2023.yaml").catalogue.actions)


@pytest.fixture(scope="module")
def reference(catalogue_actions):
    return load_reference(catalogue_actions=catalogue_actions)


def kind(**fields) -> Kind:
    base = {"label": "a kind", "actors": ["A"], "targets": ["B"], "actions": ["hit"],
            "from": "2019-01", "to": "2019-12"}
    return Kind.model_validate({**base, **fields})


# --- turning points ---------------------------------------------------------------------------


MONTHS = month_range("2018-01", "2019-12")


def test_rise_after_a_month_is_detected_and_a_flat_series_does_not_rise():
    step = np.array([0.3 if m <= "2018-10" else 0.6 for m in MONTHS])
    assert scoring.rises_after(step, MONTHS, "2018-10", 6) == 1.0
    assert scoring.rises_after(np.full(len(MONTHS), 0.4), MONTHS, "2018-10", 6) == 0.0
    # the stretch before the month is outside the run: unknown, not false
    assert math.isnan(scoring.rises_after(step, MONTHS, "2018-02", 6))


def test_fall_after_a_month_compares_the_rest_of_the_run_with_the_months_before():
    down = np.array([0.7 if m <= "2019-03" else 0.2 for m in MONTHS])
    assert scoring.falls_after(down, MONTHS, "2019-03", 6) == 1.0
    assert scoring.falls_after(down[::-1], MONTHS, "2019-03", 6) == 0.0


def test_peak_half_is_the_half_year_with_the_highest_mean():
    series = np.zeros(len(MONTHS))
    series[MONTHS.index("2019-08")] = 1.0  # one high month in 2019H2
    series[MONTHS.index("2019-02")] = 0.9
    assert scoring.peak_half(series, MONTHS) == "2019H2"
    assert scoring.half_year_means(series, MONTHS)["2019H1"] == pytest.approx(0.9 / 6)
    # ties go to the earlier half-year
    assert scoring.peak_half(np.ones(len(MONTHS)), MONTHS) == "2018H1"


def test_share_ignores_unknown_values():
    assert scoring.share([1.0, 0.0, math.nan, 1.0]) == pytest.approx(2 / 3)
    assert math.isnan(scoring.share([math.nan]))


# --- event kinds and timing -------------------------------------------------------------------


def test_first_month_matches_actor_target_action_and_window():
    k = kind()
    events = [SimEvent("2018-11", "A", ("B",), "hit"),  # before the window
              SimEvent("2019-03", "B", ("A",), "hit"),  # wrong actor
              SimEvent("2019-04", "A", ("C",), "hit"),  # wrong target
              SimEvent("2019-05", "A", ("B",), "talk"),  # wrong action
              SimEvent("2019-09", "A", ("C", "B"), "hit"),  # a pair target counts
              SimEvent("2019-07", "A", ("B",), "hit")]
    assert scoring.first_month(events, k, "2019-01", "2019-12") == "2019-07"
    assert scoring.first_month(events[:4], k, "2019-01", "2019-12") is None


def test_a_relative_kind_counts_only_within_its_months_after_the_anchor():
    kinds = {"move": kind(), "answer": kind(actors=["B"], targets=["A"], **{"from": None,
                                                                            "to": None},
                                            after="move", within=3)}
    late = [SimEvent("2019-02", "A", ("B",), "hit"), SimEvent("2019-06", "B", ("A",), "hit")]
    soon = [SimEvent("2019-02", "A", ("B",), "hit"), SimEvent("2019-05", "B", ("A",), "hit")]
    alone = [SimEvent("2019-05", "B", ("A",), "hit")]
    assert scoring.kind_months(late, kinds) == {"move": "2019-02", "answer": None}
    assert scoring.kind_months(soon, kinds) == {"move": "2019-02", "answer": "2019-05"}
    assert scoring.kind_months(alone, kinds) == {"move": None, "answer": None}


def test_timing_errors_are_signed_and_their_median_absolute_value_known():
    errors = scoring.timing_errors(["2019-05", None, "2019-09", "2019-07", "2020-01"], "2019-07")
    assert errors == [-2, 2, 0, 6]
    assert scoring.median_abs_error(errors) == 2.0
    assert scoring.median_error(errors) == 1.0
    assert math.isnan(scoring.median_abs_error([]))
    assert scoring.timing_goodness(0.0) == 1.0
    assert scoring.timing_goodness(6.0) == 0.5
    assert scoring.timing_goodness(30.0) == 0.0
    assert scoring.timing_goodness(math.nan) == 0.0


def test_shift_month_crosses_years():
    assert shift_month("2019-11", 3) == "2020-02"
    assert shift_month("2019-01", -1) == "2018-12"  # more month arithmetic: test_months.py


# --- shape ------------------------------------------------------------------------------------


def test_spearman_on_series_with_known_ranks():
    assert scoring.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert scoring.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one swapped pair of four: rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert scoring.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert math.isnan(scoring.spearman([1, 2, 3], [5, 5, 5]))


def test_quarterly_sums_add_the_months_of_each_quarter():
    months = month_range("2019-01", "2019-06")
    assert scoring.quarterly_sums([1, 2, 3, 4, 5, 6], months) == {"2019Q1": 6.0, "2019Q2": 15.0}
    assert scoring.quarter("2019-10") == "2019Q4"  # scoring's own import of sim.months


def test_brier_score_of_known_forecasts():
    assert scoring.brier([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert scoring.brier([0.5, 0.5], [1.0, 0.0]) == 0.25
    assert scoring.brier([0.0, 1.0], [1.0, 0.0]) == 1.0
    assert scoring.brier([0.2, 0.1, 0.9], [0.0, 0.0, 1.0]) == pytest.approx((0.04 + 0.01 + 0.01)
                                                                            / 3)


def test_half_year_shares_count_runs_not_events():
    k = kind()
    runs = [[SimEvent("2019-02", "A", ("B",), "hit"), SimEvent("2019-03", "A", ("B",), "hit")],
            [SimEvent("2019-08", "A", ("B",), "hit")], [], []]
    ens = DyadEnsemble(MONTHS, np.zeros((4, len(MONTHS))), np.zeros((4, len(MONTHS))), runs)
    assert scoring.half_year_shares(ens, k, ["2019H1", "2019H2", "2020H1"]) == [0.25, 0.25, 0.0]


# --- the record replayed scores perfectly ------------------------------------------------------


def record_as_ensemble(reference, runs: int = 3) -> DyadEnsemble:
    """An ensemble whose every run does what the record did: the mapped acts at the recorded
    months, the record's Goldstein sums, and a tension that rises after the ruling, peaks in
    the recorded half-year and falls after the thaw."""
    months = month_range("2018-01", "2023-12")
    tp = reference.mapping.turning_points
    tension = np.array([0.3 if m <= tp.ruling else 0.5 if m < "2019-07" else 0.8 if m < "2020-01"
                        else 0.6 if m <= tp.thaw else 0.2 for m in months])
    goldstein = np.zeros(len(months))
    for e in reference.dyad_rows():
        goldstein[months.index(e.month)] += e.goldstein
    events = [SimEvent(e.month, e.actor, e.targets, action) for e in reference.events
              if e.endogenous for action in reference.mapping.events[e.id]]
    return DyadEnsemble(months, np.tile(tension, (runs, 1)), np.tile(goldstein, (runs, 1)),
                        [list(events) for _ in range(runs)])


def test_the_record_itself_gets_perfect_scores(reference):
    scores = scoring.score_ensemble(record_as_ensemble(reference), reference)
    by_name = {(s.name, s.window): s.value for s in scores}
    for (name, window), value in by_name.items():
        if "share of runs" in name or "Spearman" in name or name == scoring.COMPOSITE:
            assert value == pytest.approx(1.0), (name, window)
        elif "timing" in name or "Brier" in name:
            assert value == pytest.approx(0.0), (name, window)
    assert {w for _, w in by_name} == set(reference.windows)
    # the turning points, and per kind its share of runs and its share within three months
    assert len([n for n, _ in by_name if "share of runs" in n]) == 3 + 2 * len(reference.kinds)


def test_an_ensemble_that_never_acts_scores_badly(reference):
    ens = record_as_ensemble(reference)
    ens.events = [[] for _ in ens.events]
    scores = scoring.score_ensemble(ens, reference)
    shares = [s.value for s in scores if s.name.endswith(")") and "share of runs (record" in s.name]
    assert shares and all(v == 0.0 for v in shares)
    composite = scoring.score_value(scores, scoring.COMPOSITE, "in sample")
    assert composite < 0.8


# --- the reference files ----------------------------------------------------------------------


def test_every_endogenous_row_is_mapped_to_catalogue_actions(reference, catalogue_actions):
    endogenous = [e for e in reference.events if e.endogenous]
    assert endogenous
    for e in endogenous:
        assert reference.mapping.events[e.id], e.id
        assert set(reference.mapping.events[e.id]) <= catalogue_actions, e.id
    for kid in reference.kinds:
        assert reference.rows_of_kind(kid), f"the record has no event of kind {kid}"


def test_record_rows_parse_and_are_in_time_order(reference):
    from datetime import date

    dates = [date.fromisoformat(e.date) for e in reference.events]
    assert dates == sorted(dates)
    assert all(-10 <= e.goldstein <= 10 for e in reference.events)
    assert {e.role for e in reference.events} == {"exogenous", "endogenous"}


def test_record_file_names_the_same_facts_as_the_shared_record():
    if not SHARED_RECORD.is_file():
        pytest.skip("../shared/history is not at hand")
    ours = read_record(reference_dir() / EVENTS_FILE)
    with SHARED_RECORD.open(encoding="utf-8", newline="") as handle:
        theirs = list(csv.DictReader(handle))
    assert len(ours) == len(theirs)
    for mine, row in zip(ours, theirs, strict=True):
        assert (mine.date, mine.actor, "+".join(mine.targets), mine.role) == (
            row["date"], row["actor"], row["target"], row["role"])
        assert mine.goldstein == float(row["goldstein"])
        assert mine.cameo.lstrip("0") == row["cameo"].lstrip("0")


def test_no_description_is_copied_from_the_shared_record():
    """Descriptions are rewritten: none equal to the shared one, and no five-word run shared."""
    if not SHARED_RECORD.is_file():
        pytest.skip("../shared/history is not at hand")
    with SHARED_RECORD.open(encoding="utf-8", newline="") as handle:
        theirs = [row["event"] for row in csv.DictReader(handle)]
    ours = [e.description for e in read_record(reference_dir() / EVENTS_FILE)]

    def runs_of_five(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}

    shared_runs = set().union(*(runs_of_five(t) for t in theirs))
    for text in ours:
        assert text.strip().lower() not in {t.strip().lower() for t in theirs}, text
        assert not runs_of_five(text) & shared_runs, text


def test_a_missing_mapping_is_reported_with_its_file_and_row(tmp_path, catalogue_actions):
    folder = tmp_path / "reference"
    shutil.copytree(reference_dir(), folder)
    mapping = folder / MAPPING_FILE
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace("  gsomia_notice: [terminate_gsomia]\n", "")
                       .replace("[summit]", "[sumit]", 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_reference(folder, catalogue_actions)
    message = str(err.value)
    assert "events.gsomia_notice" in message and "no mapping" in message
    assert "unknown catalogue action 'sumit'" in message
    assert MAPPING_FILE in message


def test_a_bad_record_row_is_reported_with_its_line(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(reference_dir(), folder)
    record = folder / EVENTS_FILE
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("2018-06-12", "2018-13-40")
    record.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_reference(folder)
    assert f"{EVENTS_FILE}:4: date" in str(err.value)


# --- the command ------------------------------------------------------------------------------


def test_sim_history_end_to_end(tmp_path, capsys):
    out = tmp_path / "history"
    code = main(["history", "--runs", "2", "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "in sample" in printed and "out of sample" in printed
    with (out / "scores.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["name", "window", "value"]
    assert {r["window"] for r in rows} == {"in sample", "out of sample"}
    composite = [r for r in rows if r["name"] == scoring.COMPOSITE]
    assert len(composite) == 2 and all(0.0 <= float(r["value"]) <= 1.0 for r in composite)
    assert (out / "figures" / "history.png").stat().st_size > 10_000
    assert (out / "manifest.json").is_file() and (out / "events.csv").is_file()


def test_sim_history_replays_another_scenario_into_a_folder_named_after_it(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["history", "--scenario", CALIBRATED, "--runs", "2", "--workers", "1", "--quiet",
                 "--no-figures"])
    assert code == 0
    printed = capsys.readouterr().out
    out = tmp_path / "runs" / f"history-{CALIBRATED}-seed20181030-n2"
    assert f"2 runs of {CALIBRATED}.yaml" in printed and (out / "scores.csv").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["path"].endswith(f"{CALIBRATED}.yaml"), manifest["scenario"]


def test_the_calibrated_scenario_sets_the_identified_posterior_means_and_cites_them():
    posterior = pd.read_csv(ROOT / "docs" / "calibration" / "posterior.csv")
    identified = posterior[posterior["identified"]].set_index("parameter")
    loaded = load_scenario(shipped_scenario(CALIBRATED))
    raw = loaded.raw["parameters"]
    calibrated = {name for name, entry in raw.items()
                  if str(entry.get("source", "")).startswith("calibration docs/calibration ")}
    assert calibrated == set(identified.index)
    for name, row in identified.iterrows():
        value = getattr(loaded.scenario.parameters, name)
        assert value == pytest.approx(float(f"{row['posterior_mean']:.3g}")), name
        assert f"{row['posterior_low']:.3g}-{row['posterior_high']:.3g}" in raw[name]["source"]
    default = load_scenario(shipped_scenario("history_2018_2023")).scenario.parameters
    assert all(getattr(default, name) != getattr(loaded.scenario.parameters, name)
               for name in identified.index)


@pytest.mark.parametrize(("field", "value", "expected"),
                         [("end", "2021-12", "no earlier than 2023-12"),
                          ("start", "2019-01", "no later than 2018-01")])
def test_a_scenario_that_does_not_cover_the_record_is_refused_with_its_line(
        tmp_path, capsys, field, value, expected):
    path = tmp_path / "short.yaml"
    path.write_text(f"extends: {shipped_scenario('history_2018_2023')}\nmeta:\n"
                    f"  {field}: {value}\n", encoding="utf-8")
    for calibrate in ([], ["--calibrate"]):
        out = tmp_path / "out"
        code = main(["history", "--scenario", str(path), "--runs", "2", "--workers", "1",
                     "--out", str(out), *calibrate])
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert err == f"{path}:3: meta.{field}: expected a month {expected}, the record's " \
                      f"{'last' if field == 'end' else 'first'} scored month; got {value}", err
        assert not out.exists()


def test_a_scenario_without_the_scored_dyad_is_refused(reference):
    from dataclasses import replace

    from sim.history.reference import check_replayable

    stage = ROOT / "tests" / "scenarios" / "stage_close.yaml"
    loaded = load_scenario(stage, {"meta.start": "2018-01", "meta.end": "2023-12"})
    mapping = reference.mapping.model_copy(update={"dyad": ["KOR", "ZZZ"]})
    other = replace(reference, mapping=mapping)
    check_replayable(loaded, reference)  # KOR and JPN are there
    with pytest.raises(InputError) as err:
        check_replayable(loaded, other)
    [problem] = err.value.problems
    assert problem.file == str(stage) and problem.path == "actors"
    lines = stage.read_text(encoding="utf-8").splitlines()
    assert problem.line == lines.index("actors:") + 1, problem
    assert "missing: ZZZ" in problem.message


# --- the command's tables ---------------------------------------------------------------------


def test_score_table_and_file(tmp_path):
    from sim.commands.history import score_table, write_scores

    scores = [scoring.Score("a", "in sample", 0.5), scoring.Score("a", "out of sample", math.nan),
              scoring.Score("b", "out of sample", 1.25)]
    table = score_table(scores, ["in sample", "out of sample"])
    assert "0.500" in table and "1.250" in table and table.count("\n") == 3
    write_scores(tmp_path / "scores.csv", scores)
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8") == (
        "name,window,value\na,in sample,0.5\na,out of sample,\nb,out of sample,1.25\n")
