"""``sim play``: the terminal game driven by scripted standard input, to the end and through a
save and resume; and the game rules it shares with the classroom (moves, packages, answers,
injects, deterministic replay)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sim.classroom.game import Game, Move, MoveError, Package
from sim.cli import main
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.yaml"
# Any prompt accepts one of these two lines and re-asks on the other, so this stream plays a
# whole game whatever packages come up: "1" = do nothing at the menu, "y" = accept a package.
FILLER = "1\ny\n" * 40


@pytest.fixture(autouse=True)
def quick_report(monkeypatch):
    """The report's ensemble figures take many seconds and are tested in test_report.py and the
    browser test; here only the game's own section matters."""
    import sim.plots.plot_cmd
    import sim.report

    monkeypatch.setattr(sim.plots.plot_cmd, "plot_run_folder", lambda folder: [])
    monkeypatch.setattr(sim.report, "figure_sources", lambda run: {})


def play(monkeypatch, capsys, args: list[str], stdin: str) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["play", *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(SCENARIO)


def test_a_hot_seat_game_plays_to_the_end_and_writes_the_debrief(monkeypatch, capsys, tmp_path):
    out = tmp_path / "debrief"
    script = (
        "hello\n"        # not a command: re-prompt
        "99\n"           # out of range: re-prompt
        "?\n"            # help
        "p\n"            # Seoul drafts a package ...
        "0.9\n"          # compensation
        "2\n"            # out of 0..1: re-prompt
        "0.6\n"          # apology
        "maybe\n"        # not y/n: re-prompt
        "y\n"            # victims included
        "11\n"           # ... and plays "summit -> Tokyo" with it
        "1\n"            # Tokyo does nothing
        "n\n"            # Tokyo rejects Seoul's package
        + FILLER)
    code, text = play(monkeypatch, capsys,
                      [str(SCENARIO), "--as", "KOR", "--as", "JPN", "--seed", "5",
                       "--save", str(tmp_path / "game.json"), "--out", str(out)], script)
    assert code == 0, text
    assert "Please type a number from 1 to 14" in text
    assert "The value must be between 0 and 1." in text
    assert "Please answer y or n." in text
    assert "Pass the keyboard to Tokyo" in text
    assert "Seoul tables a package: compensation 0.90, apology 0.60; victims included." in text
    assert "The game is over." in text
    saved = json.loads((tmp_path / "game.json").read_text())
    assert len(saved["months"]) == 12
    first = saved["months"][0]
    assert first["moves"]["KOR"] == {"action": "summit", "targets": ["JPN"], "package": {
        "terms": {"compensation": 0.9, "apology": 0.6}, "victims_included": True}}
    assert first["answers"] == {"JPN": False}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Your turns: what the model's own actor would have done" in report
    rows = list(csv.DictReader((out / "advice.csv").open(encoding="utf-8")))
    moves = [r for r in rows if r["kind"] == "move"]
    assert len(moves) == 24  # two players, twelve months
    answer = next(r for r in rows if r["kind"] == "answer")
    assert (answer["month"], answer["actor"], answer["human_choice"]) == (
        "2023-01", "JPN", "reject the package")
    assert all(0.0 <= float(r["model_choice_probability"]) <= 1.0 for r in rows)
    events = list(csv.DictReader((out / "events.csv").open(encoding="utf-8")))
    assert {"month": "2023-01", "actor": "JPN", "action": "reject_proposal"}.items() <= next(
        e for e in events if e["action"] == "reject_proposal").items()
    assert json.loads((out / "manifest.json").read_text())["game"]["players"] == ["KOR", "JPN"]


def test_end_of_input_saves_and_resume_gives_the_same_game(monkeypatch, capsys, tmp_path):
    moves = ["11", "2", "5", "y", "1", "14", "1"]  # Seoul's first months (and an answer)
    save = tmp_path / "game.json"
    code, text = play(monkeypatch, capsys,
                      [str(SCENARIO), "--as", "KOR", "--save", str(save)],
                      "".join(m + "\n" for m in moves[:2]))
    assert code == 0
    assert "Input ended: game saved to" in text and "sim play --resume" in text
    assert len(json.loads(save.read_text())["months"]) == 2

    code, text = play(monkeypatch, capsys,
                      ["--resume", str(save), "--out", str(tmp_path / "resumed")],
                      "".join(m + "\n" for m in moves[2:]) + FILLER)
    assert code == 0, text
    assert "Resumed classroom at 2023-03" in text

    code, _ = play(monkeypatch, capsys,
                   [str(SCENARIO), "--as", "KOR", "--out", str(tmp_path / "straight"),
                    "--save", str(tmp_path / "straight.json")],
                   "".join(m + "\n" for m in moves) + FILLER)
    assert code == 0
    for table in ("events.csv", "trajectories.csv", "agreements.csv", "advice.csv"):
        assert ((tmp_path / "resumed" / table).read_text()
                == (tmp_path / "straight" / table).read_text()), table


def test_bad_command_lines_give_located_errors(monkeypatch, capsys, tmp_path):
    code = main(["play", str(SCENARIO), "--as", "KORR"])
    assert code == 2
    assert "no actor 'KORR' to play" in capsys.readouterr().err
    code = main(["play", str(SCENARIO)])
    assert code == 2
    assert "--as" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert main(["play", "--resume", str(bad)]) == 2
    assert "not a saved game" in capsys.readouterr().err


def test_a_changed_scenario_refuses_to_resume(loaded, tmp_path):
    copy = tmp_path / "classroom.yaml"
    copy.write_text(SCENARIO.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("actions.yaml", "sources.yaml"):
        (tmp_path / name).write_text((SCENARIO.parent / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    game = Game(load_scenario(copy), ["KOR"], seed=1)
    game.set_move("KOR", Move("wait"))
    game.resolve()
    data = game.to_json()
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    from sim.errors import InputError

    with pytest.raises(InputError, match="has changed since the game was saved"):
        Game.from_json(data)


# --- the rules the terminal and the classroom share --------------------------------------------


def test_moves_must_be_feasible_and_packages_well_formed(loaded):
    game = Game(loaded, ["KOR", "VICTIMS"], seed=2)
    with pytest.raises(MoveError, match="not possible"):
        game.set_move("KOR", Move("apologise", ("JPN",)))  # only a colonial power apologises
    with pytest.raises(MoveError, match="not played by a human"):
        game.set_move("JPN", Move("wait"))
    with pytest.raises(MoveError, match="outside 0..1"):
        game.set_move("KOR", Move("wait", (), Package({"compensation": 1.5})))
    with pytest.raises(MoveError, match="cannot table a settlement"):
        game.set_move("VICTIMS", Move("wait", (), Package({"compensation": 0.1})))
    assert game.can_propose("KOR") is None


def test_the_previewed_package_is_the_one_tabled_and_the_human_answer_counts(loaded):
    game = Game(loaded, ["KOR", "JPN"], seed=4)
    game.set_move("KOR", Move("wait", (), Package({"compensation": 0.85, "apology": 0.5})))
    game.set_move("JPN", Move("wait"))
    assert game.can_propose("JPN") == "Seoul has already tabled a package this month"
    tabled = game.preview_package()
    assert tabled is not None
    assert (tabled.proposer, tabled.answerers) == ("KOR", ["JPN"])
    assert tabled.terms == {"compensation": 0.85, "apology": 0.5}
    assert 0.0 <= tabled.advice["JPN"] <= 1.0
    game.set_answer("JPN", False)
    game.resolve()
    assert game.model.agreements.all == []  # Tokyo's human said no
    rejected = [r for r in game.model.rows_events if r[3] == "reject_proposal"]
    assert rejected and rejected[0][1] == "JPN"


def test_an_injected_event_fires_now_and_replays(loaded):
    game = Game(loaded, ["KOR"], seed=3)
    menu = game.injectables()
    assert "shock:scandal" in menu and "event:ruling_comfort_women_2023" in menu
    before = float(game.model.world.approval[game.model.world.index["KOR"]])
    game.inject("shock:scandal")
    after = float(game.model.world.approval[game.model.world.index["KOR"]])
    assert after == pytest.approx(before - 0.08)
    game.set_move("KOR", Move("wait"))
    game.resolve()
    replayed = Game.from_json(json.loads(json.dumps(game.to_json())))
    assert replayed.model.rows_events == game.model.rows_events
    assert replayed.month == "2023-02"
    with pytest.raises(MoveError, match="unknown event"):
        game.inject("shock:meteor")


def test_the_menu_says_when_a_move_only_starts_its_preparation():
    """In January 2018 Tokyo has no trade measure ready, so removing Seoul from its white list
    must first be prepared: the menu says so (and the lead time); once Seoul's own white-list
    removal is in force, Tokyo may answer in kind at once and the note goes."""
    from sim.classroom import views

    history = load_scenario(SCENARIO.parent / "history_2018_2023.yaml")
    game = Game(history, ["JPN"], seed=2)
    texts = {item["action"]: item["text"] for item in views.menu(game, "JPN")
             if item["targets"] == ["KOR"]}
    lead = game.model.catalogue.actions["prepare_trade_measures"].lead_months
    note = f"(not ready: this month only starts its preparation, {lead.low} to {lead.high} months)"
    assert texts["remove_from_white_list"].endswith(note)
    assert "not ready" not in texts["criticise"]
    game.model.world.ties.discard(("white_list", "KOR", "JPN"))  # Seoul's measure, in force
    game.model.tie_masks.clear()
    game.model.snapshot()
    texts = {item["action"]: item["text"] for item in views.menu(game, "JPN")
             if item["targets"] == ["KOR"]}
    assert "not ready" not in texts["remove_from_white_list"]
