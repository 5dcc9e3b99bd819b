"""Shared fixtures: a throw-away copy of the project for tests that run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cases import paths
from cases.manifest import copy_project


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's sources (no caches, no executed notebooks) under ``tmp_path``."""
    root = tmp_path / "project"
    root.mkdir()
    copy_project(root)
    return root


def run_cli(
    root: Path, *args: str, timeout: int = 600, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m cases.cli ARGS`` with ``CASES_ROOT`` pointing at ``root`` (plus any
    ``env_extra`` variables)."""
    env = dict(os.environ, CASES_ROOT=str(root), **(env_extra or {}))
    env.pop("CASES_MANIFEST", None)
    return subprocess.run(
        [sys.executable, "-m", "cases.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def repo_root() -> Path:
    return paths.ROOT


def keep_only_analyses(root: Path, keep: tuple[str, ...] = ("case_profile",)) -> None:
    """Trim every case's params file in a project copy to the listed analyses.

    Tests of the runner itself (caching, overrides, failures) do not need every analysis of
    every chapter; this keeps them fast. Book builds use the full project instead.
    """
    import yaml

    for params in (root / "params").glob("*.yaml"):
        if params.stem.startswith("_"):
            continue
        data = yaml.safe_load(params.read_text(encoding="utf-8"))
        data["analyses"] = [a for a in data["analyses"] if a["name"] in keep]
        params.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def small_project(project_copy: Path) -> Path:
    """A project copy whose chapters list only the case profile (fast runner tests)."""
    keep_only_analyses(project_copy)
    return project_copy
