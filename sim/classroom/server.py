"""``sim classroom [SCENARIO] [--host 127.0.0.1] [--port 8765]``: the classroom web app.

A small ASGI app (Starlette, served by uvicorn): server-rendered HTML pages (Jinja2), forms that
post and redirect (they work without JavaScript), a few lines of local JavaScript that poll a
JSON state every two seconds to refresh the pages and the clock, and plots drawn on the server
as SVG. Every asset is served from the package: nothing is loaded from the internet.

- ``/instructor`` (with the key printed at start-up): create games, see the join codes, set the
  turn deadline, inject events, pause, advance, end, download the debrief and the saved game;
- ``/`` and ``/team/CODE``: a team joins with its code and plays its actor.

It listens on 127.0.0.1 (this computer only) unless ``--host`` says otherwise, e.g.
``--host 0.0.0.0`` to let the students' browsers on the classroom network in (the instructor's
page then shows the laptop's addresses and a QR code of the join address).

Safety: every form that changes something carries a token derived from the instructor key (or
the team's code) and is refused if it comes from another site (Origin check); wrong join codes
are rate-limited; the scenarios offered are the shipped ones and those in folders named at
start-up, picked from a list by name, never by a path typed into a request.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import hmac
import math
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sim.classroom import views
from sim.classroom.game import Game, Move, MoveError, Package, parse_option_key
from sim.classroom.rooms import (
    Classroom,
    GuessLimiter,
    Room,
    normal_code,
    parse_minutes,
    shown_code,
)
from sim.errors import InputError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

HERE = Path(__file__).resolve().parent
KEY_COOKIE = "classroom_instructor"
POLL_MS = 2000
SKIP_FILES = {"base.yaml", "actions.yaml", "sources.yaml"}
MAX_SEED = 2**63 - 1


# --- scenarios --------------------------------------------------------------------------------


def shipped_scenarios() -> list[Path]:
    """The scenario files that ship with the tool, as ``sim scenarios`` lists them."""
    from sim.shipped import list_scenarios

    return [s.path for s in list_scenarios()]


def scenario_choices(default: Path | None, folders: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Name -> file of every scenario an instructor may start: the one given at start-up, the
    classroom ones, the other shipped ones, then those in the folders named at start-up. Forms
    send the name; a name not in this list is refused, so no request can name another file."""
    files = shipped_scenarios()
    files.sort(key=lambda p: (not p.name.startswith("classroom"), p.name))
    for folder in folders:
        files += [p for p in sorted(Path(folder).glob("*.yaml")) if p.name not in SKIP_FILES]
    if default is not None:
        files.insert(0, default)
    choices: dict[str, Path] = {}
    seen: set[Path] = set()
    for path in files:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        name = path.name if path.name not in choices else f"{path.parent.name}/{path.name}"
        choices[name] = path
    return choices


