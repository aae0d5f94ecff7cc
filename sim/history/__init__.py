"""History replay: run the 2018-2023 scenario, score it against the record, and calibrate.

- :mod:`sim.history.reference` reads the record and its mapping (shipped, ``scenarios/reference/``);
- :mod:`sim.history.series` turns an ensemble (records or a run folder) into the dyad's series;
- :mod:`sim.history.scoring` computes the scores (turning points, event kinds, shape);
- :mod:`sim.history.figure` draws the history figure;
- :mod:`sim.history.calibrate` fits behavioural parameters to the in-sample window by ABC-SMC
  (pyabc), with its priors and settings read by :mod:`sim.history.calibration_file`, its
  folder and report written by :mod:`sim.history.calibration_run` and its figures drawn by
  :mod:`sim.history.calibration_figures`;
- the ``sim history`` command is :mod:`sim.commands.history`.

See ``docs/validation.md`` for the scores and what they say about the model.
"""
