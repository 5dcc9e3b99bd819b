"""Exception types raised by the library.

Every message names the offending file, row, column, parameter or value, so a user can fix the
input without reading the code.
"""

from __future__ import annotations


class CasesError(Exception):
    """Base class for errors raised deliberately by :mod:`cases`."""


class RegistryError(CasesError, ValueError):
    """A case file in ``data/cases/`` is missing, malformed or fails validation."""


class DataValidationError(CasesError, ValueError):
    """Input data failed validation; the message lists every problem found (row, column, value)."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) found:\n{lines}")


class ParameterError(CasesError, ValueError):
    """A notebook parameter is unknown or has the wrong type."""


class NotebookExecutionError(CasesError, RuntimeError):
    """A notebook raised while papermill executed it."""