def scenario_title(path: Path) -> str:
    """The scenario's title for the menu, read cheaply (no validation); the file name if none."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        title = data.get("meta", {}).get("title") if isinstance(data, dict) else None
    except (OSError, yaml.YAMLError):
        title = None
    return f"{title} ({path.name})" if title else path.name


# --- the app ----------------------------------------------------------------------------------


class ClassroomApp:
    """The routes' state: the rooms, the instructor key, the templates, the plot cache."""

    def __init__(self, data_dir: Path, instructor_key: str, default_scenario: Path | None,
                 scenario_folders: tuple[Path, ...] = (), host: str = "127.0.0.1",
                 port: int | None = None):
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        self.classroom = Classroom(data_dir)
        self.key = instructor_key
        self.choices = scenario_choices(default_scenario, tuple(scenario_folders))
        self.host, self.port = host, port
        self.guesses = GuessLimiter()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]))
        self.templates.globals.update(poll_ms=POLL_MS, pct=lambda v: f"{v:.0%}",
                                      num=lambda v: f"{v:.2f}", shown_code=shown_code)
        # bounded caches: a plot per (game, month carried out), a loaded scenario per file
        self.drawn_plot = functools.lru_cache(maxsize=128)(self._draw_plot)
        self.loaded_scenario = functools.lru_cache(maxsize=32)(self._load_scenario)

    # --- helpers --------------------------------------------------------------------------

    def page(self, name: str, status_code: int = 200, **context: Any) -> Response:
        from starlette.responses import HTMLResponse

        return HTMLResponse(self.templates.get_template(name).render(**context),
                            status_code=status_code)

    def is_instructor(self, request: Request) -> bool:
        given = request.query_params.get("key") or request.cookies.get(KEY_COOKIE) or ""
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.key.encode("utf-8"))

    def csrf(self, scope: str) -> str:
        """The token a form of ``scope`` ('instructor' or 'team:CODE') must send back: derived
        from the instructor key, so another site cannot know it."""
        return hmac.new(self.key.encode("utf-8"), scope.encode("utf-8"),
                        hashlib.sha256).hexdigest()[:32]

    def forged(self, request: Request, form: Any, scope: str) -> bool:
        """A state-changing request that did not come from our own page."""
        token = str(form.get("csrf", ""))
        return not (same_origin(request) and hmac.compare_digest(
            token.encode("utf-8", "replace"), self.csrf(scope).encode("utf-8")))

    def room_or_404(self, room_id: str) -> Room:
        from starlette.exceptions import HTTPException

        room = self.classroom.rooms.get(room_id)
        if room is None:
            raise HTTPException(404, "no such game")
        return room

    def offered(self, name: str) -> Path:
        """The scenario file offered under ``name``; a message (never the file) if none."""
        if name not in self.choices:
            raise MoveError("That scenario is not offered here; choose one from the list.")
        return self.choices[name]

    @staticmethod
    def _load_scenario(path: Path, overrides: tuple[tuple[str, str], ...] = ()):
        from sim.scenario import load_scenario

        return load_scenario(path, dict(overrides)) if overrides else load_scenario(path)

    def _draw_plot(self, room_id: str, months_done: int) -> bytes:
        from sim.classroom.plots import relations_svg

        return relations_svg(self.classroom.rooms[room_id].game)

    def plot(self, room: Room) -> bytes:
        """The game's plot, drawn once per month carried out (under the room's lock, so that
        thirty pages asking at once cause one drawing)."""
        with room.lock:
            return self.drawn_plot(room.id, len(room.game.history))

    def join_addresses(self, request: Request) -> list[str]:
        """Where students' browsers reach this server: the laptop's addresses on the local
        network when it listens on all of them, else the address this page came from."""
        if self.host in ("0.0.0.0", "::") and self.port:
            return [f"http://{ip}:{self.port}/" for ip in lan_addresses()] or [
                str(request.base_url)]
        return [str(request.base_url)]


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from a page of another origin (another
    site, or another port of this host); requests without Origin or Referer (scripts) pass."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return True
    return urlsplit(sent).netloc.lower() == request.headers.get("host", "").lower()


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses on the local network (no internet needed)."""
    import socket

    found: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # UDP: nothing is sent
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    return [ip for ip in dict.fromkeys(found) if not ip.startswith("127.")]


def loopback(url: str) -> bool:
    """An address only this computer reaches (a QR code of it would mislead students)."""
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as inline SVG, drawn here (no online service)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False,
                                    svgns=True, title=f"QR code: {url}")
    return buffer.getvalue().decode("utf-8")


def redirect(url: str) -> Response:
    from starlette.responses import RedirectResponse

    return RedirectResponse(url, status_code=303)


def with_message(url: str, message: str) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'msg': message})}"


# --- instructor pages -------------------------------------------------------------------------


def instructor_routes(app: ClassroomApp) -> list:
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    def guard(handler):
        async def wrapped(request: Request) -> Response:
            if not app.is_instructor(request):
                return app.page("forbidden.html", status_code=403)
            if request.method == "POST":
                form = await request.form()
                if app.forged(request, form, "instructor"):
                    return app.page("expired.html", status_code=403, back="/instructor")
            response = await handler(request)
            if request.query_params.get("key"):  # remember the key for the next pages
                response.set_cookie(KEY_COOKIE, app.key, httponly=True, samesite="lax")
            return response
        return wrapped

    async def home(request: Request) -> Response:
        rooms = sorted(app.classroom.rooms.values(), key=lambda r: r.id)
        return app.page("instructor.html", rooms=rooms, damaged=app.classroom.damaged,
                        choices=[(name, scenario_title(p)) for name, p in app.choices.items()],
                        msg=request.query_params.get("msg", ""))

    async def new_game(request: Request) -> Response:
        name = request.query_params.get("scenario", "")
        try:
            loaded = app.loaded_scenario(app.offered(name))
        except MoveError as err:
            return redirect(with_message("/instructor", str(err)))
        except InputError as err:  # a shipped or offered scenario file: its message is ours
            return redirect(with_message("/instructor", f"Cannot load {name}: {err}"))
        return app.page("new_game.html", scenario_name=name, scenario=loaded.scenario,
                        csrf=app.csrf("instructor"))

    async def create(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("scenario", ""))
        try:
            path = app.offered(name)
            game = new_game_from_form(app.loaded_scenario, path, form)
            turn_seconds = parse_minutes(form.get("minutes", ""))
        except (MoveError, InputError) as err:  # a bad field, or an offered scenario's message
            return redirect(with_message("/instructor", f"Could not create the game: {err}"))
        room = app.classroom.create(game, turn_seconds)
        return redirect(f"/instructor/games/{room.id}")

    async def dashboard(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        with room.lock:
            room.tick(time.time())
            addresses = app.join_addresses(request)
            return app.page("dashboard.html", room=room, game=room.game,
                            injectables=room.game.injectables(),
                            base_url=addresses[0].rstrip("/"), addresses=addresses,
                            qr=None if loopback(addresses[0]) else qr_svg(addresses[0]),
                            csrf=app.csrf("instructor"),
                            msg=request.query_params.get("msg", ""))

    async def panel(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        with room.lock:
            room.tick(time.time())
            part = request.query_params.get("part")
            if part == "debrief":
                return app.page("debrief_box.html", room=room, game=room.game,
                                csrf=app.csrf("instructor"))
            if part == "status":
                return app.page("dashboard_status.html", room=room, game=room.game,
                                now=time.time())
            return app.page("dashboard_panel.html", room=room, game=room.game,
                            talks=views.talks(room.game), deals=views.deals(room.game),
                            events=views.recent_events(room.game), now=time.time())

    async def state(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        with room.lock:
            room.tick(time.time())
            return JSONResponse(room.state(time.time()))

    async def control(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        action = request.path_params["action"]
        form = await request.form()
        now = time.time()
        back = f"/instructor/games/{room.id}"
        with room.lock:
            try:
                if action in ("advance", "inject"):  # what the instructor saw is still so
                    room.check_month(str(form.get("month", "")), str(form.get("phase", "")))
                if action == "deadline":
                    room.set_turn_seconds(parse_minutes(form.get("minutes", "")), now)
                elif action == "inject":
                    room.inject(str(form.get("injection", "")), now)
                elif action == "pause":
                    room.pause(now)
                elif action == "resume":
                    room.resume(now)
                elif action == "advance":
                    room.advance(now)
                elif action == "end":
                    room.end(now)
                elif action != "debrief":
                    return redirect(with_message(back, "There is no such control."))
            except MoveError as err:
                return redirect(with_message(back, str(err)))
        if action in ("end", "debrief") or room.phase == "over":
            room.start_debrief()
        return redirect(back)

    async def debrief(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        report = room.debrief_folder / "report.html"
        if room.debrief_state != "ready" or not report.is_file():
            return redirect(with_message(f"/instructor/games/{room.id}",
                                         "The debrief is not ready yet."))
        name = f"debrief-{Path(room.game.loaded.path).stem}-{room.id}.html"
        return FileResponse(report, media_type="text/html", filename=name)

    async def saved_game(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        path = room.export_game()
        name = f"game-{Path(room.game.loaded.path).stem}-{room.id}.json"
        return FileResponse(path, media_type="application/json", filename=name)

    async def plot(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        return Response(app.plot(room), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})

    return [
        Route("/instructor", guard(home)),
        Route("/instructor/new", guard(new_game)),
        Route("/instructor/games", guard(create), methods=["POST"]),
        Route("/instructor/games/{room}", guard(dashboard)),
        Route("/instructor/games/{room}/panel", guard(panel)),
        Route("/instructor/games/{room}/state", guard(state)),
        Route("/instructor/games/{room}/plot.svg", guard(plot)),
        Route("/instructor/games/{room}/debrief.html", guard(debrief)),
        Route("/instructor/games/{room}/game.json", guard(saved_game)),
        Route("/instructor/games/{room}/{action}", guard(control), methods=["POST"]),
    ]


def new_game_from_form(load: Any, path: Path, form: Any) -> Game:
    """The game the instructor's form asks for; MoveError with a message for a bad field."""
    players = [str(p) for p in form.getlist("players")]
    base = load(path)
    known = base.scenario.actors
    if not players or any(p not in known for p in players):
        raise MoveError("tick at least one of the scenario's actors for the teams to play")
    changed = []
    for key, value in form.items():
        if not key.startswith("lever."):
            continue
        lever = base.scenario.levers.get(key[6:])
        if lever is None or str(value) not in lever.options:
            raise MoveError("choose each what-if switch from its list")
        if lever.setting != value:
            changed.append((f"levers.{key[6:]}.setting", str(value)))
    seed_text = str(form.get("seed", "")).strip()
    try:
        seed = int(seed_text) if seed_text else None
    except ValueError:
        raise MoveError("the seed must be a whole number from 0 up") from None
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise MoveError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    loaded = load(path, tuple(sorted(changed)))
    try:
        return Game(loaded, list(dict.fromkeys(players)), seed)
    except InputError as err:
        raise MoveError(str(err)) from None


