"""The results manifest: every number the book publishes, recorded where it is glued.

:func:`cases.report.glue` calls :func:`record` for each glued value. While the runner executes
a notebook it points the ``CASES_MANIFEST`` environment variable at a scratch file; the kernel
appends one JSON line per glued value there. After a successful run the runner writes the
collected values, sorted by key, to ``results/<slug>/<analysis>.json`` (``results/<analysis>.json``
for book-level notebooks). Those files are committed, and ``cases verify`` re-executes
everything from a clean copy and compares.

Comparison rule: strings, booleans and integers must be equal; floats must satisfy
``|got - expected| <= tolerance`` where the tolerance is the one stated at the glue call
(default :data:`DEFAULT_FLOAT_TOLERANCE`, relative to ``max(1, |expected|)``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cases import paths

MANIFEST_ENV = "CASES_MANIFEST"
DEFAULT_FLOAT_TOLERANCE = 1e-9


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
        return value if math.isfinite(value) else repr(value)
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


def results_path(job_name: str, results_dir: Path | None = None) -> Path:
    """``results/<slug>/<analysis>.json`` or ``results/<analysis>.json``."""
    return (results_dir or paths.RESULTS) / f"{job_name}.json"


def dumps(entries: dict[str, dict[str, Any]]) -> str:
    """Stable formatting: sorted keys, two-space indent, trailing newline."""
    return json.dumps(entries, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Mismatch:
    notebook: str
    key: str
    expected: Any
    got: Any
    tolerance: float | None


def compare(notebook: str, expected: dict, got: dict) -> list[Mismatch]:
    """Every difference between two manifests of one notebook (see the module rule)."""
    out = []
    for key in sorted(set(expected) | set(got)):
        exp = expected.get(key, {}).get("value", "<missing>")
        new = got.get(key, {}).get("value", "<missing>")
        tol = expected.get(key, {}).get("tolerance")
        if isinstance(exp, float) and isinstance(new, int | float) and tol is not None:
            if abs(new - exp) <= tol * max(1.0, abs(exp)):
                continue
        elif exp == new and type(exp) is type(new):
            continue
        out.append(Mismatch(notebook, key, exp, new, tol))
    return out


SWEEP_TOLERANCE = 1e-6


def _load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """A manifest as ``{key: {"value", "tolerance"}}``; a sweep record (``results/sweeps``) is
    flattened to one key per specification and field (``specifications[3].estimate``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "specifications" not in data:
        return data
    flat: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(data["specifications"]):
        for field_name, value in row.items():
            entry: dict[str, Any] = {"value": value}
            if isinstance(value, float):
                entry["tolerance"] = SWEEP_TOLERANCE
            flat[f"specifications[{i}].{field_name}"] = entry
    return flat


def compare_dirs(expected_dir: Path, got_dir: Path) -> list[Mismatch]:
    """Compare every manifest under two results folders (missing files count as mismatches)."""
    names = {
        p.relative_to(expected_dir).with_suffix("").as_posix() for p in expected_dir.rglob("*.json")
    }
    names |= {p.relative_to(got_dir).with_suffix("").as_posix() for p in got_dir.rglob("*.json")}
    mismatches = []
    for name in sorted(names):
        exp_file, got_file = expected_dir / f"{name}.json", got_dir / f"{name}.json"
        exp = _load_manifest(exp_file) if exp_file.is_file() else {}
        got = _load_manifest(got_file) if got_file.is_file() else {}
        if not exp_file.is_file():
            mismatches.append(Mismatch(name, "<file>", "<missing>", "present", None))
        elif not got_file.is_file():
            mismatches.append(Mismatch(name, "<file>", "present", "<missing>", None))
        mismatches.extend(compare(name, exp, got))
    return mismatches


def copy_project(target: Path) -> None:
    """Copy the sources a run needs (no caches, no executed notebooks, no venv)."""
    ignore = shutil.ignore_patterns(
        ".venv", ".git", ".cache", "_build", "__pycache__", "*.pyc", ".pytest_cache"
    )
    for name in ("src", "notebooks", "params", "data", "book", "requirements.lock", "CITATION.cff"):
        source = paths.ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / name)
    # Executed notebooks are outputs: remove any that the copy picked up.
    for executed in (target / "book").rglob("*.ipynb"):
        executed.unlink()
    # Sweep results are inputs of the book's specification-curve page (made by `cases sweep`,
    # not by `cases run`), so a copy that builds the book needs them.
    sweeps = paths.RESULTS / "sweeps"
    if sweeps.is_dir():
        shutil.copytree(sweeps, target / "results" / "sweeps")


def verify(n_jobs: int = 1, console: Any = None, sweeps: bool = True) -> list[Mismatch]:
    """Re-execute everything in a clean temporary copy and compare with ``results/``.

    First every sweep in ``params/sweeps/`` (unless ``sweeps`` is False: then the committed
    sweep results are used as they are), then every notebook, all with ``--force``. Prints a
    table of mismatches (notebook, key, expected, got, tolerance) and returns them.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="cases-verify-") as tmp:
        copy = Path(tmp)
        copy_project(copy)
        env = dict(os.environ, CASES_ROOT=str(copy))
        commands = []
        if sweeps:
            import yaml

            for grid in sorted((copy / "params" / "sweeps").glob("*.yaml")):
                case = yaml.safe_load(grid.read_text(encoding="utf-8"))["case"]
                commands.append(["sweep", case, "--grid", str(grid)])
        commands.append(["run", "--all"])
        for command in commands:
            completed = subprocess.run(
                [sys.executable, "-m", "cases.cli", *command, "--force", "--jobs", str(n_jobs)],
                env=env,
                cwd=copy,
            )
            if completed.returncode != 0:
                break
        if completed.returncode != 0:
            console.print("verify: the clean re-execution failed (see above)", style="red")
            return [Mismatch("<run>", "<exit status>", 0, completed.returncode, None)]
        mismatches = compare_dirs(paths.RESULTS, copy / "results")
    if mismatches:
        table = Table(title="Published numbers that did not reproduce")
        for column in ("notebook", "key", "expected", "got", "tolerance"):
            table.add_column(column)
        for m in mismatches:
            table.add_row(m.notebook, m.key, repr(m.expected), repr(m.got), repr(m.tolerance))
        console.print(table)
    else:
        n = sum(1 for _ in paths.RESULTS.rglob("*.json"))
        console.print(f"verify: all published numbers in {n} manifest(s) reproduced", style="green")
    return mismatches


def collect_file(results_file: Path) -> dict[str, dict[str, Any]]:
    """Read a written manifest (``results/…json``) into ``{key: {"value": …}}``.

    Raises:
        FileNotFoundError: the manifest does not exist.
    """
    return json.loads(Path(results_file).read_text(encoding="utf-8"))
