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


def run_cli(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m cases.cli ARGS`` with ``CASES_ROOT`` pointing at ``root``."""
    env = dict(os.environ, CASES_ROOT=str(root))
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
