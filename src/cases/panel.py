"""Public name of :mod:`cases.methods.panel` (**contract** module; the code lives there).

Kept importable as ``cases.panel`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.methods.panel import (
    AUTO_LINEARMODELS_MAX_ROWS,
    PS_TRIM_LEVEL,
    BaconResult,
    EventStudyResult,
    StaggeredResult,
    TwfeResult,
    bacon_decomposition,
    event_study,
    staggered_did,
    twfe,
)

__all__ = [
    "AUTO_LINEARMODELS_MAX_ROWS",
    "PS_TRIM_LEVEL",
    "BaconResult",
    "EventStudyResult",
    "StaggeredResult",
    "TwfeResult",
    "bacon_decomposition",
    "event_study",
    "staggered_did",
    "twfe",
]
