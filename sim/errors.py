"""The project's one user-facing error type: located problems in an input file.

Every bad scenario, experiment or table file ends in a :class:`InputError` listing each problem as
``file:line: path.to.field: what was expected``. The CLI prints them and exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputError(Exception):
    """One or more problems in user input files; carries them all, found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def fail(file: str, message: str, line: int = 0, path: str = "") -> InputError:
    """Shorthand for an error with a single problem."""
    return InputError([Problem(str(file), line, path, message)])
