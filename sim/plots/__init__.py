"""Figures of a run folder: the pictures a paper or a classroom debrief is built on.

``style`` fixes colours and font sizes for every figure, ``figures`` draws them from tables (no
file I/O), ``plot_cmd`` reads a run folder and writes ``DIR/figures/`` (the ``sim plot`` command).
"""
