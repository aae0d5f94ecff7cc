"""A game: the model run month by month with humans choosing for some of the actors.

A month of a game has up to three steps:

1. **moves** - :meth:`DisputeModel.begin_month` has fired the month's scripted events and every
   actor has decided; each human player picks one of its actor's feasible options and may attach
   a settlement package (terms per negotiation issue, victims included or not). The instructor may
   inject an event, after which the simulated actors decide again.
2. **answers** - if a package will be tabled this month to a veto player a human plays, that
   human answers it. Which package will be tabled is found by carrying the month out on a copy of
   the model (:meth:`Game.preview_package`): the copy holds the same random state, so the real
   month tables the very same package.
3. **resolve** - :meth:`DisputeModel.finish_month` carries out the human moves instead of the
   AI's (the AI's decision is kept as advice for the debrief), negotiation and ratification at
   home run as in any simulation (the two-level game stays with the model), and the next month
   begins.

A game is deterministic given the scenario, the seed and the sequence of human inputs, so a
saved game is just those inputs (:meth:`Game.to_json`), and resuming replays them
(:meth:`Game.from_json`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.classroom import shocks
from sim.columns import EVENT_COLUMNS
from sim.decision import Option
from sim.errors import fail
from sim.model import DisputeModel
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.loader import sha256_of

GAME_FORMAT = "jk-dispute-sim game"
GAME_VERSION = 1
COLUMN = {name: k for k, name in enumerate(EVENT_COLUMNS)}


class MoveError(ValueError):
    """A move a player may not make now; the message is meant for the player."""


@dataclass(frozen=True)
class Package:
    """Settlement terms a human tables: a value in [0, 1] per negotiation issue."""

    terms: dict[str, float]
    victims_included: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"terms": dict(self.terms), "victims_included": self.victims_included}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Package:
        return cls({k: float(v) for k, v in data["terms"].items()},
                   bool(data.get("victims_included", False)))


@dataclass(frozen=True)
class Move:
    """One human player's turn for one actor: an option of the menu, perhaps with a package."""

    action: str
    targets: tuple[str, ...] = ()
    package: Package | None = None

    @property
    def option(self) -> Option:
        return Option(self.action, self.targets)

    @property
    def key(self) -> str:
        return option_key(self.option)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "targets": list(self.targets),
                "package": self.package.to_json() if self.package else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Move:
        package = data.get("package")
        return cls(str(data["action"]), tuple(data.get("targets") or ()),
                   Package.from_json(package) if package else None)


@dataclass
class MonthInputs:
    """Everything humans did in one month, in the order that matters for a replay."""

    month: str
    injections: list[str] = field(default_factory=list)
    moves: dict[str, Move] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "injections": list(self.injections),
                "moves": {a: m.to_json() for a, m in self.moves.items()},
                "answers": dict(self.answers)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonthInputs:
        return cls(str(data["month"]), list(data.get("injections") or []),
                   {a: Move.from_json(m) for a, m in (data.get("moves") or {}).items()},
                   {a: bool(v) for a, v in (data.get("answers") or {}).items()})


@dataclass(frozen=True)
class TabledPackage:
    """The package that will be tabled this month, as a player asked to answer sees it."""

    proposer: str
    terms: dict[str, float]
    victims_included: bool
    answerers: list[str]  # the human-played veto players asked to answer
    advice: dict[str, float]  # answerer -> the model's own probability of accepting


