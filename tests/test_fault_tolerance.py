"""Atomic, fault-tolerant runs: a killed run leaves the previous outputs intact, one failing
notebook does not stop the others, and the book is not built from a failed chapter unless
``--allow-stale`` (which marks it "Out of date").

The tests share one built small project (``small_build`` in ``conftest.py``, built once per
run and copied per test) whose ``case_profile`` template has a test hook cell: it sleeps
``$CASES_TEST_SLEEP`` seconds and raises when ``$CASES_TEST_FAIL`` names the case. The kernel
inherits the environment of ``cases run``, so the hook needs no parameter and no input changes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import run_cli

from cases.run.pipeline import error_outputs

# All tests here work on copies of the one small built project (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("small")]


def _cli(root: Path, env_extra: dict[str, str], *args: str, timeout: int = 600):
    # A wide terminal keeps the summary table's messages on one line.
    return run_cli(root, *args, timeout=timeout, env_extra={"COLUMNS": "400", **env_extra})


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every output file: executed notebooks and pages, results manifests, stamps."""
    found = {}
    for folder in ("book", "results", ".cache/cases/results", ".cache/cases/stamps"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and "_build" not in path.parts:
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def test_sigkill_mid_notebook_keeps_previous_outputs_and_next_run_recovers(
    small_built_copy, tmp_path
):
    root = small_built_copy
    before = _snapshot(root)
    assert any(name.startswith(".cache/cases/results/w_town/") for name in before)
    env = dict(os.environ, CASES_ROOT=str(root), CASES_TEST_SLEEP="300")
    env.pop("CASES_MANIFEST", None)
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cases.run.cli", "run", "w_town", "--force", "--jobs", "1"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as a whole below
    )
    scratch = root / ".cache" / "cases" / "tmp"
    kernels: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            notebooks = list(scratch.glob("w_town__case_profile.*.ipynb"))
            children = psutil.Process(proc.pid).children(recursive=True)
            kernels = [p for p in children if "ipykernel" in " ".join(p.cmdline())]
            if notebooks and kernels:
                break
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        else:
            pytest.fail("the notebook never started executing")
        time.sleep(3)  # the kernel is now inside the planted sleep cell
        descendants = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGKILL)
        # The kernel runs in its own session (jupyter_client), so kill it by its id too.
        for child in descendants:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    # The killed run was mid-notebook: its temporary output exists, outside book/ and results/.
    assert list(scratch.glob("w_town__case_profile.*.ipynb"))
    after = _snapshot(root)
    assert sorted(after) == sorted(before), "no new or partial file in book/, results/, stamps"
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"outputs changed by the killed run: {changed}"

    again = run_cli(root, "run", "w_town", "--force", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert "1 ran, 0 cached (skipped), 0 failed" in again.stderr
    assert not list(scratch.iterdir()), "leftovers of the killed run are swept"
    output = root / "book" / "cases" / "w_town" / "case_profile.ipynb"
    assert error_outputs(output) == []
    manifest = ".cache/cases/results/w_town/case_profile.json"
    assert (root / manifest).read_bytes() == before[manifest], "same numbers as before"
    assert not list((root / ".cache").rglob(".*.tmp")) and not list((root / "book").rglob("*.tmp"))


def test_one_failing_case_does_not_stop_the_others(small_built_copy):
    root = small_built_copy
    output = root / "book" / "cases" / "w_town" / "case_profile.ipynb"
    good = output.read_bytes()
    # Forget the run records of two notebooks: they run again; the third case is cached.
    for name in ("w_town__case_profile", "pingliang__case_profile"):
        (root / ".cache" / "cases" / "stamps" / f"{name}.json").unlink()
    cases = ("w_town", "pingliang", "h_county")
    done = _cli(root, {"CASES_TEST_FAIL": "w_town"}, "run", *cases, "--jobs", "2")
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert "✗ w_town/case_profile (failed" in err
    assert "planted failure in w_town" in err and "failed in cell" in err
    assert "✓ pingliang/case_profile (ran" in err
    assert "· h_county/case_profile (cached" in err
    assert "Run summary" in err
    assert "1 ran, 1 cached (skipped), 1 failed" in err
    assert output.read_bytes() == good, "the failed notebook's previous output stays"

    fast = _cli(
        root, {"CASES_TEST_FAIL": "w_town"}, "run", *cases, "--force", "--jobs", "1", "--fail-fast"
    )
    assert fast.returncode == 1, fast.stderr
    assert "0 ran, 0 cached (skipped), 1 failed, 2 not run" in fast.stderr


def test_build_refuses_failed_chapter_unless_allow_stale_then_marks_it(small_built_copy):
    root = small_built_copy
    # Without its run record the chapter is stale and runs again (and fails, by the hook).
    (root / ".cache" / "cases" / "stamps" / "pingliang__case_profile.json").unlink()
    fail = {"CASES_TEST_FAIL": "pingliang"}
    refused = _cli(root, fail, "build", "--jobs", "2")
    assert refused.returncode == 1
    assert "✗ pingliang/case_profile (failed" in refused.stderr
    assert "Not building the book" in refused.stderr
    assert not (root / "book" / "_build" / "html" / "index.html").exists()
    # The library refuses too, naming the chapter and why.
    env = dict(os.environ, CASES_ROOT=str(root), COLUMNS="400")
    env.pop("CASES_MANIFEST", None)
    library = subprocess.run(
        [sys.executable, "-c", "from cases.run import pipeline; pipeline.build_book()"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert library.returncode != 0
    assert "refusing to build the book from stale or failed chapter(s)" in library.stderr
    assert "pingliang/case_profile: its last run failed" in library.stderr

    built = _cli(root, fail, "build", "--jobs", "2", "--allow-stale")
    assert built.returncode == 0, built.stderr[-4000:] + built.stdout[-2000:]
    html = root / "book" / "_build" / "html" / "cases"
    stale_page = (html / "pingliang" / "case_profile.html").read_text(encoding="utf-8")
    assert "Out of date" in stale_page and "its last run failed" in stale_page
    assert "admonition warning" in stale_page
    fresh_page = (html / "w_town" / "case_profile.html").read_text(encoding="utf-8")
    assert "Out of date" not in fresh_page
