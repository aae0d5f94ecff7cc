"""Property-based fuzzing of the scenario loader: whatever the file holds, loading either
succeeds or raises the project's own InputError with located problems, never anything else."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.yamlio import build_from_events, parse_with_loader, read_yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE, _ = read_yaml(SCENARIOS / "base.yaml")
FUZZ = settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def stage(base_stage: Path) -> Path:
    return base_stage


def check_load(path: Path) -> LoadedScenario | None:
    """Load ``path``; only success or a well-formed InputError is acceptable."""
    try:
        return load_scenario(path)
    except InputError as err:
        assert err.problems, "an InputError without problems"
        for problem in err.problems:
            assert isinstance(problem.file, str) and problem.file, problem
            assert isinstance(problem.line, int) and problem.line >= 0, problem
            assert isinstance(problem.path, str), problem
            assert isinstance(problem.message, str) and problem.message, problem
            assert "\n" not in problem.message, problem
        return None


# --- (1) arbitrary text and bytes -------------------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(list(" \n\t:-[]{},&*!|>?'\"#%@`.~0123456789eE+abKORJPN_\\")
                    + ["extends", "base.yaml", "meta", ".nan", "!!", "<<", "\ufeff", "\n  "]),
    max_size=120,
).map("".join)


@FUZZ
@given(text=st.text(max_size=300) | YAMLISH)
def test_arbitrary_text(stage: Path, text: str) -> None:
    path = stage / "text.yaml"
    path.write_text(text, encoding="utf-8")
    check_load(path)


@FUZZ
@given(text=st.text(max_size=300) | YAMLISH)
def test_arbitrary_text_after_extends(stage: Path, text: str) -> None:
    path = stage / "child.yaml"
    path.write_text("extends: base.yaml\n" + text, encoding="utf-8")
    check_load(path)


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(stage: Path, data: bytes) -> None:
    path = stage / "bytes.yaml"
    path.write_bytes(data)
    check_load(path)


# --- (2) structured: the real base scenario, mutated ------------------------------------------

NAMES = ["KOR", "JPN", "USA", "VICTIMS", "compensation", "trade", "envoy", "passive", "gsomia",
         "white_list:JPN>KOR", "JPN-KOR", "KOR-JPN", "2018-05", "2031-13", "base.yaml",
         "actions.yaml", "", ".", "usip-2023-mend-ties#P3", "usip-2023-mend-ties#P99",
         "nosuch#P1", "state", "group", "actors.USA.mediation", "actors.NOPE.x"]
KEYS = ["value", "source", "assumption", "setting", "options", "set", "position", "salience",
        "kind", "administrations", "extends", "ties", "date", "rate", "start", "end", "terms",
        "signatories", "signed_by", "public", "KOR", "JPN", "VICTIMS"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.5, -1, 2**40])
    | st.text(max_size=20)
    | st.sampled_from(NAMES)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@st.composite
def mutated_files(draw: st.DrawFn) -> dict[str, Any]:
    """The base data after up to five edits (delete or replace at a random path), or, as often,
    a child of base.yaml that makes the replacements (a child cannot delete)."""
    data = copy.deepcopy(BASE)
    patch: dict[str, Any] = {"extends": "base.yaml"}
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        parent: Any = None
        node: Any = data
        path: list[Any] = []
        while isinstance(node, dict | list) and node:
            if isinstance(node, dict):
                key: Any = draw(st.sampled_from(sorted(node)))
            else:
                key = draw(st.integers(min_value=0, max_value=len(node) - 1))
            parent, node = node, node[key]
            path.append(key)
            if draw(st.booleans()):
                break
        if parent is None:
            continue
        if draw(st.integers(min_value=0, max_value=2)) == 0:
            del parent[path[-1]]
            continue
        value = draw(VALUES)
        parent[path[-1]] = copy.deepcopy(value)
        keys = path[: next((i for i, k in enumerate(path) if not isinstance(k, str)), len(path))]
        if keys:  # a child can only reach mapping keys; a list step ends its path
            target = patch
            for key in keys[:-1]:
                if not isinstance(target.get(key), dict):
                    target[key] = {}
                target = target[key]
            target[keys[-1]] = value if len(keys) == len(path) else _at(data, keys)
    return patch if draw(st.booleans()) else data


def _at(data: Any, keys: list[str]) -> Any:
    for key in keys:
        data = data[key]
    return copy.deepcopy(data)


@settings(FUZZ, max_examples=120)
@given(content=mutated_files())
def test_mutated_base_scenario(stage: Path, content: dict[str, Any]) -> None:
    name = "mutant_child.yaml" if "extends" in content else "mutant.yaml"
    path = stage / name
    path.write_text(
        yaml.dump(content, Dumper=_NoAliasDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    check_load(path)


def test_the_unmutated_base_round_trips(stage: Path) -> None:
    """The structured fuzzing starts from a valid file: base.yaml dumped back still loads."""
    path = stage / "roundtrip.yaml"
    path.write_text(yaml.dump(BASE, Dumper=_NoAliasDumper, sort_keys=False), encoding="utf-8")
    assert check_load(path) is not None


# --- (3) the fast reader builds what the composer builds ----------------------------------------


def _outcome(read, text: str) -> Any:
    try:
        return read(text, "x.yaml", yaml.SafeLoader)
    except InputError as err:
        return err.problems
    except yaml.YAMLError:
        return "YAML error"


@FUZZ
@given(text=st.text(max_size=300) | YAMLISH)
def test_event_builder_agrees_with_the_composer(text: str) -> None:
    """The one-pass reader (used with libyaml) and the composer-based one give the same data,
    lines and problems, on the same parser's events."""
    assert _outcome(build_from_events, text) == _outcome(parse_with_loader, text)


EDGE_CASES = [
    "", "---\n", "---\n---\nfoo\n", "a: 1\n---\nb: 2\n", "just a scalar\n", "- 1\n- [2, {x: 3}]\n",
    "a: 1\na: {b: [1, 2]}\nc: 3\n", "<<: {a: 1}\nb: 2\n", "? [a, b]\n: {c: [1, 2]}\nd: 4\n",
    "? {a: 1}\n: x\ny: z\n", "a: &x 1\nb: 2\n", "a: !!python/object:os.system x\nb: 2\n",
    "a: !!binary aGk=\nb: !!set {x, y}\n", "a:\n  - b: 1\n    c: [x, {d: e}]\n  - null\n",
    "x: " + "[" * 40 + "]" * 40 + "\n", "x: " + "[" * 41 + "]" * 41 + "\n",
    "a: {b: 1, b: 2}\n", "[1, 2]: x\n", "1: x\n2.5: y\ntrue: z\n~: w\n",
    "a: 2018-05\nb: 2018-05-01\nc: 1e400\nd: .nan\ne: 0x1F\nf: 1_000\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_event_builder_agrees_on_edge_cases(text: str) -> None:
    assert _outcome(build_from_events, text) == _outcome(parse_with_loader, text)
