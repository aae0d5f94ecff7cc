"""A corpus of malformed scenario files, generated from the shipped ``base.yaml``: for every
field a child file can reach, a value of the wrong kind, and for every mapping of the format an
unknown key. Each must make ``sim validate`` exit with code 2 and print exactly one message,
located at the child's line and naming the field, without a traceback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from sim.commands import validate as validate_cmd
from sim.scenario.loader import allowed_keys
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import read_yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE, _ = read_yaml(SCENARIOS / "base.yaml")
PROVENANCE = ("source", "assumption")
# a value of the wrong kind for each kind of value found in base.yaml (none holds a number, so
# that no provenance problem is added to the one expected)
WRONG = {"number": '"lots"', "bool": '"maybe"', "text": "[zz, yy]", "list": '"zz"',
         "mapping": '"zz"'}


def lever_paths(base: dict) -> list[tuple[str, ...]]:
    """Paths the levers set: a child's value there is replaced by the lever's."""
    paths = []
    for lever in base.get("levers", {}).values():
        for option in lever["options"].values():
            paths += [tuple(dotted.split(".")) for dotted in option["set"]]
    return paths


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float) or isinstance(value, dict) and "value" in value:
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "mapping"


def reachable(node: Any, path: tuple[str, ...] = ()):
    """(path, value) of every value a child file can replace: mapping keys only, not inside
    a cited number, a lever's settings or the citations themselves."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = (*path, str(key))
        if key in PROVENANCE or here[:1] == ("levers",) and "set" in here[:-1]:
            continue
        yield here, value
        if isinstance(value, dict) and "value" not in value:
            yield from reachable(value, here)


def cases() -> list:
    covered = lever_paths(BASE)
    out = []
    for path, value in reachable(BASE):
        if any(path[: len(p)] == p or p[: len(path)] == path for p in covered):
            continue
        kind = kind_of(value)
        out.append(pytest.param(path, WRONG[kind], path, id=f"wrong-{kind}:{'.'.join(path)}"))
        if kind == "mapping" and allowed_keys(Scenario, path):
            key = (*path, "zzkey")
            out.append(pytest.param(key, '"x"', key, id=f"unknown-key:{'.'.join(path)}"))
    return out


CASES = cases()


def child_text(path: tuple[str, ...], value: str) -> str:
    """A child of base.yaml setting one value, its line marked ``# @a``."""
    lines = ["extends: base.yaml"]
    for depth, key in enumerate(path[:-1]):
        lines.append("  " * depth + f"{json.dumps(key)}:")
    lines.append("  " * (len(path) - 1) + f"{json.dumps(path[-1])}: {value}  # @a")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def stage(base_stage: Path) -> Path:
    return base_stage


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 300
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("path, value, field", CASES)
def test_malformed_file(stage: Path, path: tuple[str, ...], value: str, field: tuple[str, ...],
                        capsys: pytest.CaptureFixture[str]) -> None:
    child = stage / "child.yaml"
    text = child_text(path, value)
    child.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    code = validate_cmd.run(argparse.Namespace(files=[str(child)], data_dir=[]))
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    [message] = err.splitlines()
    where = f"{child}:{line}: {'.'.join(field)}"
    assert message.startswith(where), (message, where)
