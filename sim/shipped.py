"""The data the package ships, and scenarios named by path or by shipped name.

The repository keeps ``scenarios/``, ``experiments/`` and ``docs/teaching/`` at its top level; a
built wheel carries them inside the package as ``sim/data/scenarios``, ``sim/data/experiments``
and ``sim/data/teaching`` (see ``[tool.setuptools.package-dir]`` in pyproject.toml), read here
with :mod:`importlib.resources`. In a checkout or an editable install they are read from the
repository's own folders. Every other module asks this one where shipped data is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.errors import fail

# kind -> the folder in the repository (the wheel has it as sim/data/<kind>)
CHECKOUT_FOLDERS = {"scenarios": "scenarios", "experiments": "experiments",
                    "teaching": "docs/teaching"}
DEFAULT_SCENARIO = "history_2018_2023"
CLASSROOM_SCENARIO = "classroom"
HISTORY_SCENARIO = "history_2018_2023"
REFERENCE_FOLDER = "reference"
# files of the scenarios folder that are not scenarios a user runs
STAGE_FILES = ("base.yaml", "actions.yaml", "sources.yaml")


def data_dir(kind: str) -> Path:
    """The shipped folder of one kind: ``scenarios``, ``experiments`` or ``teaching``."""
    installed = Path(str(resources.files("sim"))) / "data" / kind
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / CHECKOUT_FOLDERS[kind]


def scenarios_dir() -> Path:
    return data_dir("scenarios")


def experiments_dir() -> Path:
    return data_dir("experiments")


def reference_dir() -> Path:
    """The history reference and its event mapping."""
    return scenarios_dir() / REFERENCE_FOLDER


def shipped_scenario(name: str) -> Path:
    """The shipped scenario file of that name (``thaw_2023`` or ``thaw_2023.yaml``)."""
    return scenarios_dir() / f"{name.removesuffix('.yaml')}.yaml"


@dataclass(frozen=True)
class ShippedScenario:
    """One runnable shipped scenario, as ``sim scenarios`` lists it."""

    name: str
    path: Path
    title: str
    question: str


def list_scenarios() -> list[ShippedScenario]:
    """The shipped scenarios a user can run, by name (the stage files excluded).

    Read cheaply (YAML only, no validation): titles and questions for menus and listings."""
    from sim.scenario.yamlio import read_yaml

    found = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        if path.name in STAGE_FILES:
            continue
        data, _ = read_yaml(path)
        meta = data.get("meta") if isinstance(data, dict) else None
        if not isinstance(meta, dict):
            continue
        found.append(ShippedScenario(path.stem, path, str(meta.get("title", path.stem)),
                                     str(meta.get("question", "")).strip()))
    return found


def resolve_scenario(text: str | Path | None, default: str = DEFAULT_SCENARIO) -> Path:
    """A scenario named on the command line: an existing file, else a shipped scenario's name;
    ``None`` gives the shipped default."""
    if text is None:
        return shipped_scenario(default)
    return resolve_file(text, scenarios_dir(), [s.name for s in list_scenarios()], "scenario",
                        "`sim scenarios` lists them")


def resolve_experiment(text: str | Path) -> Path:
    """An experiment named on the command line: an existing file, else a shipped one's name."""
    names = sorted(p.stem for p in experiments_dir().glob("*.yaml"))
    return resolve_file(text, experiments_dir(), names, "experiment", "in experiments/")


def resolve_file(text: str | Path, folder: Path, names: list[str], what: str,
                 where: str) -> Path:
    """An existing file, else ``folder/<name>.yaml`` for a bare shipped name; else a one-line
    error listing the shipped names."""
    path = Path(text)
    if path.is_file():
        return path
    if path.parent == Path(".") and path.suffix in ("", ".yaml"):
        candidate = folder / f"{path.name.removesuffix('.yaml')}.yaml"
        if candidate.is_file():
            return candidate
    if path.exists():
        raise fail(str(path), f"is not a file: expected a {what} YAML file")
    raise fail(str(path), f"no such {what} file, nor a shipped {what} (shipped: "
                          f"{', '.join(names)}; {where})")


def scenario_files(path: Path) -> list[Path]:
    """The files a scenario needs beside it: itself, what it extends, its catalogue and
    bibliography."""
    from sim.scenario import load_scenario

    return load_scenario(path).files


def copy_scenario(name: str, dest: Path, force: bool = False) -> list[Path]:
    """Copy a shipped scenario and every file it needs (what it extends, the catalogue, the
    bibliography) into ``dest`` for editing, the scenario first in the returned list; never
    overwrite a file without ``force``."""
    source = resolve_scenario(name)
    files = sorted(scenario_files(source), key=lambda f: f.name != source.name)
    if dest.exists() and not dest.is_dir():
        raise fail(str(dest), "is not a folder")
    targets = [dest / f.name for f in files]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise fail(str(existing[0]), "already exists; pass --force to overwrite it")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for file, target in zip(files, targets, strict=True):
            shutil.copyfile(file, target)
    except OSError as err:
        raise fail(str(dest), f"cannot copy into it ({err.strerror or err})") from None
    return targets
