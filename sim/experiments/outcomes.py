"""Outcomes: named per-run metrics computed from a run's record (docs/output-format.md rows).

Each kind is a function ``(record, context, params) -> float`` registered in :data:`KINDS`;
``params`` is the outcome's entry of the experiment file as a plain dict (see
``experiments/README.md`` for every kind). A value that does not exist for a run (no agreement
was signed, so none can survive) is ``nan``, counted as *missing* in the summaries; booleans
are 1.0 and 0.0, so their mean is a proportion.

Windows: ``from`` and ``to`` (months, both included) default to the run's first and last month.
For agreement outcomes the window selects agreements by their signing month, so an agreement
inherited from before the scenario's start is left out unless ``from`` reaches back to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.agreements import Agreement
from sim.model import RunRecord
from sim.months import months_between

NAN = math.nan
# Column positions in RunRecord rows (sim.model: trajectories, indices, events).
T_MONTH, T_DYAD, T_TENSION, T_COOPERATION, T_GOLDSTEIN = 0, 1, 2, 3, 4
INDEX_COLUMN = {"regional_tension": 1, "trilateral_cohesion": 2, "agreements_in_force": 3,
                "coercive_acts": 4}
E_MONTH, E_ACTOR, E_TARGET, E_ACTION, E_QUAD, E_SCRIPTED = 0, 1, 2, 3, 6, 7


@dataclass(frozen=True)
class RunContext:
    """What outcomes need to know about the run besides its record."""

    start: str
    end: str


OutcomeFn = Callable[[RunRecord, RunContext, dict[str, Any]], float]


def _window(ctx: RunContext, p: dict[str, Any]) -> tuple[str, str]:
    return p.get("from") or ctx.start, p.get("to") or ctx.end


def _mean(values: list[float]) -> float:
    return float(sum(values) / len(values)) if values else NAN


def _dyad_column(column: int) -> OutcomeFn:
    def mean_of(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
        lo, hi = _window(ctx, p)
        return _mean([float(row[column]) for row in record.trajectories
                      if row[T_DYAD] == p["dyad"] and lo <= row[T_MONTH] <= hi])
    return mean_of


def goldstein_sum(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Sum of the Goldstein values of the dyad's events in the window (both directions)."""
    lo, hi = _window(ctx, p)
    return float(sum(float(row[T_GOLDSTEIN]) for row in record.trajectories
                     if row[T_DYAD] == p["dyad"] and lo <= row[T_MONTH] <= hi))