# --- team pages -------------------------------------------------------------------------------


def team_routes(app: ClassroomApp) -> list:
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def client(request: Request) -> str:
        return request.client.host if request.client else "?"

    def team_or_none(request: Request) -> tuple[Room, str] | None:
        """The team of the code in the address; a wrong code counts as a guess."""
        found = app.classroom.find_code(request.path_params["code"])
        if found is None:
            app.guesses.record_wrong(client(request), time.time())
        return found

    def limited(handler):
        """Too many wrong codes lately (from this browser, or from everyone): wait a minute."""
        async def wrapped(request: Request) -> Response:
            if app.guesses.blocked(client(request), time.time()):
                return app.page("join.html", status_code=429,
                                msg="Too many wrong codes were tried: wait a minute, then type "
                                    "your team's code again.")
            return await handler(request)
        return wrapped

    async def landing(request: Request) -> Response:
        return app.page("join.html", msg=request.query_params.get("msg", ""))

    async def join(request: Request) -> Response:
        code = normal_code(request.query_params.get("code", ""))
        if app.classroom.find_code(code) is None:
            app.guesses.record_wrong(client(request), time.time())
            return redirect(with_message("/", "No team has that code; check it with your "
                                              "instructor."))
        return redirect(f"/team/{code}")

    async def team_page(request: Request) -> Response:
        found = team_or_none(request)
        if found is None:
            return redirect(with_message("/", "Unknown team code."))
        room, actor = found
        with room.lock:
            room.tick(time.time())
            code = room.code_of(actor)
            return app.page("team.html", situation=views.situation(room.game, actor),
                            msg=request.query_params.get("msg", ""),
                            **turn_context(room, actor, code, app.csrf(f"team:{code}")))

    def team_fragment(request: Request, render) -> Response:
        """A part of the team page the script refreshes: 404 for an unknown code, else
        ``render(room, actor)`` with the room's clock brought up to date."""
        found = team_or_none(request)
        if found is None:
            return Response("unknown team", status_code=404)
        room, actor = found
        with room.lock:
            room.tick(time.time())
            return render(room, actor)

    async def team_panel(request: Request) -> Response:
        return team_fragment(request, lambda room, actor: app.page(
            "team_panel.html", game=room.game, actor=actor, s=views.situation(room.game, actor)))

    async def team_turn(request: Request) -> Response:
        return team_fragment(request, lambda room, actor: app.page(
            "team_turn.html", **turn_context(room, actor, room.code_of(actor),
                                             app.csrf(f"team:{room.code_of(actor)}"))))

    async def team_state(request: Request) -> Response:
        found = team_or_none(request)
        if found is None:
            return JSONResponse({"error": "unknown team"}, status_code=404)
        room, actor = found
        now = time.time()
        with room.lock:
            room.tick(now)
            room.seen[actor] = now
            data = room.state(now)
            data["turn_key"] = room.turn_key(actor)
            data["notice"] = room.notices.get(actor, "")
        return JSONResponse(data)

    async def team_post(request: Request, act) -> Response:
        """A team's form: find its room, apply ``act(room, actor, form)`` under the room's
        lock, and come back to the team page (with the error, if the move was refused)."""
        found = team_or_none(request)
        if found is None:
            return redirect(with_message("/", "Unknown team code."))
        room, actor = found
        code = room.code_of(actor)
        form = await request.form()
        if app.forged(request, form, f"team:{code}"):
            return app.page("expired.html", status_code=403, back=f"/team/{code}")
        with room.lock:
            try:
                act(room, actor, form)
            except MoveError as err:
                return redirect(with_message(f"/team/{code}", str(err)))
        return redirect(f"/team/{code}")

    async def move(request: Request) -> Response:
        return await team_post(request, lambda room, actor, form: room.submit_move(
            actor, move_from_form(room.game, form), time.time(), str(form.get("month", ""))))

    async def answer(request: Request) -> Response:
        def act(room: Room, actor: str, form: Any) -> None:
            said = str(form.get("answer", ""))
            if said not in ("accept", "reject"):
                raise MoveError("Answer with Accept or Reject.")
            room.submit_answer(actor, said == "accept", time.time(), str(form.get("month", "")))
        return await team_post(request, act)

    async def plot(request: Request) -> Response:
        found = team_or_none(request)
        if found is None:
            return Response("unknown team", status_code=404)
        room, actor = found
        return Response(app.plot(room), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})

    return [
        Route("/", landing),
        Route("/join", limited(join)),
        Route("/team/{code}", limited(team_page)),
        Route("/team/{code}/panel", limited(team_panel)),
        Route("/team/{code}/turn", limited(team_turn)),
        Route("/team/{code}/state", limited(team_state)),
        Route("/team/{code}/plot.svg", limited(plot)),
        Route("/team/{code}/move", limited(move), methods=["POST"]),
        Route("/team/{code}/answer", limited(answer), methods=["POST"]),
    ]


