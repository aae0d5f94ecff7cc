"""The classroom against a careful adversary and a clumsy user: forged and stale forms, doubled
requests, guessed codes, odd deadlines and keys, scenario paths, a server killed with kill -9
in the middle of a month, a damaged saved game, and random values posted to every route."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from classroom_forms import first_option, form_fields, options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.classroom.rooms import (
    CODE_ALPHABET,
    CODE_LENGTH,
    GUESSES_PER_CLIENT_MINUTE,
    GUESSES_PER_MINUTE,
    GuessLimiter,
)
from sim.classroom.server import create_app, free_port, serving

KEY = "security-key"
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.yaml"
CLASS_TEAMS = 30
CLASS_MINUTES = 60


def instructor(client: httpx.Client) -> str:
    """Log the client in as the instructor; returns the instructor's form token."""
    client.cookies.set("classroom_instructor", KEY)
    page = client.get("/instructor/new?scenario=classroom.yaml").text
    return form_fields(page, "create-form")["csrf"]


def new_game(client: httpx.Client, token: str, players=("KOR", "JPN"), minutes="0") -> None:
    made = client.post("/instructor/games", follow_redirects=False, data={
        "scenario": "classroom.yaml", "players": list(players), "minutes": minutes,
        "csrf": token})
    assert made.status_code == 303, made.text


@pytest.fixture()
def served(tmp_path):
    app = create_app(tmp_path / "games", KEY, SCENARIO, restore=False)
    with serving(app) as url, httpx.Client(base_url=url, follow_redirects=True) as client:
        token = instructor(client)
        new_game(client, token)
        room = next(iter(app.state.classroom.classroom.rooms.values()))
        yield client, room, token, app


def test_guessing_a_code_during_a_class_has_odds_below_one_in_a_million(served):
    odds = CLASS_MINUTES * GUESSES_PER_MINUTE * CLASS_TEAMS / len(CODE_ALPHABET) ** CODE_LENGTH
    print(f"chance that an hour of guessing finds one of {CLASS_TEAMS} codes: {odds:.1e}")
    assert odds < 1e-6
    client, room, _, _ = served
    tries = [client.get(f"/team/{'Z' * CODE_LENGTH}{k}") for k in range(GUESSES_PER_CLIENT_MINUTE)]
    assert all(t.status_code == 200 for t in tries)  # sent back to the join page
    blocked = client.get(f"/team/{room.code_of('KOR')}")  # even a right code waits a minute now
    assert blocked.status_code == 429 and "wait a minute" in blocked.text
    limiter = GuessLimiter(per_minute=3, per_client=10)
    for k in range(3):
        limiter.record_wrong(f"client{k}", 0.0)
    assert limiter.blocked("someone else", 30.0) and not limiter.blocked("someone else", 61.0)


