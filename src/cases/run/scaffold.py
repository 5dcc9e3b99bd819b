"""``cases new SLUG``: scaffold a sixth (seventh, ...) case without writing code.

A case is data, not code (see the design): a registry file, a parameter file listing the
analyses of its chapter, a chapter page, a table-of-contents entry and a bibliography entry.
:func:`new_case` writes all five from the text templates in ``text/scaffold/`` (one passage per
file, rendered by :func:`cases.present.text.render_blocks`), whose placeholders are marked
``TODO`` and which already pass the registry's validation, so ``cases build`` works straight
away and the author replaces the placeholders one by one.

Nothing is written unless every check passes first, and a failure half-way removes what was
written, so a refused or failed scaffold leaves the project as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from cases.core import paths
from cases.core.atomic import write_atomic
from cases.core.errors import RegistryError
from cases.data.public_data import add_file_resource
from cases.data.registry import load_vocabulary, parse_case_file
from cases.present.text import render_blocks

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: Names the runner or the book already use for something else.
RESERVED_SLUGS = frozenset({"_book", "cases", "index", "intro", "cross_case", "national_context"})
CASES_PART = "Cases"
FIRST_ANALYSIS = "case_profile"
#: Text templates of the files a new case starts with, one passage per file.
TEMPLATES = paths.TEXT / "scaffold"

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


def _file(template: str, **context: object) -> str:
    """The one passage of ``text/scaffold/<template>.md`` rendered with ``context``, as the text
    of a file: the renderer strips the passage, so the file gets its final newline here."""
    (text,) = render_blocks(template, context, TEMPLATES).values()
    return text + "\n"


def case_yaml(slug: str, title: str, province: str, place: str) -> str:
    """The registry file of a new case: every field present, placeholders marked TODO.

    Text: ``text/scaffold/case_yaml.md``. The short title is the title when it has at most 30
    characters, else the slug in title case; texts are written as JSON strings (valid YAML).
    """
    short_title = title if len(title) <= 30 else slug.replace("_", " ").title()
    return _file(
        "case_yaml",
        slug=slug,
        title=_q(title),
        short_title=_q(short_title),
        place=_q(place),
        province=_q(province),
        codes=PLACEHOLDER_CODES,
    )


def params_yaml(slug: str) -> str:
    """The parameter file of a new case: its chapter opens with (and so far is) the profile.

    Text: ``text/scaffold/params_yaml.md``.
    """
    return _file("params_yaml", slug=slug, analysis=FIRST_ANALYSIS)


def chapter_md(slug: str, title: str) -> str:
    """The chapter's opening page. Text: ``text/scaffold/chapter.md``."""
    return _file("chapter", slug=slug, title=title)


def bib_entry(slug: str, title: str, place: str, province: str) -> str:
    """A bibliography entry for the thesis, to be completed from where it is published.

    Text: ``text/scaffold/bib_entry.md``, preceded by a blank line. No author field until the
    candidate's name is found (a citation then shows the title, not a placeholder name); a
    field that cannot be found is written "not stated", never guessed.

    Braces in the texts become parentheses: an unbalanced brace would break the .bib file.
    """
    unbraced = str.maketrans("{}", "()")
    title, place, province = (t.translate(unbraced) for t in (title, place, province))
    return "\n" + _file("bib_entry", slug=slug, title=title, place=place, province=province)


def _short_texts(slug: str) -> dict[str, str]:
    """The short texts of ``text/scaffold/new_case.md`` for ``slug``: the placeholders of unset
    options and the data-package title and description (one line: line breaks become spaces).
    """
    texts = render_blocks("new_case", {"slug": slug}, TEMPLATES)
    return {name: " ".join(text.split()) for name, text in texts.items()}


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
    texts = _short_texts(slug)
    title = (title or texts["default_title"]).strip()
    province = (province or texts["default_province"]).strip()
    place = (place or texts["default_place"]).strip()

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
                title=texts["resource_title"],
                description=texts["resource_description"],
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


#: The project files :func:`new_case` reads or edits, copied into the scratch folder of
#: :func:`preview`.
PREVIEW_INPUTS: tuple[str, ...] = (
    "book/_toc.yml",
    "book/references.bib",
    "data/qual/codebook.yaml",
    "data/datapackage.json",
)


def preview(
    slug: str,
    title: str,
    province: str,
    place: str | None = None,
    root: Path | None = None,
) -> pd.DataFrame:
    """What ``cases new SLUG --title ... --province ...`` writes, found by running it.

    :func:`new_case` runs in a scratch copy of the files of ``root`` (default: the project) that
    it reads and edits (:data:`PREVIEW_INPUTS`), so the project is not touched; the scratch
    folder is removed afterwards. Columns: ``file`` (relative path), ``action`` (``created`` or
    ``updated``), ``lines`` (lines in the new file, or lines added), in the order written.

    Raises:
        ScaffoldError: an invalid or reserved slug, or an empty option.
    """
    source_root = root or paths.ROOT
    scratch = Path(tempfile.mkdtemp(prefix="scaffold-"))
    try:
        before: dict[str, int] = {}
        for rel in PREVIEW_INPUTS:
            source = source_root / rel
            target = scratch / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_file():
                shutil.copyfile(source, target)
                before[rel] = len(target.read_text(encoding="utf-8").splitlines())
        (scratch / "data" / "cases").mkdir(parents=True, exist_ok=True)
        made = new_case(slug, title=title, province=province, place=place, root=scratch)
        rows = []
        for action, files in (("created", made.created), ("updated", made.modified)):
            for path in files:
                rel = path.relative_to(scratch).as_posix()
                n = len(path.read_text(encoding="utf-8").splitlines())
                rows.append({"file": rel, "action": action, "lines": n - before.get(rel, 0)})
        return pd.DataFrame(rows, columns=["file", "action", "lines"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
