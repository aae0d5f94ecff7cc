"""`sim experiment`: identical results whatever the backend, resume after a kill, failure
isolation, the SALib path on the Ishigami function, and located validation errors.

Experiments here run on the twelve-month classroom scenario (about 0.05 s a run) with a few runs
per design point, so the whole file stays well under three minutes on two busy cores.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments import load_experiment, run_experiment
from sim.experiments.design import run_seeds

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"

GRID = f"""\
title: Envoy against passive on the classroom stage
question: Does an envoy lower Seoul-Tokyo tension?
scenario: {CLASSROOM}
runs: 6
seed: 7
design:
  kind: grid
  factors:
    levers.us_mediation.setting: [passive, envoy]
    parameters.choice_temperature: [0.05, 0.2]
outcomes:
  tension: {{kind: mean_tension, dyad: JPN-KOR, from: 2023-03}}
  deal_survives: {{kind: agreement_survives}}
  first_deal: {{kind: months_to_first_agreement}}
  cohesion: {{kind: final_cohesion}}
  coercion: {{kind: event_count, quad_class: [4]}}
comparisons:
  envoy_vs_passive:
    a: {{levers.us_mediation.setting: envoy}}
    b: {{levers.us_mediation.setting: passive}}
output:
  runs_per_part: 4
"""


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a result folder; the manifest without its time stamp."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "manifest.json":
                manifest = json.loads(data)
                manifest.pop("created")
                data = json.dumps(manifest, sort_keys=True).encode()
            files[str(path.relative_to(folder))] = data
    return files


def assert_same_folders(a: Path, b: Path) -> None:
    fa, fb = folder_bytes(a), folder_bytes(b)
    assert sorted(fa) == sorted(fb)
    different = [name for name in fa if fa[name] != fb[name]]
    assert not different, f"files differ: {different}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The grid experiment run in this process (one worker), without figures."""
    tmp = tmp_path_factory.mktemp("reference")
    exp = write(tmp, GRID)
    out = tmp / "serial"
    assert main(["experiment", str(exp), "--out", str(out), "--workers", "1", "--quiet",
                 "--no-figures"]) == 0
    return exp, out


# --- identical results whatever the backend ---------------------------------------------------


def test_outputs_are_complete_and_sorted(reference: tuple[Path, Path]) -> None:
    _, out = reference
    for name in ("runs.parquet", "outcomes.csv", "design.csv", "summary.csv", "comparisons.csv",
                 "manifest.json"):
        assert (out / name).is_file(), name
    assert not (out / "parts").exists(), "part files are removed once consolidated"
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert len(outcomes) == 4 * 6 and (outcomes["status"] == "ok").all()
    assert list(outcomes.columns[:4]) == ["point", "scenario", "us_mediation",
                                          "choice_temperature"]
    runs = pd.read_parquet(out / "runs.parquet")
    keys = runs[["point", "replicate", "month", "dyad"]]
    assert keys.equals(keys.sort_values(list(keys.columns), ignore_index=True))
    assert set(runs["dyad"]) <= {"JPN-KOR", "JPN-USA", "KOR-USA", "KOR-VICTIMS", "JPN-VICTIMS"}
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 * 5
    row = summary[(summary["point"] == 0) & (summary["outcome"] == "tension")].iloc[0]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["run_seeds"] == run_seeds(7, 4, 6)
    assert outcomes["seed"].tolist() == [s for point in run_seeds(7, 4, 6) for s in point]


def test_two_workers_give_identical_files(reference: tuple[Path, Path], tmp_path: Path) -> None:
    exp, serial = reference
    out = tmp_path / "two"
    assert main(["experiment", str(exp), "--out", str(out), "--workers", "2", "--quiet",
                 "--no-figures"]) == 0
    assert_same_folders(serial, out)


