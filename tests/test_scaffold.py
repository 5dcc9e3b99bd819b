"""``cases new SLUG``: a new case is data, and the book builds with it straight away."""

from __future__ import annotations

import difflib

import pytest
import yaml
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.core import paths
from cases.data import registry
from cases.run import scaffold
from cases.run.pipeline import toc_files


@pytest.fixture
def scaffolded(project_copy):
    made = scaffold.new_case(
        "sixth_case", title="A sixth case: Q Town, Gansu", province="Gansu", root=project_copy
    )
    return project_copy, made


def test_new_case_writes_a_valid_registry_file_params_chapter_toc_and_bib(scaffolded):
    root, made = scaffolded
    case_file = root / "data" / "cases" / "sixth_case.yaml"
    vocabulary = registry.load_vocabulary(root / "data" / "qual" / "codebook.yaml")
    case = registry.parse_case_file(case_file, vocabulary)  # passes validation as written
    assert case.title == "A sixth case: Q Town, Gansu" and case.place.province == "Gansu"
    assert case.source.bibkey == "thesis_sixth_case"
    assert "TODO" in case_file.read_text(encoding="utf-8")  # placeholders are marked

    params = yaml.safe_load((root / "params" / "sixth_case.yaml").read_text(encoding="utf-8"))
    assert [a["name"] for a in params["analyses"]] == ["case_profile"]
    chapter = (root / "book" / "cases" / "sixth_case" / "index.md").read_text(encoding="utf-8")
    assert chapter.startswith("# A sixth case: Q Town, Gansu\n")
    assert "{cite}`thesis_sixth_case`" in chapter

    toc = toc_files(root / "book" / "_toc.yml")
    last_pingliang = max(i for i, f in enumerate(toc) if f.startswith("cases/pingliang/"))
    assert toc.index("cases/sixth_case/index") == last_pingliang + 1
    assert toc[toc.index("cases/sixth_case/index") + 1] == "cases/sixth_case/case_profile"
    assert toc.index("cases/sixth_case/case_profile") < toc.index("cross_case")
    assert "@misc{thesis_sixth_case," in (root / "book" / "references.bib").read_text("utf-8")
    assert {p.name for p in made.created} == {"sixth_case.yaml", "index.md"}
    assert len(made.created) == 3 and len(made.modified) == 3
    # The registry file joins the data package with its hash, so verification passes.
    from cases.data.public_data import verify_package

    assert "case_sixth_case" in verify_package(root / "data" / "datapackage.json")


def test_toc_comments_and_other_entries_are_kept(scaffolded):
    root, _ = scaffolded
    after = (root / "book" / "_toc.yml").read_text(encoding="utf-8")
    from cases.core import paths

    before = (paths.BOOK / "_toc.yml").read_text(encoding="utf-8")
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    added = [line[2:] for line in diff if line.startswith("+ ")]
    assert not [line for line in diff if line.startswith("- ")]
    assert [line.strip() for line in added] == [
        "- file: cases/sixth_case/index",
        "sections:",
        "- file: cases/sixth_case/case_profile",
    ]
    assert [ln for ln in before.splitlines() if ln.startswith("#")] == [
        ln for ln in after.splitlines() if ln.startswith("#")
    ]


def test_existing_or_invalid_slug_exits_2_and_changes_nothing(project_copy):
    toc_before = (project_copy / "book" / "_toc.yml").read_text(encoding="utf-8")
    for slug in ["liupanshui", "Bad-Slug", "1st", "_book", "x"]:
        done = run_cli(project_copy, "new", slug)
        assert done.returncode == 2, (slug, done.stderr)
        assert "slug" in done.stderr or "exists" in done.stderr
    assert (project_copy / "book" / "_toc.yml").read_text(encoding="utf-8") == toc_before
    assert not (project_copy / "params" / "Bad-Slug.yaml").exists()


def test_a_second_scaffold_of_the_same_slug_is_refused(scaffolded):
    root, _ = scaffolded
    with pytest.raises(scaffold.ScaffoldError, match="already exists"):
        scaffold.new_case("sixth_case", root=root)


def test_a_failure_half_way_leaves_nothing_behind(project_copy):
    # A toc without a "Cases" part: refused before anything is written.
    toc = project_copy / "book" / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace("caption: Cases", "caption: X"))
    package = (project_copy / "data" / "datapackage.json").read_bytes()
    with pytest.raises(scaffold.ScaffoldError, match="Cases"):
        scaffold.new_case("seventh_case", root=project_copy)
    assert (project_copy / "data" / "datapackage.json").read_bytes() == package
    assert not (project_copy / "data" / "cases" / "seventh_case.yaml").exists()
    assert not (project_copy / "book" / "cases" / "seventh_case").exists()


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=45))
def test_slug_rule(slug):
    # Property: a slug is accepted exactly when it is 2-40 chars of [a-z0-9_] starting with a
    # letter (and not reserved); checked against an independent restatement of the rule.
    from pathlib import Path

    ok = (
        2 <= len(slug) <= 40
        and slug[0] in "abcdefghijklmnopqrstuvwxyz"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in slug)
        and slug not in scaffold.RESERVED_SLUGS
    )
    nowhere = Path("/nonexistent-cases-root")
    if ok:
        assert scaffold.check_slug(slug, nowhere) == slug
    else:
        with pytest.raises(scaffold.ScaffoldError):
            scaffold.check_slug(slug, nowhere)


