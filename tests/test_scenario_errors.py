"""Malformed scenario files: each gives located messages (file, line, field path, what is wrong)
and makes ``sim validate`` exit with code 2 without a traceback.

Most cases are a short child of a copy of ``scenarios/base.yaml``. A line ending in ``# @x``
marks the line a problem is expected on (its "line" in the table below is ``"@x"``).
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.commands import validate as validate_cmd
from sim.errors import InputError, Problem
from sim.scenario import load_scenario
from sim.scenario.checks import source_paragraphs
from sim.scenario.yamlio import MAX_BYTES

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STAGE = ("base.yaml", "actions.yaml", "sources.yaml")
CHILD = "extends: base.yaml\n"
HAVE_USIP_TEXT = source_paragraphs("usip-2023-mend-ties") is not None


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    # (file name, line: int or "@marker", field path, part of the message)
    expect: list[tuple[str, int | str, str, str]]
    load: str = "child.yaml"
    exact: bool = True  # no problems beyond the expected ones
    marks: list[pytest.MarkDecorator] = field(default_factory=list)


def child(text: str) -> dict[str, str | bytes]:
    return {"child.yaml": CHILD + text}


def billion_laughs() -> str:
    lines = [CHILD, "lol1: &l1 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    for i in range(2, 10):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        mark = "  # @a" if i == 2 else ""
        lines.append(f"lol{i}: &l{i} [{refs}]{mark}\n")
    return "".join(lines)


EVENT = (
    "    label: x\n    actor: COURT-KOR\n    cameo: '116'\n    goldstein: -2\n    quad_class: 3\n"
)

CASES = [
    Case("unknown-key-did-you-mean", child(
        "actors:\n  KOR:\n    positions:\n"
        "      trade: {position: 0.9, salince: 0.6, source: dispatch-2023-thaw#P10}  # @a\n"),
        [("child.yaml", "@a", "actors.KOR.positions.trade.salince",
          "unknown key (did you mean 'salience'?)")]),
    Case("unknown-section", child("paramaters:  # @a\n  memory: 0.5\n"),
         [("child.yaml", "@a", "paramaters", "unknown key (did you mean 'parameters'?)")]),
    Case("unknown-lever-key", child("levers:\n  us_mediation:\n    settng: envoy  # @a\n"),
         [("child.yaml", "@a", "levers.us_mediation.settng",
           "unknown key (did you mean 'setting'?)")]),
    Case("relation-actor-typo", child(
        "relations:\n  JPN-KORR:  # @a\n    tension: 0.3\n    assumption: a typo test here\n"),
        [("child.yaml", "@a", "relations.JPN-KORR", "unknown actor 'KORR' (did you mean 'KOR'?)")]),
    Case("key-dyad-actor-typo", child("meta:\n  key_dyads: [JPN-KOR, JPN-USX]  # @a\n"),
         [("child.yaml", "@a", "meta.key_dyads.1", "unknown actor 'USX' (did you mean 'USA'?)")]),
    Case("veto-player-typo", child("negotiation:\n  veto_players: [JPN, KRO]  # @a\n"),
         [("child.yaml", "@a", "negotiation.veto_players.1",
           "unknown state actor 'KRO' (did you mean 'KOR'?)")]),
    Case("dyad-not-sorted", child(
        "relations:\n  KOR-JPN:  # @a\n    tension: 0.3\n    assumption: a test of the order\n"),
        [("child.yaml", "@a", "relations.KOR-JPN", "sorted order: 'JPN-KOR'")]),
    Case("unknown-issue-in-positions", child(
        "actors:\n  USA:\n    positions:\n"
        "      tarde: {position: 0.5, salience: 0.1, assumption: a typo test here}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.positions.tarde",
          "unknown issue 'tarde' (did you mean 'trade'?)")]),
    Case("missing-position-for-an-issue", child(
        "issues:\n  fisheries: {label: Fisheries, zero: closed, one: open}\n"),
        [("base.yaml", ("  USA:", "    positions:"), "actors.USA.positions",
          "missing position and salience for issue 'fisheries'"),
         ("base.yaml", ("  VICTIMS:", "    positions:"), "actors.VICTIMS.positions",
          "missing position and salience for issue 'fisheries'")], exact=False),
    Case("position-above-one", child(
        "actors:\n  USA:\n    positions:\n"
        "      trade: {position: 1.5, salience: 0.4, assumption: a range test here}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.positions.trade.position",
          "less than or equal to 1")]),
    Case("salience-below-zero", child(
        "actors:\n  USA:\n    positions:\n"
        "      trade: {position: 0.5, salience: -0.1, assumption: a range test here}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.positions.trade.salience",
          "greater than or equal to 0")]),
    Case("nan", child("parameters:\n  memory: {value: .nan, assumption: a NaN test}  # @a\n"),
         [("child.yaml", "@a", "parameters.memory", "finite number (not NaN or infinity)")]),
    Case("infinity", child("parameters:\n  memory: {value: .inf, assumption: an inf test}  # @a\n"),
         [("child.yaml", "@a", "parameters.memory", "finite number (not NaN or infinity)")]),
    Case("bare-minus-infinity", child("relation_defaults:\n  tension: -.inf  # @a\n"),
         [("child.yaml", "@a", "relation_defaults.tension", "finite number")]),
    Case("number-too-large-for-a-float", child(
        "parameters:\n  weight_cost: {value: 1e400, assumption: a huge number}  # @a\n"),
        [("child.yaml", "@a", "parameters.weight_cost", "finite number")]),
    Case("number-out-of-range", child(
        "parameters:\n  weight_cost: {value: 5000, assumption: a huge weight}  # @a\n"),
        [("child.yaml", "@a", "parameters.weight_cost", "less than or equal to 1000")]),
    Case("number-without-provenance", child("relations:\n  PRK-VICTIMS:\n    tension: 0.3  # @a\n"),
         [("child.yaml", "@a", "relations.PRK-VICTIMS.tension", "number without provenance")]),
    Case("unknown-source", child(
        "parameters:\n  memory: {value: 0.5, source: usip-2023-mend-tie#P3}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory.source",
          "unknown source 'usip-2023-mend-tie' (did you mean 'usip-2023-mend-ties'?)")]),
    Case("no-such-paragraph", child(
        "parameters:\n  memory: {value: 0.5, source: usip-2023-mend-ties#P99}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory.source",
          "usip-2023-mend-ties has no paragraph P99")],
        marks=[pytest.mark.skipif(not HAVE_USIP_TEXT, reason="shared/sources texts not found")]),
    Case("citation-without-paragraph", child(
        "parameters:\n  memory: {value: 0.5, source: usip-2023-mend-ties}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory.source", "cite a paragraph of")],
        marks=[pytest.mark.skipif(not HAVE_USIP_TEXT, reason="shared/sources texts not found")]),
    Case("source-and-assumption", child(
        "parameters:\n"
        "  memory: {value: 0.5, source: usip-2023-mend-ties#P3, assumption: two words}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory.source", "give either `source` or `assumption`")]),
    Case("assumption-without-reason", child(
        "parameters:\n  memory: {value: 0.5, assumption: guess}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory.assumption", "needs its reason")]),
    Case("bad-month", child("meta:\n  start: 2018-13  # @a\n"),
         [("child.yaml", "@a", "meta.start", "expected a month as YYYY-MM")]),
    Case("month-in-words", child("meta:\n  end: December 2018  # @a\n"),
         [("child.yaml", "@a", "meta.end", "expected a month as YYYY-MM")]),
    Case("end-before-start", child("meta:  # @a\n  start: 2018-06\n  end: 2018-01\n"),
         [("child.yaml", "@a", "meta", "end 2018-01 is before start 2018-06")]),
    Case("event-with-date-and-rate", child(
        "events:\n  e1:  # @a\n" + EVENT + "    date: 2018-05\n    rate: 0.1\n"
        "    assumption: a test event here\n"),
        [("child.yaml", "@a", "events.e1", "give exactly one of `date`")]),
    Case("event-with-neither-date-nor-rate", child(
        "events:\n  e1:  # @a\n" + EVENT + "    assumption: a test event here\n"),
        [("child.yaml", "@a", "events.e1", "give exactly one of `date`")]),
    Case("event-with-bad-goldstein", child(
        "events:\n  e1:\n" + EVENT.replace("goldstein: -2", "goldstein: -12  # @a")
        + "    date: 2018-05\n    assumption: a test event here\n"),
        [("child.yaml", "@a", "events.e1.goldstein", "greater than or equal to -10")]),
    Case("tie-directions", child(
        "relations:\n  JPN-KOR:\n    ties:\n"
        "      - gsomia:JPN>KOR  # @a\n"
        "      - white_list  # @b\n"),
        [("child.yaml", "@a", "relations.JPN-KOR.ties.0",
          "'gsomia' is not directed: write it as 'gsomia'"),
         ("child.yaml", "@b", "relations.JPN-KOR.ties.1",
          "'white_list' is directed: write it as 'white_list:JPN>KOR' or 'white_list:KOR>JPN'")]),
    Case("unknown-tie", child("relations:\n  JPN-KOR:\n    ties: [gsomiaa]  # @a\n"),
         [("child.yaml", "@a", "relations.JPN-KOR.ties.0",
           "unknown tie 'gsomiaa' (did you mean 'gsomia'?)")]),
    Case("unknown-disabled-action", child("disabled_actions: [sumit]  # @a\n"),
         [("child.yaml", "@a", "disabled_actions.0",
           "unknown action 'sumit' (did you mean 'summit'?)")]),
    Case("lever-setting-not-an-option",
         child("levers:\n  us_mediation:  # @a\n    setting: envoi\n"),
         [("child.yaml", "@a", "levers.us_mediation",
           "setting 'envoi' is not one of the options ['envoy', 'passive', 'shuttle']")]),
    Case("lever-set-path-does-not-exist", child(
        "levers:\n  us_mediation:\n    options:\n      envoy:\n        set:\n"
        "          actors.USX.mediation: envoy  # @a\n"),
        [("child.yaml", "@a", "levers.us_mediation.options.envoy.set.actors.USX.mediation",
          "no 'USX' in 'actors' (did you mean 'USA'?)")]),
    Case("lever-set-value-out-of-range", child(
        "levers:\n  us_mediation:\n    setting: shuttle\n    options:\n      shuttle:\n"
        "        set:\n"
        "          actors.USA.alliance_pressure: {value: 3, assumption: too much}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.alliance_pressure", "less than or equal to 1")]),
    Case("literal-did-you-mean", child("actors:\n  USA:\n    kind: stat  # @a\n"),
         [("child.yaml", "@a", "actors.USA.kind", "expected 'state' or 'group'")]),
    Case("group-with-administrations", child(
        "actors:\n  VICTIMS:  # @a\n    administrations:\n      a1: {leader: x, start: 2018-01}\n"),
        [("child.yaml", "@a", "actors.VICTIMS", "a group has no administrations")]),
    Case("overlapping-administrations", child(
        "actors:\n  JPN:\n    administrations:\n      suga:\n        start: 2020-06  # @a\n"),
        [("child.yaml", "@a", "actors.JPN.administrations.suga.start",
          "overlaps administration 'abe'")]),
    Case("string-for-a-number", child(
        "parameters:\n  memory: {value: lots, assumption: a type test}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory", "valid number")]),
    Case("string-for-an-integer", child("meta:\n  seed: abc  # @a\n"),
         [("child.yaml", "@a", "meta.seed", "valid integer")]),
    Case("boolean-for-a-number", child(
        "actors:\n  USA:\n    capability: {value: true, assumption: a bool test}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.capability", "expected a number, not true/false")]),
    Case("comma-in-flow-mapping", child(
        "parameters:\n  memory: {value: 0.5, assumption: a test, with a comma}  # @a\n"),
        [("child.yaml", "@a", "parameters.memory", "put text with commas in quotes")]),
    Case("extends-missing-file", {"child.yaml": "extends: nothere.yaml  # @a\n"},
         [("child.yaml", "@a", "extends", "no such file 'nothere.yaml' beside this one")]),
    Case("extends-not-a-name", {"child.yaml": "extends: [base.yaml]  # @a\n"},
         [("child.yaml", "@a", "extends", "expected a file name")]),
    Case("extends-cycle", {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml  # @a\n"},
         [("b.yaml", "@a", "extends", "extends cycle: a.yaml -> b.yaml -> a.yaml")],
         load="a.yaml"),
    Case("extends-itself", {"child.yaml": "# a loop\nextends: child.yaml  # @a\n"},
         [("child.yaml", "@a", "extends", "extends cycle: child.yaml -> child.yaml")]),
    Case("missing-catalogue", child("meta:\n  catalogue: nothere.yaml  # @a\n"),
         [("child.yaml", "@a", "meta.catalogue", "no such file 'nothere.yaml'")]),
    Case("catalogue-is-a-folder", child("meta:\n  catalogue: ''  # @a\n"),
         [("child.yaml", "@a", "meta.catalogue", "expected the name of a YAML file")]),
    Case("alias-bomb", {"child.yaml": billion_laughs()},
         [("child.yaml", "@a", "", "YAML alias *l1 is not allowed")]),
    Case("file-over-the-size-limit",
         {"child.yaml": CHILD + "# padding\n" * (MAX_BYTES // 10 + 1)},
         [("child.yaml", 0, "", f"at most {MAX_BYTES} are accepted")]),
    Case("duplicate-key", child("meta:\n  seed: 1\n  seed: 2  # @a\n"),
         [("child.yaml", "@a", "meta.seed", "duplicate key")]),
    Case("invalid-yaml", child("meta:\n  title: x\n   seed: 3  # @a\n"),
         [("child.yaml", "@a", "", "not valid YAML: mapping values are not allowed here")]),
    Case("unclosed-quote", child("meta:\n  title: \"x\n  seed: 3\n"),
         [("child.yaml", 5, "", "not valid YAML")]),
    Case("non-utf8", {"child.yaml": (CHILD + "meta:\n  title: Caf\xe9\n").encode("latin-1")},
         [("child.yaml", 3, "", "not UTF-8 text (bad byte at offset 37)")]),
    Case("top-level-list", {"child.yaml": "- extends\n- base.yaml\n"},
         [("child.yaml", 1, "", "expected a mapping of sections")]),
    Case("empty-file", {"child.yaml": ""},
         [("child.yaml", 1, "", "expected a mapping of sections")]),
    Case("python-tag", child("meta:\n  title: !!python/object:os.system x  # @a\n"),
         [("child.yaml", "@a", "meta.title", "unreadable value")]),
    Case("merge-key", child("meta:\n  <<: {seed: 3}  # @a\n"),
         [("child.yaml", "@a", "meta", "keys must be plain names")]),
    Case("too-deep-flow", {"child.yaml": "x:\n  " + "[" * 100_000 + "]" * 100_000 + "\n"},
         [("child.yaml", 2, "", "nesting is too deep")]),
    Case("capability-zero", child(
        "actors:\n  KOR:\n    capability: {value: 0, assumption: a zero test}  # @a\n"),
        [("child.yaml", "@a", "actors.KOR.capability", "greater than 0")]),
    Case("idle-action-disabled", child("disabled_actions: [wait]  # @a\n"),
         [("child.yaml", "@a", "disabled_actions", "would have no action possible")]),
    Case("horizon-from-year-zero", child("meta:  # @a\n  start: 0000-01\n"),
         [("child.yaml", "@a", "meta", "more than 1200 months")]),
    Case("seed-true", child("meta:\n  seed: true  # @a\n"),
         [("child.yaml", "@a", "meta.seed", "not true/false")]),
    Case("veto-player-twice", child("negotiation:\n  veto_players: [JPN, JPN]  # @a\n"),
         [("child.yaml", "@a", "negotiation.veto_players.1", "'JPN' is listed twice")]),
    Case("trilateral-twice", child("meta:\n  trilateral: [USA, JPN, USA]  # @a\n"),
         [("child.yaml", "@a", "meta.trilateral.2", "'USA' is listed twice")]),
    Case("unselected-option-out-of-range", child(
        "levers:\n  us_mediation:\n    options:\n      envoy:\n        set:\n"
        "          actors.USA.alliance_pressure: {value: 3, assumption: too much}  # @a\n"),
        [("child.yaml", "@a", "actors.USA.alliance_pressure",
          "less than or equal to 1 (with lever 'us_mediation' set to 'envoy')")]),
    Case("unselected-option-strands-an-actor", child(
        "levers:\n  us_mediation:\n    options:\n      envoy:\n        set:\n"
        "          disabled_actions: [wait]  # @a\n"),
        [("child.yaml", "@a", "disabled_actions",
          "would have no action possible in every month: enable a choice action with "
          "`target: none` open to them (such as 'wait') (with lever 'us_mediation' set to "
          "'envoy')")]),
    Case("unselected-option-names-a-player-twice", child(
        "levers:\n  victim_inclusion:\n    options:\n      required:\n        set:\n"
        "          negotiation.veto_players: [KOR, KOR]  # @a\n"),
        [("child.yaml", "@a", "negotiation.veto_players.1", "'KOR' is listed twice")]),
    Case("extends-a-system-file", {"child.yaml": "extends: /etc/passwd  # @a\n"},
         [("child.yaml", "@a", "extends", "expected the name of a YAML file")]),
    Case("extends-a-yaml-file-elsewhere", {"child.yaml": "extends: ../../x/base.yaml  # @a\n"},
         [("child.yaml", "@a", "extends", "is outside the folders a scenario may read")]),
    Case("catalogue-outside", child("meta:\n  catalogue: /tmp/../etc/actions.yaml  # @a\n"),
         [("child.yaml", "@a", "meta.catalogue", "is outside the folders a scenario may read")]),
    Case("sources-not-yaml", child("meta:\n  sources: sources.txt  # @a\n"),
         [("child.yaml", "@a", "meta.sources", "expected the name of a YAML file")]),
    Case("problem-in-the-parent-names-the-child", {
        "child.yaml": "# a child\nextends: mid.yaml  # @b\n",
        "mid.yaml": "extends: base.yaml\nmeta:\n  seed: -4  # @a\n"},
        [("mid.yaml", "@a", "meta.seed", "greater than or equal to 0 (reached from "
          "{stage}/child.yaml:2: extends)")]),
    Case("problem-in-the-catalogue-names-the-scenario", {
        "child.yaml": CHILD + "meta:\n  catalogue: actions2.yaml  # @b\n",
        "actions2.yaml": "ties: {}\nactions:\n  wait: {label: x}  # @a\n"},
        [("actions2.yaml", "@a", "actions.wait.cameo", "required field is missing (reached from "
          "{stage}/child.yaml:3: meta.catalogue)")], exact=False),
    Case("extends-a-yaml-file-that-is-not-a-scenario", {
        "child.yaml": "extends: settings.yaml  # @b\n",
        "settings.yaml": "user: alice\npassword: hunter2\n"},
        [("settings.yaml", 1, "", "expected a scenario file (with a section among: ext")]),
    Case("a-yaml-file-that-is-not-a-scenario", {"child.yaml": "user: alice\npassword: hunter2\n"},
         [("child.yaml", 1, "", "expected a scenario file (with a section among: ext")]),
    Case("catalogue-that-is-not-a-catalogue", child("meta:\n  catalogue: settings.yaml  # @b\n")
         | {"settings.yaml": "user: alice\npassword: hunter2\n"},
         [("settings.yaml", 1, "", "expected a catalogue file (with a section among: ties, "
           "actions) (reached from {stage}/child.yaml:3: meta.catalogue)")]),
    Case("nul-character", child("meta:\n  title: a\x00b\n"),
         [("child.yaml", 3, "", "control character #x0000 is not allowed")]),
    Case("escape-character", child("meta:\n  seed: 3\n  title: a\x1b[31mb\n"),
         [("child.yaml", 4, "", "control character #x001b is not allowed")]),
    Case("too-deep-block", {"child.yaml": "x:\n" + "- " * 1000 + "x\n"},
         [("child.yaml", 2, "", "nesting is too deep")]),
]


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    for name in STAGE:
        shutil.copy(SCENARIOS / name, tmp_path / name)
    return tmp_path


def locate(text: str | bytes, spec: int | str | tuple[str, ...]) -> int:
    """The 1-based line a problem is expected on: a number, a ``# @x`` marker, or successive
    lines (each the first after the previous one) that begin with the given text."""
    if isinstance(spec, int):
        return spec
    lines = (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).splitlines()
    if isinstance(spec, str):
        [line] = [i + 1 for i, t in enumerate(lines) if t.endswith(f"# {spec}")]
        return line
    at = 0
    for anchor in spec:
        at = next(i for i in range(at, len(lines)) if lines[i].startswith(anchor))
    return at + 1


def write_case(case: Case, folder: Path) -> Path:
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder / case.load


def cli_validate(files: list[Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = validate_cmd.run(argparse.Namespace(files=[str(f) for f in files]))
    out, err = capsys.readouterr()
    return code, out, err


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.problems, "an InputError must carry at least one problem"
    return info.value.problems


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_malformed_file(case: Case, stage: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_case(case, stage)
    problems = problems_of(path)
    for name, spec, field_path, fragment in case.expect:
        file = stage / name
        text = file.read_bytes()
        line = locate(text, spec)
        where = [p for p in problems if (p.file, p.line, p.path) == (str(file), line, field_path)]
        assert where, f"no problem at {file.name}:{line} {field_path!r}; got {problems}"
        fragment = fragment.replace("{stage}", str(stage))
        assert any(fragment in p.message for p in where), (fragment, where)
    if case.exact:
        assert len(problems) == len(case.expect), problems
    assert not [p for p in problems if "hunter2" in str(p)], "a secret was echoed"

    code, out, err = cli_validate([path], capsys)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == [str(p) for p in problems]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


def test_file_at_the_size_limit_is_read(stage: Path) -> None:
    """The limit is inclusive: a scenario of exactly MAX_BYTES bytes still loads."""
    text = CHILD + "meta:\n  title: padded\n"
    padding = MAX_BYTES - len(text.encode("utf-8"))
    path = stage / "child.yaml"
    path.write_text(text + "#" * (padding - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_BYTES
    assert load_scenario(path).scenario.meta.title == "padded"


def test_several_errors_in_one_file_are_reported_in_one_pass(
    stage: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stage / "child.yaml"
    path.write_text(CHILD + (
        "meta:\n"
        "  titel: x  # @a\n"
        "  start: 2018-13  # @b\n"
        "parameters:\n"
        "  memory: {value: .nan, assumption: a NaN test}  # @c\n"
        "  relaxation: {value: 2, assumption: out of range}  # @d\n"
        "actors:\n"
        "  USA:\n"
        "    kind: stat  # @e\n"
    ), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    expected = [
        ("@a", "meta.titel"), ("@b", "meta.start"), ("@c", "parameters.memory"),
        ("@d", "parameters.relaxation"), ("@e", "actors.USA.kind"),
    ]
    got = [(p.file, p.line, p.path) for p in problems_of(path)]
    assert got == [(str(path), locate(text, mark), field) for mark, field in expected]
    code, _, err = cli_validate([path], capsys)
    assert code == 2 and len(err.splitlines()) == len(expected)


def test_several_reference_and_provenance_errors_in_one_pass(stage: Path) -> None:
    path = stage / "child.yaml"
    path.write_text(CHILD + (
        "meta:\n"
        "  key_dyads: [JPN-USX]  # @a\n"
        "negotiation:\n"
        "  veto_players: [JPN, KRO]  # @b\n"
        "relations:\n"
        "  PRK-VICTIMS:\n"
        "    tension: 0.3  # @c\n"
        "parameters:\n"
        "  memory: {value: 0.5, source: nosuch-source#P1}  # @d\n"
    ), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    expected = [
        ("@a", "meta.key_dyads.0"), ("@b", "negotiation.veto_players.1"),
        ("@c", "relations.PRK-VICTIMS.tension"), ("@d", "parameters.memory.source"),
    ]
    got = {(p.file, p.line, p.path) for p in problems_of(path)}
    assert got == {(str(path), locate(text, mark), field) for mark, field in expected}


def test_errors_in_several_files_in_one_command(
    stage: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = stage / "first.yaml"
    first.write_text(CHILD + "meta:\n  seed: -1\n", encoding="utf-8")
    second = stage / "second.yaml"
    second.write_text("- not a mapping\n", encoding="utf-8")
    code, out, err = cli_validate([first, stage / "base.yaml", second], capsys)
    assert code == 2
    assert f"{stage / 'base.yaml'}: ok - " in out
    assert err.splitlines() == [
        f"{first}:3: meta.seed: Input should be greater than or equal to 0",
        f"{second}:1: expected a mapping of sections (meta, ...)",
    ]


def _cli_main() -> Callable[[list[str]], int] | None:
    """``sim.cli.main`` if every command module it lists can be imported yet."""
    from sim import cli

    try:
        cli.build_parser()
    except ImportError:
        return None
    return cli.main


def test_through_the_sim_command(stage: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = _cli_main()
    if main is None:
        pytest.skip("sim.cli cannot build its parser yet (a command module is missing)")
    bad = stage / "child.yaml"
    bad.write_text(CHILD + "meta:\n  seed: abc\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert f"{bad}:3: meta.seed: Input should be a valid integer" in err
    assert main(["validate", str(stage / "base.yaml")]) == 0
