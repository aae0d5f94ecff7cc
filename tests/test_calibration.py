"""``sim history --calibrate`` (ABC-SMC): the priors file's validation, the distance, the weighted
quantiles and the identifiability flag on known answers, and a tiny calibration end to end
(8 particles, 2 generations, 2 runs per evaluation, runs cut at 2019-12): a complete folder, the
same particles for the same seed, and no overwriting without --force."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import InputError
from sim.folders import MARKER
from sim.history import calibrate
from sim.history.calibration_file import (
    CALIBRATION_FILE,
    AbcSettings,
    Prior,
    default_calibration_file,
    load_calibration,
    with_overrides,
)
from sim.history.reference import load_reference
from sim.history.scoring import COMPOSITE, Score
from sim.scenario import load_scenario
from sim.scenario.schema import Parameters
from sim.shipped import HISTORY_SCENARIO, shipped_scenario

SHIPPED = default_calibration_file()
TINY = {"runs_per_evaluation: 30": "runs_per_evaluation: 2", "population: 150": "population: 8",
        "generations: 6": "generations: 2", "predictive_draws: 20": "predictive_draws: 2",
        "  end: null": "  end: 2019-12",
        "min_effective_particles: 50": "min_effective_particles: 2"}
OUTPUTS = ("manifest.json", "particles.csv", "generations.csv", "posterior.csv",
           "predictive.csv", "abc.db", "figures/pair_plot.png", "figures/predictive.png")


@pytest.fixture(scope="module")
def reference():
    return load_reference()


def edited(tmp_path: Path, replacements: dict[str, str], name: str = CALIBRATION_FILE) -> Path:
    """A copy of the shipped calibration file with some text replaced (each must be found)."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_with(path: Path, fragment: str) -> int:
    """The line of the first (non-comment) line holding ``fragment``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1)
                if fragment in line and not line.lstrip().startswith("#"))


# --- the priors file --------------------------------------------------------------------------


def test_the_shipped_file_names_real_valued_scenario_parameters(reference):
    settings = load_calibration(windows=reference.windows)
    assert settings.parameters, "no parameter to calibrate"
    for name, prior in settings.parameters.items():
        assert Parameters.model_fields[name].annotation is float, name
        assert prior.low < prior.high and prior.why.strip()
    assert settings.abc.window in reference.windows


@pytest.mark.parametrize(("replace", "field", "expected"), [
    ({"  choice_temperature: {": "  choice_temprature: {"}, "parameters.choice_temprature",
     "not a parameter of the scenarios (did you mean 'choice_temperature'?)"),
    ({"relaxation: {low: 0.02, high: 0.12": "election_window: {low: 2, high: 12"},
     "parameters.election_window", "whole-number parameter"),
    ({"relaxation: {low: 0.02, high: 0.12": "relaxation: {low: 0.02, high: 1.5"},
     "parameters.relaxation.high", "not a value the scenario accepts for relaxation"),
    ({"attention_cost: {low: 0.05, high: 0.4": "attention_cost: {low: 0.4, high: 0.05"},
     "parameters.attention_cost", "expected low < high"),
    ({"  population: 150": "  population: 1"}, "abc.population", "greater than or equal to 2"),
    ({"  kernel_scale: 2.0": "  kernel_scale: 0"}, "abc.kernel_scale", "greater than 0"),
    ({"  seed: 19650622\n": "  sed: 19650622\n"}, "abc.sed",
     "unknown key (did you mean 'seed'?)"),
    ({"  window: in sample": "  window: insample"}, "abc.window",
     "expected one of the reference's windows: in sample, out of sample"),
    ({"  end: null": "  end: 2022-06"}, "abc.end", "never simulate a held-out month"),
])
def test_a_bad_calibration_file_is_one_located_message(tmp_path, reference, replace, field,
                                                       expected):
    path = edited(tmp_path, replace)
    with pytest.raises(InputError) as err:
        load_calibration(path, reference.windows)
    problems = [p for p in err.value.problems if p.path == field]
    assert len(problems) == 1, str(err.value)
    fragment = next(iter(replace.values())).strip().splitlines()[0]
    assert problems[0].file == str(path)
    assert problems[0].line == line_with(path, fragment), str(err.value)
    assert expected in problems[0].message


def test_the_command_reports_a_bad_file_with_its_line_and_exit_code_2(tmp_path, capsys):
    path = edited(tmp_path, {"  weight_reciprocity: {": "  weight_reciprocityy: {"})
    code = main(["history", "--calibrate", "--calibration", str(path), "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    line = line_with(path, "weight_reciprocityy")
    assert f"{path}:{line}: parameters.weight_reciprocityy: not a parameter" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "value"), [("--population", "1"), ("--generations", "0"),
                                               ("--calibration-runs", "0"),
                                               ("--predictive-draws", "0")])
def test_bad_command_line_values_are_one_message(tmp_path, capsys, option, value):
    code = main(["history", "--calibrate", option, value, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"{option}: ") and "greater than or equal to" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "out").exists()


def test_command_line_values_override_the_file():
    abc = load_calibration().abc
    changed = with_overrides(abc, {"population": ("--population", 12),
                                   "seed": ("--seed", None)})
    assert changed.population == 12 and changed.seed == abc.seed
    assert abc.population != 12  # the file's own settings are left alone


def test_without_pyabc_the_command_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "pyabc", None)  # `import pyabc` raises ImportError
    code = main(["history", "--calibrate", "--out", str(tmp_path / "out")])
    assert code == 2
    assert 'pip install "jk-dispute-sim[calibration]"' in capsys.readouterr().err


def test_the_old_options_are_gone(capsys):
    with pytest.raises(SystemExit):
        main(["history", "--calibrate", "--points", "8"])
    assert "unrecognized arguments: --points" in capsys.readouterr().err


# --- summary statistics, distance, seeds -----------------------------------------------------


def test_the_summary_statistics_are_the_fitted_windows_goodness_scores():
    scores = [Score("a", "in sample", 0.3, 0.7), Score("bias", "in sample", -2.0),
              Score("b", "out of sample", 0.1, 0.9), Score(COMPOSITE, "in sample", 0.7)]
    assert calibrate.goodness_of(scores, "in sample") == {"a": 0.7}
    assert calibrate.perfect(["a", "b"]) == {"a": 1.0, "b": 1.0}


def test_the_distance_is_euclidean_from_a_perfect_replay():
    observed = calibrate.perfect(["a", "b", "c"])
    assert calibrate.distance(observed, observed) == 0.0
    # 0.3 and 0.4 short of the record: a 3-4-5 triangle
    assert calibrate.distance({"a": 0.7, "b": 0.6, "c": 1.0}, observed) == pytest.approx(0.5)
    assert calibrate.distance({"a": 0.0, "b": 0.0, "c": 0.0}, observed) == pytest.approx(3 ** 0.5)
    # only the observed statistics count
    assert calibrate.distance({"a": 1.0, "b": 1.0, "c": 1.0, "z": 0.0}, observed) == 0.0


def test_evaluation_seeds_follow_the_master_seed_and_the_counter():
    first = calibrate.evaluation_seeds(7, (0, 0), 3)
    assert first == calibrate.evaluation_seeds(7, (0, 0), 3)
    assert len(set(first)) == 3
    assert first != calibrate.evaluation_seeds(7, (0, 1), 3)
    assert first != calibrate.evaluation_seeds(7, (1, 0), 3)
    assert first != calibrate.evaluation_seeds(8, (0, 0), 3)


class RecordingSimulator:
    """Stands in for the history ensembles: records what each evaluation asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict, tuple, str | None]] = []

    def scores(self, values, key, end=None):
        self.calls.append((dict(values), key, end))
        return [Score("a", "in sample", 0.0, values["x"]), Score("b", "out of sample", 0, 0.5)]


