"""``sim play SCENARIO --as ACTOR [--as ACTOR ...]``: a turn-based game in the terminal.

Each month every human player sees its actor's situation (relations, ties, approval at home,
where the issues stand against its goals, the talks, recent events with the simulated actors'
reasons) and picks a move from a numbered menu, optionally tabling a settlement package; the
simulated actors answer, and the month is carried out by the model. Several ``--as`` make a
hot-seat game. Input is read line by line from standard input, so a game can be scripted: a bad
line re-prompts, and the end of input saves the game and exits cleanly (resume it with
``--resume``). At the end the debrief is written: a run folder with the HTML report and, at each
human turn, what the model's own actor would have chosen and why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sim.classroom import views
from sim.classroom.game import Game, Move, MoveError, Package, TabledPackage
from sim.errors import fail

RULE = "=" * 78
HELP = """Type the number of a move to play it. Other commands:
  p  draft a settlement package to table with your move (terms per issue, victims or not)
  c  cancel the package you drafted
  v  view your situation again
  s  save the game now
  q  save and quit (resume later with: sim play --resume FILE)"""


class EndOfInput(Exception):
    """Standard input is exhausted (or the player quit): save and stop."""


class Terminal:
    """Line-based input and output; every prompt re-asks until the answer is usable."""

    def __init__(self, stdin: TextIO, stdout: TextIO):
        self.stdin, self.stdout = stdin, stdout

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def ask(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.say()
            raise EndOfInput
        return line.strip()

    def ask_number(self, prompt: str, default: float) -> float:
        while True:
            text = self.ask(prompt)
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                self.say("  Please type a number between 0 and 1 (or press Enter to keep it).")
                continue
            if 0.0 <= value <= 1.0:
                return value
            self.say("  The value must be between 0 and 1.")

    def ask_yes_no(self, prompt: str) -> bool:
        while True:
            text = self.ask(prompt).lower()
            if text in ("y", "yes"):
                return True
            if text in ("n", "no"):
                return False
            self.say("  Please answer y or n.")


# --- showing ----------------------------------------------------------------------------------


def show_situation(term: Terminal, game: Game, actor: str) -> None:
    s = views.situation(game, actor)
    leader = f" - {s['leader']}" if s["leader"] else ""
    term.say(RULE)
    term.say(f"{s['month']} (month {s['turn']} of {s['turns']})   You play {s['name']}{leader}")
    term.say(RULE)
    if s["approval"] is not None:
        term.say(f"Approval at home: {s['approval']:.0%}")
    term.say("Relations, each from 0 to 1             tension  cooperation")
    for r in s["relations"]:
        tag = " (ally)" if r["ally"] else " (adversary)" if r["adversary"] else ""
        term.say(f"  {(r['name'] + tag)[:36]:<36} {r['tension']:>7.2f} {r['cooperation']:>12.2f}")
    term.say("Ties in force: " + ("; ".join(s["ties"]) if s["ties"] else "none"))
    term.say("Issues, each from 0 to 1                  now  your goal  you care")
    for k in s["issues"]:
        star = "*" if k["negotiated"] else " "
        term.say(f" {star}{k['label'][:38]:<38} {k['now']:>5.2f} {k['goal']:>10.2f} "
                 f"{k['care']:>9.2f}")
        term.say(f"     0 = {k['zero']}")
        term.say(f"     1 = {k['one']}")
    term.say("  (* negotiated in a settlement package)")
    show_talks(term, game, s["talks"], s["deals"])
    show_events(term, s["events"], "Recent events (last month and this month so far)")


def show_talks(term: Terminal, game: Game, talks: dict, deals: list[dict]) -> None:
    for deal in deals:
        state = "in force" if deal["in_force"] else f"ended {deal['ended']} ({deal['end_reason']})"
        risk = (f", chance a signatory abandons it {deal['monthly_risk']:.1%} a month"
                if deal["in_force"] and deal["monthly_risk"] is not None else "")
        term.say(f"Deal {deal['label']} signed {deal['signed']} by "
                 f"{' and '.join(deal['signatories'])}: {terms_text(deal['terms'])}"
                 f"{'; victims included' if deal['victims_included'] else ''} - {state}{risk}")
    if talks["on_table"]:
        t = talks["on_table"]
        term.say(f"On the table this month: {t['proposer']}'s package "
                 f"{terms_text(t['terms'])}{'; victims included' if t['victims_included'] else ''}")
    elif talks["last"]:
        t = talks["last"]
        term.say(f"Last package tabled: {t['month']} by {t['proposer']}: {terms_text(t['terms'])}")
    if not talks["deal_in_force"]:
        term.say(f"Gap between the negotiators ({' and '.join(talks['veto_players'])}): "
                 f"{talks['gap']:.2f} (a package is tabled by itself when it is small)")


def terms_text(terms: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in terms.items())


def show_events(term: Terminal, events: list[dict], title: str) -> None:
    term.say(title + ":" if events else title + ": none")
    for e in events:
        to = f" -> {e['to']}" if e["to"] else ""
        line = f"  {e['month']} {e['who']}{to}: {e['what']}"
        if e["note"] and e["note"] != "played by a human":
            line += f" ({e['note']})"
        elif e["note"]:
            line += " [human player]"
        term.say(line)
        if e["why"]:
            term.say(f"      why: {e['why']}")


def show_menu(term: Terminal, game: Game, actor: str, package: Package | None) -> None:
    term.say(f"Your moves this month, {game.short_name(actor)}:")
    for item in views.menu(game, actor):
        term.say(f"  {item['number']:>2}. {item['text']}")
    reason = game.can_propose(actor)
    if reason:
        term.say(f"   p. (no package possible now: {reason})")
    elif package:
        term.say(f"   Package drafted: {terms_text(package.terms)}"
                 f"{'; victims included' if package.victims_included else ''} (c = cancel)")
    else:
        term.say("   p. draft a settlement package to table with your move")


# --- a human turn -----------------------------------------------------------------------------


def human_turn(term: Terminal, game: Game, actor: str, save: Path) -> None:
    """Ask one player for a move until a valid one is recorded."""
    show_situation(term, game, actor)
    package: Package | None = None
    show_menu(term, game, actor, package)
    count = len(game.options(actor))
    while True:
        text = term.ask(f"{game.short_name(actor)}, your move (1-{count}, p, v, s, q, ?): ").lower()
        if text in ("?", "h", "help"):
            term.say(HELP)
        elif text == "v":
            show_situation(term, game, actor)
            show_menu(term, game, actor, package)
        elif text == "s":
            term.say(f"Saved (months completed so far) to {game.save(save)}")
        elif text == "q":
            raise EndOfInput
        elif text == "p":
            package = draft_package(term, game, actor) or package
        elif text == "c":
            package = None
            term.say("Package cancelled.")
        elif text.isdigit() and 1 <= int(text) <= count:
            option = game.options(actor)[int(text) - 1]
            try:
                game.set_move(actor, Move(option.action, option.targets, package))
            except MoveError as err:
                term.say(f"  {err}")
                continue
            term.say(f"You chose: {views.option_text(game, option)}"
                     + (" and you table your package." if package else "."))
            return
        else:
            term.say(f"  Please type a number from 1 to {count}, or ? for help.")


def draft_package(term: Terminal, game: Game, actor: str) -> Package | None:
    reason = game.can_propose(actor)
    if reason:
        term.say(f"  You cannot table a package now: {reason}.")
        return None
    term.say("Draft a package: for each issue type a value from 0 to 1 (Enter keeps where it "
             "stands now).")
    terms = {}
    for issue in views.situation(game, actor)["issues"]:
        if not issue["negotiated"]:
            continue
        term.say(f"  {issue['label']}: 0 = {issue['zero']}; 1 = {issue['one']}")
        terms[issue["id"]] = term.ask_number(
            f"  {issue['id']} (now {issue['now']:.2f}, your goal {issue['goal']:.2f}): ",
            round(issue["now"], 2))
    rule = game.victims_rule()
    if rule == "optional":
        included = term.ask_yes_no("  Include the victims' groups in the deal? (y/n): ")
    else:
        included = rule == "required"
        term.say(f"  The victims' groups are {'included' if included else 'left out'} "
                 f"(the scenario's rule: {rule}).")
    term.say(f"Package drafted: {terms_text(terms)}{'; victims included' if included else ''}. "
             "It is tabled with the move you choose now.")
    return Package(terms, included)


def ask_answers(term: Terminal, game: Game, tabled: TabledPackage) -> None:
    for actor in tabled.answerers:
        if len(game.players) > 1:
            term.say(f"--- {game.short_name(actor)}, your answer please ---")
        term.say(f"{game.short_name(tabled.proposer)} tables a package: "
                 f"{terms_text(tabled.terms)}"
                 f"{'; victims included' if tabled.victims_included else '; victims left out'}.")
        for issue in views.situation(game, actor)["issues"]:
            if issue["id"] in tabled.terms:
                term.say(f"  {issue['id']}: now {issue['now']:.2f}, package "
                         f"{tabled.terms[issue['id']]:.2f}, your goal {issue['goal']:.2f}")
        term.say("  If you both accept, each government must still get it through at home.")
        game.set_answer(actor, term.ask_yes_no(f"{game.short_name(actor)}, accept? (y/n): "))


def play_month(term: Terminal, game: Game, save: Path) -> None:
    month = game.month
    for actor in game.players:
        if actor in game.current.moves:  # already moved before a save (never, but harmless)
            continue
        if len(game.players) > 1:
            term.say(f"\n>>> Pass the keyboard to {game.short_name(actor)} <<<")
        human_turn(term, game, actor, save)
    tabled = game.preview_package()
    if tabled is not None:
        ask_answers(term, game, tabled)
    game.resolve()
    done = [views.event_view(game, row) for row in game.model.rows_events if row[0] == month]
    term.say()
    show_events(term, done, f"What happened in {month}")


def play(term: Terminal, game: Game, save: Path, autosave: bool) -> None:
    """Play every remaining month."""
    while not game.finished:
        play_month(term, game, save)
        if autosave:
            game.save(save)


# --- the command ------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", type=Path, default=None,
                        help="scenario file (default: scenarios/classroom.yaml)")
    parser.add_argument("--as", dest="players", action="append", default=[], metavar="ACTOR",
                        help="an actor you play (repeat for a hot-seat game)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed (default: the scenario's meta.seed)")
    parser.add_argument("--save", type=Path, default=None,
                        help="save the game here after every month (and when input ends)")
    parser.add_argument("--resume", type=Path, default=None, help="resume a saved game")
    parser.add_argument("--out", type=Path, default=None,
                        help="debrief folder (default: runs/play-SCENARIO-seedS)")
    parser.add_argument("--force", action="store_true",
                        help="replace a debrief folder written before")


def new_or_resumed(args: argparse.Namespace) -> Game:
    from sim.scenario import load_scenario
    from sim.shipped import CLASSROOM_SCENARIO, resolve_scenario

    if args.resume is not None:
        game = Game.load(args.resume)
        if args.players and args.players != game.players:
            raise fail(str(args.resume), f"this game is played as {', '.join(game.players)}; "
                                         "leave out --as when resuming", path="--as")
        return game
    if not args.players:
        raise fail("sim play", "say which actor you play, e.g. --as " +
                   next(iter(load_scenario(resolve_scenario(args.scenario, CLASSROOM_SCENARIO))
                             .scenario.actors)), path="--as")
    loaded = load_scenario(resolve_scenario(args.scenario, CLASSROOM_SCENARIO))
    return Game(loaded, args.players, args.seed)


def run(args: argparse.Namespace, stdin: TextIO | None = None,
        stdout: TextIO | None = None) -> int:
    term = Terminal(stdin or sys.stdin, stdout or sys.stdout)
    game = new_or_resumed(args)
    stem = Path(game.loaded.path).stem
    save = args.save or args.resume or Path(f"play-{stem}-seed{game.seed}.json")
    if game.history:
        term.say(f"Resumed {stem} at {game.month} ({len(game.history)} months replayed).")
    else:
        term.say(f"{game.scenario.meta.title}\n{game.scenario.meta.description.strip()}")
        term.say("Type ? at any prompt for help.")
    try:
        play(term, game, save, autosave=args.save is not None or args.resume is not None)
    except EndOfInput:
        term.say(f"Input ended: game saved to {game.save(save)}")
        term.say(f"Resume with: sim play --resume {save}")
        return 0
    game.save(save)
    out = args.out or Path("runs") / f"play-{stem}-seed{game.seed}"
    term.say(f"\nThe game is over. Writing the debrief to {out}/ ...")
    from sim.classroom.debrief import write_debrief

    report = write_debrief(game, out, force=args.force)
    term.say(f"Debrief: {report}")
    term.say(f"Your turns beside the model's own choices: {out / 'advice.csv'}")
    return 0
