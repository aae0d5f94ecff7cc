"""The Mesa model: wires the scenario's actors, the world state and the mechanisms into one
month-by-month loop (MODEL.md section 5):

1. administrations in office are updated (a new leader brings new preferences);
2. scripted exogenous events due this month fire (:meth:`DisputeModel.fire_scripted_events`);
3. every actor chooses an action by a logit over utility components (:mod:`sim.decision`);
4. negotiation: bargaining, proposals, acceptance, two-level ratification
   (:mod:`sim.negotiation`, :mod:`sim.ratification`);
5. agreements in force record the month's chance of being abandoned, which only a
   signatory's own decision does (:mod:`sim.agreements`);
6. tension, cooperation and memories update from the month's events (:mod:`sim.tension`);
7. the month's data are collected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import mesa
import numpy as np

from sim import agreements, decision, negotiation, tension
from sim.agents import ActorAgent
from sim.agreements import Agreement, AgreementBook
from sim.columns import COMPONENTS
from sim.decision import Decision, Option, prepares
from sim.months import month_range, months_between
from sim.options import POSTURES
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.checks import REQUIRED_TAGS
from sim.utility import round_decimal
from sim.world import build_world

__all__ = ["DisputeModel", "RunRecord", "simulate"]

SECURITY_TAGS = frozenset({"security_cooperation", "alignment"})  # acts that alarm adversaries


@dataclass
class RunRecord:
    """Everything one run produced, as plain rows (cheap to send between processes)."""

    trajectories: list[tuple]
    indices: list[tuple]
    events: list[tuple]
    agreements: list[Agreement]
    status_quo: list[tuple] = field(default_factory=list)  # (month, issue, value)


class DisputeModel(mesa.Model):
    """One stochastic run of a scenario, the Mesa way::

        model = DisputeModel(scenario="scenarios/history_2018_2023.yaml", rng=42,
                             choice_temperature=0.1)
        while model.running:
            model.step()
        model.datacollector.get_model_vars_dataframe()

    ``scenario`` is a scenario file or an already loaded scenario; ``rng`` the seed; any other
    keyword sets a scenario parameter by name (``parameters.NAME`` of the scenario file), so
    that ``mesa.batch_run(DisputeModel, parameters={"scenario": PATH, "rng": range(10),
    "choice_temperature": [0.05, 0.1]})`` works. ``keep_decisions`` keeps every decision with
    its utility breakdown (for ``sim explain`` and the classroom).
    """

    def __init__(self, scenario: str | Path | LoadedScenario, rng: int | None = None, *,
                 keep_decisions: bool = False, **overrides: float):
        super().__init__(rng=rng)
        self.loaded = loaded = with_parameters(scenario, overrides)
        self.stage = s = loaded.scenario  # not `scenario`: Mesa 3.5 reserves it
        self.catalogue = loaded.catalogue
        self.params = s.parameters
        self.months = month_range(s.meta.start, s.meta.end)
        self.month_index = 0
        self.world = build_world(loaded)
        self.choice_actions = [a for a, spec in self.catalogue.actions.items()
                               if spec.role == "choice" and a not in s.disabled_actions]
        self.action_by_tag = {tag: next(a for a, spec in self.catalogue.actions.items()
                                        if tag in spec.tags)
                              for tag in (*REQUIRED_TAGS, "rejection")}
        self.negotiation_issues = list(s.negotiation.issues)
        self.negotiation_issue_idx = np.array([self.world.issue_index[k]
                                               for k in self.negotiation_issues])
        self.claims_issue_mask = np.isin(self.negotiation_issues, s.negotiation.claims_issues)
        self.actor_agents = [ActorAgent(self, aid, spec, self.world.issues)
                             for aid, spec in s.actors.items()]
        self.agent_by_id = {a.actor_id: a for a in self.actor_agents}
        self.veto_agents = [self.agent_by_id[v] for v in s.negotiation.veto_players]
        self.victims_agent = self.agent_by_id.get(s.negotiation.victims or "")
        for k, agent in enumerate(self.actor_agents):
            agent.index = k
        self.elections_ahead = self._calendar("election", self.params.election_window)
        self.hosting_ahead = self._calendar("hosting", self.params.hosting_window)
        self.prepared_ready: dict[tuple, int] = {}  # prepared measure's tie -> month it is ready
        self.event_plan = self._event_plan()
        decision.compile_options(self)
        self.month_options: decision.MonthOptions | None = None
        self.tie_masks: dict[tuple, np.ndarray] = {}  # see decision.ties_allow
        self.agreements = AgreementBook()
        self.next_proposal_month = 0
        self.last_ratification: list = []
        self.keep_decisions = keep_decisions
        self.decision_log: list[tuple[str, Decision, bool]] = []
        # usage[i, a]: moving average of how often actor i took action a recently
        self.usage = np.zeros((len(self.actor_agents), len(self.option_table.action_ids)))
        self.action_index = {a: k for k, a in enumerate(self.option_table.action_ids)}
        # human players (sim.play, sim.classroom): their packages and answers to packages
        self.advice: dict[tuple[str, str], Decision] = {}
        self.player_package: tuple[str, dict[str, float], bool] | None = None
        self.player_answers: dict[str, bool] = {}
        self.impacts: list[tension.Impact] = []
        self.month_events: list[int] = []  # QuadClass of each act this month
        self.month_acts: set[tuple[str, str]] = set()  # (actor, action) taken this month
        self._events: list[tuple] = []  # event rows, see rows_events
        self._event_queue: list[tuple] = []  # (row without values, raw values or None, note)
        self._index_dyads()
        self.collected: list[tuple] = []  # the raw values of each month, see _collect
        self.rows_done = 0
        self._trajectories: list[tuple] = []
        self._indices: list[tuple] = []
        self._status_quo: list[tuple] = []
        self._update_administrations(first=True)
        self._load_initial_agreements()
        self.running = True
        self.datacollector = mesa.DataCollector(model_reporters=self.model_reporters())
        self.datacollector.collect(self)

    # --- setup ----------------------------------------------------------------------------

    @property
    def month(self) -> str:
        return self.months[self.month_index]

    def election_ahead(self, actor: str) -> bool:
        return bool(self.elections_ahead[self.agent_by_id[actor].index, self.month_index])

    def _calendar(self, kind: str, window: int) -> np.ndarray:
        """``[actor, month]``: a scripted event of ``kind`` whose actor is that actor (an
        election it holds, a summit it hosts) falls this month or within ``window`` months."""
        flags = np.zeros((len(self.actor_agents), len(self.months)), dtype=bool)
        month = np.arange(len(self.months))
        for event in self.stage.events.values():
            if event.kind == kind and event.date and event.actor in self.agent_by_id:
                ahead = months_between(self.months[0], event.date) - month
                flags[self.agent_by_id[event.actor].index] |= (ahead >= 0) & (ahead <= window)
        return flags

    def snapshot(self) -> None:
        """Mark the world as changed: the month's options are computed afresh from it the next
        time an actor decides (after the scripted events, or after a classroom inject)."""
        self.month_options = None

    def _index_dyads(self) -> None:
        """The pairs the tables report, in their order, and those the indices average."""
        w = self.world
        n = len(w.actors)
        self.dyad_i, self.dyad_j = np.triu_indices(n, 1)
        self.dyad_names = [w.dyad_name(i, j) for i, j in zip(self.dyad_i, self.dyad_j,
                                                                 strict=True)]
        self.dyad_number = {}
        for k, (i, j) in enumerate(zip(self.dyad_i, self.dyad_j, strict=True)):
            self.dyad_number[(w.actors[i], w.actors[j])] = k
            self.dyad_number[(w.actors[j], w.actors[i])] = k
        states = [i for i, a in enumerate(self.actor_agents) if a.kind == "state"]
        self.state_pairs = pairs_among(states)
        self.trilateral_pairs = pairs_among([w.index[a] for a in self.stage.meta.trilateral
                                             if a in w.index])
        # the same pairs as flat indices into an (actor, actor) matrix, for ``take``
        self.dyad_flat = self.dyad_i * n + self.dyad_j
        self.state_flat = self.state_pairs[0] * n + self.state_pairs[1]
        self.trilateral_flat = self.trilateral_pairs[0] * n + self.trilateral_pairs[1]

    def _load_initial_agreements(self) -> None:
        idx = self.negotiation_issue_idx
        for gid, spec in self.stage.agreements.items():
            ideals = {a: self.agent_by_id[a].ideal_of(spec.signed_by.get(a))[idx]
                      for a in spec.signatories}
            self.agreements.add(Agreement(
                id=gid, label=spec.label, terms=dict(spec.terms), signatories=spec.signatories,
                signed=spec.signed, signed_by=dict(spec.signed_by), ideals_at_signing=ideals,
                victims_included=spec.victims_included, refusal=spec.victims_refusal,
                opposition=spec.opposition,
            ))

    def _update_administrations(self, first: bool = False) -> None:
        """Adopt each administration in office; keep the actors' ideal points and saliences
        as matrices (actor by issue) for the mechanisms' array operations."""
        changed = [agent.update_administration(self.month) for agent in self.actor_agents]
        if first or any(changed):
            agents = self.actor_agents
            self.ideals = np.array([a.ideal for a in agents])
            self.saliences = np.array([a.salience for a in agents])
            self.pressures = np.array([a.alliance_pressure for a in agents], dtype=float)
            self.posture_index = np.array([POSTURES.index(a.mediation) for a in agents],
                                          dtype=np.intp)

    # --- the month ------------------------------------------------------------------------

    def step(self) -> None:
        """One month; after the scenario's last month a step does nothing."""
        if not self.running:
            return
        self.begin_month()
        self.finish_month()
        self.datacollector.collect(self)

    def begin_month(self) -> None:
        """Fire the month's scripted events and let every actor decide; a game shows the human
        players their situation and options at this point (see :mod:`sim.play`)."""
        self._update_administrations()
        self.impacts, self.month_events, self.month_acts = [], [], set()
        self.fire_scripted_events()
        self.snapshot()
        self.agents.do("decide")

    def finish_month(self, choices: dict[str, Option] | None = None) -> None:
        """Carry out the month: the AI's decisions, or a human player's ``choices`` for the
        actors they play (the AI's own decision is kept in :attr:`advice` for the debrief)."""
        agreements.record_risks(self)  # before anyone acts on this month's choices
        for agent in self.actor_agents:
            decision = agent.decision
            if choices and agent.actor_id in choices:
                self.advice[(self.month, agent.actor_id)] = decision
                decision = self.human_decision(decision, choices[agent.actor_id])
            self._carry_out(decision)
        negotiation.negotiation_step(self)
        p = self.params
        goldstein = tension.update_relations(self.world, self.impacts, p.tension_gain,
                                             p.cooperation_gain, p.relaxation, p.cross_effect,
                                             p.verbal_weight)
        tension.update_memories(self.world, self.impacts, p.memory,
                                p.security_cooperation_threat, p.coercion_memory,
                                p.sanction_rally)
        w = self.world
        w.approval += p.approval_relaxation * (w.approval_base - w.approval)
        self._fade_transient_shifts()
        self._update_usage()
        self._collect(goldstein)
        self.month_index += 1
        if self.month_index >= len(self.months):
            self.running = False
            self.month_index -= 1

    def human_decision(self, ai: Decision, option: Option) -> Decision:
        """The AI's decision with the human's option as the one chosen (same breakdowns)."""
        if option not in ai.options:
            from sim.errors import fail

            raise fail(ai.actor, f"{option.action} -> {'+'.join(option.targets) or 'nobody'} "
                                 f"is not feasible for {ai.actor} in {self.month}")
        return Decision(ai.actor, ai.options, ai.components, ai.probabilities,
                        ai.options.index(option), by_human=True)

    def _carry_out(self, decision: Decision) -> None:
        self.record_decision(decision)
        option = decision.option
        action = self.catalogue.actions[option.action]
        if "idle" in action.tags:
            return
        note = "played by a human" if decision.by_human else ""
        targets = list(option.targets)
        if prepares(self, self.option_table, self.candidate_row(decision.actor, option)):
            self.prepare(decision.actor, option.action, targets, note, decision)
            return
        if "collapse" in action.tags:
            reason = f"its largest motive: {largest_motive(decision)}"
            ended = agreements.withdraw(self, decision.actor, targets[0], reason)
            if not ended:  # the partner abandoned it first this month
                return
            note = "; ".join(filter(None, [note, f"abandons {', '.join(a.id for a in ended)} "
                                                 f"({reason})"]))
        self.log_action(decision.actor, option.action, targets, decision=decision, note=note)

    def candidate_row(self, actor: str, option: Option) -> int:
        """The option's row in the run's option table."""
        i = self.agent_by_id[actor].index
        return self.option_table.start[i] + self.option_table.position[i][option]

    def prepare(self, actor: str, action_id: str, targets: list[str], note: str = "",
                decision: Decision | None = None) -> None:
        """Carry out the act that prepares ``action_id`` and mark when the prepared act is
        ready (a lead time drawn uniformly from the preparing act's ``lead_months``)."""
        prep_id = self.catalogue.actions[action_id].preparation.act
        prep = self.catalogue.actions[prep_id]
        months = int(self.rng.integers(prep.lead_months.low, prep.lead_months.high + 1))
        self.log_action(actor, prep_id, targets, decision=decision,
                        note="; ".join(filter(None, [note, f"{prepares_note(action_id)} "
                                                           f"(ready in {months} months)"])))
        tie = self.world.resolve(prep.effects.add_ties[0], actor, targets[0])
        self.prepared_ready[tie] = self.month_index + months

    def _fade_transient_shifts(self) -> None:
        """Statements, drills, tests and sanctions without an institutional change move the
        status quo only for a while: their accumulated shift relaxes like tension does."""
        w = self.world
        fade = self.params.relaxation * w.transient
        w.status_quo -= fade
        w.transient -= fade
        w.status_quo.clip(0.0, 1.0, out=w.status_quo)

    def freshness(self, actor: str, action_id: str) -> float:
        """Repeating an act adds less each time: its effects on the status quo are scaled by
        one minus a moving average of how often the actor took it recently."""
        return 1.0 - self.usage[self.agent_by_id[actor].index, self.action_index[action_id]]

    def _update_usage(self) -> None:
        memory = self.params.memory
        taken = np.zeros(self.usage.shape, dtype=bool)
        for actor, action_id in self.month_acts:
            taken[self.agent_by_id[actor].index, self.action_index[action_id]] = True
        self.usage = memory * self.usage + (1.0 - memory) * taken

    def record_decision(self, decision: Decision, negotiation: bool = False) -> None:
        if self.keep_decisions:
            self.decision_log.append((self.month, decision, negotiation))

    # --- acts and their effects -----------------------------------------------------------

    def log_action(self, actor: str, action_id: str, targets: list[str],
                   decision: Decision | None = None, note: str = "") -> None:
        """Carry out a catalogue action: apply its effects and log it as an event."""
        action = self.catalogue.actions[action_id]
        self._apply_effects(actor, action_id, targets)
        w = self.world
        self.impacts.append(tension.Impact(
            source=w.index[actor], targets=tuple(w.index[t] for t in targets),
            goldstein=action.goldstein, quad_class=action.quad_class,
            security_cooperation=not SECURITY_TAGS.isdisjoint(action.tags),
            coercive=tension.is_coercive(action.cameo),
            countermeasure=tension.is_countermeasure(action.cameo, action.tags),
        ))
        if decision is not None:  # rounded when the rows are read (see rows_events)
            parts = decision.components[decision.chosen]
            values = (*parts.tolist(), float(parts.sum()),
                      float(decision.probabilities[decision.chosen]))
        else:
            values = None
        self.month_events.append(action.quad_class)
        self.month_acts.add((actor, action_id))
        self._event_queue.append(((self.month, actor, "+".join(targets), action_id, action.cameo,
                                   action.goldstein, action.quad_class, False), values, note))

    def _apply_effects(self, actor: str, action_id: str, targets: list[str]) -> None:
        action = self.catalogue.actions[action_id]
        effects, w = action.effects, self.world
        scale = self.freshness(actor, action_id)
        # an act that changes institutions (ties) moves the status quo for good; any other
        # act's effect is transient and fades (see _fade_transient_shifts)
        lasting = bool(effects.add_ties or effects.remove_ties)
        for issue, delta in effects.status_quo.items():
            k = w.issue_index[issue]
            before = w.status_quo[k]
            w.status_quo[k] = min(1.0, max(0.0, before + scale * delta))
            if not lasting:
                w.transient[k] += w.status_quo[k] - before
        if targets:
            for ref in effects.add_ties:
                w.ties.add(w.resolve(ref, actor, targets[0]))
                w.ever_ties.add(w.resolve(ref, actor, targets[0]))
            for ref in effects.remove_ties:
                w.ties.discard(w.resolve(ref, actor, targets[0]))
        i = w.index[actor]
        w.approval[i] = min(1.0, max(0.0, w.approval[i] + effects.approval))
        for t in targets:
            j = w.index[t]
            w.approval[j] = min(1.0, max(0.0, w.approval[j] + effects.target_approval))
        if len(targets) == 2 and "mediation" in action.tags:
            negotiation.mediate(self, targets)
        if len(targets) == 2 and effects.pair_tension:
            j, k = w.index[targets[0]], w.index[targets[1]]
            w.tension[j, k] = w.tension[k, j] = min(1.0, max(0.0, w.tension[j, k]
                                                               + effects.pair_tension))
        self.agent_by_id[actor].remember_measure(action_id)

    def implement(self, tie: str, a: str, b: str, add: bool, note: str) -> None:
        """Add or lift a tie as part of an agreement, through the catalogue act that does it."""
        kind = "add_ties" if add else "remove_ties"
        for action_id, action in self.catalogue.actions.items():
            for ref in getattr(action.effects, kind):
                name, _, direction = ref.partition(":")
                if name != tie:
                    continue
                actor, target = (b, a) if direction == "target>actor" else (a, b)
                self.log_action(actor, action_id, [target], note=note)
                return
        ties = self.world.ties
        (ties.add if add else ties.discard)(self.world.tie(tie, a, b))

    # --- scripted events ------------------------------------------------------------------

    def fire_scripted_events(self) -> None:
        """Dated events due this month fire; an event with a window fires with its monthly
        rate (one draw for each such event, in the scenario's order)."""
        for event_id, event, dated in self.event_plan[self.month_index]:
            if dated or self.rng.random() < event.rate:
                self._fire(event_id, event)

    def _event_plan(self) -> list[list[tuple]]:
        """For each month, the events that may fire, in the scenario's order: (id, event,
        True) for a dated event due that month, (id, event, False) within an event's window."""
        plan: list[list[tuple]] = [[] for _ in self.months]
        for event_id, event in self.stage.events.items():
            for k, month in enumerate(self.months):
                if event.date is not None:
                    if event.date == month:
                        plan[k].append((event_id, event, True))
                elif ((event.window_start or self.months[0]) <= month
                      <= (event.window_end or self.months[-1])):
                    plan[k].append((event_id, event, False))
        return plan

    def _fire(self, event_id: str, event) -> None:
        w = self.world
        for issue, delta in event.effects.status_quo.items():
            k = w.issue_index[issue]
            w.status_quo[k] = min(1.0, max(0.0, w.status_quo[k] + delta))
        for actor, delta in event.effects.approval.items():
            i = w.index[actor]
            w.approval[i] = min(1.0, max(0.0, w.approval[i] + delta))
        source = event.attribute_to or (event.actor if event.actor in w.index else None)
        for kind, op in (("add_ties", w.ties.add), ("remove_ties", w.ties.discard)):
            for ref in getattr(event.effects, kind):
                name, _, direction = ref.partition(":")
                ends = direction.split(">") if direction else [source, event.target[0]]
                op(w.tie(name, ends[0], ends[1]))
        if event.quad_class:
            self.impacts.append(tension.Impact(
                source=w.index[source] if source else None,
                targets=tuple(w.index[t] for t in event.target),
                goldstein=event.goldstein, quad_class=event.quad_class, chosen=False,
                coercive=tension.is_coercive(event.cameo),
            ))
        self._event_queue.append(((self.month, event.actor, "+".join(event.target), event_id,
                                   event.cameo, event.goldstein, event.quad_class, True),
                                  None, event.label))

    # --- data -----------------------------------------------------------------------------

    def _collect(self, goldstein: np.ndarray) -> None:
        """Keep the month's values; the rows are built (and rounded) when they are read."""
        w = self.world
        flat = self.dyad_flat
        self.collected.append((self.month, w.tension.take(flat), w.cooperation.take(flat),
                               goldstein.take(flat),
                               self.tie_labels(), w.status_quo.copy(), self.regional_raw(),
                               len(self.agreements.in_force()),
                               sum(1 for q in self.month_events if q == 4)))

    def tie_labels(self) -> tuple[str, ...]:
        """The ties in force between each pair, as the trajectories table writes them (kept per
        set of ties: they change rarely)."""
        w = self.world
        key = ("labels", frozenset(w.ties))
        labels = w.by_ties.get(key)
        if labels is None:
            if len(w.by_ties) > 64:
                w.by_ties.clear()
            labels = w.by_ties[key] = self.compute_tie_labels()
        return labels

    def compute_tie_labels(self) -> tuple[str, ...]:
        w = self.world
        labels: list[list[str]] = [[] for _ in self.dyad_names]
        for name, a, b in sorted(w.ties):
            k = self.dyad_number.get((a, b)) if a in w.index and b in w.index else None
            if k is not None:
                labels[k].append(f"{name}:{a}>{b}" if w.tie_directed[name] else name)
        return tuple(";".join(parts) for parts in labels)

    def regional_raw(self) -> tuple[float, float]:
        """Mean tension among the states and the trilateral partners' cohesion (unrounded)."""
        w = self.world
        states, trilateral = self.state_flat, self.trilateral_flat
        regional = float(mean_of(w.tension.take(states))) if len(states) else 0.0
        cohesion = (float(mean_of((w.cooperation.take(trilateral) - w.tension.take(trilateral)
                                   + 1.0) / 2.0)) if len(trilateral) else 0.0)
        return regional, cohesion

    def latest_indices(self) -> tuple[float, float]:
        """The regional indices of the month just collected (of the start before any)."""
        return self.collected[-1][6] if self.collected else self.regional_raw()

    def regional_indices(self) -> tuple[float, float]:
        """Mean tension among the states and the trilateral partners' cohesion, rounded."""
        regional, cohesion = self.regional_raw()
        return round(regional, 6), round(cohesion, 6)

    def _rows(self) -> None:
        """Turn the months collected since the last read into table rows, rounding once."""
        fresh = self.collected[self.rows_done:]
        if not fresh:
            return
        self.rows_done = len(self.collected)
        k = len(self.dyad_names)
        values = np.stack([np.concatenate(m[1:4]) for m in fresh])
        values = np.round(values, 6).tolist()  # numpy's rounding, as the rows always had
        status = round_decimal(np.stack([m[5] for m in fresh]).ravel())
        indices = round_decimal(np.array([m[6] for m in fresh]).ravel())
        n_issues = len(self.world.issues)
        for x, (month, *_rest, ties, _sq, _idx, in_force, material) in enumerate(fresh):
            v = values[x]
            self._trajectories.extend(
                (month, name, v[d], v[k + d], v[2 * k + d], ties[d])
                for d, name in enumerate(self.dyad_names))
            self._status_quo.extend((month, issue, status[x * n_issues + q])
                                    for q, issue in enumerate(self.world.issues))
            self._indices.append((month, indices[2 * x], indices[2 * x + 1], in_force, material))

    @property
    def rows_events(self) -> list[tuple]:
        """The event rows: the chosen option's probability and utilities rounded (once, for
        the rows logged since the last read), None for scripted and negotiated acts."""
        if self._event_queue:
            queue, self._event_queue = self._event_queue, []
            raw = [values for _, values, _ in queue if values is not None]
            rounded = round_decimal(np.array(raw).ravel()) if raw else []
            width, k = len(COMPONENTS) + 2, 0
            for head, values, note in queue:
                if values is None:
                    self._events.append((*head, None, *([None] * (width - 1)), note))
                else:
                    r = rounded[k:k + width]
                    k += width
                    self._events.append((*head, r[-1], *r[:-1], note))
        return self._events

    @property
    def rows_trajectories(self) -> list[tuple]:
        self._rows()
        return self._trajectories

    @property
    def rows_indices(self) -> list[tuple]:
        self._rows()
        return self._indices

    @property
    def rows_status_quo(self) -> list[tuple]:
        self._rows()
        return self._status_quo

    def model_reporters(self) -> dict[str, object]:
        """Mesa model reporters: the regional indices and the tension of each key dyad."""
        reporters: dict[str, object] = {
            "regional_tension": lambda m: m.latest_indices()[0],
            "trilateral_cohesion": lambda m: m.latest_indices()[1],
        }
        w = self.world
        for dyad in self.stage.meta.key_dyads:
            a, b = dyad.split("-")
            if a in w.index and b in w.index:
                i, j = w.index[a], w.index[b]
                reporters[f"tension {dyad}"] = lambda m, i=i, j=j: float(m.world.tension[i, j])
        return reporters

    def record(self) -> RunRecord:
        return RunRecord(self.rows_trajectories, self.rows_indices, self.rows_events,
                         self.agreements.all, self.rows_status_quo)


