"""Checks that a schema alone cannot make: cross-references between the parts of a scenario and
its catalogue (did-you-mean for misspelt ids), and provenance: every number cites a paragraph of
a known source (``usip-2023-mend-ties#P15``) or states an ``assumption`` with its reason.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.errors import Problem
from sim.scenario.schema import Bibliography, Catalogue, Scenario
from sim.scenario.yamlio import LineMap, line_of

# Catalogue actions the negotiation mechanism looks up by tag.
REQUIRED_TAGS = ("proposal", "signature", "consent", "refusal", "collapse", "rejection")
IDLE_TAG = "idle"
NOT_QUANTITIES = {"seed", "quad_class"}
CITATION_RE = re.compile(r"^(?P<id>[a-z0-9][a-z0-9\-]*)(#P(?P<para>\d+))?$")
SOURCES_ENV = "SIM_SOURCES_DIR"
# a value fitted by `sim history --calibrate` cites its calibration folder (docs/validation.md)
CALIBRATION_PREFIX = "calibration "
PARAGRAPH_RE = re.compile(r"^\[P(\d+)\]", re.MULTILINE)


class Reporter:
    """Collects located problems: each blamed on the line of its path, or of the nearest
    enclosing key read from a file."""

    def __init__(self, lines: LineMap, file: str):
        self.lines, self.file, self.problems = lines, file, []

    def add(self, path: tuple, message: str) -> None:
        where, line = line_of(self.lines, path, self.file)
        self.problems.append(Problem(where, line, ".".join(str(p) for p in path), message))

    def member(self, path: tuple, value: str, known: Iterable[str], what: str) -> bool:
        known = list(known)
        if value in known:
            return True
        close = difflib.get_close_matches(str(value), known, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
        self.add(path, f"unknown {what} {value!r}{hint}")
        return False


def dyad_id(a: str, b: str) -> str:
    return "-".join(sorted((a, b)))


# --- the scenario -----------------------------------------------------------------------------


def cross_references(s: Scenario, cat: Catalogue, lines: LineMap, file: str) -> list[Problem]:
    r = Reporter(lines, file)
    actors, issues = list(s.actors), list(s.issues)
    states = [a for a, spec in s.actors.items() if spec.kind == "state"]
    groups = [a for a, spec in s.actors.items() if spec.kind == "group"]
    _check_meta(r, s, actors)
    for aid, actor in s.actors.items():
        _check_actor(r, s, cat, aid, actor, actors, issues, groups)
    for key, rel in s.relations.items():
        _check_relation(r, cat, key, [*rel.ties, *rel.past_ties], actors)
    for eid, event in s.events.items():
        _check_event(r, s, cat, eid, event, actors, issues, states)
    _check_negotiation(r, s, cat, actors, issues, states, groups)
    for issue in s.status_quo:
        r.member(("status_quo", issue), issue, issues, "issue")
    for issue in issues:
        if issue not in s.status_quo:
            r.add(("status_quo",), f"missing the status quo of issue {issue!r}")
    for i, action in enumerate(s.disabled_actions):
        r.member(("disabled_actions", i), action, cat.actions, "action")
    _check_always_possible_action(r, s, cat)
    for path, items in _id_lists(s):
        _check_distinct(r, path, items)
    for gid, agreement in s.agreements.items():
        base = ("agreements", gid)
        for issue in agreement.terms:
            r.member((*base, "terms", issue), issue, issues, "issue")
        for i, signatory in enumerate(agreement.signatories):
            r.member((*base, "signatories", i), signatory, states, "state actor")
        for signatory, admin in agreement.signed_by.items():
            known = r.member((*base, "signed_by", signatory), signatory, agreement.signatories,
                             "signatory")
            if known and signatory in s.actors:  # an unknown signatory is reported above
                r.member((*base, "signed_by", signatory), admin,
                         s.actors[signatory].administrations, "administration")
    return r.problems


def _id_lists(s: Scenario) -> list[tuple[tuple, list[str]]]:
    """The lists of ids the model iterates over, where an id listed twice would count twice."""
    lists = [(("meta", "key_dyads"), s.meta.key_dyads), (("meta", "trilateral"), s.meta.trilateral),
             (("negotiation", "veto_players"), s.negotiation.veto_players),
             (("negotiation", "issues"), s.negotiation.issues)]
    lists += [(("actors", aid, "consent_of"), a.consent_of) for aid, a in s.actors.items()]
    lists += [(("events", eid, "target"), e.target) for eid, e in s.events.items()]
    lists += [(("agreements", gid, "signatories"), g.signatories)
              for gid, g in s.agreements.items()]
    return lists


def _check_distinct(r: Reporter, path: tuple, items: list[str]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item in seen:
            r.add((*path, i), f"{item!r} is listed twice (each may appear once)")
        seen.add(item)


def _check_always_possible_action(r: Reporter, s: Scenario, cat: Catalogue) -> None:
    """Every actor needs a choice it can make in any month: an enabled action without a target
    (no precondition of the month can rule it out), such as the one tagged 'idle'."""
    free = [(aid, a) for aid, a in cat.actions.items()
            if a.role == "choice" and a.target == "none" and aid not in s.disabled_actions]
    stranded = [actor_id for actor_id, actor in s.actors.items()
                if not any(actor.kind in a.actor_kinds and set(a.actor_tags) <= set(actor.tags)
                           and (not a.preconditions.posture
                                or actor.mediation in a.preconditions.posture)
                           for _, a in free)]
    if stranded:
        idle = [aid for aid, a in cat.actions.items() if IDLE_TAG in a.tags]
        hint = f" (such as {idle[0]!r})" if idle else ""
        where = ("disabled_actions",) if s.disabled_actions else ("actors", stranded[0])
        r.add(where, f"{', '.join(map(repr, stranded))} would have no action possible in every "
                     f"month: enable a choice action with `target: none` open to them{hint}")


def _check_meta(r: Reporter, s: Scenario, actors: list[str]) -> None:
    for i, dyad in enumerate(s.meta.key_dyads):
        _check_dyad_key(r, ("meta", "key_dyads", i), dyad, actors)
    for i, aid in enumerate(s.meta.trilateral):
        r.member(("meta", "trilateral", i), aid, actors, "actor")


def _check_dyad_key(r: Reporter, path: tuple, key: str, actors: list[str]) -> bool:
    parts = key.split("-")
    if len(parts) != 2 or parts[0] == parts[1]:
        r.add(path, f"expected two different actor ids joined by '-', got {key!r}")
        return False
    if not all(r.member(path, p, actors, "actor") for p in parts):
        return False
    if key != dyad_id(*parts):
        r.add(path, f"write the dyad with ids in sorted order: {dyad_id(*parts)!r}")
        return False
    return True


def _check_actor(r, s, cat, aid, actor, actors, issues, groups) -> None:
    base = ("actors", aid)
    for issue in actor.positions:
        r.member((*base, "positions", issue), issue, issues, "issue")
    for issue in issues:
        if issue not in actor.positions:
            r.add((*base, "positions"), f"missing position and salience for issue {issue!r}")
    if actor.opinion:
        for issue in actor.opinion.public:
            r.member((*base, "opinion", "public", issue), issue, issues, "issue")
        for other in actor.opinion.hostility:
            r.member((*base, "opinion", "hostility", other), other, actors, "actor")
    periods = []
    for adm_id, adm in actor.administrations.items():
        for issue in adm.positions:
            r.member((*base, "administrations", adm_id, "positions", issue), issue, issues,
                     "issue")
        if adm.end is not None and adm.end < adm.start:
            r.add((*base, "administrations", adm_id, "end"), "expected end after start")
        periods.append((adm.start, adm.end or "9999-12", adm_id))
    periods.sort()
    for (_, end1, first), (start2, _, second) in zip(periods, periods[1:], strict=False):
        if start2 < end1:
            r.add((*base, "administrations", second, "start"),
                  f"overlaps administration {first!r} (ends {end1})")
    for action in actor.inclinations:
        r.member((*base, "inclinations", action), action, cat.actions, "action")
    for i, group in enumerate(actor.consent_of):
        r.member((*base, "consent_of", i), group, groups, "group actor")


def _check_relation(r, cat, key, ties, actors) -> None:
    path = ("relations", key)
    if not _check_dyad_key(r, path, key, actors):
        return
    pair = set(key.split("-"))
    for i, ref in enumerate(ties):
        name, _, direction = ref.partition(":")
        if not r.member((*path, "ties", i), name, cat.ties, "tie"):
            continue
        if cat.ties[name].directed:
            ends = set(direction.split(">")) if direction else set()
            if ends != pair:
                a, b = sorted(pair)
                r.add((*path, "ties", i),
                      f"{name!r} is directed: write it as '{name}:{a}>{b}' or '{name}:{b}>{a}'")
        elif direction:
            r.add((*path, "ties", i), f"{name!r} is not directed: write it as {name!r}")


def _check_event(r, s, cat, eid, event, actors, issues, states) -> None:
    base = ("events", eid)
    if event.attribute_to:
        r.member((*base, "attribute_to"), event.attribute_to, actors, "actor")
    for i, target in enumerate(event.target):
        r.member((*base, "target", i), target, actors, "actor")
    if event.kind == "election":
        r.member((*base, "actor"), event.actor, states, "state actor (an election's actor)")
    for issue in event.effects.status_quo:
        r.member((*base, "effects", "status_quo", issue), issue, issues, "issue")
    for aid in event.effects.approval:
        r.member((*base, "effects", "approval", aid), aid, states, "state actor")
    for field in ("add_ties", "remove_ties"):
        for i, ref in enumerate(getattr(event.effects, field)):
            name, _, direction = ref.partition(":")
            if r.member((*base, "effects", field, i), name, cat.ties, "tie") and direction:
                for end in direction.split(">"):
                    r.member((*base, "effects", field, i), end, actors, "actor")
    # events outside the scenario's months are allowed (a shortened horizon, an extending
    # file) and never fire; `sim validate` counts them



def _check_negotiation(r, s, cat, actors, issues, states, groups) -> None:
    n, base = s.negotiation, ("negotiation",)
    for i, aid in enumerate(n.veto_players):
        r.member((*base, "veto_players", i), aid, states, "state actor")
    for i, issue in enumerate(n.issues):
        r.member((*base, "issues", i), issue, issues, "issue")
    if n.victims:
        r.member((*base, "victims"), n.victims, groups, "group actor")
    for field in ("restores_ties", "creates_ties"):
        for i, tie in enumerate(getattr(n, field)):
            r.member((*base, field, i), tie, cat.ties, "tie")
    for i, issue in enumerate(n.claims_issues):
        r.member((*base, "claims_issues", i), issue, n.issues, "negotiation issue")
    if n.on_table:
        for issue in n.on_table.terms:
            r.member((*base, "on_table", "terms", issue), issue, n.issues, "negotiation issue")
        r.member((*base, "on_table", "proposer"), n.on_table.proposer, actors, "actor")


# --- the catalogue ----------------------------------------------------------------------------


def catalogue_references(cat: Catalogue, s: Scenario, lines: LineMap, file: str) -> list[Problem]:
    r = Reporter(lines, file)
    for aid, action in cat.actions.items():
        base = ("actions", aid)
        for issue in action.effects.status_quo:
            r.member((*base, "effects", "status_quo", issue), issue, s.issues, "issue")
        refs = [("preconditions", "requires_ties"), ("preconditions", "forbids_ties"),
                ("preconditions", "requires_past_ties"),
                ("effects", "add_ties"), ("effects", "remove_ties")]
        for part, field in refs:
            for i, ref in enumerate(getattr(getattr(action, part), field)):
                _check_tie_template(r, cat, (*base, part, field, i), ref)
        if action.reverses:
            r.member((*base, "reverses"), action.reverses, cat.actions, "action")
        if action.preparation:
            _check_preparation(r, cat, base, action)
        if action.role == "preparation" and action.lead_months is None:
            r.add((*base, "role"), "a preparing act needs `lead_months: {low, high}`")
    for tag in REQUIRED_TAGS:
        if not any(tag in a.tags for a in cat.actions.values()):
            r.add(("actions",), f"the catalogue needs an action tagged {tag!r}")
    return r.problems


def _check_preparation(r: Reporter, cat: Catalogue, base: tuple, action) -> None:
    """The preparing act exists, is a preparation and adds the one tie that marks it."""
    prep = action.preparation
    path = (*base, "preparation")
    for i, ref in enumerate(prep.in_kind_answer_to):
        _check_tie_template(r, cat, (*path, "in_kind_answer_to", i), ref)
    if not r.member((*path, "act"), prep.act, cat.actions, "action"):
        return
    act = cat.actions[prep.act]
    if act.role != "preparation":
        r.add((*path, "act"), f"{prep.act!r} must have `role: preparation`")
    elif len(act.effects.add_ties) != 1:
        r.add((*path, "act"), f"{prep.act!r} must add exactly one tie (the prepared measure)")


def _check_tie_template(r: Reporter, cat: Catalogue, path: tuple, ref: str) -> None:
    name, _, direction = ref.partition(":")
    if not r.member(path, name, cat.ties, "tie"):
        return
    if cat.ties[name].directed and direction not in {"actor>target", "target>actor"}:
        r.add(path, f"{name!r} is directed: write '{name}:actor>target' or '{name}:target>actor'")
    elif not cat.ties[name].directed and direction:
        r.add(path, f"{name!r} is not directed: write {name!r}")


# --- provenance -------------------------------------------------------------------------------


def provenance(
    raw: Any, lines: LineMap, bib: Bibliography, file: str
) -> tuple[dict[str, str], list[Problem]]:
    """Map each number's dotted path to its provenance; report numbers without one.

    A number is covered by its own ``{value, source|assumption}`` form or else by the nearest
    enclosing mapping that carries ``source`` or ``assumption``."""
    r = Reporter(lines, file)
    found: dict[str, str] = {}
    _walk(raw, (), None, found, r, bib)
    return found, r.problems


def _own_provenance(mapping: dict) -> str | None:
    if isinstance(mapping.get("source"), str):
        return "source: " + mapping["source"]
    if isinstance(mapping.get("assumption"), str):
        return "assumption: " + mapping["assumption"]
    return None


Inherited = tuple[str, str] | None  # (provenance, the file that wrote it)


def _walk(node: Any, path: tuple, inherited: Inherited, found: dict, r: Reporter, bib) -> None:
    if isinstance(node, dict):
        own = _own_provenance(node)
        if own:
            _check_provenance(r, path, node, bib)
            key = "source" if "source" in node else "assumption"
            own_at: Inherited = (own, _file_of(r, (*path, key)))
        else:
            own_at = inherited
        if "value" in node and _is_number(node["value"]):
            _record(found, r, path, own_at)
            return
        for key, value in node.items():
            if key in NOT_QUANTITIES or key in ("source", "assumption"):
                continue
            _walk(value, (*path, key), own_at, found, r, bib)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, (*path, str(i)), inherited, found, r, bib)
    elif _is_number(node):
        _record(found, r, path, inherited)


def _file_of(r: Reporter, path: tuple) -> str:
    return r.lines.get(tuple(str(p) for p in path), (r.file, 0))[0]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _record(found: dict, r: Reporter, path: tuple, inherited: Inherited) -> None:
    # a citation covers only numbers written in the same file (an extending file's source
    # must not vouch for its parent's numbers, nor the reverse)
    prov = inherited[0] if inherited and inherited[1] == _file_of(r, path) else None
    if prov is None:
        r.add(path, "number without provenance: add `source: <source-id>#P<n>` or "
                    "`assumption: <why>` to this mapping, or write {value: ..., source: ...}")
    else:
        found[".".join(path)] = prov


def _check_provenance(r: Reporter, path: tuple, mapping: dict, bib: Bibliography) -> None:
    if "source" in mapping and "assumption" in mapping:
        r.add((*path, "source"), "give either `source` or `assumption`, not both")
    if isinstance(mapping.get("assumption"), str) and len(mapping["assumption"].split()) < 2:
        r.add((*path, "assumption"), "an assumption needs its reason in a few words")
    source = mapping.get("source")
    if isinstance(source, str):
        for citation in citations(source):
            message = citation_problem(citation, bib)
            if message:
                r.add((*path, "source"), message)


def citations(source: str) -> list[str]:
    """The citations of a ``source:`` (separated by ``;``). A calibration's provenance
    (``calibration <folder> (...)``, as ``sim history --calibrate`` prints it) is one citation,
    whatever punctuation its explanation has."""
    text = source.strip()
    if text.startswith(CALIBRATION_PREFIX):
        return [text]
    return [c.strip() for c in text.split(";")]


def citation_problem(citation: str, bib: Bibliography) -> str | None:
    """None if the citation names a known source (and an existing paragraph where the text is
    at hand); otherwise what is wrong with it."""
    if citation.startswith(CALIBRATION_PREFIX):
        return None
    match = CITATION_RE.match(citation)
    if not match:
        return f"expected a citation like 'usip-2023-mend-ties#P15', got {citation!r}"
    sid, para = match.group("id"), match.group("para")
    if sid not in bib.sources:
        close = difflib.get_close_matches(sid, list(bib.sources), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown source {sid!r}{hint}; sources are listed in the bibliography"
    paragraphs = source_paragraphs(sid)
    if paragraphs is None:
        return None
    if para is None:
        return f"cite a paragraph of {sid!r}: {sid}#P<n> (P1..P{max(paragraphs)})"
    if int(para) not in paragraphs:
        return f"{sid} has no paragraph P{para} (it has P1..P{max(paragraphs)})"
    return None


def sources_dir() -> Path | None:
    """Where the article texts are: the folder named by $SIM_SOURCES_DIR (``sim validate
    --sources DIR`` sets it), or None: citations are then checked against the bibliography only."""
    env = os.environ.get(SOURCES_ENV)
    return Path(env) if env and Path(env).is_dir() else None


@functools.cache
def source_paragraphs(source_id: str) -> frozenset[int] | None:
    folder = sources_dir()
    if folder is None or not (folder / f"{source_id}.txt").is_file():
        return None
    text = (folder / f"{source_id}.txt").read_text(encoding="utf-8")
    return frozenset(int(n) for n in PARAGRAPH_RE.findall(text))
