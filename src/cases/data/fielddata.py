"""A researcher's own field-data folder (``data_dir``): read and validated through :mod:`cases.io`.

Every file of the folder goes through :func:`cases.data.io.read_table` (CSV in UTF-8, UTF-8
with BOM, GBK or GB18030; XLSX with the header row found or given; SPSS ``.sav`` and Stata
``.dta`` with their value labels), then through the identifier guard
(:func:`cases.data.io.scan_identifiers`), then through the case's table schema. Nothing is
coerced silently: every problem is collected as a :class:`Finding` naming the file, the row
(data rows counted from 1, the header excluded, with the line of the file or sheet), the column,
the value (masked when it looks like an identifier) and what is allowed.

Folder format
-------------
``<table>.csv`` (or ``.xlsx``, ``.sav``, ``.dta``) for each table of the case, and
``metadata.json``::

    {"case": "h_county",            # required unless the caller names the case
     "simulated": false,            # true is refused: simulated data are not field data
     "title": "...", "place": "...", "year": 2019,      # optional: title and place of a report
     "missing_codes": {"income_per_capita": [-9], "household_size": [99]},
     "valid_values": {"household_size": [9]},           # sentinel-looking values that are real
     "header_rows": {"panel": 2},   # XLSX/CSV line of the header when it is not found itself
     "drop_incomplete_rows": false} # true: rows lacking a required value are dropped and listed

``missing_codes`` keys are a column (any table) or ``table.column``; an instrument's own
``missing_codes`` apply to its items. Blank cells and declared codes are missing. Missing
answers are allowed in questionnaire items (the scales' half-answered rule applies) and in
nullable columns (kind ``int?``); elsewhere a missing value is a problem, unless
``drop_incomplete_rows`` is true.

The case's tables, column kinds, categories and instruments come from a :class:`FolderSpec`
(built by :func:`cases.simulate.synth.folder_spec`), since the data layer does not know the
cases' schemas itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import sha256_file
from cases.data import io
from cases.data.instruments import Instrument, load_instrument

__all__ = [
    "METADATA_FILE",
    "SENTINEL_CODES",
    "SIMULATION_KEYS",
    "SIMULATION_STAMP_COLUMN",
    "SIMULATION_STAMP_PREFIX",
    "SUFFIXES",
    "Finding",
    "FolderCheck",
    "FolderSpec",
    "LazyTables",
    "check_folder",
    "detect_header_row",
    "file_hashes",
    "read_folder_meta",
    "read_table_checked",
    "simulation_stamp",
    "table_file",
]

METADATA_FILE = "metadata.json"
#: Suffixes of table files, in the order they are looked for.
SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".sav", ".dta", ".tsv", ".xlsm", ".zsav")
#: Values that are usually codes for "unknown" in numeric columns (9 is left out: a household
#: of 9 is real, and 9 in a Likert item or a 0/1 flag is out of range anyway).
SENTINEL_CODES: frozenset[float] = frozenset({-9.0, -99.0, -999.0, 99.0, 999.0, 9999.0})
#: ``metadata.json`` keys that only generated data carry.
SIMULATION_KEYS: tuple[str, ...] = ("generator", "generator_version", "seed", "planted_effects")
#: The stamp :func:`cases.simulate.synth.write` puts in every table it writes: a last column of
#: this name whose every cell starts with :data:`SIMULATION_STAMP_PREFIX` (e.g.
#: ``cases.simulate.synth 1.1.0 seed 11``). A column travels with the file when it is copied,
#: renamed, opened in Excel and saved again, or converted to XLSX/SAV, where a sidecar file or
#: folder metadata would be left behind; CSV readers see one more column, not a broken file.
SIMULATION_STAMP_COLUMN = "simulated_by"
SIMULATION_STAMP_PREFIX = "cases.simulate.synth"
_META_KEYS = {
    "case",
    "simulated",
    "title",
    "place",
    "year",
    "missing_codes",
    "valid_values",
    "header_rows",
    "drop_incomplete_rows",
    "description",
    "source",
    "imported_from",
}
_IDENTIFIER_UNIT = "identifier"
_FLAG_UNIT = "0/1 flag"
#: Plausible ranges of some columns (outside: a warning, not an error).
_PLAUSIBLE: dict[str, tuple[float, float]] = {
    "household_size": (1, 30),
    "head_education_years": (0, 25),
    "year": (1949, 2100),
    "first_treated": (0, 2100),
}
_NON_NEGATIVE = ("income", "consumption", "value_yuan")


@dataclass(frozen=True)
class FolderSpec:
    """What a case's folder holds.

    Attributes:
        case: the case slug.
        tables: table -> [(column, kind, unit, description)]; kind ``int``, ``int?``, ``float``
            or ``str``; unit ``identifier`` marks id columns (text or integer ids accepted) and
            ``0/1 flag`` flags.
        optional_tables: tables that may be absent.
        optional_columns: table -> column group that may be left out entirely.
        categories: table -> column -> allowed labels.
        instruments: table -> instrument name or path (its items are Likert answers).
        keys: table -> columns that identify a row (checked for duplicates).
        clusters: table -> the column counted as clusters for clustered inference.
    """

    case: str
    tables: Mapping[str, Sequence[tuple[str, str, str, str]]]
    optional_tables: Sequence[str] = ()
    optional_columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    categories: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    instruments: Mapping[str, str] = field(default_factory=dict)
    keys: Mapping[str, Sequence[str]] = field(default_factory=dict)
    clusters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One problem (``level="problem"``) or warning found in a folder. ``value`` is already
    masked when it looks like an identifier."""

    level: str
    file: str
    message: str
    row: int | None = None
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {self.value}")
        return ", ".join(where) + f": {self.message}"


