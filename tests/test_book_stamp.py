"""A warm `cases build` skips Sphinx only when nothing the book build reads has changed."""

from __future__ import annotations

import json
import os

import pytest

from cases.core import paths
from cases.run import pipeline


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A project with a one-page book, a 'built' index and a passing stamp."""
    root = tmp_path / "project"
    (root / "src" / "cases").mkdir(parents=True)
    (root / "src" / "cases" / "mod.py").write_text("x = 1\n")
    book = root / "book"
    (book / "cases" / "w_town").mkdir(parents=True)
    (book / "intro.md").write_text("# Intro\n")
    (book / "cases" / "w_town" / "case_profile.ipynb").write_text("{}")
    html = book / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("<html></html>")
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "BOOK", book)
    monkeypatch.setattr(paths, "CACHE", root / ".cache" / "cases")
    stamp = pipeline._book_stamp_path("html")
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps({"state": pipeline._book_state("html")}))
    return root


def current(builder: str = "html") -> bool:
    return pipeline._book_is_current(builder, pipeline._book_state(builder))


def test_unchanged_book_is_current(book):
    assert current()
    assert not current("latex")  # another builder has no stamp


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "book" / "intro.md").write_text("# Intro, edited\n"),
        lambda root: (root / "book" / "cases" / "w_town" / "case_profile.ipynb").write_text("[]"),
        lambda root: (root / "book" / "glossary.md").write_text("# New page\n"),
        lambda root: (root / "src" / "cases" / "mod.py").write_text("x = 2\n"),
        lambda root: (root / "deny-list.txt").write_text("张三\n"),
        lambda root: (root / "book" / "_build" / "html" / "page.html").write_text("<p></p>"),
        lambda root: os.utime(root / "book" / "_build" / "html" / "index.html", ns=(1, 1)),
        lambda root: (root / "book" / "_build" / "html" / "index.html").unlink(),
        lambda root: (root / ".cache" / "cases" / "book-html.json").write_text("not json"),
    ],
    ids=[
        "page edited",
        "notebook re-executed",
        "page added",
        "library code",
        "deny-list",
        "output added",
        "output touched",
        "output deleted",
        "stamp unreadable",
    ],
)
def test_any_change_forces_a_build(book, change):
    change(book)
    assert not current()


def test_other_build_folders_do_not_count(book):
    (book / "book" / "_build" / ".doctrees").mkdir()
    (book / "book" / "_build" / ".doctrees" / "env.pickle").write_bytes(b"x")
    assert current()
