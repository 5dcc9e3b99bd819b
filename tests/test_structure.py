"""Interfaces that must agree: table of contents, parameter files, registry and templates."""

from __future__ import annotations

import itertools
import json
import re

import nbformat
import pytest
import yaml

from cases.core import paths
from cases.data import registry
from cases.run import pipeline

TEMPLATES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
GLUE_CALL = re.compile(r"""report\.glue(?:_figure)?\(\s*f?["']([a-z0-9_{}]+)["']""")
# cases.present.page.show(page, "<template>", prefix="<p>") glues every number and passage of a
# page as <p>_<name>; which names exist is checked by each page's own tests.
SHOW_CALL = re.compile(r"""show\([^()]*?prefix=["']([a-z0-9_]+)["']""")
GLUE_USE = re.compile(
    r"""\{glue:(?:text|md|figure)?\}`([a-z0-9_]+)(?::[^`]*)?`|glue:figure\}\s+([a-z0-9_]+)"""
)


def test_every_case_has_params_and_a_chapter():
    slugs = set(registry.slugs())
    params = {p.stem for p in paths.PARAMS.glob("*.yaml")} - {pipeline.BOOK_PARAMS}
    assert params == slugs
    toc = set(pipeline.toc_files())
    for slug in slugs:
        assert f"cases/{slug}/index" in toc
        assert (paths.BOOK / "cases" / slug / "index.md").is_file()


