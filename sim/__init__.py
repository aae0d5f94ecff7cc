"""Agent-based simulation of the Japan-South Korea historical dispute.

Actors, issues, actions and events come from scenario files (``scenarios/``, shipped inside the
package: :mod:`sim.shipped`); the package holds only mechanisms. See ``README.md`` for the
commands and ``docs/design.md`` for the design.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jk-dispute-sim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
