"""The classroom's rules without a browser: phases, the turn clock and its pause, answers to a
package, injects, instructor-only pages, isolated games and a restart that restores them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from classroom_forms import first_option, form_fields

from sim.classroom.game import Game, Move, MoveError, Package
from sim.classroom.rooms import Classroom
from sim.classroom.server import create_app, serving
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.yaml"


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(SCENARIO)


def test_the_clock_closes_the_month_and_the_model_plays_late_teams(loaded, tmp_path):
    room = Classroom(tmp_path).create(Game(loaded, ["KOR", "JPN"], seed=1), turn_seconds=60)
    now = room.clock.deadline - 60
    room.submit_move("KOR", Move("wait"), now)
    room.pause(now + 10)
    room.tick(now + 500)  # paused: the clock stands still
    assert room.game.month == "2023-01" and room.clock.seconds_left(now + 500) == 50
    with pytest.raises(MoveError, match="paused"):
        room.submit_move("JPN", Move("wait"), now + 500)
    room.resume(now + 500)
    room.tick(now + 549)
    assert room.game.month == "2023-01"
    room.tick(now + 551)
    assert room.game.month == "2023-02" and room.phase == "moves"
    assert "JPN" not in room.game.history[0].moves  # the model played Tokyo
    assert any("time is up; the model plays for Tokyo" in line for line in room.log)


def test_a_package_to_a_team_waits_for_its_answer(loaded, tmp_path):
    room = Classroom(tmp_path).create(Game(loaded, ["KOR", "JPN"], seed=4))
    room.submit_move("KOR", Move("wait", (), Package({"compensation": 0.8, "apology": 0.6})), 0)
    room.submit_move("JPN", Move("wait"), 0)
    assert room.phase == "answers" and room.tabled.answerers == ["JPN"]
    room.submit_move("JPN", Move("wait"), 0)  # the same request again: nothing changes
    other = room.game.options("JPN")[1]
    with pytest.raises(MoveError, match="closed"):
        room.submit_move("JPN", Move(other.action, other.targets), 0)
    with pytest.raises(MoveError, match="no package for you"):
        room.submit_answer("KOR", True, 0)
    room.submit_answer("JPN", False, 0)
    assert room.phase == "moves" and room.game.month == "2023-02"
    assert room.game.history[0].answers == {"JPN": False}


def test_an_inject_withdraws_moves_it_makes_impossible_and_tells_the_teams(loaded, tmp_path):
    room = Classroom(tmp_path).create(Game(loaded, ["KOR", "VICTIMS"], seed=2))
    room.submit_move("KOR", Move("wait"), 0)
    room.inject("shock:survivor", 0)
    assert room.notices["VICTIMS"].startswith("News: A well-known survivor")
    assert "injected: A well-known survivor" in room.log[-1]


def test_instructor_pages_need_the_key_and_games_survive_a_restart(tmp_path):
    app = create_app(tmp_path, "secret", SCENARIO, restore=False)
    with serving(app) as url, httpx.Client(base_url=url, follow_redirects=True) as client:
        assert client.get("/instructor").status_code == 403
        assert client.get("/instructor?key=wrong").status_code == 403
        assert client.get("/instructor?key=secret").status_code == 200  # sets the cookie
        token = form_fields(client.get("/instructor/new?scenario=classroom.yaml").text,
                            "create-form")["csrf"]
        for _ in range(2):
            made = client.post("/instructor/games", follow_redirects=False, data={
                "scenario": "classroom.yaml", "players": ["KOR", "JPN"], "minutes": "2",
                "csrf": token})
            assert made.status_code == 303
        rooms = list(app.state.classroom.classroom.rooms.values())
        codes = [c for r in rooms for c in r.codes]
        assert len(set(codes)) == 4  # two isolated games, four codes
        for actor in ("KOR", "JPN"):
            code = rooms[0].code_of(actor)
            page = client.get(f"/team/{code}").text
            moved = client.post(f"/team/{code}/move", data={
                **form_fields(page, "move-form"), "option": first_option(page)})
            assert moved.status_code == 200 and 'class="flash"' not in moved.text
        assert rooms[0].game.month == "2023-02" and rooms[1].game.month == "2023-01"
        code = rooms[0].code_of("KOR")
        joined = client.get(f"/join?code={code[:4].lower()}-{code[4:]}", follow_redirects=False)
        assert joined.headers["location"] == f"/team/{code}"
        assert "No team has that code" in client.get("/join?code=NOPE").text

    restarted = create_app(tmp_path, "secret", SCENARIO)
    back = restarted.state.classroom.classroom.rooms[rooms[0].id]
    assert back.game.month == "2023-02" and back.codes == rooms[0].codes
    with serving(restarted) as url:
        assert httpx.get(f"{url}/team/{code}").status_code == 200


def test_the_debrief_of_one_game_tells_that_game_from_its_start(loaded, tmp_path):
    from sim.classroom.debrief import write_debrief

    game = Game(loaded, ["KOR", "JPN"], seed=4)
    game.set_move("JPN", Move("wait", (), Package({"compensation": 0.6, "apology": 0.6})))
    game.resolve()
    game.resolve()
    game.end()
    page = write_debrief(game, tmp_path / "debrief").read_text(encoding="utf-8")
    trajectories = (tmp_path / "debrief" / "trajectories.csv").read_text(encoding="utf-8")
    assert trajectories.splitlines()[1].startswith("0,2022-12,")  # the state before month 1
    assert page.index('id="advice"') < page.index('id="numbers"') < page.index('id="story"')
    assert "at the start → at the end (2023-02)" in page and "in this game" in page
    for ensemble_words in ("Ensemble", "50% of runs", "1 runs", "mean over runs",
                           'id="fig-agreements"'):
        assert ensemble_words not in page, ensemble_words
    assert "Tokyo: sign the settlement" in page  # a key act of this game, with its month
