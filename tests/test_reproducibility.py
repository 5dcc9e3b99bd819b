"""Cache, parallel and Dask execution, determinism, provenance and verify."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import git, plant_parameter, run_cli, run_python

RUN_RESULTS = Path(".cache", "cases", "results")
# The tests that start from a built project share one (tests/conftest.py: small_build).
SMALL = pytest.mark.xdist_group("small")


def _statuses(stderr: str) -> dict[str, str]:
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in {"✓", "·", "✗"}:
            out[parts[1]] = parts[2].strip("(,")
    return out


def _pngs(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    # Glued figures are stored under myst-nb's record mime prefix.
    return [
        data
        for cell in nb.cells
        for out in cell.get("outputs", [])
        for mime, data in out.get("data", {}).items()
        if mime.endswith("image/png")
    ]


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


@SMALL
def test_changing_one_case_reruns_only_it_and_the_book_level(small_built_copy):
    project_copy = small_built_copy
    case_file = project_copy / "data" / "cases" / "pingliang.yaml"
    data = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    data["causes"][0]["description"] += " (edited by the cache test)"
    case_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    second = run_cli(project_copy, "run", "--all", "--jobs", "2")
    assert second.returncode == 0, second.stderr
    statuses = _statuses(second.stderr)
    # Every analysis of the changed case re-runs, and cross_case, which declares all cases.
    rerun = {k for k in statuses if k.startswith("pingliang/")} | {"cross_case"}
    assert "pingliang/case_profile" in rerun
    assert all(statuses[k] == "ran" for k in rerun)
    others = [k for k in statuses if k not in rerun]
    assert "national_context" in others and "liupanshui/case_profile" in others
    assert all(statuses[k] == "cached" for k in others)
    # --force re-runs what it is given, cached or not
    forced = run_cli(project_copy, "run", "w_town", "h_county", "--force", "--jobs", "2")
    assert _statuses(forced.stderr) == {
        "w_town/case_profile": "ran",
        "h_county/case_profile": "ran",
    }


@SMALL
def test_corrupt_cache_entry_is_ignored(small_built_copy):
    project_copy = small_built_copy
    stamp = project_copy / ".cache" / "cases" / "stamps" / "w_town__case_profile.json"
    stamp.write_text('{"fingerprint": "trunc', encoding="utf-8")
    again = run_cli(project_copy, "run", "w_town", "--jobs", "1")
    assert again.returncode == 0 and _statuses(again.stderr)["w_town/case_profile"] == "ran"
    # An output changed behind the runner's back is not trusted either.
    output = project_copy / "book" / "cases" / "w_town" / "case_profile.ipynb"
    output.write_text(output.read_text(encoding="utf-8") + " ", encoding="utf-8")
    third = run_cli(project_copy, "run", "w_town", "--jobs", "1")
    assert _statuses(third.stderr)["w_town/case_profile"] == "ran"


@SMALL
def test_two_runs_give_identical_results_and_figures(small_built_copy):
    # The shared build ran with two workers; this re-run uses one.
    project_copy = small_built_copy
    results_1 = _tree_bytes(project_copy / RUN_RESULTS)
    figures_1 = _pngs(project_copy / "book" / "cross_case.ipynb")
    assert run_cli(project_copy, "run", "--all", "--force", "--jobs", "1").returncode == 0
    assert _tree_bytes(project_copy / RUN_RESULTS) == results_1
    figures_2 = _pngs(project_copy / "book" / "cross_case.ipynb")
    assert len(figures_1) == 6 and figures_2 == figures_1  # five heatmaps and the timeline


@SMALL
def test_dask_local_cluster_gives_the_same_results(small_built_copy):
    project_copy = small_built_copy
    before = _tree_bytes(project_copy / RUN_RESULTS)
    cases = ("w_town", "pingliang", "liupanshui")
    done = run_cli(project_copy, "run", *cases, "--force", "--executor", "dask", "--jobs", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(_statuses(done.stderr).values()) == {"ran"} and len(_statuses(done.stderr)) == 3
    assert _tree_bytes(project_copy / RUN_RESULTS) == before


def test_tampered_data_file_stops_the_run(small_project):
    project_copy = small_project
    census = project_copy / "data" / "raw" / "census_population.csv"
    census.write_text(census.read_text(encoding="utf-8").replace("2851332", "2851333"), "utf-8")
    done = run_cli(project_copy, "run", "h_county", "--jobs", "1")
    assert done.returncode == 1
    assert "raw/census_population.csv" in done.stderr and "sha256" in done.stderr


@SMALL
def test_build_leaves_tracked_files_alone_publish_records_and_verify_compares_by_key(
    small_build, small_built_copy
):
    # Issue 15: a build never writes tracked files; `cases publish` is the one way into
    # results/, refuses a run with overrides, and `cases verify` compares by key with
    # tolerances (noise in the 15th digit passes, a real change fails naming its key).
    # The shared small project was committed to git before `cases build` ran in it.
    assert git(small_build, "status", "--porcelain") == ""
    root = small_built_copy
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "after the build")

    # The profile template reads only the registry (it declares just `case`): give it a
    # parameter a code cell uses, so that a run can override it.
    plant_parameter(root, "seed: int = 1")
    git(root, "commit", "-q", "-am", "a parameter to override")
    assert run_cli(root, "run", "--all", "--jobs", "1").returncode == 0
    run_cli(root, "run", "w_town", "-p", "seed=5", "--jobs", "1")
    refused = run_cli(root, "publish")
    assert refused.returncode == 1 and "w_town/case_profile" in refused.stderr
    assert git(root, "status", "--porcelain") == ""
    assert run_cli(root, "run", "w_town", "--jobs", "1").returncode == 0
    published = run_cli(root, "publish")
    assert published.returncode == 0, published.stderr[-3000:]
    assert "w_town/case_profile" in git(root, "status", "--porcelain", "--untracked-files=all")
    again = run_cli(root, "publish")  # nothing changed since: no byte written
    assert again.returncode == 0 and "0 key(s) changed" in again.stderr

    floats = root / "results" / "national_context.json"
    numbers = json.loads(floats.read_text(encoding="utf-8"))
    noisy = next(k for k, v in sorted(numbers.items()) if isinstance(v["value"], float))
    numbers[noisy]["value"] *= 1 + 4e-15  # another processor's last digits
    floats.write_text(json.dumps(numbers), encoding="utf-8")
    target = root / "results" / "cross_case.json"
    numbers = json.loads(target.read_text(encoding="utf-8"))
    numbers["cross_n_cases"]["value"] = 6  # a published number the code will not give
    target.write_text(json.dumps(numbers), encoding="utf-8")
    bad = run_cli(root, "verify", "--jobs", "2", "--skip-sweeps", timeout=900)
    assert bad.returncode == 1
    assert "cross_n_cases" in bad.stderr and noisy not in bad.stderr
    assert "1 published number(s) did not reproduce" in bad.stderr


@SMALL
def test_provenance_page_lists_every_chapter(small_built_copy):
    project_copy = small_built_copy
    env_root = project_copy
    code = "from cases.run import pipeline; print(pipeline.write_provenance_page())"
    done = run_python(env_root, code)
    assert done.returncode == 0, done.stderr
    page = (project_copy / "book" / "provenance.md").read_text(encoding="utf-8")
    for name in ["liupanshui/case_profile", "w_town/case_profile", "cross_case"]:
        assert f"## {name}" in page
    assert "`data/cases/liupanshui.yaml`" in page and "requirements.lock" in page
    assert "| pandas |" in page and "Git commit" in page
