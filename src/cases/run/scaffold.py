"""``cases new SLUG``: scaffold a sixth (seventh, ...) case without writing code.

A case is data, not code (see the design): a registry file, a parameter file listing the
analyses of its chapter, a chapter page, a table-of-contents entry and a bibliography entry.
:func:`new_case` writes all five from templates whose placeholders are marked ``TODO`` and which
already pass the registry's validation, so ``cases build`` works straight away and the author
replaces the placeholders one by one.

Nothing is written unless every check passes first, and a failure half-way removes what was
written, so a refused or failed scaffold leaves the project as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from cases.core import paths
from cases.core.atomic import write_atomic
from cases.core.errors import RegistryError
from cases.data.public_data import add_file_resource
from cases.data.registry import load_vocabulary, parse_case_file

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: Names the runner or the book already use for something else.
RESERVED_SLUGS = frozenset({"_book", "cases", "index", "intro", "cross_case", "national_context"})
CASES_PART = "Cases"
FIRST_ANALYSIS = "case_profile"
DEFAULT_SEED = 20201123
TODO = "TODO"

# Codes used by the placeholder entries: the most generic code of each codebook family
# (data/qual/codebook.yaml). Until the author replaces them they are marked TODO in their note,
# description or role.
PLACEHOLDER_CODES = {
    "theories": "theory_good_governance",
    "methods": "method_case_study",
    "actors": "actor_government",
    "mechanisms": "mechanism_targeting_transfers",
    "achievements": "outcome_reported_gains",
    "problems": "problem_imperfect_mechanism",
    "causes": "cause_top_down_administration",
    "recommendations": "recommendation_improve_mechanism",
}


class ScaffoldError(RegistryError):
    """The slug is invalid or taken, or the project files cannot take a new case."""


@dataclass(frozen=True)
class NewCase:
    """What :func:`new_case` wrote."""

    slug: str
    created: tuple[Path, ...]
    modified: tuple[Path, ...]


def _q(text: str) -> str:
    """A YAML scalar for ``text`` (JSON strings are valid YAML, and keep non-ASCII as is)."""
    return json.dumps(text, ensure_ascii=False)


def check_slug(slug: str, root: Path | None = None) -> str:
    """Check that ``slug`` can name a new case.

    Rule: 2–40 characters of lowercase ASCII letters, digits and underscores, starting with a
    letter; not reserved; no case file, parameter file or chapter folder of that name yet.

    Raises:
        ScaffoldError: naming the slug and what is wrong with it.
    """
    root = root or paths.ROOT
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ScaffoldError(
            f"invalid case slug {slug!r}: use 2-40 lowercase letters, digits or underscores, "
            "starting with a letter (e.g. sixth_case)"
        )
    if slug in RESERVED_SLUGS:
        raise ScaffoldError(f"invalid case slug {slug!r}: the name is reserved")
    taken = [
        p
        for p in (
            root / "data" / "cases" / f"{slug}.yaml",
            root / "params" / f"{slug}.yaml",
            root / "book" / "cases" / slug,
        )
        if p.exists()
    ]
    if taken:
        listed = ", ".join(str(p.relative_to(root)) for p in taken)
        raise ScaffoldError(f"case {slug!r} already exists ({listed})")
    return slug


def case_yaml(slug: str, title: str, province: str, place: str) -> str:
    """The registry file of a new case: every field present, placeholders marked TODO."""
    c = PLACEHOLDER_CODES
    return f"""\
# Case registry entry for {slug}, written by `cases new`. Replace every TODO with the thesis's
# content in your own words (no quotation from the abstract), using codes from the one
# codebook, data/qual/codebook.yaml, for every coded item (each field takes the codes of its
# family). Code the thesis abstract's segments with the same codebook (data/qual/CODING.md).
# Check with `cases list`; the book shows this file on the chapter's case-profile page.
slug: {slug}
title: {_q(title)}
short_title: {_q(title if len(title) <= 30 else slug.replace("_", " ").title())}
place:
  name: {_q(place)}
  name_zh: "{TODO}: 地名"
  province: {_q(province)}
  province_zh: "{TODO}: 省份"
  admin_level: "{TODO}: township, county or city"
  anonymised: false
study:
  period: 2017–2019  # {TODO}: the study years, written YYYY–YYYY
  period_basis: "{TODO}: how the study period was inferred from the thesis"
  policy_stage: targeted_poverty_alleviation  # or consolidation_relative_poverty (after 2020)
  research_question: "{TODO}: the thesis's research question, in your own words"
