"""Loaders for the public statistics in ``data/raw/``, described by ``data/datapackage.json``.

The tables are transcriptions of real published figures (NBS releases and their press
reprints, provincial exit announcements, the 2010 and 2020 census compilation of Dong, Du &
Liu 2022, and World Bank WDI). Each resource in the Frictionless Data Package (Frictionless
Data, "Data Package" and "Table Schema" specifications, v1) carries its sources, licences, a
``role`` and a ``hash`` of ``"sha256:<hex>"`` for its file. The package lists every input
file of the analyses: the public statistics (``role: public_statistics``, tables with a
schema), the panel example of the tests (``external_example``) and the files written for the
compendium (``project_input``: registry, codebook and coded segments, instruments,
generator parameters, sample exports), most of them YAML files described as ``type: file``.

Developers who change a table run :func:`update_hashes` once, then re-run the tests::

    python -c "from cases.data.public_data import update_hashes; update_hashes()"

Public API: :func:`table_names`, :func:`load_table`, :func:`source_line`,
:func:`verify_package`, :func:`update_hashes`, :func:`add_file_resource`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cases.core.errors import CasesError, DataValidationError
from cases.core.files import sha256_file
from cases.core.paths import DATA

__all__ = [
    "DATAPACKAGE",
    "UnknownTableError",
    "add_file_resource",
    "load_table",
    "source_line",
    "table_names",
    "update_hashes",
    "verify_package",
]

DATAPACKAGE = DATA / "datapackage.json"

# Table Schema field type -> pandas dtype. Nullable dtypes, because a gap in a published
# series must stay a gap (missing), never become 0 or NaN-by-coercion of an integer column.
_DTYPES = {
    "integer": "Int64",
    "year": "Int64",
    "number": "Float64",
    "string": "string",
    "boolean": "boolean",
}


class UnknownTableError(CasesError, KeyError, ValueError):
    """A table name is not a resource of the data package (the message lists the known ones)."""

    def __str__(self) -> str:
        # KeyError would otherwise print the message wrapped in quotes.
        return str(self.args[0]) if self.args else ""


def _read_descriptor(datapackage_path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(datapackage_path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataValidationError(str(path), ["datapackage.json not found"]) from None
    except json.JSONDecodeError as exc:
        raise DataValidationError(str(path), [f"invalid JSON: {exc}"]) from None


def _resource(descriptor: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    for resource in descriptor.get("resources", []):
        if resource.get("name") == name:
            return resource
    known = ", ".join(sorted(r.get("name", "?") for r in descriptor.get("resources", [])))
    raise UnknownTableError(f"unknown table {name!r} in {source}; known tables: {known}")


def table_names(datapackage_path: str | os.PathLike[str] = DATAPACKAGE) -> list[str]:
    """Return the names of the package's tables (resources with a Table Schema, which
    :func:`load_table` reads), in package order; file resources such as YAML are left out.

    Raises :class:`~cases.core.errors.DataValidationError` if the descriptor is missing or invalid.
    """
    descriptor = _read_descriptor(datapackage_path)
    return [r["name"] for r in descriptor.get("resources", []) if "schema" in r]


def _convert(
    column: pd.Series, field: Mapping[str, Any], label: str, problems: list[str]
) -> pd.Series:
    """Convert one text column to the dtype of its Table Schema field; record unparseable cells."""
    ftype = field.get("type", "string")
    name = field["name"]
    present = column.ne("")
    text = column.where(present)
    if ftype in ("integer", "year", "number"):
        converted = pd.to_numeric(text, errors="coerce")
        if ftype != "number":
            fractional = converted.notna() & (converted % 1 != 0)
            converted = converted.mask(fractional)
    elif ftype == "boolean":
        true_values = set(field.get("trueValues", ["true", "True", "TRUE", "1"]))
        false_values = set(field.get("falseValues", ["false", "False", "FALSE", "0"]))
        mapping = {**dict.fromkeys(true_values, True), **dict.fromkeys(false_values, False)}
        converted = text.map(mapping)
    elif ftype == "date":
        converted = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    else:
        converted = text
    bad = present & converted.isna()
    for row in bad[bad].index:
        # Header is line 1 of the file, so data row i is line i + 2.
        problems.append(f"{label} line {row + 2}, column {name}: {column[row]!r} is not a {ftype}")
    if ftype == "date":
        return converted
    return converted.astype(_DTYPES.get(ftype, "string"))


def load_table(name: str, datapackage_path: str | os.PathLike[str] = DATAPACKAGE) -> pd.DataFrame:
    """Read the table ``name`` from the data package, typed by its Table Schema.

    Rule: the CSV (UTF-8, one header row) is read as text; the header must equal the schema's
    field names in order; empty cells are missing values; each column is converted by its
    field type (integer/year -> ``Int64``, number -> ``Float64``, boolean -> ``boolean``,
    date -> ``datetime64``, string -> ``string``). Units are given in each field's
    ``description``/``unit`` in ``datapackage.json``. Reference: Frictionless Data, Table
    Schema v1 (field types, ``missingValues`` default ``[""]``).

    Raises :class:`UnknownTableError` (a ``KeyError`` and ``ValueError``) naming the unknown
    table and listing the known ones, and
    :class:`~cases.core.errors.DataValidationError` naming the file, line and column of any cell
    that does not parse or a header that does not match the schema.
    """
    descriptor = _read_descriptor(datapackage_path)
    resource = _resource(descriptor, name, str(datapackage_path))
    if "schema" not in resource:
        raise UnknownTableError(
            f"resource {name!r} in {datapackage_path} is a {resource.get('format', 'file')} "
            f"file, not a table; tables: {', '.join(table_names(datapackage_path))}"
        )
    path = Path(datapackage_path).parent / resource["path"]
    fields = resource["schema"]["fields"]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = [f["name"] for f in fields]
    if list(frame.columns) != expected:
        raise DataValidationError(
            str(path), [f"header {list(frame.columns)} does not match schema fields {expected}"]
        )
    problems: list[str] = []
    typed = {f["name"]: _convert(frame[f["name"]], f, resource["path"], problems) for f in fields}
    if problems:
        raise DataValidationError(str(path), problems)
    return pd.DataFrame(typed)


def source_line(name: str, datapackage_path: str | os.PathLike[str] = DATAPACKAGE) -> str:
    """Return a one-line citation, ``"Source: <citation>. Licence: <licences>."``, for stamps.

    Rule: the resource's custom ``citation`` property if present, else its ``sources`` titles
    joined by ``"; "``; then the licence titles (or names) joined by ``"; "``. Used by the
    figure and table helpers to label real-data exhibits. Raises
    :class:`UnknownTableError` for an unknown table.
    """
    descriptor = _read_descriptor(datapackage_path)
    resource = _resource(descriptor, name, str(datapackage_path))
    text = resource.get("citation") or "; ".join(s["title"] for s in resource.get("sources", []))
    text = f"Source: {text.rstrip('.')}."
    licences = [lic.get("title") or lic.get("name") for lic in resource.get("licenses", [])]
    if licences:
        text = f"{text} Licence: {'; '.join(licences)}."
    return text


def verify_package(datapackage_path: str | os.PathLike[str] = DATAPACKAGE) -> dict[str, str]:
    """Recompute each resource file's SHA-256 and compare it with the resource's ``hash``.

    The check itself is :func:`cases.data.io.verify_checksums` (one implementation for every data
    package); this returns its digests keyed by resource name. Raises
    :class:`~cases.core.errors.DataValidationError` naming every missing file, missing or malformed
    hash, and mismatching file.
    """
    from cases.data.io import verify_checksums

    by_path = verify_checksums(datapackage_path)
    descriptor = _read_descriptor(datapackage_path)
    return {r["name"]: by_path[r["path"]] for r in descriptor.get("resources", [])}


def update_hashes(datapackage_path: str | os.PathLike[str] = DATAPACKAGE) -> dict[str, str]:
    """Rewrite each resource's ``hash`` (``"sha256:<hex>"``) and ``bytes`` from its file.

    For developers after editing a table in ``data/raw/``; the rest of the hand-maintained
    descriptor is kept as is (key order preserved, 2-space indent, UTF-8, non-ASCII kept).
    Returns ``{resource name: hex digest}``. Raises
    :class:`~cases.core.errors.DataValidationError` naming any resource whose file is missing.
    """
    path = Path(datapackage_path)
    descriptor = _read_descriptor(path)
    missing: list[str] = []
    digests: dict[str, str] = {}
    for resource in descriptor.get("resources", []):
        file = path.parent / resource["path"]
        if not file.is_file():
            missing.append(f"{resource['path']} (resource {resource.get('name', '?')}): not found")
            continue
        digests[resource["name"]] = sha256_file(file)
        resource["hash"] = f"sha256:{digests[resource['name']]}"
        resource["bytes"] = file.stat().st_size
    if missing:
        raise DataValidationError(str(path), missing)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return digests


def add_file_resource(
    datapackage_path: str | os.PathLike[str],
    path: str,
    *,
    name: str,
    title: str,
    description: str,
) -> dict[str, Any]:
    """Append the project file ``path`` (relative to the descriptor's folder, e.g.
    ``cases/<slug>.yaml``) as a ``type: file`` resource with ``role: project_input``, the
    project's MIT licence, ``simulated: false`` and its current sha256 and size; the
    descriptor is rewritten atomically. Returns the new resource.

    Raises:
        DataValidationError: the file is missing, or a resource already has that name or path.
    """
    from cases.core.atomic import write_atomic

    package = Path(datapackage_path)
    descriptor = _read_descriptor(package)
    file = package.parent / path
    taken = [
        r.get("name")
        for r in descriptor.get("resources", [])
        if name == r.get("name") or path == r.get("path")
    ]
    if taken:
        raise DataValidationError(str(package), [f"resource {taken[0]!r} already lists {path}"])
    if not file.is_file():
        raise DataValidationError(str(package), [f"{path} (resource {name}): not found"])
    fmt = file.suffix.lstrip(".") or "file"
    resource = {
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        "role": "project_input",
        "type": "file",
        "scheme": "file",
        "format": fmt,
        "mediatype": "application/yaml" if fmt in ("yaml", "yml") else "application/octet-stream",
        "encoding": "utf-8",
        "simulated": False,
        "sources": [{"title": "Written for this compendium (see the file's header comment)"}],
        "licenses": [
            {
                "name": "MIT",
                "title": "MIT (written for this compendium)",
                "path": "https://opensource.org/license/mit",
            }
        ],
        "bytes": file.stat().st_size,
        "hash": f"sha256:{sha256_file(file)}",
    }
    descriptor.setdefault("resources", []).append(resource)
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    write_atomic(package, text.encode("utf-8"))
    return resource


INDICATOR_TEXTS = DATA / "indicators.yaml"


def indicator_definitions(section: str, path: Path | None = None) -> dict[str, str]:
    """The definitions in words of one family of indicators (``census`` or
    ``exit_standard.indicators``, a dotted path into ``data/indicators.yaml``): ``{name: text}``.

    The computation lives in code; the words live in this file, so tables and pages can show
    them and an edit to a sentence is not a code change.

    Raises:
        DataValidationError: the file is missing or not YAML, or the section is not a mapping
            of names to non-empty texts (file and section named).
    """
    import yaml

    path = Path(path or INDICATOR_TEXTS)
    try:
        node = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataValidationError(str(path), [f"cannot read: {exc}"]) from None
    for part in section.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or not all(
        isinstance(v, str) and v.strip() for v in node.values()
    ):
        raise DataValidationError(str(path), [f"{section}: expected a mapping of name to text"])
    return dict(node)