def prepares_note(action_id: str) -> str:
    """How the note of a preparing act names the act it prepares (``sim explain`` reads it)."""
    return f"prepares {action_id}"


def largest_motive(decision: Decision) -> str:
    """The utility component that weighs most for the chosen option."""
    parts = decision.breakdown()
    return max(parts, key=parts.get)


def mean_of(values: np.ndarray) -> np.float64:
    """``np.mean`` of a 1-D array (the same sum and division) without its overhead."""
    return values.sum() / len(values)


def pairs_among(members: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (i, j) of every pair i < j of the members, for fancy indexing."""
    pairs = [(i, j) for i in members for j in members if i < j]
    return (np.array([i for i, _ in pairs], dtype=np.intp),
            np.array([j for _, j in pairs], dtype=np.intp))


def with_parameters(scenario: str | Path | LoadedScenario,
                    overrides: dict[str, float]) -> LoadedScenario:
    """The scenario (a file or a loaded one) with parameters set by name."""
    dotted = {f"parameters.{name}": value for name, value in overrides.items()}
    if isinstance(scenario, LoadedScenario):
        if not dotted:
            return scenario
        return load_scenario(scenario.path, {**scenario.overrides, **dotted})
    return load_scenario(scenario, dotted)


def simulate(loaded: LoadedScenario, seed: int, keep_decisions: bool = False) -> DisputeModel:
    """Run one scenario to its horizon and return the finished model."""
    model = DisputeModel(loaded, seed, keep_decisions=keep_decisions)
    while model.running:
        model.step()
    return model
