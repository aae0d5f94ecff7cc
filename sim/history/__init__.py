"""History replay: run the 2018-2023 scenario, score it against the record, and calibrate.

- :mod:`sim.history.reference` reads the record and its mapping (shipped, ``scenarios/reference/``);
- :mod:`sim.history.series` turns an ensemble (records or a run folder) into the dyad's series;
- :mod:`sim.history.scoring` computes the scores (turning points, event kinds, shape);
- :mod:`sim.history.figure` draws the history figure;
- :mod:`sim.history.calibrate` fits behavioural parameters on the in-sample window;
- the ``sim history`` command is :mod:`sim.commands.history`.

See ``docs/validation.md`` for the scores and what they say about the model.
"""