def mean_index(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Mean of a regional index (indices.csv column) over the window."""
    lo, hi = _window(ctx, p)
    col = INDEX_COLUMN[p["index"]]
    return _mean([float(row[col]) for row in record.indices if lo <= row[0] <= hi])


def mean_status_quo(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Mean of the status quo on one issue over the window (with from = to: its value then)."""
    lo, hi = _window(ctx, p)
    rows = getattr(record, "status_quo", None) or []
    return _mean([float(value) for month, issue, value in rows
                  if issue == p["issue"] and lo <= month <= hi])


def final_cohesion(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Trilateral cohesion at the end of the run (or of month ``at``)."""
    at = p.get("at") or ctx.end
    col = INDEX_COLUMN["trilateral_cohesion"]
    values = [float(row[col]) for row in record.indices if row[0] == at]
    return values[-1] if values else NAN


def coercive_acts(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Number of material-conflict events (QuadClass 4) in the window, all actors."""
    lo, hi = _window(ctx, p)
    col = INDEX_COLUMN["coercive_acts"]
    return float(sum(row[col] for row in record.indices if lo <= row[0] <= hi))


def event_count(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Number of events in the window matching every filter given (actions, actor, target,
    QuadClass, scripted or chosen)."""
    lo, hi = _window(ctx, p)
    actions, quads = set(p.get("actions") or ()), set(p.get("quad_class") or ())
    actor, target, scripted = p.get("actor"), p.get("target"), p.get("scripted")
    count = 0
    for row in record.events:
        if not lo <= row[E_MONTH] <= hi:
            continue
        if actions and row[E_ACTION] not in actions or quads and row[E_QUAD] not in quads:
            continue
        if actor is not None and row[E_ACTOR] != actor:
            continue
        if target is not None and target not in str(row[E_TARGET]).split("+"):
            continue
        if scripted is not None and bool(row[E_SCRIPTED]) != scripted:
            continue
        count += 1
    return float(count)


def selected_agreements(record: RunRecord, ctx: RunContext,
                        p: dict[str, Any]) -> list[Agreement]:
    """Agreements signed in the window, of the requested kind and id, in signing order."""
    lo, hi = _window(ctx, p)
    want_victims, want_id = p.get("victims_included"), p.get("id")
    return [a for a in record.agreements
            if lo <= a.signed <= hi
            and (want_victims is None or bool(a.victims_included) == want_victims)
            and (want_id is None or a.id == want_id)]


def months_to_first_agreement(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Months from the window's start to the first selected agreement (0 = signed in the first
    month); missing if none was signed in the window."""
    found = selected_agreements(record, ctx, p)
    return float(months_between(_window(ctx, p)[0], found[0].signed)) if found else NAN


def _none_value(p: dict[str, Any]) -> float:
    return 0.0 if p.get("if_none") == "zero" else NAN


def agreement_survives(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """1 if the first selected agreement is still in force at ``until`` (default: the end of
    the run), 0 if it ended by then; missing (or 0 with ``if_none: zero``) if there is none.

    With ``for_months: N`` instead: 1 if it lasted at least N months after its signing, 0 if it
    ended sooner, missing if it was signed too late to be watched for N months (right-censored:
    a deal signed late has had less time to collapse, so it is not counted as surviving).
    """
    if p.get("for_months"):
        return _survives_for(record, ctx, p, int(p["for_months"]))
    until = p.get("until") or ctx.end
    found = [a for a in selected_agreements(record, ctx, p) if a.signed <= until]
    if not found:
        return _none_value(p)
    ended = found[0].ended
    return 1.0 if ended is None or ended > until else 0.0


def _survives_for(record: RunRecord, ctx: RunContext, p: dict[str, Any], months: int) -> float:
    found = selected_agreements(record, ctx, p)
    if not found:
        return _none_value(p)
    a = found[0]
    if a.ended is not None and months_between(a.signed, a.ended) < months:
        return 0.0
    if a.ended is None and months_between(a.signed, ctx.end) + 1 < months:
        return NAN  # censored: still in force, but watched for fewer than `months` months
    return 1.0


def months_in_force(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Months the first selected agreement was in force: signing month to ending month, or to
    the end of the run inclusive if it is still in force (then the value is censored)."""
    found = selected_agreements(record, ctx, p)
    if not found:
        return _none_value(p)
    a = found[0]
    if a.ended is not None:
        return float(months_between(a.signed, a.ended))
    return float(months_between(a.signed, ctx.end) + 1)


def agreements_signed(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Number of agreements signed in the window."""
    return float(len(selected_agreements(record, ctx, p)))


def collapses(record: RunRecord, ctx: RunContext, p: dict[str, Any]) -> float:
    """Number of agreements (of the requested kind, signed at any time) that ended within the
    window."""
    lo, hi = _window(ctx, p)
    scope = {**p, "from": "0000-01", "to": "9999-12"}
    return float(sum(1 for a in selected_agreements(record, ctx, scope)
                     if a.ended is not None and lo <= a.ended <= hi))


KINDS: dict[str, OutcomeFn] = {
    "mean_tension": _dyad_column(T_TENSION),
    "mean_cooperation": _dyad_column(T_COOPERATION),
    "goldstein_sum": goldstein_sum,
    "mean_index": mean_index,
    "mean_status_quo": mean_status_quo,
    "final_cohesion": final_cohesion,
    "coercive_acts": coercive_acts,
    "event_count": event_count,
    "months_to_first_agreement": months_to_first_agreement,
    "agreement_survives": agreement_survives,
    "months_in_force": months_in_force,
    "agreements_signed": agreements_signed,
    "collapses": collapses,
}


def evaluate(specs: dict[str, dict[str, Any]], record: RunRecord,
             ctx: RunContext) -> dict[str, float]:
    """Every outcome of one run, in the experiment's order."""
    return {name: float(KINDS[p["kind"]](record, ctx, p)) for name, p in specs.items()}
