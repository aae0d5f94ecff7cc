"""Benchmark: drawing every figure of a run folder and writing its report.

What the issue asks: for a 100-run folder, ``sim plot`` plus ``sim report`` (what ``sim run``
does after its runs) within 5 s on two cores. Each measurement runs in a fresh child process,
imports included, as a user's command would:

- **now**: the figures drawn once into ``figures/``, the report embedding those files;
- **twice** (the baseline, measured in the same run): the same, but the report draws every
  figure again in memory, as it did before the figures were drawn once.

It prints the seconds of each (wall and CPU), their ratio and the machine's load average beside
them. The folder defaults to a 100-run ensemble of the history scenario written once into a
temporary folder (about a minute); pass ``--folder DIR`` to reuse one. Not a test: it exits 0.

    python3 benchmarks/bench_figures.py [--folder DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0

NOW = """
from pathlib import Path
from sim.plots.plot_cmd import plot_run_folder
from sim.report import write_report
plot_run_folder(Path({folder!r}))
write_report(Path({folder!r}))
"""
TWICE = """
from pathlib import Path
import sim.report
from sim.plots.plot_cmd import plot_run_folder
plot_run_folder(Path({folder!r}))
sim.report.FIGURE_ORDER = (*sim.report.FIGURE_ORDER, "not drawn yet")  # forces a redraw
sim.report.write_report(Path({folder!r}))
"""


def timed(code: str, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``code`` in a fresh Python process, on a fresh copy of the
    folder (no figures from an earlier measurement)."""
    shutil.rmtree(folder / "figures", ignore_errors=True)
    (folder / "report.html").unlink(missing_ok=True)
    before = os.times()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code.format(folder=str(folder))], check=True,
                   cwd=ROOT)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, help="a run folder (default: a new 100-run one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "run"
            subprocess.run([sys.executable, "-m", "sim.cli", "run", "--runs", "100",
                            "--no-figures", "--quiet", "--out", str(folder)], check=True,
                           cwd=ROOT)
        else:
            folder = Path(tmp) / "run"
            shutil.copytree(args.folder, folder)
        print(f"{'what':<8} {'wall s':>8} {'cpu s':>8}   load average (1, 5, 15 min)")
        for k in range(args.repeat):
            for name, code in (("now", NOW), ("twice", TWICE)):
                wall, cpu = timed(code, folder)
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"{name:<8} {wall:8.2f} {cpu:8.2f}   {load}", flush=True)
                if name == "now":
                    now = wall
                else:
                    met = "met" if now <= TARGET_SECONDS else "not met"
                    print(f"  run {k + 1}: now / twice = {now / wall:.2f}; target "
                          f"{TARGET_SECONDS:.0f} s {met} (on an idle two-core machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