def test_each_evaluation_is_cut_at_the_fitted_end_and_takes_fresh_seeds():
    simulator = RecordingSimulator()
    evaluator = calibrate.Evaluator(simulator, "in sample", "2019-12")
    assert evaluator({"x": 0.25}) == {"a": 0.25}
    evaluator({"x": 0.5})
    assert [c[2] for c in simulator.calls] == ["2019-12", "2019-12"]
    assert [c[1] for c in simulator.calls] == [(calibrate.FIT_STREAM, 0),
                                               (calibrate.FIT_STREAM, 1)]
    assert evaluator.evaluations == 2


# --- the posterior ----------------------------------------------------------------------------


def test_weighted_intervals_on_known_samples():
    points = np.arange(100.0)
    # pyABC's weighted quantile puts each point's weight at its middle: 5% of 100 equal points
    # lies between the 5th and 6th (4.5), 95% between the 95th and 96th (94.5)
    assert calibrate.weighted_interval(points, np.ones(100), 0.9) == pytest.approx((4.5, 94.5))
    # weights need not be normalised; all the weight on the upper half moves the interval there
    upper = np.where(points >= 50, 3.0, 0.0)
    low, high = calibrate.weighted_interval(points, upper, 0.9)
    assert low >= 50 and high == pytest.approx(97.0, abs=0.5)


def abc_settings(**changes) -> AbcSettings:
    return load_calibration().abc.model_copy(update=changes)


