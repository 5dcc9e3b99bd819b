"""Public name of :mod:`cases.methods.panel` (**contract** module; the code lives there).

Kept importable as ``cases.panel`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.methods.panel import *  # noqa: F403
from cases.methods.panel import __all__  # noqa: F401
