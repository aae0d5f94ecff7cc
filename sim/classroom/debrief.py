"""The debrief of a game: a run folder for the single run (tidy tables and manifest, as
``sim run`` writes them, starting with the state before the first month), its figures, and the
story of the game as one page (:mod:`sim.report`'s template ``debrief.html``): first what each
team did beside what the model's own actor would have done, and why (``advice.csv``), then the
key numbers and the trajectories with the game's key acts, then the details.

The advice is the AI's decision at the moment the human chose: the option the model's actor
drew, its logit probability, and its largest utility components; beside it the probability
the model gave to the human's own choice. For packages a human answered, the model's own
probability of accepting.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sim.classroom.game import Game
from sim.classroom.views import decision_why, option_text, reasons_text
from sim.model import RunRecord

KIND = "play"  # the folder marker's kind (sim.folders)

ADVICE_COLUMNS = ("month", "actor", "kind", "human_choice", "human_choice_probability",
                  "human_choice_reasons", "model_choice", "model_choice_probability",
                  "model_choice_reasons", "model_most_likely", "model_most_likely_probability")


def advice_rows(game: Game) -> list[dict[str, Any]]:
    """One row per human turn (a move or an answer to a package), in month order."""
    rows = []
    for (month, actor), ai in sorted(game.model.advice.items()):
        inputs = next((m for m in game.history if m.month == month), None)
        move = inputs.moves.get(actor) if inputs else None
        if move is None:
            continue
        k = ai.options.index(move.option)
        likely = int(ai.probabilities.argmax())
        rows.append({
            "month": month, "actor": actor, "kind": "move",
            "human_choice": option_text(game, move.option),
            "human_choice_probability": float(ai.probabilities[k]),
            "human_choice_reasons": decision_why(ai, k),
            "model_choice": option_text(game, ai.option),
            "model_choice_probability": float(ai.probabilities[ai.chosen]),
            "model_choice_reasons": decision_why(ai),
            "model_most_likely": option_text(game, ai.options[likely]),
            "model_most_likely_probability": float(ai.probabilities[likely]),
        })
    rows.extend(answer_rows(game))
    return sorted(rows, key=lambda r: (r["month"], r["kind"] != "move", r["actor"]))


def answer_rows(game: Game) -> list[dict[str, Any]]:
    """Human answers to packages, beside the model's own probability of accepting."""
    rows = []
    for month, decision, negotiating in game.model.decision_log:
        if not (negotiating and decision.by_human):
            continue
        accept = float(decision.probabilities[1])
        said = "accept the package" if decision.chosen == 1 else "reject the package"
        model_says = "accept the package" if accept >= 0.5 else "reject the package"
        rows.append({
            "month": month, "actor": decision.actor, "kind": "answer",
            "human_choice": said,
            "human_choice_probability": accept if decision.chosen == 1 else 1.0 - accept,
            "human_choice_reasons": reasons_text(decision.components[1]),
            "model_choice": model_says,
            "model_choice_probability": max(accept, 1.0 - accept),
            "model_choice_reasons": reasons_text(decision.components[1]),
            "model_most_likely": model_says,
            "model_most_likely_probability": max(accept, 1.0 - accept),
        })
    return rows


def write_advice_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ADVICE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.3f}" if isinstance(v, float) else v for k, v in row.items()})
    return path


def month_before(month: str) -> str:
    """'2023-01' -> '2022-12': the row of the state the game starts from."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"


def played_record(game: Game) -> RunRecord:
    """The run's rows for the months carried out (a month begun but not played is left out),
    after a first row per pair and index for the state before the first month, so that the
    debrief's figures start where the class started."""
    played = set(game.months_played)
    record = game.model.record()
    start = month_before(game.model.months[0])
    trajectories = [(start, dyad, round(t, 6), round(c, 6), 0.0, "")
                    for dyad, (t, c) in game.initial_relations.items()]
    indices = [(start, *game.initial_indices, 0, 0)]
    return RunRecord(trajectories + list(record.trajectories), indices + list(record.indices),
                     [row for row in record.events if row[0] in played], record.agreements,
                     list(record.status_quo))


def write_game_tables(game: Game, folder: Path) -> None:
    """The game's tables and manifest (docs/output-format.md), with the saved game."""
    from sim.output import RunTables, manifest, write_manifest

    tables = RunTables(folder)
    tables.add(0, played_record(game))
    tables.close()
    actions = game.model.catalogue.actions
    data = manifest(game.loaded, game.seed, [game.seed], {
        "game": {"players": game.players, "months_played": len(game.history),
                 "ended_early": game.ended_early},
        "actions": {a: {"label": spec.label} for a, spec in actions.items()},
    })
    if game.history:  # a game ended early covers only the months played
        data["scenario"]["end"] = game.history[-1].month
    write_manifest(folder, data)
    game.save(folder / "game.json")


def write_debrief(game: Game, out: Path, force: bool = False) -> Path:
    """Write the game's run folder, its figures and ``report.html`` (the debrief) into ``out``
    (new, or a game folder written before and ``force``), staged aside and marked complete
    last, as ``sim run`` does; return the page."""
    from sim import folders
    from sim.plots.plot_cmd import plot_run_folder
    from sim.report import write_report

    if not game.history:
        raise ValueError("no month has been played yet: nothing to debrief")
    out = Path(out)
    folders.claim(out, KIND, force)
    staging = folders.staging_folder(out, KIND)
    with folders.os_errors(staging):
        write_game_tables(game, staging)
        rows = advice_rows(game)
        write_advice_csv(rows, staging / "advice.csv")
        plot_run_folder(staging)
        shown = [{**r, "team": game.short_name(r["actor"]),
                  "same": r["human_choice"] == r["model_choice"]} for r in rows]
        page = write_report(staging, template="debrief.html", advice=shown,
                            players=", ".join(game.short_name(p) for p in game.players))
    folders.publish(staging, out, KIND)
    return out / page.name
