"""What a player sees, as plain data (dicts and lists of str/float), so that the terminal game and
the web app show the same things: the actor's situation, its menu of feasible moves, the deal on
the table and the recent events, each simulated actor's act with the reasons the model gives for
it (its largest utility components)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.classroom.game import COLUMN, Game, option_key, parse_terms
from sim.columns import COMPONENTS
from sim.decision import Decision, Option, prepares
from sim.negotiation import veto_distance

if TYPE_CHECKING:
    from sim.agreements import Agreement

# Plain-language names of the utility components, for students.
REASONS = {
    "position": "moves things toward its goals",
    "reciprocity": "answers what others did to it",
    "domestic": "home politics",
    "alliance": "pressure from a common ally",
    "threat": "a common threat",
    "cost": "cost and effort",
    "disposition": "standing habit",
}
# The same, as clauses after "because" (for) and "though" (against), speaking to the team.
BECAUSE = {
    "position": "it moves things toward your goals",
    "reciprocity": "it answers what the others did to you",
    "domestic": "it goes down well at home",
    "alliance": "a common ally presses for it",
    "threat": "a common threat calls for it",
    "cost": "it costs little",
    "disposition": "it is your side's habit",
}
THOUGH = {
    "position": "it moves things away from your goals",
    "reciprocity": "it ignores what the others did to you",
    "domestic": "it is unpopular at home",
    "alliance": "a common ally frowns on it",
    "threat": "it weakens you against a common threat",
    "cost": "it takes cost and effort",
    "disposition": "it is not your side's habit",
}
QUAD_WORDS = {0: "", 1: "verbal cooperation", 2: "material cooperation",
              3: "verbal conflict", 4: "material conflict"}


# --- words ------------------------------------------------------------------------------------


def targets_text(game: Game, targets: tuple[str, ...] | list[str]) -> str:
    return " and ".join(game.short_name(t) for t in targets)


def option_text(game: Game, option: Option) -> str:
    """'summit: hold a leaders' summit ... -> Tokyo'."""
    label = game.model.catalogue.actions[option.action].label
    return f"{label} -> {targets_text(game, option.targets)}" if option.targets else label


def reasons_text(components: np.ndarray | list[float], top: int = 2) -> str:
    """The utility components that drove a choice, in words: the largest ones for it, then the
    largest against it ('for: pressure from a common ally +0.41; against: cost and effort -0.32').
    Components are relative to doing nothing, which scores zero on each."""
    values = [(float(v), name) for v, name in zip(components, COMPONENTS, strict=True)]
    if all(v == 0.0 for v, _ in values):  # keeping things as they are: the reference point
        return ""
    pros = sorted((x for x in values if x[0] >= 0.005), key=lambda x: -x[0])[:top]
    cons = sorted((x for x in values if x[0] <= -0.005), key=lambda x: x[0])[:1]
    parts = []
    if pros:
        parts.append("for: " + ", ".join(f"{REASONS[n]} {v:+.2f}" for v, n in pros))
    if cons:
        parts.append("against: " + ", ".join(f"{REASONS[n]} {v:+.2f}" for v, n in cons))
    if not pros and cons:  # the logit choice is random: an act with no reason for it happens
        parts.insert(0, "a less likely choice, nothing in its favour")
    return "; ".join(parts) or "nothing pressing either way"


def reasons_sentence(components: np.ndarray | list[float]) -> str:
    """The same reasons as a clause a team reads after 'because': 'it moves things toward your
    goals and a common ally presses for it (though it takes cost and effort)'."""
    values = [(float(v), name) for v, name in zip(components, COMPONENTS, strict=True)]
    pros = [BECAUSE[n] for v, n in sorted(values, key=lambda x: -x[0])[:2] if v >= 0.005]
    cons = [THOUGH[n] for v, n in sorted(values, key=lambda x: x[0])[:1] if v <= -0.005]
    if not pros:
        return "nothing pushed your side either way this month"
    return " and ".join(pros) + (f" (though {cons[0]})" if cons else "")


def decision_why(decision: Decision, option_index: int | None = None) -> str:
    k = decision.chosen if option_index is None else option_index
    return reasons_text(decision.components[k]) or (
        "doing nothing new is the yardstick: every other move is scored against it")


# --- the situation ----------------------------------------------------------------------------


def situation(game: Game, actor: str) -> dict[str, Any]:
    """Everything the player of ``actor`` sees at the start of its turn."""
    model, w = game.model, game.model.world
    agent = model.agent_by_id[actor]
    i = w.index[actor]
    leader = None
    if agent.administration:
        leader = game.scenario.actors[actor].administrations[agent.administration].leader
    return {
        "actor": actor,
        "name": game.scenario.actors[actor].name,
        "short": game.short_name(actor),
        "kind": agent.kind,
        "leader": leader,
        "month": game.month,
        "turn": game.turn,
        "turns": game.turns,
        "approval": float(w.approval[i]) if agent.opinion is not None else None,
        "relations": relations(game, actor),
        "ties": ties(game, actor),
        "issues": issues(game, actor),
        "deals": deals(game),
        "talks": talks(game),
        "events": recent_events(game),
    }


def relations(game: Game, actor: str) -> list[dict[str, Any]]:
    w = game.model.world
    i = w.index[actor]
    rows = []
    for other in w.actors:
        if other == actor:
            continue
        j = w.index[other]
        rows.append({"actor": other, "name": game.short_name(other),
                     "tension": float(w.tension[i, j]), "cooperation": float(w.cooperation[i, j]),
                     "ally": bool(w.alliance[i, j]), "adversary": bool(w.adversary[i, j])})
    return rows


