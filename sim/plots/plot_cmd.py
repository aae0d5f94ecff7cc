"""``sim plot DIR``: read a run folder (docs/output-format.md) and write its figures.

The folder is checked against the output contract before anything is drawn, so a missing file or
column ends in an :class:`~sim.errors.InputError` naming the file and what was expected (exit 2),
never in a traceback from deep inside pandas or matplotlib.
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.columns import EVENT_COLUMNS, UTILITY_COLUMNS
from sim.errors import InputError, Problem, fail

if TYPE_CHECKING:  # pandas and matplotlib load only when a folder is actually plotted
    import pandas as pd
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf")
MONTH_FORMAT = "%Y-%m"
FOLDER_HINT = "a run folder written by `sim run --out DIR`"

# file -> (columns in the contract's order, numeric columns that must be filled)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trajectories.csv": (
        ("run", "month", "dyad", "tension", "cooperation", "goldstein", "ties"),
        ("run", "tension", "cooperation", "goldstein"),
    ),
    "indices.csv": (
        ("run", "month", "regional_tension", "trilateral_cohesion", "agreements_in_force",
         "coercive_acts"),
        ("run", "regional_tension", "trilateral_cohesion", "agreements_in_force", "coercive_acts"),
    ),
    "events.csv": (
        ("run", *EVENT_COLUMNS),
        ("run", "goldstein", "quad_class"),
    ),
    "agreements.csv": (
        ("run", "id", "terms", "signatories", "victims_included", "signed", "ended", "end_reason"),
        ("run",),
    ),
}
OPTIONAL_NUMBERS = ("probability", *UTILITY_COLUMNS, "u_total")  # blank for scripted events
MONTHS = {"month": True, "signed": True, "ended": False}  # column -> must be filled
BOOLEANS = ("scripted", "victims_included")
TRUE_WORDS, FALSE_WORDS = {"true", "1"}, {"false", "0"}


@dataclass(frozen=True)
class RunFolder:
    """A checked run folder: the manifest and the four tidy tables, typed."""

    path: Path
    manifest: dict[str, Any]
    trajectories: pd.DataFrame
    indices: pd.DataFrame
    events: pd.DataFrame
    agreements: pd.DataFrame

    @property
    def months(self) -> list[str]:
        """The simulated months, in order."""
        return sorted(self.trajectories["month"].unique())

    @property
    def horizon(self) -> str:
        """The last simulated month, where agreements still in force are censored."""
        return self.months[-1]


# ---------------------------------------------------------------- reading and checking
def load_run_folder(path: Path) -> RunFolder:
    """Read and check a run folder; every problem found is reported in one InputError. The
    figures and then the report of one folder read it once (a cache keyed by the files' sizes
    and times, so a changed folder is read again)."""
    path = Path(path)
    if not path.is_dir():
        raise fail(str(path), f"not a directory; expected {FOLDER_HINT}")
    stamps = tuple((name, f.stat().st_size, f.stat().st_mtime_ns) if f.is_file() else (name,)
                   for name in ("manifest.json", *TABLES) for f in [path / name])
    return read_run_folder(path.resolve(), stamps)


@functools.lru_cache(maxsize=2)
def read_run_folder(path: Path, stamps: tuple) -> RunFolder:
    """The folder as read when its files had these ``stamps``."""
    problems: list[Problem] = []
    manifest = read_manifest(path / "manifest.json", problems)
    tables = {name: read_table(path / name, problems) for name in TABLES}
    if problems:
        raise InputError(problems)
    return RunFolder(path, manifest, tables["trajectories.csv"], tables["indices.csv"],
                     tables["events.csv"], tables["agreements.csv"])


def read_manifest(file: Path, problems: list[Problem]) -> dict[str, Any]:
    """The manifest as a dict, with the parts the figures rely on checked."""
    if not file.is_file():
        problems.append(Problem(str(file), 0, "", f"file not found; expected {FOLDER_HINT}"))
        return {}
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        line = getattr(err, "lineno", 0)
        problems.append(Problem(str(file), line, "", f"not valid JSON ({err})"))
        return {}
    if not isinstance(manifest, dict):
        problems.append(Problem(str(file), 0, "", "expected a JSON object"))
        return {}
    problems.extend(Problem(str(file), 0, where, what) for where, what in manifest_issues(manifest))
    return manifest


def manifest_issues(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what was expected) for each malformed part of a manifest."""
    issues = []
    actors = manifest.get("actors")
    if not isinstance(actors, dict) or not actors:
        issues.append(("actors", "expected an object of actor id -> {name, kind, colour}"))
    elif not all(isinstance(v, dict) for v in actors.values()):
        issues.append(("actors", "each actor must be an object with name, kind and colour"))
    if not all(isinstance(d, str) for d in list_field(manifest, "key_dyads", issues)):
        issues.append(("key_dyads", "expected a list of dyad ids like 'A-B'"))
    for field, keys in (("administrations", ("actor", "start")), ("scripted_events", ("month",))):
        for i, item in enumerate(list_field(manifest, field, issues)):
            if not isinstance(item, dict) or any(k not in item for k in keys):
                issues.append((f"{field}[{i}]", f"expected an object with {', '.join(keys)}"))
            elif not all(is_month(item.get(k)) for k in ("start", "end", "month") if item.get(k)):
                issues.append((f"{field}[{i}]", "expected months as YYYY-MM"))
    return issues