@pytest.mark.parametrize(("share", "effective", "identified"), [
    (0.1, 200, True), (0.8, 200, True), (0.81, 200, False), (1.0, 200, False),
    (0.1, 49.9, False), (0.1, 50, True)])
def test_a_parameter_is_identified_by_a_narrow_interval_of_enough_particles(share, effective,
                                                                             identified):
    settings = abc_settings(identified_share=0.8, min_effective_particles=50)
    assert calibrate.is_identified(share, effective, settings) is identified


def test_effective_particles_count_equally_weighted_particles():
    assert calibrate.effective_particles(np.ones(40)) == pytest.approx(40.0)
    assert calibrate.effective_particles(np.array([3.0, 1.0, 0.0])) == pytest.approx(1.6)
    assert calibrate.effective_particles(np.array([1.0] + [0.0] * 99)) == pytest.approx(1.0)


def test_a_degenerate_population_identifies_nothing():
    """A few heavy particles make narrow intervals: flagged, not reported as identified."""
    rng = np.random.default_rng(4)
    weights = np.full(200, 1e-6)
    weights[:2] = 1.0
    final = pd.DataFrame({"generation": 5, "weight": weights / weights.sum(),
                          "x": rng.uniform(0.0, 1.0, 200)})
    table = calibrate.posterior_table(final, {"x": Prior(low=0, high=1, why="range")},
                                      abc_settings(min_effective_particles=50))
    assert table["effective_particles"].iloc[0] < 3
    assert table["interval_share"].iloc[0] < 0.8 and not table["identified"].iloc[0]


def test_the_posterior_table_flags_a_spread_out_parameter():
    rng = np.random.default_rng(3)
    final = pd.DataFrame({"generation": 2, "weight": np.full(400, 1 / 400),
                          "wide": rng.uniform(0.0, 1.0, 400),
                          "narrow": rng.normal(0.5, 0.02, 400)})
    priors = {"wide": Prior(low=0, high=1, why="the whole range"),
              "narrow": Prior(low=0, high=1, why="the whole range")}
    table = calibrate.posterior_table(final, priors, abc_settings()).set_index("parameter")
    assert table.loc["wide", "interval_share"] == pytest.approx(0.9, abs=0.05)
    assert not table.loc["wide", "identified"]
    assert table.loc["narrow", "identified"]
    assert table.loc["narrow", "posterior_mean"] == pytest.approx(0.5, abs=0.01)
    assert table.loc["narrow", "posterior_low"] < 0.5 < table.loc["narrow", "posterior_high"]
    # the threshold is a setting: loosen it and the wide parameter passes
    loose = calibrate.posterior_table(final, priors, abc_settings(identified_share=0.95))
    assert loose.set_index("parameter").loc["wide", "identified"]


def test_predictive_draws_follow_the_weights():
    final = pd.DataFrame({"weight": [0.0, 1.0, 0.0], "x": [1.0, 2.0, 3.0]})
    draws = calibrate.draw_particles(final, ["x"], 5, seed=1)
    assert draws == [{"x": 2.0}] * 5


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return edited(tmp_path_factory.mktemp("settings"), TINY)


def calibrate_cli(settings: Path, out: Path, *extra: str) -> int:
    return main(["history", "--calibrate", "--calibration", str(settings), "--workers", "1",
                 "--out", str(out), "--quiet", *extra])


@pytest.fixture(scope="module")
def calibrated(tiny, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("calibrations") / "first"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert calibrate_cli(tiny, out) == 0
    return out, printed.getvalue()


def test_a_calibration_writes_a_complete_folder(calibrated, tiny):
    out, _ = calibrated
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    assert json.loads((out / MARKER).read_text())["status"] == "complete"
    assert not out.with_name(out.name + ".partial").exists()
    names = list(load_calibration(tiny).parameters)
    particles = pd.read_csv(out / "particles.csv")
    assert list(particles.columns) == ["generation", "particle", "weight", "distance", *names]
    assert sorted(particles["generation"].unique()) == [0, 1]
    assert np.allclose(particles.groupby("generation")["weight"].sum(), 1.0)
    assert len(particles) == 2 * 8
    settings = load_calibration(tiny)
    for name, prior in settings.parameters.items():
        assert particles[name].between(prior.low, prior.high).all(), name
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations.columns) == ["generation", "epsilon", "particles",
                                         "effective_particles", "evaluations",
                                         "acceptance_rate", "seconds"]
    assert generations["effective_particles"].iloc[0] == pytest.approx(8.0)  # the prior sample
    assert (generations["effective_particles"] <= 8.0 + 1e-9).all()
    assert generations["epsilon"].iloc[0] == np.inf  # generation 0: the prior, accepted whole
    # a later generation accepts only particles within its tolerance
    later = particles[particles["generation"] == 1]
    assert (later["distance"] <= generations["epsilon"].iloc[1] + 1e-12).all()
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior["parameter"]) == names
    assert ((posterior["posterior_low"] <= posterior["posterior_mean"])
            & (posterior["posterior_mean"] <= posterior["posterior_high"])).all()


