"""Loading scenarios: every shipped file, ``extends`` resolution, overrides and lever settings."""

from __future__ import annotations

import argparse
import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.commands import validate as validate_cmd
from sim.errors import InputError, Problem
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.schema import Bibliography, Catalogue, Scenario
from sim.scenario.yamlio import read_yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# scenarios/reference/ holds the historical record used for scoring, not scenario files
SHIPPED = sorted(p for p in SCENARIOS.rglob("*.yaml") if "reference" not in p.parts)
STAGE = ("base.yaml", "actions.yaml", "sources.yaml")


def _is_scenario(path: Path) -> bool:
    data, _ = read_yaml(path)
    return isinstance(data, dict) and "meta" in data


SCENARIO_FILES = [p for p in SHIPPED if _is_scenario(p)]


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    """A folder holding copies of the shipped base scenario, catalogue and bibliography."""
    for name in STAGE:
        shutil.copy(SCENARIOS / name, tmp_path / name)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, overrides: dict[str, Any] | None = None) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_scenario(path, overrides)
    return info.value.problems


def get(data: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[key]
    return data


def number(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and "value" in value else value


# --- every shipped file -----------------------------------------------------------------------


def test_shipped_files_are_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"base.yaml", "history_2018_2023.yaml", "actions.yaml", "sources.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_loads(path: Path) -> None:
    loaded = load_scenario(path)
    assert isinstance(loaded.scenario, Scenario)
    assert loaded.files[-2:] == [
        path.parent / loaded.scenario.meta.catalogue, path.parent / loaded.scenario.meta.sources
    ]
    assert all(f.is_file() for f in loaded.files)
    assert loaded.provenance, "a scenario without numbers is suspicious"
    assert all(v.startswith(("source: ", "assumption: ")) for v in loaded.provenance.values())
    assert [h["sha256"] for h in loaded.file_hashes()] == [
        h["sha256"] for h in load_scenario(path).file_hashes()
    ]


def test_every_shipped_yaml_file_is_checked() -> None:
    """No file under scenarios/ is skipped: each is a scenario or a catalogue / bibliography
    that some scenario uses (and which then validates against its own model)."""
    used: dict[Path, str] = {}
    for path in SCENARIO_FILES:
        scenario = load_scenario(path).scenario
        used[(path.parent / scenario.meta.catalogue).resolve()] = "catalogue"
        used[(path.parent / scenario.meta.sources).resolve()] = "sources"
    for path in SHIPPED:
        if path in SCENARIO_FILES:
            continue
        kind = used.get(path.resolve())
        assert kind is not None, f"{path} is neither a scenario nor used by one"
        data, _ = read_yaml(path)
        model = Catalogue if kind == "catalogue" else Bibliography
        assert model.model_validate(data)


def test_validate_command_accepts_every_shipped_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = validate_cmd.run(argparse.Namespace(files=[str(p) for p in SCENARIO_FILES]))
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    for path in SCENARIO_FILES:
        assert f"{path}: ok - " in out
    assert out.count("numbers: ") == len(SCENARIO_FILES)


def test_history_extends_base() -> None:
    base = load_scenario(SCENARIOS / "base.yaml")
    history = load_scenario(SCENARIOS / "history_2018_2023.yaml")
    assert history.files[:2] == [SCENARIOS / "base.yaml", SCENARIOS / "history_2018_2023.yaml"]
    assert (history.scenario.meta.start, history.scenario.meta.end) == ("2018-01", "2023-12")
    assert history.scenario.meta.title != base.scenario.meta.title
    assert history.scenario.events and not base.scenario.events
    own, _ = read_yaml(SCENARIOS / "history_2018_2023.yaml")
    inherited = [name for name in ("issues", "actors", "relations", "parameters", "negotiation")
                 if name not in own and "levers" not in own]
    assert inherited, "history_2018_2023.yaml no longer inherits anything to compare"
    for name in inherited:
        assert getattr(history.scenario, name) == getattr(base.scenario, name), name
    if "key_dyads" not in own["meta"]:
        assert history.scenario.meta.key_dyads == base.scenario.meta.key_dyads


# --- extends ----------------------------------------------------------------------------------


def test_child_overrides_one_number_and_one_lever_and_keeps_the_rest(stage: Path) -> None:
    child = write(stage, "child.yaml", (
        "extends: base.yaml\n"
        "parameters:\n"
        "  memory: {value: 0.5, assumption: a shorter memory for this test}\n"
        "levers:\n"
        "  us_mediation:\n"
        "    setting: shuttle\n"
    ))
    base = load_scenario(stage / "base.yaml")
    loaded = load_scenario(child)
    shuttle = base.raw["levers"]["us_mediation"]["options"]["shuttle"]["set"]

    expected = base.scenario.model_dump()
    expected["parameters"]["memory"] = 0.5
    expected["levers"]["us_mediation"]["setting"] = "shuttle"
    for dotted, value in shuttle.items():
        parent, _, last = dotted.rpartition(".")
        get(expected, parent)[last] = number(value)
    assert get(expected, "actors.USA.mediation") == "shuttle"
    assert loaded.scenario.model_dump() == expected
    assert loaded.catalogue == base.catalogue
    assert loaded.files[:2] == [stage / "base.yaml", child]
    assert loaded.provenance["parameters.memory"] == "assumption: a shorter memory for this test"
    assert loaded.lever_settings()["us_mediation"] == "shuttle"


def test_cited_number_replaces_the_parent_citation(stage: Path) -> None:
    """`{value, source}` over a base `{value, assumption}` is one number: no stale assumption."""
    child = write(stage, "child.yaml", (
        "extends: base.yaml\n"
        "parameters:\n"
        "  memory: {value: 0.6, source: usip-2023-mend-ties#P15}\n"
    ))
    loaded = load_scenario(child)
    assert loaded.raw["parameters"]["memory"] == {"value": 0.6, "source": "usip-2023-mend-ties#P15"}
    assert loaded.provenance["parameters.memory"] == "source: usip-2023-mend-ties#P15"


def test_lists_are_replaced_whole_and_mappings_merged(stage: Path) -> None:
    child = write(stage, "child.yaml", (
        "extends: base.yaml\n"
        "meta:\n"
        "  key_dyads: [JPN-KOR]\n"
        "actors:\n"
        "  USA:\n"
        "    name: Washington\n"
        "    tags: []\n"
        "negotiation:\n"
        "  issues: [apology]\n"
        "  claims_issues: [apology]\n"  # claims must be negotiated issues
    ))
    base = load_scenario(stage / "base.yaml").scenario
    loaded = load_scenario(child).scenario
    assert loaded.meta.key_dyads == ["JPN-KOR"]
    assert loaded.meta.trilateral == base.meta.trilateral
    assert loaded.negotiation.issues == ["apology"]
    assert loaded.negotiation.veto_players == base.negotiation.veto_players
    usa, base_usa = loaded.actors["USA"], base.actors["USA"]
    assert (usa.name, usa.tags) == ("Washington", [])
    assert usa.positions == base_usa.positions and usa.opinion == base_usa.opinion
    assert usa.administrations == base_usa.administrations


def test_null_in_a_child_deletes_the_key(stage: Path) -> None:
    child = write(stage, "child.yaml", "extends: base.yaml\nagreements: {deal_2015: null}\n")
    assert "deal_2015" in load_scenario(stage / "base.yaml").scenario.agreements
    assert "deal_2015" not in load_scenario(child).scenario.agreements


def test_three_level_chain(stage: Path) -> None:
    write(stage, "mid.yaml", (
        "extends: base.yaml\n"
        "meta:\n"
        "  title: middle\n"
        "  end: 2019-12\n"
    ))
    child = write(stage, "child.yaml", "extends: mid.yaml\nmeta:\n  title: child\n")
    loaded = load_scenario(child)
    assert loaded.scenario.meta.title == "child"
    assert loaded.scenario.meta.end == "2019-12"
    assert loaded.files[:3] == [stage / "base.yaml", stage / "mid.yaml", child]


def test_error_lines_point_into_the_right_file_of_the_chain(stage: Path) -> None:
    mid = write(stage, "mid.yaml", (
        "extends: base.yaml\n"
        "meta:\n"
        "  titel: a typo in the middle file\n"
    ))
    child = write(stage, "child.yaml", (
        "extends: mid.yaml\n"
        "\n"
        "parameters:\n"
        "  memory: {value: 1.5, assumption: out of range on purpose}\n"
    ))
    # a mistake that stays in the base file: break one of its lines
    base_path = stage / "base.yaml"
    base_lines = base_path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, text in enumerate(base_lines) if text.startswith("  seed:"))
    base_lines[at] = "  seed: -5"
    base_path.write_text("\n".join(base_lines) + "\n", encoding="utf-8")

    got = {(p.file, p.line, p.path) for p in problems_of(child)}
    assert got == {
        (str(mid), 3, "meta.titel"),
        (str(child), 4, "parameters.memory"),
        (str(base_path), at + 1, "meta.seed"),
    }


def test_base_line_numbers_survive_in_a_child(stage: Path) -> None:
    """A cross-reference error caused in the child but located in the base names the base."""
    child = write(stage, "child.yaml", (
        "extends: base.yaml\n"
        "issues:\n"
        "  fisheries: {label: Fisheries, zero: closed, one: open}\n"
    ))
    text = (stage / "base.yaml").read_text(encoding="utf-8").splitlines()
    kor = text.index("  KOR:")
    positions = next(i for i in range(kor, len(text)) if text[i] == "    positions:")
    problems = problems_of(child)
    wanted = Problem(str(stage / "base.yaml"), positions + 1, "actors.KOR.positions",
                     "missing position and salience for issue 'fisheries' "
                     f"(reached from {child}:1: extends)")
    assert wanted in problems


# --- overrides and levers ---------------------------------------------------------------------


def test_overrides_argument(stage: Path) -> None:
    loaded = load_scenario(stage / "base.yaml", overrides={
        "parameters.memory": {"value": 0.4, "assumption": "set from the command line"},
        "parameters.relaxation": 0.1,
        "meta.seed": 7,
    })
    assert loaded.scenario.parameters.memory == 0.4
    assert loaded.scenario.parameters.relaxation == 0.1
    assert loaded.scenario.meta.seed == 7
    assert loaded.overrides["meta.seed"] == 7
    assert loaded.provenance["parameters.memory"] == "assumption: set from the command line"
    assert loaded.provenance["parameters.relaxation"].startswith("assumption: ")
    assert "meta.seed" not in loaded.provenance


def test_override_of_a_lever_setting_applies_the_lever(stage: Path) -> None:
    base = load_scenario(stage / "base.yaml")
    assert base.scenario.actors["USA"].mediation == "passive"
    loaded = load_scenario(stage / "base.yaml", {"levers.us_mediation.setting": "envoy"})
    assert loaded.scenario.actors["USA"].mediation == "envoy"
    envoy = base.raw["levers"]["us_mediation"]["options"]["envoy"]["set"]
    expected = number(envoy["actors.USA.alliance_pressure"])
    assert loaded.scenario.actors["USA"].alliance_pressure == expected


def test_override_errors_name_the_scenario_without_a_line(stage: Path) -> None:
    path = stage / "base.yaml"
    [problem] = problems_of(path, {"actors.USX.mediation": "envoy"})
    assert (problem.file, problem.line, problem.path) == (str(path), 0, "actors.USX.mediation")
    assert "did you mean 'USA'?" in problem.message
    [problem] = problems_of(path, {"parameters.memory": {"value": 2.0, "assumption": "too big"}})
    assert (problem.file, problem.line, problem.path) == (str(path), 0, "parameters.memory")
    assert "less than or equal to 1" in problem.message


def _lever_options(base: LoadedScenario) -> list[tuple[str, str]]:
    return [(name, option) for name, lever in base.raw["levers"].items()
            for option in lever["options"]]


@pytest.mark.parametrize(
    ("lever", "option"), _lever_options(load_scenario(SCENARIOS / "base.yaml")),
    ids=lambda value: str(value),
)
def test_every_lever_option_applies(lever: str, option: str) -> None:
    path = SCENARIOS / "base.yaml"
    loaded = load_scenario(path, {f"levers.{lever}.setting": option})
    assert loaded.lever_settings()[lever] == option
    for dotted, value in loaded.raw["levers"][lever]["options"][option]["set"].items():
        assert get(loaded.raw, dotted) == value
        assert number(get(loaded.scenario.model_dump(), dotted)) == number(value)


def test_lever_settings_do_not_leak_into_the_file_data(stage: Path) -> None:
    path = stage / "base.yaml"
    before = copy.deepcopy(load_scenario(path).raw)
    load_scenario(path, {"levers.us_mediation.setting": "envoy"})
    assert load_scenario(path).raw == before


def test_a_lever_value_error_points_at_the_lever(stage: Path) -> None:
    child = write(stage, "child.yaml", (
        "extends: base.yaml\n"
        "levers:\n"
        "  us_mediation:\n"
        "    setting: envoy\n"
        "    options:\n"
        "      envoy:\n"
        "        set:\n"
        "          actors.USA.alliance_pressure: {value: 2.0, assumption: far too much pressure}\n"
    ))
    problems = problems_of(child)
    assert [(p.file, p.line, p.path) for p in problems] == [
        (str(child), 8, "actors.USA.alliance_pressure")
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml")))
def test_fast_and_pure_yaml_parsers_agree(name: str) -> None:
    """The fast reader (libyaml's C parser where present, one pass over its events) gives the
    same data and line marks as the pure-Python parser and composer, on every shipped file."""
    from sim.scenario import yamlio

    text = (SCENARIOS / name).read_text(encoding="utf-8")
    fast = yamlio.build_from_events(text, name, yamlio.FAST_LOADER)
    pure = yamlio.parse_with_loader(text, name, yaml.SafeLoader)
    assert fast == pure


# --- the sections a lever needs, and the files a scenario may read -----------------------------


def without_section(text: str, section: str) -> str:
    """A scenario's text without one top-level section (its key and indented lines)."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(f"{section}:"):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


@pytest.mark.parametrize("section", ["actors", "negotiation"])
def test_a_missing_section_is_reported_as_such(stage: Path, section: str) -> None:
    """The levers set paths under `actors` and `negotiation`: without the section, the problem
    is the missing section, not only the levers' paths."""
    text = (stage / "base.yaml").read_text(encoding="utf-8")
    path = write(stage, "cut.yaml", without_section(text, section))
    problems = problems_of(path)
    assert [(p.file, p.path, p.message) for p in problems] == [
        (str(path), section, "required field is missing")]


def test_a_folder_named_by_the_user_may_be_read(stage: Path, tmp_path_factory) -> None:
    library = tmp_path_factory.mktemp("library")
    for name in STAGE:
        shutil.copy(stage / name, library / name)
    child = write(stage, "child.yaml", f"extends: {library / 'base.yaml'}\n")
    [problem] = problems_of(child)
    assert "is outside the folders a scenario may read" in problem.message
    assert str(library) not in problem.message.split("(")[1]  # the folders allowed, not it
    assert load_scenario(child, folders=[library]).files[0] == library / "base.yaml"


def test_a_link_out_of_the_folder_is_refused(stage: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    secret = write(elsewhere, "secret.yaml", "password: hunter2\n")
    (stage / "linked.yaml").symlink_to(secret)
    child = write(stage, "child.yaml", "extends: linked.yaml\n")
    [problem] = problems_of(child)
    assert "is outside the folders a scenario may read" in problem.message
    assert "hunter2" not in problem.message and "password" not in problem.message


def test_the_shipped_folder_may_be_named_from_anywhere(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml",
                  f"extends: {SCENARIOS / 'base.yaml'}\nmeta:\n  title: mine\n")
    assert load_scenario(child).scenario.meta.title == "mine"
