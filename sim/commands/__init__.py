"""The command-line commands, one module each, wired by :mod:`sim.cli`.

Each module provides ``configure(parser)`` (its arguments, importing nothing heavy, so that
``sim --help`` starts at once) and ``run(args) -> int`` (the work). Shared arguments are in
:mod:`sim.commands.arguments`. Commands whose module is also the code they drive live beside
it: ``sim report`` (:mod:`sim.report`), ``sim explain`` (:mod:`sim.explain`), ``sim play``
(:mod:`sim.play`), ``sim classroom`` (:mod:`sim.classroom.server`).
"""
