"""``sim plot DIR``: draw the figures of a run folder (:mod:`sim.plots.plot_cmd`) or of an
experiment folder (:mod:`sim.experiments.figures`). This small dispatcher is the one module that
knows both, so that ``sim.plots`` never imports ``sim.experiments`` (which draws with
``sim.plots.style``): no import cycle."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.plots import plot_cmd


def is_experiment_folder(path: Path) -> bool:
    return (path / "outcomes.csv").is_file() and (path / "design.csv").is_file()


def configure(parser: argparse.ArgumentParser) -> None:
    plot_cmd.configure(parser)


def run(args: argparse.Namespace) -> int:
    """Write the figures and list them (a run folder, or an experiment folder)."""
    if is_experiment_folder(Path(args.dir)):
        from sim.experiments.figures import redraw_folder

        for file in redraw_folder(Path(args.dir)):
            print(file)
        return 0
    return plot_cmd.run(args)
