"""Statistical disclosure control: small-cell suppression and the identifier scan of the book.

Two safeguards stand between field data and the published book:

- :func:`suppress_small_cells` hides every table cell computed from fewer than ``k``
  respondents (*primary* suppression, the threshold rule) and then enough other cells
  (*secondary* or complementary suppression) that no hidden cell can be worked out by
  subtracting the visible cells of its row or column from the row or column total.
- :func:`scan_build` reads every text page and downloadable file of the built HTML book and
  reports PRC resident ID numbers, mainland mobile numbers and names from a local deny-list
  (``deny-list.txt`` at the project root, never committed). :func:`cases.run.pipeline.build_book`
  runs it after each build and fails if anything is found.

Reference: Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt,
E., Spicer, K. and de Wolf, P.-P. (2012), *Statistical Disclosure Control*, Wiley: ch. 4
(magnitude tables: sensitivity rules and secondary cell suppression) and ch. 5 (frequency
tables: the threshold rule).
"""

from __future__ import annotations

import html as _html
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from cases.core.errors import CasesError
from cases.data.io import _mask, is_valid_prc_id, is_valid_prc_mobile

__all__ = [
    "DEFAULT_K",
    "DENY_LIST_NAME",
    "Finding",
    "Suppression",
    "SuppressionInputError",
    "load_deny_list",
    "recoverable_cells",
    "scan_build",
    "scan_text",
    "suppress_small_cells",
]

#: Default minimum number of respondents behind a published cell.
DEFAULT_K = 5
#: File name of the local deny-list at the project root (git-ignored).
DENY_LIST_NAME = "deny-list.txt"


class SuppressionInputError(CasesError, ValueError):
    """The table or counts given to :func:`suppress_small_cells` are unusable."""


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------


class Suppression(NamedTuple):
    """Result of :func:`suppress_small_cells`.

    Attributes:
        table: the input table as ``object`` dtype with every suppressed cell replaced by the
            marker; other cells unchanged.
        mask: boolean frame, True where a cell is suppressed (primary or secondary).
        primary: boolean frame, True where a cell itself has ``0 < count < k``.
    """

    table: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame


def _check_counts(table: pd.DataFrame, counts: pd.DataFrame | None, k: int) -> np.ndarray:
    if not isinstance(table, pd.DataFrame):
        raise SuppressionInputError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise SuppressionInputError(f"k must be an integer >= 1; got {k!r}")
    source = table if counts is None else counts
    name = "table" if counts is None else "counts"
    if not isinstance(source, pd.DataFrame):
        raise SuppressionInputError(
            f"counts must be a pandas DataFrame; got {type(source).__name__}"
        )
    if counts is not None and (
        not counts.index.equals(table.index) or not counts.columns.equals(table.columns)
    ):
        raise SuppressionInputError(
            "counts must have the same index and columns as table (one count per published cell)"
        )
    try:
        values = source.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise SuppressionInputError(
            f"{name} must hold numbers of respondents; found non-numeric cells"
        ) from None
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise SuppressionInputError(
            f"{name} must hold non-negative whole numbers of respondents; cell "
            f"({source.index[r]!r}, {source.columns[c]!r}) is {float(values[r, c])!r}"
        )
    return values