def test_forms_from_another_site_or_without_the_token_change_nothing(served):
    client, room, token, _ = served
    back = f"/instructor/games/{room.id}"
    for headers, data in (({}, {}), ({}, {"csrf": "x" * 32}),
                          ({"Origin": "http://127.0.0.1:18790"}, {"csrf": token})):
        refused = client.post(f"{back}/pause", data=data, headers=headers)
        assert refused.status_code == 403 and "not accepted" in refused.text
        assert not room.clock.paused
    code = room.code_of("KOR")
    page = client.get(f"/team/{code}").text
    fields = {**form_fields(page, "move-form"), "option": first_option(page)}
    forged = client.post(f"/team/{code}/move", data=fields,
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and not room.game.current.moves
    other_team_token = {**fields, "csrf": form_fields(client.get(
        f"/team/{room.code_of('JPN')}").text, "move-form")["csrf"]}
    assert client.post(f"/team/{code}/move", data=other_team_token).status_code == 403
    assert client.post(f"{back}/pause", data={"csrf": token}).status_code == 200
    assert room.clock.paused


def test_odd_keys_deadlines_and_scenario_paths_get_a_message_never_a_500(served, tmp_path):
    client, room, token, _ = served
    with httpx.Client(base_url=str(client.base_url)) as stranger:
        assert stranger.get("/instructor?key=%C3%A9").status_code == 403
        cookie = "classroom_instructor=é".encode()
        assert stranger.get("/instructor", headers={"cookie": cookie}).status_code == 403
    back = f"/instructor/games/{room.id}"
    client.post(f"{back}/deadline", data={"minutes": "2", "csrf": token})
    for minutes in ("inf", "1e308", "-1", "nan", "abc", "99999"):
        page = client.post(f"{back}/deadline", data={"minutes": minutes, "csrf": token})
        assert page.status_code == 200 and "The deadline must be" in page.text, minutes
        assert room.clock.turn_seconds == 120  # unchanged
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    for name in (str(secret), "../secret.yaml", "/etc/passwd", "base.yaml"):
        page = client.get("/instructor/new", params={"scenario": name})
        assert page.status_code == 200 and "not offered here" in page.text
        assert "hunter2" not in page.text and "root:" not in page.text
        made = client.post("/instructor/games", data={
            "scenario": name, "players": ["KOR"], "csrf": token})
        assert "not offered here" in made.text
    assert len(client.get("/instructor").text) > 0


def test_a_stale_or_doubled_move_records_only_what_the_team_saw(served):
    client, room, _, _ = served
    seoul, tokyo = room.code_of("KOR"), room.code_of("JPN")
    old_page = client.get(f"/team/{tokyo}").text
    old_fields = form_fields(old_page, "move-form")
    shown = options(old_page)
    seoul_page = client.get(f"/team/{seoul}").text
    seoul_move = {**form_fields(seoul_page, "move-form"), "option": first_option(seoul_page)}
    first = client.post(f"/team/{tokyo}/move", data={**old_fields, "option": shown[0]})
    assert "class=\"flash\"" not in first.text
    assert client.post(f"/team/{seoul}/move", data=seoul_move).status_code == 200
    assert room.game.month == "2023-02"  # every team moved: the month was carried out
    again = client.post(f"/team/{seoul}/move", data=seoul_move)  # the same request, resent
    assert 'class="flash"' not in again.text and not room.game.current.moves
    stale = client.post(f"/team/{tokyo}/move", data={**old_fields, "option": shown[-1]})
    assert "which has closed" in stale.text and "2023-02" in stale.text
    assert not room.game.current.moves  # nothing recorded for month 2
    played = room.game.history[0].moves
    assert played["JPN"].key == shown[0]


def test_a_package_only_from_a_party_to_the_deal(served):
    client, room, token, app = served
    new_game(client, token, players=("KOR", "USA", "VICTIMS"))
    other = [r for r in app.state.classroom.classroom.rooms.values() if r is not room][0]
    assert other.game.can_propose("KOR") is None
    assert "only the parties" in other.game.can_propose("USA")
    page = client.get(f"/team/{other.code_of('USA')}").text
    assert 'id="propose"' not in page and "only the parties to the deal" in page


def test_a_late_team_is_told_what_the_model_played_for_it(served):
    client, room, token, _ = served
    seoul = room.code_of("KOR")
    page = client.get(f"/team/{seoul}").text
    client.post(f"/team/{seoul}/move", data={**form_fields(page, "move-form"),
                                             "option": first_option(page)})
    dashboard = client.get(f"/instructor/games/{room.id}").text
    client.post(f"/instructor/games/{room.id}/advance", data=form_fields(dashboard, "advance-form"))
    tokyo_page = client.get(f"/team/{room.code_of('JPN')}/turn").text
    assert "did not move in time in 2023-01: the model played" in tokyo_page


def start_server(data: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())",
         "classroom", "--port", str(port), "--data", str(data), "--key", KEY],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the classroom server did not start")


def test_kill_9_in_the_middle_of_a_month_loses_nothing(tmp_path):
    """Move, inject, deadline, pause: then kill -9 and restart; all of it is back."""
    port, data = free_port(), tmp_path / "games"
    server = start_server(data, port)
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, follow_redirects=True) as client:
            token = instructor(client)
            new_game(client, token, players=("KOR", "JPN", "VICTIMS"))
            room_id = next(p.name for p in data.iterdir())
            dashboard = client.get(f"/instructor/games/{room_id}").text
            codes = {actor: code.replace("-", "") for actor, code in re.findall(
                r'class="code" data-actor="(\w+)">([A-Z0-9-]+)<', dashboard)}
            page = client.get(f"/team/{codes['KOR']}").text
            client.post(f"/team/{codes['KOR']}/move",
                        data={**form_fields(page, "move-form"), "option": options(page)[-1]})
            client.post(f"/instructor/games/{room_id}/inject",
                        data={**form_fields(dashboard, "inject-form"),
                              "injection": "shock:survivor"})
            client.post(f"/instructor/games/{room_id}/deadline",
                        data={"minutes": "7", "csrf": token})
            client.post(f"/instructor/games/{room_id}/pause", data={"csrf": token})
            before = client.get(f"/instructor/games/{room_id}/panel").text
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        server = start_server(data, port)
        room = json.loads((data / room_id / "room.json").read_text(encoding="utf-8"))
        with httpx.Client(base_url=url, cookies={"classroom_instructor": KEY}) as client:
            state = client.get(f"/instructor/games/{room_id}/state").json()
            after = client.get(f"/instructor/games/{room_id}/panel").text
        assert state["paused"] and state["moved"] == ["KOR"] and state["month"] == "2023-01"
        assert room["turn_seconds"] == 420 and room["game"]["current"]["injections"] == [
            "shock:survivor"]
        for line in ("has moved", "injected: A well-known survivor", "7 min 0 s", "paused"):
            assert line in before and line in after, line
        assert "restored after a server restart" in after
    finally:
        server.kill()
        server.wait(10)


