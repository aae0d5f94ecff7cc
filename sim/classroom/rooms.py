"""Classroom rooms: one game each, with join codes, a turn clock, a pause, injects and a debrief.

This module holds the classroom's rules and no web code, so the web app stays a thin layer:

- a **room** wraps a :class:`~sim.classroom.game.Game`; each human-played actor is a team that
  joins with its own code; rooms on one server are isolated (own game, codes, lock, files);
- a month is in the **moves** phase until every team has moved, the deadline passes or the
  instructor advances; then, if a package will be tabled to a team's government, in the
  **answers** phase; then it is carried out. A team that has not moved when the month closes is
  played by the model's own actor (so an absent team never stalls the class);
- the clock is checked lazily on every request (``tick``): no background timer thread;
- every state change (a move, an answer, an inject, the pause, a deadline, a log line) is saved
  to the room's folder at once, atomically, so that a server killed at any moment restarts with
  nothing lost; the debrief is written in a background thread.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.classroom.game import Game, Move, MoveError, TabledPackage

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud
# Eight symbols of 32 (2**40 codes) and at most GUESSES_PER_MINUTE wrong codes a minute on the
# whole server: in an hour's class with 30 teams, the chance that guessing finds any team's
# code is 60 * GUESSES_PER_MINUTE * 30 / 32**8, about 1e-7 (tests/test_classroom_security.py).
CODE_LENGTH = 8
GUESSES_PER_MINUTE = 60
GUESSES_PER_CLIENT_MINUTE = 10  # one client's typos do not lock the others out
MAX_LOG = 200
ROOM_FORMAT = "jk-dispute-sim classroom room"


def new_token(length: int, alphabet: str = CODE_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normal_code(text: str) -> str:
    """A code as typed ('abcd-efgh ', 'ABCD EFGH') -> 'ABCDEFGH'."""
    return re.sub(r"[^A-Z0-9]", "", str(text).upper())[:2 * CODE_LENGTH]


def shown_code(code: str) -> str:
    """'ABCDEFGH' -> 'ABCD-EFGH', easier to read aloud and to type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a crash leaves either the old or the new version, never half."""
    staging = path.with_name(path.name + ".tmp")
    with staging.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    staging.replace(path)


class GuessLimiter:
    """Counts wrong join codes in the last minute, per client and on the whole server."""

    def __init__(self, per_minute: int = GUESSES_PER_MINUTE,
                 per_client: int = GUESSES_PER_CLIENT_MINUTE):
        self.per_minute, self.per_client = per_minute, per_client
        self.wrong: deque[tuple[float, str]] = deque()
        self.lock = threading.Lock()

    def _recent(self, now: float) -> deque[tuple[float, str]]:
        while self.wrong and self.wrong[0][0] < now - 60:
            self.wrong.popleft()
        return self.wrong

    def blocked(self, client: str, now: float) -> bool:
        with self.lock:
            recent = self._recent(now)
            return (len(recent) >= self.per_minute
                    or sum(c == client for _, c in recent) >= self.per_client)

    def record_wrong(self, client: str, now: float) -> None:
        with self.lock:
            self._recent(now).append((now, client))


def saved(method: Callable) -> Callable:
    """Save the room after the change the method makes (kill -9 right after loses nothing)."""
    @functools.wraps(method)
    def wrapped(self: Room, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self.save()
        return result
    return wrapped


def parse_minutes(text: Any) -> int | None:
    """A turn deadline typed in minutes -> seconds; blank or 0 -> no deadline; anything else
    (text, negative, infinite, more than a day) is refused with a message."""
    raw = str(text if text is not None else "").strip()
    try:
        minutes = float(raw or 0)
    except ValueError:
        raise MoveError(f"The deadline must be a number of minutes (0 for none), not "
                        f"{raw[:20]!r}.") from None
    if not 0 <= minutes <= 24 * 60:  # also refuses nan and inf
        raise MoveError("The deadline must be between 0 (none) and 1440 minutes (a day).")
    return int(round(minutes * 60)) or None


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
    # (month, actor) -> the identity of a move already recorded, so a repeated request is a no-op
    done: dict[str, str] = field(default_factory=dict)
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
        return self.codes.get(normal_code(code))

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
        notice = len(self.notices.get(actor, ""))
        return (f"{game.month}|{self.phase}|{moved}|{answered}|{self.clock.paused}|"
                f"{game.finished}|{notice}")

    # --- the instructor's controls --------------------------------------------------------

    def note(self, text: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {self.game.month}: {text}")
        del self.log[:-MAX_LOG]

    def check_month(self, month: str, phase: str) -> None:
        """A form names the month (and phase) it was made for; a closed one is refused."""
        if self.phase == "over":
            raise MoveError("The game is over.")
        if month != self.game.month or phase != self.phase:
            raise MoveError(f"That form was for {month or 'another month'}, which has closed: "
                            f"it is now month {self.game.turn} of {self.game.turns} "
                            f"({self.game.month}). Nothing was recorded; look at the new "
                            "month and choose again.")

    @saved
    def set_turn_seconds(self, seconds: int | None, now: float) -> None:
        self.clock.turn_seconds = seconds or None
        self.clock.restart(now)
        self.note(f"turn deadline set to {seconds // 60} min {seconds % 60} s" if seconds
                  else "no turn deadline")
        self.game.version += 1

    @saved
    def pause(self, now: float) -> None:
        self.clock.pause(now)
        self.note("paused")
        self.game.version += 1

    @saved
    def resume(self, now: float) -> None:
        self.clock.resume(now)
        self.note("resumed")
        self.game.version += 1

    @saved
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

    @saved
    def advance(self, now: float, by_instructor: bool = True) -> None:
        """Close the current phase now (the instructor's 'next')."""
        late = ", ".join(self.game.short_name(a) for a in self.waiting())
        if by_instructor:
            self.note(f"closed by the instructor{'; the model plays for ' + late if late else ''}")
        if self.phase == "moves":
            self._close_moves(now)
        elif self.phase == "answers":
            self._resolve(now)

    @saved
    def end(self, now: float) -> None:
        if self.phase != "over":
            self.game.end()
            self.phase = "over"
            self.note("game ended by the instructor")

    # --- the teams' inputs ----------------------------------------------------------------

    def repeated(self, actor: str, month: str, what: str) -> bool:
        """Whether this exact input was already recorded (a doubled click or a resent form)."""
        return self.done.get(f"{month}|{actor}") == what

    @saved
    def submit_move(self, actor: str, move: Move, now: float, month: str | None = None) -> Move:
        """Record a team's move made for ``month`` (None: the current one)."""
        month = self.game.month if month is None else month
        identity = f"move|{move.key}|{move.package}"
        if self.repeated(actor, month, identity):
            return move
        self.check_month(month, "moves")
        self._check_open(actor, "moves")
        move = self.game.set_move(actor, move)
        self.done[f"{month}|{actor}"] = identity
        self.notices.pop(actor, None)
        self.note(f"{self.game.short_name(actor)} has moved")
        if not self.game.waiting_for():  # every team has moved: no need to wait for the clock
            self._close_moves(now)
        return move

    @saved
    def submit_answer(self, actor: str, accept: bool, now: float,
                      month: str | None = None) -> None:
        month = self.game.month if month is None else month
        identity = f"answer|{accept}"
        if self.repeated(actor, month, identity):
            return
        self.check_month(month, "answers")
        self._check_open(actor, "answers")
        if not self.tabled or actor not in self.tabled.answerers:
            raise MoveError("There is no package for you to answer.")
        self.game.set_answer(actor, accept)
        self.done[f"{month}|{actor}"] = identity
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
            self.advance(now, by_instructor=False)

    def played_for_late_teams(self) -> dict[str, str]:
        """Actor -> what the model plays for a team that has not moved this month, and why."""
        from sim.classroom.views import option_text, reasons_sentence

        game, told = self.game, {}
        for actor in game.waiting_for():
            decision = game.model.agent_by_id[actor].decision
            why = reasons_sentence(decision.components[decision.chosen])
            told[actor] = (f"Your team did not move in time in {game.month}: the model played "
                           f"\u201c{option_text(game, decision.option)}\u201d for you, "
                           f"because {why}.")
        return told

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
        late = self.played_for_late_teams()
        unanswered = self.waiting() if self.phase == "answers" else []
        self.game.resolve()
        self.tabled = None
        self.notices.clear()
        self.notices.update(late)
        for actor in unanswered:
            self.notices[actor] = (self.notices.get(actor, "") + " The model answered the "
                                   "package for you, as your government would have.").strip()
        if self.game.finished:
            self.phase = "over"
            self.note("the last month is over")
        else:
            self.phase = "moves"
            self.clock.restart(now)

    # --- files ----------------------------------------------------------------------------

    def to_json(self, now: float) -> dict[str, Any]:
        """Everything a restarted server needs: the game's inputs (the month in progress
        included) and the room's state: phase, clock, pause, log, notices."""
        return {"format": ROOM_FORMAT, "id": self.id, "codes": self.codes,
                "phase": self.phase, "turn_seconds": self.clock.turn_seconds,
                "paused": self.clock.paused, "seconds_left": self.clock.seconds_left(now),
                "log": self.log, "notices": self.notices, "done": self.done,
                "game": self.game.to_json()}

    def save(self) -> Path:
        """Write room.json atomically (the game inside it); returns its path."""
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / "room.json"
            write_atomically(path, json.dumps(self.to_json(time.time()), indent=1) + "\n")
        return path

    def export_game(self) -> Path:
        """The saved game alone (``sim play --resume`` reads it)."""
        with self.lock:
            return self.game.save(self.folder / "game.json")

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path, now: float) -> Room:
        if data.get("format") != ROOM_FORMAT:
            raise ValueError(f"not a saved classroom game (expected \"format\": "
                             f"\"{ROOM_FORMAT}\")")
        game = Game.from_json(data["game"], str(folder / "room.json"))
        room = cls(str(data["id"]), game, {str(c): str(a) for c, a in data["codes"].items()},
                   folder)
        room.clock.turn_seconds = data.get("turn_seconds") or None
        room.clock.restart(now)
        left = data.get("seconds_left")
        if left is not None and room.clock.turn_seconds:
            room.clock.deadline = now + float(left)
        if data.get("paused"):
            room.clock.pause(now)
        room.log = [str(line) for line in data.get("log") or []]
        room.notices = {str(a): str(m) for a, m in (data.get("notices") or {}).items()}
        room.done = {str(k): str(v) for k, v in (data.get("done") or {}).items()}
        room.phase = "over" if game.finished else str(data.get("phase") or "moves")
        if room.phase == "answers":
            room.tabled = game.preview_package()
            if room.tabled is None:
                room.phase = "moves"
        return room

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
                write_debrief(game, staging, force=True)
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
        self.damaged: list[str] = []  # saved games that could not be restored, and why

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
        code = normal_code(code)
        for room in self.rooms.values():
            if code in room.codes:
                return room, room.codes[code]
        return None

    def restore(self) -> list[Room]:
        """Rooms saved in the data folder by an earlier run of the server, replayed; each one
        that cannot be read is listed in :attr:`damaged` (the server reports them)."""
        restored: list[Room] = []
        if not self.data_dir.is_dir():
            return restored
        now = time.time()
        for room_file in sorted(self.data_dir.glob("*/room.json")):
            try:
                data = json.loads(room_file.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                room = Room.from_json(data, room_file.parent, now)
            except Exception as err:  # reported, and the other games are restored
                self.damaged.append(f"{room_file}: {str(err)[:300]}")
                continue
            room.note("restored after a server restart")
            room.save()
            self.rooms[room.id] = room
            restored.append(room)
        return restored
