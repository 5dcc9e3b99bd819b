"""Shared presentation helpers: theme, provenance labels, tables and glue.

Every figure and table in the book states where its numbers come from. Real data carry a
"Source: …" line; simulated field data carry a visible "Simulated data" stamp. Both are added
here, never by hand in a notebook, so no exhibit can leave the library unlabelled.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from pandas.io.formats.style import Styler

from cases.present.layout import fit_texts, wrap
from cases.present.text import render_blocks, table_number, table_pvalue

if TYPE_CHECKING:
    from IPython.display import Markdown


def exhibit_text(block: str, **context: Any) -> str:
    """One passage of ``text/exhibits.md``, the words the exhibit helpers print (the simulated
    stamp, table notes, legend titles), rendered with ``context``.

    Raises:
        TextTemplateError: no such block, or a placeholder missing from ``context``.
    """
    return render_blocks("exhibits", context, only=[block])[block]


#: How notebooks save figures: IPython's "retina" PNG, at twice ``figure.dpi`` (200 pixels per
#: inch). The book shows an image at its pixel width shrunk to the text column, so a figure of
#: :data:`COLUMN_WIDTH_IN` inches fills the column at twice the screen density.
FIGURE_FORMAT = "retina"
#: The book's text column in CSS pixels (96 per inch; sphinx-book-theme on a desktop screen).
COLUMN_PX = 700
#: The default figure width in inches: with the 0.1-inch margins of a saved figure it is
#: narrower than the column (``COLUMN_PX / 96`` inches), so it is shown at least at its own
#: size and its 8-point text reads as 8 points or more.
COLUMN_WIDTH_IN = 7.0
#: The smallest font size (points) of any text in a figure of :data:`COLUMN_WIDTH_IN` inches.
MIN_FONT_PT = 8.0
#: Okabe–Ito palette: distinguishable under the common forms of colour-blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
_GLUE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def set_theme() -> None:
    """Apply the compendium's plotting theme (seaborn ``whitegrid``, Okabe–Ito palette).

    Figures are :data:`COLUMN_WIDTH_IN` inches wide by default and saved in notebooks as
    :data:`FIGURE_FORMAT` PNGs (twice the screen density). Figure metadata carry no creation
    date, so re-running gives identical image files.
    Chinese characters in labels fall back to Noto Sans CJK SC (:mod:`cases.present.fonts`).

    Raises:
        cases.present.fonts.FontNotFoundError: no CJK font is installed.
    """
    from cases.present.fonts import use_cjk_font

    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    use_cjk_font()
    mpl.rcParams.update(
        {
            "figure.figsize": (COLUMN_WIDTH_IN, 4.0),
            "legend.fontsize": 9.5,
            "legend.title_fontsize": 10,
            "legend.frameon": False,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.constrained_layout.use": True,
            "svg.hashsalt": "cases",
            # Regular weight: the CJK fallback font has no bold, and matplotlib warns per title.
            "axes.titleweight": "normal",
            "axes.titlesize": "large",
        }
    )
    # Inline figures in notebooks go through savefig; drop the timestamp/software fields there.
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats(FIGURE_FORMAT, metadata={"Software": None})
    except Exception:  # not inside IPython: nothing to configure
        pass
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 120)


def provenance(simulated: bool, source: str | None) -> str:
    """The provenance line for an exhibit.

    Rule: simulated exhibits get the stamp ``simulated_label`` of ``text/exhibits.md`` (plus
    the generator, if ``source`` is given); real exhibits must name their source.

    Raises:
        ValueError: a real exhibit without a source.
    """
    if simulated:
        return exhibit_text("simulated_label") + (f" ({source})" if source else "")
    if not source or not source.strip():
        raise ValueError("a figure or table from real data needs source='…' naming its origin")
    return source if source.startswith("Source:") else f"Source: {source}"


def label_figure(fig: mpl.figure.Figure, *, simulated: bool, source: str | None = None) -> None:
    """Stamp the provenance line at the foot of ``fig`` (see :func:`provenance`).

    The line is :data:`MIN_FONT_PT` points, scaled up for a figure wider than the column
    (``MIN_FONT_PT · (width + 0.25 in) / (COLUMN_PX / 96)``) so that it still reads as that
    size when the
    book shrinks the figure to the column; it is wrapped to the figure's width and the
    constrained layout keeps that many lines free at the foot. Simulated figures also get a
    large, light diagonal watermark (``gid="watermark"``) behind the data, so a cropped copy
    still says so.
    """
    text = provenance(simulated, source)
    width_in = fig.get_figwidth()
    size = MIN_FONT_PT * max(1.0, (width_in + 0.25) / (COLUMN_PX / 96))
    # About 2.1 characters per inch per point of width for Noto Sans at this size.
    lines = textwrap.wrap(text, width=max(40, int(width_in * 128 / size)))
    footer_in = 0.08 + 1.25 * size / 72 * len(lines)
    fig.text(
        0.01,
        0.01,
        "\n".join(lines),
        ha="left",
        va="bottom",
        fontsize=size,
        color="#B00020" if simulated else "#444444",
        style="italic",
        gid="provenance",
    )
    if simulated:
        fig.text(
            0.5,
            0.5,
            "SIMULATED DATA",
            ha="center",
            va="center",
            rotation=20,
            fontsize=40,
            color="#B00020",
            alpha=0.12,
            zorder=0,
            gid="watermark",
        )
    # Leave room at the foot for the provenance line.
    bottom = min(0.45, footer_in / fig.get_figheight())
    fig.set_layout_engine("constrained", rect=(0, bottom, 1, 1 - bottom))
    fit_texts(fig)


def _provenance_footer(note: str, simulated: bool) -> str:
    """The provenance line under a table, red for simulated data."""
    colour = "#B00020" if simulated else "#444444"
    return (
        f'<p class="cases-provenance" style="color:{colour};font-style:italic;'
        f'font-size:0.85em;margin-top:0">{html.escape(note)}</p>'
    )


#: First line of every LaTeX table this module writes. The PDF edition's Sphinx extension
#: (:mod:`cases.run.pdf`) finds it and passes the table to LaTeX as it is: myst-nb would
#: otherwise typeset a ``text/latex`` output as an equation.
LATEX_MARKER = "%cases-table"
#: A long (interactive) table in the PDF shows at most this many rows, then says how many more.
LATEX_MAX_ROWS = 40
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters (``\\ & % $ # _ { } ~ ^``) escaped; every
    other character (Chinese included) is left for XeLaTeX and the book's fonts."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


#: An HTML link in a table cell (:func:`cases.pages.context.where_read` makes them).
_ANCHOR = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def latex_cell(value: Any) -> str:
    """A text cell for LaTeX: HTML links become ``\\href{url}{text}``, other HTML tags are
    dropped, HTML entities are decoded and the text is escaped (:func:`latex_escape`)."""
    text = str(value)
    parts = []
    last = 0
    for link in _ANCHOR.finditer(text):
        parts.append(latex_escape(html.unescape(_TAG.sub("", text[last : link.start()]))))
        url = html.unescape(link.group(1))
        url = re.sub(r"([%#&])", r"\\\1", re.sub(r"[\\{}]", "", url))
        label = latex_escape(html.unescape(_TAG.sub("", link.group(2))))
        parts.append(f"\\href{{{url}}}{{{label}}}")
        last = link.end()
    parts.append(latex_escape(html.unescape(_TAG.sub("", text[last:]))))
    return "".join(parts)


#: A cell that reads as a number: optional sign or comparison, digits with separators and
#: decimals, optional per cent sign (``−0.03``, ``< 0.001``, ``12,600``, ``45.1 %``).
_NUMBER_TEXT = re.compile(r"^[−+\-<>=≈≤≥ ]*\d[\d,]*(\.\d+)?\s*%?$")


def numeric_columns(df: pd.DataFrame) -> list[Any]:
    """The columns of ``df`` that hold numbers and are set flush right: numeric dtypes (not
    booleans), and text columns whose every non-missing cell reads as a number
    (:data:`_NUMBER_TEXT`, e.g. p-values already printed as ``< 0.001``)."""
    found = []
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column):
            found.append(name)
            continue
        cells = [str(v).strip() for v in column if pd.notna(v) and str(v).strip() not in ("", "—")]
        if cells and all(_NUMBER_TEXT.match(c) for c in cells):
            found.append(name)
    return found


#: The lower bound of an interval in a column name: ``ci_low``, ``95 % CI low``, ``lower``.
_LOW = re.compile(r"(?<![a-z])(low|lower)(?![a-z])", re.IGNORECASE)
_HIGH = {"low": "high", "lower": "upper", "Low": "High", "Lower": "Upper", "LOW": "HIGH"}


def interval_order(columns: Iterable[Any]) -> list[Any]:
    """``columns`` with every interval's lower bound placed just before its upper bound.

    Rule: a string column whose name has the word ``low``/``lower`` (``ci_low``, ``95 % CI
    low``) and whose twin with ``high``/``upper`` in its place is also present is moved to
    just before that twin, when it came after it (pivots sort names alphabetically and print
    "high" before "low"). Every other column keeps its place.
    """
    order = list(columns)
    for name in list(order):
        if not isinstance(name, str) or not _LOW.search(name):
            continue
        twin = _LOW.sub(lambda m: _HIGH.get(m.group(1), m.group(1)), name, count=1)
        if twin in order and order.index(twin) < order.index(name):
            order.remove(name)
            order.insert(order.index(twin), name)
    return order


#: About how many characters of each table font size fit on a line of the PDF's text column
#: (some 450 pt, a little over half an em per character, measured on the census tables);
#: Chinese characters count twice.
LATEX_LINE_CHARS = {r"\small": 92, r"\footnotesize": 104, r"\scriptsize": 118}
#: Room between two columns (2 \tabcolsep), in characters.
_COLUMN_GAP = 2.7


def _text_width(text: str) -> int:
    """Characters across, a wide (Chinese) character counting two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _latex_layout(columns: list[tuple[Any, list[str], bool]]) -> tuple[str, str]:
    """The font size and column specifications of a LaTeX table.

    ``columns`` holds, per column, its header, its cells as shown and whether it holds numbers.
    Rule: a column's natural width is its longest cell or header; its least width is its longest
    word (a number never breaks). The size is the first of :data:`LATEX_LINE_CHARS` at which
    the least widths fit the line. If the natural widths fit too, numbers are set ``r`` and text
    ``l``; otherwise every column is a paragraph column (numbers ragged left, text ragged
    right, headers wrapping between words), given its least width plus a share of the spare
    room in proportion to what it would need more.
    """
    natural, least = [], []
    for header, cells, is_number in columns:
        words = [w for c in [str(header), *cells] for w in c.split()] or [""]
        long = max(_text_width(c) for c in [str(header), *cells])
        word = max(_text_width(w) for w in words)
        if is_number:
            word = max([word] + [_text_width(c) for c in cells])
        natural.append(long)
        least.append(word)
    sizes = list(LATEX_LINE_CHARS.items())
    size, line = next(
        ((s, n) for s, n in sizes if sum(least) <= n - _COLUMN_GAP * len(columns)), sizes[-1]
    )
    budget = line - _COLUMN_GAP * len(columns)
    if sum(natural) <= budget:
        return size, "".join("r" if number else "l" for _, _, number in columns)
    spare = max(0.0, budget - sum(least))
    wanted = [n - m for n, m in zip(natural, least, strict=True)]
    specs = []
    for (_, _, number), m, more in zip(columns, least, wanted, strict=True):
        width = m + (spare * more / sum(wanted) if sum(wanted) else 0)
        align = r"\raggedleft" if number else r"\raggedright"
        share = math.floor(1000 * width / line) / 1000  # rounded down: the sum never overruns
        specs.append(rf">{{{align}\arraybackslash}}p{{{share:.3f}\linewidth}}")
    return size, "".join(specs)


