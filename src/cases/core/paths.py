"""Project paths, resolved from the package location rather than the working directory.

The repository layout is fixed (see the README); an installed copy that is not inside a checkout
can point elsewhere with the ``CASES_ROOT`` environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the repository root: ``$CASES_ROOT`` if set, else two levels above this package."""
    env = os.environ.get("CASES_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3]


ROOT = project_root()
DATA = ROOT / "data"
CASES_DIR = DATA / "cases"
RAW = DATA / "raw"
INSTRUMENTS = DATA / "instruments"
SYNTH = DATA / "synth"
QUAL = DATA / "qual"
#: Per-case settings of each analysis (``<analysis>.yaml``), validated by its page module.
SETTINGS = DATA / "settings"
NOTEBOOKS = ROOT / "notebooks"
#: One text template per analysis: the sentences of its pages (Markdown with Jinja2).
TEXT = ROOT / "text"
PARAMS = ROOT / "params"
BOOK = ROOT / "book"
RESULTS = ROOT / "results"
CACHE = ROOT / ".cache" / "cases"
#: Numbers of the latest runs (untracked); ``results/`` changes only through ``cases publish``.
RUN_RESULTS = CACHE / "results"
