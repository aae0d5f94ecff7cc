"""The ``sim`` command: one subcommand per job, each implemented in its own module.

A module named in :data:`COMMANDS` provides ``configure(parser)`` to add its arguments and
``run(args) -> int`` to do the work. Bad input files raise :class:`sim.errors.InputError`, which
is printed as located messages with exit code 2 (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sim import __version__
from sim.errors import InputError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("sim.scenario.validate_cmd", "check scenario files and summarise them"),
    "run": ("sim.run_cmd", "run a scenario as an ensemble and write tidy results and figures"),
    "explain": ("sim.explain", "why did an actor do what it did in a run"),
    "bargain": ("sim.bargaining_cmd", "run the expected-utility bargaining kernel on a CSV table"),
    "plot": ("sim.figures_cmd", "draw the figures of a run or experiment folder"),
    "report": ("sim.report", "write a self-contained HTML debrief of a run folder"),
    "experiment": ("sim.experiments.experiment_cmd", "run an experiment file: a designed ensemble"),
    "history": ("sim.history.history_cmd", "replay 2018-2023 and score it against the record"),
    "play": ("sim.play", "play actors turn by turn in the terminal (hot seat), then debrief"),
    "classroom": ("sim.classroom.server", "serve a classroom game: instructor and team pages"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Simulate the Japan-South Korea dispute and its effect on cooperation.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.configure(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._module.run(args) or 0)
    except InputError as err:
        print(str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
