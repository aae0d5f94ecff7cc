"""The package stands on its own: every subpackage and shipped file is in the wheel's
configuration, no document points outside the repository, and the quick commands import no heavy
library (building and using the wheel itself is done by .ci/run)."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
# libraries that take long to import and that `sim --help` and `sim validate` must not need
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "dask", "distributed", "pyarrow", "mesa",
         "SALib")
DOCUMENTS = ("*.md", "*.yaml", "*.py", "*.toml", "*.html")


def glob_match(relative: str, pattern: str) -> bool:
    """As setuptools reads package-data globs: ``*`` does not cross a folder."""
    return re.fullmatch(fnmatch.translate(pattern).replace(".*", "[^/]*"), relative) is not None


def test_every_subpackage_is_in_the_wheel():
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "sim").rglob("__init__.py")}
    listed = {name for name in CONFIG["packages"] if not name.startswith("sim.data.")}
    assert found == listed


def test_every_shipped_file_is_in_the_wheel():
    missing = []
    for package, folder in CONFIG["package-dir"].items():
        patterns = CONFIG["package-data"][package]
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder).as_posix()
            if path.is_file() and not any(glob_match(relative, p) for p in patterns):
                missing.append(relative)
    assert not missing


def test_no_document_points_outside_the_repository():
    offenders = []
    for folder in ("sim", "docs", "scenarios", "experiments"):
        for pattern in DOCUMENTS:
            for path in (ROOT / folder).rglob(pattern):
                text = path.read_text(encoding="utf-8")
                if "../shared" in text or "shared/sources" in text or "shared/MODEL" in text:
                    offenders.append(str(path.relative_to(ROOT)))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    assert not offenders


@pytest.mark.parametrize("argv", [["--help"], ["validate", "scenarios/classroom.yaml"]])
def test_quick_commands_import_no_heavy_library(argv):
    code = ("import sys\nfrom sim.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


@pytest.fixture
def fresh_citation_cache():
    from sim.scenario import checks

    checks.source_paragraphs.cache_clear()
    yield
    checks.source_paragraphs.cache_clear()


def test_validate_says_whether_paragraphs_were_checked(monkeypatch, capsys, fresh_citation_cache):
    from sim.cli import main

    scenario = str(ROOT / "scenarios" / "classroom.yaml")
    monkeypatch.delenv("SIM_SOURCES_DIR", raising=False)
    assert main(["validate", scenario]) == 0
    assert "not against the articles' paragraphs" in capsys.readouterr().out
    assert main(["validate", scenario, "--sources", str(ROOT / "tests" / "sources")]) == 0
    assert "citations checked against the article texts" in capsys.readouterr().out
    assert main(["validate", scenario, "--sources", str(ROOT / "no-such-folder")]) == 2


def test_every_parameter_and_no_removed_one_is_documented():
    """scenarios/README.md documents every behavioural parameter of the schema, and none that
    no longer exists (a stale table misleads whoever edits a scenario)."""
    from sim.scenario.schema import REMOVED_PARAMETERS, Parameters

    names = set(Parameters.model_fields) - {"source", "assumption"}
    readme = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `parameters`"):readme.index("## Levers")]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))
    assert names - documented == set()
    assert documented - names == set()
    assert not documented & set(REMOVED_PARAMETERS)
