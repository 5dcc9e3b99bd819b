"""What a notebook's cache key covers (issue 16, item 5): its own template and text template,
the library modules it imports (not every module), its settings and data inputs.

A sentence edit in one text template must make stale only that analysis's jobs; an edit to a
page module must not touch notebooks that never import it.
"""

from __future__ import annotations

from cases.core import paths
from cases.run import pipeline

JOBS = pipeline.plan()


def _jobs_reading(path):
    return sorted(job.name for job in JOBS if path in pipeline.input_files(job))


# Templates rendered by name in modules of the run layer: only the notebooks that import that
# layer (the authors' guide quotes the CLI's exit codes; the curve page reads the sweeps) read them.
RUN_LAYER_TEXTS = {"own_report", "provenance", "stale_banner"}
RUN_LAYER_READERS = {"authors_guide", "specification_curve"}


def test_a_text_template_is_read_only_by_its_own_analysis():
    for text in sorted(paths.TEXT.glob("*.md")):
        if text.stem == "exhibits":
            continue  # the shared exhibit words: next test
        readers = _jobs_reading(text)
        others = {name for name in readers if name.rsplit("/", 1)[-1] != text.stem}
        allowed = RUN_LAYER_READERS if text.stem in RUN_LAYER_TEXTS else set()
        assert others <= allowed, (text, readers)


def test_the_exhibit_words_are_in_the_key_of_every_page_with_an_exhibit():
    # cases.present.report renders text/exhibits.md (the simulated stamp among them): an edit
    # there must make stale every notebook that draws a figure or table with the helpers.
    exhibits = paths.TEXT / "exhibits.md"
    readers = set(_jobs_reading(exhibits))
    report = paths.ROOT / "src" / "cases" / "present" / "report.py"
    users = set(_jobs_reading(report))
    assert users and readers == users
    assert "h_county/poverty_profile" in readers and "cross_case" in readers


def test_editing_the_poverty_profile_text_reruns_at_most_five_notebooks():
    text = paths.TEXT / "poverty_profile.md"
    readers = _jobs_reading(text)
    if text.is_file():
        assert 1 <= len(readers) <= 5, readers


def test_a_page_module_is_in_the_key_only_of_notebooks_that_import_it():
    participation = paths.ROOT / "src" / "cases" / "pages" / "participation.py"
    readers = _jobs_reading(participation)
    assert readers, "the participation notebooks import their page module"
    assert all(name.endswith("/participation") for name in readers), readers


def test_imports_are_followed_to_the_end_of_the_chain():
    # notebooks/poverty_profile imports cases.pages.poverty_profile, which imports the measures
    # of cases.methods; those read the core layer (paths) in turn.
    files = pipeline.library_files(paths.NOTEBOOKS / "poverty_profile.ipynb")
    names = {p.relative_to(paths.ROOT / "src" / "cases").as_posix() for p in files}
    assert {"pages/poverty_profile.py", "methods/measures.py", "core/paths.py"} <= names
    assert {"__init__.py", "pages/__init__.py", "methods/__init__.py"} <= names
    assert "run/pipeline.py" not in names


def test_the_case_file_and_settings_of_the_job_are_in_its_key():
    job = next(j for j in JOBS if j.slug == "h_county" and j.analysis == "poverty_profile")
    files = pipeline.input_files(job)
    assert paths.CASES_DIR / "h_county.yaml" in files
    assert paths.CASES_DIR / "w_town.yaml" not in files
    for settings in pipeline.settings_files(job):
        assert settings in files
