"""Regenerate the golden tables: ``python3 tests/golden/make_golden.py``.

The golden file is the contract of the engine: for the history, thaw and classroom scenarios
and a fixed set of seeds, the full tables a run writes. A change that alters them on purpose
regenerates them and says what changed and why in its commit message.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CASES = {  # scenario file -> (master seed, runs)
    "history_2018_2023": (20181030, 4),
    "thaw_2023": (7, 3),
    "classroom": (11, 3),
}
TABLES = ("trajectories", "indices", "events", "agreements", "status_quo")


def golden_tables(name: str) -> dict[str, bytes]:
    """The CSV bytes of every table of the golden runs of one scenario."""
    import tempfile

    from sim.ensemble import run_ensemble, spawn_seeds
    from sim.output import RunTables
    from sim.scenario import load_scenario

    seed, runs = CASES[name]
    loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        # one run a batch: the tables must not depend on how the rows were batched
        tables = RunTables(Path(tmp), batch_runs=1)
        for run, record in enumerate(run_ensemble(loaded, spawn_seeds(seed, runs), workers=1)):
            tables.add(run, record)
        paths = tables.close()
        return {table: paths[table].read_bytes() for table in TABLES}


def golden_path(name: str, table: str) -> Path:
    return HERE / name / f"{table}.csv.gz"


def main() -> int:
    for name in CASES:
        (HERE / name).mkdir(exist_ok=True)
        for table, data in golden_tables(name).items():
            # mtime=0: the compressed file is the same bytes whenever it is regenerated
            golden_path(name, table).write_bytes(gzip.compress(data, mtime=0))
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