def test_dask_cluster_gives_identical_files(reference: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    exp, serial = reference
    out = tmp_path / "dask"
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        assert main(["experiment", str(exp), "--out", str(out), "--scheduler",
                     cluster.scheduler_address, "--quiet", "--no-figures"]) == 0
    assert_same_folders(serial, out)


def test_more_runs_keep_the_first_runs_seeds() -> None:
    assert [s[:3] for s in run_seeds(7, 4, 6)] == run_seeds(7, 4, 3)
    assert run_seeds(7, 2, 3) == run_seeds(7, 4, 3)[:2]


# --- resume after a kill ----------------------------------------------------------------------


def test_resume_after_kill_equals_uninterrupted(tmp_path: Path) -> None:
    exp = write(tmp_path, GRID.replace("runs: 6", "runs: 12").replace("runs_per_part: 4",
                                                                        "runs_per_part: 2"))
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    command = [sys.executable, "-m", "sim.cli", "experiment", str(exp), "--out", str(killed),
               "--workers", "1", "--quiet"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list((killed / "parts").glob("*.outcomes.parquet"))) < 3:
            assert proc.poll() is None, "the experiment finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    done = len(list((killed / "parts").glob("*.outcomes.parquet")))
    assert 3 <= done < 24 and not (killed / "manifest.json").exists()
    # an unfinished folder is not overwritten by mistake
    assert main(["experiment", str(exp), "--out", str(killed), "--workers", "1",
                 "--quiet"]) == 2
    assert main(["experiment", str(exp), "--out", str(killed), "--workers", "2", "--quiet",
                 "--resume"]) == 0
    assert main(["experiment", str(exp), "--out", str(whole), "--workers", "1", "--quiet"]) == 0
    assert_same_folders(killed, whole)
    assert any(name.startswith("figures/") for name in folder_bytes(whole))
    # resuming a finished experiment runs nothing and changes nothing
    before = folder_bytes(whole)
    assert main(["experiment", str(exp), "--out", str(whole), "--quiet", "--resume"]) == 0
    assert folder_bytes(whole) == before


# --- failure isolation ------------------------------------------------------------------------


def test_a_failing_design_point_is_recorded_and_the_rest_finish(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # memory must lie in [0, 1]: the second level fails when its runs load the scenario
    text = GRID.replace("parameters.choice_temperature: [0.05, 0.2]",
                        "parameters.memory: [0.75, 1.5]").replace("runs: 6", "runs: 3")
    exp, out = write(tmp_path, text), tmp_path / "out"
    code = main(["experiment", str(exp), "--out", str(out), "--workers", "1", "--quiet",
                 "--no-figures"])
    assert code == 1
    assert "6 runs failed" in capsys.readouterr().out
    outcomes = pd.read_csv(out / "outcomes.csv", keep_default_na=False)
    failed = outcomes[outcomes["status"] == "failed"]
    assert sorted(set(failed["memory"])) == [1.5] and len(failed) == 6
    assert failed["error"].str.contains("parameters.memory").all()
    assert (failed["seed"] > 0).all()
    assert (outcomes.loc[outcomes["status"] == "ok", "memory"] == 0.75).all()
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.loc[summary["memory"] == 1.5, "failed"]) == {3}
    assert json.loads((out / "manifest.json").read_text())["failed"] == 6


def _fails_above_half(values: dict, seed: int) -> dict:
    if values["x"] > 0.5:
        raise ValueError("x is too large for this model")
    return {"y": values["x"] + seed % 7 / 1000}


def test_a_raising_plugin_model_fails_only_its_runs(tmp_path: Path) -> None:
    exp = write(tmp_path, """\
title: A plug-in model that raises for one design point
runs: 4
seed: 3
design: {kind: grid, factors: {x: [0.1, 0.4, 0.9]}}
outcomes: {y: {kind: plugin}}
output: {runs_per_part: 3}
""")
    result = run_experiment(load_experiment(exp, require_scenario=False), tmp_path / "out",
                            progress=False, figures=False, function=_fails_above_half)
    assert result.failed == 4 and result.runs == 12
    frame = pd.read_csv(tmp_path / "out" / "outcomes.csv", keep_default_na=False)
    assert set(frame.loc[frame["status"] == "failed", "x"]) == {0.9}
    assert frame.loc[frame["status"] == "failed", "error"].str.startswith("ValueError").all()


# --- the SALib path: Ishigami -----------------------------------------------------------------

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami(values: dict, seed: int) -> dict:
    """Ishigami and Homma (1990): analytic Sobol' indices are known."""
    x1, x2, x3 = values["x1"], values["x2"], values["x3"]
    return {"y": math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2
            + ISHIGAMI_B * x3 ** 4 * math.sin(x1)}


def ishigami_indices() -> tuple[list[float], list[float]]:
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0], [(v1 + v13) / total, v2 / total, v13 / total]


