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


# --------------------------------------------------------------------------- tables in the PDF


def _table_project(root, book_config):
    """A one-page Sphinx project whose notebook shows a table of ``cases.present.report`` (its
    mime bundle as the notebook stores it) and a formula output, with the book's LaTeX and
    myst-nb settings (``book/_config.yml``) and this module as an extension."""
    import nbformat
    import pandas as pd

    from cases.present import report

    frame = pd.DataFrame(
        {
            "County": ["六盘水市", "Village 01 & 02"],
            "Estimate": [0.1234, -2.5],
            "95 % CI high": [0.3, -1.0],
            "95 % CI low": [0.0, -3.0],
            "Where read": ['<a href="https://example.org/a_b?x=1&amp;y=2#c">example.org</a>', "—"],
        }
    )
    shown = report.table(frame, simulated=True, caption="Two rows of 50 % 贫困", index=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    table_cell = nbformat.v4.new_code_cell("shown")
    table_cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": shown.to_html(),
                "text/latex": shown.to_latex(),
                "text/plain": repr(shown),
            },
        )
    ]
    formula_cell = nbformat.v4.new_code_cell("formula")
    formula_cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/latex": "$$x^2$$", "text/plain": "x**2"})
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tables"), table_cell, formula_cell]
    root.mkdir()
    nbformat.write(nb, root / "index.ipynb")
    sphinx = book_config["sphinx"]["config"]
    conf = {
        "extensions": ["myst_nb", "cases.run.pdf"],
        "nb_execution_mode": "off",
        "nb_mime_priority_overrides": sphinx["nb_mime_priority_overrides"],  # as YAML gives it
        "latex_engine": book_config["latex"]["latex_engine"],
        "latex_documents": [("index", "book.tex", "Tables", "Test", "manual")],
        "latex_elements": sphinx["latex_elements"],
    }
    (root / "conf.py").write_text(
        "\n".join(f"{key} = {value!r}" for key, value in conf.items()), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def table_book(tmp_path_factory):
    """The one-page project built with Sphinx's LaTeX and HTML builders (warnings as errors)."""
    import os
    import subprocess
    import sys

    import yaml

    from cases.core import paths

    base = tmp_path_factory.mktemp("table-book")
    config = yaml.safe_load((paths.BOOK / "_config.yml").read_text(encoding="utf-8"))
    _table_project(base / "src", config)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for builder in ("latex", "html"):
        done = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "-q", "-b", builder, "src", builder],
            cwd=base,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return base


def test_pdf_tables_are_booktabs_longtables_and_formulas_stay_maths(table_book):
    tex = (table_book / "latex" / "book.tex").read_text(encoding="utf-8")
    assert r"\usepackage{booktabs}" in tex
    start = tex.index(pdf_marker())
    table = tex[start : tex.index(r"\end{longtable}", start)]
    assert r"\begin{longtable}{lrrrl}" in table and r"\toprule" in table
    assert r"\href{https://example.org/a_b?x=1\&y=2\#c}{example.org}" in table
    assert r"\caption{Two rows of 50 \% 贫困}" in table
    # The interval's bounds in order, the typographic minus, Chinese and escaped characters.
    assert r"County & Estimate & 95 \% CI low & 95 \% CI high & Where read \\" in table
    assert r"Village 01 \& 02 & −2.50 & −3.00 & −1.00 & — \\" in table and "六盘水市" in table
    # Not set as an equation; the plain-text DataFrame printout is gone; the formula stays maths.
    before = tex[:start].rsplit(r"\begin{sphinxuseclass}{cell_output}", 1)[-1]
    assert "equation" not in before and "split" not in before
    assert "County  Estimate" not in tex
    assert r"x^2" in tex and r"\begin{equation*}" in tex


def pdf_marker() -> str:
    from cases.present.report import LATEX_MARKER

    return LATEX_MARKER


def test_html_edition_keeps_the_html_table(table_book):
    page = (table_book / "html" / "index.html").read_text(encoding="utf-8")
    assert '<div class="cases-table">' in page and "六盘水市" in page
    assert "\\begin{longtable}" not in page


def test_pdf_table_sets_chinese_with_no_missing_character(table_book):
    import shutil
    import subprocess

    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.skip("XeLaTeX is not installed: run `make tex` as root")
    out = table_book / "latex"
    done = subprocess.run(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "book.tex"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    pdf.check_log(out / "book.log")  # raises on any missing character
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "book.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert "六盘水市" in text and "−2.50" in text
