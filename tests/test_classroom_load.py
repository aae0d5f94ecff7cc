"""A load check of the classroom server on loopback: thirty team sessions (ten games of three
teams, as in a large class split into several rooms) join, poll, look at the plots and play a
turn each, all at once, without a single error. Bounded: one turn per session, 60 s at most."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from classroom_forms import first_option, form_fields

from sim.classroom.server import create_app, serving

KEY = "load-key"
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.yaml"
GAMES = 10
TEAMS = ("KOR", "JPN", "VICTIMS")
TIME_LIMIT = 60.0


def create_games(url: str) -> None:
    """Games made through the instructor's form, as a teacher would."""
    with httpx.Client(base_url=url, cookies={"classroom_instructor": KEY}) as client:
        token = form_fields(client.get("/instructor/new?scenario=classroom.yaml").text,
                            "create-form")["csrf"]
        for _ in range(GAMES):
            response = client.post("/instructor/games", data={
                "scenario": "classroom.yaml", "players": list(TEAMS), "minutes": "0",
                "csrf": token})
            assert response.status_code == 303, response.text


def team_session(url: str, code: str, errors: list[str]) -> None:
    """One team's browser: join, poll, fetch the plot, move, answer a package if asked, and
    wait until its month has been carried out."""
    try:
        with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as client:
            page = client.get(f"/team/{code}")
            assert page.status_code == 200 and "Your move" in page.text, page.status_code
            assert client.get(f"/team/{code}/plot.svg").status_code == 200
            start = client.get(f"/team/{code}/state").json()
            deadline = time.time() + TIME_LIMIT
            while time.time() < deadline:
                state = client.get(f"/team/{code}/state").json()
                if state["month"] != start["month"]:
                    return
                me = client.get(f"/team/{code}/turn")
                assert me.status_code == 200
                if state["phase"] == "moves" and "id=\"submitted\"" not in me.text:
                    moved = client.post(f"/team/{code}/move", data={
                        **form_fields(me.text, "move-form"), "option": first_option(me.text)})
                    assert moved.status_code == 200 and 'class="flash"' not in moved.text
                elif state["phase"] == "answers" and 'id="accept"' in me.text:
                    answered = client.post(f"/team/{code}/answer", data={
                        **form_fields(me.text, "answer-form"), "answer": "accept"})
                    assert answered.status_code == 200
                time.sleep(0.2)
            errors.append(f"{code}: its month was not carried out in {TIME_LIMIT} s")
    except Exception as err:  # collected and reported by the test, thread by thread
        errors.append(f"{code}: {type(err).__name__}: {err}")


def test_thirty_team_sessions_each_play_a_turn(tmp_path):
    app = create_app(tmp_path / "games", KEY, SCENARIO, restore=False)
    with serving(app) as url:
        create_games(url)
        rooms = list(app.state.classroom.classroom.rooms.values())
        codes = [code for room in rooms for code in room.codes]
        assert len(codes) == GAMES * len(TEAMS) == 30
        errors: list[str] = []
        threads = [threading.Thread(target=team_session, args=(url, code, errors))
                   for code in codes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIME_LIMIT + 30)
        assert not errors, errors
        assert all(room.game.months_played == ["2023-01"] for room in rooms)
        assert len({room.id for room in rooms}) == GAMES  # isolated games, one code set each
