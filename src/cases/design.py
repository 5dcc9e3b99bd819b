"""Research-design declaration and diagnosis (**contract** module).

The public name of :mod:`cases.methods.design`: ``Design(model, inquiry, data_strategy,
answer_strategy)``, ``diagnose(design, sims, seed, jobs=1)``, ``redesign`` and helpers. See that
module for the formulas, seeding and references.
"""

from cases.methods.design import *  # noqa: F403
from cases.methods.design import __all__  # noqa: F401