def latex_table(
    df: pd.DataFrame,
    *,
    note: str,
    simulated: bool,
    caption: str | None = None,
    precision: int = 2,
    index: bool = True,
    max_rows: int | None = None,
) -> str:
    """``df`` as a LaTeX ``longtable`` with booktabs rules, for the PDF edition.

    The same cell formats as the HTML (:func:`cell_formats`), numbers flush right
    (:func:`numeric_columns`), a font size and column widths that fit the line
    (:func:`_latex_layout`; long text and headers wrap), the caption
    above and the provenance line (red for simulated data) below; text cells go through
    :func:`latex_cell` (links kept, LaTeX's special characters escaped), other characters
    (Chinese names) are left to XeLaTeX.
    With ``max_rows``, only the first ``max_rows`` rows are set and a line says how many
    were left out. The text starts with :data:`LATEX_MARKER`. Needs the LaTeX packages
    longtable, booktabs, array and xcolor (:mod:`cases.run.pdf` loads booktabs).
    """
    shown = df if max_rows is None or len(df) <= max_rows else df.head(max_rows)
    right = set(numeric_columns(df))
    # As in the HTML: integers without thousands separators (years), floats and p-values
    # through cell_formats; text escaped for LaTeX.
    formats = cell_formats(df, precision, escape_html=False)
    for name in shown.columns:
        if name not in formats and not pd.api.types.is_numeric_dtype(shown[name]):
            formats[name] = latex_cell  # links kept, HTML dropped, LaTeX escaped
    styler = shown.style.format(precision=precision, na_rep="—")
    if formats:
        styler = styler.format(formats, na_rep="—", subset=list(formats))
    styler = styler.format_index(escape="latex", axis="columns")
    if index:
        styler = styler.format_index(escape="latex", axis="index")
    else:
        styler = styler.hide(axis="index")
    styler = _hide_identifier_names(styler, shown)
    columns = []
    if index:
        for level in range(shown.index.nlevels):
            cells = [str(v) for v in shown.index.get_level_values(level)]
            columns.append((shown.index.names[level] or "", cells, False))
    for name in shown.columns:
        # The width a reader sees: numbers as formatted, text without its HTML tags.
        show = formats[name] if name in formats and formats[name] is not latex_cell else str
        cells = [
            _TAG.sub("", html.unescape(str(show(v)))) if pd.notna(v) else "—" for v in shown[name]
        ]
        header = " ".join(map(str, name)) if isinstance(name, tuple) else str(name)
        columns.append((header, cells, name in right))
    size, column_format = _latex_layout(columns)
    body = styler.to_latex(
        environment="longtable",
        hrules=True,
        caption=latex_escape(caption) if caption else None,
        column_format=column_format,
        multirow_align="naive",
        multicol_align="naive-l",
    )
    colour = "B00020" if simulated else "444444"
    lines = [latex_escape(note)]
    if len(shown) < len(df):
        lines.append(latex_escape(exhibit_text("rows_shown", shown=len(shown), total=len(df))))
    footer = r"\par ".join(lines)
    spacing = r"\setlength{\LTpre}{\smallskipamount}\setlength{\LTpost}{2pt}"
    return (
        f"{LATEX_MARKER}\n\\begingroup{size}{spacing}\n"
        f"{body}\\endgroup\n"
        f"{{\\footnotesize\\color[HTML]{{{colour}}}\\slshape {footer}\\par}}\n"
    )


