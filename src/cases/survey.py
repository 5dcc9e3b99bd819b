"""Public name of :mod:`cases.methods.survey` (**contract** module; the code lives there).

Kept importable as ``cases.survey`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.methods.survey import (
    Instrument,
    Item,
    ResponseRange,
    Scale,
    compare_groups,
    corrected_item_total,
    cronbach_alpha,
    item_analysis,
    list_instruments,
    load_instrument,
    mcdonald_omega,
    one_factor_ml,
    ordered_logit,
    reliability_table,
    reverse_code,
    scale_scores,
)

__all__ = [
    "Instrument",
    "Item",
    "ResponseRange",
    "Scale",
    "compare_groups",
    "corrected_item_total",
    "cronbach_alpha",
    "item_analysis",
    "list_instruments",
    "load_instrument",
    "mcdonald_omega",
    "one_factor_ml",
    "ordered_logit",
    "reliability_table",
    "reverse_code",
    "scale_scores",
]
