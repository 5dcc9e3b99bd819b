"""Public name of :mod:`cases.data.registry` (**contract** module; the code lives there).

Kept importable as ``cases.registry`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.data.registry import *  # noqa: F403
from cases.data.registry import __all__  # noqa: F401
