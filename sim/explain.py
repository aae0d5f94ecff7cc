"""``sim explain DIR --run R --month YYYY-MM --actor ID``: why did an actor do what it did?

A run is deterministic given its scenario and seed, so the explanation replays run R from the
manifest (same files, overrides and per-run seed) with the decision log switched on, then shows
every option the actor had that month: its utility components, its logit probability, and
which one was chosen. Negotiation decisions of that month (accepting or rejecting a package)
are shown too.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sim.errors import fail

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="a run folder written by `sim run`")
    parser.add_argument("--run", type=int, default=0, help="run index (default 0)")
    parser.add_argument("--month", required=True, help="month as YYYY-MM")
    parser.add_argument("--actor", required=True, help="actor id, e.g. the scenario's first")
    parser.add_argument("--top", type=int, default=12, help="options to show (default 12)")


def replay(folder: Path, run_index: int):
    """Re-run one run of a run folder with its decision log switched on."""
    from sim.model import DisputeModel
    from sim.output import read_manifest
    from sim.scenario import load_scenario
    from sim.scenario.loader import sha256_of

    manifest = read_manifest(folder)
    where = str(folder / "manifest.json")
    seeds = manifest.get("run_seeds", [])
    if not 0 <= run_index < len(seeds):
        raise fail(where, f"--run must be between 0 and {len(seeds) - 1}", path="run")
    for entry in manifest["scenario"]["files"]:
        path = Path(entry["path"])
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            raise fail(where, f"{path} has changed since this run (or is missing): the run "
                              "cannot be replayed exactly; rerun `sim run` first",
                       path="scenario.files")
    loaded = load_scenario(manifest["scenario"]["path"], manifest.get("overrides") or {})
    model = DisputeModel(loaded, seeds[run_index], keep_decisions=True)
    while model.running:
        model.step()
    return model


def explain_text(model, month: str, actor: str, top: int = 12) -> str:
    from sim.columns import COMPONENTS

    lines = []
    decisions = [(d, neg) for m, d, neg in model.decision_log if m == month and d.actor == actor]
    agent = model.agent_by_id[actor]
    lines.append(f"{actor} ({agent.spec.name}) in {month}")
    header = f"  {'option':<40} {'prob':>6} {'total':>7} " + " ".join(
        f"{c[:8]:>8}" for c in COMPONENTS)
    for decision, negotiation in decisions:
        lines.append("")
        lines.append("negotiation: accept or reject the package on the table" if negotiation
                     else f"monthly choice among {len(decision.options)} feasible options:")
        lines.append(header)
        totals = decision.components.sum(axis=1)
        order = sorted(range(len(decision.options)), key=lambda k: (-totals[k], k))[:top]
        if decision.chosen not in order:
            order.append(decision.chosen)
        for k in order:
            option = decision.options[k]
            label = option.action + (f" -> {'+'.join(option.targets)}" if option.targets else "")
            mark = "*" if k == decision.chosen else " "
            parts = " ".join(f"{v:8.3f}" for v in decision.components[k])
            lines.append(f"{mark} {label:<40} {decision.probabilities[k]:6.3f} "
                         f"{totals[k]:7.3f} {parts}")
        chosen = decision.option
        lines.append(f"  chose: {chosen.action}" + (f" -> {'+'.join(chosen.targets)}"
                                                     if chosen.targets else ""))
        if not negotiation:
            lines.extend(preparation_lines(model, month, actor, chosen.action))
    return "\n".join(lines)


def preparation_lines(model, month: str, actor: str, action: str) -> list[str]:
    """When the chosen act had first to be prepared, what was carried out instead."""
    from sim.columns import EVENT_COLUMNS
    from sim.model import prepares_note

    act, target, note = (EVENT_COLUMNS.index(c) for c in ("action", "target", "note"))
    named = f"{prepares_note(action)} "
    return [f"  carried out: {row[act]} -> {row[target]} (the chosen act must first be "
            f"prepared: {row[note]})"
            for row in model.rows_events
            if row[0] == month and row[1] == actor and named in str(row[note])]


def run(args: argparse.Namespace) -> int:
    if not MONTH.match(args.month):
        raise fail("--month", f"expected YYYY-MM, got {args.month!r}")
    model = replay(args.folder, args.run)
    if args.actor not in model.agent_by_id:
        raise fail("--actor", f"unknown actor {args.actor!r}; the run's actors are "
                              f"{', '.join(model.agent_by_id)}")
    if args.month not in model.months:
        raise fail("--month", f"{args.month} is outside the run "
                              f"({model.months[0]} to {model.months[-1]})")
    print(explain_text(model, args.month, args.actor, args.top))
    print("\ncomponents: position = status quo moved toward the actor's ideal (incl. expected "
          "concessions from coercion); reciprocity = answering what it received; domestic = "
          "home audience; alliance = a common ally's pressure; threat = common threat; "
          "cost = material cost and attention; disposition = standing inclination (levers)")
    return 0