@dataclass
class FolderCheck:
    """The outcome of reading a folder: the tables that passed, metadata, every finding."""

    folder: Path
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    findings: list[Finding]

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "problem"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


# -------------------------------------------------------------------------------- helpers


def _shown(column: str, value: object) -> str:
    """A cell for a message: masked when the column or the value looks like an identifier."""
    text = io._cell_text(value)
    if text is None:
        return "(blank)"
    if io._header_kind(str(column)) is not None or io._scan_text(text):
        return io._mask(text)
    return text if not _is_text(value) else repr(text)


def table_file(folder: Path, table: str) -> tuple[Path | None, list[Path]]:
    """The file holding ``table`` (``<table>.<suffix>``) and every candidate found."""
    found = [folder / f"{table}{s}" for s in SUFFIXES if (folder / f"{table}{s}").is_file()]
    return (found[0] if len(found) == 1 else None), found


def file_hashes(folder: str | os.PathLike[str]) -> dict[str, str]:
    """SHA-256 of every (non-hidden) file under ``folder``, keyed by its relative path."""
    root = Path(folder)
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(p.startswith(".") for p in rel.parts):
            out[rel.as_posix()] = sha256_file(path)
    return out


def detect_header_row(rows: Sequence[Sequence[object]]) -> int:
    """0-based index of the header among the first rows of a sheet.

    Rule: the first of the first 20 rows whose filled cells are all text and at least as many
    as the fullest of those rows has (a title row above the header fills one cell; data rows
    hold numbers). Falls back to 0.
    """
    head = [list(r) for r in rows[:20]]

    def filled(r: list[object]) -> list[object]:
        return [c for c in r if io._cell_text(c) not in (None, "")]

    widest = max((len(filled(r)) for r in head), default=0)
    for i, r in enumerate(head):
        cells = filled(r)
        if cells and len(cells) >= widest:
            try:
                [io._as_number(c) for c in cells]
            except (ValueError, TypeError):
                if all(_is_text(c) for c in cells):
                    return i
    return 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_text(cell: object) -> bool:
    try:
        io._as_number(cell)
    except (ValueError, TypeError):
        return True
    return False


