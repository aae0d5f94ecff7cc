"""Playing the simulation: humans take the role of actors, month by month.

- :mod:`sim.classroom.game` - the game itself, shared by the terminal and the web: whose turn,
  feasible moves, settlement packages and answers, instructor injects, save and replay;
- :mod:`sim.classroom.views` - what a player sees (situation, menu, event log with reasons) as
  plain data, rendered as text by :mod:`sim.play` and as HTML by the web app;
- :mod:`sim.classroom.shocks` - the instructor's small menu of exogenous shocks;
- :mod:`sim.classroom.debrief` - the run folder and HTML debrief of a finished game;
- :mod:`sim.classroom.server` - ``sim classroom``: the web app (Starlette + uvicorn).

Only ``server`` needs the web packages; the rest works with the core dependencies.
"""
