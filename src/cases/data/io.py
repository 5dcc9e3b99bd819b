"""Reading and validating field data: survey exports, identifier guard and raw-data checksums.

Data flow: a raw export (CSV, XLSX, SPSS ``.sav`` or Stata ``.dta``) is read *without
modification*, every problem is collected, and either one
:class:`~cases.core.errors.DataValidationError`
listing all problems is raised or a validated :class:`pandas.DataFrame` is returned.

Conventions used in every message:

- ``row N`` counts data rows from 1, the header excluded (so ``row 1`` is line 2 of a CSV).
- Columns are named by their header exactly as written in the file.
- Values that look like personal identifiers are never echoed: they are masked
  (``3701**********123X``).

Nothing is coerced silently. Empty cells are missing; an instrument may declare extra
missing-value codes (``missing_codes``), which are then turned into missing values explicitly.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import hmac
import io as _stdio
import itertools
import json
import os
import re
import unicodedata
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import sha256_file

if TYPE_CHECKING:  # pragma: no cover - import only for type hints (avoids an import cycle)
    from cases.data.instruments import Instrument

__all__ = [
    "ID_KEY_ENV",
    "IdentifierFinding",
    "check_data_dir",
    "hash_identifier",
    "is_valid_prc_id",
    "is_valid_prc_mobile",
    "read_survey",
    "read_table",
    "scan_identifiers",
    "sha256_file",
    "verify_checksums",
]

#: Environment variable holding the secret key for keyed hashing of identifiers.
ID_KEY_ENV = "CASES_ID_KEY"

IdentifierAction = Literal["hash", "drop"]

# --------------------------------------------------------------------------------------------
# Identifier detection
# --------------------------------------------------------------------------------------------

# GB 11643-1999 weights W_i = 2^(17-i) mod 11 for positions 1..17, and the check-character table
# indexed by (sum W_i * a_i) mod 11 (ISO 7064 MOD 11-2).
_PRC_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PRC_ID_CHECK = "10X98765432"

_PRC_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9])")
_MOBILE_FULL = re.compile(r"(?:\+?86[- ]?)?1[3-9]\d{9}")
_CANDIDATE = re.compile(r"\d{11}|[省市县区镇乡村]")
#: What :func:`hash_identifier` writes: HMAC-SHA256 as 64 lower-case hex digits.
_HASHED = re.compile(r"[0-9a-f]{64}")
# A detailed Chinese address: an administrative unit followed, later, by a house-level unit
# (group, number, lane, road, building, unit, room).  Place names alone ("A镇") do not match.
_ADDRESS_IN_TEXT = re.compile(
    r"[\u4e00-\u9fff0-9A-Za-z]{1,12}(?:省|市|县|区|镇|乡|村)"
    r"[\u4e00-\u9fff0-9A-Za-z\-]{0,20}?\d+\s*(?:号|组|巷|弄|栋|幢|单元|室|号楼)"
)

# Header keywords.  Chinese keywords match as substrings; English keywords match whole tokens
# of the header split on non-alphanumerics (so "phone" flags "phone_no" but not "iphone_use").
_HEADER_ZH = {
    "name": ("姓名", "名字", "户主姓名", "联系人"),
    "prc_id": ("身份证", "证件号", "公民身份号码"),
    "phone": ("手机", "电话", "联系方式", "联系电话"),
    "address": ("住址", "地址", "门牌", "家庭住址"),
}
_HEADER_EN_TOKENS = {
    "name": {"name", "fullname", "surname", "firstname", "lastname", "givenname"},
    "prc_id": {"idcard", "idno", "ssn", "nationalid", "citizenid", "identitycard", "idnumber"},
    "phone": {"phone", "mobile", "telephone", "tel", "cellphone", "cell", "phoneno"},
    "address": {"address", "addr", "street", "streetaddress", "homeaddress"},
}
# Two-token English headers (id_card, id_number, national_id, phone_number ...).
_HEADER_EN_PAIRS = {
    ("id", "card"): "prc_id",
    ("id", "number"): "prc_id",
    ("id", "no"): "prc_id",
    ("national", "id"): "prc_id",
    ("citizen", "id"): "prc_id",
    ("identity", "card"): "prc_id",
    ("first", "name"): "name",
    ("last", "name"): "name",
    ("full", "name"): "name",
}
# "name" preceded by one of these is the name of a place or thing, not a person.
_NON_PERSON_NAME_PREFIX = {
    "village",
    "town",
    "township",
    "county",
    "city",
    "province",
    "case",
    "scale",
    "item",
    "instrument",
    "org",
    "organisation",
    "organization",
    "enterprise",
    "company",
    "project",
    "file",
    "column",
    "variable",
}

_KIND_LABEL = {
    "name": "personal name",
    "prc_id": "PRC resident ID number",
    "phone": "phone/mobile number",
    "address": "detailed address",
}


@dataclass(frozen=True)
class IdentifierFinding:
    """One suspected direct identifier.

    Attributes:
        kind: ``"name"``, ``"prc_id"``, ``"phone"`` or ``"address"``.
        how: ``"header"`` (column name matched a keyword) or ``"content"`` (a value matched).
        column: column name for a frame; ``None`` for free text.
        row: first data row (1-based) whose value matched, for content findings in a frame.
        count: number of matching values (frame content findings) or 1.
        start, end: character offsets of the match in free text (``None`` for frames).
        masked: the matched value with all but the first 4 and last 4 characters masked, so a
            message can point at it without disclosing it.
    """

    kind: str
    how: str
    column: str | None = None
    row: int | None = None
    count: int = 1
    start: int | None = None
    end: int | None = None
    masked: str | None = None

    def describe(self) -> str:
        """One-line human-readable description (never contains the raw value)."""
        label = _KIND_LABEL[self.kind]
        if self.column is None:
            return f"characters {self.start}:{self.end}: looks like a {label} ({self.masked})"
        if self.how == "header":
            return f"column {self.column!r}: header suggests a {label}"
        return (
            f"column {self.column!r}: {self.count} value(s) look like a {label} "
            f"(first at row {self.row}: {self.masked})"
        )


def _mask(value: str) -> str:
    """Keep the first 4 and last 4 characters (2+2 for short values) and star the rest."""
    keep = 4 if len(value) > 10 else 2 if len(value) > 4 else 1
    if len(value) <= 2 * keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def is_valid_prc_id(s: object) -> bool:
    """Return True if ``s`` is an 18-character PRC citizen identity number with a valid check.

    Rule (GB 11643-1999, *Citizen identification number*, §5–§8; check character by
    ISO 7064:1983 MOD 11-2): characters 1–17 are digits ``a_1..a_17``, character 18 is the check
    character ``C = "10X98765432"[(Σ W_i a_i) mod 11]`` with weights
    ``W_i = 2^(18-i) mod 11 = 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2``; characters
    7–14 must be a real calendar date ``YYYYMMDD`` between 1900-01-01 and today, and the
    6-digit address code must not start with 0.  A lower-case ``x`` is accepted.  The 15-digit
    pre-1999 format is not accepted.

    Non-strings (numbers, NaN) return False rather than raising: a numeric cell cannot hold an
    ``X`` check character and Excel has usually destroyed the last digits already.
    """
    if not isinstance(s, str):
        return False
    s = s.strip()
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit() or s[0] == "0":
        return False
    check = s[17].upper()
    if check not in "0123456789X":
        return False
    total = sum(int(ch) * w for ch, w in zip(s[:17], _PRC_ID_WEIGHTS, strict=True))
    if _PRC_ID_CHECK[total % 11] != check:
        return False
    try:
        born = _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def is_valid_prc_mobile(s: object) -> bool:
    """Return True if ``s`` is a mainland-China mobile number: 11 digits matching ``1[3-9]\\d{9}``.

    An optional ``+86``/``86`` prefix (with optional space or hyphen) is allowed.  Integers are
    accepted too, because spreadsheets store phone numbers as numbers.
    """
    if isinstance(s, bool):
        return False
    if isinstance(s, (int, np.integer)):
        s = str(int(s))
    elif isinstance(s, (float, np.floating)):
        if not np.isfinite(s) or s != int(s):
            return False
        s = str(int(s))
    if not isinstance(s, str):
        return False
    return _MOBILE_FULL.fullmatch(s.strip()) is not None


def _header_kind(header: str) -> str | None:
    """Classify a column header as a direct identifier kind, or None."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    for kind, words in _HEADER_ZH.items():
        if any(w in text for w in words):
            return kind
    tokens = [t for t in re.split(r"[^0-9a-z]+", text) if t]
    joined = "".join(tokens)
    for a, b in itertools.pairwise(tokens):
        if (a, b) in _HEADER_EN_PAIRS:
            return _HEADER_EN_PAIRS[(a, b)]
    for i, tok in enumerate(tokens):
        for kind, words in _HEADER_EN_TOKENS.items():
            if tok in words:
                if kind == "name" and i > 0 and tokens[i - 1] in _NON_PERSON_NAME_PREFIX:
                    continue
                return kind
    if joined in _HEADER_EN_TOKENS["prc_id"]:
        return "prc_id"
    return None