def test_toc_sections_match_params_and_templates():
    toc = yaml.safe_load((paths.BOOK / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [c for part in toc["parts"] for c in part["chapters"]]
    by_file = {c["file"]: c for c in chapters}
    for slug in registry.slugs():
        jobs = pipeline.jobs_for(slug)
        assert jobs[0].analysis == "case_profile", "every chapter opens with its case profile"
        listed = [s["file"] for s in by_file[f"cases/{slug}/index"].get("sections", [])]
        assert listed == [f"cases/{slug}/{job.analysis}" for job in jobs]
        for job in jobs:
            assert job.template.is_file(), f"{slug}: no template for analysis {job.analysis}"
    for job in pipeline.book_jobs():
        assert job.analysis in by_file
        assert job.template.is_file()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_templates_have_documented_typed_parameters(template):
    nb = nbformat.read(template, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is tagged[0], "the parameters cell is the first code cell"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for line in tagged[0].source.splitlines():
        if line.strip() and not line.startswith("# "):  # a comment-only cell declares nothing
            assert re.match(r"^\w+: \w+ = .+  # \S", line), f"untyped or undocumented: {line}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_templates_declare_only_parameters_they_use(template):
    # A declared but unused parameter would make `cases run -p seed=7` re-run a notebook whose
    # output cannot change; `case` is set by the runner and must be used like any other.
    nb = nbformat.read(template, as_version=4)
    code = "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )
    unused = [
        name
        for name in pipeline.notebook_parameters(template)
        if not re.search(rf"\b{name}\b", code)
    ]
    assert not unused, f"{template.name} declares parameters it never uses: {unused}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_templates_are_committed_without_outputs(template):
    nb = json.loads(template.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_every_glue_key_used_in_prose_is_produced(template):
    nb = nbformat.read(template, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    produced = set(GLUE_CALL.findall(code))
    produced |= {f"{prefix}_{{name}}" for prefix in SHOW_CALL.findall(code)}
    produced_patterns = [
        re.compile("^" + re.sub(r"\{[^}]+\}", r"[a-z0-9_]+", k) + "$") for k in produced
    ]
    used = {a or b for a, b in GLUE_USE.findall(prose)}
    assert used, "templates glue their numbers into the prose"
    for key in used:
        assert any(p.match(key) for p in produced_patterns), f"{template.name}: {key} never glued"


def test_case_parameters_are_declared_by_their_templates():
    for slug in [*registry.slugs(), pipeline.BOOK_PARAMS]:
        for job in pipeline.jobs_for(slug):
            pipeline.resolve_parameters(job)  # raises on an unknown name or wrong type


def test_headings_never_skip_a_level():
    for template in TEMPLATES:
        nb = nbformat.read(template, as_version=4)
        levels = [
            len(m.group(1))
            for c in nb.cells
            if c.cell_type == "markdown"
            for m in re.finditer(r"^(#+) ", c.source, flags=re.M)
        ]
        assert levels[0] == 1 and levels.count(1) == 1, template.name
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{template.name}: heading jumps {before}->{after}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_papermill_documents_every_parameter(template):
    # `papermill --help-notebook` shows these; a comment papermill cannot parse (e.g. one
    # containing "=") would silently drop the parameter's documentation.
    declared = pipeline.notebook_parameters(template)
    nb = nbformat.read(template, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = cell.source.splitlines()
    names = [line.split(":")[0] for line in lines if line.strip() and not line.startswith("# ")]
    assert list(declared) == names
    assert all(spec["help"].strip() for spec in declared.values())


def test_title_authors_and_citation_agree_across_config_cff_intro_and_readme():
    config = yaml.safe_load((paths.BOOK / "_config.yml").read_text(encoding="utf-8"))
    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    intro = (paths.BOOK / "intro.md").read_text(encoding="utf-8")
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    title = config["title"]
    assert cff["title"] == title
    assert intro.splitlines()[0] == f"# {title}" and readme.splitlines()[0] == f"# {title}"
    assert [a.get("name") for a in cff["authors"]] == [config["author"]]
    year = str(cff["date-released"])[:4]
    assert f"{config['author']} ({year}). *{title}*" in " ".join(intro.split())
    assert f"(Version {cff['version']})" in " ".join(intro.split())


def test_each_case_chapter_opens_by_citing_its_thesis_with_its_address():
    from pybtex.database import parse_file

    bib = parse_file(str(paths.BOOK / "references.bib"))
    for slug in registry.slugs():
        entry = bib.entries[f"thesis_{slug}"]
        url = entry.fields["url"]
        assert url.startswith(("https://www.globethesis.com/?t=", "https://globethesis.com/?t="))
        assert "shared/seeds" not in entry.fields.get("note", "")
        assert "Author unknown" not in str(entry.persons)
        lines = (paths.BOOK / "cases" / slug / "index.md").read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# ") and lines[2].startswith("**The thesis:**")
        assert f"`thesis_{slug}`" in lines[2] and url in lines[2]


def test_data_documentation_page_includes_project_files_only():
    """book/data_docs.md (issue 22: readers get a page, not file paths) shows the project's own
    documentation files: each included file exists, lies inside the repository, outside
    ``data/external`` (upstream reference data are never committed or shown), and the census
    and cross-case chapters link the page's sections instead of naming the files."""
    page = (paths.BOOK / "data_docs.md").read_text(encoding="utf-8")
    included = re.findall(r"```\{(?:include|literalinclude)\} (\S+)", page)
    included += re.findall(r":file: (\S+)", page)
    expected = {
        "data/raw/SOURCES.md",
        "data/raw/census_crosswalk_rules.yaml",
        "data/qual/CODING.md",
        "data/qual/codebook.yaml",
        "data/settings/cross_case.yaml",
        "data/qual/disagreements.csv",
    }
    resolved = {(paths.BOOK / p).resolve() for p in included}
    assert resolved == {(paths.ROOT / p).resolve() for p in expected}
    assert all(p.is_file() and "external" not in p.parts for p in resolved)
    toc = yaml.safe_load((paths.BOOK / "_toc.yml").read_text(encoding="utf-8"))
    authors = next(p for p in toc["parts"] if p["caption"].startswith("For authors"))
    assert {"file": "data_docs"} in authors["chapters"]
    prose = (paths.TEXT / "county_census.md").read_text(encoding="utf-8")
    prose += json.dumps(json.loads((paths.NOTEBOOKS / "cross_case.ipynb").read_text("utf-8")))
    prose += json.dumps(json.loads((paths.NOTEBOOKS / "county_census.ipynb").read_text("utf-8")))
    labels = set(re.findall(r"^\((data-docs-[a-z-]+)\)=$", page, re.MULTILINE))
    linked = set(re.findall(r"data-docs-[a-z-]+", prose))
    assert linked and linked <= labels
    assert not any(f"`{p}`" in prose for p in expected), "a file path left in the prose"