def _read_with_header(path: Path, header_row: int | None) -> tuple[pd.DataFrame, int]:
    """Read a table file through :func:`cases.data.io.read_table`; for XLSX and CSV, move the
    header to the detected (or given, 1-based) row. Returns the frame and the header's line."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raw = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
        raw = raw.astype(object).where(raw.notna(), None)
        rows = raw.to_numpy().tolist()
        index = header_row - 1 if header_row else detect_header_row(rows)
        if index >= len(rows):
            raise DataValidationError(path.name, [f"header row {index + 1} is past the end"])
        header = [str(c).strip() if c is not None else "" for c in rows[index]]
        while header and header[-1] == "":
            header.pop()
        problems = [
            f"header: column {i} has an empty name" for i, h in enumerate(header, 1) if not h
        ]
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        problems += [f"header: column name {h!r} appears more than once" for h in dupes]
        if problems:
            raise DataValidationError(path.name, problems)
        body = [r[: len(header)] for r in rows[index + 1 :]]
        body = [r for r in body if any(io._cell_text(c) not in (None, "") for c in r)]
        if not body:
            raise DataValidationError(path.name, ["empty sheet: header present but no data rows"])
        frame = pd.DataFrame(body, columns=header, dtype=object)
        io.read_table(path)  # the same readability checks as every other field-data file
        return frame, index + 1
    if header_row and header_row > 1 and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
        # Lines above the header (a title) are skipped before parsing, so they cannot make
        # the rows look ragged; the encoding rule is cases.io's.
        text, used = io._decode(path, path.read_bytes(), None)
        lines = text.splitlines(keepends=True)
        if header_row > len(lines):
            raise DataValidationError(path.name, [f"header row {header_row} is past the end"])
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        frame = io._read_csv_text(path.name, "".join(lines[header_row - 1 :]), delimiter)
        frame.attrs["encoding"] = used
        return frame, header_row
    return io.read_table(path), 1


def simulation_stamp(frame: pd.DataFrame) -> tuple[str, str] | None:
    """``(column, value)`` of the simulator's stamp in ``frame``, or None.

    Rule: a column named :data:`SIMULATION_STAMP_COLUMN` (whatever it holds), or any column
    whose non-blank cells all start with :data:`SIMULATION_STAMP_PREFIX` (the stamp under
    another name, e.g. renamed in an import mapping). ``value`` is the first non-blank cell.
    """
    for column in frame.columns:
        cells = [io._cell_text(v) for v in frame[column].tolist()]
        cells = [c.strip() for c in cells if c is not None and c.strip()]
        named = str(column).strip() == SIMULATION_STAMP_COLUMN
        if named or (cells and all(c.startswith(SIMULATION_STAMP_PREFIX) for c in cells)):
            return str(column), (cells[0] if cells else "")
    return None


# -------------------------------------------------------------------------------- metadata


def read_folder_meta(folder: Path, case: str | None) -> tuple[dict[str, Any], list[Finding]]:
    """``metadata.json`` with defaults, and the problems it has (simulated data included)."""
    findings: list[Finding] = []
    path = folder / METADATA_FILE
    meta: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return {"case": case}, [Finding("problem", METADATA_FILE, f"not valid JSON: {exc}")]
        if not isinstance(loaded, dict):
            return {"case": case}, [
                Finding("problem", METADATA_FILE, "top level must be an object")
            ]
        meta = loaded
    elif case is None:
        findings.append(Finding("problem", METADATA_FILE, 'missing; write {"case": "<slug>"}'))
    if case is not None and meta.get("case", case) != case:
        findings.append(
            Finding("problem", METADATA_FILE, f"case is {meta.get('case')!r}, expected {case!r}")
        )
    meta.setdefault("case", case)
    meta.setdefault("simulated", False)
    carried = [k for k in SIMULATION_KEYS if k in meta]
    if meta.get("simulated") is not False or carried:
        what = ", ".join(carried) or f"simulated={meta.get('simulated')!r}"
        findings.append(
            Finding(
                "problem",
                METADATA_FILE,
                f"this folder carries simulation metadata ({what}): simulated data cannot be "
                "presented as field data; use the generator's own output in the book, or write "
                'a metadata.json for your field data with "simulated": false',
            )
        )
    for key in ("missing_codes", "valid_values", "header_rows"):
        value = meta.get(key, {})
        if not isinstance(value, dict):
            findings.append(Finding("problem", METADATA_FILE, f"{key} must be an object"))
            meta[key] = {}
            continue
        for col, codes in value.items():
            ok = (
                isinstance(codes, int) and codes >= 1
                if key == "header_rows"
                else isinstance(codes, list) and all(isinstance(c, int | float) for c in codes)
            )
            if not ok:
                need = "a line number >= 1" if key == "header_rows" else "a list of numbers"
                findings.append(Finding("problem", METADATA_FILE, f"{key}.{col} must be {need}"))
        meta.setdefault(key, {})
    if "year" in meta and not isinstance(meta["year"], int):
        findings.append(Finding("problem", METADATA_FILE, "year must be a whole number"))
    return meta, findings


def _codes(meta: Mapping[str, Any], key: str, table: str, column: str) -> set[float]:
    table_codes = meta.get(key, {})
    out: set[float] = set()
    for name in (column, f"{table}.{column}"):
        codes = table_codes.get(name, [])
        if isinstance(codes, list):
            out |= {float(c) for c in codes if isinstance(c, int | float)}
    return out


# -------------------------------------------------------------------------------- one table


def read_table_checked(
    folder: Path, spec: FolderSpec, table: str, meta: Mapping[str, Any]
) -> tuple[pd.DataFrame | None, list[Finding]]:
    """Read and validate one table of the folder; ``(None, findings)`` when it cannot be used."""
    path, candidates = table_file(folder, table)
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        return None, [Finding("problem", table, f"more than one file for table {table!r}: {names}")]
    if path is None:
        if table in spec.optional_tables:
            return None, []
        return None, [
            Finding(
                "problem",
                f"{table}.csv",
                f"table {table!r} of case {spec.case!r} not found (any of "
                f"{', '.join(SUFFIXES[:4])})",
            )
        ]
    name = path.name
    header_rows = meta.get("header_rows", {})
    try:
        frame, header_line = _read_with_header(path, header_rows.get(table))
    except DataValidationError as exc:
        found = [Finding("problem", name, p) for p in exc.problems]
        if any(p.startswith("row 1: has extra fields") for p in exc.problems):
            found.append(
                Finding(
                    "problem",
                    name,
                    "the first line looks like a title above the header: set "
                    f'"header_rows": {{"{table}": 2}} in metadata.json (header_row: 2 in an '
                    "import mapping)",
                )
            )
        return None, found
    findings: list[Finding] = []

    def add(level: str, message: str, row: int | None, column: str | None, value, shown: bool):
        findings.append(
            Finding(
                level,
                name,
                message,
                row=row,
                line=None if row is None else row + header_line,
                column=column,
                value=_shown(column or "", value) if shown else None,
            )
        )

    def problem(message: str, row: int | None = None, column: str | None = None, value=None):
        add("problem", message, row, column, value, not (value is None and row is None))

    def warning(message: str, row: int | None = None, column: str | None = None, value=None):
        add("warning", message, row, column, value, row is not None)

    # -- a table written by the simulator is not field data, whatever the folder says --------
    stamp = simulation_stamp(frame)
    if stamp is not None:
        column, value = stamp
        return None, [
            Finding(
                "problem",
                name,
                f"this table was written by the simulator (column {column!r}: {value!r}): "
                "simulated data cannot be presented as field data; replace the file with your "
                "own export",
                column=column,
            )
        ]
    # -- identifier guard: stop before any value of an identifier column is looked at --------
    for found in io.scan_identifiers(frame):
        findings.append(
            Finding(
                "problem",
                name,
                f"{found.describe()}: direct identifiers may not be in a data folder; drop the "
                "column or hash it with `cases import` (mapping: identifiers: {column: hash})",
            )
        )
    if findings:
        return None, findings

    instrument: Instrument | None = None
    if table in spec.instruments:
        instrument = load_instrument(spec.instruments[table])
    items = set(instrument.item_ids) if instrument else set()
    schema = list(spec.tables[table])
    group = list(spec.optional_columns.get(table, ()))
    absent_group = set(group) if not any(c in frame.columns for c in group) else set()
    for col, *_ in schema:
        if col not in frame.columns and col not in absent_group:
            extra = (
                f" (optional group {', '.join(group)}: give all or none)" if col in group else ""
            )
            problem(f"column missing{extra}; columns found: {', '.join(frame.columns)}", column=col)
    if any(f.level == "problem" for f in findings):
        return None, findings

    drop_incomplete = bool(meta.get("drop_incomplete_rows", False))
    incomplete: set[int] = set()
    out = frame.copy()
    categories = spec.categories.get(table, {})
    for col, kind, unit, _ in schema:
        if col not in frame.columns:
            continue
        declared = _codes(meta, "missing_codes", table, col)
        if col in items and instrument is not None:
            declared |= {float(c) for c in instrument.missing_codes}
        valid_extra = _codes(meta, "valid_values", table, col)
        nullable = kind == "int?" or col in items
        values: list[object] = []
        for row, raw in enumerate(frame[col].tolist(), start=1):
            text = io._cell_text(raw)
            is_blank = text is None or text.strip() == ""
            number: float | None = None
            if (not is_blank and kind != "str") or (unit == _IDENTIFIER_UNIT and not is_blank):
                try:
                    number = io._as_number(raw)
                except (ValueError, TypeError):
                    number = None
            if not is_blank and number is not None and number in declared:
                is_blank = True
            if is_blank:
                if not nullable:
                    if drop_incomplete:
                        incomplete.add(row)
                    else:
                        how = "blank" if text is None or not text.strip() else "declared missing"
                        problem(
                            f"{how}, but every row needs a value here (correct it, remove the "
                            'row, or set "drop_incomplete_rows": true in metadata.json)',
                            row,
                            col,
                            raw,
                        )
                values.append(None)
                continue
            if unit == _IDENTIFIER_UNIT:
                values.append(
                    text.strip()
                    if number is None or not float(number).is_integer()
                    else int(number)
                )
                continue
            if kind == "str":
                label = text.strip()
                allowed = categories.get(col)
                if allowed is not None and label not in allowed:
                    coded = frame.attrs.get("value_labels", {}).get(col, {})
                    named = coded.get(number) if number is not None else None
                    named = coded.get(float(label), named) if _is_number(label) else named
                    problem(
                        "unknown category"
                        + (f" (labelled {named!r} in the file)" if named else "")
                        + f"; allowed: {', '.join(allowed)} (map other labels with a value map "
                        "in `cases import`)",
                        row,
                        col,
                        raw,
                    )
                values.append(label)
                continue
            if number is None:
                problem(f"not a number (column kind {kind})", row, col, raw)
                values.append(None)
                continue
            if col in items and instrument is not None:
                lo, hi = instrument.item_range(col)
                if not float(number).is_integer() or not lo <= number <= hi:
                    codes = ", ".join(str(c) for c in instrument.missing_codes) or "none"
                    problem(
                        f"answer outside the response range {lo}-{hi} (missing codes: {codes})",
                        row,
                        col,
                        raw,
                    )
                values.append(number)
                continue
            if kind.startswith("int") and not float(number).is_integer():
                problem(f"not a whole number (column kind {kind})", row, col, raw)
            elif unit == _FLAG_UNIT and number not in (0.0, 1.0):
                problem("a 0/1 flag; allowed: 0, 1", row, col, raw)
            elif number in SENTINEL_CODES and number not in valid_extra:
                problem(
                    "looks like a missing-value code; declare it in metadata.json "
                    f'("missing_codes": {{"{col}": [{int(number)}]}}) or, if it is a real '
                    f'value, list it under "valid_values"',
                    row,
                    col,
                    raw,
                )
            else:
                lo_hi = _PLAUSIBLE.get(col)
                if (
                    lo_hi
                    and not lo_hi[0] <= number <= lo_hi[1]
                    and not (col == "first_treated" and number == 0)
                ):
                    warning(
                        f"implausible value (expected {lo_hi[0]:g}-{lo_hi[1]:g})", row, col, raw
                    )
                elif number < 0 and any(k in col for k in _NON_NEGATIVE):
                    warning("negative value (a loss, or a missing-value code?)", row, col, raw)
            values.append(number)
        out[col] = _typed(values, kind, unit, nullable)
    for key_cols in [spec.keys.get(table, ())]:
        if key_cols and all(c in out.columns for c in key_cols):
            seen: dict[tuple, int] = {}
            for row, key in enumerate(zip(*(out[c].tolist() for c in key_cols), strict=True), 1):
                if any(k is None or (isinstance(k, float) and np.isnan(k)) for k in key):
                    continue
                if key in seen:
                    problem(
                        f"duplicate {' + '.join(key_cols)} (first at row {seen[key]})",
                        row,
                        key_cols[0],
                        key[0],
                    )
                else:
                    seen[key] = row
    if any(f.level == "problem" for f in findings):
        return None, findings
    dropped_keys: list[object] = []
    file_rows = list(range(1, len(out) + 1))
    if incomplete:
        rows = sorted(incomplete)
        if spec.keys.get(table):
            key_col = spec.keys[table][0]
            dropped_keys = [out[key_col].iloc[r - 1] for r in rows]
        keep = np.ones(len(out), dtype=bool)
        keep[np.asarray(rows) - 1] = False
        out = out.loc[keep].reset_index(drop=True)
        file_rows = [r for r, k in zip(file_rows, keep, strict=True) if k]
        shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        warning(f"{len(rows)} row(s) lacking a required value dropped (rows {shown})")
    for col, kind, unit, _ in schema:
        if col in out.columns:
            out[col] = _typed(out[col].tolist(), kind, unit, kind == "int?" or col in items)
    out.attrs = {
        "source": name,
        "case": spec.case,
        "simulated": False,
        "header_line": header_line,
        "dropped_keys": dropped_keys,
        "file_rows": file_rows,
    }
    if "value_labels" in frame.attrs:
        out.attrs["value_labels"] = frame.attrs["value_labels"]
    return out, findings


def _typed(values: list[object], kind: str, unit: str, nullable: bool) -> pd.Series:
    values = [
        None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
        for v in values
    ]
    if unit == _IDENTIFIER_UNIT:
        present = [
            v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))
        ]
        if present and all(isinstance(v, int | np.integer) for v in present):
            if kind == "int?" or len(present) < len(values):
                return pd.Series(values, dtype="Int64")
            return pd.Series(values, dtype="int64")
        return pd.Series([None if v is None else str(v) for v in values], dtype=object)
    if kind == "str":
        return pd.Series(values, dtype=object)
    if kind == "int?":
        return pd.Series(values, dtype="Int64")
    if nullable or kind == "float":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if any(v is None for v in values):
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype="int64")


# -------------------------------------------------------------------------------- the folder


def check_folder(
    folder: str | os.PathLike[str], spec: FolderSpec, tables: Sequence[str] | None = None
) -> FolderCheck:
    """Read every table of ``spec`` (or only ``tables``) and collect every finding at once,
    plus few-clusters warnings. Statistical diagnostics (alpha) are added by the run layer."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ParameterError(f"data folder {str(folder)!r} is not an existing folder")
    meta, findings = read_folder_meta(root, spec.case)
    if meta.get("case") is not None and meta["case"] != spec.case:
        return FolderCheck(root, meta, {}, findings)
    out: dict[str, pd.DataFrame] = {}
    for table in tables or list(spec.tables):
        frame, found = read_table_checked(root, spec, table, meta)
        findings.extend(found)
        if frame is not None:
            out[table] = frame
    _cascade(out, spec, findings, root)
    for table, column in spec.clusters.items():
        if table in out and column in out[table].columns:
            k = out[table][column].nunique()
            if k < 20:
                findings.append(
                    Finding(
                        "warning",
                        table_file(root, table)[0].name,  # type: ignore[union-attr]
                        f"only {k} clusters ({column}); clustered standard errors and intervals "
                        "are unreliable with fewer than 20 clusters (read them as indicative)",
                        column=column,
                    )
                )
    return FolderCheck(root, meta, out, findings)