def _cell_text(value: object) -> str | None:
    """Render a cell for content scanning (integers without '.0'); None for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _scan_text(text: str) -> list[IdentifierFinding]:
    found: list[IdentifierFinding] = []
    for m in _PRC_ID_IN_TEXT.finditer(text):
        if is_valid_prc_id(m.group()):
            found.append(
                IdentifierFinding(
                    "prc_id", "content", start=m.start(), end=m.end(), masked=_mask(m.group())
                )
            )
    id_spans = [(f.start, f.end) for f in found]
    for m in _MOBILE_IN_TEXT.finditer(text):
        if any(a <= m.start() < b for a, b in id_spans):
            continue
        found.append(
            IdentifierFinding(
                "phone", "content", start=m.start(), end=m.end(), masked=_mask(m.group())
            )
        )
    for m in _ADDRESS_IN_TEXT.finditer(text):
        found.append(
            IdentifierFinding(
                "address", "content", start=m.start(), end=m.end(), masked=_mask(m.group())
            )
        )
    return sorted(found, key=lambda f: (f.start or 0, f.kind))


def scan_identifiers(data: str | pd.DataFrame) -> list[IdentifierFinding]:
    """Find direct personal identifiers in free text or in a table.

    Rules:

    - **Text** (e.g. rendered HTML of the book): PRC resident ID numbers (18 characters passing
      :func:`is_valid_prc_id`), mobile numbers (``1[3-9]`` + 9 digits, optional ``+86``) and
      detailed Chinese addresses (an administrative unit 省/市/县/区/镇/乡/村 followed by a
      house-level unit such as 组/号/巷/栋/单元/室 with a number).  Names cannot be recognised
      reliably in free text and are not searched.
    - **DataFrame**: a column whose every non-blank cell is a keyed hash written by
      :func:`hash_identifier` (64 lower-case hex digits) is pseudonymised and passes; every
      other column is checked by *header* (Chinese keywords such as 姓名, 身份证号,
      手机, 电话, 住址, 地址 as substrings; English tokens such as ``name``, ``id_card``,
      ``phone``, ``mobile``, ``address``; ``village_name`` and similar place names excluded) and
      by *content* (any cell matching the text rules above).

    Returns the findings in column/text order; an empty list means nothing was found.
    The raw values are never included: :attr:`IdentifierFinding.masked` is masked.

    Raises:
        TypeError: if ``data`` is neither a string nor a DataFrame.
    """
    if isinstance(data, str):
        return _scan_text(data)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"scan_identifiers expects str or DataFrame, got {type(data).__name__}")
    found: list[IdentifierFinding] = []
    for column in data.columns:
        cells = [t.strip() for t in map(_cell_text, data[column].tolist()) if t and t.strip()]
        if cells and all(_HASHED.fullmatch(t) for t in cells):
            continue  # pseudonymised by hash_identifier: keyed hashes, whatever the header says
        kind = _header_kind(str(column))
        if kind is not None:
            found.append(IdentifierFinding(kind, "header", column=str(column)))
        per_kind: dict[str, list[tuple[int, str]]] = {}
        for row, value in enumerate(data[column].tolist(), start=1):
            text = _cell_text(value)
            # Cheap pre-filter: every identifier pattern needs 11+ digits or an admin-unit char.
            if text is None or not _CANDIDATE.search(text):
                continue
            for f in _scan_text(text):
                per_kind.setdefault(f.kind, []).append((row, f.masked or ""))
        for k, hits in per_kind.items():
            if k == kind:
                continue  # already reported by header; one finding per column and kind
            found.append(
                IdentifierFinding(
                    k,
                    "content",
                    column=str(column),
                    row=hits[0][0],
                    count=len(hits),
                    masked=hits[0][1],
                )
            )
    return found


def hash_identifier(value: object, key: bytes) -> object:
    """Keyed hash of one identifier value: ``HMAC-SHA256(key, normalised value)`` as hex.

    Normalisation before hashing (so the same person links across files): Unicode NFKC,
    surrounding whitespace stripped, upper-cased (the ID check character ``x``/``X``), and
    integers written without a decimal point.  Missing values stay missing.
    Reference: RFC 2104 (Krawczyk, Bellare & Canetti, 1997), *HMAC: Keyed-Hashing for Message
    Authentication*.  A keyed hash, unlike a plain hash, cannot be reversed by enumerating the
    small space of valid ID or phone numbers without the key.
    """
    text = _cell_text(value)
    if text is None:
        return value
    norm = unicodedata.normalize("NFKC", text).strip().upper()
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()


def _id_key(source: str, env_var: str) -> bytes:
    key = os.environ.get(env_var, "")
    if not key:
        raise DataValidationError(
            source,
            [
                f"identifier columns are declared 'hash' but environment variable {env_var} is "
                f"unset or empty; set it to a secret key (it is never written to disk), e.g. "
                f"export {env_var}=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            ],
        )
    return key.encode("utf-8")


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------

_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode bytes; return (text, encoding used).  Raises DataValidationError on failure."""
    source = str(path)
    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            hint = ""
            try:
                raw.decode("gb18030")
                hint = (
                    " The file decodes as GBK/GB18030 (common for Excel and Chinese survey "
                    "platforms): pass encoding='gb18030' or encoding=None to detect it."
                )
            except UnicodeDecodeError:
                pass
            raise DataValidationError(
                source,
                [
                    f"cannot decode as {encoding!r}: invalid byte 0x{raw[exc.start]:02x} at byte "
                    f"offset {exc.start} ({exc.reason}).{hint}"
                ],
            ) from None
        except LookupError:
            raise ParameterError(f"encoding={encoding!r} is not a known codec") from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, encoding
    # Automatic detection, in order: UTF-8 BOM, strict UTF-8, strict GB18030 (a superset of GBK
    # and GB2312).  Strict decoding of a UTF-8 file as GB18030 almost never succeeds by accident
    # for Chinese text, and UTF-8 is tried first, so ASCII-only files read as UTF-8.
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                source,
                [
                    f"file starts with a UTF-8 BOM but byte offset {exc.start + 3} is "
                    f"not valid UTF-8 ({exc.reason})"
                ],
            ) from None
    for candidate in ("utf-8", "gb18030"):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    raise DataValidationError(
        source,
        [
            f"encoding not recognised: not UTF-8 (first invalid byte at offset {first_bad}) and "
            "not GBK/GB18030; re-export as UTF-8 or pass encoding= explicitly"
        ],
    )


