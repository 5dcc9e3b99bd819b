"""Shared fixtures: throw-away copies of the project for tests that run the CLI, and the two
built projects that every build test shares.

Building is the expensive part of the suite, so each kind of build happens once per run:

- :func:`full_build` — the whole book, built by ``cases build`` from a fresh copy. Its users
  are marked ``xdist_group("book")``, so with ``pytest -n N --dist loadgroup`` they share one
  worker and the build happens once.
- :func:`small_build` — a copy whose chapters keep only the case profile (plus the book-level
  notebooks), with the fault-injection hook of :data:`HOOK` in the case-profile template,
  committed to a git repository before the build. Its users are marked
  ``xdist_group("small")`` and work on private copies (:func:`small_built_copy`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cases.core import paths
from cases.run.verify import copy_project


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
    """Run ``python -m cases.run.cli ARGS`` with ``CASES_ROOT`` pointing at ``root`` (plus any
    ``env_extra`` variables)."""
    env = dict(os.environ, CASES_ROOT=str(root), **(env_extra or {}))
    env.pop("CASES_MANIFEST", None)
    return subprocess.run(
        [sys.executable, "-m", "cases.run.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_python(root: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``python -c CODE`` with ``CASES_ROOT`` pointing at ``root``."""
    env = dict(os.environ, CASES_ROOT=str(root))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def plant_parameter(root: Path, declaration: str) -> None:
    """Give the case-profile template of the project at ``root`` a parameter a code cell uses
    (the shipped template reads only the registry and declares only ``case``), so that a run
    can override it; ``declaration`` is e.g. ``"seed: int = 1"``."""
    import nbformat

    template = root / "notebooks" / "case_profile.ipynb"
    nb = nbformat.read(template, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += f"\n{declaration}  # planted by the test"
    name = declaration.split(":")[0]
    nb.cells.append(nbformat.v4.new_code_cell(f"planted = {name}"))
    nbformat.write(nb, template)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def repo_root() -> Path:
    return paths.ROOT


# Resamples of the specification curve's joint test in the small project (tests only).
SMALL_BOOK_DRAWS = 40


def keep_only_analyses(root: Path, keep: tuple[str, ...] = ("case_profile",)) -> None:
    """Trim every case's params file in a project copy to the listed analyses.

    Tests of the runner itself (caching, overrides, failures) do not need every analysis of
    every chapter; this keeps them fast. The book's ``_toc.yml`` is trimmed to match, so the
    small project builds as a book too.
    """
    import yaml

    for params in (root / "params").glob("*.yaml"):
        if params.stem.startswith("_"):
            continue
        data = yaml.safe_load(params.read_text(encoding="utf-8"))
        data["analyses"] = [a for a in data["analyses"] if a["name"] in keep]
        params.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # The specification curve's joint test resamples the whole sweep (500 draws on the published
    # page, minutes on one core); the runner tests need the page, not a precise p-value.
    book_params = root / "params" / "_book.yaml"
    book = yaml.safe_load(book_params.read_text(encoding="utf-8"))
    for analysis in book["analyses"]:
        if analysis["name"] == "specification_curve":
            analysis["parameters"]["draws"] = SMALL_BOOK_DRAWS
    book_params.write_text(yaml.safe_dump(book, sort_keys=False), encoding="utf-8")
    # The book's table of contents lists only what is still run, so the small book builds.
    # Whole lines are dropped, so comments and layout stay as `cases new` expects them.
    toc_file = root / "book" / "_toc.yml"
    section = re.compile(r"^\s*- file: cases/[a-z0-9_]+/(?P<analysis>[a-z0-9_]+)\s*$")
    kept = [
        line
        for line in toc_file.read_text(encoding="utf-8").splitlines(keepends=True)
        if not (m := section.match(line)) or m["analysis"] in keep or m["analysis"] == "index"
    ]
    toc_file.write_text("".join(kept), encoding="utf-8")
    # Chapter openings link their sections; a link to a section the small book drops would be a
    # Sphinx warning (an error here), so it becomes its plain text.
    link = re.compile(r"\{doc\}`(?:(?P<text>[^`<]+?)\s*<(?P<target>[^`>]+)>|(?P<bare>[^`<>]+))`")

    def unlink(m: re.Match[str]) -> str:
        target = m["target"] or m["bare"]
        if "/" in target or target in keep:
            return m[0]
        return m["text"] or target.replace("_", " ")

    for index in (root / "book" / "cases").glob("*/index.md"):
        index.write_text(link.sub(unlink, index.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.fixture
def small_project(project_copy: Path) -> Path:
    """A project copy whose chapters list only the case profile (fast runner tests)."""
    keep_only_analyses(project_copy)
    return project_copy


HOOK = """import os, time  # test hook (tests/conftest.py)
time.sleep(float(os.environ.get("CASES_TEST_SLEEP", "0")))
if os.environ.get("CASES_TEST_FAIL") == case:
    raise RuntimeError(f"planted failure in {case}")
"""


def plant_hook(root: Path) -> None:
    """Add :data:`HOOK` after the parameters cell of the case-profile template: it sleeps
    ``$CASES_TEST_SLEEP`` seconds and raises when ``$CASES_TEST_FAIL`` names the case. The
    kernel inherits the environment of ``cases run``, so no parameter or input changes."""
    template = root / "notebooks" / "case_profile.ipynb"
    nb = nbformat.read(template, as_version=4)
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell(HOOK)
    cell.metadata["tags"] = ["remove-cell"]
    nb.cells.insert(params + 1, cell)
    nbformat.write(nb, template)


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` (a throw-away identity for commits) and return its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=tests", "-c", "user.email=tests@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _built(tmp_path_factory: pytest.TempPathFactory, name: str, small: bool) -> Path:
    """Build a project copy once per worker; later calls return the same folder."""
    base = tmp_path_factory.getbasetemp() / f"cases-{name}"
    root = base / "project"
    if not (base / "done").is_file():
        shutil.rmtree(base, ignore_errors=True)
        root.mkdir(parents=True)
        copy_project(root)
        shutil.copy(paths.ROOT / ".gitignore", root / ".gitignore")
        if small:
            plant_hook(root)
            keep_only_analyses(root)
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "fresh clone")
        done = run_cli(root, "build", "--jobs", "2", timeout=1500)
        assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-2000:]
        (base / "build-stdout.txt").write_text(done.stdout, encoding="utf-8")
        (base / "done").write_text("ok", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole book built once from a fresh copy (mark users ``xdist_group("book")``)."""
    return _built(tmp_path_factory, "full-build", small=False)


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small project (case profiles and book-level pages, with :data:`HOOK`) built once
    (mark users ``xdist_group("small")``); read-only: use :func:`small_built_copy` to change."""
    return _built(tmp_path_factory, "small-build", small=True)


@pytest.fixture
def small_built_copy(small_build: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`small_build`: run records, executed notebooks and run results
    (not the HTML build, nor its git history)."""
    target = tmp_path / "project"
    shutil.copytree(small_build, target, ignore=shutil.ignore_patterns("_build", ".git"))
    return target
