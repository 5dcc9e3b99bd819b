"""Reproducible compendium of five case studies of rural poverty-alleviation governance in China.

Modules, one concern each:

- :mod:`cases.paths` — every project path, anchored on the package (never the working directory).
- :mod:`cases.errors` — the exception types the library raises.
- :mod:`cases.registry` — the five-case registry (``list_cases``, ``load_case``).
- :mod:`cases.measures` — poverty and inequality measures.
- :mod:`cases.survey` — Likert instruments and reliability.
- :mod:`cases.qual` — qualitative coding.
- :mod:`cases.panel` — panel data and policy evaluation.
- :mod:`cases.design` — research designs declared and diagnosed by simulation (contract; the
  code is in :mod:`cases.methods.design`).
- :mod:`cases.methods` — statistical methods: census indicators, design diagnosis,
  sensitivity of event studies (HonestDiD), multiple-testing adjustments.
- :mod:`cases.present` — the text renderer, the shared page result type, maps.
- :mod:`cases.pages` — one page builder per analysis in the new shape (facts in Python,
  words in ``text/``).
- :mod:`cases.io` — reading and validating field data.
- :mod:`cases.synth` — seeded simulated field data.
- :mod:`cases.report` — figures, tables, labels and glue helpers.
- :mod:`cases.pipeline` — papermill runner and book build.
- :mod:`cases.cli` — the ``cases`` command.
"""

__version__ = "0.1.0"
