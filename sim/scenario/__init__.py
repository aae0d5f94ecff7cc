"""Scenario files: the YAML format, its schema, provenance checks and loading."""

from sim.scenario.loader import LoadedScenario, load_scenario

__all__ = ["LoadedScenario", "load_scenario"]