def turn_context(room: Room, actor: str, code: str, csrf: str) -> dict[str, Any]:
    game = room.game
    situation = views.situation(game, actor)
    current = game.current.moves.get(actor)
    return {
        "room": room, "game": game, "actor": actor, "code": room.code_of(actor), "csrf": csrf,
        "notice": room.notices.get(actor, ""),
        "current_key": current.key if current else None,
        "menu": views.menu(game, actor) if not game.finished else [],
        "current": views.option_text(game, current.option) if current else None,
        "current_package": current.package if current else None,
        "propose_block": game.can_propose(actor),
        "issues": [k for k in situation["issues"] if k["negotiated"]],
        "victims_rule": game.victims_rule(),
        "package_answerers": " and ".join(
            game.short_name(v) for v in game.scenario.negotiation.veto_players if v != actor),
        "tabled": room.tabled if room.phase == "answers" else None,
        "answerers_text": " and ".join(game.short_name(a) for a in room.tabled.answerers)
        if room.tabled else "the others",
        "proposer_name": game.short_name(room.tabled.proposer) if room.tabled else "a",
        "answered": game.current.answers.get(actor),
        "issue_now": {k["id"]: k for k in situation["issues"]},
    }


def move_from_form(game: Game, form: Any) -> Move:
    """The team's form: the option's identity (action and targets, as the team saw it), and
    perhaps a package (terms and victims). Whether it is possible is checked by the game."""
    text = str(form.get("option", "")).strip()
    if not text:
        raise MoveError("Choose one of the moves in the list.")
    option = parse_option_key(text)
    package = None
    if form.get("propose"):
        terms = {}
        for issue in game.model.negotiation_issues:
            try:
                terms[issue] = float(str(form.get(f"term.{issue}", "")))
            except ValueError:
                raise MoveError(f"Give a value from 0 to 1 for {issue}.") from None
            if not math.isfinite(terms[issue]):
                raise MoveError(f"Give a value from 0 to 1 for {issue}.")
        package = Package(terms, form.get("victims") == "yes")
    return Move(option.action, option.targets, package)