theories:
  - code: {c["theories"]}
    note: "{TODO}: the theories the thesis draws on"
methods:
  - code: {c["methods"]}
    note: "{TODO}: the methods the thesis uses"
informants:
  - "{TODO}: who was interviewed or surveyed"
actors:
  - code: {c["actors"]}
    role: "{TODO}: the actors and the role the thesis gives each"
mechanisms:
  - code: {c["mechanisms"]}
    name: "{TODO}: mechanism"
    description: "{TODO}: how it works"
achievements:
  - code: {c["achievements"]}
    description: "{TODO}: what the thesis reports as achieved"
problems:
  - code: {c["problems"]}
    description: "{TODO}: the problems the thesis identifies"
causes:
  - code: {c["causes"]}
    description: "{TODO}: the causes the thesis gives"
recommendations:
  - code: {c["recommendations"]}
    description: "{TODO}: the thesis's recommendations"
benchmarks: []
source:
  bibkey: thesis_{slug}
  seed_file: {slug}.txt
"""


def params_yaml(slug: str) -> str:
    """The parameter file of a new case: its chapter opens with (and so far is) the profile."""
    return f"""\
# Analyses of the {slug} chapter, in chapter order, with their parameters (written by
# `cases new`). Each is a template in notebooks/<name>.ipynb; `case` is set from the file name.
# Add analyses here and the matching sections under the chapter in book/_toc.yml.
analyses:
  - name: {FIRST_ANALYSIS}
    parameters:
      seed: {DEFAULT_SEED}
"""


def chapter_md(slug: str, title: str) -> str:
    """The chapter's opening page."""
    return f"""\
# {title}

{TODO}: two or three sentences introducing the place and what the thesis studies.

This chapter is based on the thesis {{cite}}`thesis_{slug}`; only its abstract was available to
this compendium. Its sections are the analyses listed in `params/{slug}.yaml`:

```{{tableofcontents}}
```
"""


def bib_entry(slug: str, title: str, place: str, province: str) -> str:
    """A bibliography entry for the thesis, to be completed from where it is published.

    No author field until the candidate's name is found (a citation then shows the title, not a
    placeholder name); a field that cannot be found is written "not stated", never guessed.

    Braces in the texts become parentheses: an unbalanced brace would break the .bib file.
    """
    unbraced = str.maketrans("{}", "()")
    title, place, province = (t.translate(unbraced) for t in (title, place, province))
    return f"""
@misc{{thesis_{slug},
  title = {{{{{title}}}}},
  howpublished = {{{TODO}: where the thesis or its abstract is published; add its address as url}},
  note = {{Candidate, degree, year: {TODO} (as published, or "not stated").
    Case: {place}, {province}}}
}}
"""


def add_chapter_to_toc(toc_text: str, slug: str) -> str:
    """Insert the chapter ``cases/<slug>/index`` (with its case-profile section) at the end of
    the ``Cases`` part of ``_toc.yml``, keeping every other line and comment as it is.

    Raises:
        ScaffoldError: no ``Cases`` part, the chapter is already listed, or the edited file
            does not parse to the expected structure.
    """
    data = yaml.safe_load(toc_text)
    parts = data.get("parts") if isinstance(data, dict) else None
    captions = [p.get("caption") for p in parts or [] if isinstance(p, dict)]
    if CASES_PART not in captions:
        raise ScaffoldError(f"_toc.yml has no part with caption {CASES_PART!r}")
    chapter = f"cases/{slug}/index"
    if chapter in toc_text:
        raise ScaffoldError(f"_toc.yml already lists {chapter}")
    lines = toc_text.splitlines(keepends=True)
    start = next(
        i for i, line in enumerate(lines) if re.match(rf"^\s*-\s*caption:\s*{CASES_PART}\s*$", line)
    )
    part_indent = len(lines[start]) - len(lines[start].lstrip())
    end = len(lines)
    for i in range(start + 1, len(lines)):
        stripped = lines[i].lstrip()
        indent = len(lines[i]) - len(stripped)
        if stripped and not stripped.startswith("#") and indent <= part_indent:
            end = i
            break
    # Insert after the part's last content line (before trailing blanks or comments).
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[0] == "#"):
        end -= 1
    chapter_lines = [ln for ln in lines[start:end] if re.match(r"^\s*-\s*file:", ln)]
    indent = (
        len(chapter_lines[0]) - len(chapter_lines[0].lstrip()) if chapter_lines else part_indent + 4
    )
    pad = " " * indent
    block = (
        f"{pad}- file: {chapter}\n"
        f"{pad}  sections:\n"
        f"{pad}    - file: cases/{slug}/{FIRST_ANALYSIS}\n"
    )
    if not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    edited = "".join([*lines[:end], block, *lines[end:]])
    check = yaml.safe_load(edited)
    cases_part = next(p for p in check["parts"] if p.get("caption") == CASES_PART)
    last = cases_part["chapters"][-1]
    expected = {"file": chapter, "sections": [{"file": f"cases/{slug}/{FIRST_ANALYSIS}"}]}
    if last != expected or len(check["parts"]) != len(parts):
        raise ScaffoldError("could not add the chapter to _toc.yml without changing its structure")
    return edited