def test_sobol_design_recovers_the_ishigami_indices(tmp_path: Path) -> None:
    exp = write(tmp_path, """\
title: Ishigami function
runs: 1
seed: 11
design:
  kind: sobol
  samples: 1024
  factors:
    x1: {low: -3.141592653589793, high: 3.141592653589793}
    x2: {low: -3.141592653589793, high: 3.141592653589793}
    x3: {low: -3.141592653589793, high: 3.141592653589793}
outcomes: {y: {kind: plugin}}
analysis: {resamples: 200}
output: {runs_per_part: 2048}
""")
    run_experiment(load_experiment(exp, require_scenario=False), tmp_path / "out",
                   progress=False, figures=True, function=ishigami)
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    s1, st = ishigami_indices()
    for measure, expected in (("S1", s1), ("ST", st)):
        rows = table[table["measure"] == measure].set_index("factor")
        found = rows.loc[["x1", "x2", "x3"], "value"].to_numpy()
        np.testing.assert_allclose(found, expected, atol=0.05)
        assert (rows["ci_low"] <= rows["value"]).all() and (rows["value"] <= rows["ci_high"]).all()
    assert (tmp_path / "out" / "figures" / "sobol_y.png").is_file()


def test_morris_and_latin_hypercube_rank_the_factors(tmp_path: Path) -> None:
    for kind, extra in (("morris", "trajectories: 40"), ("latin_hypercube", "samples: 200")):
        exp = write(tmp_path, f"""\
title: A linear function, {kind}
runs: 1
seed: 5
design:
  kind: {kind}
  {extra}
  factors:
    x1: {{low: 0, high: 1}}
    x2: {{low: 0, high: 1}}
    x3: {{low: 0, high: 1}}
outcomes: {{y: {{kind: plugin}}}}
analysis: {{resamples: 200}}
output: {{runs_per_part: 500}}
""", name=f"{kind}.yaml")
        out = tmp_path / kind
        run_experiment(load_experiment(exp, require_scenario=False), out, progress=False,
                       figures=False,
                       function=lambda v, s: {"y": 4 * v["x1"] - 2 * v["x2"] + 0.1 * v["x3"]})
        table = pd.read_csv(out / "sensitivity.csv")
        measure = "mu_star" if kind == "morris" else "spearman_rho"
        value = table[table["measure"] == measure].set_index("factor")["value"]
        assert abs(value["x1"]) > abs(value["x2"]) > abs(value["x3"])
        if kind == "morris":
            np.testing.assert_allclose(value[["x1", "x2", "x3"]], [4, 2, 0.1], rtol=1e-6)


# --- validation: located errors, exit 2 -------------------------------------------------------

