"""The one result type of every page builder, and how a notebook shows it.

A page builder (``cases.pages.<analysis>.build(params) -> Page``) returns facts, not prose:

- ``numbers``: values printed in the text and recorded in the results manifest, under glue
  keys that :func:`show` prefixes (``prefix`` + ``_`` + name);
- ``facts``: booleans, categories and names that decide which sentence of the text template
  applies (not recorded);
- ``tables`` and ``figures``: DataFrames and matplotlib figures, shown by the notebook;
- ``tolerances``: the verify tolerance of a float number when it is not the default.

The notebook calls :func:`show`, which glues every number, renders the analysis's text template
(:mod:`cases.present.text`) with the numbers and facts, and glues each passage as Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.present.text import render_blocks


@dataclass
class Page:
    numbers: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    tolerances: dict[str, float] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        """What a text template sees: the numbers and the facts (facts win on a clash)."""
        return {**self.numbers, **self.facts}

    def render(self, template: str, folder: Path | None = None) -> dict[str, str]:
        """The passages of ``text/<template>.md`` for this page: ``{block: Markdown}``."""
        return render_blocks(template, self.context(), folder)


def show(page: Page, template: str, prefix: str, folder: Path | None = None) -> dict[str, str]:
    """Glue a page into the running notebook: every number as ``<prefix>_<name>`` (recorded in
    the results manifest with its tolerance) and every passage of the text template as
    Markdown under ``<prefix>_<block>``. Returns the passages.

    Raises:
        TextTemplateError: see :func:`cases.present.text.render_blocks`.
    """
    from IPython.display import Markdown

    from cases.present import report

    passages = page.render(template, folder)
    for name, value in page.numbers.items():
        report.glue(f"{prefix}_{name}", value, tolerance=page.tolerances.get(name))
    for block, text in passages.items():
        report.glue(f"{prefix}_{block}", Markdown(text))
    return passages