@dataclass(frozen=True, repr=False, kw_only=True)
class _FootedTable:
    """What a table with a provenance footer shows: its HTML in notebooks and the HTML book
    (the table in a ``div`` of class ``_css``, which scrolls sideways when the table is wider
    than the text column, the footer underneath), a LaTeX ``longtable`` in the PDF edition
    (:func:`latex_table`, myst-nb's ``text/latex``) and, as plain text, the whole frame and
    the provenance note. A subclass adds the table's own HTML (:meth:`_table_html`)."""

    note: str
    simulated: bool
    frame: pd.DataFrame
    caption: str | None = None
    precision: int = 2
    index: bool = True
    _css: ClassVar[str] = "cases-table"
    _latex_max_rows: ClassVar[int | None] = None

    def _table_html(self) -> str:
        raise NotImplementedError

    def to_html(self) -> str:
        footer = _provenance_footer(self.note, self.simulated)
        return f'<div class="{self._css}">{self._table_html()}{footer}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_latex(self) -> str:
        """The table for the PDF edition (:func:`latex_table`)."""
        return latex_table(
            self.frame,
            note=self.note,
            simulated=self.simulated,
            caption=self.caption,
            precision=self.precision,
            index=self.index,
            max_rows=self._latex_max_rows,
        )

    def _repr_latex_(self) -> str:
        return self.to_latex()

    def __repr__(self) -> str:
        return f"{self.frame.to_string()}\n{self.note}"


