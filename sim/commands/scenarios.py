"""``sim scenarios`` lists the shipped scenarios with the question each asks;
``sim scenarios copy NAME DIR`` copies one, with every file it needs, into DIR for editing."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from sim.shipped import copy_scenario, list_scenarios

WIDTH = 100


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "copy"], default="list",
                        help="list (default) or copy")
    parser.add_argument("name", nargs="?", help="copy: the shipped scenario's name")
    parser.add_argument("folder", nargs="?", type=Path, help="copy: the folder to copy into")
    parser.add_argument("--force", action="store_true", help="copy: overwrite existing files")


def run(args: argparse.Namespace) -> int:
    from sim.errors import fail

    if args.action == "copy":
        if not args.name or args.folder is None:
            raise fail("sim scenarios copy", "expected a scenario name and a folder: "
                                             "sim scenarios copy NAME DIR")
        copied = copy_scenario(args.name, args.folder, force=args.force)
        print(f"copied {len(copied)} files into {args.folder}/: "
              + ", ".join(p.name for p in copied))
        print(f"edit them, then: sim validate {copied[0]} && sim run {copied[0]}")
        return 0
    for shipped in list_scenarios():
        print(f"{shipped.name}: {shipped.title}")
        if shipped.question:
            print(textwrap.fill(shipped.question, WIDTH, initial_indent="    ",
                                subsequent_indent="    "))
    print("\nrun one by name (sim run thaw_2023) or copy it to edit "
          "(sim scenarios copy thaw_2023 my_scenarios/)")
    return 0