def list_field(manifest: Mapping[str, Any], field: str, issues: list[tuple[str, str]]) -> list:
    """An optional list field, or [] (noting the problem) when it is something else."""
    value = manifest.get(field, [])
    if isinstance(value, list):
        return value
    issues.append((field, "expected a list"))
    return []


def is_month(value: Any) -> bool:
    """True for a 'YYYY-MM' string."""
    from datetime import datetime

    try:
        datetime.strptime(str(value), MONTH_FORMAT)
    except ValueError:
        return False
    return len(str(value)) == 7


def read_table(file: Path, problems: list[Problem]) -> pd.DataFrame:
    """One CSV of the contract, typed; problems are appended, never raised one at a time."""
    import pandas as pd

    columns, numeric = TABLES[file.name]
    if not file.is_file():
        problems.append(Problem(str(file), 0, "", f"file not found; expected {FOLDER_HINT}"))
        return pd.DataFrame(columns=list(columns))
    try:
        # All as text first: blanks stay blank and ids like 'NA' are not read as missing.
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        problems.append(Problem(str(file), 0, "", f"not a readable CSV table ({err})"))
        return pd.DataFrame(columns=list(columns))
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        problems.append(Problem(str(file), 1, "", f"missing column(s) {', '.join(missing)}; "
                                f"expected {', '.join(columns)}"))
        return pd.DataFrame(columns=list(columns))
    if file.name == "trajectories.csv" and raw.empty:
        problems.append(Problem(str(file), 0, "", "no rows; expected one row per run, month and "
                                "dyad"))
    return typed_table(raw, file, numeric, problems)


def typed_table(
    raw: pd.DataFrame, file: Path, numeric: Sequence[str], problems: list[Problem]
) -> pd.DataFrame:
    """Convert the contract's numeric, month and boolean columns, locating bad cells."""
    import pandas as pd

    table = raw.copy()
    for column in table.columns:
        blank = table[column].str.strip() == ""
        if column in numeric or column in OPTIONAL_NUMBERS:
            values = pd.to_numeric(table[column].where(~blank), errors="coerce")
            bad = values.isna() if column in numeric else values.isna() & ~blank
            note_bad(problems, file, column, bad, "expected a number")
            table[column] = values
        elif column in MONTHS:
            parsed = pd.to_datetime(table[column], format=MONTH_FORMAT, errors="coerce")
            bad = parsed.isna() if MONTHS[column] else parsed.isna() & ~blank
            note_bad(problems, file, column, bad, "expected a month as YYYY-MM")
            table[column] = table[column].where(~blank)
        elif column in BOOLEANS:
            words = table[column].str.strip().str.lower()
            note_bad(problems, file, column, ~words.isin(TRUE_WORDS | FALSE_WORDS),
                     "expected true or false")
            table[column] = words.isin(TRUE_WORDS)
    return table


