"""The record a historical replay is scored against: the shipped ``scenarios/reference/``.

Two files, described in ``scenarios/reference/README.md``:

- ``events_2018_2023.csv``: the main events of 2018-2023 between the actors, coded as event data
  (CAMEO code, Goldstein value), each either ``exogenous`` (scripted in a replay) or
  ``endogenous`` (the yardstick a replay must reproduce from the actors' own decisions);
- ``event_mapping.yaml``: the scored dyad, the in-sample and out-of-sample windows, the turning
  points of MODEL.md section 7 (fact 6), every endogenous row's equivalent catalogue actions, and
  the event kinds that are scored.

Both are checked on loading; every problem is reported as ``file:line: field: expected`` in one
:class:`sim.errors.InputError` (never a traceback).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from sim.errors import InputError, Problem
from sim.months import shift_month
from sim.scenario.loader import LoadedScenario, validate_model
from sim.scenario.schema import Id, Month, Strict
from sim.scenario.yamlio import line_of, read_yaml
from sim.shipped import HISTORY_SCENARIO, reference_dir

EVENTS_FILE = "events_2018_2023.csv"
MAPPING_FILE = "event_mapping.yaml"
COLUMNS = ("id", "date", "actor", "target", "attributed_to", "description", "cameo",
           "goldstein", "role", "source", "label")
ROLES = ("exogenous", "endogenous")
HALF_RE = r"^\d{4}H[12]$"


# --- the record -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordEvent:
    """One row of the record."""

    id: str
    date: str  # YYYY-MM-DD
    actor: str
    targets: tuple[str, ...]  # "A+B" in the file: both
    attributed_to: str  # the modelled actor it counts for (a court counts for its government)
    description: str
    cameo: str
    goldstein: float
    role: str
    source: str
    label: str  # short label for figures; empty: the event is marked but not labelled
    line: int

    @property
    def month(self) -> str:
        return self.date[:7]

    @property
    def endogenous(self) -> bool:
        return self.role == "endogenous"


def read_record(path: Path) -> list[RecordEvent]:
    """Read and check the record file; raise InputError listing every bad row."""
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, 0, "", "no such file (or not a regular file)")])
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError([Problem(name, 1, "header", f"missing columns: {', '.join(missing)}")])
        rows = list(reader)
    events, problems = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        event = _record_row(row, number, name, problems)
        if event is not None:
            events.append(event)
    ids = [e.id for e in events]
    problems += [Problem(name, e.line, "id", f"duplicate id {e.id!r}")
                 for k, e in enumerate(events) if e.id in ids[:k]]
    if problems:
        raise InputError(problems)
    return events


def _record_row(row: dict[str, str], line: int, name: str,
                problems: list[Problem]) -> RecordEvent | None:
    before = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(Problem(name, line, field, message))

    if not re.fullmatch(r"[a-z][a-z0-9_]*", row["id"] or ""):
        bad("id", "expected a lower-case identifier, e.g. export_controls")
    try:
        date.fromisoformat(row["date"])
    except (TypeError, ValueError):
        bad("date", f"expected a date YYYY-MM-DD, got {row['date']!r}")
    try:
        goldstein = float(row["goldstein"])
        if not -10.0 <= goldstein <= 10.0:
            raise ValueError
    except (TypeError, ValueError):
        bad("goldstein", f"expected a number from -10 to 10, got {row['goldstein']!r}")
        goldstein = 0.0
    if not re.fullmatch(r"\d{3,4}", row["cameo"] or ""):
        bad("cameo", f"expected a CAMEO code of 3 or 4 digits, got {row['cameo']!r}")
    if row["role"] not in ROLES:
        bad("role", f"expected one of {', '.join(ROLES)}, got {row['role']!r}")
    for field in ("actor", "target", "description", "source"):
        if not (row[field] or "").strip():
            bad(field, "required value is empty")
    if len(problems) > before:
        return None
    return RecordEvent(
        id=row["id"], date=row["date"], actor=row["actor"],
        targets=tuple(row["target"].split("+")),
        attributed_to=row["attributed_to"] or row["actor"], description=row["description"],
        cameo=row["cameo"], goldstein=goldstein, role=row["role"], source=row["source"],
        label=row["label"], line=line,
    )


# --- the mapping ------------------------------------------------------------------------------


class Window(Strict):
    start: Month = Field(alias="from")
    end: Month = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"expected from <= to (got {self.start} and {self.end})")
        return self


class TurningPoints(Strict):
    ruling: Month
    span: int = Field(ge=1, le=36)
    peak: str = Field(pattern=HALF_RE)
    thaw: Month


class Kind(Strict):
    """An endogenous event kind: chosen acts of ``actors`` toward ``targets`` among ``actions``,
    either within [from, to] or within ``within`` months after the first event of kind ``after``.
    """

    label: str = Field(min_length=1, max_length=120)
    actors: list[str] = Field(min_length=1)
    targets: list[str] = Field(min_length=1)
    actions: list[Id] = Field(min_length=1)
    start: Month | None = Field(default=None, alias="from")
    end: Month | None = Field(default=None, alias="to")
    after: Id | None = None
    within: int | None = Field(default=None, ge=0, le=120)

    @model_validator(mode="after")
    def _one_window(self) -> Kind:
        fixed = self.start is not None and self.end is not None
        relative = self.after is not None and self.within is not None
        if fixed == relative:
            raise ValueError("give either from and to, or after and within")
        return self


class MappingFile(Strict):
    dyad: list[str] = Field(min_length=2, max_length=2)
    windows: dict[str, Window] = Field(min_length=1)
    turning_points: TurningPoints
    events: dict[Id, list[Id]]
    kinds: dict[Id, Kind] = Field(min_length=1)


@dataclass(frozen=True)
class Reference:
    """The record and how it is compared with a run."""

    events: list[RecordEvent]
    mapping: MappingFile
    folder: Path

    @property
    def dyad(self) -> tuple[str, str]:
        first, second = sorted(self.mapping.dyad)
        return first, second

    @property
    def dyad_name(self) -> str:
        """As in trajectories.csv: the two ids sorted and joined by '-'."""
        return "-".join(self.dyad)

    @property
    def windows(self) -> dict[str, tuple[str, str]]:
        return {name: (w.start, w.end) for name, w in self.mapping.windows.items()}

    @property
    def kinds(self) -> dict[str, Kind]:
        return self.mapping.kinds

    def window_of(self, month: str) -> str | None:
        """The name of the window a month falls in (None: in no window)."""
        return next((name for name, (lo, hi) in self.windows.items() if lo <= month <= hi), None)

    def dyad_rows(self) -> list[RecordEvent]:
        """Rows between the two actors of the dyad, as the model would score them: a court's
        ruling counts for its government (``attributed_to``)."""
        pair = set(self.dyad)
        return [e for e in self.events
                if e.attributed_to in pair and any(t in pair and t != e.attributed_to
                                                   for t in e.targets)]

    def rows_of_kind(self, kind_id: str) -> list[RecordEvent]:
        """Endogenous rows whose actors and mapped actions meet the kind's, in date order."""
        kind = self.kinds[kind_id]
        actions = set(kind.actions)
        return sorted((e for e in self.events if e.endogenous
                       and e.actor in kind.actors and set(e.targets) & set(kind.targets)
                       and actions & set(self.mapping.events.get(e.id, ()))),
                      key=lambda e: e.date)

    def recorded_month(self, kind_id: str) -> str | None:
        """The month the kind happened in the record (its first row within the kind's window,
        or within ``within`` months after the recorded month of ``after``)."""
        kind = self.kinds[kind_id]
        months = [e.month for e in self.rows_of_kind(kind_id)]
        if kind.after is not None:
            anchor = self.recorded_month(kind.after)
            if anchor is None:
                return None
            lo, hi = anchor, shift_month(anchor, kind.within or 0)
        else:
            lo, hi = kind.start or "", kind.end or ""
        return next((m for m in months if lo <= m <= hi), None)