def test_the_manifest_records_software_files_settings_and_budget(calibrated, tiny):
    out, _ = calibrated
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["libraries"]["pyabc"] not in ("", "not installed")
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in manifest["scenario"]["files"])
    assert manifest["calibration_file"]["path"] == str(tiny.resolve())
    assert manifest["scenario"]["fitted_end"] == "2019-12"
    assert manifest["settings"]["population"] == 8 and set(manifest["priors"]) == set(
        load_calibration(tiny).parameters)
    generations = pd.read_csv(out / "generations.csv")
    budget = manifest["budget"]
    assert budget["evaluations"] == generations["evaluations"].sum()
    assert budget["runs"] == (budget["evaluations"] + 2 * 2) * 2
    assert budget["workers"] == 1 and budget["seconds"] > 0


def test_the_predictive_check_scores_both_windows_beside_a_baseline(calibrated, reference):
    out, _ = calibrated
    predictive = pd.read_csv(out / "predictive.csv")
    assert list(predictive["source"]) == [calibrate.POSTERIOR] * 2 + [calibrate.BASELINE] * 2
    for window in reference.windows:  # full-length runs: held-out scores too
        assert predictive[calibrate.composite_column(window)].between(0, 1).all()
    base = load_scenario(Path(json.loads((out / "manifest.json").read_text())["scenario"]
                              ["path"])).scenario.parameters
    assert predictive["choice_temperature"].iloc[-1] == pytest.approx(base.choice_temperature)


def test_the_figures_are_drawn(calibrated):
    out, _ = calibrated
    for name in ("pair_plot.png", "predictive.png"):
        assert (out / "figures" / name).stat().st_size > 20_000


def test_the_report_prints_the_budget_posterior_and_lines_the_loader_accepts(calibrated,
                                                                               tmp_path):
    out, printed = calibrated
    assert re.search(r"= \d+ runs in \d+ s on 1 worker", printed)
    assert "posterior predictive composite" in printed and "baseline" in printed
    assert "identified" in printed
    lines = [line for line in printed.splitlines()
             if line.startswith("  ") and f"source: \"calibration {out.name} " in line]
    assert len(lines) == len(pd.read_csv(out / "posterior.csv"))
    child = tmp_path / "calibrated.yaml"
    child.write_text(f"extends: {shipped_scenario(HISTORY_SCENARIO)}\nparameters:\n"
                     + "\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_scenario(child)
    posterior = pd.read_csv(out / "posterior.csv").set_index("parameter")
    for name, row in posterior.iterrows():
        assert getattr(loaded.scenario.parameters, name) == pytest.approx(
            float(f"{row['posterior_mean']:.3g}"))


def test_the_same_seed_repeats_the_calibration_exactly(calibrated, tiny, tmp_path):
    out, _ = calibrated
    again = tmp_path / "again"
    assert calibrate_cli(tiny, again, "--no-figures") == 0
    for name in ("particles.csv", "posterior.csv", "predictive.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    other = tmp_path / "other"
    assert calibrate_cli(tiny, other, "--no-figures", "--seed", "5") == 0
    assert (other / "particles.csv").read_bytes() != (out / "particles.csv").read_bytes()


def test_an_existing_folder_is_replaced_only_with_force(tiny, tmp_path, capsys):
    out = tmp_path / "cal"
    assert calibrate_cli(tiny, out, "--no-figures") == 0
    before = (out / "particles.csv").read_bytes()
    (out / "particles.csv").write_bytes(b"kept")
    assert calibrate_cli(tiny, out, "--no-figures") == 2
    assert "pass --force" in capsys.readouterr().err
    assert (out / "particles.csv").read_bytes() == b"kept"
    assert calibrate_cli(tiny, out, "--no-figures", "--force") == 0
    assert (out / "particles.csv").read_bytes() == before
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert calibrate_cli(tiny, foreign, "--force") == 2
    assert "not written by `sim history --calibrate`" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_a_calibration_source_is_one_citation_whatever_its_punctuation():
    from sim.scenario.checks import citations

    text = "calibration history-calibration-seed1 (ABC-SMC, posterior mean; 90% interval 1-2)"
    assert citations(text) == [text]
    assert citations("usip-2023-mend-ties#P15; dispatch-2023-thaw#P16") == [
        "usip-2023-mend-ties#P15", "dispatch-2023-thaw#P16"]
