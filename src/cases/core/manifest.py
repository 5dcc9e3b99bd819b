"""The results manifests: every number the book publishes, keyed by identity.

Two folders hold manifests, and only one of them is tracked:

- **run results** (``.cache/cases/results/``, untracked): :func:`cases.present.report.glue` calls
  :func:`record` for each glued value; while the runner executes a notebook it points the
  ``CASES_MANIFEST`` environment variable at a scratch file, and after a successful run it
  writes the collected values, sorted by key, to ``<run results>/<slug>/<analysis>.json``
  (``<analysis>.json`` for book-level notebooks). ``cases sweep`` writes its table to
  ``<run results>/sweeps/<grid>.json``. ``cases run`` and ``cases build`` write nothing else.
- **published results** (``results/``, committed): written only by ``cases publish``
  (:func:`publish`), which copies a complete, current run and reports which keys changed.
  ``cases verify`` (:func:`verify`) re-executes everything in a clean copy and compares that
  copy's run results with ``results/``.

Identity, never position: every number has a stable key. A notebook's numbers are keyed by
their glue key; a sweep's specifications by the choices that made them
(``specification[cluster=village, estimator=TWFE, seed=7].estimate``), so two specifications
that tie (and may swap places in the sorted curve on another processor) still compare with
their own counterpart.

Comparison rule (:func:`compare`): strings, booleans, integers and ``None`` must be equal;
a float ``got`` matches ``expected`` when ``|got - expected| <= tolerance * max(1, |expected|)``
— an absolute tolerance for values up to 1 in magnitude and a relative one above — with the
tolerance stated at the glue call (default :data:`DEFAULT_FLOAT_TOLERANCE`; sweeps
:data:`SWEEP_TOLERANCE`).

Floats that travel: manifests store floats rounded to :data:`SIGNIFICANT_DIGITS` significant
digits, so a manifest re-recorded on another processor is byte-identical wherever the two
agree to that precision (last-digit differences between processors do not show in
``git diff``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.core import paths
from cases.core.atomic import write_atomic

MANIFEST_ENV = "CASES_MANIFEST"
DEFAULT_FLOAT_TOLERANCE = 1e-9
SWEEP_TOLERANCE = 1e-6
#: Significant digits kept for floats in every manifest: far finer than any tolerance, coarse
#: enough that processors which differ only in the last bits write the same text.
SIGNIFICANT_DIGITS = 12
SWEEPS = "sweeps"
#: Columns of a sweep table that are results, not choices (everything else identifies a row).
SWEEP_RESULT_FIELDS = ("estimate", "ci_low", "ci_high", "reference")


def travel(value: float) -> float:
    """``value`` rounded to :data:`SIGNIFICANT_DIGITS` significant digits (non-finite as is)."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else value


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a glued scalar (numpy scalars become Python numbers)."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return travel(value) if math.isfinite(value) else repr(value)
    return None  # figures, tables and other objects are not numbers to verify


def record(key: str, value: Any, tolerance: float | None = None) -> None:
    """Append ``key``/``value`` to the manifest scratch file, if a run is recording one."""
    target = os.environ.get(MANIFEST_ENV)
    plain = _plain(value)
    if not target or plain is None:
        return
    entry = {"key": key, "value": plain}
    if isinstance(plain, float):
        entry["tolerance"] = DEFAULT_FLOAT_TOLERANCE if tolerance is None else float(tolerance)
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")


def collect(scratch: Path) -> dict[str, dict[str, Any]]:
    """Read a scratch file into ``{key: {"value": ..., "tolerance": ...}}`` (last call wins)."""
    entries: dict[str, dict[str, Any]] = {}
    if scratch.is_file():
        for line in scratch.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                entries[entry.pop("key")] = entry
    return dict(sorted(entries.items()))


def run_results_path(name: str, root: Path | None = None) -> Path:
    """Where a run writes the manifest ``name`` (``<slug>/<analysis>``, ``<analysis>`` or
    ``sweeps/<grid>``): under ``.cache/cases/results`` (untracked)."""
    return (root or paths.RUN_RESULTS) / f"{name}.json"


def published_path(name: str, root: Path | None = None) -> Path:
    """The committed manifest ``results/<name>.json``."""
    return (root or paths.RESULTS) / f"{name}.json"