def note_bad(
    problems: list[Problem], file: Path, column: str, bad: pd.Series, expected: str
) -> None:
    """One problem per column: the first bad row's line, and how many rows are bad."""
    if not bad.any():
        return
    first = int(bad.to_numpy().nonzero()[0][0])
    more = f" ({int(bad.sum())} rows)" if bad.sum() > 1 else ""
    problems.append(Problem(str(file), first + 2, column, f"{expected}{more}"))


# ---------------------------------------------------------------- figures
def parse_months(text: str | None, run: RunFolder) -> list[str] | None:
    """'2019-08,2023-03' -> months of the run, checked; None keeps the figure's default."""
    if not text:
        return None
    months = [m.strip() for m in text.split(",") if m.strip()]
    known = set(run.months)
    unknown = [m for m in months if m not in known]
    if unknown:
        raise fail("--months", f"{', '.join(unknown)}: not among the simulated months; "
                   f"expected YYYY-MM between {run.months[0]} and {run.horizon}")
    return months


def build_figures(run: RunFolder, network_months: Sequence[str] | None = None) -> dict[str, Figure]:
    """Every figure of a run, by file stem, in reading order (one game has no survival curve:
    a Kaplan-Meier estimate of one or two deals says nothing)."""
    from sim.plots import figures

    drawn = {
        "trajectories": figures.trajectory_figure(run.trajectories, run.manifest,
                                                  events=run.events),
        "tension_heatmap": figures.tension_heatmap(run.trajectories, run.manifest),
        "network": figures.network_figure(run.trajectories, run.manifest, network_months),
        "indices": figures.indices_figure(run.indices, run.manifest),
        "events": figures.event_timeline(run.events, run.manifest, run.months),
    }
    if figures.run_count(run.trajectories, run.manifest) > 1:
        drawn["agreements"] = figures.agreement_survival(run.agreements, run.manifest,
                                                         run.horizon)
    return drawn


def save_figure(fig: Figure, file: Path) -> Path:
    """Save without timestamps or tool URLs, so the same run gives the same files."""
    import matplotlib as mpl

    fmt = file.suffix.lstrip(".")
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None, "Producer": None}}[fmt]
    with mpl.rc_context({"svg.hashsalt": "jk-dispute-sim"}):  # SVG ids are random otherwise
        fig.savefig(file, format=fmt, metadata=metadata)
    return file


def plot_run_folder(
    path: Path, fmt: str = "png", months: Sequence[str] | None = None
) -> list[Path]:
    """Draw every figure of the run folder into ``path/figures/``; return the files written."""
    if fmt not in FORMATS:
        raise fail("--format", f"{fmt}: expected one of {', '.join(FORMATS)}")
    return write_figures(load_run_folder(Path(path)), fmt, months)


def write_figures(run: RunFolder, fmt: str, months: Sequence[str] | None) -> list[Path]:
    """Save every figure of a loaded run folder into its ``figures/`` subfolder."""
    out = run.path / "figures"
    out.mkdir(exist_ok=True)
    written = []
    for name, fig in build_figures(run, months).items():
        written.append(save_figure(fig, out / f"{name}.{fmt}"))
        fig.clear()  # release the artists now: large ensembles make heavy figures
    return written


# ---------------------------------------------------------------- command line
def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sim plot``."""
    parser.add_argument("dir", type=Path, metavar="DIR", help=f"{FOLDER_HINT}")
    parser.add_argument("--format", choices=FORMATS, default="png",
                        help="image format of the figures (default: png)")
    parser.add_argument("--months", metavar="YYYY-MM,...",
                        help="months of the network figure, comma-separated "
                             "(default: start, peak key-dyad tension, end)")


def run(args: argparse.Namespace) -> int:
    """Write the figures of a run folder and list them."""
    folder = load_run_folder(args.dir)
    for file in write_figures(folder, args.format, parse_months(args.months, folder)):
        print(file)
    return 0