class Game:
    """A scenario played month by month; ``players`` are the actors humans play."""

    def __init__(self, loaded: LoadedScenario, players: list[str], seed: int | None = None):
        unknown = [p for p in players if p not in loaded.scenario.actors]
        if unknown:
            known = ", ".join(loaded.scenario.actors)
            raise fail(str(loaded.path), f"no actor {unknown[0]!r} to play; choose from {known}",
                       path="--as")
        if len(set(players)) != len(players):
            raise fail(str(loaded.path), "each actor can be played by one player only",
                       path="--as")
        self.loaded = loaded
        self.players = list(players)
        self.seed = loaded.scenario.meta.seed if seed is None else int(seed)
        # decisions are kept so that the debrief can show the model's view of human answers
        self.model = DisputeModel(loaded, self.seed, keep_decisions=True)
        self.history: list[MonthInputs] = []
        w = self.model.world  # the relations at the start, before any month is carried out
        self.initial_relations = {w.dyad_name(i, j): (float(w.tension[i, j]),
                                                      float(w.cooperation[i, j]))
                                  for i, j in w.dyads()}
        self.initial_indices = self.model.regional_indices()
        self.ended_early = False
        self.version = 0  # bumped on every change, so that web pages know when to refresh
        self._start_month()

    # --- state ----------------------------------------------------------------------------

    @property
    def scenario(self):
        return self.loaded.scenario

    @property
    def finished(self) -> bool:
        return self.ended_early or not self.model.running

    @property
    def month(self) -> str:
        return self.model.month

    @property
    def turn(self) -> int:
        """1-based number of the month being played."""
        return self.model.month_index + 1

    @property
    def turns(self) -> int:
        return len(self.model.months)

    @property
    def months_played(self) -> list[str]:
        return [m.month for m in self.history]

    def _start_month(self) -> None:
        self.model.begin_month()
        self.current = MonthInputs(self.model.month)
        self.version += 1

    def options(self, actor: str) -> list[Option]:
        """The actor's feasible options this month, in catalogue order."""
        return list(self.model.agent_by_id[actor].decision.options)

    def moved(self) -> list[str]:
        return [p for p in self.players if p in self.current.moves]

    def waiting_for(self) -> list[str]:
        return [p for p in self.players if p not in self.current.moves]

    # --- packages -------------------------------------------------------------------------

    def deal_in_force(self) -> bool:
        """While a deal binds the veto players, nobody tables a new one (as in the model)."""
        vetoes = self.scenario.negotiation.veto_players
        return any(self.model.agreements.in_force_between(a, b)
                   for a in vetoes for b in vetoes if a < b)

    def has_standing(self, actor: str) -> bool:
        """Whether the actor may table a package at all: a veto player, or a mediator as the
        model lets one table (an envoy allied to every veto player, see
        :func:`sim.negotiation.choose_proposer`)."""
        vetoes = self.scenario.negotiation.veto_players
        if actor in vetoes:
            return True
        w = self.model.world
        return self.model.agent_by_id[actor].mediation == "envoy" and all(
            w.alliance[w.index[actor], w.index[v]] for v in vetoes)

    def can_propose(self, actor: str) -> str | None:
        """None if the actor may table a package now, else the reason it may not."""
        action = self.model.catalogue.actions[self.model.action_by_tag["proposal"]]
        kind = self.model.agent_by_id[actor].kind
        if kind not in action.actor_kinds:
            return f"a {kind} cannot table a settlement; only a government can"
        if not self.has_standing(actor):
            parties = " and ".join(self.short_name(v)
                                   for v in self.scenario.negotiation.veto_players)
            return (f"only the parties to the deal ({parties}) and a mediator both trust can "
                    "table one")
        if self.deal_in_force():
            return "a deal is in force between the negotiating governments"
        proposer = self.tabled_by()
        if proposer is not None and proposer != actor:
            return f"{self.short_name(proposer)} has already tabled a package this month"
        return None

    def tabled_by(self) -> str | None:
        """The human player whose package is attached to a move this month, if any."""
        return next((a for a, m in self.current.moves.items() if m.package is not None), None)

    def victims_rule(self) -> str:
        """``required``, ``optional`` or ``excluded``: the scenario's rule on including victims."""
        return self.scenario.negotiation.victim_inclusion

    def _checked_package(self, actor: str, package: Package) -> Package:
        reason = self.can_propose(actor)
        if reason:
            raise MoveError(f"You cannot table a package now: {reason}.")
        issues = self.model.negotiation_issues
        for issue, value in package.terms.items():
            if issue not in issues:
                raise MoveError(f"{issue!r} is not negotiated here; the issues are "
                                f"{', '.join(issues)}.")
            if not 0.0 <= value <= 1.0:
                raise MoveError(f"{issue}: {value} is outside 0..1.")
        rule = self.victims_rule()
        included = {"required": True, "excluded": False}.get(rule, package.victims_included)
        return Package({k: round(float(v), 3) for k, v in package.terms.items()}, included)

    # --- human inputs ---------------------------------------------------------------------

    def set_move(self, actor: str, move: Move) -> Move:
        """Record (or replace) a human player's move for this month; raises MoveError."""
        self._check_open(actor)
        if move.option not in self.options(actor):
            raise MoveError(f"{move.action} -> {', '.join(move.targets) or 'nobody'} is not "
                            f"possible for {self.short_name(actor)} this month.")
        if move.package is not None:
            move = Move(move.action, move.targets, self._checked_package(actor, move.package))
        self.current.moves[actor] = move
        self.current.answers.clear()  # a changed move may change the package to answer
        self.version += 1
        return move

    def clear_move(self, actor: str) -> None:
        self._check_open(actor)
        self.current.moves.pop(actor, None)
        self.version += 1

    def set_answer(self, actor: str, accept: bool) -> None:
        if self.finished:
            raise MoveError("The game is over.")
        if actor not in self.players:
            raise MoveError(f"{actor} is not played by a human.")
        self.current.answers[actor] = bool(accept)
        self.version += 1

    def _check_open(self, actor: str) -> None:
        if self.finished:
            raise MoveError("The game is over.")
        if actor not in self.players:
            raise MoveError(f"{actor} is not played by a human.")

    # --- instructor injects ---------------------------------------------------------------

    def injectables(self) -> dict[str, str]:
        """Injection id -> label: the scenario's scripted events, then the shock menu."""
        menu = {f"event:{eid}": event.label for eid, event in self.scenario.events.items()
                if event.kind != "election"}
        menu.update({f"shock:{sid}": label for sid, label in shocks.menu(self.loaded).items()})
        return menu

    def inject(self, injection: str) -> list[str]:
        """Fire an event now; the simulated actors decide again in its light. Returns the human
        players whose chosen move is no longer possible (their move is withdrawn)."""
        if self.finished:
            raise MoveError("The game is over.")
        event_id, event = self._injected_event(injection)
        self.model._fire(event_id, event)  # the model's own handler: same effects as scheduled
        self.model.snapshot()
        self.model.agents.do("decide")
        self.current.injections.append(injection)
        dropped = [a for a, m in self.current.moves.items() if m.option not in self.options(a)]
        for actor in dropped:
            del self.current.moves[actor]
        self.current.answers.clear()
        self.version += 1
        return dropped

    def _injected_event(self, injection: str):
        kind, _, key = injection.partition(":")
        if kind == "event" and key in self.scenario.events:
            event = self.scenario.events[key]
            return key, event.model_copy(update={"label": f"(injected) {event.label}"})
        if kind == "shock":
            event = shocks.build(self.loaded, key)
            if event is not None:
                return f"shock_{key}", event
        raise MoveError(f"unknown event to inject: {injection!r}")

    # --- the month's package and its answers ----------------------------------------------

    def _choices(self) -> dict[str, Option]:
        return {a: m.option for a, m in self.current.moves.items()}

    def _player_package(self) -> tuple[str, dict[str, float], bool] | None:
        proposer = self.tabled_by()
        if proposer is None:
            return None
        package = self.current.moves[proposer].package
        return proposer, dict(package.terms), package.victims_included

    def _human_answerers(self, proposer: str) -> list[str]:
        vetoes = self.scenario.negotiation.veto_players
        return [p for p in self.players if p in vetoes and p != proposer]

    def preview_package(self) -> TabledPackage | None:
        """The package that will be tabled this month if the moves stay as they are, when a
        human-played veto player must answer it; None otherwise."""
        vetoes = self.scenario.negotiation.veto_players
        if self.finished or not any(p in vetoes for p in self.players) or self.deal_in_force():
            return None
        twin = copy.deepcopy(self.model)
        twin.decision_log = []
        twin.player_package = self._player_package()
        # every human veto player "accepts" in the copy so that each of them gets asked
        twin.player_answers = {p: True for p in self.players if p in vetoes}
        first_row = len(twin.rows_events)
        twin.finish_month(self._choices())
        proposal = next((row for row in twin.rows_events[first_row:]
                         if row[COLUMN["action"]] == twin.action_by_tag["proposal"]), None)
        if proposal is None:
            return None
        proposer = proposal[COLUMN["actor"]]
        answerers = self._human_answerers(proposer)
        if not answerers:
            return None
        terms, included = parse_terms(str(proposal[COLUMN["note"]]))
        advice = {d.actor: float(d.probabilities[1]) for _, d, negotiating in twin.decision_log
                  if negotiating and d.actor in answerers}
        return TabledPackage(proposer, terms, included, answerers, advice)

    # --- resolving a month ----------------------------------------------------------------

    def resolve(self) -> None:
        """Carry out the month with the humans' moves and answers, then begin the next one."""
        if self.finished:
            raise MoveError("The game is over.")
        model = self.model
        model.player_package = self._player_package()
        model.player_answers = dict(self.current.answers)
        model.finish_month(self._choices())
        # the model keeps these until a package is tabled; a human's input lasts one month
        model.player_package = None
        model.player_answers = {}
        self.history.append(self.current)
        if model.running:
            self._start_month()
        else:
            self.version += 1

    def end(self) -> None:
        """Stop the game now (the instructor's 'end game'): the debrief covers the months played."""
        self.ended_early = True
        self.version += 1

    # --- saving and replaying -------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GAME_FORMAT,
            "version": GAME_VERSION,
            "scenario": {"path": str(self.loaded.path),
                         "sha256": sha256_of(Path(self.loaded.path)),
                         "files": self.loaded.file_hashes(),
                         "overrides": self.loaded.overrides},
            "seed": self.seed,
            "players": self.players,
            "months": [m.to_json() for m in self.history],
            "current": None if self.finished else self.current.to_json(),
            "ended_early": self.ended_early,
        }

    def save(self, path: Path) -> Path:
        """Write the game as JSON (atomically: a crash never leaves half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(path.name + ".tmp")
        staging.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        staging.replace(path)
        return path

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "game") -> Game:
        """Rebuild a saved game by replaying its inputs on the same scenario and seed."""
        check_saved_game(data, where)
        scenario = data["scenario"]
        path = find_scenario(Path(scenario["path"]), Path(where).parent)
        if path is None:
            raise fail(where, f"the game's scenario {scenario['path']} is not there any more",
                       path="scenario.path")
        if sha256_of(path) != scenario["sha256"]:
            raise fail(where, f"{path} has changed since the game was saved; a replay would "
                              "not give the same game", path="scenario.sha256")
        loaded = load_scenario(path, scenario.get("overrides") or {})
        game = cls(loaded, list(data["players"]), int(data["seed"]))
        for k, month in enumerate(data["months"]):
            game.replay_month(MonthInputs.from_json(month), f"months[{k}]", where)
        if isinstance(data.get("current"), dict) and not game.finished:
            game.replay_month(MonthInputs.from_json(data["current"]), "current", where,
                              resolve=False)
        if data.get("ended_early"):
            game.end()
        return game

    @classmethod
    def load(cls, path: Path) -> Game:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
            raise fail(str(path), f"not a readable saved game ({err})") from None
        return cls.from_json(data, str(path))

    def replay_month(self, inputs: MonthInputs, field_path: str, where: str,
                     resolve: bool = True) -> None:
        """Apply a saved month's inputs; carry the month out unless it was still in progress."""
        if self.finished or inputs.month != self.month:
            raise fail(where, f"expected month {self.month if not self.finished else 'none'}, "
                              f"found {inputs.month}", path=field_path)
        try:
            for injection in inputs.injections:
                self.inject(injection)
            for actor, move in inputs.moves.items():
                self.set_move(actor, move)
            for actor, answer in inputs.answers.items():
                self.set_answer(actor, answer)
        except (MoveError, KeyError, TypeError, ValueError) as err:
            raise fail(where, str(err), path=field_path) from None
        if resolve:
            self.resolve()

    # --- names ----------------------------------------------------------------------------

    def short_name(self, actor: str) -> str:
        """'Capital (its government)' -> 'Capital'; a label that is no actor stays as is."""
        spec = self.scenario.actors.get(actor)
        return spec.name.split(" (")[0].strip() if spec else actor