def _read_csv_text(source: str, text: str, delimiter: str) -> pd.DataFrame:
    """Parse CSV text into an all-string frame, collecting structural problems."""
    if not text.strip():
        raise DataValidationError(source, ["empty file: no header and no data rows"])
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataValidationError(source, [f"CSV syntax error: {exc}"]) from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines carry no data
    header = rows[0]
    problems: list[str] = []
    if len(header) == 1:
        for cand in (";", "\t", "|", ","):
            if cand != delimiter and cand in header[0]:
                problems.append(
                    f"only one column found ({header[0][:60]!r}); the file looks like "
                    f"{_DELIMITER_NAMES[cand]}-delimited: pass delimiter={cand!r}"
                )
                break
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = name.strip()
        if key == "":
            problems.append(f"header: column {i} has an empty name")
        elif key in seen:
            problems.append(
                f"header: column name {key!r} appears twice (columns {seen[key]} and {i})"
            )
        else:
            seen[key] = i
    body = rows[1:]
    if not body:
        problems.append("empty file: header present but no data rows")
    ends_with_newline = text.endswith(("\n", "\r"))
    for r, cells in enumerate(body, start=1):
        if len(cells) != len(header):
            what = "truncated" if len(cells) < len(header) else "has extra fields"
            where = ""
            if r == len(body) and not ends_with_newline:
                where = " (last line, no final newline: the file looks cut off)"
            problems.append(
                f"row {r}: {what}: {len(cells)} field(s) but the header has {len(header)}{where}"
            )
    if problems:
        raise DataValidationError(source, problems)
    frame = pd.DataFrame(body, columns=[h.strip() for h in header], dtype=object)
    # Empty strings are missing answers; keep every other cell as the exact text read.
    return frame.replace({"": None}).astype(object)


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str = ",",
    sheet: str | int = 0,
) -> pd.DataFrame:
    """Read a raw field-data file into an ``object`` DataFrame, without validating content.

    Formats by suffix: ``.csv``/``.txt`` (see encoding rule below), ``.xlsx`` (openpyxl),
    ``.sav`` (SPSS) and ``.dta`` (Stata) via pyreadstat, keeping numeric codes and storing the
    value labels in ``frame.attrs["value_labels"]`` (``{column: {code: label}}``) and the
    variable labels in ``frame.attrs["column_labels"]``.

    CSV encoding rule when ``encoding`` is None: a UTF-8 byte-order mark means UTF-8; else strict
    UTF-8; else strict GB18030 (which covers GBK and GB2312).  The encoding used is stored in
    ``frame.attrs["encoding"]``.  With an explicit encoding, bytes that do not decode raise an
    error naming the file and the byte offset.  CSV cells are kept as text; empty cells become
    missing.  The file itself is opened read-only and never modified.

    Raises:
        DataValidationError: missing/unsupported file, undecodable bytes, empty file, a header
            that suggests the wrong delimiter, ragged or truncated rows, duplicate or empty
            column names (all structural problems of a CSV are listed together).
        ParameterError: unknown encoding name.
    """
    p = Path(path)
    source = str(p)
    if not p.is_file():
        raise DataValidationError(source, ["file not found"])
    suffix = p.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        raw = p.read_bytes()
        if not raw.strip():
            raise DataValidationError(source, ["empty file: no header and no data rows"])
        text, used = _decode(p, raw, encoding)
        frame = _read_csv_text(
            source, text, "\t" if suffix == ".tsv" and delimiter == "," else delimiter
        )
        frame.attrs["encoding"] = used
    elif suffix in {".xlsx", ".xlsm"}:
        if p.stat().st_size == 0:
            raise DataValidationError(source, ["empty file: zero bytes"])
        try:
            frame = pd.read_excel(p, sheet_name=sheet, dtype=object, engine="openpyxl")
        except (ValueError, KeyError, OSError) as exc:
            raise DataValidationError(source, [f"cannot read workbook: {exc}"]) from None
        frame = frame.astype(object).where(frame.notna(), None)
        frame.columns = [str(c).strip() for c in frame.columns]
    elif suffix in {".sav", ".zsav", ".dta"}:
        import pyreadstat

        reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
        try:
            frame, meta = reader(str(p), apply_value_formats=False, user_missing=False)
        except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
            raise DataValidationError(source, [f"cannot read {suffix} file: {exc}"]) from None
        frame = frame.astype(object).where(frame.notna(), None)
        frame.attrs["value_labels"] = dict(meta.variable_value_labels)
        frame.attrs["column_labels"] = dict(
            zip(meta.column_names, meta.column_labels, strict=False)
        )
    else:
        raise DataValidationError(
            source, [f"unsupported file type {suffix!r}: use .csv, .xlsx, .sav or .dta"]
        )
    if frame.shape[0] == 0:
        raise DataValidationError(source, ["empty file: header present but no data rows"])
    frame.attrs["source"] = source
    return frame


