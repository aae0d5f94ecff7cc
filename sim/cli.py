"""The ``sim`` command: one subcommand per job, each implemented in its own module.

A module named in :data:`COMMANDS` provides ``configure(parser)`` to add its arguments and
``run(args) -> int`` to do the work. Only the module of the command being run is imported, so
``sim --help`` starts at once. Bad input raises :class:`sim.errors.InputError`, printed as
located messages with exit code 2; a file-system fault or a closed output pipe is one line and
exit code 2 as well (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from sim import __version__
from sim.errors import InputError

EXIT_BAD_INPUT = 2

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.commands.run", "run a scenario as an ensemble and write tidy results and figures"),
    "scenarios": ("sim.commands.scenarios", "list the shipped scenarios, or copy one to edit"),
    "validate": ("sim.commands.validate", "check scenario files and summarise them"),
    "explain": ("sim.explain", "why did an actor do what it did in a run"),
    "bargain": ("sim.commands.bargain", "run the expected-utility bargaining kernel on a table"),
    "plot": ("sim.commands.plot", "draw the figures of a run or experiment folder"),
    "report": ("sim.report", "write a self-contained HTML debrief of a run folder"),
    "experiment": ("sim.commands.experiment", "run an experiment file: a designed ensemble"),
    "history": ("sim.commands.history", "replay 2018-2023 and score it against the record"),
    "play": ("sim.play", "play actors turn by turn in the terminal (hot seat), then debrief"),
    "classroom": ("sim.classroom.server", "serve a classroom game: instructor and team pages"),
}


def requested_command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is one), if any."""
    return next((word for word in argv if word in COMMANDS), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the requested command's module is imported and configured (all of
    them when ``argv`` is None)."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Simulate the Japan-South Korea dispute and its effect on cooperation.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = requested_command(argv) if argv is not None else None
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if argv is None or name == wanted:
            module = importlib.import_module(module_name)
            module.configure(cmd)
            cmd.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args._module.run(args) or 0)
    except InputError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader went away (`sim validate ... | head -1`): stop writing to it quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("sim: output closed early (broken pipe)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"sim: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
