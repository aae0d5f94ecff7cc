"""The command-line commands, one module each, wired by :mod:`sim.cli`.

Each module provides ``configure(parser)`` (its arguments, importing nothing heavy, so that
``sim --help`` starts at once) and ``run(args) -> int`` (the work). Shared arguments are in
:mod:`sim.commands.arguments`. Commands that live beside the code they drive:
``sim validate`` (:mod:`sim.scenario.validate_cmd`), ``sim bargain`` (:mod:`sim.bargaining_cmd`),
``sim plot`` (:mod:`sim.plots.plot_cmd`), ``sim report`` (:mod:`sim.report`), ``sim explain``
(:mod:`sim.explain`), ``sim play`` (:mod:`sim.play`), ``sim classroom``
(:mod:`sim.classroom.server`).
"""
