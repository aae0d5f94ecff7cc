"""Experiment files that validate must run: a design's size is bounded before it is built (with
an override), counts are not true/false, and scenario files are YAML files inside the folders
the user gave."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError, Problem
from sim.experiments.design import MAX_RUNS, build_design, design_points
from sim.experiments.loader import load_experiment

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
OUTCOMES = "outcomes: {cohesion: {kind: final_cohesion}}\n"


def write(folder: Path, text: str, name: str = "exp.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_experiment(path, **kwargs)
    return info.value.problems


def test_a_huge_grid_is_refused_before_it_is_built(tmp_path: Path) -> None:
    levels = "[" + ", ".join(str(i / 1000) for i in range(1000)) + "]"
    path = write(tmp_path, f"title: huge\nscenario: {CLASSROOM}\nruns: 1\nseed: 1\n"
                           "design:\n  kind: grid\n  factors:\n"
                           f"    parameters.memory: {levels}\n"
                           f"    parameters.relaxation: {levels}\n"
                           f"    parameters.tension_gain: {levels}\n" + OUTCOMES)
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.path) == (str(path), 5, "design")
    assert problem.message.startswith("1,000,000,000 design points x 1 runs = 1,000,000,000 "
                                      f"runs; at most {MAX_RUNS:,} are allowed")


def test_the_size_limit_counts_runs_and_scenarios_and_can_be_raised(tmp_path: Path) -> None:
    path = write(tmp_path, f"title: two\nscenarios: {{a: {CLASSROOM}, b: {CLASSROOM}}}\n"
                           "runs: 5\nseed: 1\ndesign:\n  kind: grid\n  factors:\n"
                           "    parameters.memory: [0.4, 0.6]\n" + OUTCOMES)
    [problem] = problems_of(path, max_runs=19)
    assert "2 design points x 5 runs x 2 scenarios = 20 runs; at most 19" in problem.message
    assert load_experiment(path, max_runs=20).file.runs == 5
    [problem] = problems_of(path, runs=6, max_runs=20)  # runs given on the command line
    assert "= 24 runs" in problem.message


@pytest.mark.parametrize("design, factors", [
    ("{kind: latin_hypercube, samples: 7}", "{a: {low: 0, high: 1}, b: {low: 0, high: 1}}"),
    ("{kind: sobol, samples: 8}", "{a: {low: 0, high: 1}, b: {low: 0, high: 1}}"),
    ("{kind: sobol, samples: 8, second_order: true}",
     "{a: {low: 0, high: 1}, b: {low: 0, high: 1}, c: {low: 0, high: 1}}"),
    ("{kind: morris, trajectories: 3}", "{a: {low: 0, high: 1}, b: {low: 0, high: 1}}"),
    ("{kind: grid}", "{a: [1, 2, 3], b: [x, y]}"),
])
def test_the_counted_size_is_the_built_size(tmp_path: Path, design: str, factors: str) -> None:
    """The size bound is computed without building the design: it must match what is built."""
    design = design.replace("}", f", factors: {factors}}}", 1)
    path = write(tmp_path, f"title: t\nruns: 1\nseed: 2\ndesign: {design}\n" + OUTCOMES)
    exp = load_experiment(path, require_scenario=False)
    assert design_points(exp) == len(build_design(exp))


@pytest.mark.parametrize("text, field", [
    ("runs: true\nseed: 1\n", "runs"),
    ("runs: 2\nseed: true\n", "seed"),
])
def test_true_is_not_a_count(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, f"title: t\nscenario: {CLASSROOM}\n{text}design: {{kind: grid}}\n"
                 + OUTCOMES)
    [problem] = problems_of(path)
    assert (problem.path, problem.message) == (field, "expected a number, not true/false")


@pytest.mark.parametrize("name, message", [
    ("/etc/passwd", "expected the name of a YAML file"),
    ("../../elsewhere/scenario.yaml", "is outside the folders a scenario may read"),
])
def test_scenario_files_only_from_the_folders_given(tmp_path: Path, name: str,
                                                    message: str) -> None:
    path = write(tmp_path, f"title: t\nscenario: {name}\nruns: 1\nseed: 1\n"
                           "design: {kind: grid}\n" + OUTCOMES)
    [problem] = problems_of(path)
    assert (problem.line, problem.path) == (2, "scenario") and message in problem.message