def load_reference(folder: Path | None = None, catalogue_actions: set[str] | None = None
                   ) -> Reference:
    """Read the record and its mapping from ``folder`` (default: the shipped one) and check them
    against each other (every endogenous row mapped, every kind ordered after an existing
    kind) and, if given, against the catalogue's action ids."""
    folder = Path(folder) if folder is not None else reference_dir()
    events = read_record(folder / EVENTS_FILE)
    path = folder / MAPPING_FILE
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 1, "", "expected a mapping (dyad, windows, ...)")])
    mapping = validate_model(MappingFile, data, lines, str(path))
    problems = mapping_problems(events, mapping, catalogue_actions, str(path),
                                lambda key: lines.get(key, (str(path), 1))[1])
    if problems:
        raise InputError(problems)
    return Reference(events, mapping, folder)


def mapping_problems(events: list[RecordEvent], mapping: MappingFile,
                     catalogue_actions: set[str] | None, name: str,
                     line_of) -> list[Problem]:
    """Cross-checks between the record, the mapping and the catalogue."""
    problems = []
    ids = {e.id for e in events}
    for e in events:
        if e.endogenous and e.id not in mapping.events:
            problems.append(Problem(name, line_of(("events",)), f"events.{e.id}",
                                    "endogenous record row has no mapping to catalogue actions"))
    for rid, actions in mapping.events.items():
        if rid not in ids:
            problems.append(Problem(name, line_of(("events", rid)), f"events.{rid}",
                                    "no row of the record has this id"))
        for action in actions if catalogue_actions is not None else ():
            if action not in catalogue_actions:
                problems.append(Problem(name, line_of(("events", rid)), f"events.{rid}",
                                        f"unknown catalogue action {action!r}"))
    for kid, kind in mapping.kinds.items():
        anchor = mapping.kinds.get(kind.after or "")
        if kind.after is not None and (anchor is None or anchor.after is not None):
            # one level only: a chain of relative windows could loop
            problems.append(Problem(name, line_of(("kinds", kid, "after")), f"kinds.{kid}.after",
                                    f"expected a kind with its own from and to, got "
                                    f"{kind.after!r}"))
        for action in kind.actions if catalogue_actions is not None else ():
            if action not in catalogue_actions:
                problems.append(Problem(name, line_of(("kinds", kid, "actions")),
                                        f"kinds.{kid}.actions", f"unknown catalogue action "
                                                                f"{action!r}"))
    return problems