def ties(game: Game, actor: str) -> list[str]:
    """The ties in force that involve the actor, in words."""
    w, catalogue = game.model.world, game.model.catalogue
    lines = []
    for name, a, b in sorted(w.ties):
        if actor not in (a, b):
            continue
        label = catalogue.ties[name].label
        if w.tie_directed[name]:
            lines.append(f"{label} ({game.short_name(a)} -> {game.short_name(b)})")
        else:
            lines.append(f"{label} ({game.short_name(a)} and {game.short_name(b)})")
    return lines


def issues(game: Game, actor: str) -> list[dict[str, Any]]:
    """Each issue: its meaning at 0 and 1, where things stand, and the actor's own goal."""
    model, agent = game.model, game.model.agent_by_id[actor]
    rows = []
    for k, issue_id in enumerate(model.world.issues):
        spec = game.scenario.issues[issue_id]
        rows.append({"id": issue_id, "label": spec.label, "zero": spec.zero, "one": spec.one,
                     "now": float(model.world.status_quo[k]), "goal": float(agent.ideal[k]),
                     "care": float(agent.salience[k]),
                     "negotiated": issue_id in model.negotiation_issues})
    return rows


def deals(game: Game) -> list[dict[str, Any]]:
    """Agreements signed so far, with last month's chance that a signatory abandons them."""
    return [deal_view(game, a) for a in game.model.agreements.all]


def deal_view(game: Game, agreement: Agreement) -> dict[str, Any]:
    risk = agreement.risk_history[-1] if agreement.risk_history else None
    return {"id": agreement.id, "label": agreement.label or agreement.id,
            "terms": {k: float(v) for k, v in agreement.terms.items()},
            "signatories": [game.short_name(a) for a in agreement.signatories],
            "signed": agreement.signed, "victims_included": agreement.victims_included,
            "refusal": float(agreement.refusal), "opposition": float(agreement.opposition),
            "in_force": agreement.in_force, "ended": agreement.ended,
            "end_reason": agreement.end_reason,
            "monthly_risk": float(risk) if risk is not None else None}


def talks(game: Game) -> dict[str, Any]:
    """The state of the negotiation: the package on the table, the last one tabled, how far
    apart the negotiating governments are."""
    model = game.model
    table = game.scenario.negotiation.on_table
    on_table = None
    if table is not None and model.month_index == 0 and not game.history:
        on_table = {"proposer": game.short_name(table.proposer), "terms": dict(table.terms),
                    "victims_included": table.victims_included}
    last = None
    proposal = model.action_by_tag["proposal"]
    for row in reversed(model.rows_events):
        if row[COLUMN["action"]] == proposal:
            terms, included = parse_terms(str(row[COLUMN["note"]]))
            last = {"month": row[COLUMN["month"]], "proposer": game.short_name(row[1]),
                    "terms": terms, "victims_included": included}
            break
    return {"issues": model.negotiation_issues, "on_table": on_table, "last": last,
            "gap": veto_distance(model),
            "veto_players": [game.short_name(v) for v in game.scenario.negotiation.veto_players],
            "deal_in_force": game.deal_in_force(), "victims_rule": game.victims_rule()}


def recent_events(game: Game) -> list[dict[str, Any]]:
    """Last month's events and this month's so far (scripted and injected), newest last."""
    played = game.months_played
    months = {game.month} | ({played[-1]} if played else set())
    return [event_view(game, row) for row in game.model.rows_events if row[0] in months]


def event_view(game: Game, row: tuple) -> dict[str, Any]:
    """One event row in words, with the model's reasons for a simulated actor's choice."""
    catalogue = game.model.catalogue
    action_id = row[COLUMN["action"]]
    scripted = bool(row[COLUMN["scripted"]])
    note = str(row[COLUMN["note"]] or "")
    what = note if scripted else catalogue.actions[action_id].label
    utilities = [row[COLUMN[f"u_{c}"]] for c in COMPONENTS]
    why = ""
    if not scripted and utilities[0] is not None and note != "played by a human":
        why = reasons_text(utilities)
        if not why and "rejection" in catalogue.actions[action_id].tags:
            why = "the package did not give it enough over things as they are"
    targets = [t for t in str(row[COLUMN["target"]]).split("+") if t]
    return {"month": row[COLUMN["month"]], "actor": row[COLUMN["actor"]],
            "who": game.short_name(row[COLUMN["actor"]]), "to": targets_text(game, targets),
            "what": what, "goldstein": float(row[COLUMN["goldstein"]]),
            "kind": QUAD_WORDS.get(int(row[COLUMN["quad_class"]]), ""), "scripted": scripted,
            "why": why, "note": "" if scripted else note}


# --- the menu ---------------------------------------------------------------------------------


def menu(game: Game, actor: str) -> list[dict[str, Any]]:
    """The actor's feasible options, numbered from 1, in words (an option that must first be
    prepared says so: choosing it starts the preparation)."""
    actions = game.model.catalogue.actions
    return [{"number": k, "key": option_key(o), "action": o.action, "targets": list(o.targets),
             "text": option_text(game, o) + preparation_note(game, actor, o),
             "goldstein": actions[o.action].goldstein}
            for k, o in enumerate(game.options(actor), start=1)]


def preparation_note(game: Game, actor: str, option: Option) -> str:
    """' (not ready: this month only starts its preparation, 4 to 10 months)' for an option
    whose choice would start its preparation; empty otherwise."""
    model = game.model
    if not prepares(model, model.option_table, model.candidate_row(actor, option)):
        return ""
    spec = model.catalogue.actions[model.catalogue.actions[option.action].preparation.act]
    lead = spec.lead_months
    return (f" (not ready: this month only starts its preparation, {lead.low} to {lead.high} "
            "months)")