def test_a_damaged_saved_game_is_reported_at_start_up(tmp_path):
    data = tmp_path / "games"
    (data / "broken").mkdir(parents=True)
    (data / "broken" / "room.json").write_text('{"format": "jk-dispute-sim classroom room", "id"',
                                                encoding="utf-8")
    port = free_port()
    server = start_server(data, port)
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/instructor?key={KEY}").text
        assert "could not be restored" in page and "broken" in page
    finally:
        server.kill()
        output = server.communicate(timeout=10)[0]
    assert "Could not restore a saved game" in output and "broken/room.json" in output


# --- random values to every form and route ----------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(max_size=40), st.sampled_from(["", "0", "-1", "1e308", "inf", "nan", "NaN", "1",
                                           "2.5", "é", "%00", "\u202e", "9" * 40, "../x"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str))
ROUTES_GET = ["/", "/join", "/team/{code}", "/team/{code}/panel", "/team/{code}/turn",
              "/team/{code}/state", "/team/{code}/plot.svg", "/instructor", "/instructor/new",
              "/instructor/games/{room}", "/instructor/games/{room}/panel",
              "/instructor/games/{room}/state", "/instructor/games/{room}/plot.svg",
              "/instructor/games/{room}/debrief.html", "/instructor/games/{room}/game.json"]
ROUTES_POST = ["/team/{code}/move", "/team/{code}/answer", "/instructor/games",
               "/instructor/games/{room}/advance", "/instructor/games/{room}/pause",
               "/instructor/games/{room}/resume", "/instructor/games/{room}/deadline",
               "/instructor/games/{room}/inject", "/instructor/games/{room}/nonsense"]
FIELDS = ["option", "month", "phase", "propose", "term.compensation", "term.apology", "victims",
          "answer", "minutes", "injection", "scenario", "players", "seed", "lever.us_mediation",
          "code", "part", "msg", "key"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("fuzz"), KEY, SCENARIO, restore=False)
    state = app.state.classroom
    state.guesses = GuessLimiter(10**9, 10**9)  # keep the random codes from locking us out
    with serving(app) as url, httpx.Client(base_url=url) as client:
        token = instructor(client)
        new_game(client, token, players=("KOR", "JPN", "VICTIMS"))
        yield client, state, token


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_values_to_every_route_never_give_a_500(fuzz_app, data):
    client, state, token = fuzz_app
    room = next(iter(state.classroom.rooms.values()))
    code = data.draw(st.one_of(st.sampled_from(list(room.codes)), ODD_TEXT), "code")
    room_id = data.draw(st.one_of(st.just(room.id), ODD_TEXT), "room")
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), ODD_TEXT, max_size=8), "fields")
    if data.draw(st.booleans(), "real option"):
        fields["option"] = data.draw(st.sampled_from(
            [o.action for o in room.game.options("KOR")] + ["wait", "summit:JPN"]), "option")
    if data.draw(st.booleans(), "this month"):
        fields["month"], fields["phase"] = room.game.month, room.phase
    fields["csrf"] = data.draw(st.sampled_from(
        [token, state.csrf(f"team:{code}"), "", "é"]), "csrf")
    if data.draw(st.booleans(), "post"):
        path = data.draw(st.sampled_from(ROUTES_POST), "route")
        request = {"method": "POST", "data": fields}
    else:
        path = data.draw(st.sampled_from(ROUTES_GET), "route")
        request = {"method": "GET", "params": fields}
    url = path.format(code=quote(code, safe=""), room=quote(room_id, safe=""))
    response = client.request(url=url, **request)
    assert response.status_code < 500, (request, url, response.text[-2000:])


def test_with_host_0000_the_dashboard_shows_the_lan_addresses_and_a_qr_code(tmp_path):
    from sim.classroom.game import Game
    from sim.classroom.server import lan_addresses

    app = create_app(tmp_path, KEY, SCENARIO, restore=False, host="0.0.0.0", port=8765)
    state = app.state.classroom
    room = state.classroom.create(Game(state.loaded_scenario(SCENARIO), ["KOR"]))
    with serving(app) as url:
        page = httpx.get(f"{url}/instructor/games/{room.id}?key={KEY}").text
    addresses = lan_addresses()
    print("addresses on this machine:", addresses)
    for ip in addresses:
        assert f"<strong>http://{ip}:8765/</strong>" in page
    if addresses:
        assert 'id="join-qr"' in page and "<svg" in page
    local = create_app(tmp_path / "local", KEY, SCENARIO, restore=False)
    room = local.state.classroom.classroom.create(Game(state.loaded_scenario(SCENARIO), ["KOR"]))
    with serving(local) as url:
        page = httpx.get(f"{url}/instructor/games/{room.id}?key={KEY}").text
    assert 'id="join-qr"' not in page and "--host 0.0.0.0" in page
