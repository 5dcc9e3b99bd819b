"""The PDF edition's check of the XeLaTeX log (cases.run.pdf); the build itself runs in .ci/run."""

from __future__ import annotations

import pytest

from cases.core.errors import CasesError
from cases.run import pdf

# Lines as XeTeX writes them (TeX Live 2022; older XeTeX omits the code point). The log wraps
# lines at 79 characters, after the code point.
LOG = """\
Missing character: There is no 🔒 (U+1F512) in font Noto Serif CJK SC/OT:script=
hani;language=dflt;!
Missing character: There is no ⓘ (U+24D8) in font Noto Serif CJK SC/OT:script=
Missing character: There is no 🔒 (U+1F512) in font Noto Serif CJK SC/OT:script=
Missing character: There is no 贫 in font lmroman10-regular!
Output written on book.pdf (214 pages, 4114432 bytes).
"""


def test_missing_characters_are_read_in_log_order_with_repeats():
    assert pdf.missing_characters(LOG) == ["🔒", "ⓘ", "🔒", "贫"]
    assert pdf.missing_characters("Output written on book.pdf (3 pages).") == []


def test_check_log_fails_with_count_and_first_characters(tmp_path):
    log = tmp_path / "book.log"
    log.write_text(LOG, encoding="utf-8")
    with pytest.raises(CasesError, match=r"4 missing character") as caught:
        pdf.check_log(log)
    message = str(caught.value)
    assert "'🔒' U+1F512 (2 times)" in message and "'贫' U+8D2B" in message
    assert pdf.page_count(log) == 214


def test_check_log_passes_a_clean_log_and_refuses_a_missing_one(tmp_path):
    log = tmp_path / "book.log"
    log.write_text("Output written on book.pdf (1 page, 100 bytes).\n", encoding="utf-8")
    pdf.check_log(log)
    assert pdf.page_count(log) == 1
    with pytest.raises(CasesError, match="no LaTeX log"):
        pdf.check_log(tmp_path / "absent.log")


def test_describe_lists_only_the_first_distinct_characters():
    text = pdf.describe([chr(0x4E00 + i) for i in range(12)], shown=3)
    assert text.count("U+") == 3 and text.endswith("and 9 more distinct")


def test_sphinx_hook_swaps_the_class_and_keeps_the_contents_name():
    # sphinx-jupyterbook-latex's class needs texlive-fonts-extra and its preamble needs babel;
    # the hook (run after that extension's) replaces both with what Sphinx's own class has.
    preamble = r"\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}"
    config = {"latex_theme": "jupyterBook", "latex_elements": {"preamble": preamble}}
    pdf._sphinx_manual_class(None, config)
    assert config["latex_theme"] == "manual"
    new = config["latex_elements"]["preamble"]
    assert r"\addto" not in new and r"\renewcommand{\contentsname}{Contents}" in new
    assert r"\newenvironment{sphinxVerbatimOutput}" in new