def _lines(n_rows: int, n_cols: int, margins: bool) -> list[list[tuple[int, int]]]:
    """Cells tied together by one additive constraint (a row or column and its total).

    Without margins the totals are not in the table but may be known from elsewhere, so every
    row and every column of the table is one line. With margins the last row and column are the
    totals, so each line already contains its total cell.
    """
    rows = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    cols = [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    # A line of one cell has no total distinct from the cell: nothing to recover it from.
    return [line for line in rows + cols if len(line) >= 2 or margins]


def _constraint_matrix(n_rows: int, n_cols: int, margins: bool) -> np.ndarray:
    """One row per additive constraint, one column per cell (row-major), coefficients 0/±1.

    With margins, the last cell of each row and column is its total: ``sum(interior) - total =
    0``. Without margins the totals are known constants outside the table, so a constraint is
    simply the sum of its cells.
    """
    constraints = []
    for line in _lines(n_rows, n_cols, margins):
        coef = np.zeros(n_rows * n_cols)
        for r, c in line:
            coef[r * n_cols + c] = 1.0
        if margins:
            total = line[-1]
            coef[total[0] * n_cols + total[1]] = -1.0
        constraints.append(coef)
    return np.array(constraints).reshape(-1, n_rows * n_cols)


def recoverable_cells(mask: np.ndarray, margins: bool = False) -> np.ndarray:
    """Suppressed cells whose value follows from the published cells and totals.

    Rule: the suppressed cells are the unknowns of the linear system formed by every row and
    column constraint (:func:`_lines`); an unknown is determined exactly when its unit vector
    lies in the row space of the system's matrix restricted to the unknowns, i.e. when adding
    it does not raise the matrix rank (the "audit" of a suppression pattern, Hundepool et al.
    2012, ch. 4). Bounds from non-negativity (interval disclosure) are not considered.

    Returns a boolean array shaped like ``mask``.
    """
    mask = np.asarray(mask, dtype=bool)
    n_rows, n_cols = mask.shape
    unknown = np.flatnonzero(mask.ravel())
    found = np.zeros(mask.size, dtype=bool)
    if unknown.size == 0:
        return found.reshape(mask.shape)
    system = _constraint_matrix(n_rows, n_cols, margins)[:, unknown]
    system = system[np.any(system != 0, axis=1)]
    rank = np.linalg.matrix_rank(system) if system.size else 0
    for j, cell in enumerate(unknown):
        probe = np.zeros((1, unknown.size))
        probe[0, j] = 1.0
        if system.size and np.linalg.matrix_rank(np.vstack([system, probe])) == rank:
            found[cell] = True
    return found.reshape(mask.shape)


def suppress_small_cells(
    table: pd.DataFrame,
    counts: pd.DataFrame | None = None,
    k: int = DEFAULT_K,
    marker: str = "…",
    *,
    margins: bool = False,
) -> Suppression:
    """Suppress every cell computed from fewer than ``k`` respondents, with secondary suppression.

    Rules:

    1. **Primary suppression (threshold rule)**: a cell whose number of respondents ``n``
       satisfies ``0 < n < k`` is suppressed. ``n`` comes from ``counts`` (same index and
       columns as ``table``, e.g. the group sizes behind a table of means) or, when ``counts``
       is None, from ``table`` itself (a frequency table). Empty cells (``n = 0``) disclose no
       respondent and are not suppressed on their own.
    2. **Secondary (complementary) suppression**: a *line* is a row or a column together with
       its total: the last row/column of ``table`` when ``margins=True`` (as made by
       ``pd.crosstab(..., margins=True)``), otherwise the total a reader can add up or find
       elsewhere. Whenever a line holds exactly one suppressed cell, that cell equals the total
       minus the visible cells, so the unsuppressed cell of that line with the fewest
       respondents is suppressed too (non-empty cells first, interior cells before totals, then
       the first in table order). This repeats until every line holds zero or at least two
       suppressed cells. Total cells are cells like any other: a total below ``k`` is itself
       suppressed.
    3. **Audit**: rule 2 alone can leave a primary cell that several rows and columns solved
       together still determine (a suppressed cell that is a "bridge" between two groups of
       suppressed cells). Each such cell (:func:`recoverable_cells`) gets one more complementary
       suppression in its row or column (smallest count first, as in rule 2), and rules 2-3
       repeat until no primary cell is determined.

    The result protects every primary cell against exact recovery from the published cells
    and totals. It is a heuristic, not the optimal (fewest cells lost) solution of the linear
    program of Hundepool et al. (2012), ch. 4, and it does not bound the feasible interval of a
    suppressed cell (a cell may still be narrowed by non-negativity). Reference: Hundepool, A.
    et al. (2012), *Statistical Disclosure Control*, Wiley, ch. 4 (secondary cell suppression,
    auditing) and ch. 5 (threshold rule for frequency tables).

    Args:
        table: the cells to publish (counts, shares, means...).
        counts: respondents behind each cell; defaults to ``table``.
        k: minimum number of respondents (default 5).
        marker: what a suppressed cell shows.
        margins: True if the last row and last column of ``table`` are totals.

    Returns:
        :class:`Suppression` ``(table, mask, primary)``.

    Raises:
        SuppressionInputError: ``table`` or ``counts`` not a DataFrame, counts that are not
            non-negative whole numbers (the cell is named), mismatched shapes, ``k < 1``.
    """
    n = _check_counts(table, counts, k)
    n_rows, n_cols = n.shape
    primary = (n > 0) & (n < k)
    mask = primary.copy()
    is_total = np.zeros_like(mask)
    if margins:
        is_total[-1, :] = True
        is_total[:, -1] = True
    lines = _lines(n_rows, n_cols, margins)

    def cheapest(candidates: list[tuple[int, int]]) -> tuple[int, int]:
        # Fewest respondents first; an empty cell hides little, so prefer non-empty ones.
        return min(candidates, key=lambda cell: (n[cell] == 0, bool(is_total[cell]), n[cell], cell))

    while True:
        changed = True
        while changed:
            changed = False
            for line in lines:
                if sum(bool(mask[cell]) for cell in line) != 1:
                    continue
                candidates = [cell for cell in line if not mask[cell]]
                if candidates:
                    mask[cheapest(candidates)] = True
                    changed = True
        exposed = np.argwhere(recoverable_cells(mask, margins) & primary)
        if exposed.size == 0:
            break
        cell = (int(exposed[0][0]), int(exposed[0][1]))
        candidates = [c for line in lines if cell in line for c in line if not mask[c]]
        if not candidates:  # its own lines are fully hidden: widen to the whole table
            candidates = [(r, c) for r in range(n_rows) for c in range(n_cols) if not mask[r, c]]
        if not candidates:
            break  # everything is suppressed already
        mask[cheapest(candidates)] = True

    frame_mask = pd.DataFrame(mask, index=table.index, columns=table.columns)
    return Suppression(
        table=table.astype(object).mask(frame_mask, marker),
        mask=frame_mask,
        primary=pd.DataFrame(primary, index=table.index, columns=table.columns),
    )


# --------------------------------------------------------------------------------------------
# Identifier scan of the built book
# --------------------------------------------------------------------------------------------

# Candidates are found with strict boundaries (no letter or digit on either side, so digits
# inside hashes, base64 and identifiers such as ``id-1a2b3c`` do not match) and then confirmed
# with the validators of :mod:`cases.data.io` (check character and birth date for ID numbers).
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_MOBILE_CANDIDATE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])")
# Parts of an HTML page that are not text a reader sees or downloads: scripts, styles and
# inline binary (base64) payloads.
_HTML_SKIP = re.compile(
    r"<script\b.*?</script>|<style\b.*?</style>|data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+",
    re.IGNORECASE | re.DOTALL,
)
#: File suffixes read as text by :func:`scan_build`; everything else (images, fonts, JS and
#: CSS libraries, Sphinx's binary inventory) is skipped.
TEXT_SUFFIXES = frozenset(
    {".html", ".htm", ".ipynb", ".csv", ".tsv", ".txt", ".md", ".json", ".xml", ".tex", ".py"}
)


