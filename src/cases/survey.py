"""Public name of :mod:`cases.methods.survey` (**contract** module; the code lives there).

Kept importable as ``cases.survey`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.methods.survey import *  # noqa: F403
from cases.methods.survey import __all__  # noqa: F401
