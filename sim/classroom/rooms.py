"""Classroom rooms: one game each, with join codes, a turn clock, a pause, injects and a debrief.

This module holds the classroom's rules and no web code, so the web app stays a thin layer:

- a **room** wraps a :class:`~sim.classroom.game.Game`; each human-played actor is a team that
  joins with its own code; rooms on one server are isolated (own game, codes, lock, files);
- a month is in the **moves** phase until every team has moved, the deadline passes or the
  instructor advances; then, if a package will be tabled to a team's government, in the
  **answers** phase; then it is carried out. A team that has not moved when the month closes is
  played by the model's own actor (so an absent team never stalls the class);
- the clock is checked lazily on every request (``tick``): no background timer thread;
- every finished month is saved to the room's folder, and the debrief is written in a
  background thread (the report's figures take a few seconds).
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.classroom.game import Game, Move, MoveError, TabledPackage

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud
CODE_LENGTH = 5
MAX_LOG = 200


def new_token(length: int, alphabet: str = CODE_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Clock:
    """The turn deadline: ``turn_seconds`` per phase (None: no deadline); pausable."""

    turn_seconds: int | None = None
    deadline: float | None = None
    paused: bool = False
    remaining_when_paused: float | None = None

    def restart(self, now: float) -> None:
        self.deadline = now + self.turn_seconds if self.turn_seconds else None
        if self.paused:
            self.remaining_when_paused = float(self.turn_seconds) if self.turn_seconds else None

    def seconds_left(self, now: float) -> float | None:
        if self.paused:
            return self.remaining_when_paused
        return None if self.deadline is None else max(0.0, self.deadline - now)

    def expired(self, now: float) -> bool:
        return not self.paused and self.deadline is not None and now >= self.deadline

    def pause(self, now: float) -> None:
        if not self.paused:
            self.remaining_when_paused = self.seconds_left(now)
            self.paused = True

    def resume(self, now: float) -> None:
        if self.paused:
            self.paused = False
            left = self.remaining_when_paused
            self.deadline = now + left if left is not None else None


@dataclass
class Room:
    """One classroom game."""

    id: str
    game: Game
    codes: dict[str, str]  # join code -> actor
    folder: Path
    clock: Clock = field(default_factory=Clock)
    phase: str = "moves"  # moves | answers | over
    tabled: TabledPackage | None = None
    log: list[str] = field(default_factory=list)
    notices: dict[str, str] = field(default_factory=dict)  # actor -> message for its team
    seen: dict[str, float] = field(default_factory=dict)  # actor -> last time its page polled
    debrief_state: str = "none"  # none | writing | ready | failed
    debrief_error: str = ""
    debrief_version: int = -1
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- reading --------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.game.scenario.meta.title

    def actor_of(self, code: str) -> str | None:
        return self.codes.get(code.strip().upper())

    def code_of(self, actor: str) -> str:
        return next(c for c, a in self.codes.items() if a == actor)

    def state(self, now: float) -> dict[str, Any]:
        """What every page polls: enough to know when to refresh and what the clock says."""
        game = self.game
        left = self.clock.seconds_left(now)
        return {"version": game.version, "plot_version": len(game.history), "phase": self.phase,
                "month": game.month, "turn": game.turn, "turns": game.turns,
                "paused": self.clock.paused,
                "seconds_left": None if left is None else round(left),
                "moved": game.moved(), "waiting": self.waiting(),
                "debrief": self.debrief_state}

    def waiting(self) -> list[str]:
        if self.phase == "moves":
            return self.game.waiting_for()
        if self.phase == "answers" and self.tabled:
            return [a for a in self.tabled.answerers if a not in self.game.current.answers]
        return []

    def turn_key(self, actor: str) -> str:
        """Changes whenever the team's turn form must be drawn again."""
        game = self.game
        moved = actor in game.current.moves
        answered = actor in game.current.answers
        return f"{game.month}|{self.phase}|{moved}|{answered}|{self.clock.paused}|{game.finished}"

    # --- the instructor's controls --------------------------------------------------------

    def note(self, text: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {self.game.month}: {text}")
        del self.log[:-MAX_LOG]

    def set_turn_seconds(self, seconds: int | None, now: float) -> None:
        self.clock.turn_seconds = seconds or None
        self.clock.restart(now)
        self.note(f"turn deadline set to {seconds // 60} min {seconds % 60} s" if seconds
                  else "no turn deadline")
        self.game.version += 1

    def pause(self, now: float) -> None:
        self.clock.pause(now)
        self.note("paused")
        self.game.version += 1

    def resume(self, now: float) -> None:
        self.clock.resume(now)
        self.note("resumed")
        self.game.version += 1

    def inject(self, injection: str, now: float) -> None:
        if self.phase != "moves":
            raise MoveError("Inject events while the teams are choosing their moves.")
        label = self.game.injectables().get(injection, injection)
        dropped = self.game.inject(injection)
        self.note(f"injected: {label}")
        for actor in dropped:
            self.notices[actor] = (f"News: {label}. Your move is no longer possible; "
                                   "please choose again.")
        for actor in self.game.players:
            self.notices.setdefault(actor, f"News: {label}")

    def advance(self, now: float) -> None:
        """Close the current phase now (the instructor's 'next')."""
        if self.phase == "moves":
            self._close_moves(now)
        elif self.phase == "answers":
            self._resolve(now)

    def end(self, now: float) -> None:
        if self.phase != "over":
            self.game.end()
            self.phase = "over"
            self.note("game ended by the instructor")
            self.save()

    # --- the teams' inputs ----------------------------------------------------------------

    def submit_move(self, actor: str, move: Move, now: float) -> Move:
        self._check_open(actor, "moves")
        move = self.game.set_move(actor, move)
        self.notices.pop(actor, None)
        self.note(f"{self.game.short_name(actor)} has moved")
        if not self.game.waiting_for():  # every team has moved: no need to wait for the clock
            self._close_moves(now)
        return move

    def submit_answer(self, actor: str, accept: bool, now: float) -> None:
        self._check_open(actor, "answers")
        if not self.tabled or actor not in self.tabled.answerers:
            raise MoveError("There is no package for you to answer.")
        self.game.set_answer(actor, accept)
        self.note(f"{self.game.short_name(actor)} has answered the package")
        if not self.waiting():
            self._resolve(now)

    def _check_open(self, actor: str, phase: str) -> None:
        if self.phase == "over":
            raise MoveError("The game is over.")
        if self.clock.paused:
            raise MoveError("The instructor has paused the game; wait a moment.")
        if self.phase != phase:
            raise MoveError("This month's moves are closed." if phase == "moves"
                            else "There is nothing to answer now.")
        if actor not in self.game.players:
            raise MoveError("Your team does not play in this game.")

    # --- the clock and the phases ---------------------------------------------------------

    def tick(self, now: float) -> None:
        """Close the phase if its deadline has passed (called on every request)."""
        if self.phase in ("moves", "answers") and self.clock.expired(now):
            late = ", ".join(self.game.short_name(a) for a in self.waiting())
            self.note(f"time is up{'; the model plays for ' + late if late else ''}")
            self.advance(now)

    def _close_moves(self, now: float) -> None:
        self.tabled = self.game.preview_package()
        if self.tabled is not None and any(a not in self.game.current.answers
                                           for a in self.tabled.answerers):
            self.phase = "answers"
            self.clock.restart(now)
            names = ", ".join(self.game.short_name(a) for a in self.tabled.answerers)
            self.note(f"{self.game.short_name(self.tabled.proposer)} tables a package; "
                      f"waiting for {names}")
            self.game.version += 1
            return
        self._resolve(now)

    def _resolve(self, now: float) -> None:
        self.note("the month is carried out")
        self.game.resolve()
        self.tabled = None
        self.notices.clear()
        self.save()
        if self.game.finished:
            self.phase = "over"
            self.note("the last month is over")
        else:
            self.phase = "moves"
            self.clock.restart(now)

    # --- files ----------------------------------------------------------------------------

    def save(self) -> Path:
        """The game's inputs and the room's settings, so a crashed server can pick it up."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.game.save(self.folder / "game.json")
        room = {"id": self.id, "codes": self.codes, "turn_seconds": self.clock.turn_seconds}
        (self.folder / "room.json").write_text(json.dumps(room, indent=1) + "\n",
                                               encoding="utf-8")
        return self.folder / "game.json"

    @property
    def debrief_folder(self) -> Path:
        return self.folder / "debrief"

    def start_debrief(self) -> bool:
        """Write the debrief in a background thread; False if one is being written already."""
        with self.lock:
            if self.debrief_state == "writing" or not self.game.history:
                return False
            self.debrief_state = "writing"
            self.debrief_version = self.game.version
            game_copy = Game.from_json(self.game.to_json())  # the room goes on meanwhile
        threading.Thread(target=self._write_debrief, args=(game_copy,), daemon=True).start()
        return True

    def _write_debrief(self, game: Game) -> None:
        from sim.classroom.debrief import write_debrief

        try:
            with DEBRIEF_LOCK:  # matplotlib's pyplot is not thread-safe: one report at a time
                staging = self.folder / "debrief-new"
                write_debrief(game, staging)
                shutil.rmtree(self.debrief_folder, ignore_errors=True)
                staging.rename(self.debrief_folder)
            self.debrief_state = "ready"
        except Exception as err:  # shown to the instructor instead of killing the thread
            self.debrief_error = f"{type(err).__name__}: {err}"
            self.debrief_state = "failed"
        self.game.version += 1


DEBRIEF_LOCK = threading.Lock()


class Classroom:
    """Every room of one server, and the join codes across them (unique server-wide)."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.rooms: dict[str, Room] = {}
        self.lock = threading.Lock()

    def create(self, game: Game, turn_seconds: int | None = None) -> Room:
        with self.lock:
            room_id = new_token(8, "abcdefghijkmnpqrstuvwxyz23456789")
            taken = {c for r in self.rooms.values() for c in r.codes}
            codes: dict[str, str] = {}
            for actor in game.players:
                code = new_token(CODE_LENGTH)
                while code in taken or code in codes:
                    code = new_token(CODE_LENGTH)
                codes[code] = actor
            room = Room(room_id, game, codes, self.data_dir / room_id)
            room.clock.turn_seconds = turn_seconds or None
            room.clock.restart(time.time())
            room.note(f"game created: {game.scenario.meta.title}, seed {game.seed}")
            self.rooms[room_id] = room
        room.save()
        return room

    def find_code(self, code: str) -> tuple[Room, str] | None:
        code = code.strip().upper()
        for room in self.rooms.values():
            if code in room.codes:
                return room, room.codes[code]
        return None

    def restore(self) -> list[Room]:
        """Rooms saved in the data folder by an earlier run of the server, replayed."""
        restored = []
        if not self.data_dir.is_dir():
            return restored
        for room_file in sorted(self.data_dir.glob("*/room.json")):
            try:
                info = json.loads(room_file.read_text(encoding="utf-8"))
                game = Game.load(room_file.parent / "game.json")
            except Exception:  # a damaged or outdated folder is skipped, not fatal
                continue
            room = Room(info["id"], game, dict(info["codes"]), room_file.parent)
            room.clock.turn_seconds = info.get("turn_seconds")
            room.clock.restart(time.time())
            room.phase = "over" if game.finished else "moves"
            room.note("restored after a server restart")
            self.rooms[room.id] = room
            restored.append(room)
        return restored
