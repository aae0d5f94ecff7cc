"""Arguments shared by the commands that run ensembles (``sim run``, ``sim history``,
``sim experiment``)."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from sim.errors import fail

MAX_SEED = 2**32 - 1  # numpy's SeedSequence entropy and the scenario's meta.seed: 32 bits
TAG_LENGTH = 8
# a Dask scheduler address: [protocol://]host[:port], as dask.distributed accepts it
SCHEDULER_RE = re.compile(r"^(?:[a-z]+://)?[^\s/]+(?:/\S*)?$")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``--set path.to.field=value`` pairs; values are read as YAML scalars (safe)."""
    import yaml

    overrides: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path:
            raise fail("--set", f"expected PATH=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise fail("--set", f"cannot read the value of {item!r}") from None
        # YAML 1.1 reads off/on/yes/no as booleans; a lever option named `off` is meant
        if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
            value = text.strip()
        overrides[path.strip()] = value
    return overrides


def overrides_tag(overrides: dict[str, Any]) -> str:
    """A short hash of the overrides for default folder names ("" without any): two runs with
    different ``--set`` values never share a folder."""
    if not overrides:
        return ""
    text = json.dumps(overrides, sort_keys=True, default=str)
    return "-set" + hashlib.sha256(text.encode()).hexdigest()[:TAG_LENGTH]


def add_ensemble_arguments(parser: argparse.ArgumentParser, runs: int) -> None:
    parser.add_argument("--runs", type=int, default=runs, help=f"number of runs (default {runs})")
    parser.add_argument("--seed", type=int, default=None,
                        help="master seed, 0 to 2**32-1 (default: the scenario's meta.seed)")
    add_backend_arguments(parser)
    add_data_dir_argument(parser)
    add_output_arguments(parser)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a scenario value, e.g. levers.us_mediation.setting=envoy")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the runs run (:mod:`sim.ensemble`): local worker processes or a Dask cluster."""
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: all cores, at most 8; 1 runs in "
                             "this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask cluster, e.g. tcp://host:8786 (its "
                             "workers need this package and the scenario files)")


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", action="append", default=[], metavar="DIR",
                        help="a folder whose YAML files scenarios may extend or name as their "
                             "catalogue or sources (besides their own folder and the shipped "
                             "scenarios); may be repeated")


def check_backend_arguments(args: argparse.Namespace) -> None:
    if args.workers is not None and args.workers < 1:
        raise fail("--workers", "expected at least 1 worker")
    if args.scheduler is not None and not SCHEDULER_RE.match(args.scheduler):
        raise fail("--scheduler", f"expected a Dask scheduler address such as "
                                  f"tcp://host:8786, got {args.scheduler!r}")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: under runs/, named after the job)")
    parser.add_argument("--force", action="store_true",
                        help="replace an output folder this command wrote before")


def check_ensemble_arguments(args: argparse.Namespace) -> None:
    """One-line errors (exit 2) for values the ensemble cannot use."""
    if args.runs < 1:
        raise fail("--runs", "expected at least 1 run")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise fail("--seed", f"expected a seed from 0 to {MAX_SEED}, got {args.seed}")
    check_backend_arguments(args)
