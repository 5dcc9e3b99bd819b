"""The runner and the CLI: overrides, refusals with exit status 2, failures that keep old output,
and the full book build (end to end)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from conftest import git, plant_parameter, run_cli, run_python

from cases.run import pipeline


def _outputs_text(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            chunks.append(out.get("text", ""))
            chunks.extend(str(v) for v in out.get("data", {}).values())
    return "\n".join(chunks)


def test_list_prints_five_slugs_with_titles(project_copy):
    done = run_cli(project_copy, "list")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(
        ["liupanshui", "shandong_a_town", "w_town", "h_county", "pingliang"]
    )
    assert all(len(line.split("\t")[1]) > 10 for line in lines)


def test_unknown_slug_exits_2_and_lists_valid(project_copy):
    done = run_cli(project_copy, "run", "atlantis")
    assert done.returncode == 2
    assert "unknown case slug(s) 'atlantis'" in done.stderr
    assert "liupanshui" in done.stderr


def test_unknown_parameter_exits_2_and_lists_valid(project_copy):
    done = run_cli(project_copy, "run", "h_county", "-p", "sede=3")
    assert done.returncode == 2
    assert "'sede'" in done.stderr and "seed" in done.stderr and "bootstrap_reps" in done.stderr


def test_mistyped_parameter_exits_2(project_copy):
    done = run_cli(project_copy, "run", "h_county", "-p", "seed=abc")
    assert done.returncode == 2
    assert "parameter 'seed' expects int, got 'abc'" in done.stderr


def test_malformed_override_exits_2(project_copy):
    done = run_cli(project_copy, "run", "h_county", "-p", "seed")
    assert done.returncode == 2
    assert "KEY=VALUE" in done.stderr


def test_library_run_refuses_zero_workers():
    from cases.core.errors import ParameterError

    with pytest.raises(ParameterError, match="n_jobs"):
        pipeline.run([], n_jobs=0)


def test_override_of_a_parameter_no_selected_template_declares_exits_2(small_project):
    # The case profile reads only the registry, so it declares no seed; an override nothing
    # uses would otherwise re-run notebooks whose output cannot change.
    done = run_cli(small_project, "run", "w_town", "-p", "seed=4242", "--jobs", "1")
    assert done.returncode == 2
    assert "unknown parameter(s) 'seed' for the selected notebooks" in done.stderr


def test_override_reaches_the_notebook_and_is_cached(small_project):
    project_copy = small_project
    plant_parameter(project_copy, "seed: int = 1")
    done = run_cli(project_copy, "run", "w_town", "-p", "seed=4242", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    output = project_copy / "book" / "cases" / "w_town" / "case_profile.ipynb"
    nb = nbformat.read(output, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "seed = 4242" in injected[0].source
    assert 'case = "w_town"' in injected[0].source
    run_results = project_copy / ".cache" / "cases" / "results"
    manifest = json.loads((run_results / "w_town" / "case_profile.json").read_text())
    assert manifest["profile_n_problems"]["value"] == 5  # five problems in data/cases/w_town.yaml
    # Same inputs again: skipped. A different parameter: runs again.
    again = run_cli(project_copy, "run", "w_town", "-p", "seed=4242", "--jobs", "1")
    assert again.returncode == 0 and "0 ran, 1 cached" in again.stderr
    changed = run_cli(project_copy, "run", "w_town", "-p", "seed=7", "--jobs", "1")
    assert changed.returncode == 0 and "1 ran, 0 cached" in changed.stderr


def test_failing_notebook_names_cell_and_keeps_previous_output(small_project):
    project_copy = small_project
    first = run_cli(project_copy, "run", "pingliang", "--jobs", "1")
    assert first.returncode == 0, first.stderr
    output = project_copy / "book" / "cases" / "pingliang" / "case_profile.ipynb"
    good = output.read_bytes()
    # Break the template: the profile cell now raises.
    template = project_copy / "notebooks" / "case_profile.ipynb"
    nb = nbformat.read(template, as_version=4)
    broken_index = 2
    nb.cells[broken_index].source += "\nraise RuntimeError('planted failure')"
    nbformat.write(nb, template)
    done = run_cli(project_copy, "run", "pingliang", "--jobs", "1")
    assert done.returncode == 1
    assert "case_profile.ipynb (pingliang/case_profile) failed in cell" in done.stderr
    assert "planted failure" in done.stderr
    assert output.read_bytes() == good, "the previous good output survives"
    # That the build then refuses (or marks the chapter with --allow-stale) is tested on the
    # shared built project: tests/test_fault_tolerance.py.


def test_build_refuses_notebook_with_error_output(project_copy):
    from cases.run import pipeline

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="boom")]
    nb.cells.append(cell)
    path = project_copy / "planted.ipynb"
    nbformat.write(nb, path)
    assert pipeline.error_outputs(path) == [(0, "ZeroDivisionError", "boom")]


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_build_end_to_end(full_build):
    # The run's one full build (tests/conftest.py): `cases build` on a fresh copy.
    project_copy = full_build
    stdout = (project_copy.parent / "build-stdout.txt").read_text(encoding="utf-8")
    html = project_copy / "book" / "_build" / "html"
    assert stdout.strip().endswith("index.html")
    # A build writes no tracked file: the copy was committed to git before it.
    assert git(project_copy, "status", "--porcelain") == ""
    assert (html / "index.html").is_file()
    for slug in ["liupanshui", "shandong_a_town", "w_town", "h_county", "pingliang"]:
        page = (html / "cases" / slug / "case_profile.html").read_text(encoding="utf-8")
        assert "Research design" in page and "Source: thesis abstract" in page
        assert (html / "cases" / slug / "index.html").is_file()
    cross = (html / "cross_case.html").read_text(encoding="utf-8")
    assert "Cross-case synthesis" in cross and cross.count("<img") >= 5
    assert "精准扶贫" in (html / "glossary.html").read_text(encoding="utf-8")
    references = (html / "references.html").read_text(encoding="utf-8")
    assert "Author unknown" not in references and "Candidate: not stated" in references
    assert "https://www.globethesis.com/?t=2439330548478259" in references
    assert not list((project_copy / "book").rglob("*.tmp"))


def test_relative_data_dir_reaches_the_notebook_and_its_files_are_in_the_cache_key(small_project):
    # Notebooks run in their output folder, so the runner resolves a relative data_dir
    # against the folder the command was run in.
    own = small_project / "my_field_data"
    own.mkdir()
    (own / "households.csv").write_text("household_id,income\nH1,2800\n", encoding="utf-8")
    plant_parameter(small_project, 'data_dir: str = ""')
    # Without --out, own data are refused (exit 2) and nothing under book/ is written.
    refused = run_cli(small_project, "run", "h_county", "-p", "data_dir=my_field_data")
    assert refused.returncode == 2 and "never run into book/" in refused.stderr
    assert not (small_project / "book" / "cases" / "h_county" / "case_profile.ipynb").exists()
    args = ("run", "h_county", "-p", "data_dir=my_field_data", "--jobs", "1", "--out", "own_out")
    done = run_cli(small_project, *args)
    assert done.returncode == 0, done.stderr
    output = small_project / "own_out" / "case_profile.ipynb"
    assert not (small_project / "book" / "cases" / "h_county" / "case_profile.ipynb").exists()
    nb = nbformat.read(output, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'data_dir = "{own}"' in injected.source
    # The folder's contents are in the cache key: unchanged, cached; one byte changed, re-run.
    assert "0 ran, 1 cached" in run_cli(small_project, *args).stderr
    (own / "households.csv").write_text("household_id,income\nH1,2801\n", encoding="utf-8")
    again = run_cli(small_project, *args)
    assert again.returncode == 0 and "1 ran, 0 cached" in again.stderr, again.stderr
    stamp = small_project / "own_out" / ".cases" / "stamps" / "h_county__case_profile.json"
    assert "data_dir/households.csv" in json.loads(stamp.read_text(encoding="utf-8"))["inputs"]


def _fake_papermill(monkeypatch, failures: list[Exception]):
    """Replace papermill.execute_notebook: raise the given errors in turn, then write an empty
    notebook (what a successful run leaves)."""
    import papermill

    calls = []

    def fake(template, output, **kwargs):
        calls.append(template)
        if failures:
            raise failures.pop(0)
        nbformat.write(nbformat.v4.new_notebook(), output)

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    return calls


def test_a_kernel_that_dies_while_starting_is_started_again(project_copy, monkeypatch):
    from cases.core import paths
    from cases.run import pipeline

    monkeypatch.setattr(paths, "CACHE", project_copy / ".cache" / "cases")
    monkeypatch.setattr(paths, "BOOK", project_copy / "book")
    job = pipeline.Job("case_profile", "w_town")
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died, RuntimeError(str(died))])
    assert pipeline.execute(job, {}) == job.output and job.output.is_file()
    assert len(calls) == 3
    # Giving up after KERNEL_START_ATTEMPTS, and never retrying another error.
    calls = _fake_papermill(monkeypatch, [RuntimeError(str(died))] * 3)
    with pytest.raises(RuntimeError, match="kernel_info"):
        pipeline.execute(job, {})
    assert len(calls) == pipeline.KERNEL_START_ATTEMPTS
    calls = _fake_papermill(monkeypatch, [RuntimeError("something else")])
    with pytest.raises(RuntimeError, match="something else"):
        pipeline.execute(job, {})
    assert len(calls) == 1


def test_pages_dropped_from_params_leave_no_executed_notebook_or_html(project_copy):
    # A working copy that once ran a page now dropped from its chapter must show what a fresh
    # clone shows: the old executed notebook and its built page go; planned outputs stay.
    chapter = project_copy / "book" / "cases" / "w_town"
    kept = chapter / "case_profile.ipynb"
    dropped = chapter / "poverty_profile.ipynb"  # no longer in params/w_town.yaml
    html = project_copy / "book" / "_build" / "html" / "cases" / "w_town" / "poverty_profile.html"
    html.parent.mkdir(parents=True)
    for path in (kept, dropped, html):
        path.write_text("{}", encoding="utf-8")
    code = "from cases.run import pipeline; print(len(pipeline.prune_unplanned_pages()))"
    done = run_python(project_copy, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert kept.is_file() and not dropped.exists() and not html.exists()


def test_every_command_has_its_words_in_text_cli_yaml_and_no_entry_is_stale():
    # The CLI's summaries and descriptions live in text/cli.yaml: a command without an entry
    # would fail to build the parser, an entry without a command would be dead text.
    import argparse

    import yaml

    from cases.core import paths
    from cases.run import cli

    words = yaml.safe_load((paths.TEXT / "cli.yaml").read_text(encoding="utf-8"))["commands"]
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(words)
    assert {"run", "build", "report", "check-data", "import", "new"} <= set(sub.choices)
    # The --jobs help gets the machine's default filled in.
    run_help = " ".join(sub.choices["run"].format_help().split())
    assert f"(default: {os.cpu_count() or 1}, the number of cores)" in run_help
