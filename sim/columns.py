"""The one definition of the event table's columns and of the utility components they log.

The model writes event rows in this order (:meth:`sim.model.DisputeModel.log_action`); the run
folder's ``events.csv`` adds a leading ``run`` column; the report, the classroom, the docs
(docs/output-format.md) and the tests read the columns by these names.
"""

from __future__ import annotations

# The named utility components of a decision (sim.decision); their sum is the option's utility.
COMPONENTS = ("position", "reciprocity", "domestic", "alliance", "threat", "cost", "disposition")
UTILITY_COLUMNS = tuple(f"u_{c}" for c in COMPONENTS)
EVENT_COLUMNS = ("month", "actor", "target", "action", "cameo", "goldstein", "quad_class",
                 "scripted", "probability", *UTILITY_COLUMNS, "u_total", "note")
