"""A small synthetic run folder written to the contract in docs/output-format.md.

Plot and report tests build on it instead of on the simulation: 3 actors, 3 dyads, 24 months,
5 runs, a few events per month (two of them scripted) and 3 agreements, one still in force.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import columns

ACTORS = {
    "KOR": {"name": "South Korea", "kind": "state", "colour": "#0072B2"},
    "JPN": {"name": "Japan", "kind": "state", "colour": "#D55E00"},
    "USA": {"name": "United States", "kind": "state", "colour": "#009E73"},
}
KEY_DYADS = ["JPN-KOR", "JPN-USA", "KOR-USA"]
SCRIPTED = [
    {"month": "2018-10", "id": "court-ruling", "label": "Supreme Court orders firms to pay"},
    {"month": "2019-08", "id": "gsomia-notice", "label": "GSOMIA termination notice deadline"},
]
# action, cameo, goldstein, quad_class
ACTIONS = [
    ("praise", "051", 3.4, 1),
    ("summit", "057", 8.0, 2),
    ("criticise", "111", -2.0, 3),
    ("export_controls", "163", -8.0, 4),
]
UTILITIES = list(columns.UTILITY_COLUMNS)
EVENT_COLUMNS = ["run", *columns.EVENT_COLUMNS]


def month_list(start: str, count: int) -> list[str]:
    """``count`` consecutive 'YYYY-MM' months from ``start``."""
    return [str(p) for p in pd.period_range(start, periods=count, freq="M")]


def manifest(runs: int, months: list[str], seed: int) -> dict[str, Any]:
    """The manifest of the synthetic run."""
    return {
        "tool": "jk-dispute-sim", "version": "0.1.0", "mesa": "3.3.1", "python": "3.11.7",
        "created": "2026-11-23T01:02:03Z",
        "scenario": {
            "path": "scenarios/synthetic.yaml", "title": "Synthetic test scenario",
            "description": "A made-up scenario for testing figures & the <report>.",
            "files": [{"path": "scenarios/synthetic.yaml", "sha256": "0" * 64}],
            "start": months[0], "end": months[-1],
        },
        "seed": seed, "runs": runs, "run_seeds": [seed + i for i in range(runs)],
        "levers": {"us_mediation": "passive", "victims_in_deal": False},
        "parameters": {"choice_temperature": 0.25, "forgiveness": 0.1},
        "actors": ACTORS,
        "key_dyads": KEY_DYADS,
        "trilateral": ["USA", "JPN", "KOR"],
        "administrations": [
            {"actor": "KOR", "leader": "Leader K1", "camp": "progressive",
             "start": "2017-05", "end": "2019-05"},
            {"actor": "KOR", "leader": "Leader K2", "camp": "conservative", "start": "2019-05"},
            {"actor": "JPN", "leader": "Leader J1", "camp": "conservative",
             "start": "2012-12", "end": "2020-09"},
        ],
        "scripted_events": SCRIPTED,
        "sources": {
            "usip-2023-mend-ties": {"title": "How to mend ties", "outlet": "USIP",
                                    "date": "2023-03-20"},
        },
    }


def dyad_path(dyad: str, n: int) -> np.ndarray:
    """Mean tension path of a dyad: the key dyad rises after month 9, peaks, then eases."""
    t = np.arange(n)
    if dyad == "JPN-KOR":
        return 0.35 + 0.4 * np.exp(-(((t - 19) / 5.0) ** 2)) * (t >= 9) + 0.05 * (t >= 9)
    return np.full(n, 0.2 if dyad == "JPN-USA" else 0.3)


def trajectories(rng: np.random.Generator, runs: int, months: list[str]) -> pd.DataFrame:
    """One row per run, month and dyad, with run-to-run noise."""
    rows = []
    for run in range(runs):
        for dyad in KEY_DYADS:
            tension = np.clip(dyad_path(dyad, len(months)) + rng.normal(0, 0.05, len(months)), 0, 1)
            coop = np.clip(0.9 - tension + rng.normal(0, 0.03, len(months)), 0, 1)
            for i, month in enumerate(months):
                rows.append({"run": run, "month": month, "dyad": dyad, "tension": tension[i],
                             "cooperation": coop[i], "goldstein": round(-10 * tension[i] + 4, 1),
                             "ties": "gsomia;white_list" if tension[i] < 0.6 else ""})
    return pd.DataFrame(rows).sort_values(["run", "month", "dyad"])


def decision_event(rng: np.random.Generator, run: int, month: str) -> dict[str, Any]:
    """A random decision with a utility breakdown."""
    actor, target = rng.choice(list(ACTORS), size=2, replace=False)
    action, cameo, goldstein, quad = ACTIONS[int(rng.integers(len(ACTIONS)))]
    parts = dict(zip(UTILITIES, np.round(rng.normal(0, 0.3, len(UTILITIES)), 4), strict=True))
    return {"run": run, "month": month, "actor": actor, "target": target, "action": action,
            "cameo": cameo, "goldstein": goldstein, "quad_class": quad, "scripted": "false",
            "probability": round(float(rng.uniform(0.2, 0.9)), 4),
            "u_total": round(sum(parts.values()), 4), **parts, "note": ""}


def scripted_event(run: int, event: dict[str, str]) -> dict[str, Any]:
    """A scripted (exogenous) event: blank utilities, source label as actor."""
    return {"run": run, "month": event["month"], "actor": "COURT-KOR", "target": "JPN",
            "action": event["id"], "cameo": "1711", "goldstein": -5.0, "quad_class": 4,
            "scripted": "true", "probability": "", "u_total": "", **dict.fromkeys(UTILITIES, ""),
            "note": event["label"]}


def events(rng: np.random.Generator, runs: int, months: list[str]) -> pd.DataFrame:
    """Two or three decisions a month per run, plus the scripted events in every run."""
    rows = [scripted_event(run, e) for run in range(runs) for e in SCRIPTED]
    for run in range(runs):
        for month in months:
            rows += [decision_event(rng, run, month) for _ in range(int(rng.integers(2, 4)))]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values(["run", "month", "actor"],
                                                                 kind="stable")


def agreements() -> pd.DataFrame:
    """Three deals: two ended (one of each kind), one victim-inclusive still in force."""
    rows = [
        (0, "deal-0-1", "compensation=0.6;apology=0.4", "JPN;KOR", "false", "2018-03", "2019-02",
         "collapse"),
        (1, "deal-1-1", "compensation=0.5;apology=0.7", "JPN;KOR", "true", "2019-01", "",
         "in force"),
        (3, "deal-3-1", "trade=0.9", "JPN;KOR;USA", "true", "2018-06", "2018-12", "collapse"),
    ]
    return pd.DataFrame(rows, columns=["run", "id", "terms", "signatories", "victims_included",
                                       "signed", "ended", "end_reason"])


def in_force(deals: pd.DataFrame, index: pd.MultiIndex, horizon: str) -> pd.Series:
    """Agreements in force per (run, month): from the month signed until the month ended."""
    counts = pd.Series(0, index=index)
    for deal in deals.itertuples():
        for month in pd.period_range(deal.signed, deal.ended or horizon, freq="M"):
            if str(month) != deal.ended and (deal.run, str(month)) in counts.index:
                counts[(deal.run, str(month))] += 1
    return counts


def indices(traj: pd.DataFrame, evts: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """Regional indices derived from the synthetic trajectories, events and agreements."""
    by = traj.groupby(["run", "month"])
    out = pd.DataFrame({
        "regional_tension": by["tension"].mean(),
        "trilateral_cohesion": ((by["cooperation"].mean() - by["tension"].mean()) + 1) / 2,
    })
    out["agreements_in_force"] = in_force(deals, out.index, traj["month"].max())
    coercive = evts[evts["quad_class"] == 4].groupby(["run", "month"]).size()
    out["coercive_acts"] = coercive.reindex(out.index, fill_value=0)
    return out.reset_index()


def write_synthetic_run(folder: Path, runs: int = 5, n_months: int = 24, seed: int = 7) -> Path:
    """Write the run folder's tables and manifest into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    months = month_list("2018-01", n_months)
    traj = trajectories(rng, runs, months)
    evts = events(rng, runs, months)
    deals = agreements()
    tables = {"trajectories.csv": traj, "events.csv": evts, "agreements.csv": deals,
              "indices.csv": indices(traj, evts, deals)}
    for name, table in tables.items():
        table.to_csv(folder / name, index=False, float_format="%.6g")
    (folder / "manifest.json").write_text(json.dumps(manifest(runs, months, seed), indent=2))
    return folder
