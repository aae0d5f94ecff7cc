"""A corpus of malformed experiment files, generated from the shipped ones: every field given a
value of the wrong kind. Each must fail to load with exactly one problem, located at the line of
the changed value and naming its field (or a field inside it)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.errors import InputError
from sim.experiments.loader import load_experiment
from sim.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
MARK = "zz-wrong"


def wrong(value: Any) -> Any:
    """A value of another kind, holding the mark so that its line can be found."""
    return [MARK] if isinstance(value, str) else MARK


def reachable(node: Any, path: tuple[str, ...] = ()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, str(key)), value
            yield from reachable(value, (*path, str(key)))


def cases() -> list:
    out = []
    for source in EXPERIMENTS:
        data, _ = read_yaml(source)
        for path, _ in reachable(data):
            # a comparison's sides are a point name or a mapping: either kind is valid there
            if path[0] == "comparisons" and len(path) > 3:
                continue
            out.append(pytest.param(source, path, id=f"{source.stem}:{'.'.join(path)}"))
    return out


CASES = cases()


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("source, path", CASES)
def test_malformed_experiment(tmp_path: Path, source: Path, path: tuple[str, ...]) -> None:
    data, _ = read_yaml(source)
    changed = copy.deepcopy(data)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = wrong(node[path[-1]])
    if "scenario" in changed and isinstance(changed["scenario"], str):
        changed["scenario"] = str((source.parent / changed["scenario"]).resolve())
    text = yaml.safe_dump(changed, sort_keys=False, width=1000, default_flow_style=None)
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    [line] = [i + 1 for i, t in enumerate(text.splitlines()) if MARK in t]
    with pytest.raises(InputError) as info:
        load_experiment(target)
    [problem] = info.value.problems
    assert (problem.file, problem.line) == (str(target), line), problem
    assert problem.path.startswith(".".join(path)), problem
