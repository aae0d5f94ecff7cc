"""An ensemble as the history scores see it: one dyad's monthly tension and Goldstein sums per
run, and every run's chosen events.

Built either from :class:`sim.model.RunRecord` objects in memory (calibration, where nothing is
written) or from a run folder's ``trajectories.csv`` and ``events.csv`` (``sim history``; the
columns are those of ``docs/output-format.md``), so that both paths are scored by the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model import RunRecord

# Column positions in RunRecord rows (sim.model: trajectories and events).
T_MONTH, T_DYAD, T_TENSION, T_GOLDSTEIN = 0, 1, 2, 4
E_MONTH, E_ACTOR, E_TARGET, E_ACTION, E_SCRIPTED = 0, 1, 2, 3, 7


@dataclass(frozen=True)
class SimEvent:
    """A chosen (never scripted) event of a run: what a kind is matched against."""

    month: str
    actor: str
    targets: tuple[str, ...]
    action: str


@dataclass
class DyadEnsemble:
    """Monthly series of one dyad over the runs of an ensemble (rows: runs; columns: months)."""

    months: list[str]
    tension: np.ndarray
    goldstein: np.ndarray
    events: list[list[SimEvent]]

    @property
    def runs(self) -> int:
        return int(self.tension.shape[0])


def from_records(records: Iterable[RunRecord], dyad: str) -> DyadEnsemble:
    """The dyad's series from records in memory."""
    tension, goldstein, events, months = [], [], [], None
    for record in records:
        rows = [row for row in record.trajectories if row[T_DYAD] == dyad]
        if months is None:
            months = [row[T_MONTH] for row in rows]
        tension.append([float(row[T_TENSION]) for row in rows])
        goldstein.append([float(row[T_GOLDSTEIN]) for row in rows])
        events.append([SimEvent(e[E_MONTH], e[E_ACTOR], tuple(str(e[E_TARGET]).split("+")),
                                e[E_ACTION]) for e in record.events if not e[E_SCRIPTED]])
    return DyadEnsemble(months or [], np.array(tension, dtype=float),
                        np.array(goldstein, dtype=float), events)


def from_run_folder(folder: Path, dyad: str) -> DyadEnsemble:
    """The dyad's series from a run folder written by ``sim run`` or ``sim history``."""
    traj = pd.read_csv(folder / "trajectories.csv", usecols=["run", "month", "dyad", "tension",
                                                              "goldstein"],
                       dtype={"month": str, "dyad": str})
    traj = traj[traj["dyad"] == dyad]
    tension = traj.pivot(index="run", columns="month", values="tension").sort_index()
    goldstein = traj.pivot(index="run", columns="month", values="goldstein").sort_index()
    ev = pd.read_csv(folder / "events.csv", usecols=["run", "month", "actor", "target", "action",
                                                     "scripted"],
                     dtype={"month": str, "actor": str, "target": str, "action": str},
                     keep_default_na=False)
    chosen = ev[ev["scripted"].astype(str).str.lower() != "true"]
    per_run: dict[int, list[SimEvent]] = {int(r): [] for r in tension.index}
    for run, month, actor, target, action in chosen[["run", "month", "actor", "target",
                                                     "action"]].itertuples(index=False):
        per_run.setdefault(int(run), []).append(
            SimEvent(month, actor, tuple(target.split("+")), action))
    return DyadEnsemble(list(tension.columns), tension.to_numpy(dtype=float),
                        goldstein.to_numpy(dtype=float), [per_run[int(r)] for r in tension.index])