def check_replayable(loaded: LoadedScenario, reference: Reference) -> None:
    """A scenario replayed against the record must run through all of its windows and have the
    scored dyad's two actors; otherwise one message naming the file and the field."""
    meta = loaded.scenario.meta
    first = min(lo for lo, _ in reference.windows.values())
    last = max(hi for _, hi in reference.windows.values())
    lines = read_yaml(loaded.path)[1]
    problems = []
    if meta.start > first:
        problems.append(("meta", "start", f"a month no later than {first}, the record's first "
                         f"scored month; got {meta.start}"))
    if meta.end < last:
        problems.append(("meta", "end", f"a month no earlier than {last}, the record's last "
                         f"scored month; got {meta.end}"))
    missing = [actor for actor in reference.dyad if actor not in loaded.scenario.actors]
    if missing:
        problems.append(("actors", "", f"the scored dyad's actors {' and '.join(reference.dyad)}"
                         f" (missing: {', '.join(missing)})"))
    if problems:
        raise InputError([Problem(*line_of(lines, (section, name), str(loaded.path)),
                                  ".".join(p for p in (section, name) if p), f"expected {what}")
                          for section, name, what in problems])


def replay_name(scenario: Path) -> str:
    """The default output folder's prefix: ``history``, or ``history-<stem>`` for a scenario
    other than the shipped replay."""
    return "history" if scenario.stem == HISTORY_SCENARIO else f"history-{scenario.stem}"
