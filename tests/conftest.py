"""Shared fixtures: the shipped scenarios, loaded once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TEST_SCENARIOS = Path(__file__).resolve().parent / "scenarios"
# the articles' paragraph numbers (not their text), so that every citation's paragraph is checked
os.environ.setdefault("SIM_SOURCES_DIR", str(Path(__file__).resolve().parent / "sources"))


@pytest.fixture(scope="session")
def history():
    return load_scenario(SCENARIOS / "history_2018_2023.yaml")


@pytest.fixture(scope="session")
def history_short():
    """The history scenario cut to 2018-2019: enough for mechanism tests, quick to run."""
    return load_scenario(SCENARIOS / "history_2018_2023.yaml", {"meta.end": "2019-12"})


@pytest.fixture(scope="module")
def base_stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with copies of base.yaml, its catalogue and its bibliography, for child files
    written by the tests of a module."""
    import shutil

    folder = tmp_path_factory.mktemp("stage")
    for name in ("base.yaml", "actions.yaml", "sources.yaml"):
        shutil.copy(SCENARIOS / name, folder / name)
    return folder