# --- building and serving ---------------------------------------------------------------------


def create_app(data_dir: Path, instructor_key: str | None = None,
               default_scenario: Path | None = None, restore: bool = True,
               scenario_folders: tuple[Path, ...] = (), host: str = "127.0.0.1",
               port: int | None = None) -> Starlette:
    """The ASGI app; ``app.state.classroom`` is the :class:`ClassroomApp` (for tests)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app_state = ClassroomApp(data_dir, instructor_key or secrets.token_urlsafe(9),
                             default_scenario, scenario_folders, host, port)
    if restore:
        app_state.classroom.restore()
    routes = [*instructor_routes(app_state), *team_routes(app_state),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    app = Starlette(routes=routes)
    app.state.classroom = app_state
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the OS picks it)."""
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(app: Starlette, host: str = "127.0.0.1", port: int | None = None):
    """Serve ``app`` in a background thread for the ``with`` block; yields its base URL.
    Tests and scripts use it; the server always stops when the block ends."""
    import threading

    import uvicorn

    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 20
        while not server.started:
            if time.time() > deadline or not thread.is_alive():
                raise RuntimeError("the classroom server did not start")
            time.sleep(0.05)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", type=Path, default=None,
                        help="scenario offered first (default: scenarios/classroom.yaml)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; "
                             "0.0.0.0 lets other computers on the network in)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--data", type=Path, default=Path("classroom-games"),
                        help="folder for saved games and debriefs (default ./classroom-games)")
    parser.add_argument("--key", default=None,
                        help="instructor key (default: a new random one, printed at start)")
    parser.add_argument("--scenarios", type=Path, action="append", default=[], metavar="DIR",
                        help="a folder of scenario files to offer besides the shipped ones "
                             "(repeatable)")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:  # the web packages are core dependencies; say so if one is missing
        from sim.errors import fail

        raise fail("sim classroom", "needs the packages starlette, uvicorn and jinja2: "
                                    "pip install -e .") from None
    from sim.shipped import CLASSROOM_SCENARIO, resolve_scenario

    default = resolve_scenario(args.scenario, CLASSROOM_SCENARIO)
    if not default.is_file():
        from sim.errors import fail

        raise fail(str(default), "no such scenario file")
    for folder in args.scenarios:
        if not folder.is_dir():
            from sim.errors import fail

            raise fail(str(folder), "no such folder of scenarios", path="--scenarios")
    key = args.key or secrets.token_urlsafe(12)
    app = create_app(args.data, key, default, scenario_folders=tuple(args.scenarios),
                     host=args.host, port=args.port)
    for problem in app.state.classroom.classroom.damaged:
        print(f"Could not restore a saved game: {problem}", flush=True)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Instructor page (keep this address to yourself): "
          f"http://{shown}:{args.port}/instructor?key={key}")
    if args.host in ("0.0.0.0", "::"):
        addresses = ", ".join(f"http://{ip}:{args.port}/" for ip in lan_addresses())
        print(f"Teams join at {addresses or 'this computer address on the network'} with "
              "their code (the instructor page shows a QR code)")
    elif args.host != "127.0.0.1":
        print(f"Teams join at http://{args.host}:{args.port}/ with their code")
    else:
        print("Listening on 127.0.0.1 only: teams can play on this computer. To let the "
              "class's browsers in, restart with --host 0.0.0.0 (on a network you trust).")
    print(f"Saved games and debriefs: {args.data}/  -  stop with Ctrl+C", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
