"""Public name of :mod:`cases.data.io` (**contract** module; the code lives there).

Kept importable as ``cases.io`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.data.io import *  # noqa: F403
from cases.data.io import __all__  # noqa: F401
