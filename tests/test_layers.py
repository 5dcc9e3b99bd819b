"""The architecture of ``src/cases``: layers as folders, checked by import-linter.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); ``lint-imports`` reads them.
The second test plants an upward import in a copy of the package to show the check can fail.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cases.core import paths

SRC = paths.ROOT / "src" / "cases"
LAYERS = ("core", "data", "methods", "simulate", "present", "pages", "run")
CONTRACT_MODULES = ("registry", "io", "measures", "survey", "panel", "design")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_contracts_are_kept():
    result = _lint(paths.ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(SRC, tmp_path / "src" / "cases", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(paths.ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    planted = tmp_path / "src" / "cases" / "core" / "paths.py"
    planted.write_text(planted.read_text() + "\nfrom cases.run import pipeline  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "cases.core.paths -> cases.run.pipeline" in result.stdout


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_is_a_folder_that_says_what_it_holds(layer):
    init = SRC / layer / "__init__.py"
    assert init.is_file(), f"missing layer package {layer}"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 20, f"{init}: say in a paragraph what the layer holds"


def test_only_contract_modules_sit_beside_the_layers():
    loose = sorted(p.stem for p in SRC.glob("*.py") if p.stem != "__init__")
    assert loose == sorted(CONTRACT_MODULES)


@pytest.mark.parametrize("name", CONTRACT_MODULES)
def test_contract_modules_are_thin_re_exports(name):
    tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body}
    # A docstring, imports and __all__: no code of their own.
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, (name, kinds)


CASE_BRANCH = re.compile(
    r"\b(case|slug)\s*(==|!=)\s*[\"']"  # case == "h_county"
    r"|\b(case|slug)\s+(not\s+)?in\s*[(\[{][\"']"  # case in ("h_county", ...)
)


def test_no_per_case_branches_in_the_library():
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if CASE_BRANCH.search(line)
    ]
    assert not found, "per-case choices belong in data/settings/*.yaml:\n" + "\n".join(found)