# --------------------------------------------------------------------------------------------
# Validation against an instrument
# --------------------------------------------------------------------------------------------


def _as_number(value: object) -> float | None:
    """Parse one cell as a number; None if missing; raises ValueError if not numeric."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if np.isnan(v):
            return None
        return v
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text == "":
        return None
    v = float(text)  # raises ValueError for non-numeric text
    if not np.isfinite(v):
        raise ValueError(value)
    return v


def _resolve_instrument(instrument: Instrument | str | os.PathLike[str]) -> Instrument:
    from cases.data.instruments import Instrument, load_instrument

    if isinstance(instrument, Instrument):
        return instrument
    return load_instrument(instrument)


def read_survey(
    path: str | os.PathLike[str],
    instrument: Instrument | str | os.PathLike[str],
    *,
    id_column: str | None = None,
    role_column: str | None = None,
    identifiers: Mapping[str, IdentifierAction] | None = None,
    extra_columns: Sequence[str] = (),
    drop_invalid: bool = False,
    encoding: str | None = None,
    delimiter: str = ",",
    sheet: str | int = 0,
    id_key_env: str = ID_KEY_ENV,
) -> pd.DataFrame:
    """Read a survey export and validate it against an instrument definition.

    Steps (every problem is collected before failing):

    1. :func:`read_table` reads the file (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, XLSX, SAV, DTA).
    2. **Identifier guard**: :func:`scan_identifiers` checks every column by header and
       content.  A suspected identifier column that is not declared in ``identifiers`` is an
       error.  A declared column is replaced by its keyed hash (``"hash"``: HMAC-SHA256 with the
       key from the environment variable ``id_key_env``, see :func:`hash_identifier`) or
       removed (``"drop"``) before anything else sees it.
    3. **Columns**: the respondent-id column, the role column (if the instrument lists roles)
       and every instrument item must be present; any other column must be declared in
       ``extra_columns`` or ``identifiers``.
    4. **Values**: item cells must be numbers equal to an integer code within the item's
       response range (``instrument.missing_codes`` become missing explicitly; empty cells are
       missing); respondent ids must be present and unique; roles must be among
       ``instrument.roles``.

    Item columns are returned as float (NaN = missing); other columns unchanged.  The
    returned frame's ``attrs`` hold ``source``, ``instrument``, ``encoding`` (CSV),
    ``value_labels`` (SAV/DTA), ``identifiers`` (what was hashed or dropped) and
    ``dropped_rows`` (list of row numbers removed by ``drop_invalid``).

    Args:
        path: the raw export; never modified.
        instrument: an :class:`cases.methods.survey.Instrument`, an instrument name in
            ``data/instruments/`` or a YAML path.
        id_column, role_column: override the instrument's column names.
        identifiers: ``{column: "hash" | "drop"}`` for columns holding direct identifiers.
        extra_columns: further columns allowed in the file (e.g. village, gender, age).
        drop_invalid: if True, rows with value problems (bad codes, non-numeric cells,
            duplicate or missing ids, unknown roles) are dropped and a :class:`UserWarning`
            reports how many; column-level problems still raise.
        encoding, delimiter, sheet: passed to :func:`read_table`.
        id_key_env: environment variable holding the HMAC key.

    Raises:
        DataValidationError: one error listing every problem with row, column and value.
        ParameterError: an ``identifiers`` action other than ``"hash"``/``"drop"``.
    """
    inst = _resolve_instrument(instrument)
    frame = read_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    source = str(path)
    id_col = id_column or inst.id_column
    role_col = role_column or inst.role_column
    declared = dict(identifiers or {})
    for col, action in declared.items():
        if action not in ("hash", "drop"):
            raise ParameterError(
                f"identifiers[{col!r}] = {action!r}: the action must be 'hash' or 'drop'"
            )

    column_problems: list[str] = []
    # -- identifier guard -------------------------------------------------------------------
    for col in declared:
        if col not in frame.columns:
            column_problems.append(f"column {col!r}: declared in identifiers but not in the file")
    for finding in scan_identifiers(frame):
        if finding.column not in declared:
            column_problems.append(
                f"{finding.describe()}: direct identifiers may not be read; declare the column "
                f"with identifiers={{{finding.column!r}: 'hash'}} (keyed hash) or 'drop'"
            )
    if column_problems:
        # Stop here: validating values of an undeclared identifier column could echo them.
        raise DataValidationError(source, column_problems)
    hashed = [c for c, a in declared.items() if a == "hash"]
    dropped_cols = [c for c, a in declared.items() if a == "drop"]
    if hashed:
        key = _id_key(source, id_key_env)
        for col in hashed:
            frame[col] = [hash_identifier(v, key) for v in frame[col].tolist()]
    frame = frame.drop(columns=dropped_cols)

    # -- columns -----------------------------------------------------------------------------
    required = [id_col] + ([role_col] if inst.roles else []) + inst.item_ids
    allowed = set(required) | set(extra_columns) | set(hashed)
    for col in required:
        if col not in frame.columns and col not in dropped_cols:
            column_problems.append(f"column {col!r}: missing (required by instrument {inst.id})")
    for col in frame.columns:
        if col not in allowed:
            column_problems.append(
                f"column {col!r}: unexpected (not an item of instrument {inst.id}); declare it "
                "in extra_columns= if it belongs in the data"
            )

    # -- values ------------------------------------------------------------------------------
    row_problems: dict[int, list[str]] = {}

    def flag(row: int, message: str) -> None:
        row_problems.setdefault(row, []).append(message)

    numeric: dict[str, list[float]] = {}
    missing_codes = {float(c) for c in inst.missing_codes}
    for item in inst.item_ids:
        if item not in frame.columns:
            continue
        lo, hi = inst.item_range(item)
        values: list[float] = []
        for row, raw in enumerate(frame[item].tolist(), start=1):
            try:
                v = _as_number(raw)
            except (ValueError, TypeError):
                flag(row, f"row {row}, column {item!r}: value {raw!r} is not numeric")
                values.append(np.nan)
                continue
            if v is None or v in missing_codes:
                values.append(np.nan)
                continue
            if not float(v).is_integer() or not lo <= v <= hi:
                shown = int(v) if float(v).is_integer() else v
                flag(
                    row,
                    f"row {row}, column {item!r}: Likert code {shown} is outside the "
                    f"scale {lo}-{hi}",
                )
                values.append(np.nan)
                continue
            values.append(v)
        numeric[item] = values

    if id_col in frame.columns:
        first_seen: dict[str, int] = {}
        for row, raw in enumerate(frame[id_col].tolist(), start=1):
            text = _cell_text(raw)
            if text is None or text.strip() == "":
                flag(row, f"row {row}, column {id_col!r}: respondent id is missing")
                continue
            text = text.strip()
            if text in first_seen:
                flag(
                    row,
                    f"row {row}, column {id_col!r}: duplicate respondent id {text!r} "
                    f"(first at row {first_seen[text]})",
                )
                flag(
                    first_seen[text],
                    f"row {first_seen[text]}, column {id_col!r}: respondent "
                    f"id {text!r} is duplicated at row {row}",
                )
            else:
                first_seen[text] = row
    if inst.roles and role_col in frame.columns:
        allowed_roles = set(inst.roles)
        for row, raw in enumerate(frame[role_col].tolist(), start=1):
            text = _cell_text(raw)
            if text is None or text.strip() not in allowed_roles:
                flag(
                    row,
                    f"row {row}, column {role_col!r}: unknown respondent role {raw!r} "
                    f"(allowed: {', '.join(inst.roles)})",
                )

    bad_rows = sorted(row_problems)
    if column_problems or (bad_rows and not drop_invalid):
        problems = column_problems + [m for r in bad_rows for m in row_problems[r]]
        raise DataValidationError(source, problems)

    for item, values in numeric.items():
        frame[item] = np.asarray(values, dtype=float)
    if bad_rows:
        keep = np.ones(len(frame), dtype=bool)
        keep[np.asarray(bad_rows) - 1] = False
        frame = frame.loc[keep].reset_index(drop=True)
        warnings.warn(
            f"{source}: dropped {len(bad_rows)} invalid row(s) of {len(keep)} "
            f"(rows {', '.join(map(str, bad_rows[:20]))}{' ...' if len(bad_rows) > 20 else ''})"
            " because drop_invalid=True",
            UserWarning,
            stacklevel=2,
        )
    frame.attrs.update(
        source=source,
        instrument=inst.id,
        identifiers={c: declared[c] for c in declared},
        dropped_rows=bad_rows,
        dropped_problems=[m for r in bad_rows for m in row_problems[r]],
    )
    return frame


def check_data_dir(path: str | os.PathLike[str], parameter: str = "data_dir") -> Path:
    """Return ``path`` as an absolute :class:`~pathlib.Path` if it is an existing, readable folder.

    Notebooks take their field data from a ``data_dir`` parameter; the runner calls this before
    executing anything, so a mistyped folder stops the run at once instead of failing deep
    inside a notebook (or, worse, silently falling back to simulated data).

    Raises:
        ParameterError: naming ``parameter`` and the path, when the path does not exist, is a
            file rather than a folder, or cannot be listed.
    """
    folder = Path(path).expanduser()
    if not folder.exists():
        raise ParameterError(f"{parameter}: data folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise ParameterError(f"{parameter}: {str(folder)!r} is a file, not a data folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise ParameterError(f"{parameter}: data folder {str(folder)!r} cannot be read")
    return folder.resolve()


# --------------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------------


def parse_file(path: Path, kind: Literal["JSON", "YAML"], not_found: str) -> Any:
    """The parsed content of a UTF-8 JSON or YAML file (any top level).

    Raises:
        DataValidationError: naming the file: ``not_found`` when it is missing, ``not valid
            JSON: ...`` (or YAML) when it does not parse.
    """
    import yaml

    loads, invalid = (
        (json.loads, json.JSONDecodeError) if kind == "JSON" else (yaml.safe_load, yaml.YAMLError)
    )
    try:
        return loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataValidationError(str(path), [not_found]) from None
    except invalid as exc:
        raise DataValidationError(str(path), [f"not valid {kind}: {exc}"]) from None


def _iter_resource_paths(resource: Mapping[str, object]) -> Iterable[str]:
    path = resource.get("path")
    if isinstance(path, str):
        yield path
    elif isinstance(path, list):
        yield from (str(p) for p in path)


def verify_checksums(
    datapackage_path: str | os.PathLike[str], roles: Collection[str] | None = None
) -> dict[str, str]:
    """Recompute the SHA-256 of every resource in a Frictionless ``datapackage.json``
    (with ``roles``, only of the resources whose ``role`` property is one of them).

    Rule: each resource's ``path`` (relative to the descriptor's folder; a list of paths is
    hashed as their concatenation, as Frictionless does for multipart resources) must exist
    and its SHA-256 must equal the resource's ``hash``, written ``"sha256:<hex>"`` (Frictionless
    Data Package v1 / v2 "hash" property).  A resource without a hash, a hash in another
    algorithm, or a remote (URL) path is reported as a problem too, so the check cannot
    pass vacuously.

    Returns:
        ``{resource path: hex digest}`` for every verified resource.

    Raises:
        DataValidationError: naming every missing file, mismatching hash (expected and actual
            digest) or resource without a usable hash; also when the descriptor itself is
            missing, not JSON, or has no resources.
    """
    descriptor = Path(datapackage_path)
    source = str(descriptor)
    package = parse_file(descriptor, "JSON", "datapackage descriptor not found")
    resources = package.get("resources") if isinstance(package, dict) else None
    if not resources:
        raise DataValidationError(source, ["no resources listed"])
    base = descriptor.parent
    problems: list[str] = []
    verified: dict[str, str] = {}
    for i, resource in enumerate(resources):
        name = resource.get("name", f"#{i}") if isinstance(resource, dict) else f"#{i}"
        if not isinstance(resource, dict):
            problems.append(f"resource {name}: not an object")
            continue
        if roles is not None and resource.get("role") not in roles:
            continue
        paths = list(_iter_resource_paths(resource))
        if not paths:
            problems.append(f"resource {name}: no 'path'")
            continue
        label = ",".join(paths)
        expected = resource.get("hash")
        if not isinstance(expected, str) or not expected:
            problems.append(f"resource {name} ({label}): no 'hash' recorded")
            continue
        algo, _, hexdigest = expected.partition(":")
        if not hexdigest:
            algo, hexdigest = "md5", algo  # Frictionless default algorithm when unprefixed
        if algo.lower() != "sha256":
            problems.append(f"resource {name} ({label}): hash algorithm {algo!r} is not sha256")
            continue
        if any(re.match(r"^[a-z]+://", p) for p in paths):
            problems.append(f"resource {name} ({label}): remote path cannot be verified offline")
            continue
        missing = [p for p in paths if not (base / p).is_file()]
        if missing:
            problems.extend(f"resource {name}: file {p} is missing" for p in missing)
            continue
        digest = hashlib.sha256()
        for p in paths:
            with open(base / p, "rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(chunk)
        actual = digest.hexdigest()
        if actual != hexdigest.lower():
            problems.append(
                f"resource {name}: file {label} has sha256 {actual}, expected {hexdigest.lower()}"
                " (after a deliberate edit, record it: python -c 'from cases.data.public_data"
                " import "
                "update_hashes; update_hashes()')"
            )
        else:
            verified[label] = actual
    if problems:
        raise DataValidationError(source, problems)
    return verified
