"""``sim classroom [SCENARIO] [--host 127.0.0.1] [--port 8765]``: the classroom web app.

A small ASGI app (Starlette, served by uvicorn): server-rendered HTML pages (Jinja2), forms that
post and redirect (they work without JavaScript), a few lines of local JavaScript that poll a
JSON state every two seconds to refresh the pages and the clock, and plots drawn on the server
as SVG. Every asset is served from the package: nothing is loaded from the internet.

- ``/instructor`` (with the key printed at start-up): create games, see the join codes, set the
  turn deadline, inject events, pause, advance, end, download the debrief and the saved game;
- ``/`` and ``/team/CODE``: a team joins with its code and plays its actor.

It listens on 127.0.0.1 (this computer only) unless ``--host`` says otherwise, e.g.
``--host 0.0.0.0`` to let the students' browsers on the classroom network in.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.classroom import views
from sim.classroom.game import Game, Move, MoveError, Package
from sim.classroom.rooms import Classroom, Room
from sim.errors import InputError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

HERE = Path(__file__).resolve().parent
KEY_COOKIE = "classroom_instructor"
POLL_MS = 2000
SKIP_FILES = {"base.yaml", "actions.yaml", "sources.yaml"}


# --- scenarios --------------------------------------------------------------------------------


def scenario_choices(default: Path | None) -> list[Path]:
    """Scenario files an instructor may start: classroom ones first, then the others."""
    from sim.shipped import scenarios_dir

    folder = scenarios_dir()
    files = [p for p in sorted(folder.glob("*.yaml")) if p.name not in SKIP_FILES]
    files.sort(key=lambda p: (not p.name.startswith("classroom"), p.name))
    if default is not None:
        files = [default, *[p for p in files if p.resolve() != default.resolve()]]
    return files


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

    def __init__(self, data_dir: Path, instructor_key: str, default_scenario: Path | None):
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        self.classroom = Classroom(data_dir)
        self.key = instructor_key
        self.default_scenario = default_scenario
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]))
        self.templates.globals.update(poll_ms=POLL_MS, pct=lambda v: f"{v:.0%}",
                                      num=lambda v: f"{v:.2f}")
        self.plot_cache: dict[str, tuple[int, bytes]] = {}
        self.scenario_cache: dict[str, Any] = {}

    # --- helpers --------------------------------------------------------------------------

    def page(self, name: str, status_code: int = 200, **context: Any) -> Response:
        from starlette.responses import HTMLResponse

        return HTMLResponse(self.templates.get_template(name).render(**context),
                            status_code=status_code)

    def is_instructor(self, request: Request) -> bool:
        given = request.query_params.get("key") or request.cookies.get(KEY_COOKIE) or ""
        return secrets.compare_digest(given, self.key)

    def room_or_404(self, room_id: str) -> Room:
        from starlette.exceptions import HTTPException

        room = self.classroom.rooms.get(room_id)
        if room is None:
            raise HTTPException(404, "no such game")
        return room

    def loaded(self, path: str, overrides: dict[str, Any] | None = None):
        from sim.scenario import load_scenario

        if overrides:
            return load_scenario(path, overrides)
        if path not in self.scenario_cache:
            self.scenario_cache[path] = load_scenario(path)
        return self.scenario_cache[path]

    def plot(self, room: Room) -> bytes:
        """The game's plot, drawn once per game version (under the room's lock, so that thirty
        pages asking at once cause one drawing)."""
        from sim.classroom.plots import relations_svg

        with room.lock:
            version = len(room.game.history)  # the plot changes only when a month is done
            cached = self.plot_cache.get(room.id)
            if cached and cached[0] == version:
                return cached[1]
            svg = relations_svg(room.game)
            self.plot_cache[room.id] = (version, svg)
        return svg


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
            response = await handler(request)
            if request.query_params.get("key"):  # remember the key for the next pages
                response.set_cookie(KEY_COOKIE, app.key, httponly=True, samesite="lax")
            return response
        return wrapped

    async def home(request: Request) -> Response:
        rooms = sorted(app.classroom.rooms.values(), key=lambda r: r.id)
        choices = scenario_choices(app.default_scenario)
        return app.page("instructor.html", rooms=rooms,
                        choices=[(p, scenario_title(p)) for p in choices],
                        msg=request.query_params.get("msg", ""))

    async def new_game(request: Request) -> Response:
        path = request.query_params.get("scenario", "")
        try:
            loaded = app.loaded(path)
        except InputError as err:
            return redirect(with_message("/instructor", f"Cannot load {path}: {err}"))
        return app.page("new_game.html", path=path, scenario=loaded.scenario)

    async def create(request: Request) -> Response:
        form = await request.form()
        path = str(form.get("scenario", ""))
        players = [str(p) for p in form.getlist("players")]
        overrides = {f"levers.{k[6:]}.setting": str(v) for k, v in form.items()
                     if k.startswith("lever.")}
        try:
            base = app.loaded(path)
            changed = {k: v for k, v in overrides.items()
                       if base.scenario.levers[k.split(".")[1]].setting != v}
            loaded = app.loaded(path, changed)
            seed = int(form["seed"]) if str(form.get("seed", "")).strip() else None
            if not players:
                raise ValueError("tick at least one actor for the teams to play")
            game = Game(loaded, players, seed)
        except (InputError, ValueError, KeyError) as err:
            return redirect(with_message("/instructor", f"Could not create the game: {err}"))
        room = app.classroom.create(game, minutes_to_seconds(form.get("minutes", "")))
        return redirect(f"/instructor/games/{room.id}")

    async def dashboard(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        with room.lock:
            room.tick(time.time())
            return app.page("dashboard.html", room=room, game=room.game,
                            injectables=room.game.injectables(),
                            base_url=str(request.base_url).rstrip("/"),
                            msg=request.query_params.get("msg", ""))

    async def panel(request: Request) -> Response:
        room = app.room_or_404(request.path_params["room"])
        with room.lock:
            room.tick(time.time())
            part = request.query_params.get("part")
            if part == "debrief":
                return app.page("debrief_box.html", room=room, game=room.game)
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
                if action == "deadline":
                    room.set_turn_seconds(minutes_to_seconds(form.get("minutes", "")), now)
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
                    return redirect(with_message(back, f"unknown control {action!r}"))
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
        with room.lock:
            path = room.save()
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


def minutes_to_seconds(text: Any) -> int | None:
    """'2.5' minutes -> 150 seconds; blank or 0 -> no deadline."""
    try:
        minutes = float(str(text).strip() or 0)
    except ValueError:
        return None
    return int(round(minutes * 60)) if minutes > 0 else None


# --- team pages -------------------------------------------------------------------------------


def team_routes(app: ClassroomApp) -> list:
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def team_or_none(request: Request) -> tuple[Room, str] | None:
        return app.classroom.find_code(request.path_params["code"])

    async def landing(request: Request) -> Response:
        return app.page("join.html", msg=request.query_params.get("msg", ""))

    async def join(request: Request) -> Response:
        code = request.query_params.get("code", "").strip().upper()
        if app.classroom.find_code(code) is None:
            return redirect(with_message("/", f"No team has the code {code!r}; check it "
                                              "with your instructor."))
        return redirect(f"/team/{code}")

    async def team_page(request: Request) -> Response:
        found = team_or_none(request)
        if found is None:
            return redirect(with_message("/", "Unknown team code."))
        room, actor = found
        with room.lock:
            room.tick(time.time())
            return app.page("team.html", situation=views.situation(room.game, actor),
                            msg=request.query_params.get("msg", ""),
                            **turn_context(room, actor, request.path_params["code"]))

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
            "team_turn.html", **turn_context(room, actor, request.path_params["code"])))

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
        code = request.path_params["code"].upper()
        if found is None:
            return redirect(with_message("/", "Unknown team code."))
        room, actor = found
        form = await request.form()
        with room.lock:
            try:
                act(room, actor, form)
            except MoveError as err:
                return redirect(with_message(f"/team/{code}", str(err)))
        return redirect(f"/team/{code}")

    async def move(request: Request) -> Response:
        return await team_post(request, lambda room, actor, form: room.submit_move(
            actor, move_from_form(room.game, actor, form), time.time()))

    async def answer(request: Request) -> Response:
        return await team_post(request, lambda room, actor, form: room.submit_answer(
            actor, form.get("answer") == "accept", time.time()))

    async def plot(request: Request) -> Response:
        found = team_or_none(request)
        if found is None:
            return Response("unknown team", status_code=404)
        room, actor = found
        return Response(app.plot(room), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})

    return [
        Route("/", landing),
        Route("/join", join),
        Route("/team/{code}", team_page),
        Route("/team/{code}/panel", team_panel),
        Route("/team/{code}/turn", team_turn),
        Route("/team/{code}/state", team_state),
        Route("/team/{code}/plot.svg", plot),
        Route("/team/{code}/move", move, methods=["POST"]),
        Route("/team/{code}/answer", answer, methods=["POST"]),
    ]


def turn_context(room: Room, actor: str, code: str) -> dict[str, Any]:
    game = room.game
    situation = views.situation(game, actor)
    current = game.current.moves.get(actor)
    return {
        "room": room, "game": game, "actor": actor, "code": code.upper(),
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


def move_from_form(game: Game, actor: str, form: Any) -> Move:
    """The team's form: an option number, and perhaps a package (terms and victims)."""
    try:
        index = int(str(form.get("option", "")))
        option = game.options(actor)[index - 1]
        if index < 1:
            raise IndexError
    except (ValueError, IndexError):
        raise MoveError("Choose one of the moves in the list.") from None
    package = None
    if form.get("propose"):
        terms = {}
        for issue in game.model.negotiation_issues:
            try:
                terms[issue] = float(str(form.get(f"term.{issue}", "")))
            except ValueError:
                raise MoveError(f"Give a value from 0 to 1 for {issue}.") from None
        package = Package(terms, form.get("victims") == "yes")
    return Move(option.action, option.targets, package)


# --- building and serving ---------------------------------------------------------------------


def create_app(data_dir: Path, instructor_key: str | None = None,
               default_scenario: Path | None = None, restore: bool = True) -> Starlette:
    """The ASGI app; ``app.state.classroom`` is the :class:`ClassroomApp` (for tests)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app_state = ClassroomApp(data_dir, instructor_key or secrets.token_urlsafe(9),
                             default_scenario)
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
    key = args.key or secrets.token_urlsafe(9)
    app = create_app(args.data, key, default)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Instructor page (keep this address to yourself): "
          f"http://{shown}:{args.port}/instructor?key={key}")
    print(f"Teams join at http://<this computer's address>:{args.port}/ with their code"
          if args.host != "127.0.0.1" else
          "Listening on 127.0.0.1 only: teams can play on this computer. To let the class's "
          "browsers in, restart with --host 0.0.0.0 (on a network you trust).")
    print(f"Saved games and debriefs: {args.data}/  -  stop with Ctrl+C", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
