"""The actors: small Mesa agents that hold their own preferences and choose an action a month.

An actor's identity, kind (state or group), capabilities and preferences come from the scenario
file; a state's preferences change with its administrations. The choice itself is computed in
:mod:`sim.decision`.
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim import decision

if TYPE_CHECKING:
    from sim.model import DisputeModel
    from sim.scenario.schema import Action, Actor


class IdsByModel(weakref.WeakKeyDictionary):
    """Agent numbers per model, as Mesa 3.3 counts them (``Agent._ids``), but holding each model
    weakly: Mesa's own class-level dictionary keeps every model ever built alive, so that an
    ensemble's memory grew by about 100 KB a run."""

    def __getitem__(self, model: Any) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class ActorAgent(mesa.Agent):
    """A government or a non-state group taking part in the dispute."""

    _ids = IdsByModel()  # read by mesa.Agent.__init__ where Mesa numbers agents this way

    def __init__(self, model: DisputeModel, actor_id: str, spec: Actor, issues: list[str]):
        super().__init__(model)
        self.actor_id = actor_id
        self.spec = spec
        self.kind = spec.kind
        self.tags = set(spec.tags)
        self.capability = spec.capability
        self.reciprocity = spec.reciprocity
        self.risk = spec.risk
        self.opinion = spec.opinion
        self.hostility = dict(spec.opinion.hostility) if spec.opinion else {}
        self.public = (np.array([spec.opinion.public.get(k, spec.positions[k].position)
                                 for k in issues]) if spec.opinion else None)
        self.inclinations = dict(spec.inclinations)
        self.alliance_pressure = spec.alliance_pressure
        self.mediation = spec.mediation
        # every posture the actor can take in the run (its own and its administrations')
        self.postures = {spec.mediation} | {adm.mediation for adm in spec.administrations.values()
                                            if adm.mediation is not None}
        self.disabled = set(model.stage.disabled_actions)
        self.issues = issues
        self.administration: str | None = None
        self.ideal, self.salience = self._preferences(None)
        self.negotiating = self.ideal.copy()
        self.measures_taken: dict[str, str | None] = {}
        self.decision: decision.Decision | None = None
        self.index = -1  # position in the model's actor order, set by the model

    # --- preferences ----------------------------------------------------------------------

    def _preferences(self, admin_id: str | None) -> tuple[np.ndarray, np.ndarray]:
        stances = dict(self.spec.positions)
        if admin_id is not None:
            stances.update(self.spec.administrations[admin_id].positions)
        ideal = np.array([stances[k].position for k in self.issues])
        salience = np.array([stances[k].salience for k in self.issues])
        return ideal, salience

    def administration_at(self, month: str) -> str | None:
        for admin_id, adm in self.spec.administrations.items():
            if adm.start <= month and (adm.end is None or month < adm.end):
                return admin_id
        return None

    def update_administration(self, month: str) -> bool:
        """Adopt the preferences of the administration in office; True if it changed."""
        current = self.administration_at(month)
        if current == self.administration:
            return False
        self.administration = current
        self.ideal, self.salience = self._preferences(current)
        self.negotiating = self.ideal.copy()
        self.mediation, self.alliance_pressure = self._posture(current)
        return True

    def _posture(self, admin_id: str | None) -> tuple[str, float]:
        """The mediation posture and alliance pressure of the administration in office (the
        actor's own where the administration sets none)."""
        adm = self.spec.administrations.get(admin_id) if admin_id is not None else None
        mediation = adm.mediation if adm and adm.mediation is not None else self.spec.mediation
        pressure = (adm.alliance_pressure if adm and adm.alliance_pressure is not None
                    else self.spec.alliance_pressure)
        return mediation, pressure

    def ideal_of(self, admin_id: str | None) -> np.ndarray:
        return self._preferences(admin_id)[0]

    # --- behaviour ------------------------------------------------------------------------

    @property
    def candidates(self) -> list[decision.Option]:
        return self.model.option_table.by_actor[self.index]

    def decide(self) -> None:
        self.decision = decision.decide(self.model, self)

    def reverses_own_measure(self, action: Action) -> bool:
        """Undoing a measure this same administration took costs it face at home."""
        if action.reverses is None or action.reverses not in self.measures_taken:
            return False
        return self.measures_taken[action.reverses] == self.administration

    def remember_measure(self, action_id: str) -> None:
        self.measures_taken[action_id] = self.administration