@dataclass(frozen=True, repr=False, kw_only=True)
class LabelledTable(_FootedTable):
    """An HTML table with a caption and a provenance footer; displays itself in notebooks."""

    styler: Styler

    def _table_html(self) -> str:
        return self.styler.to_html()


#: Column names that hold p-values: ``p``, ``p (BH)``, ``p-value``, ``p (wild)``.
_PVALUE_COLUMN = re.compile(r"^p(\b|[-_ ]value)", re.IGNORECASE)


def is_pvalue_column(name: Any) -> bool:
    """Whether a table column holds p-values (see :data:`_PVALUE_COLUMN`)."""
    return isinstance(name, str) and bool(_PVALUE_COLUMN.match(name)) and not name[1:2].isalpha()


def cell_formats(df: pd.DataFrame, precision: int, escape_html: bool = True) -> dict[Any, Any]:
    """The display format of each numeric column of ``df``: p-value columns as
    :func:`cases.present.text.table_pvalue` (``< 0.001``, ``0.021``; HTML-escaped unless
    ``escape_html`` is false), other float columns as :func:`cases.present.text.table_number`
    (``precision`` decimals, never a negative zero). The one place where table numbers are
    formatted, for :func:`table`, :func:`interactive_table` and :func:`latex_table`."""
    formats: dict[Any, Any] = {}
    for name in df.columns:
        column = df[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if is_pvalue_column(name):
            if escape_html:
                formats[name] = lambda v: html.escape(table_pvalue(v))  # "&lt; 0.001"
            else:
                formats[name] = table_pvalue
        elif pd.api.types.is_float_dtype(column):
            formats[name] = lambda v, d=precision: table_number(v, d)
    return formats


#: A name that is a program identifier (``kind_label``, ``household_id``), never a reader's label.
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def _hide_identifier_names(styler: Styler, df: pd.DataFrame) -> Styler:
    """Hide the names of the row and column axes of ``df`` when they are program identifiers
    (:data:`_IDENTIFIER`), as a pivot or cross-tab leaves them; the caption names the axes."""
    for axis, labels in (("index", df.index), ("columns", df.columns)):
        names = [n for n in labels.names if n is not None]
        if names and all(isinstance(n, str) and _IDENTIFIER.match(n) for n in names):
            styler = styler.hide(axis=axis, names=True)
    return styler


def _table_id(caption: str | None, df: pd.DataFrame) -> str:
    """A short id from the caption and the content: unique on a page, the same on every run."""
    digest = hashlib.sha256(((caption or "") + "\0" + df.to_csv()).encode("utf-8")).hexdigest()
    return digest[:12]


def table(
    df: pd.DataFrame,
    *,
    simulated: bool,
    source: str | None = None,
    caption: str | None = None,
    precision: int = 2,
    index: bool = True,
) -> LabelledTable:
    """Render ``df`` as a captioned table with its provenance line underneath.

    Numbers are rounded only here, for display (``precision`` decimals, :func:`cell_formats`);
    the data stay exact. Columns of numbers (:func:`numeric_columns`) are set flush right with
    figures of equal width, text flush left; an interval's lower bound comes before its upper
    bound (:func:`interval_order`). The HTML table has an id derived from its content (unique
    on the page, the same on every run); the PDF edition gets :func:`latex_table`.

    Raises:
        ValueError: a real-data table without ``source``.
    """
    note = provenance(simulated, source)
    df = df[interval_order(df.columns)] if df.columns.is_unique else df
    styler = df.style.format(precision=precision, na_rep="—", thousands=",")
    styler = styler.format(cell_formats(df, precision), na_rep="—")
    if not index:
        styler = styler.hide(axis="index")
    styler = _hide_identifier_names(styler, df)
    styler = styler.set_caption(html.escape(caption or ""))
    styles = [
        {"selector": "caption", "props": "caption-side: top; font-weight: bold;"},
        {"selector": "td, th", "props": "text-align: left; vertical-align: top;"},
    ]
    positions = [i for i, name in enumerate(df.columns) if name in set(numeric_columns(df))]
    if positions:
        cells = ", ".join(f"td.col{i}, th.col_heading.col{i}" for i in positions)
        styles.append({"selector": cells, "props": "text-align: right;"})
    styler = styler.set_table_styles(styles)
    styler = styler.set_table_attributes('class="cases-styled"')
    styler = styler.set_uuid(_table_id(caption, df))
    return LabelledTable(
        styler=styler,
        note=note,
        simulated=simulated,
        frame=df,
        caption=caption,
        precision=precision,
        index=index,
    )


#: Tables longer than this are worth searching and sorting: use :func:`interactive_table`.
INTERACTIVE_MIN_ROWS = 15
_itables_initialised = False


@dataclass(frozen=True, repr=False, kw_only=True)
class InteractiveTable(_FootedTable):
    """A searchable, sortable table (itables, JavaScript embedded) with a provenance footer.

    Its HTML carries itables' own static preview, shown where scripts do not run, without
    itables' notices (:func:`_without_itables_notices`); in the PDF it is a LaTeX table of its
    first :data:`LATEX_MAX_ROWS` rows; its plain-text form is the whole frame.
    """

    datatable_html: str
    index: bool = False
    _css = "cases-table cases-interactive"
    _latex_max_rows = LATEX_MAX_ROWS

    def _table_html(self) -> str:
        return self.datatable_html


#: itables' messages to notebook users, which a reader of the book must not see: the
#: "This is the init_notebook_mode cell … is your notebook trusted?" notice (with its animated
#: logo), the lock and info marks in the first header cell of the static preview, and the
#: "Loading ITables … from the init_notebook_mode cell" line of the table before it is drawn.
_ITABLES_NOTICES = (
    re.compile(r"<div[^>]*>\s*<noscript>.*?</noscript>\s*</div>", re.DOTALL),
    re.compile(r"<sup><noscript>.*?</noscript><a [^>]*>ⓘ</a></sup>", re.DOTALL),
    re.compile(r"<sup><a [^>]*>ⓘ</a></sup>", re.DOTALL),
    re.compile(r"(<td[^>]*>)\s*Loading ITables.*?</td>", re.DOTALL),
)


def _without_itables_notices(fragment: str) -> str:
    """``fragment`` (itables HTML) without the notices of :data:`_ITABLES_NOTICES`."""
    for pattern in _ITABLES_NOTICES:
        fragment = pattern.sub(lambda m: (m.group(1) + "</td>") if m.groups() else "", fragment)
    return fragment


def _init_itables_offline() -> None:
    """Embed the itables JavaScript in the running notebook, once per kernel (no CDN).

    itables' own ``init_notebook_mode`` output is captured and shown again without its
    notices (:func:`_without_itables_notices`); each output also carries an empty LaTeX
    comment (:data:`LATEX_MARKER`), so the PDF edition shows nothing for it.
    """
    global _itables_initialised
    if _itables_initialised:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing renders HTML, nothing to embed
        return
    if get_ipython() is None:
        return
    from IPython.display import display
    from IPython.utils.capture import capture_output
    from itables import init_notebook_mode

    with capture_output(stdout=False, stderr=False) as captured:
        init_notebook_mode(all_interactive=False, connected=False)
    for output in captured.outputs:
        fragment = output.data.get("text/html", "")
        display(
            {"text/html": _without_itables_notices(fragment), "text/latex": LATEX_MARKER + "\n"},
            raw=True,
        )
    _itables_initialised = True


def interactive_table(
    df: pd.DataFrame,
    *,
    simulated: bool,
    source: str | None = None,
    caption: str | None = None,
    precision: int = 2,
    index: bool = False,
) -> InteractiveTable:
    """Render a long ``df`` as a searchable, sortable table with its provenance line underneath.

    For tables of more than :data:`INTERACTIVE_MIN_ROWS` rows; shorter ones read better as
    :func:`table`. The itables library (DataTables) is embedded in the notebook the first time
    this is called in a kernel (``init_notebook_mode(connected=False)``), so the published page
    fetches nothing from the internet. Floats are rounded to ``precision`` decimals for display
    only; interval bounds are ordered as in :func:`table`. The table id is derived from the
    content, so re-running gives identical HTML. In the PDF edition the table is
    :func:`latex_table` of its first :data:`LATEX_MAX_ROWS` rows.

    Raises:
        ValueError: a real-data table without ``source``.
    """
    from itables import to_html_datatable

    note = provenance(simulated, source)
    df = df[interval_order(df.columns)] if df.columns.is_unique else df
    shown = df.copy()
    # Numbers stay numbers, so the table sorts them; rounding then adding +0.0 turns a rounded
    # negative zero into 0. P-value columns print as :func:`cases.present.text.table_pvalue`.
    for name in cell_formats(df, precision):
        if is_pvalue_column(name):
            shown[name] = [table_pvalue(v) if pd.notna(v) else "—" for v in shown[name]]
        else:
            shown[name] = shown[name].round(precision) + 0.0
    # Missing text shows as a dash, as in :func:`table` (itables would print "<NA>").
    for name in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[name]) and shown[name].isna().any():
            shown[name] = shown[name].astype(object).where(shown[name].notna(), "—")
    offset = shown.index.nlevels if index else 0
    right = [offset + i for i, name in enumerate(df.columns) if name in set(numeric_columns(df))]
    _init_itables_offline()
    datatable = to_html_datatable(
        shown,
        caption=caption,
        connected=False,
        table_id=f"cases-{_table_id(caption, shown)}",
        showIndex=index,
        display_logo_when_loading=False,
        # Long text wraps inside the column and rows are compact (itables' default adds "nowrap",
        # which made tables several screens wide); numbers, p-values included, flush right.
        classes="display compact",
        columnDefs=[{"className": "dt-right", "targets": right}] if right else [],
    )
    return InteractiveTable(
        datatable_html=_without_itables_notices(datatable),
        note=note,
        simulated=simulated,
        frame=df,
        caption=caption,
        precision=precision,
        index=index,
    )


