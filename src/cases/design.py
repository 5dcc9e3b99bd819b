"""Research-design declaration and diagnosis (**contract** module).

The public name of :mod:`cases.methods.design`: ``Design(model, inquiry, data_strategy,
answer_strategy)``, ``diagnose(design, sims, seed, jobs=1)``, ``redesign`` and helpers. See that
module for the formulas, seeding and references.
"""

from cases.methods.design import (
    ANSWER_COLUMNS,
    DIAGNOSANDS,
    Design,
    DesignError,
    Diagnosis,
    Draw,
    diagnosands,
    diagnose,
    draw,
    minimum_for_power,
    redesign,
    sims_for_mcse,
    simulate,
    tidy_estimate,
)

__all__ = [
    "ANSWER_COLUMNS",
    "DIAGNOSANDS",
    "Design",
    "DesignError",
    "Diagnosis",
    "Draw",
    "diagnosands",
    "diagnose",
    "draw",
    "minimum_for_power",
    "redesign",
    "sims_for_mcse",
    "simulate",
    "tidy_estimate",
]