def _write_new(path: Path, text: str, created: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite
        fh.write(text)
    created.append(path)


def new_case(
    slug: str,
    *,
    title: str | None = None,
    province: str | None = None,
    place: str | None = None,
    root: Path | None = None,
) -> NewCase:
    """Scaffold a new case named ``slug``.

    Writes ``data/cases/<slug>.yaml`` (validated against the registry schema and the codebook),
    ``params/<slug>.yaml`` (the case profile only), ``book/cases/<slug>/index.md``; appends the
    chapter to the ``Cases`` part of ``book/_toc.yml``, a ``thesis_<slug>`` entry (TODO fields
    for where it is published) to ``book/references.bib`` and, where ``data/datapackage.json``
    exists, the registry file as a resource with its hash. Unset ``title``, ``province`` and
    ``place`` become TODO placeholders.

    Raises:
        ScaffoldError: invalid, reserved or existing slug; an empty option; a table of contents
            without a ``Cases`` part. Nothing is left behind when it is raised.
    """
    root = root or paths.ROOT
    check_slug(slug, root)
    values = {"title": title, "province": province, "place": place}
    for name, value in values.items():
        if value is not None and not value.strip():
            raise ScaffoldError(f"--{name} must not be empty")
    title = (title or f"{TODO}: title of the {slug} case").strip()
    province = (province or f"{TODO}: province").strip()
    place = (place or f"{TODO}: place name").strip()

    toc_path = root / "book" / "_toc.yml"
    bib_path = root / "book" / "references.bib"
    toc_before = toc_path.read_text(encoding="utf-8")
    toc_after = add_chapter_to_toc(toc_before, slug)
    bib_before = bib_path.read_text(encoding="utf-8") if bib_path.is_file() else ""
    if re.search(rf"@\w+\{{thesis_{slug}\s*,", bib_before):
        raise ScaffoldError(f"book/references.bib already has an entry thesis_{slug}")

    case_path = root / "data" / "cases" / f"{slug}.yaml"
    package_path = root / "data" / "datapackage.json"
    package_before = package_path.read_text(encoding="utf-8") if package_path.is_file() else ""
    created: list[Path] = []
    modified: list[Path] = []
    try:
        _write_new(case_path, case_yaml(slug, title, province, place), created)
        vocabulary = load_vocabulary(root / "data" / "qual" / "codebook.yaml")
        parse_case_file(case_path, vocabulary)  # the template must pass, or nothing is kept
        if package_path.is_file():
            add_file_resource(
                package_path,
                f"cases/{slug}.yaml",
                name=f"case_{slug}",
                title=f"Case registry entry: {slug}",
                description="Design, informants, actors, problems and recommendations of one "
                "thesis, in the project's own words (read by cases.data.registry). After editing, "
                "record the new hash with cases.data.public_data.update_hashes().",
            )
            modified.append(package_path)
        _write_new(root / "params" / f"{slug}.yaml", params_yaml(slug), created)
        _write_new(root / "book" / "cases" / slug / "index.md", chapter_md(slug, title), created)
        write_atomic(toc_path, toc_after)
        modified.append(toc_path)
        bib_after = bib_before.rstrip("\n") + "\n" + bib_entry(slug, title, place, province)
        write_atomic(bib_path, bib_after)
        modified.append(bib_path)
    except BaseException:
        for path in reversed(created):
            path.unlink(missing_ok=True)
        chapter_dir = root / "book" / "cases" / slug
        if chapter_dir.is_dir() and not any(chapter_dir.iterdir()):
            chapter_dir.rmdir()
        if toc_path in modified:
            write_atomic(toc_path, toc_before)
        if bib_path in modified:
            write_atomic(bib_path, bib_before)
        if package_path in modified:
            write_atomic(package_path, package_before)
        raise
    return NewCase(slug=slug, created=tuple(created), modified=tuple(modified))
