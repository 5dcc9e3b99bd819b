"""``cases verify``: re-run everything in a clean temporary copy and compare with ``results/``.

Numbers are compared by key within their recorded tolerance (:mod:`cases.core.manifest`); the
copy holds only the sources a run needs (:func:`copy_project`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cases.core import manifest, paths


def copy_project(target: Path) -> None:
    """Copy the sources a run needs (no caches, no executed notebooks, no venv)."""
    ignore = shutil.ignore_patterns(
        ".venv", ".git", ".cache", "_build", "__pycache__", "*.pyc", ".pytest_cache"
    )
    sources = ("src", "notebooks", "text", "params", "data", "book")
    for name in (*sources, "requirements.lock", "CITATION.cff"):
        source = paths.ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / name)
    # Executed notebooks are outputs: remove any that the copy picked up.
    for executed in (target / "book").rglob("*.ipynb"):
        executed.unlink()
    # Published sweep tables are inputs of the book's specification-curve page (made by
    # `cases sweep` and `cases publish`, never by a build), so a copy that builds needs them.
    sweeps = paths.RESULTS / manifest.SWEEPS
    if sweeps.is_dir():
        shutil.copytree(sweeps, target / "results" / manifest.SWEEPS)


def verify(n_jobs: int = 1, console: Any = None, sweeps: bool = True) -> list[manifest.Mismatch]:
    """Re-execute everything in a clean temporary copy and compare with ``results/``.

    First every sweep in ``params/sweeps/`` (unless ``sweeps`` is False: then the published
    sweep records are not compared), then every notebook, all with ``--force``. Prints each
    mismatch (manifest, key, expected, got, tolerance) and returns them.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="cases-verify-") as tmp:
        copy = Path(tmp)
        copy_project(copy)
        env = dict(os.environ, CASES_ROOT=str(copy))
        env.pop(manifest.MANIFEST_ENV, None)
        commands = []
        if sweeps:
            import yaml

            for grid in sorted((copy / "params" / manifest.SWEEPS).glob("*.yaml")):
                case = yaml.safe_load(grid.read_text(encoding="utf-8"))["case"]
                commands.append(["sweep", case, "--grid", str(grid)])
        commands.append(["run", "--all"])
        for command in commands:
            completed = subprocess.run(
                [sys.executable, "-m", "cases.run.cli", *command, "--force", "--jobs", str(n_jobs)],
                env=env,
                cwd=copy,
            )
            if completed.returncode != 0:
                break
        if completed.returncode != 0:
            console.print("verify: the clean re-execution failed (see above)", style="red")
            return [manifest.Mismatch("<run>", "<exit status>", 0, completed.returncode, None)]
        skip = () if sweeps else (f"{manifest.SWEEPS}/",)  # str.startswith accepts a tuple
        mismatches = manifest.compare_dirs(
            paths.RESULTS, copy / ".cache" / "cases" / "results", skip
        )
    if mismatches:
        table = Table(title="Published numbers that did not reproduce")
        for column in ("manifest", "key", "expected", "got", "tolerance"):
            table.add_column(column, overflow="fold")
        for m in mismatches:
            table.add_row(m.notebook, m.key, repr(m.expected), repr(m.got), repr(m.tolerance))
        console.print(table)
        console.print(f"verify: {len(mismatches)} published number(s) did not reproduce")
    else:
        names = manifest.manifest_names(paths.RESULTS)
        compared = [n for n in names if not n.startswith(skip)]
        n = len(compared)
        console.print(f"verify: all published numbers in {n} manifest(s) reproduced", style="green")
    return mismatches
