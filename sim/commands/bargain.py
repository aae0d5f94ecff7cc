"""``sim bargain ACTORS.csv [--rounds N] [--range LOW HIGH]``: run the bargaining kernel on a table.

The CSV has one row per actor and the columns ``actor, capability`` followed by either
``position, salience`` (one issue) or ``position:<issue>, salience:<issue>`` pairs (several
issues, bargained independently). Other columns (``source``, notes...) are ignored, so a table
can carry the provenance of its numbers. The command prints, for each issue, one row per round
(round 0 is the input) with every actor's position, the weighted mean and the pairwise median,
then the forecast. Every problem in the file is reported as ``file:line: column: message``.
"""

from __future__ import annotations

import argparse
import csv
import math
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError, Problem, fail

POSITION, SALIENCE = "position", "salience"


@dataclass(frozen=True)
class ActorTable:
    """A validated bargaining table; ``position[i][k]`` is actor i on issue k."""

    actors: list[str]
    lines: list[int]  # CSV line of each actor, for located messages
    capability: list[float]
    issues: list[str]  # "" for a single unnamed issue
    position: list[list[float]]
    salience: list[list[float]]


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``bargain`` arguments."""
    parser.add_argument("table", metavar="ACTORS.csv", help="actor, capability, position, salience")
    parser.add_argument(
        "--rounds", type=_non_negative_int, default=5, help="rounds to run (default 5)"
    )
    parser.add_argument(
        "--range",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        dest="position_range",
        help="the issue scale (default: the smallest and largest input position per issue)",
    )


# ---------------------------------------------------------------------------------------------
# Reading and validating
# ---------------------------------------------------------------------------------------------


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of the non-blank rows; line numbers count from 1."""
    if not path.is_file():
        raise fail(str(path), "file not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise fail(str(path), f"not a readable CSV file ({err})") from None
    if not rows:
        raise fail(str(path), "empty table: expected a header and at least 2 actor rows")
    return [h.strip() for h in rows[0][1]], rows[1:]


def _issue_columns(file: str, header: list[str]) -> tuple[list[str], list[Problem]]:
    """The issues named by the header, and problems with missing or unpaired columns."""
    problems = [
        Problem(file, 1, name, "missing column")
        for name in ("actor", "capability")
        if name not in header
    ]
    named = {h.split(":", 1)[1] for h in header if h.startswith((POSITION + ":", SALIENCE + ":"))}
    single = POSITION in header or SALIENCE in header
    if single and named:
        problems.append(
            Problem(file, 1, POSITION, "use either position/salience or the :<issue> pairs")
        )
    if not single and not named:
        problems.append(
            Problem(file, 1, POSITION, "missing column (position, or position:<issue> pairs)")
        )
    issues = [""] if single else sorted(named, key=lambda i: _first_index(header, i))
    for issue in issues:
        for kind in (POSITION, SALIENCE):
            if _column(kind, issue) not in header:
                problems.append(Problem(file, 1, _column(kind, issue), "missing column"))
    return issues, problems


def _first_index(header: list[str], issue: str) -> int:
    return min(i for i, h in enumerate(header) if h.endswith(":" + issue))


def _column(kind: str, issue: str) -> str:
    return f"{kind}:{issue}" if issue else kind


def _number(file: str, line: int, column: str, text: str) -> tuple[float, list[Problem]]:
    """Parse a finite number, or report where it is not one."""
    try:
        value = float(text)
    except ValueError:
        return math.nan, [Problem(file, line, column, f"expected a number, got {text.strip()!r}")]
    if not math.isfinite(value):
        return math.nan, [Problem(file, line, column, f"expected a finite number, got {text!r}")]
    return value, []


def _checked(
    file: str, line: int, column: str, text: str, low: float, high: float
) -> tuple[float, list[Problem]]:
    """A number within [low, high]."""
    value, problems = _number(file, line, column, text)
    if problems:
        return value, problems
    if value < low:
        return value, [Problem(file, line, column, f"must be >= {low:g}, got {value:g}")]
    if value > high:
        return value, [Problem(file, line, column, f"must be <= {high:g}, got {value:g}")]
    return value, []


def load_table(path: str | Path) -> ActorTable:
    """Read and validate a bargaining CSV; raises :class:`InputError` listing every problem."""
    file = str(path)
    header, rows = _read_rows(Path(path))
    issues, problems = _issue_columns(file, header)
    if problems:
        raise InputError(problems)
    col = {name: header.index(name) for name in header}
    actors: list[str] = []
    lines: list[int] = []
    capability: list[float] = []
    position: list[list[float]] = []
    salience: list[list[float]] = []
    for line, row in rows:
        if len(row) != len(header):
            problems.append(
                Problem(file, line, "", f"expected {len(header)} fields, got {len(row)}")
            )
            continue
        name = row[col["actor"]].strip()
        if not name:
            problems.append(Problem(file, line, "actor", "empty actor name"))
        elif name in actors:
            problems.append(Problem(file, line, "actor", f"duplicate actor {name!r}"))
        actors.append(name)
        lines.append(line)
        cap, found = _checked(file, line, "capability", row[col["capability"]], 0.0, math.inf)
        capability.append(cap)
        problems += found
        pos_row, sal_row = [], []
        for issue in issues:
            pos_col, sal_col = _column(POSITION, issue), _column(SALIENCE, issue)
            pos, found = _number(file, line, pos_col, row[col[pos_col]])
            problems += found
            sal, found = _checked(file, line, sal_col, row[col[sal_col]], 0.0, 1.0)
            problems += found
            pos_row.append(pos)
            sal_row.append(sal)
        position.append(pos_row)
        salience.append(sal_row)
    if not problems and len(actors) < 2:
        line = rows[-1][0] if rows else 1
        problems.append(Problem(file, line, "actor", f"need at least 2 actors, got {len(actors)}"))
    if problems:
        raise InputError(problems)
    return ActorTable(actors, lines, capability, issues, position, salience)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def format_issue_table(
    actors: list[str], history: list[list[float]], means: list[float], medians: list[float]
) -> str:
    """One aligned row per round: round, each actor's position, mean, median."""
    headers = ["round", *actors, "mean", "median"]
    widths = [max(len(h), 7) for h in headers]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    for k, (positions, mean, median) in enumerate(zip(history, means, medians, strict=True)):
        cells = [str(k), *(f"{v:.3f}" for v in (*positions, mean, median))]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Load the table, run the rounds and print the tables and the forecast."""
    import numpy as np

    from sim.bargaining import run_rounds

    table = load_table(args.table)
    if args.position_range is not None and args.position_range[0] >= args.position_range[1]:
        raise fail(args.table, "--range LOW must be smaller than HIGH")
    position = np.array(table.position)
    if args.position_range is not None:
        low, high = args.position_range
        outside = (position < low) | (position > high)
        if outside.any():
            i, k = map(int, np.argwhere(outside)[0])
            column = _column(POSITION, table.issues[k])
            raise fail(args.table, f"outside --range {low:g}..{high:g}", table.lines[i], column)
    result = run_rounds(
        np.array(table.capability),
        position,
        np.array(table.salience),
        rounds=args.rounds,
        position_range=args.position_range,
    )
    n_issues = len(table.issues)
    print(
        f"Bargaining {args.table}: {len(table.actors)} actors, {n_issues} "
        f"issue{'s' if n_issues > 1 else ''}, {args.rounds} rounds"
    )
    forecasts = []
    for k, issue in enumerate(table.issues):
        print()
        if issue:
            print(f"issue: {issue}")
        print(
            format_issue_table(
                table.actors,
                result.history[:, :, k].tolist(),
                result.means[:, k].tolist(),
                result.medians[:, k].tolist(),
            )
        )
        forecasts.append(f"{issue + ' = ' if issue else ''}{result.means[-1, k]:.3f}")
    print()
    print(f"forecast (weighted mean after round {args.rounds}): {', '.join(forecasts)}")
    return 0