def test_odd_titles_stay_valid_yaml_and_bibtex(project_copy):
    title = 'Q Town: "three changes" & 50% of {villages} — 六盘水'
    scaffold.new_case("odd_case", title=title, province="Guizhou", root=project_copy)
    vocabulary = registry.load_vocabulary(project_copy / "data" / "qual" / "codebook.yaml")
    case = registry.parse_case_file(project_copy / "data" / "cases" / "odd_case.yaml", vocabulary)
    assert case.title == title


@pytest.mark.slow
def test_new_case_then_build_publishes_the_sixth_chapter(small_project):
    project_copy = small_project  # the other chapters keep only their case profile
    done = run_cli(
        project_copy, "new", "sixth_case", "--title", "Q Town, Gansu: a sixth case", "--province",
        "Gansu", "--place", "Q Town",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "book/_toc.yml" in done.stdout
    listed = run_cli(project_copy, "list")
    assert "sixth_case\tQ Town, Gansu: a sixth case" in listed.stdout.splitlines()
    built = run_cli(project_copy, "build", "--jobs", "2", timeout=1200)
    assert built.returncode == 0, built.stderr[-4000:] + built.stdout[-4000:]
    html = project_copy / "book" / "_build" / "html" / "cases" / "sixth_case"
    assert "Q Town, Gansu: a sixth case" in (html / "index.html").read_text(encoding="utf-8")
    profile = (html / "case_profile.html").read_text(encoding="utf-8")
    assert "Research design" in profile and "TODO" in profile


def test_the_written_files_come_from_the_text_templates(tmp_path, monkeypatch):
    # Words live in text/scaffold/: an edited sentence there is what `cases new` writes.
    import shutil

    folder = tmp_path / "scaffold"
    shutil.copytree(scaffold.TEMPLATES, folder)
    chapter = folder / "chapter.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace("two or three sentences", "a few sentences"),
        encoding="utf-8",
    )
    monkeypatch.setattr(scaffold, "TEMPLATES", folder)
    assert "TODO: a few sentences introducing" in scaffold.chapter_md("q_town", "Q Town")


def test_every_template_renders_into_a_file_ending_in_one_newline():
    texts = {
        "case": scaffold.case_yaml("q_town", "Q Town", "Gansu", "Q"),
        "params": scaffold.params_yaml("q_town"),
        "chapter": scaffold.chapter_md("q_town", "Q Town"),
        "bib": scaffold.bib_entry("q_town", "Q {Town}", "Q", "Gansu"),
    }
    for name, text in texts.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        assert "{{" not in text.replace("title = {{Q (Town)}}", ""), name  # no placeholder left
    case = yaml.safe_load(texts["case"])
    assert case["slug"] == "q_town" and case["source"]["bibkey"] == "thesis_q_town"
    assert set(scaffold.PLACEHOLDER_CODES.values()) <= {
        item["code"] for field in scaffold.PLACEHOLDER_CODES for item in case[field]
    }
    params = yaml.safe_load(texts["params"])
    assert params["analyses"] == [{"name": scaffold.FIRST_ANALYSIS, "parameters": {}}]
    bib = texts["bib"]
    assert bib.startswith("\n@misc{thesis_q_town,") and bib.count("{") == bib.count("}")
    assert "title = {{Q (Town)}}" in bib and "Case: Q, Gansu}" in bib


def test_preview_reports_the_new_files_and_leaves_the_project_alone():
    toc_before = (paths.BOOK / "_toc.yml").read_bytes()
    package_before = (paths.DATA / "datapackage.json").read_bytes()
    table = scaffold.preview("my_town", title="My Town", province="Yunnan")
    assert (paths.BOOK / "_toc.yml").read_bytes() == toc_before
    assert (paths.DATA / "datapackage.json").read_bytes() == package_before
    assert not (paths.PARAMS / "my_town.yaml").exists()
    assert not (paths.DATA / "cases" / "my_town.yaml").exists()
    assert dict(zip(table["file"], table["action"], strict=True)) == {
        "data/cases/my_town.yaml": "created",
        "params/my_town.yaml": "created",
        "book/cases/my_town/index.md": "created",
        "book/_toc.yml": "updated",
        "book/references.bib": "updated",
        "data/datapackage.json": "updated",
    }
    lines = dict(zip(table["file"], table["lines"], strict=True))
    assert lines["book/_toc.yml"] == 3  # the chapter and its case-profile section
    assert lines["params/my_town.yaml"] == len(scaffold.params_yaml("my_town").splitlines())
    with pytest.raises(scaffold.ScaffoldError):
        scaffold.preview("Bad-Slug", title="x", province="y")
