"""``sim validate FILE...``: check scenario files and print a short summary of each."""

from __future__ import annotations

import argparse
import sys

from sim.errors import InputError, Problem


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")


def summary(loaded) -> str:
    s = loaded.scenario
    cited = sum(1 for v in loaded.provenance.values() if v.startswith("source:"))
    assumed = len(loaded.provenance) - cited
    states = sum(1 for a in s.actors.values() if a.kind == "state")
    outside = sum(1 for e in s.events.values()
                  if e.date and not s.meta.start <= e.date <= s.meta.end)
    note = f"\n  {outside} dated events fall outside the scenario's months and never fire" \
        if outside else ""
    return (
        f"{loaded.path}: ok - {s.meta.title} ({s.meta.start} to {s.meta.end})\n"
        f"  actors {len(s.actors)} ({states} states, {len(s.actors) - states} groups), "
        f"issues {len(s.issues)}, events {len(s.events)}, levers {len(s.levers)}, "
        f"actions {len(loaded.catalogue.actions)}\n"
        f"  numbers: {cited} cited, {assumed} assumed{note}"
    )


def run(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    problems: list[Problem] = []
    for name in args.files:
        try:
            print(summary(load_scenario(name)))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        print("\n".join(str(p) for p in InputError(problems).problems), file=sys.stderr)
        return 2
    return 0