@dataclass(frozen=True)
class Finding:
    """One identifier found in the built book.

    Attributes:
        path: the file, relative to the scanned folder (POSIX separators).
        kind: ``"prc_id"``, ``"mobile"`` or ``"deny_list"``.
        masked: the match with its middle masked, safe to print.
        line: 1-based line of the match in the scanned text (for notebooks: in the JSON file).
    """

    path: str
    kind: str
    masked: str
    line: int

    def describe(self) -> str:
        label = {
            "prc_id": "PRC resident ID number",
            "mobile": "mobile number",
            "deny_list": "name on the deny-list",
        }[self.kind]
        return f"{self.path}:{self.line}: {label} {self.masked}"


def load_deny_list(path: str | os.PathLike[str]) -> list[str]:
    """Names to refuse in the published book: one per line, UTF-8; blank lines and lines
    starting with ``#`` are ignored, surrounding whitespace is stripped.

    Raises:
        FileNotFoundError: the file does not exist.
    """
    text = Path(path).read_text(encoding="utf-8")
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]


def _mask_name(name: str) -> str:
    # Names are short (2-4 Chinese characters): keep only the first character.
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def scan_text(text: str, deny_list: Iterable[str] = ()) -> list[tuple[str, str, int]]:
    """Identifiers in one text: ``(kind, masked match, offset)``, in text order.

    Rules: an 18-character string bounded by non-alphanumerics that passes
    :func:`cases.data.io.is_valid_prc_id` (GB 11643-1999 check character and a real birth date);
    an 11-digit mainland mobile number (``1[3-9]`` + 9 digits, optional ``+86``) bounded by
    non-alphanumerics and passing :func:`cases.data.io.is_valid_prc_mobile`; any deny-list entry
    as a case-insensitive substring. Matched values are masked (middle characters starred).
    """
    found: list[tuple[str, str, int]] = []
    id_spans: list[tuple[int, int]] = []
    for m in _ID_CANDIDATE.finditer(text):
        if is_valid_prc_id(m.group()):
            found.append(("prc_id", _mask(m.group()), m.start()))
            id_spans.append(m.span())
    for m in _MOBILE_CANDIDATE.finditer(text):
        if any(a <= m.start() < b for a, b in id_spans):
            continue
        if is_valid_prc_mobile(m.group()):
            found.append(("mobile", _mask(m.group()), m.start()))
    lowered = text.casefold()
    for name in deny_list:
        needle = name.casefold()
        if not needle:
            continue
        start = lowered.find(needle)
        while start != -1:
            found.append(("deny_list", _mask_name(name), start))
            start = lowered.find(needle, start + len(needle))
    return sorted(found, key=lambda f: f[2])


