"""``sim validate FILE...``: check scenario files (and the action catalogue and bibliography
they use) and print a short summary of each; every problem as ``file:line: field: expected``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import InputError, Problem


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="scenario YAML files (actions.yaml and sources.yaml are recognised)")
    parser.add_argument("--data-dir", action="append", default=[], metavar="DIR",
                        help="a folder whose YAML files scenarios may extend or name as their "
                             "catalogue or sources (besides their own folder and the shipped "
                             "scenarios); may be repeated")
    parser.add_argument("--sources", type=Path, default=None, metavar="DIR",
                        help="folder of the articles' paragraph-numbered texts (<id>.txt): check "
                             "that every citation names an existing paragraph (default: "
                             "$SIM_SOURCES_DIR)")


def summary(loaded) -> str:
    s = loaded.scenario
    cited = sum(1 for v in loaded.provenance.values() if v.startswith("source:"))
    assumed = len(loaded.provenance) - cited
    states = sum(1 for a in s.actors.values() if a.kind == "state")
    outside = sum(1 for e in s.events.values()
                  if e.date and not s.meta.start <= e.date <= s.meta.end)
    note = (f"\n  {outside} dated events fall outside the scenario's months and never fire"
            if outside else "")
    return (
        f"{loaded.path}: ok - {s.meta.title} ({s.meta.start} to {s.meta.end})\n"
        f"  actors {len(s.actors)} ({states} states, {len(s.actors) - states} groups), "
        f"issues {len(s.issues)}, events {len(s.events)}, levers {len(s.levers)}, "
        f"actions {len(loaded.catalogue.actions)}\n"
        f"  numbers: {cited} cited, {assumed} assumed{note}"
    )


def validate_support_file(path: Path, data: dict) -> str:
    """The catalogue (``ties`` and ``actions``) or the bibliography (``sources``) on its own."""
    from sim.scenario import checks
    from sim.scenario.loader import load_model
    from sim.scenario.schema import Bibliography, Catalogue

    if "sources" in data:
        bib, _, _ = load_model(Bibliography, path)
        return f"{path}: ok - bibliography of {len(bib.sources)} sources"
    catalogue, raw, lines = load_model(Catalogue, path)
    bib, _, _ = load_model(Bibliography, path.parent / "sources.yaml")
    found, problems = checks.provenance(raw, lines, bib, str(path))
    if problems:
        raise InputError(problems)
    return (f"{path}: ok - action catalogue: {len(catalogue.actions)} actions, "
            f"{len(catalogue.ties)} ties, {len(found)} numbers with provenance")


def validate_one(name: str, folders: list[str] | None = None) -> str:
    from sim.scenario import load_scenario
    from sim.scenario.yamlio import read_yaml

    path = Path(name)
    data, _ = read_yaml(path)
    if isinstance(data, dict) and "meta" not in data and "extends" not in data and (
            "actions" in data or "sources" in data):
        return validate_support_file(path, data)
    return summary(load_scenario(path, folders=folders or ()))


def use_sources(folder: Path | None) -> str:
    """Point the citation check at ``folder`` (if given); say what citations are checked against."""
    import os

    from sim.errors import fail
    from sim.scenario import checks

    if folder is not None:
        if not folder.is_dir():
            raise fail(str(folder), "--sources: no such folder of article texts")
        os.environ[checks.SOURCES_ENV] = str(folder)
        checks.source_paragraphs.cache_clear()
    found = checks.sources_dir()
    if found is None:
        return ("citations were checked against the bibliography only, not against the "
                f"articles' paragraphs: no sources folder (--sources DIR or ${checks.SOURCES_ENV})")
    return f"citations checked against the article texts in {found}"


def run(args: argparse.Namespace) -> int:
    problems: list[Problem] = []
    note = use_sources(getattr(args, "sources", None))
    for name in args.files:
        try:
            print(validate_one(name, getattr(args, "data_dir", [])))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        print("\n".join(str(p) for p in InputError(problems).problems), file=sys.stderr)
        return 2
    print(note)
    return 0
