"""The debrief of a game: a run folder for the single run (tidy tables and manifest, as
``sim run`` writes them), the HTML report of :mod:`sim.report`, and a section of our own with
what the model's own actor would have done at each human turn, and why (``advice.csv``).

The advice is the AI's decision at the moment the human chose: the option the model's actor
drew, its logit probability, and its largest utility components; beside it the probability
the model gave to the human's own choice. For packages a human answered, the model's own
probability of accepting.
"""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path
from typing import Any

from sim.classroom.game import Game
from sim.classroom.views import decision_why, option_text, reasons_text
from sim.model import RunRecord

ADVICE_COLUMNS = ("month", "actor", "kind", "human_choice", "human_choice_probability",
                  "human_choice_reasons", "model_choice", "model_choice_probability",
                  "model_choice_reasons", "model_most_likely", "model_most_likely_probability")
ADVICE_STYLE = ("#advice .same{color:#2e7d32}#advice .differs{color:#b3261e}"
                "#advice td{max-width:28rem}")


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


def advice_section(game: Game, rows: list[dict[str, Any]]) -> str:
    """The players' turns beside the model's own actor, as an HTML section."""
    esc = html.escape
    intro = (
        "<p>At each of your turns the model's own actor decided too, by a logit choice over its "
        "utility components. <em>The model's actor chose</em> is what it drew in this game; "
        "<em>its most likely choice</em> is the option it gave the highest probability; "
        "<em>the model's probability</em> of your choice says how natural your move was for the "
        "simulated actor. <em>Why</em> lists the largest utility components for and against "
        "(relative to doing nothing). For an answer to a package they are those of accepting "
        "it. The same table is in <code>advice.csv</code>.</p>")
    if not rows:
        body = '<p class="note">No human turn was played.</p>'
    else:
        head = "".join(f"<th>{h}</th>" for h in (
            "month", "player", "your choice", "the model's probability of your choice",
            "the model's actor chose", "prob.", "its most likely choice", "prob.",
            "why the model's actor chose it", "why your choice scores as it does"))
        lines = []
        for r in rows:
            same = r["human_choice"] == r["model_choice"]
            mark = ' <span class="same">(the same)</span>' if same else ""
            lines.append(
                f"<tr><td>{esc(r['month'])}</td><td>{esc(game.short_name(r['actor']))}</td>"
                f"<td>{esc(r['human_choice'])}{mark}</td>"
                f'<td class="num">{r["human_choice_probability"]:.2f}</td>'
                f"<td>{esc(r['model_choice'])}</td>"
                f'<td class="num">{r["model_choice_probability"]:.2f}</td>'
                f"<td>{esc(r['model_most_likely'])}</td>"
                f'<td class="num">{r["model_most_likely_probability"]:.2f}</td>'
                f"<td>{esc(r['model_choice_reasons'])}</td>"
                f"<td>{esc(r['human_choice_reasons'])}</td></tr>")
        body = (f'<div class="scroll"><table id="advice-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(lines)}</tbody></table></div>")
    players = ", ".join(game.short_name(p) for p in game.players)
    return (f'<style>{ADVICE_STYLE}</style><section id="advice"><h2>Your turns: what the '
            f"model's own actor would have done</h2><p>Played by humans: {esc(players)}.</p>"
            f"{intro}{body}</section>")


def insert_section(report: Path, section: str) -> None:
    """Put the section just before ``</body>`` (at the end if there is none)."""
    text = report.read_text(encoding="utf-8")
    at = text.rfind("</body>")
    text = text[:at] + section + text[at:] if at >= 0 else text + section
    report.write_text(text, encoding="utf-8")


def played_record(game: Game) -> RunRecord:
    """The run's rows for the months carried out (a month begun but not played is left out)."""
    played = set(game.months_played)
    record = game.model.record()
    return RunRecord(record.trajectories, record.indices,
                     [row for row in record.events if row[0] in played], record.agreements)


def write_run_folder(game: Game, out: Path) -> Path:
    """The game as a one-run folder (docs/output-format.md), with the game's inputs."""
    from sim.errors import fail
    from sim.output import RunTables, manifest, write_manifest

    if out.exists() and not (out / "manifest.json").is_file() and any(out.iterdir()):
        raise fail(str(out), "folder exists and is not a run folder; choose another")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    tables = RunTables()
    tables.add(0, played_record(game))
    tables.write(staging)
    data = manifest(game.loaded, game.seed, [game.seed], {
        "game": {"players": game.players, "months_played": len(game.history),
                 "ended_early": game.ended_early},
    })
    if game.history:  # a game ended early covers only the months played
        data["scenario"]["end"] = game.history[-1].month
    write_manifest(staging, data)
    game.save(staging / "game.json")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def write_debrief(game: Game, out: Path) -> Path:
    """Write the run folder and ``report.html`` with the advice section; return the report."""
    from sim.report import write_report

    if not game.history:
        raise ValueError("no month has been played yet: nothing to debrief")
    folder = write_run_folder(game, Path(out))
    rows = advice_rows(game)
    write_advice_csv(rows, folder / "advice.csv")
    report = write_report(folder)
    insert_section(report, advice_section(game, rows))
    return report
