"""Reproducible compendium of five case studies of rural poverty-alleviation governance in China.

Data flow one way, and the folders are the layers, each importing only those above it in
this list (import-linter contracts in ``pyproject.toml`` check it in ``make test``):

- :mod:`cases.core` — paths, errors, atomic writes, the results manifest.
- :mod:`cases.data` — the case registry, public tables, the one field-data reader.
- :mod:`cases.methods` — measures, survey reliability, panel estimators, qualitative coding,
  census indicators, design diagnosis, inference helpers.
- :mod:`cases.simulate` — seeded simulated field data, one world per case.
- :mod:`cases.present` — figures, tables, the text renderer and its named formats, fonts,
  disclosure control, the shared page result type.
- :mod:`cases.pages` — one module per analysis template: numbers, facts, tables and figures;
  the words are in ``text/``.
- :mod:`cases.run` — runner, cache, sweeps, verify, publish, scaffold, the ``cases`` command.

Contract names kept importable as thin re-exports: :mod:`cases.registry`, :mod:`cases.io`,
:mod:`cases.measures`, :mod:`cases.survey`, :mod:`cases.panel`, :mod:`cases.design`.
"""

__version__ = "0.1.0"