def _notebook_texts(raw: str) -> Iterator[str]:
    """The text a reader sees in a notebook: cell sources and text outputs, not images."""
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError:
        yield raw  # not a notebook after all: scan it as plain text
        return
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        yield "".join(source) if isinstance(source, list) else str(source)
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback"):
                value = output.get(key)
                if value:
                    yield "".join(value) if isinstance(value, list) else str(value)
            for mime, value in (output.get("data") or {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                yield "".join(value) if isinstance(value, list) else str(value)


def _file_texts(path: Path) -> Iterator[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        yield from _notebook_texts(raw)
    elif path.suffix in {".html", ".htm"}:
        # Drop scripts, styles and inline images, then undo entities (&#49;... would hide digits).
        yield _html.unescape(_HTML_SKIP.sub(" ", raw))
    else:
        yield raw


def scan_build(
    html_dir: str | os.PathLike[str],
    deny_list: Iterable[str] | str | os.PathLike[str] | None = None,
) -> list[Finding]:
    """Scan every text page and downloadable file of a built book for personal identifiers.

    Files whose suffix is in :data:`TEXT_SUFFIXES` are read (HTML pages without their
    ``<script>``/``<style>`` blocks and inline base64 images; notebooks by their cell sources
    and text outputs, not image outputs; CSV, text, Markdown and JSON downloads as they are).
    Images, fonts, JavaScript and CSS are skipped: they are generated by Sphinx and its theme,
    not from data, and their hashes and minified numbers would only produce false alarms.
    Each text is searched with :func:`scan_text`.

    Args:
        html_dir: the built site, e.g. ``book/_build/html``.
        deny_list: names to refuse: a list of strings, or the path of a deny-list file (see
            :func:`load_deny_list`); None for none.

    Returns:
        The findings, by file and line; empty when the book is clean.

    Raises:
        FileNotFoundError: ``html_dir`` is not a folder, or the deny-list file is missing.
    """
    root = Path(html_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"built book not found: {root} is not a folder")
    if isinstance(deny_list, str | os.PathLike):
        names = load_deny_list(deny_list)
    else:
        names = list(deny_list or ())
    findings: list[Finding] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        relative = path.relative_to(root).as_posix()
        seen: set[tuple[str, str, int]] = set()
        for text in _file_texts(path):
            for kind, masked, offset in scan_text(text, names):
                key = (kind, masked, _line_of(text, offset))
                if key not in seen:
                    seen.add(key)
                    findings.append(Finding(relative, kind, masked, key[2]))
    return findings
