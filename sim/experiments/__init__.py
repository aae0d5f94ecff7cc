"""Experiments: questions asked of the model in files (``experiments/*.yaml``), run at any scale
and answered with numbers and their uncertainty.

``sim experiment FILE`` reads an experiment (:mod:`~sim.experiments.loader`), builds its design
points and per-run seeds (:mod:`~sim.experiments.design`), runs them on this process, local worker
processes or a Dask cluster with results streamed to part files and resumable
(:mod:`~sim.experiments.runner`, :mod:`~sim.experiments.worker`), computes the outcomes
(:mod:`~sim.experiments.outcomes`), then summaries, comparisons and sensitivity indices
(:mod:`~sim.experiments.analysis`), tables and a manifest (:mod:`~sim.experiments.results`) and
figures (:mod:`~sim.experiments.figures`). The format is documented in ``experiments/README.md``.
"""

from sim.experiments.loader import load_experiment
from sim.experiments.runner import run_experiment
from sim.experiments.schema import Experiment

__all__ = ["Experiment", "load_experiment", "run_experiment"]