#: A table whose dropped rows (``drop_incomplete_rows``) take the rows that refer to them along.
_PARENT = ("households", "household_id")


def _cascade(
    frames: dict[str, pd.DataFrame], spec: FolderSpec, findings: list[Finding], root: Path
) -> None:
    """Rows of other tables that refer to a household dropped for lacking a required value are
    dropped too (and listed), so no table keeps a household its parent table lost."""
    parent, key = _PARENT
    if parent not in frames or not frames[parent].attrs.get("dropped_keys"):
        return
    gone = set(frames[parent].attrs["dropped_keys"])
    for table, frame in list(frames.items()):
        if table == parent or key not in frame.columns:
            continue
        hit = frame[key].isin(gone).to_numpy()
        if hit.any():
            numbers = frame.attrs.get("file_rows") or list(range(1, len(frame) + 1))
            rows = [numbers[i] for i in np.flatnonzero(hit)]
            frames[table] = frame.loc[~hit].reset_index(drop=True)
            frames[table].attrs = {
                **frame.attrs,
                "file_rows": [r for r, h in zip(numbers, hit, strict=True) if not h],
            }
            file = table_file(root, table)[0]
            shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
            findings.append(
                Finding(
                    "warning",
                    file.name if file else table,
                    f"{len(rows)} row(s) refer to households dropped from {parent} (lacking a "
                    f"required value) and are dropped too (rows {shown})",
                    column=key,
                )
            )


