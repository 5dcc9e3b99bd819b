"""Public name of :mod:`cases.methods.measures` (**contract** module; the code lives there).

Kept importable as ``cases.measures`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.methods.measures import *  # noqa: F403
from cases.methods.measures import __all__  # noqa: F401