TENSION = "  tension: {kind: mean_tension, dyad: JPN-KOR, from: 2023-03}"
# case -> (line of GRID replaced, its replacement, line reported, message)
BAD_CASES = {
    "top-level typo": ("runs: 6", "rnus: 6", 4, "rnus: unknown key (did you mean 'runs'?)"),
    "missing field": ("runs: 6", "", 1, "runs: required field is missing"),
    "out of range": ("runs: 6", "runs: 0", 4, "runs: Input should be greater than or equal to 1"),
    "design kind typo": ("  kind: grid", "  kind: gird", 7,
                         "design.kind: unknown kind 'gird' (did you mean 'grid'?)"),
    "outcome kind typo": (TENSION, TENSION.replace("mean_tension", "mean_tenson"), 12,
                          "outcomes.tension.kind: unknown kind 'mean_tenson' (did you mean "
                          "'mean_tension'?)"),
    "outcome field typo": (TENSION, TENSION.replace("dyad", "dayd"), 12,
                           "outcomes.tension.dayd: unknown key (did you mean 'dyad'?)"),
    "dyad order": (TENSION, TENSION.replace("JPN-KOR", "KOR-JPN"), 12,
                   "outcomes.tension.dyad: write the dyad as 'JPN-KOR'"),
    "unknown dyad": (TENSION, TENSION.replace("JPN-KOR", "JPN-KORR"), 12,
                     "outcomes.tension.dyad: unknown dyad 'JPN-KORR' (did you mean 'JPN-KOR'?)"),
    "month outside the run": (TENSION, TENSION.replace("2023-03", "2030-01"), 12,
                              "outcomes.tension.from: expected a month within 2023-01..2023-12"),
    "factor path typo": ("    parameters.choice_temperature: [0.05, 0.2]",
                         "    parameters.choice_temprature: [0.05, 0.2]", 10,
                         "design.factors.parameters.choice_temprature: unknown key (did you "
                         "mean 'choice_temperature'?)"),
    "lever option typo": ("    levers.us_mediation.setting: [passive, envoy]",
                          "    levers.us_mediation.setting: [passive, envoi]", 9,
                          "design.factors.levers.us_mediation.setting.1: unknown option of "
                          "lever 'us_mediation': 'envoi' (did you mean 'envoy'?)"),
    "comparison of an unknown outcome": (
        "    b: {levers.us_mediation.setting: passive}",
        "    b: {levers.us_mediation.setting: passive}\n    outcomes: [tensoin]", 21,
        "comparisons.envoy_vs_passive.outcomes.0: unknown outcome 'tensoin' (did you mean "
        "'tension'?)"),
    "comparison of an absent level": (
        "    a: {levers.us_mediation.setting: envoy}",
        "    a: {levers.us_mediation.setting: shuttle}", 19,
        "unknown value of levers.us_mediation.setting 'shuttle'"),
    "action typo": ("  coercion: {kind: event_count, quad_class: [4]}",
                    "  coercion: {kind: event_count, quad_class: [4], actions: [summmit]}", 16,
                    "outcomes.coercion.actions.0: unknown action or scripted event 'summmit'"),
    "not YAML": (TENSION, TENSION.rstrip("}"), 13, "not valid YAML"),
}


def _malformed(case: str) -> str:
    old, new, _, _ = BAD_CASES[case]
    lines = GRID.splitlines()
    assert old in lines, old
    lines[lines.index(old)] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_experiment_files_give_located_errors(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, line, message = BAD_CASES[case]
    exp = write(tmp_path, _malformed(case))
    code = main(["experiment", str(exp), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert f"{exp}:{line}: " in err, err
    assert message in err, err
    assert not (tmp_path / "out").exists()


def test_sampled_design_rejects_a_non_power_of_two_and_bad_ranges(tmp_path: Path) -> None:
    exp = write(tmp_path, f"""\
title: Bad Sobol design
scenario: {CLASSROOM}
runs: 2
seed: 1
design:
  kind: sobol
  samples: 100
  factors:
    parameters.memory: {{low: 0.9, high: 0.5}}
    parameters.relaxation: {{low: 0.01, high: 0.1}}
outcomes:
  tension: {{kind: mean_tension, dyad: JPN-KOR}}
""")
    with pytest.raises(Exception) as info:
        load_experiment(exp)
    text = str(info.value)
    assert f"{exp}:7: design.samples: expected a power of two" in text
    assert f"{exp}:9: design.factors.parameters.memory: expected low < high" in text


def test_missing_scenario_file_is_located(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    exp = write(tmp_path, GRID.replace(str(CLASSROOM), "no_such_scenario.yaml"))
    assert main(["experiment", str(exp), "--quiet"]) == 2
    assert f"{exp}:3: scenario: no such scenario file" in capsys.readouterr().err


def test_runs_override_and_no_workers_argument_checks(tmp_path: Path) -> None:
    exp = write(tmp_path, GRID)
    assert main(["experiment", str(exp), "--runs", "0", "--quiet"]) == 2
    out = tmp_path / "out"
    assert main(["experiment", str(exp), "--runs", "2", "--out", str(out), "--workers", "1",
                 "--quiet", "--no-figures"]) == 0
    assert len(pd.read_csv(out / "outcomes.csv")) == 4 * 2
    assert os.path.isfile(out / "manifest.json")
