"""The PDF edition of the book: build it with XeLaTeX and check that every character was set.

``make pdf`` runs ``python -m cases.run.pdf`` after ``cases run --all`` has executed the
notebooks. :func:`build_pdf` builds ``book/_build/latex/book.pdf`` from the same executed
notebooks as the HTML book (Jupyter Book's ``pdflatex`` builder; the engine, XeLaTeX, and the
Noto CJK fonts are set in ``book/_config.yml``), with Sphinx warnings as errors, and then
:func:`check_log` reads the XeLaTeX log: a character that no loaded font has is left out of the
PDF and only noted in the log as ``Missing character: There is no 贫 (U+8D2B) in font ...``, so
a build that "succeeds" can still print Chinese names as blanks. Any such line fails the build.
The built LaTeX source is also scanned for personal identifiers, as the HTML book is
(:func:`cases.present.disclosure.scan_text`).

Nothing here writes outside ``book/_build`` and ``book/provenance.md`` (git-ignored), and
nothing is downloaded: the fonts and TeX Live come from Debian's packages.

The module is also a Sphinx extension (``book/_config.yml``, ``extra_extensions``): see
:func:`setup`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from cases.core import paths
from cases.core.errors import CasesError

#: XeTeX's log line for a character absent from the current font. TeX Live 2021+ adds the
#: code point; older XeTeX does not. Log lines are wrapped at 79 characters, after the code.
MISSING = re.compile(
    r"Missing character: There is no (\S+?)(?: \(U\+([0-9A-Fa-f]{4,6})\))? in font"
)
#: How many distinct missing characters an error message lists.
SHOWN = 10
BUILDER = "pdflatex"  # Jupyter Book's name for its LaTeX-to-PDF builder (the engine is xelatex)


def latex_dir() -> Path:
    """Where Sphinx writes the LaTeX sources, the log and ``book.pdf``."""
    return paths.BOOK / "_build" / "latex"


def missing_characters(log: str) -> list[str]:
    """Every character the log reports as missing from its font, in log order (repeats kept).

    Rule: one entry per ``Missing character: There is no <c> ...`` line (:data:`MISSING`).
    """
    return [m.group(1) for m in MISSING.finditer(log)]


def describe(chars: list[str], shown: int = SHOWN) -> str:
    """``'🔒' U+1F512 (3 times), ...`` for the first ``shown`` distinct characters."""
    counts = Counter(chars)
    parts = []
    for char, n in list(counts.items())[:shown]:
        code = " ".join(f"U+{ord(c):04X}" for c in char)
        parts.append(f"{char!r} {code}" + (f" ({n} times)" if n > 1 else ""))
    more = len(counts) - shown
    return ", ".join(parts) + (f", and {more} more distinct" if more > 0 else "")


def check_log(log_path: Path) -> None:
    """Fail if the XeLaTeX log reports a missing character.

    Raises:
        CasesError: the log does not exist (no build ran), or it reports missing characters:
            the message gives their count and the first :data:`SHOWN` distinct characters
            with their code points.
    """
    if not log_path.is_file():
        raise CasesError(f"{log_path}: no LaTeX log; build the PDF first")
    chars = missing_characters(log_path.read_text(encoding="utf-8", errors="replace"))
    if chars:
        raise CasesError(
            f"{log_path}: {len(chars)} missing character(s), left out of the PDF because no "
            f"loaded font has them: {describe(chars)}. Use a font that has them "
            "(book/_config.yml, latex_elements.fontpkg) or replace them in the text."
        )


def page_count(log_path: Path) -> int | None:
    """The page count from the log's ``Output written on book.pdf (N pages`` line."""
    found = re.search(r"Output written on \S+ \((\d+) pages?", log_path.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def build_pdf(allow_stale: bool = False) -> Path:
    """Build ``book.pdf`` offline from the executed notebooks and check it; return its path.

    Steps: the provenance page is rewritten and the chapters are checked as for the HTML book
    (a stale or failed chapter stops the build unless ``allow_stale``, which marks it
    "Out of date"; a missing chapter or an error output always stops it); Jupyter Book's
    ``pdflatex`` builder runs with ``-W -n --keep-going`` (Sphinx's LaTeX and then latexmk with
    XeLaTeX); :func:`check_log` reads the log; the LaTeX source is scanned for identifiers.

    Raises:
        CasesError: as :func:`cases.run.pipeline.build_book` for the chapters; the build fails
            (the end of its output is shown); missing characters; an identifier in the book.
    """
    from cases.present.disclosure import DENY_LIST_NAME, load_deny_list, scan_text
    from cases.run import pipeline

    pipeline.prepare_chapters("PDF", allow_stale)
    completed = pipeline.run_jupyter_book(BUILDER)
    out = latex_dir()
    if completed.returncode != 0:
        raise CasesError(
            f"PDF build failed (LaTeX log: {out / 'book.log'}):\n"
            + completed.stdout[-6000:]
            + completed.stderr[-6000:]
        )
    check_log(out / "book.log")
    deny_list = paths.ROOT / DENY_LIST_NAME
    names = load_deny_list(deny_list) if deny_list.is_file() else []
    found = scan_text((out / "book.tex").read_text(encoding="utf-8"), names)
    if found:
        shown = "\n  - ".join(f"{kind}: {masked}" for kind, masked, _ in found[:50])
        raise CasesError(
            f"{out / 'book.tex'} contains {len(found)} personal identifier(s); do not publish "
            f"the PDF. Remove them from the notebooks or data:\n  - {shown}"
        )
    return out / "book.pdf"


#: The code-cell wrappers of sphinx-jupyterbook-latex's class: outputs indented under inputs.
CELL_ENVIRONMENTS = r"""
\usepackage[strict]{changepage}
\newenvironment{sphinxVerbatimInput}{\begin{adjustwidth}{5pt}{}}{\end{adjustwidth}}
\newenvironment{sphinxVerbatimOutput}{\begin{adjustwidth}{20pt}{}}{\end{adjustwidth}}
"""


def _sphinx_manual_class(app: Any, config: Any) -> None:
    """Typeset with Sphinx's own ``manual`` class instead of sphinx-jupyterbook-latex's.

    sphinx-jupyterbook-latex turns the parts of ``_toc.yml`` into LaTeX parts and chapters (so
    it stays on), but its ``jupyterBook`` class loads ``bbm.sty``, which only Debian's
    texlive-fonts-extra (about 500 MB) ships, for blackboard-bold macros the book never uses.
    Its preamble also names the table of contents with babel's ``\\addto\\captionsenglish``,
    and XeLaTeX runs without babel here: the name is set directly instead (without it, Sphinx
    calls the contents after the first part's caption). The two environments its class
    defines around code-cell inputs and outputs are defined in :data:`CELL_ENVIRONMENTS`, and
    the tables' packages are loaded (:data:`TABLE_PACKAGES`). Runs after that extension's own
    ``config-inited`` handler.
    """
    config["latex_theme"] = "manual"
    elements = config["latex_elements"]
    preamble = elements.get("preamble", "").replace(
        r"\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}",
        r"\renewcommand{\contentsname}{Contents}",
    )
    elements["preamble"] = preamble + CELL_ENVIRONMENTS + TABLE_PACKAGES


def _raw_latex_tables(app: Any, doctree: Any, docname: str) -> None:
    """Pass the book's LaTeX tables to LaTeX as they are.

    myst-nb chooses a ``text/latex`` output for the LaTeX builder (``nb_mime_priority_overrides``
    in ``book/_config.yml``) but typesets it as a displayed equation, which cannot hold a
    ``longtable``. Every such output that starts with
    :data:`cases.present.report.LATEX_MARKER` (the tables of :mod:`cases.present.report`) is
    replaced by a raw LaTeX node; other ``text/latex`` outputs (formulas) are left alone.
    Runs on ``doctree-resolved``, after myst-nb's own choice of output, for LaTeX builders only.
    """
    from docutils import nodes

    from cases.present.report import LATEX_MARKER

    if app.builder.format != "latex":
        return
    for node in list(doctree.findall(nodes.math_block)):
        if "text_latex" in node.get("classes", []) and node.astext().startswith(LATEX_MARKER):
            node.replace_self(nodes.raw("", node.astext(), format="latex"))


#: LaTeX packages of the tables of :func:`cases.present.report.latex_table` that Sphinx does
#: not load itself (it loads longtable, array and xcolor).
TABLE_PACKAGES = "\\usepackage{booktabs}\n"


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension: :func:`_sphinx_manual_class` on ``config-inited`` and
    :func:`_raw_latex_tables` on ``doctree-resolved``."""
    app.connect("config-inited", _sphinx_manual_class, priority=900)
    app.connect("doctree-resolved", _raw_latex_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    """``python -m cases.run.pdf [--allow-stale] [--check-only]``: 0 built and clean, 1 not."""
    parser = argparse.ArgumentParser(prog="python -m cases.run.pdf", description=__doc__)
    parser.add_argument("--allow-stale", action="store_true", help="build from stale chapters")
    parser.add_argument(
        "--check-only", action="store_true", help="only check the log of the last build"
    )
    args = parser.parse_args(argv)
    try:
        if args.check_only:
            check_log(latex_dir() / "book.log")
            pdf = latex_dir() / "book.pdf"
        else:
            pdf = build_pdf(allow_stale=args.allow_stale)
    except CasesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    pages = page_count(latex_dir() / "book.log")
    print(f"The PDF is at: {pdf} ({pages} pages, no missing characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