class LazyTables(Mapping[str, pd.DataFrame]):
    """The tables of a folder, each read and validated when first used, so an analysis is
    refused only for a table it reads. ``name in tables`` says whether the file exists."""

    def __init__(self, folder: Path, spec: FolderSpec, meta: Mapping[str, Any]):
        self._folder, self._spec, self._meta = folder, spec, meta
        self._cache: dict[str, pd.DataFrame] = {}

    def _present(self) -> list[str]:
        return [t for t in self._spec.tables if table_file(self._folder, t)[1]]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._present()

    def __iter__(self) -> Iterator[str]:
        return iter(self._present())

    def __len__(self) -> int:
        return len(self._present())

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._spec.tables:
            raise KeyError(name)
        if name not in self._cache:
            frame, findings = read_table_checked(self._folder, self._spec, name, self._meta)
            problems = [f.describe() for f in findings if f.level == "problem"]
            if frame is None and not problems:
                raise KeyError(name)
            if problems:
                raise DataValidationError(self._folder.name, problems)
            parent = _PARENT[0]
            if name != parent and parent in self and _PARENT[1] in frame.columns:  # type: ignore[union-attr]
                frames = {parent: self[parent], name: frame}
                _cascade(frames, self._spec, [], self._folder)  # type: ignore[arg-type]
                frame = frames[name]
            self._cache[name] = frame  # type: ignore[assignment]
        return self._cache[name]


def open_folder(
    folder: str | os.PathLike[str], spec: FolderSpec
) -> tuple[dict[str, Any], LazyTables]:
    """Metadata and lazily validated tables of an own-data folder.

    Raises:
        ParameterError: not an existing folder.
        DataValidationError: ``metadata.json`` problems (simulated data, wrong case), listed.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ParameterError(f"data_dir {str(folder)!r} is not an existing folder")
    meta, findings = read_folder_meta(root, spec.case)
    if findings:
        raise DataValidationError(root.name, [f.describe() for f in findings])
    return meta, LazyTables(root, spec, meta)