def dumps(entries: Mapping[str, Any]) -> str:
    """Stable formatting: sorted keys, two-space indent, trailing newline."""
    return json.dumps(entries, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- sweeps by identity


def sweep_identity(row: Mapping[str, Any], choices: Iterable[str]) -> str:
    """The stable key of one specification: its choices and its estimator, sorted by name."""
    names = sorted({*choices, "estimator"})
    return "specification[" + ", ".join(f"{n}={row[n]}" for n in names) + "]"


def order_specifications(rows: list[dict[str, Any]], choices: Iterable[str]) -> list[dict]:
    """Specifications sorted by estimate, ties broken by their identity.

    The estimate is compared at 9 significant digits, so two specifications that are equal in
    exact arithmetic (and differ in the 16th digit on some processor) are ordered by identity
    on every machine.
    """
    choices = list(choices)

    def sort_key(row: Mapping[str, Any]) -> tuple[float, str]:
        estimate = row["estimate"]
        coarse = float(f"{estimate:.9g}") if math.isfinite(estimate) else math.inf
        return coarse, sweep_identity(row, choices)

    return sorted(rows, key=sort_key)


def sweep_record(record: Mapping[str, Any]) -> str:
    """A sweep record as stable text: specifications ordered by :func:`order_specifications`,
    floats rounded by :func:`travel`."""
    choices = list(record["choices"])
    rows = [
        {k: travel(v) if isinstance(v, float) else v for k, v in row.items()}
        for row in record["specifications"]
    ]
    return dumps({**record, "specifications": order_specifications(rows, choices)})


def load(path: Path) -> dict[str, dict[str, Any]]:
    """The manifest in ``path`` as ``{key: {"value", "tolerance"}}`` (see :func:`flatten`).

    Raises:
        CasesError: the file is not valid JSON, or a sweep row lacks one of its choices.
    """
    from cases.core.errors import CasesError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CasesError(f"{path}: not a valid manifest (JSON): {exc}") from None
    return flatten(data, str(path))


def flatten(data: Mapping[str, Any], source: str = "manifest") -> dict[str, dict[str, Any]]:
    """A parsed manifest as ``{key: {"value", "tolerance"}}``.

    A sweep record (it has ``specifications``) is flattened to one key per specification and
    result field, the specification named by :func:`sweep_identity`; its choice columns are
    part of the key, not values.

    Raises:
        CasesError: a sweep row lacks one of its choices (``source`` and row named).
    """
    from cases.core.errors import CasesError

    if "specifications" not in data:
        return dict(data)
    choices = list(data.get("choices", {}))
    flat: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(data["specifications"], start=1):
        missing = [n for n in [*choices, "estimator"] if n not in row]
        if missing:
            raise CasesError(f"{source}: specification {i} lacks choice(s) {', '.join(missing)}")
        identity = sweep_identity(row, choices)
        for field_name in SWEEP_RESULT_FIELDS:
            if field_name in row:
                entry: dict[str, Any] = {"value": row[field_name]}
                if isinstance(row[field_name], float):
                    entry["tolerance"] = SWEEP_TOLERANCE
                flat[f"{identity}.{field_name}"] = entry
    return flat


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Mismatch:
    notebook: str
    key: str
    expected: Any
    got: Any
    tolerance: float | None

    def describe(self) -> str:
        """One line: manifest, key, both values and the tolerance that was applied."""
        rule = "" if self.tolerance is None else f" (tolerance {self.tolerance:g})"
        return f"{self.notebook}: {self.key}: expected {self.expected!r}, got {self.got!r}{rule}"


def matches(expected: Any, got: Any, tolerance: float | None) -> bool:
    """True when ``got`` reproduces ``expected`` under the module's comparison rule."""
    if (
        isinstance(expected, float)
        and isinstance(got, int | float)
        and not isinstance(got, bool)
        and tolerance is not None
    ):
        return abs(got - expected) <= tolerance * max(1.0, abs(expected))
    return expected == got and type(expected) is type(got)


def compare(notebook: str, expected: Mapping, got: Mapping) -> list[Mismatch]:
    """Every difference between two manifests of one notebook, matched by key."""
    out = []
    for key in sorted(set(expected) | set(got)):
        exp = expected.get(key, {}).get("value", "<missing>")
        new = got.get(key, {}).get("value", "<missing>")
        tol = expected.get(key, {}).get("tolerance")
        if not matches(exp, new, tol):
            out.append(Mismatch(notebook, key, exp, new, tol))
    return out


def manifest_names(folder: Path) -> set[str]:
    """Names (``<slug>/<analysis>``, ``sweeps/<grid>``...) of the manifests under ``folder``."""
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.json")}


def compare_dirs(expected_dir: Path, got_dir: Path, skip: Iterable[str] = ()) -> list[Mismatch]:
    """Compare every manifest under two results folders, by name and then by key.

    A manifest present on one side only is a mismatch. Names starting with one of ``skip``
    (e.g. ``"sweeps/"``) are left out.
    """
    names = manifest_names(expected_dir) | manifest_names(got_dir)
    names = {n for n in names if not n.startswith(tuple(skip))}
    mismatches = []
    for name in sorted(names):
        exp_file, got_file = expected_dir / f"{name}.json", got_dir / f"{name}.json"
        if not exp_file.is_file():
            mismatches.append(Mismatch(name, "<file>", "<missing>", "present", None))
            continue
        if not got_file.is_file():
            mismatches.append(Mismatch(name, "<file>", "present", "<missing>", None))
            continue
        mismatches.extend(compare(name, load(exp_file), load(got_file)))
    return mismatches


# --------------------------------------------------------------------------- publish


@dataclass
class PublishReport:
    """What :func:`publish` did: manifests written, and the keys that changed in each."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    changes: list[Mismatch] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: Manifests whose notebook or sweep grid no longer exists (deleted by ``cases publish``).
    removed: list[str] = field(default_factory=list)
    #: ``(path, text)`` computed but not yet written (see :func:`publish_one`).
    pending: list[tuple[Path, str]] = field(default_factory=list)


def _merge_within_tolerance(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``new``, except that a float within tolerance of its published value keeps the
    published value: publishing the same results from another processor changes no byte."""
    merged = dict(new)
    for key, entry in new.items():
        before = old.get(key)
        if (
            isinstance(before, dict)
            and isinstance(entry, dict)
            and isinstance(before.get("value"), float)
            and before.get("tolerance") == entry.get("tolerance")
            and matches(before["value"], entry.get("value"), before.get("tolerance"))
        ):
            merged[key] = before
    return merged


def publish_one(
    name: str, source: Path, report: PublishReport, results: Path, write: bool = True
) -> None:
    """Compare the run result ``source`` of ``name`` with its published manifest and record
    what changed in ``report``; write the new text unless it is unchanged. With
    ``write=False`` the text is queued in ``report.pending`` instead, so a caller publishing
    many manifests writes none of them if one fails."""
    target = published_path(name, results)
    new = json.loads(source.read_text(encoding="utf-8"))
    if target.is_file():
        old_text = target.read_text(encoding="utf-8")
        old = json.loads(old_text)
        if "specifications" in new:
            # Keep published floats that reproduce, matched by identity, then reorder.
            choices = list(new.get("choices", {}))
            same_grid = sorted(old.get("choices", {})) == sorted(choices)
            # A changed grid has other identities: nothing published can be kept.
            old_rows = old.get("specifications", []) if same_grid else []
            before = {sweep_identity(r, choices): r for r in old_rows}
            rows = []
            for row in new["specifications"]:
                prior = before.get(sweep_identity(row, choices), {})
                rows.append(
                    {
                        k: prior[k]
                        if k in SWEEP_RESULT_FIELDS
                        and isinstance(prior.get(k), float)
                        and matches(prior[k], v, SWEEP_TOLERANCE)
                        else v
                        for k, v in row.items()
                    }
                )
            text = sweep_record({**new, "specifications": rows})
        else:
            text = dumps(_merge_within_tolerance(old, new))
        report.changes.extend(compare(name, flatten(old, str(target)), flatten(json.loads(text))))
        if text == old_text:
            report.unchanged.append(name)
            return
    else:
        text = sweep_record(new) if "specifications" in new else dumps(new)
        report.changes.append(Mismatch(name, "<file>", "<missing>", "new", None))
    if write:
        write_atomic(target, text)
    else:
        report.pending.append((target, text))
    report.written.append(name)


def collect_file(results_file: Path) -> dict[str, dict[str, Any]]:
    """Read a written manifest into ``{key: {"value": …}}``.

    Raises:
        FileNotFoundError: the manifest does not exist.
    """
    return json.loads(Path(results_file).read_text(encoding="utf-8"))
