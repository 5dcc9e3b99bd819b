"""The reference apparatus (issue 21, item 7): every citation key used in a page resolves in
``book/references.bib`` and every entry is cited somewhere; every entry records where it was
read (``url`` or ``doi``); the thesis entries say "not stated" instead of inventing authors;
the glossary defines the terms the chapters use and agrees with the coded corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cases.core import paths
from cases.data import registry
from cases.methods import qual

BIB = paths.ROOT / "book" / "references.bib"
#: {cite}`a,b`, {cite:p}`a`, {cite:t}`a`, {cite:ps}`a` … in MyST.
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def _entries() -> dict[str, str]:
    """Citation key -> the entry's text (up to the next entry)."""
    text = BIB.read_text(encoding="utf-8")
    starts = list(ENTRY.finditer(text))
    out = {}
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out[match.group(2)] = text[match.start() : end]
    return out


def _page_texts() -> dict[Path, str]:
    """Every page source a reader sees: book Markdown, notebook Markdown and text templates."""
    out: dict[Path, str] = {}
    for path in sorted((paths.ROOT / "book").rglob("*.md")):
        if "_build" not in path.parts:
            out[path] = path.read_text(encoding="utf-8")
    for path in sorted((paths.ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        out[path] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for path in sorted((paths.ROOT / "text").rglob("*.md")):
        out[path] = path.read_text(encoding="utf-8")
    return out


def cited_keys(text: str) -> set[str]:
    """Citation keys in ``text``; keys built by a template (``thesis_{{ slug }}``) are skipped."""
    keys = set()
    for group in CITE.findall(text):
        for key in group.split(","):
            key = key.strip()
            if key and "{" not in key:
                keys.add(key)
    return keys


def test_cited_keys_parser_reads_every_role_and_lists() -> None:
    text = "{cite}`a` {cite:p}`b, c` {cite:t}`d` {cite:ps}`e` {cite}`thesis_{{ slug }}`"
    assert cited_keys(text) == {"a", "b", "c", "d", "e"}


def test_every_cited_key_resolves_in_the_bibliography() -> None:
    entries = _entries()
    missing = {
        f"{path.relative_to(paths.ROOT)}: {key}"
        for path, text in _page_texts().items()
        for key in cited_keys(text)
        if key not in entries
    }
    assert not missing, f"cited but not in references.bib: {sorted(missing)}"


def test_every_bibliography_entry_is_cited_somewhere() -> None:
    cited = set().union(*(cited_keys(t) for t in _page_texts().values()))
    uncited = sorted(set(_entries()) - cited)
    assert not uncited, f"entries of references.bib no page cites: {uncited}"


def test_every_entry_records_where_it_was_read() -> None:
    lacking = [k for k, e in _entries().items() if not re.search(r"^\s*(url|doi)\s*=", e, re.M)]
    assert not lacking, f"entries without url or doi: {lacking}"


def test_thesis_entries_say_not_stated_and_never_author_unknown() -> None:
    entries = _entries()
    text = BIB.read_text(encoding="utf-8")
    assert "unknown" not in text.lower().replace("original publisher not identified", "")
    for case in registry.list_cases():
        entry = entries[f"thesis_{case.slug}"]
        assert "globethesis.com/?t=" in entry
        for field in ("Candidate", "Degree", "Institution", "Posted on"):
            assert f"{field}: not stated" in entry, (case.slug, field)


#: Terms the issue asks the glossary to define (Chinese forms), each with the chapter wording.
GLOSSARY_TERMS = (
    "低保",
    "特困人员",
    "善治",
    "协同治理",
    "压力型体制",
    "运动式治理",
    "扶贫开发工作重点县",
    "国家级贫困县",
    "片区县",
    "省级贫困县",
    "防止返贫动态监测",
    "国家乡村振兴重点帮扶县",
    "五个一批",
)


#: How the glossary names each case in running text.
GLOSSARY_NAMES = {
    "liupanshui": "Liupanshui",
    "shandong_a_town": "A Town",
    "w_town": "W Town",
    "h_county": "H County",
    "pingliang": "Pingliang",
}


@pytest.fixture(scope="module")
def glossary_terms() -> list[str]:
    """The term lines of the glossary directive (unindented lines inside the block)."""
    text = (paths.ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith(" ")]


@pytest.mark.parametrize("term", GLOSSARY_TERMS)
def test_glossary_defines_the_terms_the_book_uses(glossary_terms: list[str], term: str) -> None:
    assert any(term in line for line in glossary_terms), term


def test_glossary_endogenous_motivation_agrees_with_the_coded_corpus() -> None:
    """The glossary names the cases whose abstracts report a lack of endogenous motivation and
    counts those that propose to stimulate it, as the coded corpus has them."""
    text = (paths.ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entry = text.split("Endogenous motivation (内生动力", 1)[1].split("\n\n", 1)[0]
    corpus = qual.load_coded_corpus()
    cases = {c.slug for c in registry.list_cases()}
    assert cases == set(GLOSSARY_NAMES)
    problem = qual.cases_with_code(corpus.segments, "problem_endogenous_motivation")
    remedy = qual.cases_with_code(corpus.segments, "recommendation_stimulate_motivation")
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    assert f"in {words[len(problem)]} of the five theses" in " ".join(entry.split())
    named = re.search(r"\(([^)]*)\)", entry.split("theses", 1)[1]).group(1)
    assert {s.strip() for s in named.split(",")} == {GLOSSARY_NAMES[s] for s in problem}
    if len(remedy) == len(cases):
        assert "all five propose" in " ".join(entry.split())