def option_key(option: Option) -> str:
    """An option's identity in a form: ``action`` or ``action:T1+T2`` (never a list position,
    which changes from month to month)."""
    return f"{option.action}:{'+'.join(option.targets)}" if option.targets else option.action


def parse_option_key(text: str) -> Option:
    action, _, targets = str(text).partition(":")
    return Option(action, tuple(t for t in targets.split("+") if t))


def find_scenario(path: Path, beside: Path) -> Path | None:
    """The saved path, else a file of that name beside the saved game or among the shipped
    scenarios (a game saved on another computer or from another folder); the sha256 check
    that follows makes sure it is the same file."""
    from sim.shipped import scenarios_dir

    for candidate in (path, beside / path.name, scenarios_dir() / path.name):
        if candidate.is_file():
            return candidate
    return None


def parse_terms(note: str) -> tuple[dict[str, float], bool]:
    """The terms of a proposal from its event note (``compensation=0.70;apology=0.54`` with an
    optional ``;victims included``), as :mod:`sim.negotiation` writes it."""
    terms: dict[str, float] = {}
    included = False
    for part in note.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            terms[key.strip()] = float(value)
        elif part.strip() == "victims included":
            included = True
    return terms, included


def check_saved_game(data: Any, where: str) -> None:
    """A located error for anything that is not a saved game of this version."""
    if not isinstance(data, dict) or data.get("format") != GAME_FORMAT:
        raise fail(where, f"not a saved game (expected \"format\": \"{GAME_FORMAT}\")")
    if data.get("version") != GAME_VERSION:
        raise fail(where, f"saved by game format version {data.get('version')}; this is "
                          f"version {GAME_VERSION}", path="version")
    for key, kind in (("scenario", dict), ("seed", int), ("players", list), ("months", list)):
        if not isinstance(data.get(key), kind):
            raise fail(where, f"expected {kind.__name__}", path=key)
    for key in ("path", "sha256"):
        if not isinstance(data["scenario"].get(key), str):
            raise fail(where, "expected a string", path=f"scenario.{key}")