def estimate_table(tidy: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """The tidy table of :func:`cases.methods.inference.cluster_inference` with the pages'
    column names: ``term``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``statistic``
    (e.g. ``z`` or ``t``: estimate / se), ``p``, ``n_clusters``, ``method``, ``warning``."""
    return pd.DataFrame(
        {
            "term": tidy["term"].to_numpy(),
            "estimate": tidy["estimate"].to_numpy(),
            "se": tidy["std_error"].to_numpy(),
            "ci_low": tidy["conf_low"].to_numpy(),
            "ci_high": tidy["conf_high"].to_numpy(),
            statistic: (tidy["estimate"] / tidy["std_error"]).to_numpy(),
            "p": tidy["p_value"].to_numpy(),
            "n_clusters": tidy["n_clusters"].to_numpy(),
            "method": tidy["method"].to_numpy(),
            "warning": tidy["warning"].to_numpy(),
        }
    )


def bullet_table(items: Iterable[tuple[str, str]], columns: tuple[str, str]) -> pd.DataFrame:
    """A two-column frame from ``(label, text)`` pairs, for profile tables."""
    return pd.DataFrame(list(items), columns=list(columns))


def check_glue_key(key: str) -> str:
    """Glue keys are lowercase snake_case (``liupanshui_att_income``).

    Raises:
        ValueError: any other key.
    """
    if not _GLUE_KEY.match(key):
        raise ValueError(f"glue key {key!r} must be lowercase snake_case, starting with a letter")
    return key


def glue(key: str, value: Any, display: bool = False, tolerance: float | None = None) -> Any:
    """Glue ``value`` under ``key`` for the book's prose (myst-nb), record it, and return it.

    Raw values are glued; formatting happens in the ``{glue:text}`` role (``key:.1f``). The
    same call records the value in the results manifest (:mod:`cases.core.manifest`), with the
    stated ``tolerance`` for floats (relative to ``max(1, |value|)``), so the book's numbers and
    the manifest cannot drift apart.
    """
    from myst_nb import glue as _glue

    from cases.core import manifest

    _glue(check_glue_key(key), value, display=display)
    manifest.record(key, value, tolerance)
    return value


def glue_figure(key: str, fig: mpl.figure.Figure) -> None:
    """Glue a figure for ``{glue:figure}`` and close it, so it is not also shown inline."""
    from myst_nb import glue as _glue

    _glue(check_glue_key(key), fig, display=False)
    plt.close(fig)


def heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    simulated: bool,
    source: str | None = None,
    cmap: str = "Blues",
    annotate: bool = False,
) -> mpl.figure.Figure:
    """A labelled heatmap of ``matrix`` (rows × columns), with its provenance line.

    Layout rule: row labels are wrapped to 34 characters, column labels to 13 characters per
    line and written horizontally above the cells (no rotated labels); each cell is about
    0.95 × 0.42 inches and the figure at most :data:`COLUMN_WIDTH_IN` wide, so the cells'
    numbers are 10 points and every label is 9 points or more at column width.
    """
    rows = [wrap(label, 34) for label in matrix.index]
    columns = [wrap(str(label).replace("\n", " "), 13) for label in matrix.columns]
    row_lines = [label.count("\n") + 1 for label in rows]
    col_lines = max(label.count("\n") + 1 for label in columns)
    label_in = 0.075 * max(len(line) for label in rows for line in label.split("\n")) + 0.3
    cell_w = min(0.95, (COLUMN_WIDTH_IN - label_in - 0.2) / max(1, len(columns)))
    width = min(COLUMN_WIDTH_IN, label_in + cell_w * len(columns) + 0.2)
    cells_in = sum(max(0.42, 0.17 * n + 0.1) for n in row_lines)
    height = cells_in + 0.17 * col_lines + 0.9
    fig, ax = plt.subplots(figsize=(width, height))
    sns.heatmap(
        pd.DataFrame(matrix.to_numpy(), index=rows, columns=columns),
        ax=ax,
        cmap=cmap,
        cbar=False,
        linewidths=0.5,
        linecolor="white",
        annot=annotate,
        annot_kws={"fontsize": 10},
        fmt="g",
        vmin=0,
    )
    # The title spans the figure from its left edge (over the row labels), wrapped to fit.
    fig.suptitle(wrap(title, int(width * 8.5)), x=0.01, ha="left", fontsize="large")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", labelrotation=0, labelsize=9, length=0)
    ax.tick_params(axis="y", labelrotation=0, labelsize=9.5, length=0)
    label_figure(fig, simulated=simulated, source=source)
    return fig


def crosstab(
    df: pd.DataFrame,
    row: str,
    col: str,
    *,
    simulated: bool,
    source: str | None = None,
    k: int = 5,
    caption: str | None = None,
    margins: bool = True,
) -> LabelledTable:
    """A frequency cross-tab of ``row`` × ``col`` (with totals) under small-cell suppression.

    Counts come from :func:`pandas.crosstab`; every cell (totals included) with fewer than
    ``k`` respondents, and the complementary cells that protect it, show "…" instead of a
    number (:func:`cases.present.disclosure.suppress_small_cells`; Hundepool et al. 2012,
    *Statistical
    Disclosure Control*, Wiley, ch. 4-5). The footer says how many cells were hidden and why.

    Raises:
        ValueError: a missing column, a missing value in ``row`` or ``col`` (pandas would drop
            the respondent silently), or a real-data table without ``source``.
    """
    from dataclasses import replace

    from cases.present.disclosure import suppress_small_cells

    for name in (row, col):
        if name not in df.columns:
            raise ValueError(f"crosstab: column {name!r} is not in the data")
        if df[name].isna().any():
            first = df.index[df[name].isna()][0]
            raise ValueError(
                f"crosstab: column {name!r} has {int(df[name].isna().sum())} missing value(s) "
                f"(first at index {first!r}); recode them explicitly (e.g. 'no answer')"
            )
    counts = pd.crosstab(df[row], df[col], margins=margins, margins_name="Total")
    # The axes are named after data columns (``actor``, ``kind_label``): the caption names them.
    counts = counts.rename_axis(index=None, columns=None)
    result = suppress_small_cells(counts, k=k, margins=margins)
    shown = table(result.table, simulated=simulated, source=source, caption=caption, precision=0)
    hidden = int(result.mask.to_numpy().sum())
    if hidden:
        shown = replace(
            shown,
            note=f"{shown.note}. " + exhibit_text("cells_suppressed", hidden=hidden, k=k),
        )
    return shown


def figure_directive(key: str, name: str, alt: str, caption: str) -> Markdown:
    """A ``{glue:figure}`` directive as Markdown, to be glued and placed with ``{glue:md}``.

    Figure ``:name:`` labels must be unique across the book, but one template renders a page
    per case: so the directive is built in code with a per-case ``name`` (e.g.
    ``fig-poverty-income-h_county``) and the page places it with
    ```` ```{glue:md} <key>_block\n:format: myst\n``` ````. Cite it from glued prose with
    ``{numref}`<name>```.
    """
    from IPython.display import Markdown

    check_glue_key(key)
    return Markdown(f"```{{glue:figure}} {key}\n:name: {name}\n:alt: {alt}\n\n{caption}\n```")
